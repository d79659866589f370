//! Applies [`Action`]s to the running cluster, and heals everything at the
//! end of the faulty phase.

use super::Action;
use super::windows::{Effect, FaultLog, FaultWindow};
use crate::buggify::{Hit, SeenHit, SimPoints};
use crate::clock::SimClock;
use crate::cluster::SimCluster;
use crate::fate::Fates;
use crate::scenario::{BugAction, BugHit};
use crate::scenario::{MessageAction, MessageFault, format_duration};
use crate::timescale::Epoch;
use crate::trace::Trace;
use futures::StreamExt;
use futures::channel::mpsc;
use std::sync::Arc;
use std::time::Duration;

/// Applies actions to the cluster. Links are cut and mended in the run's
/// [`Fates`], which then drops what crosses them (overlapping cuts nest
/// there, so a link heals only when no fault still cuts it).
pub struct FaultInjector {
    fates: Arc<Fates>,
    clocks: Vec<SimClock>,
    trace: Trace,
    epoch: Epoch,
    windows: FaultLog,
    /// Buggify hits from the nodes (`None` without `[buggify]`).
    hits: Option<mpsc::UnboundedReceiver<Hit>>,
    /// The points the hits come from, armed by `buggify-window`s.
    points: Option<Arc<SimPoints>>,
    /// Every hit received, in order (bounded: each is a pass of a point by
    /// a node in the faulty phase, and a node's task waits for its answer).
    seen: Vec<SeenHit>,
    /// Nodes a buggify hit holds down: until when, which, crashed or
    /// paused, and the window's name. At most one per node.
    held: Vec<(Duration, u32, BugAction, String)>,
}

impl FaultInjector {
    /// `clocks` share their jump state with the nodes' clocks; `fates` is
    /// the run's network (the one its processes send through).
    pub fn new(
        trace: Trace,
        epoch: Epoch,
        clocks: Vec<SimClock>,
        fates: Arc<Fates>,
    ) -> FaultInjector {
        FaultInjector {
            fates,
            clocks,
            trace,
            epoch,
            windows: FaultLog::default(),
            hits: None,
            points: None,
            seen: Vec::new(),
            held: Vec::new(),
        }
    }

    /// Acts on the buggify hits the nodes send here (see `crate::buggify`),
    /// and arms `points` for `buggify-window`s.
    pub fn take_hits(&mut self, hits: mpsc::UnboundedReceiver<Hit>, points: Arc<SimPoints>) {
        self.hits = Some(hits);
        self.points = Some(points);
    }

    /// Every buggify hit received so far, in order.
    pub fn seen_hits(&self) -> Vec<SeenHit> {
        self.seen.clone()
    }

    /// When each fault was active; faults still open end at `end_ns`.
    pub fn windows(self, end_ns: u64) -> Vec<FaultWindow> {
        self.windows.finish(end_ns)
    }

    /// Runs the schedule, sleeping until each action's time, then until
    /// `end` (the end of the faulty phase); meanwhile acts on buggify hits.
    pub async fn run(
        &mut self,
        actions: Vec<(Duration, Action)>,
        end: Duration,
        cluster: &mut SimCluster,
    ) {
        for (at, action) in actions {
            self.wait_until(at, cluster).await;
            self.apply(action, cluster);
        }
        self.wait_until(end, cluster).await;
    }

    /// Sleeps until `at`; with buggify, answers hits and ends holds
    /// meanwhile (without, exactly the one sleep runs always took).
    async fn wait_until(&mut self, at: Duration, cluster: &mut SimCluster) {
        let Some(mut hits) = self.hits.take() else {
            return self.epoch.sleep_until(at).await;
        };
        // Bounded: each turn ends a hold, answers a hit (each from a task
        // that waits for it), or returns.
        loop {
            let release = (self.held.iter().map(|h| h.0).min()).filter(|&t| t <= at);
            let wake = release.unwrap_or(at);
            tokio::select! {
                biased;
                _ = self.epoch.sleep_until(wake) => match release {
                    Some(t) => self.release(|until, _| until <= t, cluster),
                    None => break,
                },
                hit = hits.next() => match hit {
                    Some(hit) => self.buggify(hit, cluster),
                    None => {
                        self.epoch.sleep_until(at).await;
                        return;
                    }
                },
            }
        }
        self.hits = Some(hits);
    }

    /// A buggify hit: crash or pause its node (unless it is already down
    /// or held, or a minority is down already), or delay its task.
    fn buggify(&mut self, hit: Hit, cluster: &mut SimCluster) {
        let now = self.epoch.elapsed_ns();
        let n = hit.node;
        self.seen.push(SeenHit {
            hit: BugHit {
                node: n,
                point: hit.point,
                action: hit.action,
                pass: hit.number,
            },
            at_ns: now,
            hold: hit.hold,
        });
        let label = format!(
            "buggify {} n{n} at {} (pass {})",
            hit.action.as_str(),
            hit.point,
            hit.number
        );
        let nodes = self.clocks.len() as u32;
        let down = (0..nodes)
            .filter(|&m| cluster.is_down(m) || cluster.is_paused(m))
            .count() as u32;
        let busy = cluster.is_down(n) || cluster.is_paused(n) || self.held.iter().any(|h| h.1 == n);
        let until = Duration::from_nanos(now) + hit.hold;
        let effect = match hit.action {
            BugAction::Delay => {
                let _ = hit.reply.send(Some(hit.hold));
                let end = now + hit.hold.as_nanos() as u64;
                self.windows
                    .span(label.clone(), Effect::Delay { node: n }, now, end);
                self.trace
                    .fault(now, format!("{label}: delayed {}", ms(hit.hold)));
                return;
            }
            _ if busy || down >= nodes.saturating_sub(1) / 2 => {
                let _ = hit.reply.send(None);
                return;
            }
            BugAction::Crash => {
                cluster.crash(n);
                Effect::Crash { node: n }
            }
            BugAction::Pause => {
                cluster.pause(n);
                let _ = hit.reply.send(None);
                Effect::Pause { node: n }
            }
        };
        self.trace
            .fault(now, format!("{label} for {}", ms(hit.hold)));
        self.windows.open(label.clone(), effect, now);
        self.held.push((until, n, hit.action, label));
    }

