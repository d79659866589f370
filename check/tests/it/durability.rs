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
            "an info write could have overwritten it",
            vec![put(0, "k", "a", 0, 10), put(1, "k", "b", 5, 6).info()],
            &[(0, "k", None)],
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
            "acked write vanished after a crash",
            vec![put(0, "k", "a", 0, 10), put(0, "k", "b", 20, 30)],
            &[(0, "k", Some("a")), (1, "k", Some("a"))],
            1,
        ),
        (
            "the only write vanished",
            vec![put(0, "k", "a", 0, 10)],
            &[(0, "k", None)],
            1,
        ),
        (
            "an acked delete vanished",
            vec![put(0, "k", "a", 0, 10), del(1, "k", 20, 30)],
            &[(0, "k", Some("a"))],
            1,
        ),
        (
            "an acked cas vanished",
            vec![put(0, "k", "a", 0, 10), cas(1, "k", Some("a"), "b", 20, 30)],
            &[(0, "k", Some("a"))],
            1,
        ),
        (
            "no replica holds it, replicas disagree",
            vec![put(0, "k", "a", 0, 10), put(1, "k", "b", 20, 30)],
            &[(0, "k", Some("a")), (1, "k", None)],
            1,
        ),
        (
            "a failed write explains nothing",
            vec![
                put(0, "k", "a", 0, 10),
                put(1, "k", "b", 20, 30),
                put(2, "k", "c", 25, 40).fail(),
            ],
            &[(0, "k", Some("a"))],
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

/// The vanished write first, then the write of the value held.
#[test]
fn a_vanished_write_as_data() {
    let h = with_finals(
        &[put(0, "k", "a", 0, 10), put(0, "k", "b", 20, 30)],
        &[(0, "k", Some("a")), (1, "k", Some("a"))],
    );
    let result = check(&h);
    assert_finding("vanished", &result, FindingKind::VanishedWrite, &[1, 0]);
    assert_eq!(
        result.findings[0].values,
        vec![Some("b".to_owned()), Some("a".to_owned())]
    );
}

#[test]
fn explains_a_vanished_write() {
    let ops = [
        put(0, "k1", "c0-1", 0, 1_000_000),
        put(3, "k1", "c3-9", 2_000_000, 3_000_000),
    ];
    let result = check(&with_finals(
        &ops,
        &[(0, "k1", Some("c0-1")), (1, "k1", Some("c0-1"))],
    ));
    let expected = "\
process 3's put of c3-9 to k1 (2.000–3.000 ms) was acknowledged, but after heal and quiesce the \
replicas of k1 hold only c0-1, and nothing could have overwritten it: no other write to k1 was in \
flight during it or came after it
p0 put k1 c0-1  |[===========]                           |
p3 put k1 c3-9  |                         [============] |
                 0.000 ms                         3.000 ms
";
    assert_eq!(result.explanation, expected);
}

/// Where the two checks differ: a write that something else might have
/// overwritten is not "vanished", but the key still fell back past it.
#[test]
fn differs_from_lost_update() {
    let ops = [
        put(0, "k", "a", 0, 10),
        put(1, "k", "b", 20, 30),
        put(2, "k", "c", 25, 26).info(),
    ];
    let h = with_finals(&ops, &[(0, "k", Some("a"))]);
    assert_eq!(check(&h).verdict, Verdict::Valid);
    assert_eq!(lost_update::check(&h).verdict, Verdict::Invalid);
    let diverged = with_finals(&ops[..2], &[(0, "k", Some("a")), (1, "k", None)]);
    assert_eq!(check(&diverged).verdict, Verdict::Invalid);
    assert_eq!(lost_update::check(&diverged).verdict, Verdict::Valid);
}
