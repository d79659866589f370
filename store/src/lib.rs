//! `store`: a replicated object store, Dynamo style.
//!
//! Nodes sit on a hash [`ring`]; each key has a preference list of N replicas and
//! any node — or, in router mode, any router — can coordinate a request. Four
//! [`Protocol`]s: `eventual` and `quorum` are last-write-wins, with versions
//! `(timestamp, node id)` whose timestamp comes from the coordinator's
//! [`Clock`], so they are only as good as the clocks — which is what the
//! testbed shows; `abd` is a linearizable register with logical versions
//! (its cas a read then a write); `paxos` runs every operation as a consensus
//! round, so its cas — S3's conditional writes — is atomic.
//! Replicas make writes durable by the cluster's [`SyncPolicy`].
//!
//! The store reaches the world through three seams, each a small trait that the
//! simulation (or, later, a real deployment) implements:
//! [`Transport`] (peer and client messages), [`Clock`] (LWW timestamps) and
//! [`Disk`] (durable state that a crash may partly lose). Nothing here reads the
//! wall clock or touches a real file.
//!
//! Two client surfaces share the replicas: string registers (`Get`, `Put`,
//! `Delete`, `Cas`) and S3's buckets, objects, LIST and versions, laid out
//! in one key space ([`keyspace`]) so that every object version is a register
//! of its own and merges, repairs and converges as registers do.

pub mod auth;
pub mod bucket;
pub mod buggify;
pub mod clock;
pub mod config;
pub mod deadline;
pub mod disk;
pub mod fnv;
pub mod keyspace;
pub mod membership;
pub mod message;
pub mod node;
pub mod object;
pub mod planted;
pub mod ring;
pub mod s3;
pub mod transport;
pub mod version;

pub use bucket::{BucketMeta, Versioning};
pub use clock::Clock;
pub use config::{
    ClusterConfig, Coordinators, MAX_RESTAMPS, Protocol, Rejoin, SyncPolicy, Timestamps,
};
pub use disk::{Disk, DiskError, MemDisk};
pub use membership::{Change, ChangeError, Layout, MoveDesign};
pub use message::{
    ClientRequest, ClientResponse, KeyRange, MAX_SYNC_ENTRIES, ReplicaRequest, ReplicaResponse,
    Request, Response,
};
pub use node::{HINTS_PER_ROUND, LIST_ROUNDS, LIST_SCAN_ENTRIES, MAX_OBJECT_ENTRIES, Node};
pub use object::{Body, ObjectMeta};
pub use ring::Ring;
pub use s3::{Condition, ListPage, ListedObject, ListedVersion, ObjectInfo, S3Error, VersionsPage};
pub use transport::{Transport, TransportError};
pub use version::{Entry, KeptVersion, Record, Version};

/// A storage node's index in the cluster, `0..nodes`.
pub type NodeId = u32;
