//! `read-after-write` on fixture tables: histories it must accept and reject.

use crate::support::{T, assert_clean, assert_finding, cas, del, get, history, put};
use check::read_after_write::{Anomaly, anomalies, check};
use check::{FindingKind, Verdict, op::pair};

const MS: u64 = 1_000_000;

/// Histories that are fine, and why.
fn accept() -> Vec<(&'static str, Vec<T>)> {
    vec![
        ("empty history", vec![]),
        ("read of the initial state", vec![get(0, "k", None, 0, 10)]),
        (
            "read after write",
            vec![put(0, "k", "a", 0, 10), get(1, "k", Some("a"), 20, 30)],
        ),
        (
            "concurrent write not yet seen",
            vec![put(0, "k", "a", 0, 10), get(1, "k", None, 5, 15)],
        ),
        (
            "concurrent write already seen",
            vec![put(0, "k", "a", 10, 20), get(1, "k", Some("a"), 5, 15)],
        ),
        (
            "concurrent writes, either wins",
            vec![
                put(0, "k", "a", 0, 10),
                put(1, "k", "b", 5, 15),
                get(2, "k", Some("a"), 20, 30),
            ],
        ),
        (
            "superseder acknowledged only during the read",
            vec![
                put(0, "k", "a", 0, 10),
                put(1, "k", "b", 20, 30),
                get(2, "k", Some("a"), 25, 35),
            ],
        ),
        (
            "info write may take effect late",
            vec![
                put(0, "k", "a", 0, 10),
                put(1, "k", "b", 20, 25).info(),
                put(2, "k", "c", 30, 40),
                get(3, "k", Some("b"), 50, 60),
            ],
        ),
        (
            "open write may take effect late",
            vec![
                put(1, "k", "b", 20, 25).open(),
                put(2, "k", "c", 30, 40),
                get(3, "k", Some("b"), 50, 60),
            ],
        ),
        (
            "failed write never happened",
            vec![
                put(0, "k", "a", 0, 10),
                put(1, "k", "b", 20, 30).fail(),
                get(2, "k", Some("a"), 40, 50),
            ],
        ),
        (
            "failed read constrains nothing",
            vec![
                put(0, "k", "a", 0, 10),
                put(1, "k", "b", 20, 30),
                get(2, "k", Some("a"), 40, 50).fail(),
            ],
        ),
        (
            "value written again later",
            vec![
                put(0, "k", "1", 0, 10),
                put(0, "k", "2", 20, 30),
                put(0, "k", "1", 40, 50),
                get(1, "k", Some("1"), 60, 70),
            ],
        ),
        (
            "absent after delete",
            vec![
                put(0, "k", "a", 0, 10),
                del(0, "k", 20, 30),
                get(1, "k", None, 40, 50),
            ],
        ),
        (
            "cas writes its to",
            vec![
                put(0, "k", "a", 0, 10),
                cas(0, "k", Some("a"), "b", 20, 30),
                get(1, "k", Some("b"), 40, 50),
            ],
        ),
        (
            "keys are independent",
            vec![
                put(0, "k1", "a", 0, 10),
                put(0, "k2", "b", 20, 30),
                get(1, "k1", Some("a"), 40, 50),
            ],
        ),
    ]
}

