//! The workload: concurrent clients issuing operations against the cluster.
//!
//! Each client draws its operations from its own RNG (seeded from the run seed
//! and the client index), so what a client asks does not depend on how the
//! network behaved — only when it asks does.
//!
//! Under `[workload] api = "s3"` the clients are [`s3`]'s (buckets, objects,
//! listings); this module dispatches to it.

pub mod access;
pub mod balance;
pub mod known_versions;
pub mod s3;

use crate::net::{self, SimTransport};
use crate::recorder::{Record, Recorder};
use crate::scenario::{CasFrom, Mix, Probes, Scenario};
use crate::timescale;
use crate::trace::Peer;
use crate::wire::NetContext;
use balance::Balancer;
use check::{EventType, FailReason, Function, Value};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use store::{ClientRequest, ClientResponse, Request, Response, Transport, TransportError};

/// A key index in `0..keys`: uniform (one `gen_range`, the draw every
/// scenario made before `key_skew`) when `skew` is 0, else Zipf with
/// exponent `skew` (key `i` about `(i + 1)^-skew` as likely), by
/// rejection-inversion (Hörmann and Derflinger, as rand_distr's `Zipf`): no
/// table, two draws per try. Bounded: after [`ZIPF_TRIES`] rejected tries
/// (vanishingly rare) the last candidate is taken.
pub fn draw_key(rng: &mut impl Rng, keys: u32, skew: f64) -> u32 {
    if skew == 0.0 || keys <= 1 {
        return rng.gen_range(0..keys.max(1));
    }
    let n = f64::from(keys);
    let (q, t) = if skew == 1.0 {
        (0.0, 1.0 + n.ln())
    } else {
        let q = 1.0 / (1.0 - skew);
        (q, (n.powf(1.0 - skew) - skew) * q)
    };
    let inv_cdf = |p: f64| {
        let pt = p * t;
        if pt <= 1.0 {
            pt
        } else if skew == 1.0 {
            (pt - 1.0).exp()
        } else {
            (pt * (1.0 - skew) + skew).powf(q)
        }
    };
    let mut x = 1.0;
    for _ in 0..ZIPF_TRIES {
        let inv_b = inv_cdf(rng.r#gen::<f64>());
        x = (inv_b + 1.0).floor().clamp(1.0, n);
        let mut ratio = x.powf(-skew);
        if x > 1.0 {
            ratio *= inv_b.powf(skew);
        }
        if rng.r#gen::<f64>() < ratio {
            break;
        }
    }
    // x is in 1..=keys: a whole number, so the cast is exact.
    (x as u32).clamp(1, keys) - 1
}

/// Most tries of one Zipf key draw (each accepts with probability over 1/2).
const ZIPF_TRIES: u32 = 64;

/// The name of key `i` (`k1`, `k2`, ...).
pub fn key_name(i: u32) -> String {
    let mut name = String::with_capacity(12);
    name.push('k');
    push_decimal(&mut name, u64::from(i) + 1);
    name
}

/// The name of key `i` in round `round` (`r3-k2`): see
/// [`crate::scenario::Workload::rounds`].
fn round_key_name(round: u64, i: u32) -> String {
    let mut name = String::with_capacity(24);
    name.push('r');
    push_decimal(&mut name, round);
    name.push('-');
    name.push_str(&key_name(i));
    name
}

/// The value client `client` writes as its `seq`-th operation (`c0-17`).
fn fresh_value(client: u32, seq: u64) -> String {
    let mut value = String::with_capacity(24);
    value.push('c');
    push_decimal(&mut value, u64::from(client));
    value.push('-');
    push_decimal(&mut value, seq);
    value
}

/// Appends `n` in decimal: what `format!("{n}")` writes, without the
/// formatting machinery (two names per operation are made on the hot path).
fn push_decimal(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[at..] {
        out.push(char::from(d));
    }
}

