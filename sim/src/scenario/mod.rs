//! Scenario files: TOML, read into one spec type per section, validated into
//! a [`Scenario`] whose every value is known to be runnable, and written back
//! from it (a run folder's `scenario.toml`).
//!
//! Errors name the file, line and column of the offending value and say what
//! would be accepted, before anything runs.
//!
//! `text → ScenarioSpec (serde; every fallible value Spanned) → validate →
//! Scenario → ScenarioSpec::resolved → text (serde)`. Each section's module
//! holds its spec type (what the file says, and what is written back), its
//! checks (`validate`) and its writer (`resolved`): `top` (the top-level keys,
//! relations between sections), `cluster`, `clocks`, `network`, `workload`
//! (with probes), `faults`, `nemesis`, `expect`. They share the leaf
//! modules `fields` (checks of one value), `span` (`line:column` errors, "did
//! you mean") and `duration` (`"1.5ms"`); no section imports another.
//! This module holds the validated types and the entry points.

mod auth;
mod buggify;
mod clocks;
mod cluster;
mod dist;
mod duration;
mod expect;
mod faults;
mod fields;
mod nemesis;
mod network;
mod size;
mod span;
mod swarm;
mod top;
mod workload;

#[cfg(test)]
mod tests;

use check::CheckName;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

pub use duration::{format_duration, parse_duration};
pub use size::{MAX_BANDWIDTH, format_rate, format_size, parse_rate, parse_size};
pub use swarm::{SWARM_STREAM, Swarm, SwarmPoint};

/// Largest cluster a scenario may ask for (node ids `0..nodes`).
pub const MAX_NODES: u32 = 64;
/// Most concurrent clients.
pub const MAX_CLIENTS: u32 = 1024;
/// Most distinct keys.
pub const MAX_KEYS: u32 = 100_000;
/// Largest Zipf exponent of `key_skew` (at 4, key 1 takes over 90% of draws).
pub const MAX_KEY_SKEW: f64 = 4.0;
/// Most operations in one run (across all clients).
pub const MAX_OPS: u64 = 10_000_000;
/// Longest duration anywhere in a scenario (faulty phase, quiesce, timeouts, ...):
/// a day of simulated time is far beyond any useful run and keeps arithmetic
/// on nanoseconds far from overflow.
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 60 * 60);
/// Largest one-way latency (fixed value, uniform max, exponential mean, pareto
/// scale, lognormal median), and the cap on any single drawn delay (heavy tails
/// are truncated there, so one message never waits longer).
pub const MAX_LATENCY: Duration = Duration::from_secs(10);
/// Most components in one latency mixture.
pub const MAX_MIXTURE: usize = 16;
/// Most `[[network.links]]` entries, after `both = true` doubles one.
pub const MAX_LINKS: usize = (MAX_NODES * MAX_NODES) as usize;
/// Most `[[faults]]` tables in one file.
pub const MAX_FAULTS: usize = 10_000;
/// Most faults the nemesis draws in one run (it stops drawing there).
pub const MAX_NEMESIS_FAULTS: usize = 10_000;
/// Largest clock drift, in parts per million (1e6 ppm = a clock running at double or zero speed).
pub const MAX_DRIFT_PPM: f64 = 1e6;

/// A validated scenario. Defaults are applied; every value is in range.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// First seed when none is given on the command line. Default 1.
    pub seed: u64,
    /// Simulated time of the faulty phase. Default 10 s.
    pub duration: Duration,
    /// After the faulty phase: every fault is healed and the cluster runs this
    /// long with no client traffic before the final reads. Default 5 s.
    pub quiesce: Duration,
    pub cluster: Cluster,
    pub clocks: Clocks,
    pub network: Network,
    pub workload: Workload,
    /// Sorted by `at`.
    pub faults: Vec<Fault>,
    /// `[nemesis]`: random faults drawn from the seed, on top of `faults`.
    pub nemesis: Option<Nemesis>,
    /// `[buggify]`: crashes, pauses and delays at the store's fault points.
    pub buggify: Option<Buggify>,
    /// `[swarm]`: workload ranges, one point drawn per seed ([`Scenario::for_seed`]).
    pub swarm: Option<Swarm>,
    /// Expectations per check; checks not listed are `Any`.
    pub expect: BTreeMap<CheckName, Expectation>,
    /// `[auth]`: access control (`None`: none, and nothing changes).
    pub auth: Option<Auth>,
}

/// Most principals in `[auth]`.
pub const MAX_PRINCIPALS: usize = 64;
/// The administrator's name (the bucket owner; client 0 when
/// `administrator = true`): no principal may take it.
pub const ADMIN: &str = "admin";

/// `[auth]` (issue 17). Defaults: `administrator` true (client 0 grants and
/// revokes, one bucket and principal at a time, instead of reading and
/// writing), no adversarial requests (`forged`, `replayed`, `presigned`,
/// `expired` shares 0), `revocation_delta` 0, `policy_cache_ttl` 1 s.
#[derive(Debug, Clone, PartialEq)]
pub struct Auth {
    pub principals: Vec<Principal>,
    /// Explicit initial policies by bucket (JSON, validated); a bucket
    /// without one starts with an allow for the principals that list it.
    pub policies: BTreeMap<String, String>,
    pub administrator: bool,
    /// Shares of a regular client's requests signed with a wrong secret,
    /// replayed 30 minutes late, presigned (valid), presigned and expired.
    pub forged: f64,
    pub replayed: f64,
    pub presigned: f64,
    pub expired: f64,
    /// Δ: how long after an acknowledged revoke a request may still get in.
    pub revocation_delta: Duration,
    /// How long a coordinator trusts a policy it read (on its own clock).
    pub policy_cache_ttl: Duration,
}

