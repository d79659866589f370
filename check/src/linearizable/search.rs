//! The general algorithm: Wing & Gong's search with Lowe's memoisation, in
//! the form Porcupine uses (`checker.go`: `lift`/`unlift`, a backtracking
//! stack, a cache of explored (set, state) pairs).
//!
//! The operations' calls and returns form a doubly linked list in time order
//! (calls before returns at equal times: equal times are concurrent). The
//! search walks the list from the head: at a call, it tries to linearize the
//! operation now (the model allows it and the (set, state) pair is new),
//! lifts its call and return out of the list and restarts from the head; at
//! a return, the operation returning was not linearized in time, so it
//! backtracks: pops the last linearized operation, puts it back, and tries the
//! next call after it. Success: every ok operation is linearized (`info`
//! operations have no return and never need to be). Failure: nothing left to
//! pop.
//!
//! Two changes to Porcupine's search, both proven not to lose a linearization:
//!
//! - **Reads are forced.** If a pending read is a candidate (no pending
//!   operation completed before it began) and the register holds what it
//!   returned, linearizing it now is without loss of generality: it changes
//!   nothing, and moving it to the front of any continuation keeps real time
//!   (no pending operation precedes it). So each point first looks for such a
//!   read and, if there is one, commits to it: no other candidate is tried
//!   there, and when that branch fails (or its (set, state) is already
//!   explored) the point fails. This removes most branching on read-heavy
//!   histories.
//! - **`info` writes are tried last**: ok writes first, then the pending
//!   `info` writes. An `info` write may take effect any time after its
//!   invoke; tried first it would be placed as early as possible, usually
//!   wrongly (its readers come much later), and backtracking out of that is
//!   exponential in practice. Tried last, it lands just before the read that
//!   needs it. The passes together try every candidate once, and after a
//!   backtrack the search resumes in the pass of the operation taken back.
//!
//! - **Dead values are not overwritten.** A value written by exactly one
//!   operation can be the register's state only between that write and the
//!   next state change. So while the register holds such a value and some ok
//!   operation not yet linearized needs it (a get that returned it, a cas
//!   from it), no operation may change the state: that branch could never
//!   linearize the operation that needs it. With unique written values (as
//!   storesim and Jepsen write them) this is how a read names its write and a
//!   cas the version it replaced: it cuts contended cas histories from
//!   exponential to near-linear search. Sound whatever the values: a value
//!   written more than once (or absent) is never pruned on.
//!
//! Limits: `budget.max_steps` steps per key (checked every step),
//! `budget.stop` polled every [`POLL_STEPS`] steps, and the cache's memory
//! cap (`budget.max_memory_mib`). Each ends the search with [`Outcome::GaveUp`].

use super::cache::{Bits, Cache, Full};
use super::model::{ABSENT, KeyOps, Kind, step};
use crate::budget::Budget;

/// How often the caller's `stop` predicate is polled.
pub(crate) const POLL_STEPS: u64 = 4096;
/// End of the list.
const NIL: u32 = u32::MAX;
/// The list's head sentinel.
const HEAD: u32 = 0;
/// At most this many pending operations are kept for the explanation.
const PENDING_MAX: usize = 6;

/// How a search ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// A linearization (positions in `KeyOps::ops`, in order) and the steps
    /// it took to find.
    Linearizable {
        order: Vec<u32>,
        steps: u64,
    },
    NotLinearizable(Stuck),
    GaveUp {
        steps: u64,
        why: Limit,
    },
}

/// Why a search gave up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    Steps,
    Stopped,
    Memory,
}

/// The deepest point the search reached before it had to backtrack.
#[derive(Debug, Default)]
pub(crate) struct Stuck {
    /// Operations linearized there (the longest linearizable prefix found).
    pub linearized: usize,
    /// The operation whose return was reached without it being linearized.
    pub blocked: u32,
    /// The register's state there, and the last write that set it (`None`:
    /// the initial state).
    pub state: u32,
    pub setter: Option<u32>,
    /// Some operations pending there (none could come next).
    pub pending: Vec<u32>,
    /// Steps the whole search took.
    pub steps: u64,
}

