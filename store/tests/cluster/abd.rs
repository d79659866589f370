//! The `abd` protocol: a linearizable register, whatever the clocks say.

use crate::harness::{Cluster, Link, quiesce, run, value};
use std::time::Duration;
use store::{ClientResponse, ClusterConfig, Entry, Protocol, ReplicaRequest, Request, Version};

fn abd(nodes: u32, n: u32) -> ClusterConfig {
    ClusterConfig::for_protocol(Protocol::Abd, nodes, n)
}

/// One completed operation: when it ran and the value it wrote or read.
#[derive(Debug, Clone)]
struct Op {
    start: Duration,
    end: Duration,
    write: bool,
    value: Option<String>,
}

fn now() -> Duration {
    crate::rt::elapsed()
}

async fn writer(cluster: &Cluster, w: u32, ops: u32) -> Vec<Op> {
    let mut done = Vec::new();
    for i in 0..ops {
        let (start, value) = (now(), format!("w{w}-{i}"));
        assert_eq!(cluster.put(w % 2, "k", &value).await, ClientResponse::Done);
        let (end, value) = (now(), Some(value));
        done.push(Op {
            start,
            end,
            write: true,
            value,
        });
    }
    done
}

async fn reader(cluster: &Cluster, r: u32, ops: u32) -> Vec<Op> {
    let mut done = Vec::new();
    for _ in 0..ops {
        let start = now();
        let ClientResponse::Value(value) = cluster.get(3 - r % 2, "k").await else {
            panic!("a majority is up: reads must succeed");
        };
        done.push(Op {
            start,
            end: now(),
            write: false,
            value,
        });
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    done
}

/// Concurrent writers and readers on one key with a node down: a read returns
/// a value at least as new as any read that completed before it began, and
/// at least as new as any write that completed before it began.
#[test]
fn reads_never_go_back_in_time_with_a_node_down() {
    run(61, || async {
        let cluster = Cluster::with_jitter(abd(5, 5), Duration::from_millis(5));
        cluster.set_link(4, Link::Down);
        let writers = (0..3).map(|w| writer(&cluster, w, 12));
        let readers = (0..3).map(|r| reader(&cluster, r, 15));
        let (writes, reads) = futures::join!(
            futures::future::join_all(writers),
            futures::future::join_all(readers)
        );
        let ops: Vec<Op> = writes.into_iter().chain(reads).flatten().collect();
        let versions = cluster.net.versions.lock().unwrap().clone();
        let version = |op: &Op| -> Option<Version> { op.value.as_ref().map(|v| versions[v]) };
        let mut checked = 0;
        for later in ops.iter().filter(|op| !op.write) {
            for earlier in ops.iter().filter(|op| op.end < later.start) {
                assert!(
                    version(later) >= version(earlier),
                    "{later:?} returned something older than {earlier:?}"
                );
                checked += 1;
            }
        }
        assert!(
            checked > 500,
            "only {checked} ordered pairs: the test is too weak"
        );
        let distinct: std::collections::BTreeSet<_> = ops
            .iter()
            .filter(|op| !op.write)
            .map(|op| &op.value)
            .collect();
        assert!(distinct.len() > 5, "reads saw too few values: {distinct:?}");
    });
}

/// The case write-back exists for: a write that reached only one replica
/// (it failed: indeterminate), a read that sees it, then a read that does not
/// ask that replica. Without write-back the second read would return the
/// older state.
#[test]
fn a_read_after_a_read_that_saw_a_partial_write_sees_it_too() {
    run(68, || async {
        let cluster = Cluster::new(abd(5, 5));
        cluster.set_link(4, Link::Down);
        // The update phase of a write reached node 0 only.
        let entry = Entry {
            version: Version {
                timestamp: 1,
                node: 2,
            },
            value: Some("partial".into()),
            record: None,
        };
        let update = ReplicaRequest::Write {
            key: "k".into(),
            entry,
        };
        cluster.node(0).handle(Request::Replica(update)).await;
        assert_eq!(cluster.get(0, "k").await, value("partial"));
        cluster.set_link(0, Link::Down);
        assert_eq!(
            cluster.get(3, "k").await,
            value("partial"),
            "went back in time"
        );
    });
}

#[test]
fn a_read_writes_back_before_it_returns() {
    run(62, || async {
        let cluster = Cluster::new(abd(3, 3));
        cluster.set_link(2, Link::Down);
        assert_eq!(cluster.put(0, "k", "v").await, ClientResponse::Done);
        cluster.set_link(2, Link::Up);
        cluster.set_link(1, Link::Down);
        // The query meets node 0 (has v) and node 2 (has nothing): one holder < W.
        assert_eq!(cluster.get(0, "k").await, value("v"));
        assert_eq!(
            cluster.local_value(2, "k"),
            Some("v".into()),
            "written back"
        );
        cluster.set_link(1, Link::Up);
        let writes = || {
            let delivered = cluster.net.delivered.lock().unwrap();
            delivered
                .iter()
                .filter(|(_, kind)| *kind == "replica-write")
                .count()
        };
        let before = writes();
        // Every replica holds v now: W answers already hold it, no write-back.
        assert_eq!(cluster.get(1, "k").await, value("v"));
        assert_eq!(writes(), before);
    });
}

/// The LWW test in `clocks.rs` loses the later write; `abd` does not.
#[test]
fn versions_ignore_clocks() {
    run(63, || async {
        let cluster = Cluster::new(abd(3, 3));
        cluster.clocks[1].set_offset_ns(1_000_000_000); // one second ahead
        cluster.clocks[0].freeze_at(10); // far behind
        assert_eq!(cluster.put(1, "k", "older").await, ClientResponse::Done);
        assert_eq!(cluster.put(0, "k", "newer").await, ClientResponse::Done);
        assert_eq!(cluster.get(2, "k").await, value("newer"));
        quiesce().await;
        for id in 0..3 {
            let entry = cluster.node(id).local("k").unwrap();
            assert_eq!(entry.value, Some("newer".into()));
            assert_eq!(
                entry.version,
                Version {
                    timestamp: 2,
                    node: 0
                },
                "logical"
            );
        }
    });
}

#[test]
fn delete_is_a_tombstone_and_sequential_cas_works() {
    run(64, || async {
        let cluster = Cluster::new(abd(3, 3));
        assert_eq!(cluster.cas(0, "k", None, "a").await, ClientResponse::Done);
        assert_eq!(
            cluster.cas(1, "k", None, "b").await,
            ClientResponse::PreconditionFailed
        );
        assert_eq!(
            cluster.cas(2, "k", Some("a"), "b").await,
            ClientResponse::Done
        );
        assert_eq!(cluster.delete(0, "k").await, ClientResponse::Done);
        assert_eq!(cluster.get(1, "k").await, ClientResponse::Value(None));
        quiesce().await;
        assert!((0..3).all(|id| {
            cluster
                .node(id)
                .local("k")
                .is_some_and(|e| e.value.is_none())
        }));
    });
}

/// Documented, and why scenarios reject `cas` under `abd` by default:
/// read-then-write is not atomic on ABD either.
#[test]
fn concurrent_cas_can_both_succeed() {
    run(65, || async {
        let cluster = Cluster::new(abd(3, 3));
        let (a, b) = tokio::join!(
            cluster.cas(0, "k", None, "a"),
            cluster.cas(1, "k", None, "b")
        );
        assert_eq!((a, b), (ClientResponse::Done, ClientResponse::Done));
    });
}

#[test]
fn without_a_majority_nothing_succeeds() {
    run(66, || async {
        let cluster = Cluster::new(abd(3, 3));
        cluster.set_link(1, Link::Down);
        cluster.set_link(2, Link::Down);
        assert_eq!(
            cluster.put(0, "k", "v").await,
            ClientResponse::WriteUnavailable
        );
        assert_eq!(cluster.get(0, "k").await, ClientResponse::ReadUnavailable);
        // The query failed: nothing was written, not even locally.
        assert_eq!(cluster.node(0).local("k"), None);
    });
}

#[test]
#[should_panic(expected = "abd needs R + W > N")]
fn quorums_that_need_not_meet_are_rejected() {
    run(67, || async {
        let config = ClusterConfig {
            write_quorum: 2,
            read_quorum: 1,
            ..abd(3, 3)
        };
        Cluster::new(config);
    });
}