/// One principal: its name (the access key), secret, and the buckets its
/// initial policies allow it.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub name: String,
    pub secret: String,
    pub buckets: Vec<String>,
}

/// `[cluster]`. Defaults: nodes 3, replicas 3, protocol "quorum",
/// write_quorum/read_quorum 2 under "quorum", 1 under "eventual", a majority
/// of replicas (N/2 + 1) under "abd" and "paxos"; read_repair true under
/// "quorum", false under "eventual" (not allowed under "abd" and "paxos",
/// whose reads always write back); hinted_handoff false (not allowed under
/// "abd" and "paxos"); sync "always";
/// coordinators "nodes" (routers 2 when "routers"); allow_unsafe_cas false;
/// anti_entropy "500ms" (`"off"` disables); replica_timeout "50ms";
/// client_timeout "200ms".
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    pub nodes: u32,
    pub replicas: u32,
    pub write_quorum: u32,
    pub read_quorum: u32,
    pub protocol: store::Protocol,
    pub read_repair: bool,
    /// Sloppy quorums with hints (eventual/quorum only).
    pub hinted_handoff: bool,
    /// When replicas make writes durable; an interval is in scenario time.
    pub sync: store::SyncPolicy,
    /// Storage nodes coordinate, or this many routers (extra processes that
    /// store nothing; clients pick one at random per operation).
    pub coordinators: store::Coordinators,
    /// Lets `cas` run under "abd", where it is not atomic (to demonstrate the anomaly).
    pub allow_unsafe_cas: bool,
    pub anti_entropy: Option<Duration>,
    pub replica_timeout: Duration,
    pub client_timeout: Duration,
    /// Where LWW timestamps come from (`timestamps = "coordinator"`, the
    /// default, `"newest-seen-plus-one"` or `"completes-last"`; see
    /// [`store::Timestamps`]); `eventual` and `quorum` only.
    pub timestamps: store::Timestamps,
    /// Of `nodes` (members and spares), how many start outside the ring
    /// (the last ones), for `join` and `replace` faults. Default 0.
    pub spares: u32,
    /// The movement design (`moves = "correct"`, the default, or a known
    /// wrong one: see `store::MoveDesign`).
    pub moves: store::MoveDesign,
    /// Whether nodes run their membership duties: derived (spares, or a
    /// `join`/`leave`/`replace` fault), never written.
    pub membership: bool,
    /// Tombstone collection: tombstones older than this on a replica's clock
    /// are dropped (`gc_grace = "2s"`; absent or `"never"`, the default,
    /// keeps them). `eventual`/`quorum` with anti-entropy only.
    pub gc_grace: Option<Duration>,
    /// What a node away longer than `gc_grace` does on coming back
    /// (`rejoin = "as-is"`, the default, or `"repair-first"`; see
    /// `store::Rejoin`). Only with `gc_grace`.
    pub rejoin: store::Rejoin,
    /// Service time, concurrency and queue of every node (default: off, a
    /// node serves every request at once and instantly, as before).
    pub service: Service,
}

/// `[cluster] service_time`, `concurrency`, `queue` and `[[cluster.slow]]`:
/// how long a node (or router) works on each request it receives, and how
/// many it works on at once (see `sim::service`). Defaults: no service
/// time, unlimited concurrency, `queue = 1000`, no slow node.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// Drawn per request, before the node handles it (`None`: none).
    pub time: Option<Latency>,
    /// Requests in service at once per node (`None`: unlimited).
    pub concurrency: Option<u32>,
    /// Requests a node holds waiting for a slot; one more is answered at
    /// once, refused before it is served (`Refused` to a replica request,
    /// `ClientResponse::Refused`, S3's 503 SlowDown, to a client's). Only
    /// with `concurrency`.
    pub queue: u32,
    /// Nodes with their own service time, over `time`.
    pub slow: BTreeMap<u32, Latency>,
}

impl Default for Service {
    fn default() -> Service {
        Service {
            time: None,
            concurrency: None,
            queue: Service::QUEUE,
            slow: BTreeMap::new(),
        }
    }
}

impl Service {
    /// `queue`'s default.
    pub const QUEUE: u32 = 1000;

    /// Whether any of it is set (else nodes serve as before: no draw, no wait).
    pub fn is_on(&self) -> bool {
        self.time.is_some() || self.concurrency.is_some() || !self.slow.is_empty()
    }

    /// Node `n`'s service time, if it has one.
    pub fn time_of(&self, n: u32) -> Option<&Latency> {
        self.slow.get(&n).or(self.time.as_ref())
    }
}