/// The calls and returns, as index arrays. Entry `0` is the head; entry
/// `1 + 2i` is op `i`'s call and `2 + 2i` its return (unlinked from the
/// start for `info` operations, which have none).
struct List {
    next: Vec<u32>,
    prev: Vec<u32>,
}

impl List {
    fn new(key: &KeyOps) -> List {
        let n = key.ops.len();
        let mut events: Vec<(u64, u8, u32)> = Vec::with_capacity(2 * n);
        for (i, op) in key.ops.iter().enumerate() {
            let call = 1 + 2 * i as u32;
            events.push((op.invoke, 0, call));
            if let Some(c) = op.complete {
                events.push((c, 1, call + 1));
            }
        }
        events.sort_unstable();
        let mut list = List {
            next: vec![NIL; 2 * n + 1],
            prev: vec![NIL; 2 * n + 1],
        };
        let mut last = HEAD;
        for &(_, _, e) in &events {
            list.next[last as usize] = e;
            list.prev[e as usize] = last;
            last = e;
        }
        list
    }

    fn unlink(&mut self, e: u32) {
        let (p, n) = (self.prev[e as usize], self.next[e as usize]);
        self.next[p as usize] = n;
        if n != NIL {
            self.prev[n as usize] = p;
        }
    }

    /// Undoes the latest `unlink` of `e` (links are restored in LIFO order).
    fn relink(&mut self, e: u32) {
        let (p, n) = (self.prev[e as usize], self.next[e as usize]);
        self.next[p as usize] = e;
        if n != NIL {
            self.prev[n as usize] = e;
        }
    }
}

fn is_call(e: u32) -> bool {
    e % 2 == 1
}

fn op_of(e: u32) -> u32 {
    (e - 1) / 2
}

/// The search's mutable state.
struct Search<'k> {
    key: &'k KeyOps<'k>,
    list: List,
    bits: Bits,
    cache: Cache,
    /// Linearized ops and the state before each.
    stack: Vec<(u32, u32)>,
    state: u32,
    /// Ok operations not yet linearized.
    remaining: usize,
    /// Info operations not yet linearized.
    infos_left: usize,
    /// Per state: ok operations not yet linearized that need the register
    /// to hold it, for states written by exactly one operation;
    /// [`NOT_UNIQUE`] for the others (absent, values written twice).
    needers: Vec<u32>,
}

/// `needers` entry of a state that is never pruned on.
const NOT_UNIQUE: u32 = u32::MAX;

/// The state an ok operation needs the register to hold, if any.
fn needs(kind: Kind) -> Option<u32> {
    match kind {
        Kind::Get(seen) => Some(seen),
        Kind::Cas { from, .. } => Some(from),
        Kind::Put(_) => None,
    }
}

/// The `needers` table of a key (see [`Search::needers`]).
fn needers(key: &KeyOps) -> Vec<u32> {
    let states = key.values.len() + 1;
    let mut writers = vec![0u32; states];
    for op in &key.ops {
        if let Kind::Put(to) | Kind::Cas { to, .. } = op.kind {
            writers[to as usize] = writers[to as usize].saturating_add(1);
        }
    }
    let mut needers: Vec<u32> = writers
        .iter()
        .enumerate()
        .map(|(state, &w)| {
            if state as u32 != ABSENT && w == 1 {
                0
            } else {
                NOT_UNIQUE
            }
        })
        .collect();
    for op in key.ops.iter().filter(|op| op.must()) {
        if let Some(s) = needs(op.kind).filter(|&s| needers[s as usize] != NOT_UNIQUE) {
            needers[s as usize] += 1;
        }
    }
    needers
}

