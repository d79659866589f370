//! The store's [`store::Transport`] over TCP, with a pool of connections per peer.
//!
//! A call takes an idle connection to the peer (or dials a new one), sends
//! its request frame, reads the response frame and puts the connection back
//! (at most [`MAX_IDLE_PER_PEER`] are kept). The whole call — dialling
//! included — runs under the caller's timeout: a peer that is down (refused
//! connection), hung or gone mid-call ends the call with a
//! [`TransportError`], never a panic, and its connection is dropped, so the
//! next call dials afresh (that is the reconnect).

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
}

impl TcpTransport {
    /// Messaging to node `i` at `peers[i]`.
    pub fn new(peers: Vec<SocketAddr>) -> TcpTransport {
        let idle = peers.iter().map(|_| Mutex::new(Vec::new())).collect();
        TcpTransport {
            inner: Arc::new(Inner { peers, idle }),
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
        let frame = peer::encode(request, raw);
        match tokio::time::timeout(timeout, self.round_trip(to, addr, frame)).await {
            Ok(Some(answer)) => Ok(answer),
            Ok(None) => Err(TransportError::Unreachable(to)),
            Err(_) => Err(TransportError::Timeout(to)),
        }
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
}
