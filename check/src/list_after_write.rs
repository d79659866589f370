//! `list-after-write`: a LIST is a read of the *presence* of every key under
//! its prefix, judged per key by read-after-write's rule with presence as the
//! value (S3 promises strong read-after-write for LIST, per key; a LIST is
//! not a snapshot across keys, so nothing is judged across keys).
//!
//! For key k and an `ok` list L of prefix p (k starts with p), L may show
//! what some write to k left — present after a put or cas, absent after a
//! delete, absent initially, either after a delete by version id — provided
//! that write was invoked before L ended and was not superseded before L
//! began (superseded: another write to k was invoked after it completed and
//! was acknowledged before L began). Module [`crate::presence`] turns this
//! into windows of time. Three findings:
//!
//! - **missing**: k is not listed, though absence was not possible: an
//!   acknowledged put of k completed before L began, and every delete of k
//!   either completed before that put was invoked or was invoked after L
//!   ended;
//! - **resurrected**: k is listed, though presence was not possible (the
//!   same with delete and put swapped);
//! - **phantom**: k is listed, but no put or cas of k that did not fail was
//!   invoked before L ended (a key nobody wrote, a key written only later,
//!   or a key outside the prefix).
//!
//! ```text
//! p0 put b/k1 c0-1   |[====]                       |
//! p3 list b/ -> 0    |          [=====]            |   missing: b/k1 was acknowledged before the list began
//! ```
//!
//! A listing's keys are a set: the order and repeats (across pages) do not
//! matter. `fail` and `info` lists constrain nothing. A history with no
//! `list` operation is `n/a`.
//!
//! The staleness of listings ([`Staleness`]): how many listings missed or
//! resurrected a key, and how long before the list began the write it
//! missed had been acknowledged.
//!
//! Cost: O(n log n) for the windows, then one sweep over the lists in
//! begin-time order holding the keys that must be present now: each list
//! costs O(m log m) for its m listed keys plus the keys under its prefix
//! that must be present (about m when the store is right), never the whole
//! key space.

use crate::analysis::Analysis;
use crate::counterexample::{span, timeline};
use crate::finding::{self, Finding, Kind};
use crate::history::{Function, History};
use crate::ms::{Precision, format_ms};
use crate::op::{Op, Outcome, pair};
use crate::presence::{Presence, Span};
use crate::verdict::CheckResult;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::ops::Bound;

/// One key a listing got wrong. Op fields are indices into the ops
/// ([`Op::index`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anomaly {
    /// `key` was not listed, though the put `put` (acknowledged `behind_ns`
    /// before the list began) had superseded every absence. `deleted`: the
    /// delete it superseded, if any (`None`: the initial state).
    Missing {
        list: usize,
        key: String,
        put: usize,
        deleted: Option<usize>,
        behind_ns: u64,
    },
    /// `key` was listed, though the delete `delete` (acknowledged
    /// `behind_ns` before the list began) had superseded every presence;
    /// `put` is the write it superseded.
    Resurrected {
        list: usize,
        key: String,
        delete: usize,
        put: Option<usize>,
        behind_ns: u64,
    },
    /// `key` was listed, but nothing could have put it there by the time
    /// the list ended. `later`: the first put or cas of it, invoked after
    /// the list ended, if any; `outside`: the key does not start with the
    /// prefix.
    Phantom {
        list: usize,
        key: String,
        later: Option<usize>,
        outside: bool,
    },
}

impl Anomaly {
    /// The list at fault.
    pub fn list(&self) -> usize {
        match *self {
            Anomaly::Missing { list, .. }
            | Anomaly::Resurrected { list, .. }
            | Anomaly::Phantom { list, .. } => list,
        }
    }

    /// The key the list got wrong.
    pub fn key(&self) -> &str {
        match self {
            Anomaly::Missing { key, .. }
            | Anomaly::Resurrected { key, .. }
            | Anomaly::Phantom { key, .. } => key,
        }
    }

