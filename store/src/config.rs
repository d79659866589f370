//! Cluster configuration.

use crate::membership::MoveDesign;
use std::time::Duration;

/// The replication protocol. All three share the ring, the replicas, the
/// anti-entropy and the sync policies; they differ in how a coordinator
/// serves a client request and where versions come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    /// Eventual consistency: the `quorum` code path with eventual defaults
    /// (see [`ClusterConfig::for_protocol`]): acknowledge after W = 1 replica,
    /// the rest are written in the background; read R = 1 replica; no read
    /// repair unless asked (anti-entropy and hinted handoff spread writes).
    /// LWW versions from the coordinator's clock. A name of its own so that a
    /// scenario says what it means.
    Eventual,
    /// Last-write-wins with N/R/W quorums, optional read repair and hinted
    /// handoff. Versions from the coordinator's clock, so R + W > N is not
    /// linearizable under clock skew or partial writes.
    Quorum,
    /// Multi-writer ABD (Attiya, Bar-Noy, Dolev): a linearizable register per
    /// key. A write asks R replicas for the highest version and writes version
    /// `max + 1` (ties broken by coordinator id) to W replicas; a read asks R
    /// replicas and writes the highest entry back to W replicas before it
    /// returns. Versions are logical: clocks play no part. Needs R + W > N
    /// (every read quorum meets every write quorum); read repair is implied
    /// by the write-back and hinted handoff is not allowed (a hint does not
    /// count toward an intersecting quorum).
    Abd,
    /// A per-key consensus register (CASPaxos, see `node::paxos`): every
    /// operation — read, write, delete, cas — is one Paxos round (prepare to
    /// R acceptors, then accept by W) that applies a change to the key's
    /// current value, so a conditional write is atomic: of two racing
    /// `If-None-Match: *` creates exactly one succeeds. Ballots are logical;
    /// clocks play no part. Needs R + W > N (every prepare quorum meets every
    /// accept quorum); no hinted handoff. Registers only: bucket and object
    /// requests are refused for now.
    Paxos,
}

impl Protocol {
    /// The name a scenario uses.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Eventual => "eventual",
            Protocol::Quorum => "quorum",
            Protocol::Abd => "abd",
            Protocol::Paxos => "paxos",
        }
    }
}

/// When a replica makes an accepted write durable (`Disk::sync`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncPolicy {
    /// Sync before acknowledging: an acknowledged write survives a crash.
    Always,
    /// Acknowledge without syncing, and never sync: a crash loses every write
    /// since the node started (the "ack before fsync" bug, taken to the limit).
    Never,
    /// Acknowledge without syncing; a background task syncs every interval,
    /// so a crash loses up to one interval of acknowledged writes.
    Interval(Duration),
}

/// Where a write's LWW timestamp comes from under `eventual` and `quorum`
/// (`abd` ignores it: its versions are logical, above every version its
/// query saw). Versions stay `(timestamp, coordinator id)` either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Timestamps {
    /// The coordinator's clock when the write starts, pushed past the last
    /// timestamp that coordinator issued. No extra messages; a coordinator
    /// whose clock lags loses its writes to older ones (the lost update the
    /// testbed shows). Today's behaviour and the default.
    #[default]
    Coordinator,
    /// Garage's fix for clock skew: first read the key's newest version from
    /// R replicas (as GET does), then stamp `max(newest + 1, now)`. A write
    /// that starts after another one completed wins whatever the clocks,
    /// whenever its read meets that write (R + W > N); costs one read round
    /// trip per write.
    NewestSeenPlusOne,
    /// The write that *completes* last wins (S3's observed behaviour),
    /// approximated without consensus: stamp as `NewestSeenPlusOne`; a
    /// replica that already holds a newer version answers the write with
    /// that version (`WrittenBehind`) instead of a plain acknowledgement, and
    /// the coordinator then re-stamps above it and writes again, at most
    /// [`MAX_RESTAMPS`] times (then `WriteUnavailable`: indeterminate). So a
    /// write that overlaps a newer-stamped one and completes after it still
    /// wins on the replicas that acknowledged it. Not a guarantee across
    /// disjoint write quorums (W + W ≤ N) or for a newer write that reaches a
    /// replica after it acknowledged.
    CompletesLast,
}

