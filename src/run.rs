//! `storesim run`: many seeds, a summary, the verdict on `[expect]`, and a
//! run folder a person who was not there can read:
//!
//! ```text
//! DIR/scenario.toml            the scenario file's text, as given
//! DIR/results.json             per seed: verdicts, metrics, hashes (reports::results)
//! DIR/seeds/<S>/history.jsonl  seeds that broke an expectation, the first failing
//! DIR/seeds/<S>/run.json       seed, or every seed with --keep-histories; run.json
//!                              holds clock errors and fault windows
//! DIR/report.md, report.html   the report (reports::report)
//! DIR/*.svg                    each plot of the report
//! ```
//!
//! [`execute`] is the one way to run a list of seeds into a folder; `sweep`
//! calls it once per point.

use crate::cli::RunArgs;
use crate::evaluate::{Evaluated, evaluate, seed_info};
use crate::{determinism, output, report_cmd, seeds};

use check::{CheckName, Verdict};
use indicatif::{ProgressBar, ProgressStyle};
use reports::metrics::SeedMetrics;
use reports::scenario::ScenarioSummary;
use reports::{RunResults, SeedResult};
use sim::expect::{self, Breach};
use sim::scenario::{Expectation, Latency, format_duration};
use sim::{RunOptions, Scenario};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// What a run keeps of one seed: its summary, and its history and
/// `run.json` when the seed is written to the folder.
type Kept = (SeedResult, Option<KeptSeed>);

struct KeptSeed {
    history: String,
    info: String,
}

/// One run of a list of seeds into a folder.
pub struct Plan<'a> {
    pub scenario: &'a Scenario,
    /// The file as given on the command line (for replay commands).
    pub scenario_file: &'a str,
    pub seeds: &'a [u64],
    pub jobs: usize,
    pub options: RunOptions,
    pub check_determinism: bool,
    /// Keep every seed's history, not only the failing ones.
    pub keep_histories: bool,
    pub out: &'a Path,
}

/// What [`execute`] found.
pub struct Done {
    pub results: RunResults,
    pub breaches: Vec<Breach>,
}

