//! A node: a storage node (replica of some keys, coordinator of any request)
//! or a router (coordinator only, no data).
//!
//! The node's work is split by concept: `replica` holds the local state,
//! `coordinator` serves client requests with LWW quorums (`eventual`,
//! `quorum`), `abd` serves them as a linearizable register, `hints` is hinted
//! handoff, `anti_entropy` reconciles replicas in the background, `sync`
//! flushes the disk on a timer, `router` is the coordinator-only role, and
//! `background` runs the periodic duties. The S3 surface: `objects` (buckets
//! and object versions), `objects_paxos` (objects as consensus registers under
//! `paxos`), `list` (ListObjectsV2 and ListObjectVersions across
//! the ring), `range` (the protocol's read and write of an object's versions)
//! and `stamp` (where a write's version comes from). This file wires them
//! together.

mod abd;
mod anti_entropy;
mod auth;
mod background;
mod coordinator;
mod grace;
mod hints;
mod list;
mod membership;
mod objects;
mod objects_paxos;
mod paxos;
mod range;
mod replica;
mod router;
mod stamp;
mod streaming;
mod sync;

use crate::NodeId;
use crate::clock::Clock;
use crate::config::{ClusterConfig, Coordinators, Protocol, Timestamps};
use crate::disk::{Disk, DiskError};
use crate::keyspace::{RESERVED, placement};
use crate::membership::is_node_local;
use crate::membership::{Layout, Routing};
use crate::message::ClientResponse;
use crate::message::{ReplicaRequest, ReplicaResponse, Request, Response};
use crate::s3::S3Error;
use crate::transport::Transport;
use crate::version::{Entry, Version};
use anti_entropy::AntiEntropyState;
pub use auth::{POLICY_CACHE_MAX, policy_key};
pub use hints::HINTS_PER_ROUND;
use hints::Hints;
pub use list::{LIST_ROUNDS, LIST_SCAN_ENTRIES};
pub use range::MAX_OBJECT_ENTRIES;
use range::MAX_SCAN_ENTRIES;
use replica::Replica;
use std::sync::{Arc, Mutex, MutexGuard};

/// One node. Shared as `Arc<Node>` between the tasks serving its requests.
///
/// A node keeps no state outside its [`Disk`] that must survive a crash: the
/// simulation restarts a node by building a new one on the same disk. (Hints
/// are the exception, kept in memory only: a crash of the node holding them
/// loses them, and anti-entropy is left to repair what they would have.)
pub struct Node<T, C, D> {
    id: NodeId,
    config: ClusterConfig,
    /// The layout this node routes by, with its rings (replaced whole when a
    /// newer layout arrives; see [`crate::membership`]).
    routing: Mutex<Arc<Routing>>,
    /// This node's part in movements: acknowledgements it collected as a
    /// driver, the ranges it streams as a gaining node.
    moves: Mutex<membership::MoveState>,
    transport: T,
    clock: C,
    /// `None` for a router, which holds no data.
    replica: Option<Replica<D>>,
    /// The greatest timestamp this node has put in a version: the next one is
    /// strictly greater, so one node never issues two equal versions.
    last_timestamp: Mutex<u64>,
    anti_entropy: Mutex<AntiEntropyState>,
    /// Writes held for replicas that did not answer (hinted handoff).
    hints: Mutex<Hints>,
    /// The last contact with a peer and a rebuild in progress (`gc_grace`).
    grace: Mutex<grace::GraceState>,
    /// Bucket policies this coordinator read, with when (access control).
    policies: Mutex<auth::PolicyCache>,
}

impl<T: Transport, C: Clock, D: Disk> Node<T, C, D> {
    /// A storage node that starts from whatever its disk holds (empty, or what
    /// survived a crash).
    ///
    /// Panics unless `id < nodes` and the configuration is valid (see
    /// `validate`): the caller (the scenario loader) validates configurations
    /// with clear errors, so a bad one here is a bug.
    ///
    /// Fails only if the disk cannot be read.
    pub fn new(
        id: NodeId,
        config: ClusterConfig,
        transport: T,
        clock: C,
        disk: D,
    ) -> Result<Arc<Self>, DiskError> {
        assert!(
            id < config.nodes,
            "node id {id} outside 0..{}",
            config.nodes
        );
        let replica = Replica::new(disk, config.sync)?;
        // Versions this node issued before a restart and that reached its own disk;
        // see `next_version`.
        let last_timestamp = replica.max_timestamp_of(id).unwrap_or(0);
        let layout = membership::stored_layout(&replica);
        let node = Self::build(id, config, transport, clock, Some(replica), last_timestamp);
        if let Some(layout) = layout {
            node.set_layout(layout);
        }
        node.start_grace();
        Ok(node)
    }

