//! `read-after-write`: stale reads, reads of values never written, reads from the future.
//!
//! A write W1 is *superseded* at time t when some other write W2 began after
//! W1 completed (W1 → W2 in real time) and W2 was acknowledged at t. A read
//! that began after t must not return W1's value, because W2 is then known to
//! be newer:
//!
//! ```text
//! W1 put a  [===]
//! W2 put b         [===]
//! R  get          t     [===] -> a    stale: b superseded a before R began
//! ```
//!
//! Values may repeat (foreign histories reuse small integers), so a read of
//! `v` is stale only when *every* write of `v` that it could have seen was
//! superseded before it began. `absent` is written by the initial state
//! (before everything; superseded by the first acknowledged write) and by
//! every delete. Operations that ended `info` may have taken effect, so they
//! can be a read's source, but they never supersede (they never complete);
//! `fail` operations did not happen and count for nothing.
//!
//! Also flagged: a read of a value that no put or cas on the key wrote, and a
//! read of a value whose every write began after the read completed.
//!
//! Cost: O(n log n) per key. Each write's supersede time is a binary search
//! over the acknowledged writes sorted by invoke time (with a suffix minimum
//! of completion times); each read is a binary search over its value's writes
//! (with a prefix maximum of supersede times).

use crate::analysis::{Analysis, Key};
use crate::counterexample::{span, timeline, value};
use crate::finding::{self, Finding, Kind};
use crate::history::{Function, History};
use crate::ms::{Precision, format_ms};
use crate::op::{Op, Outcome, pair};
use crate::sources::{Point, Sources};
use crate::verdict::CheckResult;
use std::collections::BTreeMap;

/// One read the check rejects. Fields are indices into the `ops` given to
/// [`anomalies`] (equal to [`Op::index`] for ops from [`pair`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anomaly {
    /// Every possible source of the value read was superseded before the read
    /// began. `source` is the one superseded last (`None`: the initial
    /// state), `superseder` the write that superseded it, `sources` how many
    /// possible sources there were.
    Stale {
        read: usize,
        source: Option<usize>,
        superseder: usize,
        sources: usize,
    },
    /// No put or cas on the key that did not fail wrote the value. `failed`
    /// is a failed write of it, if there was one.
    NeverWritten { read: usize, failed: Option<usize> },
    /// Every write of the value began after the read completed; `write` is the first.
    FromFuture { read: usize, write: usize },
}

impl Anomaly {
    /// The anomaly as data; `ops` as given to [`anomalies`].
    pub fn finding(&self, ops: &[Op]) -> Finding {
        let (kind, involved) = match *self {
            Anomaly::Stale {
                read,
                source,
                superseder,
                ..
            } => (Kind::StaleRead, vec![Some(read), Some(superseder), source]),
            Anomaly::NeverWritten { read, failed } => {
                (Kind::NeverWritten, vec![Some(read), failed])
            }
            Anomaly::FromFuture { read, write } => {
                (Kind::ReadFromFuture, vec![Some(read), Some(write)])
            }
        };
        let key = ops.get(self.read()).map_or("", |op| op.key.as_str());
        Finding::new(kind, key, &involved, ops)
    }

    /// The read at fault.
    pub fn read(&self) -> usize {
        match *self {
            Anomaly::Stale { read, .. }
            | Anomaly::NeverWritten { read, .. }
            | Anomaly::FromFuture { read, .. } => read,
        }
    }
}

/// Runs the check: `Valid`, or `Invalid` with the first anomaly explained.
pub fn check(history: &History) -> CheckResult {
    let ops = pair(history);
    judge(&Analysis::new(&ops, &history.finals))
}

/// [`check`] on a history already prepared.
pub(crate) fn judge(analysis: &Analysis) -> CheckResult {
    let found = anomalies_in(analysis);
    let Some(first) = found.first() else {
        return CheckResult::valid();
    };
    let ops = analysis.ops();
    let mut explanation = explain(first, ops);
    if found.len() > 1 {
        explanation.push_str(&more(&found[1..]));
    }
    let findings = finding::first(&found, |a| a.finding(ops));
    CheckResult::invalid(explanation, found.len(), findings)
}

/// Every anomaly, ordered by the read's invoke time.
pub fn anomalies(ops: &[Op]) -> Vec<Anomaly> {
    anomalies_in(&Analysis::new(ops, &[]))
}

fn anomalies_in(analysis: &Analysis) -> Vec<Anomaly> {
    let mut found = Vec::new();
    for (_, key) in analysis.keys() {
        let index = KeyIndex::new(key);
        found.extend(key.ops().iter().filter_map(|op| index.judge(op)));
    }
    let ops = analysis.ops();
    found.sort_by_key(|a| ops.get(a.read()).map(|op| (op.invoke_time, op.index)));
    found
}

