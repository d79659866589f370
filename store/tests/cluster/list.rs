//! LIST (ListObjectsV2) across the ring (issue 14): prefixes, pages,
//! continuation, deleted keys hidden, and the read rule per key.

use crate::harness::{Cluster, Link, body, config, quiesce, run};
use store::{ClientResponse, ClusterConfig, Protocol, keyspace};

const KEYS: [&str; 7] = [
    "photos/2024/a",
    "photos/2024/b",
    "photos/2025/c",
    "photos/x",
    "photosz",
    "video/y",
    "p",
];

#[test]
fn pages_cover_every_key_under_a_prefix_once_in_order_under_every_protocol() {
    for protocol in [Protocol::Eventual, Protocol::Quorum, Protocol::Abd] {
        run(71, move || async move {
            let cluster = Cluster::new(ClusterConfig::for_protocol(protocol, 5, 3));
            assert_eq!(cluster.create_bucket(0, "bkt").await, ClientResponse::Done);
            quiesce().await;
            for (i, key) in KEYS.iter().enumerate() {
                let put = cluster
                    .put_object(i as u32 % 5, "bkt", key, body(i as u64, 8))
                    .await;
                assert!(
                    matches!(put, ClientResponse::Stored { .. }),
                    "{key}: {put:?}"
                );
            }
            quiesce().await;
            let expected = vec![
                "photos/2024/a",
                "photos/2024/b",
                "photos/2025/c",
                "photos/x",
            ];
            for max_keys in [1, 2, 3, 1000] {
                let (keys, pages) = cluster.list_all(1, "bkt", "photos/", max_keys).await;
                assert_eq!(keys, expected, "{protocol:?}, max_keys {max_keys}");
                assert!(pages >= expected.len().div_ceil(max_keys as usize));
            }
            let (all, _) = cluster.list_all(2, "bkt", "", 1000).await;
            let mut sorted = KEYS.to_vec();
            sorted.sort();
            assert_eq!(all, sorted);
            // A deleted key is hidden; the others stay.
            cluster.delete_object(3, "bkt", "photos/2024/b", None).await;
            quiesce().await;
            let (keys, _) = cluster.list_all(4, "bkt", "photos/2024/", 1).await;
            assert_eq!(keys, ["photos/2024/a"]);
            // A prefix nobody wrote lists nothing, in one page.
            assert_eq!(
                cluster.list_all(0, "bkt", "nothing/", 10).await,
                (vec![], 1)
            );
        });
    }
}

#[test]
fn a_listing_reports_etag_size_and_last_modified() {
    run(72, || async {
        let cluster = Cluster::new(ClusterConfig::default());
        cluster.create_bucket(0, "bkt").await;
        cluster.put_object(0, "bkt", "k", body(9, 1234)).await;
        let ClientResponse::Listing(page) = cluster.list(1, "bkt", "", 10, None).await else {
            panic!("not a listing");
        };
        assert_eq!(page.continuation, None);
        let [listed] = &page.objects[..] else {
            panic!("{page:?}");
        };
        assert_eq!(
            (listed.size, listed.etag.clone()),
            (1234, body(9, 1234).etag())
        );
        assert!(listed.last_modified_ns > 0);
    });
}

#[test]
fn a_bad_continuation_token_or_a_missing_bucket_is_refused() {
    run(73, || async {
        let cluster = Cluster::new(ClusterConfig::default());
        assert_eq!(
            cluster.list(0, "nobucket", "", 10, None).await,
            ClientResponse::Error(store::S3Error::NoSuchBucket)
        );
        cluster.create_bucket(0, "bkt").await;
        let answer = cluster.list(0, "bkt", "", 10, Some("garbage".into())).await;
        assert!(matches!(
            answer,
            ClientResponse::Error(store::S3Error::InvalidArgument(_))
        ));
    });
}

/// A LIST needs answers from all but N − R storage nodes: then every key has
/// R answering replicas.
#[test]
fn a_list_needs_all_but_n_minus_r_nodes() {
    run(74, || async {
        let cluster = Cluster::new(config(5, 3, 2, 2));
        cluster.create_bucket(0, "bkt").await;
        cluster.put_object(0, "bkt", "k", body(1, 1)).await;
        cluster.set_link(3, Link::Down);
        assert_eq!(cluster.list_all(0, "bkt", "", 10).await.0, ["k"]);
        cluster.set_link(4, Link::Down);
        assert_eq!(
            cluster.list(0, "bkt", "", 10, None).await,
            ClientResponse::ReadUnavailable
        );
    });
}

