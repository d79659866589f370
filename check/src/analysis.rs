//! One history prepared once for every check.
//!
//! Nearly every check needs the same things: the operations paired
//! ([`crate::op::pair`]), grouped by key in invoke order, each key's
//! possible sources of every value (`sources`), each key's
//! sessions, and what the replicas hold in the end. Building them once per
//! history, instead of once per check, is what makes checking a simulated
//! seed cheap: the histories are small (hundreds of operations), so setup
//! and allocation cost more than the judging itself.
//!
//! An [`Analysis`] borrows the paired operations and the `final` lines, and
//! builds the per-key parts lazily, on first use, so that a caller running a
//! single check pays only for what that check reads:
//!
//! ```
//! # let history = check::History::default();
//! let ops = check::op::pair(&history);
//! let analysis = check::Analysis::new(&ops, &history.finals);
//! ```
//!
//! The per-key parts hold the *register* operations only
//! ([`Op::is_register`]): listings and operations by version id are not
//! reads or writes of a key's current value, and the checks that judge them
//! (`list-after-write`, `versions`) read [`Analysis::ops`].
//!
//! Every part is a pure function of its inputs and iterated in a fixed
//! order (keys ascending, processes ascending, invoke order), so a check
//! reading it finds what it would have built itself.

use crate::history::Final;
use crate::op::Op;
use crate::sources::Sources;
use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};

/// A history's operations and `final` lines, indexed for the checks.
#[derive(Debug)]
pub struct Analysis<'a> {
    ops: &'a [Op],
    finals: &'a [Final],
    keys: BTreeMap<&'a str, Key<'a>>,
    held: OnceCell<BTreeMap<&'a str, BTreeSet<Option<&'a str>>>>,
    clock_error_ns: Option<u64>,
}

/// One key's operations, and what is derived from them on first use.
#[derive(Debug)]
pub(crate) struct Key<'a> {
    /// By invoke time, then [`Op::index`].
    ops: Vec<&'a Op>,
    sources: OnceCell<Sources<'a>>,
    sessions: OnceCell<BTreeMap<u64, Vec<&'a Op>>>,
}

impl<'a> Analysis<'a> {
    /// `ops`: paired by [`crate::op::pair`] (so that `ops[i].index == i`,
    /// which every check's indices rely on); `finals`: the history's
    /// `final` lines (empty for checks that do not read them).
    pub fn new(ops: &'a [Op], finals: &'a [Final]) -> Analysis<'a> {
        let mut keys: BTreeMap<&str, Key> = BTreeMap::new();
        for op in ops.iter().filter(|op| op.is_register()) {
            let key = keys.entry(op.key.as_str()).or_insert_with(|| Key {
                ops: Vec::new(),
                sources: OnceCell::new(),
                sessions: OnceCell::new(),
            });
            key.ops.push(op);
        }
        for key in keys.values_mut() {
            key.ops.sort_by_key(|op| (op.invoke_time, op.index));
        }
        Analysis {
            ops,
            finals,
            keys,
            held: OnceCell::new(),
            clock_error_ns: None,
        }
    }

    /// The history's bound on how far write timestamps are from real time
    /// ([`crate::History::clock_error_ns`]); `None` (the default): unknown.
    pub fn with_clock_error(mut self, clock_error_ns: Option<u64>) -> Analysis<'a> {
        self.clock_error_ns = clock_error_ns;
        self
    }

    /// See [`Analysis::with_clock_error`].
    pub fn clock_error_ns(&self) -> Option<u64> {
        self.clock_error_ns
    }

    /// Every operation, as paired.
    pub fn ops(&self) -> &'a [Op] {
        self.ops
    }

    /// The `final` lines.
    pub fn finals(&self) -> &'a [Final] {
        self.finals
    }

    /// Every key with at least one register operation, ascending.
    pub(crate) fn keys(&self) -> impl Iterator<Item = (&'a str, &Key<'a>)> {
        self.keys.iter().map(|(k, v)| (*k, v))
    }

    /// One key's part, if the key has operations.
    pub(crate) fn key(&self, key: &str) -> Option<&Key<'a>> {
        self.keys.get(key)
    }

    /// What the replicas of each key hold after heal and quiesce: the
    /// distinct values (`None` = absent), per key. One value: they agree.
    pub(crate) fn held(&self) -> &BTreeMap<&'a str, BTreeSet<Option<&'a str>>> {
        self.held.get_or_init(|| {
            let mut held: BTreeMap<&str, BTreeSet<Option<&str>>> = BTreeMap::new();
            for fin in self.finals {
                held.entry(fin.key.as_str())
                    .or_default()
                    .insert(fin.value.as_deref());
            }
            held
        })
    }
}

impl<'a> Key<'a> {
    /// The key's operations by invoke time (then [`Op::index`]).
    pub fn ops(&self) -> &[&'a Op] {
        &self.ops
    }

    /// The possible sources of every value of the key.
    pub fn sources(&self) -> &Sources<'a> {
        self.sources.get_or_init(|| Sources::new(&self.ops))
    }

    /// The key's operations per process, each in invoke order.
    pub fn sessions(&self) -> &BTreeMap<u64, Vec<&'a Op>> {
        self.sessions.get_or_init(|| {
            let mut sessions: BTreeMap<u64, Vec<&Op>> = BTreeMap::new();
            for &op in &self.ops {
                sessions.entry(op.process).or_default().push(op);
            }
            sessions
        })
    }
}

/// The value the replicas of a key agree on, if they agree.
pub(crate) fn agreed<'a>(values: &BTreeSet<Option<&'a str>>) -> Option<Option<&'a str>> {
    match values.len() {
        1 => values.first().copied(),
        _ => None,
    }
}
