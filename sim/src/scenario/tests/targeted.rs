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
