//! `convergence`: after heal and quiesce, every replica of a key holds the same value.
use crate::history::History;
use crate::verdict::CheckResult;

pub fn check(history: &History) -> CheckResult {
    todo!("{history:?}")
}
