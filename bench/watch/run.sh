#!/bin/sh
# run.sh - bench/watch: 1,000 IPs on the default blocklists every 15 minutes against the test
# DNS server, a simulated week, a year of history on the dashboard
# SPDX-License-Identifier: MIT
#
# usage: bench/watch/run.sh [BUILD_DIR] [ROUNDS] [WEEK_IPS] [WEEK_ROUNDS]
#
# Starts tests/dnsd on a zone with the blocklists' test entries and a forward-confirmed PTR
# for each of 1,000 addresses of 198.18.0.0/15 (10 of them listed on SpamCop), compiles
# bench/watch/bench.c against BUILD_DIR/libmxdiag.a and runs it:
#   ROUNDS (default 4) rounds over the 1,000 IPs, 15 simulated minutes apart: CPU and wall
#     time per round, DNS queries, the share of a core and the query rate that makes;
#   WEEK_ROUNDS (default 672: a week) rounds over WEEK_IPS (default 100) IPs: memory and
#     database size after one round, a day, the week;
#   a year of history: render time of the dashboard, /metrics and /api/status;
# then the real daemon serving that year: 21 GETs of / with curl, the median.
# The Python test server answers about 10,000 queries a second on one core: it, not mxdiag,
# sets the wall time of a round. Prints figures; fails only when a run fails.
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build}
ROUNDS=${2:-4}
WEEK_IPS=${3:-100}
WEEK_ROUNDS=${4:-672}
LIB=$BUILD/libmxdiag.a
[ -f "$LIB" ] || { echo "bench/watch: no $LIB (run make first)" >&2; exit 2; }
TMP=$(mktemp -d)
WPID=""
. "$SRC/tests/dnsd/start.sh"
trap 'dnsd_stop; [ -n "$WPID" ] && kill $WPID 2>/dev/null; rm -rf "$TMP"' EXIT INT TERM

python3 - "$TMP" <<'PY'
import sys
d = sys.argv[1]
with open(d + "/bench.zone", "w") as z:
    for i in range(1000):
        ip = "198.18.%d.%d" % (i // 250, i % 250 + 1)
        name = "mta%d.bench.example" % i
        z.write("%s PTR %s\n%s A %s\n" % (ip, name, name, ip))
        if i % 100 == 0:
            rev = ".".join(reversed(ip.split(".")))
            z.write("%s.bl.spamcop.net A 127.0.0.2\n" % rev)
with open(d + "/ips1000", "w") as f:
    f.write(";".join("198.18.%d.%d" % (i // 250, i % 250 + 1) for i in range(1000)))
PY
dnsd_start "$TMP" --zone "$TMP/bench.zone" --zone "$SRC/tests/dnsd/dnsbl-test-entries.zone"
week_ips=$(cut -d';' -f1-"$WEEK_IPS" "$TMP/ips1000")
for c in 1000 week; do
    ips=$(cat "$TMP/ips1000")
    [ $c = week ] && ips=$week_ips
    cat >"$TMP/$c.conf" <<CONF
[general]
db = $TMP/$c.db
dns-servers = $DNSD
dns-timeout-ms = 5000
listen = none
[ips]
watch = $ips
budget = 100000
CONF
done

${CC:-cc} -O2 -I"$SRC/include" -I"$BUILD/include" -I"$SRC/lib" $(pkg-config --cflags glib-2.0) \
    -o "$TMP/bench-watch" "$SRC/bench/watch/bench.c" "$LIB" \
    $(pkg-config --libs jansson libcares libcrypto libpsl) -lpthread -ldl
echo "== bench/watch ($(uname -m), $(nproc) CPUs; budget 100,000 queries a list a day) =="
"$TMP/bench-watch" "$TMP/1000.conf" "$TMP/week.conf" "$TMP/year.db" "$ROUNDS" "$WEEK_ROUNDS" \
    2>"$TMP/bench.err" || { cat "$TMP/bench.err"; exit 1; }

# the real daemon serving the year: GET / 21 times
cat >"$TMP/serve.conf" <<CONF
[general]
db = $TMP/year.db
listen = 127.0.0.1:0
CONF
"$BUILD/mxdiag" watch --config "$TMP/serve.conf" 2>"$TMP/serve.err" &
WPID=$!
i=0
while ! grep -q "listening on" "$TMP/serve.err" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
addr=$(sed -n 's|.*listening on http://\([^/]*\)/.*|\1|p' "$TMP/serve.err")
for i in $(seq 21); do
    curl -s -o /dev/null -w '%{time_total}\n' "http://$addr/"
done | sort -n | sed -n 11p | awk '{printf "year: GET / from the daemon in %.1f ms (median of 21, curl time_total)\n", $1 * 1000}'
