#!/usr/bin/env bash
# Every test (the README's second command): the simulator workspace, the
# store on plain tokio, storesimd (a workspace of its own, built without
# madsim), boto3 from PyPI against a storesimd cluster on loopback, and
# storesim drive against storesimd (a node killed mid-run) and moto's server.
# The plain builds share target/plain in the release profile, so the store's
# plain tests reuse what storesimd's build compiled.
#
# From cold, compiling is most of the time, so two jobs run beside the
# simulator's build and tests: the Python venv (tests/venv.sh) and, at the
# lowest priority, the builds without madsim, which take what the
# simulator's build leaves idle (its last crates compile one at a time) and
# the idle core of its tests. Each job's output is in target/ and is shown
# if it fails.
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
# At the lowest priority: it takes the cycles the simulator's build and
# tests leave idle and never slows them.
(renice -n 19 "$BASHPID" >/dev/null; plain -p store --no-run && plain --manifest-path daemon/Cargo.toml --no-run) >target/plain-build.log 2>&1 &
build=$!; jobs_beside+=("$build")
cargo test --workspace --release
finish "$build" target/plain-build.log
plain -p store
plain --manifest-path daemon/Cargo.toml
finish "$venv" target/venv.log
bash tests/boto3/run.sh
bash tests/drive/run.sh