    /// Ends the buggify holds `which` selects (by end time and node):
    /// restarts or resumes their nodes.
    fn release(&mut self, which: impl Fn(Duration, u32) -> bool, cluster: &mut SimCluster) {
        let now = self.epoch.elapsed_ns();
        let (done, kept) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|h| which(h.0, h.1));
        self.held = kept;
        for (_, n, action, label) in done {
            if action == BugAction::Crash {
                cluster.restart(n);
            } else {
                cluster.resume(n);
            }
            self.windows.close(&label, now);
            self.trace.fault(now, format!("ended {label}"));
        }
    }

    pub fn apply(&mut self, action: Action, cluster: &mut SimCluster) {
        if let Action::Crash(n) | Action::Restart(n) | Action::Pause(n) | Action::Resume(n) = action
        {
            // A scheduled fault of a node buggify holds ends the hold first.
            self.release(|_, node| node == n, cluster);
        }
        let now = self.epoch.elapsed_ns();
        let what = match action {
            Action::Cut { label, links } => {
                self.fates.cut(&label, &links);
                let what = format!("{label}: cut {} links", links.len());
                self.windows.open(label, Effect::Cut { links }, now);
                what
            }
            Action::Mend { label, links } => {
                self.fates.mend(&label, &links);
                self.windows.close(&label, now);
                format!("healed {label}: {} links", links.len())
            }
            Action::Crash(n) | Action::Restart(n) | Action::Pause(n) | Action::Resume(n)
                if cluster.is_retired(n) =>
            {
                format!("n{n} was replaced: {action:?} skipped")
            }
            Action::Change(change) => {
                let what = format!("{change}");
                let done = cluster.request_change(change);
                self.windows.instant(what.clone(), Effect::Membership, now);
                format!("{what}: {done}")
            }
            Action::Crash(n) => {
                cluster.crash(n);
                self.windows
                    .open(format!("crash n{n}"), Effect::Crash { node: n }, now);
                format!("crash n{n}")
            }
            Action::Restart(n) => {
                cluster.restart(n);
                self.windows.close(&format!("crash n{n}"), now);
                format!("restart n{n}")
            }
            Action::Pause(n) => {
                cluster.pause(n);
                self.windows
                    .open(format!("pause n{n}"), Effect::Pause { node: n }, now);
                format!("pause n{n}")
            }
            Action::Resume(n) => {
                cluster.resume(n);
                self.windows.close(&format!("pause n{n}"), now);
                format!("resume n{n}")
            }
            Action::Target { label, fault } => {
                self.fates.target(&label, &fault);
                let effect = message_effect(&fault);
                let what = format!("{label}: in force");
                self.windows.open(label, effect, now);
                what
            }
            Action::Untarget { label, .. } => {
                self.fates.untarget(&label);
                self.windows.close(&label, now);
                format!("ended {label}")
            }
            Action::Arm(n) | Action::Disarm(n) => {
                let on = matches!(action, Action::Arm(_));
                if let Some(points) = &self.points {
                    points.arm(n, on);
                }
                let what = if on { "armed" } else { "disarmed" };
                format!("buggify-window n{n}: {what}")
            }
            Action::ClockJump { node, by_ns } => {
                let clock = &self.clocks[node as usize];
                clock.jump(by_ns);
                let jump = format!("clock-jump n{node} by {}", signed(by_ns));
                let effect = Effect::ClockJump { node, by_ns };
                self.windows.instant(jump.clone(), effect, now);
                format!("{jump} (stepped {} in all)", signed(clock.jumps_ns()))
            }
        };
        self.trace.fault(now, what);
    }

    /// Ends every fault: mends all links, resumes every paused node and
    /// restarts every crashed one. Clock jumps stay (a clock step is not undone
    /// by a network healing).
    pub fn heal_all(&mut self, cluster: &mut SimCluster, nodes: u32) {
        self.hits = None; // unanswered hits go on at once
        self.held.clear(); // their nodes restart or resume below
        self.fates.mend_all();
        for n in 0..nodes {
            if cluster.is_paused(n) {
                cluster.resume(n);
            }
            if cluster.is_down(n) && !cluster.is_retired(n) {
                cluster.restart(n);
            }
        }
        let now = self.epoch.elapsed_ns();
        self.windows.close_all(now);
        self.trace.fault(now, "heal: every fault ends".to_string());
    }
}

/// A message fault's window effect (the probability as text: an `Effect`
/// is `Eq` and `Ord`, which a float is not).
fn message_effect(m: &MessageFault) -> Effect {
    Effect::Messages {
        action: m.action.kind_name().to_string(),
        kinds: m.kinds.clone(),
        from: m.from.clone(),
        to: m.to.clone(),
        delay_ns: match m.action {
            MessageAction::Delay(d) => d.as_nanos() as u64,
            _ => 0,
        },
        probability: m.probability.to_string(),
    }
}

/// `8.113 ms`.
fn ms(d: Duration) -> String {
    check::ms::format_ms(d.as_nanos() as u64, check::ms::Precision::Fit)
}

/// `-500ms`, `+2s`.
fn signed(ns: i64) -> String {
    let sign = if ns < 0 { '-' } else { '+' };
    format!(
        "{sign}{}",
        format_duration(Duration::from_nanos(ns.unsigned_abs()))
    )
}