    /// How long before the list began the write it missed was acknowledged
    /// (`None` for a phantom).
    pub fn behind_ns(&self) -> Option<u64> {
        match *self {
            Anomaly::Missing { behind_ns, .. } | Anomaly::Resurrected { behind_ns, .. } => {
                Some(behind_ns)
            }
            Anomaly::Phantom { .. } => None,
        }
    }

    /// The anomaly as data: ops are the list, then the write it missed,
    /// then the write that one superseded.
    pub fn finding(&self, ops: &[Op]) -> Finding {
        let (kind, involved) = match *self {
            Anomaly::Missing {
                list, put, deleted, ..
            } => (Kind::MissingKey, vec![Some(list), Some(put), deleted]),
            Anomaly::Resurrected {
                list, delete, put, ..
            } => (Kind::ResurrectedKey, vec![Some(list), Some(delete), put]),
            Anomaly::Phantom { list, later, .. } => (Kind::PhantomKey, vec![Some(list), later]),
        };
        Finding::new(kind, self.key(), &involved, ops)
    }
}

/// How stale the listings were.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Staleness {
    /// `ok` lists judged.
    pub listings: usize,
    /// Of those, the ones with at least one missing or resurrected key.
    pub stale: usize,
    pub missing: usize,
    pub resurrected: usize,
    pub phantom: usize,
    /// The longest time a missed write had been acknowledged when a list
    /// began (0 when none was missed).
    pub behind_ns_max: u64,
}

impl Staleness {
    /// Counts `found` (as [`anomalies`] orders them) over `listings` lists.
    pub fn of(found: &[Anomaly], listings: usize) -> Staleness {
        let mut s = Staleness {
            listings,
            ..Staleness::default()
        };
        let mut last_stale = None;
        for a in found {
            match a {
                Anomaly::Missing { .. } => s.missing += 1,
                Anomaly::Resurrected { .. } => s.resurrected += 1,
                Anomaly::Phantom { .. } => s.phantom += 1,
            }
            if let Some(behind) = a.behind_ns() {
                s.behind_ns_max = s.behind_ns_max.max(behind);
                if last_stale != Some(a.list()) {
                    s.stale += 1;
                    last_stale = Some(a.list());
                }
            }
        }
        s
    }
}

/// Runs the check: `n/a` without lists, else `Valid`, or `Invalid` with the
/// first anomaly explained.
pub fn check(history: &History) -> CheckResult {
    let ops = pair(history);
    judge(&Analysis::new(&ops, &history.finals))
}

/// [`check`] on a history already prepared.
pub(crate) fn judge(analysis: &Analysis) -> CheckResult {
    let ops = analysis.ops();
    if !ops.iter().any(|op| op.f == Function::List) {
        return CheckResult::not_applicable("the history has no \"list\" operations");
    }
    let found = anomalies(ops);
    let Some(first) = found.first() else {
        return CheckResult::valid();
    };
    let listings = ops.iter().filter(|op| op.listed().is_some()).count();
    let mut explanation = explain(first, ops);
    explanation.push_str(&summary(&Staleness::of(&found, listings)));
    let findings = finding::first(&found, |a| a.finding(ops));
    CheckResult::invalid(explanation, found.len(), findings)
}

