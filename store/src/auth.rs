//! Access control, S3's way: who sent a request ([`sigv4`]: AWS Signature
//! Version 4, an HMAC-SHA256 over the canonical request and its time, judged
//! against the verifier's own clock) and whether they may do it ([`policy`]:
//! bucket policies with default deny and an explicit deny that overrides
//! every allow).
//!
//! Both are pure functions of their inputs — no clock is read, nothing is
//! stored — so the coordinator can judge a request against *its* clock and
//! *its* (possibly stale) copy of a policy, which is exactly what the
//! testbed wants to expose: eventually consistent permissions and skewed
//! clocks deciding who gets in.

pub mod envelope;
pub mod policy;
pub mod sigv4;

pub use envelope::{Authorization, Operation, Permission, Signed};
pub use policy::{Decision, Effect, Policy, PolicyError, PolicyRequest, Statement};
pub use sigv4::{AuthError, Credentials, Scope, SignedRequest};

use std::collections::BTreeMap;

/// Access control of a cluster (`ClusterConfig::auth`; `None`, the
/// default: no access control, and a signed request is refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// The principal table, the testbed's IAM: access key → secret key.
    /// Configuration, the same on every node (not replicated data).
    pub principals: BTreeMap<String, String>,
    /// The administrator's access key (in `principals`): the bucket owner,
    /// whom no bucket policy restricts, and the only one who may change
    /// policies or administer buckets.
    pub admin: String,
    /// How long a coordinator trusts a bucket policy it fetched, measured
    /// on its own clock (ns): the staleness it accepts for fewer reads.
    pub policy_cache_ttl_ns: u64,
    /// Added to a node's clock to give Unix time, which signatures carry
    /// (the simulation's clocks start near 0; a real daemon's read Unix
    /// time, and this is 0).
    pub clock_epoch_ns: u64,
}
