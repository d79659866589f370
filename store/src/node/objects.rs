//! The S3 surface's coordinator: buckets and object versions, under every
//! protocol.
//!
//! A bucket is one store key holding its configuration (a [`Record::Bucket`]),
//! read and written by the protocol's register rules. An object is the set of
//! its versions, each a store key of its own (see [`crate::keyspace`]): PUT
//! writes one version (the `null` one unless versioning is enabled), GET
//! reads them all with the protocol's read rule ([`super::range`]) and
//! returns the newest live one. "Newest" is the greatest entry version, so a
//! new version must be above every version of the object under `abd` (its
//! query reads the object's versions) and under the timestamp rules that
//! query; under the coordinator-clock rule LWW decides, skew and all.
//!
//! Every object request first reads the bucket (the protocol's read of one
//! key): a missing bucket answers `NoSuchBucket` and writes nothing.

use super::Node;
use super::coordinator::{Unavailable, refusal};
use super::range::MAX_OBJECT_ENTRIES;
use super::stamp::Target;
use crate::bucket::{BucketMeta, Versioning, bucket_name_error};
use crate::clock::Clock;
use crate::config::{MAX_RESTAMPS, Protocol, Timestamps};
use crate::disk::Disk;
use crate::keyspace::{NULL_VERSION, bucket_key, object_key_error, object_prefix, version_key};
use crate::message::{ClientRequest, ClientResponse};
use crate::object::{Body, MAX_BODY_BYTES, MAX_METADATA_BYTES, ObjectMeta, metadata_bytes};
use crate::s3::{Condition, ObjectInfo, S3Error};
use crate::transport::Transport;
use crate::version::{Entry, Record, Version};
use std::collections::BTreeMap;
use std::sync::Arc;

/// An answer that ends a request early.
type Early = ClientResponse;

fn invalid(why: String) -> ClientResponse {
    ClientResponse::Error(S3Error::InvalidArgument(why))
}

impl<T: Transport, C: Clock, D: Disk> Node<T, C, D> {
    /// Serves a bucket, object or listing request.
    pub(super) async fn coordinate_s3(self: &Arc<Self>, request: ClientRequest) -> ClientResponse {
        let answer = match request {
            ClientRequest::CreateBucket { bucket } => self.create_bucket(&bucket).await,
            ClientRequest::DeleteBucket { bucket } => self.delete_bucket(&bucket).await,
            ClientRequest::PutBucketVersioning { bucket, versioning } => {
                self.put_bucket_versioning(&bucket, versioning).await
            }
            ClientRequest::PutObject {
                bucket,
                key,
                body,
                metadata,
                condition,
            } => {
                self.put_object(&bucket, &key, body, metadata, condition.as_ref())
                    .await
            }
            ClientRequest::GetObject {
                bucket,
                key,
                version_id,
            }
            | ClientRequest::HeadObject {
                bucket,
                key,
                version_id,
            } => self.get_object(&bucket, &key, version_id.as_deref()).await,
            ClientRequest::DeleteObject {
                bucket,
                key,
                version_id,
                condition,
            } => {
                self.delete_object(&bucket, &key, version_id.as_deref(), condition.as_ref())
                    .await
            }
            ClientRequest::ListObjects {
                bucket,
                prefix,
                max_keys,
                continuation,
            } => match self.bucket(&bucket).await {
                Ok(_) => Ok(self
                    .list_objects(&bucket, &prefix, max_keys, continuation)
                    .await),
                Err(early) => Err(early),
            },
            ClientRequest::ListObjectVersions {
                bucket,
                prefix,
                max_keys,
                continuation,
            } => match self.bucket(&bucket).await {
                Ok(_) => Ok(self
                    .list_versions(&bucket, &prefix, max_keys, continuation)
                    .await),
                Err(early) => Err(early),
            },
            ClientRequest::Get { .. }
            | ClientRequest::Put { .. }
            | ClientRequest::Delete { .. }
            | ClientRequest::Cas { .. } => Err(invalid("a register request".into())),
        };
        answer.unwrap_or_else(|early| early)
    }

    /// CreateBucket: read the bucket key, write it if absent. Not atomic
    /// (two concurrent creates both succeed; the bucket exists either way).
    async fn create_bucket(self: &Arc<Self>, bucket: &str) -> Result<ClientResponse, Early> {
        if let Some(why) = bucket_name_error(bucket) {
            return Err(invalid(why));
        }
        if self.read_bucket(bucket).await?.is_some() {
            return Err(ClientResponse::Error(S3Error::BucketAlreadyOwnedByYou));
        }
        let meta = BucketMeta {
            versioning: Versioning::Off,
        };
        self.write_point(bucket_key(bucket), Some(Record::Bucket(meta)))
            .await
    }

