//! `lost-update`: a key converged on a value provably older than an
//! acknowledged write — the later write was lost (under last write wins,
//! typically to clock skew: it got the lower timestamp).
//!
//! For each key whose replicas agree in the `final` lines (if they
//! disagree, that is `convergence`'s finding; the key is skipped) on value
//! v: the key is invalid if every possible source of v — every write of v
//! that did not fail (`ok` or `info`), and for absent also the initial
//! state — completed before some `ok` write W2 to the key was invoked. The
//! converged state is the newest write; W2 is newer than every way of
//! producing v, so W2 (and whatever overwrote it) was lost:
//!
//! ```text
//! W1 put k1 c2-4   [===]
//! W2 put k1 c1-7          [===]        acknowledged
//! final k1 = c2-4                       c2-4 is older than W2
//! ```
//!
//! An `info` write never completes, so it can always be the newest and a
//! value it wrote is never flagged. Absent with no delete that could explain
//! it is the initial state, older than every write: any acknowledged write
//! lost. A value no write produced is `convergence`'s finding (skipped).
//!
//! Versus `durability`: lost-update names a converged value that should
//! have been overwritten; `durability` names an acknowledged write lost with
//! nothing that could have overwritten it, whatever the timestamps — a key
//! fallen back to its initial state. A write lost to last-write-wins order
//! (a later write with the lower timestamp, as under clock skew) is this
//! check's alone; a key rolled back to its initial state by a crash is
//! both's (the initial state is older than every write); only durability
//! flags a vanished write on a key whose replicas disagree.
//!
//! Needs `final` lines (`n/a` without). Cost: O(n log n).

use crate::analysis::{Analysis, agreed};
use crate::counterexample::timeline;
use crate::counterexample::{span, value};
use crate::finding::{self, Finding, Kind};
use crate::history::{Final, Function, History};
use crate::op::{Op, Outcome, pair};
use crate::session::origin;
use crate::sources::Point;
use crate::verdict::CheckResult;

/// One key that converged on a value older than an acknowledged write.
/// Indices are into the `ops` given to [`anomalies`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LostUpdate {
    pub key: String,
    /// The value the replicas agree on (`None` = absent).
    pub value: Option<String>,
    /// The possible source of it that completed last (`None`: the initial
    /// state), and how many possible sources there were.
    pub winner: Option<usize>,
    pub sources: usize,
    /// The acknowledged write invoked after `winner` completed that was
    /// acknowledged first, and how many acknowledged writes were invoked
    /// after `winner` completed.
    pub lost: usize,
    pub later: usize,
}

impl LostUpdate {
    /// The lost update as data: the lost write, then the winner (none: the
    /// initial state), and the value the replicas agree on.
    pub fn finding(&self, ops: &[Op]) -> Finding {
        Finding::new(
            Kind::LostUpdate,
            &self.key,
            &[Some(self.lost), self.winner],
            ops,
        )
        .held(&[self.value.as_deref()], &[])
    }
}

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
    let Some(first) = found.first() else {
        return CheckResult::valid();
    };
    let ops = analysis.ops();
    let mut explanation = explain(first, ops);
    if found.len() > 1 {
        explanation.push_str(&format!("(+{} more keys)\n", found.len() - 1));
    }
    let findings = finding::first(&found, |l| l.finding(ops));
    CheckResult::invalid(explanation, found.len(), findings)
}

/// Every key with a lost update, by key.
pub fn anomalies(ops: &[Op], finals: &[Final]) -> Vec<LostUpdate> {
    anomalies_in(&Analysis::new(ops, finals))
}

fn anomalies_in(analysis: &Analysis) -> Vec<LostUpdate> {
    let mut found = Vec::new();
    for (&key, values) in analysis.held() {
        let (Some(v), Some(part)) = (agreed(values), analysis.key(key)) else {
            continue;
        };
        let key_ops = part.ops();
        let Some(possible) = part.sources().possible(v, u64::MAX) else {
            continue;
        };
        let winner = possible.newest();
        let after = match winner.ended {
            Point::Start => 0,
            Point::At(t) => t.saturating_add(1),
            Point::Never => continue,
        };
        let acked = key_ops
            .iter()
            .filter(|op| op.f.is_write() && op.outcome == Outcome::Ok && op.invoke_time >= after);
        let later = acked.clone().count();
        if let Some(lost) = acked.min_by_key(|op| (op.complete_time, op.invoke_time, op.index)) {
            found.push(LostUpdate {
                key: key.to_owned(),
                value: v.map(str::to_owned),
                winner: winner.op,
                sources: possible.count(),
                lost: lost.index,
                later,
            });
        }
    }
    found
}

/// One sentence and a timeline.
fn explain(lost: &LostUpdate, ops: &[Op]) -> String {
    let winner = lost.winner.and_then(|i| ops.get(i));
    let Some(w2) = ops.get(lost.lost) else {
        return String::new();
    };
    let what = match w2.f {
        Function::Delete => format!("deleted {}", w2.key),
        _ => format!("wrote {}", value(w2.written())),
    };
    let mut text = format!(
        "{} converged to {}, {}, although process {} {what} after that completed \
         ({}, {}, acknowledged): the later write was lost",
        lost.key,
        value(lost.value.as_deref()),
        origin(winner),
        w2.process,
        w2.f,
        span(w2),
    );
    if lost.later > 1 {
        let more = lost.later - 1;
        let writes = if more == 1 { "write" } else { "writes" };
        text.push_str(&format!(
            " ({more} more acknowledged {writes} came after it too)"
        ));
    }
    if lost.sources > 1 {
        text.push_str(&format!(
            " (all {} possible sources of {} completed before it; shown: the last one)",
            lost.sources,
            value(lost.value.as_deref())
        ));
    }
    let involved: Vec<&Op> = winner.into_iter().chain([w2]).collect();
    format!("{text}\n{}", timeline(&involved))
}
