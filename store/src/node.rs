//! A storage node: replica of some keys, coordinator of any request.

use crate::clock::Clock;
use crate::config::ClusterConfig;
use crate::disk::Disk;
use crate::message::{Request, Response};
use crate::ring::Ring;
use crate::transport::Transport;
use crate::version::Entry;
use crate::NodeId;
use std::sync::Arc;

/// One node. Shared as `Arc<Node>` between the tasks serving its requests.
pub struct Node<T, C, D> {
    id: NodeId,
    config: ClusterConfig,
    ring: Ring,
    transport: T,
    clock: C,
    disk: D,
}

impl<T: Transport, C: Clock, D: Disk> Node<T, C, D> {
    /// A node that starts from whatever its disk holds (empty, or what survived a crash).
    pub fn new(id: NodeId, config: ClusterConfig, transport: T, clock: C, disk: D) -> Arc<Self> {
        todo!()
    }

    /// Serves one request: as coordinator for client requests, as replica for replica requests.
    pub async fn handle(self: &Arc<Self>, request: Request) -> Response {
        todo!()
    }

    /// One anti-entropy round with the next peer (round robin).
    pub async fn anti_entropy_round(self: &Arc<Self>) {
        todo!()
    }

    /// What this replica holds for `key` (tombstones included), without any messaging.
    pub fn local(&self, key: &str) -> Option<Entry> {
        todo!()
    }
}
