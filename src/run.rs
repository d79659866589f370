//! `storesim run`: many seeds, a summary, the verdict on `[expect]`, and a
//! run folder a person who was not there can read:
//!
//! ```text
//! DIR/scenario.toml            the scenario, every default written out
//! DIR/seeds.jsonl              one line per seed, ascending: verdicts, metrics,
//!                              hashes (reports::SeedResult)
//! DIR/results.json             the run: expectations, breaches, metric totals and
//!                              a bounded digest of the seeds (reports::results)
//! DIR/seeds/<S>/history.jsonl  seeds that broke an expectation, the lowest seed
//! DIR/seeds/<S>/run.json       with an invalid verdict, or every seed with
//!                              --keep-histories; run.json holds clock errors and
//!                              fault windows
//! DIR/report.md, report.html   the report (reports::report)
//! DIR/*.svg                    each plot of the report
//! ```
//!
//! Memory stays flat however many seeds run: records stream to `seeds.jsonl`
//! in seed order as seeds finish (`sim::batch::run_each` holds a bounded
//! window of early finishers), kept seeds are written as soon as they finish,
//! and what the run holds until the end is bounded (digest, metric totals,
//! terminal rows, one candidate history).
//!
//! [`execute`] is the one way to run a list of seeds into a folder; `sweep`
//! calls it once per point.

use crate::cli::RunArgs;
use crate::evaluate::{Evaluated, evaluate, seed_info};
use crate::records::Sink;
use crate::{determinism, output, report_cmd, seeds};

use check::{CheckName, Verdict};
use indicatif::{ProgressBar, ProgressStyle};
use reports::metrics::SeedMetrics;
use reports::results::{Digest, LISTED_MAX};
use reports::scenario::ScenarioSummary;
use reports::table::Rows;
use reports::{RunResults, SeedResult};
use sim::expect::{self, Breach};
use sim::scenario::{Expectation, Latency, format_duration};
use sim::{RunOptions, Scenario};
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// A seed's history and `run.json`, as written to `seeds/<S>/`.
struct KeptSeed {
    history: String,
    info: String,
}

impl KeptSeed {
    fn write(&self, out: &Path, seed: u64) -> anyhow::Result<()> {
        let dir = out.join("seeds").join(seed.to_string());
        output::write_atomic(&dir.join("history.jsonl"), &self.history)?;
        output::write_atomic(&dir.join("run.json"), &self.info)
    }
}

/// One run of a list of seeds into a folder.
pub struct Plan<'a> {
    pub scenario: &'a Scenario,
    /// The file as given on the command line (for replay commands).
    pub scenario_file: &'a str,
    /// Run in this order (saved regression seeds first), each once; the
    /// records are written in ascending seed order.
    pub seeds: &'a [u64],
    pub jobs: usize,
    pub options: RunOptions,
    pub check_determinism: bool,
    /// Keep every seed's history, not only the failing ones.
    pub keep_histories: bool,
    pub out: &'a Path,
}

/// What [`execute`] found.
pub struct Done {
    pub results: RunResults,
    /// The seeds the terminal summary shows.
    pub rows: Rows,
    pub breaches: Vec<Breach>,
}

