//! t-visibility (PBS, Bailis et al.): the fraction of reads that returned
//! the newest committed value, as a function of the time since that commit.
//!
//! Reads are bucketed by `since_newest_commit_ns` in log-linear buckets
//! ([`crate::latency::bucket`] with [`SUB_BITS`]: four per power of two), so
//! seeds add up exactly. Reads with nothing committed before them are left
//! out: there is nothing to be fresh about.

use crate::latency::{bucket, bucket_end};
use check::staleness::ReadStaleness;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Sub-bucket bits of the t-visibility curve: four buckets per power of two.
pub const SUB_BITS: u32 = 2;

/// Reads in one time bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    /// Reads that returned the newest committed value (or a newer one).
    pub fresh: u64,
    pub reads: u64,
}

/// Bucket lower bound (ns since the newest commit) → reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Visibility(pub BTreeMap<u64, Bucket>);

impl Visibility {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One point of the curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// The bucket's bounds, ns since the newest commit.
    pub from_ns: u64,
    pub to_ns: u64,
    pub fresh_fraction: f64,
    pub reads: u64,
}

impl Visibility {
    pub fn of(reads: &[ReadStaleness]) -> Visibility {
        let mut v = Visibility::default();
        for r in reads {
            if let Some(since) = r.since_newest_commit_ns {
                let b = v.0.entry(bucket(since, SUB_BITS)).or_default();
                b.reads += 1;
                b.fresh += u64::from(r.fresh);
            }
        }
        v
    }

    pub fn merge(&mut self, other: &Visibility) {
        for (lower, b) in &other.0 {
            let mine = self.0.entry(*lower).or_default();
            mine.fresh += b.fresh;
            mine.reads += b.reads;
        }
    }

    /// The curve, by time.
    pub fn curve(&self) -> Vec<Point> {
        (self.0.iter())
            .filter(|(_, b)| b.reads > 0)
            .map(|(&lower, b)| Point {
                from_ns: lower,
                to_ns: bucket_end(lower, SUB_BITS),
                fresh_fraction: b.fresh as f64 / b.reads as f64,
                reads: b.reads,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(since: Option<u64>, fresh: bool) -> ReadStaleness {
        ReadStaleness {
            op: 0,
            process: 0,
            key: "k".into(),
            invoke_time: 0,
            versions_behind: u32::from(!fresh),
            since_newest_commit_ns: since,
            fresh,
        }
    }

    #[test]
    fn buckets_by_time_since_commit_and_merges() {
        let a = Visibility::of(&[
            read(Some(1_100), false),
            read(Some(1_200), true),
            read(None, true),
        ]);
        let b = Visibility::of(&[read(Some(5_000_000), true)]);
        let mut both = a.clone();
        both.merge(&b);
        let curve = both.curve();
        assert_eq!(curve.len(), 2, "{curve:?}");
        assert_eq!((curve[0].reads, curve[0].fresh_fraction), (2, 0.5));
        assert!(curve[0].from_ns <= 1_100 && 1_200 < curve[0].to_ns);
        assert_eq!((curve[1].reads, curve[1].fresh_fraction), (1, 1.0));
    }
}
