//! `versions`: S3 versioning as a history can show it. In a versioned
//! bucket every acknowledged PUT stays in ListObjectVersions until deleted
//! by its version id; the current version is the newest; delete markers
//! behave as S3's (GET → not found with the marker flag; GET of the
//! marker's version id → 405 Method Not Allowed).
//!
//! A *version* (k, v) is known when an `ok` put or cas of k carries
//! `version_id` v on its completion (an object version), or an `ok` plain
//! delete of k does (a delete marker). It is *created* when that operation
//! is acknowledged. It is *permanently deleted* by a delete of k by version
//! id v that did not fail: such a delete may take effect from its invoke
//! on, and has surely taken effect once acknowledged. With concurrency,
//! this is what can be claimed, and what is checked:
//!
//! - **lost-version**: an `ok` list-versions L of prefix p must list every
//!   version (k, v), k under p, created before L began, unless a permanent
//!   delete of it was invoked before L ended; likewise an `ok` get by
//!   version id v must not answer "no such version" (value `null`, no
//!   marker) when v was created before the get began and no permanent
//!   delete of it was invoked before the get ended;
//! - **resurrected-version**: a version permanently deleted (acknowledged)
//!   before L began must not be listed; likewise for a get by version id
//!   returning it;
//! - **wrong-current-version**: in one listing, at most one entry of a key
//!   is `current`, and the current one is not older than another listed
//!   one: if the version listed current was created by an operation that
//!   completed before the operation creating another listed version of the
//!   key was invoked, the other is newer and should be current (both are
//!   present in that listing, so neither was deleted);
//! - **marker-misbehaviour**: a get by version id of a marker created
//!   before the get began (and not permanently deleted meanwhile) must end
//!   `fail` with `delete_marker` (405), not `ok`; a get by version id of an
//!   object version must not answer 405; a plain get answering "delete
//!   marker" must name a marker's version id, not an object's;
//! - **wrong-version**: a get by version id v of an object version must
//!   return that version's value (the value of the write that created it).
//!
//! Versions whose id the history does not give (an `info` put) are not
//! judged; a listed id no operation gave is not judged either (an `info`
//! put may have created it). A history with no version ids at all is `n/a`.
//!
//! Cost: O(n log n) to index the versions, then per list-versions the
//! versions under its prefix (a range of one ordered map).

use crate::analysis::Analysis;
use crate::counterexample::{span, timeline, value};
use crate::finding::{self, Finding, Kind};
use crate::history::{Function, History, Value, VersionEntry};
use crate::op::{Op, Outcome, pair};
use crate::verdict::CheckResult;
use std::collections::BTreeMap;
use std::ops::Bound;

/// What a versioning anomaly is (the finding kinds of this check).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum What {
    Lost,
    Resurrected,
    WrongCurrent,
    Marker,
    WrongVersion,
}

impl What {
    fn kind(self) -> Kind {
        match self {
            What::Lost => Kind::LostVersion,
            What::Resurrected => Kind::ResurrectedVersion,
            What::WrongCurrent => Kind::WrongCurrentVersion,
            What::Marker => Kind::MarkerMisbehaviour,
            What::WrongVersion => Kind::WrongVersion,
        }
    }
}

/// One anomaly: the operation at fault (a list-versions or a get), the key
/// and version id, and the other operations involved ([`Op::index`]es).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anomaly {
    pub what: What,
    pub at: usize,
    pub key: String,
    pub version_id: String,
    /// The operation that created the version (or, for resurrected, the
    /// permanent delete; for wrong-current, the current's creator then the
    /// newer one's).
    pub involved: Vec<usize>,
}

impl Anomaly {
    pub fn finding(&self, ops: &[Op]) -> Finding {
        let mut involved = vec![Some(self.at)];
        involved.extend(self.involved.iter().map(|&i| Some(i)));
        Finding::new(self.what.kind(), &self.key, &involved, ops)
    }
}

/// A known version: the operation that created it, when that was invoked
/// and acknowledged, whether it is a delete marker, and the value written.
#[derive(Debug, Clone, Copy)]
struct Version<'a> {
    op: usize,
    invoked: u64,
    created: u64,
    marker: bool,
    value: Option<&'a str>,
}

