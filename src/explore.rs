//! `storesim explore`: fresh seeds, on every core, until an expectation
//! breaks or time is up; then the breach is written as a run folder and
//! shrunk.
//!
//! Seeds come in a fixed order: `S, S+1, ...` from `--seed` (default the
//! scenario's), or with `--shard K/N` only those `S + i` with
//! `i mod N = K - 1`, so N machines explore disjoint seeds. They run in
//! batches on `--jobs` threads and are judged in that order, so the breach
//! reported is the first breaking seed of the order, whatever the number of
//! jobs (with the time it took as the only thing the machine decides).
//!
//! The time limit (`--time`) is the only wall-clock reading in storesim, and
//! it stays here: it decides how many seeds run, never what a seed does.
//! Every seed is a pure function of (scenario, seed), so a breach found
//! after ten minutes replays from its seed alone, and so does each seed an
//! exploration passed.
//!
//! A breach is a seed on which a check whose `[expect]` is `"pass"` is
//! invalid or unknown (what `run` reports as broken for that seed). A
//! `"fail"` expectation holds over many seeds, never on one, so exploring
//! does not look for it.

use crate::cli::{ExploreArgs, ShrinkArgs};
use crate::evaluate::evaluate;
use crate::{output, run, shrink};
use anyhow::{Context, bail};
use check::{CheckName, Verdict};
use sim::{RunOptions, Scenario};
use std::io::Write;
use std::ops::ControlFlow;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Seeds per job in one batch: enough to keep every core busy, few enough
/// that the time limit and a breach stop a batch soon.
const BATCH_PER_JOB: u64 = 16;

/// Time between two progress lines.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

/// What exploring found.
enum Found {
    /// A seed broke `check`'s `pass` expectation.
    Breach { seed: u64, check: CheckName },
    /// Time or the seed budget ran out first.
    Nothing,
}

/// Counters for the progress line.
struct Progress {
    started: Instant,
    last: Instant,
    seeds: u64,
    /// Seeds with an invalid verdict an expectation allows (`fail`, `any`).
    invalid: u64,
}

impl Progress {
    fn line(&self) -> String {
        let secs = self.started.elapsed().as_secs_f64();
        let rate = if secs > 0.0 {
            self.seeds as f64 / secs
        } else {
            0.0
        };
        format!(
            "explore: {} seeds in {secs:.0} s ({rate:.1} seeds/s), {} with an allowed invalid verdict, 0 breaches",
            self.seeds, self.invalid
        )
    }
}

pub fn explore(args: &ExploreArgs) -> anyhow::Result<ExitCode> {
    let scenario = Scenario::load(&args.scenario)?;
    let limit = sim::scenario::parse_duration(&args.time)
        .map_err(|why| anyhow::anyhow!("--time {:?}: {why}", args.time))?;
    if limit.is_zero() {
        bail!("--time must be positive, e.g. \"10m\"");
    }
    let file = args.scenario.display().to_string();
    let first = args.seed.unwrap_or(scenario.seed);
    let shard = args
        .shard
        .unwrap_or(crate::seeds::Shard { index: 1, count: 1 });
    let jobs = args
        .jobs
        .map_or_else(sim::batch::default_jobs, |j| j as usize);
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| output::default_run_dir(&scenario.name).join("explore"));
    eprintln!(
        "exploring {file}: seeds from {first}, shard {}/{}, {jobs} job(s), for {}{}",
        shard.index,
        shard.count,
        sim::scenario::format_duration(limit),
        args.max_seeds
            .map(|n| format!(" or {n} seeds"))
            .unwrap_or_default()
    );
    eprintln!("each seed draws: {}", drawn_per_seed(&scenario));
    let found = search(&scenario, first, shard, jobs, limit, args.max_seeds)?;
    let Found::Breach { seed, check } = found else {
        println!("no expectation broke: every seed explored meets the scenario's [expect]");
        return Ok(ExitCode::SUCCESS);
    };
    println!("seed {seed} breaks {check}: expected pass");
    if let Some(point) = scenario.swarm_point(seed) {
        println!("  swarm point of seed {seed}: {point}");
    }
    write_breach(&scenario, &file, seed, &out, jobs)?;
    let shrunk = out.join(format!("shrunk-seed-{seed}.toml"));
    shrink::shrink(&ShrinkArgs {
        scenario: args.scenario.clone(),
        seed,
        check: Some(check.as_str().to_string()),
        tries: 8,
        out: Some(shrunk),
    })?;
    Ok(ExitCode::from(1))
}

