//! Membership changes under load: a join, a leave and a replace each move
//! ranges while clients write, and every acknowledged write stays readable
//! through the new owners; one movement at a time; a layout survives a restart.

use crate::harness::{Cluster, Link, config, run, value};
use std::time::Duration;
use store::{Change, ChangeError, ClientResponse, ClusterConfig, NodeId};
use tokio::time::sleep;

/// 4 members and 1 spare (node 4), N = 3, W = R = 2, membership every 10 ms.
fn growable() -> ClusterConfig {
    ClusterConfig {
        spares: 1,
        membership_interval: Some(Duration::from_millis(10)),
        ..config(5, 3, 2, 2)
    }
}

/// A started growable cluster without anti-entropy: only streaming brings a
/// joining node its ranges.
fn streaming_only() -> Cluster {
    let cluster = Cluster::new(ClusterConfig {
        anti_entropy_interval: None,
        ..growable()
    });
    cluster.start_background();
    cluster
}

/// Waits (at most 10 s of simulated time) until every node in `nodes` routes
/// by a settled layout with exactly `members`; panics otherwise.
async fn settle(cluster: &Cluster, nodes: &[NodeId], members: &[NodeId]) {
    for _ in 0..1000 {
        let settled = nodes.iter().all(|&n| {
            let layout = cluster.node(n).layout();
            layout.movement.is_none() && layout.members == members
        });
        if settled {
            return;
        }
        sleep(Duration::from_millis(10)).await;
    }
    let layouts: Vec<String> = (nodes.iter())
        .map(|&n| cluster.node(n).layout().describe())
        .collect();
    panic!("no settled layout {members:?}: {layouts:?}");
}

/// Waits (at most 1 s of simulated time) until no node of `nodes` holds
/// any of `key-0..key-{keys}` that it does not replicate in the settled
/// layout: the old owners dropped the ranges they gave up. Panics otherwise.
async fn old_owners_dropped(cluster: &Cluster, nodes: &[NodeId], keys: u32) {
    let strays = || {
        let mut strays = Vec::new();
        for i in 0..keys {
            let key = format!("key-{i}");
            let owners = cluster.replicas_of(&key);
            for &n in nodes {
                if !owners.contains(&n) && cluster.local_value(n, &key).is_some() {
                    strays.push((n, key.clone()));
                }
            }
        }
        strays
    };
    for _ in 0..100 {
        if strays().is_empty() {
            return;
        }
        sleep(Duration::from_millis(10)).await;
    }
    panic!("old owners still hold moved keys: {:?}", strays());
}

/// Puts `key-i = round-i` for every i through rotating coordinators in
/// `via`, returning the keys whose put was acknowledged.
async fn write_round(cluster: &Cluster, via: &[NodeId], round: u32, keys: u32) -> Vec<u32> {
    let mut acked = Vec::new();
    for i in 0..keys {
        let node = via[(i as usize) % via.len()];
        let (key, value) = (format!("key-{i}"), format!("{round}-{i}"));
        if cluster.put(node, &key, &value).await == ClientResponse::Done {
            acked.push(i);
        }
    }
    acked
}

/// Every key of `acked` reads back its value of `round` through every node of `via`.
async fn all_readable(cluster: &Cluster, via: &[NodeId], round: u32, acked: &[u32]) {
    for &node in via {
        for &i in acked {
            let key = format!("key-{i}");
            let got = cluster.get(node, &key).await;
            assert_eq!(got, value(&format!("{round}-{i}")), "{key} via n{node}");
        }
    }
}

#[test]
fn a_join_under_writes_keeps_every_acknowledged_write() {
    run(161, || async {
        let cluster = Cluster::new(growable());
        cluster.start_background();
        let before = write_round(&cluster, &[0, 1, 2, 3], 0, 60).await;
        assert_eq!(before.len(), 60);
        let layout = cluster.node(0).request_change(Change::Join(4)).unwrap();
        assert_eq!(layout.version, 1);
        // Writes go on while ranges move.
        let mut last = 0;
        for round in 1..=5 {
            let acked = write_round(&cluster, &[0, 1, 2, 3, 4], round, 60).await;
            assert_eq!(acked.len(), 60, "round {round}: every write acknowledged");
            last = round;
        }
        settle(&cluster, &[0, 1, 2, 3, 4], &[0, 1, 2, 3, 4]).await;
        assert_eq!(cluster.node(3).layout().version, 4);
        all_readable(&cluster, &[0, 4], last, &(0..60).collect::<Vec<_>>()).await;
        // Node 4 now owns some keys, and holds them.
        let owned: Vec<u32> = (0..60)
            .filter(|i| cluster.replicas_of(&format!("key-{i}")).contains(&4))
            .collect();
        assert!(!owned.is_empty());
        for i in owned {
            let held = cluster.local_value(4, &format!("key-{i}"));
            assert_eq!(held, Some(format!("{last}-{i}")), "key-{i} on n4");
        }
        // The old owners gave up what node 4 took, and nothing acknowledged is lost.
        old_owners_dropped(&cluster, &[0, 1, 2, 3, 4], 60).await;
        all_readable(&cluster, &[1, 3], last, &(0..60).collect::<Vec<_>>()).await;
    });
}

