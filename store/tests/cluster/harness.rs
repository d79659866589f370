//! A test cluster: nodes (and routers, if configured) wired by an in-process
//! transport with fixed latency (plus optional seeded jitter), per-node clocks
//! the test controls, and `MemDisk`s that outlive nodes so a node can be
//! crashed and restarted. Background duties run only if a test starts them.

use crate::rt;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use store::{
    Body, ClientRequest, ClientResponse, Clock, ClusterConfig, Condition, Entry, MemDisk, Node,
    NodeId, ReplicaRequest, Request, Response, Transport, TransportError, Version, Versioning,
};
use tokio::time::{sleep, timeout};

pub type TestNode = Node<TestTransport, TestClock, MemDisk>;

pub use rt::run;

/// Simulated time since the runtime started, plus a base so that clocks set
/// behind it stay positive.
const CLOCK_BASE_NS: i64 = 1_000_000_000;

/// A node's clock: simulated time + an offset the test sets, or frozen at a value.
#[derive(Clone, Default)]
pub struct TestClock {
    offset_ns: Arc<AtomicI64>,
    /// `u64::MAX` = not frozen.
    frozen_ns: Arc<AtomicU64>,
}

impl TestClock {
    fn new() -> Self {
        let clock = TestClock::default();
        clock.frozen_ns.store(u64::MAX, Ordering::SeqCst);
        clock
    }

    pub fn set_offset_ns(&self, offset_ns: i64) {
        self.offset_ns.store(offset_ns, Ordering::SeqCst);
    }

    pub fn freeze_at(&self, ns: u64) {
        self.frozen_ns.store(ns, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now_ns(&self) -> u64 {
        match self.frozen_ns.load(Ordering::SeqCst) {
            u64::MAX => {
                let elapsed = i64::try_from(rt::elapsed().as_nanos()).unwrap();
                (CLOCK_BASE_NS + elapsed + self.offset_ns.load(Ordering::SeqCst)).max(0) as u64
            }
            frozen => frozen,
        }
    }
}

/// How node `id` behaves on the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    Up,
    /// Messages to it vanish: calls end by their timeout.
    Down,
    /// It answers every request with a client `Done` (a wrong kind for replica requests).
    Garbled,
}

pub struct Net {
    nodes: RwLock<Vec<Arc<TestNode>>>,
    links: Mutex<Vec<Link>>,
    latency: Duration,
    jitter: Duration,
    /// Every request delivered, in order: `(to, kind)`.
    pub delivered: Mutex<Vec<(NodeId, &'static str)>>,
    /// The version of every value seen in a replica write on the network
    /// (values are unique per write in the tests that use this).
    pub versions: Mutex<BTreeMap<String, Version>>,
}

impl Net {
    fn node(&self, id: NodeId) -> Arc<TestNode> {
        Arc::clone(&self.nodes.read().unwrap()[id as usize])
    }

    fn link(&self, id: NodeId) -> Link {
        self.links.lock().unwrap()[id as usize]
    }

    async fn delay(&self) {
        let jitter_ns = self.jitter.as_nanos() as u64;
        let extra = if jitter_ns == 0 {
            0
        } else {
            rt::below(jitter_ns)
        };
        sleep(self.latency + Duration::from_nanos(extra)).await;
    }

    async fn deliver(&self, to: NodeId, request: Request) -> Response {
        self.delay().await;
        match self.link(to) {
            Link::Down => std::future::pending().await,
            Link::Garbled => Response::Client(ClientResponse::Done),
            Link::Up => {
                self.delivered.lock().unwrap().push((to, request.kind()));
                if let Request::Replica(ReplicaRequest::Write {
                    entry:
                        Entry {
                            version,
                            value: Some(value),
                            ..
                        },
                    ..
                }) = &request
                {
                    let mut versions = self.versions.lock().unwrap();
                    versions.insert(value.clone(), *version);
                }
                let node = self.node(to);
                // Boxed: the node's future and the transport's future contain each other.
                let handled: Pin<Box<dyn Future<Output = Response> + Send>> =
                    Box::pin(async move { node.handle(request).await });
                let response = handled.await;
                self.delay().await;
                response
            }
        }
    }
}

#[derive(Clone)]
pub struct TestTransport {
    net: Arc<Net>,
}

impl Transport for TestTransport {
    fn call(
        &self,
        to: NodeId,
        request: Request,
        limit: Duration,
    ) -> impl Future<Output = Result<Response, TransportError>> + Send {
        let net = Arc::clone(&self.net);
        async move {
            timeout(limit, net.deliver(to, request))
                .await
                .map_err(|_| TransportError::Timeout(to))
        }
    }
}

/// Index `id` of every vector is node `id`: storage nodes first, then routers.
pub struct Cluster {
    pub config: ClusterConfig,
    pub net: Arc<Net>,
    pub clocks: Vec<TestClock>,
    pub disks: Vec<MemDisk>,
    /// Each node's running `run_background`, once `start_background` was called.
    background: Mutex<Vec<Option<rt::JoinHandle<()>>>>,
}

impl Cluster {
    /// `config.nodes` nodes, 1 ms one-way latency, no jitter.
    pub fn new(config: ClusterConfig) -> Cluster {
        Cluster::with_jitter(config, Duration::ZERO)
    }