/// Every anomaly, ordered by the list's invoke time (then index), then key.
pub fn anomalies(ops: &[Op]) -> Vec<Anomaly> {
    let mut writes: BTreeMap<&str, Vec<&Op>> = BTreeMap::new();
    for op in ops.iter().filter(|op| op.f.is_write()) {
        writes.entry(op.key.as_str()).or_default().push(op);
    }
    let keys: BTreeMap<&str, Presence> = (writes.iter())
        .map(|(&key, writes)| (key, Presence::new(writes)))
        .collect();
    let mut lists: Vec<&Op> = ops.iter().filter(|op| op.listed().is_some()).collect();
    lists.sort_by_key(|op| (op.invoke_time, op.index));
    let mut found = Vec::new();
    let mut present = MustBePresent::new(&keys);
    for list in lists {
        let (Some(listed), Some(end)) = (list.listed(), list.complete_time) else {
            continue;
        };
        let mut listed: Vec<&str> = listed.iter().map(String::as_str).collect();
        listed.sort_unstable();
        listed.dedup();
        let mut here = Vec::new();
        for &key in &listed {
            here.extend(judge_listed(list, key, end, keys.get(key)));
        }
        present.advance(list.invoke_time);
        for (key, gap_before, span) in present.under(&list.key) {
            if gap_before.is_some_and(|before| end >= before) {
                continue; // absence becomes possible again before the list ends
            }
            if listed.binary_search(&key).is_ok() {
                continue;
            }
            let (Some(after), Some(put)) = (span.to, span.by) else {
                continue;
            };
            here.push(Anomaly::Missing {
                list: list.index,
                key: key.to_owned(),
                put,
                deleted: span.source,
                behind_ns: list.invoke_time.saturating_sub(after),
            });
        }
        here.sort_by(|a, b| a.key().cmp(b.key()));
        found.extend(here);
    }
    found
}

/// The anomaly of one listed key, if any.
fn judge_listed(list: &Op, key: &str, end: u64, presence: Option<&Presence>) -> Option<Anomaly> {
    let outside = !key.starts_with(list.key.as_str());
    let phantom = |later| Anomaly::Phantom {
        list: list.index,
        key: key.to_owned(),
        later,
        outside,
    };
    if outside {
        return Some(phantom(None));
    }
    let Some(presence) = presence else {
        return Some(phantom(None));
    };
    match presence.present.seen(list.invoke_time, end) {
        Ok(_) => None,
        Err(None) => Some(phantom(presence.first_put)),
        Err(Some(span)) => Some(Anomaly::Resurrected {
            list: list.index,
            key: key.to_owned(),
            delete: span.by?,
            put: span.source,
            behind_ns: list.invoke_time.saturating_sub(span.to?),
        }),
    }
}

/// The sweep's state: the keys that must be present at the current time,
/// each with the end of its gap and the span of absence the gap follows.
struct MustBePresent<'k> {
    /// Every gap `(after, key, before, span)`, by `after`.
    gaps: Vec<(u64, &'k str, Option<u64>, &'k Span)>,
    next: usize,
    now: BTreeMap<&'k str, (Option<u64>, &'k Span)>,
    /// Gap ends of the keys in `now`, earliest first, to drop them when passed.
    ends: BinaryHeap<Reverse<(u64, &'k str)>>,
}

impl<'k> MustBePresent<'k> {
    fn new(keys: &'k BTreeMap<&'k str, Presence>) -> MustBePresent<'k> {
        let mut gaps: Vec<(u64, &str, Option<u64>, &Span)> = Vec::new();
        for (&key, presence) in keys {
            gaps.extend(
                presence
                    .gaps()
                    .map(|(after, before, span)| (after, key, before, span)),
            );
        }
        gaps.sort_unstable_by_key(|&(after, key, before, _)| (after, key, before));
        MustBePresent {
            gaps,
            next: 0,
            now: BTreeMap::new(),
            ends: BinaryHeap::new(),
        }
    }

    /// Moves to a list beginning at `b` (never earlier than the last):
    /// takes in the gaps opened strictly before `b`, and drops the ones
    /// that closed by `b` (a list beginning then may see the key absent).
    fn advance(&mut self, b: u64) {
        while let Some(&(after, key, before, span)) = self.gaps.get(self.next) {
            if after >= b {
                break;
            }
            self.next += 1;
            self.now.insert(key, (before, span));
            if let Some(before) = before {
                self.ends.push(Reverse((before, key)));
            }
        }
        while let Some(&Reverse((before, key))) = self.ends.peek() {
            if before > b {
                break;
            }
            self.ends.pop();
            // The key's entry may be a later gap by now: drop only this one.
            if self
                .now
                .get(key)
                .is_some_and(|(end, _)| *end == Some(before))
            {
                self.now.remove(key);
            }
        }
    }

    /// The keys under `prefix` that must be present now.
    fn under<'p>(
        &'p self,
        prefix: &'p str,
    ) -> impl Iterator<Item = (&'k str, Option<u64>, &'k Span)> + 'p {
        (self
            .now
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded)))
        .take_while(move |(key, _)| key.starts_with(prefix))
        .map(|(&key, &(before, span))| (key, before, span))
    }
}

