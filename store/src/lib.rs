//! `store`: a replicated object store, Dynamo style.
//!
//! Nodes sit on a hash [`ring`]; each key has a preference list of N replicas and
//! any node — or, in router mode, any router — can coordinate a request. Three
//! [`Protocol`]s: `eventual` and `quorum` are last-write-wins, with versions
//! `(timestamp, node id)` whose timestamp comes from the coordinator's
//! [`Clock`], so they are only as good as the clocks — which is what the
//! testbed shows; `abd` is a linearizable register with logical versions.
//! Replicas make writes durable by the cluster's [`SyncPolicy`].
//!
//! The store reaches the world through three seams, each a small trait that the
//! simulation (or, later, a real deployment) implements:
//! [`Transport`] (peer and client messages), [`Clock`] (LWW timestamps) and
//! [`Disk`] (durable state that a crash may partly lose). Nothing here reads the
//! wall clock or touches a real file.

pub mod clock;
pub mod config;
pub mod disk;
pub mod fnv;
pub mod message;
pub mod node;
pub mod ring;
pub mod transport;
pub mod version;

pub use clock::Clock;
pub use config::{ClusterConfig, Coordinators, Protocol, SyncPolicy};
pub use disk::{Disk, MemDisk};
pub use message::{
    ClientRequest, ClientResponse, KeyRange, MAX_SYNC_ENTRIES, ReplicaRequest, ReplicaResponse,
    Request, Response,
};
pub use node::{HINTS_PER_ROUND, Node};
pub use ring::Ring;
pub use transport::{Transport, TransportError};
pub use version::{Entry, Version};

/// A storage node's index in the cluster, `0..nodes`.
pub type NodeId = u32;
