//! The oracle `cargo mutants` judges the store by (`.cargo/mutants.toml`):
//! every `mech-*` scenario (one per store mechanism) and a few others that
//! cover the protocols' remaining paths, each on the first seeds that
//! caught its mechanism's planted bug (`scripts/planted.sh`: every bug by
//! seed 8), judged by its `[expect]`. A mutant is killed when some
//! expectation breaks. Seconds per mutant instead of the full suite's
//! minutes, so a sampled mutation score fits a shared machine; the store's
//! cluster tests run beside it (`.cargo/mutants.toml` names the targets:
//! `--test cluster --test mutants` of store and sim).

use check::CheckName;
use sim::{RunOptions, Scenario};
use std::path::PathBuf;

/// Seeds per scenario: every planted bug was caught by seed 8.
const SEEDS: u64 = 10;

/// The scenarios beside `mech-*`: plain paths of each protocol, S3 objects.
const OTHERS: [&str; 4] = [
    "quorum-partition.toml",
    "abd-partition.toml",
    "s3-quorum-list-partition.toml",
    "cas-create-race-paxos.toml",
];

#[test]
fn the_mutation_oracle_holds_on_the_unmutated_store() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files: Vec<PathBuf> = (std::fs::read_dir(&dir).expect("scenarios/"))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("mech-") && n.ends_with(".toml"))
        })
        .collect();
    files.sort();
    assert!(files.len() >= 11, "one scenario per mechanism: {files:?}");
    files.extend(OTHERS.iter().map(|f| dir.join(f)));
    for file in files {
        let s = Scenario::load(&file).unwrap_or_else(|e| panic!("{e}"));
        let mut seeds = Vec::new();
        for seed in 1..=SEEDS {
            let outcome = sim::run_seed(&s, seed, RunOptions::default())
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let results = check::run(&outcome.history, CheckName::ALL);
            seeds.push((
                seed,
                results.into_iter().map(|(c, r)| (c, r.verdict)).collect(),
            ));
            let broken: Vec<_> = (sim::expect::judge(&s.expect, &seeds).into_iter())
                .filter(|b| !matches!(b, sim::expect::Breach::NeverFailed { .. }))
                .collect();
            assert!(
                broken.is_empty(),
                "{} seed {seed}: {broken:?}",
                file.display()
            );
        }
    }
}
