//! The space-time diagram of one seed: one lane per client (a client that
//! timed out continues as a new process on the same lane, the change
//! marked), operations as bars (a timed-out one drawn to when its client
//! gave up, not to the end of the run), fault windows, and the
//! counterexample's operations highlighted. This module lays the data out;
//! `plots::timeline` draws it.

use crate::seedinfo::{FaultWindow, SeedInfo};
use check::access::{Access, bucket_of};
use check::counterexample::span;
use check::ms::{Precision, format_ms};
use check::op::{Op, Outcome, pair};
use check::{Function, History};
use std::collections::BTreeMap;

/// One operation on its lane.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// [`Op::index`].
    pub index: usize,
    /// Position of the client's lane among [`Timeline::lanes`].
    pub lane: usize,
    pub process: u64,
    pub f: Function,
    pub outcome: Outcome,
    pub start_ns: u64,
    /// `None`: never completed (`info`).
    pub end_ns: Option<u64>,
    /// Where the bar is drawn to: its completion; for an `info` operation,
    /// when the client gave up waiting, or (no completion at all) at most
    /// the longest completed operation's duration after it began. Drawn
    /// open-ended there, never to the end of the run.
    pub drawn_end_ns: u64,
    /// `p3 get k1 -> c2-4` (see `check::counterexample::label`).
    pub label: String,
    pub node: Option<u32>,
    /// The principal that signed it and its bucket (histories with access
    /// control): which grants and revokes concern it.
    pub sender: Option<(String, String)>,
    pub highlighted: bool,
    /// The hover text: index, label, outcome, times, coordinator.
    pub title: String,
}

/// A lane's process changed (after its previous process ended `info`, a
/// client continues as a new process).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub lane: usize,
    pub at_ns: u64,
    pub process: u64,
}

/// A moment of access control drawn across every lane (issue 17): a grant
/// or revoke acknowledged, or a revoke's deadline (its acknowledgement +
/// the history's Δ), after which its principal must be refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyMark {
    pub at_ns: u64,
    pub principal: String,
    pub bucket: String,
    /// `revoke alice from b acknowledged`, `… + Δ 50 ms`.
    pub what: String,
    /// A revoke's deadline (drawn dashed), not an acknowledgement.
    pub deadline: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// One lane per client: the processes it ran as, in order.
    pub lanes: Vec<Vec<u64>>,
    pub bars: Vec<Bar>,
    pub changes: Vec<Change>,
    pub faults: Vec<FaultWindow>,
    /// Acknowledged grants and revokes, and revoke deadlines, by time
    /// (drawn: those of [`Timeline::concerned`]).
    pub policy: Vec<PolicyMark>,
    /// The last time anything happened (ns).
    pub end_ns: u64,
}

/// Lanes drawn at most: a history with more concurrent processes shares
/// the last lane among the rest.
const LANES_MAX: usize = 256;

impl Timeline {
    /// Lays out `history`; `highlight` holds [`Op::index`]es.
    pub fn new(history: &History, info: Option<&SeedInfo>, highlight: &[usize]) -> Timeline {
        let ops = pair(history);
        let end_ns = ops
            .iter()
            .map(|op| {
                op.complete_time
                    .or(op.gave_up_time)
                    .unwrap_or(op.invoke_time)
            })
            .max()
            .unwrap_or(0);
        let longest = (ops.iter())
            .filter_map(|op| Some(op.complete_time? - op.invoke_time))
            .max()
            .unwrap_or(1_000_000);
        let (lane_of, lanes, changes) = lanes(&ops);
        let access = Access::new(history);
        let bars = ops
            .iter()
            .map(|op| {
                let lane = lane_of.get(&op.process).copied().unwrap_or(0);
                let mut bar = bar(op, lane, longest, highlight);
                bar.sender =
                    (access.of(op)).map(|a| (a.principal.clone(), bucket_of(&op.key).to_owned()));
                bar
            })
            .collect();
        Timeline {
            lanes,
            bars,
            changes,
            faults: info.map(|i| i.faults.clone()).unwrap_or_default(),
            policy: policy_marks(history, &access),
            end_ns,
        }
    }