#[test]
fn the_new_owner_streams_from_a_read_quorum_not_from_one_replica() {
    run(162, || async {
        let cluster = streaming_only();
        // Writes that node 1 misses: W = 2 of its keys' replicas acknowledge.
        cluster.set_link(1, Link::Down);
        let acked = write_round(&cluster, &[0, 2, 3], 0, 60).await;
        cluster.set_link(1, Link::Up);
        cluster.node(0).request_change(Change::Join(4)).unwrap();
        settle(&cluster, &[0, 1, 2, 3, 4], &[0, 1, 2, 3, 4]).await;
        // Node 4 holds every key it gained, though node 1 (an old owner of
        // some of them) missed them: it streamed from R old owners.
        for &i in &acked {
            let key = format!("key-{i}");
            if cluster.replicas_of(&key).contains(&4) {
                assert_eq!(cluster.local_value(4, &key), Some(format!("0-{i}")));
            }
        }
        all_readable(&cluster, &[4], 0, &acked).await;
    });
}

#[test]
fn a_leave_hands_every_range_over() {
    run(163, || async {
        let cluster = Cluster::new(ClusterConfig {
            spares: 0,
            ..growable()
        });
        cluster.start_background();
        let acked = write_round(&cluster, &[0, 1, 2, 3, 4], 0, 60).await;
        cluster.node(1).request_change(Change::Leave(0)).unwrap();
        let during = write_round(&cluster, &[1, 2, 3, 4], 1, 60).await;
        assert_eq!((acked.len(), during.len()), (60, 60));
        settle(&cluster, &[0, 1, 2, 3, 4], &[1, 2, 3, 4]).await;
        // Node 0 is gone for good: every key is still read by a quorum.
        cluster.set_link(0, Link::Down);
        all_readable(&cluster, &[1, 3], 1, &during).await;
        // And node 0 dropped every range it handed over.
        cluster.set_link(0, Link::Up);
        old_owners_dropped(&cluster, &[0, 1, 2, 3, 4], 60).await;
        assert!((0..60).all(|i| cluster.local_value(0, &format!("key-{i}")).is_none()));
    });
}

#[test]
fn a_replacement_takes_a_dead_nodes_ranges() {
    run(164, || async {
        let cluster = Cluster::new(growable());
        cluster.start_background();
        let acked = write_round(&cluster, &[0, 1, 2, 3], 0, 60).await;
        cluster.set_link(2, Link::Down); // node 2 dies
        let change = Change::Replace { dead: 2, by: 4 };
        cluster.node(0).request_change(change).unwrap();
        settle(&cluster, &[0, 1, 3, 4], &[0, 1, 3, 4]).await;
        assert_eq!(cluster.node(0).layout().removed, vec![2]);
        all_readable(&cluster, &[0, 4], 0, &acked).await;
        // The dead node cannot come back under its old identity.
        assert_eq!(
            cluster.node(0).request_change(Change::Join(2)),
            Err(ChangeError::Removed(2))
        );
    });
}

#[test]
fn one_movement_at_a_time_and_the_layout_survives_a_restart() {
    run(165, || async {
        let cluster = Cluster::new(growable());
        cluster.start_background();
        cluster.node(0).request_change(Change::Join(4)).unwrap();
        assert_eq!(
            cluster.node(0).request_change(Change::Leave(1)),
            Err(ChangeError::Busy(Change::Join(4)))
        );
        settle(&cluster, &[0, 1, 2, 3, 4], &[0, 1, 2, 3, 4]).await;
        cluster.crash_and_restart(3);
        assert_eq!(cluster.node(3).layout().members, vec![0, 1, 2, 3, 4]);
        assert_eq!(cluster.node(3).layout().version, 4);
    });
}

/// A node that joins, leaves and joins again streams its ranges again: the
/// second join has the same change and target as the first, and the node's
/// streaming state from the first (synced) must not count for it — it
/// dropped those ranges when it left. (growth_fuzz case 2594: with N = 1,
/// reads switched to the rejoined node, which held nothing, and
/// acknowledged writes were lost.)
#[test]
fn a_node_that_rejoins_streams_again() {
    run(166, || async {
        let cluster = streaming_only();
        let all: [NodeId; 5] = [0, 1, 2, 3, 4];
        assert_eq!(write_round(&cluster, &[0, 1, 2, 3], 0, 60).await.len(), 60);
        cluster.node(0).request_change(Change::Join(4)).unwrap();
        settle(&cluster, &all, &all).await;
        cluster.node(0).request_change(Change::Leave(4)).unwrap();
        settle(&cluster, &all, &[0, 1, 2, 3]).await;
        old_owners_dropped(&cluster, &all, 60).await;
        // Written while node 4 is out: only streaming can bring these to it.
        let acked = write_round(&cluster, &[0, 1, 2, 3], 1, 60).await;
        assert_eq!(acked.len(), 60);
        cluster.node(0).request_change(Change::Join(4)).unwrap();
        settle(&cluster, &all, &all).await;
        let owned: Vec<u32> = (0..60)
            .filter(|i| cluster.replicas_of(&format!("key-{i}")).contains(&4))
            .collect();
        assert!(!owned.is_empty());
        for i in owned {
            let held = cluster.local_value(4, &format!("key-{i}"));
            assert_eq!(held, Some(format!("1-{i}")), "key-{i} on n4");
        }
        all_readable(&cluster, &[4], 1, &acked).await;
    });
}
