//! A node's local state: the entries it holds as a replica, in memory and on disk.

use crate::NodeId;
use crate::config::SyncPolicy;
use crate::disk::Disk;
use crate::message::KeyRange;
use crate::version::Entry;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

/// Entries by key (tombstones included), mirrored to the disk. The lock is never
/// held across an `.await`: every method is synchronous.
pub(crate) struct Replica<D> {
    entries: Mutex<BTreeMap<String, Entry>>,
    disk: D,
    sync_policy: SyncPolicy,
}

impl<D: Disk> Replica<D> {
    /// A replica holding whatever `disk` holds durably.
    pub(crate) fn new(disk: D, sync_policy: SyncPolicy) -> Self {
        let entries = Mutex::new(disk.load());
        Replica {
            entries,
            disk,
            sync_policy,
        }
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

    /// LWW merge of one entry, made durable as the sync policy demands. Returns
    /// whether `entry` replaced the local one.
    pub(crate) fn merge(&self, key: &str, entry: &Entry) -> bool {
        let replaced = self.merge_unsynced(&mut self.lock(), key, entry);
        self.sync();
        replaced
    }

    /// LWW merge of many entries with one sync at the end. Returns how many replaced local ones.
    pub(crate) fn merge_all<'a>(
        &self,
        entries: impl IntoIterator<Item = (&'a str, &'a Entry)>,
    ) -> usize {
        let replaced = {
            let mut local = self.lock();
            entries
                .into_iter()
                .filter(|(key, entry)| self.merge_unsynced(&mut local, key, entry))
                .count()
        };
        self.sync();
        replaced
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

    /// The merge rule: keep `entry` if it supersedes the local one (a greater
    /// version, see [`Entry::supersedes`]). Re-applying the same write is a
    /// no-op: merging is idempotent, commutative and associative, which is why
    /// replicas that saw the same writes in any order converge.
    fn merge_unsynced(
        &self,
        local: &mut BTreeMap<String, Entry>,
        key: &str,
        entry: &Entry,
    ) -> bool {
        if local
            .get(key)
            .is_some_and(|current| !entry.supersedes(current))
        {
            return false;
        }
        // Written under the lock, so the disk sees merges in the order memory does.
        self.disk.write(key, entry);
        local.insert(key.to_string(), entry.clone());
        true
    }

    /// Makes writes durable as the policy demands before an acknowledgement.
    /// Under `Always` this runs even when nothing was replaced: an equal write
    /// may have been buffered by a concurrent merge, and it must be durable
    /// before this one is acknowledged. `Never` and `Interval` acknowledge
    /// without syncing (see `node::sync` for the periodic flush).
    fn sync(&self) {
        match self.sync_policy {
            SyncPolicy::Always => self.disk.sync(),
            SyncPolicy::Never | SyncPolicy::Interval(_) => {}
        }
    }

    /// Makes every buffered write durable now, whatever the policy.
    pub(crate) fn flush(&self) {
        self.disk.sync();
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Entry>> {
        // Poisoned only if a panic happened while merging; the map is still consistent
        // (insert is the last step), and a node must not panic on messages.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
