//! Per-seed metrics for `results.json`: latency and outcomes per operation
//! kind, staleness, P(fresh) per probe delay, operations over time, and
//! anomalies per check. A pure function of the history, its verdicts and a
//! few facts of the scenario ([`SeedContext`]), so `results.json` stays the
//! same whatever `--jobs` was.

use crate::activity::{self, Activity, Outcomes};
use crate::conditional::Conditional;
use crate::latency::LatencyStats;
use crate::moves::MoveAvailability;
use crate::objects::ObjectMetrics;
use crate::probes::{ProbeLayout, ProbeReads};
use crate::visibility::Visibility;
use check::staleness::{self, StalenessSummary};
use check::{Analysis, CheckName, CheckResult, Function, History, Op, Outcome};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What one seed measured, besides its verdicts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedMetrics {
    /// Per operation kind (`get`, `put`, `delete`, `cas`; kinds with no ok
    /// operation are left out).
    pub latency: BTreeMap<Function, LatencyStats>,
    /// k-staleness and t-visibility totals (`check::staleness`).
    pub staleness: StalenessSummary,
    /// Reads fresh vs time since the newest commit (kept in a run's totals,
    /// empty in each seed's entry, see [`SeedMetrics::slim`]).
    #[serde(default, skip_serializing_if = "Visibility::is_empty")]
    pub visibility: Visibility,
    /// Anomalies found per check (0 when valid or n/a).
    pub anomalies: BTreeMap<CheckName, u64>,
    /// Per operation kind, how its operations ended (absent in older files).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub outcomes: BTreeMap<Function, Outcomes>,
    /// Staleness probes' reads and fresh reads per delay (absent without
    /// `[workload.probes]`).
    #[serde(default, skip_serializing_if = "ProbeReads::is_empty")]
    pub probes: ProbeReads,
    /// Operations over simulated time (kept in a run's totals, empty in each
    /// seed's entry, see [`SeedMetrics::slim`]).
    #[serde(default, skip_serializing_if = "Activity::is_empty")]
    pub activity: Activity,
    /// S3 listings, versions and latency per size class (absent for a
    /// register history).
    #[serde(default, skip_serializing_if = "ObjectMetrics::is_empty")]
    pub objects: ObjectMetrics,
    /// Conditional writes (cas) by S3 outcome: succeeded, 412, 409, 404,
    /// failed otherwise, timed out (absent when the run had none).
    #[serde(default, skip_serializing_if = "Conditional::is_empty")]
    pub conditional: Conditional,
    /// Operations during membership movements vs outside them (absent
    /// without movements).
    #[serde(default, skip_serializing_if = "MoveAvailability::is_empty")]
    pub moves: MoveAvailability,
    /// Access control: requests by principal and outcome, revocation
    /// latencies (absent without `principal` fields).
    #[serde(
        default,
        skip_serializing_if = "crate::access::AccessMetrics::is_empty"
    )]
    pub access: crate::access::AccessMetrics,
}

/// What metrics need to know of the scenario and the seed's run besides
/// its history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedContext {
    /// The staleness probes, if the scenario has any.
    pub probes: Option<ProbeLayout>,
    /// The seed's fault windows (start, end ns), for shading time plots
    /// (membership movements apart, in `movements`).
    pub faults: Vec<(u64, u64)>,
    /// The seed's membership movements (start, end ns): from a movement's
    /// first layout to the settled one.
    pub movements: Vec<(u64, u64)>,
    /// The scenario's faulty phase, which sets the time buckets
    /// ([`activity::bucket_width`]).
    pub duration_ns: u64,
}

impl SeedMetrics {
    /// The per-seed part that `results.json` keeps for every seed: counts,
    /// percentiles and staleness, without the bucketed distributions (those
    /// go into the run's totals, which merge exactly).
    pub fn slim(&self) -> SeedMetrics {
        let mut slim = self.clone();
        slim.latency
            .values_mut()
            .for_each(|l| l.histogram = Default::default());
        slim.visibility = Visibility::default();
        slim.activity = Activity::default();
        slim.objects.slim();
        slim
    }

    /// Many seeds as one: everything adds up exactly except latency
    /// percentiles (see [`LatencyStats::merge`]) and `longest_miss_ns` (max).
    pub fn merge<'a>(parts: impl IntoIterator<Item = &'a SeedMetrics>) -> SeedMetrics {
        let parts: Vec<&SeedMetrics> = parts.into_iter().collect();
        let mut total = SeedMetrics::default();
        let kinds: std::collections::BTreeSet<Function> = parts
            .iter()
            .flat_map(|p| p.latency.keys().copied())
            .collect();
        for kind in kinds {
            let merged = LatencyStats::merge(parts.iter().filter_map(|p| p.latency.get(&kind)));
            total.latency.insert(kind, merged);
        }
        for p in &parts {
            add_staleness(&mut total.staleness, &p.staleness);
            total.visibility.merge(&p.visibility);
            for (check, n) in &p.anomalies {
                *total.anomalies.entry(*check).or_default() += n;
            }
            for (f, o) in &p.outcomes {
                total.outcomes.entry(*f).or_default().add(o);
            }
            total.probes.merge(&p.probes);
            total.activity.merge(&p.activity);
            total.objects.merge(&p.objects);
            total.conditional.add(&p.conditional);
            total.moves.add(&p.moves);
            total.access.add(&p.access);
        }
        total
    }
}

