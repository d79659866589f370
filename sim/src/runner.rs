//! One seed → one madsim runtime → one [`RunOutcome`].
//!
//! A run is a pure function of (scenario, seed): a safety phase with the
//! workload and the fault schedule, then a liveness phase that heals every
//! fault and lets the cluster quiesce, then a final read of every replica.

use crate::buggify::SimPoints;
use crate::clock::SimClock;
use crate::cluster::SimCluster;
use crate::fate::Fates;
use crate::faults::windows::FaultWindow;
use crate::faults::{self, FaultInjector};
use crate::nemesis;
use crate::recorder::Recorder;
use crate::scenario::Scenario;
use crate::timescale::{self, Epoch};
use crate::trace::{Trace, TraceEvent};
use crate::wire::NetContext;
use crate::workload::{self, ClientPlan};
use check::{Final, History};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::sync::Arc;
use std::time::Duration;
use store::ClusterConfig;

/// Options that change what a run records, never what it does.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Keep every message in the trace (for `replay --trace`); otherwise only counted.
    pub trace_messages: bool,
    /// **Test-only** (feature `planted-bugs`): plant the coordinator bug that
    /// acknowledges writes before W replicas answered.
    #[cfg(feature = "planted-bugs")]
    pub bug_ack_before_quorum: bool,
    /// **Test-only** (feature `planted-bugs`): plant nondeterminism (a
    /// process-wide counter delays the workload a little more on every run),
    /// so that `--check-determinism` can be shown to catch it.
    #[cfg(feature = "planted-bugs")]
    pub plant_nondeterminism: bool,
}

impl RunOptions {
    /// These options with nondeterminism planted (see
    /// `plant_nondeterminism`), or `None` when this build has no planted bugs
    /// (the `planted-bugs` feature is for tests only): lets the binary's
    /// hidden test flag refuse cleanly in a normal build.
    #[cfg(feature = "planted-bugs")]
    pub fn with_planted_nondeterminism(self) -> Option<RunOptions> {
        Some(RunOptions {
            plant_nondeterminism: true,
            ..self
        })
    }

    /// Without the `planted-bugs` feature there is nothing to plant.
    #[cfg(not(feature = "planted-bugs"))]
    pub fn with_planted_nondeterminism(self) -> Option<RunOptions> {
        None
    }
}

/// Drives [`RunOptions::plant_nondeterminism`]: state that outlives a run is
/// exactly what a deterministic simulation must never read.
#[cfg(feature = "planted-bugs")]
static PLANTED_NONDETERMINISM: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Everything one seed produced.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub seed: u64,
    /// Client events followed by the final replica states.
    pub history: History,
    /// Messages sent (requests and responses).
    pub messages: u64,
    /// Faults and phases, plus every message when `trace_messages` was set.
    pub trace: Vec<TraceEvent>,
    /// Fingerprint of every message and fault (`Trace::fingerprint`), whatever
    /// `trace_messages` was: compared by `--check-determinism`.
    pub trace_hash: String,
    /// Each node's clock error, as drawn from the seed (offset ns, drift ppm).
    pub clocks: Vec<(i64, f64)>,
    /// Scenario time at which the run ended, in nanoseconds.
    pub end_ns: u64,
    /// When each fault was active, sorted by start.
    pub faults: Vec<FaultWindow>,
    /// Every buggify hit the fault injector received (applied or declined),
    /// in order: what `shrink` writes out as explicit `buggify` faults.
    pub buggify_hits: Vec<crate::buggify::SeenHit>,
}

/// A seed that could not be run to completion.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    #[error("seed {seed}: the simulation panicked: {message}")]
    Panicked { seed: u64, message: String },
    /// A node did not come back up for the final reads: its replicas would
    /// be missing from the `final` lines, and convergence would judge fewer
    /// replicas than the cluster has without saying so.
    #[error(
        "seed {seed}: node(s) {nodes:?} were still down {waited_ms} ms (madsim time) after the \
         liveness phase restarted them, so their replicas cannot be read for the final lines"
    )]
    NodesDown {
        seed: u64,
        nodes: Vec<u32>,
        waited_ms: u32,
    },
    /// `api = "s3"`: a node did not serve, or refused, the buckets installed
    /// on it before the clients start.
    #[error(
        "seed {seed}: node(s) {nodes:?} could not take the S3 workload's buckets before the run"
    )]
    Setup { seed: u64, nodes: Vec<u32> },
}

/// How long (madsim ms, one per round) the final reads wait for restarted
/// nodes to serve. A restart takes one scheduling round; this only bounds a bug.
const SERVING_ROUNDS: u32 = 1000;

