//! Bounded waits that cost the simulator one timer each.
//!
//! madsim's `Sleep` adds a fresh entry to the simulator's timer heap every
//! time it is polled while pending, and the heap cannot cancel entries: each
//! stays until its deadline passes. `tokio::time::timeout` polls its sleep
//! whenever the wrapped future is woken, so a wait for three replica answers
//! left three or four entries behind, each living a whole replica timeout
//! (hundreds of message hops). Popping that heap was the simulator's single
//! largest cost at 64 nodes (issue 16). [`timeout`] arms its sleep once and
//! afterwards only compares the clock with the deadline: the first entry
//! wakes the task at the deadline, as before, so what runs when is unchanged.
//!
//! Outside the simulator (`storesimd` on real tokio) a sleep re-registers in
//! place, so [`timeout`] is tokio's own.

use std::future::Future;
use std::time::Duration;

/// The wait ran out before the future finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed;

/// Runs `future` for at most `duration`: its output, or [`Elapsed`]. The
/// deadline is taken now, as tokio's; the future is polled first, so one
/// that is ready at the deadline wins (madsim's `select_biased!`).
#[cfg(madsim)]
pub fn timeout<F: Future>(
    duration: Duration,
    future: F,
) -> impl Future<Output = Result<F::Output, Elapsed>> {
    use std::task::Poll;
    let mut sleep = tokio::time::sleep(duration);
    async move {
        let mut future = std::pin::pin!(future);
        // Whether `sleep` has been polled once, i.e. its timer is in the heap.
        let mut armed = false;
        std::future::poll_fn(move |cx| {
            if let Poll::Ready(output) = future.as_mut().poll(cx) {
                return Poll::Ready(Ok(output));
            }
            if !armed {
                armed = true;
                // Registers the one timer (or is ready at once).
                return std::pin::Pin::new(&mut sleep)
                    .poll(cx)
                    .map(|()| Err(Elapsed));
            }
            // The timer armed above wakes this task at the deadline; any
            // earlier wake is the future's.
            if sleep.is_elapsed() {
                Poll::Ready(Err(Elapsed))
            } else {
                Poll::Pending
            }
        })
        .await
    }
}

/// Runs `future` for at most `duration`: its output, or [`Elapsed`].
#[cfg(not(madsim))]
pub async fn timeout<F: Future>(duration: Duration, future: F) -> Result<F::Output, Elapsed> {
    (tokio::time::timeout(duration, future).await).map_err(|_| Elapsed)
}
