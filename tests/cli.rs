//! End-to-end tests of the `storesim` command line.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn storesim() -> Command {
    Command::cargo_bin("storesim").expect("binary built")
}

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

fn results(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("results.json")).expect("results.json written");
    serde_json::from_str(&text).expect("results.json is JSON")
}

#[test]
fn results_do_not_depend_on_the_number_of_jobs() {
    let tmp = tempfile::tempdir().unwrap();
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    let smoke = scenario("quorum-smoke.toml");
    for (jobs, out) in [("1", &one), ("2", &two)] {
        storesim()
            .args(["run", "--seeds", "4", "--jobs", jobs, "--out"])
            .arg(out)
            .arg(&smoke)
            .assert()
            .success();
    }
    let (a, b) = (results(&one), results(&two));
    assert_eq!(a["seeds"], b["seeds"]);
    let seeds = a["seeds"].as_array().unwrap();
    assert_eq!(seeds.len(), 4);
    assert_eq!(seeds[0]["checks"]["read-after-write"], "valid");
    assert_eq!(seeds[0]["history_hash"].as_str().unwrap().len(), 64);
}

#[test]
fn replay_writes_the_same_history_every_time_and_matches_run() {
    let tmp = tempfile::tempdir().unwrap();
    let smoke = scenario("quorum-smoke.toml");
    storesim()
        .args(["run", "--seed", "5", "--out"])
        .arg(tmp.path())
        .arg(&smoke)
        .assert()
        .success();
    let hash = results(tmp.path())["seeds"][0]["history_hash"]
        .as_str()
        .unwrap()
        .to_string();
    let mut histories = Vec::new();
    for out in ["a", "b"] {
        let dir = tmp.path().join(out);
        let assert = storesim()
            .args(["replay", "--seed", "5", "--out"])
            .arg(&dir)
            .arg(&smoke)
            .assert();
        let stdout = String::from_utf8(assert.success().get_output().stdout.clone()).unwrap();
        assert!(
            stdout.contains(&hash),
            "replay prints the same hash as run:\n{stdout}"
        );
        histories.push(std::fs::read(dir.join("history.jsonl")).unwrap());
    }
    assert_eq!(histories[0], histories[1]);
    assert!(!histories[0].is_empty());
}

#[test]
fn a_broken_expectation_exits_1_and_prints_a_replay_command_that_reproduces_it() {
    let tmp = tempfile::tempdir().unwrap();
    // eventual-partition really has stale reads; claim it has none.
    let text = std::fs::read_to_string(scenario("eventual-partition.toml")).unwrap();
    let text = text.replace(
        r#"read-after-write = "fail""#,
        r#"read-after-write = "pass""#,
    );
    let file = tmp.path().join("claims-too-much.toml");
    std::fs::write(&file, text).unwrap();
    let out = tmp.path().join("run");
    let assert = storesim()
        .args(["run", "--seeds", "10", "--out"])
        .arg(&out)
        .arg(&file)
        .assert();
    let stdout = String::from_utf8(assert.code(1).get_output().stdout.clone()).unwrap();
    let command = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("replay: "))
        .unwrap_or_else(|| panic!("no replay command in:\n{stdout}"));
    let seed = command.rsplit(' ').next().unwrap();
    let saved = out.join("seeds").join(seed).join("history.jsonl");
    assert!(saved.exists(), "the failing seed's history is kept");

    // Run the printed command as printed (program, scenario, --seed S) plus --out.
    let words: Vec<&str> = command.split(' ').collect();
    let replay_dir = tmp.path().join("replayed");
    let status = std::process::Command::new(words[0])
        .args(&words[1..])
        .arg("--out")
        .arg(&replay_dir)
        .output()
        .expect("the printed command runs");
    assert_eq!(
        status.status.code(),
        Some(1),
        "the replay breaks the expectation again"
    );
    let replayed = std::fs::read(replay_dir.join("history.jsonl")).unwrap();
    assert_eq!(
        replayed,
        std::fs::read(saved).unwrap(),
        "bit-for-bit the same history"
    );
}

#[test]
fn trace_prints_messages_and_faults_with_simulated_time() {
    let tmp = tempfile::tempdir().unwrap();
    let assert = storesim()
        .args(["replay", "--seed", "1", "--trace", "--out"])
        .arg(tmp.path())
        .arg(scenario("quorum-partition.toml"))
        .assert();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("replica-write"), "messages are traced");
    assert!(stdout.contains("** partition"), "faults are traced");
    assert!(stdout.contains("** crash n1"), "crashes are traced");
    assert!(stdout.contains(" ms "), "with simulated time");
}

