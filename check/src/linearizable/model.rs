//! The sequential specification of one register, and one key's operations in
//! the compact form both algorithms read.
//!
//! The register starts absent. `get` returns the current value (or absent),
//! `put v` sets it, `delete` makes it absent, `cas from to` sets `to` if the
//! register holds `from` (`from: null` = only if absent). States are interned
//! per key: [`ABSENT`] is 0 and the `i`-th distinct string is `i + 1`, so a
//! state is a `u32` and stepping the model allocates nothing.
//!
//! [`compile`] decides which operations constrain the order at all:
//!
//! - `fail` operations did not happen: dropped.
//! - a get that did not end `ok` observed nothing: dropped.
//! - an `info` write (put, delete, cas) may take effect at any time after its
//!   invoke, or never. If no ok get returns what it writes and no cas expects
//!   it (`from`), it is dropped. Why that is sound: in a linearization with
//!   the write in it, only writes can follow it until the register changes
//!   again (nothing reads or compares against its value), and those writes do
//!   not depend on the state; so removing it leaves a linearization. Dropping
//!   it both shrinks the search and lets the fast path ignore it.
//! - an operation whose value does not fit its function (a put without a
//!   string, which a validated history never has) is ignored, not guessed at.

use crate::op::{Op, Outcome};
use std::collections::{BTreeMap, BTreeSet};

/// The interned state "absent".
pub(crate) const ABSENT: u32 = 0;

/// What an operation does to, or expects of, the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An ok get that returned this state.
    Get(u32),
    /// A put (or, with [`ABSENT`], a delete).
    Put(u32),
    /// A cas that took effect: the state was `from`, becomes `to`.
    Cas { from: u32, to: u32 },
}

/// One step of the sequential register: the next state, or `None` when the
/// operation cannot happen in `state`.
#[inline]
pub(crate) fn step(state: u32, kind: Kind) -> Option<u32> {
    match kind {
        Kind::Get(seen) => (seen == state).then_some(state),
        Kind::Put(to) => Some(to),
        Kind::Cas { from, to } => (from == state).then_some(to),
    }
}

/// One operation the model considers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyOp {
    /// [`Op::index`] of the operation.
    pub index: usize,
    pub kind: Kind,
    pub invoke: u64,
    /// `None`: an `info` write, open forever (it may also never take effect).
    pub complete: Option<u64>,
}

impl KeyOp {
    /// Whether it must be linearized (it completed `ok`).
    pub fn must(&self) -> bool {
        self.complete.is_some()
    }
}

/// One key's operations, in invoke order, and its interned values.
#[derive(Debug)]
pub(crate) struct KeyOps<'a> {
    pub key: &'a str,
    pub ops: Vec<KeyOp>,
    /// `values[i]` is the string of state `i + 1`.
    pub values: Vec<&'a str>,
}

impl KeyOps<'_> {
    /// The state's value, `None` for absent.
    pub fn value(&self, state: u32) -> Option<&str> {
        let i = usize::try_from(state).ok()?.checked_sub(1)?;
        self.values.get(i).copied()
    }
}

/// What an operation means to the model, before interning; `None`: ignored.
enum Raw<'a> {
    Get(Option<&'a str>),
    Put(Option<&'a str>),
    Cas(Option<&'a str>, Option<&'a str>),
}

fn raw(op: &Op) -> Option<Raw<'_>> {
    use crate::history::{Function, Value};
    if op.outcome == Outcome::Fail {
        return None;
    }
    match (op.f, &op.input) {
        (Function::Get, _) => op.read().map(Raw::Get),
        (Function::Put, Value::Str(v)) => Some(Raw::Put(Some(v))),
        (Function::Delete, _) => Some(Raw::Put(None)),
        (Function::Cas, Value::Cas { from, to }) => Some(Raw::Cas(from.as_deref(), to.as_deref())),
        _ => None,
    }
}

/// One key's operations (`ops`: all on `key`, in invoke order) in model form.
pub(crate) fn compile<'a>(key: &'a str, ops: &[&'a Op]) -> KeyOps<'a> {
    let meant: Vec<(&Op, Raw)> = ops.iter().filter_map(|op| Some((*op, raw(op)?))).collect();
    let mut observed: BTreeSet<Option<&str>> = BTreeSet::new();
    for (_, r) in &meant {
        match r {
            Raw::Get(seen) => observed.insert(*seen),
            Raw::Cas(from, _) => observed.insert(*from),
            Raw::Put(_) => false,
        };
    }
    let mut ids: BTreeMap<&str, u32> = BTreeMap::new();
    let mut values: Vec<&str> = Vec::new();
    let mut intern = |v: Option<&'a str>| -> u32 {
        let Some(v) = v else { return ABSENT };
        *ids.entry(v).or_insert_with(|| {
            values.push(v);
            u32::try_from(values.len()).unwrap_or(u32::MAX)
        })
    };
    let mut kept = Vec::with_capacity(meant.len());
    for (op, r) in meant {
        let info = op.outcome == Outcome::Info;
        let kind = match r {
            Raw::Get(seen) => Kind::Get(intern(seen)),
            Raw::Put(to) if info && !observed.contains(&to) => continue,
            Raw::Cas(_, to) if info && !observed.contains(&to) => continue,
            Raw::Put(to) => Kind::Put(intern(to)),
            Raw::Cas(from, to) => Kind::Cas {
                from: intern(from),
                to: intern(to),
            },
        };
        let complete = if info { None } else { op.complete_time };
        kept.push(KeyOp {
            index: op.index,
            kind,
            invoke: op.invoke_time,
            complete,
        });
    }
    KeyOps {
        key,
        ops: kept,
        values,
    }
}

/// Checks a claimed linearization (`order`: positions in `key.ops`) from
/// scratch: every ok operation exactly once, info operations at most once,
/// real-time order respected, and every step legal for the register. Every
/// `valid` verdict is certified this way before it is reported, whichever
/// algorithm found it.
pub(crate) fn certify(key: &KeyOps, order: &[u32]) -> Result<(), String> {
    let mut placed = vec![false; key.ops.len()];
    let mut state = ABSENT;
    for &i in order {
        let op = key.ops.get(i as usize).ok_or("position out of range")?;
        let seen = placed.get_mut(i as usize).ok_or("position out of range")?;
        if std::mem::replace(seen, true) {
            return Err(format!("operation {} placed twice", op.index));
        }
        state = step(state, op.kind)
            .ok_or_else(|| format!("operation {} is illegal where it is placed", op.index))?;
    }
    if let Some(op) = key
        .ops
        .iter()
        .zip(&placed)
        .find(|(op, p)| op.must() && !**p)
    {
        return Err(format!("ok operation {} is missing", op.0.index));
    }
    // Real time: no operation may complete before an earlier-placed one began.
    let mut latest_invoke = 0u64;
    for &i in order {
        let op = &key.ops[i as usize];
        if op.complete.is_some_and(|c| c < latest_invoke) {
            return Err(format!(
                "operation {} is placed after an operation it precedes",
                op.index
            ));
        }
        latest_invoke = latest_invoke.max(op.invoke);
    }
    Ok(())
}