/// A time and the op at that time: when a write was superseded, and by which write.
type Superseded = Option<(u64, usize)>;

/// How late a supersede time is; `None` (never superseded) is latest.
fn lateness(s: Superseded) -> u64 {
    s.map_or(u64::MAX, |(t, _)| t)
}

/// One key's writes, arranged for the two binary searches. The possible
/// sources of each value are the key's [`Sources`] (shared with the other
/// checks); this adds, beside each source's position there, when it was
/// superseded.
struct KeyIndex<'k, 'a> {
    sources: &'k Sources<'a>,
    /// Acknowledged writes as (invoke time, completion time, op), by invoke time.
    acked: Vec<(u64, u64, usize)>,
    /// `earliest[i]`: the earliest completion among `acked[i..]`.
    earliest: Vec<Superseded>,
    /// Per source position: when that source was superseded.
    superseded: Vec<Superseded>,
    /// Per source position: the position of the latest-superseded source of
    /// the same value invoked no later than it.
    best: Vec<usize>,
    /// A failed write per value, for the never-written explanation.
    failed: BTreeMap<&'a str, usize>,
}

impl<'k, 'a> KeyIndex<'k, 'a> {
    /// `key`: one key's part of the analysis.
    fn new(key: &'k Key<'a>) -> KeyIndex<'k, 'a> {
        let acked: Vec<(u64, u64, usize)> = (key.ops().iter())
            .filter(|op| op.f.is_write() && op.outcome == Outcome::Ok)
            .filter_map(|op| Some((op.invoke_time, op.complete_time?, op.index)))
            .collect();
        let mut earliest = vec![None; acked.len() + 1];
        for (i, &(_, done, op)) in acked.iter().enumerate().rev() {
            let later = earliest[i + 1];
            earliest[i] = if lateness(later) <= done {
                later
            } else {
                Some((done, op))
            };
        }
        let mut index = KeyIndex {
            sources: key.sources(),
            acked,
            earliest,
            // At most one source per write, plus the initial state.
            superseded: Vec::with_capacity(key.ops().len() + 1),
            best: Vec::with_capacity(key.ops().len() + 1),
            failed: BTreeMap::new(),
        };
        index.supersede();
        for op in key.ops().iter().filter(|op| op.outcome == Outcome::Fail) {
            if let Some(v) = op.written() {
                index.failed.entry(v).or_insert(op.index);
            }
        }
        index
    }

    /// Fills in `superseded` and `best`: the initial state is superseded by
    /// the first acknowledged write, a completed write by the first one
    /// acknowledged among those invoked after it completed, and an `info`
    /// write never.
    fn supersede(&mut self) {
        for (start, group) in self.sources.groups() {
            let first = self.superseded.len();
            debug_assert_eq!(first, start, "groups come in position order");
            for c in group {
                let superseded = match c.ended {
                    Point::Start => self.superseded_after(None),
                    Point::At(t) => self.superseded_after(Some(t)),
                    Point::Never => None,
                };
                self.superseded.push(superseded);
            }
            let group_superseded = self.superseded.get(first..).unwrap_or_default();
            latest_so_far(group_superseded, first, &mut self.best);
        }
    }

    /// The earliest acknowledgement of a write invoked strictly after `t`
    /// (`None`: after the beginning of time, i.e. any acknowledged write).
    fn superseded_after(&self, t: Option<u64>) -> Superseded {
        let from = t.map_or(0, |t| {
            self.acked.partition_point(|&(invoke, _, _)| invoke <= t)
        });
        self.earliest.get(from).copied().flatten()
    }

    /// The anomaly of `op`, if it is an ok read with one.
    fn judge(&self, op: &Op) -> Option<Anomaly> {
        let seen = op.read()?;
        let (read, begin, end) = (op.index, op.invoke_time, op.complete_time?);
        let Some((start, list)) = self.sources.group(seen) else {
            let failed = seen.and_then(|v| self.failed.get(v).copied());
            return Some(Anomaly::NeverWritten { read, failed });
        };
        let seeable = list.partition_point(|c| c.invoked <= Point::At(end));
        let Some(last) = seeable.checked_sub(1) else {
            let write = list.first().and_then(|c| c.op)?;
            return Some(Anomaly::FromFuture { read, write });
        };
        let chosen = *self.best.get(start + last)?;
        let (at, superseder) = (*self.superseded.get(chosen)?)?;
        (at < begin).then_some(Anomaly::Stale {
            read,
            source: self.sources.at(chosen)?.op,
            superseder,
            sources: seeable,
        })
    }
}

/// Appends to `best`, for each position of a group (`superseded`: the
/// group's supersede times, positions from `start`), the position of the
/// latest-superseded source among the group up to it (the earliest of
/// them on ties).
fn latest_so_far(superseded: &[Superseded], start: usize, best: &mut Vec<usize>) {
    let mut latest: Option<(usize, u64)> = None;
    for (i, &s) in superseded.iter().enumerate() {
        if latest.is_none_or(|(_, t)| t < lateness(s)) {
            latest = Some((start + i, lateness(s)));
        }
        best.extend(latest.map(|(position, _)| position));
    }
}

