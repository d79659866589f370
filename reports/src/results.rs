//! `results.json`: what a run found, seed by seed.
//!
//! Everything here is a pure function of (scenario, seeds): no wall-clock
//! fields, seeds in order, maps sorted, so two runs of the same seeds give the
//! same file whatever `--jobs` was.

use crate::metrics::SeedMetrics;
use crate::scenario::ScenarioSummary;
use check::{CheckName, Verdict};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResults {
    /// The scenario's `name`.
    pub scenario: String,
    /// The scenario file as given on the command line.
    pub scenario_file: String,
    /// The scenario's `[expect]` block (`pass` | `fail` | `any` per check), so
    /// that merged shards can be judged again without the scenario file.
    pub expect: BTreeMap<CheckName, String>,
    pub seeds: Vec<SeedResult>,
    /// Every expectation of the scenario that did not hold, in plain words.
    pub breaches: Vec<String>,
    /// Every seed's metrics merged, distributions included (per-seed entries
    /// keep only the slim part, see `SeedMetrics::slim`).
    #[serde(default)]
    pub totals: SeedMetrics,
    /// The scenario in words, for reports (absent in older files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<ScenarioSummary>,
}

/// One seed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedResult {
    pub seed: u64,
    /// Client operations invoked.
    pub ops: u64,
    pub ok: u64,
    pub fail: u64,
    pub info: u64,
    /// Network messages sent (requests and responses).
    pub messages: u64,
    /// Simulated time the seed ran, in nanoseconds.
    pub sim_time_ns: u64,
    pub checks: BTreeMap<CheckName, Verdict>,
    /// SHA-256 of the seed's `history.jsonl`, hex.
    pub history_hash: String,
    /// Fingerprint of every simulated message and fault, in order (hex).
    pub trace_hash: String,
    /// Latency, staleness and anomaly counts (absent in older files).
    #[serde(default)]
    pub metrics: SeedMetrics,
}

impl RunResults {
    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("results always serialise");
        text.push('\n');
        text
    }
}
