//! A node's part in membership changes ([`crate::membership`]): adopting
//! newer layouts (kept on its disk, so a restarted node routes as it did),
//! starting a change when the operator asks, and driving it through its
//! phases as the driver: pushing each version to every node and moving on
//! once every node holds it (and, while streaming, once every gaining node
//! holds its ranges). Nodes in a movement also ask the driver for newer
//! versions each round, so a node that missed a push (down, cut off) or a
//! driver restarted after the last push still settles. Once a movement has
//! settled, the old owners drop the ranges they gave up.

use super::streaming::Streaming;
use super::{Node, lock};
use crate::NodeId;
use crate::clock::Clock;
use crate::deadline::timeout;
use crate::disk::Disk;
use crate::keyspace::placement;
use crate::membership::{Change, ChangeError, LAYOUT_KEY, Layout, Phase, Routing, is_node_local};
use crate::message::{KeyRange, ReplicaRequest, ReplicaResponse};
use crate::transport::Transport;
use crate::version::{Entry, Version};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A node's movement state in memory (lost in a crash, rebuilt from the
/// layout on disk: a restarted driver pushes again, a restarted gaining node
/// streams again).
#[derive(Default)]
pub(super) struct MoveState {
    /// As driver: per node, the latest layout version it said it holds and
    /// whether it holds the ranges it gains in it.
    held: BTreeMap<NodeId, (u64, bool)>,
    /// As a gaining node: where its streaming is.
    pub(super) streaming: Option<Streaming>,
    /// The settled layout version whose moved-away entries this node has
    /// dropped (0: none yet; a restarted node scans once more).
    dropped: u64,
}

/// Most entries an old owner drops in one membership round.
const DROP_PER_ROUND: usize = 1024;

/// The layout stored on `replica`'s disk, if a change ever reached it.
pub(super) fn stored_layout<D: Disk>(replica: &super::Replica<D>) -> Option<Layout> {
    let text = replica.get(LAYOUT_KEY)?.value?;
    serde_json::from_str(&text).ok()
}

impl<T: Transport, C: Clock, D: Disk> Node<T, C, D> {
    /// Routes by `layout` from now on if it is newer than the current one,
    /// after storing it on disk (a disk that refuses it leaves the node on
    /// its old layout: it must never route by a layout it could forget).
    /// Returns whether it was adopted.
    pub(super) fn set_layout(&self, layout: Layout) -> bool {
        let mut routing = lock(&self.routing);
        if layout.version <= routing.layout.version {
            return false;
        }
        if let Some(replica) = &self.replica {
            let text = serde_json::to_string(&layout).expect("a layout serialises");
            let version = Version {
                timestamp: layout.version,
                node: 0,
            };
            if replica
                .merge(LAYOUT_KEY, &Entry::register(version, Some(text)))
                .is_err()
            {
                return false;
            }
        }
        let (vnodes, design) = (self.config.vnodes, self.config.moves);
        let (rings, gains) = (&self.config.rings, &self.config.gains);
        *routing = Arc::new(Routing::after(
            Some(&routing),
            layout,
            vnodes,
            design,
            rings,
            gains,
        ));
        true
    }

    /// The operator's request: starts `change` with this node as its driver
    /// and returns the new layout, or why not (a movement in progress, a
    /// node that is not what the change needs).
    pub fn request_change(&self, change: Change) -> Result<Layout, ChangeError> {
        let current = self.layout();
        let (nodes, n) = (self.config.nodes, self.config.replicas);
        let next = current.begin(change, self.id, nodes, n, self.config.moves)?;
        if !self.set_layout(next.clone()) {
            return Err(ChangeError::NotDriver);
        }
        lock(&self.moves).held.clear();
        Ok(next)
    }

    /// The receiving side of a push (or of a pull, when the sender is
    /// behind): adopts a newer layout, answers what this node holds and,
    /// when the sender is behind, the newer layout.
    pub(super) fn serve_layout(&self, layout: Layout) -> ReplicaResponse {
        let theirs = layout.version;
        self.set_layout(layout);
        let routing = self.routing();
        let newer = (routing.layout.version > theirs).then(|| routing.layout.clone());
        ReplicaResponse::LayoutHeld {
            version: routing.layout.version,
            synced: self.synced(&routing),
            newer: newer.map(Box::new),
        }
    }

    /// One round of membership duties: as driver, push and advance; in a
    /// movement, ask the driver for newer versions; as a gaining node, stream.
    pub async fn membership_round(self: &Arc<Self>) {
        let routing = self.routing();
        let Some(movement) = routing.layout.movement.clone() else {
            self.settle().await;
            return self.drop_moved(&routing);
        };
        if movement.driver == self.id {
            self.drive(&routing).await;
        } else {
            self.pull(movement.driver, &routing).await;
        }
        if movement.phase == Phase::Streaming {
            self.stream_round().await;
        }
    }

