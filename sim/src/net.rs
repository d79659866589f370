//! The network model (which latency, loss and duplication apply to a
//! message) and the store's `Transport` over madsim's simulated network.
//!
//! Every message really crosses madsim's network (see `wire`), so partitions
//! (clogged links), packet loss and crashed nodes act on it. A message's delay
//! is drawn from the scenario's distribution for its link and kind, and madsim
//! spends it in flight, so a message already sent is still delivered if its
//! sender crashes, as on a real network.
//!
//! Per-link loss is drawn by the caller, from madsim's RNG: a lost request is
//! never sent, a lost response is never seen; either way the call times out.
//! Duplication sends a second copy of a node-to-node request whose response
//! is discarded: the copy is handled like any request (the store's replica
//! requests are idempotent under LWW).

use crate::scenario::{Latency, Network};
use crate::timescale::Epoch;
use crate::trace::{Peer, Trace};
use crate::wire::{self, Envelope};
use rand::Rng;
use std::collections::BTreeMap;
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

/// Request kinds a duplicated message may be: the replica requests whose
/// repetition is harmless (reads; LWW merges, which keep the newer version).
const DUPLICABLE: &[&str] = &["replica-read", "replica-write", "replica-sync"];

/// Which latency and loss apply to each message: the scenario's `[network]`,
/// indexed for lookup. Precedence: link+kind > link > kind > global.
#[derive(Debug, Clone)]
pub struct NetModel {
    global: Latency,
    kinds: BTreeMap<String, Latency>,
    links: BTreeMap<(u32, u32), crate::scenario::Link>,
    duplicate: f64,
}

impl NetModel {
    pub fn new(network: &Network) -> NetModel {
        NetModel {
            global: network.latency.clone(),
            kinds: network.kinds.clone(),
            links: (network.links.iter())
                .map(|l| ((l.from, l.to), l.clone()))
                .collect(),
            duplicate: network.duplicate,
        }
    }

    /// Only a latency for every message.
    pub fn uniform(latency: Latency) -> NetModel {
        NetModel {
            global: latency,
            kinds: BTreeMap::new(),
            links: BTreeMap::new(),
            duplicate: 0.0,
        }
    }

    fn link(&self, from: Peer, to: Peer) -> Option<&crate::scenario::Link> {
        match (from, to) {
            (Peer::Node(a), Peer::Node(b)) => self.links.get(&(a, b)),
            _ => None,
        }
    }

    /// The distribution of a message of `kind` from `from` to `to`.
    pub fn latency(&self, from: Peer, to: Peer, kind: &str) -> &Latency {
        let link = self.link(from, to);
        (link.and_then(|l| l.kinds.get(kind)))
            .or_else(|| link.and_then(|l| l.latency.as_ref()))
            .or_else(|| self.kinds.get(kind))
            .unwrap_or(&self.global)
    }

    /// Whether this message is lost on its link (madsim's global loss comes on top).
    pub fn lost(&self, from: Peer, to: Peer, rng: &mut impl Rng) -> bool {
        let loss = self.link(from, to).map_or(0.0, |l| l.loss);
        loss > 0.0 && rng.gen_bool(loss)
    }

    /// Whether to send a second copy of this request.
    pub fn duplicated(&self, from: Peer, kind: &str, rng: &mut impl Rng) -> bool {
        self.duplicate > 0.0
            && matches!(from, Peer::Node(_))
            && DUPLICABLE.contains(&kind)
            && rng.gen_bool(self.duplicate)
    }
}

/// What a process needs to send and trace messages.
#[derive(Clone)]
pub struct NetContext {
    pub epoch: Epoch,
    pub trace: Trace,
    pub model: Arc<NetModel>,
}

impl NetContext {
    /// Makes madsim deliver every message madsim node `node` sends after
    /// its drawn latency (see [`wire::attach`]). Call once per node.
    pub fn attach(&self, node: madsim::task::NodeId) {
        wire::attach(node, Arc::clone(&self.model));
    }

    /// Draws whether a message on `from → to` is lost on its link.
    fn lost(&self, from: Peer, to: Peer) -> bool {
        self.model.lost(from, to, &mut madsim::rand::thread_rng())
    }
}

/// The store's `Transport` for one simulated process (storage node or client).
pub struct SimTransport {
    pub me: Peer,
    pub endpoint: madsim::net::Endpoint,
    pub net: NetContext,
}

