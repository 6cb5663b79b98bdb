#!/bin/sh
# run.sh - how fast `mxdiag check ip` is when every DNS answer comes 200 ms late
# SPDX-License-Identifier: MIT
#
# usage: bench/dns/run.sh [MXDIAG_BINARY] [DELAY_MS]
#
# Starts the test DNS server (tests/dnsd/dnsd.py) with --delay DELAY_MS (default 200) and a
# zone that lists every address of the benchmark range 198.18.0.0/15 on every default
# blocklist (so each address also needs the TXT reasons) and gives every address a PTR name
# (so each also needs a forward lookup), beside the lists' test entries
# (tests/dnsd/dnsbl-test-entries.zone: the health probe of each list passes). Then times
#   1. `mxdiag check ip` for one address:       target < 3 x the delay (all zones in flight
#                                                together: two rounds of answers, not twenty)
#   2. `mxdiag check ip --json -` for 1,000     target <= 10 x the single-address time
#      addresses read from stdin:
# Each figure is the median of RUNS runs. Prints the figures and ratios, and the DNS queries
# the server saw in one run of each (from its --verbose log); exits 1 when a target is missed.
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${1:-$SRC/build/mxdiag}
DELAY=${2:-200}
RUNS=${RUNS:-3}
NIPS=1000
PY=/usr/bin/python3
[ -x "$BIN" ] || { echo "bench/dns: no mxdiag binary at $BIN" >&2; exit 2; }
[ -x "$PY" ] || { echo "bench/dns: $PY is needed for the test DNS server" >&2; exit 2; }

. "$SRC/tests/dnsd/start.sh"
TMP=$(mktemp -d)
cleanup() {
    dnsd_stop
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

# The default IP blocklists, from the catalogue the binary carries.
"$BIN" check ip --show-lists | awk '$2 ~ /^ip4/ && $3 == "yes" { print $4 }' >"$TMP/zones"
NZONES=$(wc -l <"$TMP/zones")
[ "$NZONES" -gt 0 ] || { echo "bench/dns: no default blocklist found" >&2; exit 2; }
{
    while read -r z; do
        for net in 18.198 19.198; do
            printf '*.%s.%s A 127.0.0.2\n*.%s.%s TXT "listed for the benchmark"\n' \
                "$net" "$z" "$net" "$z"
        done
    done <"$TMP/zones"
    printf '*.18.198.in-addr.arpa PTR mail.bench.example\n'
    printf '*.19.198.in-addr.arpa PTR mail.bench.example\n'
    printf 'mail.bench.example A 198.18.0.1\n'
} >"$TMP/bench.zone"
# 1,000 addresses of the benchmarking range 198.18.0.0/15
i=0
while [ $i -lt $NIPS ]; do
    echo "198.18.$((i / 250)).$((1 + i % 250))"
    i=$((i + 1))
done >"$TMP/ips"

# start_dnsd [--verbose] - the test server on the benchmark zone; sets DNS
start_dnsd() {
    dnsd_start "$TMP" --zone "$TMP/bench.zone" \
        --zone "$SRC/tests/dnsd/dnsbl-test-entries.zone" --delay "$DELAY" "$@" ||
        { echo "bench/dns: dnsd did not start" >&2; exit 2; }
    DNS=$DNSD
}
start_dnsd

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# queries - how many queries the (verbose) server has answered or dropped so far
queries() { grep -c ' -> ' "$TMP/dnsd.err" || true; }

# median - the middle value of the numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# time_one CMD... - milliseconds of one run (stdout kept in $TMP/out)
time_one() {
    t0=$(now_ms)
    "$@" >"$TMP/out"
    echo $(($(now_ms) - t0))
}

r=0
: >"$TMP/t1"
while [ $r -lt "$RUNS" ]; do
    time_one "$BIN" check ip --dns-server "$DNS" --json 198.18.0.1 >>"$TMP/t1"
    r=$((r + 1))
done
T1=$(median <"$TMP/t1")
grep -q "\"listed\":$NZONES,\"errors\":0" "$TMP/out" ||
    { echo "bench/dns: single address: unexpected result" >&2; cat "$TMP/out" >&2; exit 2; }

r=0
: >"$TMP/tn"
while [ $r -lt "$RUNS" ]; do
    t0=$(now_ms)
    "$BIN" check ip --dns-server "$DNS" --json - <"$TMP/ips" >"$TMP/out"
    echo $(($(now_ms) - t0)) >>"$TMP/tn"
    r=$((r + 1))
done
TN=$(median <"$TMP/tn")
GOOD=$(grep -c "\"listed\":$NZONES,\"errors\":0" "$TMP/out" || true)
[ "$GOOD" -eq $NIPS ] ||
    { echo "bench/dns: $NIPS addresses: only $GOOD complete answers" >&2; exit 2; }

# The queries of one run of each, counted by a second, verbose server (its logging would slow
# the timed runs).
dnsd_stop
start_dnsd --verbose
"$BIN" check ip --dns-server "$DNS" --json 198.18.0.1 >/dev/null
Q1=$(queries)
"$BIN" check ip --dns-server "$DNS" --json - <"$TMP/ips" >/dev/null
QN=$(($(queries) - Q1))

status=0
ratio1=$(awk -v a="$T1" -v d="$DELAY" 'BEGIN { printf "%.2f", a / d }')
ration=$(awk -v a="$TN" -v b="$T1" 'BEGIN { printf "%.2f", a / b }')
echo "bench/dns: test DNS server delaying every answer by $DELAY ms; $NZONES default blocklists,"
echo "           each address listed everywhere (TXT asked) and with a PTR name (A asked)"
printf '  1 address:      %6d ms  = %5s x the delay     (target < 3)   ' "$T1" "$ratio1"
if [ "$T1" -lt $((3 * DELAY)) ]; then echo ok; else echo MISSED; status=1; fi
printf '  %d addresses: %6d ms  = %5s x one address   (target <= 10) ' $NIPS "$TN" "$ration"
if [ "$TN" -le $((10 * T1)) ]; then echo ok; else echo MISSED; status=1; fi
per=$(awk -v a="$TN" -v n=$NIPS 'BEGIN { printf "%.2f", a / n }')
echo "  ($per ms per address; runs: $(tr '\n' ' ' <"$TMP/t1")/ $(tr '\n' ' ' <"$TMP/tn"))"
echo "  DNS queries in one run: $Q1 for 1 address, $QN for $NIPS addresses"
exit $status
