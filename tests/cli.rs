//! End-to-end tests of the `storesim` command line.

use serde_json::Value;
use std::path::{Path, PathBuf};

mod common;
use common::{root, scenario, stdout, storesim};

fn results(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("results.json")).expect("results.json written");
    serde_json::from_str(&text).expect("results.json is JSON")
}

/// The per-seed records of a run folder (`seeds.jsonl`), in file order.
fn records(dir: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join("seeds.jsonl")).expect("seeds.jsonl written");
    (text.lines())
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

fn seeds_file(dir: &Path) -> Vec<u8> {
    std::fs::read(dir.join("seeds.jsonl")).expect("seeds.jsonl written")
}

#[test]
fn results_do_not_depend_on_the_number_of_jobs() {
    let tmp = tempfile::tempdir().unwrap();
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    let smoke = scenario("quorum-smoke.toml");
    for (jobs, out) in [("1", &one), ("2", &two)] {
        storesim()
            .args(["run", "--seeds", "12", "--jobs", jobs, "--out"])
            .arg(out)
            .arg(&smoke)
            .assert()
            .success();
    }
    assert_eq!(results(&one), results(&two));
    assert_eq!(
        seeds_file(&one),
        seeds_file(&two),
        "seeds.jsonl is byte-identical for --jobs 1 and 2"
    );
    let seeds = records(&one);
    let order: Vec<u64> = seeds.iter().map(|s| s["seed"].as_u64().unwrap()).collect();
    assert_eq!(
        order,
        (1..=12).collect::<Vec<_>>(),
        "one line per seed, in order"
    );
    assert_eq!(seeds[0]["checks"]["read-after-write"], "valid");
    assert_eq!(seeds[0]["history_hash"].as_str().unwrap().len(), 64);
    assert_eq!(results(&one)["digest"]["count"], 12);
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
    let hash = records(tmp.path())[0]["history_hash"]
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
    assert!(stdout.contains("  [after "), "and each message's fate");
    assert!(
        stdout.contains("  [dropped: link cut by partition [n0 n1] | [n2]]"),
        "including the fault that dropped it"
    );
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

/// A put acknowledged before a LIST that does not show it (a missing key).
const LIST_MISSING: &str = r#"{"process":0,"type":"invoke","f":"put","key":"b/k1","value":"a","time":1000}
{"process":0,"type":"ok","f":"put","key":"b/k1","value":"a","time":2000}
{"process":1,"type":"invoke","f":"list","key":"b/","value":null,"time":3000}
{"process":1,"type":"ok","f":"list","key":"b/","value":[],"time":4000}
"#;

#[test]
fn check_judges_s3_listings_and_says_n_a_without_them() {
    let tmp = tempfile::tempdir().unwrap();
    let (missing, plain) = (
        tmp.path().join("missing.jsonl"),
        tmp.path().join("plain.jsonl"),
    );
    std::fs::write(&missing, LIST_MISSING).unwrap();
    std::fs::write(&plain, FRESH).unwrap();
    let assert = storesim()
        .args(["check", "--checks", "list-after-write"])
        .arg(&missing)
        .assert()
        .code(1);
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(
        out.contains("list-after-write invalid") && out.contains("did not list b/k1"),
        "{out}"
    );
    let assert = storesim().arg("check").arg(&plain).assert().success();
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    for check in ["list-after-write", "atomic-object", "versions"] {
        assert!(out.contains(&format!("{check} n/a")), "{out}");
    }
}

/// A store that answered 412 to a create and applied it anyway: p1's create
/// of b was refused (`"error":"precondition-failed"`, not applied), yet p2
/// reads b.
const APPLIED_412: &str = r#"{"process":0,"type":"invoke","f":"cas","key":"k1","value":{"from":null,"to":"a"},"time":1000}
{"process":0,"type":"ok","f":"cas","key":"k1","value":{"from":null,"to":"a"},"time":2000}
{"process":1,"type":"invoke","f":"cas","key":"k1","value":{"from":null,"to":"b"},"time":3000}
{"process":1,"type":"fail","f":"cas","key":"k1","value":{"from":null,"to":"b"},"time":4000,"error":"precondition-failed"}
{"process":2,"type":"invoke","f":"get","key":"k1","value":null,"time":5000}
{"process":2,"type":"ok","f":"get","key":"k1","value":"b","time":6000}
"#;

/// Two creates of k1 both acknowledged, with no delete between them.
const TWO_CREATES: &str = r#"{"process":0,"type":"invoke","f":"cas","key":"k1","value":{"from":null,"to":"a"},"time":1000}
{"process":1,"type":"invoke","f":"cas","key":"k1","value":{"from":null,"to":"b"},"time":1500}
{"process":0,"type":"ok","f":"cas","key":"k1","value":{"from":null,"to":"a"},"time":2000}
{"process":1,"type":"ok","f":"cas","key":"k1","value":{"from":null,"to":"b"},"time":2500}
"#;

/// A 412 means not applied: a store whose refused write shows up anyway is
/// caught by `linearizable` and `read-after-write`, which name the refusal;
/// and two creates that both succeeded are said in S3's words.
#[test]
fn check_holds_a_412_to_not_applied_and_names_two_creates() {
    let tmp = tempfile::tempdir().unwrap();
    let (applied, creates) = (tmp.path().join("412.jsonl"), tmp.path().join("two.jsonl"));
    std::fs::write(&applied, APPLIED_412).unwrap();
    std::fs::write(&creates, TWO_CREATES).unwrap();
    let assert = storesim()
        .args(["check", "--checks", "linearizable,read-after-write"])
        .arg(&applied)
        .assert()
        .code(1);
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(
        out.contains("linearizable invalid") && out.contains("read-after-write invalid"),
        "{out}"
    );
    assert!(out.contains("(fail: 412 precondition-failed)"), "{out}");
    let assert = storesim()
        .args(["check", "--checks", "linearizable"])
        .arg(&creates)
        .assert()
        .code(1);
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(out.contains("two creates both succeeded on k1"), "{out}");
}

/// A get of a's body with b's ETag (torn), then a lost version.
const TORN_AND_LOST: &str = r#"{"process":0,"type":"invoke","f":"put","key":"b/k1","value":"a","time":1000,"etag":"ea"}
{"process":0,"type":"ok","f":"put","key":"b/k1","value":"a","time":2000,"version_id":"v1"}
{"process":0,"type":"invoke","f":"put","key":"b/k1","value":"b","time":3000,"etag":"eb"}
{"process":0,"type":"ok","f":"put","key":"b/k1","value":"b","time":4000,"version_id":"v2"}
{"process":1,"type":"invoke","f":"get","key":"b/k1","value":null,"time":5000,"version_id":"v1"}
{"process":1,"type":"ok","f":"get","key":"b/k1","value":"a","time":6000,"version_id":"v1","etag":"eb"}
{"process":1,"type":"invoke","f":"list-versions","key":"b/","value":null,"time":7000}
{"process":1,"type":"ok","f":"list-versions","key":"b/","value":[{"key":"b/k1","version_id":"v2","current":true}],"time":8000}
"#;

#[test]
fn check_finds_torn_objects_and_lost_versions() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("torn.jsonl");
    std::fs::write(&file, TORN_AND_LOST).unwrap();
    let assert = storesim()
        .args(["check", "--checks", "atomic-object,versions"])
        .arg(&file)
        .assert()
        .code(1);
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(
        out.contains("atomic-object invalid") && out.contains("a torn object"),
        "{out}"
    );
    assert!(
        out.contains("versions invalid") && out.contains("did not list version v1 of b/k1"),
        "{out}"
    );
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
    assert_eq!(records(&dir("a")).len(), 3, "seeds 1,3,5");
    assert_eq!(records(&dir("b")).len(), 2, "seeds 2,4");
    let merge = storesim()
        .arg("merge")
        .arg(dir("b"))
        .arg(dir("a"))
        .arg("--out")
        .arg(dir("merged"))
        .assert()
        .success();
    // Issue 11, defect 13: merge names its report like run does.
    let stdout = String::from_utf8(merge.get_output().stdout.clone()).unwrap();
    let line = format!("report: {}", dir("merged").join("report.html").display());
    assert!(stdout.lines().any(|l| l == line), "{stdout}");
    let (whole, merged) = (results(&dir("whole")), results(&dir("merged")));
    assert_eq!(
        whole, merged,
        "merging shards gives the results of a single run"
    );
    let bytes = |d: &str, name: &str| std::fs::read(dir(d).join(name)).unwrap();
    for name in ["results.json", "seeds.jsonl", "report.md"] {
        assert!(
            bytes("whole", name) == bytes("merged", name),
            "{name} is byte-identical to a single run's"
        );
    }

    storesim()
        .arg("run")
        .args(["--shard", "3/2"])
        .arg(&smoke)
        .assert()
        .code(2);
    let overlap = storesim()
        .arg("merge")
        .arg(dir("whole"))
        .arg(dir("a"))
        .arg("--out")
        .arg(dir("m3"))
        .assert();
    let err = String::from_utf8(overlap.code(2).get_output().stderr.clone()).unwrap();
    assert!(err.contains("two run folders"), "{err}");
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
    let seeds: Vec<u64> = (records(&out).iter())
        .map(|s| s["seed"].as_u64().unwrap())
        .collect();
    assert_eq!(seeds, vec![3, 40], "the saved seed runs too");
    run(&["--seed", "40", "--no-regressions"]);
    assert_eq!(records(&out).len(), 1);
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
    for name in ["results.json", "seeds.jsonl", "report.md"] {
        let read = |d: &Path| std::fs::read(d.join(name)).unwrap();
        assert!(read(&tmp.path().join("all")) == read(&whole), "{name}");
    }
}