pub fn run(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let scenario = Scenario::load(&args.scenario)?;
    let regression_file = seeds::regression_file(&args.scenario);
    // Regression seeds run once per seed range: in the first shard only, so
    // that merged shards hold every seed exactly once.
    let first_shard = args.shard.is_none_or(|s| s.index == 1);
    let regressions = if args.no_regressions || !first_shard {
        Vec::new()
    } else {
        seeds::read_regressions(&regression_file)?
    };
    let range = seeds::range(args.seed.unwrap_or(scenario.seed), args.seeds, args.shard)?;
    let all = seeds::with_regressions(regressions, range);
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| output::default_run_dir(&scenario.name));
    let plan = Plan {
        scenario: &scenario,
        scenario_file: &args.scenario.display().to_string(),
        seeds: &all,
        jobs: args
            .jobs
            .map_or_else(sim::batch::default_jobs, |j| j as usize),
        options: RunOptions {
            plant_nondeterminism: args.plant_nondeterminism,
            ..RunOptions::default()
        },
        check_determinism: args.check_determinism,
        keep_histories: args.keep_histories,
        out: &out,
    };
    let done = execute(&plan)?;
    println!(
        "{}",
        reports::table::seeds_table(&done.results.digest, &done.rows, CheckName::ALL)
    );
    if args.save_regressions {
        save(&regression_file, &done.breaches)?;
    }
    report_breaches(&args.scenario, &done.breaches, &out);
    println!("report: {}", out.join("report.html").display());
    Ok(if done.breaches.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Runs `plan.seeds`, judges them and writes the whole run folder.
pub fn execute(plan: &Plan) -> anyhow::Result<Done> {
    output::claim_run_dir(plan.out, &plan.scenario.name)?;
    let resolved = format!(
        "# {}, resolved: every default written out, so this file runs by itself.\n{}",
        plan.scenario_file,
        plan.scenario.to_toml()
    );
    output::write_atomic(&plan.out.join("scenario.toml"), &resolved)?;
    let (digest, rows, totals) = run_seeds(plan)?;
    let breaches = judge(&plan.scenario.expect, &digest);
    let results = RunResults {
        scenario: plan.scenario.name.clone(),
        scenario_file: plan.scenario_file.to_string(),
        expect: expect_strings(plan.scenario),
        digest,
        breaches: breaches.iter().map(describe).collect(),
        totals,
        summary: Some(summary(plan.scenario)),
    };
    output::write_atomic(&plan.out.join("results.json"), &results.to_json())?;
    report_cmd::write_reports(plan.out, &results)?;
    Ok(Done {
        results,
        rows,
        breaches,
    })
}

/// What the workers of a run share: bounded, whatever the number of seeds.
struct Shared {
    bar: ProgressBar,
    /// Seeds that broke an expectation so far (for the progress bar).
    violations: AtomicU64,
    /// Every finished seed's metrics merged (sums and maxima: the same
    /// whatever order seeds finish in).
    totals: Mutex<SeedMetrics>,
    /// The lowest seed with an invalid verdict so far, and its history unless
    /// it is already written: the report draws its timeline.
    first_invalid: Mutex<Option<(u64, Option<KeptSeed>)>>,
}

impl Shared {
    /// Whether `seed` is below the lowest invalid seed seen so far.
    fn below_first_invalid(&self, seed: u64) -> bool {
        let first = self.first_invalid.lock().unwrap_or_else(|e| e.into_inner());
        first.as_ref().is_none_or(|(s, _)| seed < *s)
    }

    /// Makes `seed`, invalid, the lowest invalid seed if it still is below
    /// it, with its history unless that is written already (`None`); the
    /// history it replaces is dropped.
    fn offer_first_invalid(&self, seed: u64, kept: Option<KeptSeed>) {
        let mut first = self.first_invalid.lock().unwrap_or_else(|e| e.into_inner());
        if first.as_ref().is_none_or(|(s, _)| seed < *s) {
            *first = Some((seed, kept));
        }
    }
}

/// Runs every seed in parallel, with a progress bar on a terminal, streaming
/// the records to `seeds.jsonl` in ascending seed order. Seeds out of that
/// order at the head of the list (saved regression seeds, run first) wait for
/// their place in memory; the rest stream. Returns the digest and terminal
/// rows of the records, and the merged metrics.
fn run_seeds(plan: &Plan) -> anyhow::Result<(Digest, Rows, SeedMetrics)> {
    let shared = Shared {
        bar: progress_bar(plan.seeds.len() as u64),
        violations: AtomicU64::new(0),
        totals: Mutex::new(SeedMetrics::default()),
        first_invalid: Mutex::new(None),
    };
    let work = |seed| run_one(plan, &shared, seed);
    let mut sink = Sink::create(plan.out)?;
    let (head, tail) = plan.seeds.split_at(ascending_tail(plan.seeds));
    let streamed = (|| {
        let mut early = Vec::with_capacity(head.len());
        stream(head, plan.jobs, &work, |r| {
            early.push(r);
            Ok(())
        })?;
        early.sort_by_key(|r| r.seed);
        let mut early = early.into_iter().peekable();
        stream(tail, plan.jobs, &work, |r| {
            while let Some(e) = early.next_if(|e| e.seed < r.seed) {
                sink.push(&e)?;
            }
            sink.push(&r)
        })?;
        early.try_for_each(|e| sink.push(&e))
    })();
    shared.bar.finish_and_clear();
    streamed?;
    let first = (shared.first_invalid.into_inner()).unwrap_or_else(|e| e.into_inner());
    if let Some((seed, Some(kept))) = first {
        kept.write(plan.out, seed)?;
    }
    let (digest, rows) = sink.finish()?;
    let totals = shared
        .totals
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    Ok((digest, rows, totals))
}

/// Where the strictly ascending end of `seeds` starts.
fn ascending_tail(seeds: &[u64]) -> usize {
    let rising = seeds.windows(2).rev().take_while(|w| w[0] < w[1]).count();
    seeds.len().saturating_sub(rising + 1)
}

/// Runs `seeds` with `sim::batch::run_each`, handing each record to `each`
/// in list order; stops at the first error in that order.
fn stream(
    seeds: &[u64],
    jobs: usize,
    work: &(impl Fn(u64) -> anyhow::Result<SeedResult> + Sync),
    mut each: impl FnMut(SeedResult) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let flow = sim::batch::run_each(seeds, jobs, work, |_, result| {
        match result.and_then(&mut each) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => ControlFlow::Break(e),
        }
    });
    match flow {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(e) => Err(e),
    }
}

