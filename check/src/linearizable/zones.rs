//! The fast path: deciding one key in O(n log n) when every value is written
//! at most once and there is no cas (Gibbons & Korach 1997; the "zones" of
//! Golab, Li & Shah 2011).
//!
//! With distinct values, a linearization is an order of *clusters*: a value's
//! write followed by every read of it, contiguously (a read of `v` must come
//! after `v`'s write and before any other write). Cluster A must precede B
//! when some operation of A completed before some operation of B began, that
//! is when `f(A) < s(B)`, where `f` is a cluster's earliest completion and
//! `s` its latest invocation. A cluster's *zone* is `[f, s]`, *forward* when
//! `f < s`, *backward* otherwise. Two clusters must each precede the other,
//! the only way the order can fail to exist (Gibbons & Korach's theorem: the
//! precedence between clusters has a cycle iff it has one of length 2), iff
//!
//! - two forward zones overlap (as open intervals), or
//! - a backward zone lies strictly inside a forward zone;
//!
//! and, inside a cluster, a read must not complete before its write begins.
//! Then [`order`] gives a linearization (certified by the caller, like every
//! witness).
//!
//! `absent` is written by the initial state (a write before everything) and
//! by every delete, so it is not a distinct value: each delete is its own
//! cluster, and each read of absent must be given to one of them. A source
//! *could* explain the read if it did not begin after the read completed and
//! no acknowledged write began after it completed and completed before the
//! read began (that write lies between them in every linearization). Exactly
//! one such source: the read belongs to it in every linearization, so the
//! cluster is forced. None: the history is not linearizable. Several
//! (concurrent deletes, an `info` delete): the assignment is a choice; the
//! fast path guesses ([`guess`]) and trusts the answer
//! only if it is `valid`, which the witness then proves. A conflict after a
//! guess proves nothing, and the key goes to the search instead
//! ([`Outcome::NotApplicable`]).
//!
//! `info` writes that nobody reads were already dropped (see `model`); an
//! observed one completes at +∞: it may take effect any time after its invoke.
//!
//! Times are shifted by one so that 0 is the initial state's -∞ and
//! `u128::MAX` is +∞.

use super::model::{ABSENT, KeyOps, Kind};

type T = u128;
const NEVER: T = T::MAX;

fn at(t: u64) -> T {
    T::from(t) + 1
}

/// How the fast path ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The key needs the search; the reason, for people.
    NotApplicable(&'static str),
    /// A linearization: positions in `KeyOps::ops`, in order.
    Linearizable(Vec<u32>),
    NotLinearizable(Conflict),
}

/// Why a key is not linearizable (positions in `KeyOps::ops`).
#[derive(Debug)]
pub(crate) enum Conflict {
    /// A read of a value no put wrote.
    NeverWritten { read: u32 },
    /// A read that completed before the only write of its value began.
    FromFuture { read: u32, write: u32 },
    /// A read of absent that no source can explain: the source that lasted
    /// longest (`None`: the initial state) was overwritten by `superseder`
    /// before the read began.
    NoSource {
        read: u32,
        source: Option<u32>,
        superseder: u32,
    },
    /// Two clusters that must each precede the other.
    Cycle { first: Side, second: Side },
}

/// One cluster in a [`Conflict::Cycle`]: `first.done` completed before
/// `second.begun` began, and `second.done` before `first.begun`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Side {
    /// The cluster's write (`None`: the initial state).
    pub write: Option<u32>,
    pub state: u32,
    /// The op completing first (`None`: the initial state, at -∞).
    pub done: Option<u32>,
    /// The op beginning last.
    pub begun: Option<u32>,
}

/// One cluster's bookkeeping.
#[derive(Debug, Clone, Copy)]
struct Cluster {
    write: Option<u32>,
    state: u32,
    f: T,
    f_op: Option<u32>,
    s: T,
    s_op: Option<u32>,
}

impl Cluster {
    fn forward(&self) -> bool {
        self.f < self.s
    }

