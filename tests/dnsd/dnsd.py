#!/usr/bin/python3
# dnsd.py - small authoritative DNS server (UDP+TCP) serving zone files for mxdiag tests
# SPDX-License-Identifier: MIT
#
# Usage: dnsd.py --zone FILE [--zone FILE ...] [--port 0] [--port-file PATH]
#                [--delay MS] [--pid-file PATH] [--bind ADDR] [--verbose]
# The zone-file format is documented in README next to this file.
# Needs Debian's python3-dnslib: run it with /usr/bin/python3.

import argparse
import heapq
import ipaddress
import os
import re
import selectors
import signal
import socket
import struct
import sys
import threading
import time

from dnslib import (A, AAAA, CNAME, MX, NS, PTR, RR, SOA, TXT, CLASS,
                    DNSHeader, DNSLabel, DNSRecord, EDNS0, QTYPE, RCODE)

TYPES = {'A': 1, 'NS': 2, 'CNAME': 5, 'SOA': 6, 'PTR': 12, 'MX': 15,
         'TXT': 16, 'AAAA': 28, 'SPF': 99}
NAME_TYPES = {'NS': NS, 'CNAME': CNAME, 'PTR': PTR}
FLAGS = ('TIMEOUT', 'SERVFAIL', 'REFUSED', 'TRUNCATE')
ANY, OPT = 255, 41
DEFAULT_TTL = 300
SOA_TIMES = [1, 3600, 600, 86400, 300]  # serial refresh retry expire minimum
NARGS = {'A': 1, 'AAAA': 1, 'MX': 2, 'CNAME': 1, 'PTR': 1, 'NS': 1, 'DELAY': 1}


class ZoneError(Exception):
    pass


def tokenize(line):
    """Split a zone line into tokens: str for bare words, bytes for quoted strings."""
    toks, i, n = [], 0, len(line)
    while i < n:
        c = line[i]
        if c.isspace():
            i += 1
        elif c in ';#':
            break
        elif c == '"':
            buf, i = bytearray(), i + 1
            while True:
                if i >= n:
                    raise ZoneError('unterminated quoted string')
                c = line[i]
                if c == '"':
                    i += 1
                    break
                if c == '\\':
                    m = re.match(r'[0-9]{3}', line[i + 1:i + 4])
                    if m:
                        if int(m.group()) > 255:
                            raise ZoneError('bad escape \\' + m.group())
                        buf.append(int(m.group()))
                        i += 4
                        continue
                    i += 1
                    if i >= n or line[i] in '\r\n':
                        raise ZoneError('backslash at end of line')
                    c = line[i]
                buf += c.encode('utf-8')
                i += 1
            toks.append(bytes(buf))
        else:
            j = i
            while j < n and not line[j].isspace():
                j += 1
            toks.append(line[i:j])
            i = j
    return toks


def number(tok, limit):
    if not str(tok).isdigit() or int(tok) >= limit:
        raise ZoneError('bad number %r' % tok)
    return int(tok)


def labels_of(text, origin=None):
    """Zone-file name -> tuple of lower-case label bytes (the lookup key)."""
    if text == '@':
        if origin is None:
            raise ZoneError('@ used without $ORIGIN')
        return origin
    if isinstance(text, bytes):  # a quoted name: may hold spaces (SPF test suite)
        text = text.decode('latin-1')
    absolute, body = text.endswith('.'), text.rstrip('.')
    labels = []
    for lab in (body.split('.') if body else []):
        try:
            raw = lab.encode('ascii')
        except UnicodeEncodeError:
            raw = lab.encode('idna')
        if not 0 < len(raw) < 64:
            raise ZoneError('bad label in name %r' % text)
        labels.append(raw.lower())
    key = tuple(labels)
    if origin and not absolute and key[-len(origin):] != origin:
        key += origin
    if sum(len(lab) + 1 for lab in key) + 1 > 255:
        raise ZoneError('name too long: %r' % text)
    return key


def key_text(key):
    return '.'.join(lab.decode('latin-1') for lab in key) + '.'


