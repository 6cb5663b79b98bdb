#!/bin/sh
# bounce-real.sh - `mxdiag bounce` on real bounces from other bounce parsers' test suites
# (tests/fixtures/bounces/real/*/, each with its expected.json and a LICENSE-NOTE.txt; where
# they come from: tests/SOURCES.md), labelled by reading each message, not by running a parser.
# SPDX-License-Identifier: MIT
#
# usage: bounce-real.sh MXDIAG [-v]
# Each corpus is split as the shared corpus is (bounce-split.sh): a file is in the "held" half
# when the first hex digit of the MD5 of its name is 8-f, else in the "tune" half. Rules may be
# written from the tune half only; the held half is measured, never read to write a rule.
# Per corpus and half it prints: recipients found, reasons acceptable, hard-bounce precision and
# recall, bounce files without a record, records the labels do not have, and non-bounces
# (auto-replies, challenges, success notices) that gave a hard bounce.
# It fails when a tune-half file is not right (recipient, reason, hard-bounce flag, a record
# for every bounce) unless its entry in expected.json says why not ("known": "..."), or when a
# tune-half good address is flagged hard. The held half only prints its figures (-v: its misses
# per file too), so that fixing a miss never starts from reading a held file.
set -u
BIN=$1
VERBOSE=${2:-}
SRC=${MXD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
ROOT=$SRC/tests/fixtures/bounces/real
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
[ -d "$ROOT" ] || {
    echo "SKIP: $ROOT is absent"
    exit 77
}
fail=0
for dir in "$ROOT"/*/; do
    name=$(basename "$dir")
    [ -f "$dir/expected.json" ] || continue
    "$BIN" bounce --jsonl "$dir" > "$TMP/$name.jsonl" 2> "$TMP/$name.err"
    rc=$?
    # 65 (EX_DATAERR) is "some input was not a bounce": the records of the rest are out
    if [ $rc -ne 0 ] && [ $rc -ne 65 ]; then
        echo "FAIL: $name: mxdiag bounce exited $rc"
        cat "$TMP/$name.err"
        fail=1
        continue
    fi
    /usr/bin/python3 - "$dir/expected.json" "$TMP/$name.jsonl" "$name" "$VERBOSE" <<'PY' || fail=1
import hashlib, json, os, re, sys
exp = json.load(open(sys.argv[1]))
name, verbose = sys.argv[3], sys.argv[4] == '-v'
recs = {}
for line in open(sys.argv[2], encoding='utf-8', errors='replace'):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    f = os.path.basename(re.sub(r':\d+$', '', str(r.get('source', ''))))
    recs.setdefault(f, []).append(r)


def half(fname):
    return 'held' if hashlib.md5(fname.encode()).hexdigest()[0] in '89abcdef' else 'tune'


fail = 0
for h in ('tune', 'held'):
    part = [e for e in exp if half(e['file']) == h]
    found = nrec = rok = tp = flagged = want = extra = norec = nbounce = nonhard = 0
    for e in part:
        got = recs.get(e['file'], [])
        known = e.get('known')
        bad = []
        if e.get('kind', 'bounce') == 'bounce':
            nbounce += 1
            if not got:
                norec += 1
                bad.append('no record')
        elif any(g.get('hardbounce') for g in got):
            nonhard += 1
            bad.append('a %s gave a hard bounce' % e.get('kind'))
        wanted = set(w['recipient'].lower() for w in e['records'])
        extra += len([g for g in got if g.get('recipient', '').lower() not in wanted])
        for w in e['records']:
            nrec += 1
            want += w['hardbounce']
            g = [x for x in got if x.get('recipient', '').lower() == w['recipient'].lower()]
            if not g:
                bad.append('%s not found' % w['recipient'])
                continue
            g = g[0]
            found += 1
            ok = g.get('reason') in w['reasons']
            rok += ok
            hard = int(bool(g.get('hardbounce')))
            flagged += hard
            tp += hard and w['hardbounce']
            if hard and not w['hardbounce']:
                bad.append('%s: a good address flagged hard (reason %s)' % (w['recipient'],
                                                                          g.get('reason')))
                if h == 'tune':
                    print('FAIL: %s/%s: a good address flagged hard' % (name, e['file']))
                    fail = 1
            elif not ok or hard != w['hardbounce']:
                bad.append('%s: reason %s (want %s) hardbounce %d (want %d)' % (
                    w['recipient'], g.get('reason'), '|'.join(w['reasons']), hard,
                    w['hardbounce']))
        if bad and h == 'tune' and not known:
            print('FAIL: %s/%s: %s' % (name, e['file'], '; '.join(bad)))
            fail = 1
        elif bad and (verbose or h == 'tune'):
            print('note: %s/%s (%s%s): %s' % (name, e['file'], h,
                                              ', known: ' + known if known else '',
                                              '; '.join(bad)))
    print('%s %s half (%d files, %d bounces): recipients found %d/%d, reason ok %d/%d, '
          'hardbounce precision=%.3f (%d/%d) recall=%.3f (%d/%d), bounces without a record %d, '
          'records not in the labels %d, non-bounces flagged hard %d' % (
              name, h, len(part), nbounce, found, nrec, rok, nrec, tp / max(flagged, 1), tp,
              flagged, tp / max(want, 1), tp, want, norec, extra, nonhard))
sys.exit(fail)
PY
done
exit $fail
