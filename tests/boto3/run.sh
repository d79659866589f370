#!/usr/bin/env bash
# boto3 from PyPI against a fresh 3-node storesimd cluster on loopback.
# Makes the venv in target/boto3-venv (tests/venv.sh: boto3, once), builds
# storesimd, starts the cluster in a temporary folder on free ports, runs
# tests/boto3/test_storesimd.py, and always stops the cluster.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
venv="$root/target/boto3-venv"
bash "$root/tests/venv.sh"
dir="$(mktemp -d)"
# Six free ports in a row: S3 on the first three, peers on the next three.
pick_run() {
  "$venv/bin/python" tests/free_ports.py 6 20000 7
}
s3_port="$(pick_run)"; peer_port=$((s3_port + 3))
cleanup() { scripts/cluster.sh down --dir "$dir" || true; rm -rf "$dir"; }
trap cleanup EXIT
protocol="${STORESIMD_PROTOCOL:-quorum}"   # STORESIMD_PROTOCOL=paxos: atomic conditional writes
# Access control on: the owner signs the object tests, bob and carol prove
# SigV4 and bucket policies (test_storesimd.py's AccessControl).
principals="owner:owner-secret,bob:bob-secret,carol:carol-secret" ttl_ms=1000
scripts/cluster.sh up --nodes 3 --protocol "$protocol" --dir "$dir" --port "$s3_port" --peer-port "$peer_port" \
  --principals "$principals" --policy-cache-ttl-ms "$ttl_ms"
endpoints="http://127.0.0.1:$s3_port,http://127.0.0.1:$((s3_port + 1)),http://127.0.0.1:$((s3_port + 2))"
if ! STORESIMD_ENDPOINTS="$endpoints" STORESIMD_PROTOCOL="$protocol" STORESIMD_PRINCIPALS="$principals" \
  STORESIMD_POLICY_TTL_MS="$ttl_ms" "$venv/bin/python" tests/boto3/test_storesimd.py; then
  for log in "$dir"/n*/log; do echo "== $log"; tail -20 "$log"; done
  exit 1
fi
