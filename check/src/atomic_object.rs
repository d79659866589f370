//! `atomic-object`: every GET returns the body, ETag, size and metadata of
//! one single PUT (S3: "updates to a single key are atomic"; a concurrent
//! GET sees the old object or the new one, never parts of both).
//!
//! A GET's value names the write it read (storesim derives every body from
//! its write, so the name is the body); its descriptor (`etag`, `size`,
//! `meta`, `version_id`) must then be that write's. For an `ok` get of key
//! k returning value v with any descriptor field, the candidates are the
//! puts and cas of k writing v that did not fail; the get is fine when some
//! candidate agrees on every field both of them give (a field only one
//! side gives cannot be compared, so a history without descriptors on its
//! writes claims nothing). Otherwise the object is **torn**:
//!
//! ```text
//! p0 put b/k c0-1 (etag e1)        [===]
//! p2 put b/k c2-1 (etag e2)          [====]
//! p1 get b/k -> c0-1 (etag e2)             [==]   torn: c0-1's body with c2-1's etag
//! ```
//!
//! A value no write wrote is `read-after-write`'s finding, not this one. A
//! history where no get carries a descriptor is `n/a`. Gets by version id
//! are judged alike (the version's fields must be its write's).
//!
//! Cost: O(n log n): the writes are indexed by (key, value) once, and by
//! (key, etag) and (key, version id) to name the write a torn field came
//! from.

use crate::analysis::Analysis;
use crate::counterexample::{span, timeline, value};
use crate::finding::{self, Finding, Kind};
use crate::history::{Function, History, Object};
use crate::op::{Op, Outcome, pair};
use crate::verdict::CheckResult;
use std::collections::BTreeMap;

/// A get whose descriptor is not that of any one write of its value.
/// Fields are indices into the ops ([`Op::index`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Torn {
    pub get: usize,
    /// The write of the value read that agrees on the most fields (the
    /// first invoked among equals).
    pub write: usize,
    /// The fields that differ from that write's, in the order etag, size,
    /// meta, version_id.
    pub fields: Vec<&'static str>,
    /// Another write of the key whose ETag or version id is the one the
    /// get returned, if any: where the torn field came from.
    pub other: Option<usize>,
}

impl Torn {
    /// The anomaly as data: ops are the get, the write named, the other write.
    pub fn finding(&self, ops: &[Op]) -> Finding {
        let key = ops.get(self.get).map_or("", |op| op.key.as_str());
        let involved = [Some(self.get), Some(self.write), self.other];
        Finding::new(Kind::TornObject, key, &involved, ops)
    }
}

/// Runs the check: `n/a` when no get carries a descriptor, else `Valid`, or
/// `Invalid` with the first torn object explained.
pub fn check(history: &History) -> CheckResult {
    let ops = pair(history);
    judge(&Analysis::new(&ops, &history.finals))
}

/// [`check`] on a history already prepared.
pub(crate) fn judge(analysis: &Analysis) -> CheckResult {
    let ops = analysis.ops();
    if !ops.iter().any(|op| described(op).is_some()) {
        return CheckResult::not_applicable(
            "no get in the history carries an object's descriptor (etag, size, meta, version_id)",
        );
    }
    let found = anomalies(ops);
    let Some(first) = found.first() else {
        return CheckResult::valid();
    };
    let mut explanation = explain(first, ops);
    if found.len() > 1 {
        explanation.push_str(&format!("(+{} more torn objects)\n", found.len() - 1));
    }
    let findings = finding::first(&found, |t| t.finding(ops));
    CheckResult::invalid(explanation, found.len(), findings)
}

/// An ok get of a value with a descriptor: the value and the descriptor.
fn described(op: &Op) -> Option<(&str, &Object)> {
    let v = op.read()??;
    Some((v, op.object.as_deref()?))
}

