//! Quorum reads and writes, CAS, unavailability, and the planted bug.

use crate::harness::{Cluster, Link, config, key_not_on, quiesce, run, value};
use std::time::Duration;
use store::{ClientResponse, ClusterConfig, Request};

#[test]
fn put_then_get_returns_the_value() {
    run(1, || async {
        let cluster = Cluster::new(config(3, 3, 2, 2));
        assert_eq!(cluster.put(0, "k", "v1").await, ClientResponse::Done);
        for via in 0..3 {
            assert_eq!(cluster.get(via, "k").await, value("v1"));
        }
        assert_eq!(cluster.get(1, "other").await, ClientResponse::Value(None));
    });
}

#[test]
fn a_later_put_wins_from_any_coordinator() {
    run(2, || async {
        let cluster = Cluster::new(config(3, 3, 2, 2));
        assert_eq!(cluster.put(0, "k", "v1").await, ClientResponse::Done);
        assert_eq!(cluster.put(0, "k", "v2").await, ClientResponse::Done);
        assert_eq!(cluster.get(1, "k").await, value("v2"));
        assert_eq!(cluster.put(2, "k", "v3").await, ClientResponse::Done);
        assert_eq!(cluster.get(0, "k").await, value("v3"));
    });
}

#[test]
fn delete_then_get_returns_none_and_leaves_tombstones() {
    run(3, || async {
        let cluster = Cluster::new(config(3, 3, 2, 2));
        assert_eq!(cluster.put(0, "k", "v1").await, ClientResponse::Done);
        assert_eq!(cluster.delete(1, "k").await, ClientResponse::Done);
        assert_eq!(cluster.get(2, "k").await, ClientResponse::Value(None));
        quiesce().await;
        for id in 0..3 {
            let entry = cluster
                .node(id)
                .local("k")
                .expect("a tombstone, not nothing");
            assert_eq!(entry.value, None);
        }
    });
}

#[test]
fn one_replica_down_still_serves_r2_w2_n3() {
    run(4, || async {
        let cluster = Cluster::new(config(3, 3, 2, 2));
        assert_eq!(cluster.put(0, "k", "v1").await, ClientResponse::Done);
        cluster.set_link(2, Link::Down);
        assert_eq!(cluster.get(0, "k").await, value("v1"));
        assert_eq!(cluster.put(1, "k", "v2").await, ClientResponse::Done);
        assert_eq!(cluster.get(0, "k").await, value("v2"));
    });
}

#[test]
fn two_replicas_down_is_unavailable() {
    run(5, || async {
        let cluster = Cluster::new(config(3, 3, 2, 2));
        cluster.set_link(1, Link::Down);
        cluster.set_link(2, Link::Down);
        assert_eq!(
            cluster.put(0, "k", "v1").await,
            ClientResponse::WriteUnavailable
        );
        assert_eq!(cluster.get(0, "k").await, ClientResponse::ReadUnavailable);
        assert_eq!(
            cluster.cas(0, "k", None, "v").await,
            ClientResponse::ReadUnavailable
        );
        // Unavailable is indeterminate: the coordinator's own replica took the write.
        assert_eq!(cluster.local_value(0, "k"), Some("v1".into()));
    });
}

#[test]
fn unavailable_answers_within_the_replica_timeout() {
    run(6, || async {
        let cluster = Cluster::new(config(3, 3, 2, 2));
        cluster.set_link(1, Link::Down);
        cluster.set_link(2, Link::Down);
        let limit = cluster.config.replica_timeout + Duration::from_millis(1);
        let answer = tokio::time::timeout(limit, cluster.put(0, "k", "v")).await;
        assert_eq!(answer, Ok(ClientResponse::WriteUnavailable));
    });
}

#[test]
fn wrong_kind_of_answer_counts_as_none() {
    run(7, || async {
        let cluster = Cluster::new(config(3, 3, 2, 2));
        cluster.set_link(1, Link::Garbled);
        cluster.set_link(2, Link::Garbled);
        assert_eq!(
            cluster.put(0, "k", "v").await,
            ClientResponse::WriteUnavailable
        );
        assert_eq!(cluster.get(0, "k").await, ClientResponse::ReadUnavailable);
        cluster.set_link(2, Link::Up);
        assert_eq!(cluster.put(0, "k", "v").await, ClientResponse::Done);
    });
}