    pub fn with_jitter(config: ClusterConfig, jitter: Duration) -> Cluster {
        let n = (config.nodes + config.routers()) as usize;
        let net = Arc::new(Net {
            nodes: RwLock::new(Vec::new()),
            links: Mutex::new(vec![Link::Up; n]),
            latency: Duration::from_millis(1),
            jitter,
            delivered: Mutex::new(Vec::new()),
            versions: Mutex::new(BTreeMap::new()),
        });
        let cluster = Cluster {
            config,
            net,
            clocks: (0..n).map(|_| TestClock::new()).collect(),
            disks: (0..n).map(|_| MemDisk::new()).collect(),
            background: Mutex::new((0..n).map(|_| None).collect()),
        };
        let nodes = (0..n as NodeId).map(|id| cluster.build(id)).collect();
        *cluster.net.nodes.write().unwrap() = nodes;
        cluster
    }

    fn build(&self, id: NodeId) -> Arc<TestNode> {
        let transport = transport(self);
        let (clock, disk) = (
            self.clocks[id as usize].clone(),
            self.disks[id as usize].clone(),
        );
        if id >= self.config.nodes {
            return Node::router(id, self.config.clone(), transport, clock);
        }
        Node::new(id, self.config.clone(), transport, clock, disk).expect("a MemDisk always loads")
    }

    /// Runs every node's background duties (anti-entropy, hint delivery,
    /// interval sync) from now on, restarting them with a restarted node.
    pub fn start_background(&self) {
        let count = self.background.lock().unwrap().len() as NodeId;
        for id in 0..count {
            self.spawn_background(id);
        }
    }

    fn spawn_background(&self, id: NodeId) {
        let node = self.node(id);
        let task = tokio::spawn(async move { node.run_background().await });
        let old = self.background.lock().unwrap()[id as usize].replace(task);
        if let Some(old) = old {
            old.abort();
        }
    }

    pub fn node(&self, id: NodeId) -> Arc<TestNode> {
        self.net.node(id)
    }

    pub fn set_link(&self, id: NodeId, link: Link) {
        self.net.links.lock().unwrap()[id as usize] = link;
    }

    /// Power loss and restart: the disk drops unsynced writes and node `id` is
    /// rebuilt from what it holds. (Tasks of the old node run on in this
    /// harness; tests crash only quiet nodes.)
    pub fn crash_and_restart(&self, id: NodeId) {
        self.disks[id as usize].crash();
        let node = self.build(id);
        self.net.nodes.write().unwrap()[id as usize] = node;
        if self.background.lock().unwrap()[id as usize].is_some() {
            self.spawn_background(id);
        }
    }

    pub fn replicas_of(&self, key: &str) -> Vec<NodeId> {
        self.node(0)
            .ring()
            .preference_list(key, self.config.replicas)
    }

    pub async fn request(&self, via: NodeId, request: ClientRequest) -> ClientResponse {
        match self.node(via).handle(Request::Client(request)).await {
            Response::Client(response) => response,
            other => panic!("a client request got {other:?}"),
        }
    }

    pub async fn put(&self, via: NodeId, key: &str, value: &str) -> ClientResponse {
        self.request(
            via,
            ClientRequest::Put {
                key: key.into(),
                value: value.into(),
            },
        )
        .await
    }

    pub async fn delete(&self, via: NodeId, key: &str) -> ClientResponse {
        self.request(via, ClientRequest::Delete { key: key.into() })
            .await
    }

    pub async fn cas(
        &self,
        via: NodeId,
        key: &str,
        from: Option<&str>,
        to: &str,
    ) -> ClientResponse {
        let from = from.map(str::to_string);
        self.request(
            via,
            ClientRequest::Cas {
                key: key.into(),
                from,
                to: to.into(),
            },
        )
        .await
    }

    pub async fn get(&self, via: NodeId, key: &str) -> ClientResponse {
        self.request(via, ClientRequest::Get { key: key.into() })
            .await
    }

