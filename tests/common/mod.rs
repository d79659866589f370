//! Helpers shared by the command-line tests: the binary under test, the
//! shipped scenarios and what a run prints. Each test file uses a subset, so
//! unused ones are allowed.
#![allow(dead_code)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// The `storesim` binary of this build (with the test build's features).
pub fn storesim() -> Command {
    Command::cargo_bin("storesim").expect("binary built")
}

/// The repository's root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A shipped scenario by file name (`scenarios/NAME`).
pub fn scenario(name: &str) -> PathBuf {
    root().join("scenarios").join(name)
}

/// What a finished command printed on stdout.
pub fn stdout(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(assert.get_output().stdout.clone()).expect("stdout is UTF-8")
}
