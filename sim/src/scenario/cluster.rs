//! `[cluster]`: protocol, quorums, coordinators, sync policy and the
//! relations between them (R, W ≤ N ≤ nodes; under `abd` R + W > N, no
//! hinted handoff, no read repair).

use super::dist::{LatencySpec, latency};
use super::fields::{
    Field, Result, S, as_u32, at_most, duration_value, int, node_index, one_of, positive_duration,
    required, written, written_duration,
};
use super::span::{Ctx, nearest, quoted_list};
use super::{Cluster, MAX_NODES, ScenarioError, Service};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use store::{ClusterConfig, Coordinators, MoveDesign, Protocol, Rejoin, SyncPolicy, Timestamps};
use toml::Value;

/// The `[cluster]` table as written (and as written back, every default
/// spelled out). See [`Cluster`] for the defaults.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ClusterSpec {
    pub nodes: Option<S<i64>>,
    pub replicas: Option<S<i64>>,
    pub write_quorum: Option<S<i64>>,
    pub read_quorum: Option<S<i64>>,
    pub protocol: Option<S<String>>,
    pub read_repair: Option<S<bool>>,
    pub hinted_handoff: Option<S<bool>>,
    /// `"always"`, `"never"` or `{ interval = "100ms" }`.
    pub sync: Option<S<Value>>,
    pub coordinators: Option<S<String>>,
    pub routers: Option<S<i64>>,
    pub allow_unsafe_cas: Option<bool>,
    /// A duration or `"off"`.
    pub anti_entropy: Option<S<Value>>,
    pub replica_timeout: Option<S<Value>>,
    pub client_timeout: Option<S<Value>>,
    /// Where LWW timestamps come from (`eventual`/`quorum`).
    pub timestamps: Option<S<String>>,
    /// Nodes besides `nodes` that start outside the ring.
    pub spares: Option<S<i64>>,
    /// The movement design, by name.
    pub moves: Option<S<String>>,
    /// A duration or `"never"` (the default).
    pub gc_grace: Option<S<Value>>,
    /// What a node away past `gc_grace` does, by name.
    pub rejoin: Option<S<String>>,
    /// Time a node spends serving each request (a latency distribution).
    pub service_time: Option<S<LatencySpec>>,
    /// Requests a node serves at once.
    pub concurrency: Option<S<i64>>,
    /// Requests a node holds waiting for a slot.
    pub queue: Option<S<i64>>,
    /// `[[cluster.slow]]`: nodes with their own `service_time`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slow: Vec<S<SlowSpec>>,
}

/// `rejoin`, by name (see [`store::Rejoin`]).
const REJOINS: [(&str, Rejoin); 2] = [
    ("as-is", Rejoin::AsIs),
    ("repair-first", Rejoin::RepairFirst),
];

/// One `[[cluster.slow]]` table: a node and its own service time.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SlowSpec {
    pub node: Option<S<i64>>,
    pub service_time: Option<S<LatencySpec>>,
}

/// Most requests a node serves at once, and most it holds waiting.
const MAX_CONCURRENCY: i64 = 100_000;

/// How often nodes drive membership (scenario time) when they do.
const MEMBERSHIP_INTERVAL: Duration = Duration::from_millis(10);

/// Movement designs by name: the correct one and the known wrong ones.
const MOVES: [(&str, MoveDesign); 5] = [
    ("correct", MoveDesign::Correct),
    ("stream-from-any", MoveDesign::StreamFromAny),
    ("reads-switch-early", MoveDesign::ReadsSwitchEarly),
    ("ack-old-only", MoveDesign::AckOldOnly),
    ("concurrent-moves", MoveDesign::ConcurrentMoves),
];

/// Protocols `store` implements, by their name in scenario files.
const PROTOCOLS: &[(&str, Protocol)] = &[
    ("eventual", Protocol::Eventual),
    ("quorum", Protocol::Quorum),
    ("abd", Protocol::Abd),
    ("paxos", Protocol::Paxos),
];
const SYNCS: &[&str] = &["always", "never"];
/// `timestamps`, by name (see [`store::Timestamps`]).
const TIMESTAMPS: &[(&str, Timestamps)] = &[
    ("coordinator", Timestamps::Coordinator),
    ("newest-seen-plus-one", Timestamps::NewestSeenPlusOne),
    ("completes-last", Timestamps::CompletesLast),
];
/// `coordinators`: whether clients go through routers.
const COORDINATORS: &[(&str, bool)] = &[("nodes", false), ("routers", true)];
/// Most routers in router mode.
pub const MAX_ROUTERS: u32 = 64;
/// Routers when `coordinators = "routers"` and `routers` is not given.
const DEFAULT_ROUTERS: i64 = 2;

