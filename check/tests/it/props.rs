//! Properties: the JSONL round trip, and read-after-write on sequential
//! executions of a correct register (always valid; a planted stale read is
//! always caught).

use check::read_after_write::check as raw;
use check::{Event, EventType, Final, Function, History, Value, Verdict};
use proptest::collection::vec;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// One step of a random concurrent history: process slot, what to do, time gap.
#[derive(Debug, Clone)]
struct Step {
    slot: u64,
    f: usize,
    key: String,
    value: String,
    from: Option<String>,
    outcome: usize,
    gap: u64,
    node: Option<u32>,
}

fn step() -> impl Strategy<Value = Step> {
    let key = prop_oneof![Just("k1".to_owned()), any::<String>()];
    (
        0u64..4,
        0usize..4,
        key,
        any::<String>(),
        any::<Option<String>>(),
        0usize..3,
        0u64..1_000,
        any::<Option<u32>>(),
    )
        .prop_map(|(slot, f, key, value, from, outcome, gap, node)| Step {
            slot,
            f,
            key,
            value,
            from,
            outcome,
            gap,
            node,
        })
}

/// A valid history: a slot whose op is in flight completes it, else invokes a
/// new one; an `info` gives the slot a fresh process id (Jepsen does the same).
fn build(steps: Vec<Step>, finals: Vec<(u32, String, Option<String>)>) -> History {
    let mut time = 0;
    let mut process: BTreeMap<u64, u64> = BTreeMap::new();
    let mut in_flight: BTreeMap<u64, Event> = BTreeMap::new();
    let mut events = Vec::new();
    for s in steps {
        time += s.gap;
        let p = *process.entry(s.slot).or_insert(s.slot);
        let event = match in_flight.remove(&p) {
            Some(invoke) => {
                let kind = [EventType::Ok, EventType::Fail, EventType::Info][s.outcome];
                let value = match (invoke.f, kind) {
                    (Function::Get, EventType::Ok) => s.from.map_or(Value::Absent, Value::Str),
                    _ => invoke.value.clone(),
                };
                if kind == EventType::Info {
                    process.insert(s.slot, p + 4 * (1 + p / 4));
                }
                Event {
                    kind,
                    value,
                    time,
                    node: s.node,
                    ..invoke
                }
            }
            None => {
                let f = [
                    Function::Get,
                    Function::Put,
                    Function::Delete,
                    Function::Cas,
                ][s.f];
                let value = match f {
                    Function::Get | Function::Delete | Function::List | Function::ListVersions => {
                        Value::Absent
                    }
                    Function::Put | Function::Grant | Function::Revoke => Value::Str(s.value),
                    Function::Cas => Value::Cas {
                        from: s.from,
                        to: Some(s.value),
                    },
                };
                let invoke = Event {
                    process: p,
                    kind: EventType::Invoke,
                    f,
                    key: s.key,
                    value,
                    time,
                    node: s.node,
                    object: None,
                    error: None,
                    auth: None,
                };
                in_flight.insert(p, invoke.clone());
                invoke
            }
        };
        events.push(event);
    }
    let mut seen = BTreeSet::new();
    let finals = finals
        .into_iter()
        .filter(|(node, key, _)| seen.insert((*node, key.clone())))
        .map(|(node, key, value)| Final { node, key, value })
        .collect();
    History::new(events, finals)
}

fn history() -> impl Strategy<Value = History> {
    (
        vec(step(), 0..60),
        vec(any::<(u32, String, Option<String>)>(), 0..5),
    )
        .prop_map(|(s, f)| build(s, f))
}

/// One operation of a sequential run: (f, key, value, cas from, process, duration, gap).
type SeqOp = (usize, usize, usize, Option<usize>, u64, u64, u64);

