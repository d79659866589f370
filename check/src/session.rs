//! Session guarantees per process (Terry et al., 1994): `read-your-writes`,
//! `monotonic-reads`, `monotonic-writes`, `writes-follow-reads`.
//!
//! A *session* is a process id: a process has one operation in flight, and a
//! client whose operation ended `info` continues under a new id, so a session
//! is exactly one process's operations in order. Each guarantee is judged per
//! key (a register per key; guarantees across keys are not observable from
//! values alone).
//!
//! # The version order
//!
//! Terry's guarantees are stated against the store's *version order*: one
//! total order of the writes of a key (the initial state first) in which a
//! read returns the newest write it has. The history does not record it. We
//! take it to extend real time — a write that completed before another was
//! invoked (`W1 → W2`) is older — because that is what a client means by
//! "older": a store whose order does not (last write wins under skewed
//! clocks) is exactly what these checks should expose. Beyond real time,
//! values only say which writes a read *could* have seen (module
//! `crate::sources`): a write that did not fail, invoked before the read
//! completed, writing the value read; the initial state and every delete
//! for absent. Values may repeat (foreign histories), so a read is flagged
//! only when the claim holds for *every* possible source; a read that
//! nothing could have produced is `read-after-write`'s finding and is
//! skipped here (except by read-your-writes, below).
//!
//! # The guarantees, as checked
//!
//! - `read-your-writes`: let `L` be process p's latest `ok` write to k
//!   before its read R of k (p's earlier writes all precede `L`, so `L`
//!   suffices). R is invalid if every possible source of its value completed
//!   before `L` was invoked (absent counts: the initial state always
//!   precedes `L`, a delete may not — so after p's own delete, absent is
//!   fine), or if nothing could have written its value at all (no write of
//!   it on k, or only writes invoked after R completed): then R cannot
//!   reflect p's write either.
//! - `monotonic-reads`: p's successive reads of k never go back. R2 after R1
//!   is invalid if every possible source of R2's value completed before
//!   every possible source of R1's value was invoked; or if R2 returns to a
//!   value p read before and then left for another, when that value has
//!   exactly one possible source (`a, b, a`: the version order would need
//!   `a ≤ b ≤ a`). With distinct values and no deletes these two patterns
//!   are exactly the violations: real-time order is transitive, so any
//!   cycle between p's reads and real time contains one of them.
//! - `monotonic-writes` and `writes-follow-reads` constrain the version
//!   order itself (p's later write `W2` must come after p's earlier write,
//!   resp. after the write p read before writing `W2`). A read cannot show
//!   it: a read of the older write after `W2` completed may come from a
//!   replica that has not received `W2` yet, which these guarantees allow
//!   (that is a stale read, `read-after-write`'s finding). What shows it is
//!   the converged state (`final` lines), the newest write of each key once
//!   every replica has every write. So both need `final` lines (`n/a`
//!   without), skip keys whose replicas disagree (`convergence`'s finding),
//!   and flag a key that converged on a value v when:
//!   - `monotonic-writes`: every possible source of v is an `ok` write whose
//!     process later wrote k again, acknowledged (the store ordered the
//!     earlier write last);
//!   - `writes-follow-reads`: v has exactly one possible source W1 (not the
//!     initial state), and some process read v — from W1, its only possible
//!     source then — before writing k, acknowledged. W1 and that write may
//!     overlap in real time: this is what no other check can see.
//!
//!   Both assume acknowledged writes survive, so the initial state counts as
//!   a source of an absent final value only while no write to k was
//!   acknowledged; a write lost to a crash shows here as well as in
//!   `durability`. A monotonic-writes violation is also a lost update (a
//!   process's acknowledged writes are ordered in real time); this check
//!   names the session.
//!
//! Cost: O(n log n) — one pass per (process, key) with a binary search per
//! read.

mod finals;
mod reads;

use crate::analysis::Analysis;
use crate::counterexample::{span, timeline, value};
use crate::finding::{self, Finding, Kind};
use crate::history::{Function, History};
use crate::op::{Op, pair};
use crate::verdict::{CheckName, CheckResult};

