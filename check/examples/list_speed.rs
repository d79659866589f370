//! `cargo run --release -p check --example list_speed`: what listings cost
//! the checker. Builds a 1,000,000-operation history of a correct
//! (linearizable) store, 10% of it LISTs, over 1,000 keys, then times
//! reading it and running every check `storesim check` runs, against the same
//! history with the LISTs taken out; prints both and their ratio (the
//! target: at most 2×).
//!
//! The history, deterministic (a fixed xorshift seed): 32 processes, each
//! issuing operations back to back (10–500 µs each, 1–50 µs apart); 40%
//! put, 40% get, 10% delete, 10% list; keys `b/dDD/kK` (100 folders of 10
//! keys), uniform; a LIST lists one folder (`b/dDD/`). Every operation takes
//! effect at a point drawn within its span, and reads and listings return
//! the state at theirs. Each timing is the fastest of `REPEAT` runs
//! (environment variable, default 3).
//!
//! An example rather than a criterion bench: one run takes seconds, and it
//! prints the figure the README quotes.

#![allow(clippy::disallowed_methods)] // a benchmark reads the wall clock

use check::{CheckName, History, Verdict};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

const OPS: usize = 1_000_000;
const PROCESSES: usize = 32;
const FOLDERS: u64 = 100;
const KEYS_PER_FOLDER: u64 = 10;

#[path = "../benches/support/xorshift.rs"]
mod xorshift;
use xorshift::Rng;

#[derive(Clone, Copy, PartialEq)]
enum What {
    Put,
    Get,
    Delete,
    List,
}

/// One operation: process, what, key (or prefix), value, invoke, effect, completion.
struct Planned {
    process: usize,
    what: What,
    key: String,
    value: String,
    invoke: u64,
    effect: u64,
    complete: u64,
    /// What a get read or a list listed (filled in effect order).
    result: String,
}

fn plan() -> Vec<Planned> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut clock = vec![0u64; PROCESSES];
    let mut ops = Vec::with_capacity(OPS);
    for n in 0..OPS {
        let process = n % PROCESSES;
        let invoke = clock[process] + 1_000 + rng.below(49_000);
        let complete = invoke + 10_000 + rng.below(490_000);
        let effect = invoke + rng.below(complete - invoke + 1);
        clock[process] = complete;
        let what = match rng.below(10) {
            0..=3 => What::Put,
            4..=7 => What::Get,
            8 => What::Delete,
            _ => What::List,
        };
        let folder = rng.below(FOLDERS);
        let key = match what {
            What::List => format!("b/d{folder:02}/"),
            _ => format!("b/d{folder:02}/k{}", rng.below(KEYS_PER_FOLDER)),
        };
        ops.push(Planned {
            process,
            what,
            key,
            value: format!("p{process}-{n}"),
            invoke,
            effect,
            complete,
            result: String::new(),
        });
    }
    // Apply in effect order to a correct store.
    let mut order: Vec<usize> = (0..ops.len()).collect();
    order.sort_by_key(|&i| (ops[i].effect, i));
    let mut store: BTreeMap<String, String> = BTreeMap::new();
    for i in order {
        let op = &mut ops[i];
        match op.what {
            What::Put => {
                store.insert(op.key.clone(), op.value.clone());
            }
            What::Delete => {
                store.remove(&op.key);
            }
            What::Get => {
                op.result = store
                    .get(&op.key)
                    .map_or("null".to_owned(), |v| format!("\"{v}\""));
            }
            What::List => {
                let keys: Vec<String> = (store.range(op.key.clone()..))
                    .take_while(|(k, _)| k.starts_with(&op.key))
                    .map(|(k, _)| format!("\"{k}\""))
                    .collect();
                op.result = format!("[{}]", keys.join(","));
            }
        }
    }
    ops
}

/// The history as JSONL, with or without its lists.
fn jsonl(ops: &[Planned], lists: bool) -> String {
    let mut events: Vec<(u64, u8, usize)> = Vec::with_capacity(2 * ops.len());
    for (i, op) in ops.iter().enumerate() {
        if op.what == What::List && !lists {
            continue;
        }
        events.push((op.invoke, 1, i));
        events.push((op.complete, 0, i));
    }
    events.sort_unstable();
    let mut out = String::with_capacity(100 * events.len());
    for (time, rank, i) in events {
        let op = &ops[i];
        let (f, asked) = match op.what {
            What::Put => ("put", format!("\"{}\"", op.value)),
            What::Get => ("get", "null".to_owned()),
            What::Delete => ("delete", "null".to_owned()),
            What::List => ("list", "null".to_owned()),
        };
        let (kind, value) = match (rank, op.what) {
            (1, _) => ("invoke", asked),
            (_, What::Get | What::List) => ("ok", op.result.clone()),
            _ => ("ok", asked),
        };
        let _ = writeln!(
            out,
            "{{\"process\":{},\"type\":\"{kind}\",\"f\":\"{f}\",\"key\":\"{}\",\"value\":{value},\"time\":{time}}}",
            op.process, op.key
        );
    }
    out
}

/// Reading the text and checking it, each the fastest of `repeat` runs.
fn time(text: &str, repeat: usize) -> (Duration, Duration) {
    let (mut read_best, mut check_best) = (Duration::MAX, Duration::MAX);
    for _ in 0..repeat {
        let start = Instant::now();
        let history = History::read(text.as_bytes()).expect("valid history");
        let read = start.elapsed();
        let start = Instant::now();
        let results = check::run(&history, CheckName::CHECKABLE);
        let checked = start.elapsed();
        for (name, result) in &results {
            assert!(
                result.verdict != Verdict::Invalid,
                "{name}: {}",
                result.explanation
            );
        }
        read_best = read_best.min(read);
        check_best = check_best.min(checked);
    }
    (read_best, check_best)
}

fn main() {
    let repeat = std::env::var("REPEAT")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let ops = plan();
    let with = jsonl(&ops, true);
    let without = jsonl(&ops, false);
    let lists = ops.iter().filter(|op| op.what == What::List).count();
    let (read_with, check_with) = time(&with, repeat);
    let (read_without, check_without) = time(&without, repeat);
    let secs = |d: Duration| d.as_secs_f64();
    let total_with = secs(read_with) + secs(check_with);
    let total_without = secs(read_without) + secs(check_without);
    println!(
        "with lists:    {} ops ({lists} lists), {} MB: read {:.2} s + check {:.2} s = {total_with:.2} s",
        ops.len(),
        with.len() >> 20,
        secs(read_with),
        secs(check_with)
    );
    println!(
        "without lists: {} ops, {} MB: read {:.2} s + check {:.2} s = {total_without:.2} s",
        ops.len() - lists,
        without.len() >> 20,
        secs(read_without),
        secs(check_without)
    );
    println!(
        "ratio: {:.2}x (read + check), {:.2}x (check alone)",
        total_with / total_without,
        secs(check_with) / secs(check_without)
    );
}
