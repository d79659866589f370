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

pub mod policy;
pub mod sigv4;

pub use policy::{Decision, Effect, Policy, PolicyError, PolicyRequest, Statement};
pub use sigv4::{AuthError, Credentials, Scope, SignedRequest};
