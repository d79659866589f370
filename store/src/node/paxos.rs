//! The `paxos` protocol: a linearizable read-modify-write register per key,
//! CASPaxos (Rystsov, 2018) — single-decree Paxos run once per operation,
//! each round applying a change function to the key's current value.
//!
//! A round, coordinated by any node as proposer:
//! 1. **prepare**: pick a ballot above every ballot seen (logical, `(counter,
//!    proposer id)`: clocks play no part) and ask the key's N acceptors to
//!    promise it; wait for R promises. Each promise carries the entry that
//!    acceptor accepted last; the current value is the one with the highest
//!    ballot among them (absent if none).
//! 2. **accept**: apply the operation to the current value — GET keeps it,
//!    PUT replaces it, DELETE writes a tombstone, CAS replaces it only if it
//!    equals `from` and keeps it otherwise — and ask the acceptors to accept
//!    the result under the ballot; wait for W acceptances.
//!
//! Every round writes, even a GET or a failed CAS (with the value it found):
//! the value read may have been accepted by a minority only, and writing it
//! back under a higher ballot is what makes it chosen before the round
//! answers, so no later round can see an older one. The one exception is a
//! read whose promises already show W acceptors holding the entry it found
//! (one ballot, or nothing at all): that is what a completed accept leaves,
//! so it answers after one round trip (a write-back would change nothing a
//! later prepare can see). Since every prepare
//! quorum meets every accept quorum (R + W > N), a round sees the value of
//! every round that completed before it began, and two rounds that overlap
//! cannot both be accepted unless the later saw the earlier: a conditional
//! write is atomic. Acceptors store promises and accepted entries on disk
//! before they answer (as the sync policy says: only `sync = "always"`
//! keeps that promise across crashes).
//!
//! A round that meets a higher promise in prepare has written nothing, so it
//! retries with a higher ballot after a backoff (at most [`MAX_ROUNDS`]
//! rounds, then unavailable). A round refused or unanswered in accept may
//! have been accepted somewhere, so it is never retried: the client gets the
//! indeterminate `WriteUnavailable` (a GET gets `ReadUnavailable`: its value
//! was never returned, so what it wrote back changes nothing a client saw).
//!
//! S3's outcomes of a conditional write, each certain that the write was
//! not applied: 412 `PreconditionFailed` and 404 `NotFound` when the round
//! found the condition false (the value it proposes is the one it found,
//! never `to`); 409 `ConditionalConflict` when every round lost its prepare
//! and at least one to a higher ballot (another proposer's: a concurrent
//! change) — nothing was accepted under any of its ballots. Preempted in
//! accept, it may be chosen: `WriteUnavailable`, never 409.

use super::Node;
use super::coordinator::refusal;
use crate::clock::Clock;
use crate::deadline::timeout;
use crate::disk::Disk;
use crate::message::{ClientRequest, ClientResponse, ReplicaRequest, ReplicaResponse};
use crate::s3::S3Error;
use crate::transport::Transport;
use crate::version::{Entry, Record, Version};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::sleep;

/// Most prepare attempts of one operation (each after a longer backoff).
pub const MAX_ROUNDS: u32 = 6;

/// What an operation does to the key's current value.
enum Change {
    Keep,
    Set(Option<String>),
    SetIf { from: Option<String>, to: String },
}

/// What a round accepts under its ballot: a register value or a record
/// (both `None`: a tombstone), the entry's content without its version.
pub(super) struct Proposal {
    pub value: Option<String>,
    pub record: Option<Record>,
}

impl Proposal {
    /// The current entry's content as it is (a read, a refused condition):
    /// written back under the new ballot.
    pub fn keep(current: Option<&Entry>) -> Proposal {
        Proposal {
            value: current.and_then(|c| c.value.clone()),
            record: current.and_then(|c| c.record.clone()),
        }
    }
}

