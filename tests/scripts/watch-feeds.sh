#!/bin/sh
# watch-feeds.sh - the provider feeds in mxdiag watch: SNDS fetched from a local stand-in of the
# REST API ([feeds] snds-token-file) and the rows `mxdiag feed` stored become checks; YELLOW and
# RED, trap hits, blocked ranges and a Gmail spam rate above 0.10% (0.30%: critical) open one
# alert each, a second round raises nothing again, a green day closes with a recovery.
# SPDX-License-Identifier: MIT
#
# usage: watch-feeds.sh MXDIAG
set -u
BIN=$1
SRC=${MXD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
MXD_SCRIPTS=$(cd "$(dirname "$0")" && pwd) exec /usr/bin/python3 - "$BIN" "$SRC" <<'PY'
import http.server, json, os, subprocess, sys, tempfile, threading

mxdiag, src = sys.argv[1:3]
fx = os.path.join(src, "tests", "fixtures", "feeds")
work = tempfile.mkdtemp(prefix="mxd-watch-feeds-")
sys.path.insert(0, os.environ["MXD_SCRIPTS"])
from testkit import check, fails, wait_for  # noqa: E402



state = {"filter": "RED", "traps": 4}


class Api(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.headers.get("Authorization") != "Bearer good-1":
            body, code = b'{"error": "invalid_token"}', 401
        elif "/api/report/data" in self.path:
            body = json.dumps({"value": [{"ipAddress": "198.51.100.20",
                                          "activityStart": "2026-12-05T00:00:00Z",
                                          "activityEnd": "2026-12-06T00:00:00Z",
                                          "rcptCommands": 500, "filterResult": state["filter"],
                                          "complaintRate": "< 0.1%",
                                          "trapHits": state["traps"]}]}).encode()
            code = 200
        else:
            body, code = b'{"value": []}', 200
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Api)
threading.Thread(target=srv.serve_forever, daemon=True).start()
base = "http://127.0.0.1:%d" % srv.server_address[1]
db = os.path.join(work, "db")
tok = os.path.join(work, "token.json")
with open(tok, "w") as f:
    json.dump({"access_token": "good-1"}, f)
os.chmod(tok, 0o600)
alerts = os.path.join(work, "alerts.jsonl")
conf = os.path.join(work, "watch.conf")
with open(conf, "w") as f:
    f.write("""[general]
listen = none

[feeds]
snds-token-file = %s
snds-url = %s
interval = 1d

[alert]
exec = cat >> %s
repeat = 0
""" % (tok, base, alerts))


def once():
    return subprocess.run([mxdiag, "watch", "--config", conf, "--db", db, "--once"],
                          capture_output=True, text=True, timeout=120)


def notices():
    if not os.path.exists(alerts):
        return []
    return [json.loads(l) for l in open(alerts)]


# rows stored by `mxdiag feed` (as from cron), then a round that also fetches
subprocess.run([mxdiag, "feed", "snds", "--db", db, os.path.join(fx, "snds-status-old.csv")],
               capture_output=True, check=True)
subprocess.run([mxdiag, "feed", "gpt", "--db", db, os.path.join(fx, "gpt-v2-domainstats.json"),
                os.path.join(fx, "gpt-v1-traffic.json")], capture_output=True, check=True)
p = once()
print(p.stdout)
check(p.returncode == 2, "--once: CRITICAL (exit 2), got %d: %s" % (p.returncode, p.stderr.strip()))
check("OK       feed/snds-api: 1 rows" in p.stdout, "the API was asked and its row stored")
check("WARNING  snds/198.51.100.20: RED" in p.stdout, "a RED IP of the fetched report is a warning")
check("WARNING  snds-traps/198.51.100.20: 4 trap hits" in p.stdout, "trap hits are a warning")
check("CRITICAL snds-block/203.0.113.0/203.0.113.255: blocked" in p.stdout,
      "a blocked range is critical")
check("OK       snds-block/198.51.100.7/198.51.100.7: not blocked" in p.stdout,
      "a range not blocked is fine")
check("WARNING  gpt-spam/example.net: 0.12%" in p.stdout and
      "OK       gpt-spam-limit/example.net: 0.12%" in p.stdout,
      "example.net's latest day (0.12%): above 0.10%, below the limit")
check("WARNING  gpt-spam/example.com: 0.21%" in p.stdout, "example.com above 0.10%")
titles = sorted(n["alert"]["title"] for n in notices() if n["type"] == "open")
print(titles)
check(titles == sorted(["SNDS: 198.51.100.20 is RED",
                        "SNDS: 198.51.100.20 hit spam traps (4 trap hits)",
                        "SNDS: 203.0.113.0 - 203.0.113.255 is blocked",
                        "Gmail spam rate of example.net: 0.12%, above 0.10%",
                        "Gmail spam rate of example.com: 0.21%, above 0.10%"]),
      "one alert each, with readable titles")

# the same data again: nothing new
n = len(notices())
once()
check(len(notices()) == n, "a second round raises nothing again")

# a spam rate at the limit: critical
with open(os.path.join(work, "limit.json"), "w") as f:
    json.dump({"domainStats": [{"name": "domains/example.net/domainStats/z", "metric": "spam_rate",
                                "date": {"year": 2026, "month": 12, "day": 3},
                                "value": {"doubleValue": 0.0031}}]}, f)
subprocess.run([mxdiag, "feed", "gpt", "--db", db, os.path.join(work, "limit.json")],
               capture_output=True, check=True)
p = once()
check("CRITICAL gpt-spam-limit/example.net: 0.31%" in p.stdout, "0.31% is critical")
new = [x for x in notices()[n:] if x["type"] == "open"]
check([x["alert"]["title"] for x in new] == ["Gmail spam rate of example.net: 0.31%, at the 0.30% limit"]
      and new[0]["alert"]["severity"] == "critical", "the limit alert is critical")

# a green day without traps: both SNDS alerts recover
state.update(filter="GREEN", traps=0)
n = len(notices())
p = once()
rec = sorted(x["alert"]["key"] for x in notices()[n:] if x["type"] == "recovery")
check(rec == ["snds-traps/198.51.100.20", "snds/198.51.100.20"], "GREEN recovers: %s" % rec)

# the dashboard shows the feeds' columns
r = subprocess.run([mxdiag, "watch", "--check-config", "--config", conf], capture_output=True,
                   text=True)
check(r.returncode == 0, "the [feeds] group is a known configuration group")
with open(conf, "a") as f:
    f.write("\n[feeds]\nsnds-tokenfile = x\n")
r = subprocess.run([mxdiag, "watch", "--check-config", "--config", conf], capture_output=True,
                   text=True)
check(r.returncode != 0, "a typo in [feeds] is refused: " + r.stderr.strip()[:120])

srv.shutdown()
subprocess.run(["rm", "-rf", work])
print("%d failure(s)" % len(fails))
sys.exit(1 if fails else 0)
PY