class Zone:
    def __init__(self):
        self.records = {}     # key -> [(rtype, ttl, rdata, target_key)]
        self.names = set()    # every existing name, incl. empty non-terminals
        self.directives = {}  # key -> {'TIMEOUT': True, 'DELAY': ms, ...}
        self.prefixes = []    # TIMEOUT-UNKNOWN-PREFIX values (lower case)

    def add(self, key, rtype, ttl, rdata, target=None):
        self.records.setdefault(key, []).append((rtype, ttl, rdata, target))
        for i in range(len(key) + 1):
            self.names.add(key[i:])

    def load(self, path):
        origin, ttl, owner, apexes, owners = None, DEFAULT_TTL, None, set(), set()
        with open(path, encoding='utf-8') as f:
            for lineno, line in enumerate(f, 1):
                try:
                    toks = tokenize(line)
                    if not toks:
                        continue
                    head = toks[0].upper() if isinstance(toks[0], str) else ''
                    if head in ('$ORIGIN', '$TTL', 'TIMEOUT-UNKNOWN-PREFIX'):
                        if len(toks) != 2 or not isinstance(toks[1], str):
                            raise ZoneError('%s takes one argument' % head)
                        if head == '$ORIGIN':
                            origin = labels_of(toks[1])
                            apexes.add(origin)
                        elif head == '$TTL':
                            ttl = number(toks[1], 2**31)
                        else:
                            self.prefixes.append(toks[1].lower())
                        continue
                    if not line[0].isspace():
                        owner, toks = toks[0], toks[1:]
                    elif owner is None:
                        raise ZoneError('indented line but no previous owner name')
                    owners.add(self.parse_rr(owner, toks, origin, ttl, apexes))
                except (ZoneError, ValueError) as e:
                    raise ZoneError('%s:%d: %s' % (path, lineno, str(e) or 'syntax error'))
        # auto SOA at each apex ($ORIGIN, else the last two labels of each name)
        for key in owners:
            if key in self.records and not any(key[-len(a):] == a for a in apexes if a):
                apexes.add(key[-2:])
        for apex in apexes:
            if apex and not any(r[0] == 6 for r in self.records.get(apex, [])):
                self.add(apex, 6, DEFAULT_TTL, self.auto_soa(apex))

    def parse_rr(self, owner, toks, origin, ttl, apexes):
        """Parse 'NAME [TTL] [IN] TYPE ARGS...' (NAME already split off)."""
        if toks and isinstance(toks[0], str) and toks[0].isdigit():
            ttl, toks = int(toks[0]), toks[1:]
        if toks and isinstance(toks[0], str) and toks[0].upper() == 'IN':
            toks = toks[1:]
        if not toks or not isinstance(toks[0], str):
            raise ZoneError('missing record type')
        kind, args = toks[0].upper(), toks[1:]
        if kind not in TYPES and kind not in FLAGS and kind != 'DELAY':
            raise ZoneError('unknown type or directive %r' % toks[0])
        if len(args) != NARGS.get(kind, len(args) if kind in TYPES else 0):
            raise ZoneError('wrong number of arguments for ' + kind)
        if kind == 'PTR' and isinstance(owner, str):
            try:  # an address as owner name stands for its reverse name
                owner = ipaddress.ip_address(owner).reverse_pointer + '.'
            except ValueError:
                pass
        key = labels_of(owner, origin)
        if kind in FLAGS or kind == 'DELAY':
            self.directives.setdefault(key, {})[kind] = number(args[0], 2**31) if args else True
            return key
        rtype, target = TYPES[kind], None
        if kind in ('TXT', 'SPF'):
            strings = [t if isinstance(t, bytes) else t.encode('utf-8') for t in args]
            if not strings or any(len(s) > 255 for s in strings):
                raise ZoneError('TXT needs 1+ strings of at most 255 bytes each')
            rdata = TXT(strings)
        elif kind in ('A', 'AAAA'):
            ip = (ipaddress.IPv4Address if kind == 'A' else ipaddress.IPv6Address)(args[0])
            rdata = (A if kind == 'A' else AAAA)(tuple(ip.packed))
        elif kind == 'MX':
            rdata = MX(DNSLabel(labels_of(args[1], origin)), number(args[0], 2**16))
        elif kind in NAME_TYPES:
            target = labels_of(args[0], origin)
            rdata = NAME_TYPES[kind](DNSLabel(target))
        else:  # SOA mname rname [serial refresh retry expire minimum]
            if len(args) not in (2, 7):
                raise ZoneError('SOA needs mname rname [serial refresh retry expire minimum]')
            times = [number(a, 2**32) for a in args[2:]] or SOA_TIMES
            rdata = SOA(DNSLabel(labels_of(args[0], origin)),
                        DNSLabel(labels_of(args[1], origin)), times)
            apexes.add(key)
        self.add(key, rtype, number(ttl, 2**31), rdata, target)
        return key

    @staticmethod
    def auto_soa(apex):
        return SOA(DNSLabel((b'ns',) + apex), DNSLabel((b'hostmaster',) + apex), SOA_TIMES)

    def directive(self, key):
        """Exact-name directives, else those of the nearest '*.<ancestor>'."""
        if key in self.directives:
            return self.directives[key]
        for i in range(1, len(key) + 1):
            d = self.directives.get((b'*',) + key[i:])
            if d:
                return d
        return {}

    def wildcard(self, key):
        """RFC 4592: records of '*.<closest encloser>' for a non-existent name."""
        if key in self.names:
            return None
        for i in range(1, len(key) + 1):
            if key[i:] in self.names:
                return self.records.get((b'*',) + key[i:])
        return None

    def soa(self, key):
        for i in range(len(key) + 1):
            for r in self.records.get(key[i:], []):
                if r[0] == 6:
                    return RR(DNSLabel(key[i:]), 6, ttl=min(r[1], r[2].times[4]), rdata=r[2])
        apex = key[-2:]
        return RR(DNSLabel(apex), 6, ttl=SOA_TIMES[4], rdata=self.auto_soa(apex))

    def lookup(self, rep, qname, qtype):
        """Fill in the answer and authority sections and the rcode of rep."""
        key, owner, seen = tuple(l.lower() for l in qname.label), qname, set()
        while True:
            seen.add(key)
            rrs = self.records.get(key) or self.wildcard(key)
            if rrs is None:
                if key not in self.names:
                    rep.header.rcode = RCODE.NXDOMAIN
                break
            match = [r for r in rrs if r[0] == qtype or qtype == ANY]
            cname = [r for r in rrs if r[0] == 5]
            if match or not cname or qtype == 5:
                for rtype, ttl, rdata, _ in match:
                    rep.add_answer(RR(owner, rtype, ttl=ttl, rdata=rdata))
                if match:
                    return
                break
            rtype, ttl, rdata, target = cname[0]
            rep.add_answer(RR(owner, 5, ttl=ttl, rdata=rdata))
            if target in seen or len(seen) > 16:
                return
            key, owner = target, DNSLabel(target)
        rep.add_auth(self.soa(key))


