//! Availability and time: how operations ended, per kind and over simulated
//! time (after Jepsen's rate and latency plots).
//!
//! [`Outcomes`] counts `ok` / `fail` / `info` per operation kind (an
//! operation still open at the end of the history is `info`: it may have
//! happened). [`Activity`] buckets the operations by invoke time into
//! buckets of [`Activity::bucket_ns`] (a pure function of the scenario's
//! duration, [`bucket_width`], so every seed of a run uses the same ones):
//! per bucket, the outcomes, a coarse latency histogram of the `ok` ones and
//! how many seeds had a fault active then. Everything is a count, so seeds
//! and shards add up exactly, and the number of buckets is bounded
//! ([`MAX_BUCKETS`]; later operations fall into the last one).

use crate::latency::Histogram;
use check::access::Access;
use check::{FailReason, Function, Op, Outcome};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most time buckets of an [`Activity`].
pub const MAX_BUCKETS: u64 = 400;
/// Time buckets across the faulty phase (the quiesce adds a few more).
const BUCKETS_PER_DURATION: u64 = 60;
/// Sub-bucket bits of the per-bucket latency histograms: 4 per power of two
/// (percentiles within 25 %), to keep each bucket small.
pub const LATENCY_SUB_BITS: u32 = 2;

/// How one kind of operation ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcomes {
    pub ok: u64,
    pub fail: u64,
    pub info: u64,
}

impl Outcomes {
    pub fn total(&self) -> u64 {
        self.ok + self.fail + self.info
    }

    pub fn add(&mut self, other: &Outcomes) {
        self.ok += other.ok;
        self.fail += other.fail;
        self.info += other.info;
    }

    fn count(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Ok => self.ok += 1,
            Outcome::Fail => self.fail += 1,
            Outcome::Info => self.info += 1,
        }
    }
}

/// Per operation kind, how its operations ended.
pub fn outcomes(ops: &[Op]) -> BTreeMap<Function, Outcomes> {
    let mut out: BTreeMap<Function, Outcomes> = BTreeMap::new();
    for op in ops {
        out.entry(op.f).or_default().count(op.outcome);
    }
    out
}

/// One time bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeBucket {
    /// Operations invoked in the bucket, by how they ended.
    pub outcomes: Outcomes,
    /// Latency of its `ok` operations ([`LATENCY_SUB_BITS`]).
    #[serde(default, skip_serializing_if = "Histogram::is_empty")]
    pub latency: Histogram,
    /// Seeds with a fault active at some time in the bucket.
    #[serde(default)]
    pub faulted: u64,
    /// Seeds with a membership movement under way at some time in the
    /// bucket (issue 16: shaded apart from faults).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub moving: u64,
    /// Object body bytes moved by the `ok` GETs and PUTs invoked in the
    /// bucket (their descriptors' sizes; 0 for registers).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub bytes: u64,
    /// Requests signed by a principal invoked in the bucket that got
    /// through (`ok`), and that were refused (403 `access-denied`); 0
    /// without `[auth]` (issue 17).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub allowed: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub denied: u64,
    /// Grants and revokes acknowledged in the bucket (by completion time).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub grants: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub revokes: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Operations over simulated time, summed over seeds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    /// Width of a bucket in simulated ns (0 when empty).
    pub bucket_ns: u64,
    /// Seeds added up.
    pub seeds: u64,
    /// Bucket index (start = index × `bucket_ns`) → its counts.
    pub buckets: BTreeMap<u64, TimeBucket>,
}

/// The bucket width for a faulty phase of `duration_ns`: about
/// [`BUCKETS_PER_DURATION`] buckets, rounded up to 1, 2 or 5 × 10^k ns so
/// that axes read well.
pub fn bucket_width(duration_ns: u64) -> u64 {
    let raw = duration_ns.div_ceil(BUCKETS_PER_DURATION).max(1);
    let mut decade = 1u64;
    loop {
        for step in [1, 2, 5] {
            let width = decade.saturating_mul(step);
            if width >= raw || width == u64::MAX {
                return width;
            }
        }
        // Bounded: decade grows tenfold per pass and saturates.
        if decade > u64::MAX / 10 {
            return u64::MAX;
        }
        decade *= 10;
    }
}

