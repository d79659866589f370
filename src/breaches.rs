//! Judging a run against its scenario's `[expect]`, and saying so: the
//! breaches of a run's digest, their wording, the regression file they feed,
//! and the terminal lines with replay commands. `run` and `merge` share it.

use crate::{output, seeds};
use check::{CheckName, Verdict};
use reports::results::{Digest, LISTED_MAX};
use sim::Scenario;
use sim::expect::Breach;
use sim::scenario::Expectation;
use std::collections::BTreeMap;
use std::path::Path;

/// Every breach of `expect` by the seeds `digest` counts, in the order of
/// `sim::expect::judge` (failing seeds by seed, then checks expected to fail
/// that never did), which it equals whenever no check has more than
/// [`LISTED_MAX`] failing seeds. A check expected to pass gets one
/// [`Breach::Failed`] per failing seed (invalid or unknown) up to that
/// bound, the lowest first, then one [`Breach::Unlisted`] for the rest: the
/// digest is bounded, and so is this list.
pub fn judge(expect: &BTreeMap<CheckName, Expectation>, digest: &Digest) -> Vec<Breach> {
    let mut failed = Vec::new();
    let mut unlisted = Vec::new();
    for (check, d) in &digest.checks {
        if expect.get(check) != Some(&Expectation::Pass) {
            continue;
        }
        let invalid = d.first_invalid.iter().map(|s| (*s, Verdict::Invalid));
        let unknown = d.first_unknown.iter().map(|s| (*s, Verdict::Unknown));
        let mut listed: Vec<(u64, Verdict)> = invalid.chain(unknown).collect();
        listed.sort_unstable();
        listed.truncate(LISTED_MAX);
        let rest = (d.invalid + d.unknown).saturating_sub(listed.len() as u64);
        failed.extend(listed.into_iter().map(|(seed, v)| (seed, *check, v)));
        if rest > 0 {
            unlisted.push(Breach::Unlisted {
                check: *check,
                seeds: rest,
            });
        }
    }
    failed.sort_unstable();
    let mut breaches: Vec<Breach> = (failed.into_iter())
        .map(|(seed, check, verdict)| Breach::Failed {
            check,
            seed,
            verdict,
        })
        .collect();
    breaches.extend(unlisted);
    for (check, expectation) in expect {
        if *expectation == Expectation::Fail && digest.count(*check, Verdict::Invalid) == 0 {
            breaches.push(Breach::NeverFailed {
                check: *check,
                seeds: digest.count as usize,
            });
        }
    }
    breaches
}

/// The `[expect]` block as words (`pass`, `fail`, `any`), for `results.json`.
pub fn expect_strings(scenario: &Scenario) -> BTreeMap<CheckName, String> {
    let name = |e: &Expectation| match e {
        Expectation::Pass => "pass",
        Expectation::Fail => "fail",
        Expectation::Any => "any",
    };
    scenario
        .expect
        .iter()
        .map(|(c, e)| (*c, name(e).to_string()))
        .collect()
}

pub fn describe(breach: &Breach) -> String {
    match breach {
        Breach::Failed {
            check,
            seed,
            verdict,
        } => {
            format!("{check}: expected pass, seed {seed} was {verdict}")
        }
        Breach::Unlisted { check, seeds } => {
            format!(
                "{check}: expected pass, and {seeds} more seed(s) were invalid or unknown (see seeds.jsonl)"
            )
        }
        Breach::NeverFailed { check, seeds } => {
            format!("{check}: expected to fail on some seed, valid on all {seeds}")
        }
    }
}

/// Appends the seeds that broke an expectation to the regression file.
pub fn save(file: &Path, breaches: &[Breach]) -> anyhow::Result<()> {
    let failures: Vec<(u64, String)> = (breaches.iter())
        .filter_map(|b| match b {
            Breach::Failed { seed, .. } => Some((*seed, describe(b))),
            Breach::Unlisted { .. } | Breach::NeverFailed { .. } => None,
        })
        .collect();
    let added = seeds::save_regressions(file, &failures)?;
    if added > 0 {
        println!("saved {added} seed(s) to {}", file.display());
    }
    Ok(())
}

