#!/bin/sh
# fleet-pg.sh - fleet mode on a real PostgreSQL server: the store's unit suites on PostgreSQL,
# 8 concurrent `ingest` processes against one single-process run (and against SQLite), batched
# `suppress check`, and two `mxdiag watch` daemons on one database of which one leads, with a
# SIGKILL of the leader.
# SPDX-License-Identifier: MIT
#
# usage: fleet-pg.sh MXDIAG [BUILD_DIR]   (default: the directory of MXDIAG)
#
# The server is Debian's postgresql, started by tests/pg/pg-server.sh in a temporary directory
# on a loopback port as an unprivileged user; the test skips (77) with a line saying why when
# it cannot start one. Waits give up after 60 s (a hang, not a measure): nothing asserts how
# long anything took.
set -u
BIN=$1
BUILD=${2:-$(dirname "$BIN")}
SRC=${MXD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
MXD_SCRIPTS=$(cd "$(dirname "$0")" && pwd) exec /usr/bin/python3 - "$BIN" "$BUILD" "$SRC" <<'PY'
import glob, json, mailbox, os, re, shutil, signal, subprocess, sys, tempfile, time

mxdiag, build, src = sys.argv[1:4]
work = tempfile.mkdtemp(prefix="mxd-fleet-")
os.chmod(work, 0o755)
pgdir = os.path.join(work, "pg")
sys.path.insert(0, os.environ["MXD_SCRIPTS"])
from testkit import Dnsd, check, fails, wait_for  # noqa: E402




r = subprocess.run(["sh", os.path.join(src, "tests/pg/pg-server.sh"), "start", pgdir],
                   capture_output=True, text=True)
if r.returncode != 0:
    print("SKIP: no PostgreSQL server could be started: " + r.stderr.strip())
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(77)
uri = r.stdout.strip()
procs = []


def cleanup():
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    subprocess.run(["sh", os.path.join(src, "tests/pg/pg-server.sh"), "stop", pgdir])
    shutil.rmtree(work, ignore_errors=True)


def psql(sql):
    r = subprocess.run(["psql", uri, "-qAtX", "-c", sql], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("psql: " + r.stderr)
    return r.stdout.strip()


def schema(name):
    psql("CREATE SCHEMA " + name)
    return uri + "?options=-csearch_path%3D" + name


def run(args, **kw):
    return subprocess.run([mxdiag] + args, capture_output=True, text=True, **kw)


try:
    # --- 1. the store's unit suites, unchanged, on PostgreSQL ----------------------------
    env = dict(os.environ, MXD_TEST_PG=uri)
    for t in ("test_store", "test_watch", "test_feed", "test_warmup"):
        r = subprocess.run([os.path.join(build, "tests", t)], env=env, capture_output=True,
                           text=True)
        check(r.returncode == 0, f"unit suite {t} passes on PostgreSQL")
        if r.returncode:
            print(r.stdout[-3000:] + r.stderr[-2000:])

    # --- 2. one mailbox, 8 writers at once ----------------------------------------------
    # Every bounce, complaint and report fixture, 12 times over with a Message-ID of its own
    # (the same recipients again and again: soft bounces add up, hard ones find the address
    # suppressed), in a fixed shuffled order; one in five also goes to a second part (the
    # same message arriving at two MTAs).
    templates = sorted(glob.glob(os.path.join(src, "tests/fixtures/ingest/*.eml")) +
                       glob.glob(os.path.join(src, "tests/fixtures/bounces/*.eml")))
    msgs = []
    for rep in range(12):
        for t in templates:
            raw = open(t, "rb").read()
            mid = f"<fleet-{rep}-{os.path.basename(t)}@fleet.test>".encode()
            head, sep, body = raw.partition(b"\n\n")
            head = re.sub(rb"(?im)^message-id:.*(\n[ \t].*)*\n?", b"", head + b"\n")
            if not re.search(rb"(?im)^date:", head):  # else the time of the ingest counts
                head = b"Date: Mon, 30 Nov 2026 10:00:00 +0000\n" + head
            msgs.append(b"Message-ID: " + mid + b"\n" + head.rstrip(b"\n") + b"\n\n" + body)
    order = sorted(range(len(msgs)), key=lambda i: (i * 7919) % len(msgs))
    msgs = [msgs[i] for i in order]

    def write_mbox(path, items):
        box = mailbox.mbox(path, create=True)
        for m in items:
            box.add(mailbox.mboxMessage(m))
        box.flush()
        box.close()

    write_mbox(os.path.join(work, "all.mbox"), msgs)
    parts = [[] for _ in range(8)]
    for i, m in enumerate(msgs):
        parts[i % 8].append(m)
        if i % 5 == 0:
            parts[(i + 3) % 8].append(m)
    for k in range(8):
        write_mbox(os.path.join(work, f"part{k}.mbox"), parts[k])

    one_lite = os.path.join(work, "one.db")
    one_pg = schema("one")
    fleet = schema("fleet")
    r = run(["ingest", "--db", one_lite, os.path.join(work, "all.mbox")])
    check(r.returncode == 0, f"single ingest into SQLite exits 0: {r.returncode} "
                             f"{r.stderr.strip()[-600:]}")
    r = run(["ingest", "--db", one_pg, os.path.join(work, "all.mbox")])
    check(r.returncode == 0, "single ingest into PostgreSQL exits 0: " + r.stderr.strip()[-300:])
    writers = [subprocess.Popen([mxdiag, "ingest", "--db", fleet,
                                 os.path.join(work, f"part{k}.mbox")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
               for k in range(8)]
    codes = [(w.wait(), w.stderr.read()) for w in writers]
    check(all(c == 0 for c, _ in codes),
          "8 concurrent ingest processes exit 0: " + "; ".join(e.strip()[-200:] for c, e in codes if c))

    def table_counts(s):
        return {t: psql(f"SELECT count(*) FROM {s}.{t}") for t in
                ("messages", "events", "suppressions", "suppression_history", "dmarc_reports",
                 "dmarc_rows", "dmarc_auth", "tls_reports", "tls_policies", "tls_failures",
                 "dmarc_failures")}

    c1, c8 = table_counts("one"), table_counts("fleet")
    check(c1 == c8, f"the same rows in every table: single {c1} / 8 writers {c8}")
    check(int(c1["messages"]) > 0 and int(c1["suppressions"]) > 0, "the run stored something")
    check(psql("SELECT count(*) FROM (SELECT key FROM fleet.messages GROUP BY key "
               "HAVING count(*) > 1) d") == "0", "no message stored twice")

    def strip(obj):
        if isinstance(obj, dict):
            return {k: strip(v) for k, v in obj.items() if k != "source"}
        if isinstance(obj, list):
            return [strip(v) for v in obj]
        return obj

    def suppressions(db):
        r = run(["suppress", "list", "--all", "--format", "jsonl", "--db", db])
        return [strip(json.loads(l)) for l in r.stdout.splitlines() if l.strip()]

    s_lite, s_one, s_fleet = suppressions(one_lite), suppressions(one_pg), suppressions(fleet)
    check(len(s_lite) > 0 and s_lite == s_one,
          f"suppression list: PostgreSQL ({len(s_one)}) = SQLite ({len(s_lite)})")
    check(s_one == s_fleet, "suppression list: 8 writers = 1 writer (reason, counts, first/last seen)")
    for kind, extra in (("dmarc", ["--no-dns", "--json"]), ("tls", ["--json"])):
        outs = [run(["report", kind, "--db", d] + extra).stdout for d in (one_lite, one_pg, fleet)]
        check(outs[0] == outs[1] == outs[2] and len(outs[0]) > 10,
              f"report {kind}: the same on SQLite, PostgreSQL and after 8 writers")
    addrs = sorted({s["address"] for s in s_one})
    for a in addrs[:5]:
        h = [run(["suppress", "history", a, "--db", d]).stdout for d in (one_lite, fleet)]
        check(re.sub(r"\S+\.mbox\S*", "", h[0]) == re.sub(r"\S+\.mbox\S*", "", h[1]),
              f"history of {a}: the same")

    # MXDIAG_DB holds a URI as --db does
    r = subprocess.run([mxdiag, "suppress", "list", "--all", "--format", "jsonl"],
                       env=dict(os.environ, MXDIAG_DB=fleet), capture_output=True, text=True)
    check([strip(json.loads(l)) for l in r.stdout.splitlines() if l.strip()] == s_fleet,
          "MXDIAG_DB=postgresql://... is the same database as --db")

    # again, all parts at once: nothing new
    writers = [subprocess.Popen([mxdiag, "ingest", "--db", fleet,
                                 os.path.join(work, f"part{k}.mbox")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for k in range(8)]
    check(all(w.wait() == 0 for w in writers), "a second concurrent run exits 0")
    check(table_counts("fleet") == c8, "a second concurrent run stores nothing new")

    # --- 3. suppress check, batched, = SQLite's answers -----------------------------------
    probe = []
    for i in range(5000):
        probe.append(addrs[i % len(addrs)].upper() if i % 3 == 0 else f"nobody{i}@example.org")
    probe.append("not an address <>")
    stdin = "\n".join(probe) + "\n"
    a = run(["suppress", "check", "-", "--db", one_lite], input=stdin)
    b = run(["suppress", "check", "-", "--db", fleet], input=stdin)
    a_out = re.sub(r"from \S+\.mbox:\d+", "", a.stdout)
    b_out = re.sub(r"from \S+\.mbox:\d+", "", b.stdout)
    check(a.returncode == b.returncode and a_out == b_out and a_out.count("\n") >= 5000,
          "suppress check of 5,001 addresses: the same answers, in order, as SQLite")

    if os.environ.get("FLEET_SKIP_WATCH"):
        raise SystemExit(1 if fails else 0)
    # --- 4. two watch daemons, one leader, SIGKILL -----------------------------------------
    CLEAN = "192.0.2.25 PTR mail.example.org\nmail.example.org A 192.0.2.25\n"
    LISTED = CLEAN + "25.2.0.192.bl.spamcop.net A 127.0.0.2\n"
    dnsd = Dnsd(src, work, CLEAN)
    procs.append(dnsd.proc)
    dns, set_zone = dnsd.addr, dnsd.set_zone

    wdb = schema("watch")
    notices = os.path.join(work, "notices.jsonl")

    def conf(name):
        path = os.path.join(work, name + ".conf")
        open(path, "w").write(f"""[general]
db = {wdb}
dns-servers = {dns}
dns-timeout-ms = 1000
dns-tries = 2
listen = 127.0.0.1:0
interval-ips = 1s
jitter = 0

[ips]
watch = 192.0.2.25
lists = spamcop

[alert]
exec = sed 's/^/{name} /' >> {notices}
repeat = 0
""")
        return path

    def start(name):
        err = open(os.path.join(work, name + ".err"), "w")
        p = subprocess.Popen([mxdiag, "watch", "--config", conf(name)],
                             stdout=subprocess.DEVNULL, stderr=err)
        procs.append(p)
        return p

    def log(name):
        p = os.path.join(work, name + ".err")
        return open(p).read() if os.path.exists(p) else ""

    def sent():
        if not os.path.exists(notices):
            return []
        out = []
        for line in open(notices):
            who, _, body = line.partition(" ")
            n = json.loads(body)
            out.append((who, n["type"], n["alert"]["key"]))
        return out

    a = start("a")
    wait_for(lambda: "leading" in log("a"), "daemon a to lead")
    b = start("b")
    wait_for(lambda: "standing by" in log("b"), "daemon b to stand by")
    check("leading" not in log("b"), "b does not lead while a does")
    set_zone(LISTED)
    wait_for(lambda: len(sent()) >= 1, "the listing's alert")
    time.sleep(3)  # rounds go on: a second alert would show now (no timing is asserted)
    check(sent() == [("a", "open", "dnsbl/192.0.2.25/spamcop")],
          f"one alert, sent by the leader only: {sent()}")
    # the dashboard of any daemon shows the fleet's state: b's, while it stands by
    m = re.search(r"listening on (http://127\.0\.0\.1:\d+/)", log("b"))
    status = ""
    if m:
        import urllib.request
        status = urllib.request.urlopen(m.group(1) + "api/status", timeout=30).read().decode()
    check("192.0.2.25" in status and "spamcop" in status and "problem" in status,
          "the standing-by daemon's /api/status shows the leader's listing")
    a.send_signal(signal.SIGKILL)
    a.wait()
    wait_for(lambda: "leading" in log("b"), "b to take over after the leader's SIGKILL")
    set_zone(CLEAN)
    wait_for(lambda: len(sent()) >= 2, "the recovery")
    time.sleep(3)
    check(sent() == [("a", "open", "dnsbl/192.0.2.25/spamcop"),
                     ("b", "recovery", "dnsbl/192.0.2.25/spamcop")],
          f"after the failover: one recovery, from the new leader, nothing doubled: {sent()}")
    check(psql("SELECT count(*) FROM watch.watch_alerts") == "1", "one alert row in the database")
    b.send_signal(signal.SIGTERM)
    check(b.wait(timeout=60) == 0, "the new leader stops cleanly on SIGTERM")

    # --- 5. the server gone: a temporary failure, one line ----------------------------------
    subprocess.run(["sh", os.path.join(src, "tests/pg/pg-server.sh"), "stop", pgdir])
    r = run(["ingest", "--db", fleet, os.path.join(work, "part0.mbox")])
    check(r.returncode == 75 and r.stderr.count("\n") == 1 and "cannot connect" in r.stderr,
          f"ingest with the server down exits 75 (Postfix retries) with one line: "
          f"{r.returncode} {r.stderr.strip()}")
    if fails:
        print("--- a:\n" + log("a")[-2000:] + "--- b:\n" + log("b")[-2000:])
finally:
    cleanup()

print("FAILED: %d" % len(fails) if fails else "all passed")
sys.exit(1 if fails else 0)
PY
