//! A node's service time and concurrency (`[cluster] service_time`,
//! `concurrency`, `queue`, `[[cluster.slow]]`; see
//! [`crate::scenario::Service`]), modelled around the store node's handler
//! rather than inside the store: the store stays a pure protocol, and the
//! simulation decides how long its work takes.
//!
//! Each request a node receives takes a slot (at most `concurrency` at
//! once; the rest wait in FIFO order, at most `queue` of them), holds it for
//! a drawn service time — the node's own work: parsing, disk, CPU — and
//! releases it before the handler runs. Waiting on other nodes (a
//! coordinator's replica calls) holds no slot: a coordinator is not a
//! thread blocked per request. A request that finds the queue full is
//! answered at once, refused (see [`overflow`]), as a server sheds load
//! (S3's 503 SlowDown), so queues stay bounded.
//!
//! Off by default: without any of the knobs no node gets a `Service`, and
//! requests are handled at once with no draw, as before.

use crate::scenario::{Latency, Service as Spec};
use crate::timescale;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use store::{ClientResponse, ReplicaResponse, Request, Response};
use tokio::sync::Semaphore;

/// One node's service: its time distribution, slots and waiting room.
#[derive(Debug)]
pub struct Service {
    time: Option<Latency>,
    /// `None`: unlimited.
    slots: Option<Semaphore>,
    queue: u32,
    waiting: AtomicU32,
}

impl Service {
    /// Node (or router) `n`'s service, `None` when the scenario sets none.
    pub fn of_node(spec: &Spec, n: u32) -> Option<Arc<Service>> {
        spec.is_on().then(|| {
            Arc::new(Service {
                time: spec.time_of(n).cloned(),
                slots: spec.concurrency.map(|c| Semaphore::new(c as usize)),
                queue: spec.queue,
                waiting: AtomicU32::new(0),
            })
        })
    }

    /// Waits for a slot and spends the service time in it; `Err` with the
    /// answer to send at once when the queue is full.
    pub async fn serve(&self, request: &Request) -> Result<(), Response> {
        let _slot = match &self.slots {
            None => None,
            Some(slots) => {
                let free = slots.available_permits() > 0;
                if !free && self.waiting.load(Ordering::Relaxed) >= self.queue {
                    return Err(overflow(request));
                }
                let _waiting = Waiting::enter(&self.waiting);
                // The semaphore is never closed.
                Some(slots.acquire().await.expect("the semaphore stays open"))
            }
        };
        if let Some(time) = &self.time {
            let spent = time.sample(&mut madsim::rand::thread_rng());
            timescale::sleep(spent).await;
        }
        Ok(())
    }
}

/// Counts a request waiting for a slot until it gets one (or is dropped,
/// its node killed).
struct Waiting<'a>(&'a AtomicU32);

impl<'a> Waiting<'a> {
    fn enter(count: &'a AtomicU32) -> Waiting<'a> {
        count.fetch_add(1, Ordering::Relaxed);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The answer to a request a full queue turns away, before the handler
/// ever sees it: `Refused` to a replica request (counts as no answer, as
/// from a router), `ClientResponse::Refused` to any client request, read
/// or write, signed or not (S3's 503 SlowDown: nothing was applied, so the
/// history records a `fail` with `"error":"slow-down"`, and a store that
/// applied it all the same is caught).
pub fn overflow(request: &Request) -> Response {
    match request {
        Request::Replica(_) => Response::Replica(ReplicaResponse::Refused),
        Request::Client(_) | Request::Signed(_) => Response::Client(ClientResponse::Refused),
    }
}
