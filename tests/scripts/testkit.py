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
