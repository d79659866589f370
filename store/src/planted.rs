//! Planted bugs: realistic one-line mutations of the store, one or more per
//! mechanism, that the testbed must catch (issue 13: "a testbed is worth the
//! bugs it finds").
//!
//! Each bug is a point in the store written as
//! `if planted::on(Bug::X) { mutated } else { correct }` (or a guard of that
//! form). Without the `planted-bugs` feature, [`on`] is a constant `false`
//! and the compiler removes every mutated branch: a normal build carries no
//! trace of them. With the feature (test builds, and the binary built with
//! `--features planted` for `scripts/planted.sh`), one bug at most is planted
//! for the whole process by [`plant`], before any simulation starts
//! (`storesim --plant NAME ...`); none is planted by default, so a test build
//! behaves exactly as a normal one (the golden fingerprints hold).
//!
//! A process-wide switch, not a `ClusterConfig` field: the points sit in
//! places with no configuration at hand (a replica's merge, an entry's
//! order), and every seed of a run, shrink or explore must see the same bug.
//! Tests that plant a bug therefore run the binary in a process of its own.

use std::fmt;

/// A planted bug, by mechanism. [`Bug::name`] is its command-line name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bug {
    /// LWW order: versions compare node id first, timestamp second (the
    /// fields of the order swapped), so one node's writes beat every later
    /// write of a lower-numbered node.
    LwwNodeFirst,
    /// Quorum counting: a write waits for W − 1 acknowledgements (off by one).
    QuorumOffByOne,
    /// Read resolution: a quorum read returns the first of its R answers
    /// instead of the newest.
    ReadFirstOfR,
    /// Read repair: stale replicas are never repaired.
    ReadRepairSkipped,
    /// Tombstones: a put supersedes a tombstone even when the put is older.
    TombstoneLosesToOlderPut,
    /// Hinted handoff: a delivery round drops a hint whose delivery failed
    /// (deleted before its intended replica acknowledged it).
    HintDeletedBeforeAck,
    /// ABD: a read returns without its write-back phase.
    AbdNoWriteBack,
    /// Sync policy: under `always`, a replica syncs a merge only when it
    /// wrote more than one entry (off by one), so a single write is
    /// acknowledged before it is durable.
    SyncOffByOne,
    /// Anti-entropy: the initiator of a round pushes its entries but never
    /// merges the peer's answer (one direction only).
    AntiEntropyPushOnly,
    /// Ring placement: the read path's preference list starts one node
    /// late on the ring (skips the primary, takes the node after the last).
    RingReadListShifted,
    /// Paxos: an acceptor accepts a ballot below the one it promised.
    PaxosAcceptIgnoresPromise,
    /// Refusals: a request answered `Refused` (nothing applied) is applied
    /// all the same — by a rebuilding node that coordinates the write it
    /// refuses, and by a simulated node whose full service queue hands the
    /// request to the handler anyway (`sim::cluster`'s point: the queue is
    /// the simulation's model of the node's front, so its point sits there).
    RefusalApplies,
}

impl Bug {
    /// Every bug, in declaration order.
    pub const ALL: [Bug; 12] = [
        Bug::LwwNodeFirst,
        Bug::QuorumOffByOne,
        Bug::ReadFirstOfR,
        Bug::ReadRepairSkipped,
        Bug::TombstoneLosesToOlderPut,
        Bug::HintDeletedBeforeAck,
        Bug::AbdNoWriteBack,
        Bug::SyncOffByOne,
        Bug::AntiEntropyPushOnly,
        Bug::RingReadListShifted,
        Bug::PaxosAcceptIgnoresPromise,
        Bug::RefusalApplies,
    ];

    /// The command-line name (`lww-node-first`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Bug::LwwNodeFirst => "lww-node-first",
            Bug::QuorumOffByOne => "quorum-off-by-one",
            Bug::ReadFirstOfR => "read-first-of-r",
            Bug::ReadRepairSkipped => "read-repair-skipped",
            Bug::TombstoneLosesToOlderPut => "tombstone-loses-to-older-put",
            Bug::HintDeletedBeforeAck => "hint-deleted-before-ack",
            Bug::AbdNoWriteBack => "abd-no-write-back",
            Bug::SyncOffByOne => "sync-off-by-one",
            Bug::AntiEntropyPushOnly => "anti-entropy-push-only",
            Bug::RingReadListShifted => "ring-read-list-shifted",
            Bug::PaxosAcceptIgnoresPromise => "paxos-accept-ignores-promise",
            Bug::RefusalApplies => "refusal-applies",
        }
    }

    /// The bug named `name`, if any.
    pub fn parse(name: &str) -> Option<Bug> {
        Bug::ALL.into_iter().find(|bug| bug.name() == name)
    }
}

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// [`plant`] in a build without the `planted-bugs` feature.
#[derive(Debug, thiserror::Error)]
#[error("this build has no planted bugs (build with `--features planted`)")]
pub struct NotPlantable;

#[cfg(feature = "planted-bugs")]
mod switch {
    use super::Bug;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// 0: none; `i + 1`: `Bug::ALL[i]`.
    static PLANTED: AtomicUsize = AtomicUsize::new(0);

    pub(super) fn set(bug: Option<Bug>) {
        let index = bug.map_or(0, |bug| {
            1 + Bug::ALL.iter().position(|b| *b == bug).expect("in ALL")
        });
        PLANTED.store(index, Ordering::SeqCst);
    }

    pub(super) fn get() -> Option<Bug> {
        match PLANTED.load(Ordering::Relaxed) {
            0 => None,
            i => Some(Bug::ALL[i - 1]),
        }
    }
}

/// Plants `bug` (or none) for the whole process. Call it before any
/// simulation starts. Fails in a build without the `planted-bugs` feature
/// unless `bug` is `None`.
pub fn plant(bug: Option<Bug>) -> Result<(), NotPlantable> {
    #[cfg(feature = "planted-bugs")]
    {
        switch::set(bug);
        Ok(())
    }
    #[cfg(not(feature = "planted-bugs"))]
    match bug {
        None => Ok(()),
        Some(_) => Err(NotPlantable),
    }
}

/// Whether `bug` is planted: always `false` without the `planted-bugs`
/// feature (a constant, so the mutated branch is compiled away).
#[inline(always)]
pub fn on(bug: Bug) -> bool {
    #[cfg(feature = "planted-bugs")]
    {
        switch::get() == Some(bug)
    }
    #[cfg(not(feature = "planted-bugs"))]
    {
        let _ = bug;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_distinct() {
        for bug in Bug::ALL {
            assert_eq!(Bug::parse(bug.name()), Some(bug));
        }
        let mut names: Vec<&str> = Bug::ALL.iter().map(|b| b.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Bug::ALL.len());
        assert_eq!(Bug::parse("no-such-bug"), None);
    }

    #[test]
    fn nothing_is_planted_by_default() {
        // The store's tests never plant a process-wide bug (they run in
        // parallel threads of one process); the CLI tests do, each in a
        // process of its own.
        assert!(Bug::ALL.iter().all(|bug| !on(*bug)));
    }
}
