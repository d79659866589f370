//! The store's `Transport` over madsim's simulated network, and the
//! simulated addresses.
//!
//! Every message really crosses madsim's network (see `wire`), so its fate —
//! lost, cut off by a fault, or delivered after its drawn latency — is asked
//! of [`crate::fate::Fates`] and acted on here and in `wire`'s send hook. A
//! lost request is never sent, a lost response is never seen; either way the
//! call times out. A duplicated request sends a second copy whose response
//! is discarded: the copy is handled like any request (the store's replica
//! requests are idempotent under LWW).
//!
//! Built on `wire` (packets, [`NetContext`]); `wire` knows nothing of this
//! module.

use crate::fate::{Leg, Loss, Message};
use crate::trace::Peer;
use crate::wire::{self, Envelope, NetContext};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;
use store::{NodeId, Request, Response, TransportError};

/// The UDP-like port every simulated process listens on.
const PORT: u16 = 1;

/// The simulated address of storage node `n`.
pub fn node_addr(n: u32) -> SocketAddr {
    assert!(n < 256 * 250, "node index out of the address plan");
    let ip = Ipv4Addr::new(10, 0, (n / 250) as u8, (n % 250 + 1) as u8);
    SocketAddr::new(IpAddr::V4(ip), PORT)
}

/// The simulated address of client `c`.
pub fn client_addr(c: u32) -> SocketAddr {
    assert!(c < 256 * 250, "client index out of the address plan");
    let ip = Ipv4Addr::new(10, 1, (c / 250) as u8, (c % 250 + 1) as u8);
    SocketAddr::new(IpAddr::V4(ip), PORT)
}

/// The store's `Transport` for one simulated process (storage node or client).
pub struct SimTransport {
    pub me: Peer,
    pub endpoint: madsim::net::Endpoint,
    pub net: NetContext,
}

impl SimTransport {
    /// Sends a copy of `request` whose answer nobody reads (bounded by
    /// `timeout`); traced as the message it is, with `fate` if settled.
    fn send_copy(
        &self,
        to: NodeId,
        request: Request,
        copy: (Loss, Option<String>),
        timeout: Duration,
    ) {
        let (loss, by) = copy;
        let now = self.net.epoch.elapsed_ns();
        let dest = Peer::Node(to);
        let id = (self.net.trace).message(now, self.me, dest, request.kind(), request.key());
        if let Some(by) = by {
            self.net.trace.note(id, format!("copy made by {by}"));
        }
        if let Some(fate) = loss.fate() {
            self.net.trace.fate(id, fate);
            return;
        }
        let (endpoint, me) = (self.endpoint.clone(), self.me);
        madsim::task::spawn(async move {
            let copy = wire::call(
                &endpoint,
                node_addr(to),
                Envelope::request(me, dest, request, id),
            );
            let _ = store::deadline::timeout(timeout, copy).await;
        });
    }
}

impl store::Transport for SimTransport {
    /// Traces the request, asks its fate at departure (a copy? lost?), sends
    /// it and waits for the response, whose fate on arrival is asked too,
    /// all within `timeout`, which is in madsim time: the store runs on
    /// madsim's clock and the runner hands it stretched durations (see
    /// `timescale`). A lost message never arrives.
    async fn call(
        &self,
        to: NodeId,
        request: Request,
        timeout: Duration,
    ) -> Result<Response, TransportError> {
        let now = self.net.epoch.elapsed_ns();
        let dest = Peer::Node(to);
        let id = (self.net.trace).message(now, self.me, dest, request.kind(), request.key());
        let message = Message {
            from: self.me,
            to: dest,
            kind: request.kind(),
            leg: Leg::Request,
        };
        let departure = (self.net.fates).depart(&message, &mut madsim::rand::thread_rng());
        if let Some(loss) = departure.copy {
            let copy = (loss, departure.copied_by.clone());
            self.send_copy(to, request.clone(), copy, timeout);
        }
        let envelope = Envelope::request(self.me, dest, request, id);
        let exchange = async {
            if let Some(fate) = departure.message.fate() {
                self.net.trace.fate(id, fate);
                std::future::pending::<()>().await;
            }
            let reply = wire::call(&self.endpoint, node_addr(to), envelope).await?;
            let arrival = (self.net.fates).arrive(&reply.message, &mut madsim::rand::thread_rng());
            if let Some(fate) = arrival.fate() {
                self.net.trace.fate(reply.traced, fate);
                std::future::pending::<()>().await;
            }
            Ok::<Response, std::io::Error>(reply.response)
        };
        match store::deadline::timeout(timeout, exchange).await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(_)) => Err(TransportError::Unreachable(to)),
            Err(_) => Err(TransportError::Timeout(to)),
        }
    }
}