    fn build(
        id: NodeId,
        config: ClusterConfig,
        transport: T,
        clock: C,
        replica: Option<Replica<D>>,
        last_timestamp: u64,
    ) -> Arc<Self> {
        validate(&config);
        let layout = Layout::initial(config.nodes, config.spares);
        let (rings, gains) = (&config.rings, &config.gains);
        let routing = Routing::after(None, layout, config.vnodes, config.moves, rings, gains);
        Arc::new(Node {
            id,
            routing: Mutex::new(Arc::new(routing)),
            moves: Mutex::new(membership::MoveState::default()),
            hints: Mutex::new(Hints::new(config.max_hints as usize)),
            config,
            transport,
            clock,
            replica,
            last_timestamp: Mutex::new(last_timestamp),
            anti_entropy: Mutex::new(AntiEntropyState::new(id)),
            grace: Mutex::new(grace::GraceState::default()),
            policies: Mutex::new(auth::PolicyCache::default()),
        })
    }

    pub fn id(&self) -> NodeId {
        self.id
    }

    pub fn config(&self) -> &ClusterConfig {
        &self.config
    }

    /// The clock this node stamps versions and judges signatures by (a
    /// front end signing on a caller's behalf signs on it, so the node's
    /// freshness check sees its own time).
    pub fn clock(&self) -> &C {
        &self.clock
    }

    /// The ring reads use now (the current members', or the target's once
    /// a movement reads from it).
    pub fn ring(&self) -> crate::ring::Ring {
        self.routing().read_ring().clone()
    }

    /// The layout this node routes by now.
    pub fn layout(&self) -> Layout {
        self.routing().layout.clone()
    }

    /// The version of the layout this node routes by now (without copying
    /// the layout: a watcher asks every node every millisecond).
    pub fn layout_version(&self) -> u64 {
        lock(&self.routing).layout.version
    }

    /// The layout with its rings, as this node routes by it now.
    fn routing(&self) -> Arc<Routing> {
        Arc::clone(&lock(&self.routing))
    }

    /// Serves one request: as coordinator for client requests (by the
    /// cluster's protocol), as replica for replica requests. Never panics on a
    /// message.
    pub async fn handle(self: &Arc<Self>, request: Request) -> Response {
        match (self.config.protocol, request) {
            (_, Request::Signed(signed)) => Response::Client(self.coordinate_signed(*signed).await),
            (_, Request::Client(request)) if request.is_s3() => {
                Response::Client(self.coordinate_s3(request).await)
            }
            // The reserved key space belongs to buckets and objects.
            (_, Request::Client(request)) if request.key().starts_with(RESERVED) => {
                Response::Client(ClientResponse::Error(S3Error::InvalidArgument(format!(
                    "register keys may not start with {RESERVED:?}"
                ))))
            }
            // A rebuilding node writes nothing it coordinates (`node::grace`):
            // refused before anything is written, a definite failure.
            (Protocol::Eventual | Protocol::Quorum, Request::Client(request))
                if self.refuses_to_coordinate(&request) =>
            {
                if crate::planted::on(crate::planted::Bug::RefusalApplies) {
                    let _ = self.coordinate(request).await;
                }
                Response::Client(ClientResponse::Refused)
            }
            (Protocol::Eventual | Protocol::Quorum, Request::Client(request)) => {
                Response::Client(self.coordinate(request).await)
            }
            (Protocol::Abd, Request::Client(request)) => {
                Response::Client(self.coordinate_abd(request).await)
            }
            (Protocol::Paxos, Request::Client(request)) => {
                Response::Client(self.coordinate_paxos(request).await)
            }
            (_, Request::Replica(request)) => Response::Replica(
                self.config
                    .fault_points
                    .after_apply(self.id, self.serve_replica(request))
                    .await,
            ),
        }
    }

    /// Whether this node is a router (coordinates, holds no data).
    pub fn is_router(&self) -> bool {
        self.replica.is_none()
    }

