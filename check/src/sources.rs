//! The possible sources of a value: which writes a read (or a replica's
//! final state) of a value could have come from.
//!
//! Shared by the session checks, `read-after-write`, `convergence`,
//! `lost-update`, `durability` and the staleness metrics (through
//! [`crate::Analysis`], which builds it once per key), so that all of them
//! agree on one model:
//!
//! - a write that did not `fail` may be a source of the value it writes
//!   (put and cas: their string; delete: absent). An `ok` write took effect;
//!   an `info` one may have, at any time after its invoke (it never ends);
//! - the *initial state* is a source of absent, before everything;
//! - a read can only have seen a write invoked before the read completed.
//!
//! Real-time order: `W1 → W2` when W1 completed before W2 was invoked
//! (strictly). Every check that has to pick among several possible sources
//! (values repeat in foreign histories) asks this module for the two
//! extremes — the one invoked first and the one that ended last — because a
//! claim that holds for those holds for every source in between.

use crate::op::{Op, Outcome};
use std::ops::Range;

/// A point in time as the model needs it: `Start` is before every event
/// (when the initial state was "written"), `Never` after all of them (when
/// an `info` write "completed").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Point {
    Start,
    At(u64),
    Never,
}

/// One possible source of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Candidate {
    /// The write's index into the ops; `None` for the initial state.
    pub op: Option<usize>,
    pub invoked: Point,
    pub ended: Point,
}

impl Candidate {
    const INITIAL: Candidate = Candidate {
        op: None,
        invoked: Point::Start,
        ended: Point::Start,
    };

    /// `self → at`: this source had completed before time `at`.
    pub fn precedes(&self, at: u64) -> bool {
        self.ended < Point::At(at)
    }
}

/// One key's writes, grouped by the value they leave (`None` = absent).
///
/// Flat, so that building it costs a few allocations, not a few per value:
/// every candidate has a *position* in one list, grouped by value (values
/// ascending) and by invoke time within a group. Positions are stable, so a
/// check can keep its own facts about each candidate in a vector beside it
/// (`read_after_write` does).
#[derive(Debug, Default)]
pub(crate) struct Sources<'a> {
    /// Every value with a candidate, ascending, and its group's positions.
    values: Vec<(Option<&'a str>, Range<usize>)>,
    /// Every candidate, by (value, invoke time, op).
    list: Vec<Candidate>,
    /// `newest[i]`: the position of the candidate that ended last among
    /// those of `i`'s group up to `i` (by invoke time).
    newest: Vec<usize>,
}

/// The candidates of one value that a given read could have seen.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Possible<'s> {
    list: &'s [Candidate],
    newest: Candidate,
}

impl<'a> Sources<'a> {
    /// `ops`: one key's operations (any order; reads are ignored).
    pub fn new(ops: &[&'a Op]) -> Sources<'a> {
        let mut all: Vec<(Option<&str>, Candidate)> = Vec::with_capacity(ops.len() + 1);
        all.push((None, Candidate::INITIAL));
        for op in ops {
            if !op.f.is_write() || op.outcome == Outcome::Fail {
                continue;
            }
            let ended = op.complete_time.map_or(Point::Never, Point::At);
            let candidate = Candidate {
                op: Some(op.index),
                invoked: Point::At(op.invoke_time),
                ended,
            };
            all.push((op.written(), candidate));
        }
        // (value, invoked, op) is unique: op indices are, and only the
        // initial state has none.
        all.sort_unstable_by(|(v, a), (w, b)| (v, a.invoked, a.op).cmp(&(w, b.invoked, b.op)));
        let mut values: Vec<(Option<&str>, Range<usize>)> = Vec::new();
        for (i, (v, _)) in all.iter().enumerate() {
            match values.last_mut() {
                Some((last, range)) if last == v => range.end = i + 1,
                _ => values.push((*v, i..i + 1)),
            }
        }
        let list: Vec<Candidate> = all.into_iter().map(|(_, c)| c).collect();
        let mut newest = Vec::with_capacity(list.len());
        for (_, range) in &values {
            let group = list.get(range.clone()).unwrap_or_default();
            newest_so_far(group, range.start, &mut newest);
        }
        Sources {
            values,
            list,
            newest,
        }
    }

    /// The sources of `v` invoked no later than `by` (a read's completion;
    /// `u64::MAX` for "any time", as for a final state). `None` when there
    /// is none: nothing could have produced `v` by then.
    pub fn possible(&self, v: Option<&str>, by: u64) -> Option<Possible<'_>> {
        let (start, group) = self.group(v)?;
        let seeable = group.partition_point(|c| c.invoked <= Point::At(by));
        let last = seeable.checked_sub(1)?;
        let newest = *self.list.get(*self.newest.get(start + last)?)?;
        Some(Possible {
            list: group.get(..seeable)?,
            newest,
        })
    }

    /// Every candidate of `v` by invoke time, and the position of the
    /// first; `None` when no write that did not fail wrote `v`.
    pub fn group(&self, v: Option<&str>) -> Option<(usize, &[Candidate])> {
        let at = self.values.binary_search_by(|(k, _)| (*k).cmp(&v)).ok()?;
        let (_, range) = self.values.get(at)?;
        Some((range.start, self.list.get(range.clone())?))
    }

    /// The candidate at a position.
    pub fn at(&self, position: usize) -> Option<&Candidate> {
        self.list.get(position)
    }

    /// Every group ([`Sources::group`]), by value.
    pub fn groups(&self) -> impl Iterator<Item = (usize, &[Candidate])> {
        let groups = self.values.iter();
        groups.filter_map(|(_, range)| Some((range.start, self.list.get(range.clone())?)))
    }
}

impl Possible<'_> {
    /// How many possible sources there are (at least one).
    pub fn count(&self) -> usize {
        self.list.len()
    }

    /// The source invoked first: a claim "every source began after t" holds
    /// when it holds for this one.
    pub fn first(&self) -> Candidate {
        self.list.first().copied().unwrap_or(self.newest)
    }

    /// The source that ended last: a claim "every source had completed
    /// before t" holds when it holds for this one.
    pub fn newest(&self) -> Candidate {
        self.newest
    }

    /// The one source, when there is exactly one.
    pub fn unique(&self) -> Option<Candidate> {
        match self.list {
            [only] => Some(*only),
            _ => None,
        }
    }

    /// Every possible source, by invoke time.
    pub fn all(&self) -> &[Candidate] {
        self.list
    }
}

/// Appends to `newest`, for each position of `group` (the positions from
/// `start`), the position of the candidate that ended last among the group
/// up to it (the earliest of them on ties).
fn newest_so_far(group: &[Candidate], start: usize, newest: &mut Vec<usize>) {
    let mut best: Option<(usize, Point)> = None;
    for (i, c) in group.iter().enumerate() {
        if best.is_none_or(|(_, ended)| ended < c.ended) {
            best = Some((start + i, c.ended));
        }
        newest.extend(best.map(|(position, _)| position));
    }
}
