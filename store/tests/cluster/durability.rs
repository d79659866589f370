//! Disks and restarts: what a crash keeps and what it loses.

use crate::harness::{Cluster, config, quiesce, run, value};
use store::{ClientResponse, Disk, Entry, MemDisk, Version};

#[test]
fn a_memdisk_crash_loses_unsynced_writes_only() {
    let disk = MemDisk::new();
    let entry = |value: &str| Entry {
        version: Version {
            timestamp: 1,
            node: 0,
        },
        value: Some(value.into()),
    };
    disk.write("synced", &entry("a"));
    disk.sync();
    disk.write("unsynced", &entry("b"));
    disk.crash();
    let loaded = disk.load();
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
