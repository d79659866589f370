//! The terminal summary of a run, narrow enough for an 100-column terminal.
//!
//! Up to [`ROWS_MAX`] seeds: one row per seed (sorted), fixed columns, one
//! short column per check holding a mark (`✓ ✗ ? ·`), and a legend. More
//! seeds: one row per check with its verdict counts, then the rows of the
//! first [`FAILING_ROWS_MAX`] seeds with an invalid verdict.

use crate::results::{Digest, SeedResult};
use check::{CheckName, Verdict};
use tabled::builder::Builder;
use tabled::settings::object::Columns;
use tabled::settings::{Padding, Style};

/// Most seeds shown one row each.
pub const ROWS_MAX: usize = 30;
/// Most failing seeds listed under the per-check counts.
pub const FAILING_ROWS_MAX: usize = 10;

/// A check's column header.
pub fn abbreviation(check: CheckName) -> &'static str {
    match check {
        CheckName::Linearizable => "lin",
        CheckName::ReadAfterWrite => "raw",
        CheckName::ReadYourWrites => "ryw",
        CheckName::MonotonicReads => "mr",
        CheckName::MonotonicWrites => "mw",
        CheckName::WritesFollowReads => "wfr",
        CheckName::Convergence => "conv",
        CheckName::LostUpdate => "lost",
        CheckName::Durability => "dur",
        CheckName::ListAfterWrite => "law",
        CheckName::AtomicObject => "atom",
        CheckName::Versions => "ver",
        CheckName::Authorization => "az",
        CheckName::Revocation => "rv",
    }
}

/// A verdict as one character; `-` when the check did not run.
pub fn mark(verdict: Option<Verdict>) -> &'static str {
    match verdict {
        Some(Verdict::Valid) => "✓",
        Some(Verdict::Invalid) => "✗",
        Some(Verdict::Unknown) => "?",
        Some(Verdict::NotApplicable) => "·",
        None => "-",
    }
}

/// The seeds a terminal summary shows one row each: the first [`ROWS_MAX`]
/// seeds and the first [`FAILING_ROWS_MAX`] seeds with an invalid verdict.
/// Fed one seed at a time ([`Rows::add`], in any order), it holds at most
/// that many records however many seeds a run has.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rows {
    first: Vec<SeedResult>,
    failing: Vec<SeedResult>,
}

impl Rows {
    /// Keeps `seed` if it is among the lowest seeds shown (each seed once).
    pub fn add(&mut self, seed: &SeedResult) {
        keep(&mut self.first, seed, ROWS_MAX);
        if seed.failing() {
            keep(&mut self.failing, seed, FAILING_ROWS_MAX);
        }
    }
}

/// Inserts `seed` in the ascending `rows` if it is among the lowest `max`.
fn keep(rows: &mut Vec<SeedResult>, seed: &SeedResult, max: usize) {
    let at = rows.partition_point(|s| s.seed < seed.seed);
    if at < max {
        rows.insert(at, seed.clone());
        rows.truncate(max);
    }
}

/// The summary of a run's seeds for `checks` (in that order), legend
/// included: every seed's row when there are at most [`ROWS_MAX`], else the
/// per-check counts of `digest` and the rows of the first failing seeds.
/// `rows` holds the records of the seeds `digest` counted.
pub fn seeds_table(digest: &Digest, rows: &Rows, checks: &[CheckName]) -> String {
    let checks = &shown(digest, checks);
    if digest.count <= ROWS_MAX as u64 {
        let all: Vec<&SeedResult> = rows.first.iter().collect();
        return format!("{}\n{}", self::rows(&all, checks), legend(checks));
    }
    let mut text = counts(digest, checks);
    if !rows.failing.is_empty() {
        let shown: Vec<&SeedResult> = rows.failing.iter().collect();
        text.push_str(&format!(
            "\n{} of {} seeds have an invalid verdict; the first {}:\n{}\n{}",
            digest.failing,
            digest.count,
            shown.len(),
            self::rows(&shown, checks),
            legend(checks)
        ));
    }
    text
}

fn rows(seeds: &[&SeedResult], checks: &[CheckName]) -> String {
    let mut builder = Builder::default();
    let mut header: Vec<String> = ["seed", "ops", "ok", "fail", "info", "msgs"]
        .map(String::from)
        .to_vec();
    header.extend(checks.iter().map(|c| abbreviation(*c).to_string()));
    builder.push_record(header);
    for s in seeds {
        let mut row = [s.seed, s.ops, s.ok, s.fail, s.info, s.messages]
            .map(|n| n.to_string())
            .to_vec();
        row.extend(
            checks
                .iter()
                .map(|c| mark(s.checks.get(c).copied()).to_string()),
        );
        builder.push_record(row);
    }
    let mut table = builder.build();
    table.with(Style::sharp());
    // With the S3 object or access checks, up to fourteen check columns:
    // drop their padding so the table still fits 100 columns.
    let extra = |c: &CheckName| CheckName::OBJECT.contains(c) || CheckName::ACCESS.contains(c);
    if checks.len() > 12 {
        // Both kinds at once: the counts lose their padding too.
        table.modify(Columns::new(2..), Padding::zero());
    } else if checks.iter().any(extra) {
        table.modify(Columns::new(6..), Padding::zero());
    }
    table.to_string()
}

