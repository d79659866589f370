//! A node's periodic duties, run concurrently in one future: anti-entropy
//! rounds, hint delivery, the interval sync and membership (driving and
//! streaming movements), each on its own period and
//! each only if configured. A router has none.

use super::Node;
use crate::clock::Clock;
use crate::disk::Disk;
use crate::transport::Transport;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

impl<T: Transport, C: Clock, D: Disk> Node<T, C, D> {
    /// Runs the periodic duties forever: the caller drives it on the node's
    /// own task and stops it by dropping it (or killing the node). Each duty
    /// sleeps its period, then runs once; a slow round delays only its own
    /// duty's next round.
    pub async fn run_background(self: &Arc<Self>) {
        if self.is_router() {
            return std::future::pending().await;
        }
        let hint_interval = (self.config.hinted_handoff).then_some(self.config.hint_interval);
        futures::join!(
            every(self.config.anti_entropy_interval, || self
                .anti_entropy_round()),
            every(hint_interval, || self.deliver_hints()),
            every(self.flush_interval(), || async {
                // A failed flush leaves the writes at risk; the next one retries.
                self.config
                    .fault_points
                    .hit(self.id, crate::buggify::Point::BeforeSync)
                    .await;
                let _ = self.flush();
            }),
            every(self.config.membership_interval, || self.membership_round()),
        );
    }
}

/// Runs `duty` every `period` forever (never returns); nothing if `None`.
async fn every<F, Fut>(period: Option<Duration>, mut duty: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(period) = period else {
        return std::future::pending().await;
    };
    assert!(!period.is_zero(), "a periodic duty needs a positive period");
    // Unbounded on purpose: a node's duties last as long as the node.
    loop {
        tokio::time::sleep(period).await;
        duty().await;
    }
}
