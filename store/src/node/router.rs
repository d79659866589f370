//! The router role: a front end that coordinates client requests with the
//! cluster's protocol but stores nothing.
//!
//! A router is a [`Node`] without replica state: it runs the same coordinator
//! code as a storage node, is on no preference list, refuses replica
//! requests, runs no anti-entropy and holds no hints. Router `r` has id
//! `nodes + r`, so the versions it issues (clock timestamps under the LWW
//! protocols, logical ones under `abd`) are tie-broken apart from every
//! storage node's. It has no disk: after a restart it issues versions from
//! its clock (LWW) or from what its queries see (`abd`) alone.

use super::Node;
use crate::NodeId;
use crate::clock::Clock;
use crate::config::ClusterConfig;
use crate::disk::Disk;
use crate::transport::Transport;
use std::sync::Arc;

impl<T: Transport, C: Clock, D: Disk> Node<T, C, D> {
    /// Router `id` (`nodes <= id < nodes + routers`). Panics on an id outside
    /// that range or an invalid configuration.
    pub fn router(id: NodeId, config: ClusterConfig, transport: T, clock: C) -> Arc<Self> {
        let (first, routers) = (config.nodes, config.routers());
        assert!(
            (first..first + routers).contains(&id),
            "router id {id} outside {first}..{} ({routers} routers)",
            first + routers
        );
        Self::build(id, config, transport, clock, None, 0)
    }
}
