//! `[workload] api = "s3"`: defaults, the S3 kinds of `mix`, object sizes,
//! and the errors that name what is wrong.

use super::*;

const S3: &str = "[workload]\napi = \"s3\"\n";

#[test]
fn register_is_the_default_and_s3_has_defaults() {
    assert_eq!(ok("").workload.s3, None);
    assert_eq!(ok("[workload]\napi = \"register\"\n").workload.s3, None);
    let s3 = ok(S3).workload.s3.expect("s3");
    assert_eq!(s3.buckets, 1);
    assert_eq!(s3.versioning, store::Versioning::Off);
    assert_eq!(s3.object_size, ObjectSize::Fixed(4096));
    assert_eq!(s3.max_keys, 1000);
    assert_eq!(s3.mix, ObjectMix::default());
}

#[test]
fn s3_knobs_and_mix_parse_and_round_trip() {
    let text = format!(
        "{S3}buckets = 3\nversioning = \"enabled\"\nmax_keys = 7\n\
         object_size = {{ dist = \"lognormal\", median = \"16KiB\", sigma = 1.5 }}\n\
         mix = {{ get = 0.3, put = 0.3, delete = 0.1, list = 0.1, get-version = 0.1, \
         delete-version = 0.05, list-versions = 0.05 }}\n"
    );
    let s = ok(&text);
    let s3 = s.workload.s3.clone().expect("s3");
    assert_eq!(s3.buckets, 3);
    assert_eq!(s3.versioning, store::Versioning::Enabled);
    assert_eq!(s3.max_keys, 7);
    assert_eq!(
        s3.object_size,
        ObjectSize::Lognormal {
            median: 16 << 10,
            sigma: 1.5
        }
    );
    assert!((s3.mix.list - 0.1).abs() < 1e-12 && (s3.mix.list_versions - 0.05).abs() < 1e-12);
    assert!((s.workload.mix.get - 0.3).abs() < 1e-12);
    let written = s.to_toml();
    let again = Scenario::parse(&written, "resolved.toml").expect("resolved parses");
    assert_eq!(again, s, "{written}");
    for size in [
        "{ dist = \"fixed\", value = \"1MB\" }",
        "{ dist = \"uniform\", min = \"1KiB\", max = \"1MiB\" }",
    ] {
        let s = ok(&format!("{S3}object_size = {size}\n"));
        let again = Scenario::parse(&s.to_toml(), "resolved.toml").expect("parses");
        assert_eq!(again, s);
    }
}

#[test]
fn s3_settings_need_api_s3() {
    let e = fails(
        "[workload]\nversioning = \"enabled\"\n",
        "versioning = ^\"enabled\"",
        "versioning is an S3 setting, but this workload's api is \"register\"",
    );
    assert!(e.hint.is_some_and(|h| h.contains("api = \"s3\"")));
    fails(
        "[workload]\nmix = { get = 0.5, put = 0.4, list = 0.1 }\n",
        "list = ^0.1",
        "mix list is an S3 setting",
    );
    fails(
        "[workload]\napi = \"s4\"\n",
        "api = ^\"s4\"",
        "unknown api \"s4\"",
    );
}

#[test]
fn cas_runs_under_s3_and_paxos_serves_unversioned_objects() {
    // cas is a conditional PutObject; paxos serves objects, versioning off.
    let s = ok(&format!(
        "[cluster]\nprotocol = \"paxos\"\n{S3}mix = {{ get = 0.5, put = 0.4, cas = 0.1 }}\n"
    ));
    assert!(s.workload.s3.is_some());
    assert!((s.workload.mix.cas - 0.1).abs() < 1e-9);
    // abd still demands allow_unsafe_cas: its conditional PutObject is a read then a write.
    fails(
        &format!("[cluster]\nprotocol = \"abd\"\n{S3}mix = {{ get = 0.5, cas = 0.5 }}\n"),
        "cas = ^0.5",
        "cas is not atomic under protocol \"abd\"",
    );
    // So is its conditional DeleteObject.
    fails(
        &format!(
            "[cluster]\nprotocol = \"abd\"\n{S3}mix = {{ get = 0.5, put = 0.4, cas-delete = 0.1 }}\n"
        ),
        "cas-delete = ^0.1",
        "cas is not atomic under protocol \"abd\"",
    );
}

