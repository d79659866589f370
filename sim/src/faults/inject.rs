//! Applies [`Action`]s to the running cluster, and heals everything at the
//! end of the faulty phase.

use super::Action;
use super::windows::{Effect, FaultLog, FaultWindow};
use crate::clock::SimClock;
use crate::cluster::SimCluster;
use crate::fate::Fates;
use crate::scenario::format_duration;
use crate::timescale::Epoch;
use crate::trace::Trace;
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
        }
    }

    /// When each fault was active; faults still open end at `end_ns`.
    pub fn windows(self, end_ns: u64) -> Vec<FaultWindow> {
        self.windows.finish(end_ns)
    }

    /// Runs the schedule to its end, sleeping until each action's time.
    pub async fn run(&mut self, actions: Vec<(Duration, Action)>, cluster: &mut SimCluster) {
        for (at, action) in actions {
            self.epoch.sleep_until(at).await;
            self.apply(action, cluster);
        }
    }

    pub fn apply(&mut self, action: Action, cluster: &mut SimCluster) {
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

/// `-500ms`, `+2s`.
fn signed(ns: i64) -> String {
    let sign = if ns < 0 { '-' } else { '+' };
    format!(
        "{sign}{}",
        format_duration(Duration::from_nanos(ns.unsigned_abs()))
    )
}