/// Histories with exactly one planted anomaly, and its kind.
fn reject() -> Vec<(&'static str, Vec<T>, &'static str)> {
    vec![
        (
            "stale read",
            vec![
                put(0, "k", "a", 0, 10),
                put(1, "k", "b", 20, 30),
                get(2, "k", Some("a"), 40, 50),
            ],
            "stale",
        ),
        (
            "stale read, superseded by cas",
            vec![
                put(0, "k", "a", 0, 10),
                cas(1, "k", Some("a"), "b", 20, 30),
                get(2, "k", Some("a"), 40, 50),
            ],
            "stale",
        ),
        (
            "stale read, superseded by delete",
            vec![
                put(0, "k", "a", 0, 10),
                del(1, "k", 20, 30),
                get(2, "k", Some("a"), 40, 50),
            ],
            "stale",
        ),
        (
            "absent after write",
            vec![put(0, "k", "a", 0, 10), get(1, "k", None, 20, 30)],
            "stale",
        ),
        (
            "absent after delete then write",
            vec![
                del(0, "k", 0, 10),
                put(0, "k", "a", 20, 30),
                get(1, "k", None, 40, 50),
            ],
            "stale",
        ),
        (
            "every write of a repeated value superseded",
            vec![
                put(0, "k", "1", 0, 10),
                put(1, "k", "1", 20, 30),
                put(0, "k", "2", 40, 50),
                get(2, "k", Some("1"), 60, 70),
            ],
            "stale",
        ),
        (
            "value never written",
            vec![put(0, "k", "a", 0, 10), get(1, "k", Some("zz"), 20, 30)],
            "never",
        ),
        (
            "value written only by a failed put",
            vec![
                put(0, "k", "a", 0, 10).fail(),
                get(1, "k", Some("a"), 20, 30),
            ],
            "never",
        ),
        (
            "value written to another key",
            vec![put(0, "k2", "a", 0, 10), get(1, "k1", Some("a"), 20, 30)],
            "never",
        ),
        (
            "value from the future",
            vec![get(1, "k", Some("a"), 0, 10), put(0, "k", "a", 20, 30)],
            "future",
        ),
    ]
}

fn kind(anomaly: &Anomaly) -> &'static str {
    match anomaly {
        Anomaly::Stale { .. } => "stale",
        Anomaly::NeverWritten { .. } => "never",
        Anomaly::FromFuture { .. } => "future",
    }
}

#[test]
fn accepts_correct_histories() {
    for (name, ops) in accept() {
        let result = check(&history(&ops));
        assert_clean(name, &result);
    }
}

#[test]
fn rejects_planted_anomalies() {
    for (name, ops, expected) in reject() {
        let h = history(&ops);
        let result = check(&h);
        assert_eq!(result.verdict, Verdict::Invalid, "{name}");
        assert_eq!(result.anomalies, 1, "{name}: {}", result.explanation);
        let found = anomalies(&pair(&h));
        assert_eq!(
            found.iter().map(kind).collect::<Vec<_>>(),
            vec![expected],
            "{name}"
        );
        let (kind, involved) = match found[0] {
            Anomaly::Stale {
                read,
                source,
                superseder,
                ..
            } => (
                FindingKind::StaleRead,
                [Some(read), Some(superseder), source],
            ),
            Anomaly::NeverWritten { read, failed } => {
                (FindingKind::NeverWritten, [Some(read), failed, None])
            }
            Anomaly::FromFuture { read, write } => {
                (FindingKind::ReadFromFuture, [Some(read), Some(write), None])
            }
        };
        let involved: Vec<usize> = involved.into_iter().flatten().collect();
        assert_finding(name, &result, kind, &involved);
    }
}

