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
    ("quorum-smoke.toml", 1, "9d3af45be29c1d5ba33175c55ecf6aeffa59c87ab56c207a00714faf18d79a31", "8cb5a5f77a23520b"),
    ("quorum-smoke.toml", 2, "ffe29a2a52c4d3ef7d5e33a88c03fd10a38cd594fe0480fefa1a600517716991", "53fa91658efac7cd"),
    ("quorum-partition.toml", 1, "b50c51719d4092d8c0a73f01c7aa30a09b8805090f72cb6aa473b2c975135f27", "ac6fcf5e025b4286"),
    ("eventual-partition.toml", 3, "ef96b79c7655f225e222b1016b7e16020be8faa605932e77efffb0274009f48d", "8229ba03d6d274e8"),
    ("abd-partition.toml", 1, "47e358dbea2d8e3e37e25c400978c43185ecb58c08a1e9d05fbfb2cfef349b0b", "95b214bc3677cf4d"),
    ("nemesis-quorum.toml", 1, "f62d46187246902753cbb45b26942e307b564df1be43c654d0e8fc45f994e61d", "fbdfd072e776f44d"),
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
