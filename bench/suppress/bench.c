/* bench.c - bench/suppress: fill the suppression list with N addresses, check N addresses
 * SPDX-License-Identifier: MIT
 *
 * usage: bench-suppress DB [N]   (default N = 1000000; DB must not exist)
 *
 * Fills DB through the public API, as `mxdiag ingest` would: one transaction holding N hard
 * bounce events (mxd_store_event_add, each address suppressed). Then looks up N addresses in
 * one mxd_store_suppress_check() call, half of them suppressed, half not. Prints the seconds
 * of each phase, the lookups per second and the database size per 100,000 suppressed
 * addresses. No threshold: it prints figures, it passes or fails nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "mxdiag/store.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DB [N]\n", argv[0]);
        return 2;
    }
    const char *db = argv[1];
    size_t n = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000000;
    if (!n)
        return 2;
    char why[512];
    mxd_store *s;
    mxd_err e = mxd_store_open(db, 0, &s, why, sizeof why);
    if (e) {
        fprintf(stderr, "bench/suppress: %s\n", why);
        return 1;
    }
    char key[64], addr[128];
    double t = now();
    if ((e = mxd_store_begin(s)))
        goto fail;
    for (size_t i = 0; i < n; i++) {
        snprintf(key, sizeof key, "<bench-%zu@bench.example>", i);
        snprintf(addr, sizeof addr, "user%zu@bench.example", i);
        mxd_store_event ev = {key,
                              addr,
                              MXD_EFFECT_HARD,
                              "userunknown",
                              "5.1.1",
                              "550",
                              "550 5.1.1 <user@bench.example>: Recipient address rejected",
                              NULL,
                              NULL,
                              NULL,
                              "bench:1",
                              1700000000LL + (long long)i};
        if ((e = mxd_store_event_add(s, &ev, NULL, NULL)))
            goto fail;
    }
    if ((e = mxd_store_commit(s)))
        goto fail;
    double fill = now() - t;

    /* N queries: even i suppressed (user<i>), odd i not (nobody<i>) */
    char **q = malloc(n * sizeof *q);
    int *hit = malloc(n * sizeof *hit);
    if (!q || !hit)
        return 1;
    for (size_t i = 0; i < n; i++) {
        q[i] = malloc(48);
        if (!q[i])
            return 1;
        snprintf(q[i], 48, "%s%zu@bench.example", i % 2 ? "nobody" : "user", i);
    }
    t = now();
    if ((e = mxd_store_suppress_check(s, (const char *const *)q, n, hit, NULL, NULL)))
        goto fail;
    double check = now() - t;
    size_t hits = 0;
    for (size_t i = 0; i < n; i++)
        hits += hit[i] != 0;
    mxd_store_close(s); /* checkpoints the WAL into the database file */
    long long size = file_size(db);
    printf("suppressed addresses:      %zu (one transaction of %zu hard events)\n", n, n);
    printf("fill:                      %.2f s\n", fill);
    printf("check %zu addresses:  %.2f s (%zu hits, %.0f lookups/s)\n", n, check, hits,
           (double)n / check);
    printf("database size:             %.1f MB, %.2f MB per 100,000 suppressed addresses\n",
           (double)size / 1e6, (double)size / 1e6 / ((double)n / 100000.0));
    for (size_t i = 0; i < n; i++)
        free(q[i]);
    free(q);
    free(hit);
    return hits == (n + 1) / 2 ? 0 : 1;
fail:
    fprintf(stderr, "bench/suppress: %s: %s\n", mxd_strerror(e), mxd_store_error(s));
    mxd_store_close(s);
    return 1;
}