    /// The same timeline with `highlight` ([`Op::index`]es) outlined instead.
    pub fn highlighting(&self, highlight: &[usize]) -> Timeline {
        let mut t = self.clone();
        for b in &mut t.bars {
            b.highlighted = highlight.contains(&b.index);
        }
        t
    }

    /// The time span of the highlighted operations, widened so that their
    /// neighbours show: 50 % on each side, at least 1 ms in all.
    /// With access control, it also reaches back to the last policy
    /// acknowledgement before them: the grant or revoke a breach is judged
    /// against.
    pub fn zoom(&self) -> Option<(u64, u64)> {
        let marked = self.bars.iter().filter(|b| b.highlighted);
        let first = marked.clone().map(|b| b.start_ns).min()?;
        let context = (self.concerned())
            .filter(|m| !m.deadline && m.at_ns <= first)
            .map(|m| m.at_ns)
            .max();
        let from = context.unwrap_or(first).min(first);
        let to = marked.map(|b| b.drawn_end_ns).max()?.max(from);
        let pad = ((to - from) / 2).max(500_000);
        Some((
            from.saturating_sub(pad),
            to.saturating_add(pad).min(self.end_ns.max(to)),
        ))
    }
}

impl Timeline {
    /// The policy marks that concern a highlighted operation: its
    /// principal's grants and revokes on its bucket. Only those are drawn;
    /// a run's other policy changes would bury them.
    pub fn concerned(&self) -> impl Iterator<Item = &PolicyMark> + '_ {
        let senders: Vec<&(String, String)> = (self.bars.iter())
            .filter(|b| b.highlighted)
            .filter_map(|b| b.sender.as_ref())
            .collect();
        (self.policy.iter())
            .filter(move |m| (senders.iter()).any(|(p, b)| *p == m.principal && *b == m.bucket))
    }
}

/// One lane per client. A process that ended `info` issues nothing more;
/// the next new process takes a freed lane — the one whose process id is
/// congruent to it modulo the number of clients (the Jepsen convention:
/// process `p + clients` continues `p`), else the lane freed first. The
/// number of clients is the number of lanes open when the first lane is
/// reused.
fn lanes(ops: &[Op]) -> (BTreeMap<u64, usize>, Vec<Vec<u64>>, Vec<Change>) {
    let mut order: Vec<&Op> = ops.iter().collect();
    order.sort_by_key(|op| (op.invoke_time, op.index));
    let mut lane_of: BTreeMap<u64, usize> = BTreeMap::new();
    let mut lanes: Vec<Vec<u64>> = Vec::new();
    // Lanes whose process ended `info`, with when they were freed (the
    // client gave up), in the order their ops were invoked.
    let mut free: Vec<(usize, u64)> = Vec::new();
    let mut clients: Option<usize> = None;
    let mut changes = Vec::new();
    for op in order {
        let lane = match lane_of.get(&op.process) {
            Some(&lane) => lane,
            None => {
                let c = clients.unwrap_or(lanes.len()).max(1) as u64;
                let ready = |&(_, at): &(usize, u64)| at <= op.invoke_time;
                let congruent = |&(l, at): &(usize, u64)| {
                    let last = lanes[l].last().copied().unwrap_or(0);
                    ready(&(l, at)) && last % c == op.process % c
                };
                let reuse = free
                    .iter()
                    .position(congruent)
                    .or_else(|| free.iter().position(ready))
                    .map(|i| free.remove(i).0);
                let lane = match reuse {
                    Some(lane) => {
                        clients.get_or_insert(lanes.len());
                        changes.push(Change {
                            lane,
                            at_ns: op.invoke_time,
                            process: op.process,
                        });
                        lane
                    }
                    None if lanes.len() < LANES_MAX => {
                        lanes.push(Vec::new());
                        lanes.len() - 1
                    }
                    None => LANES_MAX - 1,
                };
                lanes[lane].push(op.process);
                lane_of.insert(op.process, lane);
                lane
            }
        };
        if op.outcome == Outcome::Info && !free.iter().any(|&(l, _)| l == lane) {
            free.push((lane, op.gave_up_time.unwrap_or(op.invoke_time)));
        }
    }
    (lane_of, lanes, changes)
}

