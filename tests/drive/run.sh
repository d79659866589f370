#!/usr/bin/env bash
# storesim drive against real S3 servers on loopback (scripts/test.sh runs it
# after `cargo test`, whose build of target/release/storesim it reuses):
#   1. a 3-node storesimd cluster (quorum, N = 3, W = R = 2, sync always):
#      the S3 workload passes every check (exit 0);
#   2. the same with node 1 killed (kill -9) and restarted from its disk
#      mid-run, then node 2 paused (SIGSTOP/SIGCONT) (--cluster): no
#      acknowledged write lost, every check passes;
#   3. a wrong secret key: exit 2 naming the endpoint;
#   4. moto's standalone server from PyPI (moto[server], in the venv of
#      tests/boto3/run.sh): both drive scenarios, their histories checked.
# Run folders go to target/drive/ (kept for the README's figures).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
venv="$root/target/boto3-venv"
out="$root/target/drive"
bin="${STORESIM:-$root/target/release/storesim}"
if [[ ! -x "$bin" ]] || [[ -n "$(find src Cargo.toml -newer "$bin" 2>/dev/null | head -1)" ]]; then
  cargo build --release --quiet
fi
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv" 2>/dev/null || {
    apt-get install -y -q python3-venv >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q python3-venv >/dev/null; }
    python3 -m venv "$venv"
  }
fi
[[ -x "$venv/bin/moto_server" ]] || "$venv/bin/pip" install -q 'moto[server]'

# Seven free ports in a row: S3 on the first three, peers on the next three, moto last.
base="$("$venv/bin/python" - <<'PY'
import socket
for base in range(30000, 60000, 11):
    socks = []
    try:
        for p in range(base, base + 7):
            s = socket.socket(); s.bind(("127.0.0.1", p)); socks.append(s)
        print(base); break
    except OSError:
        pass
    finally:
        for s in socks: s.close()
PY
)"
dir="$(mktemp -d)"
moto_pid=""
cleanup() {
  scripts/cluster.sh down --dir "$dir" || true
  if [[ -n "$moto_pid" ]]; then kill "$moto_pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
rm -rf "$out"; mkdir -p "$out"
scripts/cluster.sh up --nodes 3 --protocol quorum --sync always --dir "$dir" --port "$base" --peer-port $((base + 3)) >/dev/null
endpoints=(--endpoint "http://127.0.0.1:$base" --endpoint "http://127.0.0.1:$((base + 1))" --endpoint "http://127.0.0.1:$((base + 2))")
fail() { echo "drive test FAILED: $*" >&2; for log in "$dir"/n*/log; do echo "== $log"; tail -5 "$log"; done; exit 1; }

echo "== drive: storesimd, 3 nodes"
"$bin" drive tests/drive/s3-objects.toml "${endpoints[@]}" --bucket drive-objects --out "$out/storesimd" \
  || fail "the S3 workload against storesimd broke an expectation"

echo "== drive: storesimd, node 1 killed and restarted mid-run, node 2 paused"
"$bin" drive tests/drive/s3-crash.toml "${endpoints[@]}" --bucket drive-crash --cluster "$dir" --out "$out/storesimd-crash" \
  || fail "a node killed and restarted lost an acknowledged write or broke another expectation"
grep -q '"kind": "crash"' "$out/storesimd-crash/seeds/1/run.json" || fail "no crash window recorded"
grep -q '"kind": "pause"' "$out/storesimd-crash/seeds/1/run.json" || fail "no pause window recorded"
[[ "$(scripts/cluster.sh status --dir "$dir" | grep -c ': up')" == 3 ]] || fail "node 1 was not restarted"

echo "== drive: a wrong secret key is refused (exit 2)"
set +e
err="$("$bin" drive tests/drive/s3-objects.toml --endpoint "http://127.0.0.1:$base" --bucket drive-refused --secret-key wrong --out "$out/refused" 2>&1)"
code=$?
set -e
[[ $code == 2 && "$err" == *"http://127.0.0.1:$base"*"refused the credential"* ]] || fail "wrong credential: exit $code: $err"

echo "== drive: moto_server"
"$venv/bin/moto_server" -p $((base + 6)) >"$out/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$((base + 6))") 2>/dev/null && break; sleep 0.1; done
moto=(--endpoint "http://127.0.0.1:$((base + 6))")
"$bin" drive tests/drive/s3-objects.toml "${moto[@]}" --bucket drive-objects --out "$out/moto" \
  || fail "the S3 workload against moto broke an expectation"
"$bin" drive tests/drive/registers-cas.toml "${moto[@]}" --bucket drive-registers --out "$out/moto-cas" \
  || fail "conditional writes against moto broke an expectation"
echo "drive: 5 passed, 0 failed"
bash tests/drive/auth.sh   # access control: principals on storesimd, moto not enforcing policies
