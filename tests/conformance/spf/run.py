#!/usr/bin/python3
# run.py - run the RFC 7208 SPF test suite (pyspf/openspf YAML) against `mxdiag spf`
# SPDX-License-Identifier: MIT
#
# usage: run.py MXDIAG SUITE.yml [--only TEST_ID] [--verbose] [--keep DIR]
#
# For each scenario of the YAML stream, the zone data becomes a zone file for the test DNS
# server (tests/dnsd/dnsd.py), which is started once per scenario on a free port of
# 127.0.0.1. Every test of the scenario then runs `mxdiag spf --json` and its result is
# compared with the expected one (any of a list); an expected explanation is compared too
# (case-insensitively: the suite writes ip6.arpa nibbles in upper case, %{i} gives lower
# case; "DEFAULT" means no exp= text was used). Prints one line per failure and then
# "N passed, M failed"; exits 1 when any test failed.
#
# Conversion rules (see ../shared/conformance/SOURCES.md): TXT values are one string or a
# list of strings (one record); a name with SPF records and no TXT serves its SPF text as
# TXT too; "TXT: NONE" means no TXT record; TIMEOUT makes the server never answer the name
# (dnsd cannot time out one type only, so a name that has TXT records keeps answering: the
# suite only uses TIMEOUT beside TXT to make the type-99 SPF query time out, which mxdiag
# never sends); names starting "error." that are not in the data time out.
import json
import os
import subprocess
import sys
import tempfile
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
DNSD = os.path.join(HERE, '..', '..', 'dnsd', 'dnsd.py')


def zstring(value):
    """A zone-file quoted string: printable ASCII as is, everything else as \\DDD bytes."""
    out = []
    for ch in value:
        code = ord(ch)
        raw = bytes([code]) if code < 256 else ch.encode('utf-8')
        for b in raw:
            if 0x20 <= b < 0x7f and b not in (0x22, 0x5c):
                out.append(chr(b))
            else:
                out.append('\\%03d' % b)
    return '"' + ''.join(out) + '"'


def zname(name):
    name = str(name)
    if any(c.isspace() or c in ';#"' for c in name):
        return zstring(name)
    return name


def strings_of(value):
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def zone_text(zonedata):
    lines = ['TIMEOUT-UNKNOWN-PREFIX error.']
    for name, records in (zonedata or {}).items():
        txt, spf, other, timeout, txt_none = [], [], [], False, False
        for rec in records or []:
            if rec == 'TIMEOUT':
                timeout = True
                continue
            (kind, value), = rec.items()
            kind = kind.upper()
            if kind == 'TXT':
                if value == 'NONE':
                    txt_none = True
                else:
                    txt.append(strings_of(value))
            elif kind == 'SPF':
                spf.append(strings_of(value))
            elif kind == 'MX':
                pref, host = value
                other.append('MX %d %s' % (int(pref), zname(host) if host else '.'))
            elif kind in ('A', 'AAAA'):
                other.append('%s %s' % (kind, value))
            elif kind in ('PTR', 'CNAME'):
                other.append('%s %s' % (kind, zname(value)))
            else:
                raise ValueError('unknown record type %r for %s' % (kind, name))
        served_txt = txt if txt or txt_none else spf
        zn = zname(name)
        for strings in served_txt:
            # a record of no strings is not servable: one empty string is the nearest thing
            lines.append('%s TXT %s' % (zn, ' '.join(zstring(s) for s in strings) or '""'))
        for strings in spf:
            lines.append('%s SPF %s' % (zn, ' '.join(zstring(s) for s in strings) or '""'))
        for o in other:
            lines.append('%s %s' % (zn, o))
        if timeout and not served_txt:
            lines.append('%s TIMEOUT' % zn)
    return '\n'.join(lines) + '\n'


def start_dnsd(zone_path, tmp):
    port_file = os.path.join(tmp, 'port')
    if os.path.exists(port_file):
        os.unlink(port_file)
    proc = subprocess.Popen(['/usr/bin/python3', DNSD, '--zone', zone_path, '--port', '0',
                             '--port-file', port_file],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(200):
        if os.path.exists(port_file) and os.path.getsize(port_file) > 0:
            with open(port_file) as f:
                return proc, int(f.read().strip())
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    err = proc.stderr.read().decode('utf-8', 'replace') if proc.poll() is not None else ''
    proc.kill()
    raise RuntimeError('test DNS server did not start: ' + err)


def run_test(mxdiag, port, test):
    cmd = [mxdiag, '--dns-server', '127.0.0.1:%d' % port, '--timeout', '400', '--tries', '1',
           'spf', '--json', '--ip', str(test['host'])]
    mailfrom = test.get('mailfrom', '')
    cmd += ['--mail-from', str(mailfrom if mailfrom is not None else '')]
    if test.get('helo') is not None:
        cmd += ['--helo', str(test['helo'])]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    if p.returncode != 0:
        return None, 'exit status %d: %s' % (p.returncode, p.stderr.decode('utf-8', 'replace'))
    try:
        return json.loads(p.stdout.decode('utf-8')), None
    except ValueError as e:
        return None, 'bad JSON (%s): %r' % (e, p.stdout[:200])


def main():
    args = sys.argv[1:]
    only = None
    verbose = False
    keep = None
    rest = []
    i = 0
    while i < len(args):
        if args[i] == '--only':
            only = args[i + 1]
            i += 2
        elif args[i] == '--verbose':
            verbose = True
            i += 1
        elif args[i] == '--keep':
            keep = args[i + 1]
            i += 2
        else:
            rest.append(args[i])
            i += 1
    if len(rest) != 2:
        print('usage: run.py MXDIAG SUITE.yml [--only TEST_ID] [--verbose] [--keep DIR]',
              file=sys.stderr)
        return 64
    mxdiag, suite = rest
    with open(suite, encoding='utf-8') as f:
        scenarios = [s for s in yaml.safe_load_all(f) if s]
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for n, sc in enumerate(scenarios):
            tests = sc.get('tests') or {}
            if only:
                tests = {k: v for k, v in tests.items() if k == only}
                if not tests:
                    continue
            zone = zone_text(sc.get('zonedata'))
            zone_path = os.path.join(keep or tmp, 'scenario%02d.zone' % n)
            with open(zone_path, 'w', encoding='utf-8') as f:
                f.write(zone)
            proc, port = start_dnsd(zone_path, tmp)
            try:
                for tid, t in tests.items():
                    want = t['result']
                    want = [w.lower() for w in (want if isinstance(want, list) else [want])]
                    got, err = run_test(mxdiag, port, t)
                    problems = []
                    if err:
                        problems.append(err)
                    else:
                        if got['result'] not in want:
                            problems.append('result %s, expected %s' %
                                            (got['result'], '/'.join(want)))
                        exp = t.get('explanation')
                        if exp is not None and not problems:
                            if exp == 'DEFAULT':
                                if got.get('explanation_source') == 'exp':
                                    problems.append('explanation %r from exp=, expected the '
                                                    'default' % got.get('explanation'))
                            elif (got.get('explanation') or '').lower() != exp.lower():
                                problems.append('explanation %r, expected %r' %
                                                (got.get('explanation'), exp))
                    if problems:
                        failed += 1
                        print('FAIL %s (%s): %s' % (tid, sc.get('description', ''),
                                                    '; '.join(problems)))
                        if verbose and got:
                            print('     ' + json.dumps(got))
                    else:
                        passed += 1
                        if verbose:
                            print('ok   %s: %s' % (tid, got['result']))
            finally:
                proc.terminate()
                proc.wait()
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
