//! `storesim run`: many seeds, a table, the verdict on `[expect]`.

use crate::cli::RunArgs;
use crate::evaluate::evaluate;
use crate::output;
use anyhow::Context;
use check::{CheckName, Verdict};
use reports::{RunResults, SeedResult};
use sim::expect::{self, Breach};
use sim::{RunOptions, Scenario};
use std::collections::BTreeMap;
use std::process::ExitCode;

pub fn run(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let scenario = Scenario::load(&args.scenario)?;
    let first = args.seed.unwrap_or(scenario.seed);
    let last = first
        .checked_add(args.seeds - 1)
        .context("--seed + --seeds overflows u64")?;
    let seeds: Vec<u64> = (first..=last).collect();
    let jobs = args
        .jobs
        .map_or_else(sim::batch::default_jobs, |j| j as usize);
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| output::default_run_dir(&scenario.name));
    output::claim_run_dir(&out, &scenario.name)?;

    let runs = sim::batch::run_many(&seeds, jobs, |seed| {
        let evaluated = evaluate(&scenario, seed, RunOptions::default())?;
        let verdicts = evaluated.summary.checks.clone();
        let breached = !expect::seed_breaches(&scenario.expect, &verdicts).is_empty();
        // Keep only what the run folder needs: memory stays flat over many seeds.
        let history = breached.then_some(evaluated.history_jsonl);
        anyhow::Ok((evaluated.summary, history))
    });
    let runs = runs.into_iter().collect::<anyhow::Result<Vec<_>>>()?;

    let per_seed: Vec<(u64, BTreeMap<CheckName, Verdict>)> = runs
        .iter()
        .map(|(s, _)| (s.seed, s.checks.clone()))
        .collect();
    let breaches = expect::judge(&scenario.expect, &per_seed);
    let summaries: Vec<SeedResult> = runs.iter().map(|(s, _)| s.clone()).collect();
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
        seeds: summaries,
        breaches: breaches.iter().map(describe).collect(),
    };
    output::write_atomic(&out.join("results.json"), &results.to_json())?;

    report_breaches(args, &breaches, &out);
    Ok(if breaches.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn describe(breach: &Breach) -> String {
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

fn report_breaches(args: &RunArgs, breaches: &[Breach], out: &std::path::Path) {
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
            println!(
                "    replay: {}",
                output::replay_command(&args.scenario, *seed)
            );
        }
    }
    println!("results in {}", out.join("results.json").display());
}
