//! Tombstone collection's rejoin rule (`node::grace`): a node away longer
//! than `gc_grace` rebuilds before it serves, and coordinates no register
//! write meanwhile (its write would reach its own disk only).

use crate::harness::{Cluster, Link, config, run, value};
use std::time::Duration;
use store::{ClientResponse, ClusterConfig, Rejoin};
use tokio::time::sleep;

fn with_grace(rejoin: Rejoin) -> ClusterConfig {
    ClusterConfig {
        gc_grace: Some(Duration::from_millis(500)),
        rejoin,
        ..config(3, 3, 2, 2)
    }
}

#[test]
fn an_away_node_coordinates_no_write_with_repair_first() {
    run(157, || async {
        for (rejoin, refused) in [(Rejoin::RepairFirst, true), (Rejoin::AsIs, false)] {
            let cluster = Cluster::new(with_grace(rejoin));
            // Node 2's clock runs a second past its last contact (its start):
            // it is away, as after a partition longer than the grace period.
            cluster.clocks[2].set_offset_ns(1_000_000_000);
            let writes = [
                cluster.put(2, "put", "v").await,
                cluster.delete(2, "delete").await,
                cluster.cas(2, "cas", None, "w").await,
            ];
            for answer in writes {
                let expected = match refused {
                    true => ClientResponse::Refused,
                    false => ClientResponse::Done,
                };
                assert_eq!(answer, expected, "{rejoin:?}");
            }
            // Refused before anything is written: no replica holds the key.
            for key in ["put", "delete", "cas"] {
                for id in 0..3 {
                    assert_eq!(
                        cluster.node(id).local(key).is_none(),
                        refused,
                        "{key} on n{id}"
                    );
                }
            }
            // Another coordinator still writes (node 2 takes the replica write).
            assert_eq!(cluster.put(0, "put", "x").await, ClientResponse::Done);
        }
    });
}

/// Every owner away at once (no round completed for longer than the grace
/// period everywhere, as when faults cut every round, or a grace shorter
/// than the anti-entropy interval): each rebuilding node answers the
/// others' rounds `Rebuilding`. Waiting for a healthy owner then lasted
/// for ever and the replicas never converged (growth fuzz cases 1184, 3577
/// and 3643); now a range with only rebuilding other owners ends the
/// rebuild, and the replicas converge.
#[test]
fn owners_all_away_at_once_still_converge() {
    run(1184, || async {
        // All three away, then two of three (R = 2: each of the two counts
        // the other among the two sources it needs).
        for away in [vec![0, 1, 2], vec![1, 2]] {
            let cluster = Cluster::new(ClusterConfig {
                anti_entropy_interval: Some(Duration::from_millis(100)),
                ..with_grace(Rejoin::RepairFirst)
            });
            // Node 2 misses a write (W = 2 of 3).
            cluster.set_link(2, Link::Down);
            assert_eq!(cluster.put(0, "a", "v").await, ClientResponse::Done);
            cluster.set_link(2, Link::Up);
            assert_eq!(cluster.local_value(2, "a"), None);
            // Their clocks run a second past their last contact.
            for &id in &away {
                cluster.clocks[id].set_offset_ns(1_000_000_000);
            }
            cluster.start_background();
            sleep(Duration::from_secs(2)).await;
            for id in 0..3 {
                let held = cluster.local_value(id, "a");
                assert_eq!(held.as_deref(), Some("v"), "n{id}, away {away:?}");
            }
            assert_eq!(cluster.get(2, "a").await, value("v"), "away {away:?}");
        }
    });
}
