//! The hash ring: which nodes hold which keys.

use crate::NodeId;
use crate::fnv::fnv1a;
use std::sync::{Arc, Mutex, OnceLock};

/// Consistent hashing with virtual nodes. A key's preference list is the first N
/// distinct nodes met walking clockwise from the key's hash. The hash is FNV-1a
/// ([`crate::fnv`]: stable across platforms and Rust versions, unlike std's
/// `DefaultHasher`).
#[derive(Debug, Clone)]
pub struct Ring {
    /// `(token, node)` sorted by token (then node, so that even a token collision
    /// orders the same way everywhere).
    tokens: Vec<(u64, NodeId)>,
    /// The member nodes, ascending.
    members: Vec<NodeId>,
    /// Tokens per node.
    vnodes: u32,
    /// Every arc's preference list for one length, computed on first use
    /// (see [`Arcs`]): a walk of the ring per question was 8 % of a 64-node
    /// run, asked for every key of every anti-entropy and streaming scan.
    arcs: OnceLock<Arcs>,
}

/// The preference list of every arc for one length `n`: the walk from token
/// `i` is `lists[i * n..(i + 1) * n]`. A pure function of the tokens, so it
/// changes no answer, only how fast one comes.
#[derive(Debug, Clone)]
struct Arcs {
    n: u32,
    lists: Vec<NodeId>,
}

/// Two rings are equal when their tokens are: the cached lists follow.
impl PartialEq for Ring {
    fn eq(&self, other: &Self) -> bool {
        self.tokens == other.tokens && self.members == other.members
    }
}

impl Eq for Ring {}

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
            .flat_map(|&id| (0..vnodes).map(move |v| (token(id, v), id)))
            .collect();
        tokens.sort_unstable();
        Ring {
            tokens,
            members,
            vnodes,
            arcs: OnceLock::new(),
        }
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
        self.list_slice(position, n).into_owned()
    }

    /// [`Ring::list_at`] without copying when `n` is the length whose lists
    /// are cached (the first one asked: a cluster asks one N), for scans
    /// that ask it of every key.
    pub fn list_slice(&self, position: u64, n: u32) -> std::borrow::Cow<'_, [NodeId]> {
        assert!(
            n > 0 && n <= self.nodes(),
            "preference list of {n} nodes on a ring of {}",
            self.nodes()
        );
        let start = self.tokens.partition_point(|&(token, _)| token < position) % self.tokens.len();
        let arcs = self.arcs.get_or_init(|| Arcs {
            n,
            lists: (0..self.tokens.len())
                .flat_map(|i| self.walk(i, n))
                .collect(),
        });
        if arcs.n == n {
            let n = n as usize;
            std::borrow::Cow::Borrowed(&arcs.lists[start * n..(start + 1) * n])
        } else {
            std::borrow::Cow::Owned(self.walk(start, n))
        }
    }

    /// The first `n` distinct nodes met walking clockwise from token `start`.
    fn walk(&self, start: usize, n: u32) -> Vec<NodeId> {
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
        self.list_slice(hash(key), n).contains(&node)
    }
}

