//! The S3 workload (`[workload] api = "s3"`): clients issuing GetObject,
//! PutObject, DeleteObject, ListObjectsV2 (page by page) and, in versioned
//! buckets, GET / DELETE by version id and ListObjectVersions, recorded in
//! the history's S3 forms (`docs/history-format.md`).
//!
//! - **Names.** Buckets are `bucket1`..`bucketB`; object `i` is
//!   `{i/100}/{i/10}/{i}` (`12/123/1234`), so prefixes mean something: a
//!   listing draws a key and lists its bucket whole, its top folder (up to
//!   100 keys) or its leaf folder (up to 10). History keys are
//!   `bucket/key`; a listing's key is `bucket/prefix`.
//! - **Bodies.** A PutObject of client `c`'s `n`-th operation writes the
//!   body descriptor (writer `c`, sequence `n`, a drawn size): its history
//!   value is `c{c}-{n}`, the name every check already uses, so a GET's
//!   body names its write. The invoke carries the body's ETag (MD5, as the
//!   store computes it), size and metadata (`w`: the value); the `ok`
//!   carries the version id the store created (versioned buckets only: with
//!   versioning off every version is `null`, which says nothing).
//! - **Listings.** One LIST is one history operation from its first page's
//!   request to its last page's answer, every page a separate request to
//!   the same coordinator; a page that fails fails the listing (`fail`:
//!   a read did nothing), a lost one makes it `info`. Pages are bounded
//!   ([`max_pages`]); a listing that would need more ends `info`.
//! - **Versions.** A client remembers the version ids it has seen (its own
//!   writes, GETs and ListObjectVersions; at most [`KNOWN_PER_KEY`] per
//!   object, [`KNOWN_MAX`] in all) and GETs or DELETEs one of them by id;
//!   with none known for the drawn object it does a plain GET instead.
//! - **Setup.** [`install_buckets`] puts every bucket, with its versioning,
//!   on every replica of its key before any client starts (no messages, not
//!   recorded). **Finals.** [`final_reads`] gives, for every object on every
//!   replica of its preference list, the replica's current version's value
//!   (`null`: none, a delete marker or a tombstone), so `convergence`,
//!   `lost-update` and `durability` judge objects as registers.

use super::access::{self, Administrator, Identity};
use super::{ClientPlan, connect, push_decimal, think_before_next};
use crate::cluster::SimCluster;
use crate::recorder::Recorder;
use crate::scenario::{CasFrom, MAX_OBJECT_SIZE, ObjectSize, S3Workload, Scenario};
use crate::timescale;
use crate::wire::NetContext;
use check::history::{Auth as Sender, AuthKind};
use check::history::{Object, VersionEntry};
use check::{Event, EventType, FailReason, Final, Function, Value};
use rand::Rng;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;
use store::keyspace::{bucket_key, objects_prefix, placement, split_version_key};
use store::{
    Body, BucketMeta, ClientRequest, ClientResponse, ClusterConfig, Condition, Entry, Record,
    ReplicaRequest, Request, Response, S3Error, TransportError, Version, Versioning,
};

use super::known_versions::{KNOWN_PER_KEY, KnownVersions};

/// The name of bucket `j` (`bucket1`, ...).
pub fn bucket_name(j: u32) -> String {
    let mut name = String::from("bucket");
    push_decimal(&mut name, u64::from(j) + 1);
    name
}

/// The name of object `i` in its bucket: `{i/100}/{i/10}/{i}`.
pub fn object_key(i: u32) -> String {
    let mut key = String::with_capacity(20);
    push_decimal(&mut key, u64::from(i / 100));
    key.push('/');
    push_decimal(&mut key, u64::from(i / 10));
    key.push('/');
    push_decimal(&mut key, u64::from(i));
    key
}

/// The listing prefix of object `i` at `depth`: 0 the whole bucket, 1 its
/// top folder, 2 its leaf folder.
fn prefix(i: u32, depth: u32) -> String {
    let mut prefix = String::new();
    if depth >= 1 {
        push_decimal(&mut prefix, u64::from(i / 100));
        prefix.push('/');
    }
    if depth >= 2 {
        push_decimal(&mut prefix, u64::from(i / 10));
        prefix.push('/');
    }
    prefix
}

/// The history value naming a body: `c{writer}-{sequence}`.
fn body_name(body: &Body) -> String {
    let mut value = String::with_capacity(24);
    value.push('c');
    push_decimal(&mut value, body.writer);
    value.push('-');
    push_decimal(&mut value, body.sequence);
    value
}

