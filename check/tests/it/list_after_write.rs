//! `list-after-write` on fixture tables: histories it must accept and
//! reject, and the staleness of listings.

use crate::support::{
    T, assert_clean, assert_finding, cas_delete, del, history, list, put, version,
};
use check::list_after_write::{Staleness, anomalies, check};
use check::{FindingKind, Verdict, op::pair};

/// Histories that are fine, and why. Ops are in invoke order.
fn accept() -> Vec<(&'static str, Vec<T>)> {
    vec![
        ("empty listing of nothing", vec![list(0, "b/", &[], 0, 10)]),
        (
            "listed after its put",
            vec![put(0, "b/k", "a", 0, 10), list(1, "b/", &["b/k"], 20, 30)],
        ),
        (
            "put concurrent with the list: not yet listed",
            vec![put(0, "b/k", "a", 0, 25), list(1, "b/", &[], 20, 30)],
        ),
        (
            "put concurrent with the list: already listed",
            vec![list(1, "b/", &["b/k"], 0, 30), put(0, "b/k", "a", 20, 40)],
        ),
        (
            "acknowledged only as the list began",
            vec![
                put(0, "b/k", "a", 0, 10),
                del(0, "b/k", 12, 20),
                list(1, "b/", &["b/k"], 20, 30),
            ],
        ),
        (
            "deleted before the list",
            vec![
                put(0, "b/k", "a", 0, 10),
                del(0, "b/k", 12, 15),
                list(1, "b/", &[], 20, 30),
            ],
        ),
        (
            "conditionally deleted before the list",
            vec![
                put(0, "b/k", "a", 0, 10),
                cas_delete(0, "b/k", "a", 12, 15),
                list(1, "b/", &[], 20, 30),
            ],
        ),
        (
            "a delete concurrent with the put may come after it",
            vec![
                put(0, "b/k", "a", 0, 10),
                del(1, "b/k", 5, 15),
                list(2, "b/", &[], 20, 30),
            ],
        ),
        (
            "and may come before it",
            vec![
                put(0, "b/k", "a", 0, 10),
                del(1, "b/k", 5, 15),
                list(2, "b/", &["b/k"], 20, 30),
            ],
        ),
        (
            "a delete concurrent with the list",
            vec![
                put(0, "b/k", "a", 0, 10),
                del(1, "b/k", 25, 35),
                list(2, "b/", &[], 20, 30),
            ],
        ),
        (
            "an info put may take effect late",
            vec![
                put(0, "b/k", "a", 0, 10).info(),
                list(1, "b/", &["b/k"], 100, 110),
            ],
        ),
        (
            "an info delete may take effect late",
            vec![
                put(0, "b/k", "a", 0, 10),
                del(1, "b/k", 20, 30).info(),
                list(2, "b/", &[], 100, 110),
            ],
        ),
        (
            "a failed delete did not happen",
            vec![
                put(0, "b/k", "a", 0, 10),
                del(1, "b/k", 20, 30).fail(),
                list(2, "b/", &["b/k"], 100, 110),
            ],
        ),
        (
            "not a snapshot across keys: one of two concurrent puts",
            vec![
                list(2, "b/", &["b/k2"], 0, 30),
                put(0, "b/k1", "a", 5, 35),
                put(1, "b/k2", "b", 6, 36),
            ],
        ),
        (
            "keys outside the prefix need not be listed",
            vec![put(0, "c/k", "a", 0, 10), list(1, "b/", &[], 20, 30)],
        ),
        (
            "prefixes are strings: b/k1 is under b/k",
            vec![
                put(0, "b/k1", "a", 0, 10),
                list(1, "b/k", &["b/k1"], 20, 30),
            ],
        ),
        (
            "a key listed twice (across pages) counts once",
            vec![
                put(0, "b/k", "a", 0, 10),
                list(1, "b/", &["b/k", "b/k"], 20, 30),
            ],
        ),
        (
            "a delete by version id may leave the key present or not",
            vec![
                put(0, "b/k", "a", 0, 10).answered(version("v1")),
                put(0, "b/k", "b", 20, 30).answered(version("v2")),
                del(0, "b/k", 40, 50).asked(version("v2")),
                list(1, "b/", &["b/k"], 60, 70),
                list(1, "b/", &[], 80, 90),
            ],
        ),
        (
            "failed and info lists say nothing",
            vec![
                put(0, "b/k", "a", 0, 10),
                list(1, "b/", &[], 20, 30).fail(),
                list(2, "b/", &["zzz"], 20, 30).info(),
            ],
        ),
    ]
}

