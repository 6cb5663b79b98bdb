#!/usr/bin/env python3
# bench/startup-spawn.py - whole-process start-up of several binaries, interleaved: each round
# spawns /bin/true and every PROG in a shuffled order; prints the median per program and its
# distance above /bin/true (the floor of process creation on this machine).
# SPDX-License-Identifier: MIT
# usage: python3 bench/startup-spawn.py ROUNDS PROG...   (BARGS="explain|550 5.1.1 no such user":
#        the arguments, "|"-separated)
import os, statistics, sys, time, random
runs = int(sys.argv[1]); progs = sys.argv[2:]
args = os.environ.get("BARGS", "explain|550 5.1.1 no such user").split("|")
devnull = os.open(os.devnull, os.O_WRONLY)
fa = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
def once(argv):
    t = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=fa)
    _, st = os.waitpid(pid, 0)
    dt = (time.perf_counter() - t) * 1000
    assert os.waitstatus_to_exitcode(st) == 0, argv
    return dt
cmds = [("/bin/true", ["/bin/true"])] + [(p, [p] + args) for p in progs]
for _, a in cmds:
    for _ in range(5): once(a)
times = {n: [] for n, _ in cmds}
la0 = open("/proc/loadavg").read().split()[0]
for _ in range(runs):
    order = cmds[:]; random.shuffle(order)
    for n, a in order: times[n].append(once(a))
la1 = open("/proc/loadavg").read().split()[0]
fl = statistics.median(times["/bin/true"])
print("runs %d args %r load %s -> %s" % (runs, args, la0, la1))
for n, _ in cmds:
    v = sorted(times[n]); m = statistics.median(v)
    print("%-30s median %5.2f ms (+%4.2f)  p25 %5.2f  p75 %5.2f  min %5.2f" % (n.replace("./",""), m, m - fl, v[len(v)//4], v[3*len(v)//4], v[0]))
