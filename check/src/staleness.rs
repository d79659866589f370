//! Staleness metrics (not verdicts): for every successful read, how many
//! versions behind it was (k-staleness) and how long since the newest write
//! that had completed before the read began (t-visibility), after Bailis et
//! al.'s probabilistically bounded staleness (PBS).
//!
//! For an `ok` get R of key k, with the *committed* writes being the `ok`
//! writes to k (put, cas, delete) that completed before or at the instant R
//! was invoked (a read invoked at the very instant a write was acknowledged
//! comes after it: that is what a probe reading back "after 0 ms" means):
//!
//! - `versions_behind`: how many committed writes are definitely newer than
//!   what R returned — invoked after R's value's write completed
//!   (real-time order). 0 means nothing provably newer had committed.
//! - `since_newest_commit_ns`: R's invoke time minus the completion time of
//!   the newest committed write N (the one that completed last); `None` when
//!   nothing had committed.
//! - `fresh`: exactly `versions_behind == 0`, so every read is fresh or
//!   stale, never both, and fresh + stale = reads in every total. (Comparing
//!   with N alone is not enough: R's write may overlap N yet precede another
//!   committed write W that completed before N — R is then behind W.) A
//!   stale read with a large `since_newest_commit_ns` is a write that stayed
//!   invisible long after it was acknowledged.
//!
//! What R "returned" is a write, and values may repeat: among the writes R
//! could have seen (see `sources`: writes of its value that did
//! not fail, invoked before R completed; the initial state and deletes for
//! absent) we take the one that completed last — the most favourable — so
//! `versions_behind` is a lower bound and `fresh` means "could be fresh".
//! An `info` write never completes, so a read of its value is never behind.
//! A read of a value nothing could have written is left out (that is
//! `read-after-write`'s finding; it has no staleness).
//!
//! Cost: O(n log n) per key (a sweep with a Fenwick tree counts, per read,
//! the committed writes invoked after a given time).

use crate::analysis::{Analysis, Key};
use crate::history::History;
use crate::op::{Op, pair};
use crate::sources::Point;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The staleness of one `ok` read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadStaleness {
    /// The read's [`Op::index`].
    pub op: usize,
    pub process: u64,
    pub key: String,
    pub invoke_time: u64,
    /// Committed writes definitely newer than the value returned (k − 1 in
    /// PBS's k-staleness; 0 = nothing provably newer had committed).
    pub versions_behind: u32,
    /// Time from the newest committed write's completion to the read's
    /// invoke; `None` when no write had committed.
    pub since_newest_commit_ns: Option<u64>,
    /// Whether no committed write is definitely newer than the value
    /// returned (`versions_behind == 0`): the read returned the newest
    /// committed write's value or one that may be newer.
    pub fresh: bool,
}

/// Totals over many reads, for `results.json` and the reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StalenessSummary {
    /// Reads measured.
    pub reads: u64,
    /// Reads that returned the newest committed value (or a newer one).
    pub fresh_reads: u64,
    /// Reads at least one version behind (`reads - fresh_reads`).
    pub stale_reads: u64,
    pub max_versions_behind: u32,
    /// Versions behind → number of reads.
    pub histogram: BTreeMap<u32, u64>,
    /// The longest a committed write stayed invisible: the largest
    /// `since_newest_commit_ns` of a read that was not fresh.
    pub longest_miss_ns: Option<u64>,
}

/// Measures every `ok` read of `history`, in invoke order.
pub fn measure(history: &History) -> Vec<ReadStaleness> {
    let ops = pair(history);
    measure_analysis(&Analysis::new(&ops, &history.finals))
}

/// [`measure`] on a history already prepared (e.g. shared with the checks
/// or with other metrics).
pub fn measure_analysis(analysis: &Analysis) -> Vec<ReadStaleness> {
    let mut measured: Vec<ReadStaleness> = analysis
        .keys()
        .flat_map(|(_, part)| measure_key(part))
        .collect();
    measured.sort_by_key(|r| (r.invoke_time, r.op));
    measured
}

/// Adds up the measurements.
pub fn summarise(reads: &[ReadStaleness]) -> StalenessSummary {
    let mut summary = StalenessSummary::default();
    for r in reads {
        summary.reads += 1;
        summary.fresh_reads += u64::from(r.fresh);
        summary.stale_reads += u64::from(!r.fresh);
        summary.max_versions_behind = summary.max_versions_behind.max(r.versions_behind);
        *summary.histogram.entry(r.versions_behind).or_default() += 1;
        if !r.fresh {
            summary.longest_miss_ns = summary.longest_miss_ns.max(r.since_newest_commit_ns);
        }
    }
    summary
}

