//! Membership changes in whole runs: each wrong movement design shipped in
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

#[test]
fn each_wrong_design_breaks_linearizability_and_the_correct_one_does_not() {
    for file in ["ring-reads-switch-early.toml", "ring-ack-old-only.toml"] {
        let wrong = load(file);
        assert!(!non_linearizable(&wrong, 3).is_empty(), "{file}");
        let mut correct = wrong.clone();
        correct.cluster.moves = store::MoveDesign::Correct;
        assert_eq!(non_linearizable(&correct, 3), Vec::<u64>::new(), "{file}");
    }
}
