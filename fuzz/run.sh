#!/bin/sh
# run.sh - run every built fuzz target: replay and fixed exploration (make check) or open-ended
# fuzzing (make fuzz)
# SPDX-License-Identifier: MIT
#
# usage: run.sh BUILD_DIR check [RUNS]     replay fuzz/corpus/<target>/ and the crash
#                                          regressions in fuzz/regressions/<target>/, then a
#                                          fixed-seed exploration of RUNS inputs (default 2000):
#                                          the same inputs on every run, so a landing never
#                                          depends on luck
#        run.sh BUILD_DIR SECONDS          fuzz each target for SECONDS from random seeds,
#                                          seeded from the corpus (make fuzz); a crash input is
#                                          kept under fuzz/found/ to be fixed and added to
#                                          fuzz/regressions/<target>/
set -eu
BUILD=$1
MODE=$2
RUNS=${3:-2000}
SRC=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
status=0
for bin in "$BUILD"/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    mkdir -p "$WORK/$name"
    # copies, so that runs do not grow the checked-in seeds
    for d in "$SRC/fuzz/corpus/$name" "$SRC/fuzz/regressions/$name"; do
        if [ -d "$d" ]; then
            cp -r "$d/." "$WORK/$name/"
        fi
    done
    printf '%s: ' "$name"
    common="-max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1"
    if [ "$MODE" = check ]; then
        # shellcheck disable=SC2086
        set -- -seed=1 -runs="$RUNS" $common
    else
        mkdir -p "$SRC/fuzz/found/$name"
        # shellcheck disable=SC2086
        set -- -max_total_time="$MODE" -artifact_prefix="$SRC/fuzz/found/$name/" $common
    fi
    if "$bin" "$@" "$WORK/$name" >"$WORK/$name.log" 2>&1; then
        grep -E 'stat::number_of_executed_units' "$WORK/$name.log" |
            sed 's/.*: *\([0-9]*\)/\1 runs, no crash/'
    else
        echo "FAILED"
        tail -40 "$WORK/$name.log"
        status=1
    fi
done
exit $status
