//! What a run found: `results.json` (the run as a whole, [`RunResults`]) and
//! `seeds.jsonl` (one [`SeedResult`] per line, ascending seeds).
//!
//! Everything here is a pure function of (scenario, seeds): no wall-clock
//! fields, seeds in order, maps sorted, so two runs of the same seeds give the
//! same files whatever `--jobs` was.
//!
//! Bounded by design: a run may cover a million seeds (sharded, see
//! `docs/sharding.md`), so nothing held in memory or written to
//! `results.json` grows with the number of seeds. The per-seed records stream
//! to `seeds.jsonl` as seeds finish; `results.json` keeps a [`Digest`] of
//! them (counts per check and verdict, the first [`LISTED_MAX`] invalid and
//! unknown seeds per check), which is all that judging `[expect]`, the
//! reports and the terminal summary need.

use crate::metrics::SeedMetrics;
use crate::scenario::ScenarioSummary;
use check::{CheckName, Verdict};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The most seeds a [`CheckDigest`] lists per verdict (the lowest ones).
pub const LISTED_MAX: usize = 100;

/// A whole run: `results.json`. Its size depends on the scenario and the
/// number of checks, not on the number of seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResults {
    /// The scenario's `name`.
    pub scenario: String,
    /// The scenario file as given on the command line.
    pub scenario_file: String,
    /// The scenario's `[expect]` block (`pass` | `fail` | `any` per check), so
    /// that merged shards can be judged again without the scenario file.
    pub expect: BTreeMap<CheckName, String>,
    /// The seeds in counts; each seed's own record is in `seeds.jsonl`.
    pub digest: Digest,
    /// Every expectation of the scenario that did not hold, one line each in
    /// plain words (how many seeds broke it, the lowest few).
    pub breaches: Vec<String>,
    /// Every seed's metrics merged, distributions included (per-seed records
    /// keep only the slim part, see `SeedMetrics::slim`).
    #[serde(default)]
    pub totals: SeedMetrics,
    /// The scenario in words, for reports (absent in older files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<ScenarioSummary>,
}

/// One seed: a line of `seeds.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedResult {
    pub seed: u64,
    /// Client operations invoked.
    pub ops: u64,
    pub ok: u64,
    pub fail: u64,
    pub info: u64,
    /// Network messages sent (requests and responses).
    pub messages: u64,
    /// Simulated time the seed ran, in nanoseconds.
    pub sim_time_ns: u64,
    pub checks: BTreeMap<CheckName, Verdict>,
    /// SHA-256 of the seed's `history.jsonl`, hex.
    pub history_hash: String,
    /// The seed's `[swarm]` point: each `[workload]` knob it set and its
    /// value as TOML (`keys` → `412`, `think` → `"3ms"`), to show and to pin
    /// (never parsed back); empty without `[swarm]`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub swarm: BTreeMap<String, String>,
    /// Fingerprint of every simulated message and fault, in order (hex).
    pub trace_hash: String,
    /// Latency, staleness and anomaly counts (absent in older files).
    #[serde(default)]
    pub metrics: SeedMetrics,
}

/// The seeds of a run in counts: fed one [`SeedResult`] at a time
/// ([`Digest::add`], in any order), it stays the same size however many
/// seeds it has seen. Two runs over the same seeds give equal digests, however
/// the seeds were split into shards and merged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    /// Seeds run.
    pub count: u64,
    /// The lowest seed run (absent when none ran).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lowest: Option<u64>,
    /// The highest seed run (absent when none ran).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub highest: Option<u64>,
    /// Seeds with an invalid verdict for at least one check.
    pub failing: u64,
    /// Per check that ran on some seed.
    pub checks: BTreeMap<CheckName, CheckDigest>,
}

/// One check over every seed of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckDigest {
    pub invalid: u64,
    pub unknown: u64,
    pub valid: u64,
    #[serde(rename = "n/a")]
    pub not_applicable: u64,
    /// The lowest seeds where the check was invalid, ascending, at most
    /// [`LISTED_MAX`] (the rest are in `seeds.jsonl`).
    pub first_invalid: Vec<u64>,
    /// The lowest seeds where the check was unknown, likewise.
    pub first_unknown: Vec<u64>,
}

/// How a check fared against the scenario's `[expect]` over a whole run:
/// what reports colour by, so that a check expected to fail, failing, reads
/// as the success it is and not as an alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judged {
    /// `pass` and valid (or n/a) on every seed; `fail` and invalid on some.
    Met,
    /// `pass` but invalid or unknown on some seed; `fail` but never invalid.
    Broken,
    /// `any`, or not in `[expect]`.
    NotJudged,
}

impl Judged {
    pub fn as_str(self) -> &'static str {
        match self {
            Judged::Met => "met",
            Judged::Broken => "broken",
            Judged::NotJudged => "not judged",
        }
    }
}

