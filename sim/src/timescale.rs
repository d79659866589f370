//! Scenario time versus madsim time.
//!
//! madsim makes every sleep last at least 1 ms and adds a ≥ 1 ms sleep on both
//! the send and the receive side of each message. Datacenter links are
//! 0.2–0.5 ms, so simulating at face value would blur exactly the races we
//! want to see. Instead, everything handed to madsim is stretched by [`SCALE`]:
//! one microsecond of scenario time is one millisecond of madsim time. madsim's
//! floors then cost 1 µs of scenario time per sleep, and every time we record
//! (history, trace, clocks) is converted back.
//!
//! Measured (sim/tests/network_faults.rs): madsim's own cost of one message
//! hop is exactly [`HOP_OVERHEAD`] = 2 µs of scenario time, whatever the
//! latency. `wire` subtracts it from every drawn delay before handing the
//! rest to madsim as the packet's latency, so a hop takes exactly the drawn
//! latency when that is at least 2 µs, and 2 µs otherwise: a fixed 50 µs
//! network gives 50 µs hops and a 4-hop get of 200 µs; a fixed 10 µs one,
//! 10 µs hops. Below 2 µs per hop, latencies are not faithful.
//!
//! Stretching is free: madsim jumps from event to event, so a run's wall-clock
//! cost does not depend on how much simulated time passes.

use std::time::{Duration, Instant};

/// madsim time per unit of scenario time.
pub const SCALE: u32 = 1000;

/// What madsim itself spends on one message hop, in scenario time (its send
/// delay and scheduling, each ≥ 1 ms of madsim time); subtracted from every
/// drawn network delay (in `wire::attach`'s send hook).
pub const HOP_OVERHEAD: Duration = Duration::from_micros(2);

/// Converts a scenario duration into the madsim duration that represents it.
pub fn to_madsim(scenario: Duration) -> Duration {
    scenario * SCALE
}

/// The start of a run, in madsim time; converts madsim's clock into scenario time.
#[derive(Debug, Clone, Copy)]
pub struct Epoch {
    start: Instant,
}

impl Epoch {
    /// Starts the scenario clock at madsim's current time. Call inside the runtime.
    pub fn now() -> Epoch {
        #[allow(clippy::disallowed_methods)] // madsim's virtual clock, not the wall clock
        let start = Instant::now();
        Epoch { start }
    }

    /// Scenario time elapsed since the epoch, in nanoseconds.
    pub fn elapsed_ns(&self) -> u64 {
        // madsim's virtual clock read directly: `Instant::now()` would get
        // the same time through madsim's `clock_gettime` override, at several
        // times the cost, and this runs on every message.
        let now = madsim::time::TimeHandle::current().now_instant();
        let madsim = now.saturating_duration_since(self.start);
        let ns = madsim.as_nanos() / u128::from(SCALE);
        u64::try_from(ns).unwrap_or(u64::MAX)
    }

    /// Sleeps until `at` of scenario time has elapsed since the epoch (no-op if past).
    pub async fn sleep_until(&self, at: Duration) {
        let deadline = self.start + to_madsim(at);
        tokio::time::sleep_until(deadline).await;
    }
}

/// Sleeps for a scenario duration.
pub async fn sleep(scenario: Duration) {
    tokio::time::sleep(to_madsim(scenario)).await;
}
