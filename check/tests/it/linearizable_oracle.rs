//! A brute-force oracle for `linearizable`: on small one-key histories (at
//! most 7 operations) with get, put, delete and cas, `fail`, `info` and
//! never-completed operations and repeated values, exhaustive search over
//! every order consistent with real time must agree with the checker's
//! verdict, for the default method and the plain search alike.
//!
//! The oracle shares no code with the checker: it knows only the register's
//! sequential specification and the meaning of each outcome
//! (`docs/history-format.md`), so it checks the two changes made to
//! Porcupine's search (reads first, `info` writes last) and the model's
//! dropping of operations, not just the search's bookkeeping.

use crate::support::{T, cas, del, get, history, put};
use check::linearizable::{Method, check_with};
use check::{Budget, History, Verdict};
use proptest::collection::vec;
use proptest::prelude::*;

/// The values operations write and expect: few, so they repeat.
const VALUES: [&str; 2] = ["a", "b"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum F {
    Get,
    Put,
    Delete,
    Cas,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Ok,
    /// Did not happen.
    Fail,
    /// `info`: may have happened, at any time after its invoke.
    Info,
    /// No completion in the history: like `info`.
    Open,
}

/// One operation of a generated history.
#[derive(Debug, Clone)]
struct G {
    process: u64,
    f: F,
    invoke: u64,
    complete: u64,
    /// put/cas: the value written.
    value: &'static str,
    /// cas: the value expected (`None`: absent).
    from: Option<&'static str>,
    /// ok get: the value read (`None`: absent).
    seen: Option<&'static str>,
    end: End,
}

impl G {
    fn t(&self) -> T {
        let (p, i, c) = (self.process, self.invoke, self.complete);
        let t = match self.f {
            F::Get => get(p, "k", self.seen, i, c),
            F::Put => put(p, "k", self.value, i, c),
            F::Delete => del(p, "k", i, c),
            F::Cas => cas(p, "k", self.from, self.value, i, c),
        };
        match self.end {
            End::Ok => t,
            End::Fail => t.fail(),
            End::Info => t.info(),
            End::Open => t.open(),
        }
    }

    /// Whether some linearization must contain it (it completed `ok`).
    fn must(&self) -> bool {
        self.end == End::Ok
    }

    /// Whether a linearization may contain it: ok operations, and writes
    /// that may have happened. A failed operation did not happen; a read
    /// that did not end ok observed nothing.
    fn may(&self) -> bool {
        match self.end {
            End::Ok => true,
            End::Fail => false,
            End::Info | End::Open => self.f != F::Get,
        }
    }

    /// The register after this operation in state `state`, or `None` when
    /// it cannot happen there.
    fn step(&self, state: Option<&'static str>) -> Option<Option<&'static str>> {
        match self.f {
            F::Get => (self.seen == state).then_some(state),
            F::Put => Some(Some(self.value)),
            F::Delete => Some(None),
            F::Cas => (self.from == state).then_some(Some(self.value)),
        }
    }
}

/// `a` must come before `b`: `a` completed (ok) strictly before `b` was
/// invoked. `info` and open operations never complete.
fn precedes(a: &G, b: &G) -> bool {
    a.end == End::Ok && a.complete < b.invoke
}

/// Exhaustive search: is there a sequence of operations — every ok one,
/// any subset of the ones that may have happened — that respects real time
/// and the register's specification from the absent state?
fn oracle(ops: &[G]) -> bool {
    let mut placed = vec![false; ops.len()];
    extend(ops, &mut placed, None)
}

/// Depth-first over every next operation; at most 7! orders × 2^7 subsets.
fn extend(ops: &[G], placed: &mut [bool], state: Option<&'static str>) -> bool {
    if (0..ops.len()).all(|i| placed[i] || !ops[i].must()) {
        return true;
    }
    for i in 0..ops.len() {
        if placed[i] || !ops[i].may() {
            continue;
        }
        // Everything that must precede it is already in the sequence.
        let ready = (0..ops.len()).all(|j| placed[j] || !precedes(&ops[j], &ops[i]));
        if !ready {
            continue;
        }
        let Some(next) = ops[i].step(state) else {
            continue;
        };
        placed[i] = true;
        let found = extend(ops, placed, next);
        placed[i] = false;
        if found {
            return true;
        }
    }
    false
}

/// (process slot, f, value, from, gap, duration, point ‰, end roll, seen)
type Spec = (usize, u8, usize, usize, u64, u64, u64, u8, usize);

fn specs() -> impl Strategy<Value = Vec<Spec>> {
    vec(
        (
            0usize..3,
            0u8..4,
            0usize..2,
            0usize..3,
            0u64..4,
            1u64..8,
            0u64..=1000,
            0u8..10,
            0usize..3,
        ),
        0..=7,
    )
}

/// `None`, `a` or `b`.
fn pick(i: usize) -> Option<&'static str> {
    i.checked_sub(1).map(|v| VALUES[v])
}

/// A history from the specs: per process slot, operations one after the
/// other (a process that ends `info` or open continues as a new process),
/// overlapping across slots. `consistent`: reads and cas outcomes come from
/// running the register at a point inside each operation (so most such
/// histories are linearizable), else they are as drawn (mostly not).
fn generate(specs: &[Spec], consistent: bool) -> Vec<G> {
    let mut free = [0u64; 3];
    let mut process = [0u64, 1, 2];
    let mut next_process = 3;
    let mut ops = Vec::new();
    let mut points = Vec::new();
    for &(slot, f, value, from, gap, dur, permille, roll, seen) in specs {
        let f = [F::Get, F::Put, F::Delete, F::Cas][f as usize];
        let invoke = free[slot] + gap;
        let complete = invoke + dur;
        free[slot] = complete;
        let end = match roll {
            0 => End::Fail,
            1 => End::Info,
            2 => End::Open,
            _ => End::Ok,
        };
        ops.push(G {
            process: process[slot],
            f,
            invoke,
            complete,
            value: VALUES[value],
            from: pick(from),
            seen: pick(seen),
            end,
        });
        points.push(invoke * 1000 + dur * permille);
        if matches!(end, End::Info | End::Open) {
            process[slot] = next_process;
            next_process += 1;
        }
    }
    if consistent {
        let mut order: Vec<usize> = (0..ops.len()).collect();
        order.sort_by_key(|&i| (points[i], i));
        let mut state = None;
        for i in order {
            let op = &mut ops[i];
            match op.f {
                F::Get => op.seen = state,
                F::Cas if op.from != state && op.end == End::Ok => op.end = End::Fail,
                _ => {}
            }
            // A write that did not fail takes effect at its point (an info
            // or open one happened, here).
            if op.end != End::Fail
                && let Some(next) = op.step(state)
            {
                state = next;
            }
        }
    }
    ops
}

fn verdict(h: &History, method: Method) -> Verdict {
    check_with(h, &Budget::default(), method).verdict
}

fn agree(ops: &[G]) -> Result<(), TestCaseError> {
    let h = history(&ops.iter().map(G::t).collect::<Vec<_>>());
    let want = if oracle(ops) {
        Verdict::Valid
    } else {
        Verdict::Invalid
    };
    for method in [Method::Auto, Method::Search] {
        prop_assert_eq!(
            verdict(&h, method),
            want,
            "{:?} disagrees with exhaustive search on\n{}",
            method,
            h.to_jsonl()
        );
    }
    // The fast path may decline (unknown), never contradict.
    let zones = verdict(&h, Method::Zones);
    prop_assert!(
        zones == want || zones == Verdict::Unknown,
        "zones says {:?}, exhaustive search {:?} on\n{}",
        zones,
        want,
        h.to_jsonl()
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn linearizable_agrees_with_exhaustive_search(specs in specs(), consistent in any::<bool>()) {
        agree(&generate(&specs, consistent))?;
    }
}

/// The oracle itself, on cases whose answer is known.
#[test]
fn the_oracle_knows_the_classic_cases() {
    let op = |f, invoke, complete, value, from, seen, end| G {
        process: invoke,
        f,
        invoke,
        complete,
        value,
        from,
        seen,
        end,
    };
    // A read after a completed put must see it...
    let put_a = op(F::Put, 0, 1, "a", None, None, End::Ok);
    let stale = op(F::Get, 2, 3, "a", None, None, End::Ok);
    assert!(!oracle(&[put_a.clone(), stale]));
    // ...unless an overlapping delete explains absent.
    let del = op(F::Delete, 1, 4, "a", None, None, End::Ok);
    let absent = op(F::Get, 2, 3, "a", None, None, End::Ok);
    assert!(oracle(&[put_a.clone(), del, absent.clone()]));
    // An info put may take effect late; a failed one never does.
    let info_b = op(F::Put, 1, 9, "b", None, None, End::Info);
    let sees_b = op(F::Get, 5, 6, "a", None, Some("b"), End::Ok);
    assert!(oracle(&[put_a.clone(), info_b.clone(), sees_b.clone()]));
    let failed_b = G {
        end: End::Fail,
        ..info_b
    };
    assert!(!oracle(&[put_a.clone(), failed_b, sees_b]));
    // A cas from a to b after put a; a second cas from a cannot also succeed.
    let cas1 = op(F::Cas, 2, 3, "b", Some("a"), None, End::Ok);
    let cas2 = op(F::Cas, 4, 5, "a", Some("a"), None, End::Ok);
    assert!(oracle(&[put_a.clone(), cas1.clone()]));
    assert!(!oracle(&[put_a, cas1, cas2]));
    // The empty history, and a read of the initial state.
    assert!(oracle(&[]));
    assert!(oracle(&[absent]));
}
