#!/usr/bin/env bash
# The minority-partition fidelity experiment (kept for its old command line):
#   sudo tools/fidelity/minority-partition.sh [RUNS] [OUTDIR]   = run.sh minority-partition ...
# Not exec: this process keeps its name while the run lasts (`pgrep -f minority-partition.sh`
# finds it); INT and TERM are passed on to run.sh, whose EXIT trap cleans up.
PROG=minority-partition.sh "$(dirname "$0")/run.sh" minority-partition "$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' INT TERM
while :; do
    wait "$child"; rc=$?
    kill -0 "$child" 2>/dev/null || exit "$rc"
done
