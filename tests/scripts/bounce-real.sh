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
# (auto-replies, challenges, success notices) that gave a hard bounce. A label of "undefined"
# accepts "onhold" and the other way round: Sisimai's two names for a reason it cannot tell.
# It fails when a tune-half file is not right (recipient, reason, hard-bounce flag, a record
# for every bounce) unless its entry in expected.json says why not ("known": "..."), when a
# tune-half good address is flagged hard, or when a file with a "known" line is now right (the
# line is stale: remove it). The held half only prints its figures (-v: its misses
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
list=
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
    list="$list $name"
done
MXD_SCRIPTS=$(cd "$(dirname "$0")" && pwd) /usr/bin/python3 - "$ROOT" "$TMP" "$VERBOSE" $list <<'PY' || fail=1
import json, os, sys
sys.path.insert(0, os.environ["MXD_SCRIPTS"])
from testkit import half, records_by_file  # noqa: E402
root, tmp, verbose = sys.argv[1], sys.argv[2], sys.argv[3] == '-v'

KEYS = ('files', 'bounces', 'found', 'nrec', 'rok', 'tp', 'flagged', 'want', 'norec', 'extra',
        'nonhard')
total = {h: dict.fromkeys(KEYS, 0) for h in ('tune', 'held')}
# hard bounces of the labels read soft, per half, counted by the reason mxdiag gave (a figure
# of what the misses are, without their files: the held half's are not read one by one)
soft_by = {h: {} for h in ('tune', 'held')}
false_by = {h: {} for h in ('tune', 'held')}  # (the same for good addresses read hard)
fail = 0


def line(name, h, c):
    return ('%s %s half (%d files, %d bounces): recipients found %d/%d, reason ok %d/%d, '
            'hardbounce precision=%.3f (%d/%d) recall=%.3f (%d/%d), bounces without a record %d, '
            'records not in the labels %d, non-bounces flagged hard %d' % (
                name, h, c['files'], c['bounces'], c['found'], c['nrec'], c['rok'], c['nrec'],
                c['tp'] / max(c['flagged'], 1), c['tp'], c['flagged'], c['tp'] / max(c['want'], 1),
                c['tp'], c['want'], c['norec'], c['extra'], c['nonhard']))


for name in sys.argv[4:]:
    exp = json.load(open(os.path.join(root, name, 'expected.json')))
    recs = records_by_file(os.path.join(tmp, name + '.jsonl'))
    for h in ('tune', 'held'):
        c = dict.fromkeys(KEYS, 0)
        part = [e for e in exp if half(e['file']) == h]
        c['files'] = len(part)
        for e in part:
            got = recs.get(e['file'], [])
            known = e.get('known')
            bad = []
            if e.get('kind', 'bounce') == 'bounce':
                c['bounces'] += 1
                if not got:
                    c['norec'] += 1
                    bad.append('no record')
            elif any(g.get('hardbounce') for g in got):
                c['nonhard'] += 1
                bad.append('a %s gave a hard bounce' % e.get('kind'))
            wanted = set(w['recipient'].lower() for w in e['records'])
            c['extra'] += len([g for g in got if g.get('recipient', '').lower() not in wanted])
            for w in e['records']:
                c['nrec'] += 1
                c['want'] += w['hardbounce']
                g = [x for x in got if x.get('recipient', '').lower() == w['recipient'].lower()]
                if not g:
                    bad.append('%s not found' % w['recipient'])
                    continue
                g = g[0]
                c['found'] += 1
                # (Sisimai's two names for a reason it cannot tell: either fits a label of one)
                ok = g.get('reason') in w['reasons'] or (
                    g.get('reason') in ('onhold', 'undefined') and
                    ('onhold' in w['reasons'] or 'undefined' in w['reasons']))
                c['rok'] += ok
                hard = int(bool(g.get('hardbounce')))
                c['flagged'] += hard
                c['tp'] += hard and w['hardbounce']
                if w['hardbounce'] and not hard:
                    r = g.get('reason') or '?'
                    soft_by[h][r] = soft_by[h].get(r, 0) + 1
                if hard and not w['hardbounce']:
                    r = '%s for %s' % (g.get('reason'), w['reasons'][0])
                    false_by[h][r] = false_by[h].get(r, 0) + 1
                    bad.append('%s: a good address flagged hard (reason %s)' % (w['recipient'],
                                                                              g.get('reason')))
                    if h == 'tune':
                        print('FAIL: %s/%s: a good address flagged hard' % (name, e['file']))
                        fail = 1
                elif not ok or hard != w['hardbounce']:
                    bad.append('%s: reason %s (want %s) hardbounce %d (want %d)' % (
                        w['recipient'], g.get('reason'), '|'.join(w['reasons']), hard,
                        w['hardbounce']))
            if not bad and known and h == 'tune':
                print('FAIL: %s/%s: right now: its "known" line is stale, remove it' % (
                    name, e['file']))
                fail = 1
            elif bad and h == 'tune' and not known:
                print('FAIL: %s/%s: %s' % (name, e['file'], '; '.join(bad)))
                fail = 1
            elif bad and (verbose or h == 'tune'):
                print('note: %s/%s (%s%s): %s' % (name, e['file'], h,
                                                  ', known: ' + known if known else '',
                                                  '; '.join(bad)))
        print(line(name, h, c))
        for k in KEYS:
            total[h][k] += c[k]
for h in ('tune', 'held'):
    print(line('all', h, total[h]))
for h in ('tune', 'held'):
    print('all %s half: label hard, read soft, by reason: %s' % (h, ', '.join(
        '%s %d' % (r, n) for r, n in sorted(soft_by[h].items(), key=lambda x: (-x[1], x[0])))
        or 'none'))
    print('all %s half: label soft, read hard, by reason (ours for the label\'s): %s' % (
        h, ', '.join('%s %d' % (r, n) for r, n in sorted(false_by[h].items(),
                                                         key=lambda x: (-x[1], x[0]))) or 'none'))
sys.exit(fail)
PY
exit $fail
