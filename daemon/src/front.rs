//! The S3 HTTP front end: an [`s3s::S3`] implementation that turns each
//! operation into the store's client requests on this node, and the store's
//! answers into S3's status codes and error bodies (s3s writes the XML).
//!
//! Served: CreateBucket, DeleteBucket, HeadBucket, PutBucketVersioning,
//! PutObject (with `If-None-Match: *` / `If-Match`, see
//! [`crate::conditional`]), GetObject, HeadObject, DeleteObject (with
//! `If-Match`), ListObjectsV2 (no delimiter, no start-after),
//! ListObjectVersions, and with access control PutBucketPolicy,
//! GetBucketPolicy, DeleteBucketPolicy (see [`crate::access`]: every
//! operation is sent to the store as the authenticated caller's).
//! Everything else is s3s's 501 NotImplemented.
//!
//! Status codes: the store's `S3Error`s map to S3's codes by name
//! ([`store_error`]); `ReadUnavailable`/`WriteUnavailable` (fewer than R or
//! W replicas answered) are 503 ServiceUnavailable — a write's 503 is
//! indeterminate, as a timeout is; `Refused` (turned away before anything
//! was applied: a node rebuilding its replicas) is 503 SlowDown, which a
//! client may take as a definite failure (`storesim drive` records it as
//! `fail`, `slow-down`). Bodies: see [`crate::blobs`]; the MD5
//! (S3's ETag) travels with the object as user metadata under
//! [`ETAG_METADATA`], which clients never see.

use crate::access;
use crate::blobs::{self, MAX_BLOB_BYTES};
use crate::conditional::{self, Condition};
use crate::daemon::Daemon;
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use s3s::dto::*;
use s3s::{S3, S3Request, S3Response, S3Result, s3_error};
use std::collections::BTreeMap;
use std::sync::Arc;
use store::auth::{Operation, Policy};
use store::{ClientRequest, ClientResponse, ObjectInfo, Versioning};

/// The user-metadata key under which an object's real MD5 is stored.
pub const ETAG_METADATA: &str = "storesimd-md5";

/// The S3 service of one node.
pub struct Front {
    pub daemon: Arc<Daemon>,
}

/// A store answer that is not the expected success, as S3's error.
pub fn store_error(response: ClientResponse) -> s3s::S3Error {
    use store::S3Error as E;
    match response {
        ClientResponse::Error(error) => match error {
            E::NoSuchBucket => s3_error!(NoSuchBucket),
            E::BucketAlreadyOwnedByYou => s3_error!(BucketAlreadyOwnedByYou),
            E::BucketNotEmpty => s3_error!(BucketNotEmpty),
            E::NoSuchKey { .. } => s3_error!(NoSuchKey),
            E::NoSuchVersion => s3_error!(NoSuchVersion),
            E::MethodNotAllowed => s3_error!(MethodNotAllowed, "the version is a delete marker"),
            E::InvalidArgument(why) => s3_error!(InvalidArgument, "{why}"),
            E::TooManyVersions => s3_error!(InvalidRequest, "{error}"),
            E::AccessDenied => s3_error!(AccessDenied),
        },
        ClientResponse::ReadUnavailable => {
            s3_error!(
                ServiceUnavailable,
                "fewer than R replicas answered; nothing was read"
            )
        }
        ClientResponse::WriteUnavailable => s3_error!(
            ServiceUnavailable,
            "fewer than W replicas acknowledged in time; the write may or may not have happened"
        ),
        ClientResponse::Refused => s3_error!(
            SlowDown,
            "the node refused the request before applying anything; nothing was written: retry"
        ),
        ClientResponse::PreconditionFailed => s3_error!(PreconditionFailed),
        ClientResponse::NotFound => s3_error!(NoSuchKey, "the object does not exist (If-Match)"),
        ClientResponse::ConditionalConflict => s3_error!(
            ConditionalRequestConflict,
            "a concurrent write to the object got in the way; nothing was written: retry"
        ),
        other => s3_error!(InternalError, "unexpected store answer {other:?}"),
    }
}

/// The MD5 (S3's ETag, unquoted) of an object version.
pub fn current_md5(info: &ObjectInfo) -> String {
    match info.meta.metadata.get(ETAG_METADATA) {
        Some(md5) => md5.clone(),
        None => blobs::id_of(&info.meta.etag),
    }
}

