//! The store's cluster tests, each in a fresh madsim runtime: one test binary,
//! one module per topic.

mod abd;
mod anti_entropy;
mod clocks;
mod durability;
mod eventual;
mod harness;
mod hints;
mod quorum;
mod read_repair;
mod router;
mod sync;
