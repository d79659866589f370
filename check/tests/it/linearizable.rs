//! `linearizable` on fixture tables: histories it must accept and reject,
//! each decided by both algorithms where they apply, and witnesses checked.

use crate::support::{T, assert_clean, cas, cas_delete, del, get, history, object, put};
use check::linearizable::{Method, analyze, check, check_with, witness};
use check::{Budget, FindingKind, History, Verdict};

/// Histories that are linearizable, and why.
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
            vec![put(0, "k", "a", 10, 20), get(1, "k", None, 5, 15)],
        ),
        (
            "concurrent writes read in one order",
            vec![
                put(0, "k", "a", 0, 10),
                put(1, "k", "b", 5, 15),
                get(2, "k", Some("a"), 20, 30),
            ],
        ),
        (
            "concurrent writes read in the other order",
            vec![
                put(0, "k", "a", 0, 10),
                put(1, "k", "b", 5, 15),
                get(2, "k", Some("b"), 20, 30),
            ],
        ),
        (
            "reads during a long write see old then new",
            vec![
                put(0, "k", "a", 0, 10),
                put(1, "k", "b", 20, 100),
                get(2, "k", Some("a"), 30, 40),
                get(3, "k", Some("b"), 50, 60),
                get(4, "k", Some("b"), 70, 80),
            ],
        ),
        (
            "delete then read absent",
            vec![
                put(0, "k", "a", 0, 10),
                del(1, "k", 20, 30),
                get(2, "k", None, 40, 50),
            ],
        ),
        (
            "two concurrent deletes, read absent (search fallback)",
            vec![
                put(0, "k", "a", 0, 10),
                del(1, "k", 20, 30),
                del(2, "k", 25, 35),
                get(3, "k", None, 40, 50),
            ],
        ),
        (
            "info write explains a later read",
            vec![
                put(0, "k", "a", 0, 10),
                put(1, "k", "b", 20, 25).info(),
                put(2, "k", "c", 30, 40),
                get(3, "k", Some("c"), 45, 48),
                get(4, "k", Some("b"), 50, 60),
            ],
        ),
        (
            "open write explains a read",
            vec![
                put(1, "k", "b", 20, 25).open(),
                get(3, "k", Some("b"), 50, 60),
            ],
        ),
        (
            "info write that never happened",
            vec![
                put(0, "k", "a", 0, 10),
                put(1, "k", "b", 20, 25).info(),
                get(2, "k", Some("a"), 30, 40),
            ],
        ),
        (
            "failed write never happened",
            vec![
                put(0, "k", "a", 0, 10),
                put(1, "k", "b", 20, 25).fail(),
                get(2, "k", Some("a"), 30, 40),
            ],
        ),
        (
            "info get constrains nothing",
            vec![
                put(0, "k", "a", 0, 10),
                get(1, "k", Some("zzz"), 20, 30).info(),
            ],
        ),
        (
            "cas with a matching state",
            vec![
                put(0, "k", "a", 0, 10),
                cas(1, "k", Some("a"), "b", 20, 30),
                get(2, "k", Some("b"), 40, 50),
            ],
        ),
        (
            "cas from absent",
            vec![
                cas(0, "k", None, "a", 0, 10),
                get(1, "k", Some("a"), 20, 30),
            ],
        ),
        (
            "failed cas did not happen",
            vec![
                put(0, "k", "a", 0, 10),
                cas(1, "k", Some("x"), "b", 20, 30).fail(),
                get(2, "k", Some("a"), 40, 50),
            ],
        ),
        (
            "info cas explains a read",
            vec![
                put(0, "k", "a", 0, 10),
                cas(1, "k", Some("a"), "b", 20, 30).info(),
                get(2, "k", Some("b"), 40, 50),
            ],
        ),
        (
            "repeated values (search)",
            vec![
                put(0, "k", "1", 0, 10),
                put(1, "k", "2", 20, 30),
                put(0, "k", "1", 40, 50),
                get(2, "k", Some("1"), 60, 70),
            ],
        ),
        (
            "keys are independent",
            vec![
                put(0, "k1", "a", 0, 10),
                put(1, "k2", "a", 20, 30),
                get(2, "k1", Some("a"), 40, 50),
                get(3, "k2", Some("a"), 40, 50),
            ],
        ),
        (
            "equal times are concurrent",
            vec![put(0, "k", "a", 0, 10), get(1, "k", None, 10, 20)],
        ),
    ]
}