#[test]
fn a_bad_scenario_exits_2_naming_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("bad.toml");
    let text = std::fs::read_to_string(scenario("quorum-smoke.toml")).unwrap();
    let text = text.replace("write_quorum = 2", "write_quorum = 9");
    assert!(
        text.contains("write_quorum = 9"),
        "the smoke scenario sets write_quorum = 2"
    );
    std::fs::write(&file, text).unwrap();
    let assert = storesim()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(tmp.path().join("o"))
        .assert();
    let stderr = String::from_utf8(assert.code(2).get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("bad.toml:"), "{stderr}");
    assert!(stderr.contains("write_quorum"), "{stderr}");
    assert!(
        !tmp.path().join("o").exists(),
        "nothing written for bad input"
    );

    storesim()
        .arg("run")
        .arg(tmp.path().join("missing.toml"))
        .assert()
        .code(2);
    storesim()
        .args(["run", "--seeds", "0"])
        .arg(scenario("quorum-smoke.toml"))
        .assert()
        .code(2);
}

#[test]
fn a_run_folder_of_another_scenario_is_not_mixed() {
    let tmp = tempfile::tempdir().unwrap();
    storesim()
        .arg("run")
        .arg(scenario("quorum-smoke.toml"))
        .arg("--out")
        .arg(tmp.path())
        .assert()
        .success();
    let assert = storesim()
        .arg("run")
        .arg(scenario("quorum-partition.toml"))
        .arg("--out")
        .arg(tmp.path())
        .assert();
    let stderr = String::from_utf8(assert.code(2).get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("choose another --out"), "{stderr}");
}

const FRESH: &str = r#"{"process":0,"type":"invoke","f":"put","key":"k1","value":"a","time":1}
{"process":0,"type":"ok","f":"put","key":"k1","value":"a","time":2}
{"process":1,"type":"invoke","f":"get","key":"k1","value":null,"time":3}
{"process":1,"type":"ok","f":"get","key":"k1","value":"a","time":4}
"#;

const STALE: &str = r#"{"process":0,"type":"invoke","f":"put","key":"k1","value":"a","time":1}
{"process":0,"type":"ok","f":"put","key":"k1","value":"a","time":2}
{"process":0,"type":"invoke","f":"put","key":"k1","value":"b","time":3}
{"process":0,"type":"ok","f":"put","key":"k1","value":"b","time":4}
{"process":1,"type":"invoke","f":"get","key":"k1","value":null,"time":5}
{"process":1,"type":"ok","f":"get","key":"k1","value":"a","time":6}
"#;

#[test]
fn check_exits_0_on_valid_1_on_invalid_2_on_malformed_histories() {
    let tmp = tempfile::tempdir().unwrap();
    let (fresh, stale, broken) = (
        tmp.path().join("fresh.jsonl"),
        tmp.path().join("stale.jsonl"),
        tmp.path().join("broken.jsonl"),
    );
    std::fs::write(&fresh, FRESH).unwrap();
    std::fs::write(&stale, STALE).unwrap();
    std::fs::write(&broken, FRESH.replace(r#""time":3}"#, r#""time":3"#)).unwrap();

    let out = storesim()
        .arg("check")
        .arg(&fresh)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("fresh.jsonl: ") && out.contains("read-after-write valid"),
        "{out}"
    );
    assert!(
        out.contains("convergence n/a"),
        "no final lines: n/a\n{out}"
    );

    let assert = storesim()
        .arg("check")
        .arg(&fresh)
        .arg(&stale)
        .assert()
        .code(1);
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(out.contains("read-after-write invalid"), "{out}");
    assert!(
        out.contains("returned a"),
        "a counterexample follows:\n{out}"
    );

    let assert = storesim().arg("check").arg(&broken).assert().code(2);
    let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("broken.jsonl") && err.contains("line 3"),
        "{err}"
    );
}

#[test]
fn check_json_prints_one_object_per_file() {
    let tmp = tempfile::tempdir().unwrap();
    let stale = tmp.path().join("stale.jsonl");
    std::fs::write(&stale, STALE).unwrap();
    let assert = storesim()
        .args(["check", "--json", "--checks", "read-after-write"])
        .arg(&stale)
        .assert()
        .code(1);
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1, "{out}");
    let v: Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(v["checks"]["read-after-write"], "invalid");
    assert!(
        v["checks"].get("convergence").is_none(),
        "only the checks asked for"
    );
    assert!(v["file"].as_str().unwrap().ends_with("stale.jsonl"));

    storesim()
        .args(["check", "--checks", "no-such-check"])
        .arg(&stale)
        .assert()
        .code(2);
    storesim()
        .args(["check", "--timeout", "-1"])
        .arg(&stale)
        .assert()
        .code(2);
}

