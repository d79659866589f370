//! Judges a run's verdicts against the scenario's `[expect]` block.
//!
//! `pass`: the check is valid on every seed (unknown counts as a breach: it was
//! not shown to pass). `fail`: invalid on at least one seed of the run.
//! `any`: not judged. `n/a` verdicts breach nothing.

use crate::scenario::Expectation;
use check::{CheckName, Verdict};
use std::collections::BTreeMap;

/// One expectation that did not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Breach {
    /// Expected to pass, but this seed's verdict was invalid or unknown.
    Failed {
        check: CheckName,
        seed: u64,
        verdict: Verdict,
    },
    /// Expected to pass, and this many seeds besides those reported one by
    /// one as [`Breach::Failed`] were invalid or unknown. Only a judge that
    /// lists failing seeds up to a bound reports it (the CLI's, which judges
    /// a run's bounded digest rather than every seed).
    Unlisted { check: CheckName, seeds: u64 },
    /// Expected to fail on some seed, but valid on every seed run.
    NeverFailed { check: CheckName, seeds: usize },
}

/// The checks a single seed breaches (only `pass` expectations can be breached by one seed).
pub fn seed_breaches(
    expect: &BTreeMap<CheckName, Expectation>,
    verdicts: &BTreeMap<CheckName, Verdict>,
) -> Vec<CheckName> {
    let breached = |(check, verdict): (&CheckName, &Verdict)| {
        let pass = expect.get(check) == Some(&Expectation::Pass);
        (pass && matches!(verdict, Verdict::Invalid | Verdict::Unknown)).then_some(*check)
    };
    verdicts.iter().filter_map(breached).collect()
}

/// Every breach of a whole run, seeds in the order given.
pub fn judge(
    expect: &BTreeMap<CheckName, Expectation>,
    seeds: &[(u64, BTreeMap<CheckName, Verdict>)],
) -> Vec<Breach> {
    let mut breaches = Vec::new();
    for (seed, verdicts) in seeds {
        for check in seed_breaches(expect, verdicts) {
            breaches.push(Breach::Failed {
                check,
                seed: *seed,
                verdict: verdicts[&check],
            });
        }
    }
    for (check, expectation) in expect {
        let failed_somewhere = seeds
            .iter()
            .any(|(_, v)| v.get(check) == Some(&Verdict::Invalid));
        if *expectation == Expectation::Fail && !failed_somewhere {
            breaches.push(Breach::NeverFailed {
                check: *check,
                seeds: seeds.len(),
            });
        }
    }
    breaches
}

#[cfg(test)]
mod tests {
    use super::*;
    use CheckName::{Convergence, ReadAfterWrite};

    fn verdicts(raw: Verdict, conv: Verdict) -> BTreeMap<CheckName, Verdict> {
        BTreeMap::from([(ReadAfterWrite, raw), (Convergence, conv)])
    }

    #[test]
    fn pass_is_breached_by_any_invalid_or_unknown_seed() {
        let expect = BTreeMap::from([(ReadAfterWrite, Expectation::Pass)]);
        let run = [
            (1, verdicts(Verdict::Valid, Verdict::Invalid)),
            (2, verdicts(Verdict::Invalid, Verdict::Valid)),
            (3, verdicts(Verdict::Unknown, Verdict::Valid)),
        ];
        let breaches = judge(&expect, &run);
        assert_eq!(breaches.len(), 2);
        assert!(matches!(breaches[0], Breach::Failed { seed: 2, .. }));
        assert!(matches!(
            breaches[1],
            Breach::Failed {
                seed: 3,
                verdict: Verdict::Unknown,
                ..
            }
        ));
    }

    #[test]
    fn fail_holds_when_some_seed_fails_and_breaks_when_none_does() {
        let expect = BTreeMap::from([
            (ReadAfterWrite, Expectation::Fail),
            (Convergence, Expectation::Any),
        ]);
        let some = [
            (1, verdicts(Verdict::Valid, Verdict::Invalid)),
            (2, verdicts(Verdict::Invalid, Verdict::Valid)),
        ];
        assert!(judge(&expect, &some).is_empty());
        let none = [(1, verdicts(Verdict::Valid, Verdict::Invalid))];
        assert_eq!(
            judge(&expect, &none),
            vec![Breach::NeverFailed {
                check: ReadAfterWrite,
                seeds: 1
            }]
        );
    }

    #[test]
    fn not_applicable_breaches_nothing() {
        let expect = BTreeMap::from([(Convergence, Expectation::Pass)]);
        let run = [(1, verdicts(Verdict::Valid, Verdict::NotApplicable))];
        assert!(judge(&expect, &run).is_empty());
    }
}
