//! Operations: an invoke paired with its completion.

use crate::history::{Function, History, Value};

/// How an operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    Ok,
    /// Did not happen.
    Fail,
    /// May or may not have happened; stays open forever. Also used for an
    /// invoke with no completion in the history.
    Info,
}

/// One operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    /// Position among all operations, in invoke order (stable identifier).
    pub index: usize,
    /// 1-based line of the invoke event in the history file, when parsed from one.
    pub line: Option<usize>,
    pub process: u64,
    pub f: Function,
    pub key: String,
    /// The invoke's value (what was asked: value to put, cas pair, null for get).
    pub input: Value,
    /// The completion's value (for an ok get: what was read).
    pub output: Value,
    pub invoke_time: u64,
    /// `None` for `info` operations: they never complete.
    pub complete_time: Option<u64>,
    pub outcome: Outcome,
    pub node: Option<u32>,
}

/// Pairs every invoke with its completion, in invoke order.
pub fn pair(history: &History) -> Vec<Op> {
    todo!("{history:?}")
}