/// Histories that are not linearizable, and why.
fn reject() -> Vec<(&'static str, Vec<T>)> {
    vec![
        (
            "stale read",
            vec![
                put(0, "k", "a", 0, 10),
                put(1, "k", "b", 20, 30),
                get(2, "k", Some("a"), 40, 50),
            ],
        ),
        (
            "cas without a matching state",
            vec![put(0, "k", "a", 0, 10), cas(1, "k", Some("b"), "c", 20, 30)],
        ),
        (
            "read of a value never written",
            vec![get(0, "k", Some("x"), 0, 10)],
        ),
        (
            "read of a failed write",
            vec![
                put(0, "k", "a", 0, 10).fail(),
                get(1, "k", Some("a"), 20, 30),
            ],
        ),
        (
            "read of the initial absent after a write completed",
            vec![put(0, "k", "a", 0, 10), get(1, "k", None, 20, 30)],
        ),
        (
            "read-your-own-write violation",
            vec![
                put(1, "k", "x", 0, 5),
                put(0, "k", "a", 10, 20),
                get(0, "k", Some("x"), 30, 40),
            ],
        ),
        (
            "info write cannot explain a read that ended before it began",
            vec![
                get(0, "k", Some("a"), 0, 10),
                put(1, "k", "a", 50, 60).info(),
            ],
        ),
        (
            "read of a deleted value",
            vec![
                put(0, "k", "a", 0, 10),
                del(1, "k", 20, 30),
                get(2, "k", Some("a"), 40, 50),
            ],
        ),
        (
            "read of absent after delete then put",
            vec![
                put(0, "k", "a", 0, 10),
                del(1, "k", 20, 30),
                put(2, "k", "b", 40, 50),
                get(3, "k", None, 60, 70),
            ],
        ),
        (
            "new value then old value",
            vec![
                put(0, "k", "a", 0, 10),
                put(1, "k", "b", 20, 100),
                get(2, "k", Some("b"), 30, 40),
                get(3, "k", Some("a"), 50, 60),
            ],
        ),
        (
            "concurrent writes read in both orders",
            vec![
                put(0, "k", "a", 0, 10),
                put(1, "k", "b", 0, 10),
                get(2, "k", Some("a"), 20, 30),
                get(3, "k", Some("b"), 40, 50),
                get(4, "k", Some("a"), 60, 70),
            ],
        ),
        (
            "two cas from the same state both succeed",
            vec![
                put(0, "k", "1", 0, 10),
                cas(1, "k", Some("1"), "2", 20, 30),
                cas(2, "k", Some("1"), "3", 40, 50),
            ],
        ),
        (
            "repeated values, stale (search)",
            vec![
                put(0, "k", "1", 0, 10),
                put(1, "k", "2", 20, 30),
                put(0, "k", "1", 40, 50),
                put(1, "k", "2", 60, 70),
                get(2, "k", Some("1"), 80, 90),
            ],
        ),
        (
            "info cas with no matching state cannot explain a read",
            vec![
                put(0, "k", "a", 0, 10),
                cas(1, "k", Some("x"), "b", 20, 30).info(),
                get(2, "k", Some("b"), 40, 50),
            ],
        ),
    ]
}

fn run(h: &History, method: Method) -> Verdict {
    check_with(h, &Budget::default(), method).verdict
}

