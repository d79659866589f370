//! The coordinator role under the LWW protocols (`eventual`, `quorum`):
//! serves a client request by talking to the key's N replicas and waiting for
//! a quorum, plus the quorum plumbing every protocol shares (fan-out, quorum
//! reads and writes). Any storage node or router coordinates any key.

use super::Node;
use super::stamp::Target;
use crate::NodeId;
use crate::clock::Clock;
use crate::deadline::timeout;
use crate::disk::Disk;
use crate::message::{ClientRequest, ClientResponse, ReplicaRequest, ReplicaResponse};
use crate::planted::{self, Bug};
use crate::transport::Transport;
use crate::version::{Entry, Version};
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tokio::sync::mpsc;

/// Replica answers as they arrive: `(replica, answer)`. Replicas that did not
/// answer in time send nothing, so the channel closes once every call is over.
pub(super) type Answers = mpsc::Receiver<(NodeId, ReplicaResponse)>;

/// The first R answers of a quorum read: `(replica, what it holds)`.
pub(super) type ReadAnswers = Vec<(NodeId, Option<Entry>)>;

/// Fewer than R (reads) or W (writes) replicas answered in time.
pub(super) struct Unavailable;

impl<T: Transport, C: Clock, D: Disk> Node<T, C, D> {
    pub(super) async fn coordinate(self: &Arc<Self>, request: ClientRequest) -> ClientResponse {
        match request {
            ClientRequest::Get { key } => match self.quorum_read(&key).await {
                Ok(newest) => ClientResponse::Value(newest.and_then(|entry| entry.value)),
                Err(Unavailable) => ClientResponse::ReadUnavailable,
            },
            ClientRequest::Put { key, value } => self.quorum_write(key, Some(value)).await,
            ClientRequest::Delete { key } => self.quorum_write(key, None).await,
            ClientRequest::Cas { key, from, to } => self.cas(key, from, to).await,
            // Buckets, objects and listings (`Node::handle` sends them there first).
            s3 => self.coordinate_s3(s3).await,
        }
    }

    /// Conditional put (`eventual`, `quorum`), **best effort, not atomic**:
    /// reads as GET does (R replicas); if the newest value is
    /// `from` (`None` = absent or deleted), writes `to` as PUT does, with a
    /// fresh version from this node's clock. S3's outcomes, each with
    /// nothing written: 412 `PreconditionFailed` or 404 `NotFound` when the
    /// newest value fails the condition ([`refusal`]); 409
    /// `ConditionalConflict` when it holds but the R answers disagree about
    /// the value — a change to the key is in flight or has not reached every
    /// replica read, so writing now could undo it.
    ///
    /// **Not atomic under `quorum`**: between the read and the write another
    /// writer may write, so two concurrent CAS with the same `from` can both
    /// succeed, and the loser's value is silently overwritten. Nor is the new
    /// version ordered after the one read: a coordinator whose clock is behind
    /// writes a version older than the value it replaced, and LWW then drops
    /// the acknowledged write. Both are what this protocol really does, and
    /// what the linearizability check must catch.
    async fn cas(
        self: &Arc<Self>,
        key: String,
        from: Option<String>,
        to: String,
    ) -> ClientResponse {
        let Ok((first, late)) = self.read_answers(&key).await else {
            return ClientResponse::ReadUnavailable;
        };
        let values: Vec<Option<&str>> = (first.iter())
            .map(|(_, entry)| entry.as_ref().and_then(|e| e.value.as_deref()))
            .collect();
        let newest = self.repaired_newest(&key, &first, late);
        let current = newest.and_then(|entry| entry.value);
        if let Some(refused) = refusal(from.as_deref(), current.as_deref()) {
            return refused;
        }
        if values.iter().any(|v| *v != current.as_deref()) {
            return ClientResponse::ConditionalConflict;
        }
        self.quorum_write(key, Some(to)).await
    }

    /// PUT (`Some`) or DELETE (`None`, a tombstone) with a fresh LWW version
    /// (by the cluster's [`crate::Timestamps`] rule; the default, the
    /// coordinator's clock, sends nothing first), written as
    /// [`Node::write_stamped`] does.
    async fn quorum_write(self: &Arc<Self>, key: String, value: Option<String>) -> ClientResponse {
        let Ok(version) = self.fresh_version(Target::Key(&key)).await else {
            return ClientResponse::WriteUnavailable;
        };
        let entry = Entry::register(version, value);
        if self.write_stamped(key, entry).await {
            ClientResponse::Done
        } else {
            ClientResponse::WriteUnavailable
        }
    }