/// `[clocks]`: per-node clock error for LWW timestamps. Defaults: skew "0ms", drift_ppm 0.
#[derive(Debug, Clone, PartialEq)]
pub struct Clocks {
    /// Max |offset|; each node's offset is drawn uniformly in [-skew, skew] from the seed.
    pub skew: Duration,
    /// Max |drift| in parts per million, drawn per node like the offset.
    pub drift_ppm: f64,
}

/// `[network]`. Defaults: latency fixed "1ms", loss 0, duplicate 0, no
/// `kinds`, no `links`.
///
/// A message's latency is the first that applies of: its link's entry for its
/// kind, its link's `latency`, `kinds`' entry for its kind, `latency`
/// (link+kind > link > kind > global). Links are between storage nodes;
/// messages between a client and a node use `kinds` or `latency`.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    /// One-way delay of every message no more specific entry covers.
    pub latency: Latency,
    /// Probability in [0, 1] that any message is lost (madsim's own loss).
    pub loss: f64,
    /// Probability in [0, 1] that a node-to-node request (`replica-*`) is
    /// delivered twice; the copy's response is discarded. Client requests are
    /// never duplicated (a repeated put would be a second write, not a copy).
    pub duplicate: f64,
    /// Bytes per second of every directed link (client links included) that
    /// `[[network.links]]` gives none; `None`: infinite, a message takes its
    /// latency only (the default, and what runs did before bandwidth).
    pub bandwidth: Option<u64>,
    /// `[network.kinds]`: latency per message kind (`replica-write = {...}`).
    pub kinds: BTreeMap<String, Latency>,
    /// `[[network.links]]`: directed node-to-node links, sorted, unique.
    pub links: Vec<Link>,
}

/// One directed link (`[[network.links]] from = 0, to = 2, ...`; `both = true`
/// writes the reverse link too). Defaults: no latency of its own, loss 0.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub from: u32,
    pub to: u32,
    /// Latency of every message on the link (unless `kinds` says otherwise).
    pub latency: Option<Latency>,
    /// Latency per message kind on this link.
    pub kinds: BTreeMap<String, Latency>,
    /// Probability in [0, 1] that a message on this link is lost, on top of `loss`.
    pub loss: f64,
    /// Bytes per second on this link, over `[network] bandwidth`.
    pub bandwidth: Option<u64>,
}

/// A one-way latency distribution (`{ dist = "...", ... }` in TOML). Every
/// draw is capped at [`MAX_LATENCY`].
#[derive(Debug, Clone, PartialEq)]
pub enum Latency {
    /// `{ dist = "fixed", value = "1ms" }`
    Fixed(Duration),
    /// `{ dist = "uniform", min = "1ms", max = "5ms" }` (min ≤ max)
    Uniform { min: Duration, max: Duration },
    /// `{ dist = "exponential", mean = "2ms" }`
    Exponential { mean: Duration },
    /// `{ dist = "pareto", scale = "1ms", shape = 2.5 }`: P(X > x) = (scale/x)^shape
    /// for x ≥ scale (shape > 0). Or by its mean, `{ dist = "pareto", mean =
    /// "2ms", shape = 2.5 }` (shape > 1): scale = mean × (shape − 1) / shape.
    Pareto { scale: Duration, shape: f64 },
    /// `{ dist = "lognormal", median = "1ms", sigma = 0.5 }`: ln X is normal with
    /// mean ln(median) and standard deviation sigma. Or by its mean, `{ dist =
    /// "lognormal", mean = "2ms", sigma = 0.5 }`: median = mean × e^(−sigma²/2).
    Lognormal { median: Duration, sigma: f64 },
    /// `{ dist = "mixture", of = [ { weight = 0.9, dist = "fixed", value =
    /// "200us" }, ... ] }`: one component drawn by weight, then its delay.
    /// Weights are normalised to sum to 1; components are not mixtures.
    Mixture(Vec<(f64, Latency)>),
}

/// `[workload]`. Defaults: clients 4, keys 3, ops 1000, mix get 0.5 / put 0.4 /
/// delete 0.1 / cas 0, think = 0.8 × duration × clients / ops (so the
/// operations spread over most of the faulty phase), coordinator random.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    /// Regular clients; 0 only with [`Probes`] (the probes then run alone).
    pub clients: u32,
    pub keys: u32,
    /// Zipf exponent of the key draw (`key_skew`, default 0: uniform, the
    /// draw every scenario made before; 1: key 1 about ln(keys) times as
    /// likely as the average key).
    pub key_skew: f64,
    /// Total operations across all clients, split evenly. The workload stops at
    /// the end of the faulty phase, so with a long `think` fewer may run.
    pub ops: u64,
    pub mix: Mix,
    /// Mean of the exponential pause between a client's operations.
    pub think: Duration,
    /// Staleness probes (`[workload.probes]`), if any.
    pub probes: Option<Probes>,
    /// How each regular client picks its coordinator (default `random`).
    pub balance: Balance,
    /// `api = "s3"`: buckets, objects and listings instead of registers
    /// (`None`: `api = "register"`, the default).
    pub s3: Option<S3Workload>,
    /// What a cas is conditional on (default `seen`).
    pub cas_from: CasFrom,
    /// `rounds`: fresh keys every this long (default `None`: the same
    /// `keys` for the whole run). An operation invoked in round `r`
    /// (`r = ⌊time since the start / rounds⌋`) uses key `r<r>-k<i>` (`i`
    /// drawn as usual), so every round's creates race on keys nobody wrote.
    pub rounds: Option<Duration>,
}

