//! A run's report: what `report.md` and `report.html` show, computed once
//! from `results.json` (and the kept histories of the first failing seed
//! and of each check's lowest invalid seed). The pages that show it,
//! `markdown` and `html`, depend on this module and not the other way
//! round; `files` puts the two together.

use crate::activity::Outcomes;
use crate::explain::{self, Example};
use crate::interval::rate_with_interval;
use crate::metrics::{SeedMetrics, mean_versions_behind};
use crate::plots;
use crate::results::RunResults;
use crate::seedinfo::SeedInfo;
use crate::timeline::Timeline;
use crate::visibility::MIN_READS_PER_POINT;
use check::ms::{Precision, format_ms};
use check::{CheckName, History};

/// A table: header, then rows, all cells plain text.
pub type Table = Vec<Vec<String>>;

/// One plot: its file name (`latency.svg`), a caption, and the SVG.
#[derive(Debug, Clone, PartialEq)]
pub struct Plot {
    pub file: &'static str,
    pub caption: String,
    pub svg: String,
}

/// Everything a report shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub title: String,
    pub description: String,
    /// (what, value) rows: scenario file, seeds, cluster, faults, verdict.
    pub overview: Vec<(String, String)>,
    pub breaches: Vec<String>,
    pub verdicts: Table,
    pub latency: Table,
    /// Per operation kind: ok / fail / info and the fraction ok.
    pub outcomes: Table,
    /// Conditional writes by S3 outcome (empty when the run had none).
    pub conditional: Table,
    /// Access control: requests by principal × outcome, and the revocation
    /// latency (both empty without `[auth]`).
    pub access: Table,
    pub revocation: Table,
    pub staleness: Table,
    /// P(fresh) per staleness-probe delay (empty without probes).
    pub probes: Table,
    /// The t-visibility curve as a table (sparse buckets merged).
    pub visibility: Table,
    /// S3: LIST results and version counts (empty for registers).
    pub objects: Table,
    /// S3: latency per object size class (empty for registers).
    pub sizes: Table,
    /// The first failing seed's explanation, if a seed failed.
    pub failing: Option<Failing>,
    pub plots: Vec<Plot>,
}

/// The first failing seed, and a counterexample for every failing check.
#[derive(Debug, Clone, PartialEq)]
pub struct Failing {
    pub seed: u64,
    pub check: CheckName,
    /// One counterexample per failing check: first those invalid on this
    /// seed, `check`'s first (empty when its history was not kept in the
    /// folder), then one for each other failing check from its own lowest
    /// invalid seed, when that seed's history was kept.
    pub examples: Vec<Example>,
    pub replay: String,
    /// The scenario file as given to `run` (for other seeds' replay commands).
    pub scenario_file: String,
    /// Checks invalid only on other seeds whose history was not kept: the
    /// check, its lowest invalid seed, and the command that replays it.
    pub elsewhere: Vec<(CheckName, u64, String)>,
}

impl Failing {
    /// The command that replays `seed` of this run.
    pub fn replay_of(&self, seed: u64) -> String {
        replay_command(&self.scenario_file, seed)
    }
}

/// The kept history (and `run.json`) of one seed: the seed
/// [`explain::first_failing`] picks, or another check's lowest invalid seed.
pub struct Kept<'a> {
    pub seed: u64,
    pub history: &'a History,
    pub info: Option<&'a SeedInfo>,
}

/// The seeds whose kept histories a report reads: the first failing seed,
/// then each check's lowest invalid seed (ascending, no repeats).
pub fn wanted_seeds(results: &RunResults) -> Vec<u64> {
    let first = explain::first_failing(results).map(|(seed, _)| seed);
    let mut others: Vec<u64> = (CheckName::ALL.iter())
        .filter_map(|c| results.digest.first_invalid(*c))
        .filter(|s| Some(*s) != first)
        .collect();
    others.sort_unstable();
    others.dedup();
    first.into_iter().chain(others).collect()
}

