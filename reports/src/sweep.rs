//! A sweep's report: how each check's violation rate, the staleness of
//! reads, and the cost side — latency and availability — change across a
//! grid of scenario variants (`storesim sweep`). Rates carry 95 % Wilson
//! intervals (drawn as error bars): 20 seeds cannot tell 10 % from 25 %.
//!
//! This module is the comparison's data: a [`Row`] per point and the
//! parameters every point shares. The plots (`plots::sweep`) read it, and
//! the pages (`sweep_page`) show it; it depends on neither.

use crate::activity::Outcomes;
use crate::interval::wilson95;
use crate::latency::{LatencyStats, SUB_BITS};
use crate::metrics::mean_versions_behind;
use crate::results::RunResults;
use check::{CheckName, Verdict};

/// One point of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// (dotted path, value as written) per swept parameter, in `--set` order.
    pub params: Vec<(String, String)>,
    /// The point's run folder, relative to the sweep folder.
    pub dir: String,
    pub results: RunResults,
}

/// What a sweep report shows of one point.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The swept values, e.g. `2` or `2, 1`.
    pub label: String,
    pub seeds: u64,
    /// Per check (display order): fraction of seeds invalid.
    pub invalid: Vec<(CheckName, f64)>,
    /// Per check (display order): its 95 % Wilson interval.
    pub invalid_interval: Vec<(CheckName, (f64, f64))>,
    /// Fraction of measured reads at least one version behind.
    pub stale_fraction: f64,
    pub stale_interval: (f64, f64),
    pub mean_versions_behind: f64,
    /// Median and p99 latency of every ok operation, all kinds (ns).
    pub p50_ns: u64,
    pub p99_ns: u64,
    /// Fraction of operations that ended ok, and its interval (`None` for
    /// folders written before outcomes were counted).
    pub availability: Option<(f64, (f64, f64))>,
}

impl Row {
    pub fn of(point: &Point) -> Row {
        let r = &point.results;
        let seeds = r.digest.count;
        let rate =
            |c: &CheckName| r.digest.count(*c, Verdict::Invalid) as f64 / seeds.max(1) as f64;
        let ran = CheckName::ALL
            .iter()
            .filter(|c| r.digest.checks.contains_key(c));
        let totals = r.totals.clone();
        let reads = totals.staleness.reads.max(1) as f64;
        let all = LatencyStats::merge(totals.latency.values());
        let mut outcomes = Outcomes::default();
        totals.outcomes.values().for_each(|o| outcomes.add(o));
        let availability = (outcomes.total() > 0).then(|| {
            (
                outcomes.ok as f64 / outcomes.total() as f64,
                wilson95(outcomes.ok, outcomes.total()),
            )
        });
        let interval = |c: &CheckName| wilson95(r.digest.count(*c, Verdict::Invalid), seeds);
        Row {
            label: point
                .params
                .iter()
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            seeds,
            invalid: ran.clone().map(|c| (*c, rate(c))).collect(),
            invalid_interval: ran.map(|c| (*c, interval(c))).collect(),
            stale_fraction: totals.staleness.stale_reads as f64 / reads,
            stale_interval: wilson95(totals.staleness.stale_reads, totals.staleness.reads),
            mean_versions_behind: mean_versions_behind(&totals.staleness),
            p50_ns: all.histogram.quantile(0.5, SUB_BITS),
            p99_ns: all.histogram.quantile(0.99, SUB_BITS),
            availability,
        }
    }
}

/// The axis name: the swept paths, e.g. `cluster.read_quorum`.
pub fn axis(points: &[Point]) -> String {
    points
        .first()
        .map(|p| {
            p.params
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// The scenario's parameters that every point shares, as (what, value):
/// the rows of the points' summaries that do not vary. What varies is the
/// swept parameters (and what they imply), shown per point.
pub fn fixed(points: &[Point]) -> Vec<(String, String)> {
    let rows = |p: &Point| -> Vec<(&'static str, String)> {
        let Some(s) = &p.results.summary else {
            return Vec::new();
        };
        let faults = if s.faults.is_empty() {
            "none".to_string()
        } else {
            s.faults.join("; ")
        };
        vec![
            ("protocol", s.protocol.clone()),
            ("nodes", s.nodes.to_string()),
            ("N (replicas)", s.replicas.to_string()),
            ("W (write quorum)", s.write_quorum.to_string()),
            ("R (read quorum)", s.read_quorum.to_string()),
            ("duration", s.duration.clone()),
            ("network", s.network.clone()),
            ("clocks", s.clocks.clone()),
            ("workload", s.workload.clone()),
            ("faults", faults),
            (
                "nemesis",
                s.nemesis.clone().unwrap_or_else(|| "none".to_string()),
            ),
        ]
    };
    let Some(first) = points.first() else {
        return Vec::new();
    };
    let all: Vec<Vec<(&str, String)>> = points.iter().map(rows).collect();
    rows(first)
        .into_iter()
        .enumerate()
        .filter(|(i, (_, v))| all.iter().all(|r| r.get(*i).is_some_and(|(_, w)| w == v)))
        .map(|(_, (k, v))| (k.to_string(), v))
        .collect()
}
