//! `storesim bench`: simulator speed, as rates and as a ratio to raw madsim.
//!
//! Wall-clock time is measured here, in the CLI, and nowhere else: it never
//! reaches a history, a trace or `results.json`.

use crate::cli::BenchArgs;
use crate::evaluate::evaluate;
use sim::{RunOptions, Scenario};
use std::process::ExitCode;
use std::time::Instant;
use tabled::builder::Builder;
use tabled::settings::Style;

/// One measured configuration.
struct Rate {
    what: String,
    seeds: u64,
    ops: u64,
    messages: u64,
    secs: f64,
}

pub fn bench(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    let scenario = Scenario::load(&args.scenario)?;
    if cfg!(debug_assertions) {
        eprintln!("warning: a debug build; measure with `cargo run --release -- bench`");
    }
    let baseline = match &args.baseline {
        Some(path) => {
            let name = path.file_stem().unwrap_or_default().to_string_lossy();
            Some((Scenario::load(path)?, format!("{name}, 1 job(s)")))
        }
        None => None,
    };
    let (mut raw, mut one, mut two, mut base) = (None, None, None, None);
    // Interleaved, so that a slow spell of the machine hits every row alike.
    for _ in 0..args.repeat {
        raw = fastest(raw, raw_loop(args.raw_calls));
        one = fastest(one, storesim(&scenario, args.seeds, 1)?);
        two = fastest(two, storesim(&scenario, args.seeds, 2)?);
        if let Some((baseline, what)) = &baseline {
            let mut rate = storesim(baseline, args.baseline_seeds, 1)?;
            rate.what = what.clone();
            base = fastest(base, rate);
        }
    }
    let (raw, one, two) = (
        raw.expect("repeat ≥ 1"),
        one.expect("measured"),
        two.expect("measured"),
    );
    let mut table = Builder::default();
    table.push_record([
        "run",
        "seeds",
        "ops",
        "messages",
        "wall s",
        "seeds/s",
        "ops/s",
        "messages/s",
    ]);
    for r in [Some(&raw), Some(&one), Some(&two), base.as_ref()]
        .into_iter()
        .flatten()
    {
        table.push_record([
            r.what.clone(),
            r.seeds.to_string(),
            r.ops.to_string(),
            r.messages.to_string(),
            format!("{:.2}", r.secs),
            format!("{:.0}", r.seeds as f64 / r.secs),
            format!("{:.0}", r.ops as f64 / r.secs),
            format!("{:.0}", r.messages as f64 / r.secs),
        ]);
    }
    println!("{}", table.build().with(Style::sharp()));
    println!(
        "(each row: the fastest of {} interleaved measurements)",
        args.repeat
    );
    let rate = |r: &Rate| r.messages as f64 / r.secs;
    println!(
        "storesim / raw madsim messages per second (1 job): {:.0}%",
        100.0 * rate(&one) / rate(&raw)
    );
    if let Some(base) = &base {
        println!(
            "storesim / baseline messages per second (1 job each): {:.0}%",
            100.0 * rate(&one) / rate(base)
        );
    }
    println!("speed-up with 2 jobs: {:.2}x", one.secs / two.secs);
    let (simulate, check) = split_time(&scenario, args.seeds.min(50))?;
    println!(
        "per seed: simulating {:.2} ms, checking every check {:.2} ms (slowest seed's check: {:.2} ms)",
        simulate.mean_ms, check.mean_ms, check.max_ms
    );
    Ok(ExitCode::SUCCESS)
}

/// The faster of two measurements of the same work.
fn fastest(best: Option<Rate>, new: Rate) -> Option<Rate> {
    Some(match best {
        Some(best) if best.secs <= new.secs => best,
        _ => new,
    })
}

struct Timing {
    mean_ms: f64,
    max_ms: f64,
}

/// Wall time spent simulating versus checking, seed by seed, on one thread.
fn split_time(scenario: &Scenario, seeds: u64) -> anyhow::Result<(Timing, Timing)> {
    let (mut sim_ms, mut check_ms) = (Vec::new(), Vec::new());
    for seed in 1..=seeds {
        let start = Instant::now();
        let outcome = sim::run_seed(scenario, seed, RunOptions::default())?;
        let simulated = Instant::now();
        let _ = check::run(&outcome.history, check::CheckName::ALL);
        check_ms.push(simulated.elapsed().as_secs_f64() * 1e3);
        sim_ms.push((simulated - start).as_secs_f64() * 1e3);
    }
    let timing = |v: &[f64]| Timing {
        mean_ms: v.iter().sum::<f64>() / v.len().max(1) as f64,
        max_ms: v.iter().copied().fold(0.0, f64::max),
    };
    Ok((timing(&sim_ms), timing(&check_ms)))
}

/// The yardstick: `calls` RPCs in all, from 30 concurrent clients to 3
/// servers under madsim's default latency (`sim::bench`).
fn raw_loop(calls: u64) -> Rate {
    use sim::bench::{YARDSTICK_CLIENTS, YARDSTICK_SERVERS};
    let start = Instant::now();
    let per_client = (calls / u64::from(YARDSTICK_CLIENTS)).max(1);
    let messages = sim::bench::raw_rpc_loop(1, YARDSTICK_SERVERS, YARDSTICK_CLIENTS, per_client);
    let secs = start.elapsed().as_secs_f64();
    Rate {
        what: format!("raw madsim RPC loop ({YARDSTICK_CLIENTS} clients)"),
        seeds: 1,
        ops: 0,
        messages,
        secs,
    }
}

fn storesim(scenario: &Scenario, seeds: u64, jobs: usize) -> anyhow::Result<Rate> {
    let list: Vec<u64> = (1..=seeds).collect();
    let start = Instant::now();
    let runs = sim::batch::run_many(&list, jobs, |seed| {
        evaluate(scenario, seed, RunOptions::default()).map(|e| (e.summary.ops, e.summary.messages))
    });
    let secs = start.elapsed().as_secs_f64();
    let mut rate = Rate {
        what: format!("storesim, {jobs} job(s)"),
        seeds,
        ops: 0,
        messages: 0,
        secs,
    };
    for run in runs {
        let (ops, messages) = run?;
        rate.ops += ops;
        rate.messages += messages;
    }
    Ok(rate)
}
