#!/bin/sh
# bench/fleet - fleet mode: `mxdiag ingest` with 1, 4 and 8 concurrent writers on PostgreSQL
# against one writer on SQLite, and `mxdiag suppress check` of a million addresses through one
# connection, on both
# SPDX-License-Identifier: MIT
#
# usage: bench/fleet/run.sh [MXDIAG]     (default: ./build/mxdiag)
#
# A PostgreSQL server (Debian's, tests/pg/pg-server.sh) in a temporary directory on a loopback
# port, fsync on (PG_FSYNC=off to compare without): a commit waits for its WAL on disk, as
# SQLite's store with synchronous=NORMAL does not until mxd_store_sync() at the end of a run,
# so the single-writer figures compare a durable commit per message with one per run.
#   1. a mailbox of BENCH_MB megabytes (default 10) of the bounces, complaints and reports of
#      tests/fixtures (and ../shared's corpus when present), each copy with its own Message-ID
#      and its own addresses (user.N@domain: a fleet's bounces are for many recipients);
#      ingested into a fresh SQLite file by one process, then into fresh PostgreSQL schemas by
#      1, 4 and 8 processes at once, each taking its share of the messages: wall seconds,
#      messages/s, and the ratio to SQLite;
#   2. SUPPRESS_N (default 1,000,000) suppressed addresses (written with SQL: the fill is not
#      what is measured), then `mxdiag suppress check -` of SUPPRESS_N addresses, half of them
#      suppressed, on SQLite and through one PostgreSQL connection (batched: 2,000 addresses a
#      query), and the ratio.
# It prints figures; it fails only when a run fails. Wall time, median of BENCH_RUNS (default 3).
set -eu
MXDIAG=$(cd "$(dirname "${1:-./build/mxdiag}")" && pwd)/$(basename "${1:-./build/mxdiag}")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
[ -x "$MXDIAG" ] || { echo "bench/fleet: $MXDIAG: no such program (build first)" >&2; exit 1; }
exec /usr/bin/python3 - "$MXDIAG" "$SRC" <<'PY'
import glob, mailbox, os, re, shutil, sqlite3, statistics, subprocess, sys, tempfile, time

mxdiag, src = sys.argv[1:3]
mb = float(os.environ.get("BENCH_MB", "10"))
runs = int(os.environ.get("BENCH_RUNS", "3"))
n_sup = int(os.environ.get("SUPPRESS_N", "1000000"))
work = tempfile.mkdtemp(prefix="mxd-bench-fleet-")
os.chmod(work, 0o755)
pgdir = os.path.join(work, "pg")
env = dict(os.environ, PG_FSYNC=os.environ.get("PG_FSYNC", "on"))
r = subprocess.run(["sh", os.path.join(src, "tests/pg/pg-server.sh"), "start", pgdir],
                   capture_output=True, text=True, env=env)
if r.returncode:
    sys.exit("bench/fleet: no PostgreSQL server: " + r.stderr.strip())
uri = r.stdout.strip()
nschema = [0]


def psql(sql):
    subprocess.run(["psql", uri, "-qAtX", "-c", sql], check=True, capture_output=True)


def schema():
    nschema[0] += 1
    name = f"b{nschema[0]}"
    psql(f"CREATE SCHEMA {name}")
    return uri + "?options=-csearch_path%3D" + name


