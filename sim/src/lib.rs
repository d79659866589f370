//! `sim`: runs the store inside madsim under a scenario.
//!
//! scenario file → [`scenario::Scenario`] (validated) → [`runner::run_seed`]
//! builds the cluster, clients and fault schedule for one seed → madsim runs it
//! → [`runner::RunOutcome`] (history with final replica states, trace).
//! [`batch`] runs many seeds in parallel; [`expect`] judges verdicts against a
//! scenario's `[expect]` block.

// Also checked by build.rs, earlier; this catches a rustc run without cargo.
#[cfg(not(madsim))]
compile_error!(
    "the `sim` crate must be built with `--cfg madsim` (set by the repository's \
     .cargo/config.toml, which cargo reads only from the current directory: run cargo \
     from the repository folder, or set RUSTFLAGS=\"--cfg madsim\")"
);

pub mod batch;
pub mod bench;
pub mod clock;
pub mod cluster;
pub mod expect;
pub mod faults;
pub mod latency;
pub mod nemesis;
pub mod net;
pub mod recorder;
pub mod runner;
pub mod scenario;
pub mod timescale;
pub mod trace;
pub mod wire;
pub mod workload;

pub use runner::{RunError, RunOptions, RunOutcome, run_seed};
pub use scenario::{Scenario, ScenarioError};
