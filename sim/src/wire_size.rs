//! A message's size on the wire, which a link with a bandwidth spends
//! `size / bandwidth` sending (see `fate::Fates::transit`).
//!
//! The simulated store never serialises its messages, so the size is a
//! model, documented here and nowhere else: [`HEADER_BYTES`] per message,
//! plus the payload — the strings it carries (keys, values, prefixes, ids,
//! ETags, metadata), [`ENTRY_BYTES`] per stored entry (version and flags),
//! and the full `size` of every object body it carries. Bodies are
//! descriptors (`store::object::Body`), so a 1 MB body costs 1 MB on the
//! wire without 1 MB in memory.
//!
//! Which messages carry a body: a PUT (client to coordinator), every
//! replica write of an object version (`replica-write`, `-hinted-write`,
//! `-write-all`, `-accept`, anti-entropy `-sync` and membership `-stream`
//! pages, both ways), a replica's `read` or paxos `promised` answer, and a
//! GET's answer to the client. A `replica-scan` answer carries metadata
//! only: a scan serves listings (which never move bodies) and a GET's
//! version lookup, after which the coordinator returns the chosen body —
//! the model charges that body once, on the answer to the client. HEAD's
//! answer is the same message as GET's in this store (the object's
//! metadata, its size included), but on the wire a HEAD response carries
//! no body: the server says which request a response answers
//! ([`answering`]) and [`response_bytes`] leaves the body out for HEAD.
//! Answers without an object (`NotFound`, errors, unavailability) carry
//! their fields only, and listings their keys and ETags, never bodies.
//!
//! Not modelled: a paxos round's `promised` answers carry the register's
//! entry, body included, also when the round serves a HEAD or GET (the
//! prepare does not say what the round is for).

use store::object::ObjectMeta;
use store::s3::{ListPage, VersionsPage};
use store::version::{Entry, Record};
use store::{ClientRequest, ClientResponse, ReplicaRequest, ReplicaResponse, Request, Response};

/// Bytes every message costs besides its payload: a TCP/IP frame's 40
/// bytes of headers plus an RPC header (sender, addressee, kind, reply tag).
pub const HEADER_BYTES: u64 = 100;

/// Bytes of one stored entry besides its key, value and record: its
/// version (timestamp and node) and flags.
pub const ENTRY_BYTES: u64 = 16;

/// Bytes of a fixed-size field (a number, a version, a flag) in an answer.
const FIELD_BYTES: u64 = 8;

/// The size of `request` on the wire.
pub fn request_bytes(request: &Request) -> u64 {
    HEADER_BYTES
        + match request {
            Request::Client(c) => client_request(c),
            Request::Replica(r) => replica_request(r),
            Request::Signed(signed) => signed_request(signed),
        }
}

/// A signed request: its authorisation header (access key, time, expiry,
/// signature) and the operation it carries.
fn signed_request(signed: &store::auth::Signed) -> u64 {
    let a = &signed.authorization;
    let header = len(&a.access_key) + len(&a.signature) + 2 * FIELD_BYTES;
    header
        + match &signed.operation {
            store::auth::Operation::Client(c) => client_request(c),
            store::auth::Operation::PutBucketPolicy { bucket, policy } => len(bucket) + len(policy),
            store::auth::Operation::DeleteBucketPolicy { bucket }
            | store::auth::Operation::GetBucketPolicy { bucket } => len(bucket),
        }
}

/// What a response answers, as far as its size goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Answering {
    /// A HeadObject (signed or not): the object's metadata without its body.
    Head,
    /// Anything else: an object in the answer travels with its body.
    #[default]
    Other,
}

/// What the response to `request` answers (see [`Answering`]).
pub fn answering(request: &Request) -> Answering {
    let client = match request {
        Request::Client(c) => c,
        Request::Signed(signed) => match &signed.operation {
            store::auth::Operation::Client(c) => c,
            _ => return Answering::Other,
        },
        Request::Replica(_) => return Answering::Other,
    };
    match client {
        ClientRequest::HeadObject { .. } => Answering::Head,
        _ => Answering::Other,
    }
}

