//! Objects under `paxos`: GetObject, HeadObject, PutObject and DeleteObject
//! (plain, conditional and by version id) as CASPaxos rounds
//! ([`super::paxos`]) on one store key per object, so a conditional write
//! is atomic: the condition is judged on the value the round found, inside
//! the round that writes.
//!
//! - **One key per object.** An object is one consensus register at its
//!   `null` version's store key ([`version_key`]). Its acceptors' promises
//!   live next to it (`replica::promise_key`); every reader of the
//!   object's range skips them, being tombstones.
//! - **Unversioned** (the bucket's versioning off, the register holding no
//!   version list): the register's value is the object record
//!   (`Record::Object`) or a tombstone, as before versioning existed. GET
//!   or DELETE by `null` acts on the object; any other id names nothing
//!   (`NoSuchVersion`; a DELETE of it is answered removed, as deleting is
//!   idempotent).
//! - **Versioned** (versioning enabled or suspended, or a register that
//!   already holds a list): the register's value is the object's whole
//!   version list, `Record::Versions`, oldest first, each version stamped
//!   with the ballot of the round that created it — unique and above every
//!   version the round saw, so the newest version is the last PUT or
//!   DELETE the rounds chose, and its id ([`Version::version_id`]) is never
//!   reused. One round decides the whole change: a PUT appends a version
//!   (suspended: replaces the `null` one), a DELETE appends a delete marker
//!   (suspended: the `null` one), a DELETE by id removes that version (no
//!   marker; the next newest becomes current), a GET reads the list. An
//!   unversioned object met by a versioned write becomes its `null`
//!   version. Why one register and not a key per version: a conditional
//!   write is judged on the current version, which depends on every
//!   version; a round that reads and replaces them all keeps that atomic
//!   with no second protocol. The cost is a list that travels with every
//!   round of the object (bounded by [`MAX_OBJECT_ENTRIES`]).
//! - **Conditions** are judged on the current version only (S3): its ETag
//!   if it is an object; a current delete marker counts as no object. A
//!   condition refused (412 `PreconditionFailed`, 404 `NotFound`) keeps
//!   the value; a conditional write whose every round lost its prepare to
//!   another proposer answers 409 `ConditionalConflict`.
//! - **Buckets** stay ABD registers under `paxos` (read with `abd_read`,
//!   written with a logical version above every one read), and **LIST**
//!   reads each object key from all but N − R nodes, merged by ballot
//!   (the highest accepted entry among a majority; no write-back), a
//!   version list read as its versions: per key, not linearizable with
//!   the rounds (an entry accepted by a minority that a later round
//!   overrides may show in one listing), which is what `list-after-write`
//!   asks.

use super::Node;
use super::coordinator::refusal;
use super::paxos::{Kind, Proposal};
use super::range::MAX_OBJECT_ENTRIES;
use crate::bucket::Versioning;
use crate::clock::Clock;
use crate::disk::Disk;
use crate::keyspace::{NULL_VERSION, version_key};
use crate::message::ClientResponse;
use crate::object::ObjectMeta;
use crate::s3::{Condition, ObjectInfo, S3Error};
use crate::transport::Transport;
use crate::version::{Entry, KeptVersion, Record, Version};
use std::sync::Arc;

/// Whether a round on `current` keeps the object as a version list: the
/// bucket is versioned, or the register already holds one (a write that
/// read the bucket before versioning was enabled must not drop versions).
fn versioned(versioning: Versioning, current: Option<&Entry>) -> bool {
    versioning != Versioning::Off
        || matches!(
            current.and_then(|c| c.record.as_ref()),
            Some(Record::Versions(_))
        )
}

/// The object's versions in `current`, oldest first: a version list as it
/// is, an unversioned object as its `null` version, nothing otherwise.
fn versions_of(current: Option<&Entry>) -> Vec<KeptVersion> {
    let Some(entry) = current else {
        return Vec::new();
    };
    let null = |object: Option<ObjectMeta>| KeptVersion {
        id: NULL_VERSION.to_string(),
        version: entry.version,
        object,
    };
    match &entry.record {
        Some(Record::Versions(list)) => list.clone(),
        Some(Record::Object(meta)) => vec![null(Some(meta.clone()))],
        Some(Record::DeleteMarker) => vec![null(None)],
        Some(Record::Bucket(_)) | None => Vec::new(),
    }
}

