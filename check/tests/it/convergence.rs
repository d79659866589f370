//! `convergence` on fixture tables.

use crate::support::{T, cas, history, put, with_finals};
use check::{FindingKind, Verdict, convergence::check};

type Finals = &'static [(u32, &'static str, Option<&'static str>)];

fn writes() -> Vec<T> {
    vec![
        put(0, "k1", "a", 0, 10),
        put(1, "k1", "b", 5, 15),
        cas(2, "k2", None, "c", 20, 30).info(),
        put(3, "k2", "d", 20, 30).fail(),
    ]
}

#[test]
fn no_finals_is_not_applicable() {
    let result = check(&history(&writes()));
    assert_eq!(result.verdict, Verdict::NotApplicable);
    assert_eq!(result.anomalies, 0);
}

#[test]
fn accepts_agreeing_replicas_holding_written_values() {
    let cases: &[(&str, Finals)] = &[
        (
            "one key, all agree",
            &[
                (0, "k1", Some("b")),
                (1, "k1", Some("b")),
                (2, "k1", Some("b")),
            ],
        ),
        (
            "the earlier concurrent write may win",
            &[(0, "k1", Some("a")), (1, "k1", Some("a"))],
        ),
        (
            "an info write may win",
            &[(0, "k2", Some("c")), (1, "k2", Some("c"))],
        ),
        (
            "absent is never flagged",
            &[(0, "k1", None), (1, "k1", None), (0, "k3", None)],
        ),
    ];
    for (name, finals) in cases {
        let result = check(&with_finals(&writes(), finals));
        assert_eq!(
            result.verdict,
            Verdict::Valid,
            "{name}: {}",
            result.explanation
        );
    }
}

#[test]
fn rejects_divergence_and_unwritten_values() {
    use check::FindingKind::{Diverged, UnwrittenFinal};
    let cases: &[(&str, Finals, usize, &str, &[FindingKind])] = &[
        (
            "divergent replicas",
            &[(0, "k1", Some("a")), (1, "k1", None), (2, "k1", Some("a"))],
            1,
            "replicas of k1 disagree after heal and quiesce: node 1 holds absent; nodes 0 and 2 hold a",
            &[Diverged],
        ),
        (
            "converged on a value nobody wrote",
            &[(0, "k1", Some("zz")), (1, "k1", Some("zz"))],
            1,
            "nodes 0 and 1 of k1 hold zz, a value no put or cas on k1 wrote",
            &[UnwrittenFinal],
        ),
        (
            "a failed write's value",
            &[(4, "k2", Some("d"))],
            1,
            "node 4 of k2 holds d, a value no put or cas on k2 wrote",
            &[UnwrittenFinal],
        ),
        (
            "a value written to another key",
            &[(0, "k2", Some("a"))],
            1,
            "node 0 of k2 holds a, a value no put or cas on k2 wrote",
            &[UnwrittenFinal],
        ),
        (
            "divergent and unwritten",
            &[(0, "k1", Some("a")), (1, "k1", Some("zz"))],
            2,
            "replicas of k1 disagree after heal and quiesce: node 0 holds a; node 1 holds zz (+1 more)",
            &[Diverged, UnwrittenFinal],
        ),
    ];
    for (name, finals, count, explanation, kinds) in cases {
        let result = check(&with_finals(&writes(), finals));
        assert_eq!(result.verdict, Verdict::Invalid, "{name}");
        assert_eq!(result.anomalies, *count, "{name}");
        assert_eq!(result.explanation, *explanation, "{name}");
        let found: Vec<FindingKind> = result.findings.iter().map(|f| f.kind).collect();
        assert_eq!(found, *kinds, "{name}");
        assert!(
            result.findings.iter().all(|f| !f.nodes.is_empty()),
            "{name}: the replicas are named"
        );
    }
}
