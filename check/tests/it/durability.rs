//! `durability` on fixture tables.

use crate::support::{T, assert_clean, assert_finding, cas, del, history, put, with_finals};
use check::durability::{anomalies, check};
use check::{FindingKind, Verdict, lost_update, op::pair};

type Finals = &'static [(u32, &'static str, Option<&'static str>)];

#[test]
fn no_finals_is_not_applicable() {
    let result = check(&history(&[put(0, "k", "a", 0, 10)]));
    assert_eq!(result.verdict, Verdict::NotApplicable);
}

#[test]
fn accepts() {
    let cases: Vec<(&str, Vec<T>, Finals)> = vec![
        (
            "the last write survived",
            vec![put(0, "k", "a", 0, 10), put(1, "k", "b", 20, 30)],
            &[(0, "k", Some("b")), (1, "k", Some("b"))],
        ),
        (
            "absent after a delete",
            vec![put(0, "k", "a", 0, 10), del(1, "k", 20, 30)],
            &[(0, "k", None)],
        ),
        (
            "overwritten by a concurrent write",
            vec![put(0, "k", "a", 0, 10), put(1, "k", "b", 5, 15)],
            &[(0, "k", Some("b"))],
        ),
        (
            "one replica holds it",
            vec![put(0, "k", "a", 0, 10), put(1, "k", "b", 20, 30)],
            &[(0, "k", Some("a")), (1, "k", Some("b"))],
        ),
        (
            "a failed write may vanish",
            vec![put(0, "k", "a", 0, 10), put(1, "k", "b", 20, 30).fail()],
            &[(0, "k", Some("a"))],
        ),
        (
            "an info write may vanish",
            vec![put(0, "k", "a", 0, 10), put(1, "k", "b", 20, 30).info()],
            &[(0, "k", Some("a"))],
        ),
        (
            "an acked write lost to last-write-wins order (clock skew): lost-update's finding",
            vec![put(0, "k", "a", 0, 10), put(0, "k", "b", 20, 30)],
            &[(0, "k", Some("a")), (1, "k", Some("a"))],
        ),
        (
            "an acked delete ordered before an older put",
            vec![put(0, "k", "a", 0, 10), del(1, "k", 20, 30)],
            &[(0, "k", Some("a"))],
        ),
        (
            "an acked cas ordered before the put it read",
            vec![put(0, "k", "a", 0, 10), cas(1, "k", Some("a"), "b", 20, 30)],
            &[(0, "k", Some("a"))],
        ),
        (
            "replicas disagree, one holds a written value",
            vec![put(0, "k", "a", 0, 10), put(1, "k", "b", 20, 30)],
            &[(0, "k", Some("a")), (1, "k", None)],
        ),
        (
            "a delete, even an earlier one, can leave absent",
            vec![del(1, "k", 0, 5), put(0, "k", "a", 10, 20)],
            &[(0, "k", None)],
        ),
        (
            "a key without final lines is skipped",
            vec![put(0, "k", "a", 0, 10)],
            &[(0, "k2", None)],
        ),
        (
            "a repeated value held counts as held",
            vec![
                put(0, "k", "1", 0, 10),
                put(1, "k", "2", 20, 30),
                put(0, "k", "1", 40, 50),
            ],
            &[(0, "k", Some("1"))],
        ),
    ];
    for (name, ops, finals) in cases {
        let result = check(&with_finals(&ops, finals));
        assert_clean(name, &result);
    }
}

#[test]
fn rejects() {
    let cases: Vec<(&str, Vec<T>, Finals, usize)> = vec![
        (
            "the only write vanished (a crash lost it unsynced)",
            vec![put(0, "k", "a", 0, 10)],
            &[(0, "k", None)],
            1,
        ),
        (
            "fell back to the initial state past two acked writes",
            vec![put(0, "k", "a", 0, 10), put(1, "k", "b", 20, 30)],
            &[(0, "k", None), (1, "k", None)],
            2,
        ),
        (
            "an info put cannot leave absent behind",
            vec![put(0, "k", "a", 0, 10), put(1, "k", "b", 5, 6).info()],
            &[(0, "k", None)],
            1,
        ),
        (
            "a failed delete explains nothing",
            vec![put(0, "k", "a", 0, 10), del(1, "k", 20, 30).fail()],
            &[(0, "k", None)],
            1,
        ),
        (
            "replicas disagree, neither value written",
            vec![put(0, "k", "a", 0, 10)],
            &[(0, "k", None), (1, "k", Some("zz"))],
            1,
        ),
        (
            "an acked cas vanished",
            vec![cas(1, "k", None, "b", 20, 30)],
            &[(0, "k", None)],
            1,
        ),
        (
            "two keys, one vanished write each",
            vec![put(0, "k", "a", 0, 10), put(1, "k2", "b", 20, 30)],
            &[(0, "k", None), (0, "k2", None)],
            2,
        ),
    ];
    for (name, ops, finals, count) in cases {
        let h = with_finals(&ops, finals);
        let result = check(&h);
        assert_eq!(result.verdict, Verdict::Invalid, "{name}");
        assert_eq!(result.anomalies, count, "{name}: {}", result.explanation);
        let found = anomalies(&pair(&h), &h.finals);
        assert_eq!(found.len(), count, "{name}");
        assert_eq!(result.findings.len(), count, "{name}");
        for (f, w) in result.findings.iter().zip(&found) {
            assert_eq!(
                (f.kind, f.ops.first()),
                (FindingKind::VanishedWrite, Some(w)),
                "{name}"
            );
        }
    }
}