/// Why a round ended without an answer.
enum Failed {
    /// Nothing was written: prepare failed (refused or too few promises);
    /// `refused`: some acceptor had promised a higher ballot.
    Prepare {
        highest: Option<Version>,
        refused: bool,
    },
    /// The accept phase did not reach W: the value may be chosen or not.
    Accept,
}

/// What kind of operation a run of rounds serves, for its answers when no
/// round completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A read: `ReadUnavailable`.
    Read,
    /// An unconditional write: `WriteUnavailable`.
    Write,
    /// A conditional write: `WriteUnavailable`, or 409 when every round
    /// lost its prepare to another proposer.
    Conditional,
}

impl<T: Transport, C: Clock, D: Disk> Node<T, C, D> {
    pub(super) async fn coordinate_paxos(
        self: &Arc<Self>,
        request: ClientRequest,
    ) -> ClientResponse {
        let (key, change) = match request {
            ClientRequest::Get { key } => (key, Change::Keep),
            ClientRequest::Put { key, value } => (key, Change::Set(Some(value))),
            ClientRequest::Delete { key } => (key, Change::Set(None)),
            ClientRequest::Cas { key, from, to } => (key, Change::SetIf { from, to }),
            // `Node::handle` answers bucket and object requests first.
            _ => {
                return ClientResponse::Error(S3Error::InvalidArgument(
                    "not a register request".to_string(),
                ));
            }
        };
        if key.contains('\0') {
            return ClientResponse::Error(S3Error::InvalidArgument(
                "register keys may not contain NUL under paxos".to_string(),
            ));
        }
        let kind = match change {
            Change::Keep => Kind::Read,
            Change::Set(_) => Kind::Write,
            Change::SetIf { .. } => Kind::Conditional,
        };
        let register = |value| Proposal {
            value,
            record: None,
        };
        self.paxos(&key, kind, |current, _| {
            let value = current.and_then(|c| c.value.clone());
            match &change {
                Change::Keep => (register(value.clone()), ClientResponse::Value(value)),
                Change::Set(v) => (register(v.clone()), ClientResponse::Done),
                Change::SetIf { from, to } => match refusal(from.as_deref(), value.as_deref()) {
                    None => (register(Some(to.clone())), ClientResponse::Done),
                    Some(refused) => (register(value), refused),
                },
            }
        })
        .await
    }

    /// Runs rounds on `key` until one answers (at most [`MAX_ROUNDS`]):
    /// each round hands `decide` the key's current entry (the highest-ballot
    /// one among the promises) and its own ballot (unique, above every
    /// version the round saw: what a versioned object stamps a new version
    /// with), and accepts what it proposes; the answer is the client's.
    pub(super) async fn paxos<F>(
        self: &Arc<Self>,
        key: &str,
        kind: Kind,
        decide: F,
    ) -> ClientResponse
    where
        F: Fn(Option<&Entry>, Version) -> (Proposal, ClientResponse) + Sync,
    {
        let unavailable = match kind {
            Kind::Read => ClientResponse::ReadUnavailable,
            Kind::Write | Kind::Conditional => ClientResponse::WriteUnavailable,
        };
        let mut highest = None;
        let mut preempted = false;
        for round in 0..MAX_ROUNDS {
            if round > 0 {
                sleep(self.paxos_backoff(round)).await;
            }
            match self.paxos_round(key, kind, &decide, highest).await {
                Ok(answer) => return answer,
                Err(Failed::Prepare {
                    highest: seen,
                    refused,
                }) => {
                    highest = highest.max(seen);
                    preempted |= refused;
                }
                Err(Failed::Accept) => return unavailable,
            }
        }
        // Every round failed in prepare: nothing of this operation was
        // accepted anywhere. A conditional write that lost to another
        // proposer's ballot says so (409); otherwise too few acceptors
        // answered (unavailable).
        if kind == Kind::Conditional && preempted {
            ClientResponse::ConditionalConflict
        } else {
            unavailable
        }
    }

