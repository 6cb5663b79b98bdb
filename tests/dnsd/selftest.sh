#!/bin/sh
# selftest.sh - start dnsd.py on the example zones and check its answers
# SPDX-License-Identifier: MIT
#
# Usage: tests/dnsd/selftest.sh      (exit status 0 = all checks passed)
# Queries are made with a small dnslib client run by /usr/bin/python3
# (Debian package python3-dnslib); dig is not needed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
tmp=$(mktemp -d)
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || :; done
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

fail() { echo "selftest: FAIL: $*" >&2; exit 1; }

# start_server NAME ARGS... : starts dnsd.py, waits for its port file
start_server() {
    name=$1; shift
    "$py" "$here/dnsd.py" --port 0 --port-file "$tmp/$name.port" \
        --pid-file "$tmp/$name.pid" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pids="$pids $!"
    i=0
    while [ ! -s "$tmp/$name.port" ]; do
        i=$((i + 1))
        [ $i -le 100 ] || fail "$name: server did not start: $(cat "$tmp/$name.err")"
        sleep 0.05
    done
    grep -q "^PORT $(cat "$tmp/$name.port")\$" "$tmp/$name.out" ||
        fail "$name: no PORT line on stdout"
}

# stop_server NAME : SIGTERM, then expect a clean exit and the pid file gone
stop_server() {
    pid=$(cat "$tmp/$1.pid")
    kill -TERM "$pid"
    rc=0
    wait "$pid" || rc=$?
    [ "$rc" -eq 0 ] || fail "$1: exit status $rc after SIGTERM: $(cat "$tmp/$1.err")"
    [ ! -e "$tmp/$1.pid" ] || fail "$1: pid file left behind"
    [ ! -s "$tmp/$1.err" ] || fail "$1: unexpected stderr output: $(cat "$tmp/$1.err")"
}

# a broken zone file must be rejected with the file name and line number
printf 'ok.example A 192.0.2.1\nbad.example A 999.1.1.1\n' >"$tmp/bad.zone"
if "$py" "$here/dnsd.py" --zone "$tmp/bad.zone" >/dev/null 2>"$tmp/bad.err"; then
    fail "bad zone file accepted"
fi
grep -q 'bad.zone:2:' "$tmp/bad.err" || fail "bad zone error lacks location: $(cat "$tmp/bad.err")"

start_server main --zone "$here/zones/example.zone" --zone "$here/zones/special.zone" \
    --zone "$here/zones/big.zone" --zone "$here/zones/reverse.zone"
start_server delayed --delay 200 --zone "$here/zones/example.zone"

"$py" - "$(cat "$tmp/main.port")" "$(cat "$tmp/delayed.port")" <<'EOF'
import select, socket, struct, sys, time
from dnslib import DNSRecord, DNSQuestion, EDNS0, QTYPE, RCODE

port, dport = int(sys.argv[1]), int(sys.argv[2])
failures = 0

def query(name, qtype='A', tcp=False, timeout=2.0, edns=None, p=None):
    q = DNSRecord.question(name, qtype)
    if edns:
        q.add_ar(EDNS0(udp_len=edns))
    data = q.pack()
    if tcp:
        with socket.create_connection(('127.0.0.1', p or port), timeout=timeout) as s:
            s.sendall(struct.pack('!H', len(data)) + data)
            buf = b''
            while len(buf) < 2 or len(buf) < 2 + struct.unpack('!H', buf[:2])[0]:
                chunk = s.recv(65535)
                if not chunk:
                    raise EOFError('connection closed')
                buf += chunk
            reply = buf[2:]
    else:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(timeout)
            s.sendto(data, ('127.0.0.1', p or port))
            reply = s.recv(65535)
    r = DNSRecord.parse(reply)
    assert r.header.id == q.header.id, 'id mismatch'
    return r

def check(label, cond, detail=''):
    global failures
    if cond:
        print('ok   ' + label)
    else:
        failures += 1
        print('FAIL ' + label + (': ' + str(detail) if detail else ''))

