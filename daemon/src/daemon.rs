//! One storesimd node: the store node, its blob store and its peers, and the
//! two things that reach them — the peer server and the S3 front end.
//!
//! Blobs (object bodies, see [`crate::blobs`]) are replicated by the node
//! that receives the PUT before it writes the object's descriptor through the
//! store: it keeps the bytes itself and pushes them to every other node,
//! waiting for W nodes in all to keep them (the store's write quorum) — so
//! an acknowledged PUT has its bytes on at least W nodes, as its descriptor
//! is on at least W replicas. A node that lacks a body when it serves a GET
//! fetches it from its peers in turn and keeps it. Blobs are never deleted
//! (an overwritten or deleted object's bytes stay on disk): a known limit.

use crate::blobs::{BlobStore, Described};
use crate::clock::SystemClock;
use crate::disk::FileDisk;
use crate::peer::{PeerRequest, PeerResponse};
use crate::transport::TcpTransport;
use bytes::Bytes;
use std::sync::Arc;
use std::time::Duration;
use store::auth::Operation;
use store::{ClientRequest, ClientResponse, Clock as _, Node, NodeId, Response};

/// The store node as storesimd builds it.
pub type StoreNode = Node<TcpTransport, SystemClock, FileDisk>;

/// How long a blob push or fetch may take per peer (bodies are larger than
/// store messages, so this is not the store's replica timeout).
pub const BLOB_TIMEOUT: Duration = Duration::from_secs(10);

/// A node and what it needs to serve peers and clients.
pub struct Daemon {
    pub id: NodeId,
    pub node: Arc<StoreNode>,
    pub blobs: Arc<BlobStore>,
    pub transport: TcpTransport,
}

/// Fewer than W nodes kept a body in time: the PUT is not acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobUnavailable;

impl Daemon {
    /// Coordinates a client request sent by `caller` (the access key s3s
    /// authenticated; `None`: anonymous) on this node.
    pub async fn request(&self, caller: Option<&str>, request: ClientRequest) -> ClientResponse {
        self.operate(caller, Operation::Client(request)).await
    }

    /// Coordinates `operation` on `caller`'s behalf: under access control
    /// as the store's signed envelope, judged by the store (see
    /// [`crate::access`]); in open mode as a plain client request.
    pub async fn operate(&self, caller: Option<&str>, operation: Operation) -> ClientResponse {
        let auth = self.node.config().auth.as_ref();
        let now_ns = self.node.clock().now_ns();
        let request = match crate::access::on_behalf(auth, caller, operation, now_ns) {
            Ok(request) => request,
            Err(answer) => return answer,
        };
        match self.node.handle(request).await {
            Response::Client(response) => response,
            // A client request is always answered as one; anything else is a
            // store bug, reported as a refusal rather than a panic.
            Response::Replica(_) => ClientResponse::WriteUnavailable,
        }
    }

    /// Answers a peer's request.
    pub async fn answer_peer(&self, request: PeerRequest, raw: Bytes) -> (PeerResponse, Bytes) {
        match request {
            PeerRequest::Store(request) => (
                PeerResponse::Store(self.node.handle(request).await),
                Bytes::new(),
            ),
            PeerRequest::BlobPut { id, md5 } => {
                let blobs = self.blobs.clone();
                let kept = tokio::task::spawn_blocking(move || blobs.put(&id, &md5, &raw))
                    .await
                    .is_ok_and(|result| result.is_ok());
                (PeerResponse::BlobStored(kept), Bytes::new())
            }
            PeerRequest::BlobGet { id } => match self.local_blob(id).await {
                Some((md5, body)) => (PeerResponse::Blob(Some(md5)), body),
                None => (PeerResponse::Blob(None), Bytes::new()),
            },
        }
    }

    async fn local_blob(&self, id: String) -> Option<(String, Bytes)> {
        let blobs = self.blobs.clone();
        tokio::task::spawn_blocking(move || blobs.get(&id))
            .await
            .ok()?
            .ok()?
    }

    /// Keeps `bytes` here and on every peer; returns once W nodes in all
    /// kept them (the pushes to the rest go on in the background).
    pub async fn store_blob(
        &self,
        described: &Described,
        bytes: Bytes,
    ) -> Result<(), BlobUnavailable> {
        let needed = self.node.config().write_quorum as usize;
        let nodes = self.node.config().nodes;
        let (tx, mut rx) = tokio::sync::mpsc::channel(nodes as usize);
        for to in 0..nodes {
            let (tx, bytes, described) = (tx.clone(), bytes.clone(), described.clone());
            let (blobs, transport, me) = (self.blobs.clone(), self.transport.clone(), self.id);
            tokio::spawn(async move {
                let kept = if to == me {
                    tokio::task::spawn_blocking(move || {
                        blobs.put(&described.id, &described.md5, &bytes)
                    })
                    .await
                    .is_ok_and(|result| result.is_ok())
                } else {
                    let request = PeerRequest::BlobPut {
                        id: described.id,
                        md5: described.md5,
                    };
                    matches!(
                        transport.exchange(to, &request, &bytes, BLOB_TIMEOUT).await,
                        Ok((PeerResponse::BlobStored(true), _))
                    )
                };
                // The receiver may be gone (quorum reached): nothing to tell.
                let _ = tx.send(kept).await;
            });
        }
        drop(tx);
        let mut kept = 0;
        // Bounded: one answer per node, then the channel closes.
        while let Some(ok) = rx.recv().await {
            kept += usize::from(ok);
            if kept >= needed {
                return Ok(());
            }
        }
        Err(BlobUnavailable)
    }

    /// The body kept under `id`: from this node, else from the first peer
    /// that has it (then kept here too). `None` if no node answers with it.
    pub async fn fetch_blob(&self, id: &str) -> Option<(String, Bytes)> {
        if let Some(found) = self.local_blob(id.to_string()).await {
            return Some(found);
        }
        let request = PeerRequest::BlobGet { id: id.to_string() };
        for to in (0..self.node.config().nodes).filter(|&to| to != self.id) {
            if let Ok((PeerResponse::Blob(Some(md5)), body)) = self
                .transport
                .exchange(to, &request, &[], BLOB_TIMEOUT)
                .await
            {
                let (blobs, id, md5c, bodyc) = (
                    self.blobs.clone(),
                    id.to_string(),
                    md5.clone(),
                    body.clone(),
                );
                // Keeping a copy is an optimisation: a failure changes nothing.
                let _ = tokio::task::spawn_blocking(move || blobs.put(&id, &md5c, &bodyc)).await;
                return Some((md5, body));
            }
        }
        None
    }

    /// S3's ETag (the MD5) of the body with id `id`, from this node's blob
    /// store only (listings read many; a miss is filled by the caller).
    pub async fn local_md5(&self, id: &str) -> Option<String> {
        self.local_blob(id.to_string()).await.map(|(md5, _)| md5)
    }
}
