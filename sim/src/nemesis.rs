//! The nemesis: a random fault schedule, drawn from the seed before the run
//! starts, so it is printed in the trace and replays exactly.
//!
//! Fault starts form a Poisson process (exponential gaps of mean `interval`),
//! lengths are exponential of mean `duration` (at least 1 µs), families are
//! drawn by weight; with `swarm`, the seed first decides which families are
//! on. Every fault ends by the end of the faulty phase. Crashes and pauses
//! never take down a node already down, nor more than `max_down` nodes at
//! once (counting the scenario's own crashes and pauses); a draw that cannot
//! respect that is skipped. A clock jump is two faults: a step of up to
//! `jump` either way, and the step back when the fault ends. The `messages`
//! family (opt-in) drops, delays or duplicates one node's messages of one
//! kind. The `membership` family (opt-in) asks for a join (a spare), a leave
//! (a member, while more than N remain) or a replacement (a member by a
//! spare; the member never returns), one movement at a time: the plan keeps
//! the members and spares each change leaves, and draws no change within
//! one draw's length of the last (a change the store still refuses as busy
//! is traced as refused). The `buggify` family (opt-in, needs `[buggify]`)
//! arms the store's fault points on one node for the draw's length.

use crate::faults::links;
use crate::scenario::{
    Family, Fault, FaultKind, MAX_LATENCY, MAX_NEMESIS_FAULTS, MessageAction, MessageFault,
    Nemesis, Scenario,
};
use crate::trace::Trace;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

/// The RNG stream (xored into the run seed) the nemesis draws from.
pub const NEMESIS_STREAM: u64 = 0x6e65_6d65_7369_7301;

/// The node-to-node requests the `messages` family duplicates.
const REQUESTS: &[&str] = &[
    "replica-read",
    "replica-write",
    "replica-hinted-write",
    "replica-sync",
    "replica-prepare",
    "replica-accept",
];

/// The node-to-node messages the `messages` family drops or delays: the
/// requests and their answers.
const NODE_MESSAGES: &[&str] = &[
    "replica-read",
    "replica-write",
    "replica-written",
    "replica-hinted-write",
    "replica-sync",
    "replica-prepare",
    "replica-promised",
    "replica-accept",
    "replica-accepted",
];

/// Shortest nemesis fault.
const MIN_LENGTH: Duration = Duration::from_micros(1);

/// What the nemesis drew for one seed.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The families that were on (all with positive weight unless swarm).
    pub families: Vec<Family>,
    /// Sorted by `at`.
    pub faults: Vec<Fault>,
}

/// A node held down (crashed or paused) from `start` to `end`.
#[derive(Debug, Clone, Copy)]
struct Down {
    node: u32,
    start: Duration,
    end: Duration,
}

/// The nemesis faults of one seed's run (none without a `[nemesis]`), with
/// what was drawn written to the trace at time 0, so a replay shows it.
pub fn draw(scenario: &Scenario, seed: u64, trace: &Trace) -> Vec<Fault> {
    let Some(nemesis) = &scenario.nemesis else {
        return Vec::new();
    };
    let nodes = scenario.cluster.nodes;
    let plan = plan(nemesis, &scenario.faults, nodes, scenario.duration, seed);
    let families: Vec<&str> = plan.families.iter().map(|f| f.as_str()).collect();
    let head = format!(
        "nemesis: {} faults from {}",
        plan.faults.len(),
        families.join(", ")
    );
    trace.fault(0, head);
    for fault in &plan.faults {
        trace.fault(0, format!("nemesis plan: {}", describe(fault)));
    }
    plan.faults
}

