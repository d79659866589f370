//! Properties of `linearizable`: histories from a random atomic execution
//! (each operation takes effect at a point inside its interval) are always
//! linearizable under both algorithms; a planted stale read is always
//! caught; and on random mutations the fast path and the search agree
//! wherever the fast path applies.

use crate::support::{T, cas, del, get, history, put};
use check::linearizable::{Method, check_with};
use check::{Budget, History, Verdict};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

/// How an operation ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Ok,
    Fail,
    /// `info`, and it took effect (at its point).
    InfoHappened,
    /// `info`, and it never took effect.
    InfoNot,
    /// No completion at all; took effect.
    Open,
}

/// One generated operation.
#[derive(Debug, Clone)]
struct G {
    process: u64,
    key: String,
    f: u8,
    invoke: u64,
    complete: u64,
    point: u64,
    value: String,
    from: Option<String>,
    seen: Option<String>,
    end: End,
}

impl G {
    fn took_effect(&self) -> bool {
        matches!(self.end, End::Ok | End::InfoHappened | End::Open)
    }

    fn t(&self) -> T {
        let (p, k) = (self.process, self.key.as_str());
        let (i, c) = (self.invoke, self.complete);
        let t = match self.f {
            0 => get(p, k, self.seen.as_deref(), i, c),
            1 => put(p, k, &self.value, i, c),
            2 => del(p, k, i, c),
            _ => cas(p, k, self.from.as_deref(), &self.value, i, c),
        };
        match self.end {
            End::Ok => t,
            End::Fail => t.fail(),
            End::InfoHappened | End::InfoNot => t.info(),
            End::Open => t.open(),
        }
    }
}

/// (slot, f, key, gap, duration, point ‰, outcome roll, cas-from pick)
type Spec = (u64, u8, u8, u64, u64, u64, u8, Index);

fn specs(max: usize) -> impl Strategy<Value = Vec<Spec>> {
    vec(
        (
            0u64..4,
            0u8..4,
            0u8..2,
            0u64..6,
            1u64..25,
            0u64..=1000,
            0u8..20,
            any::<Index>(),
        ),
        0..max,
    )
}

/// A history of a correct register: intervals per process, a point in each,
/// the register run in point order. Values are unique. `cas`: allow cas
/// (else they become puts).
fn atomic(specs: &[Spec], with_cas: bool) -> Vec<G> {
    let mut free = [0u64; 4];
    let mut process = [0u64, 1, 2, 3];
    let mut next_process = 4;
    let mut ops: Vec<G> = Vec::new();
    for (seq, &(slot, f, key, gap, dur, permille, roll, _)) in specs.iter().enumerate() {
        let s = slot as usize;
        let f = if f == 3 && !with_cas { 1 } else { f };
        let invoke = free[s] + gap;
        let complete = invoke + dur;
        free[s] = complete;
        let end = match (f, roll) {
            (0, 0..=1) => End::InfoNot,
            (0, _) => End::Ok,
            (_, 0..=1) => End::InfoHappened,
            (_, 2) => End::InfoNot,
            (_, 3) => End::Open,
            (_, 4) => End::Fail,
            _ => End::Ok,
        };
        ops.push(G {
            process: process[s],
            key: format!("k{key}"),
            f,
            invoke,
            complete,
            point: invoke * 1000 + dur * permille,
            value: format!("v{seq}"),
            from: None,
            seen: None,
            end,
        });
        if matches!(end, End::InfoHappened | End::InfoNot | End::Open) {
            process[s] = next_process;
            next_process += 1;
        }
    }
    run_register(&mut ops, specs);
    ops
}

/// Runs the register in point order: fills in reads and cas `from`, and
/// turns a cas whose `from` does not match into `fail`.
fn run_register(ops: &mut [G], specs: &[Spec]) {
    let mut by_point: Vec<usize> = (0..ops.len()).collect();
    by_point.sort_by_key(|&i| (ops[i].point * 10, i));
    let mut state: std::collections::BTreeMap<String, Option<String>> = Default::default();
    let mut written: Vec<String> = Vec::new();
    for i in by_point {
        let current = state.get(&ops[i].key).cloned().flatten();
        let op = &mut ops[i];
        match op.f {
            0 => op.seen = current,
            3 => {
                let pick = specs[i].7;
                let k = pick.index(written.len() + 3);
                op.from = if k < 2 {
                    current.clone()
                } else {
                    written.get(k - 2).cloned()
                };
                if op.from != current {
                    op.end = match op.end {
                        End::Ok | End::Fail => End::Fail,
                        _ => End::InfoNot,
                    };
                }
            }
            _ => {}
        }
        if op.f != 0 && op.took_effect() {
            let after = if op.f == 2 {
                None
            } else {
                Some(op.value.clone())
            };
            state.insert(op.key.clone(), after);
        }
        if op.f == 1 || op.f == 3 {
            written.push(op.value.clone());
        }
    }
}