    /// What this replica holds for `key` (tombstones included), without any
    /// messaging. A router holds nothing.
    pub fn local(&self, key: &str) -> Option<Entry> {
        self.replica.as_ref()?.get(key)
    }

    /// Everything this replica holds (tombstones included), in key order: for
    /// the `final` lines of a history. Empty for a router.
    pub fn local_entries(&self) -> Vec<(String, Entry)> {
        let all = crate::message::KeyRange::all();
        self.replica
            .as_ref()
            .map(|replica| replica.scan(&all, usize::MAX, |key, _| !is_node_local(key)))
            .unwrap_or_default()
    }

    /// The replica side: answers from local state only, without messaging.
    /// A router refuses every replica request.
    fn serve_replica(&self, request: ReplicaRequest) -> ReplicaResponse {
        if let ReplicaRequest::Layout { layout } = request {
            return self.serve_layout(layout);
        }
        let Some(replica) = &self.replica else {
            return ReplicaResponse::Refused;
        };
        // A node back from longer than `gc_grace` away may hold deleted
        // values: it answers nothing read from its state until rebuilt.
        let reads = matches!(
            request,
            ReplicaRequest::Read { .. }
                | ReplicaRequest::Scan { .. }
                | ReplicaRequest::Sync { .. }
                | ReplicaRequest::Stream { .. }
        );
        if reads && self.rejoining() {
            // Anti-entropy says why, so that a rebuild that finds every
            // other owner of a range rebuilding too stops waiting for them.
            return match request {
                ReplicaRequest::Sync { .. } => ReplicaResponse::Rebuilding,
                _ => ReplicaResponse::Refused,
            };
        }
        match request {
            ReplicaRequest::Read { key } => ReplicaResponse::Read(replica.get(&key)),
            // A write the disk refused is not acknowledged.
            ReplicaRequest::Write { key, entry } => match replica.merge(&key, &entry) {
                Ok(false) if self.reports_newer() => match replica.get(&key) {
                    Some(held) if held.version > entry.version => ReplicaResponse::WrittenBehind {
                        newest: held.version,
                    },
                    _ => ReplicaResponse::Written,
                },
                Ok(_) => ReplicaResponse::Written,
                Err(_) => ReplicaResponse::Failed,
            },
            ReplicaRequest::HintedWrite {
                key,
                entry,
                intended,
            } => self.keep_hint(intended, key, entry),
            ReplicaRequest::Sync {
                from,
                range,
                entries,
            } => self.serve_sync(replica, from, &range, &entries),
            ReplicaRequest::Scan {
                prefix,
                after,
                limit,
            } => {
                let limit = (limit as usize).min(MAX_SCAN_ENTRIES);
                let entries = replica.scan_prefix(&prefix, after.as_deref(), limit);
                let complete = entries.len() < limit;
                ReplicaResponse::Scan { entries, complete }
            }
            ReplicaRequest::WriteAll { entries } => {
                let entries = entries.iter().take(MAX_SCAN_ENTRIES);
                match replica.merge_all(entries.map(|(key, entry)| (key.as_str(), entry))) {
                    Ok(_) => ReplicaResponse::Written,
                    Err(_) => ReplicaResponse::Failed,
                }
            }
            ReplicaRequest::Prepare { key, ballot } => match replica.prepare(&key, ballot) {
                Ok(Ok(accepted)) => ReplicaResponse::Promised { accepted },
                Ok(Err(promised)) => ReplicaResponse::Rejected { promised },
                Err(_) => ReplicaResponse::Failed,
            },
            ReplicaRequest::Accept { key, entry } => match replica.accept(&key, &entry) {
                Ok(Ok(())) => ReplicaResponse::Accepted,
                Ok(Err(promised)) => ReplicaResponse::Rejected { promised },
                Err(_) => ReplicaResponse::Failed,
            },
            ReplicaRequest::Stream {
                to,
                version,
                after,
                limit,
            } => self.serve_stream(replica, to, version, after, limit),
            ReplicaRequest::Layout { .. } => unreachable!("served above"),
        }
    }

    /// Whether a replica answers an outdated write with the newer version it
    /// holds (`WrittenBehind`): only under the LWW protocols with
    /// [`Timestamps::CompletesLast`].
    fn reports_newer(&self) -> bool {
        matches!(self.config.protocol, Protocol::Eventual | Protocol::Quorum)
            && self.config.timestamps == Timestamps::CompletesLast
    }

