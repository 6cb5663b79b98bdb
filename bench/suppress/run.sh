#!/bin/sh
# run.sh - bench/suppress: a million suppressed addresses, a million lookups
# SPDX-License-Identifier: MIT
#
# usage: bench/suppress/run.sh [BUILD_DIR] [N]
#
# Compiles bench/suppress/bench.c against BUILD_DIR/libmxdiag.a (default build/, built with
# `make`), then runs it on a fresh database in a temporary directory: N (default 1,000,000)
# hard bounce events for N addresses in one transaction, then one mxd_store_suppress_check()
# of N addresses, half of them suppressed. Prints the seconds of both phases and the database
# size per 100,000 suppressed addresses. The target (issue 15) is a check "well under 5 s";
# this script prints figures, it fails only when the run itself fails.
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build}
N=${2:-1000000}
LIB=$BUILD/libmxdiag.a
[ -f "$LIB" ] || { echo "bench/suppress: no $LIB (run make first)" >&2; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
${CC:-cc} -O2 -I"$SRC/include" -I"$BUILD/include" -o "$TMP/bench-suppress" \
    "$SRC/bench/suppress/bench.c" "$LIB" \
    $(pkg-config --libs jansson libcares libcrypto libpsl) -lpthread -ldl
echo "== bench/suppress: $N addresses ($(uname -m), $(nproc) CPUs) =="
"$TMP/bench-suppress" "$TMP/db/mxdiag.db" "$N"
