//! `storesim shrink`: from a failing seed to a small scenario that still fails
//! the same way.
//!
//! Greedy delta debugging over the scenario document: each candidate removes a
//! fault or the nemesis, or lowers one size (operations, clients, keys, nodes,
//! duration, quiesce); it is kept when, validated like a hand-written file, it
//! still makes the target check invalid on one of a few seeds ([`Goal`]
//! decides). Every candidate run is deterministic, so the result replays.
//!
//! The output is a scenario of its own: the user's document with the edits
//! (comments kept), a new `name` (so `run` gives it its own run folder), a
//! `description` saying what it was shrunk from and what remains, and an
//! `[expect]` that holds exactly when it still fails: the target check
//! `"fail"`, every other check `"any"`. Shortened durations are 1-2-5 values
//! (`"2ms"`, `"500ms"`), never a halving's `"2441406ns"`.

use crate::cli::ShrinkArgs;
use crate::evaluate::{Evaluated, evaluate};
use crate::output;
use crate::scenario_edit::ScenarioDoc;
use anyhow::{Context, bail};
use check::{CheckName, EventType, FindingKind, Verdict};
use sim::scenario::{Expectation, Fault, FaultKind, format_duration};
use sim::{RunOptions, Scenario};
use std::ops::ControlFlow;
use std::process::ExitCode;
use std::time::Duration;
use toml::Value;

/// Candidate runs before giving up on shrinking further.
const MAX_CANDIDATES: usize = 400;

/// The think time tried to pack operations together.
const SHORT_THINK: &str = "1ms";

/// A failing scenario: its document, the seed that fails, and how big it is.
#[derive(Clone)]
struct Failing {
    doc: ScenarioDoc,
    seed: u64,
    size: Size,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Size {
    ops: u64,
    clients: u32,
    keys: u32,
    nodes: u32,
    faults: usize,
    duration_ms: u128,
    /// Last: a shorter think time alone makes a scenario smaller (its
    /// operations race more), so that candidate can be kept and built on.
    think_us: u128,
}

pub fn shrink(args: &ShrinkArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.scenario)
        .with_context(|| format!("cannot read {}", args.scenario.display()))?;
    let file = args.scenario.display().to_string();
    let scenario = Scenario::parse(&text, &file)?;
    let first = evaluate(&scenario, args.seed, RunOptions::default())?;
    let target = target_check(&scenario, &first, args.check.as_deref())?;
    let goal = Goal {
        check: target,
        kinds: anomaly_kinds(&first, target),
    };
    let doc = ScenarioDoc::parse(&text)?;
    let mut best = Failing {
        doc,
        seed: args.seed,
        size: size(&scenario, &first),
    };
    println!(
        "shrinking {file} seed {}: {target} is invalid; {}",
        args.seed,
        describe(best.size)
    );

    let mut runs = 0;
    'improve: while runs < MAX_CANDIDATES {
        for candidate in candidates(&best.doc, target) {
            runs += 1;
            let smaller = still_fails(&candidate, &file, &goal, best.seed, args.tries)?;
            if let Some(smaller) = smaller.filter(|s| s.size < best.size) {
                best = smaller;
                println!("  {}", describe(best.size));
                continue 'improve;
            }
            if runs >= MAX_CANDIDATES {
                break 'improve;
            }
        }
        break;
    }
    let out = args.out.clone().unwrap_or_else(|| {
        output::default_run_dir(&scenario.name).join(format!("shrunk-seed-{}.toml", args.seed))
    });
    let origin = Origin {
        file: &file,
        name: &scenario.name,
        seed: args.seed,
        check: target,
    };
    let text = make_own_scenario(&mut best, &origin)?;
    let header = format!(
        "# Shrunk by `storesim shrink {file} --seed {}` ({runs} candidate runs):\n\
         # {target} is invalid on seed {}. Comments below are the original's;\n\
         # name, description, seed, [expect] and the shrunk values are new.\n",
        args.seed, best.seed
    );
    output::write_atomic(&out, &format!("{header}{text}"))?;
    println!("after {runs} candidate runs: {}", describe(best.size));
    println!(
        "wrote {}; replay: {}",
        out.display(),
        output::replay_command(&out, best.seed)
    );
    Ok(ExitCode::SUCCESS)
}

