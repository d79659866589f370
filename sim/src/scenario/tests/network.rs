//! `[network]` (distributions, kinds, links, duplication), the fault kinds
//! beyond partition and crash, and `[nemesis]`: parsing, errors, and the TOML
//! writers the round-trip test uses.

use super::*;
use crate::scenario::network::MESSAGE_KINDS;

fn us(n: u64) -> Duration {
    Duration::from_micros(n)
}

// ----- TOML writers for the round trip: the production spec types -----

/// The `[network]` table (and its sub-tables) as `Scenario::to_toml` writes it.
pub(super) fn network_toml(n: &Network) -> String {
    let mut table = toml::Table::new();
    let spec = crate::scenario::network::NetworkSpec::resolved(n);
    table.insert("network".into(), toml::Value::try_from(spec).unwrap());
    format!("\n{}", toml::to_string(&table).unwrap())
}

/// One `[[faults]]` table as `Scenario::to_toml` writes it.
pub(super) fn fault_toml(f: &Fault) -> String {
    let spec = crate::scenario::faults::FaultSpec::resolved(f);
    let faults = toml::Value::Array(vec![toml::Value::try_from(spec).unwrap()]);
    let table = toml::Table::from_iter([("faults".to_owned(), faults)]);
    format!("\n{}", toml::to_string(&table).unwrap())
}

// ----- strategies -----

fn parameter() -> impl Strategy<Value = f64> {
    0.01..=100.0f64
}

fn simple_latency() -> impl Strategy<Value = Latency> {
    prop_oneof![
        nanos(MAX_LATENCY).prop_map(Latency::Fixed),
        nanos(MAX_LATENCY).prop_map(|mean| Latency::Exponential { mean }),
        (nanos(MAX_LATENCY), parameter())
            .prop_map(|(scale, shape)| Latency::Pareto { scale, shape }),
        (nanos(MAX_LATENCY), parameter())
            .prop_map(|(median, sigma)| Latency::Lognormal { median, sigma }),
    ]
}

/// Pareto, lognormal and mixtures (with weights that sum to exactly 1, so
/// normalising them changes nothing).
pub(super) fn new_latency_strategy() -> impl Strategy<Value = Latency> {
    prop_oneof![
        simple_latency(),
        (
            simple_latency(),
            simple_latency(),
            proptest::sample::select(vec![0.25, 0.5, 0.75])
        )
            .prop_map(|(a, b, w)| Latency::Mixture(vec![(w, a), (1.0 - w, b)])),
    ]
}

pub(super) fn network_strategy() -> impl Strategy<Value = Network> {
    let kinds = proptest::collection::btree_map(
        proptest::sample::select(MESSAGE_KINDS).prop_map(String::from),
        new_latency_strategy(),
        0..3,
    );
    let bandwidth = proptest::option::of(1..=crate::scenario::MAX_BANDWIDTH);
    (
        super::latency_strategy(),
        0.0..=1.0f64,
        0.0..=1.0f64,
        bandwidth,
        kinds,
    )
        .prop_map(|(latency, loss, duplicate, bandwidth, kinds)| Network {
            latency,
            loss,
            duplicate,
            bandwidth,
            kinds,
            links: Vec::new(),
        })
}

proptest! {
    #[test]
    fn links_and_every_fault_kind_round_trip(
        latency in new_latency_strategy(),
        loss in 0.0..=1.0f64,
        by_ns in (1i64..=86_400_000_000_000).prop_flat_map(|n| prop_oneof![Just(n), Just(-n)]),
        at in nanos(Duration::from_secs(9)),
    ) {
        let mut kinds = BTreeMap::new();
        kinds.insert("replica-write".to_string(), latency.clone());
        let network = Network {
            latency: Latency::Fixed(us(50)),
            loss: 0.0,
            duplicate: 0.0,
            bandwidth: None,
            kinds: BTreeMap::new(),
            links: vec![
                Link { from: 0, to: 2, latency: Some(latency), kinds: BTreeMap::new(), loss, bandwidth: Some(125_000_000) },
                Link { from: 2, to: 1, latency: None, kinds, loss: 0.0, bandwidth: None },
            ],
        };
        let length = Duration::from_millis(100);
        let kinds = [
            FaultKind::Isolate { node: 1 },
            FaultKind::RandomHalves,
            FaultKind::Bridge { node: 0 },
            FaultKind::Clog { from: 2, to: 0 },
            FaultKind::Pause { node: 2 },
            FaultKind::ClockJump { node: 1, by_ns },
        ];
        let faults: Vec<Fault> = kinds.into_iter().map(|kind| {
            let duration = if matches!(kind, FaultKind::ClockJump { .. }) { Duration::ZERO } else { length };
            Fault { at, duration, kind }
        }).collect();
        let mut text = format!("{BASE}{}", network_toml(&network));
        text += &faults.iter().map(fault_toml).collect::<String>();
        let s = Scenario::parse(&text, "rt.toml").map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(s.network, network);
        prop_assert_eq!(s.faults, faults);
    }
}

