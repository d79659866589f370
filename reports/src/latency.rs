//! Latency distributions that merge across seeds exactly.
//!
//! A [`Histogram`] counts values in log-linear buckets (HDR-like): values
//! below 2^[`SUB_BITS`] get a bucket each; above, every power of two is split
//! into 2^`SUB_BITS` equal sub-buckets. Buckets are a pure function of the
//! value, so the histograms of two seeds add up to the histogram of both,
//! whatever order seeds finish in. A bucket is named by its lower bound (ns),
//! which keeps `results.json` readable.
//!
//! Per seed, [`LatencyStats`] percentiles are exact (nearest rank); across
//! seeds ([`LatencyStats::merge`]) they come from the merged histogram, within
//! one bucket: at most 1/2^`SUB_BITS` (6.25 %) of the value.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Sub-bucket bits of latency histograms: 16 buckets per power of two.
pub const SUB_BITS: u32 = 4;

/// The lower bound of `value`'s bucket with `sub_bits` sub-bucket bits.
pub fn bucket(value: u64, sub_bits: u32) -> u64 {
    let magnitude = 63 - value.max(1).leading_zeros();
    if magnitude <= sub_bits {
        return value;
    }
    let shift = magnitude - sub_bits;
    (value >> shift) << shift
}

/// The exclusive upper bound of the bucket whose lower bound is `lower`.
pub fn bucket_end(lower: u64, sub_bits: u32) -> u64 {
    let magnitude = 63 - lower.max(1).leading_zeros();
    if magnitude <= sub_bits {
        return lower + 1;
    }
    lower.saturating_add(1 << (magnitude - sub_bits))
}

/// Counts per bucket: bucket lower bound (ns) → values in it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Histogram(pub BTreeMap<u64, u64>);

impl Histogram {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn record(&mut self, value: u64, sub_bits: u32) {
        *self.0.entry(bucket(value, sub_bits)).or_default() += 1;
    }

    /// Adds `other`'s counts (both must use the same `sub_bits`).
    pub fn merge(&mut self, other: &Histogram) {
        for (lower, n) in &other.0 {
            *self.0.entry(*lower).or_default() += n;
        }
    }

    pub fn count(&self) -> u64 {
        self.0.values().sum()
    }

    /// The nearest-rank `q`-quantile, as the middle of its bucket (exact
    /// for the one-value buckets of small values); 0 when empty.
    pub fn quantile(&self, q: f64, sub_bits: u32) -> u64 {
        let rank = nearest_rank(self.count(), q);
        let mut seen = 0;
        for (&lower, &n) in &self.0 {
            seen += n;
            if seen > rank {
                return lower + (bucket_end(lower, sub_bits) - lower - 1) / 2;
            }
        }
        0
    }
}

/// The 0-based index of the nearest-rank `q`-quantile among `n` values.
fn nearest_rank(n: u64, q: f64) -> u64 {
    let rank = (q.clamp(0.0, 1.0) * n as f64).ceil() as u64;
    rank.saturating_sub(1).min(n.saturating_sub(1))
}

/// The latency of one kind of operation: ok operations' completion − invoke,
/// in simulated nanoseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatencyStats {
    pub count: u64,
    pub p50_ns: u64,
    pub p90_ns: u64,
    pub p99_ns: u64,
    pub max_ns: u64,
    /// Log-bucketed counts ([`SUB_BITS`]), for merging and plotting. Kept in
    /// a run's totals; left out (empty) of each seed's entry, so that
    /// `results.json` grows by a few hundred bytes per seed, not kilobytes.
    #[serde(default, skip_serializing_if = "Histogram::is_empty")]
    pub histogram: Histogram,
}

impl LatencyStats {
    /// Exact statistics of `samples` (any order).
    pub fn of(samples: &mut [u64]) -> LatencyStats {
        samples.sort_unstable();
        let n = samples.len() as u64;
        let at = |q: f64| {
            let i = usize::try_from(nearest_rank(n, q)).unwrap_or(usize::MAX);
            samples.get(i).copied().unwrap_or(0)
        };
        let mut histogram = Histogram::default();
        for &s in samples.iter() {
            histogram.record(s, SUB_BITS);
        }
        LatencyStats {
            count: n,
            p50_ns: at(0.5),
            p90_ns: at(0.9),
            p99_ns: at(0.99),
            max_ns: samples.last().copied().unwrap_or(0),
            histogram,
        }
    }

    /// Many seeds' statistics as one: counts and histograms add up exactly,
    /// the maximum is exact, percentiles come from the merged histogram.
    pub fn merge<'a>(parts: impl IntoIterator<Item = &'a LatencyStats>) -> LatencyStats {
        let mut histogram = Histogram::default();
        let mut max_ns = 0;
        for p in parts {
            histogram.merge(&p.histogram);
            max_ns = max_ns.max(p.max_ns);
        }
        let at = |q| histogram.quantile(q, SUB_BITS).min(max_ns);
        LatencyStats {
            count: histogram.count(),
            p50_ns: at(0.5),
            p90_ns: at(0.9),
            p99_ns: at(0.99),
            max_ns,
            histogram,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_exact_below_16_and_log_linear_above() {
        assert_eq!(
            (0..16).map(|v| bucket(v, 4)).collect::<Vec<_>>(),
            (0..16).collect::<Vec<_>>()
        );
        assert_eq!(bucket(16, 4), 16);
        assert_eq!(bucket(33, 4), 32);
        assert_eq!(bucket(35, 4), 34);
        assert_eq!(bucket_end(34, 4), 36);
        assert_eq!(bucket(1_000_000, 4), 983_040);
        for v in [1, 17, 999, 123_456_789, u64::MAX / 3] {
            let lower = bucket(v, 4);
            assert!(lower <= v && v < bucket_end(lower, 4), "{v}");
            assert_eq!(bucket(bucket_end(lower, 4), 4), bucket_end(lower, 4));
        }
    }

    #[test]
    fn exact_percentiles_per_seed() {
        let mut samples: Vec<u64> = (1..=100).rev().collect();
        let s = LatencyStats::of(&mut samples);
        assert_eq!(
            (s.count, s.p50_ns, s.p90_ns, s.p99_ns, s.max_ns),
            (100, 50, 90, 99, 100)
        );
        assert_eq!(s.histogram.count(), 100);
        assert_eq!(LatencyStats::of(&mut []), LatencyStats::default());
    }

    #[test]
    fn merging_two_seeds_equals_one_seed_with_both_samples() {
        let a: Vec<u64> = (0..500).map(|i| 1_000 + i * 7_919 % 3_000_000).collect();
        let b: Vec<u64> = (0..300).map(|i| 20_000 + i * 104_729 % 9_000_000).collect();
        let both: Vec<u64> = a.iter().chain(&b).copied().collect();
        let merged = LatencyStats::merge([
            &LatencyStats::of(&mut a.clone()),
            &LatencyStats::of(&mut b.clone()),
        ]);
        let exact = LatencyStats::of(&mut both.clone());
        assert_eq!(merged.histogram, exact.histogram);
        assert_eq!((merged.count, merged.max_ns), (exact.count, exact.max_ns));
        for (approx, truth) in [(merged.p50_ns, exact.p50_ns), (merged.p99_ns, exact.p99_ns)] {
            assert!(approx.abs_diff(truth) * 16 <= truth, "{approx} vs {truth}");
        }
    }
}
