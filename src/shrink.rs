//! `storesim shrink`: from a failing seed to a small scenario that still fails
//! the same way.
//!
//! First, the faults the seed draws (a nemesis's plan, random halves) are
//! written out as explicit `[[faults]]`, when that still fails the same way
//! on the seed ([`explicit`]; it normally replays the same history), and so
//! are the buggify hits it drew (`kind = "buggify"`, from a run). Then a
//! greedy search over the scenario document: each candidate ([`candidates`])
//! removes, shortens or moves one fault, cuts the run short, or lowers one
//! size (operations, clients, keys, nodes, duration, quiesce); it is kept
//! when, validated like a hand-written file, it still makes the target check
//! invalid with the same kind of anomaly on one of a few seeds ([`Goal`]
//! decides). When no candidate fails any more, candidates get more seeds
//! (doubling, up to 32 × `--tries`): a narrow race reappears on fewer seeds.
//! The search is bounded ([`MAX_CANDIDATES`], [`MAX_SEED_RUNS`]), and every
//! candidate run is deterministic, so the result replays.
//!
//! The output is a scenario of its own: the user's document with the edits
//! (comments kept), a new `name` (so `run` gives it its own run folder), a
//! `description` saying what it was shrunk from and what remains, and an
//! `[expect]` that holds exactly when it still fails: the target check
//! `"fail"`, every other check `"any"`. Shortened durations are 1-2-5 values
//! (`"2ms"`, `"500ms"`), never a halving's `"2441406ns"`; faults are moved
//! and shortened in whole microseconds.

mod candidates;
pub mod explicit;

use crate::cli::ShrinkArgs;
use crate::evaluate::{Evaluated, evaluate, simulate_and_check};
use crate::output;
use crate::scenario_edit::ScenarioDoc;
use anyhow::{Context, bail};
use candidates::candidates;
use check::{CheckName, CheckResult, EventType, FindingKind, Verdict};
use sim::scenario::{Expectation, Fault, FaultKind, format_duration};
use sim::{RunOptions, Scenario};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;
use std::process::ExitCode;
use std::time::Duration;
use toml::Value;

/// Candidate runs before giving up on shrinking further.
const MAX_CANDIDATES: usize = 2_000;

/// Seeds run in all, over every candidate, before giving up.
const MAX_SEED_RUNS: u64 = 50_000;

/// Most seeds per candidate, as a multiple of `--tries`, once candidates stop
/// failing (and at most [`MAX_TRIES`]).
const TRIES_GROWTH: u64 = 32;

/// Most seeds per candidate in any case.
const MAX_TRIES: u64 = 1000;