/// What a node does when it comes back after being out of touch with every
/// peer for longer than [`ClusterConfig::gc_grace`] (crashed with its disk,
/// or cut off): its peers may have collected tombstones of deletes it never
/// saw, so its copies of those keys look like live data nobody else holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rejoin {
    /// Serve at once and reconcile as usual: anti-entropy and read repair
    /// copy its stale entries back to the peers, resurrecting deleted keys
    /// (Cassandra's documented hazard of a node down past `gc_grace_seconds`).
    #[default]
    AsIs,
    /// Rebuild before serving (Cassandra's advice: do not bring such a node
    /// back without a repair): drop every entry older than `gc_grace`, pull
    /// its ranges from a read quorum of the other replicas, and refuse
    /// reads, scans, anti-entropy and streaming until done (see `node::grace`).
    RepairFirst,
}

impl Rejoin {
    /// The name a scenario uses.
    pub fn name(self) -> &'static str {
        match self {
            Rejoin::AsIs => "as-is",
            Rejoin::RepairFirst => "repair-first",
        }
    }
}

/// Most re-stamps of one write under [`Timestamps::CompletesLast`].
pub const MAX_RESTAMPS: u32 = 4;

/// Who coordinates client requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coordinators {
    /// Any storage node coordinates any request (Dynamo style).
    Nodes,
    /// This many front-end routers coordinate; they hold no data. Router `r`
    /// has node id `nodes + r`, so versions it issues never collide with a
    /// storage node's.
    Routers(u32),
}