/// Runs one seed on a fresh OS thread with its own runtime (std's `HashMap`
/// order and thread RNGs are only reproducible that way, madsim issue #240).
pub fn run_seed(
    scenario: &Scenario,
    seed: u64,
    options: RunOptions,
) -> Result<RunOutcome, RunError> {
    // With `[swarm]`, the workload at the seed's point (drawn from a stream
    // of its own); without, the scenario as it is.
    let scenario = scenario.for_seed(seed).into_owned();
    let thread = std::thread::Builder::new()
        .name(format!("seed-{seed}"))
        .spawn(move || run_on_this_thread(&scenario, seed, options));
    let joined = match thread {
        Ok(handle) => handle.join(),
        Err(e) => {
            return Err(RunError::Panicked {
                seed,
                message: format!("cannot spawn: {e}"),
            });
        }
    };
    joined
        .map_err(|panic| RunError::Panicked {
            seed,
            message: panic_message(&panic),
        })
        .flatten()
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    (panic.downcast_ref::<String>().cloned())
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".to_string())
}

/// The madsim configuration: the scenario's loss rate, and no latency until a
/// packet's own is set as it is sent (see `wire::attach`).
fn madsim_config(scenario: &Scenario) -> madsim::Config {
    let mut config = madsim::Config::default();
    config.net.send_latency = Duration::ZERO..Duration::from_nanos(1);
    config.net.packet_loss_rate = scenario.network.loss;
    config
}

fn run_on_this_thread(
    scenario: &Scenario,
    seed: u64,
    options: RunOptions,
) -> Result<RunOutcome, RunError> {
    let mut rt = madsim::runtime::Runtime::with_seed_and_config(seed, madsim_config(scenario));
    rt.set_time_limit(timescale::to_madsim(time_limit(scenario)));
    rt.block_on(supervise(scenario.clone(), seed, options))
}

/// Slack on top of [`longest_run`] before madsim's time limit: madsim's
/// floors (≥ 1 µs of scenario time per sleep and hop) and the shutdown pause.
const TIME_LIMIT_SLACK: Duration = Duration::from_secs(60);

/// The madsim time limit of a run, in scenario time: [`longest_run`] plus
/// slack. A valid scenario never reaches it (the limit turns a hang into an
/// error, not a long scenario into a panic).
fn time_limit(scenario: &Scenario) -> Duration {
    longest_run(scenario) + TIME_LIMIT_SLACK
}

/// An upper bound on the scenario time a run can take, from what
/// [`supervise`] waits for: the faulty phase; then each client's tail (a
/// regular client starts nothing after the faulty phase and never sleeps
/// past it, so one operation of at most `client_timeout`; a probe client may
/// be in a trial: its write, then a read after each delay, each bounded by
/// `client_timeout`, the delays by the largest one); then `quiesce`.
/// Every term is bounded at validation (durations ≤ 24 h, ≤ 32 probe delays
/// of ≤ 10 s), so this is at most 36 simulated days: far from overflowing
/// madsim's clock, whatever the scenario.
pub fn longest_run(scenario: &Scenario) -> Duration {
    let timeout = scenario.cluster.client_timeout;
    let probe_tail = scenario
        .workload
        .probes
        .as_ref()
        .map_or(Duration::ZERO, |p| {
            let reads = u32::try_from(p.delays.len()).unwrap_or(u32::MAX);
            let longest_delay = p.delays.iter().max().copied().unwrap_or_default();
            timeout * (reads + 1) + longest_delay
        });
    // An S3 listing is one operation of many pages, each up to the timeout.
    let s3_tail = workload::s3::longest_op(scenario);
    scenario.duration + timeout.max(probe_tail).max(s3_tail) + scenario.quiesce
}

/// The store's configuration for a scenario, with durations in madsim time
/// (the copy of each knob is [`crate::scenario::Cluster::store_config`]'s).
pub fn cluster_config(scenario: &Scenario, options: RunOptions) -> ClusterConfig {
    #[cfg(not(feature = "planted-bugs"))]
    let _ = options;
    ClusterConfig {
        #[cfg(feature = "planted-bugs")]
        bug_ack_before_quorum: options.bug_ack_before_quorum,
        auth: (scenario.auth.as_ref()).map(workload::access::store_config),
        ..scenario.cluster.store_config(timescale::to_madsim)
    }
}

