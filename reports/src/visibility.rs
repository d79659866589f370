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

/// Fewest reads behind a point of the curve as shown: below 1 ms buckets
/// hold 1–3 reads each, whose fractions (0, ½, 1) are noise; neighbours are
/// merged until each point rests on at least this many reads.
pub const MIN_READS_PER_POINT: u64 = 20;

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
    /// Reads that were fresh.
    pub fresh: u64,
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

    /// The curve as shown: adjacent buckets merged, in time order, until
    /// each point has at least `min_reads` reads (a short tail joins the
    /// point before it). The stored buckets stay exact; only the view merges.
    pub fn curve_merged(&self, min_reads: u64) -> Vec<Point> {
        let mut out: Vec<(Point, u64)> = Vec::new();
        let mut open: Option<(Point, u64)> = None;
        for (&lower, b) in self.0.iter().filter(|(_, b)| b.reads > 0) {
            let (mut p, mut fresh) = open.take().unwrap_or((
                Point {
                    from_ns: lower,
                    to_ns: lower,
                    fresh_fraction: 0.0,
                    reads: 0,
                    fresh: 0,
                },
                0,
            ));
            p.to_ns = bucket_end(lower, SUB_BITS);
            p.reads += b.reads;
            fresh += b.fresh;
            if p.reads >= min_reads {
                out.push((p, fresh));
            } else {
                open = Some((p, fresh));
            }
        }
        if let Some((tail, fresh)) = open {
            match out.last_mut() {
                Some((last, last_fresh)) => {
                    last.to_ns = tail.to_ns;
                    last.reads += tail.reads;
                    *last_fresh += fresh;
                }
                None => out.push((tail, fresh)),
            }
        }
        out.into_iter()
            .map(|(p, fresh)| Point {
                fresh_fraction: fresh as f64 / p.reads.max(1) as f64,
                fresh,
                ..p
            })
            .collect()
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
                fresh: b.fresh,
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

    /// Issue 11: buckets of 1–3 reads below 1 ms made the curve noise.
    #[test]
    fn sparse_buckets_merge_until_each_point_has_enough_reads() {
        let reads: Vec<ReadStaleness> = (0..50u64)
            .map(|i| read(Some(1_000 + i * 20_000), i % 2 == 0))
            .collect();
        let v = Visibility::of(&reads);
        assert!(
            v.curve().iter().any(|p| p.reads < 3),
            "sparse to begin with"
        );
        let merged = v.curve_merged(20);
        assert_eq!(merged.iter().map(|p| p.reads).sum::<u64>(), 50);
        assert!(merged.iter().all(|p| p.reads >= 20), "{merged:?}");
        assert!(
            merged
                .windows(2)
                .all(|w| w[0].to_ns == w[1].from_ns || w[0].to_ns <= w[1].from_ns)
        );
        assert_eq!(merged[0].from_ns, v.curve()[0].from_ns);
        let few = Visibility::of(&reads[..3]).curve_merged(20);
        assert_eq!(
            (few.len(), few[0].reads),
            (1, 3),
            "fewer reads than the minimum: one point"
        );
    }
}