#[test]
fn accepts_linearizable_histories() {
    for (name, ops) in accept() {
        let h = history(&ops);
        let result = check(&h, &Budget::default());
        assert_clean(name, &result);
        assert_eq!(run(&h, Method::Search), Verdict::Valid, "{name} (search)");
        assert_ne!(run(&h, Method::Zones), Verdict::Invalid, "{name} (zones)");
        let orders = witness(&h, &Budget::default()).expect(name);
        let reports = analyze(&h, &Budget::default(), Method::Auto);
        for (key, order) in &orders {
            assert_eq!(order.len(), reports[key].linearized, "{name}");
        }
    }
}

#[test]
fn rejects_non_linearizable_histories() {
    for (name, ops) in reject() {
        let h = history(&ops);
        let result = check(&h, &Budget::default());
        assert_eq!(result.verdict, Verdict::Invalid, "{name}");
        assert_eq!(result.anomalies, 1, "{name}");
        // Two conditional writes that both applied one condition are said
        // in S3's words; everything else as an order that cannot be found.
        let s3 = name == "two cas from the same state both succeed";
        let opening = if s3 {
            "key k: two conditional writes both replaced 1 on k"
        } else {
            "key k: no order explains"
        };
        assert!(
            result.explanation.starts_with(opening),
            "{name}: {}",
            result.explanation
        );
        assert_eq!(run(&h, Method::Search), Verdict::Invalid, "{name} (search)");
        assert_ne!(run(&h, Method::Zones), Verdict::Valid, "{name} (zones)");
        assert!(witness(&h, &Budget::default()).is_none(), "{name}");
        let [f] = result.findings.as_slice() else {
            panic!("{name}: one finding per invalid key: {:?}", result.findings);
        };
        let kind = if s3 {
            FindingKind::LostConditionalUpdate
        } else {
            FindingKind::NotLinearizable
        };
        assert_eq!((f.kind, f.key.as_str()), (kind, "k"), "{name}");
        assert!(
            !f.ops.is_empty() && f.ops.iter().all(|&i| i < ops.len()),
            "{name}: {f:?}"
        );
    }
}

#[test]
fn fast_path_decides_what_it_should() {
    let decided_by =
        |ops: &[T]| analyze(&history(ops), &Budget::default(), Method::Auto)["k"].method;
    let plain = [
        put(0, "k", "a", 0, 10),
        del(1, "k", 20, 30),
        get(2, "k", None, 40, 50),
    ];
    assert_eq!(decided_by(&plain), Method::Zones);
    let with_cas = [
        cas(0, "k", None, "a", 0, 10),
        get(1, "k", Some("a"), 20, 30),
    ];
    assert_eq!(decided_by(&with_cas), Method::Search);
    let repeated = [put(0, "k", "a", 0, 10), put(1, "k", "a", 20, 30)];
    assert_eq!(decided_by(&repeated), Method::Search);
    // A failed cas did not happen, and an unread info write is dropped.
    let dropped = [
        put(0, "k", "a", 0, 10),
        cas(1, "k", Some("x"), "y", 20, 30).fail(),
        put(2, "k", "a", 40, 50).info(),
        get(3, "k", Some("a"), 60, 70),
    ];
    assert_eq!(decided_by(&dropped[..2]), Method::Zones);
    assert_eq!(
        decided_by(&dropped[..]),
        Method::Search,
        "the info put of a is read: kept"
    );
}

#[test]
fn stale_read_is_explained_with_both_writes() {
    let h = history(&[
        put(2, "k1", "c2-4", 5_000_000, 7_000_000),
        put(1, "k1", "c1-7", 8_100_000, 9_800_000),
        get(3, "k1", Some("c2-4"), 12_300_000, 13_000_000),
    ]);
    for method in [Method::Auto, Method::Search] {
        let result = check_with(&h, &Budget::default(), method);
        let text = &result.explanation;
        assert_eq!(result.verdict, Verdict::Invalid);
        for needle in ["p3 get k1 -> c2-4", "c1-7", "12.300"] {
            assert!(
                text.contains(needle),
                "{method:?}: {needle} missing in\n{text}"
            );
        }
    }
    let zones = check_with(&h, &Budget::default(), Method::Zones).explanation;
    assert!(zones.contains("acknowledged at 9.800 ms"), "{zones}");
    assert!(zones.contains("must come after"), "{zones}");
}

