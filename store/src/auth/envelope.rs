//! The authorisation envelope: a client request wrapped with who sends it
//! and their signature ([`Signed`]), so that the request variants
//! themselves know nothing of access control.
//!
//! What is signed (SigV4, [`super::sigv4`]): the method and path of the
//! request's S3 form (`GET /bucket/key`), the `host` and `x-amz-date`
//! headers, and as payload hash the SHA-256 of the whole wrapped request in
//! JSON — every field, conditional headers and body descriptor included, so
//! a field changed in flight breaks the signature whatever variant it is.
//!
//! [`Operation::permission`] maps a request to S3's action and resource for
//! the bucket policy; requests with no object-level action (bucket
//! administration, registers) are the administrator's alone.

use super::policy::{self, resource_arn};
use super::sigv4::{self, AuthError, SignedRequest};
use crate::message::ClientRequest;
use serde::{Deserialize, Serialize};

/// The region every request is signed for (SigV4 needs one).
pub const REGION: &str = "us-east-1";
/// The host header every request signs.
pub const HOST: &str = "storesim.local";

/// What a signed envelope may carry: any client request, or a change or
/// read of a bucket's policy (the administrator's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Operation {
    Client(ClientRequest),
    /// PutBucketPolicy: store `policy` (S3 policy JSON, validated by the
    /// coordinator before it is written) as `bucket`'s policy. `Done`.
    PutBucketPolicy {
        bucket: String,
        policy: String,
    },
    /// DeleteBucketPolicy: `bucket` has no policy any more (default deny).
    /// `Done`.
    DeleteBucketPolicy {
        bucket: String,
    },
    /// GetBucketPolicy: `bucket`'s policy as stored, read with the
    /// cluster's protocol (never from a cache). `Value(None)`: it has none.
    GetBucketPolicy {
        bucket: String,
    },
}

/// Who sends a request and their proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authorization {
    /// The principal's access key (its name in the principal table).
    pub access_key: String,
    /// The signer's clock, ns since the Unix epoch.
    pub time_ns: u64,
    /// 64 hex digits (anything else is refused as malformed).
    pub signature: String,
    /// `Some(s)`: a presigned URL valid for `s` seconds from `time_ns`.
    pub presigned_expires_s: Option<u64>,
}

/// A signed request: the envelope ([`crate::message::Request::Signed`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signed {
    pub authorization: Authorization,
    pub operation: Operation,
}

/// The policy question a request asks: `action` on `resource` of `bucket`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    pub bucket: String,
    pub action: &'static str,
    pub resource: String,
}

impl Operation {
    /// The S3 action and resource a bucket policy must allow, or `None` for
    /// a request only the administrator may send.
    pub fn permission(&self) -> Option<Permission> {
        let Operation::Client(request) = self else {
            return None;
        };
        let (bucket, action, key) = match request {
            ClientRequest::GetObject { bucket, key, .. }
            | ClientRequest::HeadObject { bucket, key, .. } => {
                (bucket, policy::GET_OBJECT, Some(key))
            }
            ClientRequest::PutObject { bucket, key, .. } => (bucket, policy::PUT_OBJECT, Some(key)),
            ClientRequest::DeleteObject { bucket, key, .. } => {
                (bucket, policy::DELETE_OBJECT, Some(key))
            }
            ClientRequest::ListObjects { bucket, .. }
            | ClientRequest::ListObjectVersions { bucket, .. } => {
                (bucket, policy::LIST_BUCKET, None)
            }
            _ => return None,
        };
        Some(Permission {
            bucket: bucket.clone(),
            action,
            resource: resource_arn(bucket, key.map(String::as_str)),
        })
    }

    /// The method and path of the request's S3 form.
    fn method_and_path(&self) -> (&'static str, String) {
        match self {
            Operation::PutBucketPolicy { bucket, .. } => ("PUT", format!("/{bucket}")),
            Operation::DeleteBucketPolicy { bucket } => ("DELETE", format!("/{bucket}")),
            Operation::GetBucketPolicy { bucket } => ("GET", format!("/{bucket}")),
            Operation::Client(request) => {
                let method = match request {
                    ClientRequest::Put { .. }
                    | ClientRequest::Cas { .. }
                    | ClientRequest::CreateBucket { .. }
                    | ClientRequest::PutBucketVersioning { .. }
                    | ClientRequest::PutObject { .. } => "PUT",
                    ClientRequest::Delete { .. }
                    | ClientRequest::DeleteBucket { .. }
                    | ClientRequest::DeleteObject { .. } => "DELETE",
                    ClientRequest::HeadObject { .. } => "HEAD",
                    _ => "GET",
                };
                let path = match self.permission() {
                    Some(p) if p.action != policy::LIST_BUCKET => {
                        format!("/{}/{}", p.bucket, request.key())
                    }
                    Some(p) => format!("/{}", p.bucket),
                    None => format!("/{}", request.key()),
                };
                (method, path)
            }
        }
    }

