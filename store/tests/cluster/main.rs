//! The store's cluster tests, each in a fresh madsim runtime: one test binary,
//! one module per topic.

mod anti_entropy;
mod clocks;
mod durability;
mod harness;
mod quorum;
mod read_repair;
