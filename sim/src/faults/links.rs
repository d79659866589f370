//! Which directed node-to-node links each partition-like fault cuts.
//!
//! Pure functions of the fault (and, for the random ones, an RNG drawn from
//! the seed), unit-tested below: the injector only clogs what these return.

use crate::scenario::FaultKind;
use rand::Rng;

pub use crate::fate::LinkId;

/// The directed links a partition cuts: between nodes of different groups,
/// and from or to any node in no group.
pub fn cut_links(groups: &[Vec<u32>], nodes: u32) -> Vec<LinkId> {
    let group_of = |n: u32| groups.iter().position(|g| g.contains(&n));
    let mut links = Vec::new();
    for a in 0..nodes {
        for b in 0..nodes {
            let together =
                a == b || matches!((group_of(a), group_of(b)), (Some(x), Some(y)) if x == y);
            if !together {
                links.push((a, b));
            }
        }
    }
    links
}

/// `node` alone, the others together.
pub fn isolate(node: u32, nodes: u32) -> Vec<Vec<u32>> {
    let rest = (0..nodes).filter(|&n| n != node).collect();
    vec![vec![node], rest]
}

/// The nodes other than the bridge, in index order, split into a lower half
/// (with the extra node when odd) and an upper half; the links between the
/// halves are cut both ways, the bridge's links are not.
pub fn bridge(node: u32, nodes: u32) -> Vec<LinkId> {
    let rest: Vec<u32> = (0..nodes).filter(|&n| n != node).collect();
    let (lower, upper) = rest.split_at(rest.len().div_ceil(2));
    let mut links = Vec::new();
    for &a in lower {
        for &b in upper {
            links.push((a, b));
            links.push((b, a));
        }
    }
    links.sort();
    links
}

/// The nodes in an order drawn from `rng` (Fisher–Yates).
fn shuffled(nodes: u32, rng: &mut impl Rng) -> Vec<u32> {
    let mut order: Vec<u32> = (0..nodes).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.gen_range(0..=i));
    }
    order
}

/// Two groups of sizes ⌊n/2⌋ and ⌈n/2⌉, membership drawn from `rng`.
pub fn random_halves(nodes: u32, rng: &mut impl Rng) -> Vec<Vec<u32>> {
    assert!(nodes >= 2, "halves of fewer than 2 nodes separate nobody");
    split(shuffled(nodes, rng), nodes as usize / 2)
}

/// Two non-empty groups of random sizes and membership.
pub fn random_split(nodes: u32, rng: &mut impl Rng) -> Vec<Vec<u32>> {
    assert!(nodes >= 2, "a split of fewer than 2 nodes separates nobody");
    let at = rng.gen_range(1..nodes as usize);
    split(shuffled(nodes, rng), at)
}

fn split(order: Vec<u32>, at: usize) -> Vec<Vec<u32>> {
    let (a, b) = order.split_at(at);
    let sorted = |g: &[u32]| {
        let mut g = g.to_vec();
        g.sort();
        g
    };
    vec![sorted(a), sorted(b)]
}

/// The links a partition-like fault cuts, with a label for the trace; `None`
/// for the other kinds. Random halves draw from `rng`.
pub fn cut_by(kind: &FaultKind, nodes: u32, rng: &mut impl Rng) -> Option<(String, Vec<LinkId>)> {
    let by_groups = |what: String, groups: Vec<Vec<u32>>| {
        let label = format!("{what} {}", show_groups(&groups));
        (label, cut_links(&groups, nodes))
    };
    Some(match kind {
        FaultKind::Partition { groups } => by_groups("partition".into(), groups.clone()),
        FaultKind::Isolate { node } => {
            by_groups(format!("isolate n{node}:"), isolate(*node, nodes))
        }
        FaultKind::RandomHalves => by_groups("random-halves".into(), random_halves(nodes, rng)),
        FaultKind::Bridge { node } => (format!("bridge n{node}"), bridge(*node, nodes)),
        FaultKind::Clog { from, to } => (format!("clog n{from} -> n{to}"), vec![(*from, *to)]),
        FaultKind::Crash { .. }
        | FaultKind::Pause { .. }
        | FaultKind::ClockJump { .. }
        | FaultKind::Messages(_) => {
            return None;
        }
        FaultKind::Join { .. }
        | FaultKind::Leave { .. }
        | FaultKind::Replace { .. }
        | FaultKind::Buggify(_)
        | FaultKind::BuggifyWindow { .. } => {
            return None;
        }
    })
}