pub fn report_breaches(scenario: &Path, breaches: &[Breach], out: &Path) {
    if breaches.is_empty() {
        println!(
            "every expectation holds; results in {}",
            out.join("results.json").display()
        );
        return;
    }
    println!("{} expectation(s) broken:", breaches.len());
    for breach in breaches {
        println!("  {}", describe(breach));
        if let Breach::Failed { seed, .. } = breach {
            println!("    replay: {}", output::replay_command(scenario, *seed));
        }
    }
    println!("results in {}", out.join("results.json").display());
}

#[cfg(test)]
mod tests {
    use super::*;
    use CheckName::{Convergence, LostUpdate, ReadAfterWrite};
    use reports::SeedResult;
    use reports::metrics::SeedMetrics;
    use sim::expect;

    fn record(seed: u64, checks: &[(CheckName, Verdict)]) -> SeedResult {
        SeedResult {
            seed,
            ops: 0,
            ok: 0,
            fail: 0,
            info: 0,
            messages: 0,
            sim_time_ns: 0,
            checks: checks.iter().copied().collect(),
            history_hash: String::new(),
            trace_hash: String::new(),
            metrics: SeedMetrics::default(),
        }
    }

    /// A verdict per (seed, check) with every kind of verdict on each check.
    fn verdict(seed: u64, salt: u64) -> Verdict {
        match (seed * 7 + salt) % 11 {
            0 | 5 => Verdict::Invalid,
            3 => Verdict::Unknown,
            8 => Verdict::NotApplicable,
            _ => Verdict::Valid,
        }
    }

    #[test]
    fn judging_the_digest_equals_judging_every_seed() {
        let expect = BTreeMap::from([
            (ReadAfterWrite, Expectation::Pass),
            (Convergence, Expectation::Pass),
            (LostUpdate, Expectation::Fail),
        ]);
        for seeds in [0, 1, 5, 60] {
            let records: Vec<SeedResult> = (1..=seeds)
                .map(|s| {
                    let checks = [
                        (ReadAfterWrite, verdict(s, 0)),
                        (Convergence, verdict(s, 4)),
                    ];
                    record(s, &checks)
                })
                .collect();
            let mut digest = Digest::default();
            records.iter().for_each(|r| digest.add(r));
            let per_seed: Vec<(u64, BTreeMap<CheckName, Verdict>)> = (records.iter())
                .map(|r| (r.seed, r.checks.clone()))
                .collect();
            assert_eq!(
                judge(&expect, &digest),
                expect::judge(&expect, &per_seed),
                "{seeds} seeds"
            );
        }
    }

    #[test]
    fn failing_seeds_past_the_listed_ones_are_counted_in_one_breach() {
        let expect = BTreeMap::from([(ReadAfterWrite, Expectation::Pass)]);
        let mut digest = Digest::default();
        for s in 1..=(LISTED_MAX as u64 + 30) {
            let v = if s % 2 == 0 {
                Verdict::Unknown
            } else {
                Verdict::Invalid
            };
            digest.add(&record(s, &[(ReadAfterWrite, v)]));
        }
        let breaches = judge(&expect, &digest);
        assert_eq!(breaches.len(), LISTED_MAX + 1);
        assert_eq!(
            breaches[LISTED_MAX - 1],
            Breach::Failed {
                check: ReadAfterWrite,
                seed: LISTED_MAX as u64,
                verdict: Verdict::Unknown
            }
        );
        assert_eq!(
            breaches[LISTED_MAX],
            Breach::Unlisted {
                check: ReadAfterWrite,
                seeds: 30
            }
        );
        assert!(describe(&breaches[LISTED_MAX]).contains("30 more seed(s)"));
    }
}
