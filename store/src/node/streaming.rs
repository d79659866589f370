//! Streaming the ranges a node gains in a movement ([`crate::membership`]).
//!
//! A gaining node asks the old owners of what it gains for those entries, a page of
//! [`STREAM_PAGE`] entries per owner per round, and merges them (LWW). It
//! waits one write deadline after learning of the `Streaming` phase before
//! its first page: every coordinator writes to it by then (the driver moved
//! on only once all held `WriteBoth`), so a write acknowledged before the
//! scan reached the old owners' disks is in the scan, and one acknowledged
//! after is on the gaining node too. A range counts as held once R of its
//! old owners have sent everything (a read quorum: it meets every
//! acknowledged write), or from one (its primary) with
//! [`MoveDesign::StreamFromAny`], which may have missed a quorum write.

use super::replica::Replica;
use super::{Node, lock};
use crate::NodeId;
use crate::clock::Clock;
use crate::disk::Disk;
use crate::keyspace::placement;
use crate::membership::{MoveDesign, Movement, Phase, Routing, is_node_local};
use crate::message::{KeyRange, ReplicaRequest, ReplicaResponse};
use crate::ring::key_hash;
use crate::transport::Transport;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Most entries in one streamed page.
pub const STREAM_PAGE: u32 = 256;

/// Where a gaining node's streaming is, for one movement target.
pub(super) struct Streaming {
    /// The members the movement ends with: a new target restarts streaming.
    target: Vec<NodeId>,
    /// The movement's first version ([`Movement::started`]): a new movement
    /// restarts streaming even with the same target (join, leave, join
    /// again: what the node held the first time it has dropped since).
    started: u64,
    /// Rounds left to wait before the first page.
    wait_rounds: u32,
    /// Per old owner: where its next page starts, and whether it sent all.
    sources: BTreeMap<NodeId, (Option<String>, bool)>,
    synced: bool,
}

impl Streaming {
    /// Whether streaming is done for `movement`'s target.
    pub(super) fn synced_for(&self, movement: &Movement) -> bool {
        self.synced && self.is_for(movement)
    }

    fn is_for(&self, movement: &Movement) -> bool {
        self.target == movement.target && self.started == movement.started
    }
}

impl<T: Transport, C: Clock, D: Disk> Node<T, C, D> {
    /// One round of streaming: a page from every old owner that has not
    /// sent everything, then whether every gained range is held.
    pub(super) async fn stream_round(self: &Arc<Self>) {
        let routing = self.routing();
        let Some(movement) = routing.layout.movement.clone() else {
            return;
        };
        let n = self.config.replicas;
        let gains = routing.gains(self.id, n);
        if gains.is_empty() || self.replica.is_none() {
            return;
        }
        let pending: Vec<(NodeId, Option<String>)> = {
            let mut moves = lock(&self.moves);
            let fresh = (moves.streaming.as_ref()).is_none_or(|s| !s.is_for(&movement));
            if fresh {
                moves.streaming = Some(self.start_streaming(&routing, &movement));
            }
            let streaming = moves.streaming.as_mut().expect("set above");
            if streaming.synced {
                return;
            }
            if streaming.wait_rounds > 0 {
                streaming.wait_rounds -= 1;
                return;
            }
            (streaming.sources.iter())
                .filter(|(_, (_, done))| !done)
                .map(|(source, (after, _))| (*source, after.clone()))
                .collect()
        };
        let version = routing.layout.version;
        let calls = pending.iter().map(|(source, after)| {
            let request = ReplicaRequest::Stream {
                to: self.id,
                version,
                after: after.clone(),
                limit: STREAM_PAGE,
            };
            async move { (*source, self.call_replica(*source, request).await) }
        });
        let pages = futures::future::join_all(calls).await;
        let replica = self.replica.as_ref().expect("checked above");
        for (source, page) in pages {
            let Some(ReplicaResponse::Stream { entries, next }) = page else {
                continue;
            };
            let mine = (entries.iter())
                .filter(|(key, _)| routing.replicates(self.id, placement(key), n))
                .take(STREAM_PAGE as usize);
            if replica
                .merge_all(mine.map(|(key, entry)| (key.as_str(), entry)))
                .is_err()
            {
                continue; // the next round asks for the same page
            }
            let mut moves = lock(&self.moves);
            let Some(streaming) = moves.streaming.as_mut() else {
                return;
            };
            if let Some(state) = streaming.sources.get_mut(&source) {
                *state = (next.clone(), next.is_none());
            }
        }
        let need = match routing.design() {
            MoveDesign::StreamFromAny => 1,
            _ => self.config.read_quorum as usize,
        };
        let mut moves = lock(&self.moves);
        if let Some(streaming) = moves.streaming.as_mut() {
            let done = |n: &NodeId| streaming.sources.get(n).is_some_and(|(_, done)| *done);
            streaming.synced = gains
                .iter()
                .all(|(_, old)| old.iter().filter(|n| done(n)).count() >= need);
        }
    }

