#!/bin/sh
# one-verdict.sh - `mxdiag bounce` and `mxdiag diagnose` give one verdict per input: over the
# whole bounce corpus (../shared/corpus/bounces/maildir), the record diagnose explains (the first
# that is not "delivered") has the same status, reason and provider in both commands' JSON.
# SPDX-License-Identifier: MIT
#
# usage: one-verdict.sh MXDIAG     (exit 77 when the shared corpus is absent)
# Issue 10 item 4: on 0412cf0 the two disagreed on 99 of 276 files.
set -u
BIN=$1
SRC=${MXD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SHARED=${MXD_SHARED_DIR:-$SRC/../shared}
CORPUS=$SHARED/corpus/bounces/maildir
if [ ! -d "$CORPUS" ]; then
    echo "SKIP: $CORPUS is absent"
    exit 77
fi
/usr/bin/python3 - "$BIN" "$CORPUS" <<'PY'
import json, os, subprocess, sys

mxdiag, corpus = sys.argv[1], sys.argv[2]


def run(args):
    p = subprocess.run([mxdiag] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        return p.returncode, json.loads(p.stdout.decode('utf-8', 'replace'))
    except ValueError:
        return p.returncode, None


files = sorted(f for f in os.listdir(corpus) if os.path.isfile(os.path.join(corpus, f)))
checked = bad = 0
for f in files:
    path = os.path.join(corpus, f)
    rc, recs = run(['bounce', '--json', path])
    if rc != 0 or not isinstance(recs, list):
        print('FAIL %s: bounce exited %d' % (f, rc))
        bad += 1
        continue
    recs = [r for r in recs if r.get('reason') != 'delivered']
    rc, d = run(['diagnose', '--no-dns', '--json', path])
    if not recs:
        continue  # not a bounce: diagnose may refuse it (exit 65), nothing to compare
    checked += 1
    if d is None or 'facts' not in d or 'explanation' not in d:
        print('FAIL %s: bounce has %d record(s), diagnose exited %d without a diagnosis'
              % (f, len(recs), rc))
        bad += 1
        continue
    r = recs[0]
    b = {'status': r.get('status') or None, 'reason': r.get('reason'), 'provider': r.get('provider')}
    g = {'status': d['facts'].get('status'), 'reason': d['explanation'].get('reason'),
         'provider': d['facts'].get('provider')}
    diff = ['%s bounce=%r diagnose=%r' % (k, b[k], g[k]) for k in b if b[k] != g[k]]
    if diff:
        print('FAIL %s: %s' % (f, '; '.join(diff)))
        bad += 1
print('%d of %d files: bounce and diagnose disagree' % (bad, checked))
sys.exit(1 if bad or not checked else 0)
PY