/// `[workload] api = "s3"` and its knobs (kept together: `buckets`,
/// `versioning`, `object_size`, `max_keys`, the S3 kinds of `mix`).
/// Defaults: buckets 1, versioning "off", object_size fixed "4KiB",
/// max_keys 1000.
///
/// The buckets exist before the clients start: each is installed on every
/// replica of its key, with its versioning, as if created and replicated
/// long before the run (no messages, nothing recorded), so no client sees
/// a half-created bucket and no check sees setup operations.
/// `get`, `put`, `delete` of `mix` are GetObject, PutObject, DeleteObject;
/// `cas` is a conditional PutObject (`If-Match` the ETag of the body last
/// seen, or `If-None-Match: *`, as `cas_from` says). Under `paxos`
/// versioning is refused (an object is one consensus register); `rounds`
/// is refused under s3 (it names register keys).
#[derive(Debug, Clone, PartialEq)]
pub struct S3Workload {
    /// Buckets `bucket1`..`bucketN`; each operation draws one.
    pub buckets: u32,
    pub versioning: store::Versioning,
    /// The size of each PutObject's body (a descriptor: no bytes are held).
    pub object_size: ObjectSize,
    /// ListObjectsV2 / ListObjectVersions page size (1 to 1000).
    pub max_keys: u32,
    /// The S3-only operation weights, normalised with `mix`'s (together
    /// they sum to 1).
    pub mix: ObjectMix,
}

/// The fractions of S3-only operations (see [`Mix`] for the others).
/// `get_version`, `delete_version`, `list_versions` need versioning
/// `"enabled"` or `"suspended"`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ObjectMix {
    /// ListObjectsV2 of a prefix drawn from the key tree, page by page.
    pub list: f64,
    /// GetObject `?versionId=` of a version the client has seen.
    pub get_version: f64,
    /// DeleteObject `?versionId=` of a version the client has seen.
    pub delete_version: f64,
    /// ListObjectVersions of a prefix drawn from the key tree.
    pub list_versions: f64,
    /// A conditional DeleteObject (`If-Match` the ETag of the body the
    /// client last saw current; recorded as a `cas` to `null`). With none
    /// seen, a plain GET instead. 0 by default: no draw changes.
    pub cas_delete: f64,
}

impl ObjectMix {
    /// The sum of the weights.
    pub fn sum(&self) -> f64 {
        self.list + self.get_version + self.delete_version + self.list_versions + self.cas_delete
    }
}

/// Largest object size a scenario may draw: the store hashes every body's
/// bytes for its ETag (MD5, as S3), so size costs simulation time.
pub const MAX_OBJECT_SIZE: u64 = 64 * 1024 * 1024;

/// An object size distribution (`object_size = { dist = ..., }`), sizes
/// written with units (`"512B"`, `"4KiB"`, `"1MB"`); every draw is capped
/// at [`MAX_OBJECT_SIZE`].
#[derive(Debug, Clone, PartialEq)]
pub enum ObjectSize {
    /// `{ dist = "fixed", value = "4KiB" }`
    Fixed(u64),
    /// `{ dist = "uniform", min = "1KiB", max = "1MiB" }` (min ≤ max)
    Uniform { min: u64, max: u64 },
    /// `{ dist = "lognormal", median = "16KiB", sigma = 1.5 }`
    Lognormal { median: u64, sigma: f64 },
}

/// `[workload] cas_from`: the condition of a client's cas (S3's
/// conditional PUT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CasFrom {
    /// `seen`: `If-Match` the last value this client saw of the key (its
    /// last read or write), `If-None-Match: *` when it saw the key absent
    /// or never touched it: read-modify-write chains, where two writers
    /// replacing one value lose an update.
    Seen,
    /// `absent`: always `If-None-Match: *` (create only if absent): with
    /// `rounds`, many writers racing to create each fresh key.
    Absent,
}

impl CasFrom {
    /// The name used in scenario files.
    pub fn as_str(self) -> &'static str {
        match self {
            CasFrom::Seen => "seen",
            CasFrom::Absent => "absent",
        }
    }
}

/// `[workload] balance` (formerly `coordinator`, whose two spellings stay
/// valid): how a regular client picks the process that coordinates its
/// request. Probe clients always pick at random (they measure visibility
/// through any coordinator).
///
/// What a client knows (`least-outstanding`, `power-of-two`): the requests
/// in flight to each coordinator from every regular client, as one
/// client-side balancer shared by all clients sees them — all clients are
/// threads of one application (Finagle's and gRPC's balancers count their
/// own requests the same way). Nothing is learned from the nodes: a slow
/// node is seen only through its requests taking longer to come back.
/// Each client runs one operation at a time, so a client's own count alone
/// would be 0 or 1 and say nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Balance {
    /// `random`: a coordinator drawn per operation, as behind a load balancer
    /// outside the cluster, so a partition between storage nodes never keeps a
    /// client from the majority.
    Random,
    /// `round-robin`: client `c`'s `k`-th operation goes to coordinator
    /// `(c + k) mod coordinators`.
    RoundRobin,
    /// `least-outstanding`: the coordinator with the fewest requests in
    /// flight; ties go to the first from the random draw on.
    LeastOutstanding,
    /// `power-of-two`: two coordinators drawn, the one with fewer requests in
    /// flight (Mitzenmacher's power of two choices).
    PowerOfTwo,
    /// `sticky`: client `c` always uses coordinator `c mod coordinators`, like a
    /// Jepsen client bound to its node; a partition that isolates that node
    /// leaves its clients on the minority side.
    Sticky,
}

