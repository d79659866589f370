//! Versions and stored entries.

use crate::NodeId;
use crate::bucket::BucketMeta;
use crate::object::ObjectMeta;
use serde::{Deserialize, Serialize};

/// A write's version: last-write-wins compares `timestamp` first, then `node`
/// (the coordinator that assigned it) to break ties, so two versions are equal
/// only if they are the same write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Version {
    /// Nanoseconds on the coordinator's clock (which may be skewed), or a
    /// logical counter under `abd`.
    pub timestamp: u64,
    pub node: NodeId,
}

impl Version {
    /// The S3 version id of the object version this write created in a
    /// versioning-enabled bucket: opaque, unique per write (as the version is),
    /// 24 hex digits, never `null`.
    pub fn version_id(&self) -> String {
        format!("{:016x}{:08x}", self.timestamp, self.node)
    }
}

/// What a replica stores for a key: a versioned register value, a record of
/// the S3 surface (an object version, a delete marker, a bucket), or a
/// tombstone (`value` and `record` both `None`) left by DELETE so that the
/// delete wins over older writes. At most one of `value` and `record` is set.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Entry {
    pub version: Version,
    /// A register's value (`None`: tombstone, or a record).
    pub value: Option<String>,
    /// A bucket or object record (`None` for registers and tombstones).
    pub record: Option<Record>,
}

/// What a bucket or object key holds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Record {
    /// An object version.
    Object(ObjectMeta),
    /// A delete marker (a version that says "deleted").
    DeleteMarker,
    /// A bucket's configuration.
    Bucket(BucketMeta),
    /// Every version and delete marker of one object, oldest first: how
    /// `paxos` keeps a versioned object, as one consensus register (see
    /// `node::objects_paxos`). Never empty when written.
    Versions(Vec<KeptVersion>),
}

/// One version of an object kept in a [`Record::Versions`] list.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct KeptVersion {
    /// Its S3 version id (`null`, or [`Version::version_id`] of `version`).
    pub id: String,
    /// Where it sorts among the object's versions (the newest is current):
    /// the ballot of the round that created it.
    pub version: Version,
    /// The object version, or `None` for a delete marker.
    pub object: Option<ObjectMeta>,
}

impl KeptVersion {
    /// The entry a per-version store key would hold for it (an object
    /// version or a delete marker), for readers that judge versions one by one.
    pub fn entry(&self) -> Entry {
        let record = match &self.object {
            Some(meta) => Record::Object(meta.clone()),
            None => Record::DeleteMarker,
        };
        Entry::record(self.version, Some(record))
    }
}

impl Entry {
    /// A register write (`Some`) or tombstone (`None`).
    pub fn register(version: Version, value: Option<String>) -> Entry {
        Entry {
            version,
            value,
            record: None,
        }
    }

    /// A record write (`Some`) or tombstone (`None`).
    pub fn record(version: Version, record: Option<Record>) -> Entry {
        Entry {
            version,
            value: None,
            record,
        }
    }

    /// Whether this entry says the key holds nothing.
    pub fn is_tombstone(&self) -> bool {
        self.value.is_none() && self.record.is_none()
    }

    /// Whether `self` wins over `other` under last-write-wins: the greater
    /// version wins. Equal versions should be the same write; should two
    /// different writes ever share a version (a node restarted with its clock
    /// set back can reissue one), the value breaks the tie (a tombstone loses),
    /// so replicas still converge on one of them instead of disagreeing forever.
    pub fn supersedes(&self, other: &Entry) -> bool {
        if crate::planted::on(crate::planted::Bug::LwwNodeFirst) {
            return (self.version.node, self.version.timestamp)
                > (other.version.node, other.version.timestamp);
        }
        (self.version, &self.value, &self.record) > (other.version, &other.value, &other.record)
    }
}
