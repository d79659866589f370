//! `storesim replay`: one seed again, in detail.

use crate::cli::ReplayArgs;
use crate::evaluate::evaluate;
use crate::output;
use check::Verdict;
use check::ms::{Precision, format_ms};
use sim::{RunOptions, Scenario};
use std::process::ExitCode;

pub fn replay(args: &ReplayArgs) -> anyhow::Result<ExitCode> {
    let scenario = Scenario::load(&args.scenario)?;
    let options = RunOptions {
        trace_messages: args.trace,
        ..RunOptions::default()
    };
    let evaluated = evaluate(&scenario, args.seed, options)?;
    let outcome = &evaluated.outcome;

    println!("scenario {:?}, seed {}", scenario.name, args.seed);
    if let Some(point) = scenario.swarm_point(args.seed) {
        // The point pinned: these [workload] values without [swarm] run the
        // same history on this seed (the point has a stream of its own).
        println!("  swarm point: {point}");
        let pinned: Vec<String> = (point.workload_values().into_iter())
            .map(|(k, v)| format!("{k} = {v}"))
            .collect();
        println!(
            "  pinned, in [workload] without [swarm]: {}",
            pinned.join("; ")
        );
    }
    for (node, (offset_ns, drift_ppm)) in outcome.clocks.iter().enumerate() {
        println!(
            "  n{node}: clock offset {:+.3} ms, drift {drift_ppm:+.1} ppm",
            *offset_ns as f64 / 1e6
        );
    }
    if args.trace {
        for event in &outcome.trace {
            println!("{event}");
        }
    }
    let s = &evaluated.summary;
    println!(
        "{} ops ({} ok, {} fail, {} info), {} messages, {} simulated",
        s.ops,
        s.ok,
        s.fail,
        s.info,
        s.messages,
        format_ms(s.sim_time_ns, Precision::Nanos)
    );
    for (check, result) in &evaluated.results {
        println!("{check}: {}", result.verdict);
        if matches!(result.verdict, Verdict::Invalid | Verdict::Unknown) {
            for line in result.explanation.lines() {
                println!("    {line}");
            }
        }
    }

    let dir = args.out.clone().unwrap_or_else(|| {
        output::default_run_dir(&scenario.name)
            .join("seeds")
            .join(args.seed.to_string())
    });
    let path = dir.join("history.jsonl");
    output::write_atomic(&path, &evaluated.history_jsonl)?;
    println!("history: {} (sha256 {})", path.display(), s.history_hash);

    let breaches = sim::expect::seed_breaches(&scenario.expect, &s.checks);
    Ok(if breaches.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