/// Every torn object, by the get's invoke time.
pub fn anomalies(ops: &[Op]) -> Vec<Torn> {
    let mut writes: BTreeMap<(&str, &str), Vec<&Op>> = BTreeMap::new();
    let mut by_etag: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut by_version: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let is_write = |op: &&Op| matches!(op.f, Function::Put | Function::Cas);
    for op in ops
        .iter()
        .filter(is_write)
        .filter(|op| op.outcome != Outcome::Fail)
    {
        let Some(v) = op.written() else { continue };
        writes.entry((op.key.as_str(), v)).or_default().push(op);
        if let Some(o) = op.object.as_deref() {
            if let Some(etag) = &o.etag {
                by_etag.entry((op.key.as_str(), etag)).or_insert(op.index);
            }
            if let Some(id) = &o.version_id {
                by_version.entry((op.key.as_str(), id)).or_insert(op.index);
            }
        }
    }
    let mut found = Vec::new();
    for get in ops {
        let Some((v, seen)) = described(get) else {
            continue;
        };
        let Some(candidates) = writes.get(&(get.key.as_str(), v)) else {
            continue;
        };
        let differing = |w: &Op| w.object.as_deref().map_or(Vec::new(), |o| differ(seen, o));
        let Some((write, fields)) = (candidates.iter())
            .map(|w| (w.index, differing(w)))
            .min_by_key(|(_, fields)| fields.len())
        else {
            continue;
        };
        if fields.is_empty() {
            continue;
        }
        let key = get.key.as_str();
        let other = (seen.etag.as_deref())
            .and_then(|etag| by_etag.get(&(key, etag)))
            .or_else(|| (seen.version_id.as_deref()).and_then(|id| by_version.get(&(key, id))))
            .copied()
            .filter(|&other| other != write);
        found.push(Torn {
            get: get.index,
            write,
            fields,
            other,
        });
    }
    found.sort_by_key(|t| ops.get(t.get).map(|op| (op.invoke_time, op.index)));
    found
}

/// The fields both descriptors give and on which they differ.
fn differ(seen: &Object, written: &Object) -> Vec<&'static str> {
    fn differs<T: PartialEq>(a: &Option<T>, b: &Option<T>) -> bool {
        matches!((a, b), (Some(a), Some(b)) if a != b)
    }
    let mut fields = Vec::new();
    if differs(&seen.etag, &written.etag) {
        fields.push("etag");
    }
    if differs(&seen.size, &written.size) {
        fields.push("size");
    }
    if differs(&seen.meta, &written.meta) {
        fields.push("meta");
    }
    if differs(&seen.version_id, &written.version_id) {
        fields.push("version_id");
    }
    fields
}

/// One sentence and a timeline for one torn object.
fn explain(torn: &Torn, ops: &[Op]) -> String {
    let (Some(get), Some(write)) = (ops.get(torn.get), ops.get(torn.write)) else {
        return String::new();
    };
    let (seen, written) = (
        get.object.as_deref().cloned().unwrap_or_default(),
        write.object.as_deref().cloned().unwrap_or_default(),
    );
    let pairs: Vec<String> = (torn.fields.iter())
        .map(|&f| format!("{f} {} instead of {}", field(&seen, f), field(&written, f)))
        .collect();
    let other = torn.other.and_then(|i| ops.get(i));
    let from = other.map_or(String::new(), |o| {
        format!(
            " (as process {}'s {} of {} wrote, {})",
            o.process,
            o.f,
            value(o.written()),
            span(o)
        )
    });
    let sentence = format!(
        "read by process {} of {} ({}) returned {}, written by process {} ({}, {}), but with {}{from}: a torn object, parts of more than one write",
        get.process,
        get.key,
        span(get),
        value(get.read().flatten()),
        write.process,
        write.f,
        span(write),
        pairs.join(", "),
    );
    let mut involved: Vec<&Op> = [Some(write), other, Some(get)]
        .into_iter()
        .flatten()
        .collect();
    involved.sort_by_key(|op| (op.invoke_time, op.index));
    format!("{sentence}\n{}", timeline(&involved))
}

/// One descriptor field for a sentence: `"e1"`, `4096`, `{color: red}`.
fn field(o: &Object, name: &str) -> String {
    let quoted = |s: &Option<String>| {
        s.as_deref()
            .map_or("none".to_owned(), |s| format!("{:?}", value(Some(s))))
    };
    match name {
        "etag" => quoted(&o.etag),
        "version_id" => quoted(&o.version_id),
        "size" => o.size.map_or("none".to_owned(), |s| s.to_string()),
        _ => o.meta.as_ref().map_or("none".to_owned(), |m| {
            let pairs: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{k}: {}", value(Some(v))))
                .collect();
            format!("{{{}}}", pairs.join(", "))
        }),
    }
}