def rdatas(r, qtype=None):
    return [str(a.rdata) for a in r.rr if qtype is None or a.rtype == getattr(QTYPE, qtype)]

def rc(r):
    return RCODE.get(r.header.rcode)

r = query('example.com', 'A')
check('A: answer', rdatas(r) == ['192.0.2.1'] and rc(r) == 'NOERROR', r)
check('A: authoritative', r.header.aa == 1)
r = query('EXAMPLE.Com.', 'A')
check('A: case-insensitive', rdatas(r) == ['192.0.2.1'], r)
r = query('mail.example.com', 'AAAA')
check('AAAA', rdatas(r) == ['2001:db8::25'], r)

r = query('example.com', 'TXT')
check('TXT: multi-string', [a.rdata.data for a in r.rr] ==
      [[b'v=spf1 ', b'ip4:192.0.2.0/24 ', b'-all']], r)
r = query('multi.example.com', 'TXT')
check('TXT: several records', sorted(b''.join(a.rdata.data) for a in r.rr) ==
      [b'first record', b'second record', b'third record'], r)
r = query('escaped.example.com', 'TXT')
check('TXT: escapes', [a.rdata.data for a in r.rr] ==
      [[b'quote " backslash \\ decimal AB', b'']], r)
r = query('legacy.example.com', 'SPF')
check('SPF type 99', len(r.rr) == 1 and r.rr[0].rtype == 99 and
      bytes(r.rr[0].rdata.data) == b'\x0bv=spf1 -all', r)

r = query('example.com', 'MX')
check('MX', sorted(rdatas(r)) == ['10 mail.example.com.', '20 mail2.example.net.'], r)

r = query('nonexistent.example.com', 'A')
check('NXDOMAIN', rc(r) == 'NXDOMAIN' and not r.rr and r.auth and r.auth[0].rtype == QTYPE.SOA, r)
check('NXDOMAIN: SOA of the zone', r.auth and str(r.auth[0].rname) == 'example.com.', r)
r = query('mail.example.com', 'TXT')
check('NODATA (other types)', rc(r) == 'NOERROR' and not r.rr and r.auth and r.auth[0].rtype == QTYPE.SOA, r)
r = query('_dmarc.example.com', 'TXT')
check('NODATA (empty non-terminal)', rc(r) == 'NOERROR' and not r.rr and r.auth, r)
r = query('x._dmarc.example.com', 'TXT')
check('TXT under empty non-terminal', len(r.rr) == 1, r)

r = query('alias.example.com', 'A')
check('CNAME chain', [QTYPE.get(a.rtype) for a in r.rr] == ['CNAME', 'CNAME', 'A'] and
      rdatas(r, 'A') == ['192.0.2.1'], r)
r = query('www.example.com', 'CNAME')
check('CNAME query', rdatas(r) == ['example.com.'], r)
r = query('dangling.example.com', 'A')
check('CNAME to missing name', rc(r) == 'NXDOMAIN' and rdatas(r) == ['nowhere.example.com.'], r)

r = query('foo.wild.example.com', 'A')
check('wildcard', rdatas(r) == ['192.0.2.99'] and str(r.rr[0].rname) == 'foo.wild.example.com.', r)
r = query('a.b.wild.example.com', 'TXT')
check('wildcard, deeper', rdatas(r) == ['"wildcard"'], r)
r = query('real.wild.example.com', 'TXT')
check('wildcard not used for existing name', rc(r) == 'NOERROR' and not r.rr, r)
r = query('x.real.wild.example.com', 'A')
check('wildcard not used below existing name', rc(r) == 'NXDOMAIN', r)
r = query('foo.wild.example.com', 'MX')
check('wildcard NODATA', rc(r) == 'NOERROR' and not r.rr, r)