impl Activity {
    pub fn is_empty(&self) -> bool {
        self.seeds == 0
    }

    /// One seed: its operations and its fault windows (start, end ns).
    pub fn of(ops: &[Op], faults: &[(u64, u64)], bucket_ns: u64) -> Activity {
        let bucket_ns = bucket_ns.max(1);
        let index = |t: u64| (t / bucket_ns).min(MAX_BUCKETS - 1);
        let mut a = Activity {
            bucket_ns,
            seeds: 1,
            buckets: BTreeMap::new(),
        };
        for op in ops {
            let b = a.buckets.entry(index(op.invoke_time)).or_default();
            b.outcomes.count(op.outcome);
            if let (Outcome::Ok, Some(end)) = (op.outcome, op.complete_time) {
                b.latency
                    .record(end.saturating_sub(op.invoke_time), LATENCY_SUB_BITS);
                if matches!(op.f, Function::Get | Function::Put) {
                    let size = op.object.as_deref().and_then(|o| o.size);
                    b.bytes = b.bytes.saturating_add(size.unwrap_or(0));
                }
            }
        }
        let mut faulted = std::collections::BTreeSet::new();
        for &(start, end) in faults {
            // Bounded by MAX_BUCKETS per window.
            faulted.extend(index(start)..=index(end.max(start)));
        }
        for i in faulted {
            a.buckets.entry(i).or_default().faulted = 1;
        }
        a
    }

    /// Marks the buckets of one seed's membership movements (start, end
    /// ns), as [`Activity::of`] marks its fault windows.
    pub fn mark_movements(&mut self, movements: &[(u64, u64)]) {
        let index = |t: u64| (t / self.bucket_ns.max(1)).min(MAX_BUCKETS - 1);
        let mut moving = std::collections::BTreeSet::new();
        for &(start, end) in movements {
            // Bounded by MAX_BUCKETS per window.
            moving.extend(index(start)..=index(end.max(start)));
        }
        for i in moving {
            self.buckets.entry(i).or_default().moving = 1;
        }
    }

    /// Adds `other` (another seed or shard). Runs of one scenario share a
    /// bucket width; should two differ, `other`'s buckets are moved to
    /// the wider width by their start time.
    pub fn merge(&mut self, other: &Activity) {
        if other.is_empty() {
            return;
        }
        if self.is_empty() {
            *self = other.clone();
            return;
        }
        if other.bucket_ns > self.bucket_ns {
            let mine = std::mem::take(self);
            *self = Activity {
                bucket_ns: other.bucket_ns,
                ..Activity::default()
            };
            self.add(&mine);
        }
        self.add(other);
    }

    fn add(&mut self, other: &Activity) {
        self.seeds += other.seeds;
        let ratio = (self.bucket_ns / other.bucket_ns.max(1)).max(1);
        for (i, b) in &other.buckets {
            let mine = self.buckets.entry(i / ratio).or_default();
            mine.outcomes.add(&b.outcomes);
            mine.latency.merge(&b.latency);
            mine.faulted = (mine.faulted + b.faulted).min(self.seeds);
            mine.moving = (mine.moving + b.moving).min(self.seeds);
            mine.bytes = mine.bytes.saturating_add(b.bytes);
            mine.allowed += b.allowed;
            mine.denied += b.denied;
            mine.grants += b.grants;
            mine.revokes += b.revokes;
        }
    }