try:
    print(f"== bench/fleet ({os.uname().machine}, {os.cpu_count()} CPUs; PostgreSQL fsync "
          f"{env['PG_FSYNC']}) ==")
    # --- 1. ingest ------------------------------------------------------------------------
    files = sorted(glob.glob(os.path.join(src, "tests/fixtures/ingest/*.eml")) +
                   glob.glob(os.path.join(src, "tests/fixtures/bounces/*.eml")))
    shared = os.path.join(src, "..", "shared", "corpus")
    files += sorted(glob.glob(os.path.join(shared, "bounces/maildir/**/*"), recursive=True))
    files = [f for f in files if os.path.isfile(f)]
    templates = [open(f, "rb").read().replace(b"\r\n", b"\n") for f in files]
    ADDR = re.compile(rb"([A-Za-z0-9._%+-]{1,64})@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
    msgs, size, i = [], 0, 0
    while size < mb * 1e6:
        raw = templates[i % len(templates)]
        head, _, body = raw.partition(b"\n\n")
        head = re.sub(rb"(?im)^message-id:.*(\n[ \t].*)*\n?", b"", head + b"\n").rstrip(b"\n")
        m = b"Message-ID: <bench-%d@fleet.example>\n" % i + head + b"\n\n" + body
        # each copy's recipients its own (user.<i>@domain): writers on different addresses
        m = ADDR.sub(lambda a: a.group(1) + b".%d@" % i + a.group(2), m)
        msgs.append(m)
        size += len(m)
        i += 1

    def write(path, items):
        box = mailbox.mbox(path, create=True)
        for m in items:
            box.add(mailbox.mboxMessage(m))
        box.flush()
        box.close()

    write(os.path.join(work, "all.mbox"), msgs)
    for n in (4, 8):
        for k in range(n):
            write(os.path.join(work, f"p{n}-{k}.mbox"), msgs[k::n])
    print(f"mailbox: {len(msgs)} messages, {size / 1e6:.1f} MB")

    def timed(cmds):
        t = time.monotonic()
        ps = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for c in cmds]
        for p in ps:
            _, err = p.communicate()
            if p.returncode:
                sys.exit(f"bench/fleet: {p.args}: exit {p.returncode}: {err.decode()[-300:]}")
        return time.monotonic() - t

    def median(fn):
        return statistics.median(fn() for _ in range(runs))

    def lite():
        db = os.path.join(work, f"lite{time.monotonic_ns()}.db")
        return timed([[mxdiag, "ingest", "--db", db, os.path.join(work, "all.mbox")]])

    base = median(lite)
    print(f"{'SQLite, 1 writer':28} {base:7.2f} s {len(msgs) / base:9.0f} msg/s   1.00x")
    for n in (1, 4, 8):
        def pg():
            db = schema()
            if n == 1:
                return timed([[mxdiag, "ingest", "--db", db, os.path.join(work, "all.mbox")]])
            return timed([[mxdiag, "ingest", "--db", db, os.path.join(work, f"p{n}-{k}.mbox")]
                          for k in range(n)])
        t = median(pg)
        print(f"{'PostgreSQL, %d writer%s' % (n, 's' if n > 1 else ''):28} {t:7.2f} s "
              f"{len(msgs) / t:9.0f} msg/s   {base / t:.2f}x")

    # --- 2. suppress check of a million addresses ---------------------------------------
    if n_sup:
        lite_db = os.path.join(work, "sup.db")
        subprocess.run([mxdiag, "suppress", "list", "--db", lite_db], capture_output=True)
        subprocess.run([mxdiag, "suppress", "add", "x@y.example", "--reason", "x", "--db", lite_db],
                       check=True, capture_output=True)
        c = sqlite3.connect(lite_db)
        c.execute("DELETE FROM suppressions")
        c.executemany("INSERT INTO suppressions (address, reason, effect, first_seen, last_seen,"
                      " count, source, msgkey, active, removed_at) VALUES (?, 'userunknown',"
                      " 'hard', 1700000000, 1700000000, 1, 'bench:1', ?, 1, 0)",
                      ((f"user{i}@bench.example", f"<b{i}@x>") for i in range(0, 2 * n_sup, 2)))
        c.commit()
        c.close()
        pg_db = schema()
        subprocess.run([mxdiag, "suppress", "add", "x@y.example", "--reason", "x", "--db", pg_db],
                       check=True, capture_output=True)
        name = f"b{nschema[0]}"
        psql(f"DELETE FROM {name}.suppressions; INSERT INTO {name}.suppressions (address, reason,"
             f" effect, first_seen, last_seen, count, source, msgkey, active, removed_at)"
             f" SELECT 'user' || i || '@bench.example', 'userunknown', 'hard', 1700000000,"
             f" 1700000000, 1, 'bench:1', '<b' || i || '@x>', 1, 0"
             f" FROM generate_series(0, {2 * n_sup - 2}, 2) AS i; ANALYZE {name}.suppressions")
        probe = os.path.join(work, "probe.txt")
        with open(probe, "w") as f:
            for i in range(n_sup):
                f.write(f"user{i}@bench.example\n")

        def check(db):
            def one():
                t = time.monotonic()
                with open(probe) as inp:
                    p = subprocess.run([mxdiag, "suppress", "check", "-", "--db", db], stdin=inp,
                                       stdout=subprocess.PIPE)
                t = time.monotonic() - t
                hits = p.stdout.count(b": suppressed")
                if hits != (n_sup + 1) // 2:
                    sys.exit(f"bench/fleet: {hits} hits, expected {(n_sup + 1) // 2}")
                return t
            return median(one)

        a, b = check(lite_db), check(pg_db)
        print(f"suppress check of {n_sup} addresses ({(n_sup + 1) // 2} suppressed):")
        print(f"{'  SQLite':28} {a:7.2f} s {n_sup / a:9.0f} addr/s   1.00x")
        print(f"{'  PostgreSQL, 1 connection':28} {b:7.2f} s {n_sup / b:9.0f} addr/s   {a / b:.2f}x")
finally:
    subprocess.run(["sh", os.path.join(src, "tests/pg/pg-server.sh"), "stop", pgdir])
    shutil.rmtree(work, ignore_errors=True)
PY
