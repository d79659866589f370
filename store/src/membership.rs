//! Ring membership: which nodes own ranges now, which will once a movement
//! ends, and where reads and writes go in between.
//!
//! A [`Layout`] is the cluster's membership at one version. A membership
//! change ([`Change`]: join, leave, replace) is one *movement*, driven by the
//! node the operator asked (its `driver`) through four versions:
//!
//! | phase | reads from | writes to (W acknowledgements from each) | waits for |
//! |---|---|---|---|
//! | [`Phase::WriteBoth`] | old owners | old and new owners | every node to hold this version |
//! | [`Phase::Streaming`] | old owners | old and new owners | every node gaining a range to have streamed it |
//! | [`Phase::ReadNew`] | new owners | old and new owners | every node to hold this version |
//! | done (no movement) | new owners | new owners | — |
//!
//! This is Garage's "several layouts active" and Cassandra's pending ranges:
//! a write is acknowledged only once W owners of *each* layout hold it, so
//! whichever layout a reader uses meets it; a gaining node streams a range
//! only after every coordinator writes to it (so no acknowledged write can
//! slip past its scan), from a read quorum of the old owners (so it gets
//! every acknowledged write, as a quorum read would: CASSANDRA-2434 streamed
//! from one replica, which may have missed it); reads switch only once the
//! gaining nodes hold their ranges; and the old owners keep their data until
//! the new layout is the only one. One movement at a time: the driver
//! refuses another until the current one is done.
//!
//! The known wrong designs are [`MoveDesign`]s, a cluster option, so that a
//! scenario can show what each breaks.

use crate::NodeId;
use crate::ring::{Ring, RingCache};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Where a node keeps its layout on its own disk (in the reserved key space,
/// never replicated by anti-entropy: layouts travel by [`crate::ReplicaRequest::Layout`]).
pub const LAYOUT_KEY: &str = "\u{1}m/layout";

/// The prefix of the keys a node keeps for itself (its layout, its last
/// contact with a peer: `node::grace`): never replicated, streamed, listed
/// in the `final` lines, nor collected.
pub const LOCAL_PREFIX: &str = "\u{1}m/";

/// Whether `key` is one a node keeps for itself (see [`LOCAL_PREFIX`]).
pub fn is_node_local(key: &str) -> bool {
    key.starts_with(LOCAL_PREFIX)
}

/// One membership change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Change {
    /// A node outside the ring (a spare) takes ranges.
    Join(NodeId),
    /// A member hands its ranges to the others and leaves the ring.
    Leave(NodeId),
    /// Node `by` (a new identity) takes dead node `dead`'s place; `dead`
    /// never comes back (a node that returns must join as a new identity).
    Replace { dead: NodeId, by: NodeId },
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Join(n) => write!(f, "join n{n}"),
            Change::Leave(n) => write!(f, "leave n{n}"),
            Change::Replace { dead, by } => write!(f, "replace n{dead} by n{by}"),
        }
    }
}

/// Where a movement is (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Phase {
    WriteBoth,
    Streaming,
    ReadNew,
}

/// A movement in progress: the change, the members once it is done, its phase
/// and the node driving it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Movement {
    pub change: Change,
    pub target: Vec<NodeId>,
    pub phase: Phase,
    pub driver: NodeId,
}

/// The cluster's membership at one version. Every change makes a new version;
/// a node adopts a layout only if its version is greater than its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    pub version: u64,
    /// The nodes owning ranges (ascending).
    pub members: Vec<NodeId>,
    pub movement: Option<Movement>,
    /// Nodes replaced for good (ascending): they never own ranges again, and
    /// a movement does not wait for them.
    pub removed: Vec<NodeId>,
}

