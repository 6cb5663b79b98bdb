/* http_stub.c - placeholders until http.c lands (weak: the real ones win)
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include "watch/watch_internal.h"

__attribute__((weak)) mxd_err watch_http_start(const watch_config *cfg, const char *dbpath,
                                               const mxd_kb *kb, const watch_stats *stats,
                                               watch_http **out, char *bound, size_t boundlen,
                                               char *why, size_t whylen)
{
    (void)cfg, (void)dbpath, (void)kb, (void)stats, (void)bound, (void)boundlen;
    *out = NULL;
    snprintf(why, whylen, "no HTTP server in this build");
    return MXD_ERR_NOLIB;
}

__attribute__((weak)) void watch_http_stop(watch_http *h)
{
    (void)h;
}
