//! Tombstone collection's rejoin rule (`node::grace`): a node away longer
//! than `gc_grace` rebuilds before it serves, and coordinates no register
//! write meanwhile (its write would reach its own disk only).

use crate::harness::{Cluster, config, run};
use std::time::Duration;
use store::{ClientResponse, ClusterConfig, Rejoin};

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
