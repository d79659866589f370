#!/usr/bin/env bash
# Every test (the README's second command): the simulator workspace, the
# store on plain tokio, storesimd (a workspace of its own, built without
# madsim), boto3 from PyPI against a storesimd cluster on loopback, and
# storesim drive against storesimd (a node killed mid-run) and moto's server.
# The plain builds share target/plain in the release profile, so the store's
# plain tests reuse what storesimd's build compiled.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --release
CARGO_ENCODED_RUSTFLAGS= cargo test --release -p store --target-dir target/plain
CARGO_ENCODED_RUSTFLAGS= cargo test --release --manifest-path daemon/Cargo.toml --target-dir target/plain
bash tests/boto3/run.sh
bash tests/drive/run.sh
