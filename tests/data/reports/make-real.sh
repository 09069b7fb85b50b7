#!/bin/sh
# Regenerates real-run/ and real-sweep/: output of the runner itself, for tests/test_report.c.
# Run from the repository root after building:  sh tests/data/reports/make-real.sh [RCSIM]
# The runs are deterministic: the same rcsim writes the same files (trace_sha256 pins them).
set -eu
rcsim=${1:-build/rcsim}
d=tests/data/reports
rm -rf "$d/real-run" "$d/real-sweep"
"$rcsim" run "$d/report-fixture.scn" --seed 1 --out "$d/real-run"
# exit 1 only says some run broke an expectation: still a result
"$rcsim" sweep "$d/report-fixture.scn" --seeds 1..4 --vary node-timeout=1000,2000,4000 \
    --jobs 1 --out "$d/real-sweep" || [ $? -eq 1 ]
