//! The `paxos` protocol: conditional writes are atomic. Racing creates have
//! exactly one winner (where `abd`'s read-then-write lets two win), and
//! read-modify-write increments are never lost.

use crate::harness::{Cluster, Link, quiesce, run};
use std::time::Duration;
use store::{ClientResponse, ClusterConfig, Protocol};

fn paxos(nodes: u32, n: u32) -> ClusterConfig {
    ClusterConfig::for_protocol(Protocol::Paxos, nodes, n)
}

/// `writers` concurrent `If-None-Match: *` creates of `key`, each through
/// its own coordinator; the values whose create was acknowledged.
async fn race_creates(cluster: &Cluster, key: &str, writers: u32) -> Vec<String> {
    let nodes = cluster.config.nodes;
    let creates = (0..writers).map(|w| async move {
        let value = format!("w{w}");
        let answer = cluster.cas(w % nodes, key, None, &value).await;
        (answer == ClientResponse::Done).then_some(value)
    });
    futures::future::join_all(creates)
        .await
        .into_iter()
        .flatten()
        .collect()
}

#[test]
fn of_racing_creates_exactly_one_wins_and_every_read_sees_it() {
    for seed in 0..8 {
        run(700 + seed, || async move {
            let cluster = Cluster::with_jitter(paxos(5, 5), Duration::from_millis(3));
            for k in 0..6 {
                let key = format!("k{k}");
                let winners = race_creates(&cluster, &key, 6).await;
                assert!(winners.len() <= 1, "{key}: two creates won: {winners:?}");
                // A round is only unavailable when proposers keep preempting
                // each other; then the key may have no winner yet, and a read
                // settles it.
                let read = cluster.get((k % 5) as u32, &key).await;
                match (winners.first(), read) {
                    (Some(w), ClientResponse::Value(v)) => assert_eq!(v.as_ref(), Some(w)),
                    (None, ClientResponse::Value(_)) => {}
                    (_, other) => panic!("{key}: read got {other:?}"),
                }
            }
        });
    }
}

/// The same race under `abd` (cas as a read then a write, allowed only with
/// `allow_unsafe_cas` in a scenario): two creates do win on some seed. The
/// point of `paxos` is that this never happens there.
#[test]
fn under_abd_racing_creates_can_both_win() {
    let mut doubles = 0;
    for seed in 0..8 {
        run(700 + seed, || async {
            let config = ClusterConfig::for_protocol(Protocol::Abd, 5, 5);
            let cluster = Cluster::with_jitter(config, Duration::from_millis(3));
            for k in 0..6 {
                if race_creates(&cluster, &format!("k{k}"), 6).await.len() > 1 {
                    doubles += 1;
                }
            }
        });
    }
    assert!(
        doubles > 0,
        "abd's read-then-write cas never let two creates win"
    );
}

/// Read-modify-write counters through `If-Match`-style cas: every
/// acknowledged increment is in the final count (none lost), and nothing
/// is counted that was not asked for. An increment whose accept phase was
/// preempted by a racing proposer is indeterminate (`WriteUnavailable`): it
/// may or may not have counted, so it bounds the count from above only.
#[test]
fn no_increment_is_lost() {
    run(721, || async {
        let cluster = Cluster::with_jitter(paxos(3, 3), Duration::from_millis(2));
        let incrementer = |c: u32| {
            let cluster = &cluster;
            async move {
                let (mut done, mut unknown) = (0, 0);
                // Bounded: each attempt is a read and a cas.
                for _ in 0..200 {
                    if done == 5 {
                        break;
                    }
                    let ClientResponse::Value(v) = cluster.get(c % 3, "n").await else {
                        continue;
                    };
                    let n: u32 = v.as_deref().map_or(0, |v| v.parse().unwrap());
                    let next = (n + 1).to_string();
                    match cluster.cas(c % 3, "n", v.as_deref(), &next).await {
                        ClientResponse::Done => done += 1,
                        // 412, or 409 (lost every prepare to another
                        // incrementer): not applied either way; read again.
                        ClientResponse::PreconditionFailed
                        | ClientResponse::ConditionalConflict => {}
                        ClientResponse::WriteUnavailable => unknown += 1,
                        other => panic!("increment got {other:?}"),
                    }
                }
                (done, unknown)
            }
        };
        let counts = futures::future::join_all((0..4).map(incrementer)).await;
        let done: u32 = counts.iter().map(|c| c.0).sum();
        let unknown: u32 = counts.iter().map(|c| c.1).sum();
        assert_eq!(done, 20, "every incrementer finished: {counts:?}");
        let ClientResponse::Value(Some(count)) = cluster.get(1, "n").await else {
            panic!("the counter is readable");
        };
        let count: u32 = count.parse().unwrap();
        assert!(
            (done..=done + unknown).contains(&count),
            "count {count}, acknowledged {done}, indeterminate {unknown}"
        );
    });
}

