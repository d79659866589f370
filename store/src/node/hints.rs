//! Hinted handoff (sloppy quorum), for the LWW protocols.
//!
//! When a replica of the preference list does not acknowledge a write, the
//! coordinator sends the write to the next node on the ring beyond the
//! preference list (a *fallback*), which keeps it as a hint — key, entry and
//! intended replica — apart from its own replica state, and acknowledges. The
//! acknowledgement counts toward W: the write succeeds with fewer than W real
//! replicas, which is what makes the quorum *sloppy* (a later read quorum of
//! real replicas need not see it). Every `hint_interval` the holder tries to
//! deliver its hints as ordinary replica writes, and drops each one its
//! intended replica acknowledged.
//!
//! Hints live in memory only (a crash of the holder loses them; anti-entropy
//! then repairs what they would have), in a queue of at most `max_hints`.

use super::coordinator::Answers;
use super::{Node, lock};
use crate::NodeId;
use crate::clock::Clock;
use crate::disk::Disk;
use crate::keyspace::placement;
use crate::message::{ReplicaRequest, ReplicaResponse};
use crate::transport::Transport;
use crate::version::Entry;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Most hints one delivery round sends: bounds the work of a round.
pub const HINTS_PER_ROUND: usize = 256;

/// The hints a node holds, by (intended replica, key): one per pair, the
/// newest (a newer write for the same replica and key makes the older hint
/// pointless).
#[derive(Debug)]
pub(super) struct Hints {
    held: BTreeMap<(NodeId, String), Entry>,
    limit: usize,
}

impl Hints {
    pub(super) fn new(limit: usize) -> Hints {
        assert!(limit >= 1, "a hint queue holds at least one hint");
        Hints {
            held: BTreeMap::new(),
            limit,
        }
    }

    /// Keeps `entry` for `intended`, unless a newer hint for the same key is
    /// already held (then there is nothing to do either). Returns `false`
    /// only if the queue is full and holds nothing for this replica and key.
    fn keep(&mut self, intended: NodeId, key: String, entry: Entry) -> bool {
        if let Some(held) = self.held.get_mut(&(intended, key.clone())) {
            if entry.supersedes(held) {
                *held = entry;
            }
            return true;
        }
        if self.held.len() >= self.limit {
            return false;
        }
        self.held.insert((intended, key), entry);
        assert!(self.held.len() <= self.limit);
        true
    }

    /// Up to `limit` hints in (intended, key) order.
    fn batch(&self, limit: usize) -> Vec<(NodeId, String, Entry)> {
        (self.held.iter().take(limit))
            .map(|((node, key), entry)| (*node, key.clone(), entry.clone()))
            .collect()
    }

    /// Drops the hint for (`intended`, `key`) if it is still `entry`: a newer
    /// one may have arrived while `entry` was being delivered.
    fn delivered(&mut self, intended: NodeId, key: &str, entry: &Entry) {
        let slot = (intended, key.to_string());
        if self.held.get(&slot) == Some(entry) {
            self.held.remove(&slot);
        }
    }
}

/// The nodes beyond a key's preference list, in ring order, each handed to at
/// most one failed replica's stand-in attempt.
struct Fallbacks(Mutex<std::vec::IntoIter<NodeId>>);

impl Fallbacks {
    fn claim(&self) -> Option<NodeId> {
        lock(&self.0).next()
    }
}

impl<T: Transport, C: Clock, D: Disk> Node<T, C, D> {
    /// Writes `entry` to every replica in `replicas` concurrently; a replica
    /// that does not acknowledge is replaced by the next unclaimed fallback
    /// (then the next, if that one fails too), which keeps a hint. Answers
    /// `Written` per replica whose write or hint was acknowledged.
    pub(super) fn fan_out_hinted(
        self: &Arc<Self>,
        replicas: &[NodeId],
        key: String,
        entry: Entry,
    ) -> Answers {
        let routing = self.routing();
        let ring = routing.read_ring();
        let ring_order = ring.preference_list(placement(&key), ring.nodes());
        let beyond: Vec<NodeId> = (ring_order.into_iter())
            .filter(|n| !replicas.contains(n))
            .collect();
        let fallbacks = Arc::new(Fallbacks(Mutex::new(beyond.into_iter())));
        self.fan_out(replicas, move |node, replica| {
            let (key, entry, fallbacks) = (key.clone(), entry.clone(), Arc::clone(&fallbacks));
            async move {
                node.write_or_hand_off(replica, key, entry, &fallbacks)
                    .await
            }
        })
    }

