//! Where the external etcd conformance histories live, and their expected
//! verdicts; shared by the conformance tests.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// `shared/conformance/etcd`, beside the repository (not part of it), or
/// wherever `STORESIM_CONFORMANCE_DIR` says.
pub fn dir() -> PathBuf {
    match std::env::var_os("STORESIM_CONFORMANCE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/etcd"),
    }
}

/// Whether the conformance data must be present: under CI (`CI` set to
/// anything but empty or `false`, as CI services set `CI=true`) a missing
/// directory fails the tests instead of skipping them, so CI cannot pass
/// without having run them. A user's clone, without the data, skips.
pub fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Says that the data is absent: a note on a user's clone, a failure in CI.
pub fn skip_or_fail(test: &str) {
    let note = format!("{test}: {} not found", dir().display());
    assert!(
        !required(),
        "{note}, and CI is set: CI must run the conformance tests (put the \
         histories there, or unset CI to skip them)"
    );
    eprintln!("skipped: {note}");
}

/// file name → expected verdict ("linearizable" / "not-linearizable"); empty
/// when the directory is absent.
pub fn manifest() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(dir().join("MANIFEST.tsv")).unwrap_or_default();
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let mut fields = line.split('\t');
            Some((fields.next()?.to_owned(), fields.nth(1)?.to_owned()))
        })
        .collect()
}
