//! Access control at the front door (issue 17): who may speak, and on whose
//! behalf the store is asked.
//!
//! Two layers, each where it belongs:
//!
//! 1. **Authentication: s3s.** [`Principals`] is s3s's [`S3Auth`] hook over
//!    the configured principal table: s3s computes the SigV4 signature of
//!    the HTTP request (header or presigned query) with the access key's
//!    secret and refuses it itself — `SignatureDoesNotMatch` (403) for a
//!    wrong signature, `RequestTimeTooSkewed` (403) for a date more than 15
//!    minutes off the machine's clock, `AccessDenied` "Request has expired"
//!    for a presigned URL past its `X-Amz-Expires`. An access key not in the
//!    table is `InvalidAccessKeyId` (403), from [`Principals`]. [`Signed`]
//!    ([`S3Access`]) refuses anonymous requests (`AccessDenied`).
//! 2. **Authorisation: the store.** Every operation then goes to the store as
//!    a [`store::Request::Signed`] envelope for the authenticated principal
//!    ([`on_behalf`]): the node signs it on its own clock with that
//!    principal's secret (the caller's signature was over the HTTP request,
//!    which the store's canonical form is not), and the store judges it as
//!    the simulator's coordinators do — the owner (the store's
//!    administrator) always; anyone else by the bucket's policy, kept in
//!    the replicated store under a reserved key and cached for the TTL (so a
//!    revoke reaches other nodes within the TTL, as S3's "eventually
//!    consistent"); default deny, explicit deny wins, and the same
//!    `AccessDenied` before the key is touched, whether it exists or not.
//!
//! Without principals (open mode) [`AnyKey`] and [`AllowAll`] keep the old
//! behaviour: any access key signing with the one secret, and unsigned
//! requests, all served as plain client requests.

use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::{S3Auth, SecretKey};
use s3s::{S3Request, S3Result, s3_error};
use std::collections::BTreeMap;
use store::auth::{AuthConfig, Operation};
use store::{ClientResponse, Request, S3Error};

/// The configured principals, as s3s's authentication hook.
pub struct Principals {
    /// Access key → secret key (the store's table, cloned once at start).
    pub secrets: BTreeMap<String, String>,
}

#[async_trait::async_trait]
impl S3Auth for Principals {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        match self.secrets.get(access_key) {
            Some(secret) => Ok(SecretKey::from(secret.clone())),
            None => Err(s3_error!(
                InvalidAccessKeyId,
                "The AWS Access Key Id you provided does not exist in our records."
            )),
        }
    }
}

/// With principals: a request must be signed by one (s3s has checked the
/// signature by the time this runs; what it may do is the store's call).
pub struct Signed;

#[async_trait::async_trait]
impl S3Access for Signed {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        match cx.credentials() {
            Some(_) => Ok(()),
            None => Err(s3_error!(
                AccessDenied,
                "anonymous requests are refused: sign with a principal's access key"
            )),
        }
    }
}

/// Open mode: any access key id, signing with the cluster's one secret.
pub struct AnyKey {
    pub secret: String,
}

#[async_trait::async_trait]
impl S3Auth for AnyKey {
    async fn get_secret_key(&self, _access_key: &str) -> S3Result<SecretKey> {
        Ok(SecretKey::from(self.secret.clone()))
    }
}

/// Open mode: lets every request through, signed or anonymous.
pub struct AllowAll;

#[async_trait::async_trait]
impl S3Access for AllowAll {
    async fn check(&self, _cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        Ok(())
    }
}

/// The access key s3s authenticated a request with (`None`: anonymous).
pub fn caller<T>(req: &S3Request<T>) -> Option<String> {
    req.credentials.as_ref().map(|c| c.access_key.clone())
}

/// The store request for `operation` sent by `caller`: under access control
/// the envelope signed with the caller's secret at `now_ns` (the node's
/// clock, Unix ns); in open mode the plain client request. `Err` is the
/// answer to give without asking the store: an anonymous or unknown caller
/// under access control, or a policy operation in open mode.
pub fn on_behalf(
    auth: Option<&AuthConfig>,
    caller: Option<&str>,
    operation: Operation,
    now_ns: u64,
) -> Result<Request, ClientResponse> {
    let denied = || ClientResponse::Error(S3Error::AccessDenied);
    let Some(auth) = auth else {
        return match operation {
            Operation::Client(request) => Ok(Request::Client(request)),
            _ => Err(ClientResponse::Error(S3Error::InvalidArgument(
                "bucket policies need access control: start storesimd with --principals".into(),
            ))),
        };
    };
    let key = caller.ok_or_else(denied)?;
    let secret = auth.principals.get(key).ok_or_else(denied)?;
    let now_ns = now_ns.saturating_add(auth.clock_epoch_ns);
    let signed = store::auth::Signed::sign(operation, key, secret, now_ns, None);
    Ok(Request::Signed(Box::new(signed)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::ClientRequest;

    const NOW: u64 = 1_700_000_000_000_000_000;

    fn auth() -> AuthConfig {
        AuthConfig {
            principals: [("own".into(), "s1".into()), ("bob".into(), "s2".into())].into(),
            admin: "own".into(),
            policy_cache_ttl_ns: 1_000_000_000,
            clock_epoch_ns: 0,
        }
    }

    fn get() -> Operation {
        Operation::Client(ClientRequest::GetObject {
            bucket: "b".into(),
            key: "k".into(),
            version_id: None,
        })
    }

    #[test]
    fn a_known_caller_is_signed_for_and_verifies_on_the_nodes_clock() {
        let Ok(Request::Signed(signed)) = on_behalf(Some(&auth()), Some("bob"), get(), NOW) else {
            panic!("expected an envelope");
        };
        assert_eq!(signed.authorization.access_key, "bob");
        assert_eq!(signed.verify("s2", NOW + 1), Ok(()));
        assert!(signed.verify("s1", NOW).is_err());
    }

    #[tokio::test]
    async fn the_principal_table_gives_each_key_its_secret_and_refuses_others() {
        let table = Principals {
            secrets: auth().principals,
        };
        assert!(table.get_secret_key("bob").await.is_ok());
        let refused = table.get_secret_key("eve").await.unwrap_err();
        assert_eq!(refused.code(), &s3s::S3ErrorCode::InvalidAccessKeyId);
    }

    #[test]
    fn anonymous_and_unknown_callers_are_denied_and_open_mode_is_plain() {
        let denied = Err(ClientResponse::Error(S3Error::AccessDenied));
        assert_eq!(on_behalf(Some(&auth()), None, get(), NOW), denied);
        assert_eq!(on_behalf(Some(&auth()), Some("eve"), get(), NOW), denied);
        assert!(matches!(
            on_behalf(None, Some("bob"), get(), NOW),
            Ok(Request::Client(ClientRequest::GetObject { .. }))
        ));
        let policy = Operation::DeleteBucketPolicy { bucket: "b".into() };
        assert!(matches!(
            on_behalf(None, Some("bob"), policy, NOW),
            Err(ClientResponse::Error(S3Error::InvalidArgument(_)))
        ));
    }
}
