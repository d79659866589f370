//! A file-backed [`store::Disk`]: an append-only log of `(key, entry)`
//! records, each with its length and CRC-32, fsynced when the store syncs.
//!
//! Record layout (little-endian): `len: u32`, `crc32(payload): u32`, then
//! `payload`, the JSON of `(key, entry)`. A write appends one record to the
//! file (the kernel's page cache holds it: it survives `kill -9`, not a power
//! loss); `sync` is `fdatasync`, so what the store's contract calls durable
//! is what reached the platter. The later record of a key wins on load.
//!
//! Recovery ([`FileDisk::open`]) reads records from the start and stops at
//! the first one that is short, longer than [`MAX_RECORD_BYTES`], fails its
//! checksum or does not parse: a write torn by a crash. Everything from
//! there on is cut off (truncated, so new records never follow garbage).
//! Under `sync = "always"` every acknowledged write was synced before its
//! acknowledgement, hence lies before any torn tail and survives. A record
//! damaged in the middle of the file (not a crash's doing: a bad sector)
//! also ends the log there; the replica then relies on anti-entropy and its
//! peers for what followed.
//!
//! The log grows with every write; when it holds more than twice as many
//! records as keys (and at least [`COMPACT_MIN_RECORDS`]), `open` rewrites
//! it with one record per key (a new file, fsynced, renamed over the old one,
//! then the folder fsynced), so a restart bounds it again.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use store::{Disk, DiskError, Entry};

/// Largest record the log accepts (a key and one entry, whose body is a
/// descriptor: small). A longer length field is a torn or damaged record.
pub const MAX_RECORD_BYTES: usize = 16 * 1024 * 1024;

/// A log with fewer records than this is never compacted.
pub const COMPACT_MIN_RECORDS: usize = 1024;

const HEADER_BYTES: usize = 8;

/// What recovery found in a log file.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Recovered {
    /// The newest entry of every key.
    pub entries: BTreeMap<String, Entry>,
    /// Records read intact.
    pub records: usize,
    /// Bytes cut off after the last intact record (a torn tail).
    pub dropped_bytes: u64,
}

/// Why the log could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot open the log {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The log of one node. Calls are serialised by the store (one disk call at
/// a time) and by the mutex here. Clones share the file (the process syncs
/// it on a clean shutdown).
#[derive(Clone)]
pub struct FileDisk {
    path: PathBuf,
    file: Arc<Mutex<File>>,
}

impl FileDisk {
    /// Opens (or creates) the log at `path`, drops a torn tail, compacts it
    /// if it is mostly superseded records, and returns what it held.
    pub fn open(path: &Path) -> Result<(FileDisk, Recovered), OpenError> {
        let io = |source| OpenError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(io)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io)?;
        let (recovered, good_len) = parse(&bytes);
        if recovered.dropped_bytes > 0 {
            file.set_len(good_len as u64).map_err(io)?;
            file.sync_all().map_err(io)?;
        }
        let disk = if recovered.records >= COMPACT_MIN_RECORDS
            && recovered.records > 2 * recovered.entries.len()
        {
            drop(file);
            compact(path, &recovered.entries).map_err(io)?;
            let file = OpenOptions::new().append(true).open(path).map_err(io)?;
            FileDisk {
                path: path.to_path_buf(),
                file: Arc::new(Mutex::new(file)),
            }
        } else {
            FileDisk {
                path: path.to_path_buf(),
                file: Arc::new(Mutex::new(file)),
            }
        };
        Ok((disk, recovered))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, File> {
        // A panic while appending leaves at worst a torn record, which
        // recovery drops: the file is still usable.
        self.file.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One record's bytes: header and payload.
pub fn encode(key: &str, entry: &Entry) -> Vec<u8> {
    let payload = serde_json::to_vec(&(key, entry)).expect("an entry always serialises");
    let mut record = Vec::with_capacity(HEADER_BYTES + payload.len());
    record.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    record.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    record.extend_from_slice(&payload);
    record
}

/// Reads records until the end or the first bad one; returns what they hold
/// and the length of the intact prefix. Bounded by the file's length.
pub fn parse(bytes: &[u8]) -> (Recovered, usize) {
    let mut recovered = Recovered::default();
    let mut at = 0;
    while let Some((key, entry, next)) = record_at(bytes, at) {
        recovered.entries.insert(key, entry);
        recovered.records += 1;
        at = next;
    }
    recovered.dropped_bytes = (bytes.len() - at) as u64;
    (recovered, at)
}

fn record_at(bytes: &[u8], at: usize) -> Option<(String, Entry, usize)> {
    let header = bytes.get(at..at + HEADER_BYTES)?;
    let len = u32::from_le_bytes(header[..4].try_into().ok()?) as usize;
    let crc = u32::from_le_bytes(header[4..].try_into().ok()?);
    if len > MAX_RECORD_BYTES {
        return None;
    }
    let start = at + HEADER_BYTES;
    let payload = bytes.get(start..start + len)?;
    if crc32fast::hash(payload) != crc {
        return None;
    }
    let (key, entry): (String, Entry) = serde_json::from_slice(payload).ok()?;
    Some((key, entry, start + len))
}

/// Rewrites the log at `path` with one record per key, atomically.
fn compact(path: &Path, entries: &BTreeMap<String, Entry>) -> std::io::Result<()> {
    let tmp = path.with_extension("compact");
    let mut file = File::create(&tmp)?;
    let mut out = std::io::BufWriter::new(&mut file);
    for (key, entry) in entries {
        out.write_all(&encode(key, entry))?;
    }
    out.flush()?;
    drop(out);
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    sync_dir(path)
}

/// Fsyncs the folder holding `path`, so a rename or a new file in it is durable.
pub fn sync_dir(path: &Path) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    File::open(dir)?.sync_all()
}

impl Disk for FileDisk {
    fn write(&self, key: &str, entry: &Entry) -> Result<(), DiskError> {
        let record = encode(key, entry);
        self.lock()
            .write_all(&record)
            .map_err(|error| DiskError::Write {
                key: key.to_string(),
                reason: error.to_string(),
            })
    }

