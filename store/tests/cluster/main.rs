//! The store's cluster tests, each in a fresh runtime (madsim, or plain tokio
//! with a paused clock without `--cfg madsim`: see `rt`): one test binary,
//! one module per topic.

mod abd;
mod anti_entropy;
mod auth;
mod clocks;
mod conditional;
mod durability;
mod eventual;
mod grace;
mod harness;
mod hints;
mod list;
mod membership;
mod objects;
mod paxos;
mod quorum;
mod read_repair;
mod router;
mod rt;
mod sync;
mod timestamps;
mod versioning;