/// The report's content.
pub fn build(results: &RunResults, kept: &[Kept]) -> Report {
    let totals = results.totals.clone();
    let kept_of = |seed: u64| kept.iter().find(|k| k.seed == seed);
    let examples_of = |seed: u64, check: CheckName| {
        kept_of(seed)
            .map(|k| {
                let ctx = explain::Context {
                    info: k.info,
                    summary: results.summary.as_ref(),
                };
                explain::examples(seed, check, k.history, ctx)
            })
            .unwrap_or_default()
    };
    let failing = explain::first_failing(results).map(|(seed, check)| {
        let mut examples = examples_of(seed, check);
        let mut elsewhere = Vec::new();
        for &c in CheckName::ALL {
            let Some(s) = results.digest.first_invalid(c) else {
                continue;
            };
            if c == check || examples.iter().any(|e| e.check == c) {
                continue;
            }
            // The first example of `examples_of(s, c)` is `c`'s.
            match examples_of(s, c).into_iter().next() {
                Some(e) if e.check == c => examples.push(e),
                _ => elsewhere.push((c, s, replay_command(&results.scenario_file, s))),
            }
        }
        Failing {
            seed,
            check,
            examples,
            replay: replay_command(&results.scenario_file, seed),
            scenario_file: results.scenario_file.clone(),
            elsewhere,
        }
    });
    let mut plots = vec![
        plot(
            "verdicts.svg",
            "Verdicts per check across seeds",
            plots::verdicts::plot(&verdict_counts(results)),
        ),
        plot(
            "latency.svg",
            "Latency per operation kind",
            plots::latency::plot(&totals.latency),
        ),
        plot(
            "throughput.svg",
            "Throughput over time by outcome, fault windows shaded",
            plots::time::throughput(&totals.activity),
        ),
        plot(
            "latency-time.svg",
            "Latency over time (median, p99), fault windows shaded",
            plots::time::latency(&totals.activity),
        ),
        plot(
            "availability.svg",
            "Availability over time (fraction ok), fault windows shaded",
            plots::time::availability(&totals.activity),
        ),
        plot(
            "visibility.svg",
            "t-visibility: fresh reads vs time since commit",
            plots::staleness::visibility(&totals.visibility),
        ),
        plot(
            "versions-behind.svg",
            "k-staleness: reads by versions behind",
            plots::staleness::versions_behind(&totals.staleness.histogram),
        ),
    ];
    if totals.activity.has_bytes() {
        plots.push(plot(
            "bytes.svg",
            "Throughput in object bytes per second over time, fault windows shaded",
            plots::time::bytes(&totals.activity),
        ));
    }
    if totals.activity.has_access() {
        plots.push(plot(
            "access.svg",
            "Access over time: signed requests allowed and denied, grants and revokes marked, fault windows shaded",
            plots::time::access(&totals.activity),
        ));
    }
    if !totals.access.revocation_ns.is_empty() {
        plots.push(plot(
            "revocation.svg",
            "Revocation latency: the fraction of acknowledged revokes in effect vs time since acknowledgement (t-visibility for permissions)",
            plots::staleness::revocation(&totals.access.revocation_ns),
        ));
    }
    if !totals.conditional.is_empty() {
        plots.push(plot(
            "conditional.svg",
            "Conditional writes (cas) by outcome: succeeded, 412, 409, 404, timed out",
            crate::conditional::plot(&totals.conditional),
        ));
    }
    if let Some(f) = &failing {
        plots.extend(timelines(f, kept));
    }
    let summary = results.summary.clone().unwrap_or_default();
    Report {
        title: if summary.name.is_empty() {
            results.scenario.clone()
        } else {
            summary.name.clone()
        },
        description: summary.description.trim().to_string(),
        overview: overview(results),
        breaches: results.breaches.clone(),
        verdicts: verdict_table(results),
        latency: latency_table(&totals),
        outcomes: outcomes_table(&totals),
        conditional: totals.conditional.table(),
        access: totals.access.table(),
        revocation: totals.access.latency_table(),
        staleness: staleness_table(&totals),
        probes: probes_table(&totals),
        objects: totals.objects.table(),
        sizes: totals.objects.size_table(),
        visibility: visibility_table(&totals),
        failing,
        plots,
    }
}

fn plot(file: &'static str, caption: &str, svg: String) -> Plot {
    Plot {
        file,
        caption: caption.to_string(),
        svg,
    }
}

/// The first failing seed's whole run with the first counterexample
/// outlined, and a close-up of each counterexample on its own seed.
fn timelines(f: &Failing, kept: &[Kept]) -> Vec<Plot> {
    let Some(first) = f.examples.first() else {
        return Vec::new();
    };
    let timeline_of = |seed: u64, ops: &[usize]| {
        let k = kept.iter().find(|k| k.seed == seed)?;
        Some(Timeline::new(k.history, k.info, ops))
    };
    let Some(t) = timeline_of(f.seed, &first.ops) else {
        return Vec::new();
    };
    let whole = format!("Seed {}: every operation, one lane per client", f.seed);
    let mut out = vec![plot(
        "timeline.svg",
        &whole,
        plots::timeline::plot(&t, (0, t.end_ns), &whole),
    )];
    for e in &f.examples {
        let Some(t) = timeline_of(e.seed, &e.ops) else {
            continue;
        };
        if let Some(window) = t.zoom() {
            let title = format!("Seed {}: the {} counterexample, close up", e.seed, e.check);
            out.push(plot(
                zoom_file(e, first),
                &title,
                plots::timeline::plot(&t, window, &title),
            ));
        }
    }
    out
}

