/* dnsd_helper.h - start and stop the test DNS server (tests/dnsd/dnsd.py) from a unit test
 * SPDX-License-Identifier: MIT
 *
 * Header-only, for test programs: dnsd_start() writes nothing itself; it runs
 * /usr/bin/python3 dnsd.py on the given zone files on a free port of 127.0.0.1 and fills the
 * server address ("127.0.0.1:PORT") for mxd_dns_opts.servers.
 */
#ifndef MXD_TEST_DNSD_HELPER_H
#define MXD_TEST_DNSD_HELPER_H

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#define DNSD_PYTHON "/usr/bin/python3"

typedef struct dnsd_server {
    pid_t pid;
    char dir[128];
    char addr[64];
} dnsd_server;

/* dnsd_start - zone files by path (up to 4, NULL-terminated list); delay (milliseconds as
 * text, or NULL) delays every answer. 0, or -1 when the server cannot start (no python3 or
 * dnslib: the caller skips). */
static int dnsd_start(dnsd_server *d, const char *const *zones, const char *delay)
{
    const char *src = getenv("MXD_SOURCE_DIR");
    char script[512], port[200];
    memset(d, 0, sizeof *d);
    if (access(DNSD_PYTHON, X_OK) != 0)
        return -1;
    snprintf(d->dir, sizeof d->dir, "/tmp/mxd-test-dnsd-XXXXXX");
    if (!mkdtemp(d->dir))
        return -1;
    snprintf(script, sizeof script, "%s/tests/dnsd/dnsd.py", src ? src : ".");
    snprintf(port, sizeof port, "%s/port", d->dir);
    const char *argv[16];
    int n = 0;
    argv[n++] = DNSD_PYTHON;
    argv[n++] = script;
    for (int i = 0; zones[i] && i < 4; i++) {
        argv[n++] = "--zone";
        argv[n++] = zones[i];
    }
    argv[n++] = "--port";
    argv[n++] = "0";
    argv[n++] = "--port-file";
    argv[n++] = port;
    if (delay) {
        argv[n++] = "--delay";
        argv[n++] = delay;
    }
    argv[n] = NULL;
    d->pid = fork();
    if (d->pid < 0)
        return -1;
    if (d->pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) {
            dup2(devnull, 1);
            dup2(devnull, 2);
        }
        execv(DNSD_PYTHON, (char *const *)argv);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        FILE *p = fopen(port, "r");
        if (p) {
            char line[32] = "";
            int ok = fgets(line, sizeof line, p) != NULL;
            fclose(p);
            if (ok && line[0]) {
                line[strcspn(line, "\n")] = 0;
                snprintf(d->addr, sizeof d->addr, "127.0.0.1:%s", line);
                return 0;
            }
        }
        if (waitpid(d->pid, NULL, WNOHANG) == d->pid) {
            d->pid = 0;
            return -1;
        }
        usleep(50000);
    }
    return -1;
}

/* dnsd_test_entries - the path of tests/dnsd/dnsbl-test-entries.zone into out: the test
 * entries of every blocklist (127.0.0.2 ...), which a server that answers blocklist queries
 * needs beside its own zones, or the lists fail mxdiag's health probe. */
static inline const char *dnsd_test_entries(char *out, size_t len)
{
    const char *src = getenv("MXD_SOURCE_DIR");
    snprintf(out, len, "%s/tests/dnsd/dnsbl-test-entries.zone", src ? src : ".");
    return out;
}

/* dnsd_stop - stop the server and remove its directory. */
static void dnsd_stop(dnsd_server *d)
{
    char path[200];
    if (d->pid > 0) {
        kill(d->pid, SIGTERM);
        waitpid(d->pid, NULL, 0);
        d->pid = 0;
    }
    snprintf(path, sizeof path, "%s/port", d->dir);
    unlink(path);
    if (d->dir[0])
        rmdir(d->dir);
}

#endif
