//! The store's fault points (`store::buggify`), implemented for a run: at
//! each point a storage node passes during the faulty phase, with the
//! point's `[buggify]` probability, the node is crashed, paused or has the
//! passing task delayed, for an exponential time of mean `duration`.
//!
//! Deterministic: each node draws from its own RNG stream (the seed xor
//! [`BUGGIFY_STREAM`] and the node), in the order it passes points, so the
//! draws never touch madsim's RNG and a run without `[buggify]` draws as
//! before. The node only decides; the fault injector acts (it alone holds
//! the cluster): a hit is sent to it as a [`Hit`], and the passing task
//! waits for the answer — forever when its node was crashed (its tasks die
//! with it), until the resume when paused, the delay when delayed, not at
//! all when the injector declined (a majority must stay up) or the faulty
//! phase is over ([`SimPoints::close`]).
//!
//! Two ways to aim: `buggify-window` faults (the scenario's own, or the
//! nemesis family `buggify`'s) arm `[buggify]` on one node for a window
//! ([`SimPoints::arm`]); once a scenario has any, a node draws only while
//! armed (and a scenario without draws as before). And explicit hits
//! (`[[faults]] kind = "buggify"`: node, point, pass, action, hold), which
//! draw nothing: a pass that matches one is hit, before any draw. A drawn
//! hit written out as an explicit one (with its pass) replays the same:
//! the node sends the same hit at the same pass, and the injector answers
//! it the same way.

use crate::scenario::{BugAction, BugHit, Buggify, MAX_LATENCY};
use crate::timescale::{self, Epoch};
use futures::channel::{mpsc, oneshot};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;
use store::NodeId;
use store::buggify::{Hook, Point};

/// The RNG stream (xored into the run seed, with the node in the low bits)
/// buggify draws from.
pub const BUGGIFY_STREAM: u64 = 0xb066_1f75_0000_0000;

/// Shortest hold or delay.
const MIN_HOLD: Duration = Duration::from_micros(1);

/// A node hit a fault point and drew an action: what the injector is asked
/// to do. `reply` gets the delay the passing task then waits (`None`: go on
/// at once); a crashed node's task never reads it.
#[derive(Debug)]
pub struct Hit {
    pub node: u32,
    pub point: Point,
    /// 1 for the node's first pass of this point in the run, then 2, ...
    pub number: u64,
    pub action: BugAction,
    /// How long the node is held (crash, pause) or the task delayed.
    pub hold: Duration,
    pub reply: oneshot::Sender<Option<Duration>>,
}

/// A hit the injector received (applied or declined), as a run reports
/// it: what `shrink` writes out as an explicit `buggify` fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeenHit {
    pub hit: BugHit,
    /// When the node passed the point, in scenario nanoseconds.
    pub at_ns: u64,
    pub hold: Duration,
}

/// One node's draws: its RNG and how often it passed each point.
struct NodeDraws {
    rng: ChaCha8Rng,
    passes: BTreeMap<Point, u64>,
    /// `buggify-window`s open on the node now (they may overlap).
    armed: u32,
    /// The node's explicit hits not yet taken: (hit, from when in scenario
    /// ns, hold), in the scenario's order.
    explicit: Vec<(BugHit, u64, Duration)>,
}

/// What a run's fault points do: `[buggify]`'s draws (everywhere, or only
/// in windows) and explicit hits.
pub struct Plan {
    pub buggify: Option<Buggify>,
    /// Draw only where a `buggify-window` arms the node.
    pub windowed: bool,
    /// Explicit hits with their `at` and hold.
    pub explicit: Vec<(BugHit, Duration, Duration)>,
}

impl Plan {
    /// The plan of a scenario; `None` when its points do nothing (no
    /// `[buggify]`, no explicit hit): the store then gets no hook at all.
    pub fn of(scenario: &crate::Scenario) -> Option<Plan> {
        let explicit = scenario.buggify_hits();
        if scenario.buggify.is_none() && explicit.is_empty() {
            return None;
        }
        Some(Plan {
            buggify: scenario.buggify.clone(),
            windowed: scenario.buggify_windowed(),
            explicit,
        })
    }
}