    /// Counts one seed's access control over time: its signed requests
    /// (allowed or denied) by invoke time, its acknowledged grants and
    /// revokes by completion time. `ops` are the seed's paired operations,
    /// `access` their facts; nothing is counted without `[auth]`.
    pub fn count_access(&mut self, ops: &[Op], access: &Access) {
        if !access.applies() {
            return;
        }
        let bucket_ns = self.bucket_ns.max(1);
        let index = |t: u64| (t / bucket_ns).min(MAX_BUCKETS - 1);
        for op in ops {
            if access.of(op).is_none() {
                continue;
            }
            let b = self.buckets.entry(index(op.invoke_time)).or_default();
            match (op.outcome, op.error) {
                (Outcome::Ok, _) => b.allowed += 1,
                (Outcome::Fail, Some(FailReason::AccessDenied)) => b.denied += 1,
                _ => {}
            }
        }
        for change in &access.changes {
            let (Outcome::Ok, Some(at)) = (change.outcome, change.complete_time) else {
                continue;
            };
            let b = self.buckets.entry(index(at)).or_default();
            match change.f {
                Function::Grant => b.grants += 1,
                _ => b.revokes += 1,
            }
        }
    }

    /// Whether any signed request or policy change was counted.
    pub fn has_access(&self) -> bool {
        (self.buckets.values()).any(|b| b.allowed + b.denied + b.grants + b.revokes > 0)
    }

    /// Whether any object body bytes were counted (an S3 run).
    pub fn has_bytes(&self) -> bool {
        self.buckets.values().any(|b| b.bytes > 0)
    }

