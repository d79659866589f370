//! The `eventual` protocol and each protocol's defaults.

use crate::harness::{Cluster, Link, quiesce, run, value};
use store::{ClientResponse, ClusterConfig, Protocol};

#[test]
fn protocol_defaults() {
    let eventual = ClusterConfig::for_protocol(Protocol::Eventual, 5, 3);
    assert_eq!(
        (
            eventual.write_quorum,
            eventual.read_quorum,
            eventual.read_repair
        ),
        (1, 1, false)
    );
    let quorum = ClusterConfig::for_protocol(Protocol::Quorum, 5, 3);
    assert_eq!(
        (quorum.write_quorum, quorum.read_quorum, quorum.read_repair),
        (2, 2, true)
    );
    let abd = ClusterConfig::for_protocol(Protocol::Abd, 5, 5);
    assert_eq!((abd.write_quorum, abd.read_quorum), (3, 3));
    assert_eq!(
        ClusterConfig::for_protocol(Protocol::Abd, 4, 4).write_quorum,
        3
    );
    assert!(!eventual.hinted_handoff && eventual.anti_entropy_interval.is_some());
}

#[test]
fn one_ack_suffices_and_a_stale_replica_answers_reads() {
    run(101, || async {
        let cluster = Cluster::new(ClusterConfig::for_protocol(Protocol::Eventual, 3, 3));
        cluster.set_link(1, Link::Down);
        cluster.set_link(2, Link::Down);
        assert_eq!(cluster.put(0, "k", "v").await, ClientResponse::Done);
        quiesce().await; // the writes to nodes 1 and 2 time out
        cluster.set_link(1, Link::Up);
        cluster.set_link(2, Link::Up);
        cluster.set_link(0, Link::Down);
        // R = 1: the first answer wins, and only node 0 has the write.
        assert_eq!(cluster.get(1, "k").await, ClientResponse::Value(None));
        quiesce().await;
        assert_eq!(
            cluster.local_value(2, "k"),
            None,
            "no read repair by default"
        );
        cluster.set_link(0, Link::Up);
        cluster.node(0).anti_entropy_round().await; // node 0's first peer is node 1
        assert_eq!(cluster.get(1, "k").await, value("v"));
    });
}
