//! The simulated storage cluster: one madsim node per store node, each with
//! its own clock, a disk that survives crashes, and an RPC server; in router
//! mode also one madsim node per router (store node id `nodes + r`, address
//! `node_addr(nodes + r)`), which holds no data and is never faulted.

use crate::clock::SimClock;
use crate::net::{self, SimTransport};
use crate::service::Service;
use crate::trace::Peer;
use crate::wire;
use crate::wire::NetContext;
use madsim::runtime::{Handle, NodeHandle};
use std::sync::{Arc, Mutex};
use store::{ClusterConfig, Entry, MemDisk, Node, Request, Response};

/// The store node type as the simulation builds it.
pub type SimNode = Node<SimTransport, SimClock, MemDisk>;

/// Handles on the running cluster. Index `i` of every vector is store node `i`.
pub struct SimCluster {
    handles: Vec<NodeHandle>,
    disks: Vec<MemDisk>,
    /// The live incarnation of each node (replaced on restart).
    live: Arc<Mutex<Vec<Option<Arc<SimNode>>>>>,
    down: Vec<bool>,
    paused: Vec<bool>,
    /// Nodes replaced for good: down, never restarted, never read.
    retired: Vec<bool>,
    /// Router processes (router mode only), never crashed.
    routers: Vec<NodeHandle>,
}

impl SimCluster {
    /// Creates and starts every node. Call inside the runtime.
    pub fn start(
        config: &ClusterConfig,
        service: &crate::scenario::Service,
        clocks: &[SimClock],
        net: &NetContext,
    ) -> SimCluster {
        assert_eq!(clocks.len(), config.nodes as usize, "one clock per node");
        let live = Arc::new(Mutex::new(vec![None; config.nodes as usize]));
        let mut handles = Vec::new();
        let mut disks = Vec::new();
        for id in 0..config.nodes {
            let disk = MemDisk::new();
            let boot = Boot {
                id,
                config: config.clone(),
                clock: clocks[id as usize].clone(),
                disk: disk.clone(),
                net: net.clone(),
                live: live.clone(),
                service: Service::of_node(service, id),
            };
            let handle = Handle::current()
                .create_node()
                .name(format!("n{id}"))
                .ip(net::node_addr(id).ip())
                .init(move || boot.clone().run())
                .build();
            net.attach(handle.id());
            handles.push(handle);
            disks.push(disk);
        }
        let down = vec![false; config.nodes as usize];
        SimCluster {
            handles,
            disks,
            live,
            paused: down.clone(),
            retired: down.clone(),
            down,
            routers: Vec::new(),
        }
    }

    /// Starts the routers of a router-mode cluster, one clock each (router
    /// `r` is store node `config.nodes + r`). Call once, after `start`.
    pub fn start_routers(
        &mut self,
        config: &ClusterConfig,
        service: &crate::scenario::Service,
        clocks: &[SimClock],
        net: &NetContext,
    ) {
        assert_eq!(
            clocks.len(),
            config.routers() as usize,
            "one clock per router"
        );
        assert!(self.routers.is_empty(), "routers started twice");
        for (r, clock) in (0..config.routers()).zip(clocks) {
            let id = config.nodes + r;
            let (config, clock, router_net) = (config.clone(), clock.clone(), net.clone());
            let service = Service::of_node(service, id);
            let handle = Handle::current()
                .create_node()
                .name(format!("r{r}"))
                .ip(net::node_addr(id).ip())
                .init(move || {
                    let (config, clock) = (config.clone(), clock.clone());
                    run_router(id, config, clock, router_net.clone(), service.clone())
                })
                .build();
            net.attach(handle.id());
            self.routers.push(handle);
        }
    }

    /// madsim's id of store node `n`, for crashing, restarting and pausing it.
    pub fn madsim_id(&self, n: u32) -> madsim::task::NodeId {
        self.handles[n as usize].id()
    }

    /// Crashes node `n`: its tasks die and its disk loses unsynced writes.
    pub fn crash(&mut self, n: u32) {
        assert!(!self.down[n as usize], "node {n} crashed twice");
        assert!(!self.paused[n as usize], "node {n} crashed while paused");
        Handle::current().kill(self.madsim_id(n));
        self.disks[n as usize].crash();
        self.lock_live()[n as usize] = None;
        self.down[n as usize] = true;
    }

    /// Restarts a crashed node from its disk.
    pub fn restart(&mut self, n: u32) {
        assert!(self.down[n as usize], "node {n} restarted while up");
        // madsim: always kill before restart, or the old socket stays bound.
        Handle::current().kill(self.madsim_id(n));
        Handle::current().restart(self.madsim_id(n));
        self.down[n as usize] = false;
    }