impl ClusterSpec {
    pub fn validate(&self, ctx: &Ctx) -> Result<Cluster> {
        let max = i64::from(MAX_NODES);
        let nodes = int(ctx, self.nodes.as_ref(), "nodes", 1, max, 3)?;
        let spares = int(ctx, self.spares.as_ref(), "spares", 0, max - nodes.value, 0)?;
        let moves = match &self.moves {
            None => MoveDesign::Correct,
            Some(s) => one_of(ctx, s, &MOVES, "moves", "expected ")?,
        };
        let replicas = int(ctx, self.replicas.as_ref(), "replicas", 1, max, 3)?;
        let why = "each key is stored on `replicas` distinct nodes";
        at_most(ctx, &replicas, "replicas", &nodes, "nodes", why)?;
        let protocol = match &self.protocol {
            None => Protocol::Quorum,
            Some(s) => one_of(ctx, s, PROTOCOLS, "protocol", "supported: ")?,
        };
        let (write_quorum, read_quorum) = self.quorums(ctx, protocol, &replicas)?;
        let lww = matches!(protocol, Protocol::Eventual | Protocol::Quorum);
        let timeout = |raw: &Option<S<Value>>, key: &str, default_ms: u64| {
            positive_duration(ctx, raw.as_ref(), key, Duration::from_millis(default_ms))
        };
        let read_repair = abd_forbids(ctx, self.read_repair.as_ref(), protocol, "read_repair")?;
        let hinted_handoff = abd_forbids(
            ctx,
            self.hinted_handoff.as_ref(),
            protocol,
            "hinted_handoff",
        )?;
        let anti_entropy = anti_entropy(ctx, self.anti_entropy.as_ref())?;
        let (gc_grace, rejoin) = self.grace(ctx, lww, anti_entropy)?;
        Ok(Cluster {
            gc_grace,
            rejoin,
            nodes: as_u32(nodes.value + spares.value),
            spares: as_u32(spares.value),
            moves,
            membership: spares.value > 0,
            replicas: as_u32(replicas.value),
            write_quorum: as_u32(write_quorum),
            read_quorum: as_u32(read_quorum),
            protocol,
            read_repair: read_repair.unwrap_or(protocol == Protocol::Quorum) && lww,
            hinted_handoff: hinted_handoff.unwrap_or(false),
            sync: sync(ctx, self.sync.as_ref())?,
            coordinators: self.coordinators(ctx)?,
            allow_unsafe_cas: self.allow_unsafe_cas.unwrap_or(false),
            anti_entropy,
            replica_timeout: timeout(&self.replica_timeout, "replica_timeout", 50)?,
            client_timeout: timeout(&self.client_timeout, "client_timeout", 200)?,
            timestamps: self.timestamps(ctx, protocol)?,
            service: self.service(ctx, as_u32(nodes.value + spares.value))?,
        })
    }

    /// `service_time`, `concurrency`, `queue` and `[[cluster.slow]]`.
    fn service(&self, ctx: &Ctx, nodes: u32) -> Result<Service> {
        let time = self
            .service_time
            .as_ref()
            .map(|t| latency(ctx, t))
            .transpose()?;
        let concurrency = self.concurrency.as_ref().map(|raw| {
            int(ctx, Some(raw), "concurrency", 1, MAX_CONCURRENCY, 1).map(|f| as_u32(f.value))
        });
        let default_queue = i64::from(Service::QUEUE);
        let queue = int(
            ctx,
            self.queue.as_ref(),
            "queue",
            0,
            MAX_CONCURRENCY,
            default_queue,
        )?;
        let mut slow = std::collections::BTreeMap::new();
        for s in &self.slow {
            let what = "a [[cluster.slow]] entry";
            let node = required(ctx, s.get_ref().node.as_ref(), "node", what, s.span())?;
            let index = node_index(ctx, node, nodes)?;
            let t = s.get_ref().service_time.as_ref();
            let t = required(ctx, t, "service_time", what, s.span())?;
            if slow.insert(index, latency(ctx, t)?).is_some() {
                return Err(ctx.err(
                    node.span(),
                    format!("node {index} is slow twice: give it one [[cluster.slow]] entry"),
                ));
            }
        }
        Ok(Service {
            time,
            concurrency: concurrency.transpose()?,
            queue: as_u32(queue.value),
            slow,
        })
    }