/// The seeds of `shard` from `first`, in batches, until a breach, the time
/// limit or `max_seeds`.
fn search(
    scenario: &Scenario,
    first: u64,
    shard: crate::seeds::Shard,
    jobs: usize,
    limit: Duration,
    max_seeds: Option<u64>,
) -> anyhow::Result<Found> {
    let started = Instant::now();
    let mut progress = Progress {
        started,
        last: started,
        seeds: 0,
        invalid: 0,
    };
    let budget = max_seeds.unwrap_or(u64::MAX);
    let mut next = 0u64; // index into the shard's seeds
    while progress.seeds < budget && started.elapsed() < limit {
        let size = (BATCH_PER_JOB * jobs as u64).min(budget - progress.seeds);
        let seeds: Vec<u64> = (0..size)
            .filter_map(|i| shard_seed(first, shard, next + i))
            .collect();
        if seeds.is_empty() {
            break; // the seed space is exhausted
        }
        next += size;
        let work = |s| evaluate(scenario, s, RunOptions::default());
        let flow = sim::batch::run_each(&seeds, jobs, work, |_, run| {
            let run = match run {
                Ok(run) => run,
                Err(e) => return ControlFlow::Break(Err(e)),
            };
            progress.seeds += 1;
            let verdicts = &run.summary.checks;
            if let Some(check) = sim::expect::seed_breaches(&scenario.expect, verdicts).first() {
                return ControlFlow::Break(Ok(Found::Breach {
                    seed: run.summary.seed,
                    check: *check,
                }));
            }
            progress.invalid += u64::from(verdicts.values().any(|v| *v == Verdict::Invalid));
            if started.elapsed() >= limit {
                return ControlFlow::Break(Ok(Found::Nothing));
            }
            if progress.last.elapsed() >= PROGRESS_EVERY {
                progress.last = Instant::now();
                eprintln!("{}", progress.line());
            }
            ControlFlow::Continue(())
        });
        if let ControlFlow::Break(found) = flow {
            let found = found?;
            eprintln!("{}", progress.line());
            return Ok(found);
        }
    }
    eprintln!("{}", progress.line());
    let _ = std::io::stderr().flush();
    Ok(Found::Nothing)
}

/// The `i`-th seed of `shard` from `first`, if it fits in 64 bits.
fn shard_seed(first: u64, shard: crate::seeds::Shard, i: u64) -> Option<u64> {
    let offset = i.checked_mul(shard.count)?.checked_add(shard.index - 1)?;
    first.checked_add(offset)
}

/// Writes the breaching seed as a run folder of its own (`run`'s, for that
/// one seed: resolved scenario, verdicts, history, report) and says how to
/// replay it.
fn write_breach(
    scenario: &Scenario,
    file: &str,
    seed: u64,
    out: &std::path::Path,
    jobs: usize,
) -> anyhow::Result<()> {
    let plan = run::Plan {
        scenario,
        scenario_file: file,
        seeds: &[seed],
        jobs,
        options: RunOptions::default(),
        check_determinism: false,
        keep_histories: true,
        out,
    };
    run::execute(&plan).with_context(|| format!("writing the breach to {}", out.display()))?;
    println!(
        "breach written to {} (scenario.toml, history, report); replay: {}",
        out.display(),
        output::replay_command(&out.join("scenario.toml"), seed)
    );
    Ok(())
}

/// What varies from seed to seed besides timing and latencies, in words:
/// explore explores whatever the scenario declares (`[swarm]`, `[nemesis]`
/// and its families, `[buggify]`, random halves, probabilistic message
/// faults); it turns nothing on by itself, so a breach replays with the
/// scenario file as it is.
fn drawn_per_seed(scenario: &Scenario) -> String {
    let mut what = vec!["latencies and operations".to_string()];
    if let Some(point) = scenario.swarm.as_ref() {
        let knobs: Vec<&str> = [
            (point.keys.is_some(), "keys"),
            (point.key_skew.is_some(), "key_skew"),
            (point.clients.is_some(), "clients"),
            (point.think.is_some(), "think"),
            (point.mix.is_some(), "mix"),
        ]
        .into_iter()
        .filter_map(|(on, k)| on.then_some(k))
        .collect();
        what.push(format!("a swarm point ({})", knobs.join(", ")));
    }
    if scenario.nemesis.is_some() {
        what.push("a nemesis plan".into());
    }
    if scenario.buggify.is_some() {
        what.push("buggify hits".into());
    }
    if (scenario.faults.iter()).any(|f| matches!(f.kind, sim::scenario::FaultKind::RandomHalves)) {
        what.push("random halves".into());
    }
    what.join(", ")
}