async fn supervise(
    scenario: Scenario,
    seed: u64,
    options: RunOptions,
) -> Result<RunOutcome, RunError> {
    let epoch = Epoch::now();
    let trace = Trace::new(options.trace_messages);
    let net = NetContext {
        epoch,
        trace: trace.clone(),
        fates: Arc::new(Fates::new(&scenario.network)),
    };
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let clocks: Vec<SimClock> = (0..scenario.cluster.nodes)
        .map(|_| {
            SimClock::draw(
                epoch,
                scenario.clocks.skew,
                scenario.clocks.drift_ppm,
                &mut rng,
            )
        })
        .collect();
    let mut config = cluster_config(&scenario, options);
    let buggify = crate::buggify::Plan::of(&scenario).map(|plan| {
        let (points, hits) = SimPoints::new(plan, scenario.cluster.nodes, seed, epoch);
        (Arc::new(points), hits)
    });
    if let Some((points, _)) = &buggify {
        config.fault_points = store::buggify::FaultPoints::new(points.clone());
    }
    let mut cluster = SimCluster::start(&config, &scenario.cluster.service, &clocks, &net);
    // Routers' clocks are drawn after the nodes', so a run without routers draws the same.
    let router_clocks: Vec<SimClock> = (0..config.routers())
        .map(|_| {
            let (skew, drift) = (scenario.clocks.skew, scenario.clocks.drift_ppm);
            SimClock::draw(epoch, skew, drift, &mut rng)
        })
        .collect();
    cluster.start_routers(&config, &scenario.cluster.service, &router_clocks, &net);
    let recorder = Recorder::default();
    // `api = "s3"`: the buckets exist before any client starts.
    let mut refused = workload::s3::install_buckets(&scenario, &config, &cluster).await;
    if refused.is_empty() {
        // `[auth]`: the initial bucket policies, recorded as grants.
        let now = net.epoch.elapsed_ns();
        refused =
            workload::access::install_policies(&scenario, &config, &cluster, &recorder, now).await;
    }
    if !refused.is_empty() {
        cluster.shutdown();
        tokio::time::sleep(Duration::from_millis(1)).await;
        return Err(RunError::Setup {
            seed,
            nodes: refused,
        });
    }
    #[cfg(feature = "planted-bugs")]
    if options.plant_nondeterminism {
        let n = PLANTED_NONDETERMINISM.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(1 + n % 1000)).await;
    }
    let clients = start_clients(&scenario, seed, &net, &recorder);

    // Ring changes go to the trace and the fault windows as they happen.
    let stop_watch = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ring_watch = config.membership_interval.map(|_| {
        let (watch, trace, stop) = (cluster.watch(), trace.clone(), Arc::clone(&stop_watch));
        madsim::task::spawn(watch_ring(
            watch,
            epoch,
            trace,
            stop,
            longest_run(&scenario),
        ))
    });

    // Safety phase: the workload runs while faults come and go.
    let drawn = nemesis::draw(&scenario, seed, &trace);
    let actions = faults::plan(&scenario, seed, drawn);
    let fates = Arc::clone(&net.fates);
    let mut injector = FaultInjector::new(trace.clone(), epoch, clocks.clone(), fates);
    let points = buggify.map(|(points, hits)| {
        injector.take_hits(hits, Arc::clone(&points));
        points
    });
    injector.run(actions, scenario.duration, &mut cluster).await;
    if let Some(points) = &points {
        points.close(); // buggify acts in the faulty phase only
    }

    // Liveness phase: heal (restarting every crashed node), let in-flight
    // operations finish, quiesce.
    injector.heal_all(&mut cluster, scenario.cluster.nodes);
    for client in clients {
        client.await.expect("a client task never panics");
    }
    timescale::sleep(scenario.quiesce).await;
    // Every node is read: wait for restarted ones to serve (with no quiesce
    // they may not have booted yet), and never skip one silently.
    let down = cluster.wait_until_serving(SERVING_ROUNDS).await;
    if !down.is_empty() {
        cluster.shutdown();
        tokio::time::sleep(Duration::from_millis(1)).await;
        return Err(RunError::NodesDown {
            seed,
            nodes: down,
            waited_ms: SERVING_ROUNDS,
        });
    }
    trace.fault(epoch.elapsed_ns(), "quiesced: final reads".to_string());

    let finals = match scenario.workload.s3 {
        Some(_) => workload::s3::final_reads(&scenario, &config, &cluster),
        None => final_reads(&scenario, &config, &cluster),
    };
    let end_ns = epoch.elapsed_ns();
    stop_watch.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut movements = match ring_watch {
        Some(task) => task.await.unwrap_or_default(),
        None => Vec::new(),
    };
    cluster.shutdown();
    // Let the killed nodes' tasks drop before the runtime goes away (madsim leak).
    tokio::time::sleep(Duration::from_millis(1)).await;
    let buggify_hits = injector.seen_hits();
    let mut faults = injector.windows(end_ns);
    for window in &mut movements {
        window.end_ns = window.end_ns.min(end_ns);
    }
    faults.extend(movements);
    faults.sort();
    let skew_ns = u64::try_from(scenario.clocks.skew.as_nanos()).unwrap_or(u64::MAX);
    let clock_error_ns =
        crate::recorder::clock_error_ns(skew_ns, scenario.clocks.drift_ppm, end_ns, &faults);
    Ok(RunOutcome {
        seed,
        history: History {
            events: recorder.take_events(),
            finals,
            clock_error_ns: Some(clock_error_ns),
            revocation_delta_ns: (scenario.auth.as_ref())
                .map(|a| u64::try_from(a.revocation_delta.as_nanos()).unwrap_or(u64::MAX)),
            ..History::default()
        },
        messages: trace.messages(),
        trace: trace.events(),
        trace_hash: trace.fingerprint(),
        clocks: clocks.iter().map(|c| (c.offset_ns, c.drift_ppm)).collect(),
        end_ns,
        faults,
        buggify_hits,
    })
}

