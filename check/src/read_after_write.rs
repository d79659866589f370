//! `read-after-write`: stale reads, reads of values never written, reads from the future.
use crate::history::History;
use crate::verdict::CheckResult;

pub fn check(history: &History) -> CheckResult {
    todo!("{history:?}")
}