/// Runs and checks one seed, writes its history if the folder keeps it,
/// merges its metrics into the totals and returns its record (slim metrics).
fn run_one(plan: &Plan, shared: &Shared, seed: u64) -> anyhow::Result<SeedResult> {
    let evaluated = if plan.check_determinism {
        determinism::run_twice(plan.scenario, seed, plan.options)?.map_err(anyhow::Error::msg)?
    } else {
        evaluate(plan.scenario, seed, plan.options)?
    };
    let Evaluated {
        outcome,
        mut summary,
        history_jsonl,
        ..
    } = evaluated;
    let breached = !expect::seed_breaches(&plan.scenario.expect, &summary.checks).is_empty();
    let keep = breached || plan.keep_histories;
    let lowest = summary.failing() && shared.below_first_invalid(seed);
    if keep || lowest {
        let kept = KeptSeed {
            info: seed_info(&outcome).to_json(),
            history: history_jsonl,
        };
        if keep {
            kept.write(plan.out, seed)?;
        }
        if lowest {
            shared.offer_first_invalid(seed, (!keep).then_some(kept));
        }
    }
    {
        let mut totals = shared.totals.lock().unwrap_or_else(|e| e.into_inner());
        *totals = SeedMetrics::merge([&*totals, &summary.metrics]);
    }
    summary.metrics = summary.metrics.slim();
    if breached {
        let n = shared.violations.fetch_add(1, Ordering::Relaxed) + 1;
        shared
            .bar
            .set_message(format!("{n} seed(s) broke an expectation"));
    }
    shared.bar.inc(1);
    Ok(summary)
}

