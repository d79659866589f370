//! `[swarm]` and `[workload] key_skew`.

use super::*;

const SWARM: &str = "[swarm]\nkeys = [1, 1000]\nkey_skew = [0.0, 1.2]\nclients = [1, 16]\n\
    think = [\"1ms\", \"50ms\"]\nmix = { get = [0.2, 0.8], put = [0.1, 0.6], delete = [0.0, 0.2] }\n";

/// Each seed draws its own point, in range, the same every time.
#[test]
fn each_seed_draws_its_own_point_in_range() {
    let s = ok(SWARM);
    let points: Vec<SwarmPoint> = (1..=50).map(|seed| s.swarm_point(seed).unwrap()).collect();
    assert_eq!(points[0], s.swarm_point(1).unwrap(), "deterministic");
    for p in &points {
        assert!((1..=1000).contains(&p.keys.unwrap()));
        assert!((0.0..=1.2).contains(&p.key_skew.unwrap()));
        assert!((1..=16).contains(&p.clients.unwrap()));
        let think = p.think.unwrap();
        assert!(Duration::from_millis(1) <= think && think <= Duration::from_millis(50));
        let w = p.mix.unwrap();
        assert!(
            (w.iter().sum::<f64>() - 1.0).abs() <= MIX_SUM_TOLERANCE,
            "{w:?}"
        );
        assert_eq!(w[3], 0.0, "cas not named: weight 0");
    }
    let keys: std::collections::BTreeSet<u32> = points.iter().map(|p| p.keys.unwrap()).collect();
    assert!(
        keys.len() > 40,
        "50 seeds, {} distinct key counts",
        keys.len()
    );
    let small = points.iter().filter(|p| p.keys.unwrap() <= 100).count();
    assert!(small > 0 && small < 50, "both few and many keys: {small}");
}

/// The seed runs the workload at its point; without `[swarm]` a scenario
/// is its own (nothing drawn).
#[test]
fn for_seed_applies_the_point_and_leaves_other_scenarios_alone() {
    let plain = ok("[workload]\nkeys = 7\n");
    assert!(plain.swarm_point(3).is_none());
    assert!(matches!(plain.for_seed(3), std::borrow::Cow::Borrowed(_)));
    let s = ok(SWARM);
    let at = s.for_seed(3);
    let p = s.swarm_point(3).unwrap();
    assert_eq!(at.workload.keys, p.keys.unwrap());
    assert_eq!(at.workload.clients, p.clients.unwrap());
    assert_eq!(at.workload.key_skew, p.key_skew.unwrap());
    assert_ne!(at.workload, s.workload);
}

/// The point pinned as plain `[workload]` values (what `shrink` writes and
/// `replay` prints) validates to exactly the workload the seed ran.
#[test]
fn a_pinned_point_is_exactly_the_workload_the_seed_ran() {
    let s = ok(SWARM);
    for seed in 1..=200 {
        let p = s.swarm_point(seed).unwrap();
        let mut table = toml::Table::new();
        for (k, v) in p.workload_values() {
            table.insert(k.to_string(), v);
        }
        let mut doc = toml::Table::new();
        doc.insert("workload".into(), toml::Value::Table(table));
        let text = toml::to_string(&doc).unwrap();
        let pinned = ok(&text);
        assert_eq!(
            pinned.workload,
            s.for_seed(seed).workload,
            "seed {seed}:\n{text}"
        );
    }
}

/// The resolved scenario keeps `[swarm]`, so a run folder's file draws the
/// same points.
#[test]
fn the_resolved_scenario_keeps_the_ranges() {
    let s = ok(SWARM);
    let again = Scenario::parse(&s.to_toml(), "r.toml").unwrap();
    assert_eq!(again.swarm, s.swarm);
    assert_eq!(again.swarm_point(9), s.swarm_point(9));
}

#[test]
fn bad_swarm_ranges_name_their_value() {
    fails(
        "[swarm]\nkeys = [10, 1]\n",
        "keys = ^[10, 1]",
        "first value is above the second",
    );
    fails(
        "[swarm]\nkeys = [1, 2, 3]\n",
        "keys = ^[1, 2, 3]",
        "a swarm range is [lowest, highest]",
    );
    fails(
        "[swarm]\nkeys = [0, 3]\n",
        "keys = [^0, 3]",
        "keys = 0 is out of range",
    );
    fails(
        "[swarm]\nclients = [1, 5000]\n",
        "clients = [1, ^5000]",
        "out of range",
    );
    fails(
        "[swarm]\nkey_skew = [0.0, 9.0]\n",
        "key_skew = [0.0, ^9.0]",
        "out of range",
    );
    fails(
        "[swarm]\nthink = [\"1ms\", 5]\n",
        "think = [\"1ms\", ^5]",
        "think",
    );
    fails(
        "[swarm]\nmix = { gte = [0.1, 0.2] }\n",
        "mix = { ^gte",
        "swarm mix kind",
    );
    fails(
        "[swarm]\nmix = { get = [0.0, 0.0] }\n",
        "mix = ^{",
        "positive weight",
    );
    fails("[swarm]\n", "^[swarm]", "names no knob");
    fails(
        "[cluster]\nprotocol = \"abd\"\n[swarm]\nmix = { get = [0.5, 1.0], cas = [0.0, 0.5] }\n",
        "^cas = [0.0",
        "not atomic",
    );
    fails(
        "[workload]\nkey_skew = -1.0\n",
        "key_skew = ^-1.0",
        "out of range",
    );
}

/// `key_skew` 0 draws exactly what the uniform draw did (golden seeds stay);
/// a skew concentrates draws on the first keys, always in range.
#[test]
fn zipf_key_draws() {
    use crate::workload::draw_key;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    let (mut a, mut b) = (ChaCha8Rng::seed_from_u64(5), ChaCha8Rng::seed_from_u64(5));
    for _ in 0..1000 {
        assert_eq!(draw_key(&mut a, 20, 0.0), b.gen_range(0..20));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut counts = vec![0u32; 100];
    for _ in 0..20_000 {
        counts[draw_key(&mut rng, 100, 1.2) as usize] += 1;
    }
    assert!(
        counts[0] > 20_000 / 5,
        "key 1 drawn {} times of 20,000",
        counts[0]
    );
    assert!(counts[0] > counts[1] && counts[1] > counts[9] && counts[9] > counts[99]);
    assert!(counts[99] > 0, "the last key is still drawn");
    for skew in [0.3, 1.0, 2.5, 4.0] {
        for _ in 0..1000 {
            assert!(draw_key(&mut rng, 3, skew) < 3);
        }
    }
}