    /// `c` with every value written out (abd's refused keys left out).
    pub fn resolved(c: &Cluster) -> ClusterSpec {
        let lww = matches!(c.protocol, Protocol::Eventual | Protocol::Quorum);
        let protocol = PROTOCOLS.iter().find(|(_, p)| *p == c.protocol);
        let (routers, mode) = match c.coordinators {
            Coordinators::Nodes => (None, "nodes"),
            Coordinators::Routers(n) => (written(i64::from(n)), "routers"),
        };
        let design = MOVES.iter().find(|(_, d)| *d == c.moves);
        ClusterSpec {
            nodes: written((c.nodes - c.spares).into()),
            spares: written(i64::from(c.spares)).filter(|_| c.spares > 0),
            moves: (design.and_then(|(name, _)| written(name.to_string())))
                .filter(|_| c.moves != MoveDesign::Correct),
            replicas: written(c.replicas.into()),
            write_quorum: written(c.write_quorum.into()),
            read_quorum: written(c.read_quorum.into()),
            protocol: protocol.and_then(|(name, _)| written(name.to_string())),
            read_repair: written(c.read_repair).filter(|_| lww),
            hinted_handoff: written(c.hinted_handoff).filter(|_| lww),
            sync: written(match c.sync {
                SyncPolicy::Always => Value::String("always".into()),
                SyncPolicy::Never => Value::String("never".into()),
                SyncPolicy::Interval(every) => {
                    let mut table = toml::Table::new();
                    let every = Value::String(super::format_duration(every));
                    table.insert("interval".into(), every);
                    Value::Table(table)
                }
            }),
            coordinators: written(mode.to_owned()),
            routers,
            allow_unsafe_cas: Some(c.allow_unsafe_cas),
            anti_entropy: c
                .anti_entropy
                .map_or_else(|| written(Value::String("off".into())), written_duration),
            replica_timeout: written_duration(c.replica_timeout),
            client_timeout: written_duration(c.client_timeout),
            timestamps: TIMESTAMPS
                .iter()
                .find(|(_, t)| *t == c.timestamps)
                .and_then(|(name, _)| written(name.to_string()))
                .filter(|_| lww),
            gc_grace: c.gc_grace.and_then(written_duration),
            rejoin: (c.gc_grace.is_some())
                .then(|| written(c.rejoin.name().to_string()))
                .flatten(),
            service_time: (c.service.time.as_ref()).and_then(|t| written(LatencySpec::resolved(t))),
            concurrency: c.service.concurrency.and_then(|n| written(n.into())),
            queue: written(i64::from(c.service.queue)).filter(|_| c.service.is_on()),
            slow: (c.service.slow.iter())
                .filter_map(|(&node, t)| {
                    written(SlowSpec {
                        node: written(node.into()),
                        service_time: written(LatencySpec::resolved(t)),
                    })
                })
                .collect(),
        }
    }

    /// `gc_grace` (a duration, or `"never"`: the default) and `rejoin`
    /// (only with `gc_grace`): collection needs clock timestamps (`eventual`,
    /// `quorum`) and anti-entropy, whose rounds collect.
    fn grace(
        &self,
        ctx: &Ctx,
        lww: bool,
        anti_entropy: Option<Duration>,
    ) -> Result<(Option<Duration>, Rejoin)> {
        let gc_grace = match &self.gc_grace {
            None => None,
            Some(s) if s.get_ref().as_str() == Some("never") => None,
            Some(s) => {
                let grace =
                    positive_duration(ctx, Some(s), "gc_grace", Duration::ZERO).map_err(|e| {
                        ScenarioError {
                            hint: Some("write a period such as \"2s\", or \"never\"".into()),
                            ..e
                        }
                    })?;
                if !lww {
                    return Err(ctx.err(
                        s.span(),
                        "gc_grace applies to protocols \"eventual\" and \"quorum\", whose tombstones carry clock timestamps; \"abd\" and \"paxos\" keep them".into(),
                    ));
                }
                if anti_entropy.is_none() {
                    return Err(ctx.err_hint(
                        s.span(),
                        "gc_grace needs anti-entropy: its rounds collect tombstones".into(),
                        Some("set anti_entropy to a period such as \"500ms\"".into()),
                    ));
                }
                Some(grace)
            }
        };
        let rejoin = match &self.rejoin {
            None => Rejoin::AsIs,
            Some(s) if gc_grace.is_none() => {
                return Err(ctx.err_hint(
                    s.span(),
                    "rejoin applies only with gc_grace: without tombstone collection a node that comes back resurrects nothing".into(),
                    Some("add gc_grace = \"2s\" (or any period), or remove `rejoin`".into()),
                ));
            }
            Some(s) => one_of(ctx, s, &REJOINS, "rejoin", "expected ")?,
        };
        // A node is away once no anti-entropy round of its own completed
        // for gc_grace. Shorter than two periods, one lost round makes it
        // away, and shorter than one, every node is away at every round:
        // with repair-first they rebuild for ever, each refusing the
        // others' rounds (growth fuzz case 3643).
        if let (Some(grace), Some(period), Rejoin::RepairFirst, Some(s)) =
            (gc_grace, anti_entropy, rejoin, &self.gc_grace)
            && grace < period * 2
        {
            return Err(ctx.err_hint(
                s.span(),
                format!(
                    "gc_grace ({grace:?}) with rejoin = \"repair-first\" must be at least twice anti_entropy ({period:?}): a node with no completed round for gc_grace rebuilds, so a shorter grace keeps nodes rebuilding"
                ),
                Some(format!("set gc_grace to {:?} or more", period * 2)),
            ));
        }
        Ok((gc_grace, rejoin))
    }