/// Why a membership change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeError {
    #[error("a movement is in progress ({0}); one at a time")]
    Busy(Change),
    #[error("n{0} is already a member")]
    AlreadyMember(NodeId),
    #[error("n{0} is not a member")]
    NotMember(NodeId),
    #[error("n{0} was replaced and cannot come back")]
    Removed(NodeId),
    #[error("n{node} is not a node of this cluster (0..{nodes})")]
    Unknown { node: NodeId, nodes: u32 },
    #[error("leaving would leave {left} members for N = {replicas}")]
    TooFew { left: usize, replicas: u32 },
    #[error("only the driver of the movement or a member may start a change")]
    NotDriver,
}

/// Which movement design the cluster runs: the correct one, or one of the
/// known wrong ones (for scenarios that show what each breaks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MoveDesign {
    /// As the module documentation says.
    #[default]
    Correct,
    /// A gaining node takes each range from whichever single old owner
    /// finishes first (CASSANDRA-2434), which may have missed a quorum write.
    StreamFromAny,
    /// Reads switch to the new owners as soon as the layout changes, before
    /// the gaining nodes hold their ranges.
    ReadsSwitchEarly,
    /// Writes during a movement go to the old owners only (acknowledged by
    /// W of them): the gaining nodes miss what arrives after their scan.
    AckOldOnly,
    /// A change starts while another is in progress: it is folded into the
    /// current movement's target without restarting its phases, so a node
    /// added during `ReadNew` serves reads without having streamed.
    ConcurrentMoves,
}

impl MoveDesign {
    /// The name a scenario uses.
    pub fn name(self) -> &'static str {
        match self {
            MoveDesign::Correct => "correct",
            MoveDesign::StreamFromAny => "stream-from-any",
            MoveDesign::ReadsSwitchEarly => "reads-switch-early",
            MoveDesign::AckOldOnly => "ack-old-only",
            MoveDesign::ConcurrentMoves => "concurrent-moves",
        }
    }

    /// Every design, for scenario parsing.
    pub const ALL: [MoveDesign; 5] = [
        MoveDesign::Correct,
        MoveDesign::StreamFromAny,
        MoveDesign::ReadsSwitchEarly,
        MoveDesign::AckOldOnly,
        MoveDesign::ConcurrentMoves,
    ];
}

impl Layout {
    /// Version 0: members `0..nodes - spares`, no movement.
    pub fn initial(nodes: u32, spares: u32) -> Layout {
        Layout {
            version: 0,
            members: (0..nodes.saturating_sub(spares)).collect(),
            movement: None,
            removed: Vec::new(),
        }
    }

    /// The layout after the operator asks `driver` for `change` (version + 1,
    /// phase `WriteBoth`), or why not. `nodes` is every node id of the
    /// cluster (members and spares), `replicas` N.
    pub fn begin(
        &self,
        change: Change,
        driver: NodeId,
        nodes: u32,
        replicas: u32,
        design: MoveDesign,
    ) -> Result<Layout, ChangeError> {
        let (base, phase) = match &self.movement {
            Some(m) if design != MoveDesign::ConcurrentMoves => {
                return Err(ChangeError::Busy(m.change));
            }
            Some(m) => (m.target.clone(), m.phase),
            None => (self.members.clone(), Phase::WriteBoth),
        };
        let known = |n: NodeId| {
            if n >= nodes {
                Err(ChangeError::Unknown { node: n, nodes })
            } else if self.removed.contains(&n) {
                Err(ChangeError::Removed(n))
            } else {
                Ok(())
            }
        };
        let mut target = base.clone();
        let mut removed = self.removed.clone();
        match change {
            Change::Join(n) => {
                known(n)?;
                if base.contains(&n) {
                    return Err(ChangeError::AlreadyMember(n));
                }
                target.push(n);
            }
            Change::Leave(n) => {
                known(n)?;
                if !base.contains(&n) {
                    return Err(ChangeError::NotMember(n));
                }
                if base.len() <= replicas as usize {
                    return Err(ChangeError::TooFew {
                        left: base.len() - 1,
                        replicas,
                    });
                }
                target.retain(|&m| m != n);
            }
            Change::Replace { dead, by } => {
                known(dead)?;
                known(by)?;
                if !base.contains(&dead) {
                    return Err(ChangeError::NotMember(dead));
                }
                if base.contains(&by) {
                    return Err(ChangeError::AlreadyMember(by));
                }
                target.retain(|&m| m != dead);
                target.push(by);
                removed.push(dead);
                removed.sort_unstable();
            }
        }
        target.sort_unstable();
        Ok(Layout {
            version: self.version + 1,
            members: self.members.clone(),
            movement: Some(Movement {
                change,
                target,
                phase,
                driver,
            }),
            removed,
        })
    }

