//! The disk seam: durable state, which may fail.

use crate::version::Entry;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// A disk operation failed. What the failed call did is unknown (a write may
/// be half done, a failed sync may have lost buffered writes), so the replica
/// acknowledges nothing that depended on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiskError {
    #[error("disk write of key {key:?} failed: {reason}")]
    Write { key: String, reason: String },
    #[error("disk sync failed: {reason}")]
    Sync { reason: String },
    #[error("disk load failed: {reason}")]
    Load { reason: String },
}

/// Durable storage of a node's entries.
///
/// The contract, for the simulated disk and for a real file-backed one:
/// - `write` buffers an entry for a key (replacing any earlier one); it may
///   block, and it may fail. A buffered write is not yet durable.
/// - When `sync` returns `Ok`, every `write` that returned `Ok` before `sync`
///   was called is durable: `load` after any crash returns it (or a later
///   write of the same key). When `sync` fails, nothing is promised about the
///   writes buffered since the last successful sync (as with `fsync` on Linux,
///   which may drop the dirty pages it failed to write).
/// - A crash loses every write not made durable by a successful `sync`.
/// - `load` returns everything durable; a node calls it when it (re)starts.
///
/// The replica calls these methods without holding the lock that guards its
/// in-memory state, one call at a time (its I/O is serialised by a lock of its
/// own), so a slow disk delays writes but never reads. The calls are
/// synchronous: a real disk that blocks should be driven from a blocking
/// thread by its implementation.
pub trait Disk: Send + Sync + 'static {
    /// Buffers `entry` for `key` (replacing any earlier entry for it).
    fn write(&self, key: &str, entry: &Entry) -> Result<(), DiskError>;
    /// Makes every buffered write durable.
    fn sync(&self) -> Result<(), DiskError>;
    /// Everything durable, read when a node (re)starts.
    fn load(&self) -> Result<BTreeMap<String, Entry>, DiskError>;
    /// Buffers the removal of `key` (durable, like a write, once `sync`
    /// returns `Ok`): what tombstone collection (`gc_grace`) and a rejoining
    /// node's rebuild need. A disk that cannot remove keys keeps this
    /// default, which fails: such a node then collects nothing and never
    /// forgets stale entries, so it must not be given `gc_grace`.
    fn remove(&self, key: &str) -> Result<(), DiskError> {
        Err(DiskError::Write {
            key: key.to_string(),
            reason: "this disk cannot remove keys".into(),
        })
    }
}

/// An in-memory disk with explicit sync and crash: `crash` drops unsynced writes.
/// Clones share the same storage (a node's disk outlives the node's tasks).
/// [`MemDisk::set_failing`] makes every write and sync fail, to show that a
/// replica never acknowledges what it could not store.
#[derive(Debug, Clone, Default)]
pub struct MemDisk {
    inner: Arc<Mutex<MemDiskState>>,
}

#[derive(Debug, Default)]
struct MemDiskState {
    durable: BTreeMap<String, Entry>,
    /// Buffered writes (`Some`) and removals (`None`), by key.
    pending: BTreeMap<String, Option<Entry>>,
    failing: bool,
}

impl MemDisk {
    pub fn new() -> Self {
        Self::default()
    }

    /// Simulates power loss: every write not yet synced is gone.
    pub fn crash(&self) {
        self.lock().pending.clear();
    }

    /// While `failing`, every `write` and `sync` fails and changes nothing
    /// (a failing sync also drops the buffered writes, as a failed `fsync`
    /// may); `load` still works (what was durable stays readable).
    pub fn set_failing(&self, failing: bool) {
        self.lock().failing = failing;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemDiskState> {
        // A poisoned lock means a test already panicked; the data is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Disk for MemDisk {
    fn write(&self, key: &str, entry: &Entry) -> Result<(), DiskError> {
        let mut state = self.lock();
        if state.failing {
            return Err(DiskError::Write {
                key: key.to_string(),
                reason: "injected failure".into(),
            });
        }
        state.pending.insert(key.to_string(), Some(entry.clone()));
        Ok(())
    }

    fn remove(&self, key: &str) -> Result<(), DiskError> {
        let mut state = self.lock();
        if state.failing {
            return Err(DiskError::Write {
                key: key.to_string(),
                reason: "injected failure".into(),
            });
        }
        state.pending.insert(key.to_string(), None);
        Ok(())
    }

    fn sync(&self) -> Result<(), DiskError> {
        let mut state = self.lock();
        let pending = std::mem::take(&mut state.pending);
        if state.failing {
            return Err(DiskError::Sync {
                reason: "injected failure".into(),
            });
        }
        for (key, entry) in pending {
            match entry {
                Some(entry) => state.durable.insert(key, entry),
                None => state.durable.remove(&key),
            };
        }
        Ok(())
    }

    fn load(&self) -> Result<BTreeMap<String, Entry>, DiskError> {
        Ok(self.lock().durable.clone())
    }
}
