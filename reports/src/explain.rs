//! Which seed and checks a report explains, which operations each
//! counterexample involves, and one sentence saying what went wrong and the
//! likely cause (the coordinating nodes and their clocks, the fault at the
//! time, how the protocol runs a cas).
//!
//! Everything is read as data, never parsed from text: the operations are
//! the check's first [`Finding`] (re-checking the kept history), and which
//! nodes a fault kept apart is the set of links its window cut
//! ([`Effect::Cut`], recorded by the simulator), so a `bridge`, a `clog` and
//! nodes left out of every `partition` group count like any other cut.

use crate::results::{Digest, RunResults};
use crate::scenario::ScenarioSummary;
use crate::seedinfo::{Effect, FaultWindow, SeedInfo};
use check::counterexample::{label, value};
use check::ms::{Precision, format_ms};
use check::op::{Op, Outcome, pair};
use check::{CheckName, CheckResult, Finding, FindingKind as Kind, Function, History, Verdict};

/// The order in which checks are preferred for the explained example when no
/// expectation was broken: the ones whose anomaly a timeline shows best first.
/// Every check is in it (a test holds it to [`CheckName::ALL`]), so each
/// failing check gets its example and close-up.
const PREFERRED: [CheckName; 14] = [
    CheckName::ReadAfterWrite,
    CheckName::ReadYourWrites,
    CheckName::MonotonicReads,
    CheckName::LostUpdate,
    CheckName::Durability,
    CheckName::MonotonicWrites,
    CheckName::WritesFollowReads,
    CheckName::Linearizable,
    CheckName::Convergence,
    CheckName::ListAfterWrite,
    CheckName::AtomicObject,
    CheckName::Versions,
    CheckName::Authorization,
    CheckName::Revocation,
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
    /// [`Op::index`]es involved, the operation at fault first (the check's
    /// first finding's).
    pub ops: Vec<usize>,
    /// The check's first finding, as data (`None` if the check was not invalid).
    pub finding: Option<Finding>,
    /// The check's own explanation (sentence, ASCII timeline, more counts).
    pub explanation: String,
    /// What went wrong and the likely cause, in one sentence.
    pub sentence: String,
}

/// What a report knows about a kept seed's run besides its history.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'a> {
    /// `run.json`: clocks and fault windows.
    pub info: Option<&'a SeedInfo>,
    /// The scenario in words (its protocol and how cas works under it).
    pub summary: Option<&'a ScenarioSummary>,
}

/// Re-checks `history` with `check` and explains its first finding.
pub fn example(seed: u64, check: CheckName, history: &History, info: Option<&SeedInfo>) -> Example {
    let result = check::run(history, &[check])
        .remove(&check)
        .unwrap_or_else(|| CheckResult::not_applicable(String::new()));
    let ops = pair(history);
    let ctx = Context {
        info,
        summary: None,
    };
    build(seed, check, &result, &ops, ctx)
}

/// One example per check invalid on `history`: `first` first, then the
/// others in [`PREFERRED`] order.
pub fn examples(seed: u64, first: CheckName, history: &History, ctx: Context) -> Vec<Example> {
    let results = check::run(history, CheckName::ALL);
    let ops = pair(history);
    let order = [first]
        .into_iter()
        .chain(PREFERRED.into_iter().filter(|&c| c != first));
    order
        .filter_map(|c| Some((c, results.get(&c)?)))
        .filter(|(_, r)| r.verdict == Verdict::Invalid)
        .map(|(c, r)| build(seed, c, r, &ops, ctx))
        .collect()
}

fn build(seed: u64, check: CheckName, result: &CheckResult, ops: &[Op], ctx: Context) -> Example {
    let finding = result.findings.first().cloned();
    let what = result
        .explanation
        .lines()
        .next()
        .unwrap_or("")
        .trim_end_matches('.')
        .to_string();
    let cause = finding
        .as_ref()
        .map(|f| cause(f, ops, ctx))
        .unwrap_or_default();
    let sentence = match (what.is_empty(), cause.is_empty()) {
        (true, _) => format!("{check} was {} on seed {seed}.", result.verdict),
        (false, true) => format!("{what}."),
        (false, false) => format!("{what}; likely cause: {cause}."),
    };
    Example {
        seed,
        check,
        ops: finding.as_ref().map(|f| f.ops.clone()).unwrap_or_default(),
        finding,
        explanation: result.explanation.clone(),
        sentence,
    }
}

