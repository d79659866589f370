//! Every message the store sends: client requests to a coordinator, and replica
//! requests from a coordinator to the replicas of a key.

use crate::version::Entry;
use serde::{Deserialize, Serialize};

/// A request from a client to any node, which then coordinates it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientRequest {
    Get { key: String },
    Put { key: String, value: String },
    Delete { key: String },
    /// Conditional PUT: write `to` only if the current value is `from`
    /// (`None` = only if absent; S3's `If-None-Match: *`).
    Cas { key: String, from: Option<String>, to: String },
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
}

/// A replica's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplicaResponse {
    Read(Option<Entry>),
    /// The write is stored (and synced, as the sync policy demands).
    Written,
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
        }
    }

    /// The key the message is about.
    pub fn key(&self) -> &str {
        match self {
            Request::Client(
                ClientRequest::Get { key }
                | ClientRequest::Put { key, .. }
                | ClientRequest::Delete { key }
                | ClientRequest::Cas { key, .. },
            ) => key,
            Request::Replica(ReplicaRequest::Read { key } | ReplicaRequest::Write { key, .. }) => {
                key
            }
        }
    }
}
