//! The version ids a client has seen, per object: what a GET or DELETE by
//! version id draws from. The simulator's S3 clients and `storesim drive`'s
//! share it, so a drive run draws exactly as a simulated one would from the
//! same ids (one RNG draw per pick, none when nothing is known).
//!
//! Bounded: at most [`KNOWN_PER_KEY`] ids per object (the oldest dropped
//! first) and [`KNOWN_MAX`] learned in all (later ones are not kept), so a
//! long run's memory does not grow with its writes.

use rand::Rng;
use std::borrow::Borrow;
use std::collections::BTreeMap;

/// Most version ids a client remembers per object (the newest kept).
pub const KNOWN_PER_KEY: usize = 8;
/// Most version ids a client remembers in all (further ones are not kept).
pub const KNOWN_MAX: usize = 4096;

/// Version ids seen per object `K`, oldest first.
#[derive(Debug)]
pub struct KnownVersions<K> {
    per_key: BTreeMap<K, Vec<String>>,
    /// Ids learned in all (forgetting one does not give room back).
    total: usize,
}

impl<K: Ord> Default for KnownVersions<K> {
    fn default() -> Self {
        KnownVersions {
            per_key: BTreeMap::new(),
            total: 0,
        }
    }
}

impl<K: Ord> KnownVersions<K> {
    /// One of `key`'s known ids, drawn uniformly with one draw from `rng`;
    /// `None`, drawing nothing, when none is known.
    pub fn pick<Q: Ord + ?Sized>(&self, rng: &mut impl Rng, key: &Q) -> Option<String>
    where
        K: Borrow<Q>,
    {
        let known = self.per_key.get(key)?;
        (!known.is_empty()).then(|| known[rng.gen_range(0..known.len())].clone())
    }

    /// Remembers `version` of `key` (a no-op when already known; see the
    /// module's bounds).
    pub fn learn(&mut self, key: K, version: &str) {
        let known = self.per_key.entry(key).or_default();
        if known.iter().any(|v| v == version) {
            return;
        }
        if known.len() >= KNOWN_PER_KEY {
            known.remove(0);
        } else if self.total >= KNOWN_MAX {
            return;
        } else {
            self.total += 1;
        }
        known.push(version.to_string());
        debug_assert!(known.len() <= KNOWN_PER_KEY);
    }

    /// Forgets `version` of `key` (deleted for good: no use addressing it).
    pub fn forget<Q: Ord + ?Sized>(&mut self, key: &Q, version: &str)
    where
        K: Borrow<Q>,
    {
        if let Some(known) = self.per_key.get_mut(key) {
            known.retain(|v| v != version);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn an_object_keeps_its_newest_ids_and_the_total_is_bounded() {
        let mut known = KnownVersions::default();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        assert_eq!(known.pick(&mut rng, &0u32), None);
        for i in 0..KNOWN_PER_KEY + 3 {
            known.learn(0u32, &format!("v{i}"));
            known.learn(0u32, &format!("v{i}"));
        }
        let ids = &known.per_key[&0];
        assert_eq!(ids.len(), KNOWN_PER_KEY);
        assert_eq!(ids[0], "v3");
        assert!(ids.contains(&known.pick(&mut rng, &0).unwrap()));
        known.forget(&0, "v3");
        assert!(!known.per_key[&0].contains(&"v3".to_string()));
        for k in 1..=(KNOWN_MAX as u32) {
            known.learn(k, "x");
        }
        assert_eq!(known.total, KNOWN_MAX);
        assert_eq!(known.pick(&mut rng, &(KNOWN_MAX as u32)), None);
    }
}
