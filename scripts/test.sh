#!/usr/bin/env bash
# Every test (the README's second command): the simulator workspace, the
# store on plain tokio, storesimd (a workspace of its own, built without
# madsim), boto3 from PyPI against a storesimd cluster on loopback, and
# storesim drive against storesimd (a node killed mid-run) and moto's server.
# The plain builds share target/plain in the release profile, so the store's
# plain tests reuse what storesimd's build compiled.
#
# From cold, compiling is most of the time, so two jobs run beside the
# others: the Python venv (tests/venv.sh) installs while the simulator
# compiles, and the builds without madsim compile while the simulator's
# tests run (those leave one of the two cores idle about a third of the
# time). Each job's output is in target/ and is shown if it fails.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target
plain() { CARGO_ENCODED_RUSTFLAGS= cargo test --release --target-dir target/plain "$@"; }
jobs_beside=()
stop_jobs_beside() {
  for pid in "${jobs_beside[@]}"; do
    pkill -TERM -P "$pid" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
  done
}
trap stop_jobs_beside EXIT
# $1: pid, $2: its log. Waits for the job; on failure shows the log and fails.
finish() {
  if ! wait "$1"; then
    cat "$2" >&2
    echo "scripts/test.sh: failed: see $2" >&2
    exit 1
  fi
}

bash tests/venv.sh >target/venv.log 2>&1 &
venv=$!; jobs_beside+=("$venv")
cargo test --workspace --release --no-run
(plain -p store --no-run && plain --manifest-path daemon/Cargo.toml --no-run) >target/plain-build.log 2>&1 &
build=$!; jobs_beside+=("$build")
cargo test --workspace --release
finish "$build" target/plain-build.log
plain -p store
plain --manifest-path daemon/Cargo.toml
finish "$venv" target/venv.log
bash tests/boto3/run.sh
bash tests/drive/run.sh
