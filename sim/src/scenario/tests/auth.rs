//! `[auth]`: principals, policies, shares; bad ones refused at their line.

use super::*;

const S3: &str = "[workload]\napi = \"s3\"\nbuckets = 2\n";

#[test]
fn auth_defaults_and_initial_grants() {
    let s = ok(&format!(
        "{S3}[auth]\nprincipals = [{{ name = \"alice\", buckets = [\"bucket1\"] }}, {{ name = \"eve\" }}]\n"
    ));
    let auth = s.auth.expect("[auth]");
    assert!(auth.administrator);
    assert_eq!(auth.policy_cache_ttl, Duration::from_secs(1));
    assert_eq!(auth.revocation_delta, Duration::ZERO);
    assert_eq!(auth.principals[1].secret, "secret-of-eve");
    let grants = crate::workload::access::initial_grants(&auth, 2);
    assert!(grants["bucket1"].contains("alice"));
    assert!(!grants.contains_key("bucket2"));
    assert!(ok("").auth.is_none());
}

#[test]
fn an_explicit_policy_decides_the_initial_grants() {
    let s = ok(&format!(
        "{S3}[auth]\nprincipals = [{{ name = \"alice\" }}, {{ name = \"bob\" }}]\n\
         policies = [{{ bucket = \"bucket2\", json = '{{\"Statement\":[{{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"arn:aws:s3:::bucket2/*\"}},{{\"Effect\":\"Deny\",\"Principal\":{{\"AWS\":\"bob\"}},\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::bucket2/*\"}}]}}' }}]\n"
    ));
    let grants = crate::workload::access::initial_grants(s.auth.as_ref().unwrap(), 2);
    assert!(grants["bucket2"].contains("alice"));
    assert!(!grants["bucket2"].contains("bob"), "explicit deny wins");
}

#[test]
fn malformed_policies_and_principals_are_refused_at_their_line() {
    let e = fails(
        &format!(
            "{S3}[auth]\nprincipals = [{{ name = \"alice\" }}]\npolicies = [{{ bucket = \"bucket1\", json = '{{\"Statement\": []}}' }}]\n"
        ),
        "json = ^'",
        "bucket1's policy",
    );
    assert!(e.hint.as_deref().unwrap_or("").contains("Statement"));
    fails(
        &format!(
            "{S3}[auth]\nprincipals = [{{ name = \"alice\" }}]\npolicies = [{{ bucket = \"bucket1\", json = 'nope' }}]\n"
        ),
        "json = ^'",
        "policy",
    );
    fails(
        &format!("{S3}[auth]\nprincipals = [{{ name = \"al ice\" }}]\n"),
        "name = ^\"al ice\"",
        "not allowed",
    );
    fails(
        &format!("{S3}[auth]\nprincipals = [{{ name = \"admin\" }}]\n"),
        "name = ^\"admin\"",
        "not allowed",
    );
    fails(
        &format!("{S3}[auth]\nprincipals = [{{ name = \"a\" }}, {{ name = \"a\" }}]\n"),
        "}, { name = ^\"a\"",
        "twice",
    );
    fails(
        &format!("{S3}[auth]\nprincipals = [{{ name = \"a\", buckets = [\"bucket9\"] }}]\n"),
        "buckets = [^\"bucket9\"",
        "not one of the workload's",
    );
    fails(
        "[auth]\nprincipals = [{ name = \"a\" }]\n",
        "^[auth]",
        "needs [workload] api",
    );
    fails(
        &format!("{S3}[auth]\nprincipals = [{{ name = \"a\" }}]\nforged = 1.5\n"),
        "forged = ^1.5",
        "probability",
    );
    fails(
        &format!(
            "{S3}[auth]\nprincipals = [{{ name = \"a\" }}]\npolicies = [{{ bucket = \"bucket1\", file = \"missing.json\" }}]\n"
        ),
        "file = ^\"missing.json\"",
        "cannot read policy file",
    );
}

#[test]
fn auth_round_trips_through_the_resolved_file() {
    let s = ok(&format!(
        "{S3}[auth]\nprincipals = [{{ name = \"alice\", buckets = [\"bucket1\"] }}]\nforged = 0.1\nrevocation_delta = \"2s\"\npolicy_cache_ttl = \"250ms\"\nadministrator = false\n"
    ));
    let again = Scenario::parse(&s.to_toml(), "r.toml").expect("resolved file parses");
    assert_eq!(again.auth, s.auth);
}
