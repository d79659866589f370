//! Tombstone collection after a grace period, and what a node that was away
//! longer than that period does when it comes back ([`Rejoin`]).
//!
//! With [`ClusterConfig::gc_grace`](crate::ClusterConfig::gc_grace) set, each
//! anti-entropy round first drops up to [`GC_PER_ROUND`] tombstones whose
//! timestamp is older than the grace period on this node's clock (under
//! `eventual`/`quorum` a tombstone's timestamp is its coordinator's clock, as
//! Cassandra's local deletion time is). A delete must therefore reach every
//! replica within the grace period: a replica that missed it (down with its
//! disk, or cut off) still holds the deleted value, and once the others have
//! collected the tombstone nothing says that value is dead, so anti-entropy
//! and read repair copy it back: the delete is undone.
//!
//! Every node records, on its disk under [`CONTACT_KEY`], when it last
//! completed an anti-entropy round with a peer. It is *away* when that is
//! longer ago than the grace period (checked on start, at every round and
//! before answering a read). With [`Rejoin::RepairFirst`] an away node
//! rebuilds before serving: it refuses reads, scans, anti-entropy and stream
//! requests and coordinates no register write, pulls every range it holds from the other owners (paged
//! anti-entropy requests carrying nothing), and is done once, for every range,
//! R of the other owners that are not themselves rebuilding sent everything.
//! It then drops each of its entries older than the grace period that no
//! source sent at that version or newer: such an entry was acknowledged by W
//! replicas, so with R + W > N one of the R sources held it or what
//! superseded it; holding neither, that source collected the tombstone of a
//! delete this node missed. Entries younger than the grace period cannot be
//! behind a collected tombstone (its timestamp would be younger still), as
//! long as clock error is small against the grace period.
//!
//! Away spreads: a rebuilding node answers anti-entropy
//! [`ReplicaResponse::Rebuilding`], so its peers' rounds fail too and they
//! may be away in turn; faults that cut every round for a grace period
//! (or a grace period shorter than the anti-entropy interval) make every
//! owner away at once. Waiting for healthy owners would then last forever
//! (growth fuzz cases 1184, 3577 and 3643 never converged), and so would
//! two away owners that each count the other among the R they need. So a
//! range whose other owners all either sent everything or answered
//! `Rebuilding` (alive and rebuilding) counts as rebuilt, though fewer than
//! R vouch for it: the node ends its rebuild dropping nothing and serves
//! again, and the others then rebuild from it. Too few sources vouch then,
//! so what a stale owner holds may come back (a collected delete undone) as
//! it would with `rejoin = "as-is"`; the replicas converge.
//!
//! Known limits: an away node waits for R healthy owners per range while
//! any other owner may be down rather than rebuilding (a down owner cannot
//! say which); a node cut off from some peers only (a partial partition) is
//! not away.

use super::{Node, lock};
use crate::NodeId;
use crate::clock::Clock;
use crate::config::Rejoin;
use crate::disk::Disk;
use crate::keyspace::placement;
use crate::membership::is_node_local;
use crate::message::{ClientRequest, KeyRange, MAX_SYNC_ENTRIES, ReplicaRequest, ReplicaResponse};
use crate::transport::Transport;
use crate::version::{Entry, Version};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Where a node keeps the clock reading of its last completed anti-entropy round.
pub const CONTACT_KEY: &str = "\u{1}m/contact";

/// Most tombstones one anti-entropy round collects.
pub const GC_PER_ROUND: usize = 1024;

/// A node's grace state in memory; `last_contact` is also on disk.
#[derive(Default)]
pub(super) struct GraceState {
    /// Clock reading of the last completed round with a peer (or of the
    /// node's first start): `None` until the node knows.
    last_contact: Option<u64>,
    rebuild: Option<Rebuild>,
}

/// A rebuild in progress.
struct Rebuild {
    /// Per source: where its next page starts, and whether it sent everything.
    sources: BTreeMap<NodeId, (String, bool)>,
    /// Per key, the newest version a source sent (bounded by the keys this
    /// node replicates).
    confirmed: BTreeMap<String, Version>,
    /// Sources whose latest answer was `Rebuilding` (bounded by the nodes).
    rebuilding: BTreeSet<NodeId>,
}

impl<T: Transport, C: Clock, D: Disk> Node<T, C, D> {
    /// On start: the last contact recorded on disk (or now, for a node that
    /// never had one), and a rebuild if it is older than the grace period.
    pub(super) fn start_grace(&self) {
        let Some(replica) = &self.replica else { return };
        if self.config.gc_grace.is_none() {
            return;
        }
        let stored = (replica.get(CONTACT_KEY))
            .and_then(|entry| entry.value)
            .and_then(|text| text.parse::<u64>().ok());
        let now = self.clock.now_ns();
        lock(&self.grace).last_contact = Some(stored.unwrap_or(now));
        if stored.is_none() {
            self.record_contact(now);
        }
        self.rejoining();
    }

