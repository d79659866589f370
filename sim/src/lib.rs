//! `sim`: runs the store inside madsim under a scenario.
//!
//! scenario file → [`scenario::Scenario`] (validated) → [`runner`] builds the
//! cluster, clients and fault schedule for one seed → madsim runs it →
//! [`runner::RunOutcome`] (history, trace, final replica states).

pub mod scenario;
