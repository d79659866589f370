//! `check`: the history format and the consistency checks.
//!
//! Pure: no simulator, no I/O beyond reading a history, so it checks histories
//! recorded from any system (Jepsen-style JSONL, see `DESIGN.md`).
//!
//! Data flow: JSONL → [`history::History`] (validated events) →
//! [`op::Op`]s (invoke paired with completion) → each check → [`verdict::CheckResult`].

pub mod budget;
pub mod convergence;
pub mod counterexample;
pub mod durability;
pub mod history;
pub mod linearizable;
pub mod lost_update;
pub mod op;
pub mod read_after_write;
pub mod session;
pub mod staleness;
pub mod verdict;

pub use budget::Budget;
pub use history::{Event, EventType, Final, Function, History, HistoryError, Value};
pub use op::{Op, Outcome};
pub use verdict::{CheckName, CheckResult, Verdict};

use std::collections::BTreeMap;

/// Runs the named checks on a history with the default budget.
pub fn run(history: &History, checks: &[CheckName]) -> BTreeMap<CheckName, CheckResult> {
    run_with(history, checks, &Budget::default())
}

/// Runs the named checks on a history; searches stop at `budget` with `unknown`.
pub fn run_with(
    history: &History,
    checks: &[CheckName],
    budget: &Budget,
) -> BTreeMap<CheckName, CheckResult> {
    let run_one = |name: CheckName| match name {
        CheckName::Linearizable => linearizable::check(history, budget),
        CheckName::ReadAfterWrite => read_after_write::check(history),
        CheckName::ReadYourWrites
        | CheckName::MonotonicReads
        | CheckName::MonotonicWrites
        | CheckName::WritesFollowReads => session::check(history, name),
        CheckName::Convergence => convergence::check(history),
        CheckName::LostUpdate => lost_update::check(history),
        CheckName::Durability => durability::check(history),
    };
    checks.iter().map(|&name| (name, run_one(name))).collect()
}
