//! Where the external etcd conformance histories live, and their expected
//! verdicts; shared by the conformance tests.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// `shared/conformance/etcd`, beside the repository (not part of it).
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/etcd")
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
