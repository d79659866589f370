//! `atomic-object` on fixture tables: gets that return one write's object,
//! and torn ones.

use crate::support::{T, assert_clean, assert_finding, get, history, object, put, version};
use check::atomic_object::check;
use check::{FindingKind, Verdict};

fn body(etag: &str, size: u64, color: &str) -> check::history::Object {
    object(None, Some(etag), Some(size), Some(("color", color)))
}

/// Histories that are fine, and why. Ops are in invoke order.
fn accept() -> Vec<(&'static str, Vec<T>)> {
    vec![
        (
            "the object of the write named",
            vec![
                put(0, "b/k", "a", 0, 10).asked(body("e1", 3, "red")),
                get(1, "b/k", Some("a"), 20, 30).answered(body("e1", 3, "red")),
            ],
        ),
        (
            "with its version id",
            vec![
                put(0, "b/k", "a", 0, 10)
                    .asked(body("e1", 3, "red"))
                    .answered(version("v1")),
                get(1, "b/k", Some("a"), 20, 30).answered(object(
                    Some("v1"),
                    Some("e1"),
                    Some(3),
                    Some(("color", "red")),
                )),
            ],
        ),
        (
            "fields only one side gives are not compared",
            vec![
                put(0, "b/k", "a", 0, 10).asked(object(None, Some("e1"), None, None)),
                get(1, "b/k", Some("a"), 20, 30).answered(body("e1", 3, "red")),
            ],
        ),
        (
            "a value written twice: either write's object",
            vec![
                put(0, "b/k", "a", 0, 10).asked(body("e1", 3, "red")),
                put(1, "b/k", "a", 11, 20).asked(body("e2", 4, "blue")),
                get(2, "b/k", Some("a"), 30, 40).answered(body("e2", 4, "blue")),
            ],
        ),
        (
            "a concurrent overwrite: the old object whole",
            vec![
                put(0, "b/k", "a", 0, 10).asked(body("e1", 3, "red")),
                put(1, "b/k", "b", 20, 40).asked(body("e2", 4, "blue")),
                get(2, "b/k", Some("a"), 25, 35).answered(body("e1", 3, "red")),
            ],
        ),
        (
            "a value nobody wrote is read-after-write's finding",
            vec![get(1, "b/k", Some("zz"), 20, 30).answered(body("e1", 3, "red"))],
        ),
    ]
}

/// Histories that must be rejected: the first finding's kind and ops.
fn reject() -> Vec<(&'static str, Vec<T>, Vec<usize>)> {
    vec![
        (
            "the etag of the next write",
            vec![
                put(0, "b/k", "a", 0, 10).asked(body("e1", 3, "red")),
                put(1, "b/k", "b", 20, 40).asked(body("e2", 4, "blue")),
                get(2, "b/k", Some("a"), 25, 35).answered(body("e2", 3, "red")),
            ],
            vec![2, 0, 1],
        ),
        (
            "the metadata of nobody",
            vec![
                put(0, "b/k", "a", 0, 10).asked(body("e1", 3, "red")),
                get(2, "b/k", Some("a"), 25, 35).answered(body("e1", 3, "green")),
            ],
            vec![1, 0],
        ),
        (
            "the size of a torn body",
            vec![
                put(0, "b/k", "a", 0, 10).asked(body("e1", 3, "red")),
                get(2, "b/k", Some("a"), 25, 35).answered(body("e1", 2, "red")),
            ],
            vec![1, 0],
        ),
        (
            "another write's version id",
            vec![
                put(0, "b/k", "a", 0, 10).answered(version("v1")),
                put(1, "b/k", "b", 20, 30).answered(version("v2")),
                get(2, "b/k", Some("a"), 40, 50).answered(version("v2")),
            ],
            vec![2, 0, 1],
        ),
    ]
}

#[test]
fn accepts_gets_of_one_whole_write() {
    for (name, ops) in accept() {
        assert_clean(name, &check(&history(&ops)));
    }
}

#[test]
fn rejects_torn_objects_naming_the_write_and_where_the_field_came_from() {
    for (name, ops, involved) in reject() {
        let result = check(&history(&ops));
        assert_eq!(result.verdict, Verdict::Invalid, "{name}");
        assert_finding(name, &result, FindingKind::TornObject, &involved);
    }
}

#[test]
fn explains_a_torn_object() {
    const MS: u64 = 1_000_000;
    let ops = [
        put(0, "b/k", "c0-1", MS, 2 * MS).asked(body("e1", 3, "red")),
        put(1, "b/k", "c1-1", 3 * MS, 6 * MS).asked(body("e2", 4, "blue")),
        get(2, "b/k", Some("c0-1"), 4 * MS, 5 * MS).answered(body("e2", 3, "red")),
    ];
    let result = check(&history(&ops));
    let expected = "\
read by process 2 of b/k (4.000–5.000 ms) returned c0-1, written by process 0 (put, 1.000–2.000 ms), but with etag \"e2\" instead of \"e1\" (as process 1's put of c1-1 wrote, 3.000–6.000 ms): a torn object, parts of more than one write
";
    assert!(
        result.explanation.starts_with(expected),
        "{}",
        result.explanation
    );
}

#[test]
fn is_not_applicable_without_descriptors() {
    let h = history(&[put(0, "k", "a", 0, 10), get(1, "k", Some("a"), 20, 30)]);
    assert_eq!(check(&h).verdict, Verdict::NotApplicable);
}
