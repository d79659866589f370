//! Scenario files: TOML, parsed into raw serde types, then validated into a
//! [`Scenario`] whose every value is known to be runnable.
//!
//! Errors name the file, line and column of the offending value and say what
//! would be accepted, before anything runs.
//!
//! The pipeline is `text → raw (serde, every fallible value Spanned) →
//! validate → Scenario`: `raw` mirrors the TOML and knows nothing of ranges,
//! `validate` and `faults` apply every check and default, `span` turns byte
//! offsets into `line:column` errors, `duration` reads `"1.5ms"`.

mod duration;
mod faults;
mod raw;
mod span;
mod validate;

#[cfg(test)]
mod tests;

use check::CheckName;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

pub use duration::{format_duration, parse_duration};

/// Largest cluster a scenario may ask for (node ids `0..nodes`).
pub const MAX_NODES: u32 = 64;
/// Most concurrent clients.
pub const MAX_CLIENTS: u32 = 1024;
/// Most distinct keys.
pub const MAX_KEYS: u32 = 100_000;
/// Most operations in one run (across all clients).
pub const MAX_OPS: u64 = 10_000_000;
/// Longest duration anywhere in a scenario (faulty phase, quiesce, timeouts, ...):
/// a day of simulated time is far beyond any useful run and keeps arithmetic
/// on nanoseconds far from overflow.
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 60 * 60);
/// Largest one-way latency (fixed value, uniform max, exponential mean).
pub const MAX_LATENCY: Duration = Duration::from_secs(10);
/// Largest clock drift, in parts per million (1e6 ppm = a clock running at double or zero speed).
pub const MAX_DRIFT_PPM: f64 = 1e6;

/// A validated scenario. Defaults are applied; every value is in range.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// First seed when none is given on the command line. Default 1.
    pub seed: u64,
    /// Simulated time of the faulty phase. Default 10 s.
    pub duration: Duration,
    /// After the faulty phase: every fault is healed and the cluster runs this
    /// long with no client traffic before the final reads. Default 5 s.
    pub quiesce: Duration,
    pub cluster: Cluster,
    pub clocks: Clocks,
    pub network: Network,
    pub workload: Workload,
    /// Sorted by `at`.
    pub faults: Vec<Fault>,
    /// Expectations per check; checks not listed are `Any`.
    pub expect: BTreeMap<CheckName, Expectation>,
}

/// `[cluster]`. Defaults: nodes 3, replicas 3, write_quorum 2, read_quorum 2,
/// protocol "quorum", read_repair true, anti_entropy "500ms" (`"off"` disables),
/// replica_timeout "50ms", client_timeout "200ms".
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    pub nodes: u32,
    pub replicas: u32,
    pub write_quorum: u32,
    pub read_quorum: u32,
    pub protocol: store::Protocol,
    pub read_repair: bool,
    pub anti_entropy: Option<Duration>,
    pub replica_timeout: Duration,
    pub client_timeout: Duration,
}

/// `[clocks]`: per-node clock error for LWW timestamps. Defaults: skew "0ms", drift_ppm 0.
#[derive(Debug, Clone, PartialEq)]
pub struct Clocks {
    /// Max |offset|; each node's offset is drawn uniformly in [-skew, skew] from the seed.
    pub skew: Duration,
    /// Max |drift| in parts per million, drawn per node like the offset.
    pub drift_ppm: f64,
}

/// `[network]`. Defaults: latency fixed "1ms", loss 0.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    /// One-way delay of every message.
    pub latency: Latency,
    /// Probability in [0, 1] that a message is lost.
    pub loss: f64,
}

/// A one-way latency distribution (`{ dist = "...", ... }` in TOML).
#[derive(Debug, Clone, PartialEq)]
pub enum Latency {
    /// `{ dist = "fixed", value = "1ms" }`
    Fixed(Duration),
    /// `{ dist = "uniform", min = "1ms", max = "5ms" }` (min ≤ max)
    Uniform { min: Duration, max: Duration },
    /// `{ dist = "exponential", mean = "2ms" }`
    Exponential { mean: Duration },
}