// ----- latency -----

#[test]
fn pareto_by_scale_or_by_mean() {
    let by_scale = ok("[network]\nlatency = { dist = \"pareto\", scale = \"1ms\", shape = 2.5 }\n");
    assert_eq!(
        by_scale.network.latency,
        Latency::Pareto {
            scale: ms(1),
            shape: 2.5
        }
    );
    // mean 2 ms, shape 2 → scale = 2 ms × 1/2.
    let by_mean = ok("[network]\nlatency = { dist = \"pareto\", mean = \"2ms\", shape = 2 }\n");
    assert_eq!(
        by_mean.network.latency,
        Latency::Pareto {
            scale: ms(1),
            shape: 2.0
        }
    );
}

#[test]
fn lognormal_by_median_or_by_mean() {
    let by_median =
        ok("[network]\nlatency = { dist = \"lognormal\", median = \"1ms\", sigma = 0.5 }\n");
    assert_eq!(
        by_median.network.latency,
        Latency::Lognormal {
            median: ms(1),
            sigma: 0.5
        }
    );
    let by_mean =
        ok("[network]\nlatency = { dist = \"lognormal\", mean = \"1ms\", sigma = 0.5 }\n");
    let Latency::Lognormal { median, .. } = by_mean.network.latency else {
        panic!()
    };
    let want = 1e6 * (-0.125f64).exp();
    assert!((median.as_nanos() as f64 - want).abs() < 2.0, "{median:?}");
}

#[test]
fn mixture_weights_are_normalised() {
    let s = ok(concat!(
        "[network]\nlatency = { dist = \"mixture\", of = [",
        "{ weight = 9, dist = \"fixed\", value = \"200us\" }, ",
        "{ weight = 1, dist = \"exponential\", mean = \"5ms\" }] }\n"
    ));
    assert_eq!(
        s.network.latency,
        Latency::Mixture(vec![
            (0.9, Latency::Fixed(us(200))),
            (0.1, Latency::Exponential { mean: ms(5) }),
        ])
    );
}

#[test]
fn kinds_links_duplicate_and_precedence_inputs() {
    let s = ok(concat!(
        "[cluster]\nnodes = 3\n",
        "[network]\nduplicate = 0.01\n",
        "[network.kinds]\nreplica-write = { dist = \"fixed\", value = \"2ms\" }\n",
        "[[network.links]]\nfrom = 0\nto = 2\nboth = true\nloss = 0.1\n",
        "latency = { dist = \"fixed\", value = \"50us\" }\n",
        "kinds = { client-get = { dist = \"fixed\", value = \"10us\" } }\n",
    ));
    let n = &s.network;
    assert_eq!(n.duplicate, 0.01);
    assert_eq!(n.kinds["replica-write"], Latency::Fixed(ms(2)));
    assert_eq!(n.links.len(), 2, "both = true adds the reverse link");
    assert_eq!((n.links[0].from, n.links[0].to), (0, 2));
    assert_eq!((n.links[1].from, n.links[1].to), (2, 0));
    assert_eq!(n.links[1].latency, Some(Latency::Fixed(us(50))));
    assert_eq!(n.links[1].loss, 0.1);
    assert_eq!(n.links[1].kinds["client-get"], Latency::Fixed(us(10)));
}