#[test]
fn a_run_folder_holds_the_scenario_results_histories_and_a_report_that_rerenders_identically() {
    let tmp = tempfile::tempdir().unwrap();
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    let eventual = scenario("eventual-partition.toml");
    for (jobs, out) in [("1", &one), ("2", &two)] {
        storesim()
            .args(["run", "--seeds", "3", "--jobs", jobs, "--out"])
            .arg(out)
            .arg(&eventual)
            .assert()
            .success();
    }
    let read = |dir: &Path, name: &str| {
        std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    // The resolved scenario runs by itself and reproduces the run.
    let resolved = read(&one, "scenario.toml");
    assert!(
        resolved.contains("think = "),
        "defaults are written out:\n{resolved}"
    );
    let seed = &records(&one)[0];
    let replay = storesim()
        .args(["replay", "--seed", &seed["seed"].to_string(), "--out"])
        .arg(one.join("again"))
        .arg(one.join("scenario.toml"))
        .assert();
    let stdout = String::from_utf8(replay.get_output().stdout.clone()).unwrap();
    assert!(
        stdout.contains(seed["history_hash"].as_str().unwrap()),
        "{stdout}"
    );
    let plots = [
        "verdicts.svg",
        "latency.svg",
        "visibility.svg",
        "versions-behind.svg",
        "timeline.svg",
        "timeline-zoom.svg",
    ];
    for name in ["report.md", "report.html"].iter().chain(&plots) {
        assert_eq!(
            read(&one, name),
            read(&two, name),
            "{name} depends on --jobs"
        );
    }
    // The first failing seed is kept with its run.json, for the timeline.
    let info: Value = serde_json::from_str(&read(&one, "seeds/1/run.json")).unwrap();
    assert_eq!(info["faults"][0]["what"], "partition [n0 n1] | [n2]");
    assert_eq!(info["clocks"].as_array().unwrap().len(), 3);
    let r = results(&one);
    assert_eq!(r["summary"]["protocol"], "eventual");
    let metrics = &records(&one)[0]["metrics"];
    assert!(metrics["latency"]["get"]["p99_ns"].as_u64().unwrap() > 0);
    assert!(metrics["staleness"]["stale_reads"].as_u64().unwrap() > 0);
    assert!(metrics["anomalies"]["read-after-write"].as_u64().unwrap() > 0);
    let md = read(&one, "report.md");
    assert!(
        md.contains("## First failing seed: 1 (read-after-write)"),
        "{md}"
    );

    let before: Vec<String> = plots.iter().map(|p| read(&one, p)).collect();
    for p in plots.iter().chain(&["report.md", "report.html"]) {
        std::fs::remove_file(one.join(p)).unwrap();
    }
    storesim().arg("report").arg(&one).assert().success();
    let after: Vec<String> = plots.iter().map(|p| read(&one, p)).collect();
    assert_eq!(before, after, "report re-renders the same plots");
    assert_eq!(read(&one, "report.md"), md);
}

#[test]
fn keep_histories_keeps_every_seed() {
    let tmp = tempfile::tempdir().unwrap();
    storesim()
        .args(["run", "--seeds", "3", "--keep-histories", "--out"])
        .arg(tmp.path())
        .arg(scenario("quorum-smoke.toml"))
        .assert()
        .success();
    for seed in 1..=3 {
        let dir = tmp.path().join("seeds").join(seed.to_string());
        assert!(dir.join("history.jsonl").exists() && dir.join("run.json").exists());
    }
    let md = std::fs::read_to_string(tmp.path().join("report.md")).unwrap();
    assert!(md.contains("No seed had an invalid verdict."), "{md}");
}

#[test]
fn sweep_runs_every_point_into_its_own_folder_and_compares_them() {
    let tmp = tempfile::tempdir().unwrap();
    let assert = storesim()
        .args([
            "sweep",
            "--set",
            "cluster.read_quorum=1,2",
            "--set",
            "workload.ops=20,40",
        ])
        .args(["--seeds", "2", "--jobs", "2", "--out"])
        .arg(tmp.path())
        .arg(scenario("quorum-smoke.toml"))
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(
        stdout.contains("cluster.read_quorum=2,workload.ops=40: 2 seeds"),
        "{stdout}"
    );
    for point in [
        "cluster.read_quorum=1,workload.ops=20",
        "cluster.read_quorum=2,workload.ops=40",
    ] {
        let dir = tmp.path().join(point);
        assert_eq!(records(&dir).len(), 2, "{point}");
        assert!(dir.join("report.html").exists());
    }
    let point = tmp.path().join("cluster.read_quorum=1,workload.ops=20");
    let text = std::fs::read_to_string(point.join("scenario.toml")).unwrap();
    assert!(
        text.contains("read_quorum = 1") && text.contains("ops = 20"),
        "{text}"
    );
    let md = std::fs::read_to_string(tmp.path().join("sweep.md")).unwrap();
    assert!(md.contains("| 2, 40 "), "{md}");
    for svg in ["sweep-violations.svg", "sweep-staleness.svg"] {
        assert!(tmp.path().join(svg).exists(), "{svg}");
    }
}

#[test]
fn sweep_rejects_a_bad_path_or_value_with_exit_2_before_running() {
    let tmp = tempfile::tempdir().unwrap();
    let smoke = scenario("quorum-smoke.toml");
    for (set, wanted) in [
        ("cluster.read_quorm=1", "read_quorm"),
        ("cluster.read_quorum=2ms", "not a TOML value"),
        ("cluster.read_quorum=9", "cluster.read_quorum=9"),
        ("cluster.read_quorum", "PATH=V1,V2"),
    ] {
        let assert = storesim()
            .args(["sweep", "--set", set, "--out"])
            .arg(tmp.path().join("out"))
            .arg(&smoke)
            .assert()
            .code(2);
        let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
        assert!(stderr.contains(wanted), "{set}: {stderr}");
    }
    assert!(!tmp.path().join("out").exists(), "nothing ran");
}

#[test]
fn shrink_reduces_known_anomalies_to_a_dozen_operations_that_still_fail() {
    for (name, check) in [
        ("eventual-partition.toml", "read-after-write"),
        ("quorum-clock-skew.toml", "read-after-write"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("shrunk.toml");
        let assert = storesim()
            .args(["shrink", "--seed", "1", "--check", check, "--out"])
            .arg(&out)
            .arg(scenario(name))
            .assert()
            .success();
        let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
        let last = stdout
            .lines()
            .find(|l| l.starts_with("after "))
            .unwrap_or_else(|| panic!("{stdout}"));
        let ops: u64 = last
            .split(": ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .unwrap()
            .parse()
            .unwrap();
        assert!(ops <= 12, "{name}: shrunk to {ops} operations\n{stdout}");
        let seed = stdout.rsplit("--seed ").next().unwrap().trim();
        let replay = storesim()
            .args(["replay", "--seed", seed, "--out"])
            .arg(tmp.path().join("r"))
            .arg(&out)
            .assert();
        let replayed = String::from_utf8(replay.get_output().stdout.clone()).unwrap();
        assert!(
            replayed.contains(&format!("{check}: invalid")),
            "{name}: the shrunk scenario still fails\n{replayed}"
        );
    }
}

#[test]
fn the_digest_counts_exactly_what_seeds_jsonl_holds() {
    let tmp = tempfile::tempdir().unwrap();
    let assert = storesim()
        .args(["run", "--seeds", "8", "--jobs", "2", "--out"])
        .arg(tmp.path())
        .arg(scenario("eventual-partition.toml"))
        .assert();
    assert!(assert.get_output().status.code().unwrap() <= 1);
    let seeds = records(tmp.path());
    let mut checks = serde_json::Map::new();
    let mut failing = 0;
    for s in &seeds {
        let verdicts = s["checks"].as_object().unwrap();
        failing += u64::from(verdicts.values().any(|v| v == "invalid"));
        for (check, verdict) in verdicts {
            let counts = checks.entry(check.clone()).or_insert_with(|| {
                serde_json::json!({"invalid": 0, "unknown": 0, "valid": 0, "n/a": 0,
                                   "first_invalid": [], "first_unknown": []})
            });
            let verdict = verdict.as_str().unwrap();
            counts[verdict] = (counts[verdict].as_u64().unwrap() + 1).into();
            if let Some(list) = counts.get_mut(format!("first_{verdict}")) {
                list.as_array_mut().unwrap().push(s["seed"].clone());
            }
        }
    }
    let digest = &results(tmp.path())["digest"];
    assert_eq!(digest["count"], seeds.len());
    assert_eq!(digest["lowest"], seeds[0]["seed"]);
    assert_eq!(digest["highest"], seeds[seeds.len() - 1]["seed"]);
    assert_eq!(digest["failing"], failing);
    assert!(failing > 0, "eventual-partition fails on some of 8 seeds");
    assert_eq!(digest["checks"], Value::Object(checks));
}

#[test]
fn shards_with_failing_seeds_merge_into_the_folder_of_one_run() {
    let tmp = tempfile::tempdir().unwrap();
    let eventual = scenario("eventual-partition.toml");
    let run = |extra: &[&str], out: &Path| {
        let assert = storesim()
            .args(["run", "--seeds", "6", "--jobs", "2"])
            .args(extra)
            .arg("--out")
            .arg(out)
            .arg(&eventual)
            .assert();
        assert!(assert.get_output().status.code().unwrap() <= 1);
    };
    let whole = tmp.path().join("whole");
    run(&[], &whole);
    let parts: Vec<PathBuf> = (1..=3)
        .map(|k| {
            let dir = tmp.path().join(format!("part-{k}"));
            run(&["--shard", &format!("{k}/3")], &dir);
            dir
        })
        .collect();
    let merged = tmp.path().join("merged");
    let assert = storesim()
        .arg("merge")
        .args(parts.iter().rev())
        .arg("--out")
        .arg(&merged)
        .assert();
    assert!(assert.get_output().status.code().unwrap() <= 1);
    let first = results(&whole)["digest"]["checks"]["read-after-write"]["first_invalid"][0]
        .as_u64()
        .expect("eventual-partition has stale reads on some of 6 seeds");
    let kept = Path::new("seeds")
        .join(first.to_string())
        .join("history.jsonl");
    for name in [
        Path::new("results.json"),
        Path::new("seeds.jsonl"),
        Path::new("report.md"),
        Path::new("timeline.svg"),
        &kept,
    ] {
        let read = |d: &Path| std::fs::read(d.join(name)).unwrap();
        assert!(read(&merged) == read(&whole), "{}", name.display());
    }
}

/// `quorum-smoke.toml` with `edits` applied (each `from` must be in it) and
/// `extra` appended, written to `dir/name.toml`.
fn smoke_variant(dir: &Path, name: &str, edits: &[(&str, &str)], extra: &str) -> PathBuf {
    let mut text = std::fs::read_to_string(scenario("quorum-smoke.toml")).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "quorum-smoke.toml lost {from:?}");
        text = text.replacen(from, to, 1);
    }
    text.push_str(extra);
    let file = dir.join(format!("{name}.toml"));
    std::fs::write(&file, text).unwrap();
    file
}

/// Issue 11, defect 2: quorum-clock-skew's report said 1474 reads measured,
/// 986 fresh + 490 stale. A read is fresh or stale, never both: the totals
/// add up in results.json, in every seed's record and in report.md.
#[test]
fn fresh_and_stale_reads_add_up_to_the_reads_measured() {
    let tmp = tempfile::tempdir().unwrap();
    storesim()
        .args(["run", "--seeds", "3", "--out"])
        .arg(tmp.path())
        .arg(scenario("quorum-clock-skew.toml"))
        .output()
        .unwrap();
    let adds_up = |s: &Value| {
        let n = |k: &str| s[k].as_u64().unwrap();
        assert_eq!(n("fresh_reads") + n("stale_reads"), n("reads"), "{s}");
        n("reads")
    };
    let total = adds_up(&results(tmp.path())["totals"]["staleness"]);
    assert!(total > 1000, "{total} reads");
    for record in records(tmp.path()) {
        adds_up(&record["metrics"]["staleness"]);
    }
    let md = std::fs::read_to_string(tmp.path().join("report.md")).unwrap();
    let cell = |label: &str| -> u64 {
        let line = md.lines().find(|l| l.contains(label)).unwrap();
        let value = line.split('|').nth(2).unwrap().trim();
        value.split(' ').next().unwrap().parse().unwrap()
    };
    assert_eq!(
        cell("fresh (") + cell("stale ("),
        cell("reads measured"),
        "{md}"
    );
}

/// Issue 11, defect 4: an abd cluster with unsafe cas, claimed linearizable,
/// fails on most of 40 seeds. That is one broken expectation: one line with
/// how many seeds broke it and the lowest few, one replay command, and one
/// red headline in report.html, not one per seed.
#[test]
fn a_breach_on_many_seeds_is_one_line_with_a_count_and_one_replay_command() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(scenario("abd-partition.toml")).unwrap();
    let text = text
        .replace(
            "mix = { get = 0.5, put = 0.4, delete = 0.1 }",
            "mix = { get = 0.4, put = 0.3, delete = 0.1, cas = 0.2 }",
        )
        .replace("[cluster]\n", "[cluster]\nallow_unsafe_cas = true\n");
    let file = tmp.path().join("abd-unsafe-cas.toml");
    std::fs::write(&file, text).unwrap();
    let out = tmp.path().join("run");
    let assert = storesim()
        .args(["run", "--seeds", "40", "--out"])
        .arg(&out)
        .arg(&file)
        .assert()
        .code(1);
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let lin: Vec<&str> = (stdout.lines())
        .filter(|l| l.trim().starts_with("linearizable: expected pass"))
        .collect();
    assert_eq!(lin.len(), 1, "{stdout}");
    let failing = results(&out)["digest"]["checks"]["linearizable"]["invalid"]
        .as_u64()
        .unwrap();
    assert!(failing > 1, "unsafe cas fails on many seeds: {stdout}");
    assert!(
        lin[0].contains(&format!("invalid on {failing} of 40 seed(s) (lowest: ")),
        "{stdout}"
    );
    let broken: usize = (stdout.lines())
        .find_map(|l| l.strip_suffix(" expectation(s) broken:"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{stdout}"));
    let replays = stdout
        .lines()
        .filter(|l| l.trim().starts_with("replay: "))
        .count();
    assert!(broken <= 9 && replays == broken, "{stdout}");
    let breaches = results(&out)["breaches"].as_array().unwrap().len();
    assert_eq!(breaches, broken);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_eq!(
        html.matches("<p class=\"broken\">").count(),
        broken,
        "{html}"
    );
}

/// A scenario of eventual-partition's cluster with staleness probes only.
fn probes_alone(dir: &Path, clients: &str, probes: bool) -> PathBuf {
    let text = std::fs::read_to_string(scenario("eventual-partition.toml")).unwrap();
    let mut text = text.replace("\nclients = 4", &format!("\nclients = {clients}"));
    assert!(text.contains(&format!("\nclients = {clients}")));
    if probes {
        text.push_str(
            "\n[workload.probes]\nclients = 2\ntrials = 40\ndelays = [\"0ms\", \"1ms\", \"20ms\"]\n",
        );
    }
    let file = dir.join(format!("probes-{clients}-{probes}.toml"));
    std::fs::write(&file, text).unwrap();
    file
}

/// Defect 6 of issue 11: `think = "1440m"` ended in madsim's "time limit
/// exceeded" panic. No scenario that validates may panic: clients never sleep
/// past the faulty phase, and the time limit covers everything a run waits
/// for (here: the longest durations there are, and a probe whose 32 reads
/// each wait out a day-long client timeout after the phase).
#[test]
fn scenarios_at_the_time_limits_run_to_completion() {
    let tmp = tempfile::tempdir().unwrap();
    let think = (
        "mix = { get = 0.5, put = 0.4, delete = 0.1 }",
        "mix = { get = 0.5, put = 0.4, delete = 0.1 }\nthink = \"1440m\"",
    );
    let day = [
        think,
        ("duration = \"2s\"", "duration = \"24h\""),
        ("quiesce = \"1s\"", "quiesce = \"24h\""),
        (
            "protocol = \"quorum\"",
            "protocol = \"quorum\"\nanti_entropy = \"1h\"\nclient_timeout = \"24h\"\nreplica_timeout = \"24h\"",
        ),
        ("read-after-write = \"pass\"", "read-after-write = \"any\""),
        ("convergence = \"pass\"", "convergence = \"any\""),
    ];
    let day_faults = "\n[clocks]\nskew = \"24h\"\n\n[[faults]]\nkind = \"crash\"\nnode = 0\nat = \"23h\"\nduration = \"24h\"\n\n[[faults]]\nkind = \"clock-jump\"\nnode = 1\nat = \"1h\"\nby = \"-24h\"\n";
    let links: String = [(0, 1), (0, 2), (1, 2)]
        .iter()
        .map(|(a, b)| {
            format!("\n[[network.links]]\nfrom = {a}\nto = {b}\nboth = true\nloss = 1.0\n")
        })
        .collect();
    let delays = vec!["\"10s\""; 32].join(", ");
    let probes =
        format!("{links}\n[workload.probes]\nclients = 1\ntrials = 5\ndelays = [{delays}]\n");
    let cases = [
        ("think", smoke_variant(tmp.path(), "think", &[think], "")),
        (
            "a-day",
            smoke_variant(tmp.path(), "a-day", &day, day_faults),
        ),
        (
            "probe-tail",
            smoke_variant(
                tmp.path(),
                "probe-tail",
                &[
                    ("write_quorum = 2", "write_quorum = 1"),
                    (
                        "protocol = \"quorum\"",
                        "protocol = \"quorum\"\nanti_entropy = \"off\"\nclient_timeout = \"24h\"\nreplica_timeout = \"24h\"",
                    ),
                    ("read-after-write = \"pass\"", "read-after-write = \"any\""),
                    ("convergence = \"pass\"", "convergence = \"any\""),
                ],
                &probes,
            ),
        ),
    ];
    for (case, file) in cases {
        let assert = storesim()
            .args(["run", "--seeds", "2", "--out"])
            .arg(tmp.path().join(format!("out-{case}")))
            .arg(&file)
            .assert();
        let output = assert.get_output();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{case}: {stderr}");
        assert_eq!(output.status.code(), Some(0), "{case}: {stderr}");
    }
}

/// Defect 1 of issue 11 (and issue 12's comments): shrink's output is a
/// scenario of its own. Running it must not touch the original's run folder,
/// must meet its own `[expect]` (the shrunk check fails, the rest is not
/// judged), and the file reads well: a new name and description, durations in
/// readable units, and the original's comments.
#[test]
fn a_shrunk_scenario_runs_into_its_own_folder_and_meets_its_own_expectations() {
    let tmp = tempfile::tempdir().unwrap();
    let original = scenario("eventual-partition.toml");
    let run = |file: &Path| {
        storesim()
            .current_dir(tmp.path())
            .args(["run", "--seeds", "2"])
            .arg(file)
            .assert()
    };
    assert!(run(&original).get_output().status.code().unwrap() <= 1);
    let original_dir = tmp
        .path()
        .join("runs/eventual-consistency-under-a-partition");
    let before = std::fs::read(original_dir.join("results.json")).unwrap();

    let out = tmp.path().join("shrunk.toml");
    storesim()
        .args([
            "shrink",
            "--seed",
            "1",
            "--check",
            "read-after-write",
            "--out",
        ])
        .arg(&out)
        .arg(&original)
        .assert()
        .success();
    let text = std::fs::read_to_string(&out).unwrap();
    let assert = run(&out);
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert_eq!(
        assert.get_output().status.code(),
        Some(0),
        "{stdout}\n{text}"
    );

    assert_eq!(
        std::fs::read(original_dir.join("results.json")).unwrap(),
        before,
        "the original's run folder is untouched"
    );
    let folders: Vec<String> = std::fs::read_dir(tmp.path().join("runs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(folders.len(), 2, "{folders:?}");
    assert!(stdout.contains("every expectation holds"), "{stdout}");

    let plain: toml::Table = toml::from_str(&text).unwrap();
    let name = plain["name"].as_str().unwrap();
    assert!(name.contains("(shrunk: read-after-write, seed "), "{name}");
    let description = plain["description"].as_str().unwrap();
    for says in [
        "Shrunk by",
        "eventual-partition.toml",
        "read-after-write is invalid on seed",
        "What remains:",
        "no faults",
    ] {
        assert!(description.contains(says), "{says:?} not in {description}");
    }
    let expect = plain["expect"].as_table().unwrap();
    assert_eq!(expect["read-after-write"].as_str(), Some("fail"));
    assert_eq!(
        expect.len(),
        check::CheckName::ALL.len(),
        "every check named: {expect:?}"
    );
    assert!(
        expect
            .iter()
            .filter(|(k, _)| *k != "read-after-write")
            .all(|(_, v)| v.as_str() == Some("any"))
    );
    let duration = plain["duration"].as_str().unwrap();
    let digits = duration.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    assert!(
        ["1", "2", "5"].iter().any(|d| digits.starts_with(d))
            && digits[1..].chars().all(|c| c == '0')
            && !duration.ends_with("ns"),
        "a readable duration: {duration}"
    );
    assert!(!text.contains("ns\""), "no nanosecond durations:\n{text}");
    assert!(
        text.contains("# W = 1: acknowledged as soon as one replica has it"),
        "the original's comments survive:\n{text}"
    );
}

/// Issue 11, "probes alone": `clients = 0` runs only the staleness probes,
/// and P(fresh) per probe delay, with a 95 % interval, is a table in
/// results.json and in both reports. Without probes, `clients = 0` is
/// refused, naming the file and line.
#[test]
fn probes_run_alone_and_report_p_fresh_per_delay() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let file = probes_alone(tmp.path(), "0", true);
    let assert = storesim()
        .args(["run", "--seeds", "2", "--out"])
        .arg(&out)
        .arg(&file)
        .assert();
    let code = assert.get_output().status.code();
    assert!(matches!(code, Some(0 | 1)), "{:?}", assert.get_output());
    let probes = results(&out)["totals"]["probes"].clone();
    let delays: Vec<&String> = probes.as_object().unwrap().keys().collect();
    assert_eq!(delays, ["0", "1000000", "20000000"], "{probes}");
    for (delay, cell) in probes.as_object().unwrap() {
        let n = |k: &str| cell[k].as_f64().unwrap();
        assert!(
            n("reads") > 0.0 && n("fresh") <= n("reads"),
            "{delay}: {cell}"
        );
        assert!(
            n("low95") <= n("p_fresh") && n("p_fresh") <= n("high95"),
            "{cell}"
        );
        assert_eq!(n("p_fresh"), n("fresh") / n("reads"));
    }
    for report in ["report.md", "report.html"] {
        let text = std::fs::read_to_string(out.join(report)).unwrap();
        assert!(
            text.contains("P(fresh)") && text.contains("95 % interval"),
            "{report}"
        );
    }
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("| 20.000 ms "), "{md}");

    let refused = storesim()
        .args(["run", "--out"])
        .arg(tmp.path().join("none"))
        .arg(probes_alone(tmp.path(), "0", false))
        .assert()
        .code(2);
    let err = String::from_utf8(refused.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("probes-0-false.toml:") && err.contains("only with staleness probes"),
        "{err}"
    );
}

/// Issue 11, "availability and time": ok / fail / info per operation kind
/// in results.json and the report, adding up to the seeds' own counts, and
/// operations over simulated time in bounded buckets with the partition's
/// window marked, plotted as throughput, latency and availability.
#[test]
fn outcomes_per_kind_and_operations_over_time_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    storesim()
        .args(["run", "--seeds", "3", "--out"])
        .arg(tmp.path())
        .arg(scenario("eventual-partition.toml"))
        .assert()
        .success();
    let totals = results(tmp.path())["totals"].clone();
    let sum = |what: &str| -> u64 {
        (totals["outcomes"].as_object().unwrap().values())
            .map(|o| o[what].as_u64().unwrap())
            .sum()
    };
    let seeds = records(tmp.path());
    let over_seeds = |what: &str| -> u64 { seeds.iter().map(|s| s[what].as_u64().unwrap()).sum() };
    assert_eq!(sum("ok"), over_seeds("ok"));
    assert_eq!(sum("fail"), over_seeds("fail"));
    assert_eq!(sum("ok") + sum("fail") + sum("info"), over_seeds("ops"));
    assert!(totals["outcomes"]["get"]["ok"].as_u64().unwrap() > 0);
    let activity = &totals["activity"];
    assert_eq!(activity["seeds"], 3);
    let buckets = activity["buckets"].as_object().unwrap();
    assert!(
        buckets.len() <= 400 && buckets.len() > 10,
        "{}",
        buckets.len()
    );
    let invoked: u64 = (buckets.values())
        .map(|b| {
            ["ok", "fail", "info"]
                .iter()
                .map(|k| b["outcomes"][*k].as_u64().unwrap())
                .sum::<u64>()
        })
        .sum();
    assert_eq!(invoked, over_seeds("ops"));
    assert!(
        buckets.values().any(|b| b["faulted"] == 3),
        "the partition is marked"
    );
    assert!(
        seeds[0]["metrics"].get("activity").is_none(),
        "per seed: slim"
    );
    let md = std::fs::read_to_string(tmp.path().join("report.md")).unwrap();
    assert!(
        md.contains("## Availability") && md.contains("| get "),
        "{md}"
    );
    for svg in ["throughput.svg", "latency-time.svg", "availability.svg"] {
        let text = std::fs::read_to_string(tmp.path().join(svg)).unwrap();
        assert!(text.contains("#FFD8A8"), "{svg}: fault windows shaded");
    }
}

/// Issue 11, sweep pages: each point's run folder is linked, the fixed
/// parameters are listed, the cost side (latency, availability) is plotted,
/// rates carry Wilson intervals; and (defect 9) a point's replay commands
/// name its own resolved scenario.toml, which reproduces its seeds.
#[test]
fn sweep_pages_link_points_list_fixed_parameters_and_replay_each_point() {
    let tmp = tempfile::tempdir().unwrap();
    storesim()
        .args(["sweep", "--set", "cluster.read_quorum=1,2"])
        .args(["--seeds", "2", "--out"])
        .arg(tmp.path())
        .arg(scenario("quorum-smoke.toml"))
        .assert()
        .success();
    let html = std::fs::read_to_string(tmp.path().join("sweep.html")).unwrap();
    assert!(
        html.contains("<a href=\"cluster.read_quorum=1/report.html\">cluster.read_quorum=1/</a>"),
        "{html}"
    );
    let md = std::fs::read_to_string(tmp.path().join("sweep.md")).unwrap();
    assert!(
        md.contains("[cluster.read_quorum=2/](cluster.read_quorum=2/report.md)"),
        "{md}"
    );
    assert!(md.contains("## Fixed parameters"), "{md}");
    assert!(
        md.contains("| protocol ") && md.contains("| quorum "),
        "{md}"
    );
    assert!(
        !md.contains("| R (read quorum) "),
        "R is swept, not fixed:\n{md}"
    );
    assert!(
        md.contains("stale reads (95 % interval)") && md.contains("ok (95 % interval)"),
        "{md}"
    );
    assert!(tmp.path().join("sweep-cost.svg").exists());

    let point = tmp.path().join("cluster.read_quorum=1");
    let own = point.join("scenario.toml");
    assert_eq!(
        results(&point)["scenario_file"].as_str().unwrap(),
        own.display().to_string(),
        "replay commands name the point's own scenario"
    );
    let seed = &records(&point)[1];
    let replay = storesim()
        .args(["replay", "--seed", &seed["seed"].to_string(), "--out"])
        .arg(tmp.path().join("replayed"))
        .arg(&own)
        .assert()
        .success();
    let stdout = String::from_utf8(replay.get_output().stdout.clone()).unwrap();
    assert!(
        stdout.contains(seed["history_hash"].as_str().unwrap()),
        "{stdout}"
    );
}

/// results.json gained outcomes and activity: a folder from before them is
/// refused by merge with a sentence saying why, not merged into totals that
/// silently miss its operations.
#[test]
fn merge_refuses_a_folder_written_before_outcomes_were_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let old = tmp.path().join("old");
    storesim()
        .args(["run", "--seeds", "2", "--out"])
        .arg(&old)
        .arg(scenario("quorum-smoke.toml"))
        .assert()
        .success();
    let mut r = results(&old);
    let totals = r["totals"].as_object_mut().unwrap();
    totals.remove("outcomes");
    totals.remove("activity");
    std::fs::write(old.join("results.json"), r.to_string()).unwrap();
    let refused = storesim()
        .arg("merge")
        .arg(&old)
        .arg("--out")
        .arg(tmp.path().join("merged"))
        .assert()
        .code(2);
    let err = String::from_utf8(refused.get_output().stderr.clone()).unwrap();
    assert!(err.contains("written by an older storesim"), "{err}");
}

