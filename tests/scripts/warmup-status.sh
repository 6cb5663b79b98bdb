#!/bin/sh
# warmup-status.sh - mxdiag warmup status on a generated Postfix log of nine days of a warm-up
# that keeps to its plan, until on the ninth day Gmail starts deferring (421 4.7.28 on 3% of
# its mail) and Microsoft blocks 2% (550 5.7.1 ... (S3150)). Gmail must hold, Microsoft slow
# down, the others advance; the day before, everyone advances. The plan comes from the store
# (`warmup plan --db`) and, the second time, from the options.
# SPDX-License-Identifier: MIT
#
# usage: warmup-status.sh MXDIAG
#
# The log is written by this script (rsyslog's RFC 3339 stamps, Postfix's qmgr and smtp lines
# with the replies the providers give, as tests/scripts/log-postfix-real.sh's sink sends them):
# a real Postfix run cannot produce nine days of dates.
set -u
BIN=$1
MXD_SCRIPTS=$(cd "$(dirname "$0")" && pwd) exec /usr/bin/python3 - "$BIN" <<'PY'
import json, os, subprocess, sys, tempfile

mxdiag = sys.argv[1]
work = tempfile.mkdtemp(prefix="mxd-warmup-")
sys.path.insert(0, os.environ["MXD_SCRIPTS"])
from testkit import check, fails, wait_for  # noqa: E402



def run(*args):
    return subprocess.run([mxdiag] + list(args), capture_output=True, text=True, timeout=120)


IP = "192.0.2.10"
db = os.path.join(work, "db")
p = run("warmup", "plan", "--ip", IP, "--target", "20000", "--start", "2026-12-01",
        "--json", "--db", db)
check(p.returncode == 0, "plan --db: exit 0 (%s)" % p.stderr.strip())
plan = json.loads(p.stdout)
check(len(plan["plan"]) == 28 and plan["plan"][-1]["total"] == 20000, "28 days, 20,000 at the end")
for g in ("microsoft", "gmail", "yahoo", "apple", "other"):
    vols = [d["volume"][g] for d in plan["plan"]]
    check(all(b <= 2 * a and b >= a for a, b in zip(vols, vols[1:])),
          "%s: never more than double, never down" % g)
check("warm-gmail_destination_rate_delay" in plan["postfix"], "the Postfix settings are in the JSON")

DOMAIN = {"microsoft": ("outlook.com", "outlook-com.olc.protection.outlook.com", "52.101.8.36"),
          "gmail": ("gmail.com", "gmail-smtp-in.l.google.com", "142.250.153.27"),
          "yahoo": ("yahoo.com", "mta7.am0.yahoodns.net", "67.195.204.72"),
          "apple": ("icloud.com", "mx01.mail.icloud.com", "17.57.155.23"),
          "other": ("example.net", "mx.example.net", "198.51.100.25")}
GMAIL_428 = ("421-4.7.28 [%s      15] Our system has detected an unusual rate of unsolicited "
             "mail originating from your IP address. To protect our users from spam, mail sent "
             "from your IP address has been temporarily rate limited. For more information, go "
             "to https://support.google.com/mail/?p=UnsolicitedRateLimitError to review our "
             "Bulk Email Senders Guidelines. 41be03b00d2f7-5c6b1a2 - gsmtp" % IP)
MS_S3150 = ("550 5.7.1 Unfortunately, messages from [%s] weren't sent. Please contact your "
            "Internet service provider since part of their network is on our block list "
            "(S3150). You can also refer your provider to "
            "http://mail.live.com/mail/troubleshooting.aspx#errors." % IP)
seq = [0]