impl Balance {
    /// Every policy, by its name in scenario files.
    pub const ALL: &[(&str, Balance)] = &[
        ("random", Balance::Random),
        ("round-robin", Balance::RoundRobin),
        ("least-outstanding", Balance::LeastOutstanding),
        ("power-of-two", Balance::PowerOfTwo),
        ("sticky", Balance::Sticky),
    ];

    /// The name used in scenario files.
    pub fn as_str(self) -> &'static str {
        (Balance::ALL.iter())
            .find(|(_, b)| *b == self)
            .map_or("random", |(name, _)| name)
    }
}

/// `[workload.probes]`: PBS-style staleness probes (Bailis et al., VLDB 2012).
/// Each probe client, besides the regular ones, repeatedly writes a key and,
/// once the write is acknowledged, reads it back through a random coordinator
/// after each delay, so the fraction of fresh reads can be measured directly
/// as a function of time since commit (the report's t-visibility curve).
/// Trials are spread over about 80% of the faulty phase (exponential pauses).
/// Defaults: clients 1, trials 100; `delays` is required (1 to
/// [`MAX_PROBE_DELAYS`] durations, each ≤ [`MAX_LATENCY`]; kept sorted).
#[derive(Debug, Clone, PartialEq)]
pub struct Probes {
    pub clients: u32,
    /// Writes per probe client (fewer if the faulty phase ends first).
    pub trials: u32,
    pub delays: Vec<Duration>,
}

/// Most delays a probe reads after each write.
pub const MAX_PROBE_DELAYS: usize = 32;
/// Most trials per probe client.
pub const MAX_PROBE_TRIALS: i64 = 100_000;

/// How far from 1 the mix weights may sum. Weights are written as decimal
/// fractions, which floating point cannot hold exactly (0.1 + 0.2 + 0.7 sums
/// to 1.0000000000000002): rounding errors are ~1e-16, so 1e-6 accepts every
/// sum that is 1 on paper, and thirds written to six places (0.333333 ×2 +
/// 0.333334), while a slip such as 0.5 + 0.6 or 0.33 × 3 is refused.
pub const MIX_SUM_TOLERANCE: f64 = 1e-6;

/// Operation mix: the fraction of operations of each kind. Non-negative
/// weights that sum to 1 within [`MIX_SUM_TOLERANCE`] (anything else is
/// refused: a sum of 1.1 is a mistake, not a ratio); then divided by their
/// sum, so they sum to 1 up to floating rounding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mix {
    pub get: f64,
    pub put: f64,
    pub delete: f64,
    pub cas: f64,
}

/// One scheduled fault (`[[faults]]`), active from `at` for `duration`
/// (a fault still active when the faulty phase ends is healed then).
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub at: Duration,
    pub duration: Duration,
    pub kind: FaultKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// `kind = "partition"`, `groups = [[0, 1], [2, 3, 4]]`: nodes in different
    /// groups cannot talk; nodes in no group are cut off from everyone.
    /// Groups are disjoint, each node index < nodes.
    Partition { groups: Vec<Vec<u32>> },
    /// `kind = "isolate"`, `node = 2`: the node cannot talk to any other node.
    Isolate { node: u32 },
    /// `kind = "random-halves"`: nodes are shuffled (from the seed, when the
    /// schedule is built) and split into ⌊n/2⌋ and ⌈n/2⌉ that cannot talk.
    RandomHalves,
    /// `kind = "bridge"`, `node = 2`: the other nodes, in index order, split into
    /// a lower and an upper half (the lower one has the extra node) that cannot
    /// talk to each other; the bridge node talks to both.
    Bridge { node: u32 },
    /// `kind = "clog"`, `from = 0`, `to = 1`: messages from `from` to `to` are
    /// dropped; the other direction still works.
    Clog { from: u32, to: u32 },
    /// `kind = "crash"`, `node = 2`: the node crashes (losing unsynced writes)
    /// and restarts from its disk when the fault ends.
    Crash { node: u32 },
    /// `kind = "pause"`, `node = 1`: the node stops (like SIGSTOP): none of its
    /// tasks or timers run; messages to it queue and are handled on resume.
    Pause { node: u32 },
    /// `kind = "clock-jump"`, `node = 1`, `by = "-500ms"`: at `at` the node's
    /// clock steps by `by` and stays stepped (like an NTP step; healing does not
    /// undo it). Takes no `duration`: the fault's is zero. Step back with a
    /// second clock-jump.
    ClockJump { node: u32, by_ns: i64 },
    /// `kind = "drop-messages"`, `"delay-messages"` or `"duplicate-messages"`:
    /// messages of the named kinds between the given nodes are dropped,
    /// delayed or sent twice while the fault lasts (see [`MessageFault`]).
    Messages(MessageFault),
    /// `kind = "join"`, `node = 4`: the operator asks a member to add the
    /// node to the ring (a movement; see `store::membership`). An instant.
    Join { node: u32 },
    /// `kind = "leave"`, `node = 0`: the node hands its ranges over and leaves.
    Leave { node: u32 },
    /// `kind = "replace"`, `node = 1`, `by = 4`: node 1 dies for good (it is
    /// crashed if up, and never restarted) and node 4 takes its place.
    Replace { node: u32, by: u32 },
    /// `kind = "buggify"`: one explicit hit of a store fault point (see
    /// [`BugHit`]); the fault's `duration` is how long the node is held
    /// (crash, pause) or its task delayed. What `shrink` writes a drawn
    /// buggify hit as, so that it replays without `[buggify]`.
    Buggify(BugHit),
    /// `kind = "buggify-window"`, `node = 1`: `[buggify]`'s points are armed
    /// on the node for the fault's window (what the nemesis family `buggify`
    /// draws). Once a scenario has a window (or that family), `[buggify]`
    /// draws only inside windows.
    BuggifyWindow { node: u32 },
}

