//! `durability`: no acknowledged write vanishes unless overwritten.
//!
//! An `ok` write W (put, cas, or delete: its value is absent) to key k is
//! *vanished* when, after heal and quiesce, no replica of k holds W's value
//! (per the `final` lines) and no write could have overwritten it: no value
//! any replica of k holds has a possible source other than the initial
//! state — no put or cas of it, no delete for absent, that did not fail.
//! The replicas fell back to the state before every write, which only lost
//! data explains (a crash that loses acknowledged but unsynced writes, a
//! dropped hint):
//!
//! ```text
//! W  put k1 b   [===]    acknowledged; then its replicas crash unsynced
//! final k1 = absent      no delete: nothing but lost data leaves absent
//! ```
//!
//! Why any other write counts, even one that completed before W began:
//! under last write wins the order is the writes' timestamps, which a
//! history does not record and which skewed clocks set against real time
//! (a write coordinated by a node whose clock is behind gets an older
//! timestamp than one that finished before it began). So any write that
//! did not fail — earlier, concurrent or later, `ok` or `info` — could
//! carry a timestamp that beats W's, and a key holding its value may have
//! ordered W away rather than lost it: that is `lost-update`'s finding
//! (a converged value provably older in real time), never durability's.
//!
//! When the history bounds the clocks (a `clocks` line: every timestamp is
//! within `error_ns` of real time, see [`History::clock_error_ns`]), a
//! write W' can carry a later timestamp than W only if W' completed less
//! than `2 × error_ns` before W began (or never completed), and W is
//! vanished when no replica holds its value and no other write that did
//! not fail could: with exact clocks (`error_ns` 0), every other write
//! completed before W began. This is how a crash that loses acknowledged
//! but unsynced writes shows when the key falls back to an older value.
//!
//! Replicas need not agree: W is vanished only if *no* replica holds its
//! value and no replica holds a value some write could have left. A key
//! without `final` lines is skipped (nothing says what survived). Values
//! may repeat: a replica holding W's value counts as holding W, so repeats
//! can hide a vanished write, never invent one.
//!
//! Versus `lost-update`: when the newest acknowledged write is gone and the
//! key fell back to an older written value, only lost-update flags it (the
//! history cannot tell a crash from an ordering by skewed timestamps, and
//! the ordering needs no data loss); when the key fell back to its initial
//! state, both do. Only durability flags a vanished write on a key whose
//! replicas disagree.
//!
//! Needs `final` lines (`n/a` without). Cost: O(n log n).

use crate::analysis::Analysis;
use crate::counterexample::timeline;
use crate::counterexample::{span, value};
use crate::finding::{self, Finding, Kind};
use crate::history::{Final, Function, History};
use crate::op::{Op, Outcome, pair};
use crate::sources::Point;
use crate::verdict::CheckResult;

/// Runs the check; see the module documentation.
pub fn check(history: &History) -> CheckResult {
    let ops = pair(history);
    judge(&Analysis::new(&ops, &history.finals).with_clock_error(history.clock_error_ns))
}

/// [`check`] on a history already prepared.
pub(crate) fn judge(analysis: &Analysis) -> CheckResult {
    if analysis.finals().is_empty() {
        return CheckResult::not_applicable("the history has no \"final\" lines".to_owned());
    }
    let found = anomalies_in(analysis);
    let Some(&first) = found.first() else {
        return CheckResult::valid();
    };
    let mut explanation = explain(first, analysis);
    if found.len() > 1 {
        let more = found.len() - 1;
        let writes = if more == 1 { "write" } else { "writes" };
        explanation.push_str(&format!("(+{more} more vanished {writes})\n"));
    }
    let findings = finding::first(&found, |&w| vanished(w, analysis));
    CheckResult::invalid(explanation, found.len(), findings)
}

/// Every vanished write (indices into `ops`), by invoke time.
pub fn anomalies(ops: &[Op], finals: &[Final]) -> Vec<usize> {
    anomalies_in(&Analysis::new(ops, finals))
}

