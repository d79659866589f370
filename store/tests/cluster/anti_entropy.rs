//! Anti-entropy: replicas that diverged converge without any read.

use crate::harness::{Cluster, Link, config, run};
use store::{Entry, ReplicaRequest, Request, Version};

fn entry(timestamp: u64, node: u32, value: &str) -> Entry {
    Entry {
        version: Version { timestamp, node },
        value: Some(value.to_string()),
        record: None,
    }
}

/// Stores `entry` on node `id` only, as a replica write that reached just it.
async fn write_only_on(cluster: &Cluster, id: u32, key: &str, entry: Entry) {
    let write = ReplicaRequest::Write {
        key: key.into(),
        entry,
    };
    cluster.node(id).handle(Request::Replica(write)).await;
}

#[test]
fn a_round_converges_two_diverged_replicas_both_ways() {
    run(31, || async {
        let cluster = Cluster::new(config(3, 3, 2, 2));
        write_only_on(&cluster, 0, "only-on-0", entry(10, 0, "a")).await;
        write_only_on(&cluster, 1, "only-on-1", entry(10, 1, "b")).await;
        write_only_on(&cluster, 0, "newer-on-0", entry(20, 0, "new")).await;
        write_only_on(&cluster, 1, "newer-on-0", entry(10, 1, "old")).await;
        write_only_on(&cluster, 0, "newer-on-1", entry(10, 0, "old")).await;
        write_only_on(&cluster, 1, "newer-on-1", entry(20, 1, "new")).await;
        // Node 0's first peer is node 1.
        cluster.node(0).anti_entropy_round().await;
        for id in [0, 1] {
            assert_eq!(cluster.local_value(id, "only-on-0"), Some("a".into()));
            assert_eq!(cluster.local_value(id, "only-on-1"), Some("b".into()));
            assert_eq!(cluster.local_value(id, "newer-on-0"), Some("new".into()));
            assert_eq!(cluster.local_value(id, "newer-on-1"), Some("new".into()));
        }
        assert_eq!(
            cluster.node(0).local_entries(),
            cluster.node(1).local_entries()
        );
        assert_eq!(
            cluster.node(2).local_entries(),
            vec![],
            "node 2 was not part of the round"
        );
    });
}

#[test]
fn rounds_go_round_robin_and_reach_every_replica() {
    run(32, || async {
        let cluster = Cluster::new(config(3, 3, 2, 2));
        write_only_on(&cluster, 0, "k", entry(10, 0, "v")).await;
        cluster.node(0).anti_entropy_round().await; // with node 1
        assert_eq!(cluster.local_value(2, "k"), None);
        cluster.node(0).anti_entropy_round().await; // with node 2
        assert_eq!(cluster.local_value(2, "k"), Some("v".into()));
    });
}

#[test]
fn a_key_goes_only_to_peers_that_replicate_it() {
    run(33, || async {
        let cluster = Cluster::new(config(4, 2, 1, 1));
        // Node 0 holds keys it may not replicate (as a hint would be): it pushes
        // each to the peers that do, and to no other.
        let keys: Vec<String> = (0..40).map(|i| format!("key-{i}")).collect();
        for key in &keys {
            write_only_on(&cluster, 0, key, entry(10, 0, "v")).await;
        }
        for _ in 0..3 {
            cluster.node(0).anti_entropy_round().await;
        }
        for peer in 1..4 {
            for key in &keys {
                let expected = cluster.replicas_of(key).contains(&peer);
                assert_eq!(
                    cluster.node(peer).local(key).is_some(),
                    expected,
                    "{key} on {peer}"
                );
            }
        }
    });
}

#[test]
fn a_round_with_an_unreachable_peer_changes_nothing() {
    run(34, || async {
        let cluster = Cluster::new(config(3, 3, 2, 2));
        write_only_on(&cluster, 0, "k", entry(10, 0, "v")).await;
        cluster.set_link(1, Link::Down);
        cluster.node(0).anti_entropy_round().await;
        cluster.set_link(1, Link::Up);
        assert_eq!(cluster.local_value(1, "k"), None);
        assert_eq!(cluster.local_value(0, "k"), Some("v".into()));
    });
}