def message(out, day, sec, g, outcome):
    seq[0] += 1
    qid = "%010X" % (0x4F10000000 + seq[0])
    dom, host, addr = DOMAIN[g]
    t = "2026-12-%02dT%02d:%02d:%02d.000000+00:00" % (day, sec // 3600, sec // 60 % 60, sec % 60)
    pre = "%s mx1 postfix/" % t
    out.write("%sqmgr[99]: %s: from=<news@example.com>, size=4210, nrcpt=1 (queue active)\n" % (pre, qid))
    to = "%ssmtp[%d]: %s: to=<u%d@%s>, relay=%s[%s]:25, delay=1.2, delays=0.1/0/0.5/0.6, " % (
        pre, 2000 + seq[0] % 50, qid, seq[0], dom, host, addr)
    if outcome == "sent":
        out.write(to + "dsn=2.0.0, status=sent (250 2.0.0 OK 1733650000 - gsmtp)\n")
    elif outcome == "428":
        out.write(to + "dsn=4.7.28, status=deferred (host %s[%s] said: %s (in reply to RCPT TO command))\n"
                  % (host, addr, GMAIL_428))
        return
    else:
        out.write(to + "dsn=5.7.1, status=bounced (host %s[%s] said: %s (in reply to MAIL FROM command))\n"
                  % (host, addr, MS_S3150))
    out.write("%sqmgr[99]: %s: removed\n" % (pre, qid))


def write_log(path, last_day, trouble):
    with open(path, "w") as out:
        for day in range(1, last_day + 1):
            lines = []
            for g in DOMAIN:
                n = plan["plan"][day - 1]["volume"][g]
                bad = 0
                if trouble and day == last_day and g == "gmail":
                    bad = round(n * 0.03)
                if trouble and day == last_day and g == "microsoft":
                    bad = round(n * 0.02)
                for i in range(n):
                    kind = "sent"
                    if i < bad:
                        kind = "428" if g == "gmail" else "s3150"
                    lines.append((g, kind))
            # spread over the day, providers interleaved
            for k, (g, kind) in enumerate(lines):
                message(out, day, 8 * 3600 + k * (12 * 3600 // max(len(lines), 1)), g, kind)


log = os.path.join(work, "mail.log")
write_log(log, 9, True)
p = run("warmup", "status", "--ip", IP, "--log", log, "--db", db)
print(p.stdout)
check(p.returncode == 0, "status: exit 0 (%s)" % p.stderr.strip())
gmail_vol = plan["plan"][8]["volume"]["gmail"]
ms_vol = plan["plan"][8]["volume"]["microsoft"]
pct = round(100 * round(gmail_vol * 0.03) / gmail_vol)


def fmt(n):
    return "{:,}".format(n)


check("Gmail 4.7.28 on %d%% of yesterday's mail: hold at %s/day" % (pct, fmt(gmail_vol)) in p.stdout,
      "Gmail holds at its volume, naming 4.7.28 and its share")
check("Microsoft S3150 on" in p.stdout and "slow down to %s/day" % fmt(ms_vol // 2) in p.stdout,
      "Microsoft slows down to half, naming S3150")
for name in ("Yahoo/AOL", "Apple", "others"):
    nxt = plan["plan"][9]["volume"][{"Yahoo/AOL": "yahoo", "Apple": "apple", "others": "other"}[name]]
    check("%s: %s recipients yesterday without throttling or blocks: advance to %s/day"
          % (name, fmt(plan["plan"][8]["volume"][{"Yahoo/AOL": "yahoo", "Apple": "apple",
                                                  "others": "other"}[name]]), fmt(nxt)) in p.stdout,
          "%s advances to the plan's next day" % name)
check("all outbound mail (the log does not say which IP sent)" in p.stdout,
      "says that the log does not name the sending IP")
check("(plan as stored)" in p.stdout, "the plan came from the store")

# JSON: the counts per day and group
p = run("warmup", "status", "--ip", IP, "--log", log, "--db", db, "--json")
j = json.loads(p.stdout)
v = {x["group"]: x for x in j["verdicts"]}
check(v["gmail"]["action"] == "hold" and v["microsoft"]["action"] == "slow down" and
      v["yahoo"]["action"] == "advance", "JSON: the actions")
d9 = [d for d in j["days"] if d["date"] == "2026-12-09" and d["group"] == "gmail"][0]
check(d9["throttled"] == round(gmail_vol * 0.03) and d9["deferred"] == d9["throttled"] and
      d9["sent"] == gmail_vol - d9["throttled"], "JSON: Gmail's day 9 counts")
d8 = [d for d in j["days"] if d["date"] == "2026-12-08" and d["group"] == "microsoft"][0]
check(d8["planned"] == plan["plan"][7]["volume"]["microsoft"] and d8["sent"] == d8["planned"],
      "JSON: Microsoft's day 8 as planned")

# the day before the trouble, from the options instead of the store: everyone advances
log8 = os.path.join(work, "mail8.log")
write_log(log8, 8, False)
p = run("warmup", "status", "--ip", IP, "--log", log8, "--target", "20000", "--start",
        "2026-12-01", "--json")
j = json.loads(p.stdout)
check(p.returncode == 0 and all(x["action"] == "advance" for x in j["verdicts"]),
      "day 8 without trouble: every group advances")
check(j["plan"]["origin"] == "recomputed from the options", "the plan recomputed from the options")

# no plan stored for another IP
p = run("warmup", "status", "--ip", "192.0.2.99", "--log", log, "--db", db)
check(p.returncode == 66 and "no warm-up plan stored for 192.0.2.99" in p.stderr,
      "no stored plan: exit 66, says so")

subprocess.run(["rm", "-rf", work])
print("%d failure(s)" % len(fails))
sys.exit(1 if fails else 0)
PY
