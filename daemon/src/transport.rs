//! The store's [`store::Transport`] over TCP, with a pool of connections per peer.
//!
//! A call takes an idle connection to the peer (or dials a new one), sends
//! its request frame, reads the response frame and puts the connection back
//! (at most [`MAX_IDLE_PER_PEER`] are kept). The whole call — dialling
//! included — runs under the caller's timeout: a peer that is down (refused
//! connection), hung or gone mid-call ends the call with a
//! [`TransportError`], never a panic, and its connection is dropped, so the
//! next call dials afresh (that is the reconnect).
//!
//! Injected faults ([`crate::inject`]): a call over a cut link is lost — its
//! request never sent (`me → to` cut) or its answer dropped (`to → me` cut,
//! the peer having acted on it) — and ends in [`TransportError::Timeout`]
//! after the whole timeout, as a partition's dropped packets end it.

use crate::inject::Injected;
use crate::peer::{self, PeerRequest, PeerResponse};
use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use store::{NodeId, Request, Response, TransportError};
use tokio::net::TcpStream;
use tokio_util::codec::{Framed, LengthDelimitedCodec};

/// Idle connections kept per peer; more concurrent calls dial more, and
/// those beyond this are closed when their call ends.
pub const MAX_IDLE_PER_PEER: usize = 32;

type Conn = Framed<TcpStream, LengthDelimitedCodec>;

/// TCP messaging to the peers at `peers[id]`. Clones share the pool.
#[derive(Clone)]
pub struct TcpTransport {
    inner: Arc<Inner>,
}

struct Inner {
    peers: Vec<SocketAddr>,
    idle: Vec<Mutex<Vec<Conn>>>,
    injected: Option<Arc<Injected>>,
}

impl TcpTransport {
    /// Messaging to node `i` at `peers[i]`, with no injected faults.
    pub fn new(peers: Vec<SocketAddr>) -> TcpTransport {
        TcpTransport::with_faults(peers, None)
    }

    /// Messaging to node `i` at `peers[i]` through `injected`'s cut links.
    pub fn with_faults(peers: Vec<SocketAddr>, injected: Option<Arc<Injected>>) -> TcpTransport {
        let idle = peers.iter().map(|_| Mutex::new(Vec::new())).collect();
        TcpTransport {
            inner: Arc::new(Inner {
                peers,
                idle,
                injected,
            }),
        }
    }

    /// Sends `request` (with `raw` bytes) to node `to`, waits at most
    /// `timeout` for the answer.
    pub async fn exchange(
        &self,
        to: NodeId,
        request: &PeerRequest,
        raw: &[u8],
        timeout: Duration,
    ) -> Result<(PeerResponse, Bytes), TransportError> {
        let Some(&addr) = self.inner.peers.get(to as usize) else {
            return Err(TransportError::Unreachable(to));
        };
        let (request_lost, answer_lost) = match &self.inner.injected {
            Some(injected) => injected.cut(to),
            None => (false, false),
        };
        if request_lost {
            tokio::time::sleep(timeout).await;
            return Err(TransportError::Timeout(to));
        }
        let frame = peer::encode(request, raw);
        let deadline = tokio::time::Instant::now() + timeout;
        let answer = match tokio::time::timeout(timeout, self.round_trip(to, addr, frame)).await {
            Ok(Some(answer)) => answer,
            Ok(None) => return Err(TransportError::Unreachable(to)),
            Err(_) => return Err(TransportError::Timeout(to)),
        };
        if answer_lost {
            tokio::time::sleep_until(deadline).await;
            return Err(TransportError::Timeout(to));
        }
        Ok(answer)
    }

    async fn round_trip(
        &self,
        to: NodeId,
        addr: SocketAddr,
        frame: Bytes,
    ) -> Option<(PeerResponse, Bytes)> {
        let pooled = self.idle(to).pop();
        let mut conn = match pooled {
            Some(conn) => conn,
            None => dial(addr).await?,
        };
        if conn.send(frame.clone()).await.is_err() {
            // A pooled connection the peer closed (it restarted): dial once more.
            conn = dial(addr).await?;
            conn.send(frame).await.ok()?;
        }
        let answer = conn.next().await?.ok()?;
        let decoded = peer::decode(answer).ok()?;
        let mut idle = self.idle(to);
        if idle.len() < MAX_IDLE_PER_PEER {
            idle.push(conn);
        }
        Some(decoded)
    }

