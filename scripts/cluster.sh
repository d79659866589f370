#!/usr/bin/env bash
# A local storesimd cluster on loopback ports.
#
#   scripts/cluster.sh up [--nodes 3] [--protocol quorum] [--sync always] [--dir D] [--port 9000] [--peer-port 7000]
#                         [--principals KEY:SECRET,... [--owner KEY] [--policy-cache-ttl-ms 1000]]
#   scripts/cluster.sh down  [--dir D]        # SIGTERM every node (each syncs its log), wait for it
#   scripts/cluster.sh kill N [--dir D]       # SIGKILL node N (a crash: the log's recovery is for this)
#   scripts/cluster.sh start N [--dir D]      # start node N again from its disk, same command line
#   scripts/cluster.sh status [--dir D]
#
# Node i serves S3 on http://127.0.0.1:(port+i) and peers on 127.0.0.1:(peer-port+i);
# its data, log and pid are in D/n<i>/ (default D: target/cluster). Signed
# requests use any access key id with the secret key `storesimd`, unless
# --principals lists the accepted keys (access control: see README "storesimd").
# The binary is built first (without --cfg madsim, in target/plain) unless
# STORESIMD names one.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cmd="${1:-}"; shift || true
nodes=3 protocol=quorum sync=always dir="$root/target/cluster" port=9000 peer_port=7000 node=""
access=""   # storesimd's access-control flags, passed through
if [[ "$cmd" == kill || "$cmd" == start ]]; then node="${1:?usage: cluster.sh $cmd N}"; shift; fi
while [[ $# -gt 0 ]]; do
  case "$1" in
    --nodes) nodes="$2"; shift 2 ;;
    --protocol) protocol="$2"; shift 2 ;;
    --sync) sync="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --peer-port) peer_port="$2"; shift 2 ;;
    --principals|--owner|--policy-cache-ttl-ms) access+=" $1 $2"; shift 2 ;;
    *) echo "cluster.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

binary() {
  if [[ -n "${STORESIMD:-}" ]]; then echo "$STORESIMD"; return; fi
  (cd "$root" && CARGO_ENCODED_RUSTFLAGS= cargo build --release --quiet \
     --manifest-path daemon/Cargo.toml --target-dir target/plain) >&2
  echo "$root/target/plain/release/storesimd"
}

alive() { [[ -f "$1/pid" ]] && kill -0 "$(cat "$1/pid")" 2>/dev/null; }

start_node() { # $1: node folder (holds cmd)
  local d="$1"
  if alive "$d"; then echo "node in $d already running (pid $(cat "$d/pid"))" >&2; return; fi
  # shellcheck disable=SC2046
  nohup $(cat "$d/cmd") >>"$d/log" 2>&1 &
  echo $! >"$d/pid"
}

wait_ready() { # $1: S3 port; ready when it accepts connections (at most 10 s)
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "cluster.sh: nothing listens on 127.0.0.1:$1 after 10 s" >&2; return 1
}

case "$cmd" in
  up)
    bin="$(binary)"
    peers=$(for i in $(seq 0 $((nodes - 1))); do printf '127.0.0.1:%d,' $((peer_port + i)); done)
    peers="${peers%,}"
    for i in $(seq 0 $((nodes - 1))); do
      d="$dir/n$i"; mkdir -p "$d"
      echo "$bin --id $i --peers $peers --s3 127.0.0.1:$((port + i)) --data-dir $d/data --protocol $protocol --sync $sync$access" >"$d/cmd"
      echo "$((port + i))" >"$d/port"
      start_node "$d"
    done
    for i in $(seq 0 $((nodes - 1))); do wait_ready $((port + i)); done
    for i in $(seq 0 $((nodes - 1))); do echo "node $i: pid $(cat "$dir/n$i/pid"), S3 http://127.0.0.1:$((port + i))"; done
    ;;
  down)
    for d in "$dir"/n*; do
      [[ -f "$d/pid" ]] || continue
      if alive "$d"; then kill -TERM "$(cat "$d/pid")"; fi
    done
    for d in "$dir"/n*; do
      [[ -f "$d/pid" ]] || continue
      for _ in $(seq 100); do alive "$d" || break; sleep 0.1; done
      if alive "$d"; then kill -KILL "$(cat "$d/pid")"; fi
      rm -f "$d/pid"
    done
    ;;
  kill)
    d="$dir/n$node"
    if alive "$d"; then kill -KILL "$(cat "$d/pid")"; fi
    rm -f "$d/pid"
    ;;
  start)
    d="$dir/n$node"
    [[ -f "$d/cmd" ]] || { echo "cluster.sh: no node $node in $dir (run up first)" >&2; exit 2; }
    start_node "$d"
    wait_ready "$(cat "$d/port")"
    ;;
  status)
    for d in "$dir"/n*; do
      if alive "$d"; then echo "$(basename "$d"): up (pid $(cat "$d/pid"))"; else echo "$(basename "$d"): down"; fi
    done
    ;;
  *) sed -n '2,16p' "$0" >&2; exit 2 ;;
esac
