//! Router mode: front ends that coordinate and store nothing.

use crate::harness::{Cluster, quiesce, run, value};
use store::{
    ClientResponse, ClusterConfig, Coordinators, Protocol, ReplicaRequest, ReplicaResponse,
    Request, Response,
};

fn routed(protocol: Protocol) -> ClusterConfig {
    ClusterConfig {
        coordinators: Coordinators::Routers(2),
        ..ClusterConfig::for_protocol(protocol, 3, 3)
    }
}

#[test]
fn routers_coordinate_and_hold_no_data() {
    for protocol in [Protocol::Eventual, Protocol::Quorum, Protocol::Abd] {
        run(91, move || async move {
            let cluster = Cluster::new(routed(protocol));
            // Routers are nodes 3 and 4.
            assert_eq!(cluster.put(3, "k", "v").await, ClientResponse::Done);
            quiesce().await;
            assert_eq!(cluster.get(4, "k").await, value("v"), "{protocol:?}");
            assert_eq!(cluster.delete(4, "gone").await, ClientResponse::Done);
            quiesce().await;
            for router in [3, 4] {
                let node = cluster.node(router);
                assert!(node.is_router());
                assert!(node.local_entries().is_empty(), "a router stores nothing");
                assert!(node.hints().is_empty());
            }
            for id in 0..3 {
                let entry = cluster.node(id).local("k").expect("every replica has it");
                assert_eq!(entry.version.node, 3, "the router issued the version");
            }
        });
    }
}

#[test]
fn a_router_refuses_replica_requests() {
    run(92, || async {
        let cluster = Cluster::new(routed(Protocol::Quorum));
        let router = cluster.node(3);
        let read = ReplicaRequest::Read { key: "k".into() };
        let answer = router.handle(Request::Replica(read)).await;
        assert_eq!(answer, Response::Replica(ReplicaResponse::Refused));
        router.anti_entropy_round().await; // nothing to reconcile, no panic
        assert!(router.local_entries().is_empty());
    });
}

#[test]
#[should_panic(expected = "router id 2 outside 3..5")]
fn a_router_id_must_follow_the_storage_nodes() {
    run(93, || async {
        let cluster = Cluster::new(routed(Protocol::Quorum));
        let node = cluster.node(0);
        drop(node);
        store::Node::<_, _, store::MemDisk>::router(
            2,
            routed(Protocol::Quorum),
            crate::harness::transport(&cluster),
            crate::harness::TestClock::default(),
        );
    });
}
