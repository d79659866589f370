//! The transport seam: how a node talks to its peers.

use crate::NodeId;
use crate::message::{Request, Response};
use std::future::Future;
use std::time::Duration;

/// A request could not be answered in time (lost, partitioned, crashed peer or
/// just slow): the caller cannot tell which.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("request to node {0} timed out")]
    Timeout(NodeId),
    #[error("node {0} unreachable")]
    Unreachable(NodeId),
}

/// Request/response messaging between nodes. Implementations are datagram-like:
/// messages may be delayed, lost or reordered; a call to a dead or partitioned
/// node only ever ends by its timeout.
pub trait Transport: Send + Sync + 'static {
    /// Sends `request` to node `to` and waits at most `timeout` for its response.
    fn call(
        &self,
        to: NodeId,
        request: Request,
        timeout: Duration,
    ) -> impl Future<Output = Result<Response, TransportError>> + Send;
}