/// Draws the nemesis faults of one seed. `fixed` are the scenario's own
/// faults (their crashes and pauses count towards `max_down`); `phase` is the
/// faulty phase's length.
pub fn plan(nemesis: &Nemesis, fixed: &[Fault], nodes: u32, phase: Duration, seed: u64) -> Plan {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ NEMESIS_STREAM);
    let on = families_on(nemesis, &mut rng);
    let mut downs: Vec<Down> = fixed.iter().filter_map(|f| down_of(f, phase)).collect();
    let mut ring = RingModel::new(nemesis, nodes);
    let mut faults = Vec::new();
    let mut t = Duration::ZERO;
    for _ in 0..MAX_NEMESIS_FAULTS {
        t += exponential(nemesis.interval, &mut rng);
        if t >= phase {
            break;
        }
        let length = exponential(nemesis.duration, &mut rng).max(MIN_LENGTH);
        let family = pick(&on, &mut rng);
        downs.retain(|d| d.end > t);
        let draw = Draw {
            t,
            length,
            phase,
            nodes,
        };
        faults.extend(draw.fault(family, nemesis, &mut downs, &mut ring, &mut rng));
    }
    faults.sort_by_key(|f| f.at);
    let families = on.iter().map(|(f, _)| *f).collect();
    Plan { families, faults }
}

/// The families with positive weight; with swarm, each kept with probability
/// 1/2, and one of them if none was kept.
fn families_on(nemesis: &Nemesis, rng: &mut impl Rng) -> Vec<(Family, f64)> {
    let weighted: Vec<(Family, f64)> = (nemesis.families.iter())
        .filter(|(_, w)| *w > 0.0)
        .copied()
        .collect();
    assert!(!weighted.is_empty(), "validation leaves a positive weight");
    if !nemesis.swarm {
        return weighted;
    }
    let kept: Vec<(Family, f64)> = (weighted.iter())
        .filter(|_| rng.gen_bool(0.5))
        .copied()
        .collect();
    if kept.is_empty() {
        vec![weighted[rng.gen_range(0..weighted.len())]]
    } else {
        kept
    }
}

fn pick(families: &[(Family, f64)], rng: &mut impl Rng) -> Family {
    let total: f64 = families.iter().map(|(_, w)| w).sum();
    let mut x = rng.r#gen::<f64>() * total;
    for &(family, weight) in families {
        if x < weight {
            return family;
        }
        x -= weight;
    }
    families[families.len() - 1].0
}

