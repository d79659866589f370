//! storesimd: the store as a real service.
//!
//! The same `store::Node` the simulator runs, on real tokio: peers talk over
//! TCP ([`transport`], [`server`], [`peer`]), timestamps come from the system
//! clock ([`clock`]), state lives in an append-only log ([`disk`]) and object
//! bodies in a blob folder ([`blobs`]); clients speak S3 over HTTP
//! ([`front`], built on the `s3s` crate, with conditional writes in
//! [`conditional`], and principals, SigV4 and bucket policies in [`access`]).
//! [`daemon`] wires a node together; [`config`] reads its settings; [`run`]
//! starts it. [`inject`] reads the control file through which partitions and
//! clock offsets are put into a running node.
//!
//! Built without `--cfg madsim` (see Cargo.toml); under that flag this crate
//! is not meant to build, and its build script says so.

pub mod access;
pub mod blobs;
pub mod clock;
pub mod conditional;
pub mod config;
pub mod daemon;
pub mod disk;
pub mod front;
pub mod inject;
pub mod peer;
pub mod run;
pub mod server;
pub mod transport;
