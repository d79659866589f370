//! Sync policies: which acknowledged writes a crash of every replica keeps.

use crate::harness::{Cluster, run, value};
use std::time::Duration;
use store::{ClientResponse, ClusterConfig, SyncPolicy};

const INTERVAL: Duration = Duration::from_millis(100);

/// 3 nodes, N=W=3 (every replica acknowledged), the given sync policy, background running.
fn cluster(sync: SyncPolicy) -> Cluster {
    let cluster = Cluster::new(ClusterConfig {
        write_quorum: 3,
        sync,
        anti_entropy_interval: None,
        ..ClusterConfig::default()
    });
    cluster.start_background();
    cluster
}

fn crash_all(cluster: &Cluster) {
    for id in 0..3 {
        cluster.crash_and_restart(id);
    }
}

#[test]
fn a_crash_right_after_the_ack_loses_the_write_unless_sync_is_always() {
    let policies = [
        (SyncPolicy::Always, true),
        (SyncPolicy::Never, false),
        (SyncPolicy::Interval(INTERVAL), false),
    ];
    for (policy, survives) in policies {
        run(81, move || async move {
            let cluster = cluster(policy);
            assert_eq!(cluster.put(0, "k", "v").await, ClientResponse::Done);
            crash_all(&cluster);
            let expected = if survives {
                value("v")
            } else {
                ClientResponse::Value(None)
            };
            assert_eq!(cluster.get(1, "k").await, expected, "{policy:?}");
        });
    }
}

#[test]
fn the_interval_sync_makes_writes_durable_after_one_interval() {
    run(82, || async {
        let cluster = cluster(SyncPolicy::Interval(INTERVAL));
        assert_eq!(cluster.put(0, "k", "v").await, ClientResponse::Done);
        tokio::time::sleep(INTERVAL + Duration::from_millis(10)).await;
        crash_all(&cluster);
        assert_eq!(cluster.get(1, "k").await, value("v"));
    });
}

#[test]
fn never_means_never_however_long_one_waits() {
    run(83, || async {
        let cluster = cluster(SyncPolicy::Never);
        assert_eq!(cluster.put(0, "k", "v").await, ClientResponse::Done);
        tokio::time::sleep(Duration::from_secs(2)).await;
        crash_all(&cluster);
        assert_eq!(cluster.get(1, "k").await, ClientResponse::Value(None));
    });
}