/// The check to keep failing: the one asked for, else the first that breaks a
/// `pass` expectation, else the first invalid one.
fn target_check(
    scenario: &Scenario,
    run: &Evaluated,
    asked: Option<&str>,
) -> anyhow::Result<CheckName> {
    let invalid = |c: &CheckName| run.summary.checks.get(c) == Some(&Verdict::Invalid);
    if let Some(name) = asked {
        let check =
            CheckName::parse(name).with_context(|| format!("--check: unknown check {name:?}"))?;
        if !invalid(&check) {
            bail!(
                "{check} is not invalid on seed {}: nothing to shrink",
                run.summary.seed
            );
        }
        return Ok(check);
    }
    let breaks = |c: &&CheckName| scenario.expect.get(c) == Some(&Expectation::Pass) && invalid(c);
    let chosen = CheckName::ALL
        .iter()
        .find(breaks)
        .or_else(|| CheckName::ALL.iter().find(|c| invalid(c)));
    chosen.copied().with_context(|| {
        format!(
            "every check is valid on seed {}: nothing to shrink",
            run.summary.seed
        )
    })
}

/// What a candidate must still show to be kept. The one place that decides
/// whether a candidate is accepted: a stricter rule (the same anomaly, not
/// only the same check) belongs in [`Goal::reproduced_by`].
#[derive(Debug, Clone)]
struct Goal {
    /// The check that must stay invalid.
    check: CheckName,
    /// The kinds of anomaly it found on the original seed (see
    /// [`same_anomaly`]).
    kinds: Vec<FindingKind>,
}

impl Goal {
    /// Whether a candidate's run still fails the way the original did.
    fn reproduced_by(&self, run: &Evaluated) -> bool {
        run.summary.checks.get(&self.check) == Some(&Verdict::Invalid)
            && same_anomaly(run, self.check, &self.kinds)
    }
}

/// Runs a candidate on `tries` seeds from `seed`; the first failing one wins.
fn still_fails(
    doc: &ScenarioDoc,
    file: &str,
    goal: &Goal,
    seed: u64,
    tries: u64,
) -> anyhow::Result<Option<Failing>> {
    let Ok(scenario) = Scenario::parse(&doc.to_toml(), file) else {
        return Ok(None);
    };
    let seeds: Vec<u64> = (0..tries).map(|i| seed.wrapping_add(i)).collect();
    let jobs = sim::batch::default_jobs();
    let work = |s| evaluate(&scenario, s, RunOptions::default());
    // In seed order, stopping at the first failing seed (or the first error).
    let flow = sim::batch::run_each(&seeds, jobs, work, |_, run| match run {
        Err(e) => ControlFlow::Break(Err(e)),
        Ok(run) if goal.reproduced_by(&run) => {
            let size = size(&scenario, &run);
            ControlFlow::Break(Ok(Failing {
                doc: doc.clone(),
                seed: run.summary.seed,
                size,
            }))
        }
        Ok(_) => ControlFlow::Continue(()),
    });
    match flow {
        ControlFlow::Break(found) => found.map(Some),
        ControlFlow::Continue(()) => Ok(None),
    }
}

/// The kinds of anomaly `target` found on the original seed (its findings').
fn anomaly_kinds(run: &Evaluated, target: CheckName) -> Vec<FindingKind> {
    let mut kinds: Vec<FindingKind> = (run.results.get(&target))
        .map(|r| r.findings.iter().map(|f| f.kind).collect())
        .unwrap_or_default();
    kinds.sort_unstable();
    kinds.dedup();
    kinds
}

/// Whether a candidate keeps the same failure: `target` invalid with a
/// finding of a kind it had on the original seed, so that shrinking does
/// not trade the anomaly for another one the smaller scenario manufactures
/// (a stale read turning into a divergence once `quiesce` is gone). With
/// no original findings to compare, the verdict alone decides.
fn same_anomaly(run: &Evaluated, target: CheckName, kinds: &[FindingKind]) -> bool {
    let Some(result) = run.results.get(&target) else {
        return false;
    };
    result.verdict == Verdict::Invalid
        && (kinds.is_empty() || result.findings.iter().any(|f| kinds.contains(&f.kind)))
}

