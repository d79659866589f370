//! Targeted message faults in `[[faults]]`: what they parse to, and the
//! errors at the value for what cannot run.

use super::*;

const W: &str = "[cluster]\nnodes = 3\n[[faults]]\nat = \"1s\"\nduration = \"2s\"\n";

#[test]
fn message_faults_parse_kinds_nodes_delay_and_probability() {
    let s = ok(&format!(
        "{W}kind = \"delay-messages\"\nmessages = [\"replica-written\", \"replica-write\", \"replica-write\"]\nfrom = [2, 0]\nto = 1\ndelay = \"5ms\"\nprobability = 0.5\n"
    ));
    assert_eq!(
        s.faults[0].kind,
        FaultKind::Messages(MessageFault {
            action: MessageAction::Delay(ms(5)),
            kinds: vec!["replica-write".into(), "replica-written".into()],
            from: Some(vec![0, 2]),
            to: Some(vec![1]),
            probability: 0.5,
        })
    );
    let drop = ok(&format!(
        "{W}kind = \"drop-messages\"\nmessages = \"client-put\"\n"
    ));
    let FaultKind::Messages(m) = &drop.faults[0].kind else {
        panic!("{drop:?}")
    };
    assert_eq!(
        (m.action, m.from.clone(), m.to.clone(), m.probability),
        (MessageAction::Drop, None, None, 1.0)
    );
    let again = Scenario::parse(&drop.to_toml(), "again.toml").unwrap();
    assert_eq!(again.faults, drop.faults, "written back, read again");
}

#[test]
fn message_fault_errors_point_at_the_value() {
    let e = fails(
        &format!(
            "{W}kind = \"drop-messages\"\nmessages = [\"replica-write\", \"replica-writen\"]\n"
        ),
        ", ^\"replica-writen\"",
        "unknown message kind \"replica-writen\"",
    );
    assert_eq!(e.hint.as_deref(), Some("did you mean \"replica-write\"?"));
    fails(
        &format!("{W}kind = \"duplicate-messages\"\nmessages = \"replica-written\"\n"),
        "messages = ^\"replica-written\"",
        "cannot be duplicated",
    );
    fails(
        &format!("{W}kind = \"delay-messages\"\nmessages = \"replica-write\"\n"),
        "kind = ^\"delay-messages\"",
        "needs `delay`",
    );
    fails(
        &format!("{W}kind = \"drop-messages\"\nmessages = \"replica-write\"\ndelay = \"1ms\"\n"),
        "delay = ^\"1ms\"",
        "`delay` does not apply",
    );
    fails(
        &format!("{W}kind = \"drop-messages\"\nmessages = \"replica-write\"\nfrom = [0, 3]\n"),
        "^3]",
        "node 3 is not in the cluster",
    );
    fails(
        &format!("{W}kind = \"drop-messages\"\nmessages = \"replica-write\"\nprobability = 0.0\n"),
        "probability = ^0.0",
        "probability = 0 is out of range",
    );
    fails(
        &format!("{W}kind = \"drop-messages\"\nmessages = []\n"),
        "messages = ^[]",
        "messages is empty",
    );
    fails(
        &format!("{W}kind = \"clog\"\nfrom = [0]\nto = 1\n"),
        "from = ^[0]",
        "expected one node index",
    );
}

#[test]
fn buggify_parses_points_actions_and_duration() {
    let b = ok("[buggify]\nprobability = 0.01\npoints = { after-apply = 0.5 }\nactions = [\"pause\", \"crash\"]\n")
        .buggify
        .expect("[buggify]");
    let p = |point| b.points.iter().find(|(q, _)| *q == point).unwrap().1;
    assert_eq!(p(store::buggify::Point::AfterApply), 0.5);
    assert_eq!(p(store::buggify::Point::BeforeSync), 0.01);
    assert_eq!(b.actions, vec![BugAction::Crash, BugAction::Pause]);
    assert_eq!(b.duration, ms(20));
    let s = ok("[buggify]\npoints = { between-phases = 0.1 }\n");
    let again = Scenario::parse(&s.to_toml(), "again.toml").unwrap();
    assert_eq!(again.buggify, s.buggify, "written back, read again");
    assert_eq!(ok("").buggify, None);
}