fn anomalies_in(analysis: &Analysis) -> Vec<usize> {
    let mut found = Vec::new();
    for (&key, values) in analysis.held() {
        let Some(part) = analysis.key(key) else {
            continue;
        };
        let vanished =
            |w: &Op| w.f.is_write() && w.outcome == Outcome::Ok && !values.contains(&w.written());
        match analysis.clock_error_ns() {
            Some(error_ns) => {
                // When each write that did not fail could still be stamped
                // at the latest: its completion plus twice the clock error
                // (its clock ahead, W's behind); never for `info`.
                let mut latest: Vec<Point> = (part.ops().iter())
                    .filter(|op| op.f.is_write() && op.outcome != Outcome::Fail)
                    .map(|op| {
                        op.complete_time
                            .map_or(Point::Never, |t| Point::At(t.saturating_add(2 * error_ns)))
                    })
                    .collect();
                latest.sort_unstable();
                for &w in part.ops().iter().filter(|w| vanished(w)) {
                    // Writes that could be stamped after W, W itself included.
                    let later =
                        latest.len() - latest.partition_point(|&e| e < Point::At(w.invoke_time));
                    if later <= 1 {
                        found.push(w.index);
                    }
                }
            }
            None => {
                // Some write that did not fail could have left a value held:
                // it may have overwritten any write, whatever the real-time order.
                let sources = part.sources();
                let overwritable = values.iter().any(|v| {
                    (sources.possible(*v, u64::MAX))
                        .is_some_and(|p| p.all().iter().any(|c| c.op.is_some()))
                });
                if !overwritable {
                    found.extend(part.ops().iter().filter(|w| vanished(w)).map(|w| w.index));
                }
            }
        }
    }
    let ops = analysis.ops();
    found.sort_by_key(|&i| ops.get(i).map(|op| (op.invoke_time, op.index)));
    found
}

/// The write, then the newest possible source of each value the replicas
/// of its key hold, by invoke time.
fn involved<'a>(w: &'a Op, analysis: &Analysis<'a>) -> Vec<&'a Op> {
    let ops = analysis.ops();
    let (Some(values), Some(part)) = (analysis.held().get(w.key.as_str()), analysis.key(&w.key))
    else {
        return vec![w];
    };
    let sources = part.sources();
    let mut others: Vec<&Op> = values
        .iter()
        .filter_map(|v| sources.possible(*v, u64::MAX)?.newest().op)
        .filter_map(|i| ops.get(i))
        .filter(|op| op.index != w.index)
        .collect();
    others.sort_by_key(|op| (op.invoke_time, op.index));
    others.dedup_by_key(|op| op.index);
    [w].into_iter().chain(others).collect()
}

/// The vanished write `write` as data.
fn vanished(write: usize, analysis: &Analysis) -> Finding {
    let ops = analysis.ops();
    let Some(w) = ops.get(write) else {
        return Finding::new(Kind::VanishedWrite, "", &[], ops);
    };
    let involved: Vec<Option<usize>> = (involved(w, analysis).iter())
        .map(|op| Some(op.index))
        .collect();
    let held: Vec<Option<&str>> = (analysis.held().get(w.key.as_str()))
        .map(|values| values.iter().copied().collect())
        .unwrap_or_default();
    Finding::new(Kind::VanishedWrite, &w.key, &involved, ops).held(&held, &[])
}

/// One sentence and a timeline: the write, and the newest possible source of
/// each value the replicas hold.
fn explain(write: usize, analysis: &Analysis) -> String {
    let ops = analysis.ops();
    let Some(w) = ops.get(write) else {
        return String::new();
    };
    // `w` was found on a key with `final` lines: they exist.
    let Some(values) = analysis.held().get(w.key.as_str()) else {
        return String::new();
    };
    let shown: Vec<String> = values.iter().map(|v| value(*v)).collect();
    let what = match w.f {
        Function::Delete => format!("delete of {}", w.key),
        _ => format!("{} of {} to {}", w.f, value(w.written()), w.key),
    };
    let why = match analysis.clock_error_ns() {
        None => format!(
            "which no write could have left: nothing could have overwritten it, so it was lost \
             (no write to {} that did not fail wrote a value they hold)",
            w.key
        ),
        Some(0) => format!(
            "and nothing could have overwritten it: no other write to {} was in flight during \
             it or came after it (clocks exact)",
            w.key
        ),
        Some(e) => format!(
            "and nothing could have overwritten it: every other write to {} completed more than \
             twice the clock error bound ({}) before it began, so none could carry a later \
             timestamp",
            w.key,
            crate::ms::format_ms(e, crate::ms::Precision::Fit)
        ),
    };
    let text = format!(
        "process {}'s {what} ({}) was acknowledged, but after heal and quiesce the replicas \
         of {} hold only {}, {why}",
        w.process,
        span(w),
        w.key,
        shown.join(" and "),
    );
    let mut involved = involved(w, analysis);
    involved.sort_by_key(|op| (op.invoke_time, op.index));
    format!("{text}\n{}", timeline(&involved))
}