/// Whether a finding is about the converged state: whatever happened
/// after its operations, up to the end of the run, may explain it.
fn about_final_state(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::LostUpdate
            | Kind::VanishedWrite
            | Kind::Diverged
            | Kind::UnwrittenFinal
            | Kind::ConvergedOnEarlierWrite
            | Kind::ConvergedOnReadValue
    )
}

/// The likely cause of a finding: how last-write-wins ordered its writes
/// when the coordinators' clocks explain it (else which nodes coordinated
/// its operations), the faults that kept those nodes apart or stopped or
/// stepped one of them (else every fault active then), and, for a cas
/// under a protocol that runs it as a read and a write, that.
fn cause(f: &Finding, ops: &[Op], ctx: Context) -> String {
    let involved: Vec<&Op> = f.ops.iter().filter_map(|&i| ops.get(i)).collect();
    let mut parts = Vec::new();
    parts.push(match lww_order(f, &involved, ctx.info) {
        Some(order) => order,
        None => coordinators(&involved, ctx.info),
    });
    let to = if about_final_state(f.kind) {
        u64::MAX
    } else {
        f.to_ns
    };
    if let Some(info) = ctx.info {
        parts.push(faults(f, &involved, info, (f.from_ns, to)));
    }
    let cas = involved
        .iter()
        .any(|op| op.f == Function::Cas && op.outcome == Outcome::Ok);
    if let Some(s) = ctx.summary.filter(|s| cas && s.cas_read_then_write) {
        parts.push(format!(
            "under the {} protocol a cas is a read followed by a separate write, not one \
             atomic step, so another write can land between its read and its write",
            s.protocol
        ));
    }
    parts.retain(|p| !p.is_empty());
    parts.join("; ")
}

/// `coordinators: p1 get k -> a via n2; p0 put k b via n0 (clock +1.000 ms)`.
fn coordinators(involved: &[&Op], info: Option<&SeedInfo>) -> String {
    let named: Vec<String> = (involved.iter().take(3))
        .filter_map(|op| {
            Some(format!(
                "{} via n{}{}",
                label(op),
                op.node?,
                clock(info, op.node?)
            ))
        })
        .collect();
    if named.is_empty() {
        return String::new();
    }
    format!("coordinators: {}", named.join("; "))
}

/// For a write lost to last-write-wins order (a lost update, or a stale
/// read of a write that won over a later one): both writes, their
/// coordinators and clock offsets, when the later write's coordinator's
/// clock was behind the winner's.
fn lww_order(f: &Finding, involved: &[&Op], info: Option<&SeedInfo>) -> Option<String> {
    let (later, winner) = match (f.kind, involved) {
        (Kind::LostUpdate, [lost, winner, ..]) => (*lost, *winner),
        (Kind::StaleRead, [_, superseder, source, ..]) => (*superseder, *source),
        _ => return None,
    };
    let (a, b) = (later.node?, winner.node?);
    let info = info?;
    let (off_a, off_b) = (info.offset_ns(a)?, info.offset_ns(b)?);
    if off_a >= off_b {
        return None;
    }
    let behind = format_ms(off_b.abs_diff(off_a), Precision::Fit);
    Some(format!(
        "{} via n{a}{} began after {} via n{b}{} completed, but n{a}'s clock is {behind} behind \
         n{b}'s, so last-write-wins gave the later write the lower timestamp and kept {}",
        label(later),
        clock_or_zero(info, a),
        label(winner),
        clock_or_zero(info, b),
        value(winner.written()),
    ))
}

