//! A node's local state: the entries it holds as a replica, in memory and on disk.

use crate::NodeId;
use crate::config::SyncPolicy;
use crate::disk::{Disk, DiskError};
use crate::message::KeyRange;
use crate::version::{Entry, Version};
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

/// Entries by key (tombstones included), mirrored to the disk.
///
/// Two locks: `entries` guards the in-memory map and is never held across a
/// disk call (nor an `.await`: every method is synchronous), so reads never
/// wait for the disk; `io` serialises disk I/O, so the disk sees merges in the
/// order memory records them. A merge runs: under `io`, decide what to write
/// (a brief `entries` lock), write it and sync it as the policy demands (no
/// `entries` lock), then record it in memory (a brief `entries` lock). A
/// failed write or sync records nothing and reports the error: the replica
/// then does not acknowledge.
pub(crate) struct Replica<D> {
    entries: Mutex<BTreeMap<String, Entry>>,
    io: Mutex<()>,
    disk: D,
    sync_policy: SyncPolicy,
}

impl<D: Disk> Replica<D> {
    /// A replica holding whatever `disk` holds durably.
    pub(crate) fn new(disk: D, sync_policy: SyncPolicy) -> Result<Self, DiskError> {
        let entries = Mutex::new(disk.load()?);
        Ok(Replica {
            entries,
            io: Mutex::new(()),
            disk,
            sync_policy,
        })
    }

    pub(crate) fn get(&self, key: &str) -> Option<Entry> {
        self.lock().get(key).cloned()
    }

    /// The greatest timestamp among the versions that `node` issued, if any is held here.
    pub(crate) fn max_timestamp_of(&self, node: NodeId) -> Option<u64> {
        let local = self.lock();
        local
            .values()
            .filter(|entry| entry.version.node == node)
            .map(|entry| entry.version.timestamp)
            .max()
    }

    /// LWW merge of one entry, made durable as the sync policy demands.
    /// Returns whether `entry` replaced the local one, or the disk's error
    /// (then nothing changed in memory).
    pub(crate) fn merge(&self, key: &str, entry: &Entry) -> Result<bool, DiskError> {
        self.merge_all([(key, entry)]).map(|replaced| replaced == 1)
    }

