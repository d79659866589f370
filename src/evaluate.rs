//! One seed, start to finish: simulate, check, summarise (verdicts and
//! metrics), and what a report needs of its run (`run.json`).

use check::{CheckName, CheckResult, EventType, History};
use reports::SeedResult;
use reports::seedinfo::{ClockInfo, Effect, FaultWindow, SeedInfo};
use sha2::{Digest, Sha256};
use sim::{RunOptions, RunOutcome, Scenario};
use std::collections::BTreeMap;

/// A seed's outcome with its verdicts.
pub struct Evaluated {
    pub outcome: RunOutcome,
    pub results: BTreeMap<CheckName, CheckResult>,
    pub summary: SeedResult,
    /// The seed's `history.jsonl`.
    pub history_jsonl: String,
}

/// Runs and checks one seed.
pub fn evaluate(scenario: &Scenario, seed: u64, options: RunOptions) -> anyhow::Result<Evaluated> {
    tracing::debug!(seed, "simulating");
    let outcome = sim::run_seed(scenario, seed, options)?;
    crate::release_memory();
    tracing::debug!(seed, events = outcome.history.events.len(), "checking");
    let results = check::run(&outcome.history, CheckName::ALL);
    let history_jsonl = outcome.history.to_jsonl();
    let summary = summarise(scenario, &outcome, &results, &history_jsonl);
    let invalid: Vec<&str> = (results.iter())
        .filter(|(_, r)| r.verdict == check::Verdict::Invalid)
        .map(|(c, _)| c.as_str())
        .collect();
    tracing::info!(seed, ops = summary.ops, messages = summary.messages, invalid = ?invalid, "seed done");
    Ok(Evaluated {
        outcome,
        results,
        summary,
        history_jsonl,
    })
}

/// A seed simulated and judged by some checks only.
pub struct Checked {
    pub outcome: RunOutcome,
    pub results: BTreeMap<CheckName, CheckResult>,
}

/// Runs one seed and only `checks`: what a search needs to decide whether
/// the seed still fails, without [`evaluate`]'s other checks, metrics,
/// history hash and JSON lines (most of a small seed's cost: `shrink` runs
/// thousands of seeds of a few operations each).
pub fn simulate_and_check(
    scenario: &Scenario,
    seed: u64,
    options: RunOptions,
    checks: &[CheckName],
) -> anyhow::Result<Checked> {
    let outcome = sim::run_seed(scenario, seed, options)?;
    crate::release_memory();
    let results = check::run(&outcome.history, checks);
    Ok(Checked { outcome, results })
}

fn summarise(
    scenario: &Scenario,
    outcome: &RunOutcome,
    results: &BTreeMap<CheckName, CheckResult>,
    history_jsonl: &str,
) -> SeedResult {
    let mut summary = summarise_history(
        &outcome.history,
        results,
        history_jsonl,
        &metrics_context(scenario, outcome),
    );
    summary.seed = outcome.seed;
    summary.messages = outcome.messages;
    summary.sim_time_ns = outcome.end_ns;
    summary.trace_hash = outcome.trace_hash.clone();
    summary.swarm = (scenario.swarm_point(outcome.seed).iter())
        .flat_map(|p| p.workload_values())
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    summary
}

/// A checked history's record (counts, verdicts, hash, metrics), whoever
/// made the history; seed, messages, time and trace are left for the
/// caller (zero and empty).
pub fn summarise_history(
    history: &History,
    results: &BTreeMap<CheckName, CheckResult>,
    history_jsonl: &str,
    context: &reports::metrics::SeedContext,
) -> SeedResult {
    let count = |kind| count_events(history, kind);
    SeedResult {
        seed: 0,
        ops: count(EventType::Invoke),
        ok: count(EventType::Ok),
        fail: count(EventType::Fail),
        info: count(EventType::Info),
        messages: 0,
        sim_time_ns: 0,
        checks: results.iter().map(|(name, r)| (*name, r.verdict)).collect(),
        history_hash: hex(&Sha256::digest(history_jsonl.as_bytes())),
        swarm: Default::default(),
        trace_hash: String::new(),
        metrics: reports::metrics::seed_metrics_in(history, results, context),
    }
}

/// What the metrics need of the scenario and the run: probes, faults, duration.
fn metrics_context(scenario: &Scenario, outcome: &RunOutcome) -> reports::metrics::SeedContext {
    let nanos = |d: std::time::Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    let w = &scenario.workload;
    reports::metrics::SeedContext {
        probes: w.probes.as_ref().map(|p| reports::probes::ProbeLayout {
            regular: w.clients,
            probes: p.clients,
            delays_ns: p.delays.iter().map(|d| nanos(*d)).collect(),
        }),
        faults: (outcome.faults.iter())
            .filter(|f| f.effect != sim::faults::windows::Effect::Membership)
            .map(|f| (f.start_ns, f.end_ns))
            .collect(),
        movements: (outcome.faults.iter())
            .filter(|f| {
                f.effect == sim::faults::windows::Effect::Membership && f.end_ns > f.start_ns
            })
            .map(|f| (f.start_ns, f.end_ns))
            .collect(),
        duration_ns: nanos(scenario.duration),
    }
}

/// `seeds/<S>/run.json`: each node's clock error and the fault windows.
pub fn seed_info(outcome: &RunOutcome) -> SeedInfo {
    let clocks = (outcome.clocks.iter().zip(0..))
        .map(|(&(offset_ns, drift_ppm), node)| ClockInfo {
            node,
            offset_ns,
            drift_ppm,
        })
        .collect();
    SeedInfo {
        clocks,
        faults: (outcome.faults.iter())
            .map(|w| FaultWindow {
                start_ns: w.start_ns,
                end_ns: w.end_ns,
                what: w.what.clone(),
                effect: Some(effect(&w.effect)),
            })
            .collect(),
    }
}

/// The simulator's fault effect as the report's (reports does not depend on sim).
fn effect(e: &sim::faults::windows::Effect) -> Effect {
    use sim::faults::windows::Effect as E;
    match e {
        E::Cut { links } => Effect::Cut {
            links: links.clone(),
        },
        E::Crash { node } => Effect::Crash { node: *node },
        E::Pause { node } => Effect::Pause { node: *node },
        E::Delay { node } => Effect::Delay { node: *node },
        E::ClockJump { node, by_ns } => Effect::ClockJump {
            node: *node,
            by_ns: *by_ns,
        },
        E::Messages {
            action,
            kinds,
            from,
            to,
            delay_ns,
            probability,
        } => Effect::Messages {
            action: action.clone(),
            kinds: kinds.clone(),
            from: from.clone(),
            to: to.clone(),
            delay_ns: *delay_ns,
            probability: probability.clone(),
        },
        E::Membership => Effect::Membership,
    }
}

fn count_events(history: &History, kind: EventType) -> u64 {
    history.events.iter().filter(|e| e.kind == kind).count() as u64
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
