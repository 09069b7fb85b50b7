#!/bin/sh
# det_compare.sh A B SEED: run two builds of the determinism workload with one seed and
# fail unless they print the same fingerprint.
set -eu
a=$("$1" "$3" 40 200)
b=$("$2" "$3" 40 200)
echo "$1: $a"
echo "$2: $b"
[ "$a" = "$b" ]
