//! Buckets and objects (issue 14), under every protocol: S3's outcomes,
//! bodies that regenerate, ETags, metadata, last-modified.

use crate::harness::{Cluster, body, quiesce, run, value};
use std::collections::BTreeMap;
use store::{ClientRequest, ClientResponse, ClusterConfig, ObjectInfo, Protocol, S3Error};

fn protocols() -> [ClusterConfig; 3] {
    [Protocol::Eventual, Protocol::Quorum, Protocol::Abd]
        .map(|protocol| ClusterConfig::for_protocol(protocol, 3, 3))
}

fn error(error: S3Error) -> ClientResponse {
    ClientResponse::Error(error)
}

fn object(response: ClientResponse) -> ObjectInfo {
    match response {
        ClientResponse::Object(info) => *info,
        other => panic!("expected an object, got {other:?}"),
    }
}

#[test]
fn buckets_and_objects_have_s3s_outcomes_under_every_protocol() {
    for config in protocols() {
        let protocol = config.protocol;
        run(61, move || async move {
            let cluster = Cluster::new(config);
            let photo = body(1, 70_000);
            assert_eq!(
                cluster.put_object(0, "pics", "a", photo).await,
                error(S3Error::NoSuchBucket),
                "{protocol:?}"
            );
            assert_eq!(cluster.create_bucket(0, "pics").await, ClientResponse::Done);
            // Eventual (W = R = 1) promises nothing until the write spread.
            quiesce().await;
            assert_eq!(
                cluster.create_bucket(1, "pics").await,
                error(S3Error::BucketAlreadyOwnedByYou)
            );
            let stored = cluster.put_object(1, "pics", "a", photo).await;
            assert_eq!(
                stored,
                ClientResponse::Stored {
                    version_id: "null".into(),
                    etag: photo.etag()
                }
            );
            quiesce().await;
            let got = object(cluster.get_object(2, "pics", "a", None).await);
            assert_eq!((got.key.as_str(), got.version_id.as_str()), ("a", "null"));
            assert_eq!(
                got.meta.body, photo,
                "the body regenerates from its descriptor"
            );
            assert_eq!(got.meta.size(), 70_000);
            assert_eq!(got.meta.etag, photo.etag());
            assert!(got.meta.last_modified_ns > 0);
            assert_eq!(
                cluster.get_object(2, "pics", "missing", None).await,
                error(S3Error::NoSuchKey {
                    delete_marker: None
                })
            );
            assert_eq!(
                cluster.delete_bucket(0, "pics").await,
                error(S3Error::BucketNotEmpty)
            );
            assert_eq!(
                cluster.delete_object(0, "pics", "a", None).await,
                ClientResponse::Removed {
                    version_id: None,
                    delete_marker: false
                }
            );
            quiesce().await;
            assert_eq!(
                cluster.get_object(1, "pics", "a", None).await,
                error(S3Error::NoSuchKey {
                    delete_marker: None
                })
            );
            assert_eq!(cluster.delete_bucket(0, "pics").await, ClientResponse::Done);
            quiesce().await;
            assert_eq!(
                cluster.get_object(1, "pics", "a", None).await,
                error(S3Error::NoSuchBucket)
            );
            assert_eq!(
                cluster.delete_bucket(0, "pics").await,
                error(S3Error::NoSuchBucket)
            );
        });
    }
}

#[test]
fn an_overwrite_replaces_body_metadata_and_etag_together() {
    run(62, || async {
        let cluster = Cluster::new(ClusterConfig::default());
        assert_eq!(cluster.create_bucket(0, "bkt").await, ClientResponse::Done);
        cluster.put_object(0, "bkt", "k", body(1, 10)).await;
        let metadata = BTreeMap::from([("colour".to_string(), "blue".to_string())]);
        let put = ClientRequest::PutObject {
            bucket: "bkt".into(),
            key: "k".into(),
            body: body(2, 20),
            metadata: metadata.clone(),
            condition: None,
        };
        assert!(matches!(
            cluster.request(1, put).await,
            ClientResponse::Stored { .. }
        ));
        let head = ClientRequest::HeadObject {
            bucket: "bkt".into(),
            key: "k".into(),
            version_id: None,
        };
        let got = object(cluster.request(2, head).await);
        assert_eq!(got.meta.body, body(2, 20));
        assert_eq!(got.meta.etag, body(2, 20).etag());
        assert_eq!(got.meta.metadata, metadata);
    });
}

#[test]
fn malformed_requests_are_refused_with_a_reason() {
    run(63, || async {
        let cluster = Cluster::new(ClusterConfig::default());
        for name in ["ab", "Upper", "-dash", "under_score"] {
            let answer = cluster.create_bucket(0, name).await;
            assert!(
                matches!(&answer, ClientResponse::Error(S3Error::InvalidArgument(why)) if why.contains(name)),
                "{name}: {answer:?}"
            );
        }
        assert_eq!(
            cluster.create_bucket(0, "b-1.x").await,
            ClientResponse::Done
        );
        let answer = cluster.put_object(0, "b-1.x", "nul\0key", body(1, 1)).await;
        assert!(matches!(
            answer,
            ClientResponse::Error(S3Error::InvalidArgument(_))
        ));
        // The reserved key space is not reachable through the register API.
        let answer = cluster.put(0, "\u{1}b/b-1.x", "overwrite").await;
        assert!(matches!(
            answer,
            ClientResponse::Error(S3Error::InvalidArgument(_))
        ));
        assert!(matches!(
            cluster.get_object(0, "b-1.x", "k", None).await,
            ClientResponse::Error(S3Error::NoSuchKey { .. })
        ));
    });
}

#[test]
fn registers_and_objects_share_the_replicas_without_meeting() {
    run(64, || async {
        let cluster = Cluster::new(ClusterConfig::default());
        assert_eq!(cluster.put(0, "k", "register").await, ClientResponse::Done);
        assert_eq!(cluster.create_bucket(0, "b00").await, ClientResponse::Done);
        cluster.put_object(1, "b00", "k", body(5, 5)).await;
        assert_eq!(cluster.get(2, "k").await, value("register"));
        assert_eq!(
            object(cluster.get_object(2, "b00", "k", None).await)
                .meta
                .body,
            body(5, 5)
        );
    });
}
