//! Hinted handoff: sloppy quorums and hint delivery.

use crate::harness::{Cluster, Link, quiesce, run, value};
use store::{ClientResponse, ClusterConfig};

/// 5 nodes, N=3, W=3, R=1, hinted handoff as given, no anti-entropy (so only
/// hints can repair).
fn sloppy(hinted_handoff: bool) -> ClusterConfig {
    ClusterConfig {
        nodes: 5,
        write_quorum: 3,
        read_quorum: 1,
        hinted_handoff,
        anti_entropy_interval: None,
        ..ClusterConfig::default()
    }
}

/// The nodes of `key` in ring order: N replicas, then the fallbacks.
fn ring_order(cluster: &Cluster, key: &str) -> Vec<u32> {
    cluster
        .node(0)
        .ring()
        .preference_list(key, cluster.config.nodes)
}

#[test]
fn a_down_replica_makes_w_equals_n_unavailable_without_hints() {
    run(71, || async {
        let cluster = Cluster::new(sloppy(false));
        let order = ring_order(&cluster, "k");
        cluster.set_link(order[2], Link::Down);
        assert_eq!(
            cluster.put(order[0], "k", "v").await,
            ClientResponse::WriteUnavailable
        );
    });
}

#[test]
fn a_fallback_holds_the_hint_and_delivers_it_when_the_replica_is_back() {
    run(72, || async {
        let cluster = Cluster::new(sloppy(true));
        cluster.start_background();
        let order = ring_order(&cluster, "k");
        let (down, fallback) = (order[2], order[3]);
        cluster.set_link(down, Link::Down);
        assert_eq!(cluster.put(order[0], "k", "v").await, ClientResponse::Done);
        let hints = cluster.node(fallback).hints();
        assert_eq!(hints.len(), 1);
        assert_eq!((hints[0].0, hints[0].1.as_str()), (down, "k"));
        assert_eq!(
            cluster.local_value(fallback, "k"),
            None,
            "a hint is not a replica"
        );
        // While the replica is down, delivery rounds fail and keep the hint.
        tokio::time::sleep(cluster.config.hint_interval * 3).await;
        assert_eq!(cluster.node(fallback).hints().len(), 1);
        assert_eq!(cluster.local_value(down, "k"), None);
        cluster.set_link(down, Link::Up);
        tokio::time::sleep(cluster.config.hint_interval * 2).await;
        assert_eq!(cluster.local_value(down, "k"), Some("v".into()));
        assert!(
            cluster.node(fallback).hints().is_empty(),
            "dropped once delivered"
        );
    });
}

#[test]
fn a_full_hint_queue_refuses_and_the_write_is_unavailable() {
    run(73, || async {
        let config = ClusterConfig {
            nodes: 4,
            max_hints: 1,
            ..sloppy(true)
        };
        let cluster = Cluster::new(config);
        // Two keys on the same three replicas: both have the same single fallback.
        let order = ring_order(&cluster, "key-0");
        let same = |key: &String| {
            let mut a = ring_order(&cluster, key)[..3].to_vec();
            let mut b = order[..3].to_vec();
            a.sort_unstable();
            b.sort_unstable();
            a == b
        };
        let other = (1..1000)
            .map(|i| format!("key-{i}"))
            .find(same)
            .expect("some key has the same replicas");
        cluster.set_link(order[0], Link::Down);
        let via = order[1];
        assert_eq!(cluster.put(via, "key-0", "a").await, ClientResponse::Done);
        assert_eq!(
            cluster.put(via, &other, "b").await,
            ClientResponse::WriteUnavailable
        );
        assert_eq!(cluster.node(order[3]).hints().len(), 1);
    });
}

/// The sloppy-quorum anomaly: R + W > N, yet a read misses an acknowledged
/// write, because W counted hints held off the preference list.
#[test]
fn a_sloppy_quorum_read_can_miss_an_acknowledged_write() {
    run(74, || async {
        let config = ClusterConfig {
            write_quorum: 2,
            read_quorum: 2,
            ..sloppy(true)
        };
        let cluster = Cluster::new(config);
        let order = ring_order(&cluster, "k");
        cluster.set_link(order[1], Link::Down);
        cluster.set_link(order[2], Link::Down);
        assert_eq!(cluster.put(order[0], "k", "v").await, ClientResponse::Done);
        // The hinted replicas come back before any hint is delivered; the one
        // real replica that has the write goes down.
        cluster.set_link(order[1], Link::Up);
        cluster.set_link(order[2], Link::Up);
        cluster.set_link(order[0], Link::Down);
        assert_eq!(
            cluster.get(order[3], "k").await,
            ClientResponse::Value(None)
        );
        // Delivery repairs it.
        for fallback in &order[3..] {
            cluster.node(*fallback).deliver_hints().await;
        }
        quiesce().await;
        assert_eq!(cluster.get(order[3], "k").await, value("v"));
    });
}

#[test]
fn without_failures_no_hint_is_written() {
    run(75, || async {
        let cluster = Cluster::new(sloppy(true));
        assert_eq!(cluster.put(0, "k", "v").await, ClientResponse::Done);
        quiesce().await;
        assert!((0..5).all(|id| cluster.node(id).hints().is_empty()));
        let delivered = cluster.net.delivered.lock().unwrap();
        assert!(
            delivered
                .iter()
                .all(|(_, kind)| *kind != "replica-hinted-write")
        );
    });
}
