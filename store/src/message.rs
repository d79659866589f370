//! Every message the store sends: client requests to a coordinator, and replica
//! requests from a coordinator to the replicas of a key.

use crate::NodeId;
use crate::bucket::Versioning;
use crate::membership::Layout;
use crate::object::Body;
use crate::s3::{Condition, ListPage, ObjectInfo, S3Error, VersionsPage};
use crate::version::{Entry, Version};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A request from a client to any node, which then coordinates it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientRequest {
    Get {
        key: String,
    },
    Put {
        key: String,
        value: String,
    },
    Delete {
        key: String,
    },
    /// Conditional PUT: write `to` only if the current value is `from`
    /// (`None` = only if absent; S3's `If-None-Match: *`; `Some` is
    /// `If-Match`). `Done`; else, with nothing written, `PreconditionFailed`
    /// (412: the value is another), `NotFound` (404: `If-Match` on an
    /// absent key) or `ConditionalConflict` (409: a concurrent change got
    /// in the way); or unavailable.
    Cas {
        key: String,
        from: Option<String>,
        to: String,
    },
    /// Creates an empty bucket with versioning off. `Done`, or
    /// `BucketAlreadyOwnedByYou`. Read-then-write: two concurrent creates
    /// may both succeed (the bucket exists either way).
    CreateBucket {
        bucket: String,
    },
    /// Deletes an empty bucket. `Done`, `NoSuchBucket`, or `BucketNotEmpty`
    /// when it holds any object, version or delete marker. Checked by a
    /// listing, then written: a PUT racing with it may land in the deleted
    /// bucket (S3 documents bucket operations as eventually consistent).
    DeleteBucket {
        bucket: String,
    },
    /// Sets a bucket's versioning to `Enabled` or `Suspended` (`Off` is
    /// refused: a bucket never returns to it). `Done` or `NoSuchBucket`.
    PutBucketVersioning {
        bucket: String,
        versioning: Versioning,
    },
    /// Stores an object version: `Stored` (its version id and ETag),
    /// `NoSuchBucket`, `WriteUnavailable`. With a `condition` (S3's
    /// `If-None-Match: *` or `If-Match: <ETag>`, judged on the current
    /// version only), also `PreconditionFailed` (412), `NotFound` (404:
    /// `If-Match` with no current object) or `ConditionalConflict` (409),
    /// each with nothing written. Atomic under `paxos` only; elsewhere a
    /// read then a write (see [`crate::s3::Condition`]).
    PutObject {
        bucket: String,
        key: String,
        body: Body,
        metadata: BTreeMap<String, String>,
        #[serde(default)]
        condition: Option<Condition>,
    },
    /// The current version (or the version `version_id`): `Object`,
    /// `NoSuchKey` (with the current delete marker, if any), `NoSuchVersion`,
    /// `MethodNotAllowed` (a delete marker's id), `NoSuchBucket`.
    GetObject {
        bucket: String,
        key: String,
        version_id: Option<String>,
    },
    /// As `GetObject` (the body is a descriptor either way); recorded apart.
    HeadObject {
        bucket: String,
        key: String,
        version_id: Option<String>,
    },
    /// Without `version_id`: removes the object (versioning off), or adds a
    /// delete marker (enabled: a new version; suspended: the `null` one).
    /// With it: removes that version for good, no marker. `Removed`.
    /// `condition` (S3's conditional DELETE: `If-Match` only, not with a
    /// version id) answers as on `PutObject`.
    DeleteObject {
        bucket: String,
        key: String,
        version_id: Option<String>,
        #[serde(default)]
        condition: Option<Condition>,
    },
    /// ListObjectsV2: current objects whose key starts with `prefix`, in key
    /// order, at most `max_keys` (capped at [`crate::s3::MAX_KEYS`]) from
    /// where `continuation` (from the previous page) says. `Listing`.
    ListObjects {
        bucket: String,
        prefix: String,
        max_keys: u32,
        continuation: Option<String>,
    },
    /// ListObjectVersions: every version and delete marker under `prefix`,
    /// by key then newest first, paged as `ListObjects`. `Versions`.
    ListObjectVersions {
        bucket: String,
        prefix: String,
        max_keys: u32,
        continuation: Option<String>,
    },
}