/// An explicit buggify hit: `node`'s first pass of `point` that is at least
/// its `pass`-th (counted from the start of the run) and at or after the
/// fault's `at` is hit with `action`. Drawn hits written out with their pass
/// and the time they happened replay exactly that pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BugHit {
    pub node: u32,
    pub point: store::buggify::Point,
    pub action: BugAction,
    /// 1 for the node's first pass of the point.
    pub pass: u64,
}

impl FaultKind {
    /// Whether this is an operator's membership request (join, leave, replace).
    pub fn is_membership(&self) -> bool {
        matches!(
            self,
            FaultKind::Join { .. } | FaultKind::Leave { .. } | FaultKind::Replace { .. }
        )
    }
}

/// A targeted message fault: what happens to which messages. Decided by
/// `fate::Fates`, the one place that decides every message's fate.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageFault {
    pub action: MessageAction,
    /// Message kinds as the store names them (`store::message::KINDS`):
    /// `replica-write`, `replica-written`, ...; a name shared by a request
    /// and its answer (`replica-read`) matches both. Sorted, unique.
    pub kinds: Vec<String>,
    /// Senders: these storage nodes only (sorted); `None`: any sender,
    /// clients included.
    pub from: Option<Vec<u32>>,
    /// Addressees: these storage nodes only (sorted); `None`: anyone.
    pub to: Option<Vec<u32>>,
    /// Probability in (0, 1] that a matching message is hit (default 1:
    /// every one, and nothing is drawn).
    pub probability: f64,
}

/// What a [`MessageFault`] does to a message it hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageAction {
    /// `drop-messages`: it never arrives.
    Drop,
    /// `delay-messages`, `delay = "5ms"`: it arrives this much later.
    Delay(Duration),
    /// `duplicate-messages`: a node-to-node request goes twice (the copy's
    /// answer is discarded), as `[network] duplicate` does.
    Duplicate,
}

impl MessageAction {
    /// The `[[faults]]` kind that makes this action.
    pub fn kind_name(self) -> &'static str {
        match self {
            MessageAction::Drop => "drop-messages",
            MessageAction::Delay(_) => "delay-messages",
            MessageAction::Duplicate => "duplicate-messages",
        }
    }
}

/// `[nemesis]`: random faults drawn from the seed before the run starts.
/// Defaults: interval "1s", duration "500ms", every family that fits the
/// cluster weighted 1 (but `messages`, which is opt-in: 0), swarm false, max_down a minority ((nodes − 1) / 2),
/// jump "100ms".
#[derive(Debug, Clone, PartialEq)]
pub struct Nemesis {
    /// Mean time between fault starts (exponential gaps).
    pub interval: Duration,
    /// Mean fault length (exponential); every fault ends by the faulty phase's end.
    pub duration: Duration,
    /// Relative weight of each family; those ≤ 0 never happen. Sorted by family.
    pub families: Vec<(Family, f64)>,
    /// Swarm testing: each seed first draws which families are on (each with
    /// probability 1/2, at least one), then draws faults from those only.
    pub swarm: bool,
    /// Most nodes the nemesis has crashed or paused at once, counting the
    /// scenario's own crash and pause faults.
    pub max_down: u32,
    /// Largest |by| of a nemesis clock jump (drawn uniform in [-jump, jump],
    /// stepped back when the fault ends).
    pub jump: Duration,
    /// `[cluster]`'s spares and N, for the `membership` family: derived,
    /// never written.
    pub spares: u32,
    pub replicas: u32,
}

impl Nemesis {
    /// `max_down` when `[nemesis]` does not give it: a minority of `nodes`
    /// (spares counted), (nodes − 1) / 2, so a majority stays up.
    pub fn default_max_down(nodes: u32) -> u32 {
        nodes.saturating_sub(1) / 2
    }

    /// Whether the `buggify` family can draw windows.
    pub fn draws_buggify_windows(&self) -> bool {
        (self.families.iter()).any(|(f, w)| *f == Family::Buggify && *w > 0.0)
    }
}

