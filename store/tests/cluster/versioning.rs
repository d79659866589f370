//! Versioning per bucket (issue 14, S3-NOTES §3): version ids, delete
//! markers, GET and DELETE by version id, ListObjectVersions.

use crate::harness::{Cluster, body, quiesce, run};
use store::{
    ClientResponse, ClusterConfig, ListedVersion, Protocol, S3Error, Versioning, VersionsPage,
};

fn version_id(response: ClientResponse) -> String {
    match response {
        ClientResponse::Stored { version_id, .. } => version_id,
        ClientResponse::Removed {
            version_id: Some(id),
            ..
        } => id,
        other => panic!("expected a version id, got {other:?}"),
    }
}

/// `(key, version id, is latest, is a delete marker)` of every version listed.
async fn versions(cluster: &Cluster, max_keys: u32) -> Vec<(String, String, bool, bool)> {
    let (mut all, mut token) = (Vec::new(), None);
    for _ in 0..100 {
        let ClientResponse::Versions(VersionsPage {
            versions,
            continuation,
        }) = cluster
            .list_versions(0, "vb1", "", max_keys, token.take())
            .await
        else {
            panic!("not a versions page");
        };
        assert!(versions.len() <= max_keys as usize);
        all.extend(
            versions
                .into_iter()
                .map(|v: ListedVersion| (v.key, v.version_id, v.is_latest, v.meta.is_none())),
        );
        match continuation {
            Some(next) => token = Some(next),
            None => return all,
        }
    }
    panic!("too many pages")
}

#[test]
fn enabled_versioning_keeps_every_put_and_deletes_with_markers_under_every_protocol() {
    for protocol in [
        Protocol::Eventual,
        Protocol::Quorum,
        Protocol::Abd,
        Protocol::Paxos,
    ] {
        run(91, move || async move {
            let cluster = Cluster::new(ClusterConfig::for_protocol(protocol, 3, 3));
            cluster.create_bucket(0, "vb1").await;
            quiesce().await;
            let before = version_id(cluster.put_object(0, "vb1", "k", body(0, 1)).await);
            quiesce().await;
            assert_eq!(before, "null", "written before versioning was enabled");
            let on = cluster.set_versioning(1, "vb1", Versioning::Enabled).await;
            quiesce().await;
            assert_eq!(on, ClientResponse::Done);
            let v1 = version_id(cluster.put_object(1, "vb1", "k", body(1, 1)).await);
            quiesce().await;
            let v2 = version_id(cluster.put_object(2, "vb1", "k", body(2, 1)).await);
            quiesce().await;
            assert!(v1 != v2 && v1 != "null", "{v1} {v2}");
            let cluster = &cluster;
            let get = |id: Option<&str>| {
                let id = id.map(str::to_string);
                async move { cluster.get_object(0, "vb1", "k", id.as_deref()).await }
            };
            let ClientResponse::Object(current) = get(None).await else {
                panic!("no current version")
            };
            assert_eq!(
                (current.version_id.as_str(), current.meta.body),
                (v2.as_str(), body(2, 1))
            );
            let ClientResponse::Object(old) = get(Some(&v1)).await else {
                panic!("v1 is gone")
            };
            assert_eq!(old.meta.body, body(1, 1));
            // A plain DELETE adds a delete marker, which becomes current.
            let marker = cluster.delete_object(1, "vb1", "k", None).await;
            quiesce().await;
            let ClientResponse::Removed {
                version_id: Some(marker),
                delete_marker: true,
            } = marker
            else {
                panic!("{marker:?}")
            };
            let gone = S3Error::NoSuchKey {
                delete_marker: Some(marker.clone()),
            };
            assert_eq!(get(None).await, ClientResponse::Error(gone));
            assert_eq!(
                get(Some(&marker)).await,
                ClientResponse::Error(S3Error::MethodNotAllowed)
            );
            assert_eq!(
                cluster.list_all(0, "vb1", "", 10).await.0,
                Vec::<String>::new()
            );
            let listed = versions(cluster, 1000).await;
            let expected: Vec<(String, String, bool, bool)> = [
                (marker.as_str(), true, true),
                (v2.as_str(), false, false),
                (v1.as_str(), false, false),
                ("null", false, false),
            ]
            .iter()
            .map(|(id, latest, is_marker)| ("k".to_string(), id.to_string(), *latest, *is_marker))
            .collect();
            assert_eq!(listed, expected, "{protocol:?}");
            // Small pages list the same versions (cut inside the object).
            assert_eq!(versions(cluster, 1).await, expected);
            // DELETE by version id: permanent, no marker; the next newest becomes current.
            cluster.delete_object(2, "vb1", "k", Some(&marker)).await;
            quiesce().await;
            let ClientResponse::Object(current) = get(None).await else {
                panic!("v2 should be current again")
            };
            assert_eq!(current.version_id, v2);
            cluster.delete_object(2, "vb1", "k", Some(&v2)).await;
            quiesce().await;
            assert_eq!(
                get(Some(&v2)).await,
                ClientResponse::Error(S3Error::NoSuchVersion)
            );
            let ClientResponse::Object(current) = get(None).await else {
                panic!("v1 should be current")
            };
            assert_eq!(current.version_id, v1);
            assert_eq!(versions(cluster, 1000).await.len(), 2);
            // A bucket with versions is not empty.
            let refused = cluster.delete_bucket(0, "vb1").await;
            assert_eq!(refused, ClientResponse::Error(S3Error::BucketNotEmpty));
        });
    }
}