#[test]
fn search_reports_longest_prefix() {
    let h = history(&[
        put(0, "k", "1", 0, 10),
        cas(1, "k", Some("1"), "2", 20, 30),
        cas(2, "k", Some("1"), "3", 40, 50),
    ]);
    let report = &analyze(&h, &Budget::default(), Method::Search)["k"];
    assert_eq!(
        (report.verdict, report.linearized, report.operations),
        (Verdict::Invalid, 2, 3)
    );
    assert!(
        report.explanation.contains("at most 2 of 3 operations"),
        "{}",
        report.explanation
    );
    assert!(
        report.explanation.contains("cas expects 1"),
        "{}",
        report.explanation
    );
}

#[test]
fn invalid_beats_unknown_and_counts_keys() {
    // k1 is hard (many concurrent cas on repeated values), k2 and k3 are stale.
    let mut ops = Vec::new();
    for p in 0..12u64 {
        ops.push(cas(p, "k1", Some("1"), "1", 0, 1000));
    }
    ops.push(get(12, "k1", Some("2"), 2000, 2001));
    for (p, key) in [(20, "k2"), (30, "k3")] {
        ops.push(put(p, key, "a", 3000, 3010));
        ops.push(put(p + 1, key, "b", 3020, 3030));
        ops.push(get(p + 2, key, Some("a"), 3040, 3050));
    }
    let tiny = Budget {
        max_steps: 5,
        ..Budget::default()
    };
    let result = check(&history(&ops), &tiny);
    assert_eq!((result.verdict, result.anomalies), (Verdict::Invalid, 2));
    assert!(
        result.explanation.starts_with("key k2:"),
        "{}",
        result.explanation
    );
    assert!(
        result
            .explanation
            .contains("(+1 more keys not linearizable: k3)")
    );
    assert!(
        result.explanation.contains("(1 keys undecided: k1)"),
        "{}",
        result.explanation
    );
}

#[test]
fn budget_gives_unknown_never_a_hang() {
    let mut ops: Vec<T> = (0..40u64)
        .map(|p| cas(p, "k", Some("0"), "0", 0, 1000))
        .collect();
    ops.push(put(50, "k", "0", 0, 1000));
    ops.push(get(51, "k", Some("x"), 2000, 2001).info());
    ops.push(get(52, "k", Some("1"), 2000, 2001));
    let h = history(&ops);
    let steps = Budget {
        max_steps: 10_000,
        ..Budget::default()
    };
    let result = check(&h, &steps);
    assert_eq!(result.verdict, Verdict::Unknown, "{}", result.explanation);
    assert!(
        result
            .explanation
            .contains("k: gave up after 10001 search steps"),
        "{}",
        result.explanation
    );
    let stop = || true;
    let stopped = Budget {
        max_steps: u64::MAX,
        stop: Some(&stop),
        ..Budget::default()
    };
    let result = check(&h, &stopped);
    assert_eq!(result.verdict, Verdict::Unknown);
    assert!(
        result
            .explanation
            .contains("stopped after 4096 search steps"),
        "{}",
        result.explanation
    );
}

