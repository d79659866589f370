//! Per-node clocks with offset, drift and jumps: the `store::Clock` of the
//! simulation.
//!
//! Offset and drift are drawn from the seed when the run starts. Jumps
//! (`clock-jump` faults) step a node's clock while the run goes on: the step
//! lives in state shared by every copy of the node's clock (the store holds
//! one, the fault injector another), and survives restarts, like a step of
//! the machine's real clock. Nothing else in the store sees time.

use crate::timescale::Epoch;
use rand::Rng;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// Every clock reads at least this much at the epoch, so that a negative
/// offset never pushes a timestamp below zero (1000 s, in nanoseconds; a
/// jump further back than that reads 0).
pub const CLOCK_BASE_NS: i128 = 1_000_000_000_000;

/// A node's clock: `base + offset + jumps + elapsed × (1 + drift_ppm / 10⁶)`.
/// Clones share `jumps`.
#[derive(Debug, Clone)]
pub struct SimClock {
    epoch: Epoch,
    pub offset_ns: i64,
    pub drift_ppm: f64,
    /// The sum of every step applied so far, in nanoseconds.
    jumps_ns: Arc<AtomicI64>,
}

impl SimClock {
    pub fn new(epoch: Epoch, offset_ns: i64, drift_ppm: f64) -> SimClock {
        SimClock {
            epoch,
            offset_ns,
            drift_ppm,
            jumps_ns: Arc::new(AtomicI64::new(0)),
        }
    }

    /// Steps the clock by `by_ns` (negative: back), from now on, for every copy.
    pub fn jump(&self, by_ns: i64) {
        self.jumps_ns.fetch_add(by_ns, Ordering::Relaxed);
    }

    /// The sum of the steps applied so far.
    pub fn jumps_ns(&self) -> i64 {
        self.jumps_ns.load(Ordering::Relaxed)
    }

    /// Draws a clock error within the scenario's bounds: offset uniform in
    /// `[-skew, skew]`, drift uniform in `[-drift_ppm, drift_ppm]`.
    pub fn draw(epoch: Epoch, skew: Duration, drift_ppm: f64, rng: &mut impl Rng) -> SimClock {
        let skew_ns = i64::try_from(skew.as_nanos()).unwrap_or(i64::MAX);
        let offset_ns = if skew_ns == 0 {
            0
        } else {
            rng.gen_range(-skew_ns..=skew_ns)
        };
        let drift = if drift_ppm == 0.0 {
            0.0
        } else {
            rng.gen_range(-drift_ppm..=drift_ppm)
        };
        SimClock::new(epoch, offset_ns, drift)
    }
}

impl store::Clock for SimClock {
    fn now_ns(&self) -> u64 {
        let elapsed = self.epoch.elapsed_ns() as f64;
        let drifted = (elapsed * (1.0 + self.drift_ppm / 1e6)) as i128;
        let ns = CLOCK_BASE_NS + i128::from(self.offset_ns) + i128::from(self.jumps_ns()) + drifted;
        u64::try_from(ns.max(0)).unwrap_or(u64::MAX)
    }
}