fn progress_bar(seeds: u64) -> ProgressBar {
    // indicatif draws nothing when stderr is not a terminal.
    let bar = ProgressBar::new(seeds);
    let style = ProgressStyle::with_template("{bar:30} {pos}/{len} seeds  {msg}  eta {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

/// Every breach of `expect` by the seeds `digest` counts, in the order of
/// `sim::expect::judge` (failing seeds by seed, then checks expected to fail
/// that never did), which it equals whenever no check has more than
/// [`LISTED_MAX`] failing seeds. A check expected to pass gets one
/// [`Breach::Failed`] per failing seed (invalid or unknown) up to that
/// bound, the lowest first, then one [`Breach::Unlisted`] for the rest: the
/// digest is bounded, and so is this list.
pub fn judge(expect: &BTreeMap<CheckName, Expectation>, digest: &Digest) -> Vec<Breach> {
    let mut failed = Vec::new();
    let mut unlisted = Vec::new();
    for (check, d) in &digest.checks {
        if expect.get(check) != Some(&Expectation::Pass) {
            continue;
        }
        let invalid = d.first_invalid.iter().map(|s| (*s, Verdict::Invalid));
        let unknown = d.first_unknown.iter().map(|s| (*s, Verdict::Unknown));
        let mut listed: Vec<(u64, Verdict)> = invalid.chain(unknown).collect();
        listed.sort_unstable();
        listed.truncate(LISTED_MAX);
        let rest = (d.invalid + d.unknown).saturating_sub(listed.len() as u64);
        failed.extend(listed.into_iter().map(|(seed, v)| (seed, *check, v)));
        if rest > 0 {
            unlisted.push(Breach::Unlisted {
                check: *check,
                seeds: rest,
            });
        }
    }
    failed.sort_unstable();
    let mut breaches: Vec<Breach> = (failed.into_iter())
        .map(|(seed, check, verdict)| Breach::Failed {
            check,
            seed,
            verdict,
        })
        .collect();
    breaches.extend(unlisted);
    for (check, expectation) in expect {
        if *expectation == Expectation::Fail && digest.count(*check, Verdict::Invalid) == 0 {
            breaches.push(Breach::NeverFailed {
                check: *check,
                seeds: digest.count as usize,
            });
        }
    }
    breaches
}

fn expect_strings(scenario: &Scenario) -> BTreeMap<CheckName, String> {
    let name = |e: &Expectation| match e {
        Expectation::Pass => "pass",
        Expectation::Fail => "fail",
        Expectation::Any => "any",
    };
    scenario
        .expect
        .iter()
        .map(|(c, e)| (*c, name(e).to_string()))
        .collect()
}

/// The scenario in words, for reports.
pub fn summary(s: &Scenario) -> ScenarioSummary {
    let d = |d| format_duration(d);
    let mix = &s.workload.mix;
    let mut network = format!(
        "latency {}, loss {}",
        latency(&s.network.latency),
        s.network.loss
    );
    if s.network.duplicate > 0.0 {
        network.push_str(&format!(", duplicate {}", s.network.duplicate));
    }
    if !s.network.kinds.is_empty() || !s.network.links.is_empty() {
        let (k, l) = (s.network.kinds.len(), s.network.links.len());
        network.push_str(&format!(" ({k} per-kind and {l} per-link latencies)"));
    }
    ScenarioSummary {
        name: s.name.clone(),
        description: s.description.clone(),
        protocol: format!("{:?}", s.cluster.protocol).to_lowercase(),
        nodes: s.cluster.nodes,
        replicas: s.cluster.replicas,
        write_quorum: s.cluster.write_quorum,
        read_quorum: s.cluster.read_quorum,
        duration: format!("{} + {} quiesce", d(s.duration), d(s.quiesce)),
        network,
        clocks: if s.clocks.skew.is_zero() && s.clocks.drift_ppm == 0.0 {
            "exact (no skew, no drift)".to_string()
        } else {
            format!(
                "skew up to ±{}, drift up to ±{} ppm",
                d(s.clocks.skew),
                s.clocks.drift_ppm
            )
        },
        workload: format!(
            "{} clients, {} keys, {} ops (get {}, put {}, delete {}, cas {})",
            s.workload.clients,
            s.workload.keys,
            s.workload.ops,
            mix.get,
            mix.put,
            mix.delete,
            mix.cas
        ),
        faults: s.faults.iter().map(sim::nemesis::describe).collect(),
        nemesis: s.nemesis.as_ref().map(|n| {
            let families: Vec<&str> = n.families.iter().map(|(f, _)| f.as_str()).collect();
            format!(
                "a fault every {} on average, lasting {}, from {}",
                d(n.interval),
                d(n.duration),
                families.join(", ")
            )
        }),
    }
}

fn latency(l: &Latency) -> String {
    let d = |d| format_duration(d);
    match l {
        Latency::Fixed(v) => format!("fixed {}", d(*v)),
        Latency::Uniform { min, max } => format!("uniform {}–{}", d(*min), d(*max)),
        Latency::Exponential { mean } => format!("exponential, mean {}", d(*mean)),
        Latency::Pareto { scale, shape } => format!("pareto, scale {}, shape {shape}", d(*scale)),
        Latency::Lognormal { median, sigma } => {
            format!("lognormal, median {}, sigma {sigma}", d(*median))
        }
        other => format!("{other:?}"),
    }
}

pub fn describe(breach: &Breach) -> String {
    match breach {
        Breach::Failed {
            check,
            seed,
            verdict,
        } => {
            format!("{check}: expected pass, seed {seed} was {verdict}")
        }
        Breach::Unlisted { check, seeds } => {
            format!(
                "{check}: expected pass, and {seeds} more seed(s) were invalid or unknown (see seeds.jsonl)"
            )
        }
        Breach::NeverFailed { check, seeds } => {
            format!("{check}: expected to fail on some seed, valid on all {seeds}")
        }
    }
}

fn save(file: &Path, breaches: &[Breach]) -> anyhow::Result<()> {
    let failures: Vec<(u64, String)> = (breaches.iter())
        .filter_map(|b| match b {
            Breach::Failed { seed, .. } => Some((*seed, describe(b))),
            Breach::Unlisted { .. } | Breach::NeverFailed { .. } => None,
        })
        .collect();
    let added = seeds::save_regressions(file, &failures)?;
    if added > 0 {
        println!("saved {added} seed(s) to {}", file.display());
    }
    Ok(())
}

pub fn report_breaches(scenario: &Path, breaches: &[Breach], out: &Path) {
    if breaches.is_empty() {
        println!(
            "every expectation holds; results in {}",
            out.join("results.json").display()
        );
        return;
    }
    println!("{} expectation(s) broken:", breaches.len());
    for breach in breaches {
        println!("  {}", describe(breach));
        if let Breach::Failed { seed, .. } = breach {
            println!("    replay: {}", output::replay_command(scenario, *seed));
        }
    }
    println!("results in {}", out.join("results.json").display());
}

#[cfg(test)]
mod tests {
    use super::*;
    use CheckName::{Convergence, LostUpdate, ReadAfterWrite};

    fn record(seed: u64, checks: &[(CheckName, Verdict)]) -> SeedResult {
        SeedResult {
            seed,
            ops: 0,
            ok: 0,
            fail: 0,
            info: 0,
            messages: 0,
            sim_time_ns: 0,
            checks: checks.iter().copied().collect(),
            history_hash: String::new(),
            trace_hash: String::new(),
            metrics: SeedMetrics::default(),
        }
    }

    /// A verdict per (seed, check) with every kind of verdict on each check.
    fn verdict(seed: u64, salt: u64) -> Verdict {
        match (seed * 7 + salt) % 11 {
            0 | 5 => Verdict::Invalid,
            3 => Verdict::Unknown,
            8 => Verdict::NotApplicable,
            _ => Verdict::Valid,
        }
    }

    #[test]
    fn judging_the_digest_equals_judging_every_seed() {
        let expect = BTreeMap::from([
            (ReadAfterWrite, Expectation::Pass),
            (Convergence, Expectation::Pass),
            (LostUpdate, Expectation::Fail),
        ]);
        for seeds in [0, 1, 5, 60] {
            let records: Vec<SeedResult> = (1..=seeds)
                .map(|s| {
                    let checks = [
                        (ReadAfterWrite, verdict(s, 0)),
                        (Convergence, verdict(s, 4)),
                    ];
                    record(s, &checks)
                })
                .collect();
            let mut digest = Digest::default();
            records.iter().for_each(|r| digest.add(r));
            let per_seed: Vec<(u64, BTreeMap<CheckName, Verdict>)> = (records.iter())
                .map(|r| (r.seed, r.checks.clone()))
                .collect();
            assert_eq!(
                judge(&expect, &digest),
                expect::judge(&expect, &per_seed),
                "{seeds} seeds"
            );
        }
    }

    #[test]
    fn failing_seeds_past_the_listed_ones_are_counted_in_one_breach() {
        let expect = BTreeMap::from([(ReadAfterWrite, Expectation::Pass)]);
        let mut digest = Digest::default();
        for s in 1..=(LISTED_MAX as u64 + 30) {
            let v = if s % 2 == 0 {
                Verdict::Unknown
            } else {
                Verdict::Invalid
            };
            digest.add(&record(s, &[(ReadAfterWrite, v)]));
        }
        let breaches = judge(&expect, &digest);
        assert_eq!(breaches.len(), LISTED_MAX + 1);
        assert_eq!(
            breaches[LISTED_MAX - 1],
            Breach::Failed {
                check: ReadAfterWrite,
                seed: LISTED_MAX as u64,
                verdict: Verdict::Unknown
            }
        );
        assert_eq!(
            breaches[LISTED_MAX],
            Breach::Unlisted {
                check: ReadAfterWrite,
                seeds: 30
            }
        );
        assert!(describe(&breaches[LISTED_MAX]).contains("30 more seed(s)"));
    }

    #[test]
    fn regression_seeds_out_of_order_run_first_and_the_rest_streams() {
        fn split(s: &[u64]) -> (&[u64], &[u64]) {
            s.split_at(ascending_tail(s))
        }
        assert_eq!(split(&[7, 3, 1, 2, 4]), (&[7, 3][..], &[1, 2, 4][..]));
        assert_eq!(split(&[1, 2, 3]), (&[][..], &[1, 2, 3][..]));
        assert_eq!(split(&[5]), (&[][..], &[5][..]));
        assert_eq!(split(&[]), (&[][..], &[][..]));
    }
}