    /// DeleteBucket: refused unless no object version or marker is listed.
    async fn delete_bucket(self: &Arc<Self>, bucket: &str) -> Result<ClientResponse, Early> {
        self.bucket(bucket).await?;
        match self.bucket_has_versions(bucket).await {
            Err(Unavailable) => Err(ClientResponse::ReadUnavailable),
            Ok(true) => Err(ClientResponse::Error(S3Error::BucketNotEmpty)),
            Ok(false) => self.write_point(bucket_key(bucket), None).await,
        }
    }

    async fn put_bucket_versioning(
        self: &Arc<Self>,
        bucket: &str,
        versioning: Versioning,
    ) -> Result<ClientResponse, Early> {
        if versioning == Versioning::Off {
            return Err(invalid(
                "versioning can be Enabled or Suspended, not Off".into(),
            ));
        }
        self.bucket(bucket).await?;
        let meta = BucketMeta { versioning };
        self.write_point(bucket_key(bucket), Some(Record::Bucket(meta)))
            .await
    }

    async fn put_object(
        self: &Arc<Self>,
        bucket: &str,
        key: &str,
        body: Body,
        metadata: BTreeMap<String, String>,
        condition: Option<&Condition>,
    ) -> Result<ClientResponse, Early> {
        if let Some(why) = object_key_error(key) {
            return Err(invalid(why));
        }
        if metadata_bytes(&metadata) > MAX_METADATA_BYTES {
            return Err(invalid(format!(
                "user metadata over {MAX_METADATA_BYTES} bytes"
            )));
        }
        if body.size > MAX_BODY_BYTES {
            return Err(invalid(format!("a body over {MAX_BODY_BYTES} bytes")));
        }
        let versioning = self.bucket(bucket).await?.versioning;
        if self.config.protocol == Protocol::Paxos {
            let meta = ObjectMeta {
                etag: body.etag(),
                body,
                metadata,
                last_modified_ns: self.clock.now_ns(),
            };
            return Ok(self
                .paxos_put_object(bucket, key, meta, condition, versioning)
                .await);
        }
        let prefix = object_prefix(bucket, key);
        self.read_then_check(&prefix, condition).await?;
        let version = self
            .object_version(&prefix, versioning == Versioning::Enabled)
            .await?;
        let version_id = match versioning {
            Versioning::Enabled => version.version_id(),
            Versioning::Off | Versioning::Suspended => NULL_VERSION.to_string(),
        };
        let etag = body.etag();
        let meta = ObjectMeta {
            body,
            etag: etag.clone(),
            metadata,
            last_modified_ns: self.clock.now_ns(),
        };
        let entry = Entry::record(version, Some(Record::Object(meta)));
        if self
            .write_stamped(version_key(bucket, key, &version_id), entry)
            .await
        {
            Ok(ClientResponse::Stored { version_id, etag })
        } else {
            Err(ClientResponse::WriteUnavailable)
        }
    }