    /// Whether this node must not serve reads yet: it is rebuilding, or it
    /// has just found itself away (and starts a rebuild). Always false
    /// unless `gc_grace` is set and `rejoin = repair-first`.
    pub(super) fn rejoining(&self) -> bool {
        let (Some(grace), Rejoin::RepairFirst) = (self.config.gc_grace, self.config.rejoin) else {
            return false;
        };
        let now = self.clock.now_ns();
        let mut state = lock(&self.grace);
        if state.rebuild.is_some() {
            return true;
        }
        let since = now.saturating_sub(state.last_contact.unwrap_or(now));
        if u128::from(since) <= grace.as_nanos() {
            return false;
        }
        state.rebuild = Some(Rebuild {
            sources: BTreeMap::new(),
            confirmed: BTreeMap::new(),
            rebuilding: BTreeSet::new(),
        });
        true
    }

    /// Whether this node refuses to coordinate `request`: a register write
    /// (put, delete, cas) while it is rebuilding. Such a node is one that
    /// was cut off, so its write would reach its own disk only; a tombstone
    /// written so, younger than the grace period when the rebuild ends, is
    /// kept (no source can confirm it, and it is too young to be one of the
    /// values whose tombstones were collected), then spreads by read repair
    /// and anti-entropy when it is already about to be collected: collected
    /// on the replicas it reached before it reached the one still holding
    /// the value it deleted, it brings that value back (a delete seen, then
    /// undone: seed 157 of `ring-gc-grace-repair-first`). Refused before
    /// anything is written, answered `ClientResponse::Refused`: the client
    /// knows the write did not happen (`fail`, not `info`). Always false
    /// unless `rejoin = repair-first`.
    pub(super) fn refuses_to_coordinate(&self, request: &ClientRequest) -> bool {
        let writes = matches!(
            request,
            ClientRequest::Put { .. } | ClientRequest::Delete { .. } | ClientRequest::Cas { .. }
        );
        writes && self.rejoining()
    }

    /// After a completed anti-entropy round: records the contact (on disk
    /// once it is a tenth of the grace period newer than the stored one).
    pub(super) fn contact(&self) {
        let Some(grace) = self.config.gc_grace else {
            return;
        };
        let now = self.clock.now_ns();
        let mut state = lock(&self.grace);
        let stale = state
            .last_contact
            .is_none_or(|last| u128::from(now.saturating_sub(last)) * 10 > grace.as_nanos());
        if stale {
            state.last_contact = Some(now);
            drop(state);
            self.record_contact(now);
        }
    }

    /// Stores `now` as the last contact (a failed write leaves the older one:
    /// the node may then rebuild when it need not, never the reverse).
    fn record_contact(&self, now: u64) {
        let Some(replica) = &self.replica else { return };
        let version = Version {
            timestamp: now,
            node: self.id,
        };
        let _ = replica.merge(
            CONTACT_KEY,
            &Entry::register(version, Some(now.to_string())),
        );
    }

    /// Drops up to [`GC_PER_ROUND`] tombstones older than the grace period.
    pub(super) fn collect_tombstones(&self) {
        let (Some(replica), Some(grace)) = (&self.replica, self.config.gc_grace) else {
            return;
        };
        let now = u128::from(self.clock.now_ns());
        let expired = |entry: &Entry| u128::from(entry.version.timestamp) + grace.as_nanos() < now;
        let doomed: Vec<(String, Version)> = replica
            .scan(&KeyRange::all(), GC_PER_ROUND, |key, entry| {
                entry.is_tombstone() && !is_node_local(key) && expired(entry)
            })
            .into_iter()
            .map(|(key, entry)| (key, entry.version))
            .collect();
        // A failed removal leaves the tombstones: the next round tries again.
        let _ = replica.remove_if_unchanged(&doomed);
    }

