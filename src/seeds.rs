//! Which seeds a run covers: a range, optionally one shard of it, preceded by
//! the scenario's saved regression seeds.

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};

/// `--shard K/N`: the K-th (1-based) of N disjoint slices of the seed range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Shard, String> {
        let bad = || format!("{text:?} is not K/N with 1 ≤ K ≤ N (e.g. 1/4)");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count) = (k.trim().parse::<u64>(), n.trim().parse::<u64>());
        match (index, count) {
            (Ok(index), Ok(count)) if 1 <= index && index <= count => Ok(Shard { index, count }),
            _ => Err(bad()),
        }
    }
}

/// Seeds `first..first+count`, striped over shards: seed `first + i` belongs to
/// shard `i mod N + 1`, so every shard gets a similar mix.
pub fn range(first: u64, count: u64, shard: Option<Shard>) -> anyhow::Result<Vec<u64>> {
    first
        .checked_add(count - 1)
        .context("--seed + --seeds overflows a 64-bit seed")?;
    let keep = |i: u64| shard.is_none_or(|s| i % s.count == s.index - 1);
    Ok((0..count).filter(|&i| keep(i)).map(|i| first + i).collect())
}

/// The regression file of a scenario: `regressions/<stem>.seeds` next to it.
pub fn regression_file(scenario: &Path) -> PathBuf {
    let stem = scenario
        .file_stem()
        .map_or("scenario".into(), |s| s.to_string_lossy());
    let dir = scenario.parent().unwrap_or(Path::new("."));
    dir.join("regressions").join(format!("{stem}.seeds"))
}

/// Reads saved seeds: one per line, `seed # reason`; blank lines and lines
/// starting with `#` are ignored. A missing file means no seeds.
pub fn read_regressions(path: &Path) -> anyhow::Result<Vec<u64>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let mut seeds = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let seed = line.split('#').next().unwrap_or("").trim();
        if seed.is_empty() {
            continue;
        }
        match seed.parse::<u64>() {
            Ok(seed) => seeds.push(seed),
            Err(_) => bail!(
                "{}:{}: {seed:?} is not a seed (expected `SEED # reason`)",
                path.display(),
                i + 1
            ),
        }
    }
    Ok(seeds)
}

/// Appends seeds with their reasons to a regression file (created if needed),
/// skipping seeds it already holds.
pub fn save_regressions(path: &Path, failures: &[(u64, String)]) -> anyhow::Result<usize> {
    let known = read_regressions(path)?;
    let mut text = std::fs::read_to_string(path).unwrap_or_default();
    let mut added = 0;
    for (seed, reason) in failures {
        if known.contains(seed)
            || text
                .lines()
                .any(|l| l.split('#').next().unwrap_or("").trim() == seed.to_string())
        {
            continue;
        }
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&format!("{seed} # {reason}\n"));
        added += 1;
    }
    if added > 0 {
        crate::output::write_atomic(path, &text)?;
    }
    Ok(added)
}

/// Regression seeds first, then the range, each seed once.
pub fn with_regressions(regressions: Vec<u64>, range: Vec<u64>) -> Vec<u64> {
    let mut seeds = Vec::with_capacity(regressions.len() + range.len());
    for seed in regressions.into_iter().chain(range) {
        if !seeds.contains(&seed) {
            seeds.push(seed);
        }
    }
    seeds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_disjoint_and_cover_the_range() {
        let all = range(10, 23, None).unwrap();
        let mut union: Vec<u64> = (1..=4)
            .flat_map(|k| range(10, 23, Some(Shard { index: k, count: 4 })).unwrap())
            .collect();
        union.sort_unstable();
        assert_eq!(union, all);
        assert_eq!(all.len(), 23);
    }

    #[test]
    fn shard_syntax() {
        assert_eq!("2/4".parse::<Shard>(), Ok(Shard { index: 2, count: 4 }));
        for bad in ["0/4", "5/4", "x/4", "4", "", "1/0"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn regression_seeds_come_first_once() {
        assert_eq!(
            with_regressions(vec![7, 3, 7], vec![1, 2, 3]),
            vec![7, 3, 1, 2]
        );
    }

    #[test]
    fn regression_files_round_trip_and_reject_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("regressions").join("x.seeds");
        assert!(read_regressions(&path).unwrap().is_empty());
        save_regressions(&path, &[(5, "stale read".into()), (9, "x".into())]).unwrap();
        assert_eq!(save_regressions(&path, &[(5, "again".into())]).unwrap(), 0);
        assert_eq!(read_regressions(&path).unwrap(), vec![5, 9]);
        std::fs::write(&path, "# header\n5 # ok\nfive # bad\n").unwrap();
        let err = read_regressions(&path).unwrap_err().to_string();
        assert!(err.contains("x.seeds:3"), "{err}");
    }
}