    async fn get_object(
        self: &Arc<Self>,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<ClientResponse, Early> {
        if let Some(why) = object_key_error(key) {
            return Err(invalid(why));
        }
        let versioning = self.bucket(bucket).await?.versioning;
        if self.config.protocol == Protocol::Paxos {
            return Ok(self
                .paxos_get_object(bucket, key, version_id, versioning)
                .await);
        }
        let prefix = object_prefix(bucket, key);
        let versions =
            (self.read_range(&prefix).await).map_err(|_| ClientResponse::ReadUnavailable)?;
        let (id, entry) = match version_id {
            None => match current(&prefix, &versions) {
                None => return Err(no_such_key(None)),
                Some((id, entry)) => (id.to_string(), entry),
            },
            Some(id) => match versions.get(&format!("{prefix}{id}")) {
                Some(entry) if !entry.is_tombstone() => (id.to_string(), entry),
                _ => return Err(ClientResponse::Error(S3Error::NoSuchVersion)),
            },
        };
        match (&entry.record, version_id) {
            (Some(Record::Object(meta)), _) => Ok(ClientResponse::Object(Box::new(ObjectInfo {
                key: key.to_string(),
                version_id: id,
                meta: meta.clone(),
            }))),
            (_, None) => Err(no_such_key(Some(id))),
            (_, Some(_)) => Err(ClientResponse::Error(S3Error::MethodNotAllowed)),
        }
    }

    async fn delete_object(
        self: &Arc<Self>,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        condition: Option<&Condition>,
    ) -> Result<ClientResponse, Early> {
        if let Some(why) = object_key_error(key) {
            return Err(invalid(why));
        }
        match condition {
            Some(Condition::IfNoneMatch) => {
                return Err(invalid(
                    "DeleteObject takes If-Match, not If-None-Match".into(),
                ));
            }
            Some(Condition::IfMatch(_)) if version_id.is_some() => {
                return Err(invalid(
                    "a conditional DeleteObject applies to the current version: no versionId"
                        .into(),
                ));
            }
            _ => {}
        }
        let versioning = self.bucket(bucket).await?.versioning;
        if self.config.protocol == Protocol::Paxos {
            return Ok(self
                .paxos_delete_object(bucket, key, version_id, condition, versioning)
                .await);
        }
        let prefix = object_prefix(bucket, key);
        let (id, record, version) = match (version_id, versioning) {
            (Some(id), _) => return self.delete_version(&prefix, id).await,
            (None, Versioning::Off) => {
                self.read_then_check(&prefix, condition).await?;
                let version = self.object_version(&prefix, false).await?;
                (NULL_VERSION.to_string(), None, version)
            }
            (None, Versioning::Suspended) => {
                self.read_then_check(&prefix, condition).await?;
                let version = self.object_version(&prefix, false).await?;
                (
                    NULL_VERSION.to_string(),
                    Some(Record::DeleteMarker),
                    version,
                )
            }
            (None, Versioning::Enabled) => {
                self.read_then_check(&prefix, condition).await?;
                let version = self.object_version(&prefix, true).await?;
                (version.version_id(), Some(Record::DeleteMarker), version)
            }
        };
        // Versioning off removes the `null` version and names no version.
        let delete_marker = record.is_some();
        let answered = delete_marker.then(|| id.clone());
        self.remove(
            format!("{prefix}{id}"),
            version,
            record,
            answered,
            delete_marker,
        )
        .await
    }

    /// DELETE by version id: a tombstone above that version (no marker). A
    /// version the read does not find is answered as removed, without a
    /// write (deleting is idempotent).
    async fn delete_version(
        self: &Arc<Self>,
        prefix: &str,
        id: &str,
    ) -> Result<ClientResponse, Early> {
        let versions =
            (self.read_range(prefix).await).map_err(|_| ClientResponse::ReadUnavailable)?;
        let store_key = format!("{prefix}{id}");
        let Some(target) = versions
            .get(&store_key)
            .filter(|entry| !entry.is_tombstone())
        else {
            return Ok(ClientResponse::Removed {
                version_id: Some(id.to_string()),
                delete_marker: false,
            });
        };
        let delete_marker = target.record == Some(Record::DeleteMarker);
        // Above every version of the object, so the tombstone wins whatever the clocks.
        let newest = versions.values().map(|entry| entry.version).max();
        let version = match self.config.protocol {
            // Paxos never gets here: objects_paxos removes versions in its rounds.
            Protocol::Abd | Protocol::Paxos => self.next_abd_version(newest),
            Protocol::Eventual | Protocol::Quorum => self.next_version_above(newest),
        };
        let answered = Some(id.to_string());
        self.remove(store_key, version, None, answered, delete_marker)
            .await
    }

    /// The write that ends a DELETE: `record` (a marker, or `None`: a
    /// tombstone) at `store_key`, answered `Removed` with `version_id` and
    /// `delete_marker`, or `WriteUnavailable`.
    async fn remove(
        self: &Arc<Self>,
        store_key: String,
        version: Version,
        record: Option<Record>,
        version_id: Option<String>,
        delete_marker: bool,
    ) -> Result<ClientResponse, Early> {
        if self
            .write_stamped(store_key, Entry::record(version, record))
            .await
        {
            Ok(ClientResponse::Removed {
                version_id,
                delete_marker,
            })
        } else {
            Err(ClientResponse::WriteUnavailable)
        }
    }

    /// A conditional write's condition under the read-then-write protocols
    /// (`eventual`, `quorum`, `abd`): the protocol's read of the object,
    /// then the condition judged on its current version. Not atomic with
    /// the write that follows (see [`Condition`]); `paxos` judges it inside
    /// its round instead.
    async fn read_then_check(
        self: &Arc<Self>,
        prefix: &str,
        condition: Option<&Condition>,
    ) -> Result<(), Early> {
        let Some(condition) = condition else {
            return Ok(());
        };
        // A failed read wrote nothing: certain, so not `WriteUnavailable`.
        let versions =
            (self.read_range(prefix).await).map_err(|_| ClientResponse::ReadUnavailable)?;
        let etag = match current(prefix, &versions).map(|(_, entry)| &entry.record) {
            Some(Some(Record::Object(meta))) => Some(meta.etag.as_str()),
            _ => None,
        };
        match refusal(condition.expected_etag(), etag) {
            None => Ok(()),
            Some(refused) => Err(refused),
        }
    }

    /// The version of a new write to the object under `prefix`. When
    /// `adds_a_version` (versioning enabled: a new store key), the object's
    /// versions are read first to refuse a write past [`MAX_OBJECT_ENTRIES`];
    /// `abd` and the querying timestamp rules read them anyway.
    async fn object_version(
        self: &Arc<Self>,
        prefix: &str,
        adds_a_version: bool,
    ) -> Result<Version, Early> {
        if !adds_a_version {
            return (self.fresh_version(Target::Range(prefix)).await)
                .map_err(|_| ClientResponse::WriteUnavailable);
        }
        let answers =
            (self.query_range(prefix).await).map_err(|_| ClientResponse::WriteUnavailable)?;
        let keys: std::collections::BTreeSet<&str> = (answers.iter())
            .flat_map(|(_, entries)| entries.iter().map(|(key, _)| key.as_str()))
            .collect();
        if keys.len() >= MAX_OBJECT_ENTRIES {
            return Err(ClientResponse::Error(S3Error::TooManyVersions));
        }
        let newest = (answers.iter())
            .flat_map(|(_, entries)| entries.iter().map(|(_, entry)| entry.version))
            .max();
        Ok(self.version_above(newest))
    }

    /// The bucket's configuration, or the answer that ends the request:
    /// `InvalidArgument` (bad name), `NoSuchBucket`, `ReadUnavailable`.
    async fn bucket(self: &Arc<Self>, bucket: &str) -> Result<BucketMeta, Early> {
        if let Some(why) = bucket_name_error(bucket) {
            return Err(invalid(why));
        }
        self.read_bucket(bucket)
            .await?
            .ok_or(ClientResponse::Error(S3Error::NoSuchBucket))
    }

    /// The protocol's read of the bucket's key: `None` if it does not exist.
    async fn read_bucket(self: &Arc<Self>, bucket: &str) -> Result<Option<BucketMeta>, Early> {
        let key = bucket_key(bucket);
        let read = match self.config.protocol {
            Protocol::Abd | Protocol::Paxos => self.abd_read(&key).await,
            Protocol::Eventual | Protocol::Quorum => self.quorum_read(&key).await,
        };
        match read {
            Err(Unavailable) => Err(ClientResponse::ReadUnavailable),
            Ok(Some(Entry {
                record: Some(Record::Bucket(meta)),
                ..
            })) => Ok(Some(meta)),
            Ok(_) => Ok(None),
        }
    }

    /// Writes `record` (`None`: a tombstone) to one store key with a fresh
    /// version: `Done` or `WriteUnavailable`.
    async fn write_point(
        self: &Arc<Self>,
        key: String,
        record: Option<Record>,
    ) -> Result<ClientResponse, Early> {
        let version = (self.fresh_version(Target::Key(&key)).await)
            .map_err(|_| ClientResponse::WriteUnavailable)?;
        if self
            .write_stamped(key, Entry::record(version, record))
            .await
        {
            Ok(ClientResponse::Done)
        } else {
            Err(ClientResponse::WriteUnavailable)
        }
    }

    /// Writes `entry` to W replicas of `key`. Under the LWW protocols with
    /// [`Timestamps::CompletesLast`], a replica that holds a newer version
    /// says so, and the write is re-stamped above it and sent again (at most
    /// [`MAX_RESTAMPS`] times), so that it is the newest where it completes.
    pub(super) async fn write_stamped(self: &Arc<Self>, key: String, mut entry: Entry) -> bool {
        let restamps = !matches!(self.config.protocol, Protocol::Abd | Protocol::Paxos)
            && self.config.timestamps == Timestamps::CompletesLast;
        if !restamps {
            return self.write_entry(key, entry).await;
        }
        // Bounded: MAX_RESTAMPS + 1 attempts.
        for _ in 0..=MAX_RESTAMPS {
            let (acked, behind) = self.write_entry_reporting(key.clone(), entry.clone()).await;
            match behind {
                Some(newer) if newer > entry.version => {
                    entry.version = self.next_version_above(Some(newer));
                }
                _ => return acked,
            }
        }
        false
    }
}

/// The newest live version (object or marker) among an object's versions:
/// `(version id, entry)`.
fn current<'a>(
    prefix: &str,
    versions: &'a BTreeMap<String, Entry>,
) -> Option<(&'a str, &'a Entry)> {
    (versions.iter())
        .filter(|(_, entry)| entry.record.is_some())
        .max_by_key(|(_, entry)| entry.version)
        .and_then(|(key, entry)| Some((key.strip_prefix(prefix)?, entry)))
}

fn no_such_key(delete_marker: Option<String>) -> ClientResponse {
    ClientResponse::Error(S3Error::NoSuchKey { delete_marker })
}
