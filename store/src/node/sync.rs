//! Durability on a timer: under [`SyncPolicy::Interval`] replicas acknowledge
//! writes before they are durable, and the disk is synced every interval, so a
//! crash loses up to one interval of acknowledged writes. (`Always` syncs
//! before every acknowledgement in `replica`; `Never` never syncs.)

use super::Node;
use crate::clock::Clock;
use crate::config::SyncPolicy;
use crate::disk::{Disk, DiskError};
use crate::transport::Transport;
use std::time::Duration;

impl<T: Transport, C: Clock, D: Disk> Node<T, C, D> {
    /// The period of the background sync (`None`: no background sync).
    pub(super) fn flush_interval(&self) -> Option<Duration> {
        match self.config.sync {
            SyncPolicy::Interval(every) if self.replica.is_some() => Some(every),
            SyncPolicy::Interval(_) | SyncPolicy::Always | SyncPolicy::Never => None,
        }
    }

    /// Makes every write this node has accepted durable now, whatever the
    /// policy (the interval policy's background sync). No-op on a router.
    /// On a disk error the writes stay at risk; the next flush tries again.
    pub fn flush(&self) -> Result<(), DiskError> {
        match &self.replica {
            Some(replica) => replica.flush(),
            None => Ok(()),
        }
    }
}