/// A sequential execution of a correct register: each op completes before
/// the next begins (strictly), reads return the current value, cas succeeds
/// exactly when `from` matches. Values repeat on purpose.
fn sequential(ops: &[SeqOp]) -> History {
    let mut state: BTreeMap<String, Option<String>> = BTreeMap::new();
    let (mut time, mut events) = (0u64, Vec::new());
    let v = |n: usize| format!("{n}");
    for &(f, key, value, from, process, duration, gap) in ops {
        let key = format!("k{key}");
        let current = state.get(&key).cloned().flatten();
        let (f, input, kind, output, next) = match f {
            0 => (
                Function::Get,
                Value::Absent,
                EventType::Ok,
                current.clone().map_or(Value::Absent, Value::Str),
                current,
            ),
            1 => (
                Function::Put,
                Value::Str(v(value)),
                EventType::Ok,
                Value::Str(v(value)),
                Some(v(value)),
            ),
            2 => (
                Function::Delete,
                Value::Absent,
                EventType::Ok,
                Value::Absent,
                None,
            ),
            _ => {
                let pair = Value::Cas {
                    from: from.map(v),
                    to: Some(v(value)),
                };
                let ok = current == from.map(v);
                let kind = if ok { EventType::Ok } else { EventType::Fail };
                (
                    Function::Cas,
                    pair.clone(),
                    kind,
                    pair,
                    if ok { Some(v(value)) } else { current },
                )
            }
        };
        state.insert(key.clone(), next);
        let event = |kind, value, time| Event {
            process,
            kind,
            f,
            key: key.clone(),
            value,
            time,
            node: None,
            object: None,
            error: None,
            auth: None,
        };
        events.push(event(EventType::Invoke, input, time));
        events.push(event(kind, output, time + duration));
        time += duration + gap;
    }
    History::new(events, Vec::new())
}

fn seq_ops() -> impl Strategy<Value = Vec<SeqOp>> {
    vec(
        (
            0usize..4,
            0usize..2,
            0usize..4,
            proptest::option::of(0usize..4),
            0u64..3,
            1u64..50,
            1u64..50,
        ),
        0..80,
    )
}

proptest! {
    #[test]
    fn jsonl_round_trips(h in history()) {
        prop_assert!(h.validate().is_ok(), "{:?}", h.validate());
        let text = h.to_jsonl();
        let back = History::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&back, &h);
        prop_assert_eq!(back.to_jsonl(), text);
    }

    #[test]
    fn parse_never_panics(text in ".{0,300}", h in history(), cut in 0usize..4_000) {
        let _ = History::parse(&text);
        let jsonl = h.to_jsonl();
        let mut bytes = jsonl.into_bytes();
        bytes.truncate(cut);
        if let Ok(parsed) = History::parse_bytes(&bytes) {
            let _ = check::run(&parsed, check::CheckName::ALL);
        }
    }

    #[test]
    fn sequential_correct_register_is_read_after_write_valid(ops in seq_ops()) {
        let h = sequential(&ops);
        prop_assert!(h.validate().is_ok());
        let result = raw(&h);
        prop_assert_eq!(result.verdict, Verdict::Valid, "{}", result.explanation);
    }

    #[test]
    fn planted_stale_read_is_caught(ops in seq_ops(), pick in any::<prop::sample::Index>()) {
        let h = sequential(&ops);
        // Values whose last acknowledged write on k0 was followed by another acknowledged write.
        let writes: Vec<Option<String>> = check::op::pair(&h)
            .iter()
            .filter(|op| op.key == "k0" && op.f.is_write() && op.outcome == check::Outcome::Ok)
            .map(|op| op.written().map(str::to_owned))
            .collect();
        let stale: Vec<&String> = writes
            .iter()
            .enumerate()
            .filter_map(|(i, w)| w.as_ref().filter(|v| i + 1 < writes.len() && !writes[i + 1..].contains(&Some((*v).clone()))))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        prop_assume!(!stale.is_empty());
        let v = stale[pick.index(stale.len())].clone();
        let end = h.events.last().map_or(0, |e| e.time) + 1;
        let read = |kind, value, time| Event { process: 9, kind, f: Function::Get, key: "k0".into(), value, time, node: None, object: None, error: None, auth: None };
        let mut events = h.events.clone();
        events.push(read(EventType::Invoke, Value::Absent, end));
        events.push(read(EventType::Ok, Value::Str(v), end + 1));
        let result = raw(&History::new(events, Vec::new()));
        prop_assert_eq!(result.verdict, Verdict::Invalid);
        prop_assert_eq!(result.anomalies, 1);
    }
}