    /// Once a movement has settled: drops, up to [`DROP_PER_ROUND`] a
    /// round, the entries this node no longer replicates in `routing`'s
    /// layout. The new owners hold them: reads switched to them only once
    /// they had streamed their ranges, writes went to them since, and the
    /// driver settled only once every node read from them, so nobody reads
    /// the old owners for these keys again. A disk that cannot remove keys
    /// keeps them (as before this existed) until the next movement.
    fn drop_moved(&self, routing: &Routing) {
        let Some(replica) = &self.replica else { return };
        let version = routing.layout.version;
        if version == 0 || lock(&self.moves).dropped >= version {
            return;
        }
        let n = self.config.replicas;
        let gone: Vec<(String, Version)> = replica
            .scan(&KeyRange::all(), DROP_PER_ROUND, |key, _| {
                !is_node_local(key) && !routing.replicates(self.id, placement(key), n)
            })
            .into_iter()
            .map(|(key, entry)| (key, entry.version))
            .collect();
        let complete = gone.len() < DROP_PER_ROUND;
        match replica.remove_if_unchanged(&gone) {
            Ok(_) if !complete => {}
            _ => lock(&self.moves).dropped = version,
        }
    }

    /// Whether this node holds every range it gains in `routing`'s movement
    /// (true when it gains none).
    pub(super) fn synced(&self, routing: &Routing) -> bool {
        let Some(movement) = &routing.layout.movement else {
            return true;
        };
        if !routing.gains_any(self.id, self.config.replicas) {
            return true;
        }
        let moves = lock(&self.moves);
        let streaming = moves.streaming.as_ref();
        movement.phase != Phase::WriteBoth && streaming.is_some_and(|s| s.synced_for(movement))
    }

    /// As driver: pushes the layout to every node that does not hold it yet
    /// (or, while streaming, has not synced), then moves on if all do.
    async fn drive(self: &Arc<Self>, routing: &Routing) {
        let layout = &routing.layout;
        let everyone = layout.participants(self.config.nodes + self.config.routers());
        self.push(layout, &everyone).await;
        let me = (layout.version, self.synced(routing));
        let held = {
            let mut moves = lock(&self.moves);
            moves.held.insert(self.id, me);
            moves.held.clone()
        };
        let holds = |n: &NodeId| held.get(n).is_some_and(|(v, _)| *v >= layout.version);
        let synced = |n: &NodeId| held.get(n).is_some_and(|(v, s)| *v >= layout.version && *s);
        let phase = layout.movement.as_ref().map(|m| m.phase);
        let ready = everyone.iter().all(holds)
            && (phase != Some(Phase::Streaming)
                || (everyone.iter())
                    .filter(|n| routing.gains_any(**n, self.config.replicas))
                    .all(synced));
        if let (true, Some(next)) = (ready, layout.advance()) {
            self.set_layout(next);
        }
    }

    /// After a movement this node drove: pushes the settled layout until
    /// every node holds it.
    async fn settle(self: &Arc<Self>) {
        let routing = self.routing();
        let layout = &routing.layout;
        if layout.version == 0 || lock(&self.moves).held.is_empty() {
            return; // never drove a change (or already settled)
        }
        let everyone = layout.participants(self.config.nodes + self.config.routers());
        self.push(layout, &everyone).await;
        let mut moves = lock(&self.moves);
        if (everyone.iter())
            .all(|n| *n == self.id || moves.held.get(n).is_some_and(|(v, _)| *v >= layout.version))
        {
            moves.held.clear();
        }
    }

    /// Sends `layout` to every node of `everyone` that has not said it holds
    /// it (synced), concurrently, and records the answers that come within
    /// `replica_timeout`.
    async fn push(self: &Arc<Self>, layout: &Layout, everyone: &[NodeId]) {
        let behind: Vec<NodeId> = {
            let moves = lock(&self.moves);
            (everyone.iter().copied())
                .filter(|n| *n != self.id)
                .filter(|n| moves.held.get(n) != Some(&(layout.version, true)))
                .collect()
        };
        let request = ReplicaRequest::Layout {
            layout: layout.clone(),
        };
        let mut answers = self.broadcast(&behind, request);
        let collect = async {
            // Bounded: one answer per node, then the channel closes.
            while let Some((node, answer)) = answers.recv().await {
                if let ReplicaResponse::LayoutHeld {
                    version, synced, ..
                } = answer
                {
                    lock(&self.moves).held.insert(node, (version, synced));
                }
            }
        };
        let _ = timeout(self.config.replica_timeout, collect).await;
    }

    /// Sends this node's layout to the driver, adopting a newer one it answers with.
    async fn pull(self: &Arc<Self>, driver: NodeId, routing: &Routing) {
        let request = ReplicaRequest::Layout {
            layout: routing.layout.clone(),
        };
        if let Some(ReplicaResponse::LayoutHeld {
            newer: Some(newer), ..
        }) = self.call_replica(driver, request).await
        {
            self.set_layout(*newer);
        }
    }
}