    /// `timestamps`: `eventual` and `quorum` only (`abd` and `paxos` order
    /// writes by logical versions, never by clocks).
    fn timestamps(&self, ctx: &Ctx, protocol: Protocol) -> Result<Timestamps> {
        let Some(s) = &self.timestamps else {
            return Ok(Timestamps::Coordinator);
        };
        let chosen = one_of(ctx, s, TIMESTAMPS, "timestamps", "supported: ")?;
        if !matches!(protocol, Protocol::Eventual | Protocol::Quorum) {
            return Err(ctx.err(
                s.span(),
                "timestamps applies to protocols \"eventual\" and \"quorum\" (last write wins); \"abd\" and \"paxos\" order writes by logical versions".into(),
            ));
        }
        Ok(chosen)
    }

    /// W and R, with the protocol's defaults (quorum 2, eventual 1, abd a
    /// majority of N), each ≤ N; under `abd` also R + W > N.
    fn quorums(&self, ctx: &Ctx, protocol: Protocol, replicas: &Field<i64>) -> Result<(i64, i64)> {
        let default = match protocol {
            Protocol::Eventual => 1,
            Protocol::Quorum => 2,
            Protocol::Abd | Protocol::Paxos => replicas.value / 2 + 1,
        };
        let max = i64::from(MAX_NODES);
        let w = int(
            ctx,
            self.write_quorum.as_ref(),
            "write_quorum",
            1,
            max,
            default,
        )?;
        let why = "a write cannot wait for more acknowledgements than there are replicas";
        at_most(ctx, &w, "write_quorum", replicas, "replicas", why)?;
        let r = int(
            ctx,
            self.read_quorum.as_ref(),
            "read_quorum",
            1,
            max,
            default,
        )?;
        let why = "a read cannot wait for more replies than there are replicas";
        at_most(ctx, &r, "read_quorum", replicas, "replicas", why)?;
        let consensus = matches!(protocol, Protocol::Abd | Protocol::Paxos);
        if consensus && r.value + w.value <= replicas.value {
            let name = protocol.name();
            let span = (w.span.clone())
                .or(r.span.clone())
                .or(replicas.span.clone());
            let message = format!(
                "protocol \"{name}\" needs every read quorum to meet every write quorum: read_quorum + write_quorum = {} is not more than replicas = {}",
                r.value + w.value,
                replicas.value
            );
            let hint = format!(
                "leave write_quorum and read_quorum out: under {name} both default to a majority of replicas"
            );
            return Err(ctx.err_hint(span.unwrap_or(0..0), message, Some(hint)));
        }
        Ok((w.value, r.value))
    }

    /// `coordinators = "nodes" | "routers"`, and `routers` (1 to [`MAX_ROUTERS`],
    /// default 2) only with `"routers"`.
    fn coordinators(&self, ctx: &Ctx) -> Result<Coordinators> {
        let routed = match &self.coordinators {
            None => false,
            Some(s) => one_of(ctx, s, COORDINATORS, "coordinators", "expected ")?,
        };
        match (&self.routers, routed) {
            (Some(s), false) => Err(ctx.err_hint(
                s.span(),
                "routers applies only to coordinators = \"routers\"".into(),
                Some("add coordinators = \"routers\", or remove `routers`".into()),
            )),
            (_, false) => Ok(Coordinators::Nodes),
            (raw, true) => {
                let max = i64::from(MAX_ROUTERS);
                let routers = int(ctx, raw.as_ref(), "routers", 1, max, DEFAULT_ROUTERS)?;
                Ok(Coordinators::Routers(as_u32(routers.value)))
            }
        }
    }
}