#[test]
fn buggify_errors_point_at_the_value() {
    let e = fails(
        "[buggify]\npoints = { after-aply = 0.1 }\n",
        "{ ^after-aply",
        "unknown fault point \"after-aply\"",
    );
    assert_eq!(e.hint.as_deref(), Some("did you mean \"after-apply\"?"));
    fails(
        "[buggify]\nprobability = 1.5\n",
        "probability = ^1.5",
        "not a probability",
    );
    fails(
        "[buggify]\nprobability = 0.1\nactions = [\"explode\"]\n",
        "[^\"explode\"]",
        "unknown buggify action",
    );
    fails(
        "[buggify]\nprobability = 0.0\n",
        "^[buggify]",
        "would do nothing",
    );
}

/// An explicit buggify hit (`kind = "buggify"`) and a `buggify-window`
/// parse; the window and the nemesis family `buggify` need `[buggify]`.
#[test]
fn buggify_faults_parse_and_need_buggify_for_windows() {
    let hit = "[[faults]]\nkind = \"buggify\"\nat = \"1ms\"\nduration = \"5ms\"\nnode = 2\npoint = \"between-phases\"\naction = \"pause\"\npass = 7\n";
    let s = ok(hit);
    assert_eq!(
        s.faults[0].kind,
        FaultKind::Buggify(BugHit {
            node: 2,
            point: store::buggify::Point::BetweenPhases,
            action: BugAction::Pause,
            pass: 7,
        })
    );
    assert_eq!(s.faults[0].duration, Duration::from_millis(5));
    assert!(!s.buggify_windowed());
    let no_pass = ok(&hit.replace("pass = 7\n", ""));
    assert!(matches!(no_pass.faults[0].kind, FaultKind::Buggify(h) if h.pass == 1));
    let window =
        "[[faults]]\nkind = \"buggify-window\"\nat = \"1s\"\nduration = \"1s\"\nnode = 1\n";
    let buggify = "[buggify]\nprobability = 0.5\n";
    let s = ok(&format!("{window}{buggify}"));
    assert_eq!(s.faults[0].kind, FaultKind::BuggifyWindow { node: 1 });
    assert!(s.buggify_windowed());
    let family = "[nemesis]\nfamilies = { buggify = 1, crash = 1 }\n";
    assert!(ok(&format!("{family}{buggify}")).buggify_windowed());
    assert!(!ok(&format!("[nemesis]\n{buggify}")).buggify_windowed());
    fails(
        window,
        "kind = ^\"buggify-window\"",
        "this scenario has no [buggify]",
    );
    fails(family, "buggify = ^1", "this scenario has no [buggify]");
    ok("[nemesis]\nfamilies = { buggify = 0, crash = 1 }\n");
}

#[test]
fn buggify_fault_errors_point_at_the_value() {
    let hit = |rest: &str| {
        format!(
            "[[faults]]\nkind = \"buggify\"\nat = \"1ms\"\nduration = \"5ms\"\nnode = 0\n{rest}"
        )
    };
    let e = fails(
        &hit("point = \"after-aply\"\naction = \"crash\"\n"),
        "point = ^\"after-aply\"",
        "unknown fault point",
    );
    assert_eq!(e.hint.as_deref(), Some("did you mean \"after-apply\"?"));
    fails(
        &hit("point = \"after-apply\"\naction = \"explode\"\n"),
        "action = ^\"explode\"",
        "unknown buggify action",
    );
    fails(
        &hit("point = \"after-apply\"\naction = \"crash\"\npass = 0\n"),
        "pass = ^0",
        "pass = 0 is not a pass",
    );
    fails(
        &hit("action = \"crash\"\n"),
        "kind = ^\"buggify\"",
        "needs `point`",
    );
    fails(
        &hit("point = \"after-apply\"\naction = \"crash\"\n").replace("\"5ms\"", "\"11s\""),
        "duration = ^\"11s\"",
        "at most \"10s\"",
    );
    fails(
        &hit("point = \"after-apply\"\naction = \"crash\"\n").replace("node = 0", "node = 3"),
        "node = ^3",
        "not in the cluster",
    );
    fails(
        "[[faults]]\nkind = \"crash\"\nat = \"1s\"\nduration = \"1s\"\nnode = 0\npass = 2\n",
        "pass = ^2",
        "`pass` does not apply",
    );
}
