//! Membership changes in whole runs: each of the four wrong movement designs shipped in
//! `scenarios/wrong/ring-*.toml` (kept out of `scenarios/`: their 4,000
//! operations exceed the shipped files' size; they run here instead) breaks linearizability on some seed, and the same
//! file with the correct design does not.

use check::{CheckName, Verdict};
use sim::{RunOptions, Scenario};
use std::path::PathBuf;

fn load(name: &str) -> Scenario {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/wrong")
        .join(name);
    Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// Seeds 1..=seeds on which `linearizable` is invalid.
fn non_linearizable(scenario: &Scenario, seeds: u64) -> Vec<u64> {
    (1..=seeds)
        .filter(|&seed| {
            let outcome = sim::run_seed(scenario, seed, RunOptions::default()).expect("runs");
            let results = check::run(&outcome.history, &[CheckName::Linearizable]);
            results.iter().any(|(_, r)| r.verdict == Verdict::Invalid)
        })
        .collect()
}

/// Each file, with the seeds it is run on: the two designs that break on
/// most seeds on 3, the two that need a rarer interleaving (one of ~5 seeds
/// for each) on 10.
const WRONG: [(&str, u64); 4] = [
    ("ring-reads-switch-early.toml", 3),
    ("ring-ack-old-only.toml", 3),
    ("ring-stream-from-any.toml", 10),
    ("ring-concurrent-moves.toml", 10),
];

#[test]
fn each_wrong_design_breaks_linearizability_and_the_correct_one_does_not() {
    for (file, seeds) in WRONG {
        let wrong = load(file);
        assert!(!non_linearizable(&wrong, seeds).is_empty(), "{file}");
        let mut correct = wrong.clone();
        correct.cluster.moves = store::MoveDesign::Correct;
        assert_eq!(
            non_linearizable(&correct, seeds),
            Vec::<u64>::new(),
            "{file}"
        );
    }
}