impl ClientRequest {
    /// Whether this is a bucket, object or listing request (not a register one).
    pub fn is_s3(&self) -> bool {
        !matches!(
            self,
            ClientRequest::Get { .. }
                | ClientRequest::Put { .. }
                | ClientRequest::Delete { .. }
                | ClientRequest::Cas { .. }
        )
    }

    /// The key, bucket or prefix the request is about (as [`Request::key`]).
    pub fn key(&self) -> &str {
        match self {
            ClientRequest::Get { key }
            | ClientRequest::Put { key, .. }
            | ClientRequest::Delete { key }
            | ClientRequest::Cas { key, .. }
            | ClientRequest::PutObject { key, .. }
            | ClientRequest::GetObject { key, .. }
            | ClientRequest::HeadObject { key, .. }
            | ClientRequest::DeleteObject { key, .. } => key,
            ClientRequest::CreateBucket { bucket }
            | ClientRequest::DeleteBucket { bucket }
            | ClientRequest::PutBucketVersioning { bucket, .. } => bucket,
            ClientRequest::ListObjects { prefix, .. }
            | ClientRequest::ListObjectVersions { prefix, .. } => prefix,
        }
    }
}

/// A coordinator's answer to a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientResponse {
    /// GET: the newest value among the replicas read (`None` = absent).
    Value(Option<String>),
    /// PUT/DELETE/CAS applied on at least W replicas.
    Done,
    /// CAS precondition did not hold; nothing was written. S3's 412
    /// Precondition Failed: `If-Match` named another value, or
    /// `If-None-Match: *` found the key present.
    PreconditionFailed,
    /// CAS met a concurrent conflicting change and gave up; nothing was
    /// written (certainly: a protocol answers it only when the write cannot
    /// have taken effect, else `WriteUnavailable`). S3's 409
    /// ConditionalRequestConflict: retry.
    ConditionalConflict,
    /// CAS with `from: Some(_)` (`If-Match`) on a key that is absent;
    /// nothing was written. S3's 404 NoSuchKey.
    NotFound,
    /// Read: fewer than R replicas answered; nothing happened.
    ReadUnavailable,
    /// Write: fewer than W replicas acknowledged in time; the write may still
    /// have been applied on some replicas (indeterminate).
    WriteUnavailable,
    /// GET/HEAD of an object version (boxed: the other answers are small).
    Object(Box<ObjectInfo>),
    /// PUT of an object: the version id it created (`null` unless versioning
    /// is enabled) and its ETag.
    Stored { version_id: String, etag: String },
    /// DELETE of an object: the version id it created (a delete marker) or
    /// removed (by version id), and whether that version is a delete marker.
    /// `version_id` is `None` for a plain DELETE with versioning off.
    Removed {
        version_id: Option<String>,
        delete_marker: bool,
    },
    /// A ListObjectsV2 page.
    Listing(ListPage),
    /// A ListObjectVersions page.
    Versions(VersionsPage),
    /// The request was refused; nothing was written.
    Error(S3Error),
    /// Refused before anything was applied, and nothing ever will be: the
    /// request is certainly not in effect, unlike `WriteUnavailable` (sent
    /// to replicas, maybe applied on some). Retry later. S3's 503 SlowDown.
    /// Answered by a node that turns a request away before serving it: a
    /// full service queue (the simulator's `service::overflow`, load shed
    /// before the handler runs) or a rebuilding node asked to coordinate a
    /// register write (`node::grace`). A client records it as `fail`, so a
    /// store that applies what it answers `Refused` is caught (a read of
    /// the refused value is a value never written).
    Refused,
}