    /// LWW merge of many entries with one sync at the end. Returns how many
    /// replaced local ones, or the disk's error (then nothing changed in memory).
    pub(crate) fn merge_all<'a>(
        &self,
        entries: impl IntoIterator<Item = (&'a str, &'a Entry)>,
    ) -> Result<usize, DiskError> {
        let _io = lock(&self.io);
        // Decide: the entries that supersede what memory holds. Memory changes
        // only under `io`, so the decision still holds when it is recorded.
        let newer: Vec<(&str, &Entry)> = {
            let local = self.lock();
            let mut newer: BTreeMap<&str, &Entry> = BTreeMap::new();
            for (key, entry) in entries {
                let current = newer
                    .get(key)
                    .copied()
                    .or_else(|| local.get(key))
                    .filter(|c| {
                        !(crate::planted::on(crate::planted::Bug::TombstoneLosesToOlderPut)
                            && c.is_tombstone())
                    });
                if current.is_none_or(|current| entry.supersedes(current)) {
                    newer.insert(key, entry);
                }
            }
            newer.into_iter().collect()
        };
        self.store_locked(&newer)
    }

    /// Writes `newer` to the disk (synced as the policy demands), then
    /// records it in memory. The caller holds `io` and decided `newer`
    /// under it.
    fn store_locked(&self, newer: &[(&str, &Entry)]) -> Result<usize, DiskError> {
        // Write, off the `entries` lock.
        for (key, entry) in newer {
            self.disk.write(key, entry)?;
        }
        // Nothing new, nothing to sync: an equal entry in memory was recorded
        // only after its own write (and, under `Always`, its sync) succeeded.
        if self.sync_policy == SyncPolicy::Always
            && newer.len() > usize::from(crate::planted::on(crate::planted::Bug::SyncOffByOne))
        {
            self.disk.sync()?;
        }
        // Record.
        let mut local = self.lock();
        for (key, entry) in newer {
            local.insert(key.to_string(), (*entry).clone());
        }
        Ok(newer.len())
    }

    /// Removes each of `doomed` (a key and the version it held when chosen)
    /// whose key still holds that version: a newer entry merged since the
    /// choice stays. Synced as the policy demands, like a merge. Returns how
    /// many were removed, or the disk's error (then nothing changed in
    /// memory). For tombstone collection and a rejoining node's rebuild
    /// ([`super::grace`]).
    pub(crate) fn remove_if_unchanged(
        &self,
        doomed: &[(String, Version)],
    ) -> Result<usize, DiskError> {
        let _io = lock(&self.io);
        let still: Vec<&str> = {
            let local = self.lock();
            (doomed.iter())
                .filter(|(key, version)| local.get(key).is_some_and(|e| e.version == *version))
                .map(|(key, _)| key.as_str())
                .collect()
        };
        for key in &still {
            self.disk.remove(key)?;
        }
        if self.sync_policy == SyncPolicy::Always && !still.is_empty() {
            self.disk.sync()?;
        }
        let mut local = self.lock();
        for key in &still {
            local.remove(*key);
        }
        Ok(still.len())
    }

    /// Paxos phase 1 as an acceptor of `key`: promise to accept no ballot
    /// below `ballot` and answer with the entry accepted so far, or refuse
    /// with the promise already made to a higher ballot. The promise is
    /// stored like an entry (under [`promise_key`], synced as the policy
    /// demands) before the answer: a promise forgotten in a crash would let
    /// two values be chosen.
    pub(crate) fn prepare(
        &self,
        key: &str,
        ballot: Version,
    ) -> Result<Result<Option<Entry>, Version>, DiskError> {
        let _io = lock(&self.io);
        let promise = promise_key(key);
        let (promised, accepted) = {
            let local = self.lock();
            (
                local.get(&promise).map(|e| e.version),
                local.get(key).cloned(),
            )
        };
        match promised {
            Some(promised) if promised > ballot => Ok(Err(promised)),
            Some(promised) if promised == ballot => Ok(Ok(accepted)),
            _ => {
                let record = Entry::register(ballot, None);
                self.store_locked(&[(promise.as_str(), &record)])?;
                Ok(Ok(accepted))
            }
        }
    }

    /// Paxos phase 2 as an acceptor: accept `entry` (its version is the
    /// ballot) unless a higher ballot was promised, raising the promise to
    /// it; or refuse with that promise.
    pub(crate) fn accept(
        &self,
        key: &str,
        entry: &Entry,
    ) -> Result<Result<(), Version>, DiskError> {
        let _io = lock(&self.io);
        let promise = promise_key(key);
        let (promised, accepted) = {
            let local = self.lock();
            (
                local.get(&promise).map(|e| e.version),
                local.get(key).map(|e| e.version),
            )
        };
        if let Some(promised) = promised.filter(|p| {
            *p > entry.version
                && !crate::planted::on(crate::planted::Bug::PaxosAcceptIgnoresPromise)
        }) {
            return Ok(Err(promised));
        }
        let record = Entry::register(entry.version, None);
        let mut writes: Vec<(&str, &Entry)> = Vec::with_capacity(2);
        if promised != Some(entry.version) {
            writes.push((promise.as_str(), &record));
        }
        if accepted.is_none_or(|v| v < entry.version) {
            writes.push((key, entry));
        }
        self.store_locked(&writes)?;
        Ok(Ok(()))
    }

    /// Up to `limit` entries with keys in `range` that pass `keep`, in key order.
    pub(crate) fn scan(
        &self,
        range: &KeyRange,
        limit: usize,
        mut keep: impl FnMut(&str, &Entry) -> bool,
    ) -> Vec<(String, Entry)> {
        self.lock()
            .range(range.start.clone()..)
            .take_while(|(key, _)| range.contains(key))
            .filter(|(key, entry)| keep(key, entry))
            .take(limit)
            .map(|(key, entry)| (key.clone(), entry.clone()))
            .collect()
    }

    /// Up to `limit` entries whose keys start with `prefix` and come after
    /// `after` (if set), in key order.
    pub(crate) fn scan_prefix(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Vec<(String, Entry)> {
        let local = self.lock();
        use std::ops::Bound::{Excluded, Included, Unbounded};
        let start = match after {
            Some(after) if after >= prefix => Excluded(after),
            _ => Included(prefix),
        };
        let from = local.range::<str, _>((start, Unbounded));
        from.take_while(|(key, _)| key.starts_with(prefix))
            .take(limit)
            .map(|(key, entry)| (key.clone(), entry.clone()))
            .collect()
    }

    /// Makes every buffered write durable now, whatever the policy.
    pub(crate) fn flush(&self) -> Result<(), DiskError> {
        let _io = lock(&self.io);
        self.disk.sync()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Entry>> {
        lock(&self.entries)
    }
}

/// Where a paxos acceptor keeps its promise for `key`: next to the key (the
/// same placement: [`crate::keyspace::placement`] stops at the NUL), in the
/// reserved space, so no register or object key can name it.
pub(crate) fn promise_key(key: &str) -> String {
    format!("{key}\0{}promise", crate::keyspace::RESERVED)
}

/// Poisoned only if a panic happened while merging; the map is still
/// consistent (records are inserts, the last step), and a node must not panic
/// on messages.
fn lock<S>(mutex: &Mutex<S>) -> MutexGuard<'_, S> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
