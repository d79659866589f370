//! Anti-entropy: background push-pull between pairs of replicas, so that
//! replicas converge even for keys nobody reads (read repair only fixes what is
//! read) and after writes that reached fewer than N replicas.

use super::replica::Replica;
use super::{Node, lock};
use crate::NodeId;
use crate::clock::Clock;
use crate::disk::Disk;
use crate::keyspace::placement;
use crate::membership::is_node_local;
use crate::message::{
    KeyRange, MAX_SYNC_ENTRIES, ReplicaRequest, ReplicaResponse, Request, Response,
};
use crate::transport::Transport;
use crate::version::Entry;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Where a node's anti-entropy is: the peer of the next round and, per peer,
/// the first key of the next round with it (rounds over more than
/// [`MAX_SYNC_ENTRIES`] keys cover the key space in slices).
pub(super) struct AntiEntropyState {
    next_peer: NodeId,
    cursors: BTreeMap<NodeId, String>,
}

impl AntiEntropyState {
    pub(super) fn new(id: NodeId) -> Self {
        AntiEntropyState {
            next_peer: id.wrapping_add(1),
            cursors: BTreeMap::new(),
        }
    }
}

impl<T: Transport, C: Clock, D: Disk> Node<T, C, D> {
    /// One anti-entropy round with the next peer (round robin over the other
    /// nodes), after collecting expired tombstones (or, for a node back from
    /// longer than `gc_grace` away, one round of its rebuild instead; see
    /// `node::grace`): pushes this node's entries for the keys both replicate, merges
    /// what the peer answers. A lost round changes nothing; the next round with
    /// that peer retries the same slice. A router has nothing to reconcile.
    pub async fn anti_entropy_round(self: &Arc<Self>) {
        let Some(replica) = &self.replica else {
            return;
        };
        // A rebuilding node keeps its tombstones: they are evidence against
        // the older values its pages may bring.
        if self.rejoining() {
            return self.rebuild_round().await;
        }
        self.collect_tombstones();
        let Some(peer) = self.next_peer() else {
            return; // a one-node cluster has nobody to reconcile with
        };
        let (range, entries) = self.sync_slice(replica, peer);
        let request = Request::Replica(ReplicaRequest::Sync {
            from: self.id,
            range: range.clone(),
            entries,
        });
        let answer = self
            .transport
            .call(peer, request, self.config.replica_timeout)
            .await;
        if let (false, Ok(Response::Replica(ReplicaResponse::Sync { entries }))) = (
            crate::planted::on(crate::planted::Bug::AntiEntropyPushOnly),
            answer,
        ) {
            let mine = entries
                .iter()
                .filter(|(key, _)| range.contains(key) && self.replicates(self.id, key));
            let merged = replica.merge_all(
                mine.take(MAX_SYNC_ENTRIES)
                    .map(|(key, entry)| (key.as_str(), entry)),
            );
            // On a disk error the next round with that peer retries the slice.
            if merged.is_ok() {
                self.advance_cursor(peer, &range);
                self.contact();
            }
        }
    }

    /// The peer side of a round: merges the newer of the sender's entries
    /// (answering `Failed` if its disk refuses them), then answers with this node's entries in `range` (for keys both replicate) that
    /// are newer than the sender's or that the sender lacks.
    pub(super) fn serve_sync(
        &self,
        replica: &Replica<D>,
        from: NodeId,
        range: &KeyRange,
        entries: &[(String, Entry)],
    ) -> ReplicaResponse {
        let incoming = entries
            .iter()
            .filter(|(key, _)| range.contains(key) && self.replicates(self.id, key));
        let merged = replica.merge_all(
            incoming
                .take(MAX_SYNC_ENTRIES)
                .map(|(key, entry)| (key.as_str(), entry)),
        );
        if merged.is_err() {
            return ReplicaResponse::Failed;
        }
        let sent: BTreeMap<&str, &Entry> = entries
            .iter()
            .map(|(key, entry)| (key.as_str(), entry))
            .collect();
        let entries = replica.scan(range, MAX_SYNC_ENTRIES, |key, entry| {
            sent.get(key).is_none_or(|theirs| entry.supersedes(theirs))
                && self.replicates(from, key)
        });
        ReplicaResponse::Sync { entries }
    }

    /// The next peer in round robin, skipping this node; `None` if there is none.
    fn next_peer(&self) -> Option<NodeId> {
        let nodes = self.config.nodes;
        if nodes < 2 {
            return None;
        }
        let mut state = lock(&self.anti_entropy);
        let mut peer = state.next_peer % nodes;
        if peer == self.id {
            peer = (peer + 1) % nodes;
        }
        state.next_peer = (peer + 1) % nodes;
        debug_assert_ne!(peer, self.id);
        Some(peer)
    }

    /// This node's entries for the next slice of keys that `peer` replicates,
    /// and the key range the slice covers: from the peer's cursor to the end of
    /// the key space, or to the last key sent if the cap was reached.
    fn sync_slice(&self, replica: &Replica<D>, peer: NodeId) -> (KeyRange, Vec<(String, Entry)>) {
        let start = lock(&self.anti_entropy)
            .cursors
            .get(&peer)
            .cloned()
            .unwrap_or_default();
        let open = KeyRange { start, end: None };
        let entries = replica.scan(&open, MAX_SYNC_ENTRIES, |key, _| self.replicates(peer, key));
        let end = match entries.last() {
            Some((last, _)) if entries.len() == MAX_SYNC_ENTRIES => Some(last.clone()),
            _ => None,
        };
        (
            KeyRange {
                start: open.start,
                end,
            },
            entries,
        )
    }

    /// After a completed round: the next one with `peer` starts right after
    /// `range`, or from the first key again once the whole key space was covered.
    fn advance_cursor(&self, peer: NodeId, range: &KeyRange) {
        let mut state = lock(&self.anti_entropy);
        match &range.end {
            // The smallest key greater than `end`.
            Some(end) => state.cursors.insert(peer, format!("{end}\0")),
            None => state.cursors.remove(&peer),
        };
    }

    /// Whether `node` holds `key` in any active layout (never the layout
    /// itself, which travels by its own messages).
    fn replicates(&self, node: NodeId, key: &str) -> bool {
        !is_node_local(key)
            && (self.routing()).replicates(node, placement(key), self.config.replicas)
    }
}
