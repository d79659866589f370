#!/bin/sh
# One shard of a sharded storesim run: the Kubernetes Indexed Job runs this in
# every pod, with JOB_COMPLETION_INDEX = 0..SHARDS-1 set by Kubernetes.
#   SCENARIO  scenario file             SEEDS   seeds in all (first: the file's seed)
#   SHARDS    number of pods             OUT     folder that collects one run folder per shard
#   STORESIM  the storesim binary (default: storesim on PATH)
set -eu
: "${JOB_COMPLETION_INDEX:?set by Kubernetes for Indexed Jobs}"
: "${SCENARIO:?}" "${SEEDS:?}" "${SHARDS:?}" "${OUT:?}"
STORESIM="${STORESIM:-storesim}"
shard=$((JOB_COMPLETION_INDEX + 1))
status=0
"$STORESIM" run "$SCENARIO" --seeds "$SEEDS" --shard "$shard/$SHARDS" \
    --jobs "${JOBS:-1}" --out "$OUT/shard-$JOB_COMPLETION_INDEX" || status=$?
# 1 = an expectation broke: a finding, not a pod failure. 2 = bad input or internal error.
[ "$status" -le 1 ] || exit "$status"
