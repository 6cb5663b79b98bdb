#!/bin/sh
# watch-http.sh - the watch daemon's HTTP server, over real HTTP: the dashboard, /metrics (checked
# by promtool), /api/..., the token, the 404 and 405 cases, and the dashboard rendered by headless
# Chromium (the DOM has the listed IP and the plots, the console no error; a screenshot is kept
# as build/tests/artefacts/watch-dashboard.png).
# SPDX-License-Identifier: MIT
#
# usage: watch-http.sh [MXDIAG]  (MXDIAG is not used: the server runs in the test driver
# build/tests/watch_http_serve, on a store it fills, until the daemon can be started here)
# Exit 77 when curl or the driver is absent; also when promtool or chromium is, after every
# other check passed (what was skipped is printed).
set -u
SRC=${MXD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${MXD_BUILD_DIR:-$SRC/build}
SERVE=$BUILD/tests/watch_http_serve
if [ ! -x "$SERVE" ]; then
    echo "SKIP: $SERVE is not built"
    exit 77
fi
if ! command -v curl >/dev/null 2>&1; then
    echo "SKIP: curl is absent"
    exit 77
fi
PROMTOOL=$(command -v promtool || true)
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)

TMP=$(mktemp -d /tmp/mxd-watch-http-XXXXXX)
PID=
cleanup() {
    if [ -n "$PID" ]; then
        kill "$PID" 2>/dev/null
        wait "$PID" 2>/dev/null
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

FAILS=0
SKIPPED=
fail() {
    echo "FAIL: $*"
    FAILS=$((FAILS + 1))
}

# serve NAME [TOKEN] - start the driver on a fresh store; ADDR gets its address.
serve() {
    "$SERVE" "$TMP/$1.db" ${2:+"$2"} >"$TMP/$1.out" 2>"$TMP/$1.err" &
    PID=$!
    ADDR=
    i=0
    while [ $i -lt 300 ]; do # a bound against a hang, not a timing check
        ADDR=$(sed -n 's/^LISTEN //p' "$TMP/$1.out")
        [ -n "$ADDR" ] && return 0
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
        i=$((i + 1))
    done
    echo "FAIL: the driver did not start:"
    cat "$TMP/$1.err"
    exit 1
}

# stop - SIGTERM: the driver stops the server and exits 0.
stop() {
    kill -TERM "$PID"
    wait "$PID"
    rc=$?
    PID=
    [ $rc -eq 0 ] || fail "the driver exited $rc after SIGTERM: $(cat "$TMP"/*.err)"
}

# expect CODE CURL-ARGS... - the status of one request.
expect() {
    want=$1
    shift
    got=$(curl -s -o "$TMP/body" -D "$TMP/head" -w '%{http_code}' "$@")
    [ "$got" = "$want" ] || fail "curl $*: status $got, expected $want"
}

# has FILE TEXT WHAT - FILE contains TEXT (fixed string).
has() {
    grep -qF -- "$2" "$1" || fail "$3: no '$2'"
}

# --- with a token ------------------------------------------------------------------------------
TOKEN=t0ken-4-watch
serve tok "$TOKEN"
U=http://$ADDR
sums() { cat "$TMP/tok.db" "$TMP/tok.db-wal" 2>/dev/null | cksum; }
BEFORE=$(sums)

expect 401 "$U/"
grep -qi '^WWW-Authenticate: Bearer' "$TMP/head" || fail "401 without WWW-Authenticate"
expect 401 "$U/metrics"
expect 401 "$U/api/status"
expect 401 "$U/healthz"
expect 401 "$U/?token=wrong"
expect 401 -H "Authorization: Bearer ${TOKEN}x" "$U/"
expect 401 -H "Authorization: Basic $TOKEN" "$U/"
expect 200 -H "Authorization: Bearer $TOKEN" "$U/"
expect 200 "$U/?token=$TOKEN"
cp "$TMP/body" "$TMP/dashboard.html"
cp "$TMP/head" "$TMP/dashboard.head"
expect 405 -X POST -H "Authorization: Bearer $TOKEN" "$U/"
grep -qi '^Allow: GET, HEAD' "$TMP/head" || fail "405 without Allow"
expect 405 -X DELETE "$U/metrics?token=$TOKEN"
expect 404 "$U/nope?token=$TOKEN"
expect 404 "$U/api/nope?token=$TOKEN"
expect 404 "$U/metrics/?token=$TOKEN"
expect 200 -I "$U/metrics?token=$TOKEN"
expect 200 "$U/healthz?token=$TOKEN"
expect 200 -H "Host: dashboard.example" "$U/healthz?token=$TOKEN" # a token: any Host
has "$TMP/body" "ok" "/healthz"

# the dashboard: for a person, self-contained, strangers' text escaped
for h in 'X-Content-Type-Options: nosniff' "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'" \
    'Cache-Control: no-store' 'Content-Type: text/html; charset=utf-8'; do
    tr -d '\r' <"$TMP/dashboard.head" | grep -qiF -- "$h" || fail "/: no header '$h'"
done
has "$TMP/dashboard.html" '<tr data-subject="192.0.2.1">' "/"
has "$TMP/dashboard.html" '192.0.2.1 is listed on spamcop' "/"
has "$TMP/dashboard.html" '&lt;script&gt;alert(1)&lt;/script&gt;' "/"
has "$TMP/dashboard.html" '<link rel="icon" href="data:,">' "/"
for p in gmail microsoft yahoo; do
    has "$TMP/dashboard.html" "<svg class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" data-provider=\"$p\"" "/"
done
if grep -qiE '<script|src=|href="http' "$TMP/dashboard.html"; then
    fail "/: the page has a script or loads something"
fi

# /metrics: the exposition format, checked by Prometheus' own linter
expect 200 "$U/metrics?token=$TOKEN"
cp "$TMP/body" "$TMP/metrics.txt"
tr -d '\r' <"$TMP/head" | grep -qiF 'Content-Type: text/plain; version=0.0.4' ||
    fail "/metrics: not text/plain; version=0.0.4"
has "$TMP/metrics.txt" 'mxdiag_dnsbl_listed{ip="192.0.2.1",list="spamcop"} 1' "/metrics"
has "$TMP/metrics.txt" 'mxdiag_log_messages_total{provider="yahoo",status="sent"}' "/metrics"
if [ -n "$PROMTOOL" ]; then
    if ! "$PROMTOOL" check metrics <"$TMP/metrics.txt" >"$TMP/promtool.out" 2>&1; then
        fail "promtool check metrics:"
        cat "$TMP/promtool.out"
    fi
else
    SKIPPED="$SKIPPED promtool"
fi

# /api: JSON with the keys promised
for p in status alerts history traffic; do
    expect 200 "$U/api/$p?token=$TOKEN"
    tr -d '\r' <"$TMP/head" | grep -qiF 'Content-Type: application/json' ||
        fail "/api/$p: not application/json"
    cp "$TMP/body" "$TMP/api-$p.json"
done
if command -v python3 >/dev/null 2>&1; then
    python3 - "$TMP" <<'PY' || fail "/api: bad JSON"
import json, sys
d = sys.argv[1]
def load(p):
    with open('%s/api-%s.json' % (d, p)) as f:
        return json.load(f)
s = load('status')
assert {'generated_at', 'checks', 'alerts'} <= set(s), s.keys()
assert any(c['key'] == 'dnsbl/192.0.2.1/spamcop' and c['state'] == 'problem' for c in s['checks'])
assert [a['title'] for a in s['alerts']] == ['192.0.2.1 is listed on spamcop'], s['alerts']
assert len(load('alerts')['alerts']) == 2
assert load('history')['history']
t = load('traffic')
assert {r['provider'] for r in t['totals']} == {'gmail', 'microsoft', 'yahoo'}, t['totals']
assert all(set(r) >= {'hour', 'provider', 'sent', 'deferred', 'bounced'} for r in t['hours'])
PY
else
    SKIPPED="$SKIPPED python3"
fi

[ "$(sums)" = "$BEFORE" ] || fail "the database changed while serving requests"

# --- headless Chromium: the page as a person's browser shows it ---------------------------------
ART=$BUILD/tests/artefacts
SHOT=$ART/watch-dashboard.png
if [ -n "$CHROMIUM" ]; then
    mkdir -p "$ART" "$TMP/home"
    rm -f "$SHOT"
    chrome() {
        HOME=$TMP/home timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
            --user-data-dir="$TMP/profile" --no-first-run --enable-logging=stderr --v=0 "$@"
    }
    chrome --dump-dom "$U/?token=$TOKEN" >"$TMP/dom.html" 2>"$TMP/dom.err" ||
        fail "chromium --dump-dom exited $?: $(tail -5 "$TMP/dom.err")"
    has "$TMP/dom.html" '192.0.2.1' "the DOM"
    has "$TMP/dom.html" 'id="alerts"' "the DOM"
    n=$(grep -o '<svg class="plot"' "$TMP/dom.html" | wc -l)
    [ "$n" -eq 9 ] || fail "the DOM has $n plots, expected 9 (3 providers x 3)"
    chrome --screenshot="$SHOT" --window-size=1280,2000 "$U/?token=$TOKEN" \
        >"$TMP/shot.out" 2>"$TMP/shot.err" || fail "chromium --screenshot exited $?"
    if [ -s "$SHOT" ] && [ "$(head -c 4 "$SHOT" | tail -c 3)" = "PNG" ]; then
        echo "screenshot: $SHOT"
    else
        fail "no screenshot at $SHOT"
    fi
    # the console: no message from the page (no error, no refused resource, no CSP report)
    if grep -hE 'CONSOLE|Uncaught|Refused to|Content Security Policy' "$TMP/dom.err" \
        "$TMP/shot.err" >"$TMP/console"; then
        fail "the browser console is not empty:"
        cat "$TMP/console"
    fi
else
    SKIPPED="$SKIPPED chromium"
fi
stop

# --- without a token (loopback): every request is served ... ------------------------------------
serve open
expect 200 "http://$ADDR/"
expect 200 "http://$ADDR/metrics"
expect 200 "http://$ADDR/api/traffic"
expect 405 -X PUT "http://$ADDR/"
# ... whose Host is the loopback itself: a page rebinding its name to 127.0.0.1 is refused
expect 200 -H "Host: localhost:9325" "http://$ADDR/"
expect 200 -H "Host: 127.0.0.2" "http://$ADDR/metrics"
expect 200 -H "Host: [::1]:9325" "http://$ADDR/api/status"
expect 403 -H "Host: rebind.example" "http://$ADDR/"
expect 403 -H "Host: rebind.example:9325" "http://$ADDR/api/status"
expect 403 -H "Host: 192.0.2.1:9325" "http://$ADDR/metrics"
expect 403 -H "Host: [::1]x" "http://$ADDR/"
expect 403 -H "Host: localhost.rebind.example" "http://$ADDR/"
stop

if [ $FAILS -ne 0 ]; then
    echo "$FAILS failure(s)"
    exit 1
fi
if [ -n "$SKIPPED" ]; then
    echo "SKIP: absent:$SKIPPED (every other check passed)"
    exit 77
fi
echo "ok"
exit 0