    fn side(&self) -> Side {
        Side {
            write: self.write,
            state: self.state,
            done: self.f_op,
            begun: self.s_op,
        }
    }

    fn add(&mut self, op: u32, invoke: T, complete: T) {
        if complete < self.f {
            (self.f, self.f_op) = (complete, Some(op));
        }
        if invoke > self.s {
            (self.s, self.s_op) = (invoke, Some(op));
        }
    }
}

/// Decides one key, or says why it cannot.
pub(crate) fn decide(key: &KeyOps) -> Outcome {
    for guess in Guess::ALL {
        match clusters(key, guess) {
            Err(outcome) => return outcome,
            Ok((clusters, member, guessed)) => match conflict(&clusters) {
                Some(_) if guessed => continue,
                Some(c) => return Outcome::NotLinearizable(c),
                None => return Outcome::Linearizable(order(key, &clusters, &member)),
            },
        }
    }
    Outcome::NotApplicable(
        "a read of absent has several possible sources, and every guess conflicts",
    )
}

/// The clusters, each op's cluster, and whether a read of absent was given
/// to a guessed source. Cluster 0 is the initial state.
fn clusters(key: &KeyOps, guess: Guess) -> Result<(Vec<Cluster>, Vec<u32>, bool), Outcome> {
    let initial = Cluster {
        write: None,
        state: ABSENT,
        f: 0,
        f_op: None,
        s: 0,
        s_op: None,
    };
    let mut clusters = vec![initial];
    let mut of_value: Vec<Option<u32>> = vec![None; key.values.len() + 1];
    let mut member = vec![u32::MAX; key.ops.len()];
    for (i, op) in key.ops.iter().enumerate() {
        let to = match op.kind {
            Kind::Cas { .. } => return Err(Outcome::NotApplicable("the key has a cas")),
            Kind::Get(_) => continue,
            Kind::Put(to) => to,
        };
        let c = clusters.len() as u32;
        if to != ABSENT {
            let slot = &mut of_value[to as usize];
            if slot.is_some() {
                return Err(Outcome::NotApplicable("a value is written twice"));
            }
            *slot = Some(c);
        }
        let (f, f_op) = (op.complete.map_or(NEVER, at), Some(i as u32));
        let s_op = Some(i as u32);
        let (write, state, s) = (Some(i as u32), to, at(op.invoke));
        clusters.push(Cluster {
            write,
            state,
            f,
            f_op,
            s,
            s_op,
        });
        member[i] = c;
    }
    let (absent, guessed) = absent_sources(key, &clusters, guess)?;
    for (i, op) in key.ops.iter().enumerate() {
        let (Kind::Get(seen), Some(done)) = (op.kind, op.complete) else {
            continue;
        };
        let read = i as u32;
        let c = if seen == ABSENT {
            absent[i]
        } else {
            let Some(c) = of_value[seen as usize] else {
                return Err(Outcome::NotLinearizable(Conflict::NeverWritten { read }));
            };
            let write = clusters[c as usize].write.unwrap_or(0);
            if done < key.ops[write as usize].invoke {
                return Err(Outcome::NotLinearizable(Conflict::FromFuture {
                    read,
                    write,
                }));
            }
            c
        };
        clusters[c as usize].add(read, at(op.invoke), at(done));
        member[i] = c;
    }
    Ok((clusters, member, guessed))
}

