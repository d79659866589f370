//! Judging a run against its scenario's `[expect]`, and saying so: the
//! breaches of a run's digest, their wording, the regression file they feed,
//! and the terminal lines with replay commands. `run` and `merge` share it.

use crate::{output, seeds};
use check::{CheckName, Verdict};
use reports::results::{Digest, LISTED_MAX};
use sim::Scenario;
use sim::scenario::Expectation;
use std::collections::BTreeMap;
use std::path::Path;

/// How many of a broken expectation's failing seeds its line names (the
/// rest are counted; `results.json`'s digest lists up to [`LISTED_MAX`]).
pub const NAMED_MAX: usize = 5;

/// One expectation of `[expect]` that did not hold, over the whole run: a
/// run of 40 seeds that breaks `linearizable = "pass"` on 29 of them is one
/// breach, not 29.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Broken {
    /// Expected to pass, but some seeds were invalid or unknown.
    Failed {
        check: CheckName,
        /// Seeds with an invalid verdict, and with an unknown one.
        invalid: u64,
        unknown: u64,
        /// Seeds run.
        of: u64,
        /// The lowest failing seeds with their verdicts, ascending, at most
        /// [`LISTED_MAX`] (what the digest lists); the first is replayed.
        lowest: Vec<(u64, Verdict)>,
    },
    /// Expected to fail on some seed, but valid on every seed run.
    NeverFailed { check: CheckName, seeds: u64 },
}

impl Broken {
    /// The lowest seed that broke it, for its replay command.
    pub fn first_seed(&self) -> Option<u64> {
        match self {
            Broken::Failed { lowest, .. } => lowest.first().map(|(s, _)| *s),
            Broken::NeverFailed { .. } => None,
        }
    }
}

