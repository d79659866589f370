//! The final lines: every replica of every key, including a node that was
//! down when the faulty phase ended.

use sim::clock::SimClock;
use sim::cluster::SimCluster;
use sim::fate::Fates;
use sim::timescale::Epoch;
use sim::trace::Trace;
use sim::wire::NetContext;
use sim::{RunOptions, Scenario};
use std::sync::Arc;
use std::time::Duration;

/// A crash that lasts past the end of the run, and no quiesce: the node
/// restarts in the liveness phase and still gets its final lines.
const CRASH_PAST_THE_END: &str = r#"
name = "crash past the end"
description = "node 2 crashes and stays down past the end of the faulty phase"
seed = 1
duration = "200ms"
quiesce = "0s"

[cluster]
nodes = 3
replicas = 3
write_quorum = 2
read_quorum = 2
protocol = "quorum"

[network]
latency = { dist = "fixed", value = "1ms" }

[workload]
clients = 2
keys = 2
ops = 20
mix = { get = 0.5, put = 0.5 }
think = "1ms"          # the clients are done long before the end

[[faults]]
kind = "crash"
at = "100ms"
duration = "10s"
node = 2
"#;

#[test]
fn a_node_down_at_the_end_still_gets_its_final_lines() {
    let s = Scenario::parse(CRASH_PAST_THE_END, "crash.toml").unwrap_or_else(|e| panic!("{e}"));
    for seed in 1..=3 {
        let outcome = sim::run_seed(&s, seed, RunOptions::default()).unwrap();
        let finals = &outcome.history.finals;
        assert_eq!(
            finals.len(),
            2 * 3,
            "seed {seed}: every replica of every key: {finals:?}"
        );
        assert!(
            finals.iter().any(|f| f.node == 2),
            "seed {seed}: node 2 is read"
        );
    }
}

/// The race the final reads must not lose: a node restarted by the liveness
/// phase serves only once its boot task has run, so reading the replicas at
/// the instant of the restart (no quiesce) would skip it. The runner waits
/// with `wait_until_serving` before reading.
#[test]
fn a_restarted_node_serves_only_after_its_boot_and_the_final_reads_wait_for_it() {
    let s = Scenario::parse(CRASH_PAST_THE_END, "crash.toml").unwrap_or_else(|e| panic!("{e}"));
    let rt = madsim::runtime::Runtime::with_seed_and_config(1, madsim::Config::default());
    rt.block_on(async move {
        let epoch = Epoch::now();
        let net = NetContext {
            epoch,
            trace: Trace::new(false),
            fates: Arc::new(Fates::new(&s.network)),
        };
        let config = sim::runner::cluster_config(&s, RunOptions::default());
        let clocks: Vec<SimClock> = (0..config.nodes)
            .map(|_| SimClock::new(epoch, 0, 0.0))
            .collect();
        let service = sim::scenario::Service::default();
        let mut cluster = SimCluster::start(&config, &service, &clocks, &net);
        assert_eq!(cluster.wait_until_serving(10).await, Vec::<u32>::new());
        cluster.crash(2);
        cluster.restart(2);
        assert!(
            !cluster.is_serving(2) && cluster.local(2, "k1").is_none(),
            "just restarted: not serving yet, so a read now would skip node 2"
        );
        assert_eq!(cluster.wait_until_serving(10).await, Vec::<u32>::new());
        assert!(
            cluster.local(2, "k1").is_some(),
            "node 2 is read after the wait"
        );
        cluster.shutdown();
        madsim::time::sleep(Duration::from_millis(1)).await;
    });
}
