//! The hash ring: which nodes hold which keys.

use crate::NodeId;
use crate::fnv::fnv1a;

/// Consistent hashing with virtual nodes. A key's preference list is the first N
/// distinct nodes met walking clockwise from the key's hash. The hash is FNV-1a
/// ([`crate::fnv`]: stable across platforms and Rust versions, unlike std's
/// `DefaultHasher`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ring {
    /// `(token, node)` sorted by token (then node, so that even a token collision
    /// orders the same way everywhere).
    tokens: Vec<(u64, NodeId)>,
    /// The member nodes, ascending.
    members: Vec<NodeId>,
}

impl Ring {
    /// A ring of `nodes` nodes with `vnodes` tokens each. Node `id`'s tokens are
    /// the hashes of `"node-{id}-vnode-{v}"`, so every process that builds a ring
    /// from the same `(nodes, vnodes)` gets the same ring.
    ///
    /// Panics if either is 0 (a ring without tokens cannot place any key).
    pub fn new(nodes: u32, vnodes: u32) -> Ring {
        assert!(nodes > 0, "a ring needs at least one node");
        Ring::with_members(&(0..nodes).collect::<Vec<_>>(), vnodes)
    }

    /// A ring of the given member nodes (any ids, in any order, duplicates
    /// ignored), `vnodes` tokens each. A node's tokens depend on its id only,
    /// so adding or removing one node moves only the ranges next to its
    /// tokens (consistent hashing): the basis of membership changes
    /// ([`crate::membership`]).
    ///
    /// Panics if `members` is empty or `vnodes` is 0.
    pub fn with_members(members: &[NodeId], vnodes: u32) -> Ring {
        assert!(!members.is_empty(), "a ring needs at least one node");
        assert!(
            vnodes > 0,
            "a ring needs at least one virtual node per node"
        );
        let mut members = members.to_vec();
        members.sort_unstable();
        members.dedup();
        let mut tokens: Vec<(u64, NodeId)> = (members.iter())
            .flat_map(|&id| (0..vnodes).map(move |v| (hash(&format!("node-{id}-vnode-{v}")), id)))
            .collect();
        tokens.sort_unstable();
        Ring { tokens, members }
    }

    /// Number of nodes on the ring.
    pub fn nodes(&self) -> u32 {
        self.members.len() as u32
    }

    /// The member nodes, ascending.
    pub fn members(&self) -> &[NodeId] {
        &self.members
    }

    /// Every token on the ring, ascending: the ends of the arcs on which
    /// every key has the same preference list (see [`Ring::list_at`]).
    pub fn tokens(&self) -> impl Iterator<Item = u64> + '_ {
        self.tokens.iter().map(|&(token, _)| token)
    }

    /// The preference list of every key whose hash is `position` (see
    /// [`key_hash`]): what [`Ring::preference_list`] returns for them.
    pub fn list_at(&self, position: u64, n: u32) -> Vec<NodeId> {
        assert!(
            n > 0 && n <= self.nodes(),
            "preference list of {n} nodes on a ring of {}",
            self.nodes()
        );
        let start = self.tokens.partition_point(|&(token, _)| token < position);
        let mut replicas = Vec::with_capacity(n as usize);
        // One lap visits every node (each has at least one token): bounded, and
        // always finds n distinct nodes.
        for i in 0..self.tokens.len() {
            let (_, node) = self.tokens[(start + i) % self.tokens.len()];
            if !replicas.contains(&node) {
                replicas.push(node);
                if replicas.len() == n as usize {
                    break;
                }
            }
        }
        assert_eq!(
            replicas.len(),
            n as usize,
            "one lap of the ring must meet every node"
        );
        replicas
    }

    /// The N replicas of `key`, primary first: the first `n` distinct nodes whose
    /// tokens follow `hash(key)` clockwise. Panics if `n` is 0 or > nodes.
    pub fn preference_list(&self, key: &str, n: u32) -> Vec<NodeId> {
        self.list_at(hash(key), n)
    }

    /// Whether `node` is one of the `n` replicas of `key`.
    pub fn replicates(&self, node: NodeId, key: &str, n: u32) -> bool {
        self.preference_list(key, n).contains(&node)
    }
}

/// Where `key` sits on the ring (the position [`Ring::list_at`] takes).
pub fn key_hash(key: &str) -> u64 {
    hash(key)
}

/// The ring's hash: FNV-1a 64 followed by a 64-bit finalizer (MurmurHash3's
/// `fmix64`). FNV-1a alone is stable and simple but mixes its last bytes poorly,
/// so tokens of `node-0-vnode-1` and `node-0-vnode-2` would cluster on the ring;
/// the finalizer spreads them without losing stability.
fn hash(s: &str) -> u64 {
    fmix64(fnv1a(s.as_bytes()))
}

/// MurmurHash3's 64-bit finalizer: a bijection in which every input bit affects every output bit.
fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn hash_is_pinned() {
        // Changing the hash moves every key to other replicas: a deliberate,
        // visible change only (histories of old seeds would no longer replay).
        assert_eq!(hash("key"), 0xcf8c_7983_8f3b_3030);
    }

    #[test]
    fn preference_list_has_n_distinct_nodes() {
        let ring = Ring::new(5, 16);
        for i in 0..200 {
            for n in 1..=5 {
                let list = ring.preference_list(&format!("key-{i}"), n);
                assert_eq!(list.len(), n as usize);
                let distinct: BTreeSet<_> = list.iter().collect();
                assert_eq!(distinct.len(), n as usize);
                assert!(list.iter().all(|&node| node < 5));
            }
        }
    }

    #[test]
    fn preference_list_is_deterministic_and_prefix_stable() {
        let (a, b) = (Ring::new(4, 8), Ring::new(4, 8));
        assert_eq!(a, b);
        for i in 0..100 {
            let key = format!("k{i}");
            assert_eq!(a.preference_list(&key, 3), b.preference_list(&key, 3));
            // The list for N is a prefix of the list for N+1: the walk is the same.
            assert_eq!(a.preference_list(&key, 2), a.preference_list(&key, 3)[..2]);
        }
    }

    #[test]
    fn primaries_are_roughly_balanced() {
        let ring = Ring::new(4, 64);
        let mut primaries = [0u32; 4];
        for i in 0..1000 {
            primaries[ring.preference_list(&format!("key-{i}"), 1)[0] as usize] += 1;
        }
        // A perfect split is 250 each; 64 vnodes keep every node well within 2x.
        assert!(
            primaries.iter().all(|&count| (125..=375).contains(&count)),
            "{primaries:?}"
        );
    }

    #[test]
    fn replicates_agrees_with_preference_list() {
        let ring = Ring::new(5, 16);
        let list = ring.preference_list("x", 3);
        for node in 0..5 {
            assert_eq!(ring.replicates(node, "x", 3), list.contains(&node));
        }
    }

    #[test]
    #[should_panic(expected = "preference list of 4 nodes on a ring of 3")]
    fn more_replicas_than_nodes_panics() {
        Ring::new(3, 4).preference_list("k", 4);
    }

    #[test]
    #[should_panic(expected = "at least one node")]
    fn empty_ring_panics() {
        Ring::new(0, 4);
    }

    #[test]
    #[should_panic(expected = "at least one virtual node")]
    fn ring_without_vnodes_panics() {
        Ring::new(3, 0);
    }
}
