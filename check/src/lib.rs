//! `check`: the history format and the consistency checks.
//!
//! Pure: no simulator, no I/O beyond reading a history, so it checks histories
//! recorded from any system (Jepsen-style JSONL, see `DESIGN.md`).
//!
//! Data flow: JSONL → [`history::History`] (validated events) →
//! [`op::Op`]s (invoke paired with completion) → each check → [`verdict::CheckResult`].

pub mod convergence;
pub mod counterexample;
pub mod history;
pub mod op;
pub mod read_after_write;
pub mod verdict;

pub use history::{Event, EventType, Final, Function, History, HistoryError, Value};
pub use op::{Op, Outcome};
pub use verdict::{CheckName, CheckResult, Verdict};

use std::collections::BTreeMap;

/// Runs the named checks on a history, in the order of `checks`' names.
pub fn run(history: &History, checks: &[CheckName]) -> BTreeMap<CheckName, CheckResult> {
    checks
        .iter()
        .map(|&name| {
            let result = match name {
                CheckName::ReadAfterWrite => read_after_write::check(history),
                CheckName::Convergence => convergence::check(history),
            };
            (name, result)
        })
        .collect()
}
