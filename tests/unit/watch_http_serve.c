/* watch_http_serve.c - the watch daemon's HTTP server on a filled store, for
 * tests/scripts/watch-http.sh (until the daemon itself can be started there)
 * SPDX-License-Identifier: MIT
 *
 * usage: watch_http_serve DB [TOKEN]
 *
 * Creates the database at DB, fills it as the daemon would (watch_fill_helper.h, at the
 * current time, plus more IPs and a week of traffic for a person to look at), serves it on
 * 127.0.0.1 at a free port with watch_http_start() (TOKEN required when given), prints
 * "LISTEN 127.0.0.1:PORT" on stdout and serves until SIGTERM or SIGINT. Exits 0 after a clean
 * stop, 1 on an error (on stderr).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "mxdiag/store.h"
#include "watch/watch_internal.h"
#include "watch_fill_helper.h"

/* more - what makes the page look lived in: two more IPs, a week of traffic for yahoo with a
 * day's rhythm and a deferral burst. */
static mxd_err more(mxd_store *s, long long now)
{
    static const char *const lists[] = {"spamcop", "sbl", "barracuda", "psbl"};
    static const char *const ips[] = {"192.0.2.2", "198.51.100.7"};
    mxd_err e = MXD_OK;
    char key[128];
    for (size_t i = 0; !e && i < 2; i++) {
        for (size_t l = 0; !e && l < 4; l++) {
            snprintf(key, sizeof key, "dnsbl/%s/%s", ips[i], lists[l]);
            e = fill_record(s, key, "dnsbl", ips[i], lists[l], MXD_WATCH_OK, "not listed", "",
                            now - 5 * FILL_HOUR);
        }
        snprintf(key, sizeof key, "ptr/%s", ips[i]);
        if (!e)
            e = fill_record(s, key, "ptr", ips[i], NULL, i ? MXD_WATCH_PROBLEM : MXD_WATCH_OK,
                            i ? "no PTR" : "mx2.example.org",
                            i ? "198.51.100.7 has no PTR record (NXDOMAIN)" : "forward-confirmed",
                            now - 5 * FILL_HOUR);
    }
    long long h0 = now - now % FILL_HOUR - 167 * FILL_HOUR;
    for (long long h = h0; !e && h <= now; h += FILL_HOUR) {
        long long hod = (h / FILL_HOUR) % 24;
        unsigned long long v = 20 + (unsigned long long)(hod >= 7 && hod <= 19 ? 60 : 5);
        unsigned long long k = (unsigned long long)((h - h0) / FILL_HOUR);
        e = mxd_store_traffic_add(s, h, "yahoo", "sent", v);
        if (!e)
            e = mxd_store_traffic_add(s, h, "yahoo", "deferred",
                                      k >= 100 && k < 106 ? v / 2 : k % 11 == 0);
        if (!e && k % 13 == 0)
            e = mxd_store_traffic_add(s, h, "yahoo", "bounced", 2);
    }
    return e;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: watch_http_serve DB [TOKEN]\n");
        return 2;
    }
    char why[512] = "";
    long long now = (long long)time(NULL);
    mxd_store *s = NULL;
    mxd_err e = mxd_store_open(argv[1], 0, &s, why, sizeof why);
    if (!e && (e = watch_fill(s, now)) == MXD_OK)
        e = more(s, now);
    if (e) {
        fprintf(stderr, "watch_http_serve: %s: %s\n", argv[1], s ? mxd_store_error(s) : why);
        mxd_store_close(s);
        return 1;
    }

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* before the server's thread: it inherits it */

    watch_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.listen = "127.0.0.1:0";
    cfg.token = argc == 3 ? argv[2] : NULL;
    watch_stats stats = {.rounds = 3, .checks = 40, .dns_queries = 120, .started = now - 3600};
    watch_http *h = NULL;
    char bound[64];
    watch_stats_pub pub = {PTHREAD_MUTEX_INITIALIZER, stats};
    e = watch_http_start(&cfg, argv[1], &pub, &h, bound, sizeof bound, why, sizeof why);
    if (e) {
        fprintf(stderr, "watch_http_serve: %s\n", why);
        mxd_store_close(s);
        return 1;
    }
    printf("LISTEN %s\n", bound);
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    watch_http_stop(h);
    mxd_store_close(s);
    return 0;
}
