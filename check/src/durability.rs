//! `durability`: no acknowledged write vanishes unless overwritten.
use crate::history::History;
use crate::verdict::CheckResult;

pub fn check(history: &History) -> CheckResult {
    todo!("{history:?}")
}