    /// One round of a rebuild: a page from every source not yet done, then,
    /// if every range has R done sources, the stale entries dropped and the
    /// rebuild over.
    pub(super) async fn rebuild_round(self: &Arc<Self>) {
        let Some(replica) = &self.replica else { return };
        let others = self.other_owners();
        let pending: Vec<(NodeId, String)> = {
            let mut state = lock(&self.grace);
            let Some(rebuild) = state.rebuild.as_mut() else {
                return;
            };
            for lists in &others {
                for node in lists {
                    rebuild
                        .sources
                        .entry(*node)
                        .or_insert((String::new(), false));
                }
            }
            (rebuild.sources.iter())
                .filter(|(_, (_, done))| !done)
                .map(|(node, (cursor, _))| (*node, cursor.clone()))
                .collect()
        };
        let calls = pending.into_iter().map(|(source, start)| {
            let request = ReplicaRequest::Sync {
                from: self.id,
                range: KeyRange { start, end: None },
                entries: Vec::new(),
            };
            async move { (source, self.call_replica(source, request).await) }
        });
        for (source, answer) in futures::future::join_all(calls).await {
            let entries = match answer {
                Some(ReplicaResponse::Sync { entries }) => entries,
                Some(ReplicaResponse::Rebuilding) => {
                    if let Some(rebuild) = lock(&self.grace).rebuild.as_mut() {
                        rebuild.rebuilding.insert(source);
                    }
                    continue; // ask again next round
                }
                _ => continue, // down or cut off: ask again next round
            };
            let mine = (entries.iter())
                .filter(|(key, _)| !is_node_local(key) && self.replicates_any(key))
                .take(MAX_SYNC_ENTRIES);
            if replica
                .merge_all(mine.clone().map(|(key, entry)| (key.as_str(), entry)))
                .is_err()
            {
                continue; // the next round asks for the same page
            }
            let mut state = lock(&self.grace);
            let Some(rebuild) = state.rebuild.as_mut() else {
                return;
            };
            rebuild.rebuilding.remove(&source);
            for (key, entry) in mine {
                let newest = rebuild
                    .confirmed
                    .entry(key.clone())
                    .or_insert(entry.version);
                *newest = (*newest).max(entry.version);
            }
            let next = match entries.last() {
                Some((last, _)) if entries.len() == MAX_SYNC_ENTRIES => {
                    (format!("{last}\0"), false)
                }
                _ => (String::new(), true),
            };
            rebuild.sources.insert(source, next);
        }
        self.finish_rebuild(&others);
    }

    /// Ends the rebuild if every range has R (at most all) of its other
    /// owners done, or only done and rebuilding ones (stranded: see the
    /// module doc): drops the stale entries (none if a range was stranded:
    /// fewer than R sources cannot vouch for a drop), records the contact.
    fn finish_rebuild(&self, others: &[Vec<NodeId>]) {
        let (Some(replica), Some(grace)) = (&self.replica, self.config.gc_grace) else {
            return;
        };
        let confirmed = {
            let state = lock(&self.grace);
            let Some(rebuild) = state.rebuild.as_ref() else {
                return;
            };
            let done = |n: &NodeId| rebuild.sources.get(n).is_some_and(|(_, done)| *done);
            let read_quorum = self.config.read_quorum as usize;
            let rebuilt = |list: &Vec<NodeId>| {
                list.iter().filter(|n| done(n)).count() >= read_quorum.min(list.len())
            };
            // Every other owner either sent everything or is rebuilding too
            // (which it may never stop doing while this node waits for it).
            let stranded = |list: &Vec<NodeId>| {
                (list.iter()).all(|n| done(n) || rebuild.rebuilding.contains(n))
            };
            if !others.iter().all(|list| rebuilt(list) || stranded(list)) {
                return;
            }
            let keep_all = others.iter().any(|list| !rebuilt(list));
            (!keep_all).then(|| rebuild.confirmed.clone())
        };
        let now_ns = self.clock.now_ns();
        let now = u128::from(now_ns);
        let doomed: Vec<(String, Version)> = match &confirmed {
            None => Vec::new(),
            Some(confirmed) => replica.scan(&KeyRange::all(), usize::MAX, |key, entry| {
                !is_node_local(key)
                    && u128::from(entry.version.timestamp) + grace.as_nanos() < now
                    && confirmed.get(key).is_none_or(|v| *v < entry.version)
            }),
        }
        .into_iter()
        .map(|(key, entry)| (key, entry.version))
        .collect();
        if replica.remove_if_unchanged(&doomed).is_err() {
            return; // the next round tries again
        }
        let mut state = lock(&self.grace);
        state.rebuild = None;
        state.last_contact = Some(now_ns);
        drop(state);
        self.record_contact(now_ns);
    }

    /// For every arc of every active ring that this node owns, its other
    /// owners (deduplicated): whom a rebuild needs R of, per range.
    fn other_owners(&self) -> Vec<Vec<NodeId>> {
        let routing = self.routing();
        let n = self.config.replicas;
        let rings = std::iter::once(&routing.old).chain(routing.new.as_ref());
        let mut lists: Vec<Vec<NodeId>> = rings
            .flat_map(|ring| ring.tokens().map(move |end| ring.list_at(end, n)))
            .filter(|list| list.contains(&self.id))
            .map(|list| list.into_iter().filter(|m| *m != self.id).collect())
            .collect();
        lists.sort_unstable();
        lists.dedup();
        lists
    }

    /// Whether this node holds `key` in any active layout.
    fn replicates_any(&self, key: &str) -> bool {
        (self.routing()).replicates(self.id, placement(key), self.config.replicas)
    }
}
