//! Objects: a body described, never held, and what S3 says about it.
//!
//! A body is [`Body`], a descriptor of deterministic bytes derived from the
//! write (writer, sequence, size): anyone can regenerate the bytes and their
//! checksum, so a reader can tell which write a body came from without the
//! store holding gigabytes. The ETag is the MD5 of those bytes, quoted hex,
//! as S3 gives for a single-part upload without KMS.

use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Bytes generated (and hashed) per step: bounds the memory a body needs,
/// whatever its size.
pub const BODY_CHUNK_BYTES: usize = 64 * 1024;

/// Most bytes of user metadata (keys and values) on one object, as S3's 2 KB.
pub const MAX_METADATA_BYTES: usize = 2048;

/// Largest body one write may describe (S3's single PUT limit, 5 GiB).
pub const MAX_BODY_BYTES: u64 = 5 * 1024 * 1024 * 1024;

/// A body's descriptor: `size` bytes determined by `(writer, sequence)` alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Body {
    /// Who wrote it (a client or process id).
    pub writer: u64,
    /// The writer's sequence number of this write.
    pub sequence: u64,
    pub size: u64,
}

impl Body {
    /// Calls `f` with the body's bytes in order, at most [`BODY_CHUNK_BYTES`]
    /// at a time. Byte `i` is byte `i % 8` (little-endian) of
    /// `splitmix64(seed + i / 8)` (wrapping), where
    /// `seed = splitmix64(writer ^ splitmix64(sequence))`: stable across
    /// platforms and versions, so the bytes can be regenerated anywhere.
    pub fn for_each_chunk(&self, mut f: impl FnMut(&[u8])) {
        let seed = splitmix64(self.writer ^ splitmix64(self.sequence));
        let mut chunk = Vec::with_capacity(BODY_CHUNK_BYTES.min(self.size as usize));
        let mut word = 0u64;
        // Bounded: one pass over `size` bytes.
        while word * 8 < self.size {
            let bytes = splitmix64(seed.wrapping_add(word)).to_le_bytes();
            let left = (self.size - word * 8).min(8) as usize;
            chunk.extend_from_slice(&bytes[..left]);
            word += 1;
            if chunk.len() + 8 > BODY_CHUNK_BYTES {
                f(&chunk);
                chunk.clear();
            }
        }
        if !chunk.is_empty() {
            f(&chunk);
        }
    }

    /// The whole body (for small bodies and tests; large ones stream with
    /// [`Body::for_each_chunk`]).
    pub fn bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        self.for_each_chunk(|chunk| bytes.extend_from_slice(chunk));
        bytes
    }

    /// S3's ETag of a single-part upload of these bytes: the MD5, lowercase
    /// hex, in double quotes. Streams the body through the hasher.
    pub fn etag(&self) -> String {
        let mut md5 = Md5::new();
        self.for_each_chunk(|chunk| md5.update(chunk));
        let hex: String = md5
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        format!("\"{hex}\"")
    }
}

/// What an object version holds: its body, ETag, user metadata and when the
/// coordinator stored it (its clock, in nanoseconds: skewed clocks show).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObjectMeta {
    pub body: Body,
    /// [`Body::etag`] of `body`.
    pub etag: String,
    pub metadata: BTreeMap<String, String>,
    pub last_modified_ns: u64,
}

impl ObjectMeta {
    pub fn size(&self) -> u64 {
        self.body.size
    }
}

/// The bytes of `metadata` as S3 counts them (keys and values).
pub fn metadata_bytes(metadata: &BTreeMap<String, String>) -> usize {
    metadata
        .iter()
        .map(|(key, value)| key.len() + value.len())
        .sum()
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_empty_body_has_s3s_empty_etag() {
        let body = Body {
            writer: 1,
            sequence: 2,
            size: 0,
        };
        assert_eq!(body.etag(), "\"d41d8cd98f00b204e9800998ecf8427e\"");
    }

    #[test]
    fn chunks_add_up_and_bodies_differ_by_write() {
        let body = Body {
            writer: 3,
            sequence: 9,
            size: BODY_CHUNK_BYTES as u64 * 2 + 5,
        };
        let bytes = body.bytes();
        assert_eq!(bytes.len() as u64, body.size);
        let mut md5 = Md5::new();
        md5.update(&bytes);
        let whole: String = md5.finalize().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(body.etag(), format!("\"{whole}\""));
        let other = Body {
            sequence: 10,
            ..body
        };
        assert_ne!(other.etag(), body.etag());
        // A shorter body of the same write is a prefix: bytes depend on the offset only.
        let short = Body { size: 13, ..body };
        assert_eq!(short.bytes(), bytes[..13]);
    }

    #[test]
    fn the_etag_is_pinned() {
        // Values computed independently (Python: the generator as documented,
        // hashlib.md5). Changing the byte generator changes every ETag a
        // history recorded: a deliberate change only.
        let small = Body {
            writer: 1,
            sequence: 1,
            size: 16,
        };
        assert_eq!(small.etag(), "\"b0a5f767e3806329eaf543b96b9aa271\"");
        let chunked = Body {
            writer: 7,
            sequence: 3,
            size: 100_000,
        };
        assert_eq!(chunked.etag(), "\"19cb997785c986b5cbb0b046bc6f3156\"");
    }
}
