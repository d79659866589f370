//! The S3 surface's answers: what a coordinator returns for bucket, object
//! and listing requests (the requests themselves are [`ClientRequest`]
//! variants).
//!
//! [`ClientRequest`]: crate::message::ClientRequest

use crate::object::ObjectMeta;
use serde::{Deserialize, Serialize};

/// Most keys (or versions) one LIST page returns, as S3 (a larger `max_keys`
/// is capped to it, as S3 does).
pub const MAX_KEYS: u32 = 1000;

/// An S3 error answer: the request was understood and refused; nothing was
/// written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum S3Error {
    /// 404: the bucket does not exist.
    #[error("NoSuchBucket: the bucket does not exist")]
    NoSuchBucket,
    /// 409: CreateBucket of a bucket that exists.
    #[error("BucketAlreadyOwnedByYou: the bucket exists")]
    BucketAlreadyOwnedByYou,
    /// 409: DeleteBucket of a bucket that holds objects, versions or markers.
    #[error("BucketNotEmpty: the bucket holds objects or versions")]
    BucketNotEmpty,
    /// 404: no current version; `delete_marker` is the id of the delete
    /// marker that is current, if one is (S3's `x-amz-delete-marker: true`).
    #[error("NoSuchKey: the key has no current version")]
    NoSuchKey { delete_marker: Option<String> },
    /// 404: GET/HEAD of a version id the object does not have.
    #[error("NoSuchVersion: the object has no such version")]
    NoSuchVersion,
    /// 405: GET/HEAD of a delete marker's version id.
    #[error("MethodNotAllowed: the version is a delete marker")]
    MethodNotAllowed,
    /// 400: a malformed request (bad bucket name, key, token, ...).
    #[error("InvalidArgument: {0}")]
    InvalidArgument(String),
    /// The object already holds as many versions (and permanent-delete
    /// tombstones) as one read can return ([`crate::MAX_OBJECT_ENTRIES`]):
    /// a limit of this store, not of S3.
    #[error("TooManyVersions: the object holds the most versions one read returns")]
    TooManyVersions,
    /// 403: the request's signature, its time or the bucket's policy refused
    /// it — decided before the key is touched, so the same answer whether
    /// the key exists or not.
    #[error("AccessDenied: access denied")]
    AccessDenied,
}

/// S3's conditional-write headers on PutObject and DeleteObject, judged on
/// the object's current version only (an older version's ETag does not
/// match; a current delete marker counts as no object).
///
/// Under `paxos` the condition is judged inside the consensus round that
/// writes, so it is atomic: among racing `If-None-Match: *` creates exactly
/// one succeeds. Under `eventual`, `quorum` and `abd` it is a read (the
/// protocol's read of the object) then a write: two racing writers can both
/// find the condition true and both succeed, the anomaly `linearizable`
/// catches (`abd` runs conditional requests only with `allow_unsafe_cas`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Condition {
    /// `If-None-Match: *`: only if the key has no current object.
    IfNoneMatch,
    /// `If-Match: <ETag>`: only if the current object's ETag is this one
    /// (as the store writes it: quoted hex MD5).
    IfMatch(String),
}

impl Condition {
    /// The ETag the current object must have (`None`: there must be none),
    /// as the register `cas` states its `from`.
    pub fn expected_etag(&self) -> Option<&str> {
        match self {
            Condition::IfNoneMatch => None,
            Condition::IfMatch(etag) => Some(etag),
        }
    }
}

/// GET/HEAD: one object version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectInfo {
    pub key: String,
    /// `null` for a version written while versioning was off or suspended.
    pub version_id: String,
    pub meta: ObjectMeta,
}

/// One object in a ListObjectsV2 page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedObject {
    pub key: String,
    pub etag: String,
    pub size: u64,
    pub last_modified_ns: u64,
}

/// One page of ListObjectsV2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListPage {
    /// Current objects (no delete markers, no deleted keys), in key order.
    pub objects: Vec<ListedObject>,
    /// Set when the listing goes on: pass it back, unchanged, for the next
    /// page. A page may hold fewer than `max_keys` objects (even none) and
    /// still be truncated, as S3 allows.
    pub continuation: Option<String>,
}

/// One version or delete marker in a ListObjectVersions page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedVersion {
    pub key: String,
    pub version_id: String,
    /// Whether this is the object's current version (or marker).
    pub is_latest: bool,
    /// `None` for a delete marker.
    pub meta: Option<ObjectMeta>,
}

/// One page of ListObjectVersions: by key, then newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionsPage {
    pub versions: Vec<ListedVersion>,
    /// As [`ListPage::continuation`].
    pub continuation: Option<String>,
}
