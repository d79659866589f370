//! The workload's side of access control (`[auth]`, issue 17): who each
//! client is, how each request is signed, the administrator's grants and
//! revokes, and the initial policies installed before the run.
//!
//! - **Identities.** Client 0 is the administrator when `administrator =
//!   true` (all its operations are grants and revokes); every other client
//!   is principal `c mod P` of the `P` principals.
//! - **Signing.** Each request is signed at the true time (Unix time:
//!   [`AUTH_EPOCH_NS`] plus the clocks' base plus elapsed time), drawn per
//!   request as `signed`, `presigned` (valid 60 s, signed 10 s ago),
//!   `forged` (a wrong secret), `replayed` (signed 30 minutes ago) or
//!   `expired` (presigned 60 s, signed 120 s ago): the history's `auth`.
//! - **Policies.** A bucket's generated policy allows its granted
//!   principals every object action on it; the administrator toggles one
//!   (bucket, tenant) per operation — tenants are the principals with a
//!   bucket at the start; the others are outsiders, never granted and writes the whole policy
//!   (`PutBucketPolicy`, or `DeleteBucketPolicy` when nobody is left),
//!   recorded as `grant` / `revoke` with key = bucket, value = principal.
//!   Initial policies are installed on every replica before the run and
//!   recorded as grants at the start, one per principal the bucket's
//!   policy allows to GetObject.

use super::s3::bucket_name;
use crate::cluster::SimCluster;
use crate::recorder::Recorder;
use crate::scenario::{ADMIN, Auth, Scenario};
use check::history::{Auth as Sender, AuthKind};
use check::{Event, EventType, FailReason, Function, Value};
use rand::Rng;
use std::collections::{BTreeMap, BTreeSet};
use store::auth::{AuthConfig, Operation, Policy, PolicyRequest, Signed, policy};
use store::{
    ClientRequest, ClientResponse, ClusterConfig, Entry, ReplicaRequest, Request, Response, Version,
};

/// Unix time when the simulation's clocks read 0 (2023-11-14): signatures
/// carry Unix time, and replays need room before the run.
pub const AUTH_EPOCH_NS: u64 = 1_700_000_000_000_000_000;
/// How long presigned URLs are valid.
pub const PRESIGNED_EXPIRES_S: u64 = 60;
/// How old a replayed request's signature is (beyond SigV4's 15 minutes).
pub const REPLAY_AGE_NS: u64 = 30 * 60 * NS;
const NS: u64 = 1_000_000_000;

/// The administrator's secret.
fn admin_secret() -> String {
    "secret-of-the-administrator".to_owned()
}

/// The store's access configuration for `auth` (TTL in clock nanoseconds).
pub fn store_config(auth: &Auth) -> AuthConfig {
    let mut principals: BTreeMap<String, String> = (auth.principals.iter())
        .map(|p| (p.name.clone(), p.secret.clone()))
        .collect();
    principals.insert(ADMIN.to_owned(), admin_secret());
    AuthConfig {
        principals,
        admin: ADMIN.to_owned(),
        policy_cache_ttl_ns: u64::try_from(auth.policy_cache_ttl.as_nanos()).unwrap_or(u64::MAX),
        clock_epoch_ns: AUTH_EPOCH_NS,
    }
}

/// True Unix time at `elapsed_ns` of scenario time.
fn unix_ns(elapsed_ns: u64) -> u64 {
    AUTH_EPOCH_NS + crate::clock::CLOCK_BASE_NS as u64 + elapsed_ns
}

/// A client's identity: its principal's name and secret.
#[derive(Debug, Clone)]
pub struct Identity {
    pub principal: String,
    pub secret: String,
}

impl Identity {
    /// Client `client`'s identity under `auth` (the administrator's for
    /// client 0 when it administers).
    pub fn of(auth: &Auth, client: u32) -> Identity {
        if auth.administrator && client == 0 {
            return Identity {
                principal: ADMIN.to_owned(),
                secret: admin_secret(),
            };
        }
        let p = &auth.principals[client as usize % auth.principals.len()];
        Identity {
            principal: p.name.clone(),
            secret: p.secret.clone(),
        }
    }

    /// Draws how the next request is signed (one draw).
    pub fn draw(&self, auth: &Auth, rng: &mut impl Rng) -> AuthKind {
        let x: f64 = rng.r#gen();
        let shares = [
            (auth.forged, AuthKind::Forged),
            (auth.replayed, AuthKind::Replayed),
            (auth.presigned, AuthKind::Presigned),
            (auth.expired, AuthKind::Expired),
        ];
        let mut sum = 0.0;
        for (share, kind) in shares {
            sum += share;
            if x < sum {
                return kind;
            }
        }
        AuthKind::Signed
    }

