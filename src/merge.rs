//! `storesim merge`: combine the run folders of shards into one, as if a
//! single run had covered all their seeds.
//!
//! The parts' `seeds.jsonl` are merged in seed order a record at a time (a
//! k-way merge of sorted files: shards interleave their seeds), so merging
//! holds one record per part, however many seeds there are. The digest is
//! rebuilt from the records, the totals add up, the breaches are judged
//! again: `results.json`, `seeds.jsonl` and the report come out the same as
//! from one run over every seed.

use crate::cli::MergeArgs;
use crate::records::{self, Reader, Sink};
use crate::{breaches, output, report_cmd};
use anyhow::{Context, bail};
use check::CheckName;
use reports::{RunResults, SeedResult};
use sim::scenario::Expectation;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn merge(args: &MergeArgs) -> anyhow::Result<ExitCode> {
    let parts: Vec<RunResults> = args
        .dirs
        .iter()
        .map(|d| report_cmd::read_results(d))
        .collect::<anyhow::Result<_>>()?;
    let first = parts.first().context("nothing to merge")?;
    for (part, dir) in parts.iter().zip(&args.dirs) {
        // Folders from before outcomes and activity were measured would
        // merge into totals that silently miss them.
        if part.digest.count > 0 && part.totals.outcomes.is_empty() {
            bail!(
                "{}/results.json was written by an older storesim (no outcomes per \
                 operation kind, no activity over time): run that shard again to merge it",
                dir.display()
            );
        }
        if (&part.scenario, &part.scenario_file, &part.expect)
            != (&first.scenario, &first.scenario_file, &first.expect)
        {
            bail!(
                "{} is a run of {:?} ({}), not of {:?} ({}): cannot merge",
                dir.display(),
                part.scenario,
                part.scenario_file,
                first.scenario,
                first.scenario_file
            );
        }
    }
    let expectations = parse_expect(&first.expect)?;
    output::claim_run_dir(&args.out, &first.scenario)?;
    // Read every record once before writing anything: bad input writes nothing.
    merge_records(&args.dirs, &parts, |_, _| Ok(()))?;
    for dir in &args.dirs {
        copy_if_absent(&dir.join("scenario.toml"), &args.out.join("scenario.toml"))?;
    }
    let mut sink = Sink::create(&args.out)?;
    merge_records(&args.dirs, &parts, |part, record| {
        copy_kept(&args.dirs[part], &args.out, record.seed)?;
        sink.push(&record)
    })?;
    let (digest, rows) = sink.finish()?;
    let breaches = breaches::judge(&expectations, &digest);
    let merged = RunResults {
        scenario: first.scenario.clone(),
        scenario_file: first.scenario_file.clone(),
        expect: first.expect.clone(),
        digest,
        breaches: breaches.iter().map(breaches::describe).collect(),
        // Shards are disjoint (regression seeds run in the first only), so
        // their totals add up to those of one run over every seed.
        totals: reports::metrics::SeedMetrics::merge(parts.iter().map(|p| &p.totals)),
        summary: first.summary.clone(),
    };
    println!(
        "{}",
        reports::table::seeds_table(&merged.digest, &rows, CheckName::ALL)
    );
    output::write_atomic(&args.out.join("results.json"), &merged.to_json())?;
    report_cmd::write_reports(&args.out, &merged)?;
    // The swarm points are in each seed's record (seeds.jsonl), not repeated here.
    breaches::report_breaches(Path::new(&merged.scenario_file), None, &breaches, &args.out);
    println!("report: {}", args.out.join("report.html").display());
    Ok(if breaches.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Hands every record of the parts' `seeds.jsonl` to `each` (with the index
/// of its part), ascending, each seed once. Shards are disjoint, so a seed
/// in two folders means the folders overlap (or were not run from one build
/// and scenario): their totals would count it twice, so that is refused; so
/// is a `seeds.jsonl` that does not hold the seeds its `results.json` counts.
fn merge_records(
    dirs: &[PathBuf],
    parts: &[RunResults],
    mut each: impl FnMut(usize, SeedResult) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut readers: Vec<Reader> = dirs
        .iter()
        .map(|d| Reader::open(d))
        .collect::<anyhow::Result<_>>()?;
    let mut heads: Vec<Option<SeedResult>> = (readers.iter_mut())
        .map(|r| r.next().transpose())
        .collect::<anyhow::Result<_>>()?;
    let mut counts = vec![0u64; dirs.len()];
    // Bounded: each pass hands over one record of a finite file, or ends.
    loop {
        let lowest = (heads.iter().enumerate())
            .filter_map(|(i, h)| Some((h.as_ref()?.seed, i)))
            .min();
        let Some((seed, part)) = lowest else { break };
        let record = heads[part].take().context("the lowest head is a record")?;
        heads[part] = readers[part].next().transpose()?;
        if let Some(other) = heads
            .iter()
            .position(|h| h.as_ref().is_some_and(|h| h.seed == seed))
        {
            let how = if heads[other].as_ref() == Some(&record) {
                "identical in both"
            } else {
                "and differs between them"
            };
            bail!(
                "seed {seed} is in two run folders, {} and {} ({how}): merge the disjoint shards of one run (`run --shard K/N`)",
                dirs[part].display(),
                dirs[other].display()
            );
        }
        counts[part] += 1;
        each(part, record)?;
    }
    for ((dir, part), count) in dirs.iter().zip(parts).zip(counts) {
        if count != part.digest.count {
            bail!(
                "{} holds {count} seed(s) but its results.json counts {}: not the records of that run",
                dir.join(records::FILE).display(),
                part.digest.count
            );
        }
    }
    Ok(())
}

fn parse_expect(
    expect: &BTreeMap<CheckName, String>,
) -> anyhow::Result<BTreeMap<CheckName, Expectation>> {
    let parse = |(check, e): (&CheckName, &String)| {
        let e = match e.as_str() {
            "pass" => Expectation::Pass,
            "fail" => Expectation::Fail,
            "any" => Expectation::Any,
            other => {
                bail!("results.json: expectation {other:?} for {check} is not pass, fail or any")
            }
        };
        Ok((*check, e))
    };
    expect.iter().map(parse).collect()
}

/// Copies what a shard kept of `seed` (history and run.json), if anything.
fn copy_kept(from: &Path, to: &Path, seed: u64) -> anyhow::Result<()> {
    let dir = Path::new("seeds").join(seed.to_string());
    for name in ["history.jsonl", "run.json"] {
        copy_if_absent(&from.join(&dir).join(name), &to.join(&dir).join(name))?;
    }
    Ok(())
}

/// Copies `from` to `to` unless `from` is missing or `to` exists: files of
/// equal seeds (or the scenario) are identical in every shard anyway.
fn copy_if_absent(from: &Path, to: &Path) -> anyhow::Result<()> {
    if from.exists() && !to.exists() {
        output::copy_atomic(from, to)?;
    }
    Ok(())
}