/// A contended single-key cas register, as 32 clients hammering one key
/// produce it: an atomic execution (each operation takes effect at its own
/// point) whose operations each overlap about `spread` others. Values are
/// unique; 30% reads, 20% blind puts, 40% cas from the current value (some
/// of the writes `info`: they did happen) and 10% `fail` cas that did not. The LCG keeps it
/// deterministic.
fn contended_cas(ops: usize, spread: u64, seed: u64) -> (Vec<T>, Vec<String>) {
    let mut rng = seed;
    let mut next = move |n: u64| {
        rng = rng
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (rng >> 33) % n
    };
    let mut out = Vec::with_capacity(ops);
    let mut written = Vec::new();
    let mut current: Option<String> = None;
    for i in 0..ops {
        let point = 10 * spread + 10 * i as u64;
        let invoke = point - 1 - next(10 * spread);
        let complete = point + 1 + next(10 * spread);
        let p = i as u64;
        match next(20) {
            0..=5 => out.push(get(p, "k", current.as_deref(), invoke, complete)),
            6..=7 => out.push(cas(p, "k", Some("nobody-wrote-this"), "x", invoke, complete).fail()),
            r => {
                let to = format!("v{i}");
                let op = if r < 10 {
                    put(p, "k", &to, invoke, complete)
                } else {
                    cas(p, "k", current.as_deref(), &to, invoke, complete)
                };
                out.push(if r == 19 { op.info() } else { op });
                written.push(to.clone());
                current = Some(to);
            }
        }
    }
    (out, written)
}

#[test]
fn contended_cas_with_unique_values_is_decided_in_few_steps() {
    // Without the dead-value rule (search.rs) the planted history of seed 1
    // is still undecided after 200,000 steps; with it every history here is
    // decided in a few thousand.
    let budget = Budget {
        max_steps: 200_000,
        ..Budget::default()
    };
    for seed in 1..=5 {
        let (ops, written) = contended_cas(600, 16, seed);
        let reports = analyze(&history(&ops), &budget, Method::Search);
        let report = &reports["k"];
        assert_eq!(
            report.verdict,
            Verdict::Valid,
            "seed {seed}: {}",
            report.explanation
        );
        assert!(
            report.steps < 200_000,
            "seed {seed}: {} steps",
            report.steps
        );

        // Planted: a second cas from a value that another cas replaced also
        // succeeds (the lost update two read-then-write cas produce).
        let mut bad = ops.clone();
        let from = &written[written.len() / 2];
        let end = 10 * 16 + 10 * 600;
        bad.push(cas(9_999, "k", Some(from), "lost-update", end, end + 5));
        let reports = analyze(&history(&bad), &budget, Method::Search);
        assert_eq!(
            reports["k"].verdict,
            Verdict::Invalid,
            "seed {seed}: {}",
            reports["k"].explanation
        );
    }
}

/// Two creates (cas from absent) both acknowledged with no delete able to
/// come between them: found without a search, and said in S3's words; a
/// delete that may lie between them makes it a matter for the search.
#[test]
fn two_creates_that_both_succeed_are_said_in_s3_words() {
    let h = history(&[cas(0, "k", None, "a", 0, 10), cas(1, "k", None, "b", 5, 20)]);
    let result = check(&h, &Budget::default());
    assert_eq!(result.verdict, Verdict::Invalid);
    assert!(
        result
            .explanation
            .starts_with("key k: two creates both succeeded on k: p0 cas k absent->a"),
        "{}",
        result.explanation
    );
    assert_eq!(result.findings[0].kind, FindingKind::DoubleCreate);
    assert_eq!(result.findings[0].ops, vec![0, 1]);
    let separated = history(&[
        cas(0, "k", None, "a", 0, 10),
        del(2, "k", 12, 14),
        cas(1, "k", None, "b", 16, 20),
    ]);
    assert_eq!(
        check(&separated, &Budget::default()).verdict,
        Verdict::Valid
    );
}

