#!/usr/bin/env bash
# storesim drive against real S3 servers on loopback (scripts/test.sh runs it
# after `cargo test`, whose build of target/release/storesim it reuses):
#   1. a 3-node storesimd cluster (quorum, N = 3, W = R = 2, sync always):
#      the S3 workload passes every check (exit 0);
#   2. the same with node 1 killed (kill -9) and restarted from its disk
#      mid-run, then node 2 paused (SIGSTOP/SIGCONT) (--cluster): no
#      acknowledged write lost, every check passes;
#   3. node 2 isolated, then node 1 a bridge (partitions through storesimd's
#      control files, --cluster): every check passes on the quorum cluster;
#      the same with partitions a [nemesis] draws from the seed;
#   4. node 0's clock stepped 5 s back: read-after-write and linearizable
#      fail on the quorum cluster (the clock fault bites);
#   5. the partitions of 3 against a second, `eventual` cluster (W = R = 1):
#      read-your-writes and convergence fail (the partition bites);
#   6. a versioned bucket (versions, delete markers, GET by version id,
#      ListObjectVersions) on the quorum cluster: every check passes,
#      `versions` included;
#   7. a wrong secret key: exit 2 naming the endpoint;
#   8. moto's standalone server from PyPI (moto[server], in the venv of
#      tests/boto3/run.sh): both drive scenarios, their histories checked;
#      the versioned one finds moto's 404 where S3 answers 405 (exit 1).
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
bash "$root/tests/venv.sh"

# Thirteen free ports in a row: the quorum cluster's S3 on the first three,
# its peers on the next three, moto, then the eventual cluster's S3 and peers.
base="$("$venv/bin/python" tests/free_ports.py 13 30000 11)"
dir="$(mktemp -d)"
dir_eventual="$(mktemp -d)"
moto_pid=""
cleanup() {
  scripts/cluster.sh down --dir "$dir" || true
  scripts/cluster.sh down --dir "$dir_eventual" || true
  rm -rf "$dir_eventual"
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

echo "== drive: storesimd, node 2 isolated, then node 1 a bridge (quorum: every check passes)"
"$bin" drive tests/drive/s3-partition.toml "${endpoints[@]}" --bucket drive-partition --cluster "$dir" --out "$out/storesimd-partition" \
  || fail "a partition broke an expectation on the quorum cluster"
grep -q '"kind": "cut"' "$out/storesimd-partition/seeds/1/run.json" || fail "no cut window recorded"
[[ -z "$(ls "$dir"/n*/data/faults.json 2>/dev/null)" ]] || fail "a control file outlived the drive"

echo "== drive: storesimd, partitions drawn by a [nemesis] (quorum: every check passes)"
"$bin" drive tests/drive/s3-nemesis.toml "${endpoints[@]}" --bucket drive-nemesis --cluster "$dir" --out "$out/storesimd-nemesis" \
  || fail "drawn partitions broke an expectation on the quorum cluster"
grep -q '"kind": "cut"' "$out/storesimd-nemesis/seeds/1/run.json" || fail "no drawn cut window recorded"

echo "== drive: storesimd, node 0's clock 5 s back (quorum: read-after-write fails)"
"$bin" drive tests/drive/s3-clock.toml "${endpoints[@]}" --bucket drive-clock --cluster "$dir" --out "$out/storesimd-clock" \
  || fail "a clock jump did not make the quorum cluster fail read-after-write and linearizable"
grep -q '"kind": "clock-jump"' "$out/storesimd-clock/seeds/1/run.json" || fail "no clock-jump window recorded"
[[ -z "$(ls "$dir"/n*/data/faults.json 2>/dev/null)" ]] || fail "a control file outlived the drive"

echo "== drive: storesimd eventual (W = R = 1), the same partitions (convergence fails)"
scripts/cluster.sh up --nodes 3 --protocol eventual --sync always --dir "$dir_eventual" --port $((base + 7)) --peer-port $((base + 10)) >/dev/null
eventual=(--endpoint "http://127.0.0.1:$((base + 7))" --endpoint "http://127.0.0.1:$((base + 8))" --endpoint "http://127.0.0.1:$((base + 9))")
"$bin" drive tests/drive/s3-partition-eventual.toml "${eventual[@]}" --bucket drive-partition --cluster "$dir_eventual" --out "$out/storesimd-eventual-partition" \
  || fail "a partition did not make the eventual cluster fail read-your-writes and convergence"
scripts/cluster.sh down --dir "$dir_eventual"

echo "== drive: storesimd, a versioned bucket (quorum: every check passes, versions included)"
"$bin" drive tests/drive/s3-versions.toml "${endpoints[@]}" --bucket drive-versions --out "$out/storesimd-versions" \
  || fail "the versioned workload against storesimd broke an expectation"
grep -q '"f":"list-versions"' "$out/storesimd-versions/seeds/1/history.jsonl" || fail "no list-versions recorded"
grep -q '"delete_marker":true' "$out/storesimd-versions/seeds/1/history.jsonl" || fail "no delete marker recorded"

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
echo "== drive: moto_server, a versioned bucket (versions fails: 404 where S3 answers 405)"
set +e
said="$("$bin" drive tests/drive/s3-versions.toml "${moto[@]}" --bucket drive-versions --out "$out/moto-versions" 2>&1)"
code=$?
set -e
[[ $code == 1 && "$said" == *"versions: get by process"*"S3 answers 405"* ]] \
  || fail "moto's versioned run: exit $code (expected 1, versions invalid: 405): $said"
echo "drive: 11 passed, 0 failed"
bash tests/drive/auth.sh   # access control: principals on storesimd, moto not enforcing policies
