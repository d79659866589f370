//! One S3 endpoint, spoken to as a client library would: requests signed
//! by `rusty-s3` (SigV4 presigned URLs: the signature in the query, so any
//! header may be added) and sent by `ureq` on blocking std sockets.
//!
//! **No retries, ever**, so the history records what happened: ureq
//! retries an idempotent request (PUT, DELETE) once when a *pooled*
//! connection turns out closed, which could apply a conditional PUT twice
//! and record the second answer (412) for a write that happened; the agent
//! here keeps no idle connection, so every request opens its own and is sent
//! once. Redirects are not followed either.
//!
//! Each call answers [`Reply`]: what the server said, or why it said
//! nothing. Whether that means `ok`, `fail` or `info` is the workload's call
//! (it knows whether the operation writes).

use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How long a signed URL stays valid: longer than any one request.
const SIGNED_FOR: Duration = Duration::from_secs(3600);

/// Most bytes of a response body read (a GET's body, a LIST page or an
/// error's XML); larger bodies are cut, as no workload writes one.
pub const MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// One endpoint and bucket, with the credentials requests are signed with.
pub struct Endpoint {
    /// The URL as given, for messages.
    pub url: String,
    bucket: Bucket,
    credentials: Credentials,
    agent: ureq::Agent,
    /// Requests sent (or tried) so far.
    sent: AtomicU64,
}

/// What one request came to.
#[derive(Debug)]
pub enum Reply {
    /// The server answered with this status.
    Status(Answer),
    /// Nothing was sent: the connection could not be made (refused, no
    /// route, name unknown). The operation did not happen.
    NotSent(String),
    /// The request may have been sent, and no full answer came back (a
    /// timeout, a reset, an answer that is not HTTP). It may have happened.
    Lost(String),
}

/// A server's answer: status, the headers drive reads, and the body.
#[derive(Debug, Default)]
pub struct Answer {
    pub status: u16,
    /// `x-amz-meta-*` headers, the prefix removed.
    pub meta: BTreeMap<String, String>,
    /// `x-amz-version-id`, if any (versioned buckets; `null` is none).
    pub version_id: Option<String>,
    /// `x-amz-delete-marker: true`.
    pub delete_marker: bool,
    pub body: Vec<u8>,
}

impl Reply {
    /// The history's `error` for a refusal before the key was touched: of
    /// the sender (403 AccessDenied, the one failure a denied request may
    /// see) or of the request (503 SlowDown, see [`Answer::slow_down`]).
    pub fn refused(&self) -> Option<check::history::FailReason> {
        use check::history::FailReason;
        match self {
            Reply::Status(a) if a.access_denied() => Some(FailReason::AccessDenied),
            Reply::Status(a) if a.slow_down() => Some(FailReason::SlowDown),
            _ => None,
        }
    }
}

impl Answer {
    /// The `<Code>` of an S3 error body, if it has one.
    pub fn error_code(&self) -> Option<String> {
        let text = std::str::from_utf8(&self.body).ok()?;
        let start = text.find("<Code>")? + "<Code>".len();
        let end = start + text[start..].find("</Code>")?;
        Some(text[start..end].to_string())
    }

    /// Whether this is S3's refusal of the sender (403 AccessDenied: the
    /// bucket policy or the signature's time), which says nothing of the key.
    pub fn access_denied(&self) -> bool {
        self.status == 403 && self.error_code().as_deref() == Some("AccessDenied")
    }

    /// Whether this is S3's 503 SlowDown: the server shed the request
    /// (throttling) rather than serving it, so a write was not applied — a
    /// `fail`. S3 documents SlowDown as request-rate protection to retry
    /// with backoff, and only of InternalError that the request "might not
    /// have processed" (Error best practices); any other 5xx, a 503
    /// ServiceUnavailable included, stays indeterminate.
    pub fn slow_down(&self) -> bool {
        self.status == 503 && self.error_code().as_deref() == Some("SlowDown")
    }