/// A failing scenario: its document (and what it resolves to), the seed that
/// fails, and how big it is.
#[derive(Clone)]
struct Failing {
    doc: ScenarioDoc,
    scenario: Scenario,
    seed: u64,
    size: Size,
    /// When the first anomaly of the goal's kinds had completed, on `seed`.
    anomaly_end: Option<Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Size {
    ops: u64,
    clients: u32,
    keys: u32,
    nodes: u32,
    faults: usize,
    /// Kinds of operation in the mix: a failure without deletes is simpler.
    kinds: usize,
    /// The sum of the faults' ends (start + length), in µs: shortening a
    /// fault or moving it earlier makes a scenario smaller, and an earlier
    /// fault lets the run be cut shorter.
    fault_end_us: u128,
    duration_ms: u128,
    /// The quiet phase after the faulty one: shorter is smaller (and a
    /// seed's run cheaper: background rounds run all through it). Only
    /// checks that do not judge the final state get such candidates.
    quiesce_ms: u128,
    /// Last: a shorter think time alone makes a scenario smaller (its
    /// operations race more), so that candidate can be kept and built on.
    think_us: u128,
    /// Anti-entropy's period (0: off), last for the same reason: more
    /// frequent rounds alone make a scenario smaller, so that candidate can
    /// be kept and a later cut built on it.
    anti_entropy_us: u128,
    /// The key draw's Zipf exponent, in millionths: a uniform draw (0) is
    /// simpler than a skewed one, the rest being equal.
    key_skew_millionths: u64,
}

/// What the search spent.
#[derive(Debug, Default)]
struct Spent {
    candidates: usize,
    seeds: u64,
}

impl Spent {
    fn exhausted(&self) -> bool {
        self.candidates >= MAX_CANDIDATES || self.seeds >= MAX_SEED_RUNS
    }
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
        size: size(&scenario.for_seed(args.seed), &first.outcome),
        anomaly_end: goal.anomaly_end(&first.results),
        doc,
        scenario,
        seed: args.seed,
    };
    println!(
        "shrinking {file} seed {}: {target} is invalid; {}",
        args.seed,
        describe(best.size)
    );
    if best.scenario.swarm.is_some() {
        best = pin_swarm_point(best, &first, &file)?;
    }
    if explicit::draws_faults(&best.scenario) {
        best = make_faults_explicit(best, &first, &file, &goal)?;
    }
    if explicit::draws_buggify(&best.scenario) {
        best = make_hits_explicit(best, &file, &goal)?;
    }
    let max_tries = (args.tries * TRIES_GROWTH).min(MAX_TRIES).max(args.tries);
    println!(
        "  {} seeds per candidate, up to {max_tries} once candidates stop failing; at most {MAX_CANDIDATES} candidates, {MAX_SEED_RUNS} seed runs",
        args.tries
    );
    let mut spent = Spent::default();
    let mut tries = args.tries;
    // Candidates already refused from this seed with at least this many tries.
    let mut refused: BTreeSet<(String, u64)> = BTreeSet::new();
    'improve: while !spent.exhausted() {
        let all = candidates(
            &best.doc,
            &best.scenario,
            target,
            best.anomaly_end,
            best.size.ops,
        );
        for candidate in all {
            let text = candidate.doc.to_toml();
            if refused.contains(&(text.clone(), tries)) {
                continue;
            }
            spent.candidates += 1;
            let smaller = still_fails(&candidate.doc, &file, &goal, best.seed, tries, &mut spent)?;
            match smaller.filter(|s| s.size < best.size) {
                Some(smaller) => {
                    best = smaller;
                    println!("  {}: {}", candidate.what, describe(best.size));
                    tries = (tries / 2).max(args.tries);
                    continue 'improve;
                }
                None => {
                    refused.insert((text, tries));
                }
            }
            if spent.exhausted() {
                break 'improve;
            }
        }
        if tries >= max_tries {
            break;
        }
        tries = (tries * 2).min(max_tries);
        println!("  no smaller candidate fails: {tries} seeds per candidate");
    }
    best = readable_duration(best, &file, &goal, args.tries, &mut spent)?;
    let out = args.out.clone().unwrap_or_else(|| {
        output::default_run_dir(&best.scenario.name).join(format!("shrunk-seed-{}.toml", args.seed))
    });
    let origin = Origin {
        file: &file,
        name: &best.scenario.name.clone(),
        seed: args.seed,
        check: target,
    };
    let runs = spent.candidates;
    let text = make_own_scenario(&mut best, &origin)?;
    let header = format!(
        "# Shrunk by `storesim shrink {file} --seed {}` ({runs} candidate runs):\n\
         # {target} is invalid on seed {}. Comments below are the original's;\n\
         # name, description, seed, [expect] and the shrunk values are new.\n",
        args.seed, best.seed
    );
    output::write_atomic(&out, &format!("{header}{text}"))?;
    println!(
        "after {runs} candidate runs ({} seeds): {}",
        spent.seeds,
        describe(best.size)
    );
    println!(
        "wrote {}; replay: {}",
        out.display(),
        output::replay_command(&out, best.seed)
    );
    Ok(ExitCode::SUCCESS)
}