/// Issue 11 defect 3: under clock skew alone (no faults, sync before ack) a
/// write lost to last-write-wins order is lost-update's finding, never
/// durability's; a crash that loses acknowledged unsynced writes still is.
#[test]
fn durability_blames_only_lost_data_not_clock_skew() {
    for (name, seed, durability, lost_update) in [
        ("quorum-clock-skew.toml", "8", "valid", "invalid"),
        ("ack-before-sync.toml", "10", "invalid", "invalid"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let assert = storesim()
            .args(["replay", "--seed", seed, "--out"])
            .arg(tmp.path())
            .arg(scenario(name))
            .assert();
        let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
        assert!(
            stdout.contains(&format!("durability: {durability}")),
            "{name} seed {seed}:\n{stdout}"
        );
        assert!(
            stdout.contains(&format!("lost-update: {lost_update}")),
            "{name} seed {seed}:\n{stdout}"
        );
    }
}

/// Issue 11: a counterexample per failing check, not only for those failing
/// on the first failing seed. ack-before-sync fails read-after-write from
/// seed 1 but loses acknowledged data (durability) first on seed 10: the
/// run keeps seed 10's history and the report explains the loss from it;
/// `storesim report` gives the same files again.
#[test]
fn the_report_explains_each_failing_check_on_its_own_lowest_seed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    storesim()
        .args(["run", "--seeds", "12", "--out"])
        .arg(&dir)
        .arg(scenario("ack-before-sync.toml"))
        .assert()
        .success();
    assert!(dir.join("seeds/1/history.jsonl").exists());
    assert!(dir.join("seeds/10/history.jsonl").exists());
    assert!(
        !dir.join("seeds/2/history.jsonl").exists(),
        "only the lowest invalid seed of each check is kept"
    );
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(
        md.contains("## First failing seed: 1 (read-after-write)")
            && md.contains("### durability (first invalid on seed 10)")
            && md.contains("--seed 10`"),
        "{md}"
    );
    assert!(dir.join("timeline-durability.svg").exists());
    storesim().arg("report").arg(&dir).assert().success();
    assert_eq!(std::fs::read_to_string(dir.join("report.md")).unwrap(), md);
}