impl RunResults {
    /// How `check` fared against `[expect]`, from the digest (the same rule
    /// as the CLI's judge: `pass` is broken by an invalid or unknown seed,
    /// `fail` by no invalid seed).
    pub fn judged(&self, check: CheckName) -> Judged {
        let count = |v| self.digest.count(check, v);
        match self.expect.get(&check).map(String::as_str) {
            Some("pass") if count(Verdict::Invalid) + count(Verdict::Unknown) > 0 => Judged::Broken,
            Some("pass") => Judged::Met,
            Some("fail") if count(Verdict::Invalid) == 0 => Judged::Broken,
            Some("fail") => Judged::Met,
            _ => Judged::NotJudged,
        }
    }

    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("results always serialise");
        text.push('\n');
        text
    }
}

impl SeedResult {
    /// The record as one line of `seeds.jsonl` (compact JSON, no newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("a seed always serialises")
    }

    /// Whether any check was invalid on this seed.
    pub fn failing(&self) -> bool {
        self.checks.values().any(|v| *v == Verdict::Invalid)
    }
}

impl Digest {
    /// Counts one more seed (each seed once).
    pub fn add(&mut self, seed: &SeedResult) {
        self.count += 1;
        self.lowest = Some(self.lowest.map_or(seed.seed, |s| s.min(seed.seed)));
        self.highest = Some(self.highest.map_or(seed.seed, |s| s.max(seed.seed)));
        self.failing += u64::from(seed.failing());
        for (check, verdict) in &seed.checks {
            self.checks
                .entry(*check)
                .or_default()
                .add(seed.seed, *verdict);
        }
    }

    /// Seeds where `check` gave `verdict`.
    pub fn count(&self, check: CheckName, verdict: Verdict) -> u64 {
        self.checks.get(&check).map_or(0, |c| c.count(verdict))
    }

    /// The lowest seed where `check` was invalid.
    pub fn first_invalid(&self, check: CheckName) -> Option<u64> {
        self.checks.get(&check)?.first_invalid.first().copied()
    }
}

impl CheckDigest {
    /// Seeds that gave `verdict`.
    pub fn count(&self, verdict: Verdict) -> u64 {
        match verdict {
            Verdict::Invalid => self.invalid,
            Verdict::Unknown => self.unknown,
            Verdict::Valid => self.valid,
            Verdict::NotApplicable => self.not_applicable,
        }
    }

    fn add(&mut self, seed: u64, verdict: Verdict) {
        match verdict {
            Verdict::Invalid => {
                self.invalid += 1;
                list(&mut self.first_invalid, seed);
            }
            Verdict::Unknown => {
                self.unknown += 1;
                list(&mut self.first_unknown, seed);
            }
            Verdict::Valid => self.valid += 1,
            Verdict::NotApplicable => self.not_applicable += 1,
        }
    }
}

/// Inserts `seed` in the ascending `seeds` if it is among the lowest
/// [`LISTED_MAX`], dropping the one that falls off the end.
fn list(seeds: &mut Vec<u64>, seed: u64) {
    let at = seeds.partition_point(|s| *s < seed);
    if at < LISTED_MAX {
        seeds.insert(at, seed);
        seeds.truncate(LISTED_MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(n: u64, raw: Verdict) -> SeedResult {
        SeedResult {
            seed: n,
            ops: 1,
            ok: 1,
            fail: 0,
            info: 0,
            messages: 2,
            sim_time_ns: 3,
            checks: BTreeMap::from([(CheckName::ReadAfterWrite, raw)]),
            history_hash: String::new(),
            swarm: Default::default(),
            trace_hash: String::new(),
            metrics: SeedMetrics::default(),
        }
    }

    fn verdict(n: u64) -> Verdict {
        match n % 5 {
            0 => Verdict::Invalid,
            1 => Verdict::Unknown,
            _ => Verdict::Valid,
        }
    }

    #[test]
    fn a_digest_is_bounded_and_independent_of_order() {
        let seeds: Vec<SeedResult> = (1..=2000).map(|n| seed(n, verdict(n))).collect();
        let (mut up, mut down) = (Digest::default(), Digest::default());
        seeds.iter().for_each(|s| up.add(s));
        seeds.iter().rev().for_each(|s| down.add(s));
        assert_eq!(up, down);
        let raw = &up.checks[&CheckName::ReadAfterWrite];
        assert_eq!((raw.invalid, raw.unknown, raw.valid), (400, 400, 1200));
        assert_eq!(raw.first_invalid.len(), LISTED_MAX);
        assert_eq!(raw.first_invalid[..3], [5, 10, 15]);
        assert_eq!(raw.first_unknown[0], 1);
        assert_eq!(
            (up.count, up.lowest, up.highest),
            (2000, Some(1), Some(2000))
        );
        assert_eq!(up.failing, 400);
        assert_eq!(up.first_invalid(CheckName::ReadAfterWrite), Some(5));
        assert_eq!(up.count(CheckName::Convergence, Verdict::Valid), 0);
    }

    #[test]
    fn a_record_is_one_line_that_reads_back() {
        let s = seed(7, Verdict::Invalid);
        let line = s.to_line();
        assert!(!line.contains('\n'));
        assert_eq!(serde_json::from_str::<SeedResult>(&line).unwrap(), s);
    }
}
