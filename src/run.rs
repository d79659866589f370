//! `storesim run`: many seeds, a table, the verdict on `[expect]`.

use crate::cli::RunArgs;
use crate::evaluate::{Evaluated, evaluate};
use crate::{determinism, output, seeds};

use check::{CheckName, Verdict};
use indicatif::{ProgressBar, ProgressStyle};
use reports::{RunResults, SeedResult};
use sim::expect::{self, Breach};
use sim::scenario::Expectation;
use sim::{RunOptions, Scenario};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};

/// What a run keeps of one seed: its summary, and its history if it broke an expectation.
type Kept = (SeedResult, Option<String>);

pub fn run(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let scenario = Scenario::load(&args.scenario)?;
    let regression_file = seeds::regression_file(&args.scenario);
    let regressions = if args.no_regressions {
        Vec::new()
    } else {
        seeds::read_regressions(&regression_file)?
    };
    let range = seeds::range(args.seed.unwrap_or(scenario.seed), args.seeds, args.shard)?;
    let all = seeds::with_regressions(regressions, range);
    let jobs = args
        .jobs
        .map_or_else(sim::batch::default_jobs, |j| j as usize);
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| output::default_run_dir(&scenario.name));
    output::claim_run_dir(&out, &scenario.name)?;
    let options = RunOptions {
        plant_nondeterminism: args.plant_nondeterminism,
        ..RunOptions::default()
    };

    let runs = run_seeds(&scenario, &all, jobs, options, args.check_determinism)?;
    let mut summaries: Vec<SeedResult> = runs.iter().map(|(s, _)| s.clone()).collect();
    summaries.sort_by_key(|s| s.seed);
    let breaches = judge(&scenario, &summaries);
    println!(
        "{}",
        reports::table::seeds_table(&summaries, CheckName::ALL)
    );

    for (summary, history) in &runs {
        if let Some(history) = history {
            let path = out
                .join("seeds")
                .join(summary.seed.to_string())
                .join("history.jsonl");
            output::write_atomic(&path, history)?;
        }
    }
    let results = RunResults {
        scenario: scenario.name.clone(),
        scenario_file: args.scenario.display().to_string(),
        expect: expect_strings(&scenario),
        seeds: summaries,
        breaches: breaches.iter().map(describe).collect(),
    };
    output::write_atomic(&out.join("results.json"), &results.to_json())?;
    if args.save_regressions {
        save(&regression_file, &breaches)?;
    }
    report_breaches(&args.scenario, &breaches, &out);
    Ok(if breaches.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Runs every seed in parallel, with a progress bar on a terminal.
fn run_seeds(
    scenario: &Scenario,
    seeds: &[u64],
    jobs: usize,
    options: RunOptions,
    twice: bool,
) -> anyhow::Result<Vec<Kept>> {
    let bar = progress_bar(seeds.len() as u64);
    let violations = AtomicU64::new(0);
    let runs = sim::batch::run_many(seeds, jobs, |seed| {
        let evaluated = if twice {
            determinism::run_twice(scenario, seed, options)?.map_err(anyhow::Error::msg)?
        } else {
            evaluate(scenario, seed, options)?
        };
        let kept = keep(scenario, evaluated);
        if kept.1.is_some() {
            let n = violations.fetch_add(1, Ordering::Relaxed) + 1;
            bar.set_message(format!("{n} seed(s) broke an expectation"));
        }
        bar.inc(1);
        anyhow::Ok(kept)
    });
    bar.finish_and_clear();
    runs.into_iter().collect()
}

/// Keeps only what the run folder needs, so memory stays flat over many seeds.
fn keep(scenario: &Scenario, evaluated: Evaluated) -> Kept {
    let breached = !expect::seed_breaches(&scenario.expect, &evaluated.summary.checks).is_empty();
    (
        evaluated.summary,
        breached.then_some(evaluated.history_jsonl),
    )
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