/// The size of `response` on the wire, answering `answering`.
pub fn response_bytes(response: &Response, answering: Answering) -> u64 {
    HEADER_BYTES
        + match response {
            Response::Client(c) => client_response(c, answering),
            Response::Replica(r) => replica_response(r),
        }
}

fn len(s: &str) -> u64 {
    s.len() as u64
}

fn opt(s: &Option<String>) -> u64 {
    s.as_deref().map_or(0, len)
}

/// A conditional header: `If-None-Match: *` or `If-Match: <ETag>`.
fn condition_bytes(c: &Option<store::s3::Condition>) -> u64 {
    match c {
        None => 0,
        Some(store::s3::Condition::IfNoneMatch) => FIELD_BYTES,
        Some(store::s3::Condition::IfMatch(etag)) => FIELD_BYTES + len(etag),
    }
}

fn client_request(c: &ClientRequest) -> u64 {
    match c {
        ClientRequest::Get { key } | ClientRequest::Delete { key } => len(key),
        ClientRequest::Put { key, value } => len(key) + len(value),
        ClientRequest::Cas { key, from, to } => len(key) + opt(from) + len(to),
        ClientRequest::CreateBucket { bucket } | ClientRequest::DeleteBucket { bucket } => {
            len(bucket)
        }
        ClientRequest::PutBucketVersioning { bucket, .. } => len(bucket) + FIELD_BYTES,
        ClientRequest::PutObject {
            bucket,
            key,
            body,
            metadata,
            condition,
        } => {
            len(bucket)
                + len(key)
                + body.size
                + store::object::metadata_bytes(metadata) as u64
                + condition_bytes(condition)
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
        } => len(bucket) + len(key) + opt(version_id),
        ClientRequest::DeleteObject {
            bucket,
            key,
            version_id,
            condition,
        } => len(bucket) + len(key) + opt(version_id) + condition_bytes(condition),
        ClientRequest::ListObjects {
            bucket,
            prefix,
            continuation,
            ..
        }
        | ClientRequest::ListObjectVersions {
            bucket,
            prefix,
            continuation,
            ..
        } => len(bucket) + len(prefix) + FIELD_BYTES + opt(continuation),
    }
}

fn client_response(c: &ClientResponse, answering: Answering) -> u64 {
    match c {
        ClientResponse::Value(v) => opt(v),
        ClientResponse::Object(info) => {
            let body = match answering {
                Answering::Head => Body::Left,
                Answering::Other => Body::Carried,
            };
            len(&info.key) + len(&info.version_id) + object(&info.meta, body)
        }
        ClientResponse::Stored { version_id, etag } => len(version_id) + len(etag),
        ClientResponse::Removed { version_id, .. } => opt(version_id) + FIELD_BYTES,
        ClientResponse::Listing(page) => listing(page),
        ClientResponse::Versions(page) => versions(page),
        ClientResponse::Done
        | ClientResponse::PreconditionFailed
        | ClientResponse::ConditionalConflict
        | ClientResponse::NotFound
        | ClientResponse::ReadUnavailable
        | ClientResponse::WriteUnavailable
        | ClientResponse::Refused
        | ClientResponse::Error(_) => 0,
    }
}

fn replica_request(r: &ReplicaRequest) -> u64 {
    match r {
        ReplicaRequest::Read { key } => len(key),
        ReplicaRequest::Write { key, entry }
        | ReplicaRequest::Accept { key, entry }
        | ReplicaRequest::HintedWrite { key, entry, .. } => len(key) + self::entry(entry),
        ReplicaRequest::Sync { range, entries, .. } => {
            len(&range.start) + opt(&range.end) + entries_bytes(entries, Body::Carried)
        }
        ReplicaRequest::Scan { prefix, after, .. } => len(prefix) + opt(after) + FIELD_BYTES,
        ReplicaRequest::WriteAll { entries } => entries_bytes(entries, Body::Carried),
        ReplicaRequest::Prepare { key, .. } => len(key) + FIELD_BYTES,
        ReplicaRequest::Layout { layout } => {
            FIELD_BYTES * (1 + layout.members.len() + layout.removed.len()) as u64
        }
        ReplicaRequest::Stream { after, .. } => opt(after) + 3 * FIELD_BYTES,
    }
}

