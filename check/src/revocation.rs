//! `revocation`: a revoke holds within Δ.
//!
//! After a revoke of bucket B from principal P is acknowledged at t, no
//! request of P on B invoked after t + Δ gets through
//! ([`crate::access::got_through`]), unless a later grant of B to P was
//! invoked before the request completed. Δ is the history's `revocation`
//! line ([`crate::History::revocation_delta_ns`]; 0 without one): the
//! propagation delay the store promises (AWS documents IAM and bucket
//! policy changes as eventually consistent).
//!
//! [`latencies`] measures, per acknowledged revoke, how long the revoked
//! principal still got through: the last such request's invoke less the
//! acknowledgement (0 when none did) — the t-visibility of permissions.

use crate::access::{Access, PolicyChange, bucket_of, got_through};
use crate::finding::{FINDINGS_MAX, Finding, Kind};
use crate::history::Function;
use crate::ms::{Precision, format_ms};
use crate::op::{Op, Outcome};
use crate::verdict::CheckResult;

/// One acknowledged revoke and the requests of its principal on its bucket
/// that got through after it (before any later grant).
struct Honoured<'a> {
    revoke: &'a PolicyChange,
    acked: u64,
    after: Vec<&'a Op>,
}

/// Every acknowledged revoke with what got through after its ack.
fn honoured<'a>(ops: &'a [Op], access: &'a Access) -> Vec<Honoured<'a>> {
    let revokes =
        (access.changes.iter()).filter(|c| c.f == Function::Revoke && c.outcome == Outcome::Ok);
    revokes
        .filter_map(|revoke| {
            let acked = revoke.complete_time?;
            let after = ops
                .iter()
                .filter(|op| op.invoke_time > acked && got_through(op))
                .filter(|op| bucket_of(&op.key) == revoke.bucket)
                .filter(|op| {
                    access
                        .of(op)
                        .is_some_and(|a| a.principal == revoke.principal)
                })
                .filter(|op| {
                    let end = op.complete_time.unwrap_or(u64::MAX);
                    // A grant after the revoke, before the request ended,
                    // may have let it in again.
                    !(access.granted_before(&revoke.bucket, &revoke.principal, end))
                        .any(|g| g.invoke_time > revoke.invoke_time)
                })
                .collect();
            Some(Honoured {
                revoke,
                acked,
                after,
            })
        })
        .collect()
}

/// Judges every acknowledged revoke against Δ (`delta_ns`).
pub fn judge(ops: &[Op], access: &Access, delta_ns: u64) -> CheckResult {
    if !access.applies() {
        return CheckResult::not_applicable("no request names a principal (no [auth])");
    }
    let mut findings: Vec<Finding> = Vec::new();
    let mut first: Option<String> = None;
    let mut anomalies = 0;
    for h in honoured(ops, access) {
        let deadline = h.acked.saturating_add(delta_ns);
        for op in h.after.iter().filter(|op| op.invoke_time > deadline) {
            anomalies += 1;
            if first.is_none() {
                first = Some(format!(
                    "{} of {} by {} (process {}, op {}) got through {} after the revoke of \
                     bucket {} from {} was acknowledged (at {}), more than Δ = {}",
                    op.f,
                    op.key,
                    h.revoke.principal,
                    op.process,
                    op.index,
                    format_ms(op.invoke_time - h.acked, Precision::Fit),
                    h.revoke.bucket,
                    h.revoke.principal,
                    format_ms(h.acked, Precision::Fit),
                    format_ms(delta_ns, Precision::Fit),
                ));
            }
            if findings.len() < FINDINGS_MAX {
                let mut finding =
                    Finding::new(Kind::LateRevocation, &op.key, &[Some(op.index)], ops);
                finding.from_ns = finding.from_ns.min(h.acked);
                findings.push(finding);
            }
        }
    }
    CheckResult::from_first(first, anomalies, findings)
}

/// Per acknowledged revoke, in invoke order: how long after its
/// acknowledgement its principal still got through to its bucket (ns; 0
/// when nothing did).
pub fn latencies(ops: &[Op], access: &Access) -> Vec<u64> {
    honoured(ops, access)
        .iter()
        .map(|h| {
            (h.after.iter())
                .map(|op| op.invoke_time - h.acked)
                .max()
                .unwrap_or(0)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::{CheckName, History, Verdict};

    /// Alice granted b at 0, revoked at 100..200 (ms as ns, small numbers).
    fn history(delta: u64, request_at: u64, regrant: bool) -> History {
        let mut text = format!(
            r#"{{"type":"revocation","delta_ns":{delta}}}
{{"process":9,"type":"invoke","f":"grant","key":"b","value":"alice","time":0}}
{{"process":9,"type":"ok","f":"grant","key":"b","value":"alice","time":0}}
{{"process":9,"type":"invoke","f":"revoke","key":"b","value":"alice","time":100}}
{{"process":9,"type":"ok","f":"revoke","key":"b","value":"alice","time":200}}
"#
        );
        if regrant {
            text.push_str(
                r#"{"process":9,"type":"invoke","f":"grant","key":"b","value":"alice","time":250}
{"process":9,"type":"ok","f":"grant","key":"b","value":"alice","time":260}
"#,
            );
        }
        text.push_str(&format!(
            r#"{{"process":0,"type":"invoke","f":"get","key":"b/k","value":null,"time":{request_at},"principal":"alice","auth":"signed"}}
{{"process":0,"type":"ok","f":"get","key":"b/k","value":null,"time":{},"principal":"alice","auth":"signed"}}
"#,
            request_at + 10
        ));
        History::parse(&text).expect("valid history")
    }

    fn judge(history: &History) -> crate::CheckResult {
        crate::run(history, &[CheckName::Revocation])
            .remove(&CheckName::Revocation)
            .unwrap()
    }

    #[test]
    fn a_request_within_delta_passes_and_one_after_fails() {
        assert_eq!(judge(&history(500, 300, false)).verdict, Verdict::Valid);
        let late = judge(&history(50, 300, false));
        assert_eq!(late.verdict, Verdict::Invalid);
        assert_eq!(late.findings[0].kind, crate::FindingKind::LateRevocation);
        assert!(late.explanation.contains("alice"), "{}", late.explanation);
    }

    #[test]
    fn a_later_grant_lets_the_principal_in_again() {
        assert_eq!(judge(&history(50, 300, true)).verdict, Verdict::Valid);
    }

    #[test]
    fn latency_is_the_last_request_that_got_through() {
        let h = history(50, 300, false);
        let ops = crate::op::pair(&h);
        let access = crate::access::Access::new(&h);
        assert_eq!(super::latencies(&ops, &access), vec![100]);
    }

    #[test]
    fn the_revocation_line_round_trips() {
        let h = history(50, 300, false);
        assert_eq!(History::parse(&h.to_jsonl()).unwrap(), h);
        assert_eq!(h.revocation_delta_ns, Some(50));
    }
}
