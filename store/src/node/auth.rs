//! The coordinator's access control: verify a signed request against this
//! node's clock, judge it by its bucket's policy, then serve it.
//!
//! Bucket policies live in the replicated store itself, as registers under
//! a reserved key per bucket ([`policy_key`]), written and read with the
//! cluster's own protocol — so they can be stale, as S3 documents. A
//! coordinator keeps what it read for `policy_cache_ttl` on its own clock
//! (a stale allow is the price of fewer reads; a clock jumping back keeps
//! it longer). A policy it cannot read (fewer than R replicas) denies:
//! access control fails closed.
//!
//! Every refusal is the same `AccessDenied`, given before the key is
//! touched, so it never tells whether the key exists.

use super::{Node, lock};
use crate::auth::{AuthConfig, Operation, Policy, PolicyRequest, Signed};
use crate::clock::Clock;
use crate::config::Protocol;
use crate::disk::Disk;
use crate::keyspace::RESERVED;
use crate::message::{ClientRequest, ClientResponse, Request, Response};
use crate::s3::S3Error;
use crate::transport::Transport;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Most bucket policies one coordinator caches (the oldest fetched goes first).
pub const POLICY_CACHE_MAX: usize = 1024;

/// The store key of `bucket`'s policy.
pub fn policy_key(bucket: &str) -> String {
    format!("{RESERVED}p/{bucket}")
}

/// One cached policy: `None` = the bucket has none (default deny).
#[derive(Debug, Clone)]
pub(super) struct Cached {
    fetched_ns: u64,
    policy: Option<Arc<Policy>>,
}

/// A coordinator's policy cache, by bucket.
#[derive(Debug, Default)]
pub(super) struct PolicyCache {
    entries: BTreeMap<String, Cached>,
}

impl<T: Transport, C: Clock, D: Disk> Node<T, C, D> {
    /// Serves a signed request: refused with `AccessDenied` unless the
    /// principal is known, the signature holds and its time is fresh on
    /// this node's clock, and (for anyone but the administrator) the
    /// bucket's policy allows it.
    pub(super) async fn coordinate_signed(self: &Arc<Self>, signed: Signed) -> ClientResponse {
        let Some(auth) = self.config.auth.as_ref() else {
            return denied();
        };
        let principal = signed.authorization.access_key.as_str();
        let Some(secret) = auth.principals.get(principal) else {
            return denied();
        };
        let now_ns = self.clock.now_ns().saturating_add(auth.clock_epoch_ns);
        if signed.verify(secret, now_ns).is_err() {
            return denied();
        }
        if principal != auth.admin {
            let Some(permission) = signed.operation.permission() else {
                return denied();
            };
            let Some(policy) = self.bucket_policy(auth, &permission.bucket).await else {
                return denied();
            };
            let request = PolicyRequest {
                principal,
                action: permission.action,
                resource: &permission.resource,
            };
            if !policy.is_some_and(|p| p.evaluate(request).is_allowed()) {
                return denied();
            }
        }
        match signed.operation {
            Operation::Client(request) => {
                match Box::pin(self.handle(Request::Client(request))).await {
                    Response::Client(response) => response,
                    Response::Replica(_) => unreachable!("a client request gets a client answer"),
                }
            }
            Operation::PutBucketPolicy { bucket, policy } => {
                if let Err(e) = Policy::from_json(&policy) {
                    return ClientResponse::Error(S3Error::InvalidArgument(format!(
                        "MalformedPolicy: {e}"
                    )));
                }
                self.write_policy(&bucket, Some(policy)).await
            }
            Operation::DeleteBucketPolicy { bucket } => self.write_policy(&bucket, None).await,
            Operation::GetBucketPolicy { bucket } => {
                let key = policy_key(&bucket);
                self.policy_register(ClientRequest::Get { key }).await
            }
        }
    }

    /// `bucket`'s policy (`Some(None)`: it has none), from the cache while
    /// fresh on this node's clock, else read with the cluster's protocol;
    /// `None` if it cannot be read.
    async fn bucket_policy(
        self: &Arc<Self>,
        auth: &AuthConfig,
        bucket: &str,
    ) -> Option<Option<Arc<Policy>>> {
        let now = self.clock.now_ns();
        if let Some(cached) = lock(&self.policies).entries.get(bucket)
            && now >= cached.fetched_ns
            && now - cached.fetched_ns < auth.policy_cache_ttl_ns
        {
            return Some(cached.policy.clone());
        }
        let read = self.policy_register(ClientRequest::Get {
            key: policy_key(bucket),
        });
        let policy = match read.await {
            // A stored policy that no longer parses denies like none.
            ClientResponse::Value(text) => {
                text.and_then(|t| Policy::from_json(&t).ok()).map(Arc::new)
            }
            _ => return None,
        };
        let mut cache = lock(&self.policies);
        if cache.entries.len() >= POLICY_CACHE_MAX && !cache.entries.contains_key(bucket) {
            let oldest = (cache.entries.iter())
                .min_by_key(|(_, c)| c.fetched_ns)
                .map(|(b, _)| b.clone());
            if let Some(oldest) = oldest {
                cache.entries.remove(&oldest);
            }
        }
        let cached = Cached {
            fetched_ns: self.clock.now_ns(),
            policy: policy.clone(),
        };
        cache.entries.insert(bucket.to_owned(), cached);
        Some(policy)
    }

    /// Writes (`Some`) or deletes (`None`) `bucket`'s policy with the
    /// cluster's protocol; this node's cached copy goes.
    async fn write_policy(
        self: &Arc<Self>,
        bucket: &str,
        policy: Option<String>,
    ) -> ClientResponse {
        let key = policy_key(bucket);
        let request = match policy {
            Some(value) => ClientRequest::Put { key, value },
            None => ClientRequest::Delete { key },
        };
        lock(&self.policies).entries.remove(bucket);
        self.policy_register(request).await
    }

    /// A register operation on a policy key with the cluster's protocol
    /// (the reserved key space is refused to clients, not to the node).
    async fn policy_register(self: &Arc<Self>, request: ClientRequest) -> ClientResponse {
        match self.config.protocol {
            Protocol::Eventual | Protocol::Quorum => self.coordinate(request).await,
            Protocol::Abd => self.coordinate_abd(request).await,
            Protocol::Paxos => self.coordinate_paxos(request).await,
        }
    }
}

fn denied() -> ClientResponse {
    ClientResponse::Error(S3Error::AccessDenied)
}
