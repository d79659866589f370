//! Real Jepsen etcd histories (see `shared/conformance/etcd/README.md`): every
//! file must parse, and read-after-write must flag only files known not to
//! be linearizable (a read-after-write violation is a linearizability one).
//! Skipped, with a note, where the directory is absent (it is not part of
//! this repository), except under CI (`CI=true`), where that fails.

use check::{History, Verdict, read_after_write};
use std::path::PathBuf;

use crate::conformance_data::{dir, manifest, skip_or_fail};

#[test]
fn etcd_histories_parse_and_read_after_write_is_sound() {
    let Ok(entries) = std::fs::read_dir(dir()) else {
        skip_or_fail("etcd_histories_parse_and_read_after_write_is_sound");
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let expected = manifest();
    let mut flagged = Vec::new();
    for path in &files {
        let bytes = std::fs::read(path).expect("readable");
        let history =
            History::parse_bytes(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let result = read_after_write::check(&history);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if result.verdict == Verdict::Invalid {
            let verdict = expected.get(&name).map(String::as_str);
            assert_ne!(
                verdict,
                Some("linearizable"),
                "{name} is linearizable:\n{}",
                result.explanation
            );
            if flagged.is_empty() {
                eprintln!("{name}: {}", result.explanation);
            }
            flagged.push((name, result.anomalies));
        }
    }
    eprintln!(
        "{} etcd histories parsed; read-after-write flags {}: {flagged:?}",
        files.len(),
        flagged.len()
    );
}
