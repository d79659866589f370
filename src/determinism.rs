//! `--check-determinism`: run a seed twice and compare everything it produced.

use crate::evaluate::{Evaluated, evaluate};
use sim::{RunOptions, Scenario};

/// Runs `seed` twice, recording every message, and returns the first seed's
/// evaluation, or a description of the first event where the two runs differ.
pub fn run_twice(
    scenario: &Scenario,
    seed: u64,
    mut options: RunOptions,
) -> anyhow::Result<Result<Evaluated, String>> {
    options.trace_messages = true;
    let first = evaluate(scenario, seed, options)?;
    let second = evaluate(scenario, seed, options)?;
    Ok(match first_difference(&first, &second) {
        None => Ok(first),
        Some(difference) => Err(format!("seed {seed} is not deterministic: {difference}")),
    })
}

/// The first trace event or history line where two runs of one seed differ.
fn first_difference(a: &Evaluated, b: &Evaluated) -> Option<String> {
    let (ta, tb) = (&a.outcome.trace, &b.outcome.trace);
    if let Some(i) = (0..ta.len().min(tb.len())).find(|&i| ta[i] != tb[i]) {
        return Some(format!(
            "trace event #{i} differs:\n  run 1: {}\n  run 2: {}",
            ta[i], tb[i]
        ));
    }
    let (ha, hb): (Vec<&str>, Vec<&str>) = (
        a.history_jsonl.lines().collect(),
        b.history_jsonl.lines().collect(),
    );
    if let Some(i) = (0..ha.len().min(hb.len())).find(|&i| ha[i] != hb[i]) {
        return Some(format!(
            "history line {} differs:\n  run 1: {}\n  run 2: {}",
            i + 1,
            ha[i],
            hb[i]
        ));
    }
    if ta.len() != tb.len() || ha.len() != hb.len() {
        return Some(format!(
            "one run is longer: {} vs {} trace events, {} vs {} history lines",
            ta.len(),
            tb.len(),
            ha.len(),
            hb.len()
        ));
    }
    (a.summary != b.summary).then(|| "the runs' summaries differ".to_string())
}
