//! How a store message crosses madsim's network: as a raw madsim packet
//! carrying an [`Envelope`], delivered by madsim itself after the latency
//! the scenario draws for that message.
//!
//! Why not madsim's RPC helpers: a message's delay is drawn per message
//! (per link, per kind, from any distribution), and madsim's own delivery
//! timer can carry it only if the latency is set at the instant madsim
//! draws it. madsim calls a per-sender hook ([`attach`]) synchronously just
//! before that draw, with the packet in hand, but only for packets shaped
//! like its RPC requests — so requests *and* responses travel in that shape
//! ([`Packet`]), and this module does the request/response matching that
//! madsim's `call` and `add_rpc_handler` would have done (a fresh random
//! reply tag per call, one task per request served). One timer per hop
//! instead of two: madsim's delivery timer, no separate sleep.
//!
//! Semantics: the delay is spent in flight, on madsim's network, so a
//! message already sent is delivered if its sender crashes; a cut link (see
//! [`crate::fate`]) or madsim's global loss acts when it is sent.

use crate::fate::{Fates, Leg, Message};
use crate::timescale::{self, Epoch};
use crate::trace::{Peer, Trace, TraceId};
use crate::wire_size;
use bytes::Bytes;
use madsim::net::{Endpoint, NetSim};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use store::{Request, Response};

/// The tag every request travels under; a response travels under the reply
/// tag its request carried.
const REQUEST_TAG: u64 = 0x5709_e51d;

/// What a process needs to send and trace messages: the run's clock
/// origin, its trace, and every message's fate.
#[derive(Clone)]
pub struct NetContext {
    pub epoch: Epoch,
    pub trace: Trace,
    /// Every message's fate, and the links faults cut.
    pub fates: Arc<Fates>,
}

impl NetContext {
    /// Makes every message madsim node `node` sends meet the fate
    /// [`Fates::transit`] gives it on the wire (see [`attach`]). Call once
    /// per node.
    pub fn attach(&self, node: madsim::task::NodeId) {
        attach(
            node,
            self.epoch,
            Arc::clone(&self.fates),
            self.trace.clone(),
        );
    }
}

/// A store message with its sender and addressee, and where the trace
/// keeps it (to record its fate).
#[derive(Debug, Clone)]
pub struct Envelope {
    pub from: Peer,
    pub to: Peer,
    pub body: Body,
    pub traced: TraceId,
    /// What a response answers (a HEAD's carries no body on the wire);
    /// `Other` for requests.
    pub answering: wire_size::Answering,
}

#[derive(Debug, Clone)]
pub enum Body {
    Request(Request),
    Response(Response),
}

impl Envelope {
    /// A request from `from` to `to`, traced as `traced`.
    pub fn request(from: Peer, to: Peer, request: Request, traced: TraceId) -> Envelope {
        Envelope {
            from,
            to,
            body: Body::Request(request),
            traced,
            answering: wire_size::Answering::Other,
        }
    }

    /// The message as its fate sees it.
    pub fn message(&self) -> Message {
        let leg = match self.body {
            Body::Request(_) => Leg::Request,
            Body::Response(_) => Leg::Response,
        };
        Message {
            from: self.from,
            to: self.to,
            kind: self.kind(),
            leg,
        }
    }

    /// Its size on the wire (see `wire_size`).
    pub fn wire_bytes(&self) -> u64 {
        match &self.body {
            Body::Request(request) => wire_size::request_bytes(request),
            Body::Response(response) => wire_size::response_bytes(response, self.answering),
        }
    }

    /// The message kind (`client-put`, `replica-read`, `ok`, ...).
    pub fn kind(&self) -> &'static str {
        match &self.body {
            Body::Request(request) => request.kind(),
            Body::Response(response) => response.kind(),
        }
    }
}

/// What madsim carries: `(reply tag, envelope, no bytes)`, the shape of a
/// madsim RPC request, which is what madsim's send hook can read.
type Packet = (u64, Envelope, Bytes);

