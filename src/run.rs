//! `storesim run`: many seeds, a summary, the verdict on `[expect]`, and a
//! run folder a person who was not there can read:
//!
//! ```text
//! DIR/scenario.toml            the scenario, every default written out
//! DIR/seeds.jsonl              one line per seed, ascending: verdicts, metrics,
//!                              hashes (reports::SeedResult)
//! DIR/results.json             the run: expectations, breaches, metric totals and
//!                              a bounded digest of the seeds (reports::results)
//! DIR/seeds/<S>/history.jsonl  seeds that broke an expectation, the lowest
//! DIR/seeds/<S>/run.json       invalid seed of each check, or every seed with
//!                              --keep-histories; run.json holds clock errors and
//!                              fault windows
//! DIR/report.md, report.html   the report (reports::report)
//! DIR/*.svg                    each plot of the report
//! ```
//!
//! Memory stays flat however many seeds run: records stream to `seeds.jsonl`
//! in seed order as seeds finish (`sim::batch::run_each` holds a bounded
//! window of early finishers), kept seeds are written as soon as they finish,
//! and what the run holds until the end is bounded (digest, metric totals,
//! terminal rows, one candidate history per check).
//!
//! [`execute`] is the one way to run a list of seeds into a folder; `sweep`
//! calls it once per point.

use crate::cli::RunArgs;
use crate::evaluate::{Evaluated, evaluate, seed_info};
use crate::kept::{KeptSeed, Lowest};
use crate::records::Sink;
use crate::{breaches, determinism, output, report_cmd, seeds, summary};

