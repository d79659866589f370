//! `check`: the history format and the consistency checks.
//!
//! Pure: no simulator, no I/O beyond reading a history, so it checks histories
//! recorded from any system (Jepsen-style JSONL, see `DESIGN.md`).
//!
//! Data flow: JSONL → [`history::History`] (validated events) →
//! [`op::Op`]s (invoke paired with completion) → [`Analysis`] (the ops
//! indexed once for every check) → each check → [`verdict::CheckResult`].

pub mod access;
pub mod analysis;
pub mod atomic_object;
pub mod authorization;
pub mod budget;
pub mod convergence;
pub mod counterexample;
pub mod durability;
pub mod finding;
pub mod history;
pub mod linearizable;
pub mod list_after_write;
pub mod lost_update;
pub mod ms;
pub mod op;
pub(crate) mod presence;
pub mod read_after_write;
pub mod revocation;
pub mod session;
pub(crate) mod sources;
pub mod staleness;
pub mod verdict;
pub mod versions;

pub use analysis::Analysis;
pub use budget::Budget;
pub use finding::{Finding, Kind as FindingKind};
pub use history::{Event, EventType, FailReason, Final, Function, History, HistoryError, Value};
pub use op::{Op, Outcome};
pub use verdict::{CheckName, CheckResult, Verdict};

use std::collections::BTreeMap;

/// Runs the named checks on a history with the default budget.
pub fn run(history: &History, checks: &[CheckName]) -> BTreeMap<CheckName, CheckResult> {
    run_with(history, checks, &Budget::default())
}

/// Runs the named checks on a history; searches stop at `budget` with `unknown`.
///
/// The history is paired and indexed once ([`Analysis`]) for all the checks;
/// each check's result is the one its own `check` function gives.
pub fn run_with(
    history: &History,
    checks: &[CheckName],
    budget: &Budget,
) -> BTreeMap<CheckName, CheckResult> {
    let ops = op::pair(history);
    let analysis = Analysis::new(&ops, &history.finals).with_clock_error(history.clock_error_ns);
    // Read only when an access check is asked for.
    let access_cell = std::cell::OnceCell::new();
    let access = || access_cell.get_or_init(|| access::Access::new(history));
    let run_one = |name: CheckName| match name {
        CheckName::Linearizable => linearizable::judge(&analysis, budget),
        CheckName::ReadAfterWrite => read_after_write::judge(&analysis),
        CheckName::ReadYourWrites
        | CheckName::MonotonicReads
        | CheckName::MonotonicWrites
        | CheckName::WritesFollowReads => session::judge(&analysis, name),
        CheckName::Convergence => convergence::judge(&analysis),
        CheckName::LostUpdate => lost_update::judge(&analysis),
        CheckName::Durability => durability::judge(&analysis),
        CheckName::ListAfterWrite => list_after_write::judge(&analysis),
        CheckName::AtomicObject => atomic_object::judge(&analysis),
        CheckName::Versions => versions::judge(&analysis),
        CheckName::Authorization => authorization::judge(&ops, access()),
        CheckName::Revocation => {
            revocation::judge(&ops, access(), history.revocation_delta_ns.unwrap_or(0))
        }
    };
    checks.iter().map(|&name| (name, run_one(name))).collect()
}
