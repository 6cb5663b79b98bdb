/* watch.h - the monitoring daemon of `mxdiag watch`: checks on a schedule, alerts, HTTP
 * SPDX-License-Identifier: MIT
 *
 * A watch reads its configuration (an INI file, see mxdiag-watch(5)), then checks the watched
 * IPs (blocklists, PTR/FCrDNS) and domains (SPF, DKIM, DMARC, MX, MTA-STS, TLS-RPT) on a
 * schedule, follows the mail logs and ingests the Maildirs; every result goes to the store
 * (store.h, "watch"), alerts open on a change for the worse and close on the change back,
 * and notices go out through the configured channels. An HTTP server (127.0.0.1 by default)
 * serves a dashboard, Prometheus metrics and JSON.
 *
 * Nothing here keeps its own clock: the caller passes the time, so tests can drive it.
 */
#ifndef MXDIAG_WATCH_H
#define MXDIAG_WATCH_H

#include <signal.h>
#include <stdio.h>
#include "mxdiag/export.h"
#include "mxdiag/error.h"
#include "mxdiag/kb.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mxd_watch mxd_watch;

/* Nagios plugin statuses (what --once exits with). */
enum { MXD_NAGIOS_OK = 0, MXD_NAGIOS_WARNING = 1, MXD_NAGIOS_CRITICAL = 2, MXD_NAGIOS_UNKNOWN = 3 };

/* mxd_watch_new - read the configuration at config and open its database (db, when not NULL,
 * overrides the file's [general] db). On error *out is NULL and why says what: MXD_ERR_IO
 * (the file cannot be read, the database cannot be opened), MXD_ERR_PARSE (a bad setting:
 * why names group and key), MXD_ERR_INVALID (a listen address off loopback without a token),
 * MXD_ERR_NOLIB, MXD_ERR_BUSY, MXD_ERR_NOMEM. kb must outlive the watch. */
MXD_API mxd_err mxd_watch_new(const mxd_kb *kb, const char *config, const char *db, mxd_watch **out,
                              char *why, size_t whylen);
MXD_API void mxd_watch_free(mxd_watch *w);

/* mxd_watch_check_config - read and check the configuration at config without opening
 * anything it names; on MXD_OK a one-line summary goes to out ("3 IPs, 1 domain ..."). Errors
 * as mxd_watch_new() (no MXD_ERR_BUSY). */
MXD_API mxd_err mxd_watch_check_config(const char *config, char *out, size_t outlen, char *why,
                                       size_t whylen);

/* mxd_watch_once - every check once, at time now: results stored, alerts opened or closed,
 * notices sent; one line per check on out (NULL: none) after a Nagios summary line. Returns
 * the Nagios status: CRITICAL when a critical problem is found, else WARNING for a warning,
 * else UNKNOWN when a check could not be made, else OK. */
MXD_API int mxd_watch_once(mxd_watch *w, long long now, FILE *out);

/* What a watch has done since it was made (the figures of /metrics and bench/watch). */
typedef struct mxd_watch_counters {
    unsigned long long rounds;        /* rounds of IP or domain checks */
    unsigned long long checks;        /* results stored */
    unsigned long long dns_queries;   /* DNS queries sent */
    unsigned long long alerts_opened; /* alerts opened, closed */
    unsigned long long alerts_closed;
    unsigned long long notices_sent; /* notices every channel took; failed tries */
    unsigned long long notices_failed;
} mxd_watch_counters;

MXD_API void mxd_watch_get_counters(const mxd_watch *w, mxd_watch_counters *c);

/* mxd_watch_run - the daemon: the HTTP server, then checks on their schedule until *stop is
 * set; *reload set re-reads the configuration (a bad new one is logged and the old one kept).
 * Logs to stderr. MXD_OK after a stop; an error when the server cannot start. */
MXD_API mxd_err mxd_watch_run(mxd_watch *w, volatile sig_atomic_t *stop,
                              volatile sig_atomic_t *reload, char *why, size_t whylen);

#ifdef __cplusplus
}
#endif
#endif