/// Runs the search on one key.
pub(crate) fn search(key: &KeyOps, budget: &Budget) -> Outcome {
    if key.ops.len() >= (u32::MAX / 4) as usize {
        return Outcome::GaveUp {
            steps: 0,
            why: Limit::Memory,
        };
    }
    let mut s = Search {
        key,
        list: List::new(key),
        bits: Bits::new(key),
        cache: Cache::new(budget.max_memory_mib),
        stack: Vec::with_capacity(key.ops.len()),
        state: ABSENT,
        remaining: key.ops.iter().filter(|op| op.must()).count(),
        infos_left: key.ops.iter().filter(|op| !op.must()).count(),
        needers: needers(key),
    };
    let mut stuck: Option<Stuck> = None;
    let mut entry = s.list.next[HEAD as usize];
    let mut steps: u64 = 0;
    let mut pass = Pass::Reads;
    while s.remaining > 0 {
        steps += 1;
        if steps > budget.max_steps {
            return Outcome::GaveUp {
                steps,
                why: Limit::Steps,
            };
        }
        if steps.is_multiple_of(POLL_STEPS) && budget.should_stop() {
            return Outcome::GaveUp {
                steps,
                why: Limit::Stopped,
            };
        }
        if entry != NIL && is_call(entry) {
            if s.pass_of(op_of(entry)) != pass {
                entry = s.list.next[entry as usize];
                continue;
            }
            match s.try_lift(entry) {
                Ok(Lift::Done) => {
                    (entry, pass) = (s.list.next[HEAD as usize], Pass::Reads);
                    continue;
                }
                Ok(Lift::Seen) if pass == Pass::Reads => {} // the node fails
                Ok(Lift::Dead(op)) => {
                    // The unpruned search would have gone one step deeper
                    // before failing: keep that for the explanation.
                    if stuck
                        .as_ref()
                        .is_none_or(|b| s.stack.len() + 1 > b.linearized)
                    {
                        stuck = Some(s.stuck_after(op));
                    }
                    entry = s.list.next[entry as usize];
                    continue;
                }
                Ok(_) => {
                    entry = s.list.next[entry as usize];
                    continue;
                }
                Err(Full) => {
                    return Outcome::GaveUp {
                        steps,
                        why: Limit::Memory,
                    };
                }
            }
        } else if pass == Pass::Reads {
            (entry, pass) = (s.list.next[HEAD as usize], Pass::Writes);
            continue;
        } else if pass == Pass::Writes && s.infos_left > 0 {
            (entry, pass) = (s.list.next[HEAD as usize], Pass::Infos);
            continue;
        }
        if stuck.as_ref().is_none_or(|b| s.stack.len() > b.linearized) {
            stuck = Some(s.stuck_at(entry));
        }
        // Take back linearized operations until one whose node has more
        // candidates: a forced read's node has no other.
        loop {
            let Some((op, before)) = s.stack.pop() else {
                let stuck = stuck.map(|b| Stuck { steps, ..b }).unwrap_or_default();
                return Outcome::NotLinearizable(stuck);
            };
            entry = s.unlift(op, before);
            pass = s.pass_of(op);
            if pass != Pass::Reads {
                break;
            }
        }
    }
    debug_assert!(s.cache.len() >= s.stack.len());
    let order = s.stack.iter().map(|&(op, _)| op).collect();
    Outcome::Linearizable { order, steps }
}

/// Which candidates a pass over the list tries; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    Reads,
    Writes,
    Infos,
}

/// What trying to linearize an operation did.
enum Lift {
    Done,
    /// The model does not allow it in the current state.
    Illegal,
    /// Allowed, but the resulting (set, state) was explored already.
    Seen,
    /// Allowed, but it would overwrite a value that ok operations not yet
    /// linearized still need and that nothing writes again.
    Dead(u32),
}