    fn idle(&self, to: NodeId) -> std::sync::MutexGuard<'_, Vec<Conn>> {
        // Every critical section is one push or pop: a poisoned pool is intact.
        self.inner.idle[to as usize]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }
}

async fn dial(addr: SocketAddr) -> Option<Conn> {
    let stream = TcpStream::connect(addr).await.ok()?;
    stream.set_nodelay(true).ok()?;
    Some(Framed::new(stream, peer::codec()))
}

impl store::Transport for TcpTransport {
    async fn call(
        &self,
        to: NodeId,
        request: Request,
        timeout: Duration,
    ) -> Result<Response, TransportError> {
        match self
            .exchange(to, &PeerRequest::Store(request), &[], timeout)
            .await?
        {
            (PeerResponse::Store(response), _) => Ok(response),
            // Any other answer to a store request is a peer bug: no answer.
            _ => Err(TransportError::Unreachable(to)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::Transport as _;

    fn get() -> Request {
        Request::Client(store::ClientRequest::Get { key: "k".into() })
    }

    #[tokio::test]
    async fn a_down_peer_is_unreachable_and_a_silent_one_times_out() {
        // A port nobody listens on: refused at once.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let closed_addr = closed.local_addr().unwrap();
        drop(closed);
        // A peer that accepts and never answers.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let silent_addr = silent.local_addr().unwrap();
        let hold = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = silent.accept().await {
                held.push(stream);
            }
        });
        let transport = TcpTransport::new(vec![closed_addr, silent_addr]);
        let timeout = Duration::from_millis(200);
        assert_eq!(
            transport.call(0, get(), timeout).await,
            Err(TransportError::Unreachable(0))
        );
        assert_eq!(
            transport.call(1, get(), timeout).await,
            Err(TransportError::Timeout(1))
        );
        assert_eq!(
            transport.call(7, get(), timeout).await,
            Err(TransportError::Unreachable(7))
        );
        hold.abort();
    }

    #[tokio::test]
    async fn a_cut_link_loses_the_request_or_its_answer() {
        // A peer that answers every store request with a refusal.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let served = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = served.clone();
        let server = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let count = count.clone();
                tokio::spawn(async move {
                    let mut framed = Framed::new(stream, peer::codec());
                    while let Some(Ok(_)) = framed.next().await {
                        count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let answer = PeerResponse::Store(Response::Client(
                            store::ClientResponse::ReadUnavailable,
                        ));
                        let _ = framed.send(peer::encode(&answer, &[])).await;
                    }
                });
            }
        });
        let injected = Arc::new(Injected::new(0));
        let transport = TcpTransport::with_faults(vec![addr, addr], Some(injected.clone()));
        let timeout = Duration::from_millis(100);
        let served_now = || served.load(std::sync::atomic::Ordering::SeqCst);
        assert!(transport.call(1, get(), timeout).await.is_ok());
        assert_eq!(served_now(), 1);
        let cut = |links: Vec<(u32, u32)>| crate::inject::Control {
            cut: links,
            ..Default::default()
        };
        // 0 -> 1 cut: never sent.
        injected.set(Some(&cut(vec![(0, 1)])));
        assert_eq!(
            transport.call(1, get(), timeout).await,
            Err(TransportError::Timeout(1))
        );
        assert_eq!(served_now(), 1);
        // 1 -> 0 cut: served, its answer lost.
        injected.set(Some(&cut(vec![(1, 0)])));
        assert_eq!(
            transport.call(1, get(), timeout).await,
            Err(TransportError::Timeout(1))
        );
        assert_eq!(served_now(), 2);
        // Healed.
        injected.set(None);
        assert!(transport.call(1, get(), timeout).await.is_ok());
        server.abort();
    }
}
