//! The network model: latency distributions and the store's `Transport` over
//! madsim's simulated network.
//!
//! Every message really crosses madsim's network (an `Endpoint` RPC), so
//! partitions (clogged links), packet loss and crashed nodes act on it. madsim's
//! own latency is set to zero; a message's delay is drawn from the scenario's
//! distribution and spent on the receiving side before the request is handled
//! (and on the answering side before the response leaves), so a message already
//! sent is still delivered if its sender crashes, as on a real network.

use crate::scenario::Latency;
use crate::timescale::{self, Epoch};
use crate::trace::{Peer, Trace};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
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

impl Latency {
    /// Draws one delay.
    pub fn sample(&self, rng: &mut impl Rng) -> Duration {
        match *self {
            Latency::Fixed(d) => d,
            Latency::Uniform { min, max } if min == max => min,
            Latency::Uniform { min, max } => rng.gen_range(min..=max),
            Latency::Exponential { mean } => {
                let u: f64 = rng.r#gen();
                // u in [0, 1): 1 - u in (0, 1], so ln is finite.
                mean.mul_f64(-(1.0 - u).ln())
            }
        }
    }
}

/// A message on the wire: who sent it and the store's request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Wire {
    pub from: Peer,
    pub request: Request,
}

impl madsim::net::rpc::Request for Wire {
    type Response = Response;
    const ID: u64 = 0x5709_e51d;
}

/// What a process needs to send and trace messages.
#[derive(Clone)]
pub struct NetContext {
    pub epoch: Epoch,
    pub trace: Trace,
    pub latency: Arc<Latency>,
}

impl NetContext {
    /// Spends one message's network delay, on the receiving side: a request's
    /// before it is handled, a response's before the caller sees it.
    pub async fn delay(&self) {
        let d = self.latency.sample(&mut madsim::rand::thread_rng());
        timescale::sleep(d).await;
    }
}

/// The store's `Transport` for one simulated process (storage node or client).
pub struct SimTransport {
    pub me: Peer,
    pub endpoint: madsim::net::Endpoint,
    pub net: NetContext,
}

impl store::Transport for SimTransport {
    /// Traces the request, sends it, and spends the response's network delay
    /// once it arrives — all within `timeout`, which is in madsim time: the
    /// store runs on madsim's clock and the runner hands it stretched
    /// durations (see `timescale`).
    async fn call(
        &self,
        to: NodeId,
        request: Request,
        timeout: Duration,
    ) -> Result<Response, TransportError> {
        let now = self.net.epoch.elapsed_ns();
        self.net
            .trace
            .message(now, self.me, Peer::Node(to), request.kind(), request.key());
        let wire = Wire {
            from: self.me,
            request,
        };
        let exchange = async {
            let response = self.endpoint.call(node_addr(to), wire).await;
            self.net.delay().await;
            response
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(_)) => Err(TransportError::Unreachable(to)),
            Err(_) => Err(TransportError::Timeout(to)),
        }
    }
}
