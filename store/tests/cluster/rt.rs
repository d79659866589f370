//! The runtime the cluster tests run on: madsim in a simulation build
//! (`--cfg madsim`, the workspace default), plain tokio with a paused clock
//! otherwise (`store` stands on its own: CI builds and tests it without
//! madsim). Either way time is virtual: a sleep costs no wall time, and a
//! test that hangs ends after [`TIME_LIMIT`] of it.

use std::future::Future;
use std::time::Duration;

/// Virtual time after which a test is stopped as hung.
const TIME_LIMIT: Duration = Duration::from_secs(60);

#[cfg(madsim)]
pub use madsim::task::JoinHandle;
#[cfg(not(madsim))]
pub use tokio::task::JoinHandle;

/// Runs `test` in a fresh runtime whose randomness comes from `seed`.
#[cfg(madsim)]
pub fn run<F: Future<Output = ()>>(seed: u64, test: impl FnOnce() -> F) {
    let mut runtime =
        madsim::runtime::Runtime::with_seed_and_config(seed, madsim::Config::default());
    runtime.set_time_limit(TIME_LIMIT);
    runtime.block_on(test());
}

/// Runs `test` in a fresh current-thread tokio runtime with a paused clock
/// (it jumps to the next timer whenever every task waits), the jitter drawn
/// from `seed`.
#[cfg(not(madsim))]
pub fn run<F: Future<Output = ()>>(seed: u64, test: impl FnOnce() -> F) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a current-thread runtime builds");
    plain::RNG.with(|rng| rng.set(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1));
    runtime.block_on(async {
        plain::START.with(|start| start.set(Some(tokio::time::Instant::now())));
        tokio::time::timeout(TIME_LIMIT, test())
            .await
            .expect("the test ended within its time limit");
    });
}

/// Virtual time since the runtime started.
#[cfg(madsim)]
pub fn elapsed() -> Duration {
    madsim::time::TimeHandle::current().elapsed()
}

/// Virtual time since the runtime started.
#[cfg(not(madsim))]
pub fn elapsed() -> Duration {
    plain::START.with(|start| start.get().expect("called inside rt::run").elapsed())
}

/// A number drawn from `0..below` (`below` > 0), from the runtime's seeded
/// randomness.
#[cfg(madsim)]
pub fn below(below: u64) -> u64 {
    use madsim::rand::{Rng, thread_rng};
    thread_rng().gen_range(0..below)
}

/// A number drawn from `0..below` (`below` > 0), from the runtime's seeded
/// randomness (xorshift64: enough for network jitter in tests).
#[cfg(not(madsim))]
pub fn below(below: u64) -> u64 {
    plain::RNG.with(|rng| {
        let mut x = rng.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        rng.set(x);
        x % below
    })
}

#[cfg(not(madsim))]
mod plain {
    use std::cell::Cell;

    thread_local! {
        pub static START: Cell<Option<tokio::time::Instant>> = const { Cell::new(None) };
        pub static RNG: Cell<u64> = const { Cell::new(1) };
    }
}