#[test]
fn cas_delete_is_an_s3_weight_that_round_trips() {
    let s = ok(&format!(
        "[cluster]\nprotocol = \"paxos\"\n{S3}mix = {{ get = 0.5, put = 0.4, cas-delete = 0.1 }}\n"
    ));
    let s3 = s.workload.s3.clone().expect("s3");
    assert!((s3.mix.cas_delete - 0.1).abs() < 1e-12);
    let again = Scenario::parse(&s.to_toml(), "resolved.toml").expect("resolved parses");
    assert_eq!(again, s);
    // Not named when 0: older resolved files stay as they were.
    assert!(!ok(S3).to_toml().contains("cas-delete"));
    fails(
        "[workload]\nmix = { get = 0.5, put = 0.4, cas-delete = 0.1 }\n",
        "cas-delete = ^0.1",
        "mix cas-delete is an S3 setting",
    );
}

#[test]
fn paxos_serves_versioned_buckets() {
    let s = ok(&format!(
        "[cluster]\nprotocol = \"paxos\"\n{S3}versioning = \"enabled\"\n\
         mix = {{ get = 0.4, put = 0.4, delete-version = 0.1, list-versions = 0.1 }}\n"
    ));
    assert_eq!(
        s.workload.s3.expect("s3").versioning,
        store::Versioning::Enabled
    );
}

#[test]
fn rounds_probes_and_versioned_kinds_are_refused_with_reasons() {
    fails(
        &format!("{S3}mix = {{ get = 0.5, cas = 0.5 }}\nrounds = \"25ms\"\n"),
        "rounds = ^\"25ms\"",
        "rounds (fresh keys every round) names register keys",
    );
    fails(
        &format!("{S3}[workload.probes]\ndelays = [\"1ms\"]\n"),
        "api = ^\"s3\"",
        "staleness probes",
    );
    fails(
        &format!("{S3}mix = {{ get = 0.5, put = 0.4, get-version = 0.1 }}\n"),
        "get-version = ^0.1",
        "mix get-version needs a versioned bucket, but versioning is \"off\"",
    );
    // The sum counts the S3 kinds too.
    fails(
        &format!("{S3}mix = {{ get = 0.5, put = 0.4, list = 0.2 }}\n"),
        "mix = ^{",
        "mix weights sum to 1.1 (get 0.5 + put 0.4 + list 0.2)",
    );
}

#[test]
fn object_sizes_name_their_errors() {
    fails(
        &format!("{S3}object_size = {{ dist = \"fixed\", value = 4096 }}\n"),
        "value = ^4096",
        "object_size value = 4096 has no unit",
    );
    fails(
        &format!("{S3}object_size = {{ dist = \"fixed\", value = \"65MiB\" }}\n"),
        "value = ^\"65MiB\"",
        "is too large: object sizes are at most 64MiB",
    );
    fails(
        &format!("{S3}object_size = {{ dist = \"uniform\", min = \"2KiB\", max = \"1KiB\" }}\n"),
        "max = ^\"1KiB\"",
        "max = \"1KiB\" is less than min = \"2KiB\"",
    );
    fails(
        &format!("{S3}object_size = {{ dist = \"pareto\", value = \"1KiB\" }}\n"),
        "dist = ^\"pareto\"",
        "unknown object_size dist \"pareto\"",
    );
    fails(
        &format!("{S3}max_keys = 0\n"),
        "max_keys = ^0",
        "max_keys = 0 is out of range: expected 1 to 1000",
    );
}

#[test]
fn timestamps_are_a_cluster_option_of_the_lww_protocols() {
    assert_eq!(ok("").cluster.timestamps, store::Timestamps::Coordinator);
    let s = ok("[cluster]\ntimestamps = \"completes-last\"\n");
    assert_eq!(s.cluster.timestamps, store::Timestamps::CompletesLast);
    assert_eq!(
        s.cluster.store_config(|d| d).timestamps,
        store::Timestamps::CompletesLast
    );
    assert_eq!(Scenario::parse(&s.to_toml(), "r.toml").expect("parses"), s);
    let s = ok("[cluster]\nprotocol = \"eventual\"\ntimestamps = \"newest-seen-plus-one\"\n");
    assert_eq!(s.cluster.timestamps, store::Timestamps::NewestSeenPlusOne);
    fails(
        "[cluster]\nprotocol = \"abd\"\ntimestamps = \"completes-last\"\n",
        "timestamps = ^\"completes-last\"",
        "timestamps applies to protocols \"eventual\" and \"quorum\"",
    );
    fails(
        "[cluster]\ntimestamps = \"last\"\n",
        "timestamps = ^\"last\"",
        "unknown timestamps \"last\"",
    );
}
