use super::*;

fn nemesis(swarm: bool, max_down: u32) -> Nemesis {
    Nemesis {
        interval: Duration::from_millis(100),
        duration: Duration::from_millis(300),
        families: Family::ALL.iter().map(|&f| (f, 1.0)).collect(),
        swarm,
        max_down,
        jump: Duration::from_millis(50),
        spares: 0,
        replicas: 3,
    }
}

const PHASE: Duration = Duration::from_secs(10);

fn family_of(kind: &FaultKind) -> Family {
    match kind {
        FaultKind::Partition { .. } => Family::Partition,
        FaultKind::Isolate { .. } => Family::Isolate,
        FaultKind::RandomHalves => Family::RandomHalves,
        FaultKind::Bridge { .. } => Family::Bridge,
        FaultKind::Clog { .. } => Family::Clog,
        FaultKind::Crash { .. } => Family::Crash,
        FaultKind::Pause { .. } => Family::Pause,
        FaultKind::ClockJump { .. } => Family::ClockJump,
        FaultKind::Messages(_) => Family::Messages,
        FaultKind::Join { .. } | FaultKind::Leave { .. } | FaultKind::Replace { .. } => {
            Family::Membership
        }
        FaultKind::BuggifyWindow { .. } => Family::Buggify,
        FaultKind::Buggify(_) => unreachable!("the nemesis draws windows, never hits"),
    }
}

/// The most nodes down at once, asserting no node is down twice at once.
fn most_down(faults: &[Fault]) -> usize {
    let downs: Vec<Down> = faults.iter().filter_map(|f| down_of(f, PHASE)).collect();
    let mut most = 0;
    for d in &downs {
        let at = d.start;
        let now: Vec<&Down> = downs
            .iter()
            .filter(|x| x.start <= at && at < x.end)
            .collect();
        let mut nodes: Vec<u32> = now.iter().map(|x| x.node).collect();
        nodes.sort();
        nodes.dedup();
        assert_eq!(nodes.len(), now.len(), "a node down twice at {at:?}");
        most = most.max(now.len());
    }
    most
}

#[test]
fn the_plan_is_a_function_of_the_seed() {
    let n = nemesis(true, 2);
    let a = plan(&n, &[], 5, PHASE, 7);
    assert_eq!(a, plan(&n, &[], 5, PHASE, 7));
    assert_ne!(a, plan(&n, &[], 5, PHASE, 8));
    assert!(
        a.faults.len() > 20,
        "about one fault per interval: {}",
        a.faults.len()
    );
}

#[test]
fn faults_start_in_the_phase_sorted_and_clock_jumps_step_back() {
    for seed in 0..20 {
        let p = plan(&nemesis(false, 1), &[], 3, PHASE, seed);
        assert!(p.faults.windows(2).all(|w| w[0].at <= w[1].at));
        assert!(p.faults.iter().all(|f| f.at <= PHASE));
        let mut net = [0i64; 3];
        for f in &p.faults {
            if let FaultKind::ClockJump { node, by_ns } = f.kind {
                assert!(by_ns != 0 && by_ns.abs() <= 50_000_000);
                net[node as usize] += by_ns;
            }
        }
        assert_eq!(net, [0; 3], "every step is stepped back by the end");
    }
}

#[test]
fn max_down_holds_counting_the_scenarios_own_crashes() {
    let fixed = vec![Fault {
        at: Duration::from_secs(2),
        duration: Duration::from_secs(3),
        kind: FaultKind::Crash { node: 0 },
    }];
    for (max_down, nodes) in [(1, 3), (2, 5), (3, 5)] {
        let mut reached = 0;
        for seed in 0..20 {
            let p = plan(&nemesis(false, max_down), &fixed, nodes, PHASE, seed);
            let mut all = p.faults.clone();
            all.extend(fixed.clone());
            let most = most_down(&all);
            assert!(most <= max_down as usize, "seed {seed}: {most} down");
            reached = reached.max(most);
        }
        assert_eq!(
            reached, max_down as usize,
            "the bound is reached, not just respected"
        );
    }
}

#[test]
fn max_down_zero_means_the_nemesis_never_downs_a_node() {
    let mut n = nemesis(false, 0);
    n.families
        .retain(|(f, _)| !matches!(f, Family::Crash | Family::Pause));
    let p = plan(&n, &[], 3, PHASE, 1);
    assert_eq!(most_down(&p.faults), 0);
}