r = query('1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa', 'PTR')
check('IPv6 PTR (nibble name)', rdatas(r) == ['host1.example.com.'], r)
r = query('5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa', 'PTR')
check('IPv6 PTR (owner given as address)', rdatas(r) == ['mail.example.com.'], r)
r = query('25.2.0.192.in-addr.arpa', 'PTR')
check('IPv4 PTR', rdatas(r) == ['mail.example.com.'], r)
r = query('53.2.0.192.in-addr.arpa', 'PTR')
check('IPv4 PTR (owner given as address)', rdatas(r) == ['ns1.example.com.'], r)

for name in ('timeout.example.org', 'error.nothere.example.org'):
    try:
        r = query(name, 'TXT', timeout=0.5)
        check('TIMEOUT ' + name, False, r)
    except socket.timeout:
        check('TIMEOUT ' + name, True)
try:
    query('timeout.example.org', 'A', tcp=True, timeout=0.5)
    check('TIMEOUT (tcp)', False)
except socket.timeout:
    check('TIMEOUT (tcp)', True)
r = query('error.example.org', 'TXT')
check('TIMEOUT-UNKNOWN-PREFIX: defined name answered', len(r.rr) == 1, r)

r = query('servfail.example.org', 'A')
check('SERVFAIL', rc(r) == 'SERVFAIL' and not r.rr, r)
r = query('refused.example.org', 'A')
check('REFUSED', rc(r) == 'REFUSED', r)

r = query('trunc.example.org', 'TXT')
check('TRUNCATE: udp has TC and no answers', r.header.tc == 1 and not r.rr, r)
r = query('trunc.example.org', 'TXT', tcp=True)
check('TRUNCATE: tcp gives full answer', r.header.tc == 0 and len(r.rr) == 1, r)

r = query('big.example.org', 'TXT')
check('large answer: udp TC', r.header.tc == 1 and not r.rr, r)
r = query('big.example.org', 'TXT', edns=4096)
check('large answer: udp with EDNS 4096 fits', r.header.tc == 0 and len(r.rr) == 6, r)
r = query('big.example.org', 'TXT', tcp=True)
check('large answer: tcp whole', r.header.tc == 0 and len(r.rr) == 6, r)

t = time.monotonic()
r = query('slow.example.org', 'A')
dt = time.monotonic() - t
check('DELAY 300 per name (%.0f ms)' % (dt * 1000), 0.28 <= dt < 1.0 and len(r.rr) == 1, r)

# malformed packets are ignored and the server keeps working
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    for junk in (b'', b'\x00', b'\xff' * 40, DNSRecord.question('example.com').pack()[:20]):
        s.sendto(junk, ('127.0.0.1', port))
with socket.create_connection(('127.0.0.1', port)) as s:
    s.sendall(b'\x00\x05hello')
r = query('example.com', 'A')
check('survives malformed queries', rdatas(r) == ['192.0.2.1'], r)

# --delay 200: 50 concurrent queries must all be answered after ~200 ms
socks, t = [], time.monotonic()
for i in range(50):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(DNSRecord.question('example.com', 'A').pack(), ('127.0.0.1', dport))
    socks.append(s)
pending, got = set(socks), 0
while pending and time.monotonic() - t < 3:
    ready, _, _ = select.select(list(pending), [], [], 0.1)
    for s in ready:
        if DNSRecord.parse(s.recv(4096)).rr:
            got += 1
        pending.discard(s)
dt = time.monotonic() - t
for s in socks:
    s.close()
check('--delay 200: 50 concurrent answers in %.0f ms' % (dt * 1000), got == 50 and 0.19 <= dt < 0.4, got)
t = time.monotonic()
r = query('example.com', 'MX', tcp=True, p=dport)
dt = time.monotonic() - t
check('--delay 200 over tcp (%.0f ms)' % (dt * 1000), 0.19 <= dt < 0.6 and len(r.rr) == 2, r)

print('%d failure(s)' % failures)
sys.exit(1 if failures else 0)
EOF

stop_server main
stop_server delayed
echo "selftest: all checks passed"