/// A minority down changes nothing; a majority down makes every operation
/// unavailable, and nothing half-done shows after it returns.
#[test]
fn a_majority_decides_and_a_minority_cannot() {
    run(733, || async {
        let cluster = Cluster::new(paxos(3, 3));
        cluster.set_link(2, Link::Down);
        assert_eq!(cluster.put(0, "k", "a").await, ClientResponse::Done);
        assert_eq!(
            cluster.cas(1, "k", Some("a"), "b").await,
            ClientResponse::Done
        );
        assert_eq!(
            cluster.cas(0, "k", Some("a"), "c").await,
            ClientResponse::PreconditionFailed
        );
        cluster.set_link(1, Link::Down);
        assert_eq!(
            cluster.put(0, "k", "d").await,
            ClientResponse::WriteUnavailable
        );
        assert_eq!(cluster.get(0, "k").await, ClientResponse::ReadUnavailable);
        cluster.set_link(1, Link::Up);
        cluster.set_link(2, Link::Up);
        quiesce().await;
        // "d" reached node 0 only (accept never got a majority, or prepare
        // failed first); whichever, the value is "b" or "d" and stays so.
        let ClientResponse::Value(v) = cluster.get(2, "k").await else {
            panic!("healed")
        };
        assert!(matches!(v.as_deref(), Some("b" | "d")), "{v:?}");
        assert_eq!(cluster.get(1, "k").await, ClientResponse::Value(v));
    });
}

/// Acceptors keep their promises and accepted values across a crash
/// (`sync = "always"`, the default): after every acceptor restarts, the
/// chosen value is still the one read.
#[test]
fn a_chosen_value_survives_every_acceptor_restarting() {
    run(741, || async {
        let cluster = Cluster::new(paxos(3, 3));
        assert_eq!(
            cluster.cas(0, "k", None, "first").await,
            ClientResponse::Done
        );
        quiesce().await;
        for node in 0..3 {
            cluster.crash_and_restart(node);
        }
        assert_eq!(
            cluster.cas(1, "k", None, "second").await,
            ClientResponse::PreconditionFailed
        );
        assert_eq!(
            cluster.get(2, "k").await,
            ClientResponse::Value(Some("first".into()))
        );
    });
}

/// S3's outcomes of a refused conditional write under every protocol:
/// `If-Match` on an absent key is 404, a false condition 412, and nothing
/// is written either way.
#[test]
fn a_refused_condition_is_412_or_404_under_every_protocol() {
    for protocol in [
        Protocol::Paxos,
        Protocol::Abd,
        Protocol::Quorum,
        Protocol::Eventual,
    ] {
        run(730, || async move {
            let cluster = Cluster::new(ClusterConfig::for_protocol(protocol, 3, 3));
            let if_match_absent = cluster.cas(0, "k", Some("x"), "a").await;
            assert_eq!(if_match_absent, ClientResponse::NotFound, "{protocol:?}");
            assert_eq!(cluster.cas(1, "k", None, "a").await, ClientResponse::Done);
            quiesce().await;
            let create_present = cluster.cas(2, "k", None, "b").await;
            assert_eq!(
                create_present,
                ClientResponse::PreconditionFailed,
                "{protocol:?}"
            );
            let wrong_etag = cluster.cas(0, "k", Some("x"), "c").await;
            assert_eq!(
                wrong_etag,
                ClientResponse::PreconditionFailed,
                "{protocol:?}"
            );
            quiesce().await;
            let read = cluster.get(1, "k").await;
            assert_eq!(
                read,
                ClientResponse::Value(Some("a".into())),
                "{protocol:?}"
            );
        });
    }
}
