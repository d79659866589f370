//! Read repair: a read brings the stale replicas it meets up to date.

use crate::harness::{Cluster, Link, config, quiesce, run, value};
use store::{ClientResponse, ClusterConfig};

/// Writes "old" everywhere, then "new" while `stale` is down, and brings it back.
async fn cluster_with_a_stale_replica(config: ClusterConfig, stale: u32) -> Cluster {
    let cluster = Cluster::new(config);
    assert_eq!(cluster.put(0, "k", "old").await, ClientResponse::Done);
    quiesce().await;
    cluster.set_link(stale, Link::Down);
    assert_eq!(cluster.put(0, "k", "new").await, ClientResponse::Done);
    quiesce().await;
    cluster.set_link(stale, Link::Up);
    assert_eq!(cluster.local_value(stale, "k"), Some("old".into()));
    cluster
}

#[test]
fn read_repair_updates_a_stale_replica_among_the_first_r() {
    run(21, || async {
        let cluster = cluster_with_a_stale_replica(config(3, 3, 2, 3), 2).await;
        assert_eq!(cluster.get(1, "k").await, value("new"));
        quiesce().await;
        assert_eq!(cluster.local_value(2, "k"), Some("new".into()));
    });
}

#[test]
fn read_repair_updates_a_stale_replica_that_answers_late() {
    run(22, || async {
        // R = 1, coordinated by replica 0: its own answer comes at once and is
        // the whole quorum, so the stale node 2 can only answer late.
        let cluster = cluster_with_a_stale_replica(config(3, 3, 2, 1), 2).await;
        assert_eq!(cluster.get(0, "k").await, value("new"));
        assert_eq!(cluster.local_value(2, "k"), Some("old".into()));
        quiesce().await;
        assert_eq!(cluster.local_value(2, "k"), Some("new".into()));
    });
}

#[test]
fn read_repair_spreads_tombstones() {
    run(23, || async {
        let cluster = Cluster::new(config(3, 3, 2, 3));
        assert_eq!(cluster.put(0, "k", "v").await, ClientResponse::Done);
        quiesce().await;
        cluster.set_link(2, Link::Down);
        assert_eq!(cluster.delete(0, "k").await, ClientResponse::Done);
        quiesce().await;
        cluster.set_link(2, Link::Up);
        assert_eq!(cluster.get(1, "k").await, ClientResponse::Value(None));
        quiesce().await;
        let entry = cluster.node(2).local("k").expect("repaired to a tombstone");
        assert_eq!(entry.value, None);
    });
}

#[test]
fn without_read_repair_a_stale_replica_stays_stale() {
    run(24, || async {
        let config = ClusterConfig {
            read_repair: false,
            ..config(3, 3, 2, 3)
        };
        let cluster = cluster_with_a_stale_replica(config, 2).await;
        assert_eq!(cluster.get(1, "k").await, value("new"));
        quiesce().await;
        assert_eq!(cluster.local_value(2, "k"), Some("old".into()));
    });
}