fn replica_response(r: &ReplicaResponse) -> u64 {
    match r {
        ReplicaResponse::Read(e) | ReplicaResponse::Promised { accepted: e } => {
            e.as_ref().map_or(0, entry)
        }
        ReplicaResponse::Sync { entries } => entries_bytes(entries, Body::Carried),
        ReplicaResponse::Stream { entries, next } => {
            entries_bytes(entries, Body::Carried) + opt(next)
        }
        ReplicaResponse::Scan { entries, .. } => entries_bytes(entries, Body::Left),
        ReplicaResponse::WrittenBehind { .. }
        | ReplicaResponse::Rejected { .. }
        | ReplicaResponse::LayoutHeld { .. } => FIELD_BYTES * 2,
        ReplicaResponse::Written
        | ReplicaResponse::Refused
        | ReplicaResponse::Rebuilding
        | ReplicaResponse::Failed
        | ReplicaResponse::Accepted => 0,
    }
}

/// Whether an object's body travels with its metadata.
#[derive(Clone, Copy)]
enum Body {
    Carried,
    Left,
}

fn entry(e: &Entry) -> u64 {
    entry_with(e, Body::Carried)
}

fn entry_with(e: &Entry, body: Body) -> u64 {
    let record = match &e.record {
        Some(Record::Object(meta)) => object(meta, body),
        Some(Record::Bucket(_)) => FIELD_BYTES,
        Some(Record::DeleteMarker) | None => 0,
        // paxos's version list: each version's id, stamp and metadata; a
        // body travels only with the newest (the write that adds it).
        Some(Record::Versions(list)) => (list.iter().enumerate())
            .map(|(i, v)| {
                let carried = if i + 1 == list.len() {
                    body
                } else {
                    Body::Left
                };
                let meta = v.object.as_ref().map_or(0, |m| object(m, carried));
                len(&v.id) + FIELD_BYTES + meta
            })
            .sum(),
    };
    ENTRY_BYTES + opt(&e.value) + record
}

/// Bounded by the message: one pass over its entries.
fn entries_bytes(entries: &[(String, Entry)], body: Body) -> u64 {
    (entries.iter())
        .map(|(key, e)| len(key) + entry_with(e, body))
        .sum()
}

fn object(meta: &ObjectMeta, body: Body) -> u64 {
    let carried = match body {
        Body::Carried => meta.body.size,
        Body::Left => 0,
    };
    FIELD_BYTES * 3
        + len(&meta.etag)
        + store::object::metadata_bytes(&meta.metadata) as u64
        + carried
}

fn listing(page: &ListPage) -> u64 {
    let item = |o: &store::s3::ListedObject| len(&o.key) + len(&o.etag) + FIELD_BYTES * 2;
    page.objects.iter().map(item).sum::<u64>() + opt(&page.continuation)
}

