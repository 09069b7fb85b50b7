#!/bin/sh
# `rcsim console` end to end, fed by a pipe as a script would feed it: the replies printed
# (log lines filtered out) must be exactly the expected ones, some log lines must appear in
# Redis's format, bad options exit 2 with their message. Usage: console_cli.sh RCSIM CASE
set -u
rcsim=$1
case_name=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "FAIL ($case_name): $*"
    echo "--- output"
    cat "$tmp/out"
    exit 1
}
# A node log line: n<i> <pid>:<role> <dd Mon yyyy HH:MM:SS.mmm> <level> <message>
log_re='^n[0-9]+ [0-9]+:[MS] [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} [.*#-] '

# run_console SCRIPT ARGS...: feed SCRIPT's lines, keep stdout in out and replies in replies
run_console() {
    script=$1
    shift
    printf '%s\n' "$script" | "$rcsim" console "$@" >"$tmp/out" 2>"$tmp/err"
    status=$?
    [ "$status" -eq 0 ] || fail "exit status $status: $(cat "$tmp/err")"
    grep -v -E "$log_re" "$tmp/out" >"$tmp/replies"
}

expect_replies() {
    printf '%s\n' "$1" >"$tmp/want"
    diff -u "$tmp/want" "$tmp/replies" >"$tmp/diff" || fail "replies differ: $(cat "$tmp/diff")"
}

expect_log() {
    grep -q -E "$1" "$tmp/out" || fail "no log line matching: $1"
}

case "$case_name" in
failover)
    # n3 masters slots 10923-16383 (foo is 12182); n6 is its replica.
    run_console 'SET foo bar
GET foo
.crash n3
.advance 30s
.use n6
GET foo
SET foo baz
GET foo
.crash n9
SET k "v
.restart n1
.advance 5000
quit
GET foo' --seed 1
    expect_replies '-> Redirected to slot [12182] located at 127.0.0.1:30003
OK
"bar"
"bar"
OK
"baz"
error: .crash: unknown node '"'"'n9'"'"'
Invalid argument(s)
error: .restart: n1 is not down (see .crash)
error: .advance: bad duration '"'"'5000'"'"' (e.g. 250ms, 5s, 2m)'
    expect_log '^n[0-9] [0-9]+:[MS] 01 Jan 2026 00:00:[0-9]{2}\.[0-9]{3} \. \*\*\* NODE [0-9a-f]{40} possibly failing$'
    expect_log '^n[0-9] [0-9]+:[MS] 01 Jan 2026 00:00:[0-9]{2}\.[0-9]{3} \* Marking node [0-9a-f]{40} as failing \(quorum reached\)\.$'
    # the role letter is the one when the line was logged: still a replica (Redis: S)
    expect_log '^n6 1006:S 01 Jan 2026 00:00:[0-9]{2}\.[0-9]{3} # Failover election won: I'"'"'m the new master\.$'
    expect_log '^n[0-9] [0-9]+:[MS] 01 Jan 2026 00:00:[0-9]{2}\.[0-9]{3} # Cluster state changed: ok$'
    # no prompt when stdin is not a terminal
    if grep -q '127.0.0.1:300[0-9]*> ' "$tmp/out"; then fail "a prompt was printed"; fi
    ;;
partition)
    # bar is slot 5061 on n1, whose replica is n4. n1 alone on its side refuses after
    # node-timeout; n4 is promoted on the majority side; after the heal n1 follows n4.
    run_console 'SET bar 1
.advance 100ms
.partition n1 | rest
.advance 5s
GET bar
.use n4
GET bar
.heal
.advance 10s
.use n1
GET bar
.partition {n1,n2} | {n3,n4} | rest
.heal' --seed 7 --set node-timeout=2000
    expect_replies 'OK
(error) CLUSTERDOWN The cluster is down
"1"
-> Redirected to slot [5061] located at 127.0.0.1:30004
"1"'
    expect_log '^n1 1001:M 01 Jan 2026 00:00:[0-9]{2}\.[0-9]{3} # Cluster state changed: fail$'
    # logged before clusterSetMaster, so still a master (Redis: M)
    expect_log '^n1 1001:M 01 Jan 2026 00:00:[0-9]{2}\.[0-9]{3} # Configuration change detected\. Reconfiguring myself as a replica of [0-9a-f]{40}$'
    ;;
