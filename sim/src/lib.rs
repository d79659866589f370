//! `sim`: runs the store inside madsim under a scenario.
//!
//! scenario file → [`scenario::Scenario`] (validated) → [`runner::run_seed`]
//! builds the cluster, clients and fault schedule for one seed → madsim runs it
//! → [`runner::RunOutcome`] (history with final replica states, trace).
//! [`batch`] runs many seeds in parallel; [`expect`] judges verdicts against a
//! scenario's `[expect]` block.

pub mod batch;
pub mod bench;
pub mod buggify;
pub mod clock;
pub mod cluster;
pub mod expect;
pub mod fate;
pub mod faults;
pub mod latency;
pub mod nemesis;
pub mod net;
pub mod recorder;
pub mod runner;
pub mod scenario;
pub mod service;
pub mod timescale;
pub mod trace;
pub mod wire;
pub mod wire_size;
pub mod workload;

pub use runner::{RunError, RunOptions, RunOutcome, run_seed};
pub use scenario::{Scenario, ScenarioError};
