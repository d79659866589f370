//! The space-time diagram of one seed: one lane per client process,
//! operations as bars, fault windows, and the counterexample's operations
//! highlighted. This module lays the data out; `plots::timeline` draws it.

use crate::seedinfo::{FaultWindow, SeedInfo};
use check::op::{Op, Outcome, pair};
use check::{Function, History};

/// One operation on its lane.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// [`Op::index`].
    pub index: usize,
    /// Position of the process among [`Timeline::processes`].
    pub lane: usize,
    pub f: Function,
    pub outcome: Outcome,
    pub start_ns: u64,
    /// `None`: never completed (`info`): drawn to the end of the run.
    pub end_ns: Option<u64>,
    /// `p3 get k1 -> c2-4` (see `check::counterexample::label`).
    pub label: String,
    pub node: Option<u32>,
    pub highlighted: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// Process ids, ascending: lane `i` is `processes[i]`.
    pub processes: Vec<u64>,
    pub bars: Vec<Bar>,
    pub faults: Vec<FaultWindow>,
    /// The last time anything happened (ns).
    pub end_ns: u64,
}

impl Timeline {
    /// Lays out `history`; `highlight` holds [`Op::index`]es.
    pub fn new(history: &History, info: Option<&SeedInfo>, highlight: &[usize]) -> Timeline {
        let ops = pair(history);
        let mut processes: Vec<u64> = ops.iter().map(|op| op.process).collect();
        processes.sort_unstable();
        processes.dedup();
        let end_ns = ops
            .iter()
            .map(|op| op.complete_time.unwrap_or(op.invoke_time))
            .max()
            .unwrap_or(0);
        let bars = ops
            .iter()
            .map(|op| bar(op, &processes, highlight))
            .collect();
        Timeline {
            processes,
            bars,
            faults: info.map(|i| i.faults.clone()).unwrap_or_default(),
            end_ns,
        }
    }

    /// The time span of the highlighted operations, widened so that their
    /// neighbours show: 50 % on each side, at least 1 ms in all.
    pub fn zoom(&self) -> Option<(u64, u64)> {
        let marked = self.bars.iter().filter(|b| b.highlighted);
        let from = marked.clone().map(|b| b.start_ns).min()?;
        let to = marked
            .map(|b| b.end_ns.unwrap_or(b.start_ns))
            .max()?
            .max(from);
        let pad = ((to - from) / 2).max(500_000);
        Some((
            from.saturating_sub(pad),
            to.saturating_add(pad).min(self.end_ns.max(to)),
        ))
    }
}

fn bar(op: &Op, processes: &[u64], highlight: &[usize]) -> Bar {
    Bar {
        index: op.index,
        lane: processes.binary_search(&op.process).unwrap_or(0),
        f: op.f,
        outcome: op.outcome,
        start_ns: op.invoke_time,
        end_ns: op.complete_time,
        label: check::counterexample::label(op),
        node: op.node,
        highlighted: highlight.contains(&op.index),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_lane_per_process_and_a_zoom_around_the_highlighted_ops() {
        let text = r#"{"process":3,"type":"invoke","f":"put","key":"k","value":"a","time":1000000}
{"process":3,"type":"ok","f":"put","key":"k","value":"a","time":2000000}
{"process":1,"type":"invoke","f":"get","key":"k","value":null,"time":9000000}
{"process":1,"type":"ok","f":"get","key":"k","value":"a","time":9500000}
{"process":1,"type":"invoke","f":"get","key":"k","value":null,"time":20000000}
{"process":1,"type":"ok","f":"get","key":"k","value":"a","time":21000000}
"#;
        let history = History::parse(text).unwrap();
        let t = Timeline::new(&history, None, &[0, 1]);
        assert_eq!(t.processes, vec![1, 3]);
        assert_eq!((t.bars[0].lane, t.bars[1].lane), (1, 0));
        assert_eq!(t.bars[1].label, "p1 get k -> a");
        assert_eq!(t.zoom(), Some((0, 13_750_000)));
        assert_eq!(t.end_ns, 21_000_000);
    }
}