/// Issue 11 defect 13: a build that loses `--cfg madsim` (cargo run from
/// another folder with `--manifest-path`, which skips the repository's
/// .cargo/config.toml) stops at once, saying why, instead of after every
/// dependency with unresolved imports.
#[test]
fn a_build_without_cfg_madsim_stops_at_once_saying_why() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let out = std::process::Command::new(env!("CARGO"))
        .current_dir(tmp.path())
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .args(["build", "--release", "--offline", "--manifest-path"])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(tmp.path().join("target"))
        .output()
        .expect("cargo runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("must be built with `--cfg madsim`"),
        "the reason is given:\n{err}"
    );
    let compiled = err.lines().filter(|l| l.contains("Compiling ")).count();
    assert!(compiled <= 1, "only sim's build script compiled:\n{err}");
}

/// The `after N candidate runs (...): OPS ops, ...` line of a shrink's output:
/// the operations the shrunk scenario invokes.
fn shrunk_ops(stdout: &str) -> u64 {
    let last = (stdout.lines())
        .find(|l| l.starts_with("after "))
        .unwrap_or_else(|| panic!("{stdout}"));
    let ops = last.split("): ").nth(1).and_then(|s| s.split(' ').next());
    ops.and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{last}"))
}

/// Issue 13, item 4: a failure under a random nemesis shrinks to explicit
/// `[[faults]]` (the seed's plan written out replays the same history, then
/// faults are removed, shortened and moved one by one) and to at most a
/// dozen operations, and the result still fails the same way.
#[test]
fn a_nemesis_failure_shrinks_to_explicit_faults_and_a_dozen_operations() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("shrunk.toml");
    let assert = storesim()
        .args([
            "shrink",
            "--seed",
            "9",
            "--check",
            "read-after-write",
            "--out",
        ])
        .arg(&out)
        .arg(scenario("nemesis-quorum.toml"))
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(
        stdout.contains("the faults seed 9 draws, as 16 explicit [[faults]]: the same history"),
        "{stdout}"
    );
    assert!(
        stdout.contains("seeds per candidate, up to 256"),
        "{stdout}"
    );
    let ops = shrunk_ops(&stdout);
    assert!(ops <= 12, "shrunk to {ops} operations\n{stdout}");
    let text = std::fs::read_to_string(&out).unwrap();
    let plain: toml::Table = toml::from_str(&text).unwrap();
    assert!(plain.get("nemesis").is_none(), "{text}");
    let faults = plain["faults"].as_array().expect("explicit [[faults]]");
    assert!(
        faults
            .iter()
            .any(|f| f["kind"].as_str() == Some("clock-jump")),
        "the clock jump behind the stale read stays: {text}"
    );
    let seed = plain["seed"].as_integer().unwrap().to_string();
    let replay = storesim()
        .args(["replay", "--seed", &seed, "--out"])
        .arg(tmp.path().join("r"))
        .arg(&out)
        .assert()
        .success();
    let replayed = String::from_utf8(replay.get_output().stdout.clone()).unwrap();
    assert!(replayed.contains("read-after-write: invalid"), "{replayed}");
    assert!(
        replayed.contains("written by process")
            && replayed.contains(", invoked after that write completed"),
        "the same kind of anomaly (a stale read):\n{replayed}"
    );
}