/// Smaller variants of a document, most promising first.
fn candidates(doc: &ScenarioDoc, target: CheckName) -> Vec<ScenarioDoc> {
    let mut out = Vec::new();
    for i in (0..doc.array_len("faults")).rev() {
        let mut d = doc.clone();
        d.remove_array_item("faults", i);
        out.push(d);
    }
    if doc.get("nemesis").is_some() {
        let mut d = doc.clone();
        d.remove("nemesis");
        out.push(d);
    }
    // Fewer operations in less time keeps their density, and so their overlap.
    let ops = integer(doc, "workload.ops").filter(|&ops| ops > 1);
    if let (Some(ops), Some(half)) = (ops, halve_duration(doc, "duration")) {
        out.push(with(&half, "workload.ops", Value::Integer(ops / 2)));
    }
    // Back-to-back operations overlap more, so fewer of them still race.
    if doc.get("workload.think").as_ref().and_then(Value::as_str) != Some(SHORT_THINK) {
        out.push(with(
            doc,
            "workload.think",
            Value::String(SHORT_THINK.to_string()),
        ));
    }
    for (path, fallback) in [
        ("workload.ops", 1000),
        ("workload.clients", 4),
        ("workload.keys", 3),
    ] {
        let now = integer(doc, path).unwrap_or(fallback);
        for smaller in [now / 2, now - now / 4, now - 1] {
            if (1..now).contains(&smaller) {
                out.push(with(doc, path, Value::Integer(smaller)));
            }
        }
    }
    if let Some(nodes) = integer(doc, "cluster.nodes").filter(|&n| n > 1) {
        let mut d = with(doc, "cluster.nodes", Value::Integer(nodes - 1));
        for path in [
            "cluster.replicas",
            "cluster.write_quorum",
            "cluster.read_quorum",
        ] {
            if let Some(v) = integer(doc, path) {
                d.set(path, Value::Integer(v.min(nodes - 1)))
                    .expect("cluster is a table");
            }
        }
        out.push(d);
    }
    out.extend(halve_duration(doc, "duration"));
    if !judges_the_final_state(target) {
        out.extend(halve_duration(doc, "quiesce"));
    }
    out
}

/// Whether `check` judges what the replicas hold after the liveness phase
/// (`final` lines). For those, a shorter `quiesce` manufactures failures of
/// its own (anti-entropy had no time to spread the last writes), so shrink
/// never shortens it: the anomaly it keeps is the original's.
fn judges_the_final_state(check: CheckName) -> bool {
    matches!(
        check,
        CheckName::MonotonicWrites
            | CheckName::WritesFollowReads
            | CheckName::Convergence
            | CheckName::LostUpdate
            | CheckName::Durability
    )
}

fn with(doc: &ScenarioDoc, path: &str, value: Value) -> ScenarioDoc {
    let mut d = doc.clone();
    d.set(path, value).expect("the path's parents are tables");
    d
}

fn integer(doc: &ScenarioDoc, path: &str) -> Option<i64> {
    doc.get(path).as_ref().and_then(Value::as_integer)
}

/// The document with the duration at `path` cut to a readable value at most
/// half of it (see [`readable_at_most`]); `None` below 2 ms or if absent.
fn halve_duration(doc: &ScenarioDoc, path: &str) -> Option<ScenarioDoc> {
    let value = doc.get(path)?;
    let d = sim::scenario::parse_duration(value.as_str()?).ok()?;
    let shorter = readable_at_most(d / 2)?;
    Some(with(
        doc,
        path,
        Value::String(sim::scenario::format_duration(shorter)),
    ))
}

/// The largest of 1, 2, 5, 10, 20, 50, ... ms that is at most `limit`
/// (`None` under 1 ms): a shrunk duration reads `"2ms"` or `"500ms"`, and
/// each step still at least halves it.
fn readable_at_most(limit: Duration) -> Option<Duration> {
    let mut best = None;
    let mut decade = Duration::from_millis(1);
    // Durations are at most 24 h, under 10⁸ ms: eight decades suffice.
    for _ in 0..12 {
        for step in [1, 2, 5] {
            let candidate = decade * step;
            if candidate > limit {
                return best;
            }
            best = Some(candidate);
        }
        decade *= 10;
    }
    best
}

/// Where a shrunk scenario comes from, for its name and description.
struct Origin<'a> {
    file: &'a str,
    name: &'a str,
    seed: u64,
    check: CheckName,
}

/// Makes the shrunk document a scenario of its own: its failing seed, a new
/// name (so its runs go to a folder of their own rather than overwriting the
/// original's), a description of what it is and what remains, and an
/// `[expect]` that holds when it still fails: the target check `"fail"`,
/// the others `"any"` (they may pass or fail now that faults are gone).
/// Returns the document's text.
fn make_own_scenario(best: &mut Failing, origin: &Origin) -> anyhow::Result<String> {
    best.doc.set("seed", Value::Integer(best.seed as i64))?;
    let shrunk = Scenario::parse(&best.doc.to_toml(), origin.file)
        .context("the shrunk scenario no longer validates")?;
    let check = origin.check;
    let name = format!("{} (shrunk: {check}, seed {})", origin.name, best.seed);
    best.doc.set("name", Value::String(name))?;
    best.doc.set(
        "description",
        Value::String(description(&shrunk, best, origin)),
    )?;
    let expect: Vec<(&str, Value)> = CheckName::ALL
        .iter()
        .map(|c| {
            let e = if *c == check { "fail" } else { "any" };
            (c.as_str(), Value::String(e.to_string()))
        })
        .collect();
    best.doc.set_table("expect", &expect);
    Ok(best.doc.to_toml())
}