/// `[workload]`. Defaults: clients 4, keys 3, ops 1000, mix get 0.5 / put 0.4 /
/// delete 0.1 / cas 0, think = 0.8 × duration × clients / ops (so the
/// operations spread over most of the faulty phase).
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    pub clients: u32,
    pub keys: u32,
    /// Total operations across all clients, split evenly. The workload stops at
    /// the end of the faulty phase, so with a long `think` fewer may run.
    pub ops: u64,
    pub mix: Mix,
    /// Mean of the exponential pause between a client's operations.
    pub think: Duration,
}

/// Operation mix: non-negative weights, not all zero; normalised to sum to 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mix {
    pub get: f64,
    pub put: f64,
    pub delete: f64,
    pub cas: f64,
}

/// One scheduled fault (`[[faults]]`), active from `at` for `duration`
/// (a fault still active when the faulty phase ends is healed then).
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub at: Duration,
    pub duration: Duration,
    pub kind: FaultKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// `kind = "partition"`, `groups = [[0, 1], [2, 3, 4]]`: nodes in different
    /// groups cannot talk; nodes in no group are cut off from everyone.
    /// Groups are disjoint, each node index < nodes.
    Partition { groups: Vec<Vec<u32>> },
    /// `kind = "crash"`, `node = 2`: the node crashes (losing unsynced writes)
    /// and restarts from its disk when the fault ends.
    Crash { node: u32 },
}

/// What a scenario expects of one check (`[expect]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Expectation {
    /// `"pass"`: valid on every seed.
    Pass,
    /// `"fail"`: invalid on at least one seed of the run.
    Fail,
    /// `"any"`: not judged.
    Any,
}

/// A scenario that cannot be used. Displays as `file:line:column: message` plus a hint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}{}", location(*.line, *.column), render_hint(.hint))]
pub struct ScenarioError {
    pub file: String,
    /// 1-based; `None` when the error has no place in the file (e.g. unreadable).
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    pub hint: Option<String>,
}

fn location(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(":{l}:{c}"),
        (Some(l), None) => format!(":{l}"),
        _ => String::new(),
    }
}

fn render_hint(hint: &Option<String>) -> String {
    hint.as_ref()
        .map(|h| format!("\n  hint: {h}"))
        .unwrap_or_default()
}

impl Scenario {
    /// Reads and validates a scenario file. An unreadable or non-UTF-8 file is
    /// an error without a line; everything else is reported as by [`Scenario::parse`].
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let file = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| ScenarioError {
            file: file.clone(),
            line: None,
            column: None,
            message: format!("cannot read the scenario file: {e}"),
            hint: None,
        })?;
        let text = String::from_utf8(bytes).map_err(|e| not_utf8(&file, &e))?;
        Scenario::parse(&text, &file)
    }

    /// Parses and validates scenario text; `file` is the name used in errors.
    /// Returns the first problem found, never panics.
    pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        let ctx = span::Ctx { text, file };
        let raw: raw::RawScenario = toml::from_str(text).map_err(|e| ctx.toml_error(&e))?;
        validate::scenario(&ctx, raw)
    }
}

/// A file that is not UTF-8 text (e.g. a binary picked by mistake): point at
/// the first bad byte's line, counted on the valid prefix.
fn not_utf8(file: &str, e: &std::string::FromUtf8Error) -> ScenarioError {
    let at = e.utf8_error().valid_up_to();
    let prefix = String::from_utf8_lossy(&e.as_bytes()[..at]);
    let (line, column) = span::line_column(&prefix, at);
    ScenarioError {
        file: file.to_owned(),
        line: Some(line),
        column: Some(column),
        message: format!("the file is not UTF-8 text (invalid byte at offset {at})"),
        hint: Some("a scenario is a TOML text file; see scenarios/ for examples".to_owned()),
    }
}
