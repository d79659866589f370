//! The terminal summary of a run: one row per seed, seeds sorted, fixed columns.

use crate::results::SeedResult;
use check::CheckName;
use tabled::builder::Builder;
use tabled::settings::Style;

/// Renders one row per seed: seed, ops, ok/fail/info, messages, then one
/// column per check in `checks` order.
pub fn seeds_table(seeds: &[SeedResult], checks: &[CheckName]) -> String {
    let mut builder = Builder::default();
    let mut header: Vec<String> = ["seed", "ops", "ok", "fail", "info", "messages"]
        .map(String::from)
        .to_vec();
    header.extend(checks.iter().map(|c| c.as_str().to_string()));
    builder.push_record(header);
    let mut sorted: Vec<&SeedResult> = seeds.iter().collect();
    sorted.sort_by_key(|s| s.seed);
    for s in sorted {
        let mut row = vec![
            s.seed.to_string(),
            s.ops.to_string(),
            s.ok.to_string(),
            s.fail.to_string(),
            s.info.to_string(),
            s.messages.to_string(),
        ];
        row.extend(
            checks
                .iter()
                .map(|c| s.checks.get(c).map_or("-", |v| v.as_str()).to_string()),
        );
        builder.push_record(row);
    }
    builder.build().with(Style::sharp()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use check::Verdict;
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
            trace_hash: String::new(),
        }
    }

    #[test]
    fn rows_are_sorted_by_seed_and_show_each_check() {
        let seeds = [seed(7, Verdict::Invalid), seed(3, Verdict::Valid)];
        let table = seeds_table(&seeds, &[CheckName::ReadAfterWrite, CheckName::Convergence]);
        let seven = table.find("│ 7 ").expect("seed 7 row");
        let three = table.find("│ 3 ").expect("seed 3 row");
        assert!(three < seven, "{table}");
        assert!(
            table.contains("read-after-write") && table.contains("invalid"),
            "{table}"
        );
        assert!(table.contains(" - "), "a missing check shows as -: {table}");
    }
}