/// Most pages one listing may take: twice the pages its keys (ListObjects)
/// or its versions (ListObjectVersions, up to [`store::MAX_OBJECT_ENTRIES`]
/// per object, but a listing of more than a few is rare) need, plus slack
/// for the empty truncated pages S3 allows.
pub fn max_pages(keys: u32, max_keys: u32, versions: bool) -> u32 {
    let entries = if versions {
        keys.saturating_mul(KNOWN_PER_KEY as u32)
    } else {
        keys
    };
    entries.div_ceil(max_keys.max(1)).saturating_mul(2) + 16
}

/// The longest one S3 operation can take (scenario time): every page of
/// the longest listing timing out. The runner's time limit allows for it.
pub fn longest_op(scenario: &Scenario) -> Duration {
    let timeout = scenario.cluster.client_timeout;
    match &scenario.workload.s3 {
        None => timeout,
        Some(s3) => timeout * max_pages(scenario.workload.keys, s3.max_keys, true),
    }
}

/// Draws an object size.
fn draw_size(size: &ObjectSize, rng: &mut impl Rng) -> u64 {
    match *size {
        ObjectSize::Fixed(bytes) => bytes,
        ObjectSize::Uniform { min, max } => rng.gen_range(min..=max),
        ObjectSize::Lognormal { median, sigma } => {
            // Box–Muller, as the latency draws.
            let (u, v) = (1.0 - rng.r#gen::<f64>(), rng.r#gen::<f64>());
            let normal = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
            let bytes = median as f64 * (sigma * normal).exp();
            if bytes.is_nan() || bytes >= MAX_OBJECT_SIZE as f64 {
                MAX_OBJECT_SIZE
            } else {
                bytes.max(0.0) as u64
            }
        }
    }
}

/// One operation, as drawn.
enum Op {
    Get {
        bucket: u32,
        key: u32,
        version: Option<String>,
    },
    Put {
        bucket: u32,
        key: u32,
        body: Body,
    },
    Delete {
        bucket: u32,
        key: u32,
        version: Option<String>,
    },
    List {
        bucket: u32,
        prefix: String,
        versions: bool,
    },
    /// A conditional PutObject of `body`: `If-Match` the ETag of `from`,
    /// or `If-None-Match: *` when `from` is `None`.
    Cas {
        bucket: u32,
        key: u32,
        from: Option<Body>,
        body: Body,
    },
    /// A conditional DeleteObject: `If-Match` the ETag of `from`.
    CasDelete {
        bucket: u32,
        key: u32,
        from: Body,
    },
}

struct S3Client<'a> {
    plan: &'a ClientPlan,
    s3: &'a S3Workload,
    process: u64,
    /// Version ids seen per (bucket, object), oldest first.
    known: KnownVersions<(u32, u32)>,
    /// The body this client last saw current per (bucket, object) (`None`:
    /// absent), the `If-Match` of its cas under `cas_from = "seen"`. At
    /// most one per object the workload names.
    seen: BTreeMap<(u32, u32), Option<Body>>,
    /// `[auth]`: this client's identity, and how its current request is signed.
    identity: Option<Identity>,
    sign_as: AuthKind,
    /// Why the current operation's last answer refused it, when it is a
    /// 403 or a 503 SlowDown (see [`access::refusal`]).
    refused: Arc<Mutex<Option<FailReason>>>,
}

