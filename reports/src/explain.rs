//! Which seed and check a report explains, which operations its
//! counterexample involves, and one sentence saying what went wrong and the
//! likely cause (the coordinating node, the fault or clock error at the time).
//!
//! The operations come from re-running the check's own analysis on the kept
//! history: the typed anomalies of `read-after-write`, the session
//! guarantees, `lost-update` and `durability` name op indexes. The
//! linearizability search names none, so its counterexample's timeline rows
//! (`check::counterexample::timeline`, one `label  |...|` row per op) are
//! matched back to operations by label.

use crate::results::{Digest, RunResults};
use crate::seedinfo::{FaultWindow, SeedInfo};
use check::counterexample::{format_ms, label};
use check::op::{Op, pair};
use check::{CheckName, CheckResult, History, Verdict, lost_update, read_after_write, session};

/// The order in which checks are preferred for the explained example when no
/// expectation was broken: the ones whose anomaly a timeline shows best first.
const PREFERRED: [CheckName; 9] = [
    CheckName::ReadAfterWrite,
    CheckName::ReadYourWrites,
    CheckName::MonotonicReads,
    CheckName::LostUpdate,
    CheckName::Durability,
    CheckName::MonotonicWrites,
    CheckName::WritesFollowReads,
    CheckName::Linearizable,
    CheckName::Convergence,
];

/// The seed and check to explain: the lowest seed where a check expected to
/// `pass` was invalid (that check); else the lowest seed with an invalid
/// verdict (its check first in [`PREFERRED`]); `None` when nothing failed.
pub fn first_failing(results: &RunResults) -> Option<(u64, CheckName)> {
    let digest = &results.digest;
    let pass = |c: &CheckName| results.expect.get(c).is_some_and(|e| e == "pass");
    let breached = lowest_invalid(digest, digest.checks.keys().copied().filter(pass));
    breached.or_else(|| lowest_invalid(digest, PREFERRED))
}

/// The lowest seed where one of `checks` was invalid, with the first of
/// `checks` that was invalid on it.
fn lowest_invalid(
    digest: &Digest,
    checks: impl IntoIterator<Item = CheckName>,
) -> Option<(u64, CheckName)> {
    (checks.into_iter())
        .filter_map(|c| Some((digest.first_invalid(c)?, c)))
        .min_by_key(|(seed, _)| *seed) // the first of equal minima
}

/// A counterexample ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub seed: u64,
    pub check: CheckName,
    /// [`Op::index`]es involved, the operation at fault first.
    pub ops: Vec<usize>,
    /// The check's own explanation (sentence, ASCII timeline, more counts).
    pub explanation: String,
    /// What went wrong and the likely cause, in one sentence.
    pub sentence: String,
}

/// Re-checks `history` with `check` and explains its first anomaly.
pub fn example(seed: u64, check: CheckName, history: &History, info: Option<&SeedInfo>) -> Example {
    let result = check::run(history, &[check])
        .remove(&check)
        .unwrap_or_else(|| CheckResult::not_applicable(String::new()));
    let ops = pair(history);
    let involved = involved(check, &ops, history, &result.explanation);
    let what = result
        .explanation
        .lines()
        .next()
        .unwrap_or("")
        .trim_end_matches('.')
        .to_string();
    let cause = cause(
        &involved
            .iter()
            .filter_map(|&i| ops.get(i))
            .collect::<Vec<_>>(),
        info,
    );
    let sentence = match (what.is_empty(), cause.is_empty()) {
        (true, _) => format!("{check} was {} on seed {seed}.", result.verdict),
        (false, true) => format!("{what}."),
        (false, false) => format!("{what}; likely cause: {cause}."),
    };
    Example {
        seed,
        check,
        ops: involved,
        explanation: result.explanation,
        sentence,
    }
}

