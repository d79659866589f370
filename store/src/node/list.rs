//! LIST across the ring: ListObjectsV2 and ListObjectVersions.
//!
//! The objects under a prefix live on different preference lists, so no
//! single replica set has them all. A coordinator finds every key under the
//! prefix by asking **every storage node** for its entries in the range (a
//! `Scan` of at most [`LIST_SCAN_ENTRIES`] store keys, in key order), and
//! needs answers from all but N − R of them: then every key's preference
//! list (N nodes) has at least R answering members, so each key is judged by
//! R of its replicas, as GET judges it — a key none of them holds is absent
//! for this LIST. Per object key, the answers merge by LWW per version (the
//! protocol's read rule, as [`super::range`] applies it to one object);
//! tombstones, deleted keys and objects whose current version is a delete
//! marker are hidden. Under `abd` every object the round covers is written
//! back (what fewer than W answers held) before the page is returned, so a
//! later read or LIST never sees less; the LWW protocols do no read repair
//! on LIST (anti-entropy converges what GETs do not read).
//!
//! Consistency is per key, not a snapshot across keys (as S3 documents).
//!
//! Bounds: a round scans at most [`LIST_SCAN_ENTRIES`] store keys per node
//! and covers the objects below the first key some node could not send; one
//! request runs at most [`LIST_ROUNDS`] rounds and returns at most
//! [`MAX_KEYS`] entries. A page may end early (even empty) with a
//! continuation token, as S3 allows.

use super::Node;
use super::coordinator::Unavailable;
use super::range::{Merged, ScanAnswers, merge};
use crate::NodeId;
use crate::clock::Clock;
use crate::config::Protocol;
use crate::deadline::timeout;
use crate::disk::Disk;
use crate::keyspace::{objects_prefix, split_version_key};
use crate::message::{ClientResponse, ReplicaRequest, ReplicaResponse};
use crate::s3::{ListPage, ListedObject, ListedVersion, MAX_KEYS, S3Error, VersionsPage};
use crate::transport::Transport;
use crate::version::{Entry, Record, Version};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Most store keys one node returns per LIST round (more than
/// [`super::range::MAX_OBJECT_ENTRIES`], so a round always covers at least one whole object).
pub const LIST_SCAN_ENTRIES: usize = 2048;

/// Most gathering rounds one LIST request runs before returning its page.
pub const LIST_ROUNDS: usize = 8;

/// Where a listing resumes: after store key `objects_prefix + after`; for
/// ListObjectVersions cut inside object `after`, after the exact version
/// `marker` (S3's `KeyMarker` + `VersionIdMarker`). Travels as the opaque
/// token `"{timestamp}.{node}.{version id}:{after}"`, or `":{after}"`.
///
/// Why the version and not a count: versions are listed newest first, and
/// between two pages a version can be added (newest, or anywhere under a
/// skewed clock) or permanently deleted; a count of versions already
/// listed would then repeat one or skip one. Resuming strictly below the
/// last listed `(version, id)` in that order does neither.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cursor {
    after: String,
    marker: Option<Marker>,
}

/// The last version a page listed of a cut object: its place in the
/// newest-first order.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Marker {
    version: Version,
    id: String,
}

impl Cursor {
    fn token(&self) -> String {
        match &self.marker {
            None => format!(":{}", self.after),
            Some(m) => format!(
                "{}.{}.{}:{}",
                m.version.timestamp, m.version.node, m.id, self.after
            ),
        }
    }

    fn parse(token: &str) -> Option<Cursor> {
        let (head, after) = token.split_once(':')?;
        let marker = match head {
            "" => None,
            _ => {
                let mut parts = head.splitn(3, '.');
                let timestamp = parts.next()?.parse().ok()?;
                let node = parts.next()?.parse().ok()?;
                let id = parts.next()?.to_string();
                Some(Marker {
                    version: Version { timestamp, node },
                    id,
                })
            }
        };
        Some(Cursor {
            after: after.to_string(),
            marker,
        })
    }