    /// `status` and S3 code, for messages (`403 SignatureDoesNotMatch`).
    pub fn describe(&self) -> String {
        match self.error_code() {
            Some(code) => format!("{} {code}", self.status),
            None => self.status.to_string(),
        }
    }
}

/// A PUT's condition (S3's conditional writes).
pub enum Condition {
    /// `If-None-Match: *`: only if the key is absent.
    Absent,
    /// `If-Match: ETAG`: only if the current version has this ETag.
    Matches(String),
}

impl Endpoint {
    /// `url`'s `bucket`, path-style (`http://host:port/bucket/key`, what
    /// local servers expect), each request given `timeout` in all.
    pub fn new(
        url: &str,
        bucket: &str,
        credentials: Credentials,
        timeout: Duration,
    ) -> Result<Endpoint, String> {
        let parsed: url::Url = url.parse().map_err(|e| format!("not a URL ({e})"))?;
        let bucket = Bucket::new(parsed, UrlStyle::Path, bucket.to_string(), "us-east-1")
            .map_err(|e| format!("cannot address bucket {bucket:?} there ({e})"))?;
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(timeout)
            .timeout(timeout)
            .max_idle_connections(0)
            .max_idle_connections_per_host(0)
            .redirects(0)
            .build();
        Ok(Endpoint {
            url: url.to_string(),
            bucket,
            credentials,
            agent,
            sent: AtomicU64::new(0),
        })
    }

    /// GetObject.
    pub fn get(&self, key: &str) -> Reply {
        self.get_version(key, None)
    }

    /// GetObject, of version `version` (`?versionId=`) if given.
    pub fn get_version(&self, key: &str, version: Option<&str>) -> Reply {
        let mut action = self.bucket.get_object(Some(&self.credentials), key);
        if let Some(id) = version {
            action.query_mut().insert("versionId", id);
        }
        let url = action.sign(SIGNED_FOR);
        self.send(self.agent.request_url("GET", &url), None)
    }

    /// PutObject of `body` with user metadata `meta`, under `condition`.
    pub fn put(
        &self,
        key: &str,
        body: &[u8],
        meta: &BTreeMap<String, String>,
        condition: Option<&Condition>,
    ) -> Reply {
        let action = self.bucket.put_object(Some(&self.credentials), key);
        let url = action.sign(SIGNED_FOR);
        let mut request = self.agent.request_url("PUT", &url);
        for (name, value) in meta {
            request = request.set(&format!("x-amz-meta-{name}"), value);
        }
        request = match condition {
            None => request,
            Some(Condition::Absent) => request.set("If-None-Match", "*"),
            Some(Condition::Matches(etag)) => request.set("If-Match", etag),
        };
        self.send(request, Some(body))
    }

    /// DeleteObject, of version `version` (`?versionId=`: permanent) if given.
    pub fn delete_version(&self, key: &str, version: Option<&str>) -> Reply {
        let mut action = self.bucket.delete_object(Some(&self.credentials), key);
        if let Some(id) = version {
            action.query_mut().insert("versionId", id);
        }
        let url = action.sign(SIGNED_FOR);
        self.send(self.agent.request_url("DELETE", &url), None)
    }

    /// One ListObjectVersions page (`GET /bucket?versions`; rusty-s3 0.11 has
    /// no such action, so ListObjectsV2's is signed with its query changed),
    /// after `key_marker` / `version_marker` (the previous page's `Next…`).
    pub fn list_versions_page(
        &self,
        prefix: &str,
        max_keys: usize,
        key_marker: Option<&str>,
        version_marker: Option<&str>,
    ) -> Reply {
        let mut action = self.bucket.list_objects_v2(Some(&self.credentials));
        let query = action.query_mut();
        query.remove("list-type");
        query.remove("encoding-type");
        query.insert("versions", "");
        query.insert("prefix", prefix);
        query.insert("max-keys", max_keys.to_string());
        if let Some(marker) = key_marker {
            query.insert("key-marker", marker);
        }
        if let Some(marker) = version_marker {
            query.insert("version-id-marker", marker);
        }
        let url = action.sign(SIGNED_FOR);
        self.send(self.agent.request_url("GET", &url), None)
    }

