#!/bin/sh
# Form a cluster of M masters with one replica each through `rcsim console` and check, with
# CLUSTER INFO on n1, that every node is known and the state is ok.
# Usage: console_form.sh RCSIM MASTERS
set -eu
rcsim=$1
masters=$2
nodes=$((masters * 2))
out=$(printf 'cluster info\n' | "$rcsim" console --masters "$masters" --replicas 1)
printf '%s\n' "$out" | grep -q '^cluster_state:ok' || { echo "not ok: $out" >&2; exit 1; }
printf '%s\n' "$out" | grep -q "^cluster_known_nodes:$nodes" ||
    { echo "expected $nodes known nodes: $out" >&2; exit 1; }
echo "formed $nodes nodes"
