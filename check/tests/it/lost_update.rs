//! `lost-update` on fixture tables.

use crate::support::{T, assert_clean, assert_finding, cas, del, put, with_finals};
use check::lost_update::{anomalies, check};
use check::{FindingKind, Verdict, op::pair};

type Finals = &'static [(u32, &'static str, Option<&'static str>)];

const MS: u64 = 1_000_000;

#[test]
fn no_finals_is_not_applicable() {
    let result = check(&crate::support::history(&[put(0, "k", "a", 0, 10)]));
    assert_eq!(result.verdict, Verdict::NotApplicable);
    assert_eq!(result.explanation, "the history has no \"final\" lines");
}

#[test]
fn accepts() {
    let cases: Vec<(&str, Vec<T>, Finals)> = vec![
        (
            "converged on the last write",
            vec![put(0, "k", "a", 0, 10), put(1, "k", "b", 20, 30)],
            &[(0, "k", Some("b")), (1, "k", Some("b"))],
        ),
        (
            "concurrent writes, either wins",
            vec![put(0, "k", "a", 0, 10), put(1, "k", "b", 5, 15)],
            &[(0, "k", Some("a"))],
        ),
        (
            "an info write explains the final value",
            vec![
                put(0, "k", "a", 0, 10),
                put(2, "k", "c", 5, 6).info(),
                put(1, "k", "b", 20, 30),
            ],
            &[(0, "k", Some("c"))],
        ),
        (
            "an open write explains the final value",
            vec![put(2, "k", "c", 5, 6).open(), put(1, "k", "b", 20, 30)],
            &[(0, "k", Some("c"))],
        ),
        (
            "absent explained by a concurrent delete",
            vec![put(0, "k", "a", 0, 10), del(1, "k", 5, 15)],
            &[(0, "k", None), (1, "k", None)],
        ),
        (
            "absent after the last delete",
            vec![put(0, "k", "a", 0, 10), del(1, "k", 20, 30)],
            &[(0, "k", None)],
        ),
        ("absent, never written", vec![], &[(0, "k", None)]),
        (
            "a later write that failed was not lost",
            vec![put(0, "k", "a", 0, 10), put(1, "k", "b", 20, 30).fail()],
            &[(0, "k", Some("a"))],
        ),
        (
            "replicas disagree: convergence's finding",
            vec![put(0, "k", "a", 0, 10), put(1, "k", "b", 20, 30)],
            &[(0, "k", Some("a")), (1, "k", Some("b"))],
        ),
        (
            "a value nobody wrote: convergence's finding",
            vec![put(0, "k", "a", 0, 10)],
            &[(0, "k", Some("zz"))],
        ),
        (
            "one write of a repeated value is the newest",
            vec![
                put(0, "k", "1", 0, 10),
                put(1, "k", "2", 20, 30),
                put(2, "k", "1", 25, 35),
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
    let cases: Vec<(&str, Vec<T>, Finals)> = vec![
        (
            "lost update under clock skew",
            vec![put(0, "k", "a", 0, 10), put(1, "k", "b", 20, 30)],
            &[(0, "k", Some("a")), (1, "k", Some("a"))],
        ),
        (
            "absent with no delete: the initial state",
            vec![put(0, "k", "a", 0, 10)],
            &[(0, "k", None)],
        ),
        (
            "absent; the only delete came before the write",
            vec![del(1, "k", 0, 5), put(0, "k", "a", 10, 20)],
            &[(0, "k", None)],
        ),
        (
            "a lost delete",
            vec![put(0, "k", "a", 0, 10), del(1, "k", 20, 30)],
            &[(0, "k", Some("a"))],
        ),
        (
            "a lost cas",
            vec![put(0, "k", "a", 0, 10), cas(1, "k", Some("a"), "b", 20, 30)],
            &[(0, "k", Some("a"))],
        ),
        (
            "every write of a repeated value is older",
            vec![
                put(0, "k", "1", 0, 10),
                put(1, "k", "1", 5, 15),
                put(0, "k", "2", 20, 30),
            ],
            &[(0, "k", Some("1"))],
        ),
        (
            "the lost write may itself have been overwritten",
            vec![
                put(0, "k", "a", 0, 10),
                put(1, "k", "b", 20, 30),
                put(2, "k", "c", 25, 26).info(),
            ],
            &[(0, "k", Some("a"))],
        ),
    ];
    for (name, ops, finals) in cases {
        let h = with_finals(&ops, finals);
        let result = check(&h);
        assert_eq!(result.verdict, Verdict::Invalid, "{name}");
        assert_eq!(result.anomalies, 1, "{name}: {}", result.explanation);
        let found = anomalies(&pair(&h), &h.finals);
        assert_eq!(found.len(), 1, "{name}");
        let ops: Vec<usize> = [Some(found[0].lost), found[0].winner]
            .into_iter()
            .flatten()
            .collect();
        assert_finding(name, &result, FindingKind::LostUpdate, &ops);
    }
}

#[test]
fn explains_a_lost_update() {
    let ops = [
        put(2, "k1", "c2-4", 3_100_000, 3_400_000),
        put(1, "k1", "c1-7", 5 * MS, 5_200_000),
        put(3, "k1", "c3-1", 6 * MS, 7 * MS),
        put(3, "k2", "x", 0, 10),
    ];
    let finals = [
        (0, "k1", Some("c2-4")),
        (1, "k1", Some("c2-4")),
        (0, "k2", None),
    ];
    let result = check(&with_finals(&ops, &finals));
    let expected = "\
k1 converged to c2-4, written by process 2 (put, 3.100–3.400 ms), although process 1 wrote c1-7 after \
that completed (put, 5.000–5.200 ms, acknowledged): the later write was lost (1 more acknowledged write \
came after it too)
p2 put k1 c2-4  |[====]                                  |
p1 put k1 c1-7  |                                  [===] |
                 3.100 ms                         5.200 ms
(+1 more keys)
";
    assert_eq!(result.explanation, expected);
    assert_eq!(result.anomalies, 2);
}

#[test]
fn explains_the_initial_state_and_repeated_values() {
    let absent = check(&with_finals(&[put(0, "k", "a", 0, 10)], &[(0, "k", None)]));
    assert!(
        absent.explanation.starts_with("k converged to absent, the initial state, although process 0 wrote a after that completed"),
        "{}",
        absent.explanation
    );
    let ops = [
        put(0, "k", "1", 0, 10),
        put(1, "k", "1", 5, 15),
        put(0, "k", "2", 20, 30),
    ];
    let repeated = check(&with_finals(&ops, &[(0, "k", Some("1"))]));
    assert!(
        repeated
            .explanation
            .contains("(all 2 possible sources of 1 completed before it; shown: the last one)"),
        "{}",
        repeated.explanation
    );
}
