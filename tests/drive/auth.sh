#!/usr/bin/env bash
# storesim drive with access control (issue 17) on real endpoints; run by
# tests/drive/run.sh after its own runs (its storesim build and venv reused):
#   1. a 3-node storesimd cluster started with the scenario's principals:
#      tests/drive/s3-auth.toml signs each client with its principal's keys,
#      mallory (never granted) is refused every time with AccessDenied, and
#      every check passes, `authorization` included (exit 0);
#   2. moto's standalone server, which accepts any signature and does not
#      enforce bucket policies: `authorization` is invalid (mallory got in),
#      exit 1 — the check bites on a real endpoint;
#   3. the scenario's owner keys against a cluster without those principals
#      is a refused credential: exit 2 naming the endpoint.
# Run folders go to target/drive/auth-*.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
venv="$root/target/boto3-venv"
out="$root/target/drive"
bin="${STORESIM:-$root/target/release/storesim}"
[[ -x "$bin" ]] || cargo build --release --quiet
bash "$root/tests/venv.sh"
base="$("$venv/bin/python" tests/free_ports.py 7 40000 13)"
dir="$(mktemp -d)"
moto_pid=""
cleanup() {
  scripts/cluster.sh down --dir "$dir" || true
  if [[ -n "$moto_pid" ]]; then kill "$moto_pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
mkdir -p "$out"; rm -rf "$out"/auth-*
principals="admin:secret-of-the-administrator,alice:secret-of-alice,bob:secret-of-bob,mallory:secret-of-mallory"
scripts/cluster.sh up --nodes 3 --protocol quorum --sync always --dir "$dir" --port "$base" --peer-port $((base + 3)) \
  --principals "$principals" >/dev/null
endpoints=(--endpoint "http://127.0.0.1:$base" --endpoint "http://127.0.0.1:$((base + 1))" --endpoint "http://127.0.0.1:$((base + 2))")
fail() { echo "drive auth test FAILED: $*" >&2; for log in "$dir"/n*/log; do echo "== $log"; tail -5 "$log"; done; exit 1; }

echo "== drive: storesimd with principals, mallory never granted"
"$bin" drive tests/drive/s3-auth.toml "${endpoints[@]}" --bucket drive-auth --out "$out/auth-storesimd" \
  || fail "access control on storesimd broke an expectation"
history="$out/auth-storesimd/seeds/1/history.jsonl"
denied=$(grep -c '"error":"access-denied","principal":"mallory"' "$history" || true)
grep -q '"type":"fail".*"error":"access-denied","principal":"mallory"' "$history" || fail "mallory was never refused"
if grep -q '"type":"ok".*"principal":"mallory"' "$history"; then fail "mallory got in"; fi
grep -q '"type":"ok".*"principal":"alice"' "$history" || fail "alice never got in"
if grep -q '"error":"access-denied","principal":"\(alice\|bob\)"' "$history"; then fail "a granted principal was refused"; fi
echo "   mallory: $denied requests, every one refused with AccessDenied"

echo "== drive: moto_server does not enforce bucket policies (exit 1)"
"$venv/bin/moto_server" -p $((base + 6)) >"$out/auth-moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$((base + 6))") 2>/dev/null && break; sleep 0.1; done
set +e
said="$("$bin" drive tests/drive/s3-auth.toml --endpoint "http://127.0.0.1:$((base + 6))" --bucket drive-auth --out "$out/auth-moto" 2>&1)"
code=$?
set -e
[[ $code == 1 && "$said" == *"authorization: "*"by mallory"* ]] || fail "moto: expected authorization invalid (exit 1), got exit $code: $said"

echo "== drive: the owner's keys on a cluster without those principals (exit 2)"
scripts/cluster.sh down --dir "$dir" >/dev/null; rm -rf "$dir"/n*
scripts/cluster.sh up --nodes 1 --dir "$dir" --port "$base" --peer-port $((base + 3)) --principals "someone:else" >/dev/null
set +e
said="$("$bin" drive tests/drive/s3-auth.toml --endpoint "http://127.0.0.1:$base" --bucket drive-auth --out "$out/auth-refused" 2>&1)"
code=$?
set -e
[[ $code == 2 && "$said" == *"http://127.0.0.1:$base"*"refused the credential"*"InvalidAccessKeyId"* ]] \
  || fail "unknown owner key: exit $code: $said"
echo "drive auth: 3 passed, 0 failed"
