//! Access control (issue 17): signed requests verified on the
//! coordinator's clock, bucket policies stored in the store and cached.

use crate::harness::{Cluster, body, quiesce, run};
use std::collections::BTreeMap;
use store::auth::{AuthConfig, Operation, Signed};
use store::{ClientRequest, ClientResponse, ClusterConfig, Protocol, Request, Response, S3Error};

/// The harness clocks read 1 s + elapsed; signatures carry Unix time.
const EPOCH_NS: u64 = 1_700_000_000_000_000_000;
const TTL_NS: u64 = 2_000_000_000;

fn secured(protocol: Protocol) -> ClusterConfig {
    ClusterConfig {
        auth: Some(AuthConfig {
            principals: BTreeMap::from([
                ("admin".to_owned(), "root-secret".to_owned()),
                ("alice".to_owned(), "alice-secret".to_owned()),
                ("bob".to_owned(), "bob-secret".to_owned()),
            ]),
            admin: "admin".to_owned(),
            policy_cache_ttl_ns: TTL_NS,
            clock_epoch_ns: EPOCH_NS,
        }),
        ..ClusterConfig::for_protocol(protocol, 3, 3)
    }
}

fn allow(bucket: &str, principal: &str) -> String {
    format!(
        r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":["{principal}"]}},"Action":["s3:GetObject","s3:PutObject"],"Resource":["arn:aws:s3:::{bucket}/*"]}}]}}"#
    )
}

/// Unix time on node 0's clock now.
fn now(cluster: &Cluster) -> u64 {
    use store::Clock;
    cluster.clocks[0].now_ns() + EPOCH_NS
}

async fn send(cluster: &Cluster, via: u32, signed: Signed) -> ClientResponse {
    match cluster
        .node(via)
        .handle(Request::Signed(Box::new(signed)))
        .await
    {
        Response::Client(response) => response,
        other => panic!("a signed request got {other:?}"),
    }
}

fn get(bucket: &str, key: &str) -> Operation {
    Operation::Client(ClientRequest::GetObject {
        bucket: bucket.into(),
        key: key.into(),
        version_id: None,
    })
}

const DENIED: ClientResponse = ClientResponse::Error(S3Error::AccessDenied);

#[test]
fn policies_grant_revoke_and_deny_the_same_whether_the_key_exists() {
    run(17, || async {
        let cluster = Cluster::new(secured(Protocol::Quorum));
        assert_eq!(cluster.create_bucket(0, "bkt").await, ClientResponse::Done);
        let put = cluster.put_object(0, "bkt", "k", body(1, 8)).await;
        assert!(matches!(put, ClientResponse::Stored { .. }), "{put:?}");
        quiesce().await;
        let admin = |op| Signed::sign(op, "admin", "root-secret", now(&cluster), None);
        let alice = |op| Signed::sign(op, "alice", "alice-secret", now(&cluster), None);
        // No policy: default deny, for a key that exists and one that does not.
        assert_eq!(send(&cluster, 1, alice(get("bkt", "k"))).await, DENIED);
        assert_eq!(send(&cluster, 1, alice(get("bkt", "none"))).await, DENIED);
        // Grant: a policy written through the store.
        let grant = Operation::PutBucketPolicy {
            bucket: "bkt".into(),
            policy: allow("bkt", "alice"),
        };
        assert_eq!(send(&cluster, 0, admin(grant)).await, ClientResponse::Done);
        // Node 2 has not cached the policy: it reads it now.
        assert!(matches!(
            send(&cluster, 2, alice(get("bkt", "k"))).await,
            ClientResponse::Object(_)
        ));
        // A forged signature and another principal are refused.
        let forged = Signed::sign(get("bkt", "k"), "alice", "guess", now(&cluster), None);
        assert_eq!(send(&cluster, 2, forged).await, DENIED);
        let bob = Signed::sign(get("bkt", "k"), "bob", "bob-secret", now(&cluster), None);
        assert_eq!(send(&cluster, 2, bob).await, DENIED);
        // Revoke through node 0; node 2's cached allow is stale until its TTL.
        let revoke = Operation::DeleteBucketPolicy {
            bucket: "bkt".into(),
        };
        assert_eq!(send(&cluster, 0, admin(revoke)).await, ClientResponse::Done);
        assert_eq!(send(&cluster, 0, alice(get("bkt", "k"))).await, DENIED);
        assert!(matches!(
            send(&cluster, 2, alice(get("bkt", "k"))).await,
            ClientResponse::Object(_)
        ));
        tokio::time::sleep(std::time::Duration::from_nanos(TTL_NS + 1)).await;
        assert_eq!(send(&cluster, 2, alice(get("bkt", "k"))).await, DENIED);
    });
}

#[test]
fn time_is_judged_on_the_coordinators_clock() {
    run(18, || async {
        let cluster = Cluster::new(secured(Protocol::Abd));
        // Every clock reads 10 minutes on (so one can step back 5).
        for clock in &cluster.clocks {
            clock.set_offset_ns(600_000_000_000);
        }
        assert_eq!(cluster.create_bucket(0, "bkt").await, ClientResponse::Done);
        let t = now(&cluster);
        let grant = Operation::PutBucketPolicy {
            bucket: "bkt".into(),
            policy: allow("bkt", "alice"),
        };
        let admin = Signed::sign(grant, "admin", "root-secret", t, None);
        assert_eq!(send(&cluster, 0, admin).await, ClientResponse::Done);
        // A presigned URL that expired 60 s ago (60 s valid, signed 120 s ago).
        let expired = Signed::sign(
            get("bkt", "k"),
            "alice",
            "alice-secret",
            t - 120_000_000_000,
            Some(60),
        );
        assert_eq!(send(&cluster, 1, expired.clone()).await, DENIED);
        // Node 1's clock steps back 5 minutes: it now takes the URL.
        cluster.clocks[1].set_offset_ns(300_000_000_000);
        let answer = send(&cluster, 1, expired).await;
        assert!(
            matches!(answer, ClientResponse::Error(S3Error::NoSuchKey { .. })),
            "{answer:?}"
        );
        // A header-signed request 20 minutes old is refused.
        let replay = Signed::sign(
            get("bkt", "k"),
            "alice",
            "alice-secret",
            t - 1_200_000_000_000,
            None,
        );
        assert_eq!(send(&cluster, 0, replay).await, DENIED);
    });
}
