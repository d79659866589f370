//! End-to-end: targeted faults, BUGGIFY fault points and swarm points as a
//! user meets them on the command line.

mod common;
use common::{scenario, stdout, storesim};

/// `replay --trace` names the message fault on every message it dropped or
/// delayed, and shows its window opening and closing.
#[test]
fn replay_trace_names_the_message_fault_on_each_message() {
    let tmp = tempfile::tempdir().unwrap();
    let assert = storesim()
        .args(["replay", "--seed", "1", "--trace", "--out"])
        .arg(tmp.path())
        .arg(scenario("dropped-acks.toml"))
        .assert()
        .code(0);
    let out = stdout(&assert);
    let drop = "drop-messages replica-written from n2 to any";
    assert!(out.contains(&format!("** {drop}: in force")), "{out}");
    assert!(out.contains(&format!("** ended {drop}")));
    assert!(out.contains("replica-written k"));
    assert!(out.contains(&format!("[dropped by {drop}]")));
    assert!(out.contains(", delayed by delay-messages +20ms replica-write from any to n1]"));
}

/// A misspelt message kind is bad input: exit 2, the file and line, and the
/// kind it probably meant.
#[test]
fn a_misspelt_message_kind_exits_2_with_did_you_mean() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("typo.toml");
    let text = std::fs::read_to_string(scenario("dropped-acks.toml")).unwrap();
    std::fs::write(
        &file,
        text.replace("\"replica-written\"", "\"replica-writtn\""),
    )
    .unwrap();
    let assert = storesim().arg("run").arg(&file).assert().code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("typo.toml:"), "{stderr}");
    assert!(
        stderr.contains("unknown message kind \"replica-writtn\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("did you mean \"replica-written\"?"),
        "{stderr}"
    );
}

/// `replay --trace` shows each buggify hit: the action, the node, the
/// fault point, which pass of it, and for how long.
#[test]
fn replay_trace_shows_buggify_hits() {
    let tmp = tempfile::tempdir().unwrap();
    let assert = storesim()
        .args(["replay", "--seed", "1", "--trace", "--out"])
        .arg(tmp.path())
        .arg(scenario("buggify-abd.toml"))
        .assert()
        .code(0);
    let out = stdout(&assert);
    let hit = out
        .lines()
        .find(|l| l.contains(" ** buggify "))
        .expect(&out);
    assert!(hit.contains(" (pass ") && hit.contains(" ms"), "{hit}");
    assert!(out.contains(" at after-apply (pass ") || out.contains(" at between-phases (pass "));
}
