#!/bin/sh
# run.sh - run every built fuzz target for a number of seconds (make fuzz)
# SPDX-License-Identifier: MIT
# usage: run.sh BUILD_DIR SECONDS
set -eu
BUILD=$1
SECONDS_EACH=$2
SRC=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
status=0
for bin in "$BUILD"/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    mkdir -p "$WORK/$name"
    if [ -d "$SRC/fuzz/corpus/$name" ]; then
        cp -r "$SRC/fuzz/corpus/$name/." "$WORK/$name/"
    fi
    printf '%s: ' "$name"
    if "$bin" -max_total_time="$SECONDS_EACH" -max_len=65536 -rss_limit_mb=2048 \
        -timeout=10 -print_final_stats=1 "$WORK/$name" >"$WORK/$name.log" 2>&1; then
        grep -E 'stat::number_of_executed_units' "$WORK/$name.log" |
            sed 's/.*: *\([0-9]*\)/\1 runs, no crash/'
    else
        echo "FAILED"
        tail -40 "$WORK/$name.log"
        status=1
    fi
done
exit $status
