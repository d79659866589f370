//! The scenario's workload against real endpoints: one std thread per
//! client, each drawing its operations from its own ChaCha RNG (seeded from
//! the seed and the client), so the same scenario and seed ask the same
//! requests in the same order per client; only the answers and their
//! timing depend on the server.
//!
//! - **Names.** Object `i` is `k{i+1}` (`api = "register"`) or
//!   `{i/100}/{i/10}/{i}` (`api = "s3"`, as in the simulator); history keys
//!   are `bucket/key`, a listing's key is `bucket/prefix`.
//! - **Bodies.** Client `c`'s `n`-th operation, if it writes, writes the
//!   body `store::Body { writer: c, sequence: n, size }` (bytes anyone can
//!   regenerate) with metadata `w: c{c}-{n}`; its history value is
//!   `c{c}-{n}`. A GET's value is the write its body came from: the `w`
//!   metadata it read, else the write whose ETag is the MD5 of the bytes
//!   read, else `?md5` (a body nobody wrote, which the checks flag). The
//!   GET records the MD5 of the bytes it received, their size and metadata,
//!   so `atomic-object` compares them with what the named write wrote.
//! - **Conditional writes** (`cas`): `If-None-Match: *` when `from` is
//!   absent, else `If-Match` with the ETag of the body `from` names; S3's
//!   412, 409 and 404 are `fail`s with their reason.
//! - **Outcomes.** An answer is `ok` or `fail` as S3 means it; a request
//!   that could not connect is `fail` (never sent); a timeout, a reset, a
//!   5xx to a write (a quorum write that failed may sit on some replicas)
//!   is `info`, after which the client continues as a new process — except
//!   S3's 503 SlowDown, the server shedding the request before serving it:
//!   `fail` with `"error":"slow-down"` (see `s3::Answer::slow_down`).
//! - **Versions** (`versioning = "enabled"` or `"suspended"`): a client
//!   remembers the version ids it has seen (its PUTs' and DELETEs'
//!   `x-amz-version-id`, its GETs', its ListObjectVersions'; at most
//!   `KNOWN_PER_KEY` per object and `KNOWN_MAX` in all, as the simulator's
//!   clients) and GETs or DELETEs one of them by id (`?versionId=`); with
//!   none known for the drawn object it does a plain GET. Recorded in the
//!   history's versioned forms: version ids on completions (and on the
//!   invoke of an operation by id), `delete_marker` on a DELETE that wrote a
//!   marker, on a GET whose current version is one (404 with the marker
//!   header) and on the `fail` of a GET by id of a marker (405);
//!   ListObjectVersions is a `list-versions` of every page's entries.
//! - **Time.** One monotonic clock ([`Recorder`]): each event takes its time
//!   under the lock that appends it, so times never decrease in file order.

use super::s3::{Answer, Condition, Endpoint, Reply};
use check::history::{Object, VersionEntry};
use check::{Event, EventType, FailReason, Function, Value};
use md5::{Digest, Md5};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::scenario::{CasFrom, Mix, ObjectSize, S3Workload};
use sim::workload::known_versions::KnownVersions;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use store::Body;

/// The body size of a register workload's writes (it has no `object_size`).
pub const REGISTER_BODY_BYTES: u64 = 64;

/// The history as it happens, on one monotonic clock.
pub struct Recorder {
    start: Instant,
    events: Mutex<Vec<Event>>,
}

impl Recorder {
    pub fn new(start: Instant) -> Recorder {
        Recorder {
            start,
            events: Mutex::new(Vec::new()),
        }
    }