    async fn write_or_hand_off(
        self: Arc<Self>,
        intended: NodeId,
        key: String,
        entry: Entry,
        fallbacks: &Fallbacks,
    ) -> Option<ReplicaResponse> {
        let write = ReplicaRequest::Write {
            key: key.clone(),
            entry: entry.clone(),
        };
        // An acknowledgement, plain or reporting a newer version (completes-last).
        if let Some(ack @ (ReplicaResponse::Written | ReplicaResponse::WrittenBehind { .. })) =
            self.call_replica(intended, write).await
        {
            return Some(ack);
        }
        // Bounded: each fallback is claimed once, and there are at most nodes - N.
        while let Some(fallback) = fallbacks.claim() {
            let hint = ReplicaRequest::HintedWrite {
                key: key.clone(),
                entry: entry.clone(),
                intended,
            };
            if let Some(ReplicaResponse::Written) = self.call_replica(fallback, hint).await {
                return Some(ReplicaResponse::Written);
            }
        }
        None
    }

    /// The fallback side: holds the hint, or refuses if the queue is full.
    pub(super) fn keep_hint(&self, intended: NodeId, key: String, entry: Entry) -> ReplicaResponse {
        if lock(&self.hints).keep(intended, key, entry) {
            ReplicaResponse::Written
        } else {
            ReplicaResponse::Refused
        }
    }

    /// The hints this node holds: `(intended replica, key, entry)`, in order.
    pub fn hints(&self) -> Vec<(NodeId, String, Entry)> {
        lock(&self.hints).batch(usize::MAX)
    }

    /// One delivery round: sends up to [`HINTS_PER_ROUND`] hints, one at a
    /// time, to their intended replicas as ordinary writes and drops each one
    /// acknowledged. After one failure to reach a replica the round skips that
    /// replica's other hints (it is probably still down).
    pub async fn deliver_hints(self: &Arc<Self>) {
        let batch = lock(&self.hints).batch(HINTS_PER_ROUND);
        let mut unreachable: Vec<NodeId> = Vec::new();
        for (intended, key, entry) in batch {
            if unreachable.contains(&intended) {
                continue;
            }
            let write = ReplicaRequest::Write {
                key: key.clone(),
                entry: entry.clone(),
            };
            self.config
                .fault_points
                .hit(self.id, crate::buggify::Point::HintDelivery)
                .await;
            match self.call_replica(intended, write).await {
                Some(ReplicaResponse::Written | ReplicaResponse::WrittenBehind { .. }) => {
                    lock(&self.hints).delivered(intended, &key, &entry);
                }
                _ if crate::planted::on(crate::planted::Bug::HintDeletedBeforeAck) => {
                    lock(&self.hints).delivered(intended, &key, &entry)
                }
                _ => unreachable.push(intended),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::Version;

    fn entry(timestamp: u64, value: &str) -> Entry {
        Entry::register(Version { timestamp, node: 0 }, Some(value.into()))
    }

    #[test]
    fn the_queue_is_bounded_and_refuses_when_full() {
        let mut hints = Hints::new(2);
        assert!(hints.keep(1, "a".into(), entry(1, "x")));
        assert!(hints.keep(1, "b".into(), entry(1, "x")));
        assert!(!hints.keep(2, "a".into(), entry(1, "x")));
        // A newer hint for a held (replica, key) still fits: it replaces the old one.
        assert!(hints.keep(1, "a".into(), entry(2, "y")));
        assert_eq!(hints.batch(10).len(), 2);
        assert_eq!(hints.batch(1), vec![(1, "a".into(), entry(2, "y"))]);
    }

    #[test]
    fn an_older_hint_does_not_replace_a_newer_one() {
        let mut hints = Hints::new(4);
        assert!(hints.keep(1, "a".into(), entry(5, "new")));
        assert!(hints.keep(1, "a".into(), entry(3, "old")));
        assert_eq!(hints.batch(10), vec![(1, "a".into(), entry(5, "new"))]);
    }

    #[test]
    fn delivery_drops_only_the_hint_that_was_delivered() {
        let mut hints = Hints::new(4);
        hints.keep(1, "a".into(), entry(1, "x"));
        hints.keep(1, "a".into(), entry(2, "y")); // arrived during delivery of x
        hints.delivered(1, "a", &entry(1, "x"));
        assert_eq!(hints.batch(10).len(), 1);
        hints.delivered(1, "a", &entry(2, "y"));
        assert!(hints.batch(10).is_empty());
    }
}
