#!/usr/bin/env bash
# Figures for the README: storesim drive's operations per second with one
# client (tests/drive/bench.toml: one request at a time, 1 KiB objects, half
# PUTs, half GETs) against a 3-node storesimd cluster (quorum, sync always)
# and against moto's standalone server, both on loopback; and drive's own
# time between operations (recording, drawing), read from the histories.
# Compare with tests/boto3/bench.sh (one boto3 process). Not run by CI.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
venv="$root/target/boto3-venv"
bin="${STORESIM:-$root/target/release/storesim}"
[[ -x "$bin" ]] || cargo build --release --quiet
bash "$root/tests/venv.sh"
dir="$(mktemp -d)"
moto_pid=""
cleanup() {
  scripts/cluster.sh down --dir "$dir" || true
  if [[ -n "$moto_pid" ]]; then kill "$moto_pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
figures() { # $1: label, $2: history
  "$venv/bin/python" - "$1" "$2" <<'PY'
import json, sys
label, path = sys.argv[1], sys.argv[2]
events = [json.loads(l) for l in open(path) if '"process"' in l]
started, latency, gaps, last = {}, {}, [], None
for e in events:
    if e["type"] == "invoke":
        started[e["process"]] = e["time"]
        if last is not None:
            gaps.append(e["time"] - last)
    else:
        latency.setdefault(e["f"], []).append(e["time"] - started[e["process"]])
        last = e["time"]
ops = sum(len(v) for v in latency.values())
span = (events[-1]["time"] - events[0]["time"]) / 1e9
kinds = ", ".join(f"{len(v)} {k.upper()}s {1e9 * len(v) / sum(v):.0f}/s" for k, v in sorted(latency.items()))
print(f"{label}: {ops / span:.0f} op/s ({kinds}); drive's own time between operations {sum(gaps) / len(gaps) / 1e3:.0f} us")
PY
}
scripts/cluster.sh up --nodes 3 --protocol quorum --sync always --dir "$dir" --port 21300 --peer-port 21400 >/dev/null
"$bin" drive tests/drive/bench.toml --endpoint http://127.0.0.1:21300 --bucket "bench-$$" --out "$dir/storesimd" >/dev/null
figures "storesimd (3 nodes, quorum, sync always)" "$dir/storesimd/seeds/1/history.jsonl"
"$venv/bin/moto_server" -p 21500 >"$dir/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/21500) 2>/dev/null && break; sleep 0.1; done
"$bin" drive tests/drive/bench.toml --endpoint http://127.0.0.1:21500 --bucket "bench-$$" --out "$dir/moto" >/dev/null
figures "moto_server" "$dir/moto/seeds/1/history.jsonl"