/// What one client is to do.
#[derive(Debug, Clone)]
pub struct ClientPlan {
    pub client: u32,
    /// Number of clients: a client that ends an operation with `info` continues
    /// as process `process + clients` (an `info` process issues nothing more).
    pub clients: u32,
    pub ops: u64,
    pub seed: u64,
    /// The processes a client may send a request to, one drawn per operation:
    /// every storage node, or every router in router mode.
    pub coordinators: std::ops::Range<u32>,
    /// The run's balancer (`[workload] balance`), shared by every client.
    pub balancer: Arc<Balancer>,
    pub keys: u32,
    /// Zipf exponent of the key draw (0: uniform; see [`draw_key`]).
    pub key_skew: f64,
    pub mix: Mix,
    pub think: Duration,
    /// No operation starts after this much scenario time.
    pub stop_at: Duration,
    /// How long a client waits for its coordinator (scenario time).
    pub timeout: Duration,
    /// `api = "s3"`: the S3 workload's knobs (`None`: registers).
    pub s3: Option<crate::scenario::S3Workload>,
    /// What a cas is conditional on.
    pub cas_from: CasFrom,
    /// Fresh keys every this long, if set.
    pub rounds: Option<Duration>,
    /// `[auth]`: who the client is and how it signs (`None`: unsigned).
    pub auth: Option<crate::scenario::Auth>,
}

impl ClientPlan {
    /// Splits the scenario's operations evenly over its regular clients
    /// (none with `clients = 0`, where only probe clients run; a probe
    /// client's plan has no operations of its own to split: it runs trials).
    pub fn for_client(
        scenario: &Scenario,
        seed: u64,
        client: u32,
        balancer: &Arc<Balancer>,
    ) -> ClientPlan {
        let w = &scenario.workload;
        let regular = u64::from(w.clients);
        let share = w.ops.checked_div(regular).unwrap_or(0);
        let extra = u64::from(u64::from(client) < w.ops.checked_rem(regular).unwrap_or(0));
        ClientPlan {
            client,
            clients: w.clients + w.probes.as_ref().map_or(0, |p| p.clients),
            ops: share + extra,
            seed,
            coordinators: balancer.coordinators(),
            balancer: Arc::clone(balancer),
            keys: w.keys,
            key_skew: w.key_skew,
            mix: w.mix,
            think: w.think,
            stop_at: scenario.duration,
            timeout: scenario.cluster.client_timeout,
            s3: w.s3.clone(),
            cas_from: w.cas_from,
            rounds: w.rounds,
            auth: scenario.auth.clone(),
        }
    }
}

/// The run's balancer, for [`ClientPlan::for_client`].
pub fn balancer(scenario: &Scenario) -> Arc<Balancer> {
    Balancer::new(scenario.workload.balance, coordinators(&scenario.cluster))
}

/// Storage nodes `0..nodes`, or routers `nodes..nodes + routers`.
fn coordinators(cluster: &crate::scenario::Cluster) -> std::ops::Range<u32> {
    match cluster.coordinators {
        store::Coordinators::Nodes => 0..cluster.nodes,
        store::Coordinators::Routers(routers) => cluster.nodes..cluster.nodes + routers,
    }
}

/// Binds the client's address and draws its RNG from the run seed and a
/// stream constant (one per kind of client, so kinds never share draws).
async fn connect(plan: &ClientPlan, net: &NetContext, stream: u64) -> (SimTransport, ChaCha8Rng) {
    let endpoint = madsim::net::Endpoint::bind(net::client_addr(plan.client))
        .await
        .expect("client addresses are unique");
    let me = Peer::Client(plan.client);
    let transport = SimTransport {
        me,
        endpoint,
        net: net.clone(),
    };
    let stream = stream.wrapping_mul(u64::from(plan.client) + 1);
    (transport, ChaCha8Rng::seed_from_u64(plan.seed ^ stream))
}