/// Node `id`'s token `v`: the hash of `"node-{id}-vnode-{v}"`, written
/// into a buffer on the stack (a ring hashes every token when it is built,
/// and `format!` was most of that).
fn token(id: NodeId, v: u32) -> u64 {
    /// Appends the decimal digits of `n`.
    fn digits(buf: &mut [u8; 40], len: &mut usize, mut n: u32) {
        let mut rev = [0u8; 10];
        let mut count = 0;
        loop {
            rev[count] = b'0' + (n % 10) as u8;
            count += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for i in (0..count).rev() {
            buf[*len] = rev[i];
            *len += 1;
        }
    }
    // "node-" + 10 digits + "-vnode-" + 10 digits: 32 bytes at most.
    let mut buf = [0u8; 40];
    let mut len = 0;
    for (part, number) in [(&b"node-"[..], id), (&b"-vnode-"[..], v)] {
        buf[len..len + part.len()].copy_from_slice(part);
        len += part.len();
        digits(&mut buf, &mut len, number);
    }
    fmix64(fnv1a(&buf[..len]))
}

/// The rings a cluster's nodes route by, shared (`ClusterConfig::rings`):
/// every node of a cluster builds the same rings, and one copy of each
/// (tokens and cached lists, about 28 KB for 62 nodes of 16 vnodes) stays in
/// the processor's cache where 64 copies did not. Holds the
/// [`RingCache::KEEP`] rings asked last; a ring depends on its members and
/// vnodes only, so sharing changes no answer. Two caches are equal (a
/// configuration stays comparable); a cloned configuration shares its cache.
#[derive(Clone, Default)]
pub struct RingCache(Arc<Mutex<Vec<Arc<Ring>>>>);

impl RingCache {
    /// Most rings kept: a movement needs two, a node lagging a version
    /// behind two more.
    pub const KEEP: usize = 8;

    /// The ring of `members` (ascending, distinct) with `vnodes` tokens
    /// each: a kept one, or a new one, kept.
    pub fn ring(&self, members: &[NodeId], vnodes: u32) -> Arc<Ring> {
        let mut kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let found = (kept.iter()).find(|r| r.members == members && r.vnodes == vnodes);
        if let Some(ring) = found {
            return Arc::clone(ring);
        }
        let ring = Arc::new(Ring::with_members(members, vnodes));
        if kept.len() == RingCache::KEEP {
            kept.remove(0);
        }
        kept.push(Arc::clone(&ring));
        ring
    }
}

impl PartialEq for RingCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for RingCache {}

impl std::fmt::Debug for RingCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RingCache")
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
    fn tokens_hash_the_names_they_always_hashed() {
        for (id, v) in [(0, 0), (7, 15), (10, 9), (63, 255), (u32::MAX, u32::MAX)] {
            assert_eq!(token(id, v), hash(&format!("node-{id}-vnode-{v}")));
        }
    }

    #[test]
    fn cached_lists_are_the_walks() {
        let ring = Ring::new(7, 8);
        // The first length asked is cached; another is walked each time.
        let positions: Vec<u64> = (ring.tokens())
            .flat_map(|t| [t.wrapping_sub(1), t, t.wrapping_add(1)])
            .chain([0, u64::MAX])
            .collect();
        for n in [3, 2, 5] {
            for &p in &positions {
                let start =
                    ring.tokens.partition_point(|&(token, _)| token < p) % ring.tokens.len();
                assert_eq!(ring.list_at(p, n), ring.walk(start, n), "n {n} at {p}");
                for node in 0..7 {
                    assert_eq!(
                        ring.list_slice(p, n).contains(&node),
                        ring.walk(start, n).contains(&node)
                    );
                }
            }
        }
        assert_eq!(ring.arcs.get().map(|a| a.n), Some(3));
        assert_eq!(ring, Ring::new(7, 8), "the cache is not part of equality");
    }

    #[test]
    fn a_ring_cache_shares_one_ring_per_member_set() {
        let cache = RingCache::default();
        let shared = cache.clone();
        let a = cache.ring(&[0, 1, 2], 8);
        assert!(Arc::ptr_eq(&a, &shared.ring(&[0, 1, 2], 8)));
        assert_eq!(*a, Ring::with_members(&[0, 1, 2], 8));
        assert!(!Arc::ptr_eq(&a, &cache.ring(&[0, 1, 2], 4)));
        for n in 3..3 + RingCache::KEEP as u32 {
            cache.ring(&(0..n).collect::<Vec<_>>(), 8);
        }
        assert!(
            !Arc::ptr_eq(&a, &cache.ring(&[0, 1, 2], 8)),
            "the oldest was dropped"
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