impl Cluster {
    /// The store's configuration: every `[cluster]` knob the store reads,
    /// each duration passed through `to_sim` (scenario time to the
    /// simulator's, `timescale::to_madsim`); the rest `store`'s defaults.
    /// (`client_timeout` and `allow_unsafe_cas` are the clients' business.)
    pub fn store_config(&self, to_sim: impl Fn(Duration) -> Duration) -> ClusterConfig {
        let defaults = ClusterConfig::default();
        ClusterConfig {
            nodes: self.nodes,
            replicas: self.replicas,
            write_quorum: self.write_quorum,
            read_quorum: self.read_quorum,
            protocol: self.protocol,
            read_repair: self.read_repair,
            hinted_handoff: self.hinted_handoff,
            hint_interval: to_sim(defaults.hint_interval),
            sync: match self.sync {
                SyncPolicy::Interval(every) => SyncPolicy::Interval(to_sim(every)),
                policy @ (SyncPolicy::Always | SyncPolicy::Never) => policy,
            },
            coordinators: self.coordinators,
            replica_timeout: to_sim(self.replica_timeout),
            anti_entropy_interval: self.anti_entropy.map(&to_sim),
            timestamps: self.timestamps,
            spares: self.spares,
            moves: self.moves,
            membership_interval: self.membership.then(|| to_sim(MEMBERSHIP_INTERVAL)),
            // Compared with clock readings (scenario time), never slept: not stretched.
            gc_grace: self.gc_grace,
            rejoin: self.rejoin,
            ..defaults
        }
    }
}

/// A switch `abd` and `paxos` do not take (it would be wrong or meaningless there).
fn abd_forbids(
    ctx: &Ctx,
    raw: Option<&S<bool>>,
    protocol: Protocol,
    key: &str,
) -> Result<Option<bool>> {
    let Some(s) = raw else { return Ok(None) };
    if matches!(protocol, Protocol::Eventual | Protocol::Quorum) {
        return Ok(Some(*s.get_ref()));
    }
    let name = protocol.name();
    let why = match key {
        "read_repair" => {
            format!("{name} reads always write the newest value back before returning")
        }
        _ => format!(
            "a hint held off the preference list is not in {name}'s quorums, so its reads could miss an acknowledged write"
        ),
    };
    Err(ctx.err_hint(
        s.span(),
        format!("{key} does not apply to protocol \"{name}\": {why}"),
        Some(format!("remove `{key}` or choose protocol = \"quorum\"")),
    ))
}

/// `"always"` (default), `"never"` or `{ interval = "100ms" }` (positive).
fn sync(ctx: &Ctx, raw: Option<&S<Value>>) -> Result<SyncPolicy> {
    let Some(s) = raw else {
        return Ok(SyncPolicy::Always);
    };
    let hint = || Some("write \"always\", \"never\" or { interval = \"100ms\" }".to_string());
    match s.get_ref() {
        Value::String(name) if name == "always" => Ok(SyncPolicy::Always),
        Value::String(name) if name == "never" => Ok(SyncPolicy::Never),
        Value::String(name) => Err(ctx.err_hint(
            s.span(),
            format!(
                "unknown sync \"{name}\": expected {} or a table",
                quoted_list(SYNCS)
            ),
            nearest(name, SYNCS)
                .map(|n| format!("did you mean \"{n}\"?"))
                .or_else(hint),
        )),
        Value::Table(table) if table.len() == 1 && table.contains_key("interval") => {
            // The table's own spans are lost in a `Value`: errors point at `sync`.
            let interval = S::new(s.span(), table["interval"].clone());
            let every = duration_value(ctx, &interval, "sync interval")?;
            if every.is_zero() {
                let message = "sync interval is zero: expected more than \"0s\"".into();
                return Err(ctx.err_hint(s.span(), message, hint()));
            }
            Ok(SyncPolicy::Interval(every))
        }
        other => Err(ctx.err_hint(
            s.span(),
            format!("sync = {other} is not a sync policy"),
            hint(),
        )),
    }
}

/// `"off"` or a positive duration; default 500 ms.
fn anti_entropy(ctx: &Ctx, raw: Option<&S<Value>>) -> Result<Option<Duration>> {
    match raw {
        Some(s) if s.get_ref().as_str() == Some("off") => Ok(None),
        _ => positive_duration(ctx, raw, "anti_entropy", Duration::from_millis(500))
            .map_err(|e| ScenarioError {
                hint: Some("write a period such as \"500ms\", or \"off\"".into()),
                ..e
            })
            .map(Some),
    }
}