    /// The next layout of the movement (version + 1): the next phase, or the
    /// target as the only layout once `ReadNew` is done. `None` without a movement.
    pub fn advance(&self) -> Option<Layout> {
        let movement = self.movement.as_ref()?;
        let mut next = self.clone();
        next.version += 1;
        match movement.phase {
            Phase::WriteBoth => next.movement.as_mut()?.phase = Phase::Streaming,
            Phase::Streaming => next.movement.as_mut()?.phase = Phase::ReadNew,
            Phase::ReadNew => {
                next.members = movement.target.clone();
                next.movement = None;
            }
        }
        Some(next)
    }

    /// Every node that must hold a version before the movement moves on:
    /// every node of the cluster but the removed ones.
    pub fn participants(&self, nodes: u32) -> Vec<NodeId> {
        (0..nodes).filter(|n| !self.removed.contains(n)).collect()
    }

    /// A one-line description for traces: `v3 [0 1 2 3] → [0 1 2 3 4] (join n4, reads old)`.
    pub fn describe(&self) -> String {
        let list = |m: &[NodeId]| {
            let names: Vec<String> = m.iter().map(|n| n.to_string()).collect();
            format!("[{}]", names.join(" "))
        };
        match &self.movement {
            None => format!("v{} {}", self.version, list(&self.members)),
            Some(m) => {
                let phase = match m.phase {
                    Phase::WriteBoth => "writes to both, reads old",
                    Phase::Streaming => "streaming to the new owners",
                    Phase::ReadNew => "reads new, writes to both",
                };
                format!(
                    "v{} {} → {} ({}: {phase})",
                    self.version,
                    list(&self.members),
                    list(&m.target),
                    m.change
                )
            }
        }
    }
}

/// A layout with its rings built, as coordinators route by it.
#[derive(Debug, Clone)]
pub struct Routing {
    pub layout: Layout,
    /// The ring of the current members.
    pub old: Arc<Ring>,
    /// The ring of the target members, during a movement.
    pub new: Option<Arc<Ring>>,
    design: MoveDesign,
    /// [`Routing::gains`] of every node, for the one preference-list length
    /// a cluster uses, computed on first use: the membership driver asks it
    /// of every node on every tick, and a walk of both rings per question
    /// dominated large clusters (41 % of a 64-node run).
    /// Shared by the routings of one movement whose rings are the same
    /// (its phases), and by every node's ([`GainsCache`]): the gains depend
    /// on the two rings only.
    gains: SharedGains,
}

/// The arcs a node gains in a movement: each arc's end position and its old
/// owners.
pub type Gains = Vec<(u64, Vec<NodeId>)>;

/// Every node's gains for one pair of rings and one preference-list
/// length, computed on first use.
type SharedGains = Arc<OnceLock<(u32, BTreeMap<NodeId, Gains>)>>;

/// The gains of the last [`GainsCache::KEEP`] movements a cluster's nodes
/// routed by, shared by all of them: gains depend on the two rings only, and
/// each of 64 nodes walking both rings once per movement was 5 % of a
/// 64-node run. Two caches are equal (a configuration stays comparable); a
/// cloned configuration shares its cache.
#[derive(Clone, Default)]
pub struct GainsCache(Arc<Mutex<Vec<KeptGains>>>);

