#!/bin/sh
# watch-alerts.sh - mxdiag watch against the test DNS server: a listing appears while the
# daemon runs, one alert arrives through the command channel; a kill -9 and a restart raise
# no duplicate; the delisting sends one recovery; SIGHUP reloads, SIGTERM stops cleanly;
# --once exits with the Nagios statuses.
# SPDX-License-Identifier: MIT
#
# usage: watch-alerts.sh MXDIAG
#
# The daemon checks every second (interval-ips = 1s, no jitter). The test changes the zone
# served by tests/dnsd (SIGHUP makes it read its files again) and then waits for what must
# follow (an alert line, a stored result newer than the restart); a wait gives up after 60 s,
# which is a hang, not a measure: nothing here asserts how long anything took.
set -u
BIN=$1
SRC=${MXD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
MXD_SCRIPTS=$(cd "$(dirname "$0")" && pwd) exec /usr/bin/python3 - "$BIN" "$SRC" <<'PY'
import json, os, re, shutil, signal, sqlite3, subprocess, sys, tempfile, time, urllib.request

mxdiag, src = sys.argv[1:3]
work = tempfile.mkdtemp(prefix="mxd-watch-")
sys.path.insert(0, os.environ["MXD_SCRIPTS"])
from testkit import Dnsd, check, fails, wait_for  # noqa: E402




CLEAN = """
; 192.0.2.25: clean, forward-confirmed PTR
192.0.2.25            PTR mail.example.org
mail.example.org      A   192.0.2.25
"""
LISTED = CLEAN + """
25.2.0.192.bl.spamcop.net  A   127.0.0.2
25.2.0.192.bl.spamcop.net  TXT "Blocked - see https://www.spamcop.net/bl.shtml?192.0.2.25"
"""
dnsd_srv = Dnsd(src, work, CLEAN)
if not dnsd_srv.addr:
    sys.exit(1)
dnsd, dns, set_zone = dnsd_srv.proc, dnsd_srv.addr, dnsd_srv.set_zone


alerts = os.path.join(work, "alerts.jsonl")
db = os.path.join(work, "watch.db")
conf = os.path.join(work, "watch.conf")
with open(conf, "w") as f:
    f.write(f"""# written by watch-alerts.sh
[general]
db = {db}
dns-servers = {dns}
dns-timeout-ms = 1000
dns-tries = 2
listen = 127.0.0.1:0
interval-ips = 1s
jitter = 0
cannot-check-after = 3

[ips]
watch = 192.0.2.25
lists = spamcop

[alert]
exec = cat >> {alerts}
repeat = 0
""")


def notices():
    if not os.path.exists(alerts):
        return []
    out = []
    with open(alerts) as f:
        for line in f:
            out.append(json.loads(line))
    return out


def of(kind, key="dnsbl/192.0.2.25/spamcop"):
    return [n for n in notices() if n["type"] == kind and n["alert"]["key"] == key]


def query(sql, args=()):
    if not os.path.exists(db):  # connecting would create it
        return None
    try:
        c = sqlite3.connect(db, timeout=10)
        r = c.execute(sql, args).fetchone()
        c.close()
        return r
    except sqlite3.Error as e:
        print("(sqlite: %s)" % e, flush=True)
        return None


def last_checked():
    r = query("SELECT checked_at FROM watch_checks WHERE key = ?", ("dnsbl/192.0.2.25/spamcop",))
    return r[0] if r else 0


def undelivered():
    r = query("SELECT count(*) FROM watch_notices WHERE pending != 0")
    return r[0] if r else -1


def start():
    err = open(os.path.join(work, "watch.err"), "a")
    return subprocess.Popen([mxdiag, "watch", "--config", conf], stdout=subprocess.DEVNULL,
                            stderr=err)


try:
    # --- the daemon sees a clean IP, then the listing ------------------------------------
    w = start()
    wait_for(lambda: last_checked() > 0, "the first check stored")
    check(of("open") == [], "a clean IP raises no alert")
    set_zone(LISTED)
    wait_for(lambda: len(of("open")) >= 1, "the listing alert")
    opened = of("open")
    check(len(opened) == 1, "one alert for the new listing")
    if opened:
        a = opened[0]["alert"]
        check(a["kind"] == "listed" and a["severity"] == "critical" and
              "127.0.0.2" in a["title"], "the alert names the list's answer: " + a["title"])
        check(opened[0]["summary"].startswith("CRITICAL:"), "the summary starts CRITICAL:")

    # --- the dashboard, the API and the metrics of the running daemon show the listing ----
    def bound():
        m = re.search(r"listening on http://([0-9.:]+)/", open(os.path.join(work, "watch.err")).read())
        return m.group(1) if m else None
    if wait_for(lambda: bound(), "the HTTP server's address in the log"):
        base = "http://" + bound()
        page = urllib.request.urlopen(base + "/").read().decode()
        check("192.0.2.25" in page and "is listed on spamcop" in page,
              "the dashboard shows the listed IP and its alert")
        st = json.loads(urllib.request.urlopen(base + "/api/status").read())
        rows = [c for c in st["checks"] if c.get("key") == "dnsbl/192.0.2.25/spamcop"]
        check(len(rows) == 1 and rows[0].get("state") == "problem",
              "/api/status has the listing as a problem")
        check(len(st["alerts"]) == 1, "/api/status has one open alert")
        metrics = urllib.request.urlopen(base + "/metrics").read().decode()
        check(re.search(r'mxdiag_dnsbl_listed\{[^}]*ip="192.0.2.25"[^}]*\} 1', metrics) is not None,
              "/metrics: mxdiag_dnsbl_listed 1 for the IP")
        promtool = shutil.which("promtool")
        if promtool:
            p = subprocess.run([promtool, "check", "metrics"], input=metrics, text=True,
                               capture_output=True)
            check(p.returncode == 0, "promtool check metrics on the daemon's /metrics " + p.stdout + p.stderr)
        else:
            print("skip promtool: not installed")

    # --- kill -9 and a restart: the listing is still there, no second alert --------------
    # (once the store has recorded the delivery: a kill between a channel taking a notice
    # and that record sends it again, with the same alert id, type and time - see
    # mxdiag-watch(5), "Delivery")
    wait_for(lambda: undelivered() == 0, "the delivery recorded")
    w.send_signal(signal.SIGKILL)
    w.wait()
    mark = last_checked()
    w = start()
    wait_for(lambda: last_checked() > mark + 1, "checks after the restart")
    check(len(of("open")) == 1, "no duplicate alert after kill -9 and restart")

    # --- the listing goes: one recovery ----------------------------------------------------
    set_zone(CLEAN)
    wait_for(lambda: len(of("recovery")) >= 1, "the recovery notice")
    mark = last_checked()
    wait_for(lambda: last_checked() > mark + 1, "more checks after the recovery")
    check(len(of("recovery")) == 1, "one recovery notice")
    check(len(of("open")) == 1, "still one open notice in all")
    rec = of("recovery")
    if rec:
        check(rec[0]["summary"].startswith("RECOVERED:"), "the recovery says RECOVERED")

    # --- SIGHUP: a broken configuration is refused, the running one kept ---------------------
    good = open(conf).read()
    with open(conf, "w") as f:
        f.write(good + "\n[nonsense]\nkey = 1\n")
    w.send_signal(signal.SIGHUP)
    wait_for(lambda: "reload:" in open(os.path.join(work, "watch.err")).read(),
             "the reload error logged")
    with open(conf, "w") as f:
        f.write(good)
    mark = last_checked()
    wait_for(lambda: last_checked() > mark + 1, "checks go on after a refused reload")

    # --- SIGTERM: a clean stop ---------------------------------------------------------------
    w.send_signal(signal.SIGTERM)
    try:
        rc = w.wait(timeout=60)
    except subprocess.TimeoutExpired:
        w.kill()
        rc = -1
    check(rc == 0, "SIGTERM stops the daemon with status 0 (got %s)" % rc)
    log = open(os.path.join(work, "watch.err")).read()
    check("mxdiag-watch: info: stopping" in log, "the daemon logs its stop")
    check("unknown group [nonsense]" in log, "the refused reload names the bad group")

    # --- the DNS server goes away: "cannot check", never clean ----------------------------
    dnsd.send_signal(signal.SIGTERM)
    dnsd.wait()
    before = len(notices())
    runs = []
    for i in range(3):
        p = subprocess.run([mxdiag, "watch", "--config", conf, "--once"], capture_output=True,
                           text=True)
        runs.append(p)
    check(all(p.returncode == 3 for p in runs), "--once without DNS exits 3 (UNKNOWN): %s"
          % [p.returncode for p in runs])
    check(runs[0].stdout.startswith("MXDIAG WATCH UNKNOWN"), "--once says UNKNOWN first")
    cannot = of("open", "cannot/dnsbl/192.0.2.25/spamcop")
    check(len(cannot) == 1, "one cannot-check alert after 3 failed checks (%d)" % len(cannot))
    check(not of("recovery", "dnsbl/192.0.2.25/spamcop")[1:], "an unknown result closes nothing")

    # --- --once on a listed IP: CRITICAL, exit 2; a bad config: UNKNOWN, exit 3 -------------
    p = subprocess.run([mxdiag, "watch", "--config", os.path.join(work, "missing.conf"),
                        "--once"], capture_output=True, text=True)
    check(p.returncode == 3 and "missing.conf" in p.stderr, "--once with no file exits 3")
    p = subprocess.run([mxdiag, "watch", "--config", os.path.join(work, "missing.conf")],
                       capture_output=True, text=True)
    check(p.returncode == 66, "the daemon with no file exits 66 (got %d)" % p.returncode)
    bad = os.path.join(work, "bad.conf")
    with open(bad, "w") as f:
        f.write("[general]\nlisten = 0.0.0.0:9325\n")
    p = subprocess.run([mxdiag, "watch", "--config", bad], capture_output=True, text=True)
    check(p.returncode == 78 and "token" in p.stderr,
          "a listen address off loopback without a token is refused (78)")
finally:
    for proc in (dnsd,):
        if proc.poll() is None:
            proc.terminate()
    try:
        if w.poll() is None:
            w.kill()
    except NameError:
        pass

if fails:
    print("watch-alerts: %d failed; files in %s" % (len(fails), work))
    sys.exit(1)
subprocess.run(["rm", "-rf", work])
print("watch-alerts: all passed")
PY
