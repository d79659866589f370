//! `storesim report <RUN_DIR>`: (re-)renders a run folder's report —
//! `report.md`, `report.html` and the plots — from its `results.json` and
//! the kept histories (and `run.json`) of the first failing seed and of each
//! check's lowest invalid seed. `run` calls
//! [`write_reports`] too, so both give the same files. The report needs
//! only the digest of the seeds in `results.json`, never `seeds.jsonl`.

use crate::cli::ReportArgs;
use crate::output;
use anyhow::Context;
use check::History;
use reports::RunResults;
use reports::report::Kept;
use reports::seedinfo::SeedInfo;
use std::path::Path;
use std::process::ExitCode;

pub fn report(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let results = read_results(&args.dir)?;
    write_reports(&args.dir, &results)?;
    println!("report: {}", args.dir.join("report.html").display());
    Ok(ExitCode::SUCCESS)
}

pub fn read_results(dir: &Path) -> anyhow::Result<RunResults> {
    let path = dir.join("results.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not a storesim results file", path.display()))
}

/// Renders the report of `results` into `dir`, reading the kept seeds the
/// report explains (those in the folder: the first failing seed's and each
/// check's lowest invalid seed's).
pub fn write_reports(dir: &Path, results: &RunResults) -> anyhow::Result<()> {
    let mut loaded = Vec::new();
    for seed in reports::report::wanted_seeds(results) {
        let d = dir.join("seeds").join(seed.to_string());
        if !d.join("history.jsonl").exists() {
            continue;
        }
        let history = read_history(&d.join("history.jsonl"))?;
        let info = match d.join("run.json").exists() {
            true => Some(read_info(&d.join("run.json"))?),
            false => None,
        };
        loaded.push((seed, history, info));
    }
    let kept: Vec<Kept> = (loaded.iter())
        .map(|(seed, history, info)| Kept {
            seed: *seed,
            history,
            info: info.as_ref(),
        })
        .collect();
    for (name, text) in reports::files::render(results, &kept) {
        output::write_atomic(&dir.join(name), &text)?;
    }
    Ok(())
}

fn read_history(path: &Path) -> anyhow::Result<History> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    History::parse(&text).with_context(|| format!("{} is not a valid history", path.display()))
}

fn read_info(path: &Path) -> anyhow::Result<SeedInfo> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    SeedInfo::parse(&text).with_context(|| format!("{} is not a valid run.json", path.display()))
}
