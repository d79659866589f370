//! `versions` on fixture tables: versioned histories it must accept, and
//! lost versions, wrong current versions and misbehaving delete markers.

use crate::support::{
    T, assert_clean, assert_finding, del, get, history, list_versions, marker, put, version,
};
use check::versions::check;
use check::{FindingKind, Verdict};

/// A put of `v` that created version `id`.
fn put_v(process: u64, key: &str, v: &str, id: &str, invoke: u64, complete: u64) -> T {
    put(process, key, v, invoke, complete).answered(version(id))
}

/// A plain delete that wrote marker `id`.
fn del_m(process: u64, key: &str, id: &str, invoke: u64, complete: u64) -> T {
    del(process, key, invoke, complete).answered(marker(id))
}

/// A get of version `id` that returned `seen`.
fn get_v(process: u64, key: &str, id: &str, seen: Option<&str>, invoke: u64, complete: u64) -> T {
    get(process, key, seen, invoke, complete).asked(version(id))
}

/// Histories that are fine, and why. Ops are in invoke order.
fn accept() -> Vec<(&'static str, Vec<T>)> {
    vec![
        (
            "every version listed, the newest current",
            vec![
                put_v(0, "b/k", "a", "v1", 0, 10),
                put_v(0, "b/k", "b", "v2", 20, 30),
                list_versions(
                    1,
                    "b/",
                    &[("b/k", "v2", true, false), ("b/k", "v1", false, false)],
                    40,
                    50,
                ),
            ],
        ),
        (
            "concurrent puts: either may be current",
            vec![
                put_v(0, "b/k", "a", "v1", 0, 30),
                put_v(1, "b/k", "b", "v2", 10, 20),
                list_versions(
                    2,
                    "b/",
                    &[("b/k", "v1", true, false), ("b/k", "v2", false, false)],
                    40,
                    50,
                ),
            ],
        ),
        (
            "a version created during the list need not be listed",
            vec![
                put_v(0, "b/k", "a", "v1", 0, 10),
                put_v(0, "b/k", "b", "v2", 20, 45),
                list_versions(1, "b/", &[("b/k", "v1", true, false)], 40, 50),
            ],
        ),
        (
            "a permanent delete in flight may have removed it",
            vec![
                put_v(0, "b/k", "a", "v1", 0, 10),
                del(0, "b/k", 45, 60).asked(version("v1")),
                list_versions(1, "b/", &[], 40, 50),
            ],
        ),
        (
            "a delete marker, current, and its 405",
            vec![
                put_v(0, "b/k", "a", "v1", 0, 10),
                del_m(0, "b/k", "m2", 20, 30),
                list_versions(
                    1,
                    "b/",
                    &[("b/k", "m2", true, true), ("b/k", "v1", false, false)],
                    40,
                    50,
                ),
                get(1, "b/k", None, 60, 70).answered(marker("m2")),
                get_v(1, "b/k", "m2", None, 80, 90)
                    .fail()
                    .answered(marker("m2")),
                get_v(1, "b/k", "v1", Some("a"), 100, 110),
            ],
        ),
        (
            "other prefixes are not judged",
            vec![
                put_v(0, "c/k", "a", "v1", 0, 10),
                list_versions(1, "b/", &[], 40, 50),
            ],
        ),
        (
            "ids the history does not give are not judged",
            vec![
                put(0, "b/k", "a", 0, 10).info(),
                put_v(1, "b/k", "b", "v2", 20, 30),
                list_versions(
                    2,
                    "b/",
                    &[("b/k", "v2", true, false), ("b/k", "v9", false, false)],
                    40,
                    50,
                ),
            ],
        ),
    ]
}

