/* bench.c - bench/watch: rounds of mxdiag watch over many IPs, a simulated week, a year of
 * history on the dashboard
 * SPDX-License-Identifier: MIT
 *
 * usage: bench CONFIG-1000 CONFIG-WEEK DB-YEAR ROUNDS WEEK-ROUNDS
 *   1. ROUNDS rounds of the CONFIG-1000 watch (1,000 IPs on the default lists), 15 simulated
 *      minutes apart (mxd_watch_once with its own clock): per round the CPU seconds, the wall
 *      seconds and the DNS queries; from them the average CPU share of a core at one round
 *      every 15 minutes and the queries per list per day against the configured budget.
 *   2. WEEK-ROUNDS rounds (672 = a week at 15 minutes) of the CONFIG-WEEK watch: the resident
 *      memory and the database size after the first round, after a day and at the end.
 *   3. A year of history in DB-YEAR (hourly traffic of 6 providers, a change a day for 200
 *      checks, 9,000 current checks): the dashboard, /metrics and /api/status rendered 21 times
 *      each, the median milliseconds.
 * Prints figures; fails only when a run fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <mxdiag/mxdiag.h>
#include <mxdiag/watch.h>
#include <mxdiag/store.h>
#include "watch/watch_internal.h"

#define T0 1790000000LL

static double cpu_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, res = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &res) != 2)
            res = 0;
        fclose(f);
    }
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static long long file_kib(const char *path)
{
    struct stat st;
    char wal[4096];
    long long n = 0;
    if (!stat(path, &st))
        n += st.st_size;
    snprintf(wal, sizeof wal, "%s-wal", path);
    if (!stat(wal, &st))
        n += st.st_size;
    return n / 1024;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static mxd_watch *open_watch(const mxd_kb *kb, const char *conf)
{
    mxd_watch *w;
    char why[1024];
    if (mxd_watch_new(kb, conf, NULL, &w, why, sizeof why)) {
        fprintf(stderr, "bench/watch: %s\n", why);
        exit(1);
    }
    return w;
}

static FILE *devnull(void)
{
    FILE *f = fopen("/dev/null", "w");
    if (!f)
        exit(1);
    return f;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: bench CONFIG-1000 CONFIG-WEEK DB-YEAR ROUNDS WEEK-ROUNDS\n");
        return 2;
    }
    int rounds = atoi(argv[4]), week = atoi(argv[5]);
    mxd_kb *kb;
    if (mxd_kb_open(&kb))
        return 1;
    FILE *null = devnull();

    /* 1. rounds over 1,000 IPs */
    mxd_watch *w = open_watch(kb, argv[1]);
    double cpu_sum = 0, wall_sum = 0;
    unsigned long long q0 = 0, checks0 = 0;
    mxd_watch_counters c;
    for (int i = 0; i < rounds; i++) {
        double c0 = cpu_now(), w0 = wall_now();
        mxd_watch_once(w, T0 + i * 900LL, null);
        double dc = cpu_now() - c0, dw = wall_now() - w0;
        mxd_watch_get_counters(w, &c);
        printf("round %d: %.2f s CPU, %.2f s wall, %llu DNS queries, %llu results\n", i + 1, dc, dw,
               c.dns_queries - q0, c.checks - checks0);
        q0 = c.dns_queries;
        checks0 = c.checks;
        if (i) { /* the first round creates every row: the steady state is the rest */
            cpu_sum += dc;
            wall_sum += dw;
        }
    }
    mxd_watch_get_counters(w, &c);
    if (rounds > 1) {
        double cpu = cpu_sum / (rounds - 1), per_round_q = (double)c.dns_queries / rounds;
        printf("steady round: %.2f s CPU, %.2f s wall; at one round every 15 minutes: %.3f%% of "
               "a core\n",
               cpu, wall_sum / (rounds - 1), cpu / 900.0 * 100.0);
        printf("DNS: %.0f queries a round = %.1f queries/s on average over the 15 minutes; "
               "%.0f a day in all\n",
               per_round_q, per_round_q / 900.0, per_round_q * 96);
        /* each list is asked once per IP and twice for its health probe a round */
        printf("DNS: each blocklist gets at most (1,000 + 2) x 96 = %d queries a day; the "
               "budget is 100,000\n",
               (1000 + 2) * 96);
    }
    mxd_watch_free(w);

    /* 2. a simulated week */
    w = open_watch(kb, argv[2]);
    long rss1 = 0, rss_day = 0;
    long long db1 = 0, db_day = 0;
    char dbpath[4096];
    snprintf(dbpath, sizeof dbpath, "%s", argv[3]);
    char *slash = strrchr(dbpath, '/');
    snprintf(slash ? slash + 1 : dbpath, sizeof dbpath - (size_t)(slash ? slash + 1 - dbpath : 0),
             "week.db");
    double w0 = wall_now();
    for (int i = 0; i < week; i++) {
        mxd_watch_once(w, T0 + i * 900LL, null);
        if (i == 0) {
            rss1 = rss_kib();
            db1 = file_kib(dbpath);
        }
        if (i == 95) {
            rss_day = rss_kib();
            db_day = file_kib(dbpath);
        }
    }
    mxd_watch_get_counters(w, &c);
    printf("week: %d rounds (%.1f simulated days) in %.0f s, %llu results stored\n", week,
           week / 96.0, wall_now() - w0, c.checks);
    printf("week: resident memory %ld KiB after round 1, %ld KiB after a day, %ld KiB at the "
           "end\n",
           rss1, rss_day, rss_kib());
    printf("week: database %lld KiB after round 1, %lld KiB after a day, %lld KiB at the end\n",
           db1, db_day, file_kib(dbpath));
    mxd_watch_free(w);

    /* 3. a year of history on the dashboard */
    mxd_store *s;
    char why[1024];
    if (mxd_store_open(argv[3], 0, &s, why, sizeof why)) {
        fprintf(stderr, "bench/watch: %s\n", why);
        return 1;
    }
    long long now = T0 + 365LL * 86400;
    static const char *const prov[] = {"google", "microsoft", "yahoo", "apple", "gmx", "other"};
    mxd_store_begin(s);
    for (long long h = 0; h < 365 * 24; h++)
        for (int p = 0; p < 6; p++) {
            long long hour = T0 + h * 3600;
            mxd_store_traffic_add(s, hour, prov[p], "sent", 500 + (unsigned)(h % 97) * (p + 1));
            mxd_store_traffic_add(s, hour, prov[p], "deferred", (unsigned)(h % 13));
            mxd_store_traffic_add(s, hour, prov[p], "bounced", (unsigned)(h % 7));
        }
    for (int k = 0; k < 9000; k++) {
        char key[64], subj[32], item[16];
        snprintf(subj, sizeof subj, "198.18.%d.%d", k / 9 / 250, k / 9 % 250 + 1);
        snprintf(item, sizeof item, "list%d", k % 9);
        snprintf(key, sizeof key, "dnsbl/%s/%s", subj, item);
        mxd_watch_check r = {key,          "dnsbl", subj, item, MXD_WATCH_OK, "clean",
                             "not listed", 0,       0,    0,    NULL,         MXD_WATCH_OK};
        int changes = k < 200 ? 365 : 1;
        for (int d = 0; d < changes; d++) {
            r.state = (d % 2) ? MXD_WATCH_PROBLEM : MXD_WATCH_OK;
            r.value = (d % 2) ? "listed 127.0.0.2" : "clean";
            mxd_store_watch_record(s, &r, T0 + d * 86400LL, NULL);
        }
    }
    if (mxd_store_commit(s)) {
        fprintf(stderr, "bench/watch: %s\n", mxd_store_error(s));
        return 1;
    }
    mxd_store_sync(s);
    printf("year: database %lld KiB (6 providers x 8,760 hours, 9,000 checks, 73,000 "
           "changes)\n",
           file_kib(argv[3]));
    watch_stats st = {0};
    st.started = T0;
    const char *names[] = {"dashboard /", "/metrics", "/api/status"};
    for (int which = 0; which < 3; which++) {
        double t[21];
        size_t len = 0;
        for (int i = 0; i < 21; i++) {
            double t0 = wall_now();
            char *body = which == 0   ? watch_render_dashboard(s, &st, now, &len, why, sizeof why)
                         : which == 1 ? watch_render_metrics(s, &st, now, &len, why, sizeof why)
                                      : watch_render_api(s, &st, "/api/status", now, &len,
                                                         &(int){0}, why, sizeof why);
            t[i] = (wall_now() - t0) * 1000;
            if (!body) {
                fprintf(stderr, "bench/watch: render: %s\n", why);
                return 1;
            }
            free(body);
        }
        qsort(t, 21, sizeof t[0], cmp_double);
        printf("year: %s rendered in %.1f ms (median of 21; %zu bytes)\n", names[which], t[10],
               len);
    }
    mxd_store_close(s);
    mxd_kb_free(kb);
    fclose(null);
    return 0;
}
