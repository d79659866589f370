//! `cargo bench -p check --features bench --bench linearizable`: operations checked per second
//! on generated histories (fast path and search) and the time for the real
//! Jepsen etcd histories. Prints a table; the histories are generated from a
//! fixed seed, so every run checks the same ones.
//!
//! Anchor: Porcupine (Go) takes 0.26 s for the 102 etcd histories and 2.4 s
//! for one 16-client single-key 250-op history with cas.
#![allow(clippy::disallowed_methods)] // a benchmark may read the wall clock

use check::linearizable::{Method, analyze, summarize};
use check::{Budget, Event, EventType, Function, History, Value, Verdict};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[path = "support/xorshift.rs"]
mod xorshift;
use xorshift::Rng;

/// What to generate.
struct Shape {
    ops: usize,
    clients: u64,
    keys: u64,
    /// Distinct values per key; 0 = every write unique.
    values: u64,
    /// Per mille: get, put, delete (rest cas).
    mix: [u64; 3],
    /// Mean operation duration and mean think time (ns).
    duration: u64,
    think: u64,
}

/// A linearizable history: each client runs operations one after another,
/// each takes effect at a random point inside its interval, and the register
/// is run in point order. 1% of writes end `info` (and take effect or not).
fn generate(shape: &Shape, seed: u64) -> History {
    let mut rng = Rng(seed | 1);
    let mut free = vec![0u64; shape.clients as usize];
    let mut planned = Vec::with_capacity(shape.ops);
    for n in 0..shape.ops {
        let c = rng.below(shape.clients) as usize;
        let invoke = free[c] + rng.below(2 * shape.think + 1);
        let complete = invoke + 1 + rng.below(2 * shape.duration);
        free[c] = complete;
        let point = invoke + rng.below(complete - invoke + 1);
        let roll = rng.below(1000);
        let f = match roll {
            r if r < shape.mix[0] => Function::Get,
            r if r < shape.mix[0] + shape.mix[1] => Function::Put,
            r if r < shape.mix[0] + shape.mix[1] + shape.mix[2] => Function::Delete,
            _ => Function::Cas,
        };
        let key = format!("k{}", rng.below(shape.keys));
        let value = match shape.values {
            0 => format!("v{n}"),
            m => format!("{}", rng.below(m)),
        };
        let info = f != Function::Get && rng.below(100) == 0;
        let happens = rng.below(2) == 0;
        planned.push((point, n, c, f, key, value, invoke, complete, info, happens));
    }
    planned.sort_by_key(|p| (p.0, p.1));
    let mut state: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut events: Vec<(u64, u8, usize, Event)> = Vec::with_capacity(2 * shape.ops);
    let mut process = vec![0u64; shape.clients as usize];
    let mut ops = Vec::with_capacity(shape.ops);
    for (_, n, c, f, key, value, invoke, complete, info, happens) in planned {
        let current = state.get(&key).cloned().flatten();
        let (input, output, mut kind) = match f {
            Function::Get => (
                Value::Absent,
                current.clone().map_or(Value::Absent, Value::Str),
                EventType::Ok,
            ),
            Function::Put => (
                Value::Str(value.clone()),
                Value::Str(value.clone()),
                EventType::Ok,
            ),
            Function::Delete => (Value::Absent, Value::Absent, EventType::Ok),
            Function::Cas => {
                let from = if rng.below(3) == 0 {
                    Some(format!("{}", rng.below(shape.values.max(1))))
                } else {
                    current.clone()
                };
                let pair = Value::Cas {
                    from: from.clone(),
                    to: Some(value.clone()),
                };
                let kind = if from == current {
                    EventType::Ok
                } else {
                    EventType::Fail
                };
                (pair.clone(), pair, kind)
            }
            // This generator draws register operations only.
            Function::List | Function::ListVersions | Function::Grant | Function::Revoke => {
                unreachable!("not drawn")
            }
        };
        if info {
            kind = EventType::Info;
        }
        let effective = match (kind, f) {
            (EventType::Ok, Function::Put | Function::Delete | Function::Cas) => true,
            (EventType::Info, _) => {
                happens && (f != Function::Cas || input_matches(&input, &current))
            }
            _ => false,
        };
        if effective {
            let next = if f == Function::Delete {
                None
            } else {
                Some(value)
            };
            state.insert(key.clone(), next);
        }
        ops.push((n, c, f, key, input, output, invoke, complete, kind));
    }
    ops.sort_by_key(|o| o.0);
    for (n, c, f, key, input, output, invoke, complete, kind) in ops {
        let p = process[c] * shape.clients + c as u64;
        let event = |kind, value, time| Event {
            process: p,
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
        events.push((
            invoke,
            1,
            n,
            event(EventType::Invoke, input.clone(), invoke),
        ));
        let value = if kind == EventType::Ok { output } else { input };
        events.push((complete, 0, n, event(kind, value, complete)));
        if kind == EventType::Info {
            process[c] += 1;
        }
    }
    events.sort_by_key(|e| (e.0, e.1, e.2));
    History::new(events.into_iter().map(|e| e.3).collect(), Vec::new())
}

fn input_matches(input: &Value, current: &Option<String>) -> bool {
    matches!(input, Value::Cas { from, .. } if from == current)
}

struct Row {
    name: String,
    ops: usize,
    keys: usize,
    verdict: Verdict,
    by: String,
    steps: u64,
    time: Duration,
}

fn run(name: &str, histories: &[History]) -> Row {
    let start = Instant::now();
    let mut verdict = Verdict::Valid;
    let (mut keys, mut steps, mut zones, mut search) = (0, 0, 0, 0);
    for h in histories {
        let reports = analyze(h, &Budget::default(), Method::Auto);
        verdict = verdict.merge(summarize(&reports).verdict);
        keys += reports.len();
        steps += reports.values().map(|r| r.steps).sum::<u64>();
        zones += reports
            .values()
            .filter(|r| r.method == Method::Zones)
            .count();
        search += reports
            .values()
            .filter(|r| r.method == Method::Search)
            .count();
    }
    let time = start.elapsed();
    let ops = histories
        .iter()
        .map(|h| {
            h.events
                .iter()
                .filter(|e| e.kind == EventType::Invoke)
                .count()
        })
        .sum();
    let by = format!("{zones} zones / {search} search");
    Row {
        name: name.to_owned(),
        ops,
        keys,
        verdict,
        by,
        steps,
        time,
    }
}

fn etcd() -> Vec<History> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/etcd");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    files
        .iter()
        .filter_map(|p| History::parse_bytes(&std::fs::read(p).ok()?).ok())
        .collect()
}