    /// The value node `id` holds for `key` (`None`: absent or tombstone).
    pub fn local_value(&self, id: NodeId, key: &str) -> Option<String> {
        self.node(id).local(key).and_then(|entry| entry.value)
    }
}

/// A transport onto `cluster`'s network.
pub fn transport(cluster: &Cluster) -> TestTransport {
    TestTransport {
        net: Arc::clone(&cluster.net),
    }
}

/// `ClientResponse::Value(Some(value))`.
pub fn value(value: &str) -> ClientResponse {
    ClientResponse::Value(Some(value.to_string()))
}

/// Lets background tasks (remaining writes, repairs) finish.
pub async fn quiesce() {
    sleep(Duration::from_millis(200)).await;
}

/// A config with `nodes` nodes, N, W, R, and everything else default.
pub fn config(nodes: u32, n: u32, w: u32, r: u32) -> ClusterConfig {
    ClusterConfig {
        nodes,
        replicas: n,
        write_quorum: w,
        read_quorum: r,
        ..ClusterConfig::default()
    }
}

/// Some key whose replicas do not include `node`.
pub fn key_not_on(cluster: &Cluster, node: NodeId) -> String {
    (0..1000)
        .map(|i| format!("key-{i}"))
        .find(|key| !cluster.replicas_of(key).contains(&node))
        .expect("some key avoids the node")
}

/// A body descriptor of `size` bytes from writer 1, sequence `sequence`.
pub fn body(sequence: u64, size: u64) -> Body {
    Body {
        writer: 1,
        sequence,
        size,
    }
}

/// The S3 surface, as a client would call it.
impl Cluster {
    pub async fn create_bucket(&self, via: NodeId, bucket: &str) -> ClientResponse {
        let bucket = bucket.into();
        self.request(via, ClientRequest::CreateBucket { bucket })
            .await
    }

    pub async fn delete_bucket(&self, via: NodeId, bucket: &str) -> ClientResponse {
        let bucket = bucket.into();
        self.request(via, ClientRequest::DeleteBucket { bucket })
            .await
    }

    pub async fn set_versioning(
        &self,
        via: NodeId,
        bucket: &str,
        versioning: Versioning,
    ) -> ClientResponse {
        let bucket = bucket.into();
        self.request(
            via,
            ClientRequest::PutBucketVersioning { bucket, versioning },
        )
        .await
    }

    pub async fn put_object(
        &self,
        via: NodeId,
        bucket: &str,
        key: &str,
        body: Body,
    ) -> ClientResponse {
        self.put_object_if(via, bucket, key, body, None).await
    }

    /// PutObject with S3's conditional headers (`None`: unconditional).
    pub async fn put_object_if(
        &self,
        via: NodeId,
        bucket: &str,
        key: &str,
        body: Body,
        condition: Option<Condition>,
    ) -> ClientResponse {
        let (bucket, key, metadata) = (bucket.into(), key.into(), BTreeMap::new());
        self.request(
            via,
            ClientRequest::PutObject {
                bucket,
                key,
                body,
                metadata,
                condition,
            },
        )
        .await
    }

    pub async fn get_object(
        &self,
        via: NodeId,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> ClientResponse {
        let (bucket, key, version_id) = (bucket.into(), key.into(), version_id.map(str::to_string));
        self.request(
            via,
            ClientRequest::GetObject {
                bucket,
                key,
                version_id,
            },
        )
        .await
    }

    pub async fn delete_object(
        &self,
        via: NodeId,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> ClientResponse {
        self.delete_object_if(via, bucket, key, version_id, None)
            .await
    }

    /// DeleteObject with S3's conditional header (`None`: unconditional).
    pub async fn delete_object_if(
        &self,
        via: NodeId,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        condition: Option<Condition>,
    ) -> ClientResponse {
        let (bucket, key, version_id) = (bucket.into(), key.into(), version_id.map(str::to_string));
        self.request(
            via,
            ClientRequest::DeleteObject {
                bucket,
                key,
                version_id,
                condition,
            },
        )
        .await
    }

    pub async fn list(
        &self,
        via: NodeId,
        bucket: &str,
        prefix: &str,
        max_keys: u32,
        continuation: Option<String>,
    ) -> ClientResponse {
        let (bucket, prefix) = (bucket.into(), prefix.into());
        self.request(
            via,
            ClientRequest::ListObjects {
                bucket,
                prefix,
                max_keys,
                continuation,
            },
        )
        .await
    }

    /// Every key listed under `prefix`, following continuation tokens page
    /// by page (at most 1000 pages), and the number of pages; panics on an
    /// answer other than a listing.
    pub async fn list_all(
        &self,
        via: NodeId,
        bucket: &str,
        prefix: &str,
        max_keys: u32,
    ) -> (Vec<String>, usize) {
        let (mut keys, mut token) = (Vec::new(), None);
        for pages in 1..=1000 {
            match self.list(via, bucket, prefix, max_keys, token.take()).await {
                ClientResponse::Listing(page) => {
                    assert!(page.objects.len() <= max_keys as usize);
                    keys.extend(page.objects.into_iter().map(|object| object.key));
                    match page.continuation {
                        Some(next) => token = Some(next),
                        None => return (keys, pages),
                    }
                }
                other => panic!("a listing got {other:?}"),
            }
        }
        panic!("more than 1000 pages")
    }

    pub async fn list_versions(
        &self,
        via: NodeId,
        bucket: &str,
        prefix: &str,
        max_keys: u32,
        continuation: Option<String>,
    ) -> ClientResponse {
        let (bucket, prefix) = (bucket.into(), prefix.into());
        self.request(
            via,
            ClientRequest::ListObjectVersions {
                bucket,
                prefix,
                max_keys,
                continuation,
            },
        )
        .await
    }
}