/// One movement's rings (old, new) and their shared gains.
type KeptGains = (Arc<Ring>, Arc<Ring>, SharedGains);

impl GainsCache {
    /// Most movements kept: the current one, and one a lagging node is in.
    pub const KEEP: usize = 4;

    /// The shared gains of the movement from `old` to `new`.
    fn cell(&self, old: &Arc<Ring>, new: &Arc<Ring>) -> SharedGains {
        let mut kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let same = |a: &Arc<Ring>, b: &Arc<Ring>| Arc::ptr_eq(a, b) || a == b;
        if let Some((_, _, cell)) = kept.iter().find(|(o, n, _)| same(o, old) && same(n, new)) {
            return Arc::clone(cell);
        }
        let cell = SharedGains::default();
        if kept.len() == GainsCache::KEEP {
            kept.remove(0);
        }
        kept.push((Arc::clone(old), Arc::clone(new), Arc::clone(&cell)));
        cell
    }
}

impl PartialEq for GainsCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for GainsCache {}

impl std::fmt::Debug for GainsCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GainsCache")
    }
}

impl Routing {
    pub fn new(layout: Layout, vnodes: u32, design: MoveDesign) -> Routing {
        let (rings, gains) = (RingCache::default(), GainsCache::default());
        Routing::after(None, layout, vnodes, design, &rings, &gains)
    }