    /// Resume after every version of object `key`. Version ids are ASCII
    /// below U+007F, so `key\0\u{7f}` sorts after all of them and before the next object.
    fn after_object(key: &str) -> Cursor {
        Cursor {
            after: format!("{key}\0\u{7f}"),
            marker: None,
        }
    }
}

/// One object's versions as a LIST round judged them: the merged entries
/// per version key (tombstones included).
struct Judged {
    key: String,
    versions: BTreeMap<String, Entry>,
}

impl Judged {
    /// Live versions and markers, newest first (by entry version, then
    /// version id, so the order is total): `(version id, entry)`.
    fn newest_first(&self) -> Vec<(&str, &Entry)> {
        let mut live: Vec<(&str, &Entry)> = (self.versions.iter())
            .filter(|(_, entry)| entry.record.is_some())
            .map(|(id, entry)| (id.as_str(), entry))
            .collect();
        live.sort_by(|(a, x), (b, y)| (y.version, *b).cmp(&(x.version, *a)));
        live
    }
}

/// What a listing's visit of one object says: go on, or the page is full
/// (the cursor says where the next page starts).
enum Visit {
    Next,
    Full,
}

/// One replica's entries for one object.
type Held = Vec<(String, Entry)>;

/// What one round gathered: the objects it covers, in key order, and where
/// the next round starts (`None`: the range is done).
struct Round {
    objects: Vec<Judged>,
    next: Option<String>,
}

impl<T: Transport, C: Clock, D: Disk> Node<T, C, D> {
    /// ListObjectsV2 over `bucket` (whose existence the caller checked).
    pub(super) async fn list_objects(
        self: &Arc<Self>,
        bucket: &str,
        prefix: &str,
        max_keys: u32,
        continuation: Option<String>,
    ) -> ClientResponse {
        let page = self.page(
            bucket,
            prefix,
            max_keys,
            continuation,
            |object, cursor, objects, max_keys| {
                if objects.len() >= max_keys {
                    // Objects remain unvisited: truncated (they may all be
                    // deleted ones; S3 allows such a page).
                    return Visit::Full;
                }
                *cursor = Cursor::after_object(&object.key);
                let current = object.newest_first().first().map(|(_, entry)| *entry);
                if let Some(Entry {
                    record: Some(Record::Object(meta)),
                    ..
                }) = current
                {
                    objects.push(ListedObject {
                        key: object.key.clone(),
                        etag: meta.etag.clone(),
                        size: meta.size(),
                        last_modified_ns: meta.last_modified_ns,
                    });
                }
                Visit::Next
            },
        );
        match page.await {
            Ok((objects, continuation)) => ClientResponse::Listing(ListPage {
                objects,
                continuation,
            }),
            Err(answer) => answer,
        }
    }

    /// ListObjectVersions over `bucket` (whose existence the caller checked).
    pub(super) async fn list_versions(
        self: &Arc<Self>,
        bucket: &str,
        prefix: &str,
        max_keys: u32,
        continuation: Option<String>,
    ) -> ClientResponse {
        let page = self.page(
            bucket,
            prefix,
            max_keys,
            continuation,
            |object, cursor, versions, max_keys| {
                let live = object.newest_first();
                // The marker names a version of the object the page was cut in.
                let mut last = (cursor.marker.take()).filter(|_| cursor.after == object.key);
                let resume = last.clone();
                let listed_before = |entry: &Entry, id: &str| {
                    (resume.as_ref())
                        .is_some_and(|m| (entry.version, id) >= (m.version, m.id.as_str()))
                };
                for (index, (id, entry)) in live.iter().enumerate() {
                    if listed_before(entry, id) {
                        continue;
                    }
                    if versions.len() >= max_keys {
                        // Resume at this object (its key sorts below its
                        // versions), after the last version listed.
                        cursor.after = object.key.clone();
                        cursor.marker = last;
                        return Visit::Full;
                    }
                    let meta = match &entry.record {
                        Some(Record::Object(meta)) => Some(meta.clone()),
                        _ => None,
                    };
                    versions.push(ListedVersion {
                        key: object.key.clone(),
                        version_id: id.to_string(),
                        is_latest: index == 0,
                        meta,
                    });
                    last = Some(Marker {
                        version: entry.version,
                        id: id.to_string(),
                    });
                }
                *cursor = Cursor::after_object(&object.key);
                Visit::Next
            },
        );
        match page.await {
            Ok((versions, continuation)) => ClientResponse::Versions(VersionsPage {
                versions,
                continuation,
            }),
            Err(answer) => answer,
        }
    }