    /// Per bucket (start ns), operations per second and object body bytes
    /// per second of simulated time, per seed: throughput over time.
    pub fn throughput(&self) -> Vec<(u64, f64, f64)> {
        let per_s = 1e9 / (self.bucket_ns.max(1) as f64 * self.seeds.max(1) as f64);
        (self.buckets.iter())
            .map(|(i, b)| {
                let start = i.saturating_mul(self.bucket_ns);
                (start, b.outcomes.ok as f64 * per_s, b.bytes as f64 * per_s)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use check::History;

    const HISTORY: &str = r#"{"process":0,"type":"invoke","f":"put","key":"k","value":"a","time":100}
{"process":0,"type":"ok","f":"put","key":"k","value":"a","time":300}
{"process":1,"type":"invoke","f":"get","key":"k","value":null,"time":1500}
{"process":1,"type":"fail","f":"get","key":"k","value":null,"time":1600}
{"process":0,"type":"invoke","f":"put","key":"k","value":"b","time":2500}
{"process":1,"type":"invoke","f":"get","key":"k","value":null,"time":2600}
{"process":0,"type":"info","f":"put","key":"k","value":"b","time":2900}
"#;

    /// Issue 16: membership movements are marked apart from faults, and
    /// add up across seeds as faults do.
    #[test]
    fn movements_are_marked_apart_from_faults_and_merge() {
        let ops = check::op::pair(&History::parse(HISTORY).unwrap());
        let mut a = Activity::of(&ops, &[(1200, 1800)], 1000);
        a.mark_movements(&[(2100, 2500)]);
        let marks = |a: &Activity, i: u64| (a.buckets[&i].faulted, a.buckets[&i].moving);
        assert_eq!((marks(&a, 1), marks(&a, 2)), ((1, 0), (0, 1)));
        let mut two = a.clone();
        two.merge(&a);
        assert_eq!((marks(&two, 1), marks(&two, 2)), ((2, 0), (0, 2)));
        let plain = Activity::of(&ops, &[], 1000);
        assert!(plain.buckets.values().all(|b| b.moving == 0));
    }

    #[test]
    fn counts_outcomes_per_kind_and_per_time_bucket_and_merges() {
        let ops = check::op::pair(&History::parse(HISTORY).unwrap());
        let o = outcomes(&ops);
        assert_eq!((o[&Function::Put].ok, o[&Function::Put].info), (1, 1));
        assert_eq!((o[&Function::Get].fail, o[&Function::Get].info), (1, 1));
        let a = Activity::of(&ops, &[(1200, 1800)], 1000);
        assert_eq!(a.buckets.len(), 3);
        assert_eq!(a.buckets[&0].outcomes.ok, 1);
        assert_eq!(a.buckets[&0].latency.count(), 1);
        assert_eq!((a.buckets[&1].outcomes.fail, a.buckets[&1].faulted), (1, 1));
        assert_eq!(a.buckets[&2].outcomes.info, 2);
        let mut two = a.clone();
        two.merge(&a);
        assert_eq!((two.seeds, two.buckets[&2].outcomes.info), (2, 4));
        assert_eq!(two.buckets[&1].faulted, 2);
        let wide = Activity::of(&ops, &[], 2000);
        let mut mixed = a.clone();
        mixed.merge(&wide);
        assert_eq!(
            (mixed.bucket_ns, mixed.buckets[&0].outcomes.total()),
            (2000, 4)
        );
    }

    #[test]
    fn throughput_counts_body_bytes_of_ok_gets_and_puts_per_second() {
        let history = r#"{"process":0,"type":"invoke","f":"put","key":"b/k","value":"c0-1","time":100,"etag":"e1","size":1000000}
{"process":0,"type":"ok","f":"put","key":"b/k","value":"c0-1","time":300,"etag":"e1","size":1000000}
"#;
        let ops = check::op::pair(&History::parse(history).unwrap());
        let a = Activity::of(&ops, &[], 1_000_000);
        assert!(a.has_bytes());
        assert_eq!(a.throughput(), [(0, 1000.0, 1e9)]);
        let registers = check::op::pair(&History::parse(HISTORY).unwrap());
        assert!(!Activity::of(&registers, &[], 1000).has_bytes());
    }

    #[test]
    fn counts_signed_requests_and_acknowledged_policy_changes_over_time() {
        let text = r#"{"type":"revocation","delta_ns":0}
{"process":9,"type":"invoke","f":"grant","key":"b","value":"alice","time":0}
{"process":9,"type":"ok","f":"grant","key":"b","value":"alice","time":100}
{"process":0,"type":"invoke","f":"get","key":"b/k","value":null,"time":300,"principal":"alice","auth":"signed"}
{"process":0,"type":"ok","f":"get","key":"b/k","value":null,"time":310,"principal":"alice","auth":"signed"}
{"process":9,"type":"invoke","f":"revoke","key":"b","value":"alice","time":1100}
{"process":9,"type":"ok","f":"revoke","key":"b","value":"alice","time":1200}
{"process":1,"type":"invoke","f":"get","key":"b/k","value":null,"time":1320,"principal":"alice","auth":"signed"}
{"process":1,"type":"fail","f":"get","key":"b/k","value":null,"time":1330,"error":"access-denied","principal":"alice","auth":"signed"}
{"process":2,"type":"invoke","f":"get","key":"b/k","value":null,"time":1400}
{"process":2,"type":"fail","f":"get","key":"b/k","value":null,"time":1410}
"#;
        let history = History::parse(text).unwrap();
        let ops = check::op::pair(&history);
        let mut a = Activity::of(&ops, &[], 1000);
        assert!(!a.has_access());
        a.count_access(&ops, &Access::new(&history));
        assert!(a.has_access());
        let (first, second) = (&a.buckets[&0], &a.buckets[&1]);
        assert_eq!(
            (first.allowed, first.denied, first.grants, first.revokes),
            (1, 0, 1, 0)
        );
        // The unsigned get's failure is no denial.
        assert_eq!(
            (second.allowed, second.denied, second.grants, second.revokes),
            (0, 1, 0, 1)
        );
        let mut twice = a.clone();
        twice.merge(&a);
        assert_eq!(twice.buckets[&1].denied, 2);
        let svg = crate::plots::time::access(&a);
        assert!(
            svg.contains("revoke acknowledged") && svg.contains("denied (403)"),
            "{svg}"
        );
        let plain = Activity::of(&ops, &[], 1000);
        assert!(crate::plots::time::access(&plain).contains("no request named a principal"));
    }

    #[test]
    fn bucket_widths_are_round_and_bounded() {
        assert_eq!(bucket_width(10_000_000_000), 200_000_000);
        assert_eq!(bucket_width(4_000_000_000), 100_000_000);
        assert_eq!(bucket_width(0), 1);
        assert!(bucket_width(u64::MAX) >= u64::MAX / 60);
        let ops: Vec<Op> = Vec::new();
        let a = Activity::of(&ops, &[(0, u64::MAX)], 1);
        assert_eq!(a.buckets.len() as u64, MAX_BUCKETS);
    }
}
