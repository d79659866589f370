//! The system clock as the store's [`store::Clock`].

/// Nanoseconds since the Unix epoch from the machine's real-time clock (which
/// NTP may step: the store's versions take care of a clock that goes back).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl store::Clock for SystemClock {
    fn now_ns(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos() as u64)
    }
}
