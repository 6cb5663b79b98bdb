#!/bin/sh
# dnsbl-test-entries.sh - every blocklist of data/dnsbl.tsv has its test entry in
# tests/dnsd/dnsbl-test-entries.zone (the shared zone the CLI and unit tests serve), and
# mxdiag finds every IP list of the catalogue healthy against it
# SPDX-License-Identifier: MIT
#
# usage: dnsbl-test-entries.sh MXDIAG
# A list added to the catalogue without its test entry here would turn every test that asks
# it into an error (the health probe fails); this says which entry is missing instead.
set -u
BIN=$1
SRC=${MXD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
TSV=$SRC/data/dnsbl.tsv
ZONE=$SRC/tests/dnsd/dnsbl-test-entries.zone
# ::ffff:127.0.0.2 in nibbles, for lists of IPv6 addresses only
V6=2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0
fail=0
names=$(awk -F'\t' -v v6="$V6" '
    /^#/ || NF == 0 { next }
    !head { for (i = 1; i <= NF; i++) col[$i] = i; head = 1; next }
    {
        zone = $col["zone"]; test = $col["test"]
        if (test == "none") next
        # a list that needs a key is asked with the key "testkey" (see below)
        if (substr(zone, 1, 4) == "KEY.") zone = "testkey." substr(zone, 5)
        if ($col["type"] == "ip")
            print ($col["ipv"] == "6" ? v6 : "2.0.0.127") "." zone
        else
            print (test == "rfc5782" ? "test" : test) "." zone
    }' "$TSV")
[ -n "$names" ] || { echo "FAIL: no list read from $TSV"; exit 1; }
n=0
for name in $names; do
    n=$((n + 1))
    if ! awk -v want="$name" 'tolower($1) == tolower(want) && toupper($2) == "A" { found = 1 }
                               END { exit !found }' "$ZONE"; then
        echo "FAIL: $ZONE has no A record for $name"
        fail=1
    fi
done

# End to end: every IP list of the catalogue passes its probe against that zone alone.
. "$SRC/tests/dnsd/start.sh"
TMP=$(mktemp -d)
cleanup() {
    dnsd_stop
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
if [ ! -x /usr/bin/python3 ]; then
    echo "SKIP: /usr/bin/python3 is needed for the test DNS server"
    exit 77
fi
dnsd_start "$TMP" --zone "$ZONE" || { echo "FAIL: dnsd did not start"; exit 1; }
# the kinds of key the lists without a keyless zone need: --KIND-key testkey for each
keys=$(awk -F'\t' '
    /^#/ || NF == 0 { next }
    !head { for (i = 1; i <= NF; i++) col[$i] = i; head = 1; next }
    substr($col["zone"], 1, 4) == "KEY." { print "--" $col["key"] "-key testkey" }' "$TSV" | sort -u)
# shellcheck disable=SC2086 # $keys is option words
"$BIN" check ip --dns-server "$DNSD" --lists all --no-txt --json $keys \
    192.0.2.99 2001:db8::99 >"$TMP/out"
for bad in '"probe":"failed"' '"probe":"unknown"' '"result":"error"'; do
    if grep -q "$bad" "$TMP/out"; then
        echo "FAIL: a list is not healthy against $ZONE ($bad):"
        tr '{' '\n' <"$TMP/out" | grep "$bad"
        fail=1
    fi
done
passed=$(grep -o '"probe":"passed"' "$TMP/out" | wc -l)
[ "$passed" -gt 0 ] || { echo "FAIL: no list was probed"; fail=1; }
[ $fail = 0 ] && echo "PASS: $n test entries present; $passed IP-list probes passed"
exit $fail