/// The abbreviations, wrapped at [`LEGEND_CHARS_MAX`], then the marks.
fn legend(checks: &[CheckName]) -> String {
    let mut lines = vec![String::new()];
    for c in checks {
        let item = format!("{} {c}", abbreviation(*c));
        let line = lines.last_mut().expect("never empty");
        if line.is_empty() {
            line.push_str(&item);
        } else if line.chars().count() + 3 + item.chars().count() <= LEGEND_CHARS_MAX {
            line.push_str(&format!(" · {item}"));
        } else {
            lines.push(item);
        }
    }
    lines.push(
        "✓ valid  ✗ invalid  ? unknown  · n/a  - not run;  msgs: network messages".to_string(),
    );
    lines.join("\n")
}

/// `checks` without the S3 object checks ([`CheckName::OBJECT`]) and the
/// access checks ([`CheckName::ACCESS`]) that applied to no seed of
/// `digest`: a register run's table is the one it always was, an S3 or
/// access-controlled run's shows them.
pub fn shown(digest: &Digest, checks: &[CheckName]) -> Vec<CheckName> {
    let applied = |c: &CheckName| {
        [Verdict::Valid, Verdict::Invalid, Verdict::Unknown]
            .iter()
            .any(|&v| digest.count(*c, v) > 0)
    };
    (checks.iter().copied())
        .filter(|c| !(CheckName::OBJECT.contains(c) || CheckName::ACCESS.contains(c)) || applied(c))
        .collect()
}

/// Width of a legend line.
const LEGEND_CHARS_MAX: usize = 96;

/// One row per check: how many seeds gave each verdict, and the first invalid seed.
pub fn counts(digest: &Digest, checks: &[CheckName]) -> String {
    let checks = &shown(digest, checks);
    let mut builder = Builder::default();
    builder.push_record([
        "check",
        "valid",
        "invalid",
        "unknown",
        "n/a",
        "first invalid seed",
    ]);
    for &check in checks {
        let row = [
            Verdict::Valid,
            Verdict::Invalid,
            Verdict::Unknown,
            Verdict::NotApplicable,
        ]
        .map(|v| digest.count(check, v).to_string());
        let mut record = vec![check.to_string()];
        record.extend(row);
        record.push(
            digest
                .first_invalid(check)
                .map_or("-".to_string(), |s| s.to_string()),
        );
        builder.push_record(record);
    }
    builder.build().with(Style::sharp()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn seed(n: u64, raw: Verdict) -> SeedResult {
        SeedResult {
            seed: n,
            ops: 10,
            ok: 8,
            fail: 1,
            info: 1,
            messages: 80,
            sim_time_ns: 1,
            checks: BTreeMap::from([(CheckName::ReadAfterWrite, raw)]),
            history_hash: String::new(),
            swarm: Default::default(),
            trace_hash: String::new(),
            metrics: Default::default(),
        }
    }

    /// The table of `seeds`, fed in the order given.
    fn seeds_table(seeds: &[SeedResult], checks: &[CheckName]) -> String {
        let (mut digest, mut rows) = (Digest::default(), Rows::default());
        for s in seeds {
            digest.add(s);
            rows.add(s);
        }
        super::seeds_table(&digest, &rows, checks)
    }

    #[test]
    fn rows_are_sorted_by_seed_and_show_each_check_as_a_mark() {
        let seeds = [seed(7, Verdict::Invalid), seed(3, Verdict::Valid)];
        let table = seeds_table(&seeds, &[CheckName::ReadAfterWrite, CheckName::Convergence]);
        let seven = table.find("│ 7 ").expect("seed 7 row");
        let three = table.find("│ 3 ").expect("seed 3 row");
        assert!(three < seven, "{table}");
        assert!(table.contains("│ ✗ ") && table.contains("│ ✓ "), "{table}");
        assert!(table.contains(" - "), "a missing check shows as -: {table}");
        assert!(
            table.contains("raw read-after-write · conv convergence"),
            "{table}"
        );
    }

    #[test]
    fn every_check_fits_in_100_columns() {
        let mut s3 = seed(1_000_000, Verdict::Invalid);
        for &c in CheckName::ALL {
            s3.checks.insert(c, Verdict::Invalid);
        }
        s3.ops = 1_000_000;
        s3.messages = 10_000_000;
        for seeds in [[seed(1_000_000, Verdict::Invalid)], [s3]] {
            let table = seeds_table(&seeds, CheckName::ALL);
            let widest = table.lines().map(|l| l.chars().count()).max().unwrap();
            assert!(widest <= 100, "{widest}:\n{table}");
        }
    }

    #[test]
    fn object_checks_show_only_where_they_applied() {
        let register = seeds_table(&[seed(1, Verdict::Valid)], CheckName::ALL);
        assert!(
            !register.contains("law") && !register.contains("atom"),
            "{register}"
        );
        let mut s3 = seed(1, Verdict::Valid);
        s3.checks.insert(CheckName::ListAfterWrite, Verdict::Valid);
        let table = seeds_table(&[s3], CheckName::ALL);
        assert!(table.contains("law") && !table.contains("atom"), "{table}");
    }

    #[test]
    fn many_seeds_are_counted_per_check_with_the_failing_rows() {
        let seeds: Vec<SeedResult> = (1..=100)
            .rev()
            .map(|n| {
                seed(
                    n,
                    if n % 25 == 0 {
                        Verdict::Invalid
                    } else {
                        Verdict::Valid
                    },
                )
            })
            .collect();
        let table = seeds_table(&seeds, &[CheckName::ReadAfterWrite]);
        assert!(
            table.contains("│ read-after-write │ 96    │ 4       │"),
            "{table}"
        );
        assert!(
            table.contains("4 of 100 seeds have an invalid verdict"),
            "{table}"
        );
        assert!(
            table.contains("│ 75 ") && !table.contains("│ 74 "),
            "{table}"
        );
    }
}
