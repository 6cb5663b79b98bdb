#!/bin/sh
# run-case.sh - run one command-line test case (see tests/cli/README)
# SPDX-License-Identifier: MIT
#
# usage: run-case.sh CASE_DIR MXDIAG_BINARY
# Exit 0 pass, 1 fail, 77 skip. UPDATE=1 rewrites the expected stdout/status files.
set -u
CASE=$1
BIN=$2
SRC=${MXD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SHARED=${MXD_SHARED_DIR:-$SRC/../shared}
FIXTURES=$SRC/tests/fixtures
export CASE SRC SHARED FIXTURES
export NO_COLOR=1
unset MXDIAG_DNS_SERVER

if [ -f "$CASE/requires" ] && grep -qx shared "$CASE/requires" && [ ! -d "$SHARED" ]; then
    echo "SKIP: $SHARED is absent (this case needs ../shared)"
    exit 77
fi

. "$SRC/tests/dnsd/start.sh"
TMP=$(mktemp -d)
cleanup() {
    dnsd_stop
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

# A case with zone files gets its own authoritative test DNS server on 127.0.0.1.
zones=""
for z in "$CASE"/*.zone; do
    [ -f "$z" ] && zones="$zones --zone $z"
done
DNS=""
# ... and, beside the case's zones, the test entries of every blocklist (the health probe of
# mxdiag asks them), unless the case is about a resolver or list without them.
if [ -n "$zones" ] && [ ! -f "$CASE/no-test-entries" ]; then
    zones="$zones --zone $SRC/tests/dnsd/dnsbl-test-entries.zone"
fi
# ... and the top-level domains (com, org, arpa ...) that an honest resolver knows, unless the
# case is about a resolver that answers NXDOMAIN for every name.
if [ -n "$zones" ] && [ ! -f "$CASE/no-tlds" ]; then
    zones="$zones --zone $SRC/tests/dnsd/tlds.zone"
fi
if [ -n "$zones" ]; then
    dnsd_args=""
    [ -f "$CASE/dnsd-args" ] && dnsd_args=$(cat "$CASE/dnsd-args")
    # shellcheck disable=SC2086
    dnsd_start "$TMP" $zones $dnsd_args || { echo "FAIL: test DNS server did not start"; exit 1; }
    DNS=$DNSD
fi
export DNS
# a scratch directory the command may write to
TMPDIR_CASE=$TMP/case
mkdir -p "$TMPDIR_CASE"
export TMPDIR_CASE

mxdiag() { "$BIN" "$@"; }
export BIN

if [ -f "$CASE/stdin" ]; then
    (cd "$CASE" && . ./cmd) <"$CASE/stdin" >"$TMP/out" 2>"$TMP/err"
else
    (cd "$CASE" && . ./cmd) </dev/null >"$TMP/out" 2>"$TMP/err"
fi
status=$?
# the DNS port differs per run: expected files say @DNS@
[ -n "$DNS" ] && sed -i "s/$DNS/@DNS@/g" "$TMP/out" "$TMP/err"

if [ "${UPDATE:-}" = 1 ]; then
    [ -f "$CASE/stdout" ] || [ ! -f "$CASE/stdout.grep" ] && cp "$TMP/out" "$CASE/stdout"
    [ "$status" != 0 ] && echo "$status" >"$CASE/status"
fi

fail=0
want_status=0
[ -f "$CASE/status" ] && want_status=$(cat "$CASE/status")
if [ "$status" != "$want_status" ]; then
    echo "FAIL: exit status $status, expected $want_status"
    fail=1
fi
if [ -f "$CASE/stdout" ] && ! diff -u "$CASE/stdout" "$TMP/out" >"$TMP/diff"; then
    echo "FAIL: stdout differs from $CASE/stdout:"
    head -60 "$TMP/diff"
    fail=1
fi
for pair in stdout.grep:out stderr.grep:err; do
    f=${pair%%:*}
    got=$TMP/${pair#*:}
    [ -f "$CASE/$f" ] || continue
    while IFS= read -r line || [ -n "$line" ]; do
        [ -z "$line" ] && continue
        case "$line" in
        '!'*)
            if grep -qF -- "${line#!}" "$got"; then
                echo "FAIL: ${f%.grep} contains '${line#!}'"
                fail=1
            fi ;;
        *)
            if ! grep -qF -- "$line" "$got"; then
                echo "FAIL: ${f%.grep} lacks '$line'"
                fail=1
            fi ;;
        esac
    done <"$CASE/$f"
done
if [ "$fail" = 1 ]; then
    echo "--- command: $(cat "$CASE/cmd")"
    echo "--- stderr:"; head -20 "$TMP/err"
    echo "--- stdout:"; head -40 "$TMP/out"
    exit 1
fi
echo "PASS"
exit 0