/// The first planted stale read, by index: the read (op 2), the write that
/// superseded a (op 1), and a's write (op 0), with its key, values and span.
#[test]
fn a_stale_read_as_data() {
    let h = history(&[
        put(0, "k", "a", 0, 10),
        put(1, "k", "b", 20, 30),
        get(2, "k", Some("a"), 40, 50),
    ]);
    let result = check(&h);
    assert_finding("stale", &result, FindingKind::StaleRead, &[2, 1, 0]);
    let f = &result.findings[0];
    assert_eq!(f.key, "k");
    assert_eq!(
        f.values,
        vec![Some("a".into()), Some("b".into()), Some("a".into())]
    );
    assert_eq!(f.processes, vec![2, 1, 0]);
    assert_eq!((f.from_ns, f.to_ns), (0, 50));
    let json = serde_json::to_string(f).unwrap();
    assert!(json.contains(r#""kind":"stale-read""#), "{json}");
    assert_eq!(serde_json::from_str::<check::Finding>(&json).unwrap(), *f);
}

#[test]
fn explains_a_stale_read_with_a_timeline() {
    let ops = [
        put(2, "k1", "c2-4", 5 * MS, 7 * MS),
        put(1, "k1", "c1-7", 8_100_000, 9_800_000),
        get(3, "k1", Some("c2-4"), 12_300_000, 13 * MS),
        get(3, "k1", None, 14 * MS, 15 * MS),
    ];
    let result = check(&history(&ops));
    let expected = "\
read by process 3 of k1 (12.300–13.000 ms) returned c2-4, written by process 2 (put, 5.000–7.000 ms); \
but process 1 then wrote c1-7 (put, 8.100–9.800 ms), invoked after that write completed and acknowledged \
at 9.800 ms, before the read began
p2 put k1 c2-4     |[========]                              |
p1 put k1 c1-7     |              [=======]                 |
p3 get k1 -> c2-4  |                                  [===] |
                    5.000 ms                        13.000 ms
(+1 more stale read)
";
    assert_eq!(result.explanation, expected);
    assert_eq!(result.anomalies, 2);
}

#[test]
fn explains_absent_after_write_and_mixed_kinds() {
    let ops = [
        put(0, "k", "a", 0, 10),
        get(1, "k", None, 20, 30),
        get(1, "k", Some("zz"), 40, 50),
        get(1, "k", Some("a"), 60, 70),
        put(2, "k", "late", 80, 90),
        get(1, "k", Some("late"), 70, 75),
    ];
    let result = check(&history(&ops));
    assert_eq!(result.verdict, Verdict::Invalid);
    assert!(
        result.explanation.starts_with(
            "read by process 1 of k (0.000020–0.000030 ms) returned absent (the initial state), \
             but process 0 wrote a (put, 0.000000–0.000010 ms), acknowledged at 0.000010 ms, before the read began\n"
        ),
        "{}",
        result.explanation
    );
    assert!(
        result
            .explanation
            .ends_with("(+2 more: 1 read of a value never written, 1 read from the future)\n"),
        "{}",
        result.explanation
    );
}

#[test]
fn anomalies_come_in_read_order_across_keys() {
    let ops = [
        put(0, "b", "x", 0, 10),
        put(1, "a", "y", 0, 10),
        get(2, "b", Some("nope"), 20, 30),
        get(3, "a", Some("nope"), 15, 35),
    ];
    let h = history(&ops);
    let ops = pair(&h);
    let reads: Vec<u64> = anomalies(&ops)
        .iter()
        .map(|a| ops[a.read()].invoke_time)
        .collect();
    assert_eq!(reads, vec![15, 20]);
}

/// Thousands of writes and reads on one key: must stay fast (no n² pass).
#[test]
fn scales_to_large_histories() {
    const N: u64 = 100_000;
    let mut ops = Vec::new();
    for i in 0..N {
        let t = i * 100;
        ops.push(put(0, "k", &format!("v{}", i % 7), t, t + 10));
        ops.push(get(1, "k", Some(&format!("v{}", i % 7)), t + 20, t + 30));
    }
    ops.push(get(1, "k", Some("v0"), N * 100, N * 100 + 10));
    let result = check(&history(&ops));
    assert_eq!(result.anomalies, 1, "{}", result.explanation);
}

#[test]
fn explains_delete_sources_failed_writes_and_future_reads() {
    let cases = [
        (
            vec![
                del(0, "k", 0, 10),
                put(0, "k", "a", 20, 30),
                get(1, "k", None, 40, 50),
            ],
            "returned absent, as left by process 0's delete (0.000000–0.000010 ms); but process 0 then wrote a (put, ",
        ),
        (
            vec![
                put(0, "k", "a", 0, 10),
                del(1, "k", 20, 30),
                get(2, "k", Some("a"), 40, 50),
            ],
            "but process 1 then deleted k (delete, 0.000020–0.000030 ms)",
        ),
        (
            vec![
                put(0, "k", "a", 0, 10).fail(),
                get(1, "k", Some("a"), 20, 30),
            ],
            "returned a, a value no put or cas on k wrote (only process 0 (put, 0.000000–0.000010 ms), which failed)",
        ),
        (
            vec![get(1, "k", Some("a"), 0, 10), put(0, "k", "a", 20, 30)],
            "but the first write of a, by process 0 (put, 0.000020–0.000030 ms), began after the read completed",
        ),
    ];
    for (ops, words) in cases {
        let explanation = check(&history(&ops)).explanation;
        assert!(explanation.contains(words), "{explanation}");
        assert_eq!(
            explanation.lines().filter(|l| l.contains('|')).count(),
            ops.len().min(3),
            "{explanation}"
        );
    }
}