/// The faults that explain a finding, active in `[from, to]`.
fn faults(f: &Finding, involved: &[&Op], info: &SeedInfo, (from, to): (u64, u64)) -> String {
    let active: Vec<&FaultWindow> = (info.faults.iter())
        .filter(|w| match w.effect {
            // A clock step stays: every jump before the end counts.
            Some(Effect::ClockJump { .. }) => w.start_ns <= to,
            _ => w.overlaps(from, to),
        })
        .collect();
    if active.is_empty() {
        return "no fault was active while these operations ran".to_string();
    }
    let nodes: Vec<u32> = involved.iter().filter_map(|op| op.node).collect();
    let at_fault = nodes.first().copied();
    let mut said: Vec<String> = Vec::new();
    for w in &active {
        let when = window(w);
        let cut = at_fault.and_then(|a| {
            let other = nodes.iter().find(|&&b| w.cut_between(a, b).is_some())?;
            Some((a, *other, w.cut_between(a, *other)?))
        });
        let text = match (&w.effect, cut) {
            (_, Some((a, b, (true, true)))) => {
                format!("{} ({when}) cut n{a} off from n{b}", w.what)
            }
            (_, Some((a, b, (ab, _)))) => {
                let (x, y) = if ab { (a, b) } else { (b, a) };
                format!("{} ({when}) cut the link n{x} → n{y} (one way)", w.what)
            }
            (Some(Effect::Crash { node }), None)
                if nodes.contains(node) || about_final_state(f.kind) =>
            {
                format!("{} ({when}) took n{node} down", w.what)
            }
            (Some(Effect::Pause { node }), None) if nodes.contains(node) => {
                format!("{} ({when}) paused n{node}", w.what)
            }
            (Some(Effect::ClockJump { node, by_ns }), None) if nodes.contains(node) => {
                let sign = if *by_ns < 0 { "back" } else { "forward" };
                let by = format_ms(by_ns.unsigned_abs(), Precision::Fit);
                format!("{} ({when}) stepped n{node}'s clock {sign} by {by}", w.what)
            }
            _ => continue,
        };
        said.push(text);
    }
    if said.is_empty() {
        let each: Vec<String> = (active.iter())
            .map(|w| format!("{} ({})", w.what, window(w)))
            .collect();
        return format!("active then: {}", each.join(", "));
    }
    said.join(", ")
}

/// `1.000 ms–2.000 ms`, or `at 1.000 ms` for an instant.
fn window(w: &FaultWindow) -> String {
    if w.start_ns == w.end_ns {
        format!("at {}", format_ms(w.start_ns, Precision::Fit))
    } else {
        format!(
            "{}–{}",
            format_ms(w.start_ns, Precision::Fit),
            format_ms(w.end_ns, Precision::Fit)
        )
    }
}

/// ` (clock +1.234 ms)` when the node's offset is known and not zero.
fn clock(info: Option<&SeedInfo>, node: u32) -> String {
    match info.and_then(|i| i.offset_ns(node)) {
        Some(0) | None => String::new(),
        Some(ns) => format!(" (clock {})", signed(ns)),
    }
}

/// ` (clock +1.234 ms)`, ` (clock 0)`.
fn clock_or_zero(info: &SeedInfo, node: u32) -> String {
    match info.offset_ns(node) {
        Some(0) => " (clock 0)".to_string(),
        Some(ns) => format!(" (clock {})", signed(ns)),
        None => String::new(),
    }
}

