//! `storesim report <RUN_DIR>`: (re-)renders a run folder's report —
//! `report.md`, `report.html` and the plots — from its `results.json` and
//! the kept history (and `run.json`) of the first failing seed. `run` calls
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

/// Renders the report of `results` into `dir`, reading the kept seed the
/// report explains (if it is in the folder).
pub fn write_reports(dir: &Path, results: &RunResults) -> anyhow::Result<()> {
    let seed_dir = reports::explain::first_failing(results)
        .map(|(seed, _)| dir.join("seeds").join(seed.to_string()));
    let history = match &seed_dir {
        Some(d) if d.join("history.jsonl").exists() => {
            Some(read_history(&d.join("history.jsonl"))?)
        }
        _ => None,
    };
    let info = match &seed_dir {
        Some(d) if d.join("run.json").exists() => Some(read_info(&d.join("run.json"))?),
        _ => None,
    };
    let kept = history.as_ref().map(|history| Kept {
        history,
        info: info.as_ref(),
    });
    for (name, text) in reports::files::render(results, kept) {
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