/// The current object's ETag in a round's current entry (`None`: absent,
/// deleted or a delete marker is current).
fn current_etag(current: Option<&Entry>) -> Option<String> {
    match current.and_then(|c| c.record.as_ref()) {
        Some(Record::Object(meta)) => Some(meta.etag.clone()),
        Some(Record::Versions(list)) => list.last()?.object.as_ref().map(|m| m.etag.clone()),
        _ => None,
    }
}

/// What a round proposes for a version list: the list, or a tombstone
/// once the last version is gone.
fn proposal_of(list: Vec<KeptVersion>) -> Proposal {
    debug_assert!(
        list.windows(2).all(|w| w[0].version < w[1].version),
        "a version list is ordered by version, each version once"
    );
    Proposal {
        value: None,
        record: (!list.is_empty()).then_some(Record::Versions(list)),
    }
}

/// Adds a version created by the round with `ballot` (above every version
/// in `list`): a new id under `Enabled`, else the `null` version, replacing
/// the old `null` one. `None` when the list is full.
fn add_version(
    mut list: Vec<KeptVersion>,
    versioning: Versioning,
    ballot: Version,
    object: Option<ObjectMeta>,
) -> Option<(Vec<KeptVersion>, String)> {
    let id = match versioning {
        Versioning::Enabled => ballot.version_id(),
        Versioning::Off | Versioning::Suspended => NULL_VERSION.to_string(),
    };
    list.retain(|v| v.id != id);
    if list.len() >= MAX_OBJECT_ENTRIES {
        return None;
    }
    debug_assert!(list.last().is_none_or(|v| v.version < ballot));
    list.push(KeptVersion {
        id: id.clone(),
        version: ballot,
        object,
    });
    Some((list, id))
}

/// `None` (acts on the object) for no version id or `null`; else the id,
/// which names nothing in an unversioned object.
fn other_version(version_id: Option<&str>) -> Option<&str> {
    version_id.filter(|id| *id != NULL_VERSION)
}

/// GET of `version_id` (`None`: the current version) in `list`.
fn get_answer(key: &str, list: &[KeptVersion], version_id: Option<&str>) -> ClientResponse {
    let found = match version_id {
        None => list.last(),
        Some(id) => list.iter().find(|v| v.id == id),
    };
    match (found, version_id) {
        (
            Some(KeptVersion {
                id,
                object: Some(meta),
                ..
            }),
            _,
        ) => ClientResponse::Object(Box::new(ObjectInfo {
            key: key.to_string(),
            version_id: id.clone(),
            meta: meta.clone(),
        })),
        (Some(marker), None) => ClientResponse::Error(S3Error::NoSuchKey {
            delete_marker: Some(marker.id.clone()),
        }),
        (Some(_), Some(_)) => ClientResponse::Error(S3Error::MethodNotAllowed),
        (None, None) => ClientResponse::Error(S3Error::NoSuchKey {
            delete_marker: None,
        }),
        (None, Some(_)) => ClientResponse::Error(S3Error::NoSuchVersion),
    }
}

impl<T: Transport, C: Clock, D: Disk> Node<T, C, D> {
    /// GetObject/HeadObject of `bucket/key` (bucket, key and existence
    /// checked by the caller) as a round that keeps the value.
    pub(super) async fn paxos_get_object(
        self: &Arc<Self>,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        versioning: Versioning,
    ) -> ClientResponse {
        if versioning == Versioning::Off && other_version(version_id).is_some() {
            return ClientResponse::Error(S3Error::NoSuchVersion);
        }
        let store_key = version_key(bucket, key, NULL_VERSION);
        self.paxos(&store_key, Kind::Read, |current, _| {
            let answer = if versioned(versioning, current) {
                get_answer(key, &versions_of(current), version_id)
            } else {
                match current.and_then(|c| c.record.as_ref()) {
                    Some(Record::Object(meta)) => ClientResponse::Object(Box::new(ObjectInfo {
                        key: key.to_string(),
                        version_id: NULL_VERSION.to_string(),
                        meta: meta.clone(),
                    })),
                    _ => ClientResponse::Error(S3Error::NoSuchKey {
                        delete_marker: None,
                    }),
                }
            };
            (Proposal::keep(current), answer)
        })
        .await
    }

