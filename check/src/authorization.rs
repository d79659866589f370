//! `authorization`: nobody gets in without authority.
//!
//! A data operation that got through ([`got_through`]: `ok`, or a `fail`
//! answering about the key — 404, 412, 409 — instead of 403) must have been
//! sent with valid authority, and by a principal some policy could have
//! allowed:
//!
//! - a `forged` (wrong secret), `replayed` (signed more than 15 minutes
//!   before, in true time) or `expired` (a presigned URL past its expiry in
//!   true time) request never gets through (`invalid-authority`);
//! - a `signed` or `presigned` request gets through only if a grant of its
//!   bucket to its principal was invoked before it completed and did not
//!   fail (`never-granted`): the policy allowing it was then in effect at
//!   some point between that grant and the request. Initial policies are
//!   grants at time 0.
//!
//! A request that should have been refused and got a 404 (or 412, 409)
//! instead of a 403 is the same finding: the answer told whether the key
//! exists. Whether a revoke was honoured in time is `revocation`'s question.

use crate::access::{Access, bucket_of, got_through};
use crate::finding::{FINDINGS_MAX, Finding, Kind};
use crate::op::Op;
use crate::verdict::CheckResult;

/// Judges every data operation that names its sender.
pub fn judge(ops: &[Op], access: &Access) -> CheckResult {
    if !access.applies() {
        return CheckResult::not_applicable("no request names a principal (no [auth])");
    }
    let mut findings: Vec<Finding> = Vec::new();
    let mut first: Option<String> = None;
    let mut anomalies = 0;
    for op in ops.iter().filter(|op| got_through(op)) {
        let Some(auth) = access.of(op) else { continue };
        let bucket = bucket_of(&op.key);
        let end = op.complete_time.unwrap_or(u64::MAX);
        let kind = if !auth.kind.is_valid() {
            Kind::InvalidAuthority
        } else if access
            .granted_before(bucket, &auth.principal, end)
            .next()
            .is_none()
        {
            Kind::NeverGranted
        } else {
            continue;
        };
        anomalies += 1;
        if first.is_none() {
            first = Some(sentence(op, &auth.principal, auth.kind.as_str(), kind));
        }
        if findings.len() < FINDINGS_MAX {
            findings.push(Finding::new(kind, &op.key, &[Some(op.index)], ops));
        }
    }
    CheckResult::from_first(first, anomalies, findings)
}

fn sentence(op: &Op, principal: &str, auth: &str, kind: Kind) -> String {
    let got = if op.outcome == crate::op::Outcome::Ok {
        "succeeded".to_owned()
    } else {
        let error = op.error.map_or("an error", |e| e.as_str());
        format!("was answered {error} instead of access-denied")
    };
    let why = match kind {
        Kind::InvalidAuthority => format!("although its authority was {auth}"),
        _ => format!(
            "although no policy ever allowed {principal} on bucket {}",
            bucket_of(&op.key)
        ),
    };
    format!(
        "{} of {} by {principal} ({auth}, process {}, op {}) {got} {why}",
        op.f, op.key, op.process, op.index
    )
}

#[cfg(test)]
mod tests {
    use crate::{CheckName, History, Verdict};

    /// Alice is granted bucket b at time 0; mallory never is.
    const HEAD: &str = r#"{"process":9,"type":"invoke","f":"grant","key":"b","value":"alice","time":0}
{"process":9,"type":"ok","f":"grant","key":"b","value":"alice","time":0}
"#;

    fn judge(lines: &str) -> crate::CheckResult {
        let history = History::parse(&format!("{HEAD}{lines}")).expect("valid history");
        crate::run(&history, &[CheckName::Authorization])
            .remove(&CheckName::Authorization)
            .unwrap()
    }

    fn op(process: u64, principal: &str, auth: &str, end: &str, error: Option<&str>) -> String {
        let error = error.map_or(String::new(), |e| format!(r#","error":"{e}""#));
        format!(
            r#"{{"process":{process},"type":"invoke","f":"put","key":"b/k","value":"c{process}-1","time":{t0},"principal":"{principal}","auth":"{auth}"}}
{{"process":{process},"type":"{end}","f":"put","key":"b/k","value":"c{process}-1","time":{t1}{error},"principal":"{principal}","auth":"{auth}"}}
"#,
            t0 = 10 * process + 10,
            t1 = 10 * process + 15,
        )
    }

    #[test]
    fn granted_signed_requests_pass_and_refusals_pass() {
        let lines = op(0, "alice", "signed", "ok", None)
            + &op(1, "mallory", "signed", "fail", Some("access-denied"))
            + &op(2, "alice", "forged", "fail", Some("access-denied"))
            + &op(3, "alice", "expired", "fail", Some("access-denied"));
        let result = judge(&lines);
        assert_eq!(result.verdict, Verdict::Valid, "{}", result.explanation);
    }

    /// A 503 SlowDown (turned away before it was served) tells nothing of
    /// the key: it did not get through. A 404 does.
    #[test]
    fn a_request_turned_away_did_not_get_through_an_answer_about_the_key_did() {
        let slow = judge(&op(1, "mallory", "signed", "fail", Some("slow-down")));
        assert_eq!(slow.verdict, Verdict::Valid, "{}", slow.explanation);
        let about_key = judge(&op(1, "mallory", "signed", "fail", Some("not-found")));
        assert_eq!(about_key.verdict, Verdict::Invalid);
    }

    #[test]
    fn a_never_granted_principal_getting_in_is_caught() {
        let result = judge(&op(1, "mallory", "signed", "ok", None));
        assert_eq!(result.verdict, Verdict::Invalid);
        assert_eq!(result.findings[0].kind, crate::FindingKind::NeverGranted);
        assert!(
            result.explanation.contains("mallory"),
            "{}",
            result.explanation
        );
    }

    #[test]
    fn forged_replayed_and_expired_requests_getting_in_are_caught() {
        for auth in ["forged", "replayed", "expired"] {
            let result = judge(&op(0, "alice", auth, "ok", None));
            assert_eq!(result.verdict, Verdict::Invalid, "{auth}");
            assert_eq!(
                result.findings[0].kind,
                crate::FindingKind::InvalidAuthority
            );
        }
    }

    #[test]
    fn a_refusal_that_reveals_the_key_is_caught() {
        let result = judge(&op(1, "mallory", "signed", "fail", Some("not-found")));
        assert_eq!(result.verdict, Verdict::Invalid);
        assert!(
            result.explanation.contains("not-found"),
            "{}",
            result.explanation
        );
    }

    #[test]
    fn a_history_without_principals_is_not_applicable() {
        let history = History::parse(
            r#"{"process":0,"type":"invoke","f":"put","key":"k","value":"c0-1","time":1}
{"process":0,"type":"ok","f":"put","key":"k","value":"c0-1","time":2}
"#,
        )
        .unwrap();
        let results = crate::run(&history, CheckName::ACCESS);
        assert!(
            results
                .values()
                .all(|r| r.verdict == Verdict::NotApplicable)
        );
    }
}