#[test]
fn two_shards_merged_equal_one_run() {
    let tmp = tempfile::tempdir().unwrap();
    let smoke = scenario("quorum-smoke.toml");
    let dir = |name: &str| tmp.path().join(name);
    let run = |extra: &[&str], out: &Path| {
        storesim()
            .args(["run", "--seeds", "5", "--jobs", "2"])
            .args(extra)
            .arg("--out")
            .arg(out)
            .arg(&smoke)
            .assert()
            .success();
    };
    run(&[], &dir("whole"));
    run(&["--shard", "1/2"], &dir("a"));
    run(&["--shard", "2/2"], &dir("b"));
    assert_eq!(
        results(&dir("a"))["seeds"].as_array().unwrap().len(),
        3,
        "seeds 1,3,5"
    );
    assert_eq!(
        results(&dir("b"))["seeds"].as_array().unwrap().len(),
        2,
        "seeds 2,4"
    );
    storesim()
        .arg("merge")
        .arg(dir("b"))
        .arg(dir("a"))
        .arg("--out")
        .arg(dir("merged"))
        .assert()
        .success();
    let (whole, merged) = (results(&dir("whole")), results(&dir("merged")));
    assert_eq!(
        whole, merged,
        "merging shards gives the results of a single run"
    );

    storesim()
        .arg("run")
        .args(["--shard", "3/2"])
        .arg(&smoke)
        .assert()
        .code(2);
    storesim()
        .arg("merge")
        .arg(dir("nope"))
        .arg("--out")
        .arg(dir("m2"))
        .assert()
        .code(2);
}

#[test]
fn check_determinism_passes_on_the_simulator_and_catches_planted_nondeterminism() {
    let tmp = tempfile::tempdir().unwrap();
    let smoke = scenario("quorum-smoke.toml");
    storesim()
        .args(["run", "--seeds", "2", "--check-determinism", "--out"])
        .arg(tmp.path().join("ok"))
        .arg(&smoke)
        .assert()
        .success();
    let assert = storesim()
        .args([
            "run",
            "--check-determinism",
            "--plant-nondeterminism",
            "--out",
        ])
        .arg(tmp.path().join("bad"))
        .arg(&smoke)
        .assert()
        .code(2);
    let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(err.contains("not deterministic"), "{err}");
    assert!(
        err.contains("run 1:") && err.contains("run 2:"),
        "shows the first differing event: {err}"
    );
}

#[test]
fn saved_regression_seeds_run_first() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(scenario("eventual-partition.toml")).unwrap();
    let text = text.replace(
        r#"read-after-write = "fail""#,
        r#"read-after-write = "pass""#,
    );
    let file = tmp.path().join("strict.toml");
    std::fs::write(&file, text).unwrap();
    let out = tmp.path().join("run");
    let run = |args: &[&str]| {
        storesim()
            .arg("run")
            .args(args)
            .arg("--out")
            .arg(&out)
            .arg(&file)
            .assert()
            .code(1)
    };
    run(&["--seed", "3", "--save-regressions"]);
    let saved = std::fs::read_to_string(tmp.path().join("regressions/strict.seeds")).unwrap();
    assert!(saved.starts_with("3 # read-after-write"), "{saved}");
    run(&["--seed", "40"]);
    let seeds: Vec<u64> = results(&out)["seeds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["seed"].as_u64().unwrap())
        .collect();
    assert_eq!(seeds, vec![3, 40], "the saved seed runs too");
    run(&["--seed", "40", "--no-regressions"]);
    assert_eq!(results(&out)["seeds"].as_array().unwrap().len(), 1);
}

#[test]
fn the_kubernetes_example_shards_and_merges() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("docs/k8s/storesim-job.yaml")).unwrap();
    let field = |name: &str| -> String {
        let line = manifest
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name}"));
        line.chars().filter(|c| c.is_ascii_digit()).collect()
    };
    assert_eq!(
        field("completions:"),
        field("name: SHARDS"),
        "one pod per shard"
    );
    assert!(manifest.contains("completionMode: Indexed"));

    let tmp = tempfile::tempdir().unwrap();
    let smoke = scenario("quorum-smoke.toml");
    let shards = 3;
    for index in 0..shards {
        let status = std::process::Command::new(root.join("docs/k8s/run-shard.sh"))
            .env("JOB_COMPLETION_INDEX", index.to_string())
            .env("SCENARIO", &smoke)
            .env("SEEDS", "7")
            .env("SHARDS", shards.to_string())
            .env("OUT", tmp.path())
            .env("STORESIM", assert_cmd::cargo::cargo_bin("storesim"))
            .status()
            .unwrap();
        assert!(status.success(), "shard {index}");
    }
    let parts: Vec<PathBuf> = (0..shards)
        .map(|i| tmp.path().join(format!("shard-{i}")))
        .collect();
    storesim()
        .arg("merge")
        .args(&parts)
        .arg("--out")
        .arg(tmp.path().join("all"))
        .assert()
        .success();
    let whole = tmp.path().join("whole");
    storesim()
        .args(["run", "--seeds", "7", "--out"])
        .arg(&whole)
        .arg(&smoke)
        .assert()
        .success();
    assert_eq!(results(&tmp.path().join("all")), results(&whole));
}
