//! Where LWW timestamps come from (issue 14): the coordinator's clock
//! (today), Garage's `max(newest seen + 1, now)`, and "the write that
//! completes last wins", under skewed clocks.

use crate::harness::{Cluster, body, run, value};
use std::time::Duration;
use store::{ClientResponse, ClusterConfig, Timestamps};

fn cluster(timestamps: Timestamps) -> Cluster {
    let cluster = Cluster::new(ClusterConfig {
        timestamps,
        anti_entropy_interval: None,
        ..ClusterConfig::default()
    });
    cluster.clocks[1].set_offset_ns(1_000_000_000); // node 1 runs a second ahead
    cluster
}

/// A write that starts after another one completed: lost under the
/// coordinator's clock when that clock lags, kept under both other rules.
#[test]
fn a_later_write_through_a_lagging_clock_wins_unless_stamped_by_that_clock() {
    let rules = [
        (Timestamps::Coordinator, "older"),
        (Timestamps::NewestSeenPlusOne, "newer"),
        (Timestamps::CompletesLast, "newer"),
    ];
    for (rule, winner) in rules {
        run(101, move || async move {
            let cluster = cluster(rule);
            assert_eq!(cluster.put(1, "k", "older").await, ClientResponse::Done);
            assert_eq!(cluster.put(0, "k", "newer").await, ClientResponse::Done);
            assert_eq!(cluster.get(2, "k").await, value(winner), "{rule:?}");
            // Objects follow the same rule.
            cluster.create_bucket(0, "bkt").await;
            cluster.put_object(1, "bkt", "o", body(1, 1)).await;
            cluster.put_object(0, "bkt", "o", body(2, 1)).await;
            let ClientResponse::Object(got) = cluster.get_object(2, "bkt", "o", None).await else {
                panic!("no object")
            };
            let expected = if winner == "newer" {
                body(2, 1)
            } else {
                body(1, 1)
            };
            assert_eq!(got.meta.body, expected, "{rule:?}");
        });
    }
}

/// Two overlapping writes: node 1's (clock ahead) starts first and completes
/// first; node 0's starts later and completes last. Stamped by newest-seen,
/// the ahead clock wins; under completes-last, node 0's write is told of the
/// newer version by the replicas, re-stamps above it and wins.
#[test]
fn of_two_overlapping_writes_the_one_completing_last_wins_only_under_completes_last() {
    let rules = [
        (Timestamps::NewestSeenPlusOne, "first"),
        (Timestamps::CompletesLast, "last"),
    ];
    for (rule, winner) in rules {
        run(102, move || async move {
            let cluster = cluster(rule);
            let first = cluster.put(1, "k", "first");
            let last = async {
                tokio::time::sleep(Duration::from_micros(500)).await;
                cluster.put(0, "k", "last").await
            };
            let (first, last) = tokio::join!(first, last);
            assert_eq!((first, last), (ClientResponse::Done, ClientResponse::Done));
            assert_eq!(cluster.get(2, "k").await, value(winner), "{rule:?}");
        });
    }
}