/// The cluster each read of absent belongs to (indexed by op; other entries
/// unused), and whether any was a guess among several possible sources (see
/// [`guess`]), or the conflict when a read has no source.
fn absent_sources(
    key: &KeyOps,
    clusters: &[Cluster],
    how: Guess,
) -> Result<(Vec<u32>, bool), Outcome> {
    let mut out = vec![u32::MAX; key.ops.len()];
    let mut guessed = false;
    let reads: Vec<usize> = (0..key.ops.len())
        .filter(|&i| key.ops[i].kind == Kind::Get(ABSENT))
        .collect();
    if reads.is_empty() {
        return Ok((out, guessed));
    }
    let supersede = Supersede::new(key);
    // Sources by invoke: (invoke, superseded at, superseder, cluster).
    let mut sources: Vec<(T, T, u32, u32)> = Vec::new();
    for (c, cluster) in clusters.iter().enumerate() {
        if cluster.state != ABSENT {
            continue;
        }
        let (invoke, complete) = match cluster.write {
            None => (0, 0),
            Some(_) => (cluster.s, cluster.f),
        };
        let (t, by) = supersede.after(complete);
        sources.push((invoke, t, by, c as u32));
    }
    sources.sort_unstable();
    // top[i]: the two latest-superseded sources among sources[..=i].
    let mut top: Vec<[Option<usize>; 2]> = Vec::with_capacity(sources.len());
    for i in 0..sources.len() {
        let [mut a, mut b] = top.last().copied().unwrap_or([None, None]);
        let later = |x: Option<usize>| x.is_none_or(|x| sources[i].1 > sources[x].1);
        if later(a) {
            (a, b) = (Some(i), a);
        } else if later(b) {
            b = Some(i);
        }
        top.push([a, b]);
    }
    for i in reads {
        let op = &key.ops[i];
        let (begin, end) = (at(op.invoke), op.complete.map_or(NEVER, at));
        let seeable = sources.partition_point(|s| s.0 <= end);
        let [a, b] = seeable.checked_sub(1).map_or([None, None], |k| top[k]);
        let Some(a) = a else { continue };
        let (_, t, by, c) = sources[a];
        if t < begin {
            let source = clusters[c as usize].write;
            let conflict = Conflict::NoSource {
                read: i as u32,
                source,
                superseder: by,
            };
            return Err(Outcome::NotLinearizable(conflict));
        }
        let several = b.is_some_and(|b| sources[b].1 >= begin);
        guessed |= several;
        out[i] = if several {
            guess(&sources[..seeable], clusters, begin, how).unwrap_or(c)
        } else {
            c
        };
    }
    Ok((out, guessed))
}

/// Sources scanned backwards for a guess, at most.
const GUESS_SCAN_MAX: usize = 64;

/// How to guess the source of a read of absent; each is tried in turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guess {
    /// Of the sources that completed before the read began, the last to
    /// complete (the others were probably overwritten since).
    LastCompleted,
    /// The first invoked (the one alive the longest).
    FirstInvoked,
    /// The last invoked (the most recent delete).
    LastInvoked,
}

impl Guess {
    const ALL: [Guess; 3] = [
        Guess::LastCompleted,
        Guess::FirstInvoked,
        Guess::LastInvoked,
    ];
}

/// A guess among the sources that could explain a read of absent beginning
/// at `begin` (sources not overwritten before it). `clusters` gives each
/// source's completion.
fn guess(sources: &[(T, T, u32, u32)], clusters: &[Cluster], begin: T, how: Guess) -> Option<u32> {
    let alive = sources
        .iter()
        .rev()
        .take(GUESS_SCAN_MAX)
        .filter(|s| s.1 >= begin);
    let done = |s: &(T, T, u32, u32)| clusters.get(s.3 as usize).map_or(NEVER, |c| c.f);
    let first = alive.clone().min_by_key(|s| s.0);
    let pick = match how {
        Guess::LastCompleted => alive
            .filter(|s| done(s) < begin)
            .max_by_key(|s| done(s))
            .or(first),
        Guess::FirstInvoked => first,
        Guess::LastInvoked => alive.max_by_key(|s| s.0),
    };
    pick.map(|s| s.3)
}

/// When a write that completed at `t` is first overwritten: the earliest
/// completion of an acknowledged write invoked after `t`.
struct Supersede {
    /// Acknowledged writes: (invoke, completion, op), by invoke.
    acked: Vec<(T, T, u32)>,
    /// `earliest[i]`: the earliest completion (and its op) among `acked[i..]`.
    earliest: Vec<(T, u32)>,
}

