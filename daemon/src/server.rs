//! The peer server: accepts TCP connections from other nodes and answers
//! their frames one at a time per connection.

use crate::daemon::Daemon;
use crate::peer::{self, PeerRequest};
use futures::{SinkExt, StreamExt};
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::Framed;

/// Most peer connections served at once; more wait in the listen backlog.
pub const MAX_PEER_CONNECTIONS: usize = 1024;

/// Serves peers on `listener` until the process ends.
pub async fn serve(listener: TcpListener, daemon: Arc<Daemon>) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_PEER_CONNECTIONS));
    // Unbounded on purpose: the server lives as long as the node.
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors and the like: back off, try again.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        let daemon = daemon.clone();
        tokio::spawn(async move {
            connection(stream, daemon).await;
            drop(permit);
        });
    }
}

/// Answers frames until the peer closes the connection or sends garbage.
async fn connection(stream: TcpStream, daemon: Arc<Daemon>) {
    let _ = stream.set_nodelay(true);
    let mut framed = Framed::new(stream, peer::codec());
    while let Some(Ok(frame)) = framed.next().await {
        let Ok((request, raw)) = peer::decode::<PeerRequest>(frame) else {
            return;
        };
        let (response, raw) = daemon.answer_peer(request, raw).await;
        if framed.send(peer::encode(&response, &raw)).await.is_err() {
            return;
        }
    }
}