/// `[buggify]`: at each of the store's fault points
/// (`store::buggify::Point`) a node passes during the faulty phase, with its
/// point's probability (drawn from the seed, on the node's own RNG stream),
/// the node is crashed, paused or delayed (one of `actions`, drawn) for an
/// exponential time of mean `duration`, then restarted or resumed. Never
/// more than a minority ((nodes − 1) / 2) of nodes down at once. Defaults:
/// every point 0 unless `probability` or `points` says otherwise, every
/// action, duration "20ms".
#[derive(Debug, Clone, PartialEq)]
pub struct Buggify {
    /// Every point with its probability, sorted by point.
    pub points: Vec<(store::buggify::Point, f64)>,
    /// Sorted, unique, not empty.
    pub actions: Vec<BugAction>,
    pub duration: Duration,
}

/// What a buggify hit does to its node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BugAction {
    Crash,
    Pause,
    Delay,
}

impl BugAction {
    pub const ALL: [BugAction; 3] = [BugAction::Crash, BugAction::Pause, BugAction::Delay];

    pub fn as_str(self) -> &'static str {
        match self {
            BugAction::Crash => "crash",
            BugAction::Pause => "pause",
            BugAction::Delay => "delay",
        }
    }
}

/// A nemesis fault family (its name in `families`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// Two random groups of random sizes.
    Partition,
    Isolate,
    RandomHalves,
    Bridge,
    Clog,
    Crash,
    Pause,
    ClockJump,
    /// A targeted message fault: drop, delay or duplicate one node's
    /// messages of one kind (drawn) for a while. Opt-in: weight 0 unless
    /// `families` names it, so scenarios written before it draw as before.
    Messages,
    /// A membership change: a spare joins, a member beyond N leaves, or a
    /// spare replaces a member (which never returns), one movement at a
    /// time (see `nemesis`). Opt-in like `messages`.
    Membership,
    /// A window during which `[buggify]`'s fault points are armed on one
    /// node (drawn). Opt-in like `messages`, and only with `[buggify]`.
    Buggify,
}

impl Family {
    pub const ALL: [Family; 11] = [
        Family::Partition,
        Family::Isolate,
        Family::RandomHalves,
        Family::Bridge,
        Family::Clog,
        Family::Crash,
        Family::Pause,
        Family::ClockJump,
        Family::Messages,
        Family::Membership,
        Family::Buggify,
    ];

    /// Why this family cannot happen in a cluster of `nodes` (spares
    /// counted) with `spares`, N = `replicas` and the nemesis's `max_down`,
    /// if it cannot: a positive weight for it is then an error. Derived
    /// scenarios (shrink's one node fewer) drop such families.
    pub fn impossible_in(
        self,
        nodes: u32,
        max_down: u32,
        spares: u32,
        replicas: u32,
    ) -> Option<String> {
        let room = nemesis::Room {
            nodes,
            max_down,
            spares,
            replicas,
        };
        nemesis::impossible(self, room)
    }

    /// The name in scenario files (the matching `[[faults]]` kind).
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Partition => "partition",
            Family::Isolate => "isolate",
            Family::RandomHalves => "random-halves",
            Family::Bridge => "bridge",
            Family::Clog => "clog",
            Family::Crash => "crash",
            Family::Pause => "pause",
            Family::ClockJump => "clock-jump",
            Family::Messages => "messages",
            Family::Membership => "membership",
            Family::Buggify => "buggify",
        }
    }
}

/// What a scenario expects of one check (`[expect]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Expectation {
    /// `"pass"`: valid on every seed.
    Pass,
    /// `"fail"`: invalid on at least one seed of the run.
    Fail,
    /// `"any"`: not judged.
    Any,
}

/// A scenario that cannot be used. Displays as `file:line:column: message`,
/// then the offending line with a caret under the column, then a hint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}{}{}", location(*.line, *.column), render_source(.source_line, *.column), render_hint(.hint))]
pub struct ScenarioError {
    pub file: String,
    /// 1-based; `None` when the error has no place in the file (e.g. unreadable).
    pub line: Option<usize>,
    /// 1-based, in characters.
    pub column: Option<usize>,
    pub message: String,
    pub hint: Option<String>,
    /// The text of the offending line, for the caret view (boxed: keeps the
    /// error small enough to return by value everywhere).
    pub source_line: Option<Box<str>>,
}

/// `  5 | replicas = 5` and a caret under the column.
fn render_source(source: &Option<Box<str>>, column: Option<usize>) -> String {
    let Some(source) = source else {
        return String::new();
    };
    let caret = column.map_or(String::new(), |c| {
        let pad: String = source
            .chars()
            .take(c.saturating_sub(1))
            .map(|ch| if ch == '\t' { '\t' } else { ' ' })
            .collect();
        format!("\n  | {pad}^")
    });
    format!("\n  | {source}{caret}")
}

fn location(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(":{l}:{c}"),
        (Some(l), None) => format!(":{l}"),
        _ => String::new(),
    }
}

fn render_hint(hint: &Option<String>) -> String {
    hint.as_ref()
        .map(|h| format!("\n  hint: {h}"))
        .unwrap_or_default()
}