/// One sentence and a timeline for one anomaly.
fn explain(anomaly: &Anomaly, ops: &[Op]) -> String {
    let get = |i: usize| ops.get(i);
    let Some(list) = get(anomaly.list()) else {
        return String::new();
    };
    let head = format!(
        "list by process {} of prefix {} ({})",
        list.process,
        list.key,
        span(list)
    );
    let key = anomaly.key();
    let (sentence, involved) = match *anomaly {
        Anomaly::Missing {
            put,
            deleted,
            behind_ns,
            ..
        } => {
            let (w, d) = (get(put), deleted.and_then(get));
            let text = w.map_or(format!("{head} did not list {key}"), |w| {
                format!(
                    "{head} did not list {key}, but process {} wrote it ({}, {}), acknowledged at {}, {} before the list began, and every delete of {key} completed before that write began or began after the list ended",
                    w.process,
                    what(w),
                    span(w),
                    done(w),
                    format_ms(behind_ns, Precision::Fit)
                )
            });
            (text, vec![d, w, Some(list)])
        }
        Anomaly::Resurrected {
            delete,
            put,
            behind_ns,
            ..
        } => {
            let (d, w) = (get(delete), put.and_then(get));
            let text = d.map_or(format!("{head} listed {key}"), |d| {
                format!(
                    "{head} listed {key}, but process {} deleted it ({}), acknowledged at {}, {} before the list began, and every put of {key} completed before that delete began or began after the list ended",
                    d.process,
                    span(d),
                    done(d),
                    format_ms(behind_ns, Precision::Fit)
                )
            });
            (text, vec![w, d, Some(list)])
        }
        Anomaly::Phantom { later, outside, .. } => {
            let w = later.and_then(get);
            let text = match (outside, w) {
                (true, _) => format!("{head} listed {key}, a key outside its prefix"),
                (false, Some(w)) => format!(
                    "{head} listed {key}, but the first write of it, by process {} ({}, {}), began after the list completed",
                    w.process,
                    what(w),
                    span(w)
                ),
                (false, None) => format!("{head} listed {key}, a key no put or cas wrote"),
            };
            (text, vec![Some(list), w])
        }
    };
    let mut involved: Vec<&Op> = involved.into_iter().flatten().collect();
    involved.sort_by_key(|op| (op.invoke_time, op.index));
    format!("{sentence}\n{}", timeline(&involved))
}

/// "put c0-1" / "cas a->b".
fn what(w: &Op) -> String {
    match w.written() {
        Some(v) => format!("{} {}", w.f, crate::counterexample::value(Some(v))),
        None => w.f.to_string(),
    }
}

fn done(w: &Op) -> String {
    match (w.outcome, w.complete_time) {
        (Outcome::Ok, Some(t)) => format_ms(t, Precision::Fit),
        _ => "never".to_owned(),
    }
}

/// "(stale listings: 2 of 40 ...)" — the staleness of the listings.
fn summary(s: &Staleness) -> String {
    format!(
        "({} of {} listings stale: {} missing, {} resurrected key(s), the longest {} behind; {} phantom key(s))\n",
        s.stale,
        s.listings,
        s.missing,
        s.resurrected,
        format_ms(s.behind_ns_max, Precision::Fit),
        s.phantom
    )
}