    /// One write round on `bucket/key`'s register (its `null` version's
    /// key) that first judges `condition` on the current version: when it
    /// fails the round keeps the value and answers the refusal (412, or
    /// 404 for `If-Match` on nothing), so the check and the write are one
    /// atomic step; otherwise `decide` chooses what to propose.
    async fn write_round<F>(
        self: &Arc<Self>,
        bucket: &str,
        key: &str,
        condition: Option<&Condition>,
        decide: F,
    ) -> ClientResponse
    where
        F: Fn(Option<&Entry>, Version) -> (Proposal, ClientResponse) + Sync,
    {
        let store_key = version_key(bucket, key, NULL_VERSION);
        let kind = condition.map_or(Kind::Write, |_| Kind::Conditional);
        self.paxos(&store_key, kind, |current, ballot| {
            let etag = current_etag(current);
            if let Some(refused) =
                condition.and_then(|c| refusal(c.expected_etag(), etag.as_deref()))
            {
                return (Proposal::keep(current), refused);
            }
            decide(current, ballot)
        })
        .await
    }

    /// PutObject of `meta` (validated by the caller), if `condition` holds
    /// on the current version the round finds.
    pub(super) async fn paxos_put_object(
        self: &Arc<Self>,
        bucket: &str,
        key: &str,
        meta: ObjectMeta,
        condition: Option<&Condition>,
        versioning: Versioning,
    ) -> ClientResponse {
        self.write_round(bucket, key, condition, |current, ballot| {
            if !versioned(versioning, current) {
                let proposal = Proposal {
                    value: None,
                    record: Some(Record::Object(meta.clone())),
                };
                let stored = ClientResponse::Stored {
                    version_id: NULL_VERSION.to_string(),
                    etag: meta.etag.clone(),
                };
                return (proposal, stored);
            }
            let added = add_version(versions_of(current), versioning, ballot, Some(meta.clone()));
            match added {
                None => (
                    Proposal::keep(current),
                    ClientResponse::Error(S3Error::TooManyVersions),
                ),
                Some((list, version_id)) => {
                    let stored = ClientResponse::Stored {
                        version_id,
                        etag: meta.etag.clone(),
                    };
                    (proposal_of(list), stored)
                }
            }
        })
        .await
    }

    /// DeleteObject, if `condition` holds on the current version the round
    /// finds: unversioned, a tombstone; versioned, a delete marker, or with
    /// a `version_id` that version's permanent removal.
    pub(super) async fn paxos_delete_object(
        self: &Arc<Self>,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        condition: Option<&Condition>,
        versioning: Versioning,
    ) -> ClientResponse {
        if versioning == Versioning::Off
            && let Some(id) = other_version(version_id)
        {
            return ClientResponse::Removed {
                version_id: Some(id.to_string()),
                delete_marker: false,
            };
        }
        let removed = ClientResponse::Removed {
            version_id: version_id.map(str::to_string),
            delete_marker: false,
        };
        self.write_round(bucket, key, condition, |current, ballot| {
            if !versioned(versioning, current) {
                let tombstone = Proposal {
                    value: None,
                    record: None,
                };
                return (tombstone, removed.clone());
            }
            let list = versions_of(current);
            match version_id {
                Some(id) => remove_version(current, list, id),
                None => match add_version(list, versioning, ballot, None) {
                    None => (
                        Proposal::keep(current),
                        ClientResponse::Error(S3Error::TooManyVersions),
                    ),
                    Some((list, id)) => (
                        proposal_of(list),
                        ClientResponse::Removed {
                            version_id: Some(id),
                            delete_marker: true,
                        },
                    ),
                },
            }
        })
        .await
    }
}

