//! `lost-update`: the converged value's write was followed in real time by
//! another acknowledged write (the later write lost, e.g. to clock skew).
use crate::history::History;
use crate::verdict::CheckResult;

pub fn check(history: &History) -> CheckResult {
    todo!("{history:?}")
}