class Scheduler(threading.Thread):
    """Runs callables at given monotonic times, so delayed answers overlap."""

    def __init__(self):
        super().__init__(daemon=True)
        self.heap, self.cond, self.seq = [], threading.Condition(), 0

    def at(self, when, fn, *args):
        with self.cond:
            self.seq += 1
            heapq.heappush(self.heap, (when, self.seq, fn, args))
            if self.heap[0][1] == self.seq:  # new earliest deadline: wake up
                self.cond.notify()

    def run(self):
        while True:
            with self.cond:
                while not self.heap or self.heap[0][0] > time.monotonic():
                    self.cond.wait(self.heap[0][0] - time.monotonic() if self.heap else None)
                _, _, fn, args = heapq.heappop(self.heap)
            try:
                fn(*args)
            except OSError:
                pass


class Server:
    def __init__(self, zone, delay_ms, verbose):
        self.zone, self.delay, self.verbose = zone, delay_ms, verbose
        self.sched = Scheduler()
        self.sched.start()

    def log(self, msg):
        if self.verbose:
            sys.stderr.write('dnsd: %s\n' % msg)
            sys.stderr.flush()

    def respond(self, data, proto, peer):
        """Returns (reply bytes or None for no reply, delay in seconds)."""
        try:
            req = DNSRecord.parse(data)
            if not req.header.qr and req.questions:
                return self.answer(req, proto, peer)
        except Exception as e:  # never let a bad query stop the server
            self.log('%s %s: query ignored: %s' % (proto, peer, e))
        return None, 0

    def answer(self, req, proto, peer):
        q, z = req.q, self.zone
        key = tuple(l.lower() for l in q.qname.label)
        d = z.directive(key)
        what = '%s %s: %s %s' % (proto, peer, q.qname, QTYPE.get(q.qtype))
        if d.get('TIMEOUT') or (
                any(key_text(key).startswith(p) for p in z.prefixes)
                and key not in z.names and z.wildcard(key) is None):
            self.log(what + ' -> no answer (TIMEOUT)')
            return None, 0
        rep = DNSRecord(DNSHeader(id=req.header.id, qr=1, aa=1, rd=req.header.rd,
                                  opcode=req.header.opcode), q=q)
        opt = [r for r in req.ar if r.rtype == OPT]
        if req.header.opcode != 0:
            rep.header.rcode = RCODE.NOTIMP
        elif len(req.questions) != 1:
            rep.header.rcode = RCODE.FORMERR
        elif d.get('SERVFAIL') or d.get('REFUSED') or q.qclass not in (CLASS.IN, ANY):
            rep.header.rcode = RCODE.SERVFAIL if d.get('SERVFAIL') else RCODE.REFUSED
        elif d.get('TRUNCATE') and proto == 'udp':
            rep.header.tc = 1
        else:
            z.lookup(rep, q.qname, q.qtype)
        if rep.header.rcode not in (RCODE.NOERROR, RCODE.NXDOMAIN):
            rep.header.aa = 0
        if opt:
            rep.add_ar(EDNS0(udp_len=1232))
        out = rep.pack()
        limit = max(512, min(opt[0].rclass, 65507)) if opt else 512
        if proto == 'udp' and len(out) > limit:
            rep.rr, rep.auth, rep.header.tc = [], [], 1
            out = rep.pack()
        delay = d.get('DELAY', self.delay) / 1000.0
        self.log('%s -> %s an=%d tc=%d delay=%gs' % (what, RCODE.get(rep.header.rcode),
                                                     len(rep.rr), rep.header.tc, delay))
        return out, delay

    def on_udp(self, sock):
        try:
            data, addr = sock.recvfrom(65535)
        except OSError:
            return
        out, delay = self.respond(data, 'udp', '%s:%d' % addr[:2])
        if out is None:
            return
        if delay > 0:
            self.sched.at(time.monotonic() + delay, sock.sendto, out, addr)
        else:
            try:
                sock.sendto(out, addr)
            except OSError:
                pass

    def tcp_conn(self, conn, addr):
        peer, cond, pending = '%s:%d' % addr[:2], threading.Condition(), [0]

        def send(out, delayed):
            with cond:
                try:
                    conn.sendall(struct.pack('!H', len(out)) + out)
                finally:
                    pending[0] -= delayed
                    cond.notify_all()
        try:
            conn.settimeout(60)
            f = conn.makefile('rb')
            while True:
                head = f.read(2)
                data = f.read(struct.unpack('!H', head)[0]) if len(head) == 2 else b''
                if not data:
                    break
                out, delay = self.respond(data, 'tcp', peer)
                if out is None or len(out) > 65535:
                    continue
                if delay > 0:
                    with cond:
                        pending[0] += 1
                    self.sched.at(time.monotonic() + delay, send, out, 1)
                else:
                    send(out, 0)
            with cond:  # client closed its side: flush delayed answers first
                cond.wait_for(lambda: pending[0] <= 0, timeout=30)
        except OSError:
            pass
        finally:
            conn.close()