/// One violation. Fields are indices into the `ops` given to [`anomalies`]
/// (equal to [`Op::index`] for ops from [`pair`]); a `source` of `None` is
/// the initial state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anomaly {
    /// read-your-writes: every possible source of the value `read` returned
    /// completed before `write`, the reader's latest write to the key, was
    /// invoked. `source` ended last of the `sources` possible ones.
    OlderThanOwnWrite {
        read: usize,
        write: usize,
        source: Option<usize>,
        sources: usize,
    },
    /// read-your-writes: nothing could have written the value `read`
    /// returned, although the reader had written the key (`write`).
    Unwritten { read: usize, write: usize },
    /// monotonic-reads: every possible source of `read`'s value completed
    /// before every possible source of `earlier`'s value (the same process's
    /// earlier read) was invoked. `source` ended last among `read`'s;
    /// `observed` was invoked first among `earlier`'s.
    WentBack {
        earlier: usize,
        read: usize,
        source: Option<usize>,
        observed: Option<usize>,
    },
    /// monotonic-reads: `read` returned the value `first` returned, whose
    /// only possible source is one write, after `between` returned another.
    Returned {
        first: usize,
        between: usize,
        read: usize,
    },
    /// monotonic-writes: the key converged on the value of `write` (the
    /// last-ended of its `sources` possible sources, all like it), although
    /// its process later wrote the key again (`later`, acknowledged).
    ConvergedOnEarlierWrite {
        key: String,
        write: usize,
        later: usize,
        sources: usize,
    },
    /// writes-follow-reads: the key converged on the value of `source`, its
    /// only possible source, which `read` returned to a process that then
    /// wrote the key (`write`, acknowledged).
    ConvergedOnReadValue {
        key: String,
        read: usize,
        source: usize,
        write: usize,
    },
}

impl Anomaly {
    /// The anomaly as data; `ops` as given to [`anomalies`].
    pub fn finding(&self, ops: &[Op]) -> Finding {
        let (kind, involved) = match *self {
            Anomaly::OlderThanOwnWrite {
                read,
                write,
                source,
                ..
            } => (
                Kind::OlderThanOwnWrite,
                vec![Some(read), Some(write), source],
            ),
            Anomaly::Unwritten { read, write } => {
                (Kind::UnwrittenAfterOwnWrite, vec![Some(read), Some(write)])
            }
            Anomaly::WentBack {
                earlier,
                read,
                source,
                observed,
            } => (
                Kind::WentBack,
                vec![Some(read), Some(earlier), source, observed],
            ),
            Anomaly::Returned {
                first,
                between,
                read,
            } => (
                Kind::ReturnedAgain,
                vec![Some(read), Some(between), Some(first)],
            ),
            Anomaly::ConvergedOnEarlierWrite { write, later, .. } => (
                Kind::ConvergedOnEarlierWrite,
                vec![Some(later), Some(write)],
            ),
            Anomaly::ConvergedOnReadValue {
                read,
                source,
                write,
                ..
            } => (
                Kind::ConvergedOnReadValue,
                vec![Some(write), Some(read), Some(source)],
            ),
        };
        let key = ops.get(self.at()).map_or("", |op| op.key.as_str());
        Finding::new(kind, key, &involved, ops)
    }

    /// The operation the anomaly is reported at (for ordering).
    pub fn at(&self) -> usize {
        match *self {
            Anomaly::OlderThanOwnWrite { read, .. }
            | Anomaly::Unwritten { read, .. }
            | Anomaly::WentBack { read, .. }
            | Anomaly::Returned { read, .. } => read,
            Anomaly::ConvergedOnEarlierWrite { later, .. } => later,
            Anomaly::ConvergedOnReadValue { write, .. } => write,
        }
    }
}

/// Runs one session guarantee. `guarantee` is one of the four session
/// checks; any other name gives `n/a` saying so.
pub fn check(history: &History, guarantee: CheckName) -> CheckResult {
    let ops = pair(history);
    judge(&Analysis::new(&ops, &history.finals), guarantee)
}

/// [`check`] on a history already prepared.
pub(crate) fn judge(analysis: &Analysis, guarantee: CheckName) -> CheckResult {
    let finals_needed = matches!(
        guarantee,
        CheckName::MonotonicWrites | CheckName::WritesFollowReads
    );
    if finals_needed && analysis.finals().is_empty() {
        return not_applicable(
            "the history has no \"final\" lines (this guarantee is judged on the converged state)",
        );
    }
    let Some(found) = anomalies_in(analysis, guarantee) else {
        return not_applicable(&format!("{guarantee} is not a session guarantee"));
    };
    let Some(first) = found.first() else {
        return CheckResult::valid();
    };
    let ops = analysis.ops();
    let mut explanation = explain(first, ops);
    if found.len() > 1 {
        explanation.push_str(&format!("(+{} more)\n", found.len() - 1));
    }
    let findings = finding::first(&found, |a| a.finding(ops));
    CheckResult::invalid(explanation, found.len(), findings)
}

