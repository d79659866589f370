//! Object bodies on a node's disk.
//!
//! The store keeps a body as a descriptor ([`store::Body`]: writer, sequence,
//! size) from which it regenerates bytes and an ETag; a real client sends
//! real bytes. storesimd bridges the two: the front end describes a body by
//! its SHA-256 ([`describe`]: writer and sequence are its first 16 bytes,
//! size its length), stores the real bytes in this blob store under the
//! store's ETag of that descriptor (its *id*: 32 hex digits), and keeps the
//! real MD5 — S3's ETag — beside them. So the store's own replication,
//! repair and checks run on descriptors unchanged, and the bytes follow by
//! id. See `crate::daemon` for how blobs are replicated.
//!
//! A blob file is `blobs/<id>`: the MD5 as 32 hex digits and a newline, then
//! the body. It is written to a temporary file, fsynced (unless the sync
//! policy is `never`), renamed into place and the folder fsynced, so a blob
//! is either whole or absent after a crash; a read checks the MD5 and treats
//! a damaged file as absent.

use bytes::Bytes;
use md5::{Digest as _, Md5};
use sha2::Sha256;
use std::io::Write;
use std::path::{Path, PathBuf};
use store::Body;

/// Largest object body storesimd accepts (a peer frame carries a whole body).
pub const MAX_BLOB_BYTES: usize = 64 * 1024 * 1024;

/// A body as the store sees it, and as S3 sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    pub body: Body,
    /// The blob's id: the store's ETag of `body`, without quotes.
    pub id: String,
    /// S3's ETag: the MD5 of the bytes, lowercase hex, without quotes.
    pub md5: String,
}

/// Describes real bytes as a store body.
pub fn describe(bytes: &[u8]) -> Described {
    let sha = Sha256::digest(bytes);
    let body = Body {
        writer: u64::from_le_bytes(sha[..8].try_into().expect("8 bytes")),
        sequence: u64::from_le_bytes(sha[8..16].try_into().expect("8 bytes")),
        size: bytes.len() as u64,
    };
    Described {
        id: id_of(&body.etag()),
        md5: hex(&Md5::digest(bytes)),
        body,
    }
}

/// A blob id from the store's ETag of a descriptor (quotes dropped).
pub fn id_of(store_etag: &str) -> String {
    store_etag.trim_matches('"').to_string()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One node's blob folder.
#[derive(Debug)]
pub struct BlobStore {
    dir: PathBuf,
    fsync: bool,
}

impl BlobStore {
    /// Opens (creating) `dir`, removing temporary files a crash left.
    pub fn open(dir: &Path, fsync: bool) -> std::io::Result<BlobStore> {
        std::fs::create_dir_all(dir)?;
        for file in std::fs::read_dir(dir)? {
            let path = file?.path();
            if path.extension().is_some_and(|ext| ext == "tmp") {
                std::fs::remove_file(&path)?;
            }
        }
        Ok(BlobStore {
            dir: dir.to_path_buf(),
            fsync,
        })
    }

    fn path(&self, id: &str) -> Option<PathBuf> {
        // Ids are hex digits only: nothing else may name a file.
        let valid = id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit());
        valid.then(|| self.dir.join(id))
    }

    /// Keeps `bytes` under `id` (a no-op if already kept).
    pub fn put(&self, id: &str, md5: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.path(id).ok_or_else(|| invalid(id))?;
        if self.get(id)?.is_some() {
            return Ok(());
        }
        if hex(&Md5::digest(bytes)) != md5 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "body does not match its MD5",
            ));
        }
        let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(md5.as_bytes())?;
        file.write_all(b"\n")?;
        file.write_all(bytes)?;
        if self.fsync {
            file.sync_all()?;
        }
        std::fs::rename(&tmp, &path)?;
        if self.fsync {
            crate::disk::sync_dir(&path)?;
        }
        Ok(())
    }

    /// The body kept under `id` and its MD5, if any (a damaged file is none).
    pub fn get(&self, id: &str) -> std::io::Result<Option<(String, Bytes)>> {
        let path = self.path(id).ok_or_else(|| invalid(id))?;
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(error),
        };
        if bytes.len() < 33 || bytes[32] != b'\n' {
            return Ok(None);
        }
        let md5 = String::from_utf8_lossy(&bytes[..32]).into_owned();
        let body = Bytes::from(bytes).slice(33..);
        Ok((hex(&Md5::digest(&body)) == md5).then_some((md5, body)))
    }
}

fn invalid(id: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("blob id {id:?} is not 32 hex digits"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_is_kept_by_its_descriptor_and_read_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobStore::open(dir.path(), true).unwrap();
        let d = describe(b"hello");
        assert_eq!(d.md5, "5d41402abc4b2a76b9719d911017c592");
        assert_eq!(d.body.size, 5);
        assert_eq!(blobs.get(&d.id).unwrap(), None);
        blobs.put(&d.id, &d.md5, b"hello").unwrap();
        let (md5, body) = blobs.get(&d.id).unwrap().unwrap();
        assert_eq!((md5.as_str(), &body[..]), (d.md5.as_str(), &b"hello"[..]));
        // Different bytes, different descriptor and id.
        assert_ne!(describe(b"hellp").id, d.id);
        // A body that does not match its MD5 is refused; a damaged file reads as absent.
        assert!(blobs.put(&describe(b"x").id, &d.md5, b"x").is_err());
        let path = dir.path().join(&d.id);
        let mut bytes = std::fs::read(&path).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        std::fs::write(&path, bytes).unwrap();
        assert_eq!(blobs.get(&d.id).unwrap(), None);
        assert!(blobs.get("../etc").is_err());
    }
}
