//! Versions come from the coordinator's clock: LWW is only as good as the clocks.

use crate::harness::{Cluster, config, quiesce, run, value};
use store::ClientResponse;

/// The store is *supposed* to do this: it is the anomaly the testbed exists to show.
#[test]
fn a_coordinator_with_a_lagging_clock_loses_to_an_older_write() {
    run(41, || async {
        let cluster = Cluster::new(config(3, 3, 2, 2));
        cluster.clocks[1].set_offset_ns(1_000_000_000); // one second ahead
        assert_eq!(cluster.put(1, "k", "older").await, ClientResponse::Done);
        assert_eq!(cluster.put(0, "k", "newer").await, ClientResponse::Done);
        // "newer" was acknowledged after "older" completed, and is lost.
        assert_eq!(cluster.get(2, "k").await, value("older"));
        quiesce().await;
        assert!((0..3).all(|id| cluster.local_value(id, "k") == Some("older".into())));
    });
}

#[test]
fn versions_from_one_node_strictly_increase_when_its_clock_stands_still() {
    run(42, || async {
        let cluster = Cluster::new(config(3, 3, 2, 2));
        cluster.clocks[0].freeze_at(5_000);
        let mut versions = Vec::new();
        for i in 0..5 {
            assert_eq!(
                cluster.put(0, "k", &format!("v{i}")).await,
                ClientResponse::Done
            );
            versions.push(cluster.node(0).local("k").unwrap().version);
        }
        assert!(
            versions.windows(2).all(|pair| pair[0] < pair[1]),
            "{versions:?}"
        );
        assert_eq!(versions[0].timestamp, 5_000);
        assert!(versions.iter().all(|version| version.node == 0));
        // The clock jumps back: versions still go up.
        cluster.clocks[0].freeze_at(1);
        assert_eq!(
            cluster.put(0, "k", "after-jump").await,
            ClientResponse::Done
        );
        let after = cluster.node(0).local("k").unwrap();
        assert!(after.version > versions[4]);
        assert_eq!(cluster.get(1, "k").await, value("after-jump"));
    });
}

#[test]
fn equal_timestamps_are_ordered_by_node_id() {
    run(43, || async {
        let cluster = Cluster::new(config(3, 3, 2, 2));
        cluster.clocks[2].freeze_at(7_000);
        cluster.clocks[1].freeze_at(7_000);
        assert_eq!(cluster.put(2, "k", "from-2").await, ClientResponse::Done);
        assert_eq!(cluster.put(1, "k", "from-1").await, ClientResponse::Done);
        assert_eq!(cluster.get(0, "k").await, value("from-2"));
    });
}