/// eventual-partition with read-after-write expected to pass: a scenario whose
/// expectation breaks on its first seeds.
fn breaking_scenario(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(scenario("eventual-partition.toml")).unwrap();
    let text = text.replace(
        "read-after-write = \"fail\"",
        "read-after-write = \"pass\"  # broken on purpose #",
    );
    assert!(text.contains("read-after-write = \"pass\""));
    let path = dir.join("breaking.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Issue 13, item 3: `explore` runs seeds of its shard until an expectation
/// breaks, writes the breach as a run folder with its replay command, shrinks
/// it, and exits 1.
#[test]
fn explore_finds_writes_and_shrinks_a_breach() {
    let tmp = tempfile::tempdir().unwrap();
    let file = breaking_scenario(tmp.path());
    let out = tmp.path().join("found");
    let assert = storesim()
        .args([
            "explore",
            "--time",
            "10m",
            "--max-seeds",
            "20",
            "--shard",
            "2/3",
        ])
        .args(["--jobs", "2", "--out"])
        .arg(&out)
        .arg(&file)
        .assert()
        .code(1);
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("shard 2/3") && stderr.contains("seeds/s"),
        "{stderr}"
    );
    let seed: u64 = stdout
        .split("seed ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{stdout}"));
    assert_eq!(seed % 3, 2, "a seed of shard 2/3: {stdout}");
    assert!(
        stdout.contains(&format!(
            "seed {seed} breaks read-after-write: expected pass"
        )),
        "{stdout}"
    );
    let replay = format!(
        "replay {} --seed {seed}",
        out.join("scenario.toml").display()
    );
    assert!(stdout.contains(&replay), "{stdout}");
    assert!(out.join(format!("seeds/{seed}/history.jsonl")).is_file());
    assert_eq!(records(&out).len(), 1, "the breaching seed's record");
    let shrunk = out.join(format!("shrunk-seed-{seed}.toml"));
    assert!(shrunk.is_file(), "{stdout}");
    assert!(shrunk_ops(&stdout) <= 12, "{stdout}");
    // The run folder's scenario replays the breach.
    let replayed = storesim()
        .args(["replay", "--seed", &seed.to_string(), "--out"])
        .arg(tmp.path().join("r"))
        .arg(out.join("scenario.toml"))
        .assert()
        .code(1);
    let text = String::from_utf8(replayed.get_output().stdout.clone()).unwrap();
    assert!(text.contains("read-after-write: invalid"), "{text}");
}