/// Each vanished write is its own finding: nothing else is involved.
#[test]
fn a_vanished_write_as_data() {
    let h = with_finals(
        &[put(0, "k", "a", 0, 10), put(0, "k", "b", 20, 30)],
        &[(0, "k", None), (1, "k", None)],
    );
    let result = check(&h);
    assert_finding("vanished", &result, FindingKind::VanishedWrite, &[0]);
    assert_eq!(result.findings[1].ops, vec![1]);
    assert_eq!(
        result.findings[0].values,
        vec![Some("a".to_owned()), None],
        "the write's value, then what the replicas hold"
    );
}

#[test]
fn explains_a_vanished_write() {
    let ops = [
        del(0, "k1", 0, 500_000).fail(),
        put(3, "k1", "c3-9", 2_000_000, 3_000_000),
    ];
    let result = check(&with_finals(&ops, &[(0, "k1", None), (1, "k1", None)]));
    let expected = "\
process 3's put of c3-9 to k1 (2.000–3.000 ms) was acknowledged, but after heal and quiesce the \
replicas of k1 hold only absent, which no write could have left: nothing could have overwritten it, \
so it was lost (no write to k1 that did not fail wrote a value they hold)
p3 put k1 c3-9  |[=====================================] |
                 2.000 ms                         3.000 ms
";
    assert_eq!(result.explanation, expected);
}

/// Where the two checks differ. A write that completed before another
/// began may still carry the higher timestamp (clock skew): the key
/// converging on it is a lost update, not lost data. A crash that rolls a
/// key back to its initial state is both. A divergent key is durability's
/// only.
#[test]
fn differs_from_lost_update() {
    let skewed = with_finals(
        &[put(0, "k", "a", 0, 10), put(1, "k", "b", 20, 30)],
        &[
            (0, "k", Some("a")),
            (1, "k", Some("a")),
            (2, "k", Some("a")),
        ],
    );
    assert_clean("lost to clock skew", &check(&skewed));
    assert_eq!(lost_update::check(&skewed).verdict, Verdict::Invalid);
    let crashed = with_finals(
        &[put(0, "k", "a", 0, 10)],
        &[(0, "k", None), (1, "k", None)],
    );
    assert_eq!(check(&crashed).verdict, Verdict::Invalid);
    assert_eq!(lost_update::check(&crashed).verdict, Verdict::Invalid);
    let diverged = with_finals(
        &[put(0, "k", "a", 0, 10)],
        &[(0, "k", None), (1, "k", Some("zz"))],
    );
    assert_eq!(check(&diverged).verdict, Verdict::Invalid);
    assert_eq!(lost_update::check(&diverged).verdict, Verdict::Valid);
}

/// With the clocks bounded (the simulator's `clocks` line), a write that
/// completed long enough before W began cannot carry a later timestamp:
/// a key fallen back to it lost W to a crash. Within the bound it could
/// (clock skew), and W is lost-update's finding only.
#[test]
fn bounded_clocks_tell_a_crash_from_skew() {
    let ops = [put(0, "k", "a", 0, 10), put(1, "k", "b", 20, 30)];
    let bounded = |error_ns| {
        let mut h = with_finals(&ops, &[(0, "k", Some("a")), (1, "k", Some("a"))]);
        h.clock_error_ns = error_ns;
        h
    };
    let exact = check(&bounded(Some(0)));
    assert_finding("exact clocks", &exact, FindingKind::VanishedWrite, &[1, 0]);
    assert!(
        exact.explanation.contains("(clocks exact)"),
        "{}",
        exact.explanation
    );
    assert_eq!(
        check(&bounded(Some(4))).verdict,
        Verdict::Invalid,
        "20 - 10 > 2 × 4"
    );
    assert_clean("within twice the bound", &check(&bounded(Some(5))));
    assert_clean("unknown clocks", &check(&bounded(None)));
    let text = bounded(Some(0)).to_jsonl();
    assert!(
        text.starts_with("{\"type\":\"clocks\",\"error_ns\":0}\n"),
        "{text}"
    );
    let parsed = check::History::parse(&text).unwrap();
    assert_eq!(parsed.clock_error_ns, Some(0));
    assert_eq!(check(&parsed).verdict, Verdict::Invalid);
    let twice = format!("{{\"type\":\"clocks\",\"error_ns\":1}}\n{text}");
    let err = check::History::parse(&twice).unwrap_err().to_string();
    assert_eq!(err, "line 2: a second \"clocks\" line (at most one)");
}