/// The run's fault points: shared by every node of the cluster (its
/// `ClusterConfig::fault_points`).
pub struct SimPoints {
    buggify: Option<Buggify>,
    windowed: bool,
    epoch: Epoch,
    nodes: Vec<Mutex<NodeDraws>>,
    /// To the injector; `None` once the faulty phase is over. Unbounded, but
    /// each task that sends waits for its answer, so at most one hit per
    /// task of a node is ever queued.
    to_injector: Mutex<Option<mpsc::UnboundedSender<Hit>>>,
}

impl SimPoints {
    /// The points of a run of `seed` on `nodes` storage nodes, and what the
    /// injector receives hits on.
    pub fn new(
        plan: Plan,
        nodes: u32,
        seed: u64,
        epoch: Epoch,
    ) -> (SimPoints, mpsc::UnboundedReceiver<Hit>) {
        let (tx, rx) = mpsc::unbounded();
        let draws = (0..nodes)
            .map(|n| {
                let explicit = (plan.explicit.iter())
                    .filter(|(hit, _, _)| hit.node == n)
                    .map(|&(hit, at, hold)| (hit, at.as_nanos() as u64, hold))
                    .collect();
                Mutex::new(NodeDraws {
                    rng: ChaCha8Rng::seed_from_u64(seed ^ BUGGIFY_STREAM ^ u64::from(n)),
                    passes: BTreeMap::new(),
                    armed: 0,
                    explicit,
                })
            })
            .collect();
        let points = SimPoints {
            buggify: plan.buggify,
            windowed: plan.windowed,
            epoch,
            nodes: draws,
            to_injector: Mutex::new(Some(tx)),
        };
        (points, rx)
    }

    /// The faulty phase is over: every later pass goes on at once.
    pub fn close(&self) {
        *self.to_injector.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// A `buggify-window` opens (`on`) or closes on `node`.
    pub fn arm(&self, node: u32, on: bool) {
        if let Some(draws) = self.nodes.get(node as usize) {
            let mut draws = draws.lock().unwrap_or_else(|e| e.into_inner());
            draws.armed = if on {
                draws.armed + 1
            } else {
                draws.armed.saturating_sub(1)
            };
        }
    }

    /// Counts a pass of `point` by `node` and says whether it is hit, and
    /// how: an explicit hit it matches first, else a draw (nothing is drawn
    /// for a point of probability 0, nor outside windows when windowed).
    fn draw(&self, node: NodeId, point: Point) -> Option<(u64, BugAction, Duration)> {
        let draws = self.nodes.get(node as usize)?; // routers are never faulted
        let mut draws = draws.lock().unwrap_or_else(|e| e.into_inner());
        let number = {
            let n = draws.passes.entry(point).or_insert(0);
            *n += 1;
            *n
        };
        if !draws.explicit.is_empty() {
            let now = self.epoch.elapsed_ns();
            let matching = (draws.explicit.iter())
                .position(|(hit, at, _)| hit.point == point && number >= hit.pass && now >= *at);
            if let Some(i) = matching {
                let (hit, _, hold) = draws.explicit.remove(i);
                return Some((number, hit.action, hold.clamp(MIN_HOLD, MAX_LATENCY)));
            }
        }
        let buggify = self.buggify.as_ref()?;
        if self.windowed && draws.armed == 0 {
            return None;
        }
        let p = (buggify.points.iter())
            .find(|(q, _)| *q == point)
            .map_or(0.0, |(_, p)| *p);
        if p <= 0.0 || !draws.rng.gen_bool(p) {
            return None;
        }
        let actions = &buggify.actions;
        let action = actions[draws.rng.gen_range(0..actions.len())];
        let hold = (buggify.duration).mul_f64(-(1.0 - draws.rng.r#gen::<f64>()).ln());
        Some((number, action, hold.clamp(MIN_HOLD, MAX_LATENCY)))
    }
}

impl Hook for SimPoints {
    fn hit(&self, node: NodeId, point: Point) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let Some((number, action, hold)) = self.draw(node, point) else {
            return Box::pin(std::future::ready(()));
        };
        let (reply, answer) = oneshot::channel();
        let hit = Hit {
            node,
            point,
            number,
            action,
            hold,
            reply,
        };
        let sender = self.to_injector.lock().unwrap_or_else(|e| e.into_inner());
        let sent = sender
            .as_ref()
            .is_some_and(|tx| tx.unbounded_send(hit).is_ok());
        drop(sender);
        Box::pin(async move {
            if !sent {
                return;
            }
            if let Ok(Some(delay)) = answer.await {
                timescale::sleep(delay).await;
            }
        })
    }
}