    /// The paging both listings share: from the request's cursor, gathering
    /// rounds (at most [`LIST_ROUNDS`]) hand each covered object, in key
    /// order, to `visit`, which adds its entries to the page (at most the
    /// page size it is handed), moves the cursor past what it took, and
    /// says when the page is full. `(entries,
    /// continuation)`, or the answer that ends the request (a malformed
    /// token, `ReadUnavailable`).
    async fn page<E>(
        self: &Arc<Self>,
        bucket: &str,
        prefix: &str,
        max_keys: u32,
        continuation: Option<String>,
        mut visit: impl FnMut(&Judged, &mut Cursor, &mut Vec<E>, usize) -> Visit,
    ) -> Result<(Vec<E>, Option<String>), ClientResponse> {
        let (mut cursor, max_keys) = start(prefix, max_keys, continuation)?;
        let mut entries = Vec::new();
        if max_keys == 0 {
            return Ok((entries, None));
        }
        // Bounded: LIST_ROUNDS rounds.
        for _ in 0..LIST_ROUNDS {
            let round = match self.list_round(bucket, prefix, &cursor.after).await {
                Ok(round) => round,
                Err(Unavailable) => return Err(ClientResponse::ReadUnavailable),
            };
            for object in &round.objects {
                if let Visit::Full = visit(object, &mut cursor, &mut entries, max_keys) {
                    return Ok((entries, Some(cursor.token())));
                }
                debug_assert!(entries.len() <= max_keys);
            }
            match round.next {
                Some(next) => {
                    // A marker names a version of object `after` only.
                    if next != cursor.after {
                        cursor.marker = None;
                    }
                    cursor.after = next;
                }
                None => return Ok((entries, None)),
            }
            if entries.len() >= max_keys {
                break;
            }
        }
        Ok((entries, Some(cursor.token())))
    }

    /// Whether `bucket` holds any object version or delete marker (for
    /// DeleteBucket). Judged as a LIST; a bucket too large to finish within
    /// [`LIST_ROUNDS`] counts as not empty.
    pub(super) async fn bucket_has_versions(
        self: &Arc<Self>,
        bucket: &str,
    ) -> Result<bool, Unavailable> {
        let mut after = String::new();
        // Bounded: LIST_ROUNDS rounds.
        for _ in 0..LIST_ROUNDS {
            let round = self.list_round(bucket, "", &after).await?;
            if round.objects.iter().any(|o| !o.newest_first().is_empty()) {
                return Ok(true);
            }
            match round.next {
                Some(next) => after = next,
                None => return Ok(false),
            }
        }
        Ok(true)
    }

