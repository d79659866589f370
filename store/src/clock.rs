//! The clock seam: where LWW timestamps come from.

/// A node's clock. The simulation gives each node its own offset and drift, so
/// timestamps from different nodes disagree the way real clocks do.
pub trait Clock: Send + Sync + 'static {
    /// Current time in nanoseconds on this node's clock (not necessarily monotonic:
    /// the simulation may jump it backwards).
    fn now_ns(&self) -> u64;
}