/// A coordinator's request to one replica of a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplicaRequest {
    /// Return the local entry for `key`.
    Read { key: String },
    /// Store `entry` if it is newer than the local one (LWW merge).
    Write { key: String, entry: Entry },
    /// Hinted handoff: replica `intended` of `key` did not answer, so keep
    /// `entry` as a hint (not as a replica of the key) and deliver it to
    /// `intended` later. Answered `Written` once held, `Refused` if the hint
    /// queue is full.
    HintedWrite {
        key: String,
        entry: Entry,
        intended: NodeId,
    },
    /// Anti-entropy push-pull from node `from`: `entries` are the sender's
    /// entries for every key in `range` that both nodes replicate (at most
    /// [`MAX_SYNC_ENTRIES`]). The receiver merges the newer ones and answers with
    /// its own entries in `range` that are newer than what was sent or missing
    /// from it. The range tells the receiver which keys the message covers, so
    /// a capped message does not make the receiver think the sender lacks the
    /// keys beyond the cap.
    Sync {
        from: NodeId,
        range: KeyRange,
        entries: Vec<(String, Entry)>,
    },
    /// Return up to `limit` local entries (tombstones included) whose keys
    /// start with `prefix` and come after `after` (if set), in key order:
    /// the versions of one object, or a slice of a LIST.
    Scan {
        prefix: String,
        after: Option<String>,
        limit: u32,
    },
    /// Store every entry that is newer than the local one (LWW merge, one
    /// sync): write-back and read repair of an object's versions.
    WriteAll { entries: Vec<(String, Entry)> },
    /// Paxos phase 1 (`paxos` protocol): promise `key`'s acceptor state to
    /// `ballot`. `Promised` or `Rejected`.
    Prepare { key: String, ballot: Version },
    /// Paxos phase 2: accept `entry` (its version is the ballot) for `key`.
    /// `Accepted` or `Rejected`.
    Accept { key: String, entry: Entry },
    /// Membership: the driver of a movement pushes its layout; the receiver
    /// adopts it if newer and answers `LayoutHeld`.
    Layout { layout: Layout },
    /// Membership: node `to`, gaining ranges in layout `version`, asks an old
    /// owner for up to `limit` of its entries after `after` that `to` gains.
    /// `Stream`, or `Refused` if the receiver is not in that movement yet.
    Stream {
        to: NodeId,
        version: u64,
        after: Option<String>,
        limit: u32,
    },
}

/// Most entries in one anti-entropy message (either direction). Bounds the size
/// of a message and the work of one round; a round over more keys than this
/// covers a slice of the key space and the next round with the same peer
/// continues after it.
pub const MAX_SYNC_ENTRIES: usize = 10_000;

/// The keys `k` with `start <= k` and, if `end` is set, `k <= end` (both inclusive).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct KeyRange {
    pub start: String,
    pub end: Option<String>,
}

impl KeyRange {
    /// Every key.
    pub fn all() -> KeyRange {
        KeyRange {
            start: String::new(),
            end: None,
        }
    }

    pub fn contains(&self, key: &str) -> bool {
        self.start.as_str() <= key && self.end.as_deref().is_none_or(|end| key <= end)
    }
}

/// A replica's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplicaResponse {
    Read(Option<Entry>),
    /// The replica holds this write or a newer one (and has synced, as the sync
    /// policy demands). A replica acknowledges an older write too: after LWW
    /// merge it holds something at least as new.
    Written,
    /// The node does not serve this request: it is a router (it holds no
    /// data), or its hint queue is full. Counts as no answer.
    Refused,
    /// Answer to `Sync` from a node rebuilding after it was away past
    /// `gc_grace` (`node::grace`): it serves no round yet. Counts as no
    /// answer, except that a rebuilding node learns from it that this
    /// owner is alive and rebuilding too: when every other owner of a range
    /// says so, no healthy owner is left to rebuild from, and waiting would
    /// last forever.
    Rebuilding,
    /// Anti-entropy answer: the receiver's entries the sender should merge.
    Sync {
        entries: Vec<(String, Entry)>,
    },
    /// Scan answer: the entries, and whether they are all there are
    /// (`false`: `limit` was reached, more may follow the last one).
    Scan {
        entries: Vec<(String, Entry)>,
        complete: bool,
    },
    /// Under [`crate::Timestamps::CompletesLast`]: the replica holds the
    /// write's key at a newer version `newest` (an acknowledgement, and a
    /// request to re-stamp).
    WrittenBehind {
        newest: Version,
    },
    /// The replica's disk failed to store (or sync) the write: not
    /// acknowledged, and not recorded in memory. Counts as no answer.
    Failed,
    /// Paxos: the promise is made (and durable as the sync policy says);
    /// `accepted` is the entry this acceptor accepted last, if any.
    Promised {
        accepted: Option<Entry>,
    },
    /// Paxos: the entry is accepted.
    Accepted,
    /// Paxos: refused, a higher ballot `promised` was promised already.
    Rejected {
        promised: Version,
    },
    /// Membership: the layout version the node holds now, whether it holds
    /// every range it gains in that version's movement, and its layout when
    /// that is newer than the one it was sent.
    LayoutHeld {
        version: u64,
        synced: bool,
        newer: Option<Box<Layout>>,
    },
    /// Membership: a page of streamed entries; `next` is where the next page
    /// starts (`None`: the source has sent everything).
    Stream {
        entries: Vec<(String, Entry)>,
        next: Option<String>,
    },
}