impl SimTransport {
    /// Sends a copy of `request` whose answer nobody reads (bounded by `timeout`).
    fn send_duplicate(&self, to: NodeId, request: Request, timeout: Duration) {
        let now = self.net.epoch.elapsed_ns();
        let dest = Peer::Node(to);
        (self.net.trace).message(now, self.me, dest, request.kind(), request.key());
        if self.net.lost(self.me, dest) {
            return;
        }
        let (endpoint, me) = (self.endpoint.clone(), self.me);
        madsim::task::spawn(async move {
            let copy = wire::call(
                &endpoint,
                node_addr(to),
                Envelope::request(me, dest, request),
            );
            let _ = tokio::time::timeout(timeout, copy).await;
        });
    }
}

impl store::Transport for SimTransport {
    /// Traces the request, sends it and waits for the response, all within
    /// `timeout`, which is in madsim time: the store runs on madsim's clock
    /// and the runner hands it stretched durations (see `timescale`). A
    /// message lost on its link never arrives.
    async fn call(
        &self,
        to: NodeId,
        request: Request,
        timeout: Duration,
    ) -> Result<Response, TransportError> {
        let now = self.net.epoch.elapsed_ns();
        let dest = Peer::Node(to);
        (self.net.trace).message(now, self.me, dest, request.kind(), request.key());
        if (self.net.model).duplicated(self.me, request.kind(), &mut madsim::rand::thread_rng()) {
            self.send_duplicate(to, request.clone(), timeout);
        }
        let envelope = Envelope::request(self.me, dest, request);
        let exchange = async {
            if self.net.lost(self.me, dest) {
                std::future::pending::<()>().await;
            }
            let response = wire::call(&self.endpoint, node_addr(to), envelope).await?;
            if self.net.lost(dest, self.me) {
                std::future::pending::<()>().await;
            }
            Ok::<Response, std::io::Error>(response)
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(_)) => Err(TransportError::Unreachable(to)),
            Err(_) => Err(TransportError::Timeout(to)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Link;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn fixed(us: u64) -> Latency {
        Latency::Fixed(Duration::from_micros(us))
    }

    fn model() -> NetModel {
        let kinds = |k: &str, us: u64| BTreeMap::from([(k.to_string(), fixed(us))]);
        NetModel::new(&Network {
            latency: fixed(1),
            loss: 0.0,
            duplicate: 0.5,
            kinds: kinds("replica-write", 2),
            links: vec![
                Link {
                    from: 0,
                    to: 1,
                    latency: Some(fixed(3)),
                    kinds: kinds("replica-read", 4),
                    loss: 1.0,
                },
                Link {
                    from: 1,
                    to: 2,
                    latency: None,
                    kinds: kinds("replica-write", 5),
                    loss: 0.0,
                },
            ],
        })
    }

    #[test]
    fn link_and_kind_beats_link_beats_kind_beats_global() {
        let m = model();
        let (n, c) = (Peer::Node, Peer::Client);
        assert_eq!(
            m.latency(n(0), n(1), "replica-read"),
            &fixed(4),
            "link + kind"
        );
        assert_eq!(m.latency(n(0), n(1), "replica-write"), &fixed(3), "link");
        assert_eq!(
            m.latency(n(1), n(0), "replica-write"),
            &fixed(2),
            "links are directed: kind"
        );
        assert_eq!(
            m.latency(n(1), n(2), "replica-write"),
            &fixed(5),
            "link + kind without link latency"
        );
        assert_eq!(m.latency(n(1), n(2), "replica-read"), &fixed(1), "global");
        assert_eq!(
            m.latency(c(0), n(1), "replica-write"),
            &fixed(2),
            "clients are on no link"
        );
    }

    #[test]
    fn link_loss_and_duplication_draw_per_message() {
        let m = model();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert!((0..100).all(|_| m.lost(Peer::Node(0), Peer::Node(1), &mut rng)));
        assert!((0..100).all(|_| !m.lost(Peer::Node(1), Peer::Node(0), &mut rng)));
        let copies = (0..1000)
            .filter(|_| m.duplicated(Peer::Node(0), "replica-write", &mut rng))
            .count();
        assert!((400..600).contains(&copies), "{copies}");
        assert!(
            !m.duplicated(Peer::Client(0), "client-put", &mut rng),
            "client requests never"
        );
        assert!(!m.duplicated(Peer::Node(0), "client-put", &mut rng));
    }
}
