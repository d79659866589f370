//! One seed, start to finish: simulate, check, summarise (verdicts and
//! metrics), and what a report needs of its run (`run.json`).

use check::{CheckName, CheckResult, EventType, History};
use reports::SeedResult;
use reports::seedinfo::{ClockInfo, FaultWindow, SeedInfo};
use sha2::{Digest, Sha256};
use sim::trace::TraceEvent;
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
    tracing::debug!(seed, events = outcome.history.events.len(), "checking");
    let results = check::run(&outcome.history, CheckName::ALL);
    let history_jsonl = outcome.history.to_jsonl();
    let summary = summarise(&outcome, &results, &history_jsonl);
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
        metrics: reports::metrics::seed_metrics(&outcome.history, results),
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
        faults: fault_windows(&outcome.trace, outcome.end_ns),
    }
}

/// Pairs the trace's fault events into windows: `<label>: cut N links` ends
/// at `healed <label>: ...`, `crash nN` at `restart nN`, `pause nN` at
/// `resume nN`, everything still open at `heal: every fault ends` (or the
/// run's end); a clock jump is an instant. Nemesis plans and phase markers
/// are skipped.
// TODO(lead): replace with the structured fault windows from `sim` when
// they exist; this reads the trace's wording.
fn fault_windows(trace: &[TraceEvent], end_ns: u64) -> Vec<FaultWindow> {
    let mut open: Vec<(String, u64)> = Vec::new();
    let mut done = Vec::new();
    let mut close = |what: String, start_ns: u64, end_ns: u64| {
        done.push(FaultWindow {
            start_ns,
            end_ns,
            what,
        })
    };
    for event in trace {
        let TraceEvent::Fault { time_ns, what } = event else {
            continue;
        };
        let t = *time_ns;
        let ended = |name: &str| open.iter().position(|(w, _)| w == name);
        if what.starts_with("nemesis") || what.starts_with("quiesced") {
            continue;
        } else if what.starts_with("heal:") {
            open.drain(..).for_each(|(w, start)| close(w, start, t));
        } else if let Some(label) = what
            .strip_prefix("healed ")
            .and_then(|r| r.rsplit_once(": "))
        {
            if let Some(i) = ended(label.0) {
                let (w, start) = open.remove(i);
                close(w, start, t);
            }
        } else if let Some((verb, node)) = what.split_once(' ')
            && let Some(start) = ["restart", "resume"].iter().position(|v| *v == verb)
        {
            let name = format!("{} {node}", ["crash", "pause"][start]);
            if let Some(i) = ended(&name) {
                let (w, start) = open.remove(i);
                close(w, start, t);
            }
        } else if let Some((label, _)) = what.rsplit_once(": cut ") {
            open.push((label.to_string(), t));
        } else if what.starts_with("crash ") || what.starts_with("pause ") {
            open.push((what.clone(), t));
        } else {
            let instant = what.split(" (").next().unwrap_or(what).to_string();
            close(instant, t, t);
        }
    }
    open.into_iter()
        .for_each(|(w, start)| close(w, start, end_ns));
    done.sort_by(|a, b| (a.start_ns, a.end_ns, &a.what).cmp(&(b.start_ns, b.end_ns, &b.what)));
    done
}

fn count_events(history: &History, kind: EventType) -> u64 {
    history.events.iter().filter(|e| e.kind == kind).count() as u64
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(time_ns: u64, what: &str) -> TraceEvent {
        TraceEvent::Fault {
            time_ns,
            what: what.to_string(),
        }
    }

    #[test]
    fn pairs_fault_starts_with_their_ends() {
        let trace = [
            fault(0, "nemesis plan: at 1s for 2s: crash n1"),
            fault(1, "partition [n0 n1] | [n2]: cut 4 links"),
            fault(2, "crash n1"),
            fault(3, "clock-jump n0 by -5ms (stepped -5ms in all)"),
            fault(4, "restart n1"),
            fault(5, "healed partition [n0 n1] | [n2]: 4 links"),
            fault(6, "pause n2"),
            fault(8, "heal: every fault ends"),
            fault(9, "quiesced: final reads"),
        ];
        let windows = fault_windows(&trace, 10);
        let windows: Vec<(u64, u64, &str)> = (windows.iter())
            .map(|w| (w.start_ns, w.end_ns, w.what.as_str()))
            .collect();
        assert_eq!(
            windows,
            vec![
                (1, 5, "partition [n0 n1] | [n2]"),
                (2, 4, "crash n1"),
                (3, 3, "clock-jump n0 by -5ms"),
                (6, 8, "pause n2"),
            ]
        );
    }
}
