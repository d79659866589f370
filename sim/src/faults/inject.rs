//! Applies [`Action`]s to the running cluster, and heals everything at the
//! end of the faulty phase.

use super::Action;
use super::links::LinkId;
use super::windows::{Effect, FaultLog, FaultWindow};
use crate::clock::SimClock;
use crate::cluster::SimCluster;
use crate::scenario::format_duration;
use crate::timescale::Epoch;
use crate::trace::Trace;
use madsim::net::NetSim;
use std::collections::BTreeMap;
use std::time::Duration;

/// Applies actions to the cluster, tracking clogged links. Overlapping cuts
/// are counted per link, so a link heals only when no fault still cuts it.
pub struct FaultInjector {
    clogged: BTreeMap<LinkId, u32>,
    clocks: Vec<SimClock>,
    trace: Trace,
    epoch: Epoch,
    windows: FaultLog,
}

impl FaultInjector {
    /// `clocks` share their jump state with the nodes' clocks.
    pub fn new(trace: Trace, epoch: Epoch, clocks: Vec<SimClock>) -> FaultInjector {
        FaultInjector {
            clogged: BTreeMap::new(),
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
                let net = NetSim::current();
                for &(a, b) in &links {
                    let count = self.clogged.entry((a, b)).or_insert(0);
                    *count += 1;
                    if *count == 1 {
                        net.clog_link(cluster.madsim_id(a), cluster.madsim_id(b));
                    }
                }
                let what = format!("{label}: cut {} links", links.len());
                self.windows.open(label, Effect::Cut { links }, now);
                what
            }
            Action::Mend { label, links } => {
                let net = NetSim::current();
                for &(a, b) in &links {
                    self.mend(&net, cluster, a, b);
                }
                self.windows.close(&label, now);
                format!("healed {label}: {} links", links.len())
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
        let net = NetSim::current();
        let links: Vec<_> = self.clogged.keys().copied().collect();
        for (a, b) in links {
            while self.clogged.contains_key(&(a, b)) {
                self.mend(&net, cluster, a, b);
            }
        }
        for n in 0..nodes {
            if cluster.is_paused(n) {
                cluster.resume(n);
            }
            if cluster.is_down(n) {
                cluster.restart(n);
            }
        }
        let now = self.epoch.elapsed_ns();
        self.windows.close_all(now);
        self.trace.fault(now, "heal: every fault ends".to_string());
    }

    fn mend(&mut self, net: &NetSim, cluster: &SimCluster, a: u32, b: u32) {
        let Some(count) = self.clogged.get_mut(&(a, b)) else {
            return;
        };
        *count -= 1;
        if *count == 0 {
            self.clogged.remove(&(a, b));
            net.unclog_link(cluster.madsim_id(a), cluster.madsim_id(b));
        }
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