    /// Whether node `n` was replaced (it stays down, and is not read).
    pub fn is_retired(&self, n: u32) -> bool {
        self.retired[n as usize]
    }

    /// The operator's membership request: the lowest-numbered serving
    /// member (not the one leaving or replaced) drives the change; for an
    /// accepted replacement the dead node is then taken down for good (if it
    /// is not down already). A refused replacement (a movement under way, no
    /// driver) leaves the node as it is: retiring it anyway would leave a
    /// member down for good that nothing replaces, and a second one would
    /// take the last copies of a range with it. Returns what happened, for
    /// the trace.
    pub fn request_change(&mut self, change: store::Change) -> String {
        let (skip, dead) = match change {
            store::Change::Join(_) => (None, None),
            store::Change::Leave(n) => (Some(n), None),
            store::Change::Replace { dead, .. } => (Some(dead), Some(dead)),
        };
        let live = self.lock_live().clone();
        let driver = live.iter().flatten().find(|node| {
            Some(node.id()) != skip
                && !self.paused[node.id() as usize]
                && node.layout().members.contains(&node.id())
        });
        let Some(driver) = driver else {
            return "refused: no member is up to drive it".to_string();
        };
        let layout = match driver.request_change(change) {
            Ok(layout) => layout,
            Err(why) => return format!("refused by n{}: {why}", driver.id()),
        };
        if let Some(dead) = dead {
            if self.paused[dead as usize] {
                self.resume(dead);
            }
            if !self.down[dead as usize] {
                self.crash(dead);
            }
            self.retired[dead as usize] = true;
        }
        format!("n{} drives ring {}", driver.id(), layout.describe())
    }

    /// The newest layout any serving node holds (`None` if none serves).
    pub fn layout(&self) -> Option<store::Layout> {
        self.watch().newest()
    }

    /// The ring reads use in the newest layout (before any change, or with
    /// no node serving, the initial one: members `0..nodes - spares`). What
    /// the harness writes before a run (buckets, policies) and reads after
    /// it (the `final` lines) goes to this ring's preference lists, never
    /// to `Ring::new(config.nodes, ..)`, which would count spares as
    /// members and forget the nodes that left.
    pub fn read_ring(&self, config: &ClusterConfig) -> store::Ring {
        let layout =
            (self.layout()).unwrap_or_else(|| store::Layout::initial(config.nodes, config.spares));
        store::membership::Routing::new(layout, config.vnodes, config.moves)
            .read_ring()
            .clone()
    }

    /// A handle that reads the serving nodes' layouts while the cluster is
    /// borrowed elsewhere (by the fault injector).
    pub fn watch(&self) -> LayoutWatch {
        LayoutWatch(Arc::clone(&self.live))
    }

    pub fn is_down(&self, n: u32) -> bool {
        self.down[n as usize]
    }

    /// Whether node `n`'s current incarnation has built its store node (a
    /// restarted node is down until its boot task has run).
    pub fn is_serving(&self, n: u32) -> bool {
        self.lock_live()[n as usize].is_some()
    }