raw)
    # INFO, CLUSTER INFO and CLUSTER NODES print raw, as redis-cli prints them on a terminal:
    # the text itself, no quotes, the CRLFs of INFO-style texts kept (redis-cli writes the
    # bulk's bytes), nothing added. Other replies stay in the terminal format.
    run_console 'CLUSTER INFO
cluster nodes
INFO replication
CLUSTER MYID
CLUSTER INFO extra' --seed 1
    cr=$(printf '\r')
    [ "$(head -n 1 "$tmp/replies")" = "cluster_state:ok$cr" ] || fail "CLUSTER INFO not raw"
    for field in cluster_slots_assigned:16384 cluster_slots_ok:16384 cluster_slots_pfail:0 \
        cluster_slots_fail:0 cluster_known_nodes:6 cluster_size:3 \
        total_cluster_links_buffer_limit_exceeded:0; do
        grep -qx "$field$cr" "$tmp/replies" || fail "no line '$field<CR>'"
    done
    nodes=$(grep -c -E '^[0-9a-f]{40} 127\.0\.0\.1:3000[1-6]@4000[1-6] (myself,)?(master|slave) ([0-9a-f]{40}|-) [0-9]+ [0-9]+ [0-9]+ connected( [0-9]+-[0-9]+)?$' "$tmp/replies")
    [ "$nodes" -eq 6 ] || fail "$nodes raw CLUSTER NODES lines, want 6"
    grep -qx "# Replication$cr" "$tmp/replies" || fail "INFO replication not raw"
    grep -qx "role:master$cr" "$tmp/replies" || fail "no role:master line"
    [ "$(grep -c '^"' "$tmp/replies")" -eq 1 ] || fail "only CLUSTER MYID is quoted"
    grep -qx -E '"[0-9a-f]{40}"' "$tmp/replies" || fail "CLUSTER MYID not quoted"
    [ "$(tail -n 1 "$tmp/replies")" = "(error) ERR wrong number of arguments for 'cluster|info' command" ] ||
        fail "CLUSTER INFO with an argument: the error prints as redis-cli's"
    ;;
bad-options)
    while IFS='|' read -r args want; do
        # shellcheck disable=SC2086
        "$rcsim" console $args </dev/null >"$tmp/out" 2>"$tmp/err"
        status=$?
        [ "$status" -eq 2 ] || fail "console $args: exit status $status, want 2"
        got=$(head -n 1 "$tmp/err")
        [ "$got" = "$want" ] || fail "console $args: got '$got', want '$want'"
    done <<'TABLE'
--masters|rcsim console: --masters: expected a non-negative integer
--masters x|rcsim console: --masters: expected a non-negative integer
--replicas -1|rcsim console: --replicas: expected a non-negative integer
--seed 1x|rcsim console: --seed: expected a non-negative integer
--set|rcsim console: --set: expected KEY=VALUE
--set node-timeout|rcsim console: --set: expected KEY=VALUE
--loglevel loud|rcsim console: --loglevel: expected debug, verbose, notice or warning
--bogus|rcsim console: unknown argument '--bogus'
--masters 0|rcsim console: --masters 0: masters: 0 is out of range [1, 1000]
--replicas 100|rcsim console: --replicas 100: replicas: 100 is out of range [0, 99]
--set nope=1|rcsim console: --set nope=1: nope: unknown parameter
--set node-timeout=x|rcsim console: --set node-timeout=x: node-timeout: expected an integer, got 'x'
--masters 600 --replicas 1|rcsim console: --replicas 1: replicas: 600 masters with 1 replicas each exceed 1000 nodes
TABLE
    ;;
no-cluster)
    # replies slower than the console's 5 s timeout: the cluster cannot form, exit 1
    printf 'GET foo\n' | "$rcsim" console --seed 3 --set 'client-latency=constant 20s' \
        >"$tmp/out" 2>"$tmp/err"
    status=$?
    [ "$status" -eq 1 ] || fail "exit status $status, want 1"
    want="rcsim console: n1: (error) timeout after 5000 ms of virtual time (seed 3; replay: rcsim console --seed 3 --set 'client-latency=constant 20s')"
    [ "$(cat "$tmp/err")" = "$want" ] || fail "stderr: $(cat "$tmp/err")"
    [ ! -s "$tmp/out" ] || fail "printed on stdout"
    ;;
*)
    echo "unknown case $case_name"
    exit 2
    ;;
esac
exit 0