fn versions(page: &VersionsPage) -> u64 {
    let item = |v: &store::s3::ListedVersion| {
        len(&v.key)
            + len(&v.version_id)
            + FIELD_BYTES
            + v.meta.as_ref().map_or(0, |m| object(m, Body::Left))
    };
    page.versions.iter().map(item).sum::<u64>() + opt(&page.continuation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::object::Body as Descriptor;
    use store::version::Version;

    fn meta(size: u64) -> ObjectMeta {
        let body = Descriptor {
            writer: 1,
            sequence: 2,
            size,
        };
        ObjectMeta {
            etag: body.etag(),
            body,
            metadata: Default::default(),
            last_modified_ns: 0,
        }
    }

    #[test]
    fn object_bodies_count_their_size_where_they_travel() {
        let put = Request::Client(ClientRequest::PutObject {
            bucket: "b".into(),
            key: "k".into(),
            body: meta(1_000_000).body,
            metadata: Default::default(),
            condition: None,
        });
        assert_eq!(request_bytes(&put), HEADER_BYTES + 2 + 1_000_000);
        let version = Version {
            timestamp: 1,
            node: 0,
        };
        let stored = Entry::record(version, Some(Record::Object(meta(1_000_000))));
        let write = Request::Replica(ReplicaRequest::Write {
            key: "k".into(),
            entry: stored.clone(),
        });
        let carried = request_bytes(&write);
        assert!(
            carried > 1_000_000 && carried < 1_000_000 + 200,
            "{carried}"
        );
        let scan = Response::Replica(ReplicaResponse::Scan {
            entries: vec![("k".into(), stored)],
            complete: true,
        });
        assert!(
            response_bytes(&scan, Answering::Other) < 200,
            "a scan carries metadata only"
        );
        let get = Request::Client(ClientRequest::Get { key: "abc".into() });
        assert_eq!(request_bytes(&get), HEADER_BYTES + 3);
    }

    fn info(size: u64) -> store::s3::ObjectInfo {
        store::s3::ObjectInfo {
            key: "k".into(),
            version_id: "null".into(),
            meta: meta(size),
        }
    }

    fn get(key: &str) -> ClientRequest {
        ClientRequest::GetObject {
            bucket: "b".into(),
            key: key.into(),
            version_id: None,
        }
    }

    fn head(key: &str) -> ClientRequest {
        ClientRequest::HeadObject {
            bucket: "b".into(),
            key: key.into(),
            version_id: None,
        }
    }

    /// A GET's answer carries the body, a HEAD's the same metadata without
    /// it (signed or not); the two answers differ by exactly the body.
    #[test]
    fn head_answers_carry_no_body() {
        let answer = Response::Client(ClientResponse::Object(Box::new(info(1_000_000))));
        let on_get = response_bytes(&answer, answering(&Request::Client(get("k"))));
        let on_head = response_bytes(&answer, answering(&Request::Client(head("k"))));
        assert!(on_get > 1_000_000, "{on_get}");
        assert!(on_head < 200, "a HEAD answer is metadata only: {on_head}");
        assert_eq!(on_get - on_head, 1_000_000);
        let signed = Request::Signed(Box::new(store::auth::Signed {
            authorization: store::auth::Authorization {
                access_key: "AK".into(),
                time_ns: 0,
                signature: "sig".into(),
                presigned_expires_s: None,
            },
            operation: store::auth::Operation::Client(head("k")),
        }));
        assert_eq!(answering(&signed), Answering::Head);
        assert_eq!(answering(&Request::Client(get("k"))), Answering::Other);
    }

    /// Answers with no object (a missing key, errors, unavailability) and
    /// listings carry no body, whatever the objects' sizes.
    #[test]
    fn answers_without_objects_and_listings_carry_no_body() {
        let get = answering(&Request::Client(get("missing")));
        for small in [
            ClientResponse::NotFound,
            ClientResponse::ReadUnavailable,
            ClientResponse::WriteUnavailable,
            ClientResponse::PreconditionFailed,
        ] {
            assert_eq!(response_bytes(&Response::Client(small), get), HEADER_BYTES);
        }
        let page = ListPage {
            objects: vec![store::s3::ListedObject {
                key: "k".into(),
                etag: meta(64 << 20).etag,
                size: 64 << 20,
                last_modified_ns: 0,
            }],
            continuation: Some("k".into()),
        };
        let listed = response_bytes(&Response::Client(ClientResponse::Listing(page)), get);
        assert!(
            listed < 200,
            "a listing names objects, never carries them: {listed}"
        );
    }
}
