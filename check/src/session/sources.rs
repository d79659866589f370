//! The possible sources of a value: which writes a read (or a replica's
//! final state) of a value could have come from.
//!
//! Shared by the session checks, `lost-update`, `durability` and the
//! staleness metrics, so that all of them agree on one model:
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

use crate::history::Final;
use crate::op::{Op, Outcome};
use std::collections::{BTreeMap, BTreeSet};

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

/// One value's candidates by invoke time, and `newest[i]`: the index of the
/// candidate that ended last among `list[..=i]`.
#[derive(Debug, Default)]
struct Entry {
    list: Vec<Candidate>,
    newest: Vec<usize>,
}

/// One key's writes, grouped by the value they leave (`None` = absent).
#[derive(Debug, Default)]
pub(crate) struct Sources<'a> {
    /// Sorted by value (a vector, not a map, so that a lookup can borrow
    /// the value for less time than the history).
    by_value: Vec<(Option<&'a str>, Entry)>,
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
        let mut lists: BTreeMap<Option<&str>, Vec<Candidate>> = BTreeMap::new();
        lists.entry(None).or_default().push(Candidate::INITIAL);
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
            lists.entry(op.written()).or_default().push(candidate);
        }
        let by_value = lists
            .into_iter()
            .map(|(v, mut list)| {
                list.sort_by_key(|c| (c.invoked, c.op));
                let newest = newest_so_far(&list);
                (v, Entry { list, newest })
            })
            .collect();
        Sources { by_value }
    }

    /// The sources of `v` invoked no later than `by` (a read's completion;
    /// `u64::MAX` for "any time", as for a final state). `None` when there
    /// is none: nothing could have produced `v` by then.
    pub fn possible(&self, v: Option<&str>, by: u64) -> Option<Possible<'_>> {
        let at = self.by_value.binary_search_by(|(k, _)| (*k).cmp(&v)).ok()?;
        let (_, entry) = self.by_value.get(at)?;
        let seeable = entry.list.partition_point(|c| c.invoked <= Point::At(by));
        let last = seeable.checked_sub(1)?;
        let newest = *entry.list.get(*entry.newest.get(last)?)?;
        Some(Possible {
            list: entry.list.get(..seeable)?,
            newest,
        })
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

/// `newest[i]`: the index of the candidate that ended last among `list[..=i]`.
fn newest_so_far(list: &[Candidate]) -> Vec<usize> {
    let mut newest: Vec<usize> = Vec::with_capacity(list.len());
    for (i, c) in list.iter().enumerate() {
        let keep = newest
            .last()
            .copied()
            .filter(|&b| list.get(b).is_some_and(|best| best.ended >= c.ended));
        newest.push(keep.unwrap_or(i));
    }
    newest
}

/// Every operation grouped by key, each group in invoke order.
pub(crate) fn by_key(ops: &[Op]) -> BTreeMap<&str, Vec<&Op>> {
    let mut by_key: BTreeMap<&str, Vec<&Op>> = BTreeMap::new();
    for op in ops {
        by_key.entry(op.key.as_str()).or_default().push(op);
    }
    for key_ops in by_key.values_mut() {
        key_ops.sort_by_key(|op| (op.invoke_time, op.index));
    }
    by_key
}

/// What the replicas of each key hold after heal and quiesce: the distinct
/// values (`None` = absent), per key. One value: the replicas agree.
pub(crate) fn held(finals: &[Final]) -> BTreeMap<&str, BTreeSet<Option<&str>>> {
    let mut held: BTreeMap<&str, BTreeSet<Option<&str>>> = BTreeMap::new();
    for fin in finals {
        held.entry(fin.key.as_str())
            .or_default()
            .insert(fin.value.as_deref());
    }
    held
}

/// The value the replicas of a key agree on, if they agree.
pub(crate) fn agreed<'a>(values: &BTreeSet<Option<&'a str>>) -> Option<Option<&'a str>> {
    match values.len() {
        1 => values.first().copied(),
        _ => None,
    }
}
