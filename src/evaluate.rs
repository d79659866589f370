//! One seed, start to finish: simulate, check, summarise.

use check::{CheckName, CheckResult, EventType, History};
use reports::SeedResult;
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
    let outcome = sim::run_seed(scenario, seed, options)?;
    let results = check::run(&outcome.history, CheckName::ALL);
    let history_jsonl = outcome.history.to_jsonl();
    let summary = summarise(&outcome, &results, &history_jsonl);
    Ok(Evaluated {
        outcome,
        results,
        summary,
        history_jsonl,
    })
}

fn summarise(
    outcome: &RunOutcome,
    results: &BTreeMap<CheckName, CheckResult>,
    history_jsonl: &str,
) -> SeedResult {
    let count = |kind| count_events(&outcome.history, kind);
    SeedResult {
        seed: outcome.seed,
        ops: count(EventType::Invoke),
        ok: count(EventType::Ok),
        fail: count(EventType::Fail),
        info: count(EventType::Info),
        messages: outcome.messages,
        sim_time_ns: outcome.end_ns,
        checks: results.iter().map(|(name, r)| (*name, r.verdict)).collect(),
        history_hash: hex(&Sha256::digest(history_jsonl.as_bytes())),
        trace_hash: outcome.trace_hash.clone(),
    }
}

fn count_events(history: &History, kind: EventType) -> u64 {
    history.events.iter().filter(|e| e.kind == kind).count() as u64
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