/// `Shrunk from ... : linearizable is invalid on seed 22 with 2 operations,
/// 1 client, ...`: what the scenario is, in words.
fn description(shrunk: &Scenario, best: &Failing, origin: &Origin) -> String {
    let faults = if shrunk.faults.is_empty() {
        "no faults".to_string()
    } else {
        let kinds: Vec<String> = shrunk.faults.iter().map(fault_words).collect();
        format!("faults: {}", kinds.join(", "))
    };
    let nemesis = if shrunk.nemesis.is_some() {
        "a nemesis"
    } else {
        "no nemesis"
    };
    let plural = |n: u64, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let w = &shrunk.workload;
    let c = &shrunk.cluster;
    format!(
        "Shrunk by `storesim shrink {} --seed {}` from \"{}\": {} is invalid on seed {}.\n\
         What remains: {} invoked ({} in all, `ops`), {}, {}, {} (N={} W={} R={}), {faults}, {nemesis};\n\
         faulty phase {}, quiesce {}, think {}. Other checks are not judged (\"any\").",
        origin.file,
        origin.seed,
        origin.name,
        origin.check,
        best.seed,
        plural(best.size.ops, "operation"),
        w.ops,
        plural(u64::from(w.clients), "client"),
        plural(u64::from(w.keys), "key"),
        plural(u64::from(c.nodes), "node"),
        c.replicas,
        c.write_quorum,
        c.read_quorum,
        format_duration(shrunk.duration),
        format_duration(shrunk.quiesce),
        format_duration(w.think),
    )
}

/// `crash of node 1 at 1s for 7s`.
fn fault_words(f: &Fault) -> String {
    let what = match &f.kind {
        FaultKind::Partition { groups } => format!("partition {groups:?}"),
        FaultKind::Isolate { node } => format!("isolate node {node}"),
        FaultKind::RandomHalves => "random halves".to_string(),
        FaultKind::Bridge { node } => format!("bridge through node {node}"),
        FaultKind::Clog { from, to } => format!("clog {from}->{to}"),
        FaultKind::Crash { node } => format!("crash of node {node}"),
        FaultKind::Pause { node } => format!("pause of node {node}"),
        FaultKind::ClockJump { node, .. } => {
            return format!("clock jump of node {node} at {}", format_duration(f.at));
        }
    };
    format!(
        "{what} at {} for {}",
        format_duration(f.at),
        format_duration(f.duration)
    )
}

fn size(scenario: &Scenario, run: &Evaluated) -> Size {
    let ops = run
        .outcome
        .history
        .events
        .iter()
        .filter(|e| e.kind == EventType::Invoke)
        .count();
    Size {
        ops: ops as u64,
        clients: scenario.workload.clients,
        keys: scenario.workload.keys,
        nodes: scenario.cluster.nodes,
        faults: scenario.faults.len(),
        duration_ms: scenario.duration.as_millis(),
        think_us: scenario.workload.think.as_micros(),
    }
}

fn describe(s: Size) -> String {
    format!(
        "{} ops, {} clients, {} keys, {} nodes, {} faults, duration {} ms, think {} µs",
        s.ops, s.clients, s.keys, s.nodes, s.faults, s.duration_ms, s.think_us
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "name = \"x\"\nduration = \"10s\"\nquiesce = \"2s\"\n[workload]\nops = 100\n";

    fn quiesces(target: CheckName) -> Vec<Option<Value>> {
        let doc = ScenarioDoc::parse(DOC).unwrap();
        candidates(&doc, target)
            .iter()
            .map(|d| d.get("quiesce"))
            .collect()
    }

    /// Issue 11, defect 10: halving `quiesce` made convergence or durability
    /// fail only because anti-entropy had no time.
    #[test]
    fn quiesce_is_kept_whole_for_checks_of_the_final_state() {
        let original = ScenarioDoc::parse(DOC).unwrap().get("quiesce");
        for check in [
            CheckName::Convergence,
            CheckName::Durability,
            CheckName::LostUpdate,
        ] {
            assert!(
                quiesces(check).iter().all(|q| *q == original),
                "{check}: a candidate changed quiesce"
            );
        }
        assert!(
            quiesces(CheckName::ReadAfterWrite)
                .iter()
                .any(|q| *q != original),
            "read-after-write: quiesce may shrink"
        );
    }
}