/// The failing scenario with its faulty phase rounded up to a 1-2-5 value
/// (`"5ms"`, not `"4871us"` from a cut at the anomaly), if that still fails
/// the same way: first with `ops` capped at what the seed invoked and
/// `think` pinned (no operation more), else as it is if that invokes no more
/// than it did or a dozen; otherwise the scenario unrounded. (Issue 13:
/// allowing half as many operations more took the tombstone bug's result
/// from 27 operations back to 35.)
fn readable_duration(
    best: Failing,
    file: &str,
    goal: &Goal,
    tries: u64,
    spent: &mut Spent,
) -> anyhow::Result<Failing> {
    let Some(round) = candidates::readable_at_least(best.scenario.duration) else {
        return Ok(best);
    };
    if round == best.scenario.duration {
        return Ok(best);
    }
    let ops = best.size.ops;
    let mut rounded = best.doc.clone();
    rounded.set("duration", Value::String(format_duration(round)))?;
    let mut pinned = rounded.clone();
    let think = format_duration(best.scenario.workload.think);
    pinned.set("workload.think", Value::String(think))?;
    if ops < best.scenario.workload.ops {
        pinned.set("workload.ops", Value::Integer(ops as i64))?;
    }
    for (doc, most) in [(pinned, ops), (rounded, ops.max(12))] {
        if let Some(r) = still_fails(&doc, file, goal, best.seed, tries, spent)?
            && r.size.ops <= most
        {
            println!(
                "  faulty phase rounded up to {}: {}",
                format_duration(round),
                describe(r.size)
            );
            return Ok(r);
        }
    }
    Ok(best)
}

/// The failing scenario with its seed's `[swarm]` point pinned as plain
/// `[workload]` values and `[swarm]` removed, so that candidates edit those
/// values (and other seeds do not draw other points). The point has an RNG
/// stream of its own, so the pinned scenario runs the same history on the
/// seed; checked (by hash), an error otherwise.
fn pin_swarm_point(best: Failing, first: &Evaluated, file: &str) -> anyhow::Result<Failing> {
    let Some(point) = best.scenario.swarm_point(best.seed) else {
        return Ok(best);
    };
    let mut doc = best.doc.clone();
    doc.remove("swarm");
    for (key, value) in point.workload_values() {
        doc.set(&format!("workload.{key}"), value)?;
    }
    let scenario = Scenario::parse(&doc.to_toml(), file)
        .context("the seed's swarm point pinned in [workload] does not validate")?;
    let run = evaluate(&scenario, best.seed, RunOptions::default())?;
    if run.summary.history_hash != first.summary.history_hash {
        bail!(
            "seed {}: the swarm point pinned as [workload] values ran another history (a bug: the point's draws must not feed the run)",
            best.seed
        );
    }
    println!("  swarm point of seed {} pinned: {point}", best.seed);
    Ok(Failing {
        doc,
        scenario,
        ..best
    })
}

/// The failing scenario with the faults its seed draws (nemesis, random
/// halves) written out as `[[faults]]` and the nemesis removed, when that
/// still fails the same way on the seed (see [`explicit`]); otherwise the
/// scenario as it was. Says which on stdout.
fn make_faults_explicit(
    best: Failing,
    first: &Evaluated,
    file: &str,
    goal: &Goal,
) -> anyhow::Result<Failing> {
    let faults = explicit::faults_of_seed(&best.scenario, best.seed);
    let mut doc = best.doc.clone();
    doc.remove("nemesis");
    doc.set_array_of_tables("faults", &explicit::fault_tables(&faults));
    let scenario = Scenario::parse(&doc.to_toml(), file)
        .context("the seed's faults written out as [[faults]] do not validate")?;
    let run = evaluate(&scenario, best.seed, RunOptions::default())?;
    let same = run.summary.history_hash == first.summary.history_hash;
    let what = format!(
        "the faults seed {} draws, as {} explicit [[faults]]",
        best.seed,
        faults.len()
    );
    let written = Written {
        doc,
        scenario,
        run: &run,
        same,
    };
    Ok(keep_written_out(
        best,
        written,
        goal,
        &what,
        "the drawn faults",
    ))
}