    /// One prepare + accept round; the client's answer, or why there is none.
    /// A read whose promises show W acceptors holding the current entry
    /// (the same ballot, or all of them nothing) skips the accept: that
    /// entry is already where a completed accept would have put it, so
    /// every later prepare quorum meets it (R + W > N), and writing it
    /// back would change nothing a later round can see.
    async fn paxos_round<F>(
        self: &Arc<Self>,
        key: &str,
        kind: Kind,
        decide: &F,
        highest: Option<Version>,
    ) -> Result<ClientResponse, Failed>
    where
        F: Fn(Option<&Entry>, Version) -> (Proposal, ClientResponse) + Sync,
    {
        let ballot = self.next_abd_version(highest);
        let replicas = self.replicas_of(key);
        let mut answers = self.broadcast(
            &replicas,
            ReplicaRequest::Prepare {
                key: key.to_string(),
                ballot,
            },
        );
        let quorum = self.config.read_quorum as usize;
        // Once more than N − quorum acceptors said no, the quorum cannot be
        // reached: stop waiting for the rest (a down acceptor would hold the
        // round for a whole timeout).
        let hopeless = replicas.len().saturating_sub(quorum);
        let (mut promises, mut current, mut refused): (usize, Option<Entry>, Option<Version>) =
            (0, None, None);
        let mut noes = 0;
        // The ballot each promise's accepted entry carries (at most N).
        let mut held: Vec<Option<Version>> = Vec::with_capacity(replicas.len());
        let collect = async {
            // Bounded: at most N answers arrive, then the channel closes.
            while promises < quorum && noes <= hopeless {
                match answers.recv().await {
                    Some((_, ReplicaResponse::Promised { accepted })) => {
                        promises += 1;
                        held.push(accepted.as_ref().map(|a| a.version));
                        if let Some(a) = accepted
                            && current.as_ref().is_none_or(|c| a.version > c.version)
                        {
                            current = Some(a);
                        }
                    }
                    Some((_, ReplicaResponse::Rejected { promised })) => {
                        refused = refused.max(Some(promised));
                        noes += 1;
                    }
                    Some(_) => noes += 1, // the wrong kind of answer counts as none
                    None => break,
                }
            }
        };
        let _ = timeout(self.config.replica_timeout, collect).await;
        if promises < quorum {
            return Err(Failed::Prepare {
                highest: refused.max(current.map(|c| c.version)),
                refused: refused.is_some(),
            });
        }
        let (proposal, answer) = decide(current.as_ref(), ballot);
        let newest = current.as_ref().map(|c| c.version);
        let holders = held.iter().filter(|v| **v == newest).count();
        if kind == Kind::Read && holders >= self.config.write_quorum as usize {
            return Ok(answer);
        }
        let entry = Entry {
            version: ballot,
            value: proposal.value,
            record: proposal.record,
        };
        self.config
            .fault_points
            .hit(self.id, crate::buggify::Point::BetweenPhases)
            .await;
        let mut answers = self.broadcast(
            &replicas,
            ReplicaRequest::Accept {
                key: key.to_string(),
                entry,
            },
        );
        let quorum = self.config.write_quorum as usize;
        let hopeless = replicas.len().saturating_sub(quorum);
        let (mut accepted, mut noes) = (0, 0);
        let collect = async {
            while accepted < quorum && noes <= hopeless {
                match answers.recv().await {
                    Some((_, ReplicaResponse::Accepted)) => accepted += 1,
                    Some(_) => noes += 1,
                    None => break,
                }
            }
        };
        let _ = timeout(self.config.replica_timeout, collect).await;
        if accepted < quorum {
            return Err(Failed::Accept);
        }
        Ok(answer)
    }

    /// How long to wait before prepare attempt `round` (≥ 1): grows with the
    /// round and differs by node, so two proposers that keep preempting each
    /// other fall out of step (no randomness: the store draws none).
    fn paxos_backoff(&self, round: u32) -> Duration {
        let step = self.config.replica_timeout / 32;
        step * round * (1 + self.id % 4)
    }
}