fn timestamp(ns: u64) -> Timestamp {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    Timestamp::from(at)
}

fn user_metadata(info: &ObjectInfo) -> Option<Metadata> {
    let shown: Metadata = info
        .meta
        .metadata
        .iter()
        .filter(|(key, _)| *key != ETAG_METADATA)
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    (!shown.is_empty()).then_some(shown)
}

fn version_of(info: &ObjectInfo) -> Option<String> {
    (info.version_id != "null").then(|| info.version_id.clone())
}

/// A store continuation as a client sees it: hex, because the store's
/// tokens hold key-space bytes (`\u{1}`, NUL) that XML cannot carry.
fn token_out(token: Option<String>) -> Option<String> {
    token.map(|token| token.bytes().map(|b| format!("{b:02x}")).collect())
}

/// A client's continuation back to the store's: 400 unless it is a token
/// this front end gave out.
fn token_in(token: Option<&str>) -> S3Result<Option<String>> {
    let Some(hex) = token else {
        return Ok(None);
    };
    let bytes: Option<Vec<u8>> = (hex.len() % 2 == 0)
        .then(|| {
            (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
                .collect()
        })
        .flatten();
    bytes
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .map(Some)
        .ok_or_else(|| {
            s3_error!(
                InvalidArgument,
                "the continuation token is not one this service gave out"
            )
        })
}

/// Reads a request body, refusing one over [`MAX_BLOB_BYTES`].
async fn read_body(body: Option<StreamingBlob>) -> S3Result<Bytes> {
    let Some(mut body) = body else {
        return Ok(Bytes::new());
    };
    let mut bytes = BytesMut::new();
    // Bounded by MAX_BLOB_BYTES.
    while let Some(chunk) = body.next().await {
        let chunk =
            chunk.map_err(|error| s3_error!(IncompleteBody, "reading the body: {error}"))?;
        if bytes.len() + chunk.len() > MAX_BLOB_BYTES {
            return Err(s3_error!(
                EntityTooLarge,
                "storesimd keeps objects up to {MAX_BLOB_BYTES} bytes"
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes.freeze())
}

impl Front {
    async fn object(
        &self,
        caller: Option<&str>,
        bucket: &str,
        key: &str,
        version_id: Option<String>,
        head: bool,
    ) -> S3Result<ObjectInfo> {
        let (bucket, key) = (bucket.to_string(), key.to_string());
        let request = if head {
            ClientRequest::HeadObject {
                bucket,
                key,
                version_id,
            }
        } else {
            ClientRequest::GetObject {
                bucket,
                key,
                version_id,
            }
        };
        match self.daemon.request(caller, request).await {
            ClientResponse::Object(info) => Ok(*info),
            other => Err(store_error(other)),
        }
    }

    async fn done(&self, caller: Option<&str>, request: ClientRequest) -> S3Result<()> {
        match self.daemon.request(caller, request).await {
            ClientResponse::Done => Ok(()),
            other => Err(store_error(other)),
        }
    }

    /// The MD5 of a listed object: from this node's blobs, else the object's
    /// metadata (a HEAD through the store), else the store's own ETag.
    async fn listed_md5(
        &self,
        caller: Option<&str>,
        bucket: &str,
        key: &str,
        store_etag: &str,
    ) -> String {
        let id = blobs::id_of(store_etag);
        if let Some(md5) = self.daemon.local_md5(&id).await {
            return md5;
        }
        match self.object(caller, bucket, key, None, true).await {
            Ok(info) if info.meta.etag == store_etag => current_md5(&info),
            _ => id,
        }
    }
}

#[async_trait::async_trait]
impl S3 for Front {
    async fn put_bucket_policy(
        &self,
        req: S3Request<PutBucketPolicyInput>,
    ) -> S3Result<S3Response<PutBucketPolicyOutput>> {
        let caller = access::caller(&req);
        let input = req.input;
        // The owner's document is judged here, to answer S3's code; anyone
        // else is refused by the store first (AccessDenied, not a review).
        let auth = self.daemon.node.config().auth.as_ref();
        if auth.is_some_and(|auth| caller.as_deref() == Some(auth.admin.as_str()))
            && let Err(error) = Policy::from_json(&input.policy)
        {
            return Err(s3_error!(MalformedPolicy, "{error}"));
        }
        let operation = Operation::PutBucketPolicy {
            bucket: input.bucket,
            policy: input.policy,
        };
        match self.daemon.operate(caller.as_deref(), operation).await {
            ClientResponse::Done => Ok(S3Response::new(PutBucketPolicyOutput::default())),
            other => Err(store_error(other)),
        }
    }

    async fn get_bucket_policy(
        &self,
        req: S3Request<GetBucketPolicyInput>,
    ) -> S3Result<S3Response<GetBucketPolicyOutput>> {
        let caller = access::caller(&req);
        let operation = Operation::GetBucketPolicy {
            bucket: req.input.bucket,
        };
        match self.daemon.operate(caller.as_deref(), operation).await {
            ClientResponse::Value(Some(policy)) => Ok(S3Response::new(GetBucketPolicyOutput {
                policy: Some(policy),
            })),
            ClientResponse::Value(None) => Err(s3_error!(NoSuchBucketPolicy)),
            other => Err(store_error(other)),
        }
    }

    async fn delete_bucket_policy(
        &self,
        req: S3Request<DeleteBucketPolicyInput>,
    ) -> S3Result<S3Response<DeleteBucketPolicyOutput>> {
        let caller = access::caller(&req);
        let operation = Operation::DeleteBucketPolicy {
            bucket: req.input.bucket,
        };
        match self.daemon.operate(caller.as_deref(), operation).await {
            ClientResponse::Done => Ok(S3Response::new(DeleteBucketPolicyOutput::default())),
            other => Err(store_error(other)),
        }
    }

    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let caller = access::caller(&req);
        let caller = caller.as_deref();
        let bucket = req.input.bucket;
        self.done(
            caller,
            ClientRequest::CreateBucket {
                bucket: bucket.clone(),
            },
        )
        .await?;
        Ok(S3Response::new(CreateBucketOutput {
            location: Some(format!("/{bucket}")),
        }))
    }

    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        let caller = access::caller(&req);
        let caller = caller.as_deref();
        self.done(
            caller,
            ClientRequest::DeleteBucket {
                bucket: req.input.bucket,
            },
        )
        .await?;
        Ok(S3Response::new(DeleteBucketOutput {}))
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        let caller = access::caller(&req);
        let caller = caller.as_deref();
        let request = ClientRequest::ListObjects {
            bucket: req.input.bucket,
            prefix: String::new(),
            max_keys: 1,
            continuation: None,
        };
        match self.daemon.request(caller, request).await {
            ClientResponse::Listing(_) => Ok(S3Response::new(HeadBucketOutput::default())),
            other => Err(store_error(other)),
        }
    }

    async fn put_bucket_versioning(
        &self,
        req: S3Request<PutBucketVersioningInput>,
    ) -> S3Result<S3Response<PutBucketVersioningOutput>> {
        let caller = access::caller(&req);
        let caller = caller.as_deref();
        let input = req.input;
        let versioning = match input
            .versioning_configuration
            .status
            .as_ref()
            .map(|s| s.as_str())
        {
            Some(BucketVersioningStatus::ENABLED) => Versioning::Enabled,
            Some(BucketVersioningStatus::SUSPENDED) => Versioning::Suspended,
            other => {
                return Err(s3_error!(
                    MalformedXML,
                    "versioning status {other:?}: expected Enabled or Suspended"
                ));
            }
        };
        self.done(
            caller,
            ClientRequest::PutBucketVersioning {
                bucket: input.bucket,
                versioning,
            },
        )
        .await?;
        Ok(S3Response::new(PutBucketVersioningOutput::default()))
    }

    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let caller = access::caller(&req);
        let caller = caller.as_deref();
        let input = req.input;
        let mut metadata: BTreeMap<String, String> =
            input.metadata.unwrap_or_default().into_iter().collect();
        if metadata.contains_key(ETAG_METADATA) {
            return Err(s3_error!(
                InvalidArgument,
                "user metadata key {ETAG_METADATA} is reserved"
            ));
        }
        let condition = Condition::of(input.if_match.as_ref(), input.if_none_match.as_ref())?;
        let bytes = read_body(input.body).await?;
        let described = blobs::describe(&bytes);
        let condition =
            conditional::resolve(&self.daemon, caller, &input.bucket, &input.key, &condition)
                .await?;
        self.daemon
            .store_blob(&described, bytes)
            .await
            .map_err(|_| {
                s3_error!(
                    ServiceUnavailable,
                    "fewer than W nodes kept the body; nothing was written"
                )
            })?;
        metadata.insert(ETAG_METADATA.to_string(), described.md5.clone());
        let request = ClientRequest::PutObject {
            bucket: input.bucket,
            key: input.key,
            body: described.body,
            metadata,
            condition,
        };
        match self.daemon.request(caller, request).await {
            ClientResponse::Stored { version_id, .. } => Ok(S3Response::new(PutObjectOutput {
                e_tag: Some(ETag::Strong(described.md5)),
                version_id: (version_id != "null").then_some(version_id),
                ..Default::default()
            })),
            other => Err(store_error(other)),
        }
    }

    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let caller = access::caller(&req);
        let caller = caller.as_deref();
        let input = req.input;
        if input.range.is_some() || input.part_number.is_some() {
            return Err(s3_error!(NotImplemented, "ranged GET"));
        }
        let info = self
            .object(caller, &input.bucket, &input.key, input.version_id, false)
            .await?;
        let id = blobs::id_of(&info.meta.etag);
        let (md5, body) = self.daemon.fetch_blob(&id).await.ok_or_else(|| {
            s3_error!(
                ServiceUnavailable,
                "no reachable node holds the object's body"
            )
        })?;
        Ok(S3Response::new(GetObjectOutput {
            content_length: Some(body.len() as i64),
            body: Some(StreamingBlob::from(s3s::Body::from(body))),
            e_tag: Some(ETag::Strong(md5)),
            last_modified: Some(timestamp(info.meta.last_modified_ns)),
            metadata: user_metadata(&info),
            version_id: version_of(&info),
            ..Default::default()
        }))
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        let caller = access::caller(&req);
        let caller = caller.as_deref();
        let input = req.input;
        let info = self
            .object(caller, &input.bucket, &input.key, input.version_id, true)
            .await?;
        Ok(S3Response::new(HeadObjectOutput {
            content_length: Some(info.meta.size() as i64),
            e_tag: Some(ETag::Strong(current_md5(&info))),
            last_modified: Some(timestamp(info.meta.last_modified_ns)),
            metadata: user_metadata(&info),
            version_id: version_of(&info),
            ..Default::default()
        }))
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let caller = access::caller(&req);
        let caller = caller.as_deref();
        let input = req.input;
        let condition = Condition::of(input.if_match.as_ref(), None)?;
        let condition =
            conditional::resolve(&self.daemon, caller, &input.bucket, &input.key, &condition)
                .await?;
        let request = ClientRequest::DeleteObject {
            bucket: input.bucket,
            key: input.key,
            version_id: input.version_id,
            condition,
        };
        match self.daemon.request(caller, request).await {
            ClientResponse::Removed {
                version_id,
                delete_marker,
            } => Ok(S3Response::new(DeleteObjectOutput {
                delete_marker: delete_marker.then_some(true),
                version_id: version_id.filter(|id| id != "null"),
                ..Default::default()
            })),
            other => Err(store_error(other)),
        }
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let caller = access::caller(&req);
        let caller = caller.as_deref();
        let input = req.input;
        if input.delimiter.is_some() || input.start_after.is_some() {
            return Err(s3_error!(
                NotImplemented,
                "ListObjectsV2 with a delimiter or start-after"
            ));
        }
        let max_keys = input.max_keys.unwrap_or(1000).clamp(0, 1000);
        let prefix = input.prefix.clone().unwrap_or_default();
        let request = ClientRequest::ListObjects {
            bucket: input.bucket.clone(),
            prefix: prefix.clone(),
            max_keys: max_keys as u32,
            continuation: token_in(input.continuation_token.as_deref())?,
        };
        let page = match self.daemon.request(caller, request).await {
            ClientResponse::Listing(page) => page,
            other => return Err(store_error(other)),
        };
        let mut contents = Vec::with_capacity(page.objects.len());
        for object in &page.objects {
            let md5 = self
                .listed_md5(caller, &input.bucket, &object.key, &object.etag)
                .await;
            contents.push(Object {
                key: Some(object.key.clone()),
                e_tag: Some(ETag::Strong(md5)),
                size: Some(object.size as i64),
                last_modified: Some(timestamp(object.last_modified_ns)),
                storage_class: Some(ObjectStorageClass::from_static(
                    ObjectStorageClass::STANDARD,
                )),
                ..Default::default()
            });
        }
        Ok(S3Response::new(ListObjectsV2Output {
            name: Some(input.bucket),
            prefix: Some(prefix),
            max_keys: Some(max_keys),
            key_count: Some(contents.len() as i32),
            is_truncated: Some(page.continuation.is_some()),
            continuation_token: input.continuation_token,
            next_continuation_token: token_out(page.continuation),
            contents: Some(contents),
            ..Default::default()
        }))
    }

    async fn list_object_versions(
        &self,
        req: S3Request<ListObjectVersionsInput>,
    ) -> S3Result<S3Response<ListObjectVersionsOutput>> {
        let caller = access::caller(&req);
        let caller = caller.as_deref();
        let input = req.input;
        if input.delimiter.is_some() || input.version_id_marker.is_some() {
            return Err(s3_error!(
                NotImplemented,
                "ListObjectVersions with a delimiter or a version-id marker"
            ));
        }
        let max_keys = input.max_keys.unwrap_or(1000).clamp(0, 1000);
        let prefix = input.prefix.clone().unwrap_or_default();
        let request = ClientRequest::ListObjectVersions {
            bucket: input.bucket.clone(),
            prefix: prefix.clone(),
            max_keys: max_keys as u32,
            // The key marker carries the store's continuation (opaque to clients).
            continuation: token_in(input.key_marker.as_deref())?,
        };
        let page = match self.daemon.request(caller, request).await {
            ClientResponse::Versions(page) => page,
            other => return Err(store_error(other)),
        };
        let (mut versions, mut markers) = (Vec::new(), Vec::new());
        for listed in page.versions {
            match &listed.meta {
                Some(meta) => {
                    let md5 = match meta.metadata.get(ETAG_METADATA) {
                        Some(md5) => md5.clone(),
                        None => blobs::id_of(&meta.etag),
                    };
                    versions.push(ObjectVersion {
                        key: Some(listed.key.clone()),
                        version_id: Some(listed.version_id.clone()),
                        is_latest: Some(listed.is_latest),
                        e_tag: Some(ETag::Strong(md5)),
                        size: Some(meta.size() as i64),
                        last_modified: Some(timestamp(meta.last_modified_ns)),
                        ..Default::default()
                    });
                }
                None => markers.push(DeleteMarkerEntry {
                    key: Some(listed.key.clone()),
                    version_id: Some(listed.version_id.clone()),
                    is_latest: Some(listed.is_latest),
                    ..Default::default()
                }),
            }
        }
        Ok(S3Response::new(ListObjectVersionsOutput {
            name: Some(input.bucket),
            prefix: Some(prefix),
            max_keys: Some(max_keys),
            is_truncated: Some(page.continuation.is_some()),
            key_marker: input.key_marker,
            next_key_marker: token_out(page.continuation),
            versions: Some(versions),
            delete_markers: Some(markers),
            ..Default::default()
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::store_error;
    use s3s::S3ErrorCode;
    use store::ClientResponse;

    /// A refusal before anything was applied is S3's 503 SlowDown (a
    /// definite failure to `storesim drive`); a write that missed its
    /// quorum stays 503 ServiceUnavailable (indeterminate).
    #[test]
    fn a_refusal_is_slow_down_and_a_missed_quorum_is_service_unavailable() {
        let refused = store_error(ClientResponse::Refused);
        assert_eq!(refused.code(), &S3ErrorCode::SlowDown);
        assert_eq!(refused.status_code().map(|s| s.as_u16()), Some(503));
        let missed = store_error(ClientResponse::WriteUnavailable);
        assert_eq!(missed.code(), &S3ErrorCode::ServiceUnavailable);
        assert_eq!(missed.status_code().map(|s| s.as_u16()), Some(503));
    }
}
