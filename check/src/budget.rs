//! Limits on a check's work, so that a search ends with `unknown`, never a hang.
//!
//! The crate is pure and has no clock: a wall-clock time limit is supplied by
//! the caller as a `stop` predicate (the CLI's `--timeout`), polled every few
//! thousand steps. `max_steps` and `max_memory_mib` are deterministic limits.
//! Whichever ends a search is named in its `unknown` verdict, so a user can
//! raise that one.

use std::fmt;

/// How much work a check may do.
pub struct Budget<'a> {
    /// Search steps before giving up (deterministic). Default: 100 million.
    pub max_steps: u64,
    /// Memory the linearizability search's cache may hold per key, in MiB.
    /// Default: 512.
    pub max_memory_mib: usize,
    /// Polled now and then; `true` means "stop now" (e.g. a deadline passed).
    pub stop: Option<&'a (dyn Fn() -> bool + Sync)>,
}

impl Default for Budget<'_> {
    fn default() -> Self {
        Budget {
            max_steps: 100_000_000,
            max_memory_mib: 512,
            stop: None,
        }
    }
}

impl fmt::Debug for Budget<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Budget")
            .field("max_steps", &self.max_steps)
            .field("max_memory_mib", &self.max_memory_mib)
            .field("stop", &self.stop.is_some())
            .finish()
    }
}

impl Budget<'_> {
    /// Whether the caller asked to stop.
    pub fn should_stop(&self) -> bool {
        self.stop.is_some_and(|stop| stop())
    }
}
