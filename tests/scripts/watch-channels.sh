#!/bin/sh
# watch-channels.sh - the alert channels of mxdiag watch: a webhook (a small HTTP receiver on
# 127.0.0.1), a mail through a sendmail stand-in, a command; a channel that fails keeps its
# notice pending while the others take it, and it is delivered on a later try.
# SPDX-License-Identifier: MIT
#
# usage: watch-channels.sh MXDIAG
#
# Driven by `mxdiag watch --once` against the test DNS server (an IP listed on SpamCop). The
# retry is brought forward by setting the notice's next try in the database to 0: no clock.
set -u
BIN=$1
SRC=${MXD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
MXD_SCRIPTS=$(cd "$(dirname "$0")" && pwd) exec /usr/bin/python3 - "$BIN" "$SRC" <<'PY'
import http.server, json, os, signal, sqlite3, subprocess, sys, tempfile, threading, time

mxdiag, src = sys.argv[1:3]
work = tempfile.mkdtemp(prefix="mxd-watch-ch-")
sys.path.insert(0, os.environ["MXD_SCRIPTS"])
from testkit import Dnsd, check, fails, wait_for  # noqa: E402



# --- the webhook receiver: answers 500 to its first POST, 200 after ------------------------
posts = []


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        posts.append((self.path, self.headers.get("Content-Type"), body))
        self.send_response(500 if len(posts) == 1 else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


httpd = http.server.HTTPServer(("127.0.0.1", 0), Hook)
threading.Thread(target=httpd.serve_forever, daemon=True).start()
hook = "http://127.0.0.1:%d/hook" % httpd.server_address[1]

# --- DNS: 192.0.2.25 listed on SpamCop ------------------------------------------------------
dnsd_srv = Dnsd(src, work, "25.2.0.192.bl.spamcop.net A 127.0.0.2\n192.0.2.25 PTR "
                "mail.example.org\nmail.example.org A 192.0.2.25\n")
dnsd, dns = dnsd_srv.proc, dnsd_srv.addr

# --- sendmail stand-in: keeps each message it is given -------------------------------------
mails = os.path.join(work, "mails")
os.mkdir(mails)
sendmail = os.path.join(work, "sendmail")
with open(sendmail, "w") as f:
    f.write('#!/bin/sh\n[ "$1" = -t ] && [ "$2" = -i ] || exit 64\n'
            'cat > "%s/mail.$$"\n' % mails)
os.chmod(sendmail, 0o755)

db = os.path.join(work, "w.db")
conf = os.path.join(work, "w.conf")
with open(conf, "w") as f:
    f.write(f"""[general]
db = {db}
dns-servers = {dns}
listen = none
[ips]
watch = 192.0.2.25
lists = spamcop
[alert]
exec = cat > {work}/exec.json; [ "$MXDIAG_ALERT_TYPE" = open ]
webhook = {hook}
mailto = postmaster@example.org; noc@example.org
from = mxdiag@example.org
sendmail = {sendmail}
timeout = 20s
""")


def once():
    return subprocess.run([mxdiag, "watch", "--config", conf, "--once"], capture_output=True,
                          text=True)


try:
    p = once()
    check(p.returncode == 2, "--once on a listed IP exits 2 (CRITICAL), got %d" % p.returncode)
    check(p.stdout.startswith("MXDIAG WATCH CRITICAL - 1 critical"), "the summary line: " +
          p.stdout.splitlines()[0])
    check("CRITICAL dnsbl/192.0.2.25/spamcop: listed 127.0.0.2" in p.stdout,
          "the line of the listing")

    # the command
    ex = json.load(open(os.path.join(work, "exec.json")))
    check(ex["type"] == "open" and ex["alert"]["key"] == "dnsbl/192.0.2.25/spamcop",
          "the command got the notice as JSON on stdin")

    # the mail
    got = sorted(os.listdir(mails))
    check(len(got) == 1, "one mail through sendmail -t -i (%d)" % len(got))
    if got:
        m = open(os.path.join(mails, got[0])).read()
        head = m.split("\n\n", 1)[0]
        check("To: postmaster@example.org, noc@example.org" in head, "the mail's To: line")
        check("From: mxdiag@example.org" in head, "the mail's From: line")
        check("Subject: [mxdiag] CRITICAL: 192.0.2.25 is listed on spamcop" in head,
              "the mail's Subject: line")
        check("Auto-Submitted: auto-generated" in head, "the mail says Auto-Submitted")
        check('"key":"dnsbl/192.0.2.25/spamcop"' in m, "the mail carries the JSON")

    # the webhook: refused once (500), so the notice stays pending for it alone
    check(len(posts) == 1 and posts[0][0] == "/hook" and posts[0][1] == "application/json",
          "the webhook got one POST of application/json")
    c = sqlite3.connect(db)
    row = c.execute("SELECT pending, error, attempts FROM watch_notices").fetchone()
    check(row is not None and row[0] == 2 and "500" in (row[1] or ""),
          "a refused webhook keeps only its channel pending, with the reason: %s" % (row,))
    c.close()

    # a later try (brought forward): the webhook takes it, nothing else is sent again
    c = sqlite3.connect(db)
    c.execute("UPDATE watch_notices SET next_at = 0")
    c.commit()
    c.close()
    p = once()
    check(len(posts) == 2 and json.loads(posts[1][2])["type"] == "open",
          "the retry delivers the notice to the webhook")
    check(len(os.listdir(mails)) == 1, "no second mail: the mail channel had taken it")
    c = sqlite3.connect(db)
    row = c.execute("SELECT pending FROM watch_notices").fetchone()
    check(row == (0,), "nothing pending after the retry")
    c.close()

    # a command that fails is kept pending too, and its failure is named
    with open(conf) as f:
        text = f.read()
    with open(conf, "w") as f:
        f.write(text.replace('[ "$MXDIAG_ALERT_TYPE" = open ]', "exit 3"))
    dnsd_srv.set_zone("192.0.2.25 PTR mail.example.org\nmail.example.org A 192.0.2.25\n")
    p = once()
    check(p.returncode == 0, "--once after the delisting exits 0 (OK), got %d" % p.returncode)
    c = sqlite3.connect(db)
    rows = c.execute("SELECT type, pending, error FROM watch_notices ORDER BY id").fetchall()
    c.close()
    check(len(rows) == 2 and rows[1][0] == "recovery" and rows[1][1] == 1 and
          "exit 3" in (rows[1][2] or ""), "a failing command keeps the recovery pending: %s" % rows)
    check(len(posts) == 3 and json.loads(posts[2][2])["type"] == "recovery",
          "the webhook got the recovery")
finally:
    httpd.shutdown()
    dnsd.terminate()
    dnsd.wait()

if fails:
    print("watch-channels: %d failed; files in %s" % (len(fails), work))
    sys.exit(1)
subprocess.run(["rm", "-rf", work])
print("watch-channels: all passed")
PY