fn signed(ns: i64) -> String {
    let sign = if ns < 0 { "−" } else { "+" };
    format!("{sign}{}", format_ms(ns.unsigned_abs(), Precision::Fit))
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_check_has_a_place_in_the_preferred_order() {
        let mut preferred = PREFERRED.to_vec();
        preferred.sort();
        let mut all = CheckName::ALL.to_vec();
        all.sort();
        assert_eq!(preferred, all);
    }

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

    /// One fault window over the whole STALE history.
    fn with(what: &str, effect: Effect) -> SeedInfo {
        SeedInfo {
            clocks: vec![],
            faults: vec![FaultWindow {
                start_ns: 0,
                end_ns: 8_000_000,
                what: what.into(),
                effect: Some(effect),
            }],
        }
    }

    /// The links that separate `a` from `b` both ways (as cut by the simulator).
    fn cut(links: &[(u32, u32)]) -> Effect {
        Effect::Cut {
            links: links.to_vec(),
        }
    }

    fn sentence(check: CheckName, history: &str, info: &SeedInfo) -> String {
        let history = History::parse(history).unwrap();
        example(4, check, &history, Some(info)).sentence
    }

    #[test]
    fn names_the_stale_read_the_write_it_missed_and_the_partition() {
        let history = History::parse(STALE).unwrap();
        let info = with(
            "partition [n0 n1] | [n2]",
            cut(&[(0, 2), (1, 2), (2, 0), (2, 1)]),
        );
        let e = example(4, CheckName::ReadAfterWrite, &history, Some(&info));
        assert_eq!(
            e.ops,
            vec![2, 1, 0],
            "read first, then the superseding write, then the source"
        );
        assert!(
            e.sentence.contains(
                "coordinators: p1 get k -> a via n2; p0 put k b via n0; p0 put k a via n0"
            ),
            "{}",
            e.sentence
        );
        assert!(
            e.sentence
                .contains("partition [n0 n1] | [n2] (0.000 ms–8.000 ms) cut n2 off from n0"),
            "{}",
            e.sentence
        );
        assert!(
            e.sentence.ends_with('.') && !e.sentence.contains('\n'),
            "{}",
            e.sentence
        );
    }

    /// Every fault kind, as the simulator records it for 3 nodes, read via
    /// n2 and written via n0: the cause names what the fault did to them.
    #[test]
    fn the_likely_cause_for_every_fault_kind() {
        let cases = [
            (
                "partition [n0 n1] | [n2]",
                cut(&[(0, 2), (1, 2), (2, 0), (2, 1)]),
                "cut n2 off from n0",
            ),
            (
                "isolate n2: [n2] | [n0 n1]",
                cut(&[(0, 2), (1, 2), (2, 0), (2, 1)]),
                "cut n2 off from n0",
            ),
            (
                "random-halves [n0] | [n1 n2]",
                cut(&[(0, 1), (0, 2), (1, 0), (2, 0)]),
                "cut n2 off from n0",
            ),
            // Node 1 bridges; the halves [n0] and [n2] cannot talk.
            ("bridge n1", cut(&[(0, 2), (2, 0)]), "cut n2 off from n0"),
            // n2 is in no group: cut off from both.
            (
                "partition [n0] | [n1]",
                cut(&[(0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1)]),
                "cut n2 off from n0",
            ),
            (
                "clog n0 -> n2",
                cut(&[(0, 2)]),
                "cut the link n0 → n2 (one way)",
            ),
            ("crash n2", Effect::Crash { node: 2 }, "took n2 down"),
            ("pause n0", Effect::Pause { node: 0 }, "paused n0"),
            (
                "clock-jump n0 by -5ms",
                Effect::ClockJump {
                    node: 0,
                    by_ns: -5_000_000,
                },
                "stepped n0's clock back by 5.000 ms",
            ),
        ];
        for (what, effect, expected) in cases {
            let info = with(what, effect);
            let s = sentence(CheckName::ReadAfterWrite, STALE, &info);
            assert!(s.contains(&format!("{what} (")), "{what}: {s}");
            assert!(s.contains(expected), "{what}: {s}");
        }
    }

    /// A fault that touches neither node is listed, not blamed; a run.json
    /// from before effects were recorded is never read for separations.
    #[test]
    fn unrelated_or_unrecorded_faults_are_only_listed() {
        let info = with("crash n1", Effect::Crash { node: 1 });
        let s = sentence(CheckName::ReadAfterWrite, STALE, &info);
        assert!(
            s.contains("active then: crash n1 (0.000 ms–8.000 ms)"),
            "{s}"
        );
        let mut old = with("partition [n0 n1] | [n2]", cut(&[]));
        old.faults[0].effect = None;
        let s = sentence(CheckName::ReadAfterWrite, STALE, &old);
        assert!(s.contains("active then: partition"), "{s}");
        assert!(!s.contains("cut"), "{s}");
    }

    /// p0 writes a via n1 (clock +30 ms); p1 then writes b via n0 (clock
    /// −20 ms); the replicas keep a.
    const SKEWED: &str = r#"{"process":0,"type":"invoke","f":"put","key":"k","value":"a","time":1000000,"node":1}
{"process":0,"type":"ok","f":"put","key":"k","value":"a","time":2000000,"node":1}
{"process":1,"type":"invoke","f":"put","key":"k","value":"b","time":3000000,"node":0}
{"process":1,"type":"ok","f":"put","key":"k","value":"b","time":4000000,"node":0}
{"process":2,"type":"invoke","f":"get","key":"k","value":null,"time":5000000,"node":2}
{"process":2,"type":"ok","f":"get","key":"k","value":"a","time":6000000,"node":2}
{"type":"final","node":0,"key":"k","value":"a"}
{"type":"final","node":1,"key":"k","value":"a"}
"#;

    fn skewed_clocks() -> SeedInfo {
        let clock = |node, offset_ns| crate::seedinfo::ClockInfo {
            node,
            offset_ns,
            drift_ppm: 0.0,
        };
        SeedInfo {
            clocks: vec![clock(0, -20_000_000), clock(1, 30_000_000), clock(2, 0)],
            faults: vec![],
        }
    }

    #[test]
    fn a_write_lost_to_skew_names_both_coordinators_and_clocks() {
        let expected = "p1 put k b via n0 (clock −20.000 ms) began after p0 put k a via n1 \
                        (clock +30.000 ms) completed, but n0's clock is 50.000 ms behind n1's, \
                        so last-write-wins gave the later write the lower timestamp and kept a";
        for check in [CheckName::LostUpdate, CheckName::ReadAfterWrite] {
            let s = sentence(check, SKEWED, &skewed_clocks());
            assert!(s.contains(expected), "{check}: {s}");
            assert!(s.contains("no fault was active"), "{check}: {s}");
        }
    }

    /// Two cas from a both succeed: not linearizable; under quorum a cas is
    /// a read and a write.
    #[test]
    fn a_non_atomic_cas_is_said_to_be_a_read_then_a_write() {
        let text = r#"{"process":0,"type":"invoke","f":"put","key":"k","value":"a","time":1000000,"node":0}
{"process":0,"type":"ok","f":"put","key":"k","value":"a","time":2000000,"node":0}
{"process":1,"type":"invoke","f":"cas","key":"k","value":{"from":"a","to":"b"},"time":3000000,"node":0}
{"process":1,"type":"ok","f":"cas","key":"k","value":{"from":"a","to":"b"},"time":4000000,"node":0}
{"process":2,"type":"invoke","f":"cas","key":"k","value":{"from":"a","to":"c"},"time":5000000,"node":1}
{"process":2,"type":"ok","f":"cas","key":"k","value":{"from":"a","to":"c"},"time":6000000,"node":1}
"#;
        let history = History::parse(text).unwrap();
        let mut summary = ScenarioSummary {
            protocol: "quorum".into(),
            cas_read_then_write: true,
            ..ScenarioSummary::default()
        };
        let ctx = Context {
            info: None,
            summary: Some(&summary),
        };
        let all = examples(1, CheckName::Linearizable, &history, ctx);
        let lin = &all[0];
        assert_eq!(lin.check, CheckName::Linearizable);
        assert_eq!(
            lin.finding.as_ref().map(|f| f.kind),
            Some(Kind::LostConditionalUpdate)
        );
        let expected = "under the quorum protocol a cas is a read followed by a separate write";
        assert!(lin.sentence.contains(expected), "{}", lin.sentence);
        summary.cas_read_then_write = false;
        let ctx = Context {
            info: None,
            summary: Some(&summary),
        };
        let all = examples(1, CheckName::Linearizable, &history, ctx);
        assert!(!all[0].sentence.contains(expected), "{}", all[0].sentence);
    }

    #[test]
    fn one_example_per_failing_check_the_first_one_first() {
        let history = History::parse(SKEWED).unwrap();
        let ctx = Context {
            info: Some(&skewed_clocks()),
            summary: None,
        };
        let all = examples(1, CheckName::LostUpdate, &history, ctx);
        let checks: Vec<CheckName> = all.iter().map(|e| e.check).collect();
        assert_eq!(checks[0], CheckName::LostUpdate);
        assert!(checks.contains(&CheckName::ReadAfterWrite), "{checks:?}");
        assert!(checks.contains(&CheckName::Linearizable), "{checks:?}");
        assert!(all.iter().all(|e| !e.ops.is_empty() && e.finding.is_some()));
    }

    #[test]
    fn linearizability_counterexample_ops_come_from_its_finding() {
        let history = History::parse(STALE).unwrap();
        let e = example(4, CheckName::Linearizable, &history, None);
        assert_eq!(e.ops.first(), Some(&2), "the stale read first: {e:?}");
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
            swarm: Default::default(),
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
