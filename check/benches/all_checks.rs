//! `cargo bench -p check --features bench --bench all_checks`: what checking one simulated
//! seed costs — `check::run` with every check, each check alone, and the
//! staleness measurement that `reports::metrics` adds on top.
//!
//! The histories are real ones (`benches/data/`), recorded by
//! `storesim run scenarios/<scenario>.toml --keep-histories` (~600
//! operations, 3 keys, 4 clients) with their `node` fields dropped to keep
//! the files small (no check reads them). One is mostly valid
//! (quorum-partition), one full of anomalies (eventual-partition), so both
//! the judging and the counterexample texts are measured.
//!
//! `CHECK_BENCH_DIR=/some/dir` adds every `*.jsonl` history in that folder
//! (e.g. `/tmp/run/seeds/7/` of a run with `--keep-histories`).

use check::{CheckName, History};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::{Path, PathBuf};

/// Extra histories read from `CHECK_BENCH_DIR`, at most.
const EXTRA_HISTORIES_MAX: usize = 8;

fn read(path: &Path) -> History {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    History::parse_bytes(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// (name, history): the committed fixtures, then `CHECK_BENCH_DIR`'s.
fn histories() -> Vec<(String, History)> {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/data");
    let mut files: Vec<PathBuf> = ["quorum-partition-seed5", "eventual-partition-seed10"]
        .iter()
        .map(|name| data.join(format!("{name}.jsonl")))
        .collect();
    if let Some(dir) = std::env::var_os("CHECK_BENCH_DIR") {
        let mut extra: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("CHECK_BENCH_DIR: {e}"))
            .filter_map(|entry| Some(entry.ok()?.path()))
            .filter(|path| path.extension().is_some_and(|e| e == "jsonl"))
            .collect();
        extra.sort();
        files.extend(extra.into_iter().take(EXTRA_HISTORIES_MAX));
    }
    files
        .iter()
        .map(|path| {
            let name = path.file_stem().map(|s| s.to_string_lossy().into_owned());
            (name.unwrap_or_default(), read(path))
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    for (name, history) in histories() {
        let mut group = c.benchmark_group(name);
        group.bench_function("all", |b| {
            b.iter(|| check::run(black_box(&history), CheckName::ALL))
        });
        for &check in CheckName::ALL {
            group.bench_function(check.as_str(), |b| {
                b.iter(|| check::run(black_box(&history), &[check]))
            });
        }
        group.bench_function("staleness", |b| {
            b.iter(|| check::staleness::measure(black_box(&history)))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