/// `[0 1] | [2]`.
fn show_groups(groups: &[Vec<u32>]) -> String {
    let show = |g: &Vec<u32>| {
        let names: Vec<String> = g.iter().map(|n| format!("n{n}")).collect();
        format!("[{}]", names.join(" "))
    };
    groups.iter().map(show).collect::<Vec<_>>().join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// Whether `a` and `b` can still talk (both directions) once `cut` is cut.
    fn talk(cut: &[LinkId], a: u32, b: u32) -> bool {
        !cut.contains(&(a, b)) && !cut.contains(&(b, a))
    }

    #[test]
    fn groups_cut_between_groups_and_around_outsiders() {
        let cut = cut_links(&[vec![0, 1], vec![2, 3]], 5);
        assert!(talk(&cut, 0, 1) && talk(&cut, 2, 3));
        assert!(!talk(&cut, 1, 2) && !talk(&cut, 0, 3));
        assert!((0..4).all(|n| !talk(&cut, n, 4)), "node 4 is in no group");
        assert_eq!(cut.len(), 5 * 4 - 2 * 2);
    }

    #[test]
    fn isolate_cuts_exactly_the_nodes_links() {
        let mut cut = cut_links(&isolate(2, 4), 4);
        cut.sort();
        assert_eq!(cut, vec![(0, 2), (1, 2), (2, 0), (2, 1), (2, 3), (3, 2)]);
    }

    #[test]
    fn bridge_sees_both_halves_which_cannot_talk() {
        let cut = bridge(2, 5); // rest [0 1 3 4]: lower [0 1], upper [3 4]
        assert!((0..5).filter(|&n| n != 2).all(|n| talk(&cut, 2, n)));
        assert!(talk(&cut, 0, 1) && talk(&cut, 3, 4));
        for (a, b) in [(0, 3), (0, 4), (1, 3), (1, 4)] {
            assert!(!talk(&cut, a, b), "{a}-{b}");
        }
        assert_eq!(cut.len(), 8);
        let odd = bridge(0, 4); // rest [1 2 3]: lower [1 2], upper [3]
        assert_eq!(odd, vec![(1, 3), (2, 3), (3, 1), (3, 2)]);
    }

    #[test]
    fn clog_cuts_one_direction() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (label, cut) = cut_by(&FaultKind::Clog { from: 0, to: 1 }, 3, &mut rng).unwrap();
        assert_eq!(cut, vec![(0, 1)]);
        assert_eq!(label, "clog n0 -> n1");
    }

    #[test]
    fn random_halves_are_halves_and_depend_on_the_seed() {
        let mut seen = Vec::new();
        for seed in 0..20 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let groups = random_halves(5, &mut rng);
            assert_eq!((groups[0].len(), groups[1].len()), (2, 3));
            let mut all: Vec<u32> = groups.concat();
            all.sort();
            assert_eq!(all, vec![0, 1, 2, 3, 4]);
            let again = random_halves(5, &mut ChaCha8Rng::seed_from_u64(seed));
            assert_eq!(groups, again, "same seed, same halves");
            if !seen.contains(&groups) {
                seen.push(groups);
            }
        }
        assert!(seen.len() > 3, "different seeds draw different halves");
    }

    #[test]
    fn random_split_is_two_non_empty_groups() {
        for seed in 0..50 {
            let groups = random_split(4, &mut ChaCha8Rng::seed_from_u64(seed));
            assert!(!groups[0].is_empty() && !groups[1].is_empty());
            assert_eq!(groups[0].len() + groups[1].len(), 4);
        }
    }

    #[test]
    fn crash_pause_and_clock_jump_cut_nothing() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for kind in [
            FaultKind::Crash { node: 0 },
            FaultKind::Pause { node: 0 },
            FaultKind::ClockJump { node: 0, by_ns: 5 },
        ] {
            assert!(cut_by(&kind, 3, &mut rng).is_none());
        }
    }
}