#[test]
fn suspended_versioning_writes_the_null_version_and_keeps_the_others() {
    for protocol in [Protocol::Quorum, Protocol::Paxos] {
        run(92, move || async move {
            let cluster = Cluster::new(ClusterConfig::for_protocol(protocol, 3, 3));
            cluster.create_bucket(0, "vb1").await;
            cluster.set_versioning(0, "vb1", Versioning::Enabled).await;
            let v1 = version_id(cluster.put_object(0, "vb1", "k", body(1, 1)).await);
            cluster
                .set_versioning(0, "vb1", Versioning::Suspended)
                .await;
            assert_eq!(
                version_id(cluster.put_object(1, "vb1", "k", body(2, 1)).await),
                "null"
            );
            assert_eq!(
                version_id(cluster.put_object(2, "vb1", "k", body(3, 1)).await),
                "null"
            );
            let listed = versions(&cluster, 1000).await;
            let ids: Vec<&str> = listed.iter().map(|(_, id, _, _)| id.as_str()).collect();
            assert_eq!(ids, ["null", v1.as_str()]);
            // A plain DELETE while suspended: a delete marker as the null version.
            let removed = cluster.delete_object(0, "vb1", "k", None).await;
            assert_eq!(
                removed,
                ClientResponse::Removed {
                    version_id: Some("null".into()),
                    delete_marker: true
                }
            );
            let listed = versions(&cluster, 1000).await;
            assert_eq!(listed[0], ("k".into(), "null".into(), true, true));
            assert_eq!(listed.len(), 2);
            assert_eq!(
                cluster.set_versioning(0, "vb1", Versioning::Off).await,
                ClientResponse::Error(S3Error::InvalidArgument(
                    "versioning can be Enabled or Suspended, not Off".into()
                ))
            );
        });
    }
}

/// ceph's `test_versioned_concurrent_object_create_concurrent_remove`: N
/// concurrent creates give exactly N versions.
#[test]
fn concurrent_puts_in_a_versioned_bucket_each_keep_a_version() {
    for protocol in [Protocol::Quorum, Protocol::Abd, Protocol::Paxos] {
        run(93, move || async move {
            let cluster = Cluster::new(ClusterConfig::for_protocol(protocol, 3, 3));
            cluster.create_bucket(0, "vb1").await;
            cluster.set_versioning(0, "vb1", Versioning::Enabled).await;
            let (a, b, c) = tokio::join!(
                cluster.put_object(0, "vb1", "k", body(1, 1)),
                cluster.put_object(1, "vb1", "k", body(2, 1)),
                cluster.put_object(2, "vb1", "k", body(3, 1)),
            );
            // paxos: a proposer preempted in accept answers WriteUnavailable
            // (it may or may not be chosen); every acknowledged one is kept.
            let acked: Vec<String> = [a, b, c]
                .into_iter()
                .filter(|r| {
                    protocol != Protocol::Paxos || matches!(r, ClientResponse::Stored { .. })
                })
                .map(version_id)
                .collect();
            quiesce().await;
            let listed = versions(&cluster, 1000).await;
            let listed_ids: std::collections::BTreeSet<String> =
                listed.iter().map(|(_, id, _, _)| id.clone()).collect();
            assert_eq!(
                listed_ids.len(),
                listed.len(),
                "{protocol:?}: a version listed twice"
            );
            assert!(
                listed.len() <= 3 && !acked.is_empty(),
                "{protocol:?}: {listed:?}"
            );
            for id in &acked {
                assert!(listed_ids.contains(id), "{protocol:?}: {id} lost");
            }
            if protocol != Protocol::Paxos {
                assert_eq!(listed.len(), 3, "{protocol:?}");
            }
        });
    }
}

