#!/bin/sh
# bounce-split.sh - score `mxdiag bounce` on the two halves of ../shared/corpus/bounces apart:
# the "tune" half (rules may be fitted to it) and the "held" half (measure only, never read to
# write a rule), so a fit to the corpus shows as a gap between the two.
# SPDX-License-Identifier: MIT
#
# usage: bounce-split.sh MXDIAG [tune|held|list-tune|list-held]
#   (no half: both; list-*: print the half's file names; exit 77 when the corpus is absent)
#
# The split is deterministic and does not depend on the files' contents: a file is in the
# "held" half when the first hex digit of the MD5 of its base name ("lhost-exim-01.eml") is
# 8-f, else in the "tune" half. Per half it prints score-bounces' figures (status, replycode,
# reason, exact) and the hard-bounce flag's precision and recall (per file, the number of
# records flagged hard by both, over the number flagged by mxdiag / by the expected records).
set -u
BIN=$1
WHICH=${2:-both}
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

case $WHICH in
list-tune | list-held) ;;
*)
    "$BIN" bounce --jsonl "$CORPUS/maildir" > "$TMP/records.jsonl" || {
        echo "FAIL: mxdiag bounce exited $?"
        exit 1
    }
    ;;
esac
MXD_SCRIPTS=$(cd "$(dirname "$0")" && pwd) /usr/bin/python3 - "$CORPUS/expected.json" "$TMP" "$WHICH" "$SCORE" <<'PY'
import json, os, subprocess, sys
sys.path.insert(0, os.environ["MXD_SCRIPTS"])
from testkit import half, records_by_file  # noqa: E402
exp_path, tmp, which, score = sys.argv[1:5]
exp = json.load(open(exp_path))

if which.startswith('list-'):
    for e in exp:
        if half(e['file']) == which[5:]:
            print(e['file'])
    sys.exit(0)
recs = records_by_file(os.path.join(tmp, 'records.jsonl'), raw=True)
for h in ('tune', 'held'):
    if which not in ('both', h):
        continue
    part = [e for e in exp if half(e['file']) == h]
    ep = os.path.join(tmp, h + '.json')
    rp = os.path.join(tmp, h + '.jsonl')
    json.dump(part, open(ep, 'w'))
    with open(rp, 'w') as o:
        for e in part:
            o.writelines(recs.get(e['file'], []))
    out = subprocess.run(['/usr/bin/python3', score, ep, rp], stdout=subprocess.PIPE,
                         universal_newlines=True).stdout.strip().splitlines()
    tp = flagged = want = 0
    for e in part:
        w = sum(1 for x in e['records'] if x.get('hardbounce'))
        g = sum(1 for x in recs.get(e['file'], []) if json.loads(x).get('hardbounce'))
        tp += min(w, g)
        flagged += g
        want += w
    # what the hard-flag misses are, counted by reason (ours; for a good address read hard,
    # ours for the label's), without naming their files: the held half's are not read one by
    # one
    soft_by, false_by = {}, {}
    for e in part:
        got = [json.loads(x) for x in recs.get(e['file'], [])]
        by_rcpt = dict((r.get('recipient', '').lower(), r) for r in got)
        for i, x in enumerate(e['records']):
            # (a label without its recipient: the record in the same place)
            r = (by_rcpt.get(x['recipient'].lower()) if x.get('recipient') else
                 got[i] if i < len(got) else None)
            if not r:
                continue
            if x.get('hardbounce') and not r.get('hardbounce'):
                soft_by[r.get('reason')] = soft_by.get(r.get('reason'), 0) + 1
            elif r.get('hardbounce') and not x.get('hardbounce'):
                k = '%s for %s' % (r.get('reason'), x.get('reason'))
                false_by[k] = false_by.get(k, 0) + 1
    print('%s half (%d files): %s' % (h, len(part), out[-1] if out else '?'))
    print('%s half: %s; hardbounce precision=%.3f (%d/%d) recall=%.3f (%d/%d)' % (
        h, out[0] if out else '?', tp / max(flagged, 1), tp, flagged, tp / max(want, 1), tp,
        want))
    for what, d in (('label hard, read soft', soft_by),
                    ("label soft, read hard (ours for the label's)", false_by)):
        print('%s half: %s, by reason: %s' % (h, what, ', '.join(
            '%s %d' % (k, n) for k, n in sorted(d.items(), key=lambda x: (-x[1], x[0])))
            or 'none'))
PY