fn main() {
    let fast = |ops: usize, keys: u64| Shape {
        ops,
        clients: 16,
        keys,
        values: 0,
        mix: [550, 400, 50],
        duration: 2_000_000,
        think: 1_000_000,
    };
    let mut rows = Vec::new();
    for (name, ops, keys) in [
        ("1k ops, 10 keys", 1_000, 10),
        ("10k ops, 100 keys", 10_000, 100),
        ("100k ops, 1000 keys", 100_000, 1_000),
    ] {
        rows.push(run(name, &[generate(&fast(ops, keys), 7)]));
    }
    let million = generate(
        &Shape {
            clients: 64,
            ..fast(1_000_000, 100)
        },
        11,
    );
    rows.push(run("1M ops, 100 keys, unique values", &[million]));
    let single = generate(
        &Shape {
            ops: 100_000,
            keys: 1,
            ..fast(0, 1)
        },
        13,
    );
    rows.push(run("100k ops, 1 key, unique values", &[single]));
    let single_cas = generate(
        &Shape {
            ops: 100_000,
            keys: 1,
            mix: [500, 400, 50],
            ..fast(0, 1)
        },
        23,
    );
    rows.push(run("100k ops, 1 key, unique values, 5% cas", &[single_cas]));
    let cas = Shape {
        ops: 250,
        clients: 16,
        keys: 1,
        values: 5,
        mix: [400, 250, 0],
        duration: 10_000_000,
        think: 1_000_000,
    };
    rows.push(run(
        "16 clients, 1 key, 250 ops, cas",
        &[generate(&cas, 17)],
    ));
    let mixed = Shape {
        ops: 10_000,
        clients: 16,
        keys: 10,
        values: 8,
        mix: [500, 300, 50],
        duration: 2_000_000,
        think: 1_000_000,
    };
    rows.push(run(
        "10k ops, 10 keys, cas, repeated values",
        &[generate(&mixed, 19)],
    ));
    let etcd = etcd();
    if !etcd.is_empty() {
        rows.push(run(
            &format!("etcd: {} Jepsen histories", etcd.len()),
            &etcd,
        ));
    }
    println!("| history | ops | keys | decided by | verdict | search steps | time | ops/s |");
    println!("|---|---:|---:|---|---|---:|---:|---:|");
    for r in rows {
        let secs = r.time.as_secs_f64();
        println!(
            "| {} | {} | {} | {} | {} | {} | {:.3} s | {:.0} |",
            r.name,
            r.ops,
            r.keys,
            r.by,
            r.verdict,
            r.steps,
            secs,
            r.ops as f64 / secs.max(1e-9)
        );
    }
}