/// One sentence and a timeline for one anomaly.
fn explain(anomaly: &Anomaly, ops: &[Op]) -> String {
    let get = |i: usize| ops.get(i);
    let Some(read) = get(anomaly.read()) else {
        return String::new();
    };
    let seen = value(read.read().flatten());
    let head = format!(
        "read by process {} of {} ({}) returned {seen}",
        read.process,
        read.key,
        span(read)
    );
    let (sentence, involved) = match *anomaly {
        Anomaly::Stale {
            source,
            superseder,
            sources,
            ..
        } => {
            let (w1, w2) = (source.and_then(get), get(superseder));
            (
                stale(head, w1, w2, sources, &seen),
                vec![w1, w2, Some(read)],
            )
        }
        Anomaly::NeverWritten { failed, .. } => {
            let w = failed.and_then(get);
            let why = w.map_or(String::new(), |w| {
                format!(" (only {}, which failed)", by(w))
            });
            (
                format!("{head}, a value no put or cas on {} wrote{why}", read.key),
                vec![w, Some(read)],
            )
        }
        Anomaly::FromFuture { write, .. } => {
            let w = get(write);
            let text = w.map_or(head.clone(), |w| {
                format!(
                    "{head}, but the first write of {seen}, by {}, began after the read completed",
                    by(w)
                )
            });
            (text, vec![w, Some(read)])
        }
    };
    let mut involved: Vec<&Op> = involved.into_iter().flatten().collect();
    involved.sort_by_key(|op| (op.invoke_time, op.index));
    format!("{sentence}\n{}", timeline(&involved))
}

/// The stale-read sentence; `w1` is the source (`None`: the initial state),
/// `w2` the write that superseded it.
fn stale(head: String, w1: Option<&Op>, w2: Option<&Op>, sources: usize, seen: &str) -> String {
    let Some(w2) = w2 else {
        return head;
    };
    let (process, act, acked) = (w2.process, action(w2), done(w2));
    let (f, when) = (w2.f, span(w2));
    let mut text = match w1 {
        Some(w1) => format!(
            "{head}, {}; but process {process} then {act} ({f}, {when}), invoked after that write \
             completed and acknowledged at {acked}, before the read began",
            origin(w1)
        ),
        None => format!(
            "{head} (the initial state), but process {process} {act} ({f}, {when}), \
             acknowledged at {acked}, before the read began"
        ),
    };
    if sources > 1 {
        text.push_str(&format!(
            " (all {sources} possible sources of {seen} were overwritten like this; shown: the last one)"
        ));
    }
    text
}

/// "process 2 (put, 5.000–7.000 ms)".
fn by(w: &Op) -> String {
    format!("process {} ({}, {})", w.process, w.f, span(w))
}

/// "written by process 2 (put, 5.000–7.000 ms)" / "as left by process 2's delete (...)".
fn origin(w: &Op) -> String {
    match w.f {
        Function::Delete => format!("as left by process {}'s delete ({})", w.process, span(w)),
        _ => format!("written by {}", by(w)),
    }
}

/// "wrote c1-7" / "deleted k1".
fn action(w: &Op) -> String {
    match w.f {
        Function::Delete => format!("deleted {}", w.key),
        _ => format!("wrote {}", value(w.written())),
    }
}

fn done(w: &Op) -> String {
    w.complete_time
        .map_or_else(|| "never".to_owned(), |t| format_ms(t, Precision::Fit))
}

/// "(+3 more stale reads)" or, when kinds mix, "(+3 more: 2 stale reads, 1 read of a value never written)".
fn more(rest: &[Anomaly]) -> String {
    let count = |pick: fn(&Anomaly) -> bool| rest.iter().filter(|a| pick(a)).count();
    let stale = count(|a| matches!(a, Anomaly::Stale { .. }));
    let never = count(|a| matches!(a, Anomaly::NeverWritten { .. }));
    let future = count(|a| matches!(a, Anomaly::FromFuture { .. }));
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    if stale == rest.len() {
        return format!(
            "(+{})\n",
            plural(stale, "more stale read", "more stale reads")
        );
    }
    let parts: Vec<String> = [
        (stale, "stale read", "stale reads"),
        (
            never,
            "read of a value never written",
            "reads of values never written",
        ),
        (future, "read from the future", "reads from the future"),
    ]
    .into_iter()
    .filter(|&(n, _, _)| n > 0)
    .map(|(n, one, many)| plural(n, one, many))
    .collect();
    format!("(+{} more: {})\n", rest.len(), parts.join(", "))
}