#[test]
fn new_latency_errors() {
    fails(
        "[network]\nlatency = { dist = \"pareto\", mean = \"1ms\", shape = 1 }\n",
        "shape = ^1",
        "a pareto distribution has a mean only when shape > 1",
    );
    fails(
        "[network]\nlatency = { dist = \"pareto\", scale = \"1ms\", shape = 0 }\n",
        "shape = ^0",
        "shape = 0 is out of range",
    );
    fails(
        "[network]\nlatency = { dist = \"pareto\", scale = \"1ms\", mean = \"1ms\", shape = 2 }\n",
        "mean = ^\"1ms\"",
        "give `scale` or `mean`, not both",
    );
    fails(
        "[network]\nlatency = { dist = \"pareto\", shape = 2 }\n",
        "dist = ^\"pareto\"",
        "needs `scale` or `mean`",
    );
    fails(
        "[network]\nlatency = { dist = \"lognormal\", median = \"1ms\" }\n",
        "dist = ^\"lognormal\"",
        "needs `sigma`",
    );
    fails(
        "[network]\nlatency = { dist = \"lognormal\", median = \"1ms\", sigma = -1 }\n",
        "sigma = ^-1",
        "sigma = -1 is out of range",
    );
    fails(
        "[network]\nlatency = { dist = \"mixture\", of = [] }\n",
        "of = ^[]",
        "a mixture needs 1 to 16 components",
    );
    fails(
        "[network]\nlatency = { dist = \"mixture\", of = [{ weight = -1, dist = \"fixed\", value = \"1ms\" }] }\n",
        "weight = ^-1",
        "not a weight",
    );
    fails(
        "[network]\nlatency = { dist = \"mixture\", of = [{ weight = 0, dist = \"fixed\", value = \"1ms\" }] }\n",
        "of = ^[",
        "every mixture weight is zero",
    );
    fails(
        "[network]\nlatency = { dist = \"mixture\", of = [{ dist = \"fixed\", value = \"1ms\" }] }\n",
        "of = [^{",
        "a mixture component needs `weight`",
    );
    fails(
        "[network]\nlatency = { dist = \"mixture\", of = [{ weight = 1, dist = \"mixture\", of = [] }] }\n",
        "weight = 1, dist = ^\"mixture\"",
        "cannot itself be a mixture",
    );
    fails(
        "[network]\nlatency = { weight = 1, dist = \"fixed\", value = \"1ms\" }\n",
        "weight = ^1",
        "`weight` only applies to the components",
    );
    fails(
        "[network]\nlatency = { dist = \"lognormal\", median = \"1ms\", sigma = 1, shape = 2 }\n",
        "shape = ^2",
        "`shape` does not apply to dist = \"lognormal\"",
    );
}

#[test]
fn kinds_and_links_errors() {
    let e = fails(
        "[network.kinds]\nreplica-writ = { dist = \"fixed\", value = \"1ms\" }\n",
        "^replica-writ",
        "unknown message kind \"replica-writ\"",
    );
    assert_eq!(e.hint.as_deref(), Some("did you mean \"replica-write\"?"));
    fails(
        "[[network.links]]\nfrom = 0\nto = 3\n",
        "to = ^3",
        "node 3 is not in the cluster",
    );
    fails(
        "[[network.links]]\nfrom = 1\nto = 1\n",
        "to = ^1",
        "a link from node 1 to itself",
    );
    fails(
        "[[network.links]]\nto = 1\n",
        "^[[network.links]]",
        "a [[network.links]] entry needs `from`",
    );
    let twice = parse(
        "[[network.links]]\nfrom = 0\nto = 1\nboth = true\n[[network.links]]\nfrom = 1\nto = 0\n",
    )
    .expect_err("a link described twice");
    assert!(twice.message.contains("described twice"), "{twice}");
    assert_eq!(twice.line, Some(7), "{twice}");
    fails(
        "[[network.links]]\nfrom = 0\nto = 1\nloss = 1.5\n",
        "loss = ^1.5",
        "not a probability",
    );
    fails(
        "[network]\nduplicate = 2\n",
        "duplicate = ^2",
        "duplicate = 2 is not a probability",
    );
}

#[test]
fn bandwidth_parses_and_errors_name_the_value() {
    let s = ok(
        "[network]\nbandwidth = \"1Gbit/s\"\n[[network.links]]\nfrom = 0\nto = 1\nbandwidth = \"100MB/s\"\n",
    );
    assert_eq!(s.network.bandwidth, Some(125_000_000));
    assert_eq!(s.network.links[0].bandwidth, Some(100_000_000));
    fails(
        "[network]\nbandwidth = \"100MB\"\n",
        "bandwidth = ^\"100MB\"",
        "bandwidth: \"100MB\": unknown unit \"MB\" (did you mean \"MB/s\"?)",
    );
    fails(
        "[network]\nbandwidth = 100\n",
        "bandwidth = ^100",
        "bandwidth = 100 is not a rate",
    );
    fails(
        "[[network.links]]\nfrom = 0\nto = 1\nbandwidth = \"0MB/s\"\n",
        "bandwidth = ^\"0MB/s\"",
        "out of range",
    );
}