/// Any message a node can receive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    Client(ClientRequest),
    Replica(ReplicaRequest),
    /// A client request (or policy change) in its authorisation envelope:
    /// verified, then judged by the bucket's policy, then served as the
    /// request it wraps (see [`crate::auth::envelope`]).
    Signed(Box<crate::auth::Signed>),
}

/// Any answer a node can send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Response {
    Client(ClientResponse),
    Replica(ReplicaResponse),
}

impl Request {
    /// A short, stable name of the message kind, for traces (`client-get`, `replica-write`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Request::Client(ClientRequest::Get { .. }) => "client-get",
            Request::Client(ClientRequest::Put { .. }) => "client-put",
            Request::Client(ClientRequest::Delete { .. }) => "client-delete",
            Request::Client(ClientRequest::Cas { .. }) => "client-cas",
            Request::Replica(ReplicaRequest::Read { .. }) => "replica-read",
            Request::Replica(ReplicaRequest::Write { .. }) => "replica-write",
            Request::Replica(ReplicaRequest::HintedWrite { .. }) => "replica-hinted-write",
            Request::Replica(ReplicaRequest::Sync { .. }) => "replica-sync",
            Request::Client(ClientRequest::CreateBucket { .. }) => "client-create-bucket",
            Request::Client(ClientRequest::DeleteBucket { .. }) => "client-delete-bucket",
            Request::Client(ClientRequest::PutBucketVersioning { .. }) => {
                "client-put-bucket-versioning"
            }
            Request::Client(ClientRequest::PutObject { .. }) => "client-put-object",
            Request::Client(ClientRequest::GetObject { .. }) => "client-get-object",
            Request::Client(ClientRequest::HeadObject { .. }) => "client-head-object",
            Request::Client(ClientRequest::DeleteObject { .. }) => "client-delete-object",
            Request::Client(ClientRequest::ListObjects { .. }) => "client-list-objects",
            Request::Client(ClientRequest::ListObjectVersions { .. }) => {
                "client-list-object-versions"
            }
            Request::Replica(ReplicaRequest::Scan { .. }) => "replica-scan",
            Request::Replica(ReplicaRequest::WriteAll { .. }) => "replica-write-all",
            Request::Replica(ReplicaRequest::Prepare { .. }) => "replica-prepare",
            Request::Replica(ReplicaRequest::Accept { .. }) => "replica-accept",
            Request::Replica(ReplicaRequest::Layout { .. }) => "replica-layout",
            Request::Replica(ReplicaRequest::Stream { .. }) => "replica-stream",
            Request::Signed(_) => "client-signed",
        }
    }

    /// The key the message is about; `""` for an anti-entropy `Sync`, which is
    /// about many keys; the bucket for a bucket request; the prefix for a
    /// listing or a scan; the object key (without its bucket) for an object
    /// request; the first key of a `WriteAll`.
    pub fn key(&self) -> &str {
        match self {
            Request::Client(request) => request.key(),
            Request::Signed(signed) => match &signed.operation {
                crate::auth::Operation::Client(request) => request.key(),
                crate::auth::Operation::PutBucketPolicy { bucket, .. }
                | crate::auth::Operation::DeleteBucketPolicy { bucket }
                | crate::auth::Operation::GetBucketPolicy { bucket } => bucket,
            },
            Request::Replica(
                ReplicaRequest::Read { key }
                | ReplicaRequest::Write { key, .. }
                | ReplicaRequest::HintedWrite { key, .. }
                | ReplicaRequest::Prepare { key, .. }
                | ReplicaRequest::Accept { key, .. },
            ) => key,
            Request::Replica(
                ReplicaRequest::Sync { .. }
                | ReplicaRequest::Layout { .. }
                | ReplicaRequest::Stream { .. },
            ) => "",
            Request::Replica(ReplicaRequest::Scan { prefix, .. }) => prefix,
            Request::Replica(ReplicaRequest::WriteAll { entries }) => {
                entries.first().map_or("", |(key, _)| key.as_str())
            }
        }
    }
}

