//! Conditional writes (`If-None-Match: *`, `If-Match: <ETag>`), in one place.
//!
//! The store judges the condition where it writes (its conditional
//! PutObject and DeleteObject, [`store::Condition`]): atomically when the
//! cluster runs `paxos` (two racing `If-None-Match: *` PUTs: exactly one
//! succeeds), as a read then a write under `eventual`, `quorum` and `abd`
//! (both may succeed: the race S3 closes, shown). storesimd only
//! translates: S3's `If-Match` names the body's MD5, the store's the ETag
//! of its body descriptor, so [`resolve`] finds the current version's
//! store ETag first (one HEAD) and hands the store that.
//!
//! S3's answers: a false condition is 412 PreconditionFailed; `If-Match` on
//! a missing object is 404 NoSuchKey; a conditional write that met a
//! concurrent change under `paxos` is 409 ConditionalRequestConflict;
//! `If-None-Match` with anything but `*` is 501 NotImplemented (S3 accepts
//! only `*` on a PUT).

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

/// The store's condition for a write to `bucket`/`key` under `condition`,
/// or S3's refusal when it is already false: `None` to write whatever is
/// there; `If-None-Match: *` as is; `If-Match` by the client's ETag (the
/// body's MD5) becomes `If-Match` by the store's ETag of the current
/// version, found with one HEAD (404 if there is none, 412 if its MD5
/// differs). The store then judges it again where it writes, so a change
/// between the HEAD and the write is a 412 too, never a lost update. The
/// HEAD is `caller`'s: under access control it needs s3:GetObject, and a
/// caller without it gets AccessDenied before learning anything of the key.
pub async fn resolve(
    daemon: &Daemon,
    caller: Option<&str>,
    bucket: &str,
    key: &str,
    condition: &Condition,
) -> S3Result<Option<store::Condition>> {
    let wanted = match condition {
        Condition::Always => return Ok(None),
        Condition::Absent => return Ok(Some(store::Condition::IfNoneMatch)),
        Condition::Matches(wanted) => wanted,
    };
    let head = ClientRequest::HeadObject {
        bucket: bucket.to_string(),
        key: key.to_string(),
        version_id: None,
    };
    let info = match daemon.request(caller, head).await {
        ClientResponse::Object(info) => info,
        ClientResponse::Error(store::S3Error::NoSuchKey { .. }) => {
            return Err(s3_error!(NoSuchKey, "the object does not exist (If-Match)"));
        }
        other => return Err(store_error(other)),
    };
    match wanted {
        Some(md5) if *md5 != current_md5(&info) => Err(s3_error!(
            PreconditionFailed,
            "the object's ETag differs (If-Match)"
        )),
        _ => Ok(Some(store::Condition::IfMatch(info.meta.etag.clone()))),
    }
}