/// Histories that must be rejected: the first finding's kind and ops.
fn reject() -> Vec<(&'static str, Vec<T>, FindingKind, Vec<usize>)> {
    vec![
        (
            "lost version",
            vec![
                put_v(0, "b/k", "a", "v1", 0, 10),
                put_v(0, "b/k", "b", "v2", 20, 30),
                list_versions(1, "b/", &[("b/k", "v2", true, false)], 40, 50),
            ],
            FindingKind::LostVersion,
            vec![2, 0],
        ),
        (
            "lost version, seen by a get of its id",
            vec![
                put_v(0, "b/k", "a", "v1", 0, 10),
                get_v(1, "b/k", "v1", None, 20, 30),
            ],
            FindingKind::LostVersion,
            vec![1, 0],
        ),
        (
            "a version deleted for good comes back",
            vec![
                put_v(0, "b/k", "a", "v1", 0, 10),
                del(0, "b/k", 20, 30).asked(version("v1")),
                list_versions(1, "b/", &[("b/k", "v1", true, false)], 40, 50),
            ],
            FindingKind::ResurrectedVersion,
            vec![2, 1],
        ),
        (
            "wrong current version",
            vec![
                put_v(0, "b/k", "a", "v1", 0, 10),
                put_v(0, "b/k", "b", "v2", 20, 30),
                list_versions(
                    1,
                    "b/",
                    &[("b/k", "v2", false, false), ("b/k", "v1", true, false)],
                    40,
                    50,
                ),
            ],
            FindingKind::WrongCurrentVersion,
            vec![2, 0, 1],
        ),
        (
            "two current versions",
            vec![
                put_v(0, "b/k", "a", "v1", 0, 10),
                put_v(0, "b/k", "b", "v2", 20, 30),
                list_versions(
                    1,
                    "b/",
                    &[("b/k", "v2", true, false), ("b/k", "v1", true, false)],
                    40,
                    50,
                ),
            ],
            FindingKind::WrongCurrentVersion,
            vec![2, 1, 0],
        ),
        (
            "a marker older than the put listed current",
            vec![
                del_m(0, "b/k", "m1", 0, 10),
                put_v(0, "b/k", "a", "v2", 20, 30),
                list_versions(
                    1,
                    "b/",
                    &[("b/k", "v2", false, false), ("b/k", "m1", true, true)],
                    40,
                    50,
                ),
            ],
            FindingKind::WrongCurrentVersion,
            vec![2, 0, 1],
        ),
        (
            "a get of a marker's version id answered ok",
            vec![
                put_v(0, "b/k", "a", "v1", 0, 10),
                del_m(0, "b/k", "m2", 20, 30),
                get_v(1, "b/k", "m2", None, 40, 50),
            ],
            FindingKind::MarkerMisbehaviour,
            vec![2, 1],
        ),
        (
            "a 405 for an object version",
            vec![
                put_v(0, "b/k", "a", "v1", 0, 10),
                get_v(1, "b/k", "v1", None, 40, 50)
                    .fail()
                    .answered(marker("v1")),
            ],
            FindingKind::MarkerMisbehaviour,
            vec![1, 0],
        ),
        (
            "a marker flag naming an object",
            vec![
                put_v(0, "b/k", "a", "v1", 0, 10),
                get(1, "b/k", None, 40, 50).answered(marker("v1")),
            ],
            FindingKind::MarkerMisbehaviour,
            vec![1, 0],
        ),
        (
            "a get by version id returning another version",
            vec![
                put_v(0, "b/k", "a", "v1", 0, 10),
                put_v(0, "b/k", "b", "v2", 20, 30),
                get_v(1, "b/k", "v1", Some("b"), 40, 50),
            ],
            FindingKind::WrongVersion,
            vec![2, 0],
        ),
    ]
}

#[test]
fn accepts_versioned_histories_that_behave_as_s3() {
    for (name, ops) in accept() {
        assert_clean(name, &check(&history(&ops)));
    }
}

#[test]
fn rejects_each_planted_versioning_anomaly() {
    for (name, ops, kind, involved) in reject() {
        let result = check(&history(&ops));
        assert_eq!(result.verdict, Verdict::Invalid, "{name}");
        assert_finding(name, &result, kind, &involved);
    }
}

#[test]
fn explains_a_lost_version() {
    const MS: u64 = 1_000_000;
    let ops = [
        put_v(0, "b/k", "c0-1", "v1", MS, 2 * MS),
        list_versions(1, "b/", &[], 3 * MS, 4 * MS),
    ];
    let result = check(&history(&ops));
    assert!(
        result.explanation.starts_with(
            "list-versions by process 1 of prefix b/ (3.000–4.000 ms) did not list version v1 of b/k, created by process 0's put of c0-1 (1.000–2.000 ms), acknowledged before the list began; no delete of that version id was invoked before the list ended\n"
        ),
        "{}",
        result.explanation
    );
    assert!(
        result
            .explanation
            .contains("p1 list-versions b/ -> 0 versions")
    );
}

#[test]
fn is_not_applicable_without_versions() {
    let h = history(&[put(0, "k", "a", 0, 10), get(1, "k", Some("a"), 20, 30)]);
    assert_eq!(check(&h).verdict, Verdict::NotApplicable);
}
