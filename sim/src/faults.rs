//! Applies the scenario's fault schedule to the running cluster.
//!
//! Faults are data (`scenario::Fault`); this module turns them into a sorted
//! list of actions and applies each at its simulated time. Overlapping
//! partitions are counted per link, so a link heals only when no partition
//! still cuts it.

use crate::cluster::SimCluster;
use crate::scenario::{Fault, FaultKind};
use crate::timescale::Epoch;
use crate::trace::Trace;
use madsim::net::NetSim;
use std::collections::BTreeMap;
use std::time::Duration;

/// One change to the cluster at one time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Cut(Vec<(u32, u32)>),
    Mend(Vec<(u32, u32)>),
    Crash(u32),
    Restart(u32),
}

/// The directed links a partition cuts: between nodes of different groups,
/// and from or to any node in no group.
pub fn cut_links(groups: &[Vec<u32>], nodes: u32) -> Vec<(u32, u32)> {
    let group_of = |n: u32| groups.iter().position(|g| g.contains(&n));
    let mut links = Vec::new();
    for a in 0..nodes {
        for b in 0..nodes {
            let together =
                a == b || matches!((group_of(a), group_of(b)), (Some(x), Some(y)) if x == y);
            if !together {
                links.push((a, b));
            }
        }
    }
    links
}

/// The timed actions of a schedule, sorted by time (starts before ends at equal
/// times keep file order). Faults still active at `end` end there.
pub fn schedule(faults: &[Fault], nodes: u32, end: Duration) -> Vec<(Duration, Action)> {
    let mut actions = Vec::new();
    for fault in faults {
        let stop = (fault.at + fault.duration).min(end);
        match &fault.kind {
            FaultKind::Partition { groups } => {
                let links = cut_links(groups, nodes);
                actions.push((fault.at, Action::Cut(links.clone())));
                actions.push((stop, Action::Mend(links)));
            }
            FaultKind::Crash { node } => {
                actions.push((fault.at, Action::Crash(*node)));
                actions.push((stop, Action::Restart(*node)));
            }
        }
    }
    actions.sort_by_key(|(at, _)| *at);
    actions
}

/// Applies actions to the cluster, tracking clogged links.
pub struct FaultInjector {
    clogged: BTreeMap<(u32, u32), u32>,
    trace: Trace,
    epoch: Epoch,
}

impl FaultInjector {
    pub fn new(trace: Trace, epoch: Epoch) -> FaultInjector {
        FaultInjector {
            clogged: BTreeMap::new(),
            trace,
            epoch,
        }
    }

    /// Runs the schedule to its end, sleeping until each action's time.
    pub async fn run(&mut self, actions: Vec<(Duration, Action)>, cluster: &mut SimCluster) {
        for (at, action) in actions {
            self.epoch.sleep_until(at).await;
            self.apply(action, cluster);
        }
    }

    pub fn apply(&mut self, action: Action, cluster: &mut SimCluster) {
        let net = NetSim::current();
        let what = match &action {
            Action::Cut(links) => {
                for &(a, b) in links {
                    let count = self.clogged.entry((a, b)).or_insert(0);
                    *count += 1;
                    if *count == 1 {
                        net.clog_link(cluster.madsim_id(a), cluster.madsim_id(b));
                    }
                }
                format!("partition: cut {} links", links.len())
            }
            Action::Mend(links) => {
                for &(a, b) in links {
                    self.mend(&net, cluster, a, b);
                }
                format!("partition healed: {} links", links.len())
            }
            Action::Crash(n) => {
                cluster.crash(*n);
                format!("crash n{n}")
            }
            Action::Restart(n) => {
                cluster.restart(*n);
                format!("restart n{n}")
            }
        };
        self.trace.fault(self.epoch.elapsed_ns(), what);
    }

    /// Ends every fault: mends all links and restarts every crashed node.
    pub fn heal_all(&mut self, cluster: &mut SimCluster, nodes: u32) {
        let net = NetSim::current();
        let links: Vec<_> = self.clogged.keys().copied().collect();
        for (a, b) in links {
            while self.clogged.contains_key(&(a, b)) {
                self.mend(&net, cluster, a, b);
            }
        }
        for n in 0..nodes {
            if cluster.is_down(n) {
                cluster.restart(n);
            }
        }
        self.trace.fault(
            self.epoch.elapsed_ns(),
            "heal: every fault ends".to_string(),
        );
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