fn exponential(mean: Duration, rng: &mut impl Rng) -> Duration {
    mean.mul_f64(-(1.0 - rng.r#gen::<f64>()).ln())
}

fn down_of(fault: &Fault, phase: Duration) -> Option<Down> {
    match fault.kind {
        FaultKind::Crash { node } | FaultKind::Pause { node } => Some(Down {
            node,
            start: fault.at,
            end: (fault.at + fault.duration).min(phase),
        }),
        _ => None,
    }
}

/// The ring as the plan's membership changes leave it.
struct RingModel {
    /// Ascending.
    members: Vec<u32>,
    /// Nodes outside the ring that may join (ascending): the initial spares
    /// and the nodes that left.
    spares: Vec<u32>,
    replicas: u32,
    /// No change is drawn before this time (one movement at a time).
    busy_until: Duration,
}

impl RingModel {
    fn new(nemesis: &Nemesis, nodes: u32) -> RingModel {
        let members = nodes.saturating_sub(nemesis.spares);
        RingModel {
            members: (0..members).collect(),
            spares: (members..nodes).collect(),
            replicas: nemesis.replicas,
            busy_until: Duration::ZERO,
        }
    }
}

/// One draw's time and bounds.
struct Draw {
    t: Duration,
    length: Duration,
    phase: Duration,
    nodes: u32,
}

impl Draw {
    fn at(&self, kind: FaultKind) -> Fault {
        Fault {
            at: self.t,
            duration: self.length,
            kind,
        }
    }

    /// The faults of one draw of `family` (none if it would break `max_down`).
    fn fault(
        &self,
        family: Family,
        nemesis: &Nemesis,
        downs: &mut Vec<Down>,
        ring: &mut RingModel,
        rng: &mut ChaCha8Rng,
    ) -> Vec<Fault> {
        let node = |rng: &mut ChaCha8Rng| rng.gen_range(0..self.nodes);
        let kind = match family {
            Family::Partition => FaultKind::Partition {
                groups: links::random_split(self.nodes, rng),
            },
            Family::Isolate => FaultKind::Isolate { node: node(rng) },
            Family::RandomHalves => FaultKind::RandomHalves,
            Family::Bridge => FaultKind::Bridge { node: node(rng) },
            Family::Clog => {
                let from = node(rng);
                let to = (from + rng.gen_range(1..self.nodes)) % self.nodes;
                FaultKind::Clog { from, to }
            }
            Family::Crash | Family::Pause => {
                let Some(n) = self.downable(nemesis.max_down, downs, rng) else {
                    return Vec::new();
                };
                let end = (self.t + self.length).min(self.phase);
                downs.push(Down {
                    node: n,
                    start: self.t,
                    end,
                });
                if family == Family::Crash {
                    FaultKind::Crash { node: n }
                } else {
                    FaultKind::Pause { node: n }
                }
            }
            Family::ClockJump => {
                let n = node(rng);
                return self.clock_jump(nemesis.jump, n, rng);
            }
            Family::Messages => FaultKind::Messages(self.messages(rng)),
            Family::Membership => {
                let Some(kind) = self.membership(ring, rng) else {
                    return Vec::new();
                };
                kind
            }
            Family::Buggify => FaultKind::BuggifyWindow { node: node(rng) },
        };
        vec![self.at(kind)]
    }

    /// A join, leave or replacement (drawn among those the ring allows,
    /// nodes uniformly), or `None` while the last change may still be
    /// moving or when none is possible. Changes the model as the change will.
    fn membership(&self, ring: &mut RingModel, rng: &mut impl Rng) -> Option<FaultKind> {
        if self.t < ring.busy_until {
            return None;
        }
        let can_leave = ring.members.len() > ring.replicas as usize;
        let can_join = !ring.spares.is_empty();
        // With N = 1 the replaced node holds the only copy of its ranges:
        // nothing could stream them to its successor.
        let can_replace = can_join && ring.replicas > 1;
        let choices: Vec<u8> = [(0, can_join), (1, can_leave), (2, can_replace)]
            .into_iter()
            .filter_map(|(c, ok)| ok.then_some(c))
            .collect();
        if choices.is_empty() {
            return None;
        }
        let one = |list: &[u32], rng: &mut dyn rand::RngCore| list[rng.gen_range(0..list.len())];
        let kind = match choices[rng.gen_range(0..choices.len())] {
            0 => {
                let node = one(&ring.spares, rng);
                ring.spares.retain(|&n| n != node);
                ring.members.push(node);
                FaultKind::Join { node }
            }
            1 => {
                let node = one(&ring.members, rng);
                ring.members.retain(|&n| n != node);
                ring.spares.push(node);
                FaultKind::Leave { node }
            }
            _ => {
                let (node, by) = (one(&ring.members, rng), one(&ring.spares, rng));
                ring.members.retain(|&n| n != node);
                ring.spares.retain(|&n| n != by);
                ring.members.push(by);
                FaultKind::Replace { node, by }
            }
        };
        ring.members.sort_unstable();
        ring.spares.sort_unstable();
        ring.busy_until = self.t + self.length;
        Some(kind)
    }

    /// A node that is up during this draw's whole interval and whose downing
    /// keeps at most `max_down` nodes down at once, drawn uniformly.
    fn downable(&self, max_down: u32, downs: &[Down], rng: &mut impl Rng) -> Option<u32> {
        let end = (self.t + self.length).min(self.phase);
        let overlapping: Vec<Down> = (downs.iter())
            .filter(|d| d.start < end && d.end > self.t)
            .copied()
            .collect();
        // The most nodes down at once during [t, end): at t or at a later start.
        let points = std::iter::once(self.t).chain(overlapping.iter().map(|d| d.start.max(self.t)));
        let most = points
            .map(|p| {
                overlapping
                    .iter()
                    .filter(|d| d.start <= p && p < d.end)
                    .count()
            })
            .max()
            .unwrap_or(0);
        if most as u32 >= max_down {
            return None;
        }
        let free: Vec<u32> = (0..self.nodes)
            .filter(|n| overlapping.iter().all(|d| d.node != *n))
            .collect();
        (!free.is_empty()).then(|| free[rng.gen_range(0..free.len())])
    }

    /// A message fault: drop (half the time), delay or duplicate (a quarter
    /// each) the messages of one node-to-node kind that one node sends, for
    /// the draw's length; a delay is up to the draw's length (at most
    /// [`MAX_LATENCY`]); every covered message is hit (probability 1).
    fn messages(&self, rng: &mut impl Rng) -> MessageFault {
        let action = match rng.gen_range(0..4) {
            0 | 1 => MessageAction::Drop,
            2 => {
                let most = self.length.min(MAX_LATENCY).as_nanos().max(1) as u64;
                MessageAction::Delay(Duration::from_nanos(rng.gen_range(1..=most)))
            }
            _ => MessageAction::Duplicate,
        };
        let kinds = if action == MessageAction::Duplicate {
            REQUESTS
        } else {
            NODE_MESSAGES
        };
        let kind = kinds[rng.gen_range(0..kinds.len())];
        MessageFault {
            action,
            kinds: vec![kind.to_string()],
            from: Some(vec![rng.gen_range(0..self.nodes)]),
            to: None,
            probability: 1.0,
        }
    }

    /// A step of up to `jump` either way at `t`, and the step back when the
    /// fault ends (at the latest, when the faulty phase does).
    fn clock_jump(&self, jump: Duration, node: u32, rng: &mut impl Rng) -> Vec<Fault> {
        let max = i64::try_from(jump.as_nanos()).unwrap_or(i64::MAX).max(1);
        let size = rng.gen_range(1..=max);
        let by_ns = if rng.gen_bool(0.5) { -size } else { size };
        let back = Fault {
            at: (self.t + self.length).min(self.phase),
            duration: Duration::ZERO,
            kind: FaultKind::ClockJump {
                node,
                by_ns: -by_ns,
            },
        };
        let step = Fault {
            duration: Duration::ZERO,
            ..self.at(FaultKind::ClockJump { node, by_ns })
        };
        vec![step, back]
    }
}

/// One line per fault, for the trace: `at 1.2s for 300ms: crash n1`.
pub fn describe(fault: &Fault) -> String {
    use crate::scenario::format_duration as d;
    let what = match &fault.kind {
        FaultKind::Partition { groups } => format!("partition {groups:?}"),
        FaultKind::Isolate { node } => format!("isolate n{node}"),
        FaultKind::RandomHalves => "random-halves".into(),
        FaultKind::Bridge { node } => format!("bridge n{node}"),
        FaultKind::Clog { from, to } => format!("clog n{from} -> n{to}"),
        FaultKind::Crash { node } => format!("crash n{node}"),
        FaultKind::Pause { node } => format!("pause n{node}"),
        FaultKind::Messages(m) => crate::faults::message_label(m),
        FaultKind::ClockJump { node, by_ns } => {
            let sign = if *by_ns < 0 { "-" } else { "+" };
            let by = d(Duration::from_nanos(by_ns.unsigned_abs()));
            return format!("at {}: clock-jump n{node} by {sign}{by}", d(fault.at));
        }
        FaultKind::Join { node } => return format!("at {}: join n{node}", d(fault.at)),
        FaultKind::Leave { node } => return format!("at {}: leave n{node}", d(fault.at)),
        FaultKind::Replace { node, by } => {
            return format!("at {}: replace n{node} by n{by}", d(fault.at));
        }
        FaultKind::Buggify(hit) => format!(
            "buggify {} n{} at {} (pass {})",
            hit.action.as_str(),
            hit.node,
            hit.point,
            hit.pass
        ),
        FaultKind::BuggifyWindow { node } => format!("buggify-window n{node}"),
    };
    format!("at {} for {}: {what}", d(fault.at), d(fault.duration))
}

#[cfg(test)]
mod tests;