    /// Fresh streaming state: every old owner of a gained range but this
    /// node is a source (any other old member holds none of what this node
    /// gains, so asking it would scan its replica for nothing); wait one
    /// write deadline (in rounds) before the first page.
    fn start_streaming(&self, routing: &Routing, movement: &Movement) -> Streaming {
        let deadline = self.config.replica_timeout * 2;
        let interval = self.config.membership_interval.unwrap_or(deadline);
        let rounds = deadline.as_nanos().div_ceil(interval.as_nanos().max(1));
        // The wrong design asks one replica per range: its primary.
        let sources: Vec<NodeId> = match routing.design() {
            MoveDesign::StreamFromAny => (routing.gains(self.id, self.config.replicas))
                .into_iter()
                .map(|(_, old)| old[0])
                .collect(),
            _ => (routing.gains(self.id, self.config.replicas).into_iter())
                .flat_map(|(_, old)| old)
                .collect(),
        };
        let sources = (sources.into_iter())
            .filter(|n| *n != self.id)
            .map(|n| (n, (None, false)))
            .collect();
        Streaming {
            target: movement.target.clone(),
            started: movement.started,
            wait_rounds: u32::try_from(rounds).unwrap_or(u32::MAX).saturating_add(1),
            sources,
            synced: false,
        }
    }

    /// The old owner's side: up to `limit` entries after `after` whose keys
    /// this node holds in the old layout and `to` gains in the new one, or
    /// `Refused` if this node is not yet in (or already past) the movement
    /// of layout `version`.
    pub(super) fn serve_stream(
        &self,
        replica: &Replica<D>,
        to: NodeId,
        version: u64,
        after: Option<String>,
        limit: u32,
    ) -> ReplicaResponse {
        let routing = self.routing();
        let (Some(new), Some(movement)) = (&routing.new, &routing.layout.movement) else {
            return ReplicaResponse::Refused;
        };
        if routing.layout.version < version || movement.phase == Phase::WriteBoth {
            return ReplicaResponse::Refused;
        }
        let n = self.config.replicas;
        let range = KeyRange {
            start: after.map(|a| format!("{a}\0")).unwrap_or_default(),
            end: None,
        };
        let limit = limit.min(STREAM_PAGE) as usize;
        // The wrong design: each range from one replica only, its primary.
        let one_source = routing.design() == MoveDesign::StreamFromAny;
        let entries = replica.scan(&range, limit, |key, _| {
            let at = key_hash(placement(key));
            let (old, new) = (routing.old.list_slice(at, n), new.list_slice(at, n));
            !is_node_local(key)
                && (if one_source {
                    old[0] == self.id
                } else {
                    old.contains(&self.id)
                })
                && new.contains(&to)
                && !old.contains(&to)
        });
        let next = (entries.len() == limit).then(|| entries.last().map(|(k, _)| k.clone()));
        ReplicaResponse::Stream {
            entries,
            next: next.flatten(),
        }
    }
}
