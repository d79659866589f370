//! Access control (issue 17): requests by principal and how they ended —
//! allowed, denied (403), failed otherwise, timed out — and the revocation
//! latency of each acknowledged revoke (how long after it its principal
//! still got in; [`check::revocation::latencies`]). Read from the history
//! as data (`principal`, `auth`, `error`), so any system's history that
//! writes those fields is counted alike.
//!
//! Counts and a bounded sample: seeds and shards add up.

use check::access::Access as Facts;
use check::{FailReason, Op, Outcome};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most revocation latencies kept (the first ones, in seed order).
pub const LATENCIES_MAX: usize = 10_000;

/// One principal's requests by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByOutcome {
    pub allowed: u64,
    pub denied: u64,
    pub failed: u64,
    pub timed_out: u64,
}

/// One run's (or seed's) access figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessMetrics {
    /// By principal, then by the kind of authority (`signed`, `forged`, …).
    pub requests: BTreeMap<String, BTreeMap<String, ByOutcome>>,
    /// Revocation latencies (ns), at most [`LATENCIES_MAX`].
    pub revocation_ns: Vec<u64>,
}

impl AccessMetrics {
    /// The figures of one history: its access `facts` and its paired `ops`.
    pub fn of(facts: &Facts, ops: &[Op]) -> AccessMetrics {
        if !facts.applies() {
            return AccessMetrics::default();
        }
        let mut m = AccessMetrics::default();
        for op in ops {
            let Some(auth) = facts.of(op) else { continue };
            let row = (m.requests.entry(auth.principal.clone()).or_default())
                .entry(auth.kind.as_str().to_owned())
                .or_default();
            match (op.outcome, op.error) {
                (Outcome::Ok, _) => row.allowed += 1,
                (Outcome::Fail, Some(FailReason::AccessDenied)) => row.denied += 1,
                (Outcome::Fail, _) => row.failed += 1,
                (Outcome::Info, _) => row.timed_out += 1,
            }
        }
        m.revocation_ns = check::revocation::latencies(ops, facts);
        m.revocation_ns.truncate(LATENCIES_MAX);
        m
    }

    pub fn is_empty(&self) -> bool {
        self.requests.is_empty() && self.revocation_ns.is_empty()
    }

    pub fn add(&mut self, other: &AccessMetrics) {
        for (principal, kinds) in &other.requests {
            let mine = self.requests.entry(principal.clone()).or_default();
            for (kind, o) in kinds {
                let row = mine.entry(kind.clone()).or_default();
                row.allowed += o.allowed;
                row.denied += o.denied;
                row.failed += o.failed;
                row.timed_out += o.timed_out;
            }
        }
        let room = LATENCIES_MAX.saturating_sub(self.revocation_ns.len());
        (self.revocation_ns).extend(other.revocation_ns.iter().take(room));
    }

    /// The report's table: principal, authority, each outcome; empty when none.
    pub fn table(&self) -> Vec<Vec<String>> {
        if self.requests.is_empty() {
            return Vec::new();
        }
        let mut table = vec![
            [
                "principal",
                "authority",
                "allowed",
                "denied (403)",
                "failed otherwise",
                "timed out",
            ]
            .map(String::from)
            .to_vec(),
        ];
        for (principal, kinds) in &self.requests {
            for (kind, o) in kinds {
                table.push(vec![
                    principal.clone(),
                    kind.clone(),
                    o.allowed.to_string(),
                    o.denied.to_string(),
                    o.failed.to_string(),
                    o.timed_out.to_string(),
                ]);
            }
        }
        table
    }

    /// Revocation latency quantiles as a table; empty without revokes.
    pub fn latency_table(&self) -> Vec<Vec<String>> {
        if self.revocation_ns.is_empty() {
            return Vec::new();
        }
        let mut sorted = self.revocation_ns.clone();
        sorted.sort_unstable();
        let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
        let ms = |ns: u64| check::ms::format_ms(ns, check::ms::Precision::Fit);
        let still = sorted.iter().filter(|&&ns| ns > 0).count();
        vec![
            [
                "acknowledged revokes",
                "still honoured after",
                "median",
                "p99",
                "max",
            ]
            .map(String::from)
            .to_vec(),
            vec![
                sorted.len().to_string(),
                still.to_string(),
                ms(at(0.5)),
                ms(at(0.99)),
                ms(at(1.0)),
            ],
        ]
    }

    /// `access: 812 requests — 400 allowed, 380 denied, …; revocation
    /// latency max 1.2 s over 70 revokes`; `None` when there were none.
    pub fn line(&self) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        let mut total = ByOutcome::default();
        for o in self.requests.values().flat_map(|k| k.values()) {
            total.allowed += o.allowed;
            total.denied += o.denied;
            total.failed += o.failed;
            total.timed_out += o.timed_out;
        }
        let all = total.allowed + total.denied + total.failed + total.timed_out;
        let mut line = format!(
            "access: {all} signed requests: {} allowed, {} denied (403), {} failed otherwise, {} timed out",
            total.allowed, total.denied, total.failed, total.timed_out
        );
        if let Some(max) = self.revocation_ns.iter().max() {
            line.push_str(&format!(
                "; revocation latency max {} over {} acknowledged revokes",
                check::ms::format_ms(*max, check::ms::Precision::Fit),
                self.revocation_ns.len()
            ));
        }
        Some(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use check::History;

    #[test]
    fn counts_by_principal_and_measures_revocation_latency() {
        let text = r#"{"type":"revocation","delta_ns":0}
{"process":9,"type":"invoke","f":"grant","key":"b","value":"alice","time":0}
{"process":9,"type":"ok","f":"grant","key":"b","value":"alice","time":0}
{"process":9,"type":"invoke","f":"revoke","key":"b","value":"alice","time":100}
{"process":9,"type":"ok","f":"revoke","key":"b","value":"alice","time":200}
{"process":0,"type":"invoke","f":"get","key":"b/k","value":null,"time":300,"principal":"alice","auth":"signed"}
{"process":0,"type":"ok","f":"get","key":"b/k","value":null,"time":310,"principal":"alice","auth":"signed"}
{"process":1,"type":"invoke","f":"get","key":"b/k","value":null,"time":320,"principal":"eve","auth":"forged"}
{"process":1,"type":"fail","f":"get","key":"b/k","value":null,"time":330,"error":"access-denied","principal":"eve","auth":"forged"}
"#;
        let history = History::parse(text).unwrap();
        let ops = check::op::pair(&history);
        let m = AccessMetrics::of(&Facts::new(&history), &ops);
        assert_eq!(m.requests["alice"]["signed"].allowed, 1);
        assert_eq!(m.requests["eve"]["forged"].denied, 1);
        assert_eq!(m.revocation_ns, vec![100]);
        let mut twice = m.clone();
        twice.add(&m);
        assert_eq!(twice.requests["alice"]["signed"].allowed, 2);
        assert_eq!(m.table().len(), 3);
        assert_eq!(m.latency_table()[1][1], "1");
        assert!(m.line().unwrap().contains("1 denied"));
        assert!(AccessMetrics::default().line().is_none());
        let curve = crate::plots::staleness::revocation(&[0, 0, 2_000_000, 30_000_000]);
        assert!(
            curve.contains("4 acknowledged revokes; 50 % in effect at once"),
            "{curve}"
        );
        let none = crate::plots::staleness::revocation(&[]);
        assert!(none.contains("no revoke was acknowledged"), "{none}");
    }
}
