#!/bin/sh
# bounce-ext.sh - `mxdiag bounce` on tests/fixtures/bounces/ext: bounces built from reply lines
# that MTAs and providers document (cases.tsv, gen.py, tests/SOURCES.md), each with the right
# recipient, the acceptable reasons and the hard-bounce flag.
# SPDX-License-Identifier: MIT
#
# usage: bounce-ext.sh MXDIAG [-v]
# The fixtures are split as the shared corpus is (bounce-split.sh): a file is in the "held"
# half when the first hex digit of the MD5 of its name is 8-f, else in the "tune" half. Rules
# may be written from the tune half only; the held half is measured. Per half it prints the
# files whose recipient was found, the records whose reason is acceptable, the hard-bounce
# precision and recall, and the extra records. It fails when a tune-half file is not right
# (recipient, reason, hard-bounce flag), or when any file (either half) has a record flagged
# hard that should be soft (a suppressed good address) or yields no record at all.
set -u
BIN=$1
VERBOSE=${2:-}
SRC=${MXD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
DIR=$SRC/tests/fixtures/bounces/ext
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

"$BIN" bounce --jsonl "$DIR" > "$TMP/records.jsonl" || {
    echo "FAIL: mxdiag bounce exited $?"
    exit 1
}
MXD_SCRIPTS=$(cd "$(dirname "$0")" && pwd) /usr/bin/python3 - "$DIR/expected.json" "$TMP/records.jsonl" "$VERBOSE" <<'PY'
import json, os, sys
sys.path.insert(0, os.environ["MXD_SCRIPTS"])
from testkit import half, records_by_file  # noqa: E402
exp = json.load(open(sys.argv[1]))
verbose = sys.argv[3] == '-v'
recs = records_by_file(sys.argv[2])

fail = 0
for h in ('tune', 'held'):
    part = [e for e in exp if half(e['file']) == h]
    files = found = nrec = rok = tp = flagged = want = extra = norec = 0
    for e in part:
        files += 1
        got = recs.get(e['file'], [])
        if not got:
            norec += 1
        extra += max(0, len(got) - len(e['records']))
        for w in e['records']:
            nrec += 1
            g = [x for x in got if x.get('recipient', '').lower() == w['recipient'].lower()]
            want += w['hardbounce']
            if not g:
                bad = 'recipient not found'
            else:
                g = g[0]
                found += 1
                ok_reason = g.get('reason') in w['reasons']
                rok += ok_reason
                hard = int(bool(g.get('hardbounce')))
                flagged += hard
                tp += hard and w['hardbounce']
                bad = None
                if not ok_reason or hard != w['hardbounce']:
                    bad = 'reason %s (want %s) hardbounce %d (want %d)' % (
                        g.get('reason'), '|'.join(w['reasons']), hard, w['hardbounce'])
                if hard and not w['hardbounce']:
                    print('FAIL: %s (%s half): a good address flagged hard' % (e['file'], h))
                    fail = 1
            if bad and h == 'tune':
                print('FAIL: %s: %s' % (e['file'], bad))
                fail = 1
            elif bad and verbose:
                print('note: %s (held): %s' % (e['file'], bad))
    if norec:
        print('FAIL: %s half: %d file(s) without a record' % (h, norec))
        fail = 1
    print('%s half (%d files): recipients found %d/%d, reason ok %d/%d, hardbounce precision='
          '%.3f (%d/%d) recall=%.3f (%d/%d), extra records %d' % (
              h, files, found, nrec, rok, nrec, tp / max(flagged, 1), tp, flagged,
              tp / max(want, 1), tp, want, extra))
sys.exit(fail)
PY
