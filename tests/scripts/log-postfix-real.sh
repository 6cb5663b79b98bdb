#!/bin/sh
# log-postfix-real.sh - end to end: a real Postfix (Debian package, its own configuration
# directory, loopback only, maillog_file instead of syslog) delivers to a scripted SMTP sink
# on 127.0.0.1 that answers with real provider replies; `mxdiag log` must report for each
# recipient what the sink answered.
# SPDX-License-Identifier: MIT
#
# usage: log-postfix-real.sh MXDIAG    (exit 77 when not root or Postfix is not installed)
# Recipe: ../shared/research/real-parts-in-tests.md. The system's main.cf gets our directory
# in alternate_config_directories for the run (postfix -c refuses others) and its previous
# value back at the end.
set -u
BIN=$1
if [ "$(id -u)" != 0 ] || [ ! -x /usr/sbin/postfix ] || [ ! -x /usr/sbin/postconf ] ||
    [ ! -x /usr/lib/postfix/sbin/postlogd ] || [ ! -x /usr/bin/python3 ]; then
    echo "SKIP: needs root, python3 and Postfix (apt-get install postfix)"
    exit 77
fi
DIR=$(mktemp -d /tmp/mxd-postfix-XXXXXX)
chmod 755 "$DIR"
mkdir -p "$DIR/etc" "$DIR/queue" "$DIR/data"
chown postfix "$DIR/data"
OLD_ALT=$(postconf -h alternate_config_directories 2>/dev/null || true)
SINK_PID=""
cleanup() {
    postfix -c "$DIR/etc" stop >/dev/null 2>&1
    [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null
    if [ -n "$OLD_ALT" ]; then
        postconf -e "alternate_config_directories = $OLD_ALT"
    else
        postconf -X alternate_config_directories
    fi
    rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

# --- the sink: one port per destination, so a 421 that ends one session leaves the others
cat >"$DIR/sink.py" <<'EOF'
import socket, sys, threading
log = open(sys.argv[1], "a", buffering=1)
ports = []
# local part -> (stage, reply): what the sink answers and when
REPLIES = {
    "block": ("RCPT", "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP. For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653 AS(7171) [BN1NAM02FT012.eop-nam02.prod.protection.outlook.com]"),
    "rate": ("RCPT", "421-4.7.28 [127.0.0.1      15] Our system has detected an unusual rate of\r\n421-4.7.28 unsolicited mail originating from your IP address. To protect our\r\n421 4.7.28 users from spam, mail sent from your IP address has been temporarily rate limited. gsmtp"),
    "tss": ("RCPT", "421 4.7.0 [TSS04] Messages from 127.0.0.1 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes"),
    "unknown": ("RCPT", "550 5.1.1 <unknown@example.net>: Recipient address rejected: User unknown in virtual mailbox table"),
    "grey": ("RCPT", "450 4.2.0 <grey@example.net>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.net.html"),
}
def serve(conn):
    f = conn.makefile("rb")
    def send(s):
        conn.sendall((s + "\r\n").encode())
    send("220 sink.test ESMTP")
    rcpts = []
    try:
        while True:
            line = f.readline()
            if not line:
                return
            cmd = line.decode("latin-1").strip()
            up = cmd.upper()
            if up.startswith("EHLO") or up.startswith("HELO"):
                send("250-sink.test\r\n250 8BITMIME")
            elif up.startswith("MAIL"):
                rcpts = []
                send("250 2.1.0 Ok")
            elif up.startswith("RCPT"):
                addr = cmd[cmd.index("<") + 1:cmd.rindex(">")]
                local = addr.split("@")[0]
                stage, reply = REPLIES.get(local, ("", "250 2.1.5 Ok"))
                log.write("%s %s\n" % (addr, reply[:3]))
                send(reply)
                if reply.startswith("421"):
                    return
                if reply.startswith("250"):
                    rcpts.append(addr)
            elif up == "DATA":
                send("354 go ahead")
                while True:
                    l = f.readline()
                    if not l or l in (b".\r\n", b".\n"):
                        break
                send("250 2.0.0 Ok: queued as SINK1")
            elif up == "QUIT":
                send("221 2.0.0 Bye")
                return
            elif up == "RSET":
                send("250 2.0.0 Ok")
            else:
                send("502 5.5.2 Error: command not recognized")
    finally:
        conn.close()
def listen(s):
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()
for i in range(5):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    ports.append(s.getsockname()[1])
    threading.Thread(target=listen, args=(s,), daemon=True).start()
open(sys.argv[2], "w").write(" ".join(map(str, ports)) + "\n")
threading.Event().wait()
EOF
: >"$DIR/sink.log"
python3 "$DIR/sink.py" "$DIR/sink.log" "$DIR/ports" &
SINK_PID=$!
i=0
while [ ! -s "$DIR/ports" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
set -- $(cat "$DIR/ports")
P0=$1 P1=$2 P2=$3 P3=$4 P4=$5

# --- the Postfix instance
cp /etc/postfix/master.cf "$DIR/etc/master.cf"
grep -q '^postlog' "$DIR/etc/master.cf" ||
    echo 'postlog   unix-dgram n  -       n       -       1       postlogd' >>"$DIR/etc/master.cf"
cat >"$DIR/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $DIR/queue
data_directory = $DIR/data
myhostname = mx.test.example
mydomain = test.example
myorigin = example.org
mydestination =
inet_interfaces = loopback-only
master_service_disable = inet
smtp_dns_support_level = disabled
smtp_tls_security_level = none
maillog_file = $DIR/maillog
maillog_file_prefixes = $DIR
transport_maps = inline:{ {gmail.com = smtp:[127.0.0.1]:$P0}, {googlemail.com = smtp:[127.0.0.1]:$P1}, {yahoo.com = smtp:[127.0.0.1]:$P2}, {outlook.com = smtp:[127.0.0.1]:$P3}, {example.net = smtp:[127.0.0.1]:$P4}, {example.org = smtp:[127.0.0.1]:$P4} }
EOF
if [ -n "$OLD_ALT" ]; then
    postconf -e "alternate_config_directories = $OLD_ALT, $DIR/etc"
else
    postconf -e "alternate_config_directories = $DIR/etc"
fi
postfix -c "$DIR/etc" start >/dev/null 2>&1 || {
    echo "FAIL: postfix -c $DIR/etc start"
    exit 1
}

# one message per recipient: a 421 ends its session only
for rcpt in ok@gmail.com rate@googlemail.com tss@yahoo.com block@outlook.com \
    unknown@example.net grey@example.net; do
    printf 'Subject: test\nMessage-ID: <%s.test@example.org>\n\nhello\n' "$rcpt" |
        /usr/sbin/sendmail -C "$DIR/etc" -f alice@example.org "$rcpt"
done

# wait for the six outcomes and the two non-delivery notices (to alice@example.org)
want=8
i=0
while [ $i -lt 300 ]; do
    n=$(grep -c ' status=' "$DIR/maillog" 2>/dev/null || echo 0)
    [ "$n" -ge $want ] && break
    sleep 0.1
    i=$((i + 1))
done
postfix -c "$DIR/etc" stop >/dev/null 2>&1
if [ "$n" -lt $want ]; then
    echo "FAIL: Postfix logged $n of $want outcomes:"
    cat "$DIR/maillog"
    exit 1
fi

# --- what mxdiag reads, against what the sink answered
"$BIN" log --events "$DIR/maillog" >"$DIR/events.jsonl" || { echo "FAIL: mxdiag log"; exit 1; }
"$BIN" log --json "$DIR/maillog" >"$DIR/report.json" || { echo "FAIL: mxdiag log --json"; exit 1; }
python3 - "$DIR/sink.log" "$DIR/events.jsonl" "$DIR/report.json" "$BIN" <<'EOF'
import json, subprocess, sys
BIN = sys.argv[4]
sink = {}
for line in open(sys.argv[1]):
    addr, code = line.split()
    sink[addr] = code
events = {}
for line in open(sys.argv[2]):
    e = json.loads(line)
    events.setdefault(e["recipient"], e)
want = {  # recipient: (outcome, status, reason, provider)
    "ok@gmail.com": ("sent", "2.0.0", "delivered", "google"),
    "rate@googlemail.com": ("deferred", "4.7.28", "blocked", "google"),
    "tss@yahoo.com": ("deferred", "4.7.0", "badreputation", "yahoo"),
    "block@outlook.com": ("bounced", "5.7.708", None, "microsoft365"),
    "unknown@example.net": ("bounced", "5.1.1", "userunknown", None),
    "grey@example.net": ("deferred", "4.2.0", None, None),
}
bad = 0
for rcpt, (outcome, status, reason, provider) in want.items():
    e = events.get(rcpt)
    code = sink.get(rcpt)
    exp = {"2": "sent", "4": "deferred", "5": "bounced"}[code[0]] if code else None
    got = (e["outcome"], e["status"], e["reason"], e["provider"]) if e else None
    # one verdict: the reason is the one `mxdiag explain` gives for the same reply text
    agree = True
    if e and e["outcome"] != "sent":
        x = json.loads(subprocess.run([BIN, "explain", "--json", e["diagnosticcode"]],
                                      capture_output=True, text=True).stdout)
        agree = x["reason"] == e["reason"]
    ok = e is not None and exp == outcome == e["outcome"] and e["status"] == status and \
        (reason is None or e["reason"] == reason) and e["provider"] == provider and \
        e["addresser"] == "alice@example.org" and e["messageid"] == rcpt + ".test@example.org" \
        and agree
    bad += not ok
    print("%-22s sink %s -> mxdiag %s %s" % (rcpt, code, got, "ok" if ok else "WRONG"))
t = json.load(open(sys.argv[3]))["totals"]
print("totals:", t)
# received: the six pickups (the notices come from the bounce daemon, as pflogsumm counts);
# delivered: ok@ and the two notices to alice@example.org
exp_t = {"received": 6, "delivered": 3, "deferred": 3, "bounced": 2}
for k, v in exp_t.items():
    if t[k] != v:
        print("totals %s: %s, expected %s WRONG" % (k, t[k], v))
        bad += 1
sys.exit(1 if bad else 0)
EOF
rc=$?
[ $rc = 0 ] && echo "PASS: mxdiag log reports what the sink answered" || sed -n '1,200p' "$DIR/maillog"
[ $rc = 0 ] || exit $rc

# --- mxdiag watch follows the same log in two parts (as if Postfix wrote it while the watch
# ran) and ingests a Maildir: the volume per provider and hour is the log's, no line counted
# twice, the Microsoft block raises one new-block alert; the Maildir's bounces feed the
# suppression list and its messages move to cur/.
SRCDIR=${MXD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
mkdir -p "$DIR/Maildir/new" "$DIR/Maildir/cur" "$DIR/Maildir/tmp"
for f in "$SRCDIR"/tests/fixtures/ingest/*.eml; do
    cp "$f" "$DIR/Maildir/new/$(basename "$f" .eml)"
done
n=$(wc -l <"$DIR/maillog")
head -n $((n / 2)) "$DIR/maillog" >"$DIR/followed.log"
cat >"$DIR/watch.conf" <<EOF
[general]
db = $DIR/watch.db
listen = none
[logs]
files = $DIR/followed.log
format = postfix
[maildirs]
watch = $DIR/Maildir
[alert]
exec = cat >> $DIR/alerts.jsonl
EOF
"$BIN" watch --config "$DIR/watch.conf" --once >"$DIR/once1.out" 2>"$DIR/once1.err"
rc1=$?
tail -n +$((n / 2 + 1)) "$DIR/maillog" >>"$DIR/followed.log"
"$BIN" watch --config "$DIR/watch.conf" --once >"$DIR/once2.out" 2>"$DIR/once2.err"
rc2=$?
"$BIN" watch --config "$DIR/watch.conf" --once >"$DIR/once3.out" 2>"$DIR/once3.err"
rc3=$?
python3 - "$DIR" "$rc1" "$rc2" "$rc3" <<'PY'
import json, os, sqlite3, sys
d, rc1, rc2, rc3 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
bad = 0
def check(cond, what):
    global bad
    print(("ok   " if cond else "FAIL ") + what)
    bad += not cond
events = [json.loads(l) for l in open(d + "/events.jsonl")]
want = {}
for e in events:
    if e["outcome"] in ("sent", "deferred", "bounced", "rejected", "expired"):
        k = (e["provider"] or "other", e["outcome"])
        want[k] = want.get(k, 0) + 1
c = sqlite3.connect(d + "/watch.db")
got = {}
for prov, sent, deferred, bounced, rejected, expired in c.execute(
        "SELECT provider, sum(sent), sum(deferred), sum(bounced), sum(rejected), sum(expired) "
        "FROM traffic_hourly GROUP BY provider"):
    for k, v in (("sent", sent), ("deferred", deferred), ("bounced", bounced),
                 ("rejected", rejected), ("expired", expired)):
        if v:
            got[(prov, k)] = v
check(got == want, "watch's volume per provider = mxdiag log's events: %s / %s" % (got, want))
path = d + "/alerts.jsonl"
alerts = [json.loads(l) for l in open(path)] if os.path.exists(path) else []
blocks = [a for a in alerts if a["alert"]["kind"] == "new-block"]
check(any(a["alert"]["subject"] == "microsoft365" for a in blocks),
      "a new-block alert for microsoft365: %s" % [a["summary"] for a in alerts])
check(len([a for a in blocks if a["alert"]["subject"] == "microsoft365"]) == 1,
      "one new-block alert for microsoft365 over three runs")
check(sorted(os.listdir(d + "/Maildir/new")) == [], "the Maildir's new/ is empty")
cur = os.listdir(d + "/Maildir/cur")
check(len(cur) == 12 and all(f.endswith(":2,") for f in cur), "12 messages in cur/, no flag")
n_msgs = c.execute("SELECT count(*) FROM messages").fetchone()[0]
check(n_msgs == 12, "12 messages ingested once (%d)" % n_msgs)
sup = [r[0] for r in c.execute("SELECT address FROM suppressions WHERE active = 1")]
check(len(sup) >= 2, "the Maildir's hard bounces and complaints suppress: %s" % sup)
# which half holds the blocks depends on the order Postfix logged in
check(set((rc1, rc2)) <= {0, 2} and 2 in (rc1, rc2) and rc3 == 0, "--once exits 2 (CRITICAL) "
      "for a run that saw a new block, else 0 (%d, %d, %d)" % (rc1, rc2, rc3))
check(sorted(a["alert"]["subject"] for a in blocks) == ["google", "microsoft365", "yahoo"],
      "one new-block alert per blocking provider")
sys.exit(1 if bad else 0)
PY
rc=$?
[ $rc = 0 ] && echo "PASS: mxdiag watch follows the log and ingests the Maildir" ||
    cat "$DIR"/once*.err
exit $rc