impl Response {
    /// A short, stable name of the answer kind, for traces (`client-done`, `replica-written`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Response::Client(ClientResponse::Value(_)) => "client-value",
            Response::Client(ClientResponse::Done) => "client-done",
            Response::Client(ClientResponse::PreconditionFailed) => "client-precondition-failed",
            Response::Client(ClientResponse::ConditionalConflict) => "client-conditional-conflict",
            Response::Client(ClientResponse::NotFound) => "client-not-found",
            Response::Client(ClientResponse::ReadUnavailable) => "client-read-unavailable",
            Response::Client(ClientResponse::WriteUnavailable) => "client-write-unavailable",
            Response::Replica(ReplicaResponse::Read(_)) => "replica-read",
            Response::Replica(ReplicaResponse::Written) => "replica-written",
            Response::Replica(ReplicaResponse::Refused) => "replica-refused",
            Response::Replica(ReplicaResponse::Rebuilding) => "replica-rebuilding",
            Response::Replica(ReplicaResponse::Sync { .. }) => "replica-sync",
            Response::Replica(ReplicaResponse::Failed) => "replica-failed",
            Response::Replica(ReplicaResponse::WrittenBehind { .. }) => "replica-written-behind",
            Response::Replica(ReplicaResponse::Scan { .. }) => "replica-scan",
            Response::Client(ClientResponse::Object(_)) => "client-object",
            Response::Client(ClientResponse::Stored { .. }) => "client-stored",
            Response::Client(ClientResponse::Removed { .. }) => "client-removed",
            Response::Client(ClientResponse::Listing(_)) => "client-listing",
            Response::Client(ClientResponse::Versions(_)) => "client-versions",
            Response::Client(ClientResponse::Error(_)) => "client-error",
            Response::Client(ClientResponse::Refused) => "client-refused",
            Response::Replica(ReplicaResponse::Promised { .. }) => "replica-promised",
            Response::Replica(ReplicaResponse::Accepted) => "replica-accepted",
            Response::Replica(ReplicaResponse::Rejected { .. }) => "replica-rejected",
            Response::Replica(ReplicaResponse::LayoutHeld { .. }) => "replica-layout-held",
            Response::Replica(ReplicaResponse::Stream { .. }) => "replica-stream",
        }
    }
}

/// Every name [`Request::kind`] and [`Response::kind`] can return, sorted,
/// so that a simulation can refuse a misspelt kind (`messages =
/// "replica-writen"`) before it runs. Some names are both a request and
/// its answer (`replica-read`, `replica-sync`, `replica-scan`).
pub const KINDS: &[&str] = &[
    "client-cas",
    "client-create-bucket",
    "client-delete",
    "client-delete-bucket",
    "client-delete-object",
    "client-done",
    "client-error",
    "client-get",
    "client-get-object",
    "client-head-object",
    "client-list-object-versions",
    "client-list-objects",
    "client-listing",
    "client-object",
    "client-precondition-failed",
    "client-put",
    "client-put-bucket-versioning",
    "client-put-object",
    "client-read-unavailable",
    "client-removed",
    "client-stored",
    "client-value",
    "client-versions",
    "client-write-unavailable",
    "replica-accept",
    "replica-accepted",
    "replica-failed",
    "replica-hinted-write",
    "replica-prepare",
    "replica-promised",
    "replica-read",
    "replica-rebuilding",
    "replica-refused",
    "replica-rejected",
    "replica-scan",
    "replica-sync",
    "replica-write",
    "replica-write-all",
    "replica-written",
    "replica-written-behind",
];
