#!/bin/sh
# bounce-corpus.sh - score `mxdiag bounce` on ../shared/corpus/bounces against the records
# Sisimai's test suite expects (../shared/tools/score-bounces); fail below the targets.
# SPDX-License-Identifier: MIT
#
# usage: bounce-corpus.sh MXDIAG     (exit 77 when the shared corpus is absent)
# Targets (issue 3): status >= 0.95, reason >= 0.90, exact records >= 0.85, and every file
# with an expected record yields at least one record.
set -u
BIN=$1
SRC=${MXD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SHARED=${MXD_SHARED_DIR:-$SRC/../shared}
CORPUS=$SHARED/corpus/bounces
SCORE=$SHARED/tools/score-bounces
if [ ! -d "$CORPUS/maildir" ] || [ ! -f "$CORPUS/expected.json" ] || [ ! -f "$SCORE" ]; then
    echo "SKIP: $CORPUS or $SCORE is absent"
    exit 77
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

"$BIN" bounce --jsonl "$CORPUS/maildir" > "$TMP/records.jsonl"
rc=$?
if [ $rc -ne 0 ]; then
    echo "FAIL: mxdiag bounce exited $rc"
    exit 1
fi
/usr/bin/python3 "$SCORE" "$CORPUS/expected.json" "$TMP/records.jsonl" > "$TMP/score.txt" || {
    echo "FAIL: score-bounces failed"; cat "$TMP/score.txt"; exit 1; }
cat "$TMP/score.txt"

# every file with an expected record must yield a record
/usr/bin/python3 - "$CORPUS/expected.json" "$TMP/records.jsonl" <<'PY' || exit 1
import json, os, re, sys
exp = json.load(open(sys.argv[1]))
got = set()
for line in open(sys.argv[2], encoding='utf-8', errors='replace'):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    got.add(os.path.basename(re.sub(r':\d+$', '', str(r.get('source', '')))))
missing = sorted(e['file'] for e in exp if e['records'] and e['file'] not in got)
print('files with an expected record and no record: %d%s' % (len(missing), (' ' + ' '.join(missing)) if missing else ''))
sys.exit(1 if missing else 0)
PY

line=$(tail -n 1 "$TMP/score.txt")
status=$(echo "$line" | sed -n 's/.* status=\([0-9.]*\).*/\1/p')
reason=$(echo "$line" | sed -n 's/.* reason=\([0-9.]*\).*/\1/p')
exact=$(echo "$line" | sed -n 's/.* exact=\([0-9.]*\).*/\1/p')
if [ -z "$status" ] || [ -z "$reason" ] || [ -z "$exact" ]; then
    echo "FAIL: cannot read the score line: $line"
    exit 1
fi
fail=0
awk -v s="$status" 'BEGIN { exit !(s >= 0.95) }' || { echo "FAIL: status $status < 0.95"; fail=1; }
awk -v r="$reason" 'BEGIN { exit !(r >= 0.90) }' || { echo "FAIL: reason $reason < 0.90"; fail=1; }
awk -v e="$exact" 'BEGIN { exit !(e >= 0.85) }' || { echo "FAIL: exact $exact < 0.85"; fail=1; }
[ $fail -eq 0 ] && echo "PASS: status $status >= 0.95, reason $reason >= 0.90, exact $exact >= 0.85"
exit $fail