    /// Sends `request` to replica `to` and returns its answer, or `None` if none
    /// came in time. The node reaches its own replica directly: a node can
    /// always talk to itself, whatever the network does.
    async fn call_replica(
        self: &Arc<Self>,
        to: NodeId,
        request: ReplicaRequest,
    ) -> Option<ReplicaResponse> {
        if to == self.id {
            return Some(self.serve_replica(request));
        }
        match self
            .transport
            .call(to, Request::Replica(request), self.config.replica_timeout)
            .await
        {
            Ok(Response::Replica(response)) => Some(response),
            // A client answer to a replica request is a peer bug: count it as no answer.
            Ok(Response::Client(_)) | Err(_) => None,
        }
    }

    /// A fresh version: the clock's time, pushed past the last timestamp this
    /// node issued (clocks may stand still or jump back), with this node's id.
    ///
    /// Known hole, kept on purpose (real LWW stores have it too): the last
    /// timestamp lives in memory, recovered on restart only from versions on
    /// this node's own disk, so a node restarted with its clock set back may
    /// reissue a version whose write never reached its disk. `Entry::supersedes`
    /// keeps replicas convergent if that happens.
    fn next_version(&self) -> Version {
        let mut last = lock(&self.last_timestamp);
        let timestamp = self
            .clock
            .now_ns()
            .max(last.checked_add(1).expect("timestamp space exhausted"));
        *last = timestamp;
        Version {
            timestamp,
            node: self.id,
        }
    }

    /// The preference list of store key `key` under this cluster's N (placed
    /// by [`placement`]: every version of an object on the object's list).
    /// During a movement this is the ring reads use (see
    /// [`Routing::read_ring`]); writes go to [`Node::write_lists`].
    fn replicas_of(&self, key: &str) -> Vec<NodeId> {
        (self.routing().read_ring()).preference_list(placement(key), self.config.replicas)
    }

    /// The preference lists a write of `key` needs W acknowledgements from:
    /// one outside movements, the old and the new during one.
    fn write_lists(&self, key: &str) -> Vec<Vec<NodeId>> {
        let routing = self.routing();
        let placed = placement(key);
        (routing.write_rings().into_iter())
            .map(|ring| ring.preference_list(placed, self.config.replicas))
            .collect()
    }
}

/// Panics unless `1 <= W <= N`, `1 <= R <= N`, `N <= nodes`, `vnodes >= 1`,
/// `max_hints >= 1`, a router mode has routers, `gc_grace` only with clock
/// timestamps and anti-entropy, and under `abd` R + W > N
/// without hinted handoff (ABD is only correct if every read quorum meets
/// every write quorum, and a hint is not in the key's quorum system).
fn validate(config: &ClusterConfig) {
    let (nodes, n, w, r) = (
        config.nodes,
        config.replicas,
        config.write_quorum,
        config.read_quorum,
    );
    let members = nodes.saturating_sub(config.spares);
    assert!(
        1 <= n && n <= members,
        "N = {n} must be in 1..={members} ({nodes} nodes, {} spares)",
        config.spares
    );
    assert!(1 <= w && w <= n, "W = {w} must be in 1..=N (N = {n})");
    assert!(1 <= r && r <= n, "R = {r} must be in 1..=N (N = {n})");
    assert!(config.vnodes >= 1, "vnodes must be at least 1");
    assert!(config.max_hints >= 1, "max_hints must be at least 1");
    assert!(
        config.coordinators != Coordinators::Routers(0),
        "router mode needs at least one router"
    );
    if config.gc_grace.is_some() {
        assert!(
            matches!(config.protocol, Protocol::Eventual | Protocol::Quorum),
            "gc_grace needs clock timestamps (eventual or quorum)"
        );
        assert!(
            config.anti_entropy_interval.is_some(),
            "gc_grace collects in anti-entropy rounds"
        );
    }
    if matches!(config.protocol, Protocol::Abd | Protocol::Paxos) {
        let name = config.protocol.name();
        assert!(
            r + w > n,
            "{name} needs R + W > N (R = {r}, W = {w}, N = {n})"
        );
        assert!(
            !config.hinted_handoff,
            "{name} does not allow hinted handoff"
        );
    }
}

/// Locks a mutex that no code path holds across a panic that matters: a
/// poisoned lock still guards consistent data (every update is one assignment).
fn lock<S>(mutex: &Mutex<S>) -> MutexGuard<'_, S> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