/// Runs one S3 client to completion. Call on the client's own madsim node.
pub async fn run_client(plan: ClientPlan, net: NetContext, recorder: Recorder) {
    let Some(s3) = plan.s3.clone() else {
        return;
    };
    let (transport, mut rng) = connect(&plan, &net, 0x53_c11e).await;
    let identity = plan.auth.as_ref().map(|a| Identity::of(a, plan.client));
    if let Some(auth) = plan
        .auth
        .as_ref()
        .filter(|a| a.administrator && plan.client == 0)
    {
        return administer(&plan, auth, &s3, &transport, rng, &net, &recorder).await;
    }
    let mut client = S3Client {
        plan: &plan,
        s3: &s3,
        process: u64::from(plan.client),
        known: KnownVersions::default(),
        seen: BTreeMap::new(),
        identity,
        sign_as: AuthKind::Signed,
        refused: Arc::new(Mutex::new(None)),
    };
    for seq in 1..=plan.ops {
        let think = plan.think.mul_f64(-(1.0 - rng.r#gen::<f64>()).ln());
        if !think_before_next(&plan, &net, think).await {
            break;
        }
        let (op, coordinator) = client.draw(&mut rng, seq);
        if let (Some(auth), Some(identity)) = (&plan.auth, &client.identity) {
            client.sign_as = identity.draw(auth, &mut rng);
        }
        let kind = client
            .execute(op, coordinator, &transport, &net, &recorder)
            .await;
        if kind == EventType::Info {
            client.process += u64::from(plan.clients);
        }
    }
}

/// The administrator's loop (client 0 under `[auth] administrator`): one
/// grant or revoke per operation, through a coordinator drawn each time.
async fn administer(
    plan: &ClientPlan,
    auth: &crate::scenario::Auth,
    s3: &S3Workload,
    transport: &impl store::Transport,
    mut rng: rand_chacha::ChaCha8Rng,
    net: &NetContext,
    log: &Recorder,
) {
    let timeout = timescale::to_madsim(plan.timeout);
    let mut admin = Administrator::new(auth, s3.buckets, timeout);
    let mut process = u64::from(plan.client);
    for seq in 1..=plan.ops {
        let think = plan.think.mul_f64(-(1.0 - rng.r#gen::<f64>()).ln());
        if !think_before_next(plan, net, think).await {
            break;
        }
        let drawn = rng.gen_range(plan.coordinators.clone());
        let coordinator = (plan.balancer).pick(plan.client, seq, drawn, &mut rng);
        let kind = (admin.change(&mut rng, process, coordinator, transport, net, log)).await;
        if kind == EventType::Info {
            process += u64::from(plan.clients);
        }
    }
}

/// An event of this client's.
struct Line<'a> {
    process: u64,
    f: Function,
    key: &'a str,
    node: u32,
    /// `[auth]`: the sender.
    sender: Option<Box<Sender>>,
    /// Why the last answer refused the request (403, 503 SlowDown).
    refused: Arc<Mutex<Option<FailReason>>>,
}

impl Line<'_> {
    fn event(&self, kind: EventType, value: Value, time: u64, object: Option<Object>) -> Event {
        let refused = *self.refused.lock().unwrap_or_else(|e| e.into_inner());
        Event {
            error: refused.filter(|_| kind == EventType::Fail),
            auth: self.sender.clone(),
            process: self.process,
            kind,
            f: self.f,
            key: self.key.to_string(),
            value,
            time,
            node: Some(self.node),
            object: object.filter(|o| !o.is_empty()).map(Box::new),
        }
    }
}

impl S3Client<'_> {
    fn versioned(&self) -> bool {
        self.s3.versioning != Versioning::Off
    }

    fn draw(&self, rng: &mut impl Rng, seq: u64) -> (Op, u32) {
        let bucket = rng.gen_range(0..self.s3.buckets);
        let key = super::draw_key(rng, self.plan.keys, self.plan.key_skew);
        let drawn = rng.gen_range(self.plan.coordinators.clone());
        let coordinator = (self.plan.balancer).pick(self.plan.client, seq, drawn, rng);
        let (m, o) = (self.plan.mix, self.s3.mix);
        let x: f64 = rng.r#gen();
        // `cas`, then `cas-delete`, last: with their weights 0 every other
        // kind draws as before (list-versions takes the remainder).
        let mut bounds = [
            m.get,
            m.put,
            m.delete,
            o.list,
            o.get_version,
            o.delete_version,
            m.cas,
            o.cas_delete,
        ]
        .into_iter()
        .scan(0.0, |sum, w| {
            *sum += w;
            Some(*sum)
        });
        let kind = bounds.position(|b| x < b).unwrap_or(8);
        let pick_version = |rng: &mut _| self.pick_version(rng, bucket, key);
        let op = match kind {
            0 => Op::Get {
                bucket,
                key,
                version: None,
            },
            1 => Op::Put {
                bucket,
                key,
                body: Body {
                    writer: u64::from(self.plan.client),
                    sequence: seq,
                    size: draw_size(&self.s3.object_size, rng),
                },
            },
            2 => Op::Delete {
                bucket,
                key,
                version: None,
            },
            3 | 8 => Op::List {
                bucket,
                prefix: prefix(key, rng.gen_range(0..3)),
                versions: kind == 8,
            },
            6 => Op::Cas {
                bucket,
                key,
                from: match self.plan.cas_from {
                    CasFrom::Seen => self.seen.get(&(bucket, key)).cloned().flatten(),
                    CasFrom::Absent => None,
                },
                body: Body {
                    writer: u64::from(self.plan.client),
                    sequence: seq,
                    size: draw_size(&self.s3.object_size, rng),
                },
            },
            4 => Op::Get {
                bucket,
                key,
                version: pick_version(rng),
            },
            5 => match pick_version(rng) {
                Some(version) => Op::Delete {
                    bucket,
                    key,
                    version: Some(version),
                },
                // Nothing known to delete by id: read instead (no write).
                None => Op::Get {
                    bucket,
                    key,
                    version: None,
                },
            },
            7 => match self.seen.get(&(bucket, key)).cloned().flatten() {
                Some(from) => Op::CasDelete { bucket, key, from },
                // No current body seen: nothing to name in If-Match; read instead.
                None => Op::Get {
                    bucket,
                    key,
                    version: None,
                },
            },
            _ => unreachable!("kinds are 0..=8"),
        };
        (op, coordinator)
    }

    fn pick_version(&self, rng: &mut impl Rng, bucket: u32, key: u32) -> Option<String> {
        self.known.pick(rng, &(bucket, key))
    }

    fn remember(&mut self, bucket: u32, key: u32, version: &str) {
        self.known.learn((bucket, key), version);
    }

    /// Runs one operation, records it, and returns how it ended.
    async fn execute(
        &mut self,
        op: Op,
        coordinator: u32,
        transport: &impl store::Transport,
        net: &NetContext,
        log: &Recorder,
    ) -> EventType {
        let timeout = timescale::to_madsim(self.plan.timeout);
        let signing = (self.identity.clone()).map(|identity| (identity, self.sign_as));
        let refused = Arc::clone(&self.refused);
        // Every page of a listing counts: the operation is in flight until it ends.
        let _in_flight = self.plan.balancer.send(coordinator);
        let call = |request: ClientRequest| {
            let request = match &signing {
                Some((identity, kind)) => {
                    identity.sign(access::operation(request), *kind, net.epoch.elapsed_ns())
                }
                None => Request::Client(request),
            };
            let answer = transport.call(coordinator, request, timeout);
            let refused = Arc::clone(&refused);
            async move {
                let answer = answer.await;
                *refused.lock().unwrap_or_else(|e| e.into_inner()) = access::refusal(&answer);
                answer
            }
        };
        let now = || net.epoch.elapsed_ns();
        match op {
            Op::Get {
                bucket,
                key,
                version,
            } => {
                let (b, k) = (bucket_name(bucket), object_key(key));
                let name = format!("{b}/{k}");
                let line = self.line(Function::Get, &name, coordinator);
                let asked = Object {
                    version_id: version.clone(),
                    ..Object::default()
                };
                log.record_event(line.event(EventType::Invoke, Value::Absent, now(), Some(asked)));
                let by_version = version.is_some();
                let request = ClientRequest::GetObject {
                    bucket: b,
                    key: k,
                    version_id: version,
                };
                let response = call(request).await;
                let body = match &response {
                    Ok(Response::Client(ClientResponse::Object(info))) => Some(info.meta.body),
                    _ => None,
                };
                let (kind, value, object) = self.got(response, by_version);
                if kind == EventType::Ok && !by_version {
                    self.seen.insert((bucket, key), body);
                }
                if let Some(id) = object.as_ref().and_then(|o| o.version_id.as_deref()) {
                    self.remember(bucket, key, id);
                }
                log.record_event(line.event(kind, value, now(), object));
                kind
            }
            Op::Put { bucket, key, body } => {
                let (b, k) = (bucket_name(bucket), object_key(key));
                let name = format!("{b}/{k}");
                let line = self.line(Function::Put, &name, coordinator);
                let value = body_name(&body);
                let metadata = BTreeMap::from([("w".to_string(), value.clone())]);
                let described = Object {
                    etag: Some(body.etag()),
                    size: Some(body.size),
                    meta: Some(metadata.clone()),
                    ..Object::default()
                };
                let written = Value::Str(value);
                log.record_event(line.event(
                    EventType::Invoke,
                    written.clone(),
                    now(),
                    Some(described),
                ));
                let request = ClientRequest::PutObject {
                    bucket: b,
                    key: k,
                    body,
                    metadata,
                    condition: None,
                };
                let (kind, object) = match call(request).await {
                    Ok(Response::Client(ClientResponse::Stored { version_id, .. })) => {
                        self.seen.insert((bucket, key), Some(body));
                        let object = self.versioned().then(|| Object {
                            version_id: Some(version_id),
                            ..Object::default()
                        });
                        (EventType::Ok, object)
                    }
                    Ok(Response::Client(
                        ClientResponse::ReadUnavailable
                        | ClientResponse::Error(_)
                        | ClientResponse::Refused,
                    )) => (EventType::Fail, None),
                    _ => (EventType::Info, None),
                };
                if let Some(id) = object.as_ref().and_then(|o| o.version_id.as_deref()) {
                    self.remember(bucket, key, id);
                }
                log.record_event(line.event(kind, written, now(), object));
                kind
            }
            Op::Delete {
                bucket,
                key,
                version,
            } => {
                let (b, k) = (bucket_name(bucket), object_key(key));
                let name = format!("{b}/{k}");
                let line = self.line(Function::Delete, &name, coordinator);
                let by_version = version.is_some();
                let asked = Object {
                    version_id: version.clone(),
                    ..Object::default()
                };
                log.record_event(line.event(EventType::Invoke, Value::Absent, now(), Some(asked)));
                let request = ClientRequest::DeleteObject {
                    bucket: b,
                    key: k,
                    version_id: version,
                    condition: None,
                };
                let (kind, object) = match call(request).await {
                    Ok(Response::Client(ClientResponse::Removed {
                        version_id: Some(id),
                        delete_marker: true,
                    })) if !by_version => {
                        self.remember(bucket, key, &id);
                        self.seen.insert((bucket, key), None);
                        let marker = Object {
                            version_id: Some(id),
                            delete_marker: true,
                            ..Object::default()
                        };
                        (EventType::Ok, Some(marker))
                    }
                    Ok(Response::Client(ClientResponse::Removed { .. })) => {
                        if !by_version {
                            self.seen.insert((bucket, key), None);
                        }
                        (EventType::Ok, None)
                    }
                    Ok(Response::Client(
                        ClientResponse::ReadUnavailable
                        | ClientResponse::Error(_)
                        | ClientResponse::Refused,
                    )) => (EventType::Fail, None),
                    _ => (EventType::Info, None),
                };
                log.record_event(line.event(kind, Value::Absent, now(), object));
                kind
            }
            Op::Cas {
                bucket,
                key,
                from,
                body,
            } => {
                self.cas(bucket, key, from, body, coordinator, &call, net, log)
                    .await
            }
            Op::CasDelete { bucket, key, from } => {
                self.cas_delete(bucket, key, from, coordinator, &call, net, log)
                    .await
            }
            Op::List {
                bucket,
                prefix,
                versions,
            } => {
                let b = bucket_name(bucket);
                let name = format!("{b}/{prefix}");
                let f = if versions {
                    Function::ListVersions
                } else {
                    Function::List
                };
                let line = self.line(f, &name, coordinator);
                log.record_event(line.event(EventType::Invoke, Value::Absent, now(), None));
                let pages = max_pages(self.plan.keys, self.s3.max_keys, versions);
                let (kind, value) = self.list(&b, &prefix, versions, pages, &call).await;
                if let Value::Versions(entries) = &value {
                    for entry in entries {
                        let object = entry.key.strip_prefix(&b).and_then(|k| k.strip_prefix('/'));
                        if let Some(i) = object.and_then(object_index) {
                            self.remember(bucket, i, &entry.version_id);
                        }
                    }
                }
                log.record_event(line.event(kind, value, now(), None));
                kind
            }
        }
    }

    /// A conditional PutObject, recorded as the history's `cas` on
    /// `bucket/key` from the body named by `from` (its ETag is the
    /// `If-Match`; `None`: `If-None-Match: *`) to `body`'s name, so
    /// `linearizable` judges it as a cas on a register whose value is the
    /// current body. 412, 409 and 404 are `fail` (not applied) with their
    /// `error`.
    #[allow(clippy::too_many_arguments)]
    async fn cas<F, Fut>(
        &mut self,
        bucket: u32,
        key: u32,
        from: Option<Body>,
        body: Body,
        coordinator: u32,
        call: &F,
        net: &NetContext,
        log: &Recorder,
    ) -> EventType
    where
        F: Fn(ClientRequest) -> Fut,
        Fut: std::future::Future<Output = Result<Response, TransportError>>,
    {
        let now = || net.epoch.elapsed_ns();
        let (b, k) = (bucket_name(bucket), object_key(key));
        let name = format!("{b}/{k}");
        let line = self.line(Function::Cas, &name, coordinator);
        let to = body_name(&body);
        let metadata = BTreeMap::from([("w".to_string(), to.clone())]);
        let described = Object {
            etag: Some(body.etag()),
            size: Some(body.size),
            meta: Some(metadata.clone()),
            ..Object::default()
        };
        let asked = Value::Cas {
            from: from.as_ref().map(body_name),
            to: Some(to),
        };
        log.record_event(line.event(EventType::Invoke, asked.clone(), now(), Some(described)));
        let condition = match &from {
            None => Condition::IfNoneMatch,
            Some(from) => Condition::IfMatch(from.etag()),
        };
        let request = ClientRequest::PutObject {
            bucket: b,
            key: k,
            body,
            metadata,
            condition: Some(condition),
        };
        let response = call(request).await;
        if let Ok(Response::Client(ClientResponse::Stored { .. })) = response {
            self.seen.insert((bucket, key), Some(body));
        }
        let (kind, error) = conditional_outcome(&response);
        let mut done = line.event(kind, asked, now(), None);
        // A 403 is the line's (`access::refusal`); the rest are the answer's.
        done.error = error.or(done.error);
        log.record_event(done);
        kind
    }

    /// A conditional DeleteObject (`If-Match` the ETag of `from`), recorded
    /// as the history's conditional delete: a `cas` on `bucket/key` from
    /// `from`'s name to `null`. An `ok` in a versioned bucket names the
    /// delete marker it wrote; 412, 409 and 404 are `fail` (not applied).
    #[allow(clippy::too_many_arguments)]
    async fn cas_delete<F, Fut>(
        &mut self,
        bucket: u32,
        key: u32,
        from: Body,
        coordinator: u32,
        call: &F,
        net: &NetContext,
        log: &Recorder,
    ) -> EventType
    where
        F: Fn(ClientRequest) -> Fut,
        Fut: std::future::Future<Output = Result<Response, TransportError>>,
    {
        let now = || net.epoch.elapsed_ns();
        let (b, k) = (bucket_name(bucket), object_key(key));
        let name = format!("{b}/{k}");
        let line = self.line(Function::Cas, &name, coordinator);
        let asked = Value::Cas {
            from: Some(body_name(&from)),
            to: None,
        };
        log.record_event(line.event(EventType::Invoke, asked.clone(), now(), None));
        let request = ClientRequest::DeleteObject {
            bucket: b,
            key: k,
            version_id: None,
            condition: Some(Condition::IfMatch(from.etag())),
        };
        let response = call(request).await;
        let mut marker = None;
        if let Ok(Response::Client(ClientResponse::Removed {
            version_id,
            delete_marker,
        })) = &response
        {
            self.seen.insert((bucket, key), None);
            if let (Some(id), true) = (version_id, *delete_marker) {
                self.remember(bucket, key, id);
                marker = Some(Object {
                    version_id: Some(id.clone()),
                    delete_marker: true,
                    ..Object::default()
                });
            }
        }
        let (kind, error) = conditional_outcome(&response);
        let mut done = line.event(kind, asked, now(), marker);
        // A 403 is the line's (`access::refusal`); the rest are the answer's.
        done.error = error.or(done.error);
        log.record_event(done);
        kind
    }

    fn line<'k>(&self, f: Function, key: &'k str, node: u32) -> Line<'k> {
        *self.refused.lock().unwrap_or_else(|e| e.into_inner()) = None;
        Line {
            process: self.process,
            f,
            key,
            node,
            sender: (self.identity.as_ref()).map(|identity| identity.sender(self.sign_as)),
            refused: Arc::clone(&self.refused),
        }
    }

    /// A GET's completion: `(type, value, descriptor)`.
    fn got(
        &self,
        result: Result<Response, TransportError>,
        by_version: bool,
    ) -> (EventType, Value, Option<Object>) {
        let response = match result {
            Ok(Response::Client(response)) => response,
            _ => return (EventType::Info, Value::Absent, None),
        };
        match response {
            ClientResponse::Object(info) => {
                let meta = &info.meta;
                let object = Object {
                    version_id: self.versioned().then(|| info.version_id.clone()),
                    etag: Some(meta.etag.clone()),
                    size: Some(meta.size()),
                    meta: Some(meta.metadata.clone()),
                    delete_marker: false,
                };
                (
                    EventType::Ok,
                    Value::Str(body_name(&meta.body)),
                    Some(object),
                )
            }
            ClientResponse::Error(S3Error::NoSuchKey { delete_marker }) => {
                let object = delete_marker.map(|id| Object {
                    version_id: Some(id),
                    delete_marker: true,
                    ..Object::default()
                });
                (EventType::Ok, Value::Absent, object)
            }
            ClientResponse::Error(S3Error::NoSuchVersion) => (EventType::Ok, Value::Absent, None),
            ClientResponse::Error(S3Error::MethodNotAllowed) if by_version => {
                let object = Object {
                    delete_marker: true,
                    ..Object::default()
                };
                (EventType::Fail, Value::Absent, Some(object))
            }
            ClientResponse::ReadUnavailable
            | ClientResponse::Error(_)
            | ClientResponse::Refused => (EventType::Fail, Value::Absent, None),
            _ => (EventType::Info, Value::Absent, None),
        }
    }

    /// Every page of one listing, at most `pages` of them: `(type, value)`.
    /// A page that fails fails the listing; a lost one, or more pages than
    /// `pages`, makes it `info`.
    async fn list<F, Fut>(
        &self,
        bucket: &str,
        prefix: &str,
        versions: bool,
        pages: u32,
        call: &F,
    ) -> (EventType, Value)
    where
        F: Fn(ClientRequest) -> Fut,
        Fut: std::future::Future<Output = Result<Response, TransportError>>,
    {
        let mut keys = BTreeSet::new();
        let mut entries: Vec<VersionEntry> = Vec::new();
        let mut continuation = None;
        for _ in 0..pages {
            let max_keys = self.s3.max_keys;
            let (b, p) = (bucket.to_string(), prefix.to_string());
            let request = if versions {
                ClientRequest::ListObjectVersions {
                    bucket: b,
                    prefix: p,
                    max_keys,
                    continuation,
                }
            } else {
                ClientRequest::ListObjects {
                    bucket: b,
                    prefix: p,
                    max_keys,
                    continuation,
                }
            };
            let response = match call(request).await {
                Ok(Response::Client(response)) => response,
                _ => return (EventType::Info, Value::Absent),
            };
            continuation = match response {
                ClientResponse::Listing(page) if !versions => {
                    keys.extend(page.objects.iter().map(|o| format!("{bucket}/{}", o.key)));
                    page.continuation
                }
                ClientResponse::Versions(page) if versions => {
                    entries.extend(page.versions.iter().map(|v| VersionEntry {
                        key: format!("{bucket}/{}", v.key),
                        version_id: v.version_id.clone(),
                        current: v.is_latest,
                        delete_marker: v.meta.is_none(),
                    }));
                    page.continuation
                }
                ClientResponse::ReadUnavailable
                | ClientResponse::Error(_)
                | ClientResponse::Refused => {
                    return (EventType::Fail, Value::Absent);
                }
                _ => return (EventType::Info, Value::Absent),
            };
            if continuation.is_none() {
                let value = if versions {
                    Value::Versions(entries)
                } else {
                    Value::Keys(keys.into_iter().collect())
                };
                return (EventType::Ok, value);
            }
        }
        (EventType::Info, Value::Absent)
    }
}

