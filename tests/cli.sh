#!/bin/sh
# rcsim's command line: `--version`, and bad invocations. A bad invocation must exit with
# status 2 exactly, print nothing on stdout and exactly one line on stderr, and that line must
# name what was wrong (the file and line, or the option or field).
# Usage: cli.sh RCSIM SCENARIOS_DIR CASE (RCSIM_EXPECT_VERSION names the version for `version`)
set -u
rcsim=$1
scenarios=$2
case_name=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "FAIL ($case_name): $*"
    echo "--- stdout"
    cat "$tmp/out"
    echo "--- stderr"
    cat "$tmp/err"
    exit 1
}

# A scenario whose third line is malformed (the first two are fine).
printf '# a malformed scenario\nname bad\nmasters three\n' >"$tmp/bad.scn"

# expect_error WANT ARGS...: rcsim ARGS fails as described above, with WANT (a shell pattern)
# as its one line on stderr.
expect_error() {
    want=$1
    shift
    "$rcsim" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
    status=$?
    [ "$status" -eq 2 ] || fail "rcsim $*: exit status $status, want 2"
    [ ! -s "$tmp/out" ] || fail "rcsim $*: printed on stdout"
    lines=$(wc -l <"$tmp/err")
    [ "$lines" -eq 1 ] || fail "rcsim $*: $lines lines on stderr, want 1"
    [ "$(wc -c <"$tmp/err")" -gt 1 ] || fail "rcsim $*: an empty line on stderr"
    got=$(cat "$tmp/err")
    # shellcheck disable=SC2254
    case "$got" in
    $want) ;;
    *) fail "rcsim $*: stderr '$got', want '$want'" ;;
    esac
}

case "$case_name" in
version)
    for opt in --version -V; do
        "$rcsim" "$opt" >"$tmp/out" 2>"$tmp/err"
        status=$?
        [ "$status" -eq 0 ] || fail "rcsim $opt: exit status $status, want 0"
        [ ! -s "$tmp/err" ] || fail "rcsim $opt: printed on stderr"
        [ "$(cat "$tmp/out")" = "rcsim $RCSIM_EXPECT_VERSION" ] ||
            fail "rcsim $opt: want 'rcsim $RCSIM_EXPECT_VERSION'"
        [ "$(wc -l <"$tmp/out")" -eq 1 ] || fail "rcsim $opt: want one line"
    done
    ;;
unknown-command)
    expect_error "rcsim: unknown command 'no-such-command' (see rcsim --help)" no-such-command
    expect_error "rcsim: expected a command (see rcsim --help)"
    ;;
run-unknown-option)
    expect_error "rcsim run: unknown option '--bogus' (see rcsim run --help)" \
        run "$scenarios/no-faults.scn" --bogus
    expect_error "rcsim run: unknown option '--bogus' (see rcsim run --help)" \
        run --bogus "$scenarios/no-faults.scn"
    expect_error "rcsim run: --seed: expected a non-negative integer" \
        run "$scenarios/no-faults.scn" --seed x
    expect_error "rcsim run: expected a SCENARIO file (see rcsim run --help)" run
    ;;
run-bad-scenario)
    expect_error "$tmp/bad.scn:3: masters: expected an integer, got 'three'" run "$tmp/bad.scn"
    expect_error "$tmp/bad.scn:3: masters: expected an integer, got 'three'" \
        check "$scenarios/no-faults.scn" "$tmp/bad.scn"
    expect_error "$tmp/no-such.scn: *" run "$tmp/no-such.scn"
    ;;
run-bad-set)
    expect_error "--set node-timeout=fast: node-timeout: expected an integer, got 'fast'" \
        run "$scenarios/no-faults.scn" --set node-timeout=fast
    expect_error "--set no-such-param=1: no-such-param: unknown parameter" \
        run "$scenarios/no-faults.scn" --set no-such-param=1
    expect_error "rcsim run: --set: expected KEY=VALUE" run "$scenarios/no-faults.scn" --set
    ;;
sweep-bad)
    expect_error "rcsim sweep: unknown option '--bogus' (see rcsim sweep --help)" \
        sweep "$scenarios/no-faults.scn" --bogus
    expect_error "rcsim sweep: --seeds: expected FIRST..LAST" \
        sweep "$scenarios/no-faults.scn" --seeds 5..1 --out "$tmp/sweep"
    expect_error "rcsim sweep: expected a SCENARIO file and --out DIR (see rcsim sweep --help)" \
        sweep "$scenarios/no-faults.scn"
    expect_error "rcsim merge: expected OUT and SHARD_DIRs (see rcsim merge --help)" merge
    ;;
report-no-dir)
    expect_error "rcsim report: expected a directory (see rcsim report --help)" report
    ;;
report-not-a-dir)
    expect_error "rcsim report: /nonexistent/rcsim-report-dir: not a directory" \
        report /nonexistent/rcsim-report-dir
    ;;
report-bad-format)
    expect_error "rcsim report: --format: expected png, svg or png,svg, not 'gif'" \
        report "$tmp" --format gif
    ;;
bench-bad-option)
    expect_error "rcsim bench kernel: bad option '--pending x' (--pending N, --events N)" \
        bench kernel --pending x
    expect_error "rcsim bench: unknown benchmark 'nope' (kernel, net, cluster)" bench nope
    expect_error "rcsim bench: expected kernel, net or cluster (see rcsim bench --help)" bench
    ;;
*)
    echo "unknown case $case_name"
    exit 2
    ;;
esac
exit 0