/// The failing scenario with the buggify hits its seed drew written out as
/// explicit `buggify` faults and `[buggify]` removed (with its windows), when
/// that still fails the same way on the seed (see
/// [`explicit::faults_with_hits`]); otherwise the scenario as it was (also
/// while a nemesis still draws buggify windows). Says which on stdout.
fn make_hits_explicit(best: Failing, file: &str, goal: &Goal) -> anyhow::Result<Failing> {
    if (best.scenario.nemesis.as_ref()).is_some_and(|n| n.draws_buggify_windows()) {
        println!("  the nemesis still draws buggify windows: shrinking with the drawn hits");
        return Ok(best);
    }
    let drawn = evaluate(&best.scenario, best.seed, RunOptions::default())?;
    let hits = &drawn.outcome.buggify_hits;
    let faults = explicit::faults_with_hits(&best.scenario, hits);
    if faults.len() > sim::scenario::MAX_FAULTS {
        println!("  {} buggify hits: too many to write out", hits.len());
        return Ok(best);
    }
    let mut doc = best.doc.clone();
    doc.remove("buggify");
    doc.set_array_of_tables("faults", &explicit::fault_tables(&faults));
    let scenario = Scenario::parse(&doc.to_toml(), file)
        .context("the seed's buggify hits written out as [[faults]] do not validate")?;
    let run = evaluate(&scenario, best.seed, RunOptions::default())?;
    let what = format!(
        "the {} buggify hits seed {} draws, as explicit [[faults]] kind = \"buggify\"",
        hits.len(),
        best.seed
    );
    let same = run.summary.history_hash == drawn.summary.history_hash;
    let written = Written {
        doc,
        scenario,
        run: &run,
        same,
    };
    Ok(keep_written_out(best, written, goal, &what, "[buggify]"))
}

/// A failing scenario with what its seed drew written out, and its run.
struct Written<'a> {
    doc: ScenarioDoc,
    scenario: Scenario,
    run: &'a Evaluated,
    /// Whether the run's history is the drawn one's.
    same: bool,
}

/// The written-out scenario when its run still fails the same way, else
/// `best` as it was (shrinking then goes on `with` the draws); says which.
fn keep_written_out(
    best: Failing,
    written: Written,
    goal: &Goal,
    what: &str,
    with: &str,
) -> Failing {
    let Written {
        doc,
        scenario,
        run,
        same,
    } = written;
    if !goal.reproduced_by(&run.results) {
        println!("  {what}: no longer fail the same way; shrinking with {with}");
        return best;
    }
    let how = if same {
        "the same history"
    } else {
        "a different history, the same failure"
    };
    println!("  {what}: {how}");
    Failing {
        size: size(&scenario, &run.outcome),
        anomaly_end: goal.anomaly_end(&run.results),
        doc,
        scenario,
        seed: best.seed,
    }
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
    /// Whether a candidate's checked run still fails the way the original did.
    fn reproduced_by(&self, results: &BTreeMap<CheckName, CheckResult>) -> bool {
        same_anomaly(results, self.check, &self.kinds)
    }

    /// When the earliest-completing finding of the goal's kinds had all its
    /// operations completed (scenario time), if any has operations.
    fn anomaly_end(&self, results: &BTreeMap<CheckName, CheckResult>) -> Option<Duration> {
        let result = results.get(&self.check)?;
        (result.findings.iter())
            .filter(|f| self.kinds.is_empty() || self.kinds.contains(&f.kind))
            .filter(|f| !f.ops.is_empty())
            .map(|f| Duration::from_nanos(f.to_ns))
            .min()
    }
}

