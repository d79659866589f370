//! `durability`: no acknowledged write vanishes unless overwritten.
//!
//! An `ok` write W (put, cas, or delete: its value is absent) to key k is
//! *vanished* when, after heal and quiesce, no replica of k holds W's value
//! (per the `final` lines) and no other write could have overwritten it:
//! every other write to k that did not fail — `ok` or `info`, any kind —
//! completed before W was invoked (`W' → W`), so none can be ordered after
//! W. This is what a crash that loses an acknowledged but unsynced write
//! leaves behind:
//!
//! ```text
//! W1 put k1 a   [===]
//! W  put k1 b          [===]   acknowledged; then its replicas crash
//! final k1 = a                 b is gone, and nothing came after it
//! ```
//!
//! Replicas need not agree: W is vanished only if *no* replica holds its
//! value (a divergent key is `convergence`'s finding, and a value held by
//! one replica is not lost). A key without `final` lines is skipped (nothing
//! says what survived). Values may repeat: a replica holding W's value
//! counts as holding W, so repeats can hide a vanished write, never invent
//! one.
//!
//! Versus `lost-update`: durability names an acknowledged write that is gone
//! with nothing that could have overwritten it; lost-update names a
//! converged value provably older than some acknowledged write. When the
//! newest acknowledged write is gone and the key fell back to an older
//! value both flag it — the history cannot tell a crash from a bad ordering
//! (last write wins under clock skew). Only lost-update flags a fall-back
//! past a write that something else might have overwritten; only durability
//! flags a vanished write on a key whose replicas disagree.
//!
//! Needs `final` lines (`n/a` without). Cost: O(n log n).

use crate::analysis::Analysis;
use crate::counterexample::timeline;
use crate::counterexample::{span, value};
use crate::finding::{self, Finding, Kind};
use crate::history::{Final, Function, History};
use crate::op::{Op, Outcome, pair};
use crate::session::sources::Point;
use crate::verdict::CheckResult;

/// Runs the check; see the module documentation.
pub fn check(history: &History) -> CheckResult {
    let ops = pair(history);
    judge(&Analysis::new(&ops, &history.finals))
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
        let Some(key_ops) = analysis.key(key).map(|part| part.ops()) else {
            continue;
        };
        let mut ends: Vec<Point> = key_ops
            .iter()
            .filter(|op| op.f.is_write() && op.outcome != Outcome::Fail)
            .map(|op| op.complete_time.map_or(Point::Never, Point::At))
            .collect();
        ends.sort_unstable();
        for &w in key_ops {
            if !(w.f.is_write() && w.outcome == Outcome::Ok) || values.contains(&w.written()) {
                continue;
            }
            // Writes not completed before W began, W itself included.
            let unordered = ends.len() - ends.partition_point(|&e| e < Point::At(w.invoke_time));
            if unordered <= 1 {
                found.push(w.index);
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
    let text = format!(
        "process {}'s {what} ({}) was acknowledged, but after heal and quiesce the replicas \
         of {} hold only {}, and nothing could have overwritten it: no other write to {} \
         was in flight during it or came after it",
        w.process,
        span(w),
        w.key,
        shown.join(" and "),
        w.key
    );
    let mut involved = involved(w, analysis);
    involved.sort_by_key(|op| (op.invoke_time, op.index));
    format!("{text}\n{}", timeline(&involved))
}