    /// Nanoseconds since the start.
    pub fn now_ns(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Appends `event`, stamped now (under the lock: file order is time order).
    fn record(&self, mut event: Event) {
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        event.time = self.now_ns();
        events.push(event);
    }

    pub fn into_events(self) -> Vec<Event> {
        self.events.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

/// What every client shares.
pub struct Shared<'a> {
    pub endpoints: &'a [Endpoint],
    pub recorder: &'a Recorder,
    /// Every write's name → its body's ETag, entered before it is sent (at
    /// most one per operation): a GET names the write its bytes came from,
    /// a cas `If-Match`es the body it saw.
    pub written: Mutex<BTreeMap<String, String>>,
    /// No operation starts after this.
    pub stop_at: Instant,
    /// The bucket, as history keys start.
    pub bucket: String,
    /// Under `[auth]`, client `c`'s own endpoints (`by_client[c][node]`,
    /// signing with its principal's keys); empty: every client uses
    /// `endpoints` (see [`super::access`]).
    pub by_client: &'a [Vec<Endpoint>],
}

/// One client's part of the scenario.
pub struct ClientPlan {
    pub client: u32,
    pub clients: u32,
    pub ops: u64,
    pub seed: u64,
    pub keys: u32,
    pub mix: Mix,
    pub s3: Option<S3Workload>,
    pub cas_from: CasFrom,
    pub think: Duration,
}

enum Op {
    Get {
        key: String,
        /// GET `?versionId=`.
        version: Option<String>,
    },
    Put {
        key: String,
        body: Body,
    },
    Delete {
        key: String,
        /// DELETE `?versionId=` (permanent).
        version: Option<String>,
    },
    Cas {
        key: String,
        from: Option<String>,
        body: Body,
    },
    List {
        prefix: String,
        /// ListObjectVersions rather than ListObjectsV2.
        versions: bool,
    },
}

/// Runs one client to completion (its operations, or the stop time).
pub fn run_client(plan: &ClientPlan, shared: &Shared) {
    let stream = 0xd21e_c11e_u64.wrapping_mul(u64::from(plan.client) + 1);
    let mut rng = ChaCha8Rng::seed_from_u64(plan.seed ^ stream);
    let mut client = Client {
        plan,
        shared,
        process: u64::from(plan.client),
        seen: BTreeMap::new(),
        known: KnownVersions::default(),
    };
    for seq in 1..=plan.ops {
        let think = plan.think.mul_f64(-(1.0 - rng.r#gen::<f64>()).ln());
        if Instant::now() + think >= shared.stop_at {
            break;
        }
        std::thread::sleep(think);
        let node = rng.gen_range(0..shared.endpoints.len());
        let op = client.draw(&mut rng, seq);
        if client.execute(op, node) == EventType::Info {
            client.process += u64::from(plan.clients);
        }
    }
}

struct Client<'a> {
    plan: &'a ClientPlan,
    shared: &'a Shared<'a>,
    process: u64,
    /// The last value this client saw of each key (a cas's `from`).
    seen: BTreeMap<String, Option<String>>,
    /// Version ids seen per object key (versioned buckets), newest last.
    known: KnownVersions<String>,
}

/// One operation's lines: who, what, where.
struct Line {
    process: u64,
    f: Function,
    /// The history key (`bucket/key`).
    key: String,
    node: usize,
}

impl Line {
    fn event(
        &self,
        kind: EventType,
        value: Value,
        object: Option<Object>,
        error: Option<FailReason>,
    ) -> Event {
        Event {
            process: self.process,
            kind,
            f: self.f,
            key: self.key.clone(),
            value,
            time: 0,
            node: u32::try_from(self.node).ok(),
            object: object.filter(|o| !o.is_empty()).map(Box::new),
            error,
            auth: None, // drive signs as one principal, with the endpoint's credentials
        }
    }
}

/// The value naming a body: `c{writer}-{sequence}`.
fn body_name(body: &Body) -> String {
    format!("c{}-{}", body.writer, body.sequence)
}

/// The object key of index `i`.
fn object_key(s3: bool, i: u32) -> String {
    if s3 {
        sim::workload::s3::object_key(i)
    } else {
        sim::workload::key_name(i)
    }
}

/// A listing prefix of object `i`: its bucket whole, its top folder or its
/// leaf folder (the simulator's S3 workload's prefixes).
fn list_prefix(i: u32, depth: u32) -> String {
    match depth {
        0 => String::new(),
        1 => format!("{}/", i / 100),
        _ => format!("{}/{}/", i / 100, i / 10),
    }
}

fn draw_size(s3: Option<&S3Workload>, rng: &mut impl Rng) -> u64 {
    match s3.map(|s| &s.object_size) {
        None => REGISTER_BODY_BYTES,
        Some(ObjectSize::Fixed(bytes)) => *bytes,
        Some(ObjectSize::Uniform { min, max }) => rng.gen_range(*min..=*max),
        Some(ObjectSize::Lognormal { median, sigma }) => {
            let (u, v) = (1.0 - rng.r#gen::<f64>(), rng.r#gen::<f64>());
            let normal = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
            let bytes = *median as f64 * (sigma * normal).exp();
            bytes.clamp(0.0, super::MAX_DRIVE_OBJECT as f64) as u64
        }
    }
}

/// S3's ETag of `bytes`: the MD5, lowercase hex, quoted.
fn etag_of(bytes: &[u8]) -> String {
    let hex: String = (Md5::digest(bytes).iter())
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("\"{hex}\"")
}

impl Client<'_> {
    fn draw(&self, rng: &mut impl Rng, seq: u64) -> Op {
        let s3 = self.plan.s3.as_ref();
        let i = rng.gen_range(0..self.plan.keys);
        let key = object_key(s3.is_some(), i);
        let Mix {
            get,
            put,
            delete,
            cas,
        } = self.plan.mix;
        let x: f64 = rng.r#gen();
        let body = |rng: &mut _| Body {
            writer: u64::from(self.plan.client),
            sequence: seq,
            size: draw_size(s3, rng),
        };
        if x < get {
            Op::Get { key, version: None }
        } else if x < get + put {
            Op::Put {
                key,
                body: body(rng),
            }
        } else if x < get + put + delete {
            Op::Delete { key, version: None }
        } else if x < get + put + delete + cas || s3.is_none() {
            let from = match self.plan.cas_from {
                CasFrom::Seen => self.seen.get(&key).cloned().flatten(),
                CasFrom::Absent => None,
            };
            Op::Cas {
                key,
                from,
                body: body(rng),
            }
        } else if let Some(op) = s3.and_then(|s3| self.draw_versioned(s3, x, key.clone(), rng)) {
            op
        } else {
            Op::List {
                prefix: list_prefix(i, rng.gen_range(0..3)),
                versions: false,
            }
        }
    }

    /// The versioned operations, drawn past `get + put + delete + cas +
    /// list` (`None`: a plain LIST, drawn as without them).
    fn draw_versioned(
        &self,
        s3: &S3Workload,
        x: f64,
        key: String,
        rng: &mut impl Rng,
    ) -> Option<Op> {
        let o = s3.mix;
        if o.get_version + o.delete_version + o.list_versions <= 0.0 {
            return None;
        }
        let m = self.plan.mix;
        let past = x - (m.get + m.put + m.delete + m.cas + o.list);
        if past < 0.0 {
            return None;
        }
        let pick = |rng: &mut _| self.pick_version(rng, &key);
        Some(if past < o.get_version {
            let version = pick(rng);
            Op::Get { key, version }
        } else if past < o.get_version + o.delete_version {
            match pick(rng) {
                Some(version) => Op::Delete {
                    key,
                    version: Some(version),
                },
                // Nothing known to delete by id: read instead (no write).
                None => Op::Get { key, version: None },
            }
        } else {
            let i = rng.gen_range(0..self.plan.keys);
            Op::List {
                prefix: list_prefix(i, rng.gen_range(0..3)),
                versions: true,
            }
        })
    }

    fn pick_version(&self, rng: &mut impl Rng, key: &str) -> Option<String> {
        self.known.pick(rng, key)
    }

    /// Remembers a version id of `key` seen.
    fn learn(&mut self, key: &str, version: Option<&str>) {
        if let Some(version) = version {
            self.known.learn(key.to_string(), version);
        }
    }

    /// Runs one operation against endpoint `node`, records it, and returns
    /// how it ended.
    fn execute(&mut self, op: Op, node: usize) -> EventType {
        let endpoint = match self.shared.by_client.get(self.plan.client as usize) {
            Some(own) => &own[node],
            None => &self.shared.endpoints[node],
        };
        let line = |f, key: &str| Line {
            process: self.process,
            f,
            key: format!("{}/{key}", self.shared.bucket),
            node,
        };
        let log = |e: Event| self.shared.recorder.record(e);
        match op {
            Op::Get { key, version } => {
                let line = line(Function::Get, &key);
                let addressed = version.clone().map(|id| Object {
                    version_id: Some(id),
                    ..Object::default()
                });
                log(line.event(EventType::Invoke, Value::Absent, addressed, None));
                let reply = endpoint.get_version(&key, version.as_deref());
                let error = reply.refused();
                let (kind, value, object) = self.got(reply, version.is_some());
                let read = object.as_ref().and_then(|o| o.version_id.clone());
                log(line.event(kind, value.clone(), object, error));
                if version.is_none() {
                    // A read by id is not a read of the current value.
                    self.remember(&key, kind, &value);
                }
                if kind == EventType::Ok {
                    self.learn(&key, read.as_deref());
                }
                kind
            }
            Op::Put { key, body } => self.write(endpoint, node, &key, body, None),
            Op::Cas { key, from, body } => self.write(endpoint, node, &key, body, Some(from)),
            Op::Delete { key, version } => {
                let line = line(Function::Delete, &key);
                let addressed = version.clone().map(|id| Object {
                    version_id: Some(id),
                    ..Object::default()
                });
                log(line.event(EventType::Invoke, Value::Absent, addressed, None));
                let reply = endpoint.delete_version(&key, version.as_deref());
                let error = reply.refused();
                let (kind, marker) = match reply {
                    Reply::Status(a) if a.status < 300 || a.status == 404 => {
                        // A plain DELETE in a versioned bucket names its marker.
                        let marker = (version.is_none() && a.delete_marker)
                            .then(|| a.version_id.clone())
                            .flatten();
                        (EventType::Ok, marker)
                    }
                    Reply::Status(a) if a.status >= 500 && !a.slow_down() => {
                        (EventType::Info, None)
                    }
                    Reply::Status(_) | Reply::NotSent(_) => (EventType::Fail, None),
                    Reply::Lost(_) => (EventType::Info, None),
                };
                let object = marker.clone().map(|id| Object {
                    version_id: Some(id),
                    delete_marker: true,
                    ..Object::default()
                });
                log(line.event(kind, Value::Absent, object, error));
                if version.is_none() {
                    self.remember(&key, kind, &Value::Absent);
                    self.learn(&key, marker.as_deref());
                } else if kind == EventType::Ok
                    && let Some(id) = &version
                {
                    self.known.forget(key.as_str(), id);
                }
                kind
            }
            Op::List { prefix, versions } => {
                let f = if versions {
                    Function::ListVersions
                } else {
                    Function::List
                };
                let line = line(f, &prefix);
                log(line.event(EventType::Invoke, Value::Absent, None, None));
                let (kind, value, error) = if versions {
                    let (kind, value) = self.list_versions(endpoint, &prefix);
                    (kind, value, None)
                } else {
                    self.list(endpoint, &prefix)
                };
                log(line.event(kind, value, None, error));
                kind
            }
        }
    }

    /// A PUT (`cas`: `Some(from)`, conditional on it), recorded.
    fn write(
        &mut self,
        endpoint: &Endpoint,
        node: usize,
        key: &str,
        body: Body,
        cas: Option<Option<String>>,
    ) -> EventType {
        let name = body_name(&body);
        let bytes = body.bytes();
        let etag = etag_of(&bytes);
        let meta = BTreeMap::from([("w".to_string(), name.clone())]);
        let condition = cas.as_ref().map(|from| match from {
            None => Condition::Absent,
            Some(value) => {
                let written = self
                    .shared
                    .written
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                // A value this run wrote: its ETag is known (a seen value is
                // always one, or a `?md5` read, whose ETag is the md5).
                let etag = (written.get(value).cloned())
                    .unwrap_or_else(|| format!("\"{}\"", value.trim_start_matches('?')));
                Condition::Matches(etag)
            }
        });
        (self
            .shared
            .written
            .lock()
            .unwrap_or_else(|e| e.into_inner()))
        .insert(name.clone(), etag.clone());
        let (f, value) = match cas {
            None => (Function::Put, Value::Str(name.clone())),
            Some(from) => (
                Function::Cas,
                Value::Cas {
                    from,
                    to: Some(name.clone()),
                },
            ),
        };
        let described = Object {
            etag: Some(etag),
            size: Some(body.size),
            meta: Some(meta.clone()),
            ..Object::default()
        };
        let line = Line {
            process: self.process,
            f,
            key: format!("{}/{key}", self.shared.bucket),
            node,
        };
        let log = |e: Event| self.shared.recorder.record(e);
        log(line.event(EventType::Invoke, value.clone(), Some(described), None));
        let reply = endpoint.put(key, &bytes, &meta, condition.as_ref());
        let version_created = match &reply {
            Reply::Status(a) => a.version_id.clone(),
            _ => None,
        };
        let conditional = f == Function::Cas;
        let (kind, error) = match reply {
            Reply::Status(a) if a.status < 300 => (EventType::Ok, None),
            Reply::Status(a) if conditional && a.status == 412 => {
                (EventType::Fail, Some(FailReason::PreconditionFailed))
            }
            Reply::Status(a) if conditional && a.status == 409 => {
                (EventType::Fail, Some(FailReason::ConditionalConflict))
            }
            Reply::Status(a)
                if conditional
                    && a.status == 404
                    && a.error_code().as_deref() != Some("NoSuchBucket") =>
            {
                (EventType::Fail, Some(FailReason::NotFound))
            }
            Reply::Status(a) if a.slow_down() => (EventType::Fail, Some(FailReason::SlowDown)),
            Reply::Status(a) if a.status >= 500 => (EventType::Info, None),
            Reply::Status(a) if a.access_denied() => {
                (EventType::Fail, Some(FailReason::AccessDenied))
            }
            Reply::Status(_) | Reply::NotSent(_) => (EventType::Fail, None),
            Reply::Lost(_) => (EventType::Info, None),
        };
        let created = version_created.filter(|_| kind == EventType::Ok);
        let object = created.clone().map(|id| Object {
            version_id: Some(id),
            ..Object::default()
        });
        log(line.event(kind, value, object, error));
        self.remember(key, kind, &Value::Str(name));
        self.learn(key, created.as_deref());
        kind
    }

    /// A GET's completion: `(type, value, descriptor)`; `by_id`: a GET
    /// `?versionId=`.
    fn got(&self, reply: Reply, by_id: bool) -> (EventType, Value, Option<Object>) {
        let marker = |a: &Answer| {
            Some(Object {
                version_id: a.version_id.clone(),
                delete_marker: true,
                ..Object::default()
            })
        };
        match reply {
            Reply::Status(a) if a.status == 200 => {
                let (value, mut object) = self.read_body(&a);
                object.version_id = a.version_id.clone();
                (EventType::Ok, Value::Str(value), Some(object))
            }
            // The current version is a delete marker.
            Reply::Status(a) if a.status == 404 && a.delete_marker && !by_id => {
                (EventType::Ok, Value::Absent, marker(&a))
            }
            // A GET by id of a delete marker: S3's 405.
            Reply::Status(a) if a.status == 405 && by_id => {
                (EventType::Fail, Value::Absent, marker(&a))
            }
            Reply::Status(a)
                if a.status == 404 && a.error_code().as_deref() != Some("NoSuchBucket") =>
            {
                (EventType::Ok, Value::Absent, None)
            }
            Reply::Status(_) | Reply::NotSent(_) => (EventType::Fail, Value::Absent, None),
            Reply::Lost(_) => (EventType::Info, Value::Absent, None),
        }
    }

    /// The write a GET's body came from, and what the GET received.
    fn read_body(&self, answer: &Answer) -> (String, Object) {
        let etag = etag_of(&answer.body);
        let value = body_value(answer, &etag, &self.shared.written);
        let object = Object {
            etag: Some(etag),
            size: Some(answer.body.len() as u64),
            meta: Some(answer.meta.clone()),
            ..Object::default()
        };
        (value, object)
    }

    /// Every page of one listing: `(type, value)`. A page refused fails
    /// the listing (a read did nothing); a lost one, or more pages than
    /// the keys can need, makes it `info`.
    fn list(&self, endpoint: &Endpoint, prefix: &str) -> (EventType, Value, Option<FailReason>) {
        let max_keys = self.plan.s3.as_ref().map_or(1000, |s| s.max_keys) as usize;
        let pages = sim::workload::s3::max_pages(self.plan.keys, max_keys as u32, false);
        let mut keys = BTreeSet::new();
        let mut token: Option<String> = None;
        for _ in 0..pages {
            let answer = match endpoint.list_page(prefix, max_keys, token.as_deref()) {
                Reply::Status(a) if a.status == 200 => a,
                reply @ (Reply::Status(_) | Reply::NotSent(_)) => {
                    return (EventType::Fail, Value::Absent, reply.refused());
                }
                Reply::Lost(_) => return (EventType::Info, Value::Absent, None),
            };
            let text = String::from_utf8_lossy(&answer.body);
            let Ok(page) = rusty_s3::actions::ListObjectsV2::parse_response(&text) else {
                return (EventType::Fail, Value::Absent, None);
            };
            let bucket = &self.shared.bucket;
            keys.extend(
                page.contents
                    .into_iter()
                    .map(|c| format!("{bucket}/{}", c.key)),
            );
            match page.next_continuation_token {
                Some(next) => token = Some(next),
                None => {
                    return (EventType::Ok, Value::Keys(keys.into_iter().collect()), None);
                }
            }
        }
        (EventType::Info, Value::Absent, None)
    }

    /// Every page of one ListObjectVersions, as [`Self::list`] does for
    /// ListObjectsV2; the version ids listed are remembered.
    fn list_versions(&mut self, endpoint: &Endpoint, prefix: &str) -> (EventType, Value) {
        let max_keys = self.plan.s3.as_ref().map_or(1000, |s| s.max_keys) as usize;
        let pages = sim::workload::s3::max_pages(self.plan.keys, max_keys as u32, true);
        let mut entries = Vec::new();
        let (mut key_marker, mut version_marker): (Option<String>, Option<String>) = (None, None);
        for _ in 0..pages {
            let reply = endpoint.list_versions_page(
                prefix,
                max_keys,
                key_marker.as_deref(),
                version_marker.as_deref(),
            );
            let answer = match reply {
                Reply::Status(a) if a.status == 200 => a,
                Reply::Status(_) | Reply::NotSent(_) => return (EventType::Fail, Value::Absent),
                Reply::Lost(_) => return (EventType::Info, Value::Absent),
            };
            let Ok(page) = super::versions::parse(&String::from_utf8_lossy(&answer.body)) else {
                return (EventType::Fail, Value::Absent);
            };
            for listed in &page.entries {
                self.learn(&listed.key, Some(&listed.version_id));
            }
            let bucket = &self.shared.bucket;
            entries.extend(page.entries.into_iter().map(|e| VersionEntry {
                key: format!("{bucket}/{}", e.key),
                version_id: e.version_id,
                current: e.latest,
                delete_marker: e.delete_marker,
            }));
            if !page.truncated {
                return (EventType::Ok, Value::Versions(entries));
            }
            if page.next_key_marker.is_none() && page.next_version_marker.is_none() {
                // Truncated with nowhere to go on from: not a usable answer.
                return (EventType::Fail, Value::Absent);
            }
            (key_marker, version_marker) = (page.next_key_marker, page.next_version_marker);
        }
        (EventType::Info, Value::Absent)
    }

    fn remember(&mut self, key: &str, kind: EventType, value: &Value) {
        if kind != EventType::Ok {
            return;
        }
        let seen = match value {
            Value::Str(v) => Some(v.clone()),
            _ => None,
        };
        self.seen.insert(key.to_string(), seen);
    }
}

/// The write a body read came from: its `w` metadata, else the write
/// whose ETag is `etag` (the MD5 of the bytes), else `?md5`.
fn body_value(answer: &Answer, etag: &str, written: &Mutex<BTreeMap<String, String>>) -> String {
    answer.meta.get("w").cloned().unwrap_or_else(|| {
        let written = written.lock().unwrap_or_else(|e| e.into_inner());
        // Bounded: one entry per write of the run.
        (written.iter()).find(|(_, e)| *e == etag).map_or_else(
            || format!("?{}", etag.trim_matches('"')),
            |(name, _)| name.clone(),
        )
    })
}

/// What the endpoint holds of `key` once the run is over: its final read,
/// `None` when the read got no answer (no final line then).
pub fn final_read(
    endpoint: &Endpoint,
    written: &Mutex<BTreeMap<String, String>>,
    key: &str,
) -> Option<Option<String>> {
    match endpoint.get(key) {
        Reply::Status(a) if a.status == 200 => {
            Some(Some(body_value(&a, &etag_of(&a.body), written)))
        }
        Reply::Status(a) if a.status == 404 => Some(None),
        _ => None,
    }
}