#[test]
fn swarm_draws_families_per_seed_and_uses_only_those() {
    let mut sets = Vec::new();
    for seed in 0..30 {
        let p = plan(&nemesis(true, 1), &[], 3, PHASE, seed);
        assert!(!p.families.is_empty());
        for f in &p.faults {
            assert!(
                p.families.contains(&family_of(&f.kind)),
                "seed {seed}: {f:?}"
            );
        }
        if !sets.contains(&p.families) {
            sets.push(p.families);
        }
    }
    assert!(sets.len() > 10, "swarm varies the families: {}", sets.len());
    let all = plan(&nemesis(false, 1), &[], 3, PHASE, 1);
    assert_eq!(
        all.families,
        Family::ALL.to_vec(),
        "without swarm every family is on"
    );
}

#[test]
fn weights_steer_the_families() {
    let mut n = nemesis(false, 1);
    n.families = vec![(Family::Crash, 0.0), (Family::Clog, 1.0)];
    let p = plan(&n, &[], 3, PHASE, 3);
    assert!(
        p.faults
            .iter()
            .all(|f| matches!(f.kind, FaultKind::Clog { from, to } if from != to))
    );
}

#[test]
fn the_number_of_faults_is_bounded() {
    let mut n = nemesis(false, 1);
    n.interval = Duration::from_nanos(1);
    n.families = vec![(Family::Clog, 1.0)];
    let p = plan(&n, &[], 3, PHASE, 1);
    assert_eq!(p.faults.len(), MAX_NEMESIS_FAULTS);
}

/// The opt-in `messages` family draws one node's messages of one
/// node-to-node kind, copies only of requests, delays no longer than the
/// fault, and nothing when left at its default weight.
#[test]
fn the_messages_family_draws_targeted_message_faults() {
    let mut only = nemesis(false, 1);
    only.families = vec![(Family::Messages, 1.0)];
    let mut actions = Vec::new();
    for seed in 0..20 {
        for f in plan(&only, &[], 3, PHASE, seed).faults {
            let FaultKind::Messages(m) = &f.kind else {
                panic!("{f:?}")
            };
            assert_eq!(m.kinds.len(), 1);
            assert!(NODE_MESSAGES.contains(&m.kinds[0].as_str()), "{m:?}");
            assert!(m.from.as_ref().is_some_and(|n| n.len() == 1 && n[0] < 3));
            match m.action {
                MessageAction::Duplicate => assert!(REQUESTS.contains(&m.kinds[0].as_str())),
                MessageAction::Delay(d) => assert!(d <= f.duration && d > Duration::ZERO),
                MessageAction::Drop => {}
            }
            actions.push(m.action.kind_name());
        }
    }
    for kind in ["drop-messages", "delay-messages", "duplicate-messages"] {
        assert!(actions.contains(&kind), "{kind} drawn");
    }
}

/// The opt-in `membership` family: joins, leaves and replacements that the
/// ring allows (never below N members, a replaced node never back), spaced
/// at least one draw's length apart, and nothing at its default weight.
#[test]
fn the_membership_family_draws_changes_the_ring_allows() {
    let mut only = nemesis(false, 1);
    only.families = vec![(Family::Membership, 1.0)];
    only.spares = 2;
    let mut kinds = Vec::new();
    for seed in 0..20 {
        let (mut members, mut spares): (Vec<u32>, Vec<u32>) = ((0..4).collect(), vec![4, 5]);
        let mut removed: Vec<u32> = Vec::new();
        let faults = plan(&only, &[], 6, PHASE, seed).faults;
        assert!(!faults.is_empty());
        for f in &faults {
            match f.kind {
                FaultKind::Join { node } => {
                    assert!(spares.contains(&node), "{f:?}");
                    spares.retain(|&n| n != node);
                    members.push(node);
                    kinds.push("join");
                }
                FaultKind::Leave { node } => {
                    assert!(members.contains(&node) && members.len() > 3, "{f:?}");
                    members.retain(|&n| n != node);
                    spares.push(node);
                    kinds.push("leave");
                }
                FaultKind::Replace { node, by } => {
                    assert!(members.contains(&node) && spares.contains(&by), "{f:?}");
                    members.retain(|&n| n != node);
                    spares.retain(|&n| n != by);
                    members.push(by);
                    removed.push(node);
                    kinds.push("replace");
                }
                _ => panic!("{f:?}"),
            }
            assert!(
                removed
                    .iter()
                    .all(|r| !members.contains(r) && !spares.contains(r))
            );
        }
    }
    for kind in ["join", "leave", "replace"] {
        assert!(kinds.contains(&kind), "{kind} drawn");
    }
    let mut default = nemesis(false, 1);
    default.families = vec![(Family::Crash, 1.0), (Family::Membership, 0.0)];
    for seed in 0..5 {
        let drawn = plan(&default, &[], 6, PHASE, seed).faults;
        assert!(drawn.iter().all(|f| !f.kind.is_membership()));
    }
}
