//! What nodes say to each other over TCP, and how it is framed.
//!
//! A frame is a length-delimited message (`tokio_util`'s
//! `LengthDelimitedCodec`: a 4-byte big-endian length, at most
//! [`MAX_FRAME_BYTES`]) whose content is a 4-byte big-endian header length,
//! the header as JSON (the store's serde messages, or a blob request), then
//! raw bytes (a blob's body; empty otherwise). One connection carries one
//! call at a time: request frame, then response frame.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use store::{Request, Response};

/// Largest frame on a peer connection: the largest object body plus room
/// for its header.
pub const MAX_FRAME_BYTES: usize = crate::blobs::MAX_BLOB_BYTES + 1024 * 1024;

/// A request from one node to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PeerRequest {
    /// A store message for the peer's `store::Node`.
    Store(Request),
    /// Keep this object body (the frame's raw bytes) under `id`.
    BlobPut { id: String, md5: String },
    /// Send the body kept under `id`, if any.
    BlobGet { id: String },
}

/// The answer to a [`PeerRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PeerResponse {
    Store(Response),
    /// `BlobPut`: whether the body is kept (durably, as the sync policy says).
    BlobStored(bool),
    /// `BlobGet`: the body's MD5 (the frame's raw bytes are the body), or `None`.
    Blob(Option<String>),
}

/// Encodes a header and raw bytes as a frame's content.
pub fn encode<T: Serialize>(header: &T, raw: &[u8]) -> Bytes {
    let json = serde_json::to_vec(header).expect("peer messages always serialise");
    let mut out = BytesMut::with_capacity(4 + json.len() + raw.len());
    out.put_u32(json.len() as u32);
    out.put_slice(&json);
    out.put_slice(raw);
    out.freeze()
}

/// Why a frame's content could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("frame shorter than its header length")]
    Short,
    #[error("frame header is not a peer message")]
    Json(#[from] serde_json::Error),
}

/// Decodes a frame's content into its header and raw bytes.
pub fn decode<T: DeserializeOwned>(mut frame: BytesMut) -> Result<(T, Bytes), DecodeError> {
    if frame.len() < 4 {
        return Err(DecodeError::Short);
    }
    let len = frame.get_u32() as usize;
    if frame.len() < len {
        return Err(DecodeError::Short);
    }
    let json = frame.split_to(len);
    Ok((serde_json::from_slice(&json)?, frame.freeze()))
}

/// The codec of peer connections.
pub fn codec() -> tokio_util::codec::LengthDelimitedCodec {
    tokio_util::codec::LengthDelimitedCodec::builder()
        .max_frame_length(MAX_FRAME_BYTES)
        .new_codec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::ClientRequest;

    #[test]
    fn a_frame_round_trips_with_and_without_raw_bytes() {
        let request = PeerRequest::Store(Request::Client(ClientRequest::Get { key: "k".into() }));
        let (back, raw): (PeerRequest, _) =
            decode(BytesMut::from(&encode(&request, b"")[..])).unwrap();
        assert_eq!(back, request);
        assert!(raw.is_empty());
        let put = PeerRequest::BlobPut {
            id: "i".into(),
            md5: "m".into(),
        };
        let (back, raw): (PeerRequest, _) =
            decode(BytesMut::from(&encode(&put, b"body")[..])).unwrap();
        assert_eq!((back, &raw[..]), (put, &b"body"[..]));
        assert!(decode::<PeerRequest>(BytesMut::from(&[0, 0, 0, 9, b'{'][..])).is_err());
    }
}