def bind(addr, port):
    """UDP and TCP sockets on the same port; port 0 picks a free one."""
    fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
    for _ in range(20 if port == 0 else 1):
        udp = socket.socket(fam, socket.SOCK_DGRAM)
        tcp = socket.socket(fam, socket.SOCK_STREAM)
        for opt in (getattr(socket, 'SO_RCVBUFFORCE', None), socket.SO_RCVBUF):
            try:  # room for bursts of hundreds of queries (best effort)
                udp.setsockopt(socket.SOL_SOCKET, opt, 4 << 20)
                break
            except (OSError, TypeError):
                pass
        try:
            udp.bind((addr, port))
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            tcp.bind((addr, udp.getsockname()[1]))
            tcp.listen(1024)
            return udp, tcp
        except OSError as e:
            udp.close()
            tcp.close()
            err = e
    raise err


def write_atomic(path, text):
    tmp = '%s.tmp%d' % (path, os.getpid())
    with open(tmp, 'w') as f:
        f.write(text)
    os.rename(tmp, path)


def main():
    ap = argparse.ArgumentParser(description='Authoritative test DNS server for mxdiag.')
    ap.add_argument('--zone', action='append', required=True, metavar='FILE')
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--bind', default='127.0.0.1', metavar='ADDR')
    ap.add_argument('--port-file', metavar='PATH')
    ap.add_argument('--pid-file', metavar='PATH')
    ap.add_argument('--delay', type=int, default=0, metavar='MS')
    ap.add_argument('--verbose', action='store_true')
    args = ap.parse_args()

    zone = Zone()
    try:
        for path in args.zone:
            zone.load(path)
    except (OSError, ZoneError) as e:
        sys.exit('dnsd: %s' % e)
    try:
        udp, tcp = bind(args.bind, args.port)
    except OSError as e:
        sys.exit('dnsd: cannot bind %s port %d: %s' % (args.bind, args.port, e))
    port = udp.getsockname()[1]

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    reload_wanted = threading.Event()
    signal.signal(signal.SIGHUP, lambda *_: reload_wanted.set())
    reloads = 0
    server = Server(zone, args.delay, args.verbose)
    if args.pid_file:
        write_atomic(args.pid_file, '%d\n' % os.getpid())
    if args.port_file:
        write_atomic(args.port_file, '%d\n' % port)
    print('PORT %d' % port, flush=True)
    server.log('listening on %s port %d (udp+tcp)' % (args.bind, port))

    sel = selectors.DefaultSelector()
    sel.register(udp, selectors.EVENT_READ)
    sel.register(tcp, selectors.EVENT_READ)
    while not stop.is_set():
        if reload_wanted.is_set():
            # SIGHUP: read the zone files again (a test changes a listing while a daemon
            # runs); a bad file keeps the zone in use. PORT-FILE.reloads counts the reloads.
            reload_wanted.clear()
            fresh = Zone()
            try:
                for path in args.zone:
                    fresh.load(path)
                server.zone = fresh
                reloads += 1
                server.log('zones reloaded (%d)' % reloads)
            except (OSError, ZoneError) as e:
                print('dnsd: reload: %s' % e, file=sys.stderr, flush=True)
            if args.port_file:
                write_atomic(args.port_file + '.reloads', '%d\n' % reloads)
        for ev, _ in sel.select(0.2):
            if ev.fileobj is udp:
                server.on_udp(udp)
            else:
                try:
                    conn, addr = tcp.accept()
                except OSError:
                    continue
                threading.Thread(target=server.tcp_conn, args=(conn, addr), daemon=True).start()
    udp.close()
    tcp.close()
    if args.pid_file:
        try:
            os.unlink(args.pid_file)
        except OSError:
            pass
    server.log('stopped')


if __name__ == '__main__':
    main()
