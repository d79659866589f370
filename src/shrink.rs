//! `storesim shrink`: from a failing seed to a small scenario that still fails
//! the same way.
//!
//! Greedy delta debugging over the scenario document: each candidate removes a
//! fault or the nemesis, or lowers one size (operations, clients, keys, nodes,
//! duration, quiesce); it is kept when, validated like a hand-written file, it
//! still makes the target check invalid on one of a few seeds. Every candidate
//! run is deterministic, so the result replays.

use crate::cli::ShrinkArgs;
use crate::evaluate::{Evaluated, evaluate};
use crate::output;
use crate::scenario_edit::ScenarioDoc;
use anyhow::{Context, bail};
use check::{CheckName, EventType, FindingKind, Verdict};
use sim::scenario::Expectation;
use sim::{RunOptions, Scenario};
use std::ops::ControlFlow;
use std::process::ExitCode;
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
    let kinds = anomaly_kinds(&first, target);
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
        for candidate in candidates(&best.doc) {
            runs += 1;
            let smaller = still_fails(&candidate, &file, (target, &kinds), best.seed, args.tries)?;
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
    best.doc.set("seed", Value::Integer(best.seed as i64))?;
    let out = args.out.clone().unwrap_or_else(|| {
        output::default_run_dir(&scenario.name).join(format!("shrunk-seed-{}.toml", args.seed))
    });
    let header = format!(
        "# Shrunk by `storesim shrink {file} --seed {}` ({runs} candidate runs):\n# {target} is invalid on seed {}.\n",
        args.seed, best.seed
    );
    output::write_atomic(&out, &format!("{header}{}", best.doc.to_toml()))?;
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

/// Runs a candidate on `tries` seeds from `seed`; the first failing one wins.
fn still_fails(
    doc: &ScenarioDoc,
    file: &str,
    (target, kinds): (CheckName, &[FindingKind]),
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
        Ok(run) if same_anomaly(&run, target, kinds) => {
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
fn candidates(doc: &ScenarioDoc) -> Vec<ScenarioDoc> {
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
    if doc.get("workload.think").and_then(Value::as_str) != Some(SHORT_THINK) {
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
    out.extend(
        ["duration", "quiesce"]
            .iter()
            .filter_map(|p| halve_duration(doc, p)),
    );
    out
}

fn with(doc: &ScenarioDoc, path: &str, value: Value) -> ScenarioDoc {
    let mut d = doc.clone();
    d.set(path, value).expect("the path's parents are tables");
    d
}

fn integer(doc: &ScenarioDoc, path: &str) -> Option<i64> {
    doc.get(path).and_then(Value::as_integer)
}

fn halve_duration(doc: &ScenarioDoc, path: &str) -> Option<ScenarioDoc> {
    let text = doc.get(path)?.as_str()?;
    let d = sim::scenario::parse_duration(text).ok()?;
    let half = d / 2;
    (half.as_millis() >= 1).then(|| {
        with(
            doc,
            path,
            Value::String(sim::scenario::format_duration(half)),
        )
    })
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