/// How a cluster replicates. Defaults: 3 nodes, N=3, W=2, R=2, quorum
/// protocol, read repair on, hinted handoff off (hint delivery every 100 ms,
/// at most 1024 hints held per node), sync always, storage nodes coordinate,
/// replica timeout 50 ms, timestamps from the coordinator's clock,
/// anti-entropy every 500 ms, 16 vnodes.
/// [`ClusterConfig::for_protocol`] gives each protocol's own defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    /// Number of storage nodes (ids `0..nodes`).
    pub nodes: u32,
    /// N: replicas per key (≤ nodes).
    pub replicas: u32,
    /// W: acknowledgements before a write succeeds (1..=N).
    pub write_quorum: u32,
    /// R: replies before a read returns (1..=N).
    pub read_quorum: u32,
    pub protocol: Protocol,
    /// After a read, write the newest version back to replicas that answered
    /// with an older one, in the background (`eventual`/`quorum` only: `abd`
    /// always writes back, before the read returns).
    pub read_repair: bool,
    /// Sloppy quorum (`eventual`/`quorum` only): a write that a
    /// preference-list replica does not acknowledge goes to the next node on
    /// the ring beyond the preference list, which keeps a hint and delivers
    /// it to the intended replica later. Its acknowledgement counts toward W.
    pub hinted_handoff: bool,
    /// How often a node tries to deliver the hints it holds.
    pub hint_interval: Duration,
    /// Most hints one node holds; a node with a full queue refuses new hints
    /// (the coordinator then tries the next node). At least 1.
    pub max_hints: u32,
    /// When replica writes become durable.
    pub sync: SyncPolicy,
    pub coordinators: Coordinators,
    /// How long a coordinator waits for replicas before giving up.
    pub replica_timeout: Duration,
    /// Where LWW timestamps come from (`eventual`/`quorum`).
    pub timestamps: Timestamps,
    /// Period of anti-entropy rounds (`None` = off).
    pub anti_entropy_interval: Option<Duration>,
    /// Virtual nodes per node on the hash ring.
    pub vnodes: u32,
    /// Where a simulation may crash, pause or delay a node (none by default).
    pub fault_points: crate::buggify::FaultPoints,
    /// The rings the nodes built from this configuration (and its clones)
    /// share: a cache, never part of what the configuration says.
    pub rings: crate::ring::RingCache,
    /// The movements' gains the nodes computed (a cache, like `rings`).
    pub gains: crate::membership::GainsCache,
    /// Nodes `nodes - spares..nodes` start outside the ring: spares that a
    /// membership change can add ([`crate::membership`]). Default 0.
    pub spares: u32,
    /// How often a node drives its membership duties (pushing a layout as
    /// the driver of a movement, streaming a range it gains); `None` (the
    /// default) runs none, so a cluster that never changes sends nothing more.
    pub membership_interval: Option<Duration>,
    /// The movement design: the correct one (default) or a known wrong one.
    pub moves: MoveDesign,
    /// Tombstone collection (`eventual`/`quorum` only, whose tombstones carry
    /// clock timestamps; `None`, the default, keeps tombstones forever): in
    /// each anti-entropy round a replica drops the tombstones whose
    /// timestamp is older than this on its own clock (Cassandra's
    /// `gc_grace_seconds`). Compared with clock readings, never slept, so it
    /// is in clock time (the simulation does not stretch it). A tombstone
    /// must reach every replica within the grace period, or the deleted
    /// value can come back: see [`Rejoin`].
    pub gc_grace: Option<Duration>,
    /// What a node out of touch for longer than `gc_grace` does on rejoining.
    pub rejoin: Rejoin,
    /// Access control: principals, the administrator, the policy cache's
    /// TTL (`None`, the default: none, and nothing changes).
    pub auth: Option<crate::auth::AuthConfig>,
    /// **Test-only planted bug**: the coordinator acknowledges a write after
    /// sending it, without waiting for W replicas, so that tests can show the
    /// checks catch it. Exists only with the `planted-bugs` feature, which
    /// only tests enable: a production build cannot set it.
    #[cfg(feature = "planted-bugs")]
    pub bug_ack_before_quorum: bool,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            nodes: 3,
            replicas: 3,
            write_quorum: 2,
            read_quorum: 2,
            protocol: Protocol::Quorum,
            read_repair: true,
            hinted_handoff: false,
            hint_interval: Duration::from_millis(100),
            max_hints: 1024,
            sync: SyncPolicy::Always,
            coordinators: Coordinators::Nodes,
            replica_timeout: Duration::from_millis(50),
            timestamps: Timestamps::Coordinator,
            anti_entropy_interval: Some(Duration::from_millis(500)),
            vnodes: 16,
            fault_points: crate::buggify::FaultPoints::default(),
            rings: crate::ring::RingCache::default(),
            gains: crate::membership::GainsCache::default(),
            spares: 0,
            membership_interval: None,
            moves: MoveDesign::Correct,
            gc_grace: None,
            rejoin: Rejoin::AsIs,
            auth: None,
            #[cfg(feature = "planted-bugs")]
            bug_ack_before_quorum: false,
        }
    }
}

impl ClusterConfig {
    /// The defaults of `protocol` on `nodes` nodes with N = `replicas`:
    /// `eventual`: W = R = 1, no read repair; `quorum`: W = R = 2 (capped at
    /// N), read repair; `abd`: W = R = a majority of N (N/2 + 1). Everything
    /// else as [`ClusterConfig::default`].
    pub fn for_protocol(protocol: Protocol, nodes: u32, replicas: u32) -> ClusterConfig {
        let (quorum, read_repair) = match protocol {
            Protocol::Eventual => (1, false),
            Protocol::Quorum => (2.min(replicas), true),
            Protocol::Abd | Protocol::Paxos => (replicas / 2 + 1, false),
        };
        ClusterConfig {
            nodes,
            replicas,
            write_quorum: quorum,
            read_quorum: quorum,
            protocol,
            read_repair,
            ..ClusterConfig::default()
        }
    }

    /// Number of routers (0 when storage nodes coordinate).
    pub fn routers(&self) -> u32 {
        match self.coordinators {
            Coordinators::Nodes => 0,
            Coordinators::Routers(count) => count,
        }
    }
}
