//! The TOML file as written: serde types that mirror it key for key.
//!
//! Nothing here checks a range or applies a default; [`super::validate`] does.
//! Every value whose validation can fail is `Spanned`, so its error points at
//! the value itself. Unknown keys are rejected by serde (`deny_unknown_fields`)
//! at the key's position. Durations are kept as `toml::Value` so that
//! `duration = 10` (no unit) gets our explanation rather than a type error.
//!
//! `[[faults]]` and `latency` are flat structs with a `kind`/`dist` string and
//! every kind's fields optional, not internally-tagged enums: serde errors
//! inside a tagged enum lose the position and point at the table header.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::{Spanned, Value};

/// A value with its byte span in the file.
pub(super) type S<T> = Spanned<T>;

/// `groups = [[0, 1], [2]]`, with a span on the list, each group and each node.
pub(super) type RawGroups = S<Vec<S<Vec<S<i64>>>>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScenario {
    pub name: Option<S<String>>,
    pub description: Option<S<String>>,
    pub seed: Option<S<i64>>,
    pub duration: Option<S<Value>>,
    pub quiesce: Option<S<Value>>,
    #[serde(default)]
    pub cluster: RawCluster,
    #[serde(default)]
    pub clocks: RawClocks,
    #[serde(default)]
    pub network: RawNetwork,
    #[serde(default)]
    pub workload: RawWorkload,
    #[serde(default)]
    pub faults: Vec<S<RawFault>>,
    pub nemesis: Option<S<RawNemesis>>,
    #[serde(default)]
    pub expect: BTreeMap<S<String>, S<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCluster {
    pub nodes: Option<S<i64>>,
    pub replicas: Option<S<i64>>,
    pub write_quorum: Option<S<i64>>,
    pub read_quorum: Option<S<i64>>,
    pub protocol: Option<S<String>>,
    pub read_repair: Option<S<bool>>,
    pub hinted_handoff: Option<S<bool>>,
    /// `"always"`, `"never"` or `{ interval = "100ms" }`.
    pub sync: Option<S<Value>>,
    pub coordinators: Option<S<String>>,
    pub routers: Option<S<i64>>,
    pub allow_unsafe_cas: Option<bool>,
    /// A duration or `"off"`.
    pub anti_entropy: Option<S<Value>>,
    pub replica_timeout: Option<S<Value>>,
    pub client_timeout: Option<S<Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawClocks {
    pub skew: Option<S<Value>>,
    pub drift_ppm: Option<S<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNetwork {
    pub latency: Option<S<RawLatency>>,
    pub loss: Option<S<f64>>,
    pub duplicate: Option<S<f64>>,
    #[serde(default)]
    pub kinds: BTreeMap<S<String>, S<RawLatency>>,
    #[serde(default)]
    pub links: Vec<S<RawLink>>,
}

/// One `[[network.links]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLink {
    pub from: Option<S<i64>>,
    pub to: Option<S<i64>>,
    pub both: Option<bool>,
    pub latency: Option<S<RawLatency>>,
    pub loss: Option<S<f64>>,
    #[serde(default)]
    pub kinds: BTreeMap<S<String>, S<RawLatency>>,
}

/// `{ dist = "...", ... }`: which other keys are allowed depends on `dist`.
/// `weight` only inside a mixture's `of`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLatency {
    pub dist: Option<S<String>>,
    pub value: Option<S<Value>>,
    pub min: Option<S<Value>>,
    pub max: Option<S<Value>>,
    pub mean: Option<S<Value>>,
    pub scale: Option<S<Value>>,
    pub shape: Option<S<f64>>,
    pub median: Option<S<Value>>,
    pub sigma: Option<S<f64>>,
    pub of: Option<S<Vec<S<RawLatency>>>>,
    pub weight: Option<S<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWorkload {
    pub clients: Option<S<i64>>,
    pub keys: Option<S<i64>>,
    pub ops: Option<S<i64>>,
    pub mix: Option<S<RawMix>>,
    pub think: Option<S<Value>>,
    pub probes: Option<S<RawProbes>>,
    pub coordinator: Option<S<String>>,
}

/// `[workload.probes]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProbes {
    pub clients: Option<S<i64>>,
    pub trials: Option<S<i64>>,
    pub delays: S<Vec<S<Value>>>,
}

/// Operation weights; a missing entry is 0.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMix {
    pub get: Option<S<f64>>,
    pub put: Option<S<f64>>,
    pub delete: Option<S<f64>>,
    pub cas: Option<S<f64>>,
}

/// One `[[faults]]` table: `kind`, `at` and `duration`, plus the keys of its kind.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFault {
    pub kind: Option<S<String>>,
    pub at: Option<S<Value>>,
    pub duration: Option<S<Value>>,
    /// `partition` only.
    pub groups: Option<RawGroups>,
    /// `isolate`, `bridge`, `crash`, `pause`, `clock-jump`.
    pub node: Option<S<i64>>,
    /// `clog` only.
    pub from: Option<S<i64>>,
    /// `clog` only.
    pub to: Option<S<i64>>,
    /// `clock-jump` only: a signed duration such as `"-500ms"`.
    pub by: Option<S<Value>>,
}

/// The `[nemesis]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNemesis {
    pub interval: Option<S<Value>>,
    pub duration: Option<S<Value>>,
    pub families: Option<S<BTreeMap<S<String>, S<f64>>>>,
    pub swarm: Option<bool>,
    pub max_down: Option<S<i64>>,
    pub jump: Option<S<Value>>,
}
