#!/usr/bin/env bash
# The planted-bug suite (issue 13): for each bug planted in the store
# (`store::planted`), run the scenario made for its mechanism on up to
# SEEDS seeds with the bug planted, report the first seed that breaks an
# expectation (seeds to first catch), shrink that seed and report the
# shrunk size (operations invoked). Ends with the figures the README
# quotes: caught / planted, seeds to first catch and shrunk size (median,
# max). Exit 0 when every bug asked for is caught and shrunk to at most
# MAX_OPS operations, 1 otherwise, 2 on bad usage.
#
#   scripts/planted.sh                      # every bug
#   scripts/planted.sh lww-node-first ...   # only these
#   SEEDS=100 JOBS=2 MAX_OPS=12 OUT=target/planted scripts/planted.sh
#   BIN=path/to/storesim scripts/planted.sh  # a binary built with --features planted
#
# Builds `storesim --features planted` in the usual target folder: only the
# store, sim and the binary are compiled again (the tests' build carries the
# same feature), then copies the binary to $OUT/storesim and rebuilds the
# normal one (a re-link) so that target/release/storesim stays the normal
# build. Without --plant the planted binary behaves exactly as the normal one.
set -euo pipefail
cd "$(dirname "$0")/.."

SEEDS=${SEEDS:-100}
JOBS=${JOBS:-2}
MAX_OPS=${MAX_OPS:-12}
OUT=${OUT:-target/planted}

# bug -> the scenario made for its mechanism.
declare -A SCENARIO=(
  [lww-node-first]=mech-lww-order
  [quorum-off-by-one]=mech-quorum-count
  [read-first-of-r]=mech-read-resolution
  [read-repair-skipped]=mech-read-repair
  [tombstone-loses-to-older-put]=mech-tombstones
  [hint-deleted-before-ack]=mech-hinted-handoff
  [abd-no-write-back]=mech-abd-phases
  [sync-off-by-one]=mech-sync-always
  [anti-entropy-push-only]=mech-anti-entropy
  [ring-read-list-shifted]=mech-ring-placement
  [paxos-accept-ignores-promise]=mech-paxos
  [refusal-applies]=mech-refusals
)
ALL=(lww-node-first quorum-off-by-one read-first-of-r read-repair-skipped
  tombstone-loses-to-older-put hint-deleted-before-ack abd-no-write-back
  sync-off-by-one anti-entropy-push-only ring-read-list-shifted
  paxos-accept-ignores-promise refusal-applies)

bugs=("$@")
[ ${#bugs[@]} -eq 0 ] && bugs=("${ALL[@]}")
for bug in "${bugs[@]}"; do
  if [ -z "${SCENARIO[$bug]:-}" ]; then
    echo "error: no planted bug named '$bug'; one of: ${ALL[*]}" >&2
    exit 2
  fi
done

mkdir -p "$OUT"
if [ -z "${BIN:-}" ]; then
  cargo build --release --features planted
  cp target/release/storesim "$OUT/storesim"
  cargo build --release >/dev/null 2>&1 || true
  BIN=$OUT/storesim
fi

# median of the numbers on stdin (the lower middle one for an even count)
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }

rows=()
caught=0
firsts=()
sizes=()
ok=1
for bug in "${bugs[@]}"; do
  scenario=scenarios/${SCENARIO[$bug]}.toml
  dir=$OUT/$bug
  rm -rf "$dir"
  mkdir -p "$dir"
  # The run exits 1 when an expectation breaks: that is the point here.
  "$BIN" --plant "$bug" run "$scenario" --seeds "$SEEDS" --jobs "$JOBS" --no-regressions \
    --out "$dir/run" >"$dir/run.txt" 2>&1 || true
  # "... invalid on 7 of 100 seed(s) (lowest: 4, 7, ...)": the lowest of
  # every broken `pass` expectation.
  first=$(grep -o 'lowest: [0-9]*' "$dir/run.txt" | awk '{print $2}' | sort -n | head -1 || true)
  if [ -z "$first" ]; then
    rows+=("$bug|${SCENARIO[$bug]}|not caught in $SEEDS seeds|-")
    ok=0
    continue
  fi
  caught=$((caught + 1))
  firsts+=("$first")
  "$BIN" --plant "$bug" shrink "$scenario" --seed "$first" --out "$dir/shrunk.toml" \
    >"$dir/shrink.txt" 2>&1 || true
  # "after 77 candidate runs (1186 seeds): 2 ops, ..."
  shrunk=$(grep -o 'seeds): [0-9]* ops' "$dir/shrink.txt" | awk '{print $2}' | tail -1 || true)
  if [ -z "$shrunk" ]; then
    rows+=("$bug|${SCENARIO[$bug]}|$first|shrink failed (see $dir/shrink.txt)")
    ok=0
    continue
  fi
  sizes+=("$shrunk")
  [ "$shrunk" -le "$MAX_OPS" ] || ok=0
  rows+=("$bug|${SCENARIO[$bug]}|$first|$shrunk")
  echo "$bug: caught on seed $first of $SEEDS, shrunk to $shrunk ops" >&2
done

echo
echo "| planted bug | scenario | seeds to first catch | shrunk ops |"
echo "|---|---|---:|---:|"
for row in "${rows[@]}"; do echo "| ${row//|/ | } |"; done
echo
echo "caught: $caught / ${#bugs[@]} within $SEEDS seeds"
if [ ${#firsts[@]} -gt 0 ]; then
  echo "seeds to first catch: median $(printf '%s\n' "${firsts[@]}" | median), max $(printf '%s\n' "${firsts[@]}" | sort -n | tail -1)"
fi
if [ ${#sizes[@]} -gt 0 ]; then
  echo "shrunk size (ops): median $(printf '%s\n' "${sizes[@]}" | median), max $(printf '%s\n' "${sizes[@]}" | sort -n | tail -1) (target: at most $MAX_OPS)"
fi
[ "$ok" -eq 1 ] || exit 1
