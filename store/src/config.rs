//! Cluster configuration.

use std::time::Duration;

/// The replication protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    /// Last-write-wins with N/R/W quorums and read repair.
    Quorum,
}

/// How a cluster replicates. Defaults: 3 nodes, N=3, W=2, R=2, quorum protocol,
/// read repair on, replica timeout 50 ms, anti-entropy every 500 ms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    /// Number of storage nodes (ids `0..nodes`).
    pub nodes: u32,
    /// N: replicas per key (≤ nodes).
    pub replicas: u32,
    /// W: acknowledgements before a write succeeds (1..=N).
    pub write_quorum: u32,
    /// R: replies before a read returns (1..=N).
    pub read_quorum: u32,
    pub protocol: Protocol,
    /// After a read, write the newest version back to replicas that answered with an older one.
    pub read_repair: bool,
    /// How long a coordinator waits for replicas before giving up.
    pub replica_timeout: Duration,
    /// Period of anti-entropy rounds (`None` = off).
    pub anti_entropy_interval: Option<Duration>,
    /// Virtual nodes per node on the hash ring.
    pub vnodes: u32,
    /// **Test-only planted bug**: the coordinator acknowledges a write after
    /// sending it, without waiting for W replicas. Never set outside tests.
    pub bug_ack_before_quorum: bool,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            nodes: 3,
            replicas: 3,
            write_quorum: 2,
            read_quorum: 2,
            protocol: Protocol::Quorum,
            read_repair: true,
            replica_timeout: Duration::from_millis(50),
            anti_entropy_interval: Some(Duration::from_millis(500)),
            vnodes: 16,
            bug_ack_before_quorum: false,
        }
    }
}