impl Search<'_> {
    fn pass_of(&self, op: u32) -> Pass {
        let k = &self.key.ops[op as usize];
        match k.kind {
            _ if !k.must() => Pass::Infos,
            Kind::Get(_) => Pass::Reads,
            _ => Pass::Writes,
        }
    }

    /// Linearizes the op of call entry `call` now, if the model allows it
    /// and the resulting (set, state) is new.
    fn try_lift(&mut self, call: u32) -> Result<Lift, Full> {
        let op = op_of(call);
        let k = &self.key.ops[op as usize];
        let Some(next) = step(self.state, k.kind) else {
            return Ok(Lift::Illegal);
        };
        let need = needs(k.kind).filter(|_| k.must());
        if next != self.state {
            let waiting = self.needers[self.state as usize];
            let own = u32::from(need == Some(self.state));
            if waiting != NOT_UNIQUE && waiting > own {
                return Ok(Lift::Dead(op));
            }
        }
        self.bits.set(op);
        if !self.cache.insert(&self.bits, next)? {
            self.bits.clear(op);
            return Ok(Lift::Seen);
        }
        self.count_need(need, false);
        self.stack.push((op, self.state));
        self.state = next;
        self.list.unlink(call);
        if k.must() {
            self.list.unlink(call + 1);
            self.remaining -= 1;
        } else {
            self.infos_left -= 1;
        }
        Ok(Lift::Done)
    }

    /// Counts an ok operation that needs `state` out of (`back`: into) the
    /// operations still waiting for it.
    fn count_need(&mut self, state: Option<u32>, back: bool) {
        let Some(n) = state.and_then(|s| self.needers.get_mut(s as usize)) else {
            return;
        };
        if *n != NOT_UNIQUE {
            *n = if back { *n + 1 } else { *n - 1 };
        }
    }

    /// Takes back the linearization of `op`; returns the entry to try next.
    fn unlift(&mut self, op: u32, before: u32) -> u32 {
        let call = 1 + 2 * op;
        let k = &self.key.ops[op as usize];
        self.count_need(needs(k.kind).filter(|_| k.must()), true);
        if k.must() {
            self.list.relink(call + 1);
            self.remaining += 1;
        } else {
            self.infos_left += 1;
        }
        self.list.relink(call);
        self.bits.clear(op);
        self.state = before;
        self.list.next[call as usize]
    }

    /// A snapshot for the explanation, taken where `ret` (a return entry, or
    /// `NIL`) stopped the search.
    fn stuck_at(&self, ret: u32) -> Stuck {
        let blocked = if ret == NIL { 0 } else { op_of(ret) };
        let setter = self
            .stack
            .iter()
            .rev()
            .take(100_000)
            .find(|&&(op, _)| !matches!(self.key.ops[op as usize].kind, Kind::Get(_)))
            .map(|&(op, _)| op);
        Stuck {
            linearized: self.stack.len(),
            blocked,
            state: self.state,
            setter,
            pending: self.pending_before(ret, &[blocked]),
            steps: 0,
        }
    }

    /// The snapshot the unpruned search would have taken after linearizing
    /// `op` (a write the dead-value rule refused): the register holds what
    /// `op` wrote, and an ok operation that needed the overwritten value is
    /// blocked.
    fn stuck_after(&self, op: u32) -> Stuck {
        let k = &self.key.ops[op as usize];
        let next = step(self.state, k.kind).unwrap_or(self.state);
        let mut blocked = op;
        let mut e = self.list.next[HEAD as usize];
        while e != NIL {
            let o = op_of(e);
            let other = &self.key.ops[o as usize];
            if is_call(e) && o != op && other.must() && needs(other.kind) == Some(self.state) {
                blocked = o;
                break;
            }
            e = self.list.next[e as usize];
        }
        Stuck {
            linearized: self.stack.len() + 1,
            blocked,
            state: next,
            setter: Some(op),
            pending: self.pending_before(NIL, &[blocked, op]),
            steps: 0,
        }
    }

    /// Up to [`PENDING_MAX`] operations whose calls come before `end` in the
    /// list, other than `except`.
    fn pending_before(&self, end: u32, except: &[u32]) -> Vec<u32> {
        let mut pending = Vec::new();
        let mut e = self.list.next[HEAD as usize];
        while e != NIL && e != end && pending.len() < PENDING_MAX {
            if is_call(e) && !except.contains(&op_of(e)) {
                pending.push(op_of(e));
            }
            e = self.list.next[e as usize];
        }
        pending
    }
}
