//! The disk seam: durable state.

use crate::version::Entry;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Durable storage of a node's entries. `write` buffers; only `sync` makes writes
/// durable, and a crash loses whatever was not synced (the simulation's disk does
/// that), so "acknowledged before fsync" bugs become observable.
pub trait Disk: Send + Sync + 'static {
    /// Buffers `entry` for `key` (replacing any earlier entry for it).
    fn write(&self, key: &str, entry: &Entry);
    /// Makes every buffered write durable.
    fn sync(&self);
    /// Everything durable, read when a node (re)starts.
    fn load(&self) -> BTreeMap<String, Entry>;
}

/// An in-memory disk with explicit sync and crash: `crash` drops unsynced writes.
/// Clones share the same storage (a node's disk outlives the node's tasks).
#[derive(Debug, Clone, Default)]
pub struct MemDisk {
    inner: Arc<Mutex<MemDiskState>>,
}

#[derive(Debug, Default)]
struct MemDiskState {
    durable: BTreeMap<String, Entry>,
    pending: BTreeMap<String, Entry>,
}

impl MemDisk {
    pub fn new() -> Self {
        Self::default()
    }

    /// Simulates power loss: every write not yet synced is gone.
    pub fn crash(&self) {
        self.lock().pending.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemDiskState> {
        // A poisoned lock means a test already panicked; the data is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Disk for MemDisk {
    fn write(&self, key: &str, entry: &Entry) {
        self.lock().pending.insert(key.to_string(), entry.clone());
    }

    fn sync(&self) {
        let mut state = self.lock();
        let pending = std::mem::take(&mut state.pending);
        state.durable.extend(pending);
    }

    fn load(&self) -> BTreeMap<String, Entry> {
        self.lock().durable.clone()
    }
}