/// Largest scenario file read (1 MiB): scenarios are hand-written; anything
/// bigger is a mistake (a history or a binary picked by accident).
pub const MAX_SCENARIO_BYTES: u64 = 1 << 20;

impl Scenario {
    /// Whether `[buggify]` draws only inside `buggify-window` faults (the
    /// scenario's own or the nemesis family `buggify`'s) instead of over the
    /// whole faulty phase.
    pub fn buggify_windowed(&self) -> bool {
        (self.faults.iter()).any(|f| matches!(f.kind, FaultKind::BuggifyWindow { .. }))
            || (self.nemesis.as_ref()).is_some_and(Nemesis::draws_buggify_windows)
    }

    /// The scenario's explicit buggify hits, with their `at` and hold.
    pub fn buggify_hits(&self) -> Vec<(BugHit, Duration, Duration)> {
        (self.faults.iter())
            .filter_map(|f| match f.kind {
                FaultKind::Buggify(hit) => Some((hit, f.at, f.duration)),
                _ => None,
            })
            .collect()
    }

    /// The swarm point seed `seed` draws (`None` without `[swarm]`).
    pub fn swarm_point(&self, seed: u64) -> Option<SwarmPoint> {
        self.swarm.as_ref().map(|s| s.draw(seed))
    }

    /// The scenario seed `seed` runs: with `[swarm]`, the workload at the
    /// seed's point (the ranges kept, so the point can be shown); without,
    /// the scenario itself.
    pub fn for_seed(&self, seed: u64) -> std::borrow::Cow<'_, Scenario> {
        match self.swarm_point(seed) {
            None => std::borrow::Cow::Borrowed(self),
            Some(point) => {
                let mut s = self.clone();
                point.apply(&mut s.workload);
                std::borrow::Cow::Owned(s)
            }
        }
    }

    /// Reads and validates a scenario file. An unreadable or non-UTF-8 file is
    /// an error without a line; everything else is reported as by [`Scenario::parse`].
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let file = path.display().to_string();
        let error = |message: String| ScenarioError {
            file: file.clone(),
            line: None,
            column: None,
            message,
            hint: None,
            source_line: None,
        };
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        if size > MAX_SCENARIO_BYTES {
            let limit = MAX_SCENARIO_BYTES;
            return Err(error(format!(
                "the file is {size} bytes; a scenario may be at most {limit}"
            )));
        }
        let bytes = std::fs::read(path)
            .map_err(|e| error(format!("cannot read the scenario file: {e}")))?;
        let text = String::from_utf8(bytes).map_err(|e| not_utf8(&file, &e))?;
        Scenario::parse(&text, &file)
    }

    /// Parses and validates scenario text; `file` is the name used in errors.
    /// Returns the first problem found, never panics.
    pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        let ctx = span::Ctx { text, file };
        let spec: top::ScenarioSpec = toml::from_str(text).map_err(|e| ctx.toml_error(&e))?;
        spec.validate(&ctx)
    }

    /// The scenario as a complete TOML document, every default written out,
    /// so that it runs by itself: `Scenario::parse(&s.to_toml(), ..)` gives
    /// `s` back (the mix up to the float rounding of its normalisation).
    /// Small tables inside a section (a latency, a mix, a size) are written
    /// inline (`latency = { dist = "fixed", value = "1ms" }`), as a person
    /// writes them; sections and lists of tables (`[[faults]]`) stay tables.
    pub fn to_toml(&self) -> String {
        let text = toml::to_string(&top::ScenarioSpec::resolved(self))
            .expect("a validated scenario holds only values TOML can write");
        let mut doc: toml_edit::DocumentMut = text.parse().expect("toml writes valid TOML");
        for (_, section) in doc.as_table_mut().iter_mut() {
            if let Some(table) = section.as_table_mut() {
                inline_leaf_tables(table);
            }
        }
        doc.to_string()
    }
}

/// Turns every sub-table of `table` that holds only values (after its own
/// sub-tables were turned) into an inline table, bottom up.
fn inline_leaf_tables(table: &mut toml_edit::Table) {
    for (mut key, item) in table.iter_mut() {
        let Some(sub) = item.as_table_mut() else {
            continue;
        };
        inline_leaf_tables(sub);
        if sub.iter().all(|(_, v)| v.is_value()) {
            let inline = std::mem::take(sub).into_inline_table();
            *item = toml_edit::Item::Value(toml_edit::Value::InlineTable(inline));
            key.fmt(); // a table header's spacing would write `latency= {`
        }
    }
}

/// A file that is not UTF-8 text (e.g. a binary picked by mistake): point at
/// the first bad byte's line, counted on the valid prefix.
fn not_utf8(file: &str, e: &std::string::FromUtf8Error) -> ScenarioError {
    let at = e.utf8_error().valid_up_to();
    let prefix = String::from_utf8_lossy(&e.as_bytes()[..at]);
    let (line, column) = span::line_column(&prefix, at);
    ScenarioError {
        file: file.to_owned(),
        line: Some(line),
        column: Some(column),
        message: format!("the file is not UTF-8 text (invalid byte at offset {at})"),
        hint: Some("a scenario is a TOML text file; see scenarios/ for examples".to_owned()),
        source_line: None,
    }
}