impl Supersede {
    fn new(key: &KeyOps) -> Supersede {
        let mut acked: Vec<(T, T, u32)> = key
            .ops
            .iter()
            .enumerate()
            .filter(|(_, op)| matches!(op.kind, Kind::Put(_)))
            .filter_map(|(i, op)| Some((at(op.invoke), at(op.complete?), i as u32)))
            .collect();
        acked.sort_unstable();
        let mut earliest = vec![(NEVER, u32::MAX); acked.len() + 1];
        for (i, &(_, done, op)) in acked.iter().enumerate().rev() {
            earliest[i] = earliest[i + 1].min((done, op));
        }
        Supersede { acked, earliest }
    }

    /// The earliest overwrite of something completed at `t`: (time, op).
    fn after(&self, t: T) -> (T, u32) {
        let from = self.acked.partition_point(|a| a.0 <= t);
        self.earliest[from]
    }
}

/// The first pair of clusters that must each precede the other, if any.
fn conflict(clusters: &[Cluster]) -> Option<Conflict> {
    let mut forward: Vec<usize> = (0..clusters.len())
        .filter(|&c| clusters[c].forward())
        .collect();
    forward.sort_unstable_by_key(|&c| (clusters[c].f, c));
    let mut widest: Option<usize> = None;
    for &c in &forward {
        if let Some(w) = widest.filter(|&w| clusters[c].f < clusters[w].s) {
            return Some(cycle(&clusters[w], &clusters[c]));
        }
        if widest.is_none_or(|w| clusters[c].s > clusters[w].s) {
            widest = Some(c);
        }
    }
    // Forward zones are now disjoint: sorted by f, their s increase too.
    for b in clusters.iter().filter(|b| !b.forward()) {
        let k = forward.partition_point(|&a| clusters[a].f < b.s);
        let Some(&a) = k.checked_sub(1).and_then(|k| forward.get(k)) else {
            continue;
        };
        if b.f < clusters[a].s {
            return Some(cycle(&clusters[a], b));
        }
    }
    None
}

/// `a` must precede `b` (`f(a) < s(b)`) and `b` must precede `a`.
fn cycle(a: &Cluster, b: &Cluster) -> Conflict {
    debug_assert!(a.f < b.s && b.f < a.s, "not a cycle");
    Conflict::Cycle {
        first: a.side(),
        second: b.side(),
    }
}

/// Clusters in a linearization order, each as its write then its reads in
/// invoke order. The key: a forward cluster's `f`, a backward one's `s`,
/// backward first on ties. Why it works when there is no conflict (A must
/// precede B means `f(A) < s(B)`): both backward, `s(A) <= f(A) < s(B)`;
/// both forward, the zones are disjoint so `f(A) < s(A) <= f(B)`; A forward,
/// B backward, `f(A) < s(B)` directly; A backward, B forward, B need not
/// precede A so `s(A) <= f(B)`, and the tie goes to A.
fn order(key: &KeyOps, clusters: &[Cluster], member: &[u32]) -> Vec<u32> {
    let mut rank = vec![0u32; clusters.len()];
    let mut by_f: Vec<usize> = (0..clusters.len()).collect();
    by_f.sort_unstable_by_key(|&c| {
        let cl = &clusters[c];
        (if cl.forward() { cl.f } else { cl.s }, cl.forward(), c)
    });
    for (r, &c) in by_f.iter().enumerate() {
        rank[c] = r as u32;
    }
    let mut order: Vec<u32> = (0..key.ops.len() as u32)
        .filter(|&i| member[i as usize] != u32::MAX)
        .collect();
    let is_read = |i: u32| matches!(key.ops[i as usize].kind, Kind::Get(_));
    order.sort_unstable_by_key(|&i| (rank[member[i as usize] as usize], is_read(i), i));
    order
}