    /// The routing of `layout`, reusing `previous`'s rings (and the
    /// preference lists they cached) for the member sets it shares: a
    /// movement's four versions have two member sets, and building a ring
    /// hashes every token again. `previous` must use the same `vnodes`.
    /// Rings not in `previous` come from `rings`, the cluster's shared ones,
    /// and a movement's gains from `shared`, the cluster's.
    pub fn after(
        previous: Option<&Routing>,
        layout: Layout,
        vnodes: u32,
        design: MoveDesign,
        rings: &RingCache,
        shared: &GainsCache,
    ) -> Routing {
        let known = (previous.into_iter())
            .flat_map(|p| std::iter::once(&p.old).chain(p.new.as_ref()))
            .collect::<Vec<_>>();
        let ring = |members: &[NodeId]| match known.iter().find(|r| r.members() == members) {
            Some(ring) => Arc::clone(ring),
            None => rings.ring(members, vnodes),
        };
        let old = ring(&layout.members);
        let new = (layout.movement.as_ref()).map(|m| ring(&m.target));
        let same_rings = |p: &&Routing| {
            Arc::ptr_eq(&p.old, &old)
                && match (&p.new, &new) {
                    (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                    _ => false,
                }
        };
        let gains = match (previous.filter(same_rings), &new) {
            (Some(p), _) => Arc::clone(&p.gains),
            (None, Some(new)) => shared.cell(&old, new),
            (None, None) => SharedGains::default(),
        };
        Routing {
            layout,
            old,
            new,
            design,
            gains,
        }
    }

    /// The ring reads use: the old one until `ReadNew` (or, with
    /// [`MoveDesign::ReadsSwitchEarly`], as soon as there is a new one).
    pub fn read_ring(&self) -> &Ring {
        match (&self.new, &self.layout.movement) {
            (Some(new), Some(m))
                if m.phase == Phase::ReadNew || self.design == MoveDesign::ReadsSwitchEarly =>
            {
                new
            }
            _ => &self.old,
        }
    }

    /// The rings a write needs W acknowledgements from: the old and the new
    /// during a movement (only the read ring with [`MoveDesign::AckOldOnly`]).
    pub fn write_rings(&self) -> Vec<&Ring> {
        match &self.new {
            Some(new) if self.design != MoveDesign::AckOldOnly => vec![&*self.old, &**new],
            _ => vec![self.read_ring()],
        }
    }

    /// Whether `node` holds `placed` (a key's placement) in any active layout.
    pub fn replicates(&self, node: NodeId, placed: &str, n: u32) -> bool {
        let at = crate::ring::key_hash(placed);
        self.old.list_slice(at, n).contains(&node)
            || (self.new.as_ref()).is_some_and(|new| new.list_slice(at, n).contains(&node))
    }

    /// The arcs on which `node` gains a range in this movement, each as its
    /// end position and the old owners there: what `node` must stream. Empty
    /// without a movement. Bounded by the tokens of both rings.
    pub fn gains(&self, node: NodeId, n: u32) -> Gains {
        let (cached_n, all) = self.gains.get_or_init(|| (n, self.all_gains(n)));
        if *cached_n == n {
            return all.get(&node).cloned().unwrap_or_default();
        }
        self.all_gains(n).remove(&node).unwrap_or_default()
    }

    /// Whether `node` gains any range in this movement.
    pub fn gains_any(&self, node: NodeId, n: u32) -> bool {
        let (cached_n, all) = self.gains.get_or_init(|| (n, self.all_gains(n)));
        if *cached_n == n {
            return all.contains_key(&node);
        }
        self.all_gains(n).contains_key(&node)
    }

    /// Every node's gains (nodes that gain nothing are absent): one walk of
    /// both rings' tokens.
    fn all_gains(&self, n: u32) -> BTreeMap<NodeId, Gains> {
        let mut all: BTreeMap<NodeId, Gains> = BTreeMap::new();
        let Some(new) = &self.new else {
            return all;
        };
        let mut ends: Vec<u64> = self.old.tokens().chain(new.tokens()).collect();
        ends.sort_unstable();
        ends.dedup();
        for end in ends {
            let old = self.old.list_slice(end, n);
            for &node in new.list_slice(end, n).iter() {
                if !old.contains(&node) {
                    all.entry(node).or_default().push((end, old.to_vec()));
                }
            }
        }
        all
    }

    pub fn design(&self) -> MoveDesign {
        self.design
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join(layout: &Layout, n: NodeId) -> Layout {
        layout
            .begin(Change::Join(n), 0, 5, 3, MoveDesign::Correct)
            .unwrap()
    }

    #[test]
    fn a_movement_runs_through_three_phases_then_settles() {
        let start = Layout::initial(5, 1);
        assert_eq!(start.members, vec![0, 1, 2, 3]);
        let mut layout = join(&start, 4);
        let mut phases = vec![];
        while let Some(m) = &layout.movement {
            phases.push(m.phase);
            layout = layout.advance().unwrap();
        }
        assert_eq!(
            phases,
            vec![Phase::WriteBoth, Phase::Streaming, Phase::ReadNew]
        );
        assert_eq!(layout.version, 4);
        assert_eq!(layout.members, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn one_movement_at_a_time_unless_the_design_allows_more() {
        let moving = join(&Layout::initial(5, 1), 4);
        let leave = Change::Leave(0);
        assert_eq!(
            moving.begin(leave, 0, 5, 3, MoveDesign::Correct),
            Err(ChangeError::Busy(Change::Join(4)))
        );
        let both = moving
            .begin(leave, 0, 5, 3, MoveDesign::ConcurrentMoves)
            .unwrap();
        assert_eq!(both.movement.unwrap().target, vec![1, 2, 3, 4]);
    }

    #[test]
    fn bad_changes_are_refused() {
        let start = Layout::initial(5, 1);
        let begin = |c| start.begin(c, 0, 5, 3, MoveDesign::Correct);
        assert_eq!(begin(Change::Join(1)), Err(ChangeError::AlreadyMember(1)));
        assert_eq!(begin(Change::Leave(4)), Err(ChangeError::NotMember(4)));
        assert!(matches!(
            begin(Change::Join(9)),
            Err(ChangeError::Unknown { .. })
        ));
        let three = Layout::initial(3, 0);
        assert!(matches!(
            three.begin(Change::Leave(0), 0, 3, 3, MoveDesign::Correct),
            Err(ChangeError::TooFew { .. })
        ));
        let replaced = begin(Change::Replace { dead: 1, by: 4 }).unwrap();
        assert_eq!(replaced.removed, vec![1]);
        assert_eq!(replaced.participants(5), vec![0, 2, 3, 4]);
    }

    #[test]
    fn routing_reads_old_until_read_new_and_writes_both() {
        let moving = join(&Layout::initial(5, 1), 4);
        let routing = Routing::new(moving.clone(), 16, MoveDesign::Correct);
        assert_eq!(routing.read_ring().members(), &[0, 1, 2, 3]);
        assert_eq!(routing.write_rings().len(), 2);
        let read_new = moving.advance().unwrap().advance().unwrap();
        let routing = Routing::new(read_new, 16, MoveDesign::Correct);
        assert_eq!(routing.read_ring().members(), &[0, 1, 2, 3, 4]);
        let early = Routing::new(moving.clone(), 16, MoveDesign::ReadsSwitchEarly);
        assert_eq!(early.read_ring().members(), &[0, 1, 2, 3, 4]);
        let old_only = Routing::new(moving, 16, MoveDesign::AckOldOnly);
        assert_eq!(old_only.write_rings()[0].members(), &[0, 1, 2, 3]);
        assert_eq!(old_only.write_rings().len(), 1);
    }

    #[test]
    fn routing_after_reuses_the_rings_it_shares() {
        let start = Routing::new(Layout::initial(5, 1), 16, MoveDesign::Correct);
        let mut previous = start.clone();
        let mut layout = join(&start.layout, 4);
        while let Some(next) = layout.advance() {
            let routing = Routing::after(
                Some(&previous),
                layout.clone(),
                16,
                MoveDesign::Correct,
                &RingCache::default(),
                &GainsCache::default(),
            );
            let fresh = Routing::new(layout.clone(), 16, MoveDesign::Correct);
            assert_eq!(routing.old, fresh.old);
            assert_eq!(routing.new, fresh.new);
            assert!(
                Arc::ptr_eq(&routing.old, &previous.old)
                    || previous
                        .new
                        .as_ref()
                        .is_some_and(|n| Arc::ptr_eq(&routing.old, n))
            );
            previous = routing;
            layout = next;
        }
        let settled = Routing::after(
            Some(&previous),
            layout,
            16,
            MoveDesign::Correct,
            &RingCache::default(),
            &GainsCache::default(),
        );
        assert_eq!(
            previous.gains(4, 3),
            Routing::new(previous.layout.clone(), 16, MoveDesign::Correct).gains(4, 3)
        );
        assert_eq!(settled.old.members(), &[0, 1, 2, 3, 4]);
        assert!(Arc::ptr_eq(&settled.old, previous.new.as_ref().unwrap()));
    }

    #[test]
    fn a_joining_node_gains_exactly_the_keys_that_move_to_it() {
        let moving = join(&Layout::initial(5, 1), 4);
        let routing = Routing::new(moving, 16, MoveDesign::Correct);
        let gains = routing.gains(4, 3);
        assert!(!gains.is_empty());
        let new = routing.new.as_ref().unwrap();
        for i in 0..500 {
            let key = format!("key-{i}");
            let moves = new.replicates(4, &key, 3);
            let h = crate::ring::key_hash(&key);
            // The arc of a key is the first gain end at or after its hash (wrapping).
            let in_gain = gains.iter().any(|(end, _)| {
                let all: Vec<u64> = routing.old.tokens().chain(new.tokens()).collect();
                let first = all.iter().copied().filter(|&t| t >= h).min();
                let first = first.unwrap_or_else(|| all.iter().copied().min().unwrap());
                first == *end
            });
            assert_eq!(moves, in_gain, "{key}");
        }
        // In a join, every other node only loses ranges.
        for node in 0..4 {
            assert!(routing.gains(node, 3).is_empty());
        }
    }
}