// ----- fault kinds -----

fn fault(kind: &str, rest: &str) -> String {
    format!("[[faults]]\nkind = \"{kind}\"\nat = \"1s\"\nduration = \"1s\"\n{rest}")
}

#[test]
fn every_fault_kind_parses() {
    let text = [
        fault("isolate", "node = 2\n"),
        fault("random-halves", ""),
        fault("bridge", "node = 1\n"),
        fault("clog", "from = 0\nto = 1\n"),
        fault("pause", "node = 1\n"),
        "[[faults]]\nkind = \"clock-jump\"\nat = \"2s\"\nnode = 1\nby = \"-500ms\"\n".into(),
        "[[faults]]\nkind = \"clock-jump\"\nat = \"3s\"\nnode = 1\nby = \"+1.5s\"\n".into(),
    ]
    .concat();
    let kinds: Vec<FaultKind> = ok(&text).faults.into_iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        vec![
            FaultKind::Isolate { node: 2 },
            FaultKind::RandomHalves,
            FaultKind::Bridge { node: 1 },
            FaultKind::Clog { from: 0, to: 1 },
            FaultKind::Pause { node: 1 },
            FaultKind::ClockJump {
                node: 1,
                by_ns: -500_000_000
            },
            FaultKind::ClockJump {
                node: 1,
                by_ns: 1_500_000_000
            },
        ]
    );
    let jump = ok("[[faults]]\nkind = \"clock-jump\"\nat = \"2s\"\nnode = 0\nby = \"2s\"\n");
    assert_eq!(
        jump.faults[0].duration,
        Duration::ZERO,
        "a jump is an instant"
    );
}

#[test]
fn new_fault_kind_errors() {
    fails(
        &fault("isolate", "node = 3\n"),
        "node = ^3",
        "not in the cluster",
    );
    fails(
        &format!(
            "[cluster]\nnodes = 2\nreplicas = 2\nwrite_quorum = 1\nread_quorum = 1\n{}",
            fault("bridge", "node = 0\n")
        ),
        "kind = ^\"bridge\"",
        "needs a cluster of at least 3 nodes",
    );
    fails(
        &fault("clog", "from = 1\nto = 1\n"),
        "to = ^1",
        "cuts nothing",
    );
    fails(
        &fault("clog", "from = 1\n"),
        "kind = ^\"clog\"",
        "needs `to`",
    );
    fails(
        &fault("random-halves", "node = 1\n"),
        "node = ^1",
        "`node` does not apply to kind = \"random-halves\"",
    );
    fails(
        &fault("pause", "by = \"1s\"\n"),
        "by = ^\"1s\"",
        "`by` does not apply",
    );
    fails(
        &fault("clock-jump", "node = 1\nby = \"1s\"\n"),
        "duration = ^\"1s\"",
        "`duration` does not apply to kind = \"clock-jump\"",
    );
    let jump =
        |by: &str| format!("[[faults]]\nkind = \"clock-jump\"\nat = \"1s\"\nnode = 0\nby = {by}\n");
    fails(&jump("\"0s\""), "by = ^\"0s\"", "non-zero step");
    fails(
        &jump("\"-1441m\""),
        "by = ^\"-1441m\"",
        "at most a day (\"24h\")",
    );
    fails(&jump("\"-x\""), "by = ^\"-x\"", "by:");
    fails(&jump("5"), "by = ^5", "no unit");
    fails(
        &jump("\"1s\"").replace("node = 0\n", ""),
        "kind = ^\"clock-jump\"",
        "needs `node`",
    );
}

#[test]
fn pause_and_crash_of_one_node_may_not_overlap() {
    let crash_then_pause = concat!(
        "[[faults]]\nkind = \"crash\"\nat = \"1s\"\nduration = \"2s\"\nnode = 1\n",
        "[[faults]]\nkind = \"pause\"\nat = \"2s\"\nduration = \"1s\"\nnode = 1\n",
    );
    fails(
        crash_then_pause,
        "at = ^\"2s\"",
        "node 1 is already crashed at \"2s\"",
    );
    let pause_then_crash = crash_then_pause
        .replace("\"crash\"", "\"x\"")
        .replace("\"pause\"", "\"crash\"")
        .replace("\"x\"", "\"pause\"");
    fails(
        &pause_then_crash,
        "at = ^\"2s\"",
        "node 1 is already paused at \"2s\"",
    );
    ok(&crash_then_pause.replace("node = 1\n[[", "node = 0\n[["));
}