/// List-after-write (issue 14): a PUT acknowledged by W replicas is listed by
/// a LIST that reads R with R + W > N, however the replicas are split; with
/// W = R = 1 (eventual) the LIST can miss it.
#[test]
fn quorum_lists_an_acknowledged_write_that_eventual_can_miss() {
    for (protocol, listed) in [
        (Protocol::Quorum, true),
        (Protocol::Abd, true),
        (Protocol::Eventual, false),
    ] {
        run(75, move || async move {
            let mut config = ClusterConfig::for_protocol(protocol, 3, 3);
            config.anti_entropy_interval = None;
            let cluster = Cluster::new(config.clone());
            cluster.create_bucket(0, "bkt").await;
            quiesce().await;
            // Only node 0 (and, with W = 2, node 1) takes the write.
            cluster.set_link(2, Link::Down);
            if config.write_quorum == 1 {
                cluster.set_link(1, Link::Down);
            }
            let put = cluster.put_object(0, "bkt", "k", body(1, 1)).await;
            assert!(
                matches!(put, ClientResponse::Stored { .. }),
                "{protocol:?}: {put:?}"
            );
            // Now node 0 is cut off and the LIST goes through node 2.
            cluster.set_link(0, Link::Down);
            cluster.set_link(1, Link::Up);
            cluster.set_link(2, Link::Up);
            let keys = cluster.list_all(2, "bkt", "", 10).await.0;
            assert_eq!(keys.len() == 1, listed, "{protocol:?}: {keys:?}");
        });
    }
}

/// Under abd a LIST writes back what fewer than W of the answers held
/// before it returns, so a later read cannot see less.
#[test]
fn an_abd_list_writes_back_before_it_returns() {
    run(76, || async {
        let mut config = ClusterConfig::for_protocol(Protocol::Abd, 3, 3);
        config.anti_entropy_interval = None;
        let cluster = Cluster::new(config);
        cluster.create_bucket(0, "bkt").await;
        cluster.set_link(2, Link::Down);
        cluster.put_object(0, "bkt", "k", body(1, 1)).await;
        cluster.set_link(2, Link::Up);
        cluster.set_link(1, Link::Down);
        assert_eq!(cluster.list_all(2, "bkt", "", 10).await.0, ["k"]);
        let stored = keyspace::version_key("bkt", "k", keyspace::NULL_VERSION);
        assert!(
            cluster.node(2).local(&stored).is_some(),
            "written back to node 2"
        );
    });
}

/// Many keys, small pages: bounded rounds still make progress, each page
/// within max_keys, every key once.
#[test]
fn many_keys_list_in_order_across_many_pages() {
    run(77, || async {
        let cluster = Cluster::new(config(4, 3, 2, 2));
        cluster.create_bucket(0, "bkt").await;
        let mut expected = Vec::new();
        for i in 0..300u64 {
            let key = format!("k/{i:04}");
            cluster
                .put_object((i % 4) as u32, "bkt", &key, body(i, 1))
                .await;
            expected.push(key);
        }
        for i in (0..300).step_by(3) {
            cluster
                .delete_object(1, "bkt", &format!("k/{i:04}"), None)
                .await;
        }
        expected.retain(|key| key[2..].parse::<u64>().unwrap() % 3 != 0);
        let (keys, pages) = cluster.list_all(3, "bkt", "k/", 7).await;
        assert_eq!(keys, expected);
        assert_eq!(pages, expected.len().div_ceil(7));
    });
}

/// A router holds no data but coordinates LIST like any node: it scans the
/// storage nodes.
#[test]
fn a_router_lists_what_the_storage_nodes_hold() {
    run(78, || async {
        let cluster = Cluster::new(ClusterConfig {
            coordinators: store::Coordinators::Routers(1),
            ..config(4, 3, 2, 2)
        });
        let router = 4;
        assert_eq!(
            cluster.create_bucket(router, "bkt").await,
            ClientResponse::Done
        );
        for key in ["a", "b/c", "d"] {
            cluster.put_object(router, "bkt", key, body(1, 1)).await;
        }
        assert_eq!(
            cluster.list_all(router, "bkt", "", 2).await.0,
            ["a", "b/c", "d"]
        );
    });
}

/// The work of a LIST is bounded and known: one scan per storage node per
/// round, one round per page while each node's share of the range fits in
/// `LIST_SCAN_ENTRIES`. `max_keys` 0 is an empty page that does not go on.
#[test]
fn each_page_costs_one_scan_per_node() {
    run(79, || async {
        let cluster = Cluster::new(config(5, 3, 2, 2));
        cluster.create_bucket(0, "bkt").await;
        for i in 0..1500u64 {
            cluster
                .put_object((i % 5) as u32, "bkt", &format!("{i:05}"), body(i, 1))
                .await;
        }
        quiesce().await;
        let scans = || {
            let delivered = cluster.net.delivered.lock().unwrap();
            delivered
                .iter()
                .filter(|(_, kind)| *kind == "replica-scan")
                .count()
        };
        let before = scans();
        let (keys, pages) = cluster.list_all(0, "bkt", "", 1000).await;
        assert_eq!((keys.len(), pages), (1500, 2));
        // Node 0 scans its own replica directly: 4 remote scans per page.
        assert_eq!(scans() - before, 2 * 4);
        let empty = cluster.list(0, "bkt", "", 0, None).await;
        let ClientResponse::Listing(page) = empty else {
            panic!("{empty:?}")
        };
        assert!(page.objects.is_empty() && page.continuation.is_none());
    });
}
