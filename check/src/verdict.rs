//! Verdicts and check names: the vocabulary shared by every check, the CLI,
//! `results.json` and the reports.

use crate::finding::Finding;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The outcome of one check on one history.
///
/// Verdicts merge as `Invalid > Unknown > Valid`; `NotApplicable` (the history
/// lacks what the check reads, e.g. `final` lines) is neutral and affects no
/// exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    #[serde(rename = "n/a")]
    NotApplicable,
    Valid,
    Unknown,
    Invalid,
}

impl Verdict {
    /// Merge two verdicts: invalid > unknown > valid > n/a.
    pub fn merge(self, other: Verdict) -> Verdict {
        self.max(other)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::NotApplicable => "n/a",
            Verdict::Valid => "valid",
            Verdict::Unknown => "unknown",
            Verdict::Invalid => "invalid",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every check, by the name used everywhere (CLI, `results.json`, reports).
///
/// Ordered as they are displayed (the order of `DESIGN.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckName {
    Linearizable,
    ReadAfterWrite,
    ReadYourWrites,
    MonotonicReads,
    MonotonicWrites,
    WritesFollowReads,
    Convergence,
    LostUpdate,
    Durability,
    ListAfterWrite,
    AtomicObject,
    Versions,
    Authorization,
    Revocation,
}

impl CheckName {
    /// Every check that is implemented, in display order. Only these are run
    /// by default (every run, every `storesim check`) and accepted in
    /// scenario `[expect]` blocks. The S3 object checks
    /// ([`CheckName::OBJECT`]) are among them: on a register history they
    /// are `n/a` after one scan of its operations.
    pub const ALL: &'static [CheckName] = &[
        CheckName::Linearizable,
        CheckName::ReadAfterWrite,
        CheckName::ReadYourWrites,
        CheckName::MonotonicReads,
        CheckName::MonotonicWrites,
        CheckName::WritesFollowReads,
        CheckName::Convergence,
        CheckName::LostUpdate,
        CheckName::Durability,
        CheckName::ListAfterWrite,
        CheckName::AtomicObject,
        CheckName::Versions,
        CheckName::Authorization,
        CheckName::Revocation,
    ];

    /// Every check name `DESIGN.md` defines: all are implemented, so
    /// [`CheckName::ALL`].
    pub const DEFINED: &'static [CheckName] = CheckName::ALL;

    pub fn as_str(self) -> &'static str {
        match self {
            CheckName::Linearizable => "linearizable",
            CheckName::ReadAfterWrite => "read-after-write",
            CheckName::ReadYourWrites => "read-your-writes",
            CheckName::MonotonicReads => "monotonic-reads",
            CheckName::MonotonicWrites => "monotonic-writes",
            CheckName::WritesFollowReads => "writes-follow-reads",
            CheckName::Convergence => "convergence",
            CheckName::LostUpdate => "lost-update",
            CheckName::Durability => "durability",
            CheckName::ListAfterWrite => "list-after-write",
            CheckName::AtomicObject => "atomic-object",
            CheckName::Versions => "versions",
            CheckName::Authorization => "authorization",
            CheckName::Revocation => "revocation",
        }
    }

    /// Parses the name of an implemented check (see [`CheckName::ALL`]).
    pub fn parse(name: &str) -> Option<CheckName> {
        CheckName::ALL.iter().copied().find(|c| c.as_str() == name)
    }

    /// The checks of S3 objects — listings, object descriptors, versions —
    /// in display order (followed in [`CheckName::ALL`] by [`CheckName::ACCESS`]).
    pub const OBJECT: &'static [CheckName] = &[
        CheckName::ListAfterWrite,
        CheckName::AtomicObject,
        CheckName::Versions,
    ];

    /// The access checks (issue 17), the last two of [`CheckName::ALL`]:
    /// `n/a` on a history whose requests name no principal.
    pub const ACCESS: &'static [CheckName] = &[CheckName::Authorization, CheckName::Revocation];

    /// Every check a history file can be checked with: [`CheckName::ALL`]
    /// (kept as a name of its own for the callers that say "checkable").
    pub const CHECKABLE: &'static [CheckName] = CheckName::ALL;

    /// Parses the name of any check in [`CheckName::CHECKABLE`].
    pub fn parse_checkable(name: &str) -> Option<CheckName> {
        (CheckName::CHECKABLE.iter().copied()).find(|c| c.as_str() == name)
    }
}

impl fmt::Display for CheckName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One check's result: a verdict and, when invalid, a counterexample a person
/// can read (the few operations involved and one sentence saying what went wrong).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    pub verdict: Verdict,
    /// Empty when valid; when invalid or unknown, what went wrong; when
    /// `n/a`, why the check did not apply.
    pub explanation: String,
    /// Number of anomalies found (e.g. stale reads); 0 when valid.
    pub anomalies: usize,
    /// The anomalies as data, in the check's order (the one the sentence
    /// explains first), at most [`crate::finding::FINDINGS_MAX`]; at least
    /// one when invalid, none otherwise.
    pub findings: Vec<Finding>,
}

impl CheckResult {
    /// Nothing wrong found.
    pub fn valid() -> CheckResult {
        CheckResult {
            verdict: Verdict::Valid,
            explanation: String::new(),
            anomalies: 0,
            findings: Vec::new(),
        }
    }

    /// The history lacks what the check reads; `reason` says what.
    pub fn not_applicable(reason: impl Into<String>) -> CheckResult {
        CheckResult {
            verdict: Verdict::NotApplicable,
            explanation: reason.into(),
            anomalies: 0,
            findings: Vec::new(),
        }
    }

    /// Valid without a `first` sentence; else invalid, saying the first
    /// anomaly and how many more there were ("… (3 more like it)").
    pub fn from_first(
        first: Option<String>,
        anomalies: usize,
        findings: Vec<Finding>,
    ) -> CheckResult {
        match first {
            None => CheckResult::valid(),
            Some(sentence) => {
                let more = match anomalies {
                    1 => String::new(),
                    n => format!(" ({} more like it)", n - 1),
                };
                CheckResult::invalid(format!("{sentence}{more}"), anomalies, findings)
            }
        }
    }

    /// `anomalies` found (at least one), explained by `explanation`, the
    /// first of them as `findings` (at least one).
    pub fn invalid(explanation: String, anomalies: usize, findings: Vec<Finding>) -> CheckResult {
        debug_assert!(
            anomalies > 0 && !findings.is_empty(),
            "an invalid verdict names at least one anomaly"
        );
        CheckResult {
            verdict: Verdict::Invalid,
            explanation,
            anomalies,
            findings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_run_runs_the_object_checks() {
        assert_eq!(CheckName::CHECKABLE, CheckName::ALL);
        assert!(CheckName::ALL.ends_with(CheckName::ACCESS));
        assert!(CheckName::ALL[..CheckName::ALL.len() - 2].ends_with(CheckName::OBJECT));
        assert_eq!(CheckName::DEFINED, CheckName::ALL);
        for &check in CheckName::CHECKABLE {
            assert_eq!(CheckName::parse_checkable(check.as_str()), Some(check));
            assert_eq!(CheckName::parse(check.as_str()), Some(check));
        }
    }
}