    /// Sends `entry` to all N replicas of `key` and returns whether W
    /// acknowledged it in time: within `replica_timeout`, or twice that with
    /// hinted handoff (a replica that fails gets one timeout, then its
    /// stand-in gets one). On `false` the write may still land on some
    /// replicas: the sends go on in the background.
    pub(super) async fn write_entry(self: &Arc<Self>, key: String, entry: Entry) -> bool {
        self.write_entry_reporting(key, entry).await.0
    }

    /// As [`Node::write_entry`], and the newest version that an acknowledging
    /// replica said it holds above `entry`'s (`WrittenBehind`, sent only under
    /// [`crate::Timestamps::CompletesLast`]).
    pub(super) async fn write_entry_reporting(
        self: &Arc<Self>,
        key: String,
        entry: Entry,
    ) -> (bool, Option<Version>) {
        // W from each active layout's list (one outside movements).
        let lists = self.write_lists(&key);
        let mut replicas = lists[0].clone();
        for list in &lists[1..] {
            replicas.extend(list.iter().filter(|n| !lists[0].contains(n)));
        }
        let mut answers = if self.config.hinted_handoff {
            self.fan_out_hinted(&replicas, key, entry)
        } else {
            self.broadcast(&replicas, ReplicaRequest::Write { key, entry })
        };
        #[cfg(feature = "planted-bugs")]
        if self.config.bug_ack_before_quorum {
            // The planted bug: acknowledge before any replica has the write.
            return (true, None);
        }
        let quorum =
            self.config.write_quorum as usize - usize::from(planted::on(Bug::QuorumOffByOne));
        let mut behind = None;
        let acks = async {
            let mut acks = vec![0; lists.len()];
            // Bounded: at most 2N answers arrive, then the channel closes.
            while acks.iter().any(|&a| a < quorum) {
                let replica = match answers.recv().await {
                    Some((replica, ReplicaResponse::Written)) => replica,
                    Some((replica, ReplicaResponse::WrittenBehind { newest })) => {
                        behind = behind.max(Some(newest));
                        replica
                    }
                    Some(_) => continue, // the wrong kind of answer counts as none
                    None => break,
                };
                for (list, acks) in lists.iter().zip(&mut acks) {
                    *acks += usize::from(list.contains(&replica));
                }
            }
            acks
        };
        let acked = matches!(timeout(self.write_deadline(), acks).await,
            Ok(acks) if acks.iter().all(|&a| a >= quorum));
        (acked, behind)
    }

    /// How long a write waits for W acknowledgements.
    fn write_deadline(&self) -> Duration {
        let attempts = if self.config.hinted_handoff { 2 } else { 1 };
        self.config.replica_timeout * attempts
    }

    /// Reads `key` from all N replicas and returns the first R answers, with
    /// the channel on which the later ones arrive, or `Unavailable` if R
    /// answers do not come within `replica_timeout`.
    pub(super) async fn read_answers(
        self: &Arc<Self>,
        key: &str,
    ) -> Result<(ReadAnswers, Answers), Unavailable> {
        let replicas = if planted::on(Bug::RingReadListShifted) {
            self.ring().preference_list(
                crate::keyspace::placement(key),
                (self.config.replicas + 1).min(self.config.nodes),
            )[1..]
                .to_vec()
        } else {
            self.replicas_of(key)
        };
        let mut answers = self.broadcast(
            &replicas,
            ReplicaRequest::Read {
                key: key.to_string(),
            },
        );
        let quorum = self.config.read_quorum as usize;
        let mut first = Vec::with_capacity(quorum);
        let collect = async {
            // Bounded: at most N answers arrive, then the channel closes.
            while first.len() < quorum {
                match answers.recv().await {
                    Some((replica, ReplicaResponse::Read(entry))) => first.push((replica, entry)),
                    Some(_) => {} // the wrong kind of answer counts as none
                    None => break,
                }
            }
        };
        let _ = timeout(self.config.replica_timeout, collect).await;
        if first.len() < quorum {
            return Err(Unavailable);
        }
        Ok((first, answers))
    }

    /// Reads `key` from all N replicas, waits for the first R answers and
    /// returns the newest entry among them (tombstones included; `None` if no
    /// replica holds the key), or `Unavailable` if R answers do not come within
    /// `replica_timeout`. Then read repair, if enabled: every replica that
    /// answered with an older entry or none gets the newest one in the
    /// background — the first R right away, the late answerers as their answers
    /// arrive (until `replica_timeout` after the read returned).
    pub(super) async fn quorum_read(
        self: &Arc<Self>,
        key: &str,
    ) -> Result<Option<Entry>, Unavailable> {
        let (first, late) = self.read_answers(key).await?;
        Ok(self.repaired_newest(key, &first, late))
    }

