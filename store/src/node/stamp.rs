//! Where a write's version comes from: the cluster's [`Timestamps`] rule
//! under the LWW protocols, a logical version above every one seen under
//! `abd` and (for its buckets, which are ABD registers) `paxos`.

use super::Node;
use super::coordinator::Unavailable;
use crate::clock::Clock;
use crate::config::{Protocol, Timestamps};
use crate::disk::Disk;
use crate::transport::Transport;
use crate::version::Version;
use std::sync::Arc;

/// What a write's version must be above: one store key (a register or a
/// bucket), or every store key under a prefix (all versions of an object,
/// so a new version is the object's newest).
#[derive(Debug, Clone, Copy)]
pub(super) enum Target<'a> {
    Key(&'a str),
    Range(&'a str),
}

impl<T: Transport, C: Clock, D: Disk> Node<T, C, D> {
    /// A version for a new write to `target`, by the protocol and the
    /// cluster's timestamp rule. Only the rules that need it query replicas
    /// (`abd`, `NewestSeenPlusOne`, `CompletesLast`); the coordinator-clock
    /// rule sends nothing. `Unavailable` if that query fails.
    pub(super) async fn fresh_version(
        self: &Arc<Self>,
        target: Target<'_>,
    ) -> Result<Version, Unavailable> {
        let newest = if self.queries_before_writing() {
            self.newest_version(target).await?
        } else {
            None
        };
        Ok(self.version_above(newest))
    }

    /// Whether a write's version depends on what the replicas hold (`abd`;
    /// `paxos`, whose bucket writes are ABD writes; and the timestamp rules
    /// other than the coordinator's clock).
    pub(super) fn queries_before_writing(&self) -> bool {
        matches!(self.config.protocol, Protocol::Abd | Protocol::Paxos)
            || self.config.timestamps != Timestamps::Coordinator
    }

    /// A version for a new write, given the newest version the replicas were
    /// seen to hold (ignored by the coordinator-clock rule).
    pub(super) fn version_above(&self, newest: Option<Version>) -> Version {
        match (self.config.protocol, self.config.timestamps) {
            (Protocol::Abd | Protocol::Paxos, _) => self.next_abd_version(newest),
            (_, Timestamps::Coordinator) => self.next_version(),
            (_, Timestamps::NewestSeenPlusOne | Timestamps::CompletesLast) => {
                self.next_version_above(newest)
            }
        }
    }

    /// The newest version R replicas hold for `target` (tombstones included).
    pub(super) async fn newest_version(
        self: &Arc<Self>,
        target: Target<'_>,
    ) -> Result<Option<Version>, Unavailable> {
        Ok(match target {
            Target::Key(key) => {
                let (answers, _late) = self.read_answers(key).await?;
                (answers.iter())
                    .filter_map(|(_, entry)| entry.as_ref().map(|entry| entry.version))
                    .max()
            }
            Target::Range(prefix) => {
                let answers = self.query_range(prefix).await?;
                (answers.iter())
                    .flat_map(|(_, entries)| entries.iter().map(|(_, entry)| entry.version))
                    .max()
            }
        })
    }

    /// The clock rule pushed above `newest`: `max(newest + 1, now)`, and past
    /// every timestamp this node issued.
    pub(super) fn next_version_above(&self, newest: Option<Version>) -> Version {
        let version = self.next_version();
        match newest {
            Some(newest) if newest.timestamp >= version.timestamp => {
                let mut last = super::lock(&self.last_timestamp);
                let timestamp = (newest.timestamp.max(*last))
                    .checked_add(1)
                    .expect("timestamp space exhausted");
                *last = timestamp;
                Version {
                    timestamp,
                    node: self.id,
                }
            }
            _ => version,
        }
    }
}
