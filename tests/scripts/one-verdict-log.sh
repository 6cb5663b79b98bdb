#!/bin/sh
# one-verdict-log.sh - a mail log's line gets one verdict: for every line of a log that says a
# recipient bounced or was deferred, `mxdiag log --events` on that line alone and `mxdiag
# bounce` on that line pasted alone give the same recipients, reasons and hard-bounce flags
# (and the same status where the line has one). Logs: our own fixtures (Postfix, Exim,
# Sendmail), and, when ../shared is beside the tree, Exim's test-suite log of the shared
# corpus (lines whose text repeats are checked once).
# SPDX-License-Identifier: MIT
#
# usage: one-verdict-log.sh MXDIAG
set -u
BIN=$1
SRC=${MXD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SHARED=${MXD_SHARED_DIR:-$SRC/../shared}
/usr/bin/python3 - "$BIN" "$SRC/tests/fixtures/logs" "$SHARED/corpus/logs" <<'PY'
import json, lzma, os, re, subprocess, sys, tempfile

mxdiag, ours, shared = sys.argv[1:4]
logs = [os.path.join(ours, f) for f in ('failures.log', 'exim.log', 'sendmail.log',
                                        'postfix-newyear.log')]
exim_ts = os.path.join(shared, 'exim', 'exim-testsuite-msgflow-even.tsv.xz')
texts = [open(f, encoding='utf-8', errors='replace').read() for f in logs]
if os.path.exists(exim_ts):
    with lzma.open(exim_ts, 'rt', encoding='utf-8', errors='replace') as f:
        texts.append(''.join(l.split('\t', 1)[-1] for l in f))
else:
    print('note: %s is absent: our own logs only' % exim_ts)
mark = re.compile(r'status=(bounced|deferred)|\] \*\* | \*\* | == |stat=')
stamp = re.compile(r'^(\w{3} [ \d]\d [\d:]{8} \S+ |\d{4}-\d\d-\d\d[T ][\d:.]+\S* (\S+ )?)')
tmp = tempfile.mkdtemp()
line_path = os.path.join(tmp, 'line.log')
seen, checked, bad = set(), 0, 0
for text in texts:
    for line in text.split('\n'):
        if not mark.search(line):
            continue
        key = stamp.sub('', line)
        if key in seen:
            continue
        seen.add(key)
        with open(line_path, 'w') as f:
            f.write(line + '\n')
        out = subprocess.run([mxdiag, 'log', '--year', '2026', '--events', '--jsonl', line_path],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode('utf-8', 'replace')
        log = {}
        for l in out.splitlines():
            e = json.loads(l)
            if e['outcome'] in ('bounced', 'deferred') and '@' in (e['recipient'] or ''):
                log[e['recipient'].lower()] = (e['reason'], e['hardbounce'], e['status'])
        if not log:
            continue
        out = subprocess.run([mxdiag, 'bounce', '--jsonl', line_path],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode('utf-8', 'replace')
        bounce = {}
        for l in out.splitlines():
            r = json.loads(l)
            bounce[r['recipient'].lower()] = (r['reason'], r['hardbounce'], r['status'])
        checked += 1
        for a, (reason, hard, status) in log.items():
            b = bounce.get(a)
            if not b or b[:2] != (reason, hard) or (status and b[2] != status):
                bad += 1
                print('FAIL: log %r, bounce %r for %s in: %s' % ((reason, hard, status), b, a,
                                                              line[:200]))
        for a in bounce:
            if a not in log:
                bad += 1
                print('FAIL: bounce has %s, the log has not, in: %s' % (a, line[:200]))
os.remove(line_path)
os.rmdir(tmp)
print('%d lines checked, %d verdicts differ' % (checked, bad))
sys.exit(1 if bad or checked < 20 else 0)
PY
