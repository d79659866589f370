//! The planted-bug suite (issue 13, items 5 and 6): every bug planted in the
//! store (`store::planted`) has a shipped scenario for its mechanism that
//! catches it, and `storesim --plant` plants it. The test build of the
//! binary carries the `planted-bugs` feature (the dev-dependencies enable
//! it), so these tests run the planted binary as users of
//! `scripts/planted.sh` do; the 100-seed proof of every bug is that script.

use store::planted::Bug;

mod common;
use common::{root, scenario, stdout, storesim};

/// Every planted bug is in the script's table, with a shipped scenario
/// that names it: a bug added to `Bug::ALL` without a scenario fails here.
#[test]
fn every_planted_bug_has_a_shipped_scenario_that_names_it() {
    let script = std::fs::read_to_string(root().join("scripts/planted.sh")).unwrap();
    for bug in Bug::ALL {
        let entry = format!("[{}]=", bug.name());
        let line = (script.lines())
            .find(|l| l.trim_start().starts_with(&entry))
            .unwrap_or_else(|| panic!("scripts/planted.sh has no scenario for {bug}"));
        let name = line.trim_start()[entry.len()..].trim();
        let text = std::fs::read_to_string(scenario(&format!("{name}.toml")))
            .unwrap_or_else(|e| panic!("{bug}: scenarios/{name}.toml: {e}"));
        assert!(
            text.contains(&format!("`{}`", bug.name())),
            "scenarios/{name}.toml does not say it catches {bug}"
        );
    }
}

/// A planted bug breaks its scenario's `[expect]` (exit 1, with the check
/// and a replay command), the same seeds without it meet it (exit 0), and
/// the failure shrinks to a dozen operations.
#[test]
fn a_planted_lww_bug_is_caught_by_its_scenario_and_shrinks_to_a_dozen_operations() {
    let tmp = tempfile::tempdir().unwrap();
    let file = scenario("mech-lww-order.toml");
    let run = |plant: Option<&str>, out: &str| {
        let mut cmd = storesim();
        if let Some(bug) = plant {
            cmd.args(["--plant", bug]);
        }
        cmd.args(["run", "--seeds", "2", "--jobs", "2", "--out"])
            .arg(tmp.path().join(out))
            .arg(&file)
            .assert()
    };
    let caught = run(Some("lww-node-first"), "bug").code(1);
    let text = stdout(&caught);
    assert!(
        text.contains("read-after-write: expected pass, invalid on"),
        "{text}"
    );
    run(None, "ok").success();
    let shrunk = tmp.path().join("shrunk.toml");
    let assert = storesim()
        .args([
            "--plant",
            "lww-node-first",
            "shrink",
            "--seed",
            "1",
            "--out",
        ])
        .arg(&shrunk)
        .arg(&file)
        .assert()
        .success();
    let text = stdout(&assert);
    let last = (text.lines())
        .find(|l| l.starts_with("after "))
        .unwrap_or_else(|| panic!("{text}"));
    let ops: u64 = (last.split("): ").nth(1))
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{last}"));
    assert!(ops <= 12, "shrunk to {ops} operations\n{text}");
}

/// An unknown bug name is bad input: exit 2, listing the names.
#[test]
fn an_unknown_planted_bug_is_refused_with_the_names() {
    let assert = storesim()
        .args(["--plant", "no-such-bug", "run"])
        .arg(scenario("mech-lww-order.toml"))
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("no planted bug \"no-such-bug\""),
        "{stderr}"
    );
    assert!(stderr.contains("lww-node-first"), "{stderr}");
}

/// Issue 13: a planted bug caught only through buggify (`sync-off-by-one`
/// loses an acknowledged write only when a node crashes at a fault point)
/// shrinks with the seed's drawn hits written out as explicit
/// `kind = "buggify"` faults (the same history), and fewer of them.
#[test]
fn a_bug_caught_only_through_buggify_shrinks_to_fewer_explicit_hits() {
    let tmp = tempfile::tempdir().unwrap();
    let file = scenario("buggify-sync-always.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    // Without [buggify] (nothing crashes) the planted bug goes unseen.
    let calm = tmp.path().join("calm.toml");
    let cut = text.find("[buggify]").unwrap();
    let end = text.find("[expect]").unwrap();
    std::fs::write(&calm, format!("{}{}", &text[..cut], &text[end..])).unwrap();
    let run = |scenario: &std::path::Path, out: &str| {
        storesim()
            .args([
                "--plant",
                "sync-off-by-one",
                "run",
                "--seeds",
                "2",
                "--jobs",
                "1",
            ])
            .args(["--no-regressions", "--out"])
            .arg(tmp.path().join(out))
            .arg(scenario)
            .assert()
    };
    run(&calm, "calm").success();
    run(&file, "buggify").code(1);
    let shrunk = tmp.path().join("shrunk.toml");
    let assert = storesim()
        .args([
            "--plant",
            "sync-off-by-one",
            "shrink",
            "--seed",
            "1",
            "--tries",
            "1",
        ])
        .arg("--out")
        .arg(&shrunk)
        .arg(&file)
        .assert()
        .success();
    let out = stdout(&assert);
    let drawn: usize = (out.lines())
        .find_map(|l| {
            let rest = l.trim().strip_prefix("the ")?;
            let (n, tail) = rest.split_once(' ')?;
            tail.contains("as explicit [[faults]] kind = \"buggify\": the same history")
                .then(|| n.parse().ok())?
        })
        .unwrap_or_else(|| panic!("the hits were not written out\n{out}"));
    let written = std::fs::read_to_string(&shrunk).unwrap();
    assert!(!written.contains("[buggify]"), "{written}");
    let left = (written.lines())
        .filter(|l| l.trim() == "kind = \"buggify\"")
        .count();
    assert!(
        left >= 1 && left < drawn,
        "{left} of {drawn} hits\n{written}"
    );
}