    /// `operation` in its envelope, signed as `kind` at `elapsed_ns`.
    pub fn sign(&self, operation: Operation, kind: AuthKind, elapsed_ns: u64) -> Request {
        let now = unix_ns(elapsed_ns);
        let forged = format!("{}-guessed", self.secret);
        let (secret, time, expires) = match kind {
            AuthKind::Signed => (&self.secret, now, None),
            AuthKind::Presigned => (&self.secret, now - 10 * NS, Some(PRESIGNED_EXPIRES_S)),
            AuthKind::Forged => (&forged, now, None),
            AuthKind::Replayed => (&self.secret, now - REPLAY_AGE_NS, None),
            AuthKind::Expired => (
                &self.secret,
                now - (2 * PRESIGNED_EXPIRES_S) * NS,
                Some(PRESIGNED_EXPIRES_S),
            ),
        };
        let signed = Signed::sign(operation, &self.principal, secret, time, expires);
        Request::Signed(Box::new(signed))
    }

    /// The history's `principal` and `auth` for a request signed as `kind`.
    pub fn sender(&self, kind: AuthKind) -> Box<Sender> {
        Box::new(Sender {
            principal: self.principal.clone(),
            kind,
        })
    }
}

/// The policy allowing `principals` every object action on `bucket`.
pub fn generated_policy(bucket: &str, principals: &BTreeSet<String>) -> String {
    let names: Vec<String> = principals.iter().map(|p| format!("{p:?}")).collect();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":[{}]}},"Action":["{}","{}","{}","{}"],"Resource":["{}","{}"]}}]}}"#,
        names.join(","),
        policy::GET_OBJECT,
        policy::PUT_OBJECT,
        policy::DELETE_OBJECT,
        policy::LIST_BUCKET,
        policy::resource_arn(bucket, None),
        policy::resource_arn(bucket, Some("*")),
    )
}

/// Every bucket's initial policy text (`None`: none), by bucket index.
fn initial_policies(auth: &Auth, buckets: u32) -> Vec<Option<String>> {
    (0..buckets)
        .map(|j| {
            let bucket = bucket_name(j);
            if let Some(json) = auth.policies.get(&bucket) {
                return Some(json.clone());
            }
            let granted: BTreeSet<String> = (auth.principals.iter())
                .filter(|p| p.buckets.contains(&bucket))
                .map(|p| p.name.clone())
                .collect();
            (!granted.is_empty()).then(|| generated_policy(&bucket, &granted))
        })
        .collect()
}

/// Who each bucket's initial policy allows (to GetObject an object of it).
pub fn initial_grants(auth: &Auth, buckets: u32) -> BTreeMap<String, BTreeSet<String>> {
    let policies = initial_policies(auth, buckets);
    let mut grants = BTreeMap::new();
    for (j, text) in policies.iter().enumerate() {
        let bucket = bucket_name(j as u32);
        let Some(policy) = text.as_deref().and_then(|t| Policy::from_json(t).ok()) else {
            continue;
        };
        let resource = policy::resource_arn(&bucket, Some("0/0/0"));
        let allowed = (auth.principals.iter())
            .filter(|p| {
                let request = PolicyRequest {
                    principal: &p.name,
                    action: policy::GET_OBJECT,
                    resource: &resource,
                };
                policy.evaluate(request).is_allowed()
            })
            .map(|p| p.name.clone())
            .collect();
        grants.insert(bucket, allowed);
    }
    grants
}

/// Installs every bucket's initial policy on every replica of its key (no
/// messages), and records each initial grant as a `grant` at the current
/// time by process 0. Returns the nodes that could not take it.
pub async fn install_policies(
    scenario: &Scenario,
    config: &ClusterConfig,
    cluster: &SimCluster,
    recorder: &Recorder,
    now_ns: u64,
) -> Vec<u32> {
    let (Some(auth), Some(s3)) = (&scenario.auth, &scenario.workload.s3) else {
        return Vec::new();
    };
    let ring = cluster.read_ring(config);
    let mut refused = Vec::new();
    for (j, text) in initial_policies(auth, s3.buckets).into_iter().enumerate() {
        let Some(text) = text else { continue };
        let key = store::node::policy_key(&bucket_name(j as u32));
        let entry = Entry::register(
            Version {
                timestamp: 1,
                node: 0,
            },
            Some(text),
        );
        let place = store::keyspace::placement(&key).to_owned();
        for node in ring.preference_list(&place, config.replicas) {
            let write = ReplicaRequest::Write {
                key: key.clone(),
                entry: entry.clone(),
            };
            let answer = cluster.serve_directly(node, Request::Replica(write)).await;
            if answer != Some(Response::Replica(store::ReplicaResponse::Written)) {
                refused.push(node);
            }
        }
    }
    let admin = Identity::of(auth, 0);
    for (bucket, principals) in initial_grants(auth, s3.buckets) {
        for principal in principals {
            for kind in [EventType::Invoke, EventType::Ok] {
                recorder.record_event(policy_event(
                    0,
                    kind,
                    Function::Grant,
                    &bucket,
                    &principal,
                    now_ns,
                    &admin,
                ));
            }
        }
    }
    refused
}