/// When the permanent deletes of one version may and must have happened:
/// the earliest invoke, and the earliest acknowledgement with its op.
#[derive(Debug, Clone, Copy)]
struct Removal {
    invoked: u64,
    acked: Option<(u64, usize)>,
}

/// The history's versions, indexed by (key, version id).
struct Index<'a> {
    versions: BTreeMap<(&'a str, &'a str), Version<'a>>,
    removals: BTreeMap<(&'a str, &'a str), Removal>,
}

impl<'a> Index<'a> {
    fn new(ops: &'a [Op]) -> Index<'a> {
        let mut versions = BTreeMap::new();
        let mut removals: BTreeMap<(&str, &str), Removal> = BTreeMap::new();
        for op in ops {
            if op.f == Function::Delete
                && op.outcome != Outcome::Fail
                && let Some(v) = &op.version
            {
                let acked = (op.outcome == Outcome::Ok)
                    .then_some(op.complete_time)
                    .flatten()
                    .map(|t| (t, op.index));
                let r = removals
                    .entry((op.key.as_str(), v.as_str()))
                    .or_insert(Removal {
                        invoked: op.invoke_time,
                        acked,
                    });
                r.invoked = r.invoked.min(op.invoke_time);
                if acked.is_some_and(|(t, _)| r.acked.is_none_or(|(u, _)| t < u)) {
                    r.acked = acked;
                }
                continue;
            }
            let (Outcome::Ok, Some(done), None) = (op.outcome, op.complete_time, &op.version)
            else {
                continue;
            };
            let Some(id) = op.object.as_deref().and_then(|o| o.version_id.as_deref()) else {
                continue;
            };
            let marker = match op.f {
                Function::Put => false,
                // A conditional delete (a cas to absent) leaves a marker too.
                Function::Cas => op.written().is_none(),
                Function::Delete => true,
                _ => continue,
            };
            versions.entry((op.key.as_str(), id)).or_insert(Version {
                op: op.index,
                invoked: op.invoke_time,
                created: done,
                marker,
                value: op.written(),
            });
        }
        Index { versions, removals }
    }

    /// Whether a permanent delete of (k, v) may have happened by `t`.
    fn maybe_removed_by(&self, key: &str, id: &str, t: u64) -> bool {
        self.removals
            .get(&(key, id))
            .is_some_and(|r| r.invoked <= t)
    }

    /// The permanent delete of (k, v) acknowledged before `t`, if any.
    fn removed_before(&self, key: &str, id: &str, t: u64) -> Option<usize> {
        let (at, op) = self.removals.get(&(key, id))?.acked?;
        (at < t).then_some(op)
    }
}

/// Runs the check: `n/a` without version ids, else `Valid`, or `Invalid`
/// with the first anomaly explained.
pub fn check(history: &History) -> CheckResult {
    let ops = pair(history);
    judge(&Analysis::new(&ops, &history.finals))
}

/// [`check`] on a history already prepared.
pub(crate) fn judge(analysis: &Analysis) -> CheckResult {
    let ops = analysis.ops();
    let versioned = |op: &Op| {
        op.f == Function::ListVersions
            || op.version.is_some()
            || op.object.as_deref().is_some_and(|o| o.version_id.is_some())
    };
    if !ops.iter().any(versioned) {
        return CheckResult::not_applicable("the history has no version ids and no list-versions");
    }
    let found = anomalies(ops);
    let Some(first) = found.first() else {
        return CheckResult::valid();
    };
    let mut explanation = explain(first, ops);
    if found.len() > 1 {
        explanation.push_str(&format!(
            "(+{} more versioning anomalies)\n",
            found.len() - 1
        ));
    }
    let findings = finding::first(&found, |a| a.finding(ops));
    CheckResult::invalid(explanation, found.len(), findings)
}

/// Every anomaly, by the invoke time of the operation at fault, then key
/// and version id.
pub fn anomalies(ops: &[Op]) -> Vec<Anomaly> {
    let index = Index::new(ops);
    let mut found = Vec::new();
    for op in ops {
        if let Some(entries) = op.versions() {
            listing(op, entries, &index, &mut found);
        } else if op.f == Function::Get {
            get(op, &index, &mut found);
        }
    }
    found.sort_by(|a, b| {
        let at = |x: &Anomaly| ops.get(x.at).map(|op| (op.invoke_time, op.index));
        (at(a), &a.key, &a.version_id).cmp(&(at(b), &b.key, &b.version_id))
    });
    found
}

/// The anomalies of one ok list-versions.
fn listing(list: &Op, entries: &[VersionEntry], index: &Index, found: &mut Vec<Anomaly>) {
    let (Some(end), begin) = (list.complete_time, list.invoke_time) else {
        return;
    };
    let anomaly = |what, key: &str, id: &str, involved: Vec<usize>| Anomaly {
        what,
        at: list.index,
        key: key.to_owned(),
        version_id: id.to_owned(),
        involved,
    };
    let mut by_key: BTreeMap<&str, Vec<&VersionEntry>> = BTreeMap::new();
    for e in entries {
        by_key.entry(e.key.as_str()).or_default().push(e);
    }
    let prefix = list.key.as_str();
    let under = (index.versions)
        .range::<(&str, &str), _>((Bound::Included((prefix, "")), Bound::Unbounded))
        .take_while(|((key, _), _)| key.starts_with(prefix));
    for (&(key, id), version) in under {
        let listed = by_key
            .get(key)
            .is_some_and(|es| es.iter().any(|e| e.version_id == id));
        if !listed && version.created < begin && !index.maybe_removed_by(key, id, end) {
            found.push(anomaly(What::Lost, key, id, vec![version.op]));
        }
    }
    for (key, es) in by_key {
        for e in &es {
            if let Some(delete) = index.removed_before(key, &e.version_id, begin) {
                found.push(anomaly(What::Resurrected, key, &e.version_id, vec![delete]));
            }
        }
        if let Some(wrong) = wrong_current(&es, key, index, list.index) {
            found.push(wrong);
        }
    }
}

/// A key's entries in one listing: two current, or a current one older in
/// real time than another listed one.
fn wrong_current(es: &[&VersionEntry], key: &str, index: &Index, list: usize) -> Option<Anomaly> {
    let mut current = es.iter().filter(|e| e.current);
    let first = current.next()?;
    let anomaly = |id: &str, involved| Anomaly {
        what: What::WrongCurrent,
        at: list,
        key: key.to_owned(),
        version_id: id.to_owned(),
        involved,
    };
    if let Some(second) = current.next() {
        let ops = [first, second]
            .iter()
            .filter_map(|e| index.versions.get(&(key, e.version_id.as_str())))
            .map(|v| v.op)
            .collect();
        return Some(anomaly(&second.version_id, ops));
    }
    let mine = index.versions.get(&(key, first.version_id.as_str()))?;
    // The listed version whose creating operation was invoked last.
    let (newest, id) = (es.iter())
        .filter_map(|e| Some((index.versions.get(&(key, e.version_id.as_str()))?, e)))
        .max_by_key(|(v, _)| (v.invoked, v.op))?;
    (mine.created < newest.invoked).then(|| anomaly(&id.version_id, vec![mine.op, newest.op]))
}

/// The anomaly of one get, if any.
fn get(op: &Op, index: &Index, found: &mut Vec<Anomaly>) {
    let key = op.key.as_str();
    let marker_seen = op.object.as_deref().is_some_and(|o| o.delete_marker);
    let anomaly = |what, id: &str, involved| Anomaly {
        what,
        at: op.index,
        key: key.to_owned(),
        version_id: id.to_owned(),
        involved,
    };
    let Some(asked) = op.version.as_deref() else {
        // A plain get that says "delete marker" must name a marker.
        let named = op.object.as_deref().and_then(|o| o.version_id.as_deref());
        if let (true, Outcome::Ok, Some(id)) = (marker_seen, op.outcome, named)
            && let Some(v) = index.versions.get(&(key, id))
            && !v.marker
        {
            found.push(anomaly(What::Marker, id, vec![v.op]));
        }
        return;
    };
    let Some(v) = index.versions.get(&(key, asked)) else {
        return;
    };
    let (begin, end) = (op.invoke_time, op.complete_time.unwrap_or(u64::MAX));
    let settled = v.created < begin && !index.maybe_removed_by(key, asked, end);
    match (op.outcome, v.marker, &op.output) {
        (Outcome::Fail, false, _) if marker_seen => {
            found.push(anomaly(What::Marker, asked, vec![v.op]));
        }
        (Outcome::Ok, true, _) if settled => {
            found.push(anomaly(What::Marker, asked, vec![v.op]));
        }
        (Outcome::Ok, false, Value::Absent) if settled && !marker_seen => {
            found.push(anomaly(What::Lost, asked, vec![v.op]));
        }
        (Outcome::Ok, false, Value::Str(seen)) => {
            if let Some(delete) = index.removed_before(key, asked, begin) {
                found.push(anomaly(What::Resurrected, asked, vec![delete]));
            } else if v.value.is_some_and(|w| w != seen) {
                found.push(anomaly(What::WrongVersion, asked, vec![v.op]));
            }
        }
        _ => {}
    }
}

/// One sentence and a timeline for one anomaly.
fn explain(a: &Anomaly, ops: &[Op]) -> String {
    let Some(at) = ops.get(a.at) else {
        return String::new();
    };
    let (key, id) = (a.key.as_str(), value(Some(&a.version_id)));
    let listing = at.f == Function::ListVersions;
    let head = match (listing, &at.version) {
        (true, _) => format!(
            "list-versions by process {} of prefix {} ({})",
            at.process,
            at.key,
            span(at)
        ),
        (false, Some(_)) => format!(
            "get by process {} of version {id} of {key} ({})",
            at.process,
            span(at)
        ),
        (false, None) => format!("get by process {} of {key} ({})", at.process, span(at)),
    };
    let what = if listing { "list" } else { "get" };
    let other = |i: usize| ops.get(*a.involved.get(i)?);
    let by = |o: Option<&Op>| {
        o.map_or("an operation".to_owned(), |o| {
            let written = o
                .written()
                .map_or(String::new(), |v| format!(" of {}", value(Some(v))));
            format!("process {}'s {}{written} ({})", o.process, o.f, span(o))
        })
    };
    let sentence = match a.what {
        What::Lost if listing => format!(
            "{head} did not list version {id} of {key}, created by {}, acknowledged before the list began; no delete of that version id was invoked before the list ended",
            by(other(0))
        ),
        What::Lost => format!(
            "{head} found no such version, though {} created it, acknowledged before the get began; no delete of that version id was invoked before the get ended",
            by(other(0))
        ),
        What::Resurrected => format!(
            "{head} returned version {id} of {key}, which {} had removed for good (a delete by version id), acknowledged before the {what} began",
            by(other(0))
        ),
        What::WrongCurrent
            if other(1).is_some()
                && at.versions().is_some_and(|es| {
                    es.iter().filter(|e| e.key == key && e.current).count() > 1
                }) =>
        {
            format!("{head} listed more than one current version of {key}")
        }
        What::WrongCurrent => format!(
            "{head} listed as current a version of {key} created by {}, but also version {id}, created by {}, invoked after that one completed: {id} is newer and should be current",
            by(other(0)),
            by(other(1))
        ),
        What::Marker => match (at.version.is_some(), at.outcome) {
            (true, Outcome::Ok) => format!(
                "{head} ended ok, but {id} is the delete marker {} wrote, acknowledged before the get began: S3 answers 405 Method Not Allowed",
                by(other(0))
            ),
            (true, _) => format!(
                "{head} answered 405 (a delete marker), but {id} is an object, written by {}",
                by(other(0))
            ),
            (false, _) => format!(
                "{head} answered \"delete marker\" with version id {id}, but that is an object, written by {}",
                by(other(0))
            ),
        },
        What::WrongVersion => format!(
            "{head} returned {}, but version {id} is {}",
            value(at.read().flatten()),
            by(other(0))
        ),
    };
    let mut involved: Vec<&Op> = std::iter::once(at)
        .chain(a.involved.iter().filter_map(|&i| ops.get(i)))
        .collect();
    involved.sort_by_key(|op| (op.invoke_time, op.index));
    involved.dedup_by_key(|op| op.index);
    format!("{sentence}\n{}", timeline(&involved))
}
