//! `storesim merge`: combine the run folders of shards into one, as if a
//! single run had covered all their seeds.

use crate::cli::MergeArgs;
use crate::{output, report_cmd, run};
use anyhow::{Context, bail};
use check::{CheckName, Verdict};
use reports::{RunResults, SeedResult};
use sim::expect;
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
    output::claim_run_dir(&args.out, &first.scenario)?;
    let seeds = union(&parts)?;
    let expectations = parse_expect(&first.expect)?;
    let per_seed: Vec<(u64, BTreeMap<CheckName, Verdict>)> =
        seeds.iter().map(|s| (s.seed, s.checks.clone())).collect();
    let breaches = expect::judge(&expectations, &per_seed);
    for dir in &args.dirs {
        copy_kept(dir, &args.out, &seeds)?;
    }
    let merged = RunResults {
        scenario: first.scenario.clone(),
        scenario_file: first.scenario_file.clone(),
        expect: first.expect.clone(),
        seeds,
        breaches: breaches.iter().map(run::describe).collect(),
        // Shards are disjoint (regression seeds run in the first only), so
        // their totals add up to those of one run over every seed.
        totals: reports::metrics::SeedMetrics::merge(parts.iter().map(|p| &p.totals)),
        summary: first.summary.clone(),
    };
    println!(
        "{}",
        reports::table::seeds_table(&merged.seeds, CheckName::ALL)
    );
    output::write_atomic(&args.out.join("results.json"), &merged.to_json())?;
    report_cmd::write_reports(&args.out, &merged)?;
    run::report_breaches(Path::new(&merged.scenario_file), &breaches, &args.out);
    Ok(if breaches.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Every seed once, in order. Shards are disjoint, so a seed in two folders
/// means the folders overlap (or were not run from one build and scenario):
/// their totals would count it twice, so that is refused.
fn union(parts: &[RunResults]) -> anyhow::Result<Vec<SeedResult>> {
    let mut seeds: BTreeMap<u64, SeedResult> = BTreeMap::new();
    for seed in parts.iter().flat_map(|p| &p.seeds) {
        if let Some(known) = seeds.insert(seed.seed, seed.clone()) {
            let how = if known == *seed {
                "identical in both"
            } else {
                "and differs between them"
            };
            bail!(
                "seed {} is in two run folders ({how}): merge the disjoint shards of one run (`run --shard K/N`)",
                seed.seed
            );
        }
    }
    Ok(seeds.into_values().collect())
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

/// Copies what each shard kept of its seeds (histories and run.json) and the
/// scenario file, never overwriting: equal seeds are identical anyway.
fn copy_kept(from: &Path, to: &Path, seeds: &[SeedResult]) -> anyhow::Result<()> {
    let mut files = vec![PathBuf::from("scenario.toml")];
    for seed in seeds {
        let dir = Path::new("seeds").join(seed.seed.to_string());
        files.push(dir.join("history.jsonl"));
        files.push(dir.join("run.json"));
    }
    for relative in files {
        let source = from.join(&relative);
        if source.exists() && !to.join(&relative).exists() {
            let text = std::fs::read_to_string(&source)
                .with_context(|| format!("cannot read {}", source.display()))?;
            output::write_atomic(&to.join(&relative), &text)?;
        }
    }
    Ok(())
}
