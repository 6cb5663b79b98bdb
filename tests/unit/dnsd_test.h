/* dnsd_test.h - start and stop the test DNS server (tests/dnsd/dnsd.py) from a unit test
 * SPDX-License-Identifier: MIT
 *
 * Included by the unit tests that talk DNS; everything is static. dnsd_start() runs
 * /usr/bin/python3 tests/dnsd/dnsd.py (MXD_SOURCE_DIR gives the source tree) on a free port of
 * 127.0.0.1 and waits for its port file; dnsd_stop() sends SIGTERM and reaps it.
 */
#ifndef MXD_TEST_DNSD_H
#define MXD_TEST_DNSD_H

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PYTHON        "/usr/bin/python3"
#define START_WAIT_MS 10000

typedef struct dnsd {
    pid_t pid;
    char addr[64];
} dnsd;

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* dnsd_start - run dnsd.py on zone with extra arguments; 0, or -1 when it cannot start. */
static int dnsd_start(dnsd *d, const char *tmpdir, const char *zone, const char *tag,
                      const char *delay)
{
    const char *src = getenv("MXD_SOURCE_DIR");
    char script[512], portfile[512];
    snprintf(script, sizeof script, "%s/tests/dnsd/dnsd.py", src ? src : ".");
    snprintf(portfile, sizeof portfile, "%s/port-%s", tmpdir, tag);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 1);
            dup2(null, 2);
        }
        if (delay)
            execl(PYTHON, PYTHON, script, "--zone", zone, "--port", "0", "--port-file", portfile,
                  "--delay", delay, (char *)NULL);
        else
            execl(PYTHON, PYTHON, script, "--zone", zone, "--port", "0", "--port-file", portfile,
                  (char *)NULL);
        _exit(127);
    }
    d->pid = pid;
    for (long t0 = now_ms(); now_ms() - t0 < START_WAIT_MS;) {
        FILE *f = fopen(portfile, "r");
        if (f) {
            char buf[16] = "";
            size_t n = fread(buf, 1, sizeof buf - 1, f);
            fclose(f);
            buf[n] = 0;
            if (n && buf[n - 1] == '\n') {
                buf[n - 1] = 0;
                snprintf(d->addr, sizeof d->addr, "127.0.0.1:%s", buf);
                return 0;
            }
        }
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            d->pid = 0;
            return -1;
        }
        usleep(20000);
    }
    return -1;
}

static void dnsd_stop(dnsd *d)
{
    if (d->pid > 0) {
        kill(d->pid, SIGTERM);
        waitpid(d->pid, NULL, 0);
        d->pid = 0;
    }
}

#endif
