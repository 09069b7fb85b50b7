#!/usr/bin/env bash
# The fidelity experiments against real redis-server, on six local redis-server processes.
# One command, RUNS runs, one line per run. See tools/fidelity/README.md.
#
#   sudo tools/fidelity/run.sh minority-partition|one-way|flapping|master-crash|master-pause|manual-failover [RUNS] [OUTDIR]
#
# minority-partition (scenarios/fidelity-minority.scn): n1 and its clients cut off by iptables
#   (DROP) at CUT s, healed at HEAL s.
# one-way (scenarios/fidelity-one-way.scn): the same, but only what n1 and its clients send to
#   the others is dropped; the others still reach them.
# flapping (scenarios/fidelity-flapping.scn): the minority-partition cut for PERIOD s (6), then
#   healed for PERIOD s, and so on from CUT s until HEAL s.
# master-crash (scenarios/fidelity-crash.scn): n1's redis-server killed with SIGKILL at CUT s
#   and started again (same redis.conf and nodes.conf, no data) at HEAL s.
# master-pause (scenarios/fidelity-pause.scn): n1's redis-server stopped with SIGSTOP at CUT s
#   and continued with SIGCONT at HEAL s.
# manual-failover (scenarios/fidelity-manual-failover.scn): CLUSTER FAILOVER sent to n1's
#   replica at CUT s (run it with DURATION=15; HEAL is not used).
#
# Environment: DROP_HOOK (INPUT or OUTPUT: see below), NODE_TIMEOUT (ms, 5000),
# MIN_REPLICAS_TO_WRITE (0) and MIN_REPLICAS_MAX_LAG (s, 10): Redis's options of those names
# (scenarios/fidelity-min-replicas.scn: minority-partition with 1 and 2), CUT (s, 5), HEAL (s, 25), PERIOD (s, 6: flapping), DURATION (s, 35),
# BASE_PORT (30000: nodes listen on 127.0.0.N:3000N), REDIS_SERVER, REDIS_CLI,
# REPL_DISKLESS_SYNC_DELAY (s, 0; rcsim models Redis's default, 5: set 5 to mirror it where a
# full sync is measured, as the master-crash results in README.md were), CLIENT_ARGS (more
# client.py options, e.g. "--rate 1" for a nearly idle workload), SERVER_CPUS / CLIENT_CPUS
# (taskset CPU lists for the servers and for client.py, e.g. 0 and 1: to keep the client's
# work off the servers' CPU), PCAP (a path: capture the cluster bus on lo with tcpdump, headers
# only, for the whole of each run, into PCAP.runN; pcap_links.py reads it), PCAP_CLIENTS (1: the
# capture includes the nodes' client ports: clients' requests, replication, redis-cli;
# mf_timeline.py and indet.py --pcap read it), SERVER_RTPRIO / CLIENT_RTPRIO (a SCHED_FIFO priority, e.g. 10: run
# the six servers / client.py real-time, so that other work on the machine does not preempt
# them; a server the crash experiment restarts is not).
set -euo pipefail

PROG=${PROG:-run.sh}
die() { echo "$PROG: $*" >&2; exit 1; }
case "${1:-}" in
    minority-partition) NEMESIS=partition ;;
    one-way) NEMESIS=one-way ;;
    flapping) NEMESIS=flap ;;
    master-crash) NEMESIS=crash ;;
    master-pause) NEMESIS=pause ;;
    manual-failover) NEMESIS=manual-failover ;;
    *) die "usage: $PROG minority-partition|one-way|flapping|master-crash|master-pause|manual-failover [RUNS] [OUTDIR]" ;;
esac
EXPERIMENT=$1
RUNS=${2:-3}
OUTDIR=${3:-}
NODE_TIMEOUT=${NODE_TIMEOUT:-5000}
CUT=${CUT:-5}
HEAL=${HEAL:-25}
PERIOD=${PERIOD:-6}
# Where the cut's DROP rules hook in. INPUT (the default since 2026-12-06): a packet leaves its
# sender and is lost on the way, as on a real network, which rcsim models. OUTPUT (the results
# before that date): the sender's own kernel refuses the packet, which a sending socket may
# see as a local error rather than a loss. The flapping runs came out alike with both.
DROP_HOOK=${DROP_HOOK:-INPUT}
case "$DROP_HOOK" in INPUT|OUTPUT) ;; *) die "DROP_HOOK must be INPUT or OUTPUT" ;; esac
DURATION=${DURATION:-35}
REPL_DISKLESS_SYNC_DELAY=${REPL_DISKLESS_SYNC_DELAY:-0}
MIN_REPLICAS_TO_WRITE=${MIN_REPLICAS_TO_WRITE:-0}
MIN_REPLICAS_MAX_LAG=${MIN_REPLICAS_MAX_LAG:-10}
BASE_PORT=${BASE_PORT:-30000}
REDIS_SERVER=${REDIS_SERVER:-redis-server}
REDIS_CLI=${REDIS_CLI:-redis-cli}
CHAIN=RCSIM_FID
HERE=$(cd "$(dirname "$0")" && pwd)

