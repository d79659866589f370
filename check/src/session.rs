//! Session guarantees per process: read-your-writes, monotonic reads,
//! monotonic writes, writes-follow-reads.
use crate::history::History;
use crate::verdict::{CheckName, CheckResult};

/// Runs one session guarantee. `guarantee` is one of the four session checks.
pub fn check(history: &History, guarantee: CheckName) -> CheckResult {
    todo!("{history:?} {guarantee}")
}
