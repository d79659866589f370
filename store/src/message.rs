//! Every message the store sends: client requests to a coordinator, and replica
//! requests from a coordinator to the replicas of a key.

use crate::NodeId;
use crate::version::Entry;
use serde::{Deserialize, Serialize};

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
    /// (`None` = only if absent; S3's `If-None-Match: *`).
    Cas {
        key: String,
        from: Option<String>,
        to: String,
    },
}

/// A coordinator's answer to a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientResponse {
    /// GET: the newest value among the replicas read (`None` = absent).
    Value(Option<String>),
    /// PUT/DELETE/CAS applied on at least W replicas.
    Done,
    /// CAS precondition did not hold; nothing was written.
    PreconditionFailed,
    /// Read: fewer than R replicas answered; nothing happened.
    ReadUnavailable,
    /// Write: fewer than W replicas acknowledged in time; the write may still
    /// have been applied on some replicas (indeterminate).
    WriteUnavailable,
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
    /// Anti-entropy answer: the receiver's entries the sender should merge.
    Sync {
        entries: Vec<(String, Entry)>,
    },
    /// The replica's disk failed to store (or sync) the write: not
    /// acknowledged, and not recorded in memory. Counts as no answer.
    Failed,
}

/// Any message a node can receive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    Client(ClientRequest),
    Replica(ReplicaRequest),
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
        }
    }

    /// The key the message is about; `""` for an anti-entropy `Sync`, which is
    /// about many keys.
    pub fn key(&self) -> &str {
        match self {
            Request::Client(
                ClientRequest::Get { key }
                | ClientRequest::Put { key, .. }
                | ClientRequest::Delete { key }
                | ClientRequest::Cas { key, .. },
            ) => key,
            Request::Replica(
                ReplicaRequest::Read { key }
                | ReplicaRequest::Write { key, .. }
                | ReplicaRequest::HintedWrite { key, .. },
            ) => key,
            Request::Replica(ReplicaRequest::Sync { .. }) => "",
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
            Response::Client(ClientResponse::ReadUnavailable) => "client-read-unavailable",
            Response::Client(ClientResponse::WriteUnavailable) => "client-write-unavailable",
            Response::Replica(ReplicaResponse::Read(_)) => "replica-read",
            Response::Replica(ReplicaResponse::Written) => "replica-written",
            Response::Replica(ReplicaResponse::Refused) => "replica-refused",
            Response::Replica(ReplicaResponse::Sync { .. }) => "replica-sync",
            Response::Replica(ReplicaResponse::Failed) => "replica-failed",
        }
    }
}
