#!/bin/sh
# feed-snds-fetch.sh - mxdiag feed snds --fetch against a local stand-in of the SNDS REST API
# and its OAuth 2.0 token endpoint (python3 http.server on 127.0.0.1): a good token, a token
# the API refuses (401: renewed, retried), an expired token (renewed before any request), a
# refresh token the endpoint refuses, a malformed answer, a token file others may read. The
# token never appears in the output; the renewed file is written with mode 0600.
# SPDX-License-Identifier: MIT
#
# usage: feed-snds-fetch.sh MXDIAG
set -u
BIN=$1
MXD_SCRIPTS=$(cd "$(dirname "$0")" && pwd) exec /usr/bin/python3 - "$BIN" <<'PY'
import http.server, json, os, stat, subprocess, sys, tempfile, threading, time, urllib.parse

mxdiag = sys.argv[1]
work = tempfile.mkdtemp(prefix="mxd-snds-fetch-")
sys.path.insert(0, os.environ["MXD_SCRIPTS"])
from testkit import check, fails, wait_for  # noqa: E402



DATA = {"value": [{"ipAddress": "192.0.2.10", "activityStart": "2026-12-01T00:00:00Z",
                   "activityEnd": "2026-12-02T00:00:00Z", "rcptCommands": 1000,
                   "dataCommands": 990, "messageRecipients": 998, "filterResult": "YELLOW",
                   "complaintRate": "0.1% - < 0.3%", "trapHits": 2}]}
STATUS = {"value": [{"firstIp": "192.0.2.0", "lastIp": "192.0.2.255", "blocked": True,
                     "reason": "Blocked due to user complaints"}]}
valid = {"good-1", "good-2"}
log = []


class Api(http.server.BaseHTTPRequestHandler):
    def answer(self, code, body):
        b = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def do_GET(self):
        auth = self.headers.get("Authorization", "")
        log.append(("GET", self.path, auth))
        tok = auth[7:] if auth.startswith("Bearer ") else ""
        if tok not in valid:
            return self.answer(401, {"error": "invalid_token"})
        if self.path.startswith("/malformed/"):
            return self.answer(200, b"{\"value\": [{\"ipAddress\": \"not an ip\"")
        if "/api/report/data" in self.path:
            return self.answer(200, DATA)
        if self.path.endswith("/api/report/status/ip"):
            return self.answer(200, STATUS)
        self.answer(404, {"error": "not found"})

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(n).decode())
        log.append(("POST", self.path, form))
        if form.get("grant_type") == ["refresh_token"] and form.get("refresh_token") == ["refresh-1"]:
            return self.answer(200, {"access_token": "good-2", "refresh_token": "refresh-2",
                                     "expires_in": 3600, "token_type": "Bearer"})
        if form.get("refresh_token") == ["refresh-crlf"]:  # a header line in the token
            return self.answer(200, {"access_token": "good-2\r\nX-Injected: 1",
                                     "expires_in": 3600})
        if form.get("refresh_token") == ["refresh-forever"]:  # now + expires_in overflows
            return self.answer(200, {"access_token": "good-2", "expires_in": 2**63 - 1})
        self.answer(400, {"error": "invalid_grant", "error_description": "refresh-1 expired"})

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Api)
threading.Thread(target=srv.serve_forever, daemon=True).start()
base = "http://127.0.0.1:%d" % srv.server_address[1]
db = os.path.join(work, "db")
tokfile = os.path.join(work, "token.json")


def token(access, refresh="refresh-1", expires_at=None, mode=0o600):
    t = {"access_token": access, "refresh_token": refresh, "client_id": "test-client",
         "token_endpoint": base + "/token"}
    if expires_at is not None:
        t["expires_at"] = expires_at
    with open(tokfile, "w") as f:
        json.dump(t, f)
    os.chmod(tokfile, mode)


def fetch(*extra, url=None):
    del log[:]
    env = dict(os.environ, MXDIAG_SNDS_URL=url or base)
    env.pop("MXDIAG_SNDS_TOKEN_URL", None)
    p = subprocess.run([mxdiag, "feed", "snds", "--fetch", "--token-file", tokfile, "--db", db,
                        "--date", "2026-12-01"] + list(extra),
                       capture_output=True, text=True, env=env, timeout=60)
    out = p.stdout + p.stderr
    check(not any(s in out for s in ("good-1", "good-2", "refresh-1", "refresh-2", "stale")),
          "the token is not printed")
    return p