    fn sync(&self) -> Result<(), DiskError> {
        let file = self.lock();
        // fdatasync blocks: tell tokio, so other tasks move to other threads.
        blocking(|| file.sync_data()).map_err(|error| DiskError::Sync {
            reason: error.to_string(),
        })
    }

    fn load(&self) -> Result<BTreeMap<String, Entry>, DiskError> {
        let bytes = std::fs::read(&self.path).map_err(|error| DiskError::Load {
            reason: format!("{}: {error}", self.path.display()),
        })?;
        Ok(parse(&bytes).0.entries)
    }
}

/// Runs blocking `f` on a multi-threaded tokio runtime's worker without
/// stalling the tasks queued on it; outside a runtime, just runs it.
fn blocking<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::Version;

    fn entry(timestamp: u64, value: &str) -> Entry {
        Entry::register(Version { timestamp, node: 0 }, Some(value.to_string()))
    }

    fn log_with(dir: &Path, writes: &[(&str, Entry)]) -> PathBuf {
        let path = dir.join("node.log");
        let (disk, _) = FileDisk::open(&path).unwrap();
        for (key, entry) in writes {
            disk.write(key, entry).unwrap();
        }
        disk.sync().unwrap();
        path
    }

    #[test]
    fn what_was_synced_comes_back_and_the_later_write_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_with(
            dir.path(),
            &[
                ("a", entry(1, "x")),
                ("b", entry(2, "y")),
                ("a", entry(3, "z")),
            ],
        );
        let (disk, recovered) = FileDisk::open(&path).unwrap();
        assert_eq!(recovered.records, 3);
        assert_eq!(recovered.dropped_bytes, 0);
        assert_eq!(recovered.entries["a"], entry(3, "z"));
        assert_eq!(disk.load().unwrap(), recovered.entries);
    }

    #[test]
    fn a_torn_tail_is_dropped_and_cut_off_at_every_length() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_with(dir.path(), &[("a", entry(1, "x")), ("b", entry(2, "y"))]);
        let whole = std::fs::read(&path).unwrap();
        let first = encode("a", &entry(1, "x")).len();
        // Every cut inside the second record keeps the first and drops the rest.
        for cut in first..whole.len() {
            std::fs::write(&path, &whole[..cut]).unwrap();
            let (disk, recovered) = FileDisk::open(&path).unwrap();
            assert_eq!(recovered.records, 1, "cut at {cut}");
            assert_eq!(recovered.dropped_bytes, (cut - first) as u64);
            assert_eq!(std::fs::metadata(&path).unwrap().len(), first as u64);
            // New records follow the intact prefix, not the garbage.
            disk.write("c", &entry(3, "w")).unwrap();
            disk.sync().unwrap();
            let (_, again) = FileDisk::open(&path).unwrap();
            assert_eq!(again.records, 2);
            assert_eq!(again.entries["c"], entry(3, "w"));
        }
    }

    #[test]
    fn a_corrupted_record_ends_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_with(
            dir.path(),
            &[
                ("a", entry(1, "x")),
                ("b", entry(2, "y")),
                ("c", entry(3, "z")),
            ],
        );
        let mut bytes = std::fs::read(&path).unwrap();
        let first = encode("a", &entry(1, "x")).len();
        // Flip one payload byte of the second record: its checksum fails.
        bytes[first + HEADER_BYTES + 3] ^= 0x40;
        std::fs::write(&path, &bytes).unwrap();
        let (_, recovered) = FileDisk::open(&path).unwrap();
        assert_eq!(recovered.records, 1);
        assert!(recovered.entries.contains_key("a"));
        assert!(!recovered.entries.contains_key("c"));
        // An absurd length field is torn too, not an allocation.
        let mut bytes = encode("a", &entry(1, "x"));
        bytes.extend_from_slice(&u32::MAX.to_le_bytes());
        bytes.extend_from_slice(&[0; 4]);
        assert_eq!(parse(&bytes).0.records, 1);
    }

    #[test]
    fn a_log_of_superseded_records_is_compacted_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let writes: Vec<_> = (0..COMPACT_MIN_RECORDS as u64 + 10)
            .map(|i| (if i % 2 == 0 { "a" } else { "b" }, entry(i, "v")))
            .collect();
        let path = log_with(dir.path(), &writes);
        let (_, before) = FileDisk::open(&path).unwrap();
        assert_eq!(before.records, writes.len());
        let (_, after) = FileDisk::open(&path).unwrap();
        assert_eq!(after.records, 2);
        assert_eq!(after.entries, before.entries);
    }
}
