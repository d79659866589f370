//! The hash ring: which nodes hold which keys.

use crate::NodeId;

/// Consistent hashing with virtual nodes. A key's preference list is the first N
/// distinct nodes met walking clockwise from the key's hash. The hash is FNV-1a
/// (stable across platforms and Rust versions, unlike std's `DefaultHasher`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ring {
    /// `(token, node)` sorted by token.
    tokens: Vec<(u64, NodeId)>,
    nodes: u32,
}

impl Ring {
    /// A ring of `nodes` nodes with `vnodes` tokens each. Panics if either is 0.
    pub fn new(nodes: u32, vnodes: u32) -> Ring {
        todo!("{nodes} {vnodes}")
    }

    /// The N replicas of `key`, primary first. Panics if `n` > nodes.
    pub fn preference_list(&self, key: &str, n: u32) -> Vec<NodeId> {
        todo!("{key} {n}")
    }
}
