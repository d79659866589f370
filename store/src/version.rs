//! Versions and stored entries.

use crate::NodeId;
use serde::{Deserialize, Serialize};

/// A write's version: last-write-wins compares `timestamp` first, then `node`
/// (the coordinator that assigned it) to break ties, so two versions are equal
/// only if they are the same write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Version {
    /// Nanoseconds on the coordinator's clock (which may be skewed).
    pub timestamp: u64,
    pub node: NodeId,
}

/// What a replica stores for a key: a versioned value, or a tombstone
/// (`value: None`) left by DELETE so that the delete wins over older writes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Entry {
    pub version: Version,
    pub value: Option<String>,
}

impl Entry {
    /// Whether `self` wins over `other` under last-write-wins: the greater
    /// version wins. Equal versions should be the same write; should two
    /// different writes ever share a version (a node restarted with its clock
    /// set back can reissue one), the value breaks the tie (a tombstone loses),
    /// so replicas still converge on one of them instead of disagreeing forever.
    pub fn supersedes(&self, other: &Entry) -> bool {
        (self.version, &self.value) > (other.version, &other.value)
    }
}
