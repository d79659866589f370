//! Session guarantees on fixture tables: histories each guarantee must
//! accept and reject, and the words of its counterexamples.

use crate::support::{T, assert_clean, assert_finding, cas, del, get, history, put, with_finals};
use check::session::{anomalies, check};
use check::{
    CheckName, Event, EventType, Final, FindingKind, Function, History, Value, Verdict, durability,
    lost_update, op::pair,
};
use proptest::collection::vec;
use proptest::prelude::*;
use std::collections::BTreeMap;

type Finals = &'static [(u32, &'static str, Option<&'static str>)];

/// The one finding a rejected history must give: its kind and operations.
type Expected = (FindingKind, &'static [usize]);
/// A case a guarantee rejects: its name, its operations, its finding.
type Rejected = (&'static str, Vec<T>, Expected);

const RYW: CheckName = CheckName::ReadYourWrites;
const MR: CheckName = CheckName::MonotonicReads;
const MW: CheckName = CheckName::MonotonicWrites;
const WFR: CheckName = CheckName::WritesFollowReads;

const OLDER: FindingKind = FindingKind::OlderThanOwnWrite;
const UNWRITTEN: FindingKind = FindingKind::UnwrittenAfterOwnWrite;
const BACK: FindingKind = FindingKind::WentBack;
const RETURNED: FindingKind = FindingKind::ReturnedAgain;

/// The same final value on three replicas.
fn everywhere<'a>(key: &'a str, v: Option<&'a str>) -> Vec<(u32, &'a str, Option<&'a str>)> {
    (0..3).map(|node| (node, key, v)).collect()
}

fn assert_valid(guarantee: CheckName, name: &str, h: &History) {
    assert_clean(&format!("{guarantee} {name}"), &check(h, guarantee));
}

/// `guarantee` finds exactly one anomaly in `h`, and its finding — the
/// check's own mapping from anomaly to data — is `expected`: the kind and
/// the operations by index (invoke order), the one at fault first, written
/// out by hand for each case.
fn assert_one(guarantee: CheckName, name: &str, h: &History, expected: Expected) {
    let result = check(h, guarantee);
    let name = format!("{guarantee} {name}");
    assert_eq!(result.verdict, Verdict::Invalid, "{name}");
    assert_eq!(result.anomalies, 1, "{name}: {}", result.explanation);
    assert_eq!(result.findings.len(), 1, "{name}: {:?}", result.findings);
    assert_finding(&name, &result, expected.0, expected.1);
}

#[test]
fn read_your_writes_accepts() {
    let cases: Vec<(&str, Vec<T>)> = vec![
        ("empty history", vec![]),
        (
            "reads its own write",
            vec![put(0, "k", "a", 0, 10), get(0, "k", Some("a"), 20, 30)],
        ),
        (
            "reads a newer write by another process",
            vec![
                put(0, "k", "a", 0, 10),
                put(1, "k", "b", 20, 30),
                get(0, "k", Some("b"), 40, 50),
            ],
        ),
        (
            "reads a write concurrent with its own",
            vec![
                put(1, "k", "b", 0, 15),
                put(0, "k", "a", 10, 20),
                get(0, "k", Some("b"), 30, 40),
            ],
        ),
        (
            "absent after its own delete",
            vec![
                put(0, "k", "a", 0, 10),
                del(0, "k", 20, 30),
                get(0, "k", None, 40, 50),
            ],
        ),
        (
            "absent explained by a concurrent delete",
            vec![
                put(0, "k", "a", 0, 10),
                del(1, "k", 5, 15),
                get(0, "k", None, 20, 30),
            ],
        ),
        (
            "absent explained by an info delete",
            vec![
                put(0, "k", "a", 0, 10),
                del(1, "k", 0, 1).info(),
                get(0, "k", None, 20, 30),
            ],
        ),
        (
            "another process's stale read is not a session matter",
            vec![put(0, "k", "a", 0, 10), get(1, "k", None, 20, 30)],
        ),
        (
            "a failed write is not the process's write",
            vec![put(0, "k", "a", 0, 10).fail(), get(0, "k", None, 20, 30)],
        ),
        (
            "one of a repeated value's writes is concurrent with its own",
            vec![
                put(1, "k", "1", 0, 5),
                put(0, "k", "2", 10, 20),
                put(2, "k", "1", 15, 25),
                get(0, "k", Some("1"), 30, 40),
            ],
        ),
        (
            "keys are independent",
            vec![
                put(1, "k2", "x", 0, 5),
                put(0, "k1", "a", 10, 20),
                get(0, "k2", Some("x"), 30, 40),
            ],
        ),
        (
            "a value nobody wrote, before the process wrote the key",
            vec![get(0, "k", Some("zz"), 0, 10), put(0, "k", "a", 20, 30)],
        ),
    ];
    for (name, ops) in cases {
        assert_valid(RYW, name, &history(&ops));
    }
}

#[test]
fn read_your_writes_rejects() {
    let cases: Vec<Rejected> = vec![
        (
            "reads a value older than its write",
            vec![
                put(1, "k", "a", 0, 5),
                put(0, "k", "b", 10, 20),
                get(0, "k", Some("a"), 30, 40),
            ],
            (OLDER, &[2, 1, 0]),
        ),
        (
            "absent after its write",
            vec![put(0, "k", "a", 0, 10), get(0, "k", None, 20, 30)],
            (OLDER, &[1, 0]),
        ),
        (
            "absent after its write; the only delete came before",
            vec![
                del(1, "k", 0, 5),
                put(0, "k", "a", 10, 20),
                get(0, "k", None, 30, 40),
            ],
            (OLDER, &[2, 1, 0]),
        ),
        (
            "absent after its own delete then write",
            vec![
                del(0, "k", 0, 10),
                put(0, "k", "a", 20, 30),
                get(0, "k", None, 40, 50),
            ],
            (OLDER, &[2, 1, 0]),
        ),
        (
            "a value after its own delete",
            vec![
                put(1, "k", "a", 0, 5),
                del(0, "k", 10, 20),
                get(0, "k", Some("a"), 30, 40),
            ],
            (OLDER, &[2, 1, 0]),
        ),
        (
            "older than its cas",
            vec![
                put(1, "k", "a", 0, 5),
                cas(0, "k", Some("a"), "b", 10, 20),
                get(0, "k", Some("a"), 30, 40),
            ],
            (OLDER, &[2, 1, 0]),
        ),
        (
            "every write of a repeated value is older",
            vec![
                put(1, "k", "1", 0, 5),
                put(2, "k", "1", 2, 8),
                put(0, "k", "2", 10, 20),
                get(0, "k", Some("1"), 30, 40),
            ],
            (OLDER, &[3, 2, 1]),
        ),
        (
            "a value nobody wrote",
            vec![put(0, "k", "a", 0, 10), get(0, "k", Some("zz"), 20, 30)],
            (UNWRITTEN, &[1, 0]),
        ),
        (
            "a value written only later",
            vec![
                put(0, "k", "a", 0, 10),
                get(0, "k", Some("b"), 20, 30),
                put(1, "k", "b", 40, 50),
            ],
            (UNWRITTEN, &[1, 0]),
        ),
    ];
    for (name, ops, expected) in cases {
        assert_one(RYW, name, &history(&ops), expected);
    }
}

#[test]
fn monotonic_reads_accepts() {
    let cases: Vec<(&str, Vec<T>)> = vec![
        (
            "reads move forward",
            vec![
                put(0, "k", "a", 0, 10),
                put(0, "k", "b", 20, 30),
                get(1, "k", Some("a"), 12, 15),
                get(1, "k", Some("b"), 40, 50),
            ],
        ),
        (
            "concurrent writes, read in either order",
            vec![
                put(0, "k", "a", 0, 10),
                put(2, "k", "b", 0, 10),
                get(1, "k", Some("b"), 20, 30),
                get(1, "k", Some("a"), 40, 50),
            ],
        ),
        (
            "absent then a value",
            vec![
                get(1, "k", None, 0, 5),
                put(0, "k", "a", 10, 20),
                get(1, "k", Some("a"), 30, 40),
            ],
        ),
        (
            "a value then absent, explained by a later delete",
            vec![
                put(0, "k", "a", 0, 10),
                get(1, "k", Some("a"), 20, 30),
                del(2, "k", 25, 35),
                get(1, "k", None, 40, 50),
            ],
        ),
        (
            "a, b, a when a was written twice",
            vec![
                put(0, "k", "1", 0, 100),
                put(2, "k", "2", 0, 100),
                put(3, "k", "1", 0, 100),
                get(1, "k", Some("1"), 10, 20),
                get(1, "k", Some("2"), 30, 40),
                get(1, "k", Some("1"), 50, 60),
            ],
        ),
        (
            "different processes constrain nothing together",
            vec![
                put(0, "k", "a", 0, 10),
                put(0, "k", "b", 20, 30),
                get(1, "k", Some("b"), 40, 50),
                get(2, "k", Some("a"), 60, 70),
            ],
        ),
        (
            "a failed read constrains nothing",
            vec![
                put(0, "k", "a", 0, 10),
                put(0, "k", "b", 20, 30),
                get(1, "k", Some("b"), 40, 50).fail(),
                get(1, "k", Some("a"), 60, 70),
            ],
        ),
        (
            "a read of a value nobody wrote is skipped",
            vec![
                put(0, "k", "a", 0, 10),
                get(1, "k", Some("a"), 20, 30),
                get(1, "k", Some("zz"), 40, 50),
            ],
        ),
        (
            "the same value again and again",
            vec![
                put(0, "k", "a", 0, 10),
                get(1, "k", Some("a"), 20, 30),
                get(1, "k", Some("a"), 40, 50),
                get(1, "k", Some("a"), 60, 70),
            ],
        ),
    ];
    for (name, ops) in cases {
        assert_valid(MR, name, &history(&ops));
    }
}

#[test]
fn monotonic_reads_rejects() {
    let cases: Vec<Rejected> = vec![
        (
            "non-monotonic read",
            vec![
                put(0, "k", "a", 0, 10),
                put(0, "k", "b", 20, 30),
                get(1, "k", Some("b"), 40, 50),
                get(1, "k", Some("a"), 60, 70),
            ],
            (BACK, &[3, 2, 0, 1]),
        ),
        (
            "a value, then absent with no delete",
            vec![
                put(0, "k", "a", 0, 10),
                get(1, "k", Some("a"), 20, 30),
                get(1, "k", None, 40, 50),
            ],
            (BACK, &[2, 1, 0]),
        ),
        (
            "a value, then absent; the only delete came before",
            vec![
                del(2, "k", 0, 5),
                put(0, "k", "a", 10, 20),
                get(1, "k", Some("a"), 30, 40),
                get(1, "k", None, 50, 60),
            ],
            (BACK, &[3, 2, 0, 1]),
        ),
        (
            "back past an earlier read, not the last one",
            vec![
                put(0, "k", "a", 0, 10),
                put(0, "k", "b", 20, 30),
                put(2, "k", "c", 0, 100),
                get(1, "k", Some("b"), 40, 50),
                get(1, "k", Some("c"), 55, 58),
                get(1, "k", Some("a"), 60, 70),
            ],
            (BACK, &[5, 3, 0, 2]),
        ),
        (
            "a, b, a with concurrent writes",
            vec![
                put(0, "k", "a", 0, 100),
                put(2, "k", "b", 0, 100),
                get(1, "k", Some("a"), 10, 20),
                get(1, "k", Some("b"), 30, 40),
                get(1, "k", Some("a"), 50, 60),
            ],
            (RETURNED, &[4, 3, 2]),
        ),
        (
            "a, absent, a with a concurrent delete",
            vec![
                put(0, "k", "a", 0, 10),
                del(2, "k", 0, 100),
                get(1, "k", Some("a"), 20, 30),
                get(1, "k", None, 40, 50),
                get(1, "k", Some("a"), 60, 70),
            ],
            (RETURNED, &[4, 3, 2]),
        ),
    ];
    for (name, ops, expected) in cases {
        assert_one(MR, name, &history(&ops), expected);
    }
}

#[test]
fn converged_state_guarantees_need_final_lines() {
    let h = history(&[put(0, "k", "a", 0, 10), put(0, "k", "b", 20, 30)]);
    for guarantee in [MW, WFR] {
        let result = check(&h, guarantee);
        assert_eq!(result.verdict, Verdict::NotApplicable, "{guarantee}");
        assert!(
            result.explanation.contains("\"final\""),
            "{}",
            result.explanation
        );
    }
    let other = check(&h, CheckName::Convergence);
    assert_eq!(other.verdict, Verdict::NotApplicable);
}

#[test]
fn monotonic_writes_accepts() {
    let cases: Vec<(&str, Vec<T>, Finals)> = vec![
        (
            "converged on the last write",
            vec![put(0, "k", "a", 0, 10), put(0, "k", "b", 20, 30)],
            &[(0, "k", Some("b")), (1, "k", Some("b"))],
        ),
        (
            "converged on absent after the process's last delete",
            vec![put(0, "k", "a", 0, 10), del(0, "k", 20, 30)],
            &[(0, "k", None)],
        ),
        (
            "the later write failed",
            vec![put(0, "k", "a", 0, 10), put(0, "k", "b", 20, 30).fail()],
            &[(0, "k", Some("a"))],
        ),
        (
            "another process's concurrent write won",
            vec![
                put(0, "k", "a", 0, 10),
                put(0, "k", "b", 20, 30),
                put(1, "k", "c", 5, 25),
            ],
            &[(0, "k", Some("c"))],
        ),
        (
            "replicas disagree: convergence's finding",
            vec![put(0, "k", "a", 0, 10), put(0, "k", "b", 20, 30)],
            &[(0, "k", Some("a")), (1, "k", Some("b"))],
        ),
        (
            "one of a repeated value's writes had no successor",
            vec![
                put(0, "k", "1", 0, 10),
                put(0, "k", "2", 20, 30),
                put(1, "k", "1", 25, 35),
            ],
            &[(0, "k", Some("1"))],
        ),
        (
            "the later write went to another key",
            vec![put(0, "k1", "a", 0, 10), put(0, "k2", "b", 20, 30)],
            &[(0, "k1", Some("a")), (0, "k2", Some("b"))],
        ),
        (
            "absent with no write acknowledged: the initial state",
            vec![put(0, "k", "a", 0, 10).info()],
            &[(0, "k", None)],
        ),
    ];
    for (name, ops, finals) in cases {
        assert_valid(MW, name, &with_finals(&ops, finals));
    }
}

#[test]
fn monotonic_writes_rejects() {
    let cases: Vec<(&str, Vec<T>, Finals, &[usize])> = vec![
        (
            "converged on the process's earlier write",
            vec![put(0, "k", "a", 0, 10), put(0, "k", "b", 20, 30)],
            &[(0, "k", Some("a")), (1, "k", Some("a"))],
            &[1, 0],
        ),
        (
            "converged on absent from the process's earlier delete",
            vec![del(0, "k", 0, 10), put(0, "k", "b", 20, 30)],
            &[(0, "k", None)],
            &[1, 0],
        ),
        (
            "earlier cas won over a later delete",
            vec![cas(0, "k", None, "a", 0, 10), del(0, "k", 20, 30)],
            &[(0, "k", Some("a"))],
            &[1, 0],
        ),
    ];
    for (name, ops, finals, expected) in cases {
        let h = with_finals(&ops, finals);
        assert_one(
            MW,
            name,
            &h,
            (FindingKind::ConvergedOnEarlierWrite, expected),
        );
    }
}

#[test]
fn writes_follow_reads_accepts() {
    let cases: Vec<(&str, Vec<T>, Finals)> = vec![
        (
            "converged on the write that followed the read",
            vec![
                put(1, "k", "a", 0, 10),
                get(0, "k", Some("a"), 20, 30),
                put(0, "k", "b", 40, 50),
            ],
            &[(0, "k", Some("b"))],
        ),
        (
            "the write after the read failed",
            vec![
                put(1, "k", "a", 0, 10),
                get(0, "k", Some("a"), 20, 30),
                put(0, "k", "b", 40, 50).fail(),
            ],
            &[(0, "k", Some("a"))],
        ),
        (
            "the value read was written twice",
            vec![
                put(1, "k", "a", 0, 10),
                put(2, "k", "a", 0, 100),
                get(0, "k", Some("a"), 20, 30),
                put(0, "k", "b", 40, 50),
            ],
            &[(0, "k", Some("a"))],
        ),
        (
            "absent read: the initial state or a delete",
            vec![
                del(1, "k", 0, 100),
                get(0, "k", None, 20, 30),
                put(0, "k", "b", 40, 50),
            ],
            &[(0, "k", None)],
        ),
        (
            "the write went to another key",
            vec![
                put(1, "k", "a", 0, 10),
                get(0, "k", Some("a"), 20, 30),
                put(0, "k2", "b", 40, 50),
            ],
            &[(0, "k", Some("a")), (0, "k2", Some("b"))],
        ),
        (
            "the read came after the write",
            vec![
                put(1, "k", "a", 0, 100),
                put(0, "k", "b", 10, 20),
                get(0, "k", Some("a"), 30, 40),
            ],
            &[(0, "k", Some("a"))],
        ),
    ];
    for (name, ops, finals) in cases {
        assert_valid(WFR, name, &with_finals(&ops, finals));
    }
}

#[test]
fn writes_follow_reads_rejects_even_when_the_writes_overlap() {
    // Process 1's write of a is still in flight when process 0 reads it and
    // writes b: real time does not order a before b, so lost-update sees
    // nothing; writes-follow-reads does.
    let ops = [
        put(1, "k", "a", 0, 100),
        get(0, "k", Some("a"), 10, 20),
        put(0, "k", "b", 30, 40),
    ];
    let h = with_finals(&ops, &everywhere("k", Some("a")));
    assert_one(
        WFR,
        "overlapping",
        &h,
        (FindingKind::ConvergedOnReadValue, &[2, 1, 0]),
    );
    assert_eq!(lost_update::check(&h).verdict, Verdict::Valid);
    let explanation = check(&h, WFR).explanation;
    let expected = "\
k converged on a, written by process 1 (put, 0.000000–0.000100 ms); but a read by process 0 of k \
(0.000010–0.000020 ms) returned a, and the process then wrote k (put, 0.000030–0.000040 ms, \
acknowledged): its write was not ordered after the write it had read
p1 put k a     |[=====================================] |
p0 get k -> a  |   [===]                                |
p0 put k b     |           [===]                        |
                0.000 ms                      0.000100 ms
";
    assert_eq!(explanation, expected);
}

#[test]
fn writes_follow_reads_counts_each_session() {
    let ops = [
        put(1, "k", "a", 0, 10),
        get(0, "k", Some("a"), 20, 30),
        put(0, "k", "b", 40, 50),
        get(2, "k", Some("a"), 20, 30),
        del(2, "k", 40, 50),
    ];
    let h = with_finals(&ops, &everywhere("k", Some("a")));
    let result = check(&h, WFR);
    assert_eq!((result.verdict, result.anomalies), (Verdict::Invalid, 2));
    assert!(
        result.explanation.ends_with("(+1 more)\n"),
        "{}",
        result.explanation
    );
}

#[test]
fn explains_read_your_writes() {
    let ms = 1_000_000;
    let ops = [
        put(2, "k1", "c2-4", 5 * ms, 7 * ms),
        put(1, "k1", "c1-7", 8_100_000, 9_800_000),
        get(1, "k1", Some("c2-4"), 12_300_000, 13 * ms),
    ];
    let result = check(&history(&ops), RYW);
    let expected = "\
read by process 1 of k1 (12.300–13.000 ms) returned c2-4, written by process 2 (put, 5.000–7.000 ms); \
but process 1 had written c1-7 (8.100–9.800 ms) after that completed: the read does not reflect the \
process's own write
p2 put k1 c2-4     |[========]                              |
p1 put k1 c1-7     |              [=======]                 |
p1 get k1 -> c2-4  |                                  [===] |
                    5.000 ms                        13.000 ms
";
    assert_eq!(result.explanation, expected);
}

#[test]
fn explains_monotonic_reads_and_writes() {
    let back = [
        put(0, "k", "a", 0, 10),
        put(0, "k", "b", 20, 30),
        get(1, "k", Some("b"), 40, 50),
        get(1, "k", Some("a"), 60, 70),
    ];
    let text = check(&history(&back), MR).explanation;
    assert!(
        text.starts_with(
            "read by process 1 of k (0.000060–0.000070 ms) returned a, written by process 0 (put, \
             0.000000–0.000010 ms); but the same process had already read b (0.000040–0.000050 ms), \
             written by process 0 (put, 0.000020–0.000030 ms), and that write began after this one \
             completed: the reads went back in time\n"
        ),
        "{text}"
    );
    assert_eq!(
        text.lines().filter(|l| l.contains('|')).count(),
        4,
        "{text}"
    );
    let flip = [
        put(0, "k", "a", 0, 100),
        put(2, "k", "b", 0, 100),
        get(1, "k", Some("a"), 10, 20),
        get(1, "k", Some("b"), 30, 40),
        get(1, "k", Some("a"), 50, 60),
    ];
    let text = check(&history(&flip), MR).explanation;
    assert!(
        text.starts_with(
            "read by process 1 of k (0.000050–0.000060 ms) returned a, which it had read before \
             (0.000010–0.000020 ms) and then left for b (0.000030–0.000040 ms); a has only one \
             possible write, so the reads went back\n"
        ),
        "{text}"
    );
    let writes = [put(0, "k", "a", 0, 10), put(0, "k", "b", 20, 30)];
    let text = check(&with_finals(&writes, &everywhere("k", Some("a"))), MW).explanation;
    assert!(
        text.starts_with(
            "k converged on a, written by process 0 (put, 0.000000–0.000010 ms); but process 0 wrote \
             k again after that (put, 0.000020–0.000030 ms, acknowledged): its writes did not take \
             effect in order\n"
        ),
        "{text}"
    );
}

#[test]
fn anomalies_come_in_order_across_keys_and_sessions() {
    let ops = [
        put(0, "b", "x", 0, 10),
        get(0, "b", Some("nope"), 20, 30),
        put(1, "a", "y", 0, 10),
        get(1, "a", None, 15, 35),
    ];
    let h = history(&ops);
    let ops = pair(&h);
    let found = anomalies(&ops, &h, RYW).unwrap_or_default();
    let times: Vec<u64> = found.iter().map(|a| ops[a.at()].invoke_time).collect();
    assert_eq!(times, vec![15, 20]);
    assert!(anomalies(&ops, &h, CheckName::Linearizable).is_none());
}

/// One key, many sessions, long histories: no quadratic pass.
#[test]
fn scales_to_large_histories() {
    const N: u64 = 50_000;
    let mut ops = Vec::new();
    for i in 0..N {
        let t = i * 100;
        let p = i % 4;
        ops.push(put(p, "k", &format!("v{i}"), t, t + 10));
        ops.push(get(p, "k", Some(&format!("v{i}")), t + 20, t + 30));
    }
    ops.push(get(9, "k", Some("v5"), N * 100, N * 100 + 10));
    ops.push(get(9, "k", Some("v3"), N * 100 + 20, N * 100 + 30));
    let last = format!("v{}", N - 1);
    let h = with_finals(&ops, &everywhere("k", Some(&last)));
    for guarantee in [RYW, WFR, MW] {
        assert_valid(guarantee, "large", &h);
    }
    assert_eq!(check(&h, MR).anomalies, 1);
}

/// One planned operation of an atomic execution: (process slot, f, key,
/// value, cas from, gap before it, duration, where in its interval it takes
/// effect (percent), ends `info` (gets: `fail`), an `info` write took effect).
pub type Plan = (
    u64,
    usize,
    usize,
    usize,
    Option<usize>,
    u64,
    u64,
    u64,
    bool,
    bool,
);

pub fn plans() -> impl Strategy<Value = Vec<Plan>> {
    vec(
        (
            0u64..4,
            0usize..4,
            0usize..2,
            0usize..4,
            proptest::option::of(0usize..4),
            0u64..30,
            1u64..40,
            0u64..=100,
            proptest::bool::weighted(0.1),
            any::<bool>(),
        ),
        0..60,
    )
}

/// A history of a correct (atomic) register: every operation takes effect
/// at one point inside its interval, reads return the state there, a cas
/// succeeds exactly when its `from` matches, and the finals (three replicas
/// per key) hold the last state. With `overlap` false the operations run
/// one after another; with `unique` each write writes its own value.
pub fn atomic(plans: &[Plan], unique: bool, overlap: bool) -> History {
    let mut clock = [0u64; 4];
    let mut generation = [0u64; 4];
    let mut timed = Vec::new();
    let mut global = 0;
    for (seq, &(slot, f, key, v, from, gap, duration, at, info, applied)) in
        plans.iter().enumerate()
    {
        let s = slot as usize;
        let start = if overlap { clock[s] } else { global };
        let invoke = start + gap;
        let complete = invoke + duration;
        (clock[s], global) = (complete, complete + 1);
        let process = slot + 10 * generation[s];
        if info && f != 0 {
            generation[s] += 1;
        }
        let point = invoke + duration * at / 100;
        let value = if unique {
            format!("v{seq}")
        } else {
            format!("{v}")
        };
        timed.push((
            point,
            seq,
            process,
            f,
            format!("k{key}"),
            value,
            from,
            (invoke, complete),
            info,
            applied,
        ));
    }
    timed.sort_by_key(|t| (t.0, t.1));
    let mut state: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut ops: Vec<(usize, T)> = Vec::new();
    for (_, seq, p, f, key, value, from, (i, c), info, applied) in timed {
        let current = state.get(&key).cloned().flatten();
        let takes_effect = !info || applied;
        let op = match f {
            0 => {
                let read = get(p, &key, current.as_deref(), i, c);
                if info { read.fail() } else { read }
            }
            1 | 2 => {
                let next = (f == 1).then(|| value.clone());
                if takes_effect {
                    state.insert(key.clone(), next);
                }
                let op = if f == 1 {
                    put(p, &key, &value, i, c)
                } else {
                    del(p, &key, i, c)
                };
                if info { op.info() } else { op }
            }
            _ => {
                let from = from.and_then(|n| {
                    if n % 2 == 0 {
                        current.clone()
                    } else {
                        Some(format!("v{n}"))
                    }
                });
                let matches = from == current;
                if matches && takes_effect {
                    state.insert(key.clone(), Some(value.clone()));
                }
                let op = cas(p, &key, from.as_deref(), &value, i, c);
                match (info, matches) {
                    (true, _) => op.info(),
                    (false, true) => op,
                    (false, false) => op.fail(),
                }
            }
        };
        ops.push((seq, op));
    }
    ops.sort_by_key(|(seq, _)| *seq);
    let ops: Vec<T> = ops.into_iter().map(|(_, op)| op).collect();
    let finals: Vec<(u32, &str, Option<&str>)> = state
        .iter()
        .flat_map(|(key, v)| (0..3).map(move |node| (node, key.as_str(), v.as_deref())))
        .collect();
    with_finals(&ops, &finals)
}

proptest! {
    #[test]
    fn atomic_executions_pass_every_check(plans in plans(), unique in any::<bool>(), overlap in any::<bool>()) {
        let h = atomic(&plans, unique, overlap);
        let with_finals = if h.finals.is_empty() { Verdict::NotApplicable } else { Verdict::Valid };
        for guarantee in [RYW, MR, MW, WFR] {
            let result = check(&h, guarantee);
            let expected = if matches!(guarantee, MW | WFR) { with_finals } else { Verdict::Valid };
            prop_assert_eq!(result.verdict, expected, "{}: {}", guarantee, result.explanation);
        }
        let lost = lost_update::check(&h);
        prop_assert_eq!(lost.verdict, with_finals, "lost-update: {}", lost.explanation);
        let durable = durability::check(&h);
        prop_assert_eq!(durable.verdict, with_finals, "durability: {}", durable.explanation);
    }

    #[test]
    fn planted_non_monotonic_read_is_caught(plans in plans()) {
        let h = atomic(&plans, true, true);
        // The first and last acknowledged puts of k0, if they do not overlap.
        let ops = pair(&h);
        let puts: Vec<&check::Op> = ops
            .iter()
            .filter(|op| op.key == "k0" && op.f == check::Function::Put && op.outcome == check::Outcome::Ok)
            .collect();
        let (Some(first), Some(last)) = (puts.first(), puts.last()) else { return Ok(()) };
        if first.complete_time.is_none_or(|t| t >= last.invoke_time) {
            return Ok(());
        }
        let end = h.events.last().map_or(0, |e| e.time) + 1;
        let reads = [
            get(99, "k0", last.written(), end, end + 1),
            get(99, "k0", first.written(), end + 2, end + 3),
        ];
        let mut planted = h.clone();
        planted.events.extend(history(&reads).events);
        let result = check(&planted, MR);
        prop_assert_eq!(result.verdict, Verdict::Invalid);
        prop_assert_eq!(result.anomalies, 1);
    }
}

/// Any events at all, even ones `History::validate` rejects (completions
/// with no invoke, operations after `info`, time going backwards).
fn raw_history() -> impl Strategy<Value = History> {
    let event = (
        0u64..3,
        0usize..4,
        0usize..4,
        0usize..2,
        proptest::option::of(0usize..3),
        0u64..50,
    );
    let finals = vec((0u32..3, 0usize..2, proptest::option::of(0usize..3)), 0..6);
    (vec(event, 0..40), finals).prop_map(|(events, finals)| {
        let kinds = [
            EventType::Invoke,
            EventType::Ok,
            EventType::Fail,
            EventType::Info,
        ];
        let fs = [
            Function::Get,
            Function::Put,
            Function::Delete,
            Function::Cas,
        ];
        let events = events
            .into_iter()
            .map(|(process, kind, f, key, v, time)| Event {
                process,
                kind: kinds[kind],
                f: fs[f],
                key: format!("k{key}"),
                value: match (fs[f], v) {
                    (Function::Cas, v) => Value::Cas {
                        from: v.map(|n| n.to_string()),
                        to: Some("0".into()),
                    },
                    (_, Some(n)) => Value::Str(n.to_string()),
                    (_, None) => Value::Absent,
                },
                time,
                node: None,
                object: None,
                error: None,
                auth: None,
            })
            .collect();
        let finals = finals
            .into_iter()
            .map(|(node, key, v)| Final {
                node,
                key: format!("k{key}"),
                value: v.map(|n| n.to_string()),
            })
            .collect();
        History::new(events, finals)
    })
}

proptest! {
    #[test]
    fn never_panics_on_any_events(h in raw_history()) {
        for guarantee in [RYW, MR, MW, WFR] {
            let _ = check(&h, guarantee);
        }
        let _ = (lost_update::check(&h), durability::check(&h));
        let _ = check::staleness::summarise(&check::staleness::measure(&h));
    }
}

/// Every check of this file over the real Jepsen etcd histories: no panic,
/// and no read-your-writes or monotonic-reads violation in a file known to be
/// linearizable (both follow from linearizability). No finals there, so the
/// converged-state checks are `n/a`. Skipped where the directory is absent.
#[test]
fn etcd_histories() {
    let dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/etcd");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipped: {} not found", dir.display());
        return;
    };
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap_or_default();
    let linearizable: Vec<&str> = manifest
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            (fields.get(2) == Some(&"linearizable"))
                .then(|| fields.first().copied())
                .flatten()
        })
        .collect();
    let mut files: Vec<std::path::PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let mut invalid: BTreeMap<String, usize> = BTreeMap::new();
    let mut anomalies_total: BTreeMap<String, usize> = BTreeMap::new();
    let mut staleness = check::staleness::StalenessSummary::default();
    for path in &files {
        let bytes = std::fs::read(path).expect("readable");
        let h = History::parse_bytes(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut results = vec![
            ("lost-update".to_owned(), lost_update::check(&h)),
            ("durability".to_owned(), durability::check(&h)),
        ];
        results.extend([RYW, MR, MW, WFR].map(|g| (g.to_string(), check(&h, g))));
        for (check_name, result) in results {
            if matches!(
                check_name.as_str(),
                "lost-update" | "durability" | "monotonic-writes" | "writes-follow-reads"
            ) {
                assert_eq!(
                    result.verdict,
                    Verdict::NotApplicable,
                    "{name} {check_name}"
                );
            }
            if result.verdict == Verdict::Invalid {
                assert!(
                    !linearizable.contains(&name.as_str()),
                    "{name} is linearizable: {check_name}\n{}",
                    result.explanation
                );
                if !invalid.contains_key(&check_name) {
                    eprintln!("{name} {check_name}: {}", result.explanation);
                }
                *invalid.entry(check_name.clone()).or_default() += 1;
                *anomalies_total.entry(check_name).or_default() += result.anomalies;
            }
        }
        let s = check::staleness::summarise(&check::staleness::measure(&h));
        staleness.reads += s.reads;
        staleness.fresh_reads += s.fresh_reads;
        staleness.stale_reads += s.stale_reads;
        staleness.max_versions_behind = staleness.max_versions_behind.max(s.max_versions_behind);
    }
    eprintln!(
        "{} etcd histories ({} linearizable): files invalid per check {invalid:?}, anomalies {anomalies_total:?}; \
         staleness: {} reads, {} fresh, {} behind, at most {} versions behind",
        files.len(),
        linearizable.len(),
        staleness.reads,
        staleness.fresh_reads,
        staleness.stale_reads,
        staleness.max_versions_behind
    );
}