/// The same races on an object (each cas carries the descriptor of the
/// body it writes, as the S3 workload's conditional PutObject does): said
/// of the object's current version, `If-Match` naming the ETag.
#[test]
fn object_races_are_said_of_the_current_object() {
    let body = |name: &str| {
        let etag = format!("\"etag-{name}\"");
        object(None, Some(&etag), Some(10), Some(("w", name)))
    };
    let creates = history(&[
        cas(0, "b/k", None, "a", 0, 10).asked(body("a")),
        cas(1, "b/k", None, "b", 5, 20).asked(body("b")),
    ]);
    let result = check(&creates, &Budget::default());
    assert_eq!(result.verdict, Verdict::Invalid);
    assert!(
        result
            .explanation
            .starts_with("key b/k: two creates both succeeded on b/k: p0 cas b/k absent->a")
            && result
                .explanation
                .contains("had no current object (If-None-Match: *)"),
        "{}",
        result.explanation
    );
    let lost = history(&[
        put(0, "b/k", "v", 0, 1).asked(body("v")),
        cas(1, "b/k", Some("v"), "x", 2, 4).asked(body("x")),
        cas(2, "b/k", Some("v"), "y", 3, 9).asked(body("y")),
    ]);
    let result = check(&lost, &Budget::default());
    assert_eq!(result.verdict, Verdict::Invalid);
    assert!(
        result
            .explanation
            .contains("only if the current object of b/k was v (written by p0 put b/k v")
            && result.explanation.contains("(If-Match: ETag \"etag-v\")"),
        "{}",
        result.explanation
    );
    assert_eq!(result.findings[0].kind, FindingKind::LostConditionalUpdate);
    // One create, then a delete, then another: linearizable.
    let fine = history(&[
        cas(0, "b/k", None, "a", 0, 10).asked(body("a")),
        del(2, "b/k", 12, 14),
        cas(1, "b/k", None, "b", 16, 20).asked(body("b")),
    ]);
    assert_eq!(check(&fine, &Budget::default()).verdict, Verdict::Valid);
}

/// Conditional deletes (S3's DeleteObject `If-Match`, recorded as a cas to
/// `null`): a correct history passes; two deletes of one ETag that both
/// succeed, or a delete that succeeds after another write replaced the
/// ETag, fail with an S3 sentence.
#[test]
fn conditional_deletes_are_judged_on_the_current_object() {
    let body = |name: &str| {
        let etag = format!("\"etag-{name}\"");
        object(None, Some(&etag), Some(10), Some(("w", name)))
    };
    let fine = history(&[
        put(0, "b/k", "v", 0, 1).asked(body("v")),
        cas_delete(1, "b/k", "v", 2, 4),
        get(2, "b/k", None, 5, 6),
        cas_delete(3, "b/k", "v", 7, 9).fail(),
        cas(4, "b/k", None, "w", 10, 12).asked(body("w")),
        cas_delete(5, "b/k", "w", 13, 15),
    ]);
    let result = check(&fine, &Budget::default());
    assert_eq!(result.verdict, Verdict::Valid, "{}", result.explanation);

    let twice = history(&[
        put(0, "b/k", "v", 0, 1).asked(body("v")),
        cas_delete(1, "b/k", "v", 2, 6),
        cas_delete(2, "b/k", "v", 3, 8),
    ]);
    let result = check(&twice, &Budget::default());
    assert_eq!(result.verdict, Verdict::Invalid);
    assert!(
        result.explanation.starts_with(
            "key b/k: two conditional deletes both succeeded on b/k: p1 cas b/k v->absent"
        ) && result.explanation.contains("(If-Match: ETag \"etag-v\")"),
        "{}",
        result.explanation
    );
    assert_eq!(result.findings[0].kind, FindingKind::LostConditionalUpdate);

    // The ETag was replaced (acknowledged) before the delete began.
    let replaced = history(&[
        put(0, "b/k", "v", 0, 1).asked(body("v")),
        put(1, "b/k", "x", 2, 3).asked(body("x")),
        cas_delete(2, "b/k", "v", 4, 6),
    ]);
    let result = check(&replaced, &Budget::default());
    assert_eq!(result.verdict, Verdict::Invalid);
    assert!(
        result
            .explanation
            .contains("but its conditional delete expects v (If-Match"),
        "{}",
        result.explanation
    );
    // Only the history's order: the same delete before the replacing put passes.
    let before = history(&[
        put(0, "b/k", "v", 0, 1).asked(body("v")),
        cas_delete(2, "b/k", "v", 2, 3),
        put(1, "b/k", "x", 4, 5).asked(body("x")),
    ]);
    assert_eq!(check(&before, &Budget::default()).verdict, Verdict::Valid);
}