/// The close-up's file: `timeline-zoom.svg` for the first example, else
/// one per check.
pub fn zoom_file(e: &Example, first: &Example) -> &'static str {
    if e.check == first.check {
        return "timeline-zoom.svg";
    }
    match e.check {
        CheckName::Linearizable => "timeline-linearizable.svg",
        CheckName::ReadAfterWrite => "timeline-read-after-write.svg",
        CheckName::ReadYourWrites => "timeline-read-your-writes.svg",
        CheckName::MonotonicReads => "timeline-monotonic-reads.svg",
        CheckName::MonotonicWrites => "timeline-monotonic-writes.svg",
        CheckName::WritesFollowReads => "timeline-writes-follow-reads.svg",
        CheckName::Convergence => "timeline-convergence.svg",
        CheckName::LostUpdate => "timeline-lost-update.svg",
        CheckName::Durability => "timeline-durability.svg",
        CheckName::ListAfterWrite => "timeline-list-after-write.svg",
        CheckName::AtomicObject => "timeline-atomic-object.svg",
        CheckName::Versions => "timeline-versions.svg",
        CheckName::Authorization => "timeline-authorization.svg",
        CheckName::Revocation => "timeline-revocation.svg",
    }
}

/// `storesim replay <file> --seed S` ([`crate::replay::replay_command`]):
/// a report names the program `storesim`, not the path this process ran
/// as, so the same results give the same bytes.
pub fn replay_command(scenario_file: &str, seed: u64) -> String {
    crate::replay::replay_command("storesim", scenario_file, seed)
}

fn overview(results: &RunResults) -> Vec<(String, String)> {
    let mut rows = vec![("scenario file".to_string(), results.scenario_file.clone())];
    let d = &results.digest;
    let range = match (d.lowest, d.highest) {
        (Some(a), Some(b)) if b - a + 1 == d.count => format!("{} ({a}–{b})", d.count),
        (Some(a), Some(b)) => format!("{} (from {a} to {b})", d.count),
        _ => "none".to_string(),
    };
    rows.push(("seeds".to_string(), range));
    if let Some(s) = &results.summary {
        let cluster = format!(
            "{}, {} nodes, N={} W={} R={}",
            s.protocol, s.nodes, s.replicas, s.write_quorum, s.read_quorum
        );
        rows.extend([
            ("cluster".to_string(), cluster),
            ("duration".to_string(), s.duration.clone()),
            ("network".to_string(), s.network.clone()),
            ("clocks".to_string(), s.clocks.clone()),
            ("workload".to_string(), s.workload.clone()),
        ]);
        let faults = if s.faults.is_empty() {
            "none".to_string()
        } else {
            s.faults.join("; ")
        };
        rows.push(("faults".to_string(), faults));
        if let Some(n) = &s.nemesis {
            rows.push(("nemesis".to_string(), n.clone()));
        }
    }
    if let Some(line) = results.totals.moves.sentence() {
        rows.push(("membership".to_string(), line));
    }
    let verdict = match results.breaches.len() {
        0 => "every expectation holds".to_string(),
        n => format!("{n} expectation(s) broken"),
    };
    rows.push(("outcome".to_string(), verdict));
    rows
}

/// Per check (display order, checks that ran; the S3 object checks only
/// when they applied to some seed): seeds per verdict in
/// `plots::verdicts::ORDER`, and how the check fared against `[expect]`.
pub fn verdict_counts(results: &RunResults) -> Vec<plots::verdicts::Row> {
    let checks = &results.digest.checks;
    (crate::table::shown(&results.digest, CheckName::ALL).iter())
        .filter_map(|c| {
            let digest = checks.get(c)?;
            Some(plots::verdicts::Row {
                check: *c,
                counts: plots::verdicts::ORDER.map(|v| digest.count(v)),
                judged: results.judged(*c),
            })
        })
        .collect()
}

