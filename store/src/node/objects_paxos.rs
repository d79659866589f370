//! Objects under `paxos`: GetObject, HeadObject, PutObject and DeleteObject
//! (plain and conditional) as CASPaxos rounds ([`super::paxos`]) on one
//! store key per object, so a conditional write is atomic: the condition is
//! judged on the value the round found, inside the round that writes.
//!
//! - **One key per object.** Versioning is refused under `paxos` (at
//!   scenario validation, and `PutBucketVersioning` answers
//!   `InvalidArgument`), so an object is its `null` version's store key
//!   ([`version_key`]), a consensus register whose value is an object
//!   record (`Record::Object`) or a tombstone. Its acceptors' promises live
//!   next to it (`replica::promise_key`); every reader of the object's
//!   range skips them, being tombstones.
//! - **GET/HEAD** is a round that keeps the value (and writes it back
//!   under the new ballot, as a register GET does); **PUT** proposes the
//!   new record; **DELETE** a tombstone (versioning off: no marker). A
//!   `condition` refused (412 `PreconditionFailed`, 404 `NotFound`) keeps
//!   the value; a conditional write whose every round lost its prepare to
//!   another proposer answers 409 `ConditionalConflict`.
//! - **Version ids.** The only one is `null`: GET or DELETE by `null` acts
//!   on the object; any other id names nothing (`NoSuchVersion`; a DELETE
//!   of it is answered removed, as deleting is idempotent).
//! - **Buckets** stay ABD registers under `paxos` (read with `abd_read`,
//!   written with a logical version above every one read), and **LIST**
//!   reads each object key from all but N − R nodes, merged by ballot
//!   (the highest accepted entry among a majority; no write-back): per key,
//!   not linearizable with the rounds (an entry accepted by a minority
//!   that a later round overrides may show in one listing), which is what
//!   `list-after-write` asks.

use super::Node;
use super::coordinator::refusal;
use super::paxos::{Kind, Proposal};
use crate::clock::Clock;
use crate::disk::Disk;
use crate::keyspace::{NULL_VERSION, version_key};
use crate::message::ClientResponse;
use crate::object::ObjectMeta;
use crate::s3::{Condition, ObjectInfo, S3Error};
use crate::transport::Transport;
use crate::version::{Entry, Record};
use std::sync::Arc;

/// The current object's ETag in a round's current entry (`None`: absent,
/// deleted or a delete marker).
fn current_etag(current: Option<&Entry>) -> Option<&str> {
    match current.and_then(|c| c.record.as_ref()) {
        Some(Record::Object(meta)) => Some(meta.etag.as_str()),
        _ => None,
    }
}

/// `None` (acts on the object) for no version id or `null`; else the id,
/// which names nothing under `paxos`.
fn other_version(version_id: Option<&str>) -> Option<&str> {
    version_id.filter(|id| *id != NULL_VERSION)
}

impl<T: Transport, C: Clock, D: Disk> Node<T, C, D> {
    /// GetObject/HeadObject of `bucket/key` (bucket, key and existence
    /// checked by the caller) as a round that keeps the value.
    pub(super) async fn paxos_get_object(
        self: &Arc<Self>,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> ClientResponse {
        if other_version(version_id).is_some() {
            return ClientResponse::Error(S3Error::NoSuchVersion);
        }
        let store_key = version_key(bucket, key, NULL_VERSION);
        self.paxos(&store_key, Kind::Read, |current| {
            let answer = match current.and_then(|c| c.record.as_ref()) {
                Some(Record::Object(meta)) => ClientResponse::Object(Box::new(ObjectInfo {
                    key: key.to_string(),
                    version_id: NULL_VERSION.to_string(),
                    meta: meta.clone(),
                })),
                _ => ClientResponse::Error(S3Error::NoSuchKey {
                    delete_marker: None,
                }),
            };
            (Proposal::keep(current), answer)
        })
        .await
    }

    /// PutObject of `meta` (validated by the caller), if `condition` holds
    /// on the value the round finds.
    pub(super) async fn paxos_put_object(
        self: &Arc<Self>,
        bucket: &str,
        key: &str,
        meta: ObjectMeta,
        condition: Option<&Condition>,
    ) -> ClientResponse {
        let store_key = version_key(bucket, key, NULL_VERSION);
        let kind = condition.map_or(Kind::Write, |_| Kind::Conditional);
        self.paxos(&store_key, kind, |current| {
            let refused = condition.and_then(|c| refusal(c.expected_etag(), current_etag(current)));
            match refused {
                Some(refused) => (Proposal::keep(current), refused),
                None => {
                    let proposal = Proposal {
                        value: None,
                        record: Some(Record::Object(meta.clone())),
                    };
                    let stored = ClientResponse::Stored {
                        version_id: NULL_VERSION.to_string(),
                        etag: meta.etag.clone(),
                    };
                    (proposal, stored)
                }
            }
        })
        .await
    }

    /// DeleteObject (versioning off: a tombstone, no marker), if
    /// `condition` holds on the value the round finds.
    pub(super) async fn paxos_delete_object(
        self: &Arc<Self>,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        condition: Option<&Condition>,
    ) -> ClientResponse {
        if let Some(id) = other_version(version_id) {
            return ClientResponse::Removed {
                version_id: Some(id.to_string()),
                delete_marker: false,
            };
        }
        let removed = ClientResponse::Removed {
            version_id: version_id.map(str::to_string),
            delete_marker: false,
        };
        let store_key = version_key(bucket, key, NULL_VERSION);
        let kind = condition.map_or(Kind::Write, |_| Kind::Conditional);
        self.paxos(&store_key, kind, |current| {
            let refused = condition.and_then(|c| refusal(c.expected_etag(), current_etag(current)));
            match refused {
                Some(refused) => (Proposal::keep(current), refused),
                None => {
                    let tombstone = Proposal {
                        value: None,
                        record: None,
                    };
                    (tombstone, removed.clone())
                }
            }
        })
        .await
    }
}