    /// The canonical form SigV4 signs, at the signer's `time_ns`.
    pub fn to_sign(&self, time_ns: u64) -> SignedRequest {
        let (method, path) = self.method_and_path();
        let json = serde_json::to_vec(self).expect("requests serialise");
        SignedRequest {
            method: method.to_owned(),
            path,
            query: Vec::new(),
            headers: vec![
                ("host".to_owned(), HOST.to_owned()),
                ("x-amz-date".to_owned(), sigv4::amz_date(time_ns)),
            ],
            payload_sha256: sigv4::payload_sha256(&json),
            time_ns,
            region: REGION.to_owned(),
            service: "s3".to_owned(),
        }
    }
}

impl Signed {
    /// `operation` signed by `access_key` with `secret_key` at `time_ns`
    /// (presigned for `presigned_expires_s` seconds, if given).
    pub fn sign(
        operation: Operation,
        access_key: &str,
        secret_key: &str,
        time_ns: u64,
        presigned_expires_s: Option<u64>,
    ) -> Signed {
        let signature = operation.to_sign(time_ns).sign(secret_key);
        Signed {
            authorization: Authorization {
                access_key: access_key.to_owned(),
                time_ns,
                signature,
                presigned_expires_s,
            },
            operation,
        }
    }

    /// Checks the signature under `secret_key` and the time against the
    /// verifier's clock `now_ns` (Unix ns).
    pub fn verify(&self, secret_key: &str, now_ns: u64) -> Result<(), AuthError> {
        let a = &self.authorization;
        (self.operation.to_sign(a.time_ns)).verify(
            secret_key,
            &a.signature,
            now_ns,
            a.presigned_expires_s,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: u64 = 1_700_000_000_000_000_000;

    fn get() -> Operation {
        Operation::Client(ClientRequest::GetObject {
            bucket: "b".into(),
            key: "k".into(),
            version_id: None,
        })
    }

    #[test]
    fn a_signed_request_verifies_and_a_changed_one_does_not() {
        let signed = Signed::sign(get(), "alice", "s3cret", T, None);
        assert_eq!(signed.verify("s3cret", T + 1), Ok(()));
        assert_eq!(
            signed.verify("wrong", T),
            Err(AuthError::SignatureDoesNotMatch)
        );
        let mut changed = signed.clone();
        changed.operation = Operation::Client(ClientRequest::GetObject {
            bucket: "b".into(),
            key: "other".into(),
            version_id: None,
        });
        assert_eq!(
            changed.verify("s3cret", T),
            Err(AuthError::SignatureDoesNotMatch)
        );
    }

    #[test]
    fn time_is_judged_on_the_verifiers_clock() {
        let old = Signed::sign(get(), "alice", "s", T, None);
        let twenty_min = 20 * 60 * 1_000_000_000;
        assert!(matches!(
            old.verify("s", T + twenty_min),
            Err(AuthError::RequestTimeTooSkewed { .. })
        ));
        let presigned = Signed::sign(get(), "alice", "s", T, Some(60));
        assert_eq!(presigned.verify("s", T + 59_000_000_000), Ok(()));
        assert!(matches!(
            presigned.verify("s", T + 61_000_000_000),
            Err(AuthError::Expired { .. })
        ));
    }

    #[test]
    fn permissions_name_s3_actions_and_admin_requests_have_none() {
        let p = get().permission().unwrap();
        assert_eq!(p.action, policy::GET_OBJECT);
        assert_eq!(p.resource, resource_arn("b", Some("k")));
        let create = Operation::Client(ClientRequest::CreateBucket { bucket: "b".into() });
        assert_eq!(create.permission(), None);
        let put_policy = Operation::DeleteBucketPolicy { bucket: "b".into() };
        assert_eq!(put_policy.permission(), None);
        let get_policy = Operation::GetBucketPolicy { bucket: "b".into() };
        assert_eq!(get_policy.permission(), None);
    }
}