/// Runs a candidate on `tries` seeds from `seed`; the first failing one wins.
fn still_fails(
    doc: &ScenarioDoc,
    file: &str,
    goal: &Goal,
    seed: u64,
    tries: u64,
    spent: &mut Spent,
) -> anyhow::Result<Option<Failing>> {
    let Ok(scenario) = Scenario::parse(&doc.to_toml(), file) else {
        return Ok(None);
    };
    let seeds: Vec<u64> = (0..tries).map(|i| seed.wrapping_add(i)).collect();
    let jobs = sim::batch::default_jobs();
    // The goal's check only: the rest of `evaluate` would be most of a
    // small seed's cost.
    let work = |s| simulate_and_check(&scenario, s, RunOptions::default(), &[goal.check]);
    // In seed order, stopping at the first failing seed (or the first error).
    let flow = sim::batch::run_each(&seeds, jobs, work, |_, run| {
        spent.seeds += 1;
        match run {
            Err(e) => ControlFlow::Break(Err(e)),
            Ok(run) if goal.reproduced_by(&run.results) => ControlFlow::Break(Ok(Failing {
                size: size(&scenario, &run.outcome),
                anomaly_end: goal.anomaly_end(&run.results),
                doc: doc.clone(),
                scenario: scenario.clone(),
                seed: run.outcome.seed,
            })),
            Ok(_) => ControlFlow::Continue(()),
        }
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
fn same_anomaly(
    results: &BTreeMap<CheckName, CheckResult>,
    target: CheckName,
    kinds: &[FindingKind],
) -> bool {
    let Some(result) = results.get(&target) else {
        return false;
    };
    result.verdict == Verdict::Invalid
        && (kinds.is_empty() || result.findings.iter().any(|f| kinds.contains(&f.kind)))
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
        FaultKind::Messages(m) => sim::faults::message_label(m),
        FaultKind::ClockJump { node, .. } => {
            return format!("clock jump of node {node} at {}", format_duration(f.at));
        }
        FaultKind::Join { node } => {
            return format!("join of node {node} at {}", format_duration(f.at));
        }
        FaultKind::Leave { node } => {
            return format!("leave of node {node} at {}", format_duration(f.at));
        }
        FaultKind::Replace { node, by } => {
            return format!(
                "replace of node {node} by {by} at {}",
                format_duration(f.at)
            );
        }
        FaultKind::Buggify(hit) => format!(
            "buggify {} of node {} at {} (pass {})",
            hit.action.as_str(),
            hit.node,
            hit.point,
            hit.pass
        ),
        FaultKind::BuggifyWindow { node } => format!("buggify window on node {node}"),
    };
    format!(
        "{what} at {} for {}",
        format_duration(f.at),
        format_duration(f.duration)
    )
}

fn size(scenario: &Scenario, outcome: &sim::RunOutcome) -> Size {
    let ops = outcome
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
        kinds: {
            let m = scenario.workload.mix;
            [m.get, m.put, m.delete, m.cas]
                .iter()
                .filter(|w| **w > 0.0)
                .count()
        },
        fault_end_us: (scenario.faults.iter())
            .map(|f| (f.at + f.duration).as_micros())
            .sum(),
        duration_ms: scenario.duration.as_millis(),
        quiesce_ms: scenario.quiesce.as_millis(),
        think_us: scenario.workload.think.as_micros(),
        anti_entropy_us: scenario.cluster.anti_entropy.map_or(0, |d| d.as_micros()),
        key_skew_millionths: (scenario.workload.key_skew * 1e6).round() as u64,
    }
}

fn describe(s: Size) -> String {
    format!(
        "{} ops, {} clients, {} keys, {} nodes, {} faults (ending at {} ms in all), duration {} ms, quiesce {} ms, think {} µs",
        s.ops,
        s.clients,
        s.keys,
        s.nodes,
        s.faults,
        s.fault_end_us / 1000,
        s.duration_ms,
        s.quiesce_ms,
        s.think_us
    )
}