    /// PutBucketVersioning (`PUT /bucket?versioning`; rusty-s3 0.11 has no
    /// such action, so CreateBucket's is signed with `versioning` added):
    /// `status` is `Enabled` or `Suspended`.
    pub fn put_versioning(&self, status: &str) -> Reply {
        let mut action = self.bucket.create_bucket(&self.credentials);
        action.query_mut().insert("versioning", "");
        let url = action.sign(SIGNED_FOR);
        let body = format!(
            "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>{status}</Status></VersioningConfiguration>"
        );
        self.send(self.agent.request_url("PUT", &url), Some(body.as_bytes()))
    }

    /// One ListObjectsV2 page.
    pub fn list_page(&self, prefix: &str, max_keys: usize, continuation: Option<&str>) -> Reply {
        let mut action = self.bucket.list_objects_v2(Some(&self.credentials));
        action.with_prefix(prefix);
        action.with_max_keys(max_keys);
        if let Some(token) = continuation {
            action.with_continuation_token(token);
        }
        let url = action.sign(SIGNED_FOR);
        self.send(self.agent.request_url("GET", &url), None)
    }

    /// CreateBucket.
    pub fn create_bucket(&self) -> Reply {
        let action = self.bucket.create_bucket(&self.credentials);
        let body = action.body();
        let url = action.sign(SIGNED_FOR);
        self.send(self.agent.request_url("PUT", &url), Some(body.as_bytes()))
    }

    /// PutBucketPolicy of `policy` (S3's JSON document): CreateBucket's
    /// signed `PUT /bucket` with the `policy` subresource in its query
    /// (rusty-s3 has no PutBucketPolicy action; the signature covers the
    /// query, so this is the request S3 expects).
    pub fn put_bucket_policy(&self, policy: &str) -> Reply {
        let mut action = self.bucket.create_bucket(&self.credentials);
        action.query_mut().insert("policy", "");
        let url = action.sign(SIGNED_FOR);
        self.send(self.agent.request_url("PUT", &url), Some(policy.as_bytes()))
    }

    /// Requests sent (or tried) through this endpoint so far.
    pub fn requests(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    fn send(&self, request: ureq::Request, body: Option<&[u8]>) -> Reply {
        self.sent.fetch_add(1, Ordering::Relaxed);
        let result = match body {
            Some(bytes) => request.send_bytes(bytes),
            None => request.call(),
        };
        let response = match result {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(ureq::Error::Transport(t)) => {
                let why = t.to_string();
                return match t.kind() {
                    ureq::ErrorKind::ConnectionFailed | ureq::ErrorKind::Dns => Reply::NotSent(why),
                    _ => Reply::Lost(why),
                };
            }
        };
        let meta = (response.headers_names().into_iter())
            .filter_map(|name| {
                let short = name.strip_prefix("x-amz-meta-")?.to_string();
                Some((short, response.header(&name)?.to_string()))
            })
            .collect();
        let mut answer = Answer {
            status: response.status(),
            meta,
            version_id: (response.header("x-amz-version-id"))
                .filter(|id| *id != "null")
                .map(str::to_string),
            delete_marker: response.header("x-amz-delete-marker") == Some("true"),
            body: Vec::new(),
        };
        let read = (response.into_reader())
            .take(MAX_BODY_BYTES)
            .read_to_end(&mut answer.body);
        match read {
            Ok(_) => Reply::Status(answer),
            Err(e) => Reply::Lost(format!("the answer's body was cut off ({e})")),
        }
    }
}
