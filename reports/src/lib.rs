//! `reports`: the results of a run (`results.json`) and their renderings.
//!
//! Depends on `check` for the vocabulary of verdicts and nothing else of ours:
//! a results file is all a report needs, so reports can be re-rendered later.

pub mod results;
pub mod table;

pub use results::{RunResults, SeedResult};
