//! `storesim check`: checks history files recorded by storesim or any other
//! system that writes the JSONL format of `docs/history-format.md`.

use crate::cli::CheckArgs;
use anyhow::{Context, bail};
use check::{Budget, CheckName, CheckResult, History, Verdict};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Largest history file checked (4 GiB): about 50 million operations, which
/// still fits in memory with the parsed history; more is refused up front
/// rather than exhausting memory halfway.
const MAX_HISTORY_BYTES: u64 = 4 << 30;

pub fn check(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let checks = parse_checks(args.checks.as_deref())?;
    let mut worst = Verdict::NotApplicable;
    let mut unreadable = false;
    for file in &args.histories {
        match check_file(file, &checks, args) {
            Ok(results) => {
                worst = results.values().fold(worst, |w, r| w.merge(r.verdict));
                print_results(file, &results, args.json);
            }
            Err(error) => {
                unreadable = true;
                eprintln!("error: {error:#}");
            }
        }
    }
    Ok(match worst {
        _ if unreadable => ExitCode::from(2),
        Verdict::Unknown => ExitCode::from(2),
        Verdict::Invalid => ExitCode::from(1),
        Verdict::Valid | Verdict::NotApplicable => ExitCode::SUCCESS,
    })
}

/// `a,b,c` → check names; `None` → every check a history file can be
/// checked with (the S3 object checks too: `n/a` without listings).
fn parse_checks(list: Option<&str>) -> anyhow::Result<Vec<CheckName>> {
    let Some(list) = list else {
        return Ok(CheckName::CHECKABLE.to_vec());
    };
    let mut checks = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let Some(check) = CheckName::parse_checkable(name) else {
            let known: Vec<&str> = CheckName::CHECKABLE.iter().map(|c| c.as_str()).collect();
            let hint = nearest(name, &known)
                .map(|near| format!(" (did you mean {near:?}?)"))
                .unwrap_or_default();
            bail!(
                "--checks: unknown check {name:?}{hint}; implemented checks: {}",
                known.join(", ")
            );
        };
        if !checks.contains(&check) {
            checks.push(check);
        }
    }
    if checks.is_empty() {
        bail!("--checks: no check named");
    }
    Ok(checks)
}

/// The known name closest to `word` when it is a likely slip (at most a third
/// of its characters edited, at least one), e.g. `linearisable` →
/// `linearizable`, `read-after-writes` → `read-after-write`.
fn nearest<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    known
        .iter()
        .map(|k| (strsim::levenshtein(&word.to_lowercase(), k), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn check_file(
    file: &Path,
    checks: &[CheckName],
    args: &CheckArgs,
) -> anyhow::Result<BTreeMap<CheckName, CheckResult>> {
    if file.is_dir() {
        bail!("{}", not_a_history_file(file));
    }
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    if size > MAX_HISTORY_BYTES {
        bail!(
            "{}: {size} bytes; a history may be at most {MAX_HISTORY_BYTES} bytes",
            file.display()
        );
    }
    let open =
        std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
    // Read line by line: the text of a large history is never held whole.
    let history = History::read(std::io::BufReader::new(open))
        .with_context(|| format!("{}", file.display()))?;
    let deadline = args
        .timeout
        .map(|secs| Instant::now() + Duration::from_secs_f64(secs));
    let stop = move || deadline.is_some_and(|d| Instant::now() >= d);
    let budget = Budget {
        max_steps: args.max_steps,
        max_memory_mib: args.max_memory_mib,
        stop: Some(&stop),
    };
    Ok(check::run_with(&history, checks, &budget))
}

/// What to say about a folder given as a history: what is expected instead,
/// and the histories it holds when it is a run folder or a seed's folder.
fn not_a_history_file(dir: &Path) -> String {
    let mut found: Vec<String> = Vec::new();
    if dir.join("history.jsonl").is_file() {
        found.push(dir.join("history.jsonl").display().to_string());
    }
    if let Ok(seeds) = std::fs::read_dir(dir.join("seeds")) {
        let mut histories: Vec<String> = seeds
            .filter_map(|entry| entry.ok())
            .map(|entry| entry.path().join("history.jsonl"))
            .filter(|path| path.is_file())
            .map(|path| path.display().to_string())
            .take(1000)
            .collect();
        histories.sort();
        found.extend(histories);
    }
    let mut text = format!(
        "{} is a directory; `storesim check` reads history files (JSONL, one event per line)",
        dir.display()
    );
    match found.as_slice() {
        [] => text.push_str(", e.g. a run folder's seeds/<SEED>/history.jsonl"),
        [one] => text.push_str(&format!(": {one}")),
        [first, rest @ ..] => text.push_str(&format!(
            ": {first} and {} more history file(s) in it",
            rest.len()
        )),
    }
    text
}

fn print_results(file: &Path, results: &BTreeMap<CheckName, CheckResult>, json: bool) {
    if json {
        let checks: BTreeMap<&str, &str> = results
            .iter()
            .map(|(c, r)| (c.as_str(), r.verdict.as_str()))
            .collect();
        let anomalies: BTreeMap<&str, usize> = results
            .iter()
            .map(|(c, r)| (c.as_str(), r.anomalies))
            .collect();
        let line = serde_json::json!({
            "file": file.display().to_string(),
            "checks": checks,
            "anomalies": anomalies,
        });
        println!("{line}");
        return;
    }
    let verdicts: Vec<String> = results
        .iter()
        .map(|(c, r)| format!("{c} {}", r.verdict))
        .collect();
    println!("{}: {}", file.display(), verdicts.join(", "));
    for (check, result) in results {
        if matches!(result.verdict, Verdict::Invalid | Verdict::Unknown) {
            println!("  {check}: {}", result.verdict);
            for line in result.explanation.lines() {
                println!("    {line}");
            }
        }
    }
}