/// DELETE `?versionId=id` on a version list: that version removed for
/// good (no marker); a version the list does not hold is answered removed
/// with the list kept (deleting is idempotent).
fn remove_version(
    current: Option<&Entry>,
    mut list: Vec<KeptVersion>,
    id: &str,
) -> (Proposal, ClientResponse) {
    let Some(at) = list.iter().position(|v| v.id == id) else {
        let removed = ClientResponse::Removed {
            version_id: Some(id.to_string()),
            delete_marker: false,
        };
        return (Proposal::keep(current), removed);
    };
    let gone = list.remove(at);
    let removed = ClientResponse::Removed {
        version_id: Some(id.to_string()),
        delete_marker: gone.object.is_none(),
    };
    (proposal_of(list), removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::Body;

    fn meta(sequence: u64) -> ObjectMeta {
        let body = Body {
            writer: 1,
            sequence,
            size: 1,
        };
        ObjectMeta {
            etag: body.etag(),
            body,
            metadata: Default::default(),
            last_modified_ns: 0,
        }
    }

    fn ballot(timestamp: u64) -> Version {
        Version { timestamp, node: 2 }
    }

    #[test]
    fn a_version_list_adds_replaces_null_and_answers_gets() {
        let old = Entry::record(ballot(1), Some(Record::Object(meta(1))));
        let list = versions_of(Some(&old));
        assert_eq!(list[0].id, NULL_VERSION);
        let (list, v2) = add_version(list, Versioning::Enabled, ballot(2), Some(meta(2))).unwrap();
        assert_eq!(v2, ballot(2).version_id());
        let (list, marker) = add_version(list, Versioning::Enabled, ballot(3), None).unwrap();
        assert_eq!(
            get_answer("k", &list, None),
            ClientResponse::Error(S3Error::NoSuchKey {
                delete_marker: Some(marker.clone())
            })
        );
        assert_eq!(
            get_answer("k", &list, Some(&marker)),
            ClientResponse::Error(S3Error::MethodNotAllowed)
        );
        assert_eq!(
            get_answer("k", &list, Some("nope")),
            ClientResponse::Error(S3Error::NoSuchVersion)
        );
        // Suspended: the null version is replaced, the others kept.
        let (list, id) =
            add_version(list, Versioning::Suspended, ballot(4), Some(meta(4))).unwrap();
        assert_eq!(id, NULL_VERSION);
        let ids: Vec<&str> = list.iter().map(|v| v.id.as_str()).collect();
        assert_eq!(ids, [v2.as_str(), marker.as_str(), NULL_VERSION]);
        let current = Entry::record(ballot(4), Some(Record::Versions(list.clone())));
        assert_eq!(current_etag(Some(&current)), Some(meta(4).etag));
        // Removing the current version makes the next newest current.
        let (proposal, answer) = remove_version(Some(&current), list, NULL_VERSION);
        assert_eq!(
            answer,
            ClientResponse::Removed {
                version_id: Some(NULL_VERSION.into()),
                delete_marker: false
            }
        );
        let Some(Record::Versions(left)) = proposal.record else {
            panic!("a list")
        };
        assert_eq!(left.len(), 2);
        assert_eq!(left.last().map(|v| v.id.as_str()), Some(marker.as_str()));
    }

    #[test]
    fn a_full_list_refuses_a_new_version() {
        let list: Vec<KeptVersion> = (1..=MAX_OBJECT_ENTRIES as u64)
            .map(|t| KeptVersion {
                id: ballot(t).version_id(),
                version: ballot(t),
                object: None,
            })
            .collect();
        let next = ballot(MAX_OBJECT_ENTRIES as u64 + 1);
        assert!(add_version(list, Versioning::Enabled, next, None).is_none());
    }
}