[ "$(id -u)" -eq 0 ] || die "must run as root (iptables)"
command -v iptables >/dev/null || die "iptables not found"
command -v iptables-restore >/dev/null || die "iptables-restore not found"
command -v "$REDIS_SERVER" >/dev/null || die "redis-server not found (set REDIS_SERVER)"
command -v "$REDIS_CLI" >/dev/null || die "redis-cli not found (set REDIS_CLI)"
command -v python3 >/dev/null || die "python3 not found"
[ -z "${SERVER_RTPRIO:-}${CLIENT_RTPRIO:-}" ] || command -v chrt >/dev/null || die "chrt not found (SERVER_RTPRIO or CLIENT_RTPRIO is set)"
iptables -L OUTPUT -n >/dev/null 2>&1 || die "iptables does not work here"
! iptables -L "$CHAIN" -n >/dev/null 2>&1 || die "iptables chain $CHAIN exists: another run, or a leftover (iptables -D $DROP_HOOK -j $CHAIN; iptables -F $CHAIN; iptables -X $CHAIN)"
for i in 1 2 3 4 5 6; do
    ! "$REDIS_CLI" -h 127.0.0.$i -p $((BASE_PORT + i)) ping >/dev/null 2>&1 ||
        die "127.0.0.$i:$((BASE_PORT + i)) is already in use"
done
[ -z "${PCAP:-}" ] || command -v tcpdump >/dev/null || die "tcpdump not found (PCAP is set)"
ulimit -n 65536 2>/dev/null || true