/// Every expectation of `expect` that the seeds `digest` counts break, one
/// [`Broken`] each: checks expected to pass that failed somewhere (in check
/// order), then checks expected to fail that never did. Bounded by the
/// number of checks, whatever the number of seeds.
pub fn judge(expect: &BTreeMap<CheckName, Expectation>, digest: &Digest) -> Vec<Broken> {
    let mut broken = Vec::new();
    for (check, d) in &digest.checks {
        if expect.get(check) != Some(&Expectation::Pass) || d.invalid + d.unknown == 0 {
            continue;
        }
        let invalid = d.first_invalid.iter().map(|s| (*s, Verdict::Invalid));
        let unknown = d.first_unknown.iter().map(|s| (*s, Verdict::Unknown));
        let mut lowest: Vec<(u64, Verdict)> = invalid.chain(unknown).collect();
        lowest.sort_unstable();
        lowest.truncate(LISTED_MAX);
        broken.push(Broken::Failed {
            check: *check,
            invalid: d.invalid,
            unknown: d.unknown,
            of: digest.count,
            lowest,
        });
    }
    for (check, expectation) in expect {
        if *expectation == Expectation::Fail && digest.count(*check, Verdict::Invalid) == 0 {
            broken.push(Broken::NeverFailed {
                check: *check,
                seeds: digest.count,
            });
        }
    }
    broken
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

/// One line per broken expectation: `linearizable: expected pass, invalid
/// on 29 of 40 seeds (lowest: 1, 2, 4, 5, 7, …)`.
pub fn describe(broken: &Broken) -> String {
    match broken {
        Broken::Failed {
            check,
            invalid,
            unknown,
            of,
            lowest,
        } => {
            let how = match (*invalid, *unknown) {
                (i, 0) => format!("invalid on {i} of {of} seed(s)"),
                (0, u) => format!("unknown on {u} of {of} seed(s)"),
                (i, u) => format!("invalid on {i} and unknown on {u} of {of} seed(s)"),
            };
            let named: Vec<String> = (lowest.iter().take(NAMED_MAX))
                .map(|(seed, _)| seed.to_string())
                .collect();
            let more = if invalid + unknown > named.len() as u64 {
                ", …"
            } else {
                ""
            };
            let which = if named.len() == 1 && more.is_empty() {
                format!("seed {}", named[0])
            } else {
                format!("lowest: {}{more}", named.join(", "))
            };
            format!("{check}: expected pass, {how} ({which})")
        }
        Broken::NeverFailed { check, seeds } => {
            format!("{check}: expected to fail on some seed, valid on all {seeds}")
        }
    }
}

/// Appends the seeds that broke an expectation (the lowest [`LISTED_MAX`]
/// per check) to the regression file, each with its reason.
pub fn save(file: &Path, broken: &[Broken]) -> anyhow::Result<()> {
    let mut failures: Vec<(u64, String)> = Vec::new();
    for b in broken {
        if let Broken::Failed { check, lowest, .. } = b {
            failures.extend(lowest.iter().map(|(seed, verdict)| {
                (
                    *seed,
                    format!("{check}: expected pass, seed {seed} was {verdict}"),
                )
            }));
        }
    }
    failures.sort_by_key(|(seed, _)| *seed);
    let added = seeds::save_regressions(file, &failures)?;
    if added > 0 {
        println!("saved {added} seed(s) to {}", file.display());
    }
    Ok(())
}

/// Prints one line per broken expectation and one replay command (its
/// lowest failing seed), or that every expectation holds. `scenario` is the
/// file the replay commands name: one that reproduces the run's seeds;
/// `swarm`, its `[swarm]` if any, so that each replayed seed's point is
/// shown with it.
pub fn report_breaches(
    scenario: &Path,
    swarm: Option<&sim::scenario::Swarm>,
    broken: &[Broken],
    out: &Path,
) {
    if broken.is_empty() {
        println!(
            "every expectation holds; results in {}",
            out.join("results.json").display()
        );
        return;
    }
    println!("{} expectation(s) broken:", broken.len());
    for b in broken {
        println!("  {}", describe(b));
        if let Some(seed) = b.first_seed() {
            println!("    replay: {}", output::replay_command(scenario, seed));
            if let Some(swarm) = swarm {
                println!("    swarm point of seed {seed}: {}", swarm.draw(seed));
            }
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
    use sim::expect::{self, Breach};

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
            swarm: Default::default(),
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

    /// Judging the digest breaks the same expectations as judging every seed
    /// (`sim::expect::judge`, one breach per failing seed), each once, with
    /// its failing seeds counted and the lowest listed.
    #[test]
    fn judging_the_digest_groups_judging_every_seed_by_expectation() {
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
            let mut grouped: BTreeMap<CheckName, Vec<(u64, Verdict)>> = BTreeMap::new();
            let mut never = Vec::new();
            for b in expect::judge(&expect, &per_seed) {
                match b {
                    Breach::Failed {
                        check,
                        seed,
                        verdict,
                    } => grouped.entry(check).or_default().push((seed, verdict)),
                    Breach::NeverFailed { check, seeds } => never.push(Broken::NeverFailed {
                        check,
                        seeds: seeds as u64,
                    }),
                    Breach::Unlisted { .. } => unreachable!("judge lists every seed"),
                }
            }
            let mut wanted: Vec<Broken> = (grouped.into_iter())
                .map(|(check, failed)| Broken::Failed {
                    check,
                    invalid: failed
                        .iter()
                        .filter(|(_, v)| *v == Verdict::Invalid)
                        .count() as u64,
                    unknown: failed
                        .iter()
                        .filter(|(_, v)| *v == Verdict::Unknown)
                        .count() as u64,
                    of: seeds,
                    lowest: failed,
                })
                .collect();
            wanted.extend(never);
            assert_eq!(judge(&expect, &digest), wanted, "{seeds} seeds");
        }
    }

    /// Issue 11, defect 4: 29 failing seeds of one check are one breach,
    /// which counts them, names the lowest few and lists the lowest
    /// [`LISTED_MAX`] for the regression file.
    #[test]
    fn many_failing_seeds_of_one_check_are_one_breach() {
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
        let broken = judge(&expect, &digest);
        assert_eq!(broken.len(), 1);
        let Broken::Failed { lowest, .. } = &broken[0] else {
            panic!("{broken:?}")
        };
        assert_eq!(lowest.len(), LISTED_MAX);
        assert_eq!(lowest[1], (2, Verdict::Unknown));
        assert_eq!(broken[0].first_seed(), Some(1));
        assert_eq!(
            describe(&broken[0]),
            "read-after-write: expected pass, invalid on 65 and unknown on 65 of 130 seed(s) \
             (lowest: 1, 2, 3, 4, 5, …)"
        );
        let one = Broken::Failed {
            check: ReadAfterWrite,
            invalid: 1,
            unknown: 0,
            of: 3,
            lowest: vec![(2, Verdict::Invalid)],
        };
        assert_eq!(
            describe(&one),
            "read-after-write: expected pass, invalid on 1 of 3 seed(s) (seed 2)"
        );
    }
}
