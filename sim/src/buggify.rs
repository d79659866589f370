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

use crate::scenario::{BugAction, Buggify, MAX_LATENCY};
use crate::timescale;
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

/// One node's draws: its RNG and how often it passed each point.
struct NodeDraws {
    rng: ChaCha8Rng,
    passes: BTreeMap<Point, u64>,
}

/// The run's fault points: shared by every node of the cluster (its
/// `ClusterConfig::fault_points`).
pub struct SimPoints {
    buggify: Buggify,
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
        buggify: &Buggify,
        nodes: u32,
        seed: u64,
    ) -> (SimPoints, mpsc::UnboundedReceiver<Hit>) {
        let (tx, rx) = mpsc::unbounded();
        let draws = (0..nodes)
            .map(|n| {
                Mutex::new(NodeDraws {
                    rng: ChaCha8Rng::seed_from_u64(seed ^ BUGGIFY_STREAM ^ u64::from(n)),
                    passes: BTreeMap::new(),
                })
            })
            .collect();
        let points = SimPoints {
            buggify: buggify.clone(),
            nodes: draws,
            to_injector: Mutex::new(Some(tx)),
        };
        (points, rx)
    }

    /// The faulty phase is over: every later pass goes on at once.
    pub fn close(&self) {
        *self.to_injector.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Counts a pass of `point` by `node` and draws whether it is hit, and
    /// how (nothing is drawn for a point of probability 0).
    fn draw(&self, node: NodeId, point: Point) -> Option<(u64, BugAction, Duration)> {
        let draws = self.nodes.get(node as usize)?; // routers are never faulted
        let mut draws = draws.lock().unwrap_or_else(|e| e.into_inner());
        let number = {
            let n = draws.passes.entry(point).or_insert(0);
            *n += 1;
            *n
        };
        let p = (self.buggify.points.iter())
            .find(|(q, _)| *q == point)
            .map_or(0.0, |(_, p)| *p);
        if p <= 0.0 || !draws.rng.gen_bool(p) {
            return None;
        }
        let actions = &self.buggify.actions;
        let action = actions[draws.rng.gen_range(0..actions.len())];
        let hold = (self.buggify.duration).mul_f64(-(1.0 - draws.rng.r#gen::<f64>()).ln());
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