# 1. a good token: both reports, nothing renewed
token("good-1", expires_at=int(time.time()) + 3600)
p = fetch()
check(p.returncode == 0, "good token: exit 0 (%d: %s)" % (p.returncode, p.stderr.strip()))
check("192.0.2.10" in p.stdout and "YELLOW" in p.stdout, "good token: the data report stored")
check("BLOCKED 192.0.2.0 - 192.0.2.255" in p.stdout, "good token: the blocked range stored")
check([l[1] for l in log] == ["/api/report/data/2026-12-01", "/api/report/status/ip"],
      "good token: two GETs, no refresh")
check(log[0][2] == "Bearer good-1", "good token: sent as a bearer token")

# 2. the API refuses the token (401): renewed once, retried, the file rewritten 0600
token("stale")
p = fetch()
check(p.returncode == 0, "401: exit 0 after renewal (%d: %s)" % (p.returncode, p.stderr.strip()))
check([l[0] for l in log] == ["GET", "POST", "GET", "GET"], "401: GET, refresh, GET, GET")
check(log[1][2].get("client_id") == ["test-client"], "401: the refresh names the client id")
check("the token was renewed" in p.stderr, "401: says the token was renewed")
t = json.load(open(tokfile))
check(t["access_token"] == "good-2" and t["refresh_token"] == "refresh-2",
      "401: the new tokens are saved")
check(t["expires_at"] >= int(time.time()) + 3000, "401: expires_at from expires_in")
check(stat.S_IMODE(os.stat(tokfile).st_mode) == 0o600, "401: the token file stays 0600")
check(t.get("client_id") == "test-client", "401: the other members are kept")
check(not [f for f in os.listdir(work) if f.startswith("token.json.")], "401: no temporary file left")

# 3. an expired token: renewed before the first request, never sent
token("good-1", expires_at=int(time.time()) - 10)
p = fetch()
check(p.returncode == 0, "expired: exit 0 (%d: %s)" % (p.returncode, p.stderr.strip()))
check(log and log[0][0] == "POST", "expired: the refresh comes first")
check(all(l[2] != "Bearer good-1" for l in log if l[0] == "GET"), "expired: the old token is not sent")

# 4. the endpoint refuses the refresh token: exit 69, the file unchanged
token("stale", refresh="revoked")
before = open(tokfile).read()
p = fetch()
check(p.returncode == 69, "refused refresh: exit 69 (%d)" % p.returncode)
check("HTTP 400 (invalid_grant)" in p.stderr, "refused refresh: says why: " + p.stderr.strip())
check(open(tokfile).read() == before, "refused refresh: the token file is unchanged")

# 4b. the endpoint answers a token with a line break: refused, never sent, the file unchanged
token("stale", refresh="refresh-crlf")
before = open(tokfile).read()
p = fetch()
check(p.returncode == 65, "token with CRLF: exit 65 (%d)" % p.returncode)
check([l[0] for l in log] == ["GET", "POST"], "token with CRLF: not sent")
check(open(tokfile).read() == before, "token with CRLF: the token file is unchanged")

# 4c. an expires_in beyond any clock: renewed, expires_at at most a year away
token("stale", refresh="refresh-forever")
p = fetch()
check(p.returncode == 0, "huge expires_in: exit 0 (%d: %s)" % (p.returncode, p.stderr.strip()))
t = json.load(open(tokfile))
check(0 < t["expires_at"] <= int(time.time()) + 366 * 86400,
      "huge expires_in: expires_at within a year (%r)" % t.get("expires_at"))

# 5. a malformed answer: exit 65, naming the URL
token("good-1")
p = fetch(url=base + "/malformed")
check(p.returncode == 65, "malformed: exit 65 (%d)" % p.returncode)
check("/malformed/api/report/data/2026-12-01: a malformed answer" in p.stderr,
      "malformed: names the URL: " + p.stderr.strip())

# 6. a token file others may read: refused before any request
token("good-1", mode=0o644)
p = fetch()
check(p.returncode == 78, "mode 0644: exit 78 (%d)" % p.returncode)
check("chmod 600" in p.stderr and not log, "mode 0644: refused, nothing sent")

# 7. no token file
os.unlink(tokfile)
p = fetch()
check(p.returncode == 66, "no token file: exit 66 (%d)" % p.returncode)

# 8. the stored rows: one per IP and day however many fetches
import sqlite3
con = sqlite3.connect(db)
check(con.execute("SELECT count(*) FROM snds_daily").fetchone()[0] == 1,
      "one row per IP and day after four fetches")
check(con.execute("SELECT count(*) FROM snds_blocks WHERE blocked = 1").fetchone()[0] == 1,
      "one blocked range")
con.close()
srv.shutdown()
subprocess.run(["rm", "-rf", work])
print("%d failure(s)" % len(fails))
sys.exit(1 if fails else 0)
PY