fn verdict_table(results: &RunResults) -> Table {
    let mut table = vec![
        [
            "check",
            "expected",
            "expectation",
            "invalid",
            "unknown",
            "valid",
            "n/a",
            "anomalies",
            "first invalid seed",
            "replay it",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for plots::verdicts::Row {
        check,
        counts,
        judged,
    } in verdict_counts(results)
    {
        let first = results.digest.first_invalid(check);
        let anomalies = results.totals.anomalies.get(&check).copied().unwrap_or(0);
        let mut row = vec![
            check.to_string(),
            results
                .expect
                .get(&check)
                .cloned()
                .unwrap_or_else(|| "any".to_string()),
            judged.as_str().to_string(),
        ];
        row.extend(counts.map(|n| n.to_string()));
        row.push(anomalies.to_string());
        row.push(first.map_or("-".to_string(), |s| s.to_string()));
        row.push(first.map_or(String::new(), |s| replay_command(&results.scenario_file, s)));
        table.push(row);
    }
    table
}

fn latency_table(totals: &SeedMetrics) -> Table {
    let mut table = vec![
        [
            "operation",
            "ok count",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "max ms",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for (f, s) in &totals.latency {
        let cells =
            [s.p50_ns, s.p90_ns, s.p99_ns, s.max_ns].map(|ns| format!("{:.3}", ns as f64 / 1e6));
        let mut row = vec![f.to_string(), s.count.to_string()];
        row.extend(cells);
        table.push(row);
    }
    table
}

fn outcomes_table(totals: &SeedMetrics) -> Table {
    let mut table = vec![
        [
            "operation",
            "invoked",
            "ok",
            "fail (did not happen)",
            "info (timed out)",
            "fraction ok (95 % interval)",
        ]
        .map(String::from)
        .to_vec(),
    ];
    let mut all = Outcomes::default();
    for (f, o) in &totals.outcomes {
        all.add(o);
        table.push(outcome_row(f.as_str(), o));
    }
    if totals.outcomes.len() > 1 {
        table.push(outcome_row("all", &all));
    }
    table
}

fn outcome_row(what: &str, o: &Outcomes) -> Vec<String> {
    vec![
        what.to_string(),
        o.total().to_string(),
        o.ok.to_string(),
        o.fail.to_string(),
        o.info.to_string(),
        rate_with_interval(o.ok, o.total()),
    ]
}

fn probes_table(totals: &SeedMetrics) -> Table {
    let rows = totals.probes.rows();
    if rows.is_empty() {
        return Table::new();
    }
    let mut table = vec![
        ["read after", "reads", "fresh", "P(fresh)", "95 % interval"]
            .map(String::from)
            .to_vec(),
    ];
    for r in rows {
        let (p, interval) = if r.reads == 0 {
            ("-".to_string(), "-".to_string())
        } else {
            (
                format!("{:.3}", r.p_fresh),
                format!("{:.3}–{:.3}", r.low, r.high),
            )
        };
        table.push(vec![
            format_ms(r.delay_ns, Precision::Fit),
            r.reads.to_string(),
            r.fresh.to_string(),
            p,
            interval,
        ]);
    }
    table
}

/// At most about [`VISIBILITY_ROWS`] rows: buckets merge until each row
/// holds at least [`MIN_READS_PER_POINT`] reads and a share of them all.
fn visibility_table(totals: &SeedMetrics) -> Table {
    let reads: u64 = totals.visibility.0.values().map(|b| b.reads).sum();
    let min = MIN_READS_PER_POINT.max(reads / VISIBILITY_ROWS);
    let points = totals.visibility.curve_merged(min);
    if points.is_empty() {
        return Table::new();
    }
    let mut table = vec![
        [
            "time since the newest commit",
            "reads",
            "fresh",
            "fraction fresh (95 % interval)",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for p in points {
        table.push(vec![
            format!(
                "{} – {}",
                format_ms(p.from_ns, Precision::Fit),
                format_ms(p.to_ns, Precision::Fit)
            ),
            p.reads.to_string(),
            p.fresh.to_string(),
            rate_with_interval(p.fresh, p.reads),
        ]);
    }
    table
}

/// Rows of the t-visibility table (about; see [`visibility_table`]).
const VISIBILITY_ROWS: u64 = 16;

fn staleness_table(totals: &SeedMetrics) -> Table {
    let s = &totals.staleness;
    let pct = |n: u64| {
        if s.reads == 0 {
            "-".to_string()
        } else {
            format!("{:.1} %", 100.0 * n as f64 / s.reads as f64)
        }
    };
    vec![
        vec!["reads measured".to_string(), s.reads.to_string()],
        vec![
            "fresh (newest committed value or newer)".to_string(),
            format!("{} ({})", s.fresh_reads, pct(s.fresh_reads)),
        ],
        vec![
            "stale (≥ 1 version behind)".to_string(),
            format!("{} ({})", s.stale_reads, pct(s.stale_reads)),
        ],
        vec![
            "mean versions behind".to_string(),
            format!("{:.3}", mean_versions_behind(s)),
        ],
        vec![
            "max versions behind".to_string(),
            s.max_versions_behind.to_string(),
        ],
        vec![
            "longest a committed write stayed invisible".to_string(),
            s.longest_miss_ns
                .map_or("-".to_string(), |ns| format_ms(ns, Precision::Fit)),
        ],
    ]
}