/// Runs one client to completion. Call on the client's own madsim node.
pub async fn run_client(plan: ClientPlan, net: NetContext, recorder: Recorder) {
    if plan.s3.is_some() {
        // Boxed: inline, the S3 client's far larger future would size every
        // register client's task too (1,000 clients touched 16 MB at start).
        return Box::pin(s3::run_client(plan, net, recorder)).await;
    }
    let (transport, mut rng) = connect(&plan, &net, 0x5eed_c11e).await;
    let mut client = Client::new(&plan);
    for seq in 1..=plan.ops {
        let think = plan.think.mul_f64(-(1.0 - rng.r#gen::<f64>()).ln());
        if !think_before_next(&plan, &net, think).await {
            break;
        }
        let round = plan
            .rounds
            .map(|r| net.epoch.elapsed_ns() / (r.as_nanos() as u64).max(1));
        let op = client.draw(&mut rng, seq, round);
        client.execute(op, &transport, &net, &recorder).await;
    }
}

/// Runs one probe client (see [`crate::scenario::Probes`]): write a key, and
/// once the write is acknowledged read it back after each delay, through a
/// random coordinator each time. Its index follows the regular clients'.
pub async fn run_probe(plan: ClientPlan, probes: Probes, net: NetContext, recorder: Recorder) {
    let (transport, mut rng) = connect(&plan, &net, 0x9b0b_e5ee).await;
    let mut client = Client::new(&plan);
    // Trials spread over about 80% of the faulty phase, like regular clients.
    let think = plan.stop_at.mul_f64(0.8) / probes.trials.max(1);
    for trial in 1..=u64::from(probes.trials) {
        let pause = think.mul_f64(-(1.0 - rng.r#gen::<f64>()).ln());
        if !think_before_next(&plan, &net, pause).await {
            break;
        }
        let key = key_name(draw_key(&mut rng, plan.keys, plan.key_skew));
        let value = format!("c{}-{trial}", plan.client);
        let request = ClientRequest::Put {
            key: key.clone(),
            value: value.clone(),
        };
        let coordinator = rng.gen_range(plan.coordinators.clone());
        let put = Draw {
            f: Function::Put,
            key: key.clone(),
            request,
            value: Value::Str(value),
            coordinator,
        };
        if client.execute(put, &transport, &net, &recorder).await != EventType::Ok {
            continue;
        }
        let committed = Duration::from_nanos(net.epoch.elapsed_ns());
        for &delay in &probes.delays {
            net.epoch.sleep_until(committed + delay).await;
            let coordinator = rng.gen_range(plan.coordinators.clone());
            let request = ClientRequest::Get { key: key.clone() };
            let get = Draw {
                f: Function::Get,
                key: key.clone(),
                request,
                value: Value::Absent,
                coordinator,
            };
            client.execute(get, &transport, &net, &recorder).await;
        }
    }
}

/// Pauses `think` before a client's next operation; false when that would
/// reach the end of the faulty phase, where the workload stops.
///
/// A client whose pause would end after the phase returns at once instead of
/// sleeping it out: the run waits for every client before it quiesces, so a
/// long `think` (up to 24 h, and an exponential draw is several times its
/// mean) would otherwise stretch the run past anything the scenario says, and
/// past madsim's time limit (issue 11, defect 6). The operations a client
/// runs are the same either way: none starts after the phase.
async fn think_before_next(plan: &ClientPlan, net: &NetContext, think: Duration) -> bool {
    let now = Duration::from_nanos(net.epoch.elapsed_ns());
    if now.saturating_add(think) >= plan.stop_at {
        return false;
    }
    timescale::sleep(think).await;
    net.epoch.elapsed_ns() < plan.stop_at.as_nanos() as u64
}

/// One operation, as drawn.
struct Draw {
    f: Function,
    key: String,
    request: ClientRequest,
    value: Value,
    coordinator: u32,
}

struct Client<'a> {
    plan: &'a ClientPlan,
    process: u64,
    /// The last value this client saw for each key (used as a cas `from`).
    seen: BTreeMap<String, Option<String>>,
}

impl<'a> Client<'a> {
    fn new(plan: &'a ClientPlan) -> Client<'a> {
        Client {
            plan,
            process: u64::from(plan.client),
            seen: BTreeMap::new(),
        }
    }

    /// The client's `seq`-th operation, on round `round`'s keys when the
    /// workload has rounds. Draws the same numbers whatever the round and
    /// `cas_from` are.
    fn draw(&self, rng: &mut impl Rng, seq: u64, round: Option<u64>) -> Draw {
        let i = draw_key(rng, self.plan.keys, self.plan.key_skew);
        let key = match round {
            None => key_name(i),
            Some(round) => round_key_name(round, i),
        };
        // Drawn whatever the policy, so that every client asks exactly what
        // a random one would: only where it sends differs.
        let drawn = rng.gen_range(self.plan.coordinators.clone());
        let coordinator = (self.plan.balancer).pick(self.plan.client, seq, drawn, rng);
        // Made only for the writes that use it; it draws nothing.
        let fresh = || fresh_value(self.plan.client, seq);
        let Mix {
            get, put, delete, ..
        } = self.plan.mix;
        let x: f64 = rng.r#gen();
        let (f, request, value) = if x < get {
            (
                Function::Get,
                ClientRequest::Get { key: key.clone() },
                Value::Absent,
            )
        } else if x < get + put {
            let fresh = fresh();
            let request = ClientRequest::Put {
                key: key.clone(),
                value: fresh.clone(),
            };
            (Function::Put, request, Value::Str(fresh))
        } else if x < get + put + delete {
            (
                Function::Delete,
                ClientRequest::Delete { key: key.clone() },
                Value::Absent,
            )
        } else {
            let from = match self.plan.cas_from {
                CasFrom::Seen => self.seen.get(&key).cloned().flatten(),
                CasFrom::Absent => None,
            };
            let fresh = fresh();
            let request = ClientRequest::Cas {
                key: key.clone(),
                from: from.clone(),
                to: fresh.clone(),
            };
            (
                Function::Cas,
                request,
                Value::Cas {
                    from,
                    to: Some(fresh),
                },
            )
        };
        Draw {
            f,
            key,
            request,
            value,
            coordinator,
        }
    }

    /// Runs one operation, records it, and returns how it ended.
    async fn execute(
        &mut self,
        op: Draw,
        transport: &SimTransport,
        net: &NetContext,
        log: &Recorder,
    ) -> EventType {
        let invoke = Record {
            process: self.process,
            kind: EventType::Invoke,
            f: op.f,
            key: &op.key,
            value: op.value.clone(),
            time: net.epoch.elapsed_ns(),
            node: op.coordinator,
        };
        log.record(invoke);
        let timeout = timescale::to_madsim(self.plan.timeout);
        let in_flight = self.plan.balancer.send(op.coordinator);
        let result = transport
            .call(op.coordinator, Request::Client(op.request), timeout)
            .await;
        drop(in_flight);
        let (kind, value, error) = outcome(op.f, op.value, result);
        self.remember(&op.key, op.f, kind, &value);
        let completion = Record {
            process: self.process,
            kind,
            f: op.f,
            key: &op.key,
            value,
            time: net.epoch.elapsed_ns(),
            node: op.coordinator,
        };
        log.record_failed(completion, error);
        if kind == EventType::Info {
            self.process += u64::from(self.plan.clients);
        }
        kind
    }

    fn remember(&mut self, key: &str, f: Function, kind: EventType, value: &Value) {
        let seen = match (f, kind, value) {
            (Function::Get, EventType::Ok, Value::Str(v)) => Some(v.clone()),
            (Function::Get | Function::Delete, EventType::Ok, Value::Absent) => None,
            (Function::Put, EventType::Ok, Value::Str(v)) => Some(v.clone()),
            (Function::Cas, EventType::Ok, Value::Cas { to, .. }) => to.clone(),
            _ => return,
        };
        self.seen.insert(key.to_string(), seen);
    }
}

/// Maps the coordinator's answer to the history's completion type, value
/// and, for a conditional write refused with S3's 412, 409 or 404, or any
/// request turned away before it was served (`Refused`, S3's 503
/// SlowDown), the reason (a `fail`: not applied).
///
/// A timeout is `info` (the request may have been applied); a write that
/// missed its quorum is `info` too (some replicas may hold it); a read that
/// missed its quorum, a refused cas or a refused request did nothing: `fail`.
fn outcome(
    f: Function,
    asked: Value,
    result: Result<Response, TransportError>,
) -> (EventType, Value, Option<FailReason>) {
    use ClientResponse as C;
    let response = match result {
        Ok(Response::Client(r)) => r,
        Ok(Response::Replica(_)) | Err(_) => return (EventType::Info, asked, None),
    };
    let refused = |reason| (EventType::Fail, asked.clone(), Some(reason));
    match (f, response) {
        (Function::Get, C::Value(v)) => (EventType::Ok, v.map_or(Value::Absent, Value::Str), None),
        (Function::Get, C::ReadUnavailable) => (EventType::Fail, asked, None),
        (Function::Put | Function::Delete | Function::Cas, C::Done) => (EventType::Ok, asked, None),
        (Function::Cas, C::PreconditionFailed) => refused(FailReason::PreconditionFailed),
        (Function::Cas, C::ConditionalConflict) => refused(FailReason::ConditionalConflict),
        (Function::Cas, C::NotFound) => refused(FailReason::NotFound),
        (Function::Cas, C::ReadUnavailable) => (EventType::Fail, asked, None),
        (_, C::Refused) => refused(FailReason::SlowDown),
        _ => (EventType::Info, asked, None),
    }
}

#[cfg(test)]
mod names {
    /// The hand-made names are exactly what `format!` wrote before (the
    /// histories and golden hashes depend on them).
    #[test]
    fn names_match_format() {
        for i in [0u32, 1, 8, 9, 10, 99, 12_345, u32::MAX - 1] {
            assert_eq!(super::key_name(i), format!("k{}", u64::from(i) + 1));
        }
        for (c, seq) in [(0u32, 1u64), (3, 10), (1023, 999_999), (7, u64::MAX)] {
            assert_eq!(super::fresh_value(c, seq), format!("c{c}-{seq}"));
        }
    }
}
