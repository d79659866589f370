//! Disks and restarts: what a crash keeps and what it loses.

use crate::harness::{Cluster, config, quiesce, run, value};
use store::{
    ClientResponse, Disk, Entry, MemDisk, ReplicaRequest, ReplicaResponse, Request, Response,
    Version,
};

#[test]
fn a_memdisk_crash_loses_unsynced_writes_only() {
    let disk = MemDisk::new();
    let entry = |value: &str| Entry {
        version: Version {
            timestamp: 1,
            node: 0,
        },
        value: Some(value.into()),
        record: None,
    };
    disk.write("synced", &entry("a")).unwrap();
    disk.sync().unwrap();
    disk.write("unsynced", &entry("b")).unwrap();
    disk.crash();
    let loaded = disk.load().unwrap();
    assert_eq!(loaded.get("synced"), Some(&entry("a")));
    assert_eq!(loaded.get("unsynced"), None);
}

#[test]
fn acknowledged_writes_survive_a_crash_of_every_replica() {
    run(51, || async {
        let cluster = Cluster::new(config(3, 3, 3, 2));
        assert_eq!(cluster.put(0, "k", "v").await, ClientResponse::Done);
        assert_eq!(cluster.delete(0, "gone").await, ClientResponse::Done);
        quiesce().await;
        for id in 0..3 {
            cluster.crash_and_restart(id);
        }
        assert_eq!(cluster.get(1, "k").await, value("v"));
        assert!((0..3).all(|id| cluster.local_value(id, "k") == Some("v".into())));
        assert!(
            (0..3).all(|id| cluster.node(id).local("gone").is_some()),
            "tombstones are durable too"
        );
    });
}

#[test]
fn a_restarted_node_issues_versions_above_the_ones_on_its_disk() {
    run(52, || async {
        let cluster = Cluster::new(config(3, 3, 2, 2));
        cluster.clocks[0].freeze_at(9_000);
        assert_eq!(cluster.put(0, "k", "before").await, ClientResponse::Done);
        quiesce().await;
        cluster.crash_and_restart(0);
        cluster.clocks[0].freeze_at(10); // the clock came back wrong
        assert_eq!(cluster.put(0, "k", "after").await, ClientResponse::Done);
        assert_eq!(cluster.get(1, "k").await, value("after"));
    });
}

#[test]
fn a_failing_memdisk_stores_nothing_and_says_so() {
    let disk = MemDisk::new();
    let entry = Entry {
        version: Version {
            timestamp: 1,
            node: 0,
        },
        value: Some("v".into()),
        record: None,
    };
    disk.write("buffered", &entry).unwrap();
    disk.set_failing(true);
    assert!(disk.write("k", &entry).is_err());
    assert!(
        disk.sync().is_err(),
        "a failed sync drops what was buffered"
    );
    disk.set_failing(false);
    disk.sync().unwrap();
    assert!(disk.load().unwrap().is_empty());
}

/// Issue 12: a replica whose disk fails never acknowledges the write, and
/// does not hold it either; the coordinator sees too few acknowledgements.
#[test]
fn a_replica_with_a_failing_disk_never_acknowledges() {
    run(53, || async {
        let cluster = Cluster::new(config(3, 3, 3, 2));
        cluster.disks[1].set_failing(true);
        // W = 3 needs the failing replica: the write is not acknowledged.
        assert_eq!(
            cluster.put(0, "k", "v").await,
            ClientResponse::WriteUnavailable
        );
        assert_eq!(cluster.local_value(1, "k"), None, "not recorded in memory");
        // Asked directly, the replica answers Failed, never Written.
        let answer = cluster
            .node(1)
            .handle(Request::Replica(ReplicaRequest::Write {
                key: "k".into(),
                entry: cluster.node(0).local("k").unwrap(),
            }))
            .await;
        assert_eq!(answer, Response::Replica(ReplicaResponse::Failed));
        // Healed, the same write is acknowledged by all three.
        cluster.disks[1].set_failing(false);
        assert_eq!(cluster.put(0, "k", "w").await, ClientResponse::Done);
        assert_eq!(cluster.local_value(1, "k"), Some("w".into()));
    });
}

/// A coordinator whose own replica's disk fails does not count itself.
#[test]
fn a_coordinator_with_a_failing_disk_does_not_count_its_own_replica() {
    run(54, || async {
        let cluster = Cluster::new(config(3, 3, 3, 2));
        cluster.disks[0].set_failing(true);
        assert_eq!(
            cluster.put(0, "k", "v").await,
            ClientResponse::WriteUnavailable
        );
        assert_eq!(cluster.local_value(0, "k"), None);
        assert_eq!(cluster.local_value(2, "k"), Some("v".into()));
    });
}
