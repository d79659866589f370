//! Conformance: the 102 real Jepsen etcd histories (see
//! `shared/conformance/etcd/README.md`) must get the verdicts Knossos and
//! Porcupine give them. They use cas and repeated values, so they exercise
//! the search. Skipped, with a note, where the directory is absent (it is
//! not part of this repository; the layout is the one `conformance.rs` reads).

use check::linearizable::{Method, analyze, summarize};
use check::{Budget, History, Verdict};

use crate::conformance_data::{dir, manifest, skip_or_fail};

#[test]
fn etcd_histories_get_the_known_verdicts() {
    let expected = manifest();
    if expected.is_empty() {
        skip_or_fail("etcd_histories_get_the_known_verdicts");
        return;
    }
    let (mut agree, mut steps) = (0, 0u64);
    for (name, want) in &expected {
        let bytes = std::fs::read(dir().join(name)).expect("readable");
        let history = History::parse_bytes(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let want = match want.as_str() {
            "linearizable" => Verdict::Valid,
            "not-linearizable" => Verdict::Invalid,
            other => panic!("{name}: unknown expectation {other}"),
        };
        let reports = analyze(&history, &Budget::default(), Method::Auto);
        let result = summarize(&reports);
        assert_eq!(result.verdict, want, "{name}:\n{}", result.explanation);
        steps += reports.values().map(|r| r.steps).sum::<u64>();
        if want == Verdict::Invalid && agree < 80 && name.ends_with("000.jsonl") {
            eprintln!("{name}: {}", result.explanation);
        }
        agree += 1;
    }
    assert_eq!(agree, 102, "MANIFEST.tsv lists 102 histories");
    eprintln!("{agree}/102 etcd histories agree ({steps} search steps)");
}