/// How a conditional request ended: `ok` when it was applied (stored or
/// removed), `fail` with S3's reason when it certainly was not (412, 409,
/// 404; an error or unavailable read), `info` otherwise.
fn conditional_outcome(
    response: &Result<Response, TransportError>,
) -> (EventType, Option<FailReason>) {
    match response {
        Ok(Response::Client(ClientResponse::Stored { .. } | ClientResponse::Removed { .. })) => {
            (EventType::Ok, None)
        }
        Ok(Response::Client(ClientResponse::PreconditionFailed)) => {
            (EventType::Fail, Some(FailReason::PreconditionFailed))
        }
        Ok(Response::Client(ClientResponse::ConditionalConflict)) => {
            (EventType::Fail, Some(FailReason::ConditionalConflict))
        }
        Ok(Response::Client(ClientResponse::NotFound)) => {
            (EventType::Fail, Some(FailReason::NotFound))
        }
        Ok(Response::Client(ClientResponse::Refused)) => {
            (EventType::Fail, Some(FailReason::SlowDown))
        }
        Ok(Response::Client(ClientResponse::ReadUnavailable | ClientResponse::Error(_))) => {
            (EventType::Fail, None)
        }
        _ => (EventType::Info, None),
    }
}

/// The index of object key `{i/100}/{i/10}/{i}`, if it is one of ours.
fn object_index(key: &str) -> Option<u32> {
    let i: u32 = key.rsplit('/').next()?.parse().ok()?;
    (object_key(i) == key).then_some(i)
}

