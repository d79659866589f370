//! What a report says about the scenario, stored in `results.json` so that
//! `storesim report` can re-render a folder without the scenario file.
//!
//! Filled by the CLI from `sim::Scenario` (reports does not depend on `sim`);
//! the texts are already written for people (`"exponential, mean 1ms"`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioSummary {
    pub name: String,
    pub description: String,
    /// `eventual`, `quorum`, `abd`, ...
    pub protocol: String,
    /// Whether a cas runs as a read followed by a separate write (quorum,
    /// eventual, abd with `allow_unsafe_cas`): not atomic.
    #[serde(default)]
    pub cas_read_then_write: bool,
    pub nodes: u32,
    /// N, W, R.
    pub replicas: u32,
    pub write_quorum: u32,
    pub read_quorum: u32,
    /// Faulty phase and quiesce, e.g. `10s + 5s quiesce`.
    pub duration: String,
    /// e.g. `latency exponential mean 1ms, loss 0`.
    pub network: String,
    /// e.g. `skew 20ms, drift 50 ppm`.
    pub clocks: String,
    /// e.g. `4 clients, 3 keys, 600 ops (get 0.5, put 0.4, delete 0.1)`.
    pub workload: String,
    /// One line per `[[faults]]` entry, e.g. `partition [[0,1],[2]] at 1s for 7s`.
    pub faults: Vec<String>,
    /// The `[nemesis]` block in one line, if any.
    pub nemesis: Option<String>,
}
