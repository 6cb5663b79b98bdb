# testkit.py - what the Python test scripts under tests/scripts share: one line per check
# ("ok   ..." or "FAIL ..."), the failures kept in `fails`, and a bounded wait.
# SPDX-License-Identifier: MIT
#
# A script's shell part runs its Python with MXD_SCRIPTS set to this directory; the Python
# does `sys.path.insert(0, os.environ["MXD_SCRIPTS"])` and `from testkit import ...`.
import time

fails = []


def check(cond, what):
    """Print what was checked and whether it held; remember a failure."""
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        fails.append(what)


def wait_for(pred, what, limit=60.0):
    """Poll pred every 0.1 s until it holds; after limit seconds (a hang, not a measure)
    count a failure. Nothing here asserts how long anything took."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.1)
    check(False, "waited for " + what)
    return False


class Dnsd:
    """tests/dnsd/dnsd.py on 127.0.0.1 at a free port, serving a zone file of the test's own
    (text, rewritten by set_zone) and the shared blocklist test entries. .addr is
    "127.0.0.1:PORT" for --dns-server / dns-servers; .proc the process."""

    def __init__(self, src, work, text):
        import os
        import subprocess
        self.zone = os.path.join(work, "bl.zone")
        self.portfile = os.path.join(work, "dnsd.port")
        self.reloads = 0
        with open(self.zone, "w") as f:
            f.write(text)
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", os.path.join(src, "tests/dnsd/dnsd.py"), "--zone", self.zone,
             "--zone", os.path.join(src, "tests/dnsd/dnsbl-test-entries.zone"), "--port", "0",
             "--port-file", self.portfile],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "dnsd.err"), "w"))
        self.addr = None
        if wait_for(lambda: os.path.exists(self.portfile) and open(self.portfile).read().strip(),
                    "dnsd to start"):
            self.addr = "127.0.0.1:" + open(self.portfile).read().strip()

    def set_zone(self, text):
        """Replace the zone and wait until dnsd has read it again (SIGHUP)."""
        import os
        import signal
        with open(self.zone + ".tmp", "w") as f:
            f.write(text)
        os.rename(self.zone + ".tmp", self.zone)
        self.proc.send_signal(signal.SIGHUP)
        self.reloads += 1
        rf = self.portfile + ".reloads"
        want = str(self.reloads)
        wait_for(lambda: os.path.exists(rf) and open(rf).read().strip() == want,
                 "dnsd to reload its zone")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()


def half(name):
    """The half of a bounce corpus a file belongs to, by its base name alone: "held" when the
    first hex digit of the MD5 of the name is 8-f (measured only), else "tune" (rules may be
    fitted to it). The same split for every corpus (bounce-split, bounce-ext, bounce-real)."""
    import hashlib
    return 'held' if hashlib.md5(name.encode()).hexdigest()[0] in '89abcdef' else 'tune'


def records_by_file(path, raw=False):
    """The records of `mxdiag bounce --jsonl` output at path, by the base name of the file
    each came from (an mbox message's ":N" left off): parsed objects, or with raw the lines
    as written. Lines that are not JSON are skipped."""
    import json
    import os
    import re
    recs = {}
    for line in open(path, encoding='utf-8', errors='replace'):
        try:
            r = json.loads(line)
        except ValueError:
            continue
        f = os.path.basename(re.sub(r':\d+$', '', str(r.get('source', ''))))
        recs.setdefault(f, []).append(line if raw else r)
    return recs