// ----- nemesis -----

#[test]
fn nemesis_defaults() {
    let n = ok("[cluster]\nnodes = 5\n[nemesis]\n")
        .nemesis
        .expect("a nemesis");
    assert_eq!(
        (n.interval, n.duration, n.jump),
        (ms(1000), ms(500), ms(100))
    );
    assert_eq!((n.swarm, n.max_down), (false, 2));
    let opt_in = [Family::Messages, Family::Membership, Family::Buggify];
    let on = |f: Family| if opt_in.contains(&f) { 0.0 } else { 1.0 };
    assert_eq!(
        n.families,
        Family::ALL.iter().map(|&f| (f, on(f))).collect::<Vec<_>>(),
        "every family but the opt-in messages, membership and buggify"
    );
    let moving = ok(
        "[cluster]\nnodes = 4\nspares = 1\nprotocol = \"abd\"\n[nemesis]\nfamilies = { membership = 1, crash = 1 }\n",
    );
    assert!(
        moving.cluster.membership,
        "the family turns membership duties on"
    );
    assert_eq!(moving.nemesis.unwrap().spares, 1);
    fails(
        "[cluster]\nnodes = 3\n[nemesis]\nfamilies = { membership = 1 }\n",
        "membership = ^1",
        "nemesis family \"membership\" cannot happen here: no spare can join",
    );
    assert_eq!(ok("").nemesis, None);
    let small = ok("[cluster]\nnodes = 2\nreplicas = 2\n[nemesis]\n")
        .nemesis
        .unwrap();
    let weight = |f: Family| small.families.iter().find(|(x, _)| *x == f).unwrap().1;
    assert_eq!(
        (
            weight(Family::Bridge),
            weight(Family::Crash),
            weight(Family::Clog)
        ),
        (0.0, 0.0, 1.0)
    );
}

#[test]
fn nemesis_written_out() {
    let n = ok(concat!(
        "[nemesis]\ninterval = \"200ms\"\nduration = \"50ms\"\nswarm = true\nmax_down = 1\njump = \"20ms\"\n",
        "families = { crash = 2, clock-jump = 0.5 }\n"
    ))
    .nemesis
    .unwrap();
    assert_eq!(
        (n.interval, n.duration, n.jump, n.swarm, n.max_down),
        (ms(200), ms(50), ms(20), true, 1)
    );
    let positive: Vec<(Family, f64)> = n.families.into_iter().filter(|(_, w)| *w > 0.0).collect();
    assert_eq!(
        positive,
        vec![(Family::Crash, 2.0), (Family::ClockJump, 0.5)]
    );
}

#[test]
fn nemesis_errors() {
    let e = fails(
        "[nemesis]\nfamilies = { crsh = 1 }\n",
        "{ ^crsh",
        "unknown nemesis family \"crsh\"",
    );
    assert_eq!(e.hint.as_deref(), Some("did you mean \"crash\"?"));
    fails(
        "[nemesis]\nfamilies = { crash = -1 }\n",
        "crash = ^-1",
        "not a weight",
    );
    fails(
        "[nemesis]\nfamilies = { crash = 0 }\n",
        "families = ^{",
        "every nemesis family has weight 0",
    );
    fails(
        "[nemesis]\nfamilies = { bridge = 1 }\n[cluster]\nnodes = 2\nreplicas = 2\n",
        "bridge = ^1",
        "a bridge needs 3 nodes",
    );
    fails(
        "[nemesis]\nmax_down = 0\nfamilies = { pause = 1 }\n",
        "pause = ^1",
        "max_down = 0 lets no node go down",
    );
    fails(
        "[nemesis]\nmax_down = 4\n",
        "max_down = ^4",
        "expected 0 to 3",
    );
    fails(
        "[nemesis]\ninterval = \"0s\"\n",
        "interval = ^\"0s\"",
        "interval is zero",
    );
    fails("[nemesis]\ninterval = 5\n", "interval = ^5", "no unit");
    fails("[nemesis]\nrate = 1\n", "^rate", "unknown field `rate`");
}
