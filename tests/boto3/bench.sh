#!/usr/bin/env bash
# Figures for the README: PUT and GET operations per second of one boto3
# process against a 3-node storesimd cluster (quorum, sync always) and
# against moto's standalone server, both on loopback. Not run by CI.
#   tests/boto3/bench.sh [COUNT] [SIZE]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
count="${1:-500}" size="${2:-1024}"
venv="$root/target/boto3-venv"
bash "$root/tests/venv.sh"
dir="$(mktemp -d)"
moto_pid=""
cleanup() {
  scripts/cluster.sh down --dir "$dir" || true
  if [[ -n "$moto_pid" ]]; then kill "$moto_pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
scripts/cluster.sh up --nodes 3 --protocol quorum --sync always --dir "$dir" --port 21000 --peer-port 21100 >/dev/null
"$venv/bin/python" tests/boto3/bench.py http://127.0.0.1:21000 "$count" "$size"
"$venv/bin/moto_server" -p 21200 >"$dir/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/21200) 2>/dev/null && break; sleep 0.1; done
"$venv/bin/python" tests/boto3/bench.py http://127.0.0.1:21200 "$count" "$size"
