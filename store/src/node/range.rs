//! The protocol's read and write of one object's versions.
//!
//! An object's versions are store keys with one prefix and one placement
//! (see [`crate::keyspace`]), so one replica `Scan` returns them all. A read
//! asks the object's N replicas, takes the first R answers and merges them
//! per store key by LWW (the greater version wins, as for a register). Then
//! each protocol's read rule, applied to every version at once:
//! - `quorum`/`eventual`: read repair in the background if enabled (the
//!   first R answerers get what they lack);
//! - `abd`: every merged entry that fewer than W answers held is written back
//!   to W replicas before the read returns, so no later read sees less.

use super::Node;
use super::coordinator::Unavailable;
use crate::NodeId;
use crate::clock::Clock;
use crate::config::Protocol;
use crate::deadline::timeout;
use crate::disk::Disk;
use crate::message::{ReplicaRequest, ReplicaResponse};
use crate::transport::Transport;
use crate::version::Entry;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Most store keys (versions, delete markers, permanent-delete tombstones)
/// one object may hold: an object read returns them all in one scan, so a
/// versioned write beyond it is refused (`TooManyVersions`).
pub const MAX_OBJECT_ENTRIES: usize = 1000;

/// Most entries one replica `Scan` answer or `WriteAll` carries: bounds a
/// message and a replica's work per request.
pub(crate) const MAX_SCAN_ENTRIES: usize = 4096;

/// Replica scan answers: `(replica, its entries)`.
pub(super) type ScanAnswers = Vec<(NodeId, Vec<(String, Entry)>)>;

/// Per store key, the newest entry among some answers and how many of those
/// answers held exactly it.
pub(super) type Merged = BTreeMap<String, (Entry, usize)>;

/// Merges replica answers per store key by LWW.
pub(super) fn merge<'a>(answers: impl IntoIterator<Item = &'a [(String, Entry)]>) -> Merged {
    let mut merged: Merged = BTreeMap::new();
    for entries in answers {
        for (key, entry) in entries {
            match merged.get_mut(key) {
                Some((held, holders)) if held == entry => *holders += 1,
                Some((held, holders)) if entry.supersedes(held) => {
                    (*held, *holders) = (entry.clone(), 1);
                }
                Some(_) => {}
                None => {
                    merged.insert(key.clone(), (entry.clone(), 1));
                }
            }
        }
    }
    merged
}

impl<T: Transport, C: Clock, D: Disk> Node<T, C, D> {
    /// Scans `prefix` (one object's versions) on the N replicas of its
    /// placement and returns the first R answers, or `Unavailable` if R do
    /// not come within `replica_timeout`.
    pub(super) async fn query_range(
        self: &Arc<Self>,
        prefix: &str,
    ) -> Result<ScanAnswers, Unavailable> {
        let replicas = self.replicas_of(prefix);
        let scan = ReplicaRequest::Scan {
            prefix: prefix.to_string(),
            after: None,
            limit: MAX_OBJECT_ENTRIES as u32 + 1,
        };
        let mut answers = self.broadcast(&replicas, scan);
        let quorum = self.config.read_quorum as usize;
        let mut first = Vec::with_capacity(quorum);
        let collect = async {
            // Bounded: at most N answers arrive, then the channel closes.
            while first.len() < quorum {
                match answers.recv().await {
                    Some((replica, ReplicaResponse::Scan { entries, .. })) => {
                        first.push((replica, entries));
                    }
                    Some(_) => {}
                    None => break,
                }
            }
        };
        let _ = timeout(self.config.replica_timeout, collect).await;
        if first.len() < quorum {
            return Err(Unavailable);
        }
        Ok(first)
    }

    /// The protocol's read of one object's versions (store keys under
    /// `prefix`): the newest entry per store key, tombstones included.
    pub(super) async fn read_range(
        self: &Arc<Self>,
        prefix: &str,
    ) -> Result<BTreeMap<String, Entry>, Unavailable> {
        let answers = self.query_range(prefix).await?;
        let merged = merge(answers.iter().map(|(_, entries)| entries.as_slice()));
        self.apply_read_rule(&answers, &merged).await?;
        Ok(merged
            .into_iter()
            .map(|(key, (entry, _))| (key, entry))
            .collect())
    }

    /// After merging `answers` of the replicas of one placement: `abd` writes
    /// back what fewer than W held (failing if W do not acknowledge); the LWW
    /// protocols repair the answerers in the background if read repair is on.
    pub(super) async fn apply_read_rule(
        self: &Arc<Self>,
        answers: &ScanAnswers,
        merged: &Merged,
    ) -> Result<(), Unavailable> {
        match self.config.protocol {
            // Paxos never gets here: its objects are rounds (`objects_paxos`), its LIST reads without write-back.
            Protocol::Abd | Protocol::Paxos => {
                let quorum = self.config.write_quorum as usize;
                let behind: Vec<(String, Entry)> = (merged.iter())
                    .filter(|(_, (_, holders))| *holders < quorum)
                    .map(|(key, (entry, _))| (key.clone(), entry.clone()))
                    .collect();
                if behind.is_empty() || self.write_all(behind).await {
                    Ok(())
                } else {
                    Err(Unavailable)
                }
            }
            Protocol::Eventual | Protocol::Quorum => {
                if self.config.read_repair {
                    for (replica, entries) in answers {
                        self.repair_range(*replica, entries, merged);
                    }
                }
                Ok(())
            }
        }
    }

    /// Sends `replica` the merged entries it lacks or holds older, in the background.
    fn repair_range(self: &Arc<Self>, replica: NodeId, held: &[(String, Entry)], merged: &Merged) {
        let held: BTreeMap<&str, &Entry> = held.iter().map(|(k, e)| (k.as_str(), e)).collect();
        let missing: Vec<(String, Entry)> = (merged.iter())
            .filter(|(key, (entry, _))| held.get(key.as_str()).is_none_or(|h| entry.supersedes(h)))
            .map(|(key, (entry, _))| (key.clone(), entry.clone()))
            .take(MAX_SCAN_ENTRIES)
            .collect();
        if missing.is_empty() {
            return;
        }
        let node = Arc::clone(self);
        tokio::spawn(async move {
            let write = ReplicaRequest::WriteAll { entries: missing };
            node.call_replica(replica, write).await;
        });
    }

    /// Writes `entries` (store keys of one placement, at most
    /// [`MAX_SCAN_ENTRIES`]) to the N replicas of that placement and returns
    /// whether W acknowledged in time. One entry goes as a plain write (with
    /// hinted handoff, if on).
    pub(super) async fn write_all(self: &Arc<Self>, mut entries: Vec<(String, Entry)>) -> bool {
        if entries.len() == 1 {
            let (key, entry) = entries.pop().expect("one entry");
            return self.write_entry(key, entry).await;
        }
        let Some((first, _)) = entries.first() else {
            return true;
        };
        debug_assert!(entries.len() <= MAX_SCAN_ENTRIES);
        let replicas = self.replicas_of(first);
        let mut answers = self.broadcast(&replicas, ReplicaRequest::WriteAll { entries });
        let quorum = self.config.write_quorum as usize;
        let acks = async {
            let mut acks = 0;
            // Bounded: at most N answers arrive, then the channel closes.
            while acks < quorum {
                match answers.recv().await {
                    Some((_, ReplicaResponse::Written)) => acks += 1,
                    Some(_) => {}
                    None => break,
                }
            }
            acks
        };
        matches!(timeout(self.config.replica_timeout, acks).await, Ok(acks) if acks >= quorum)
    }
}