/// The history's acknowledged grants and revokes, and each revoke's
/// deadline when the history gives a Δ, in time order.
fn policy_marks(history: &History, access: &Access) -> Vec<PolicyMark> {
    let delta = history.revocation_delta_ns.unwrap_or(0);
    let mut marks = Vec::new();
    for c in &access.changes {
        let (Outcome::Ok, Some(at_ns)) = (c.outcome, c.complete_time) else {
            continue;
        };
        let (verb, to) = match c.f {
            Function::Grant => ("grant", "on"),
            _ => ("revoke", "from"),
        };
        let what = format!("{verb} {} {to} {}", c.principal, c.bucket);
        if c.f == Function::Revoke && delta > 0 {
            marks.push(PolicyMark {
                at_ns: at_ns.saturating_add(delta),
                principal: c.principal.clone(),
                bucket: c.bucket.clone(),
                what: format!("{what} + Δ {}", format_ms(delta, Precision::Fit)),
                deadline: true,
            });
        }
        marks.push(PolicyMark {
            at_ns,
            principal: c.principal.clone(),
            bucket: c.bucket.clone(),
            what: format!("{what} acknowledged"),
            deadline: false,
        });
    }
    marks.sort_by_key(|m| m.at_ns);
    marks
}

fn bar(op: &Op, lane: usize, longest: u64, highlight: &[usize]) -> Bar {
    let drawn_end_ns = op
        .complete_time
        .or(op.gave_up_time)
        .unwrap_or(op.invoke_time.saturating_add(longest));
    let label = check::counterexample::label(op);
    let node = op.node.map(|n| format!(", via n{n}")).unwrap_or_default();
    let outcome = match op.outcome {
        Outcome::Ok => "ok",
        Outcome::Fail => "fail",
        Outcome::Info => "info: timed out, may have happened",
    };
    Bar {
        index: op.index,
        lane,
        process: op.process,
        f: op.f,
        outcome: op.outcome,
        start_ns: op.invoke_time,
        end_ns: op.complete_time,
        drawn_end_ns,
        title: format!("#{} {label} ({outcome}; {}{node})", op.index, span(op)),
        label,
        node: op.node,
        sender: None,
        highlighted: highlight.contains(&op.index),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_changes_and_revoke_deadlines_are_marked_and_a_breach_zooms_back_to_them() {
        let text = r#"{"type":"revocation","delta_ns":2000000}
{"process":9,"type":"invoke","f":"grant","key":"b","value":"alice","time":0}
{"process":9,"type":"ok","f":"grant","key":"b","value":"alice","time":1000000}
{"process":9,"type":"invoke","f":"revoke","key":"b","value":"alice","time":10000000}
{"process":9,"type":"ok","f":"revoke","key":"b","value":"alice","time":11000000}
{"process":9,"type":"invoke","f":"revoke","key":"b","value":"bob","time":12000000}
{"process":9,"type":"ok","f":"revoke","key":"b","value":"bob","time":13000000}
{"process":9,"type":"invoke","f":"revoke","key":"c","value":"alice","time":14000000}
{"process":9,"type":"info","f":"revoke","key":"c","value":"alice","time":15000000}
{"process":0,"type":"invoke","f":"get","key":"b/k","value":null,"time":40000000,"principal":"alice","auth":"signed"}
{"process":0,"type":"ok","f":"get","key":"b/k","value":null,"time":41000000,"principal":"alice","auth":"signed"}
"#;
        let history = History::parse(text).unwrap();
        let t = Timeline::new(&history, None, &[0]);
        assert_eq!(t.policy.len(), 5, "bob's revoke and its deadline too");
        let marks: Vec<(u64, &str, bool)> = (t.concerned())
            .map(|m| (m.at_ns, m.what.as_str(), m.deadline))
            .collect();
        assert_eq!(
            marks,
            vec![
                (1_000_000, "grant alice on b acknowledged", false),
                (11_000_000, "revoke alice from b acknowledged", false),
                (13_000_000, "revoke alice from b + Δ 2.000 ms", true),
            ]
        );
        // The close-up reaches back to the revoke the late get breaks.
        let (from, to) = t.zoom().unwrap();
        assert!(from < 11_000_000 && to >= 41_000_000, "{from}..{to}");
        let svg = crate::plots::timeline::plot(&t, (from, to), "close up");
        assert!(svg.contains("revoke alice from b + Δ 2.000 ms"), "{svg}");
        assert!(
            !svg.contains("bob"),
            "only alice's changes on b concern the breach"
        );
        // Without access control nothing changes.
        let plain = History::parse(
            r#"{"process":0,"type":"invoke","f":"get","key":"k","value":null,"time":5}
{"process":0,"type":"ok","f":"get","key":"k","value":null,"time":9}
"#,
        )
        .unwrap();
        assert!(Timeline::new(&plain, None, &[0]).policy.is_empty());
    }

    #[test]
    fn one_lane_per_client_and_a_zoom_around_the_highlighted_ops() {
        let text = r#"{"process":3,"type":"invoke","f":"put","key":"k","value":"a","time":1000000}
{"process":3,"type":"ok","f":"put","key":"k","value":"a","time":2000000}
{"process":1,"type":"invoke","f":"get","key":"k","value":null,"time":9000000}
{"process":1,"type":"ok","f":"get","key":"k","value":"a","time":9500000}
{"process":1,"type":"invoke","f":"get","key":"k","value":null,"time":20000000}
{"process":1,"type":"ok","f":"get","key":"k","value":"a","time":21000000}
"#;
        let history = History::parse(text).unwrap();
        let t = Timeline::new(&history, None, &[0, 1]);
        assert_eq!(t.lanes, vec![vec![3], vec![1]]);
        assert_eq!((t.bars[0].lane, t.bars[1].lane), (0, 1));
        assert_eq!(t.bars[1].label, "p1 get k -> a");
        assert_eq!(t.zoom(), Some((0, 13_750_000)));
        assert_eq!(t.end_ns, 21_000_000);
    }

    /// Two clients; p0 times out and continues as p2 (0 + 2 clients), p1
    /// as p3. The new processes take their own client's lane, the changes
    /// are marked, and the timed-out ops end when their clients gave up.
    #[test]
    fn a_timed_out_client_keeps_its_lane() {
        let text = r#"{"process":0,"type":"invoke","f":"put","key":"k","value":"a","time":1000000}
{"process":1,"type":"invoke","f":"put","key":"k","value":"b","time":1500000}
{"process":0,"type":"info","f":"put","key":"k","value":"a","time":3000000}
{"process":1,"type":"info","f":"put","key":"k","value":"b","time":3200000}
{"process":3,"type":"invoke","f":"get","key":"k","value":null,"time":4000000}
{"process":3,"type":"ok","f":"get","key":"k","value":"a","time":4500000}
{"process":2,"type":"invoke","f":"get","key":"k","value":null,"time":5000000}
{"process":2,"type":"ok","f":"get","key":"k","value":"a","time":6000000}
{"process":2,"type":"invoke","f":"get","key":"k","value":null,"time":7000000}
"#;
        let history = History::parse(text).unwrap();
        let t = Timeline::new(&history, None, &[]);
        assert_eq!(t.lanes, vec![vec![0, 2], vec![1, 3]]);
        let lanes: Vec<usize> = t.bars.iter().map(|b| b.lane).collect();
        assert_eq!(lanes, vec![0, 1, 1, 0, 0]);
        assert_eq!(
            t.changes,
            vec![
                Change {
                    lane: 1,
                    at_ns: 4_000_000,
                    process: 3
                },
                Change {
                    lane: 0,
                    at_ns: 5_000_000,
                    process: 2
                },
            ]
        );
        assert_eq!(t.bars[0].drawn_end_ns, 3_000_000, "when p0 gave up");
        assert_eq!(
            t.bars[4].drawn_end_ns, 8_000_000,
            "never completed: the longest completed op's length (1 ms) after it began"
        );
        assert!(
            t.bars[0].title.contains("#0 p0 put k a (info"),
            "{}",
            t.bars[0].title
        );
        assert_eq!(t.end_ns, 7_000_000);
    }
}