/// A read waiting for its count of newer committed writes.
struct Pending {
    result: ReadStaleness,
    /// Count committed writes invoked strictly after this time (when the
    /// read's source completed; one invoked at that very instant may be
    /// concurrent with it, and a zero-length source must not count itself).
    after: u64,
    /// How many writes had committed before the read began.
    committed: usize,
}

/// One key's reads, in any order.
fn measure_key(part: &Key) -> Vec<ReadStaleness> {
    let (key_ops, sources) = (part.ops(), part.sources());
    let acked = Acked::new(key_ops);
    let mut done = Vec::new();
    let mut pending = Vec::new();
    for read in key_ops {
        let (Some(seen), Some(end)) = (read.read(), read.complete_time) else {
            continue;
        };
        let Some(possible) = sources.possible(seen, end) else {
            continue;
        };
        let source = possible.newest();
        let committed = acked.committed_before(read.invoke_time);
        let newest = committed.checked_sub(1).and_then(|i| acked.by_end.get(i));
        let result = ReadStaleness {
            op: read.index,
            process: read.process,
            key: read.key.clone(),
            invoke_time: read.invoke_time,
            versions_behind: 0,
            since_newest_commit_ns: newest.map(|&(t, _)| read.invoke_time.saturating_sub(t)),
            fresh: true,
        };
        match source.ended {
            Point::Never => done.push(result),
            Point::Start => done.push(with_behind(result, committed)),
            Point::At(after) => pending.push(Pending {
                result,
                after,
                committed,
            }),
        }
    }
    done.extend(acked.count_newer(pending));
    done
}

/// `result` with `behind` versions behind, and fresh exactly when none.
fn with_behind(result: ReadStaleness, behind: usize) -> ReadStaleness {
    ReadStaleness {
        versions_behind: saturate(behind),
        fresh: behind == 0,
        ..result
    }
}

/// One key's acknowledged writes.
struct Acked {
    /// (completion, invoke) by completion; a write's rank is its position here.
    by_end: Vec<(u64, u64)>,
    /// (invoke, rank) by invoke.
    by_invoke: Vec<(u64, usize)>,
}

impl Acked {
    fn new(key_ops: &[&Op]) -> Acked {
        let mut by_end: Vec<(u64, u64)> = key_ops
            .iter()
            .filter(|op| op.f.is_write() && op.outcome == crate::op::Outcome::Ok)
            .filter_map(|op| Some((op.complete_time?, op.invoke_time)))
            .collect();
        by_end.sort_unstable();
        let mut by_invoke: Vec<(u64, usize)> = by_end
            .iter()
            .enumerate()
            .map(|(rank, &(_, invoke))| (invoke, rank))
            .collect();
        by_invoke.sort_unstable();
        Acked { by_end, by_invoke }
    }

    /// How many acknowledged writes completed before or at `t` (they are
    /// the ranks below the result): a write acknowledged at the instant a
    /// read is invoked precedes the read.
    fn committed_before(&self, t: u64) -> usize {
        self.by_end.partition_point(|&(end, _)| end <= t)
    }

    /// Fills in `versions_behind` (and `fresh`): committed minus those
    /// committed writes invoked at or before `after`, counted in a sweep
    /// by `after`.
    fn count_newer(&self, mut pending: Vec<Pending>) -> Vec<ReadStaleness> {
        pending.sort_by_key(|p| p.after);
        let mut inserted = Fenwick::new(self.by_end.len());
        let mut next = 0;
        let mut done = Vec::with_capacity(pending.len());
        for p in pending {
            while let Some(&(invoke, rank)) = self.by_invoke.get(next)
                && invoke <= p.after
            {
                inserted.add(rank);
                next += 1;
            }
            let older = inserted.below(p.committed);
            done.push(with_behind(p.result, p.committed.saturating_sub(older)));
        }
        done
    }
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Counts of inserted ranks, with prefix sums in O(log n).
struct Fenwick {
    tree: Vec<usize>,
}

impl Fenwick {
    fn new(len: usize) -> Fenwick {
        Fenwick {
            tree: vec![0; len + 1],
        }
    }

    fn add(&mut self, rank: usize) {
        let mut i = rank + 1;
        while let Some(slot) = self.tree.get_mut(i) {
            *slot += 1;
            i += i & i.wrapping_neg();
        }
    }

    /// How many inserted ranks are below `rank`.
    fn below(&self, rank: usize) -> usize {
        let (mut i, mut sum) = (rank.min(self.tree.len().saturating_sub(1)), 0);
        while i > 0 {
            sum += self.tree.get(i).copied().unwrap_or(0);
            i &= i - 1;
        }
        sum
    }
}
