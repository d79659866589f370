//! Which seeds' histories a run keeps for its report: the lowest invalid
//! seed of every check, so the report can draw a counterexample for each
//! failing check even when they fail on different seeds (a durability loss
//! on seed 10 behind a read-after-write case on seed 3).
//!
//! Seeds finish in any order, so a candidate may be displaced by a lower
//! seed later; what is held is bounded by the number of checks, and a
//! history is dropped as soon as its seed is no longer the lowest for any
//! check. Seeds whose history the run writes anyway (they broke an
//! expectation, or `--keep-histories`) are tracked without holding it.

use check::CheckName;
use std::collections::BTreeMap;
use std::path::Path;

use crate::output;

/// A seed's history and `run.json`, as written to `seeds/<S>/`.
pub struct KeptSeed {
    pub history: String,
    pub info: String,
}

impl KeptSeed {
    pub fn write(&self, out: &Path, seed: u64) -> anyhow::Result<()> {
        let dir = out.join("seeds").join(seed.to_string());
        output::write_atomic(&dir.join("history.jsonl"), &self.history)?;
        output::write_atomic(&dir.join("run.json"), &self.info)
    }
}

/// The lowest invalid seed per check so far, and the histories of those
/// seeds that are not written yet.
#[derive(Default)]
pub struct Lowest {
    per_check: BTreeMap<CheckName, u64>,
    held: BTreeMap<u64, KeptSeed>,
}

impl Lowest {
    /// Whether `seed`, invalid on `checks`, would be the lowest for one of them.
    pub fn would_take(&self, seed: u64, checks: &[CheckName]) -> bool {
        (checks.iter()).any(|c| self.per_check.get(c).is_none_or(|s| seed < *s))
    }

    /// Offers `seed`, invalid on `checks`, with its history unless that is
    /// written already (`None`). Keeps it where it is the lowest for a
    /// check, and drops every held history no check points at any more.
    pub fn offer(&mut self, seed: u64, checks: &[CheckName], kept: Option<KeptSeed>) {
        let mut taken = false;
        for check in checks {
            let lowest = self.per_check.entry(*check).or_insert(seed);
            if seed <= *lowest {
                *lowest = seed;
                taken = true;
            }
        }
        if let (true, Some(kept)) = (taken, kept) {
            self.held.insert(seed, kept);
        }
        let wanted: Vec<u64> = self.per_check.values().copied().collect();
        self.held.retain(|s, _| wanted.contains(s));
        debug_assert!(self.held.len() <= CheckName::ALL.len());
    }

    /// Writes every held history into the run folder `out`.
    pub fn write(self, out: &Path) -> anyhow::Result<()> {
        self.held
            .iter()
            .try_for_each(|(seed, k)| k.write(out, *seed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(n: u64) -> Option<KeptSeed> {
        Some(KeptSeed {
            history: format!("h{n}"),
            info: String::new(),
        })
    }

    fn held(l: &Lowest) -> Vec<u64> {
        l.held.keys().copied().collect()
    }

    #[test]
    fn keeps_the_lowest_seed_of_each_check_whatever_the_finishing_order() {
        use CheckName::{Durability, ReadAfterWrite};
        let mut l = Lowest::default();
        l.offer(10, &[Durability], kept(10));
        l.offer(7, &[ReadAfterWrite], kept(7));
        assert_eq!(held(&l), [7, 10]);
        // 3 displaces 7 for read-after-write; 10 stays durability's.
        assert!(l.would_take(3, &[ReadAfterWrite]));
        l.offer(3, &[ReadAfterWrite], kept(3));
        assert_eq!(held(&l), [3, 10]);
        // 2 is lowest for both: 3 and 10 go.
        l.offer(2, &[ReadAfterWrite, Durability], kept(2));
        assert_eq!(held(&l), [2]);
        assert!(!l.would_take(5, &[ReadAfterWrite, Durability]));
        // A seed already written is tracked without a history, and still
        // displaces a held one.
        l.offer(1, &[Durability], None);
        assert_eq!(held(&l), [2]);
        assert_eq!(l.per_check[&Durability], 1);
        l.offer(0, &[ReadAfterWrite], None);
        assert!(held(&l).is_empty());
    }
}
