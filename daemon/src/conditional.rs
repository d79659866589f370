//! Conditional writes (`If-None-Match: *`, `If-Match: <ETag>`), in one place.
//!
//! The store has no conditional PutObject yet (its `Cas` is for registers),
//! so storesimd checks the condition the way the store's `Cas` does under
//! `eventual` and `quorum`: it reads the object's current version through the
//! store, compares, and then writes. That is register-level cas semantics,
//! not atomic: two racing `If-None-Match: *` PUTs may both see the key absent
//! and both succeed — the race S3 closes and a testbed should be able to
//! show. When the store gains a conditional PutObject, [`check`] is the one
//! function to replace by handing the [`Condition`] to the store.
//!
//! S3's answers: a false condition is 412 PreconditionFailed; `If-Match` on
//! a missing object is 404 NoSuchKey; `If-None-Match` with anything but `*`
//! is 501 NotImplemented (S3 accepts only `*` on a PUT).

use crate::daemon::Daemon;
use crate::front::{current_md5, store_error};
use s3s::dto::ETagCondition;
use s3s::{S3Result, s3_error};
use store::{ClientRequest, ClientResponse};

/// What a request makes its write depend on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// Write whatever is there.
    Always,
    /// `If-None-Match: *`: only if the object has no current version.
    Absent,
    /// `If-Match: <ETag>` (`*`: any current version): only if the current
    /// version's ETag (MD5, unquoted) is this one.
    Matches(Option<String>),
}

impl Condition {
    /// The condition of a PUT or DELETE's headers.
    pub fn of(
        if_match: Option<&ETagCondition>,
        if_none_match: Option<&ETagCondition>,
    ) -> S3Result<Condition> {
        match (if_match, if_none_match) {
            (None, None) => Ok(Condition::Always),
            (None, Some(none)) if none.is_any() => Ok(Condition::Absent),
            (None, Some(_)) => Err(s3_error!(
                NotImplemented,
                "If-None-Match on a write accepts only *"
            )),
            (Some(any), None) if any.is_any() => Ok(Condition::Matches(None)),
            (Some(tag), None) => {
                let etag = tag.as_etag().map(|etag| etag.value().to_string());
                Ok(Condition::Matches(etag))
            }
            (Some(_), Some(_)) => Err(s3_error!(
                NotImplemented,
                "If-Match and If-None-Match together"
            )),
        }
    }
}

/// Checks `condition` against the current version of `bucket`/`key`.
pub async fn check(
    daemon: &Daemon,
    bucket: &str,
    key: &str,
    condition: &Condition,
) -> S3Result<()> {
    if *condition == Condition::Always {
        return Ok(());
    }
    let head = ClientRequest::HeadObject {
        bucket: bucket.to_string(),
        key: key.to_string(),
        version_id: None,
    };
    let current = match daemon.request(head).await {
        ClientResponse::Object(info) => Some(current_md5(&info)),
        ClientResponse::Error(store::S3Error::NoSuchKey { .. }) => None,
        other => return Err(store_error(other)),
    };
    match (condition, current) {
        (Condition::Absent, None) => Ok(()),
        (Condition::Absent, Some(_)) => Err(s3_error!(
            PreconditionFailed,
            "the object exists (If-None-Match: *)"
        )),
        (Condition::Matches(_), None) => {
            Err(s3_error!(NoSuchKey, "the object does not exist (If-Match)"))
        }
        (Condition::Matches(None), Some(_)) => Ok(()),
        (Condition::Matches(Some(wanted)), Some(md5)) if *wanted == md5 => Ok(()),
        (Condition::Matches(Some(_)), Some(_)) => Err(s3_error!(
            PreconditionFailed,
            "the object's ETag differs (If-Match)"
        )),
        (Condition::Always, _) => Ok(()),
    }
}