fn start_clients(
    scenario: &Scenario,
    seed: u64,
    net: &NetContext,
    recorder: &Recorder,
) -> Vec<madsim::task::JoinHandle<()>> {
    let regular = scenario.workload.clients;
    let probes = scenario.workload.probes.clone();
    let total = regular + probes.as_ref().map_or(0, |p| p.clients);
    let balancer = workload::balancer(scenario);
    (0..total)
        .map(|c| {
            let plan = ClientPlan::for_client(scenario, seed, c, &balancer);
            let (net, recorder) = (net.clone(), recorder.clone());
            let node = madsim::runtime::Handle::current()
                .create_node()
                .name(format!("c{c}"))
                .ip(crate::net::client_addr(c).ip())
                .build();
            net.attach(node.id());
            match &probes {
                Some(p) if c >= regular => {
                    node.spawn(workload::run_probe(plan, p.clone(), net, recorder))
                }
                _ => node.spawn(workload::run_client(plan, net, recorder)),
            }
        })
        .collect()
}

/// Watches the newest layout every millisecond of scenario time until
/// `stop` (at most `longest` long): writes each new version to the trace
/// (`ring v2 [0 1 2 3] → [0 1 2 3 4] (join n4: ...)`) and returns a window
/// per movement, from its first layout to the settled one (still open: to
/// the run's end), so reports shade the movements and measure the
/// availability they cost.
async fn watch_ring(
    watch: crate::cluster::LayoutWatch,
    epoch: Epoch,
    trace: Trace,
    stop: Arc<std::sync::atomic::AtomicBool>,
    longest: Duration,
) -> Vec<crate::faults::windows::FaultWindow> {
    use crate::faults::windows::{Effect, FaultWindow};
    let step = Duration::from_millis(1);
    let rounds = longest.as_millis() + 1000;
    let mut seen = 0;
    let mut windows: Vec<FaultWindow> = Vec::new();
    let mut open: Option<FaultWindow> = None;
    for _ in 0..rounds {
        if stop.load(std::sync::atomic::Ordering::SeqCst) {
            break;
        }
        if let Some(layout) = watch.newest().filter(|l| l.version > seen) {
            seen = layout.version;
            let now = epoch.elapsed_ns();
            trace.fault(now, format!("ring {}", layout.describe()));
            match (&layout.movement, open.take()) {
                (Some(m), None) => {
                    open = Some(FaultWindow {
                        start_ns: now,
                        end_ns: u64::MAX,
                        what: format!("movement: {}", m.change),
                        effect: Effect::Membership,
                    });
                }
                (Some(_), still) => open = still,
                (None, Some(mut done)) => {
                    done.end_ns = now;
                    windows.push(done);
                }
                (None, None) => {}
            }
        }
        timescale::sleep(step).await;
    }
    windows.extend(open);
    windows
}

/// What every replica of every key holds, read directly from each node's state
/// (no messages: the final read must not itself be subject to faults). Every
/// node serves by now (`SimCluster::wait_until_serving`), so no replica is
/// skipped.
fn final_reads(scenario: &Scenario, config: &ClusterConfig, cluster: &SimCluster) -> Vec<Final> {
    let ring = cluster.read_ring(config);
    let mut finals = Vec::new();
    for k in 0..scenario.workload.keys {
        let key = workload::key_name(k);
        for node in ring.preference_list(&key, config.replicas) {
            let Some(entry) = cluster.local(node, &key) else {
                continue;
            };
            let value = entry.and_then(|e| e.value);
            finals.push(Final {
                node,
                key: key.clone(),
                value,
            });
        }
    }
    finals
}
