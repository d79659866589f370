//! The final lines: every replica of every key, including a node that was
//! down when the faulty phase ended.

use sim::{RunOptions, Scenario};

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
