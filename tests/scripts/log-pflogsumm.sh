#!/bin/sh
# log-pflogsumm.sh - differential test: `mxdiag log --json` against pflogsumm on the same logs.
# SPDX-License-Identifier: MIT
#
# usage: log-pflogsumm.sh MXDIAG   (exit 77 when pflogsumm or ../shared is absent)
#
# Compared where the definitions agree: received, delivered, forwarded, deferred (messages),
# deferrals (lines), bounced, rejected, and per recipient domain the sent and deferral counts
# ("Host/Domain Summary: Message Delivery"). Intended differences, not compared:
#   - expired: pflogsumm has no such count;
#   - instances: pflogsumm reads only the syslog name "postfix" (and postfix/smtps,
#     postfix/submission) unless told --syslog-name; mxdiag reads every postfix* instance, so
#     the fixture with a postfix-out instance is compared with --syslog-name=postfix-out;
#   - bounced per domain: pflogsumm keys bounces by relay, not by domain;
#   - Postfix 3.12's ", tls=..." between delays= and dsn= hides the line from pflogsumm 1.1.5's
#     delivery pattern; mxdiag skips fields it does not know. The fixture has one such line:
#     it is compared with the tls= field removed, and mxdiag is checked to count it either way.
set -u
BIN=$1
SRC=${MXD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SHARED=${MXD_SHARED_DIR:-$SRC/../shared}
PFLOGSUMM=$(command -v pflogsumm || true)
if [ -z "$PFLOGSUMM" ]; then
    echo "SKIP: pflogsumm is not installed (scripts/install-deps installs it)"
    exit 77
fi
LOG=$SHARED/corpus/logs/postfix/pixelpark-helga-2023-03-14-15.log.xz
if [ ! -f "$LOG" ]; then
    echo "SKIP: $LOG is absent (this test needs ../shared)"
    exit 77
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
fail=0

# compare NAME LOGFILE [pflogsumm options]
compare() {
    name=$1
    file=$2
    shift 2
    "$BIN" log --year 2026 --json "$file" >"$TMP/$name.json" || {
        echo "FAIL: $name: mxdiag log exited $?"
        fail=1
        return
    }
    "$PFLOGSUMM" "$@" "$file" >"$TMP/$name.pfl" 2>"$TMP/$name.err" || {
        echo "FAIL: $name: pflogsumm exited $?"
        cat "$TMP/$name.err"
        fail=1
        return
    }
    /usr/bin/python3 - "$name" "$TMP/$name.json" "$TMP/$name.pfl" <<'EOF' || fail=1
import json, re, sys
name, jpath, ppath = sys.argv[1:4]
m = json.load(open(jpath))
text = open(ppath).read()
def grand(label):
    r = re.search(r"^\s*(\d+)([km]?)\s+" + re.escape(label) + r"\b", text, re.M)
    if not r:
        return None
    return int(r.group(1)) * {"": 1, "k": 1024, "m": 1048576}[r.group(2)]
want = {
    "received": grand("received"), "delivered": grand("delivered"),
    "forwarded": grand("forwarded"), "deferred": grand("deferred"),
    "bounced": grand("bounced"), "rejected": grand("rejected"),
}
r = re.search(r"\((\d+)\s*deferrals\)", text)
want["deferrals"] = int(r.group(1)) if r else 0
bad = 0
for k, v in want.items():
    got = m["totals"][k]
    ok = v == got
    bad += not ok
    print("%-10s %-10s pflogsumm %6s  mxdiag %6s  %s" % (name, k, v, got, "ok" if ok else "DIFFER"))
# per recipient domain: sent count and deferrals
sec = re.search(r"Host/Domain Summary: Message Delivery\s*\n-+\n(.*?)\n\n", text, re.S)
pdom = {}
if sec:
    for line in sec.group(1).splitlines():
        f = line.split()
        if len(f) >= 6 and f[0].isdigit():
            pdom[f[-1]] = (int(f[0]), int(f[2]))
mdom = {d["domain"]: (d["delivered"], d["deferrals"]) for d in m["domains"]
        if d["delivered"] or d["deferrals"]}
for d in sorted(set(pdom) | set(mdom)):
    ok = pdom.get(d) == mdom.get(d)
    bad += not ok
    if not ok:
        print("%-10s domain %s: pflogsumm %s mxdiag %s DIFFER" % (name, d, pdom.get(d), mdom.get(d)))
print("%-10s %d recipient domains compared, %s" % (name, len(pdom), "all agree" if not bad else "%d differ" % bad))
sys.exit(1 if bad else 0)
EOF
}

xz -dc "$LOG" >"$TMP/pixelpark.log"
compare pixelpark "$TMP/pixelpark.log"
sed 's/, tls=[^,]*//' "$SRC/tests/fixtures/logs/postfix-newyear.log" >"$TMP/fixture.log"
compare fixture "$TMP/fixture.log" --syslog-name=postfix-out
"$BIN" log --year 2026 --json "$SRC/tests/fixtures/logs/postfix-newyear.log" >"$TMP/tls.json"
if ! cmp -s "$TMP/tls.json" "$TMP/fixture.json"; then
    echo "FAIL: with tls= the fixture reads differently"
    fail=1
fi
[ $fail = 0 ] && echo "PASS: mxdiag log and pflogsumm agree"
exit $fail