/// Every violation of `guarantee` in `ops` (paired from `history`, whose
/// `final` lines the last two guarantees read), ordered by the operation it
/// is reported at. `None` when `guarantee` is not a session guarantee.
pub fn anomalies(ops: &[Op], history: &History, guarantee: CheckName) -> Option<Vec<Anomaly>> {
    anomalies_in(&Analysis::new(ops, &history.finals), guarantee)
}

fn anomalies_in(analysis: &Analysis, guarantee: CheckName) -> Option<Vec<Anomaly>> {
    let mut found = match guarantee {
        CheckName::ReadYourWrites => reads::read_your_writes(analysis),
        CheckName::MonotonicReads => reads::monotonic_reads(analysis),
        CheckName::MonotonicWrites => finals::monotonic_writes(analysis),
        CheckName::WritesFollowReads => finals::writes_follow_reads(analysis),
        _ => return None,
    };
    let ops = analysis.ops();
    found.sort_by_key(|a| ops.get(a.at()).map(|op| (op.invoke_time, op.index)));
    Some(found)
}

fn not_applicable(why: &str) -> CheckResult {
    CheckResult::not_applicable(why.to_owned())
}

/// One sentence and a timeline for one anomaly.
fn explain(anomaly: &Anomaly, ops: &[Op]) -> String {
    let get = |i: usize| ops.get(i);
    let (sentence, involved) = match anomaly {
        Anomaly::OlderThanOwnWrite {
            read,
            write,
            source,
            sources,
        } => {
            let (r, w, s) = (get(*read), get(*write), source.and_then(get));
            let text = r.zip(w).map(|(r, w)| older(r, w, s, *sources));
            (text, vec![s, w, r])
        }
        Anomaly::Unwritten { read, write } => {
            let (r, w) = (get(*read), get(*write));
            let text = r.zip(w).map(|(r, w)| {
                format!(
                    "{}, a value nothing could have written by then, after process {} had {} ({}): \
                     the read does not reflect its own write",
                    returned(r),
                    w.process,
                    action(w),
                    span(w)
                )
            });
            (text, vec![w, r])
        }
        Anomaly::WentBack { .. } | Anomaly::Returned { .. } => reads::explain(anomaly, ops),
        Anomaly::ConvergedOnEarlierWrite { .. } | Anomaly::ConvergedOnReadValue { .. } => {
            finals::explain(anomaly, ops)
        }
    };
    let mut involved: Vec<&Op> = involved.into_iter().flatten().collect();
    involved.sort_by_key(|op| (op.invoke_time, op.index));
    involved.dedup_by_key(|op| op.index);
    format!("{}\n{}", sentence.unwrap_or_default(), timeline(&involved))
}

/// The read-your-writes sentence.
fn older(read: &Op, write: &Op, source: Option<&Op>, sources: usize) -> String {
    let mut text = format!(
        "{}, {}; but process {} had {} ({}) after that completed: \
         the read does not reflect the process's own write",
        returned(read),
        origin(source),
        read.process,
        action(write),
        span(write)
    );
    if sources > 1 {
        text.push_str(&format!(
            " (all {sources} possible sources of {} completed before that write; shown: the last one)",
            value(read.read().flatten())
        ));
    }
    text
}

/// "read by process 3 of k1 (12.300–13.000 ms) returned c2-4".
pub(crate) fn returned(read: &Op) -> String {
    format!(
        "read by process {} of {} ({}) returned {}",
        read.process,
        read.key,
        span(read),
        value(read.read().flatten())
    )
}

/// "written by process 2 (put, 5.000–7.000 ms)", "as left by process 2's
/// delete (...)", or "the initial state".
pub(crate) fn origin(source: Option<&Op>) -> String {
    match source {
        None => "the initial state".to_owned(),
        Some(w) if w.f == Function::Delete => {
            format!("as left by process {}'s delete ({})", w.process, span(w))
        }
        Some(w) => format!("written by process {} ({}, {})", w.process, w.f, span(w)),
    }
}

/// "wrote c1-7" / "deleted k1".
pub(crate) fn action(w: &Op) -> String {
    match w.f {
        Function::Delete => format!("deleted {}", w.key),
        _ => format!("written {}", value(w.written())),
    }
}