TMP=$(mktemp -d /tmp/rcsim-fidelity.XXXXXX)
PIDS=()
RESTARTED=""   # pid file of servers client.py restarted (not our children: kill and poll)
stop_servers() {
    local p i
    # a server left stopped (master-pause) would not act on SIGTERM, and wait would hang
    for p in "${PIDS[@]}"; do kill -CONT "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do { wait "$p"; } 2>/dev/null || true; done
    PIDS=()
    if [ -n "$RESTARTED" ] && [ -f "$RESTARTED" ]; then
        while read -r p; do
            kill "$p" 2>/dev/null || continue
            for i in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
            kill -9 "$p" 2>/dev/null || true
        done <"$RESTARTED"
        rm -f "$RESTARTED"
    fi
}
CLIENT=""
TCPDUMP=""
stop_capture() {
    if [ -n "$TCPDUMP" ]; then kill "$TCPDUMP" 2>/dev/null; wait "$TCPDUMP" 2>/dev/null; fi
    TCPDUMP=""
}
cleanup() {
    set +e
    if [ -n "$CLIENT" ]; then kill "$CLIENT" 2>/dev/null; wait "$CLIENT" 2>/dev/null; fi
    stop_capture
    iptables -D "$DROP_HOOK" -j "$CHAIN" 2>/dev/null
    iptables -F "$CHAIN" 2>/dev/null
    iptables -X "$CHAIN" 2>/dev/null
    stop_servers
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

iptables -N "$CHAIN"
iptables -I "$DROP_HOOK" 1 -j "$CHAIN"

start_cluster() {
    local dir=$1 i
    for i in 1 2 3 4 5 6; do
        mkdir -p "$dir/n$i"
        cat >"$dir/n$i/redis.conf" <<CONF
bind 127.0.0.$i
bind-source-addr 127.0.0.$i
port $((BASE_PORT + i))
protected-mode no
daemonize no
dir $dir/n$i
logfile $dir/n$i/redis.log
cluster-enabled yes
cluster-config-file $dir/n$i/nodes.conf
cluster-node-timeout $NODE_TIMEOUT
appendonly no
save ""
repl-diskless-sync-delay $REPL_DISKLESS_SYNC_DELAY
min-replicas-to-write $MIN_REPLICAS_TO_WRITE
min-replicas-max-lag $MIN_REPLICAS_MAX_LAG
CONF
        ${SERVER_CPUS:+taskset -c "$SERVER_CPUS"} ${SERVER_RTPRIO:+chrt -f "$SERVER_RTPRIO"} "$REDIS_SERVER" "$dir/n$i/redis.conf" &
        PIDS+=($!)
    done
    for i in 1 2 3 4 5 6; do
        for _ in $(seq 100); do
            "$REDIS_CLI" -h 127.0.0.$i -p $((BASE_PORT + i)) ping >/dev/null 2>&1 && break
            sleep 0.05
        done
    done
    "$REDIS_CLI" --cluster create $(for i in 1 2 3 4 5 6; do echo 127.0.0.$i:$((BASE_PORT + i)); done) \
        --cluster-replicas 1 --cluster-yes >"$dir/create.log" 2>&1 || { cat "$dir/create.log" >&2; return 1; }
    # every node cluster_state ok, every replica's link up
    for _ in $(seq 300); do
        local ok=1
        for i in 1 2 3 4 5 6; do
            local c="$REDIS_CLI -h 127.0.0.$i -p $((BASE_PORT + i))"
            $c cluster info | grep -q 'cluster_state:ok' || ok=0
            if $c info replication | grep -q 'role:slave'; then
                $c info replication | grep -q 'master_link_status:up' || ok=0
            fi
        done
        [ $ok -eq 1 ] && return 0
        sleep 0.1
    done
    echo "cluster did not come up" >&2; return 1
}

RESULTS="$TMP/results.jsonl"
: >"$RESULTS"
for run in $(seq "$RUNS"); do
    dir="$TMP/run$run"
    mkdir -p "$dir"
    start_cluster "$dir"
    RESTARTED="$dir/restarted.pids"
    if [ -n "${PCAP:-}" ]; then
        # the cluster bus ports only (bus port = port + 10000; not a client's connection whose
        # ephemeral port falls in that range); 128 bytes: headers and the bus message's type
        filter="tcp and portrange $((BASE_PORT + 10001))-$((BASE_PORT + 10006)) and not portrange $((BASE_PORT + 1))-$((BASE_PORT + 6))"
        # PCAP_CLIENTS=1: the nodes' client ports too (clients, replication, redis-cli)
        [ -z "${PCAP_CLIENTS:-}" ] ||
            filter="tcp and (portrange $((BASE_PORT + 10001))-$((BASE_PORT + 10006)) or portrange $((BASE_PORT + 1))-$((BASE_PORT + 6)))"
        tcpdump -i lo -U -s 128 -w "$PCAP.run$run" "$filter" 2>"$dir/tcpdump.log" &
        TCPDUMP=$!
        sleep 0.5
    fi
    ${CLIENT_CPUS:+taskset -c "$CLIENT_CPUS"} ${CLIENT_RTPRIO:+chrt -f "$CLIENT_RTPRIO"} python3 "$HERE/client.py" --base-port "$BASE_PORT" --cut "$CUT" --heal "$HEAL" \
        --duration "$DURATION" --chain "$CHAIN" --seed "$run" --out "$dir" \
        --nemesis "$NEMESIS" --period "$PERIOD" --n1-pid "${PIDS[0]}" --n1-conf "$dir/n1/redis.conf" \
        --redis-server "$(command -v "$REDIS_SERVER")" --pidfile "$RESTARTED" ${SERVER_CPUS:+--server-cpus "$SERVER_CPUS"} ${CLIENT_ARGS:-} \
        >"$dir/result.json" &
    # in the background and waited for, so that INT/TERM run the cleanup at once (bash runs a
    # trap only after a foreground command returns)
    CLIENT=$!
    wait "$CLIENT"
    CLIENT=""
    stop_capture
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["run"]=int(sys.argv[2]); print(json.dumps(d))' \
        "$dir/result.json" "$run" >>"$RESULTS"
    stop_servers
    if [ -n "$OUTDIR" ]; then
        mkdir -p "$OUTDIR/run$run"
        cp "$dir/result.json" "$dir/history.jsonl" "$dir/create.log" "$OUTDIR/run$run/"
        for i in 1 2 3 4 5 6; do cp "$dir/n$i/redis.log" "$OUTDIR/run$run/n$i.log"; done
    fi
    rm -rf "$dir"
done
[ -n "$OUTDIR" ] && cp "$RESULTS" "$OUTDIR/results.jsonl"
python3 "$HERE/table.py" "$RESULTS"
