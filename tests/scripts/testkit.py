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