use crate::breaches::Broken;
use check::{CheckName, Verdict};
use indicatif::{ProgressBar, ProgressStyle};
use reports::metrics::SeedMetrics;
use reports::results::Digest;
use reports::table::Rows;
use reports::{RunResults, SeedResult};
use sim::expect;
use sim::{RunOptions, Scenario};
use std::ops::ControlFlow;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// One run of a list of seeds into a folder.
pub struct Plan<'a> {
    pub scenario: &'a Scenario,
    /// The file as given on the command line (for replay commands).
    pub scenario_file: &'a str,
    /// Run in this order (saved regression seeds first), each once; the
    /// records are written in ascending seed order.
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
    /// The seeds the terminal summary shows.
    pub rows: Rows,
    /// One per expectation broken.
    pub breaches: Vec<Broken>,
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
        options: if args.plant_nondeterminism {
            (RunOptions::default().with_planted_nondeterminism()).ok_or_else(|| {
                anyhow::anyhow!("--plant-nondeterminism is for storesim's own tests: this build has no planted bugs")
            })?
        } else {
            RunOptions::default()
        },
        check_determinism: args.check_determinism,
        keep_histories: args.keep_histories,
        out: &out,
    };
    let done = execute(&plan)?;
    println!(
        "{}",
        reports::table::seeds_table(&done.results.digest, &done.rows, CheckName::ALL)
    );
    if let Some(line) = done.results.totals.conditional.line() {
        println!("{line}");
    }
    if let Some(line) = done.results.totals.moves.sentence() {
        println!("membership: {line}");
    }
    if let Some(line) = done.results.totals.access.line() {
        println!("{line}");
    }
    if args.save_regressions {
        breaches::save(&regression_file, &done.breaches)?;
    }
    let swarm = scenario.swarm.as_ref();
    breaches::report_breaches(&args.scenario, swarm, &done.breaches, &out);
    println!("report: {}", out.join("report.html").display());
    Ok(if done.breaches.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Runs `plan.seeds`, judges them and writes the whole run folder.
pub fn execute(plan: &Plan) -> anyhow::Result<Done> {
    open_folder(plan.out, plan.scenario, plan.scenario_file)?;
    let (digest, rows, totals) = run_seeds(plan)?;
    close_folder(
        plan.out,
        plan.scenario,
        plan.scenario_file,
        (digest, rows),
        totals,
    )
}

/// Claims `out` as the scenario's run folder and writes its resolved
/// `scenario.toml`: the start of every run folder (`run`, `sweep`, `drive`).
pub fn open_folder(out: &Path, scenario: &Scenario, scenario_file: &str) -> anyhow::Result<()> {
    output::claim_run_dir(out, &scenario.name)?;
    let resolved = format!(
        "# {scenario_file}, resolved: every default written out, so this file runs by itself.\n{}",
        scenario.to_toml()
    );
    output::write_atomic(&out.join("scenario.toml"), &resolved)
}

/// Judges the seeds' digest against `[expect]` and writes `results.json`
/// and the report: the end of every run folder, whoever produced the seeds.
pub fn close_folder(
    out: &Path,
    scenario: &Scenario,
    scenario_file: &str,
    (digest, rows): (Digest, Rows),
    totals: SeedMetrics,
) -> anyhow::Result<Done> {
    let breaches = breaches::judge(&scenario.expect, &digest);
    let results = RunResults {
        scenario: scenario.name.clone(),
        scenario_file: scenario_file.to_string(),
        expect: breaches::expect_strings(scenario),
        digest,
        breaches: breaches.iter().map(breaches::describe).collect(),
        totals,
        summary: Some(summary::summary(scenario)),
    };
    output::write_atomic(&out.join("results.json"), &results.to_json())?;
    report_cmd::write_reports(out, &results)?;
    Ok(Done {
        results,
        rows,
        breaches,
    })
}

/// What the workers of a run share: bounded, whatever the number of seeds.
struct Shared {
    bar: ProgressBar,
    /// Seeds that broke an expectation so far (for the progress bar).
    violations: AtomicU64,
    /// Every finished seed's metrics merged (sums and maxima: the same
    /// whatever order seeds finish in).
    totals: Mutex<SeedMetrics>,
    /// The lowest invalid seed of each check so far, and their histories
    /// unless already written: the report draws a counterexample from each.
    lowest: Mutex<Lowest>,
}

impl Shared {
    fn lowest(&self) -> std::sync::MutexGuard<'_, Lowest> {
        self.lowest.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Runs every seed in parallel, with a progress bar on a terminal, streaming
/// the records to `seeds.jsonl` in ascending seed order. Seeds out of that
/// order at the head of the list (saved regression seeds, run first) wait for
/// their place in memory; the rest stream. Returns the digest and terminal
/// rows of the records, and the merged metrics.
fn run_seeds(plan: &Plan) -> anyhow::Result<(Digest, Rows, SeedMetrics)> {
    let shared = Shared {
        bar: progress_bar(plan.seeds.len() as u64),
        violations: AtomicU64::new(0),
        totals: Mutex::new(SeedMetrics::default()),
        lowest: Mutex::new(Lowest::default()),
    };
    let work = |seed| run_one(plan, &shared, seed);
    let mut sink = Sink::create(plan.out)?;
    let (head, tail) = plan.seeds.split_at(ascending_tail(plan.seeds));
    let streamed = (|| {
        let mut early = Vec::with_capacity(head.len());
        stream(head, plan.jobs, &work, |r| {
            early.push(r);
            Ok(())
        })?;
        early.sort_by_key(|r| r.seed);
        let mut early = early.into_iter().peekable();
        stream(tail, plan.jobs, &work, |r| {
            while let Some(e) = early.next_if(|e| e.seed < r.seed) {
                sink.push(&e)?;
            }
            sink.push(&r)
        })?;
        early.try_for_each(|e| sink.push(&e))
    })();
    shared.bar.finish_and_clear();
    streamed?;
    (shared.lowest.into_inner())
        .unwrap_or_else(|e| e.into_inner())
        .write(plan.out)?;
    let (digest, rows) = sink.finish()?;
    let totals = shared
        .totals
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    Ok((digest, rows, totals))
}

/// Where the strictly ascending end of `seeds` starts.
fn ascending_tail(seeds: &[u64]) -> usize {
    let rising = seeds.windows(2).rev().take_while(|w| w[0] < w[1]).count();
    seeds.len().saturating_sub(rising + 1)
}

/// Runs `seeds` with `sim::batch::run_each`, handing each record to `each`
/// in list order; stops at the first error in that order.
fn stream(
    seeds: &[u64],
    jobs: usize,
    work: &(impl Fn(u64) -> anyhow::Result<SeedResult> + Sync),
    mut each: impl FnMut(SeedResult) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let flow = sim::batch::run_each(seeds, jobs, work, |_, result| {
        match result.and_then(&mut each) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => ControlFlow::Break(e),
        }
    });
    match flow {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(e) => Err(e),
    }
}

/// Runs and checks one seed, writes its history if the folder keeps it,
/// merges its metrics into the totals and returns its record (slim metrics).
fn run_one(plan: &Plan, shared: &Shared, seed: u64) -> anyhow::Result<SeedResult> {
    let evaluated = if plan.check_determinism {
        determinism::run_twice(plan.scenario, seed, plan.options)?.map_err(anyhow::Error::msg)?
    } else {
        evaluate(plan.scenario, seed, plan.options)?
    };
    let Evaluated {
        outcome,
        mut summary,
        history_jsonl,
        ..
    } = evaluated;
    let breached = !expect::seed_breaches(&plan.scenario.expect, &summary.checks).is_empty();
    let keep = breached || plan.keep_histories;
    let invalid: Vec<CheckName> = (summary.checks.iter())
        .filter(|(_, v)| **v == Verdict::Invalid)
        .map(|(c, _)| *c)
        .collect();
    let lowest = !invalid.is_empty() && shared.lowest().would_take(seed, &invalid);
    if keep || lowest {
        let kept = KeptSeed {
            info: seed_info(&outcome).to_json(),
            history: history_jsonl,
        };
        if keep {
            kept.write(plan.out, seed)?;
        }
        if lowest {
            shared
                .lowest()
                .offer(seed, &invalid, (!keep).then_some(kept));
        }
    }
    {
        let mut totals = shared.totals.lock().unwrap_or_else(|e| e.into_inner());
        *totals = SeedMetrics::merge([&*totals, &summary.metrics]);
    }
    summary.metrics = summary.metrics.slim();
    if breached {
        let n = shared.violations.fetch_add(1, Ordering::Relaxed) + 1;
        shared
            .bar
            .set_message(format!("{n} seed(s) broke an expectation"));
    }
    shared.bar.inc(1);
    Ok(summary)
}

fn progress_bar(seeds: u64) -> ProgressBar {
    // indicatif draws nothing when stderr is not a terminal.
    let bar = ProgressBar::new(seeds);
    let style = ProgressStyle::with_template("{bar:30} {pos}/{len} seeds  {msg}  eta {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regression_seeds_out_of_order_run_first_and_the_rest_streams() {
        fn split(s: &[u64]) -> (&[u64], &[u64]) {
            s.split_at(ascending_tail(s))
        }
        assert_eq!(split(&[7, 3, 1, 2, 4]), (&[7, 3][..], &[1, 2, 4][..]));
        assert_eq!(split(&[1, 2, 3]), (&[][..], &[1, 2, 3][..]));
        assert_eq!(split(&[5]), (&[][..], &[5][..]));
        assert_eq!(split(&[]), (&[][..], &[][..]));
    }
}