/// Histories that must be rejected: the first finding's kind and ops.
fn reject() -> Vec<(&'static str, Vec<T>, FindingKind, Vec<usize>)> {
    vec![
        (
            "missing key",
            vec![put(0, "b/k", "a", 0, 10), list(1, "b/", &[], 20, 30)],
            FindingKind::MissingKey,
            vec![1, 0],
        ),
        (
            "missing key put back after a delete",
            vec![
                put(0, "b/k", "a", 0, 10),
                del(0, "b/k", 12, 15),
                put(0, "b/k", "b", 16, 18),
                list(1, "b/", &[], 20, 30),
            ],
            FindingKind::MissingKey,
            vec![3, 2, 1],
        ),
        (
            "missing among others listed",
            vec![
                put(0, "b/k1", "a", 0, 10),
                put(0, "b/k2", "b", 11, 12),
                put(0, "b/k3", "c", 13, 14),
                list(1, "b/", &["b/k1", "b/k3"], 20, 30),
            ],
            FindingKind::MissingKey,
            vec![3, 1],
        ),
        (
            "resurrected key",
            vec![
                put(0, "b/k", "a", 0, 10),
                del(0, "b/k", 12, 15),
                list(1, "b/", &["b/k"], 20, 30),
            ],
            FindingKind::ResurrectedKey,
            vec![2, 1, 0],
        ),
        (
            "resurrected after a conditional delete",
            vec![
                put(0, "b/k", "a", 0, 10),
                cas_delete(0, "b/k", "a", 12, 15),
                list(1, "b/", &["b/k"], 20, 30),
            ],
            FindingKind::ResurrectedKey,
            vec![2, 1, 0],
        ),
        (
            "phantom key nobody wrote",
            vec![
                put(0, "b/k", "a", 0, 10),
                list(1, "b/", &["b/k", "b/x"], 20, 30),
            ],
            FindingKind::PhantomKey,
            vec![1],
        ),
        (
            "phantom key written only after the list",
            vec![list(1, "b/", &["b/k"], 0, 10), put(0, "b/k", "a", 20, 30)],
            FindingKind::PhantomKey,
            vec![0, 1],
        ),
        (
            "phantom key outside the prefix",
            vec![put(0, "c/k", "a", 0, 10), list(1, "b/", &["c/k"], 20, 30)],
            FindingKind::PhantomKey,
            vec![1],
        ),
        (
            "a phantom of a failed put",
            vec![
                put(0, "b/k", "a", 0, 10).fail(),
                list(1, "b/", &["b/k"], 20, 30),
            ],
            FindingKind::PhantomKey,
            vec![1],
        ),
    ]
}

#[test]
fn accepts_correct_listings() {
    for (name, ops) in accept() {
        assert_clean(name, &check(&history(&ops)));
    }
}

#[test]
fn rejects_each_planted_anomaly_naming_the_list_and_the_write() {
    for (name, ops, kind, involved) in reject() {
        let result = check(&history(&ops));
        assert_eq!(result.verdict, Verdict::Invalid, "{name}");
        assert_finding(name, &result, kind, &involved);
    }
}

#[test]
fn is_not_applicable_without_lists() {
    let h = history(&[put(0, "b/k", "a", 0, 10)]);
    let result = check(&h);
    assert_eq!(result.verdict, Verdict::NotApplicable);
    assert!(result.explanation.contains("no \"list\""));
}

#[test]
fn explains_a_missing_key_with_a_sentence_a_timeline_and_the_staleness() {
    const MS: u64 = 1_000_000;
    let h = history(&[
        put(0, "b/k", "c0-1", MS, 4 * MS),
        list(3, "b/", &[], 7 * MS, 9 * MS),
    ]);
    let result = check(&h);
    let expected = "\
list by process 3 of prefix b/ (7.000–9.000 ms) did not list b/k, but process 0 wrote it (put c0-1, 1.000–4.000 ms), acknowledged at 4.000 ms, 3.000 ms before the list began, and every delete of b/k completed before that write began or began after the list ended
p0 put b/k c0-1       |[=============]                         |
p3 list b/ -> 0 keys  |                            [=========] |
                       1.000 ms                         9.000 ms
";
    assert!(
        result.explanation.starts_with(expected),
        "{}",
        result.explanation
    );
    assert!(
        result
            .explanation
            .contains("(1 of 1 listings stale: 1 missing, 0 resurrected key(s), the longest 3.000 ms behind; 0 phantom key(s))"),
        "{}",
        result.explanation
    );
    let first = &result.findings[0];
    assert_eq!(first.key, "b/k");
}

#[test]
fn counts_the_staleness_of_listings() {
    let ops = [
        put(0, "b/k1", "a", 0, 10),
        put(0, "b/k2", "b", 11, 12),
        list(1, "b/", &[], 20, 30),
        list(1, "b/", &["b/k1", "b/k2"], 40, 50),
        del(0, "b/k1", 60, 70),
        list(1, "b/", &["b/k1", "b/k2", "b/z"], 100, 110),
    ];
    let found = anomalies(&pair(&history(&ops)));
    let s = Staleness::of(&found, 3);
    assert_eq!(
        s,
        Staleness {
            listings: 3,
            stale: 2,
            missing: 2,
            resurrected: 1,
            phantom: 1,
            behind_ns_max: 30,
        }
    );
}