    /// The newest of the first R answers, after starting read repair (if
    /// enabled) of the replicas that answered with something older, and of
    /// the late answerers.
    fn repaired_newest(
        self: &Arc<Self>,
        key: &str,
        first: &ReadAnswers,
        late: Answers,
    ) -> Option<Entry> {
        let newest = first
            .iter()
            .filter_map(|(_, entry)| entry.clone())
            .reduce(|a, b| {
                if planted::on(Bug::ReadFirstOfR) {
                    a
                } else {
                    newer(a, b)
                }
            });
        if let (true, Some(newest)) = (
            self.config.read_repair && !planted::on(Bug::ReadRepairSkipped),
            &newest,
        ) {
            for (replica, entry) in first {
                self.repair_if_stale(*replica, key, entry.as_ref(), newest);
            }
            self.repair_late_answers(late, key, newest.clone());
        }
        newest
    }

    /// Sends `request` to every replica concurrently (see [`Node::fan_out`]).
    pub(super) fn broadcast(
        self: &Arc<Self>,
        replicas: &[NodeId],
        request: ReplicaRequest,
    ) -> Answers {
        self.fan_out(replicas, move |node, replica| {
            let request = request.clone();
            async move { node.call_replica(replica, request).await }
        })
    }

    /// Runs `call(node, replica)` for every replica concurrently, one task
    /// each, so that the calls run on after the coordinator has answered.
    /// Answers arrive on the returned channel, which holds all N: a task never
    /// waits to deliver. A call that finishes at once (this node's own replica
    /// answers without messaging) is answered here, without a task: the same
    /// answer at the same simulated instant, one task less per request.
    pub(super) fn fan_out<F, Fut>(self: &Arc<Self>, replicas: &[NodeId], call: F) -> Answers
    where
        F: Fn(Arc<Self>, NodeId) -> Fut,
        Fut: Future<Output = Option<ReplicaResponse>> + Send + 'static,
    {
        let (sender, receiver) = mpsc::channel(replicas.len().max(1));
        for &replica in replicas {
            // Boxed: the call's future is large, and an unboxed one would be
            // copied byte by byte through every layer of `spawn`.
            let mut call = Box::pin(call(Arc::clone(self), replica));
            if replica == self.id {
                let mut context = Context::from_waker(Waker::noop());
                if let Poll::Ready(answer) = call.as_mut().poll(&mut context) {
                    if let Some(answer) = answer {
                        let sent = sender.try_send((replica, answer));
                        debug_assert!(sent.is_ok(), "capacity N, first answer");
                    }
                    continue;
                }
            }
            let sender = sender.clone();
            tokio::spawn(async move {
                if let Some(answer) = call.await {
                    // Full cannot happen (one answer per task, capacity N); Closed
                    // means the coordinator stopped listening, which is fine.
                    let sent = sender.try_send((replica, answer));
                    debug_assert!(!matches!(sent, Err(mpsc::error::TrySendError::Full(_))));
                }
            });
        }
        receiver
    }

    /// Background read repair of the replicas that answer after the first R.
    fn repair_late_answers(self: &Arc<Self>, mut answers: Answers, key: &str, newest: Entry) {
        let (node, key) = (Arc::clone(self), key.to_string());
        tokio::spawn(async move {
            let repair = async {
                while let Some((replica, answer)) = answers.recv().await {
                    if let ReplicaResponse::Read(entry) = answer {
                        node.repair_if_stale(replica, &key, entry.as_ref(), &newest);
                    }
                }
            };
            // The calls end by their own timeouts; this bounds the task regardless.
            let _ = timeout(node.config.replica_timeout, repair).await;
        });
    }

    /// Sends `newest` to `replica` in the background if what it holds is older.
    fn repair_if_stale(
        self: &Arc<Self>,
        replica: NodeId,
        key: &str,
        held: Option<&Entry>,
        newest: &Entry,
    ) {
        if held.is_some_and(|held| !newest.supersedes(held)) {
            return;
        }
        let (node, key, entry) = (Arc::clone(self), key.to_string(), newest.clone());
        tokio::spawn(async move {
            node.call_replica(replica, ReplicaRequest::Write { key, entry })
                .await;
        });
    }
}

/// S3's answer to a conditional write whose condition `from` (`None`:
/// `If-None-Match: *`; `Some`: `If-Match`) fails on a key holding
/// `current`, or `None` when the condition holds: 404 `NotFound` for
/// `If-Match` on an absent key, else 412 `PreconditionFailed`.
pub(super) fn refusal(from: Option<&str>, current: Option<&str>) -> Option<ClientResponse> {
    match (from, current) {
        _ if from == current => None,
        (Some(_), None) => Some(ClientResponse::NotFound),
        _ => Some(ClientResponse::PreconditionFailed),
    }
}

/// The winner of two entries (the greater version; see [`Entry::supersedes`]).
pub(super) fn newer(a: Entry, b: Entry) -> Entry {
    if b.supersedes(&a) { b } else { a }
}