fn policy_event(
    process: u64,
    kind: EventType,
    f: Function,
    bucket: &str,
    principal: &str,
    time: u64,
    admin: &Identity,
) -> Event {
    Event {
        process,
        kind,
        f,
        key: bucket.to_owned(),
        value: Value::Str(principal.to_owned()),
        time,
        node: None,
        object: None,
        error: None,
        auth: Some(admin.sender(AuthKind::Signed)),
    }
}

/// The administrator: toggles one (bucket, principal) per operation.
pub struct Administrator {
    identity: Identity,
    granted: BTreeMap<String, BTreeSet<String>>,
    principals: Vec<String>,
    buckets: u32,
    /// How long to wait for a coordinator (madsim time).
    timeout: std::time::Duration,
}

impl Administrator {
    pub fn new(auth: &Auth, buckets: u32, timeout: std::time::Duration) -> Administrator {
        Administrator {
            identity: Identity::of(auth, 0),
            granted: initial_grants(auth, buckets),
            // Outsiders (no bucket at the start) are never granted.
            principals: (auth.principals.iter())
                .filter(|p| !p.buckets.is_empty())
                .map(|p| p.name.clone())
                .collect(),
            buckets,
            timeout,
        }
    }

    /// Draws, sends and records one grant or revoke through `coordinator`;
    /// returns how it ended.
    pub async fn change(
        &mut self,
        rng: &mut impl Rng,
        process: u64,
        coordinator: u32,
        transport: &impl store::Transport,
        net: &crate::wire::NetContext,
        log: &Recorder,
    ) -> EventType {
        let bucket = bucket_name(rng.gen_range(0..self.buckets));
        if self.principals.is_empty() {
            return EventType::Ok;
        }
        let principal = self.principals[rng.gen_range(0..self.principals.len())].clone();
        let set = self.granted.entry(bucket.clone()).or_default();
        let f = if set.remove(&principal) {
            Function::Revoke
        } else {
            set.insert(principal.clone());
            Function::Grant
        };
        let operation = if set.is_empty() {
            Operation::DeleteBucketPolicy {
                bucket: bucket.clone(),
            }
        } else {
            Operation::PutBucketPolicy {
                bucket: bucket.clone(),
                policy: generated_policy(&bucket, set),
            }
        };
        let now = || net.epoch.elapsed_ns();
        let mut event = policy_event(
            process,
            EventType::Invoke,
            f,
            &bucket,
            &principal,
            now(),
            &self.identity,
        );
        event.node = Some(coordinator);
        log.record_event(event.clone());
        let request = self.identity.sign(operation, AuthKind::Signed, now());
        let kind = match transport.call(coordinator, request, self.timeout).await {
            Ok(Response::Client(ClientResponse::Done)) => EventType::Ok,
            Ok(Response::Client(
                ClientResponse::Error(_)
                | ClientResponse::ReadUnavailable
                | ClientResponse::Refused,
            )) => EventType::Fail,
            _ => EventType::Info,
        };
        event.kind = kind;
        event.time = now();
        log.record_event(event);
        kind
    }
}

/// Why `request`'s answer refused it, if it did so before touching the
/// key: a 403 (`access-denied`) or a request turned away before it was
/// served (`slow-down`, `ClientResponse::Refused`).
pub fn refusal(answer: &Result<Response, store::TransportError>) -> Option<FailReason> {
    match answer {
        Ok(Response::Client(ClientResponse::Error(store::S3Error::AccessDenied))) => {
            Some(FailReason::AccessDenied)
        }
        Ok(Response::Client(ClientResponse::Refused)) => Some(FailReason::SlowDown),
        _ => None,
    }
}

/// A client request as the envelope's operation.
pub fn operation(request: ClientRequest) -> Operation {
    Operation::Client(request)
}