/// Makes every packet sent from madsim node `node` meet the fate
/// [`Fates::transit`] gives it, recorded in `trace`: dropped (a cut link),
/// or delivered after its drawn latency (less madsim's fixed per-hop
/// overhead, see `timescale::HOP_OVERHEAD`). Call once per madsim node,
/// before it sends; the hook outlives restarts (madsim keeps node ids).
pub fn attach(node: madsim::task::NodeId, epoch: Epoch, fates: Arc<Fates>, trace: Trace) {
    let netsim = NetSim::current();
    // Weak: the hook lives inside the `NetSim`, and a strong reference from
    // it would keep the whole simulated network alive after the run.
    let weak = Arc::downgrade(&netsim);
    netsim.hook_rpc_req::<Envelope>(node, move |envelope| {
        let now = epoch.elapsed_ns();
        let bytes = || envelope.wire_bytes();
        let fate = fates.transit(
            &envelope.message(),
            now,
            bytes,
            &mut madsim::rand::thread_rng(),
        );
        let delivered = match fate.delivered_after() {
            Some(after) => {
                let hop = timescale::to_madsim(after.saturating_sub(timescale::HOP_OVERHEAD));
                // madsim draws this packet's latency from this range right
                // after the hook returns, before any other task runs.
                if let Some(netsim) = weak.upgrade() {
                    netsim.update_config(|c| c.send_latency = hop..hop + Duration::from_nanos(1));
                }
                true
            }
            // Dropped before madsim draws anything for it, as madsim's own
            // clogged links did.
            None => false,
        };
        trace.fate(envelope.traced, fate);
        delivered
    });
}

/// A response as it reaches its requester.
#[derive(Debug)]
pub struct Reply {
    pub response: Response,
    /// The response as its fate sees it (its fate on arrival is still open).
    pub message: Message,
    pub traced: TraceId,
}

/// Sends a request and waits for its response (unbounded: callers bound it
/// with a timeout; a dropped request or response never arrives).
pub async fn call(endpoint: &Endpoint, to: SocketAddr, envelope: Envelope) -> io::Result<Reply> {
    debug_assert!(matches!(envelope.body, Body::Request(_)));
    let reply_tag: u64 = madsim::rand::random();
    let packet: Packet = (reply_tag, envelope, Bytes::new());
    endpoint
        .send_to_raw(to, REQUEST_TAG, Box::new(packet))
        .await?;
    let (payload, _) = endpoint.recv_from_raw(reply_tag).await?;
    let Ok(packet) = payload.downcast::<Packet>() else {
        return Err(io::Error::other("a reply that is not a storesim packet"));
    };
    let envelope = packet.1;
    let message = envelope.message();
    match envelope.body {
        Body::Response(response) => Ok(Reply {
            response,
            message,
            traced: envelope.traced,
        }),
        Body::Request(_) => Err(io::Error::other("a reply that is not a storesim response")),
    }
}

/// Serves every request that reaches `endpoint`, one task each, answering
/// with what `handle` returns; each response is traced when it leaves.
/// Runs until its node is killed.
pub async fn serve<H, Fut>(endpoint: Endpoint, me: Peer, net: NetContext, handle: H)
where
    H: Fn(Request) -> Fut,
    Fut: Future<Output = Response> + Send + 'static,
{
    // Unbounded on purpose: a server loop lives as long as its node.
    loop {
        let Ok((payload, from)) = endpoint.recv_from_raw(REQUEST_TAG).await else {
            return; // the socket is gone: the node is being killed
        };
        let Ok(packet) = payload.downcast::<Packet>() else {
            continue; // not ours (never happens: only storesim sends here)
        };
        let (reply_tag, envelope, _) = *packet;
        let Body::Request(request) = envelope.body else {
            continue;
        };
        let asker = envelope.from;
        let key = request.key().to_string();
        let answering = wire_size::answering(&request);
        // Boxed: the handler's future is large, and would otherwise be
        // copied byte by byte through every layer of `spawn`.
        let response = Box::pin(handle(request));
        let (endpoint, net) = (endpoint.clone(), net.clone());
        madsim::task::spawn(async move {
            let response = response.await;
            let now = net.epoch.elapsed_ns();
            let traced = net.trace.message(now, me, asker, response.kind(), &key);
            let reply = Envelope {
                from: me,
                to: asker,
                body: Body::Response(response),
                traced,
                answering,
            };
            let packet: Packet = (0, reply, Bytes::new());
            // An error means this node is being killed: the answer is lost.
            let _ = endpoint
                .send_to_raw(from, reply_tag, Box::new(packet))
                .await;
        });
    }
}