/// Issue 13, item 3: on a scenario that meets its expectations, `explore`
/// stops at its seed bound (or time) with exit 0 and writes nothing.
#[test]
fn explore_stops_with_exit_0_when_nothing_breaks() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("none");
    let assert = storesim()
        .args(["explore", "--time", "10m", "--max-seeds", "6", "--out"])
        .arg(&out)
        .arg(scenario("quorum-smoke.toml"))
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stdout.contains("no expectation broke"), "{stdout}");
    assert!(stderr.contains("explore: 6 seeds"), "{stderr}");
    assert!(!out.exists(), "nothing to write");
    let timed = storesim()
        .args(["explore", "--time", "1s", "--jobs", "1", "--out"])
        .arg(&out)
        .arg(scenario("quorum-smoke.toml"))
        .assert()
        .success();
    let stdout = String::from_utf8(timed.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("no expectation broke"), "{stdout}");
    storesim()
        .args(["explore", "--time", "0s"])
        .arg(scenario("quorum-smoke.toml"))
        .assert()
        .code(2);
}

/// `[workload] api = "s3"`: a run records listings and objects, runs the
/// S3 checks on every seed, shows them in the table, judges `[expect]` on
/// them, and reports LIST results; a register run's table stays as it was.
#[test]
fn an_s3_run_judges_listings_and_a_register_run_does_not_show_them() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("s3");
    let file = scenario("s3-eventual-list-partition.toml");
    let run = storesim()
        .args(["run", "--seeds", "2", "--no-regressions", "--out"])
        .arg(&out)
        .arg(&file)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&run.get_output().stdout).to_string();
    assert!(
        stdout.contains("law list-after-write") && stdout.contains("atom atomic-object"),
        "{stdout}"
    );
    let widest = stdout.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(widest <= 100, "{widest} columns:\n{stdout}");
    let seeds = records(&out);
    assert_eq!(seeds[0]["checks"]["list-after-write"], "invalid");
    assert_eq!(seeds[0]["checks"]["atomic-object"], "valid");
    assert_eq!(seeds[0]["checks"]["versions"], "n/a");
    let digest = &results(&out)["digest"]["checks"]["list-after-write"];
    assert_eq!(digest["invalid"], 2, "{digest}");
    let objects = &results(&out)["totals"]["objects"];
    assert!(objects["missing"].as_u64().unwrap() > 0, "{objects}");
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("S3 objects: LIST results and versions"));
    assert!(report.contains("S3 objects: latency per object size"));
    let history = std::fs::read_to_string(out.join("seeds/1/history.jsonl")).unwrap();
    assert!(
        history.contains(r#""f":"list","key":"bucket1/"#),
        "listings recorded"
    );
    assert!(
        history.contains(r#""type":"final","node":"#)
            && history.contains(r#""key":"bucket1/0/0/0""#)
    );
    // The same history checked from the file agrees with the run.
    storesim()
        .args(["check", "--checks", "list-after-write"])
        .arg(out.join("seeds/1/history.jsonl"))
        .assert()
        .code(1);

    // `[expect]` judges the S3 checks: a pass that does not hold breaks.
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("list-after-write = \"fail\"", "list-after-write = \"pass\"");
    let broken = tmp.path().join("broken.toml");
    std::fs::write(&broken, text).unwrap();
    let run = storesim()
        .args(["run", "--seeds", "1", "--no-regressions", "--out"])
        .arg(tmp.path().join("broken"))
        .arg(&broken)
        .assert()
        .code(1);
    let stdout = String::from_utf8_lossy(&run.get_output().stdout).to_string();
    assert!(
        stdout.contains("list-after-write: expected pass"),
        "{stdout}"
    );

    let run = storesim()
        .args(["run", "--seeds", "1", "--no-regressions", "--out"])
        .arg(tmp.path().join("register"))
        .arg(scenario("quorum-smoke.toml"))
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&run.get_output().stdout).to_string();
    assert!(
        !stdout.contains("law") && stdout.contains("│ dur │"),
        "{stdout}"
    );
}

#[test]
fn bench_compares_with_a_baseline_scenario_and_refuses_a_bad_one() {
    let smoke = scenario("quorum-smoke.toml");
    let assert = storesim()
        .args(["bench".as_ref(), smoke.as_os_str()])
        .args(["--seeds", "1", "--repeat", "1", "--raw-calls", "100"])
        .args(["--baseline".as_ref(), smoke.as_os_str()])
        .args(["--baseline-seeds", "1"])
        .assert()
        .success();
    let out = stdout(&assert);
    assert!(out.contains("quorum-smoke, 1 job(s)"), "{out}");
    // The same scenario on the same seeds: both rows count the same messages.
    let line = (out.lines()).find(|l| l.starts_with("storesim / baseline"));
    assert!(line.is_some_and(|l| l.ends_with('%')), "{out}");
    let missing = root().join("scenarios/no-such-baseline.toml");
    let refused = storesim()
        .args(["bench".as_ref(), smoke.as_os_str()])
        .args(["--seeds", "1", "--repeat", "1", "--raw-calls", "100"])
        .args(["--baseline".as_ref(), missing.as_os_str()])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&refused.get_output().stderr).into_owned();
    assert!(stderr.contains("no-such-baseline.toml"), "{stderr}");
}
