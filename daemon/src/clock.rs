//! The system clock as the store's [`store::Clock`], plus an offset that the
//! control file sets ([`crate::inject`]) to skew or step this node's clock.

use std::sync::atomic::{AtomicI64, Ordering};

/// Added to the real clock by every [`SystemClock`] of this process (one
/// process is one node, so a process-wide value is the node's). Zero unless
/// a control file says otherwise.
static OFFSET_NS: AtomicI64 = AtomicI64::new(0);

/// Sets the node's clock offset (negative: behind real time).
pub fn set_offset_ns(offset_ns: i64) {
    OFFSET_NS.store(offset_ns, Ordering::Relaxed);
}

/// The machine's real-time clock, in nanoseconds since the Unix epoch,
/// without the offset (what the control file's expiry is judged by).
pub fn real_unix_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos() as u64)
}

/// Nanoseconds since the Unix epoch from the machine's real-time clock (which
/// NTP may step: the store's versions take care of a clock that goes back),
/// plus the injected offset.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl store::Clock for SystemClock {
    fn now_ns(&self) -> u64 {
        real_unix_ns().saturating_add_signed(OFFSET_NS.load(Ordering::Relaxed))
    }
}
