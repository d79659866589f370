//! The history format: one JSON object per line (JSONL), Jepsen-like.
//!
//! ```text
//! {"process":0,"type":"invoke","f":"put","key":"k1","value":"c0-1","time":1000}
//! {"process":0,"type":"ok","f":"put","key":"k1","value":"c0-1","time":4200}
//! {"type":"final","node":2,"key":"k1","value":"c0-1"}
//! ```
//!
//! `time` is integer nanoseconds. Extra fields are allowed and ignored by the
//! model; the ones we write ourselves (`node`) are kept as typed options.

use serde::{Deserialize, Serialize};

/// What happened to an operation: `invoke` starts it; `ok`, `fail` (it did not
/// happen) or `info` (unknown: it may have happened) complete it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventType {
    Invoke,
    Ok,
    Fail,
    Info,
}

/// The operation kind (`f`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Function {
    Get,
    Put,
    Delete,
    Cas,
}

/// The `value` field: `null`, a string, or a compare-and-set pair
/// (`from: null` means "only if absent").
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Absent,
    Str(String),
    Cas { from: Option<String>, to: String },
}

/// One client event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub process: u64,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub f: Function,
    pub key: String,
    pub value: Value,
    /// Nanoseconds (simulated time for our own histories).
    pub time: u64,
    /// The node that coordinated the request, when known (ignored by the model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<u32>,
}

/// What one replica holds for one key once the cluster is healed and quiet.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Final {
    pub node: u32,
    pub key: String,
    /// `None` = absent (never written, or deleted).
    pub value: Option<String>,
}

/// A parsed and validated history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// Client events in file order (times never decrease).
    pub events: Vec<Event>,
    /// `final` lines, if the history has any.
    pub finals: Vec<Final>,
}

/// A history that cannot be read. Always names the line (1-based) where there is one.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
}

impl History {
    /// Parses and validates JSONL text (blank lines allowed). Errors name the 1-based line.
    pub fn parse(text: &str) -> Result<History, HistoryError> {
        todo!("{text}")
    }

    /// Writes the history as JSONL: events then `final` lines, one per line,
    /// fields in a fixed order, so equal histories give equal bytes.
    pub fn to_jsonl(&self) -> String {
        todo!()
    }
}