#[test]
fn cas_writes_only_when_the_precondition_holds() {
    run(8, || async {
        let cluster = Cluster::new(config(3, 3, 2, 2));
        assert_eq!(cluster.cas(0, "k", None, "a").await, ClientResponse::Done);
        assert_eq!(
            cluster.cas(1, "k", None, "b").await,
            ClientResponse::PreconditionFailed
        );
        assert_eq!(
            cluster.cas(1, "k", Some("x"), "b").await,
            ClientResponse::PreconditionFailed
        );
        assert_eq!(cluster.get(2, "k").await, value("a"));
        assert_eq!(
            cluster.cas(2, "k", Some("a"), "b").await,
            ClientResponse::Done
        );
        assert_eq!(cluster.get(0, "k").await, value("b"));
        // After a delete the key is absent again: `from: None` matches a tombstone.
        assert_eq!(cluster.delete(0, "k").await, ClientResponse::Done);
        assert_eq!(cluster.cas(1, "k", None, "c").await, ClientResponse::Done);
        assert_eq!(cluster.get(2, "k").await, value("c"));
    });
}

/// Documented behaviour, not a bug to fix: under `quorum`, CAS is read-then-write.
#[test]
fn concurrent_cas_can_both_succeed() {
    run(9, || async {
        let cluster = Cluster::new(config(3, 3, 2, 2));
        let (a, b) = tokio::join!(
            cluster.cas(0, "k", None, "a"),
            cluster.cas(1, "k", None, "b")
        );
        assert_eq!((a, b), (ClientResponse::Done, ClientResponse::Done));
        // Only one of the two "successful" writes survives.
        assert!([value("a"), value("b")].contains(&cluster.get(2, "k").await));
    });
}

#[test]
fn planted_bug_acknowledges_writes_no_replica_took() {
    for bug in [false, true] {
        run(10, move || async move {
            let config = ClusterConfig {
                bug_ack_before_quorum: bug,
                ..config(4, 3, 2, 2)
            };
            let cluster = Cluster::new(config);
            let key = key_not_on(&cluster, 0);
            for replica in cluster.replicas_of(&key) {
                cluster.set_link(replica, Link::Down);
            }
            let expected = if bug {
                ClientResponse::Done
            } else {
                ClientResponse::WriteUnavailable
            };
            assert_eq!(cluster.put(0, &key, "v").await, expected);
            quiesce().await;
            assert!((0..4).all(|id| cluster.node(id).local(&key).is_none()));
        });
    }
}

#[test]
fn the_coordinator_need_not_be_a_replica() {
    run(11, || async {
        let cluster = Cluster::new(config(5, 3, 2, 2));
        let key = key_not_on(&cluster, 4);
        assert_eq!(cluster.put(4, &key, "v").await, ClientResponse::Done);
        assert_eq!(cluster.get(4, &key).await, value("v"));
        quiesce().await;
        assert_eq!(cluster.node(4).local(&key), None);
        for replica in cluster.replicas_of(&key) {
            assert_eq!(cluster.local_value(replica, &key), Some("v".into()));
        }
    });
}

#[test]
fn the_same_seed_gives_the_same_run() {
    let trace = |seed| {
        let result = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let out = std::sync::Arc::clone(&result);
        run(seed, move || async move {
            let jitter = Duration::from_millis(5);
            let cluster = Cluster::with_jitter(config(5, 3, 2, 2), jitter);
            let ops = (0..20u32).map(|i| {
                let cluster = &cluster;
                async move {
                    let key = format!("k{}", i % 3);
                    let put = cluster.put(i % 5, &key, &format!("v{i}")).await;
                    let get = cluster.get((i + 1) % 5, &key).await;
                    format!("{put:?} {get:?}")
                }
            });
            let answers = futures::future::join_all(ops).await;
            quiesce().await;
            let delivered = cluster.net.delivered.lock().unwrap().clone();
            out.lock()
                .unwrap()
                .push(format!("{answers:?} {delivered:?}"));
        });
        result.lock().unwrap().clone()
    };
    assert_eq!(trace(12), trace(12));
    assert_ne!(trace(12), trace(13), "jitter comes from the seed");
}

#[test]
#[should_panic(expected = "W = 4 must be in 1..=N (N = 3)")]
fn a_write_quorum_above_n_is_rejected() {
    run(14, || async {
        Cluster::new(config(3, 3, 4, 2));
    });
}

#[test]
fn handle_futures_are_send() {
    fn assert_send<F: Send>(_: &F) {}
    run(15, || async {
        let cluster = Cluster::new(config(3, 3, 2, 2));
        let node = cluster.node(0);
        let handling = node.handle(Request::Client(store::ClientRequest::Get {
            key: "k".into(),
        }));
        assert_send(&handling);
        let round = node.anti_entropy_round();
        assert_send(&round);
        drop((handling, round));
    });
}