    /// Waits, in steps of madsim's 1 ms minimum sleep and at most `rounds`
    /// of them, until every node that is not crashed is serving. Returns the
    /// nodes still not serving (empty when all are). The final reads come
    /// after this: a node restarted by the liveness phase must be read, not
    /// skipped because its boot task has not run yet.
    pub async fn wait_until_serving(&self, rounds: u32) -> Vec<u32> {
        let nodes = self.handles.len() as u32;
        for _ in 0..rounds {
            if (0..nodes).all(|n| self.is_serving(n) || self.is_retired(n)) {
                return Vec::new();
            }
            madsim::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        (0..nodes)
            .filter(|&n| !self.is_serving(n) && !self.is_retired(n))
            .collect()
    }

    /// Pauses node `n` (madsim `Handle::pause`): none of its tasks runs, its
    /// timers fire only on resume; messages to it wait in its socket.
    pub fn pause(&mut self, n: u32) {
        assert!(!self.down[n as usize], "node {n} paused while crashed");
        assert!(!self.paused[n as usize], "node {n} paused twice");
        Handle::current().pause(self.madsim_id(n));
        self.paused[n as usize] = true;
    }

    /// Resumes a paused node: its tasks run again, handling what queued.
    pub fn resume(&mut self, n: u32) {
        assert!(self.paused[n as usize], "node {n} resumed while running");
        Handle::current().resume(self.madsim_id(n));
        self.paused[n as usize] = false;
    }

    pub fn is_paused(&self, n: u32) -> bool {
        self.paused[n as usize]
    }

    /// What node `n` holds for `key`, if it is up and has started.
    pub fn local(&self, n: u32, key: &str) -> Option<Option<Entry>> {
        let node = self.lock_live()[n as usize].clone()?;
        Some(node.local(key))
    }

    /// Everything node `n` holds (tombstones included), in key order, if
    /// it is up and has started: the final reads of S3 objects, whose
    /// versions are many store keys.
    pub fn local_entries(&self, n: u32) -> Option<Vec<(String, Entry)>> {
        let node = self.lock_live()[n as usize].clone()?;
        Some(node.local_entries())
    }

    /// Serves `request` on node `n` in place, without the network (`None`
    /// when it is not serving): setup before the run, such as installing
    /// the S3 workload's buckets on their replicas.
    pub async fn serve_directly(&self, n: u32, request: Request) -> Option<Response> {
        let node = self.lock_live()[n as usize].clone()?;
        Some(node.handle(request).await)
    }

    /// Kills every node: their server loops hold reference cycles that would
    /// otherwise keep the runtime alive after the run (madsim leak).
    pub fn shutdown(&mut self) {
        for n in 0..self.handles.len() as u32 {
            Handle::current().kill(self.madsim_id(n));
        }
        for router in &self.routers {
            Handle::current().kill(router.id());
        }
        self.lock_live().iter_mut().for_each(|node| *node = None);
    }

    fn lock_live(&self) -> std::sync::MutexGuard<'_, Vec<Option<Arc<SimNode>>>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Reads the newest layout among the serving nodes (see [`SimCluster::watch`]).
#[derive(Clone)]
pub struct LayoutWatch(Arc<Mutex<Vec<Option<Arc<SimNode>>>>>);

impl LayoutWatch {
    pub fn newest(&self) -> Option<store::Layout> {
        let live = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        // The same node `max_by_key` over the layouts picks (the last of
        // the newest), copying one layout instead of every node's.
        (live.iter().flatten())
            .max_by_key(|node| node.layout_version())
            .map(|node| node.layout())
    }
}

/// Everything a node needs to (re)start; cloned into each incarnation.
#[derive(Clone)]
struct Boot {
    id: u32,
    config: ClusterConfig,
    clock: SimClock,
    disk: MemDisk,
    net: NetContext,
    live: Arc<Mutex<Vec<Option<Arc<SimNode>>>>>,
    /// Its service time and concurrency, if the scenario sets them.
    service: Option<Arc<Service>>,
}

/// Serves `request` on `node` after its service (if any) admits it and
/// spends its time; a full queue answers at once, and nothing is applied.
async fn handle(node: Arc<SimNode>, service: Option<Arc<Service>>, request: Request) -> Response {
    if let Some(service) = service
        && let Err(answer) = service.serve(&request).await
    {
        if store::planted::on(store::planted::Bug::RefusalApplies) {
            let _ = node.handle(request).await;
        }
        return answer;
    }
    node.handle(request).await
}

impl Boot {
    /// The node's main task: bind, build the store node from its disk, serve
    /// requests, and run its background duties (anti-entropy, hint delivery,
    /// interval sync) until killed.
    async fn run(self) {
        let endpoint = madsim::net::Endpoint::bind(net::node_addr(self.id))
            .await
            .expect("a killed node's address is free again");
        let me = Peer::Node(self.id);
        let transport = SimTransport {
            me,
            endpoint: endpoint.clone(),
            net: self.net.clone(),
        };
        let node = Node::new(
            self.id,
            self.config.clone(),
            transport,
            self.clock.clone(),
            self.disk,
        )
        .expect("a MemDisk always loads");
        self.live.lock().unwrap_or_else(|e| e.into_inner())[self.id as usize] = Some(node.clone());
        let (server, service) = (node.clone(), self.service.clone());
        let handle = move |request| handle(server.clone(), service.clone(), request);
        madsim::task::spawn(wire::serve(endpoint, me, self.net.clone(), handle));
        node.run_background().await;
    }
}

/// A router's main task: bind, serve client requests as coordinator until killed.
async fn run_router(
    id: u32,
    config: ClusterConfig,
    clock: SimClock,
    net: NetContext,
    service: Option<Arc<Service>>,
) {
    let endpoint = madsim::net::Endpoint::bind(net::node_addr(id))
        .await
        .expect("router addresses are unique");
    let me = Peer::Node(id);
    let transport = SimTransport {
        me,
        endpoint: endpoint.clone(),
        net: net.clone(),
    };
    let router: Arc<SimNode> = Node::router(id, config, transport, clock);
    let handle = move |request| handle(router.clone(), service.clone(), request);
    wire::serve(endpoint, me, net, handle).await
}
