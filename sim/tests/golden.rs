//! Golden runs: the history hash and trace hash of a few (scenario, seed)
//! pairs, pinned.
//!
//! A saved regression seed (`regressions/*.seeds`) or a replay command in a
//! bug report is only worth something if the same scenario and seed give the
//! same history tomorrow, after a `cargo update` too. The simulator crates
//! and everything they draw randomness or order through are pinned exactly
//! in the workspace `Cargo.toml`; these tests catch the rest: any change, in
//! our code or a dependency, that changes what a seed does.
//!
//! `history` is the SHA-256 of the seed's `history.jsonl` (the
//! `history_hash` of `seeds.jsonl` and of `replay`'s last line), `trace` the
//! fingerprint of every message and fault (`trace_hash`).
//!
//! # Changing them on purpose
//!
//! A change that is meant to change runs (a new draw from the seed, another
//! message, a different fault schedule) breaks these tests. Then:
//!
//! 1. make sure the change is meant to alter runs, and say so in the commit
//!    message (saved regression seeds and published replay commands may no
//!    longer reproduce their failure: rerun `storesim run` on the
//!    `regressions/` seeds and re-save them where needed);
//! 2. run `cargo test -p sim --test golden`: the failure prints the new
//!    table; paste it over [`GOLDEN`] below;
//! 3. commit the new table with the change that caused it.
//!
//! A change that is *not* meant to alter runs (a refactoring, a dependency
//! bump) must leave these hashes as they are.

use sha2::{Digest, Sha256};
use sim::{RunOptions, Scenario};
use std::fmt::Write as _;
use std::path::PathBuf;

/// (scenario file in `scenarios/`, seed, history SHA-256, trace fingerprint).
/// Cheap runs that together exercise every layer: quorums, a partition and a
/// crash, eventual consistency, ABD, the random nemesis with clock jumps.
#[rustfmt::skip]
const GOLDEN: &[(&str, u64, &str, &str)] = &[
    ("quorum-smoke.toml", 1, "40d5706fe11851bf15ed14e795b6d8e0d65eb82f3e57d0cdfc5ff7a7c86f9ac5", "8cb5a5f77a23520b"),
    ("quorum-smoke.toml", 2, "c0597f0963ba6faaad0258161f48d23018209267451ed617bf0a147a27462014", "53fa91658efac7cd"),
    ("quorum-partition.toml", 1, "052899db230ee43cf0802ddcfabf5fca5633f38549bb170a84d0dab9d738eed9", "f22ba7f897afcde6"),
    ("eventual-partition.toml", 3, "7fd2588d7cb76944b8ca666d618b6d754b76935db9638b98fc08ceefdfdc76c6", "8229ba03d6d274e8"),
    ("abd-partition.toml", 1, "01d1c4d2eab61daeb96e20ea60001bf0e0bdc5e93d06c2dd1785eb76073042bc", "1fb5f447d59027bd"),
    ("nemesis-quorum.toml", 1, "926586ccab9dd4d626935badba48f2298516aa325d6bc90622f5d4c6dc4b1fe1", "891b49b13c85f0b1"),
];

fn scenario(name: &str) -> Scenario {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios")
        .join(name);
    Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[test]
fn golden_seeds_replay_the_same_history_and_trace() {
    let mut table = String::new();
    let mut changed = Vec::new();
    for &(file, seed, history, trace) in GOLDEN {
        let outcome = sim::run_seed(&scenario(file), seed, RunOptions::default())
            .unwrap_or_else(|e| panic!("{file} seed {seed}: {e}"));
        let got_history = hex(&Sha256::digest(outcome.history.to_jsonl().as_bytes()));
        let got_trace = outcome.trace_hash;
        let _ = writeln!(
            table,
            "    ({file:?}, {seed}, {got_history:?}, {got_trace:?}),"
        );
        if (got_history.as_str(), got_trace.as_str()) != (history, trace) {
            changed.push(format!("{file} seed {seed}"));
        }
    }
    assert!(
        changed.is_empty(),
        "these seeds no longer run as they did: {}.\n\
         If that is intended, read the top of sim/tests/golden.rs and paste this over GOLDEN:\n{table}",
        changed.join(", ")
    );
}