/// With sync always, no acknowledged version is lost when every replica
/// crashes (issue 14's "versioning under crashes").
#[test]
fn acknowledged_versions_survive_a_crash_of_every_replica() {
    for protocol in [Protocol::Quorum, Protocol::Paxos] {
        run(94, move || async move {
            let cluster = Cluster::new(ClusterConfig::for_protocol(protocol, 3, 3));
            cluster.create_bucket(0, "vb1").await;
            cluster.set_versioning(0, "vb1", Versioning::Enabled).await;
            let mut ids = Vec::new();
            for i in 0..5 {
                ids.push(version_id(
                    cluster
                        .put_object(i % 3, "vb1", "k", body(i.into(), 3))
                        .await,
                ));
            }
            ids.push(version_id(cluster.delete_object(1, "vb1", "k", None).await));
            quiesce().await;
            for id in 0..3 {
                cluster.crash_and_restart(id);
            }
            let mut listed: Vec<String> = (versions(&cluster, 1000).await.into_iter())
                .map(|(_, id, _, _)| id)
                .collect();
            listed.sort();
            ids.sort();
            assert_eq!(listed, ids, "{protocol:?}");
        });
    }
}

/// ListObjectVersions pages cut inside one object resume after the exact
/// (key, version) listed last (S3's `KeyMarker` + `VersionIdMarker`): a
/// version deleted or added between two pages makes none of the others
/// skipped or listed twice. (Resuming by a count of versions listed skips
/// one after a deletion and repeats one after an addition.)
#[test]
fn version_pages_resume_after_the_exact_version() {
    for protocol in [Protocol::Quorum, Protocol::Abd, Protocol::Paxos] {
        for delete_between in [true, false] {
            run(95, move || async move {
                let cluster = Cluster::new(ClusterConfig::for_protocol(protocol, 3, 3));
                cluster.create_bucket(0, "vb1").await;
                cluster.set_versioning(0, "vb1", Versioning::Enabled).await;
                let mut ids = Vec::new();
                for i in 0..5u64 {
                    let put = cluster.put_object(0, "vb1", "k", body(i, 1)).await;
                    ids.push(version_id(put));
                }
                quiesce().await;
                let page = |token: Option<String>| cluster.list_versions(0, "vb1", "", 2, token);
                let ClientResponse::Versions(first) = page(None).await else {
                    panic!("not a versions page")
                };
                let listed: Vec<String> = first
                    .versions
                    .iter()
                    .map(|v| v.version_id.clone())
                    .collect();
                assert_eq!(listed, [ids[4].clone(), ids[3].clone()], "{protocol:?}");
                if delete_between {
                    // The newest version, already listed, is deleted for good.
                    cluster.delete_object(1, "vb1", "k", Some(&ids[4])).await;
                } else {
                    // A new (newest) version is added.
                    cluster.put_object(2, "vb1", "k", body(9, 1)).await;
                }
                quiesce().await;
                let (mut rest, mut token) = (Vec::new(), first.continuation);
                for _ in 0..10 {
                    let Some(t) = token.take() else { break };
                    let ClientResponse::Versions(next) = page(Some(t)).await else {
                        panic!("not a versions page")
                    };
                    rest.extend(next.versions.iter().map(|v| v.version_id.clone()));
                    token = next.continuation;
                }
                assert!(token.is_none(), "{protocol:?}: too many pages");
                // The older versions, each once.
                assert_eq!(
                    rest,
                    [ids[2].clone(), ids[1].clone(), ids[0].clone()],
                    "{protocol:?}, deleted between pages: {delete_between}"
                );
            });
        }
    }
}
