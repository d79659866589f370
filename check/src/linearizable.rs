//! `linearizable`: is there a total order of the operations, consistent with
//! real time, in which a sequential register explains every result?
use crate::budget::Budget;
use crate::history::History;
use crate::verdict::CheckResult;

pub fn check(history: &History, budget: &Budget) -> CheckResult {
    todo!("{history:?} {budget:?}")
}