    /// One gathering round over the objects of `bucket` under `prefix`
    /// after store key suffix `after`: scan every storage node, judge each
    /// covered object by its replicas' answers, write back under `abd`.
    async fn list_round(
        self: &Arc<Self>,
        bucket: &str,
        prefix: &str,
        after: &str,
    ) -> Result<Round, Unavailable> {
        let base = objects_prefix(bucket);
        let answers = self
            .scan_everywhere(&format!("{base}{prefix}"), &format!("{base}{after}"))
            .await?;
        // The objects below the first key some node could not send are covered.
        let bound: Option<String> = (answers.iter())
            .filter(|(_, _, complete)| !complete)
            .filter_map(|(_, entries, _)| entries.last())
            .filter_map(|(key, _)| {
                split_version_key(&base, key).map(|(object, _)| object.to_string())
            })
            .min();
        let mut per_object: BTreeMap<&str, BTreeMap<NodeId, Held>> = BTreeMap::new();
        for (node, entries, _) in &answers {
            for (key, entry) in entries {
                let Some((object, _)) = split_version_key(&base, key) else {
                    continue;
                };
                if bound.as_deref().is_some_and(|bound| object >= bound) {
                    continue;
                }
                let held = per_object
                    .entry(object)
                    .or_default()
                    .entry(*node)
                    .or_default();
                held.push((key.clone(), entry.clone()));
            }
        }
        let mut objects = Vec::with_capacity(per_object.len());
        let mut settle = Vec::new();
        for (object, held) in per_object {
            let object_answers: ScanAnswers = held.into_iter().collect();
            let merged: Merged =
                merge(object_answers.iter().map(|(_, entries)| entries.as_slice()));
            let mut versions = BTreeMap::new();
            for (key, (entry, _)) in merged.iter() {
                let Some((_, id)) = split_version_key(&base, key) else {
                    continue;
                };
                match &entry.record {
                    // paxos: one register holds every version (objects_paxos).
                    Some(Record::Versions(list)) => {
                        versions.extend(list.iter().map(|v| (v.id.clone(), v.entry())));
                    }
                    _ => {
                        versions.insert(id.to_string(), entry.clone());
                    }
                }
            }
            objects.push(Judged {
                key: object.to_string(),
                versions,
            });
            if self.config.protocol == Protocol::Abd {
                settle.push((object_answers, merged));
            }
        }
        // abd: every covered object's read rule, concurrently (bounded by the round's objects).
        let written = futures::future::join_all(
            (settle.iter()).map(|(answers, merged)| self.apply_read_rule(answers, merged)),
        )
        .await;
        if written.iter().any(Result::is_err) {
            return Err(Unavailable);
        }
        // The next round resumes after store key `base + bound`, which sorts
        // just below the bound object's first version.
        Ok(Round {
            objects,
            next: bound,
        })
    }

    /// Scans `prefix` after store key `after` on every storage node; the
    /// answers of the first `nodes - (N - R)` to answer within
    /// `replica_timeout`, each `(node, entries, complete)`.
    async fn scan_everywhere(
        self: &Arc<Self>,
        prefix: &str,
        after: &str,
    ) -> Result<Vec<(NodeId, Vec<(String, Entry)>, bool)>, Unavailable> {
        let nodes: Vec<NodeId> = (0..self.config.nodes).collect();
        let needed =
            (self.config.nodes - (self.config.replicas - self.config.read_quorum)) as usize;
        let scan = ReplicaRequest::Scan {
            prefix: prefix.to_string(),
            after: Some(after.to_string()),
            limit: LIST_SCAN_ENTRIES as u32,
        };
        let mut answers = self.broadcast(&nodes, scan);
        let mut gathered = Vec::with_capacity(nodes.len());
        let collect = async {
            // Bounded: at most one answer per node, then the channel closes.
            while gathered.len() < needed {
                match answers.recv().await {
                    Some((node, ReplicaResponse::Scan { entries, complete })) => {
                        gathered.push((node, entries, complete));
                    }
                    Some(_) => {}
                    None => break,
                }
            }
        };
        let _ = timeout(self.config.replica_timeout, collect).await;
        if gathered.len() < needed {
            return Err(Unavailable);
        }
        Ok(gathered)
    }
}

/// The cursor a LIST starts from and its page size, or the error answer for
/// a malformed token or prefix.
fn start(
    prefix: &str,
    max_keys: u32,
    continuation: Option<String>,
) -> Result<(Cursor, usize), ClientResponse> {
    let invalid = |why: String| Err(ClientResponse::Error(S3Error::InvalidArgument(why)));
    if prefix.contains('\0') {
        return invalid(format!("prefix {prefix:?} holds a NUL character"));
    }
    let cursor = match continuation {
        None => Cursor {
            after: String::new(),
            marker: None,
        },
        Some(token) => match Cursor::parse(&token) {
            Some(cursor) => cursor,
            None => {
                return invalid(format!(
                    "continuation token {token:?} is not one this store issued"
                ));
            }
        },
    };
    // `max_keys` 0 asks for nothing: an empty page, not truncated (a token
    // would lead a client that follows it round in circles).
    Ok((cursor, max_keys.min(MAX_KEYS) as usize))
}