/// Installs every bucket, with the scenario's versioning, on every replica
/// of its key, in place (no messages, nothing recorded), before any client
/// starts: the setup completes before the measured run. Waits (bounded) for
/// every node to serve first. Returns the nodes that could not take it.
pub async fn install_buckets(
    scenario: &Scenario,
    config: &ClusterConfig,
    cluster: &SimCluster,
) -> Vec<u32> {
    let Some(s3) = &scenario.workload.s3 else {
        return Vec::new();
    };
    let down = cluster.wait_until_serving(1000).await;
    if !down.is_empty() {
        return down;
    }
    let ring = cluster.read_ring(config);
    let mut refused = Vec::new();
    for j in 0..s3.buckets {
        let key = bucket_key(&bucket_name(j));
        // Version 1 of node 0: below every version a write will issue, so
        // nothing in the run is older than the bucket.
        let entry = Entry::record(
            Version {
                timestamp: 1,
                node: 0,
            },
            Some(Record::Bucket(BucketMeta {
                versioning: s3.versioning,
            })),
        );
        for node in ring.preference_list(placement(&key), config.replicas) {
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
    refused
}

/// What every replica of every object holds at the end of the run: for
/// object `bucket/key` on each node of its preference list, the value of
/// the newest live version (object or delete marker) among the replica's
/// versions of it, `null` for a marker or none. One scan of each node's
/// state, then one line per (object, replica).
pub fn final_reads(
    scenario: &Scenario,
    config: &ClusterConfig,
    cluster: &SimCluster,
) -> Vec<Final> {
    let Some(s3) = &scenario.workload.s3 else {
        return Vec::new();
    };
    let ring = cluster.read_ring(config);
    // `None` for a node replaced for good (never read, as in the register
    // finals): reading it as holding nothing would judge a replica that is
    // gone.
    let mut current: Vec<Option<Current>> = Vec::new();
    for n in 0..config.nodes {
        let Some(entries) = cluster.local_entries(n) else {
            current.push(None);
            continue;
        };
        let mut held = Current::new();
        for (store_key, entry) in entries {
            let value = match &entry.record {
                Some(Record::Object(meta)) => Some(body_name(&meta.body)),
                Some(Record::DeleteMarker) => None,
                // paxos keeps an object's versions in one register: its newest is current.
                Some(Record::Versions(list)) => list
                    .last()
                    .and_then(|v| v.object.as_ref())
                    .map(|m| body_name(&m.body)),
                Some(Record::Bucket(_)) | None => continue,
            };
            let Some((bucket, key)) = object_of(&store_key) else {
                continue;
            };
            let slot = held.entry((bucket, key)).or_insert((entry.version, None));
            if entry.version >= slot.0 {
                *slot = (entry.version, value);
            }
        }
        current.push(Some(held));
    }
    let mut finals = Vec::new();
    for j in 0..s3.buckets {
        let bucket = bucket_name(j);
        let prefix = objects_prefix(&bucket);
        for i in 0..scenario.workload.keys {
            let key = object_key(i);
            let place = format!("{prefix}{key}");
            let name = format!("{bucket}/{key}");
            for node in ring.preference_list(&place, config.replicas) {
                let Some(Some(state)) = current.get(node as usize) else {
                    continue;
                };
                let held = (state.get(&(bucket.clone(), key.clone())))
                    .and_then(|(_, value)| value.clone());
                finals.push(Final {
                    node,
                    key: name.clone(),
                    value: held,
                });
            }
        }
    }
    finals
}

/// One node's current version of each object: (bucket, object key) ->
/// (version, value).
type Current = BTreeMap<(String, String), (Version, Option<String>)>;

/// `(bucket, object key)` of an object version's store key.
fn object_of(store_key: &str) -> Option<(String, String)> {
    let rest = store_key
        .strip_prefix(store::keyspace::RESERVED)?
        .strip_prefix("o/")?;
    let (bucket, _) = rest.split_once('/')?;
    let (key, _) = split_version_key(&objects_prefix(bucket), store_key)?;
    Some((bucket.to_string(), key.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_share_prefixes() {
        assert_eq!(object_key(1234), "12/123/1234");
        assert_eq!(object_key(7), "0/0/7");
        assert_eq!(prefix(1234, 0), "");
        assert_eq!(prefix(1234, 1), "12/");
        assert_eq!(prefix(1234, 2), "12/123/");
        assert!(object_key(1234).starts_with(&prefix(1234, 2)));
        assert_eq!(object_index("12/123/1234"), Some(1234));
        assert_eq!(object_index("1/123/1234"), None);
        assert_eq!(bucket_name(0), "bucket1");
        assert!(store::bucket::bucket_name_error(&bucket_name(99)).is_none());
        let body = Body {
            writer: 3,
            sequence: 17,
            size: 1,
        };
        assert_eq!(body_name(&body), "c3-17");
    }

    #[test]
    fn object_of_reads_store_keys() {
        let key = store::keyspace::version_key("bucket1", "0/0/3", "null");
        assert_eq!(object_of(&key), Some(("bucket1".into(), "0/0/3".into())));
        assert_eq!(object_of(&bucket_key("bucket1")), None);
    }
}