fn build(ops: &[G]) -> History {
    history(&ops.iter().map(G::t).collect::<Vec<_>>())
}

fn verdict(h: &History, method: Method) -> (Verdict, String) {
    let r = check_with(h, &Budget::default(), method);
    (r.verdict, r.explanation)
}

/// Changes one ok read's value to another value written on its key (or absent).
fn mutate(ops: &mut [G], which: Index, to: Index) {
    let reads: Vec<usize> = (0..ops.len())
        .filter(|&i| ops[i].f == 0 && ops[i].end == End::Ok)
        .collect();
    if reads.is_empty() {
        return;
    }
    let r = reads[which.index(reads.len())];
    let mut values: Vec<Option<String>> = vec![None];
    values.extend(
        ops.iter()
            .filter(|o| o.key == ops[r].key && o.f != 0 && o.f != 2)
            .map(|o| Some(o.value.clone())),
    );
    ops[r].seen = values[to.index(values.len())].clone();
}

/// Plants a stale read: a read returns the value of a put `w1` although an
/// effective write `w2` began after `w1` completed and completed before the
/// read began. `false` when the history has no such triple.
fn plant_stale(ops: &mut [G], pick: Index) -> bool {
    let done = |o: &G| matches!(o.end, End::Ok).then_some(o.complete);
    let mut triples = Vec::new();
    for (r, read) in ops
        .iter()
        .enumerate()
        .filter(|(_, o)| o.f == 0 && o.end == End::Ok)
    {
        for (a, w1) in ops
            .iter()
            .enumerate()
            .filter(|(_, o)| o.f == 1 && o.key == read.key && o.took_effect())
        {
            let superseded = ops.iter().any(|w2| {
                w2.f != 0
                    && w2.key == read.key
                    && w2.end == End::Ok
                    && done(w1).is_some_and(|c| c < w2.invoke)
                    && w2.complete < read.invoke
            });
            if superseded && read.seen.as_deref() != Some(w1.value.as_str()) {
                triples.push((r, a));
            }
        }
    }
    if triples.is_empty() {
        return false;
    }
    let (r, a) = triples[pick.index(triples.len())];
    ops[r].seen = Some(ops[a].value.clone());
    true
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn atomic_executions_are_linearizable(specs in specs(40), with_cas in any::<bool>()) {
        let h = build(&atomic(&specs, with_cas));
        for method in [Method::Auto, Method::Search] {
            let (v, why) = verdict(&h, method);
            prop_assert_eq!(v, Verdict::Valid, "{:?}: {}\n{}", method, why, h.to_jsonl());
        }
        let (v, why) = verdict(&h, Method::Zones);
        prop_assert_ne!(v, Verdict::Invalid, "{}\n{}", why, h.to_jsonl());
        if !with_cas {
            prop_assert!(check::linearizable::witness(&h, &Budget::default()).is_some());
        }
    }

    #[test]
    fn planted_stale_read_is_caught(specs in specs(40), with_cas in any::<bool>(), pick in any::<Index>()) {
        let mut ops = atomic(&specs, with_cas);
        if plant_stale(&mut ops, pick) {
            let h = build(&ops);
            for method in [Method::Auto, Method::Search] {
                let (v, _) = verdict(&h, method);
                prop_assert_eq!(v, Verdict::Invalid, "{:?}\n{}", method, h.to_jsonl());
            }
            let (v, _) = verdict(&h, Method::Zones);
            prop_assert_ne!(v, Verdict::Valid, "{}", h.to_jsonl());
        }
    }

    #[test]
    fn fast_path_agrees_with_search(specs in specs(16), which in any::<Index>(), to in any::<Index>(), mutations in 0usize..3) {
        let mut ops = atomic(&specs, false);
        for _ in 0..mutations {
            mutate(&mut ops, which, to);
        }
        let h = build(&ops);
        let (fast, why_fast) = verdict(&h, Method::Zones);
        let (slow, why_slow) = verdict(&h, Method::Search);
        prop_assert_ne!(slow, Verdict::Unknown);
        if fast != Verdict::Unknown {
            prop_assert_eq!(fast, slow, "zones: {}\nsearch: {}\n{}", why_fast, why_slow, h.to_jsonl());
        }
    }
}