/// The op indexes of the first anomaly, the one at fault first.
fn involved(check: CheckName, ops: &[Op], history: &History, explanation: &str) -> Vec<usize> {
    let found: Vec<Option<usize>> = match check {
        CheckName::ReadAfterWrite => match read_after_write::anomalies(ops).first() {
            Some(read_after_write::Anomaly::Stale {
                read,
                source,
                superseder,
                ..
            }) => {
                vec![Some(*read), Some(*superseder), *source]
            }
            Some(read_after_write::Anomaly::NeverWritten { read, failed }) => {
                vec![Some(*read), *failed]
            }
            Some(read_after_write::Anomaly::FromFuture { read, write }) => {
                vec![Some(*read), Some(*write)]
            }
            None => Vec::new(),
        },
        CheckName::ReadYourWrites
        | CheckName::MonotonicReads
        | CheckName::MonotonicWrites
        | CheckName::WritesFollowReads => session::anomalies(ops, history, check)
            .and_then(|found| found.into_iter().next())
            .map(session_ops)
            .unwrap_or_default(),
        CheckName::LostUpdate => lost_update::anomalies(ops, &history.finals)
            .first()
            .map(|l| vec![Some(l.lost), l.winner])
            .unwrap_or_default(),
        CheckName::Durability => check::durability::anomalies(ops, &history.finals)
            .first()
            .map(|&w| vec![Some(w)])
            .unwrap_or_default(),
        CheckName::Linearizable | CheckName::Convergence => by_label(ops, explanation),
    };
    let mut out: Vec<usize> = Vec::new();
    for i in found.into_iter().flatten() {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

fn session_ops(a: session::Anomaly) -> Vec<Option<usize>> {
    use session::Anomaly as A;
    match a {
        A::OlderThanOwnWrite {
            read,
            write,
            source,
            ..
        } => vec![Some(read), Some(write), source],
        A::Unwritten { read, write } => vec![Some(read), Some(write)],
        A::WentBack {
            earlier,
            read,
            source,
            observed,
        } => vec![Some(read), Some(earlier), source, observed],
        A::Returned {
            first,
            between,
            read,
        } => vec![Some(read), Some(between), Some(first)],
        A::ConvergedOnEarlierWrite { write, later, .. } => vec![Some(later), Some(write)],
        A::ConvergedOnReadValue {
            read,
            source,
            write,
            ..
        } => vec![Some(write), Some(read), Some(source)],
    }
}

/// Operations named by the rows of an ASCII counterexample timeline.
fn by_label(ops: &[Op], explanation: &str) -> Vec<Option<usize>> {
    let labels: Vec<String> = ops.iter().map(label).collect();
    explanation
        .lines()
        .filter(|line| line.trim_end().ends_with('|'))
        .filter_map(|line| line.split_once("  |").map(|(l, _)| l.trim_end()))
        .map(|wanted| labels.iter().position(|l| l == wanted))
        .collect()
}

/// The likely cause, from the operation at fault (`ops[0]`) and the one it
/// conflicts with (`ops[1]`): which nodes coordinated them, whether a fault
/// active while they ran kept those nodes apart (or any fault was active),
/// and the coordinators' clock offsets when they differ.
fn cause(ops: &[&Op], info: Option<&SeedInfo>) -> String {
    let Some(first) = ops.first() else {
        return String::new();
    };
    let from = ops.iter().map(|op| op.invoke_time).min().unwrap_or(0);
    let to = ops
        .iter()
        .map(|op| op.complete_time.unwrap_or(op.invoke_time))
        .max()
        .unwrap_or(from);
    let coordinated: Vec<String> = (ops.iter().take(2))
        .filter_map(|op| {
            Some(format!(
                "{} via n{}{}",
                label(op),
                op.node?,
                clock(info, op.node?)
            ))
        })
        .collect();
    let mut parts = Vec::new();
    if !coordinated.is_empty() {
        parts.push(format!("coordinators: {}", coordinated.join("; ")));
    }
    let Some(info) = info else {
        return parts.join(", ");
    };
    let active: Vec<&FaultWindow> = info
        .faults
        .iter()
        .filter(|f| f.overlaps(from, to))
        .collect();
    let pair = (first.node, ops.get(1).and_then(|op| op.node));
    let apart = active
        .iter()
        .find(|f| matches!(pair, (Some(a), Some(b)) if separates(&f.what, a, b)));
    parts.push(match (apart, active.is_empty()) {
        (Some(f), _) => format!(
            "{} ({}–{}) kept n{} and n{} apart",
            f.what,
            format_ms(f.start_ns),
            format_ms(f.end_ns),
            pair.0.unwrap_or(0),
            pair.1.unwrap_or(0)
        ),
        (None, true) => "no fault was active while these operations ran".to_string(),
        (None, false) => {
            let each: Vec<String> = (active.iter())
                .map(|f| {
                    format!(
                        "{} ({}–{})",
                        f.what,
                        format_ms(f.start_ns),
                        format_ms(f.end_ns)
                    )
                })
                .collect();
            format!("active then: {}", each.join(", "))
        }
    });
    let mut nodes: Vec<u32> = ops.iter().filter_map(|op| op.node).collect();
    nodes.sort_unstable();
    nodes.dedup();
    let offsets: Vec<i64> = nodes.iter().filter_map(|&n| info.offset_ns(n)).collect();
    if offsets.iter().any(|o| Some(o) != offsets.first()) {
        parts.push("the coordinators' clocks disagree, so last-write-wins may order writes against real time".to_string());
    }
    parts.join("; ")
}

/// Whether a fault named like `partition [n0 n1] | [n2]` puts `a` and `b`
/// on different sides (an `isolate n2`-style name: one of them is named).
fn separates(what: &str, a: u32, b: u32) -> bool {
    if a == b {
        return false;
    }
    let (na, nb) = (format!("n{a}"), format!("n{b}"));
    let names = |part: &str| -> Vec<String> {
        part.split(|c: char| !c.is_ascii_alphanumeric())
            .map(str::to_string)
            .collect()
    };
    let sides: Vec<Vec<String>> = what.split('|').map(names).collect();
    if sides.len() > 1 {
        let side = |n: &String| sides.iter().position(|s| s.contains(n));
        return matches!((side(&na), side(&nb)), (Some(x), Some(y)) if x != y);
    }
    let named = names(what);
    what.starts_with("isolate") && (named.contains(&na) != named.contains(&nb))
}

/// ` (clock +1.234 ms)` when the node's offset is known and not zero.
fn clock(info: Option<&SeedInfo>, node: u32) -> String {
    match info.and_then(|i| i.offset_ns(node)) {
        Some(0) | None => String::new(),
        Some(ns) => {
            let sign = if ns < 0 { "−" } else { "+" };
            format!(" (clock {sign}{})", format_ms(ns.unsigned_abs()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seedinfo::FaultWindow;

    /// p0 writes a then b; p1, served by n2, still reads a.
    const STALE: &str = r#"{"process":0,"type":"invoke","f":"put","key":"k","value":"a","time":1000000,"node":0}
{"process":0,"type":"ok","f":"put","key":"k","value":"a","time":2000000,"node":0}
{"process":0,"type":"invoke","f":"put","key":"k","value":"b","time":3000000,"node":0}
{"process":0,"type":"ok","f":"put","key":"k","value":"b","time":4000000,"node":0}
{"process":1,"type":"invoke","f":"get","key":"k","value":null,"time":5000000,"node":2}
{"process":1,"type":"ok","f":"get","key":"k","value":"a","time":6000000,"node":2}
"#;

    fn info() -> SeedInfo {
        SeedInfo {
            clocks: vec![],
            faults: vec![FaultWindow {
                start_ns: 0,
                end_ns: 8_000_000,
                what: "partition [n0 n1] | [n2]".into(),
            }],
        }
    }

    #[test]
    fn names_the_stale_read_the_write_it_missed_and_the_partition() {
        let history = History::parse(STALE).unwrap();
        let e = example(4, CheckName::ReadAfterWrite, &history, Some(&info()));
        assert_eq!(
            e.ops,
            vec![2, 1, 0],
            "read first, then the superseding write, then the source"
        );
        assert!(
            e.sentence
                .contains("p1 get k -> a via n2; p0 put k b via n0"),
            "{}",
            e.sentence
        );
        assert!(
            e.sentence
                .contains("partition [n0 n1] | [n2] (0.000 ms–8.000 ms) kept n2 and n0 apart"),
            "{}",
            e.sentence
        );
        assert!(
            e.sentence.ends_with('.') && !e.sentence.contains('\n'),
            "{}",
            e.sentence
        );
    }

    #[test]
    fn tells_which_faults_separate_two_nodes() {
        assert!(separates("partition [n0 n1] | [n2]", 2, 0));
        assert!(!separates("partition [n0 n1] | [n2]", 1, 0));
        assert!(separates("isolate n2", 2, 1));
        assert!(!separates("crash n2", 2, 1));
        assert!(!separates("partition [n10] | [n1]", 1, 1));
    }

    #[test]
    fn finds_linearizability_counterexample_ops_by_label() {
        let history = History::parse(STALE).unwrap();
        let e = example(4, CheckName::Linearizable, &history, None);
        assert!(
            e.ops.contains(&2),
            "the stale read is in the counterexample: {e:?}"
        );
    }

    #[test]
    fn prefers_a_broken_expectation_then_the_lowest_seed() {
        let seed = |n: u64, invalid: &[CheckName]| crate::SeedResult {
            seed: n,
            ops: 0,
            ok: 0,
            fail: 0,
            info: 0,
            messages: 0,
            sim_time_ns: 0,
            checks: invalid.iter().map(|c| (*c, Verdict::Invalid)).collect(),
            history_hash: String::new(),
            trace_hash: String::new(),
            metrics: Default::default(),
        };
        let mut digest = Digest::default();
        digest.add(&seed(9, &[CheckName::Convergence]));
        digest.add(&seed(
            3,
            &[CheckName::Linearizable, CheckName::ReadAfterWrite],
        ));
        let mut results = RunResults {
            scenario: "s".into(),
            scenario_file: "s.toml".into(),
            expect: [(CheckName::Convergence, "pass".to_string())].into(),
            digest,
            breaches: vec![],
            totals: Default::default(),
            summary: None,
        };
        assert_eq!(first_failing(&results), Some((9, CheckName::Convergence)));
        results.expect.clear();
        assert_eq!(
            first_failing(&results),
            Some((3, CheckName::ReadAfterWrite))
        );
    }
}