fn add_staleness(total: &mut StalenessSummary, s: &StalenessSummary) {
    total.reads += s.reads;
    total.fresh_reads += s.fresh_reads;
    total.stale_reads += s.stale_reads;
    total.max_versions_behind = total.max_versions_behind.max(s.max_versions_behind);
    for (k, n) in &s.histogram {
        *total.histogram.entry(*k).or_default() += n;
    }
    total.longest_miss_ns = total.longest_miss_ns.max(s.longest_miss_ns);
}

/// Mean versions behind over all measured reads (0 when none).
pub fn mean_versions_behind(s: &StalenessSummary) -> f64 {
    let sum: u64 = s.histogram.iter().map(|(k, n)| u64::from(*k) * n).sum();
    if s.reads == 0 {
        0.0
    } else {
        sum as f64 / s.reads as f64
    }
}

/// Measures one seed of a history from anywhere (no probes, no faults
/// known; time buckets from the history's own span).
pub fn seed_metrics(history: &History, results: &BTreeMap<CheckName, CheckResult>) -> SeedMetrics {
    let end = history.events.iter().map(|e| e.time).max().unwrap_or(0);
    let context = SeedContext {
        duration_ns: end,
        ..SeedContext::default()
    };
    seed_metrics_in(history, results, &context)
}

/// Measures one seed of a run, knowing its scenario's probes, faults and
/// duration.
pub fn seed_metrics_in(
    history: &History,
    results: &BTreeMap<CheckName, CheckResult>,
    context: &SeedContext,
) -> SeedMetrics {
    // Paired once for every measure (pairing costs about as much as
    // measuring staleness).
    let ops = check::op::pair(history);
    let reads = staleness::measure_analysis(&Analysis::new(&ops, &history.finals));
    let probes = (context.probes.as_ref())
        .map(|layout| ProbeReads::of(&ops, &reads, layout))
        .unwrap_or_default();
    let width = activity::bucket_width(context.duration_ns);
    let mut activity = Activity::of(&ops, &context.faults, width);
    activity.mark_movements(&context.movements);
    let access = check::access::Access::new(history);
    activity.count_access(&ops, &access);
    SeedMetrics {
        latency: latency(&ops),
        staleness: staleness::summarise(&reads),
        visibility: Visibility::of(&reads),
        anomalies: results
            .iter()
            .map(|(c, r)| (*c, r.anomalies as u64))
            .collect(),
        outcomes: activity::outcomes(&ops),
        probes,
        activity,
        objects: ObjectMetrics::of(&ops),
        conditional: Conditional::of(&ops),
        moves: MoveAvailability::of(&ops, &context.movements),
        access: crate::access::AccessMetrics::of(&access, &ops),
    }
}

fn latency(ops: &[Op]) -> BTreeMap<Function, LatencyStats> {
    let mut samples: BTreeMap<Function, Vec<u64>> = BTreeMap::new();
    for op in ops {
        if let (Outcome::Ok, Some(end)) = (op.outcome, op.complete_time) {
            samples
                .entry(op.f)
                .or_default()
                .push(end.saturating_sub(op.invoke_time));
        }
    }
    samples
        .into_iter()
        .map(|(f, mut s)| (f, LatencyStats::of(&mut s)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HISTORY: &str = r#"{"process":0,"type":"invoke","f":"put","key":"k","value":"a","time":1000}
{"process":0,"type":"ok","f":"put","key":"k","value":"a","time":3000}
{"process":0,"type":"invoke","f":"put","key":"k","value":"b","time":4000}
{"process":0,"type":"ok","f":"put","key":"k","value":"b","time":5000}
{"process":1,"type":"invoke","f":"get","key":"k","value":null,"time":9000}
{"process":1,"type":"ok","f":"get","key":"k","value":"a","time":9500}
{"process":1,"type":"invoke","f":"get","key":"k","value":null,"time":9600}
{"process":1,"type":"fail","f":"get","key":"k","value":null,"time":9700}
"#;

    #[test]
    fn measures_latency_staleness_and_anomalies() {
        let history = History::parse(HISTORY).unwrap();
        let results = check::run(&history, &[CheckName::ReadAfterWrite]);
        let m = seed_metrics(&history, &results);
        assert_eq!(m.latency[&Function::Put].count, 2);
        assert_eq!(m.latency[&Function::Put].max_ns, 2000);
        assert_eq!(
            m.latency[&Function::Get].count,
            1,
            "failed ops have no latency"
        );
        assert_eq!((m.staleness.reads, m.staleness.stale_reads), (1, 1));
        assert_eq!(m.anomalies[&CheckName::ReadAfterWrite], 1);
        let get = m.outcomes[&Function::Get];
        assert_eq!((get.ok, get.fail, get.info), (1, 1, 0));
        assert_eq!(m.activity.seeds, 1);
        assert!(m.slim().activity.is_empty());
        let curve = m.visibility.curve();
        assert_eq!((curve.len(), curve[0].fresh_fraction), (1, 0.0));
        let twice = SeedMetrics::merge([&m, &m]);
        assert_eq!(twice.staleness.reads, 2);
        assert_eq!(twice.latency[&Function::Put].count, 4);
        assert_eq!(twice.anomalies[&CheckName::ReadAfterWrite], 2);
        assert_eq!(twice.outcomes[&Function::Get].fail, 2);
        assert_eq!(twice.activity.seeds, 2);
        assert_eq!(mean_versions_behind(&twice.staleness), 1.0);
    }
}