pub fn run(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let scenario = Scenario::load(&args.scenario)?;
    let regression_file = seeds::regression_file(&args.scenario);
    // Regression seeds run once per seed range: in the first shard only, so
    // that merged shards hold every seed exactly once.
    let first_shard = args.shard.is_none_or(|s| s.index == 1);
    let regressions = if args.no_regressions || !first_shard {
        Vec::new()
    } else {
        seeds::read_regressions(&regression_file)?
    };
    let range = seeds::range(args.seed.unwrap_or(scenario.seed), args.seeds, args.shard)?;
    let all = seeds::with_regressions(regressions, range);
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| output::default_run_dir(&scenario.name));
    let plan = Plan {
        scenario: &scenario,
        scenario_file: &args.scenario.display().to_string(),
        seeds: &all,
        jobs: args
            .jobs
            .map_or_else(sim::batch::default_jobs, |j| j as usize),
        options: RunOptions {
            plant_nondeterminism: args.plant_nondeterminism,
            ..RunOptions::default()
        },
        check_determinism: args.check_determinism,
        keep_histories: args.keep_histories,
        out: &out,
    };
    let done = execute(&plan)?;
    println!(
        "{}",
        reports::table::seeds_table(&done.results.seeds, CheckName::ALL)
    );
    if args.save_regressions {
        save(&regression_file, &done.breaches)?;
    }
    report_breaches(&args.scenario, &done.breaches, &out);
    println!("report: {}", out.join("report.html").display());
    Ok(if done.breaches.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Runs `plan.seeds`, judges them and writes the whole run folder.
pub fn execute(plan: &Plan) -> anyhow::Result<Done> {
    output::claim_run_dir(plan.out, &plan.scenario.name)?;
    let (mut summaries, kept, totals) = run_seeds(plan)?;
    summaries.sort_by_key(|s| s.seed);
    let breaches = judge(plan.scenario, &summaries);
    let resolved = format!(
        "# {}, resolved: every default written out, so this file runs by itself.\n{}",
        plan.scenario_file,
        plan.scenario.to_toml()
    );
    output::write_atomic(&plan.out.join("scenario.toml"), &resolved)?;
    for (seed, k) in &kept {
        let dir = plan.out.join("seeds").join(seed.to_string());
        output::write_atomic(&dir.join("history.jsonl"), &k.history)?;
        output::write_atomic(&dir.join("run.json"), &k.info)?;
    }
    let results = RunResults {
        scenario: plan.scenario.name.clone(),
        scenario_file: plan.scenario_file.to_string(),
        expect: expect_strings(plan.scenario),
        seeds: summaries,
        breaches: breaches.iter().map(describe).collect(),
        totals,
        summary: Some(summary(plan.scenario)),
    };
    output::write_atomic(&plan.out.join("results.json"), &results.to_json())?;
    report_cmd::write_reports(plan.out, &results)?;
    Ok(Done { results, breaches })
}

/// Runs every seed in parallel, with a progress bar on a terminal. Returns
/// every summary, and the seeds to write with their history: those that
/// broke an expectation (or all, with `keep_histories`) plus the lowest seed
/// with an invalid verdict (the report draws its timeline). Memory stays
/// flat: a history is dropped unless it is kept, and each seed's metric
/// distributions are merged into the run's totals as it finishes (sums and
/// maxima: the same whatever order seeds finish in).
fn run_seeds(
    plan: &Plan,
) -> anyhow::Result<(Vec<SeedResult>, BTreeMap<u64, KeptSeed>, SeedMetrics)> {
    let bar = progress_bar(plan.seeds.len() as u64);
    let violations = AtomicU64::new(0);
    let totals: Mutex<SeedMetrics> = Mutex::new(SeedMetrics::default());
    let first_invalid: Mutex<Option<(u64, KeptSeed)>> = Mutex::new(None);
    let runs = sim::batch::run_many(plan.seeds, plan.jobs, |seed| {
        let evaluated = if plan.check_determinism {
            determinism::run_twice(plan.scenario, seed, plan.options)?
                .map_err(anyhow::Error::msg)?
        } else {
            evaluate(plan.scenario, seed, plan.options)?
        };
        let (mut summary, breached, kept) = keep(plan.scenario, evaluated);
        {
            let mut totals = totals.lock().unwrap_or_else(|e| e.into_inner());
            *totals = SeedMetrics::merge([&*totals, &summary.metrics]);
        }
        summary.metrics = summary.metrics.slim();
        if breached {
            let n = violations.fetch_add(1, Ordering::Relaxed) + 1;
            bar.set_message(format!("{n} seed(s) broke an expectation"));
        }
        bar.inc(1);
        let invalid = summary.checks.values().any(|v| *v == Verdict::Invalid);
        if breached || plan.keep_histories {
            return anyhow::Ok((summary, Some(kept)));
        }
        if invalid {
            let mut first = first_invalid.lock().unwrap_or_else(|e| e.into_inner());
            if first.as_ref().is_none_or(|(s, _)| seed < *s) {
                *first = Some((seed, kept));
            }
        }
        anyhow::Ok((summary, None))
    });
    bar.finish_and_clear();
    let runs: Vec<Kept> = runs.into_iter().collect::<anyhow::Result<_>>()?;
    let mut kept = BTreeMap::new();
    let mut summaries = Vec::with_capacity(runs.len());
    for (summary, k) in runs {
        if let Some(k) = k {
            kept.insert(summary.seed, k);
        }
        summaries.push(summary);
    }
    let first = first_invalid
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    if let Some((seed, k)) = first {
        kept.entry(seed).or_insert(k);
    }
    let totals = totals.into_inner().unwrap_or_else(|e| e.into_inner());
    Ok((summaries, kept, totals))
}

/// A seed's summary, whether it broke an expectation, and what the folder
/// would keep of it.
fn keep(scenario: &Scenario, evaluated: Evaluated) -> (SeedResult, bool, KeptSeed) {
    let breached = !expect::seed_breaches(&scenario.expect, &evaluated.summary.checks).is_empty();
    let kept = KeptSeed {
        info: seed_info(&evaluated.outcome).to_json(),
        history: evaluated.history_jsonl,
    };
    (evaluated.summary, breached, kept)
}

fn progress_bar(seeds: u64) -> ProgressBar {
    // indicatif draws nothing when stderr is not a terminal.
    let bar = ProgressBar::new(seeds);
    let style = ProgressStyle::with_template("{bar:30} {pos}/{len} seeds  {msg}  eta {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

fn judge(scenario: &Scenario, summaries: &[SeedResult]) -> Vec<Breach> {
    let per_seed: Vec<(u64, BTreeMap<CheckName, Verdict>)> = summaries
        .iter()
        .map(|s| (s.seed, s.checks.clone()))
        .collect();
    expect::judge(&scenario.expect, &per_seed)
}

fn expect_strings(scenario: &Scenario) -> BTreeMap<CheckName, String> {
    let name = |e: &Expectation| match e {
        Expectation::Pass => "pass",
        Expectation::Fail => "fail",
        Expectation::Any => "any",
    };
    scenario
        .expect
        .iter()
        .map(|(c, e)| (*c, name(e).to_string()))
        .collect()
}

/// The scenario in words, for reports.
pub fn summary(s: &Scenario) -> ScenarioSummary {
    let d = |d| format_duration(d);
    let mix = &s.workload.mix;
    let mut network = format!(
        "latency {}, loss {}",
        latency(&s.network.latency),
        s.network.loss
    );
    if s.network.duplicate > 0.0 {
        network.push_str(&format!(", duplicate {}", s.network.duplicate));
    }
    if !s.network.kinds.is_empty() || !s.network.links.is_empty() {
        let (k, l) = (s.network.kinds.len(), s.network.links.len());
        network.push_str(&format!(" ({k} per-kind and {l} per-link latencies)"));
    }
    ScenarioSummary {
        name: s.name.clone(),
        description: s.description.clone(),
        protocol: format!("{:?}", s.cluster.protocol).to_lowercase(),
        nodes: s.cluster.nodes,
        replicas: s.cluster.replicas,
        write_quorum: s.cluster.write_quorum,
        read_quorum: s.cluster.read_quorum,
        duration: format!("{} + {} quiesce", d(s.duration), d(s.quiesce)),
        network,
        clocks: if s.clocks.skew.is_zero() && s.clocks.drift_ppm == 0.0 {
            "exact (no skew, no drift)".to_string()
        } else {
            format!(
                "skew up to ±{}, drift up to ±{} ppm",
                d(s.clocks.skew),
                s.clocks.drift_ppm
            )
        },
        workload: format!(
            "{} clients, {} keys, {} ops (get {}, put {}, delete {}, cas {})",
            s.workload.clients,
            s.workload.keys,
            s.workload.ops,
            mix.get,
            mix.put,
            mix.delete,
            mix.cas
        ),
        faults: s.faults.iter().map(sim::nemesis::describe).collect(),
        nemesis: s.nemesis.as_ref().map(|n| {
            let families: Vec<&str> = n.families.iter().map(|(f, _)| f.as_str()).collect();
            format!(
                "a fault every {} on average, lasting {}, from {}",
                d(n.interval),
                d(n.duration),
                families.join(", ")
            )
        }),
    }
}

fn latency(l: &Latency) -> String {
    let d = |d| format_duration(d);
    match l {
        Latency::Fixed(v) => format!("fixed {}", d(*v)),
        Latency::Uniform { min, max } => format!("uniform {}–{}", d(*min), d(*max)),
        Latency::Exponential { mean } => format!("exponential, mean {}", d(*mean)),
        Latency::Pareto { scale, shape } => format!("pareto, scale {}, shape {shape}", d(*scale)),
        Latency::Lognormal { median, sigma } => {
            format!("lognormal, median {}, sigma {sigma}", d(*median))
        }
        other => format!("{other:?}"),
    }
}

pub fn describe(breach: &Breach) -> String {
    match breach {
        Breach::Failed {
            check,
            seed,
            verdict,
        } => {
            format!("{check}: expected pass, seed {seed} was {verdict}")
        }
        Breach::NeverFailed { check, seeds } => {
            format!("{check}: expected to fail on some seed, valid on all {seeds}")
        }
    }
}

fn save(file: &Path, breaches: &[Breach]) -> anyhow::Result<()> {
    let failures: Vec<(u64, String)> = (breaches.iter())
        .filter_map(|b| match b {
            Breach::Failed { seed, .. } => Some((*seed, describe(b))),
            Breach::NeverFailed { .. } => None,
        })
        .collect();
    let added = seeds::save_regressions(file, &failures)?;
    if added > 0 {
        println!("saved {added} seed(s) to {}", file.display());
    }
    Ok(())
}

pub fn report_breaches(scenario: &Path, breaches: &[Breach], out: &Path) {
    if breaches.is_empty() {
        println!(
            "every expectation holds; results in {}",
            out.join("results.json").display()
        );
        return;
    }
    println!("{} expectation(s) broken:", breaches.len());
    for breach in breaches {
        println!("  {}", describe(breach));
        if let Breach::Failed { seed, .. } = breach {
            println!("    replay: {}", output::replay_command(scenario, *seed));
        }
    }
    println!("results in {}", out.join("results.json").display());
}
