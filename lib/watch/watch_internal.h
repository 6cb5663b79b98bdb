/* watch_internal.h - the watch daemon's parts (internal)
 * SPDX-License-Identifier: MIT
 *
 *   libs.c     GLib (GKeyFile), libcurl and libmicrohttpd, loaded on first use (util/dl.h)
 *   config.c   the configuration file (GKeyFile), validated into a watch_config
 *   checks.c   the DNS checks of the watched IPs and domains, as mxd_watch_check results
 *   alerts.c   a result against the open alerts: open, update, close, notices to send
 *   notify.c   the channels: a command (JSON on stdin), a webhook (libcurl), sendmail -t
 *   follow.c   the mail logs (as `mxdiag log --follow`) and the Maildirs (as `mxdiag ingest`)
 *   feeds.c    SNDS fetched daily; SNDS and Postmaster Tools rows as check results
 *   http.c     the HTTP server (libmicrohttpd): dashboard, /metrics, /api
 *   render.c   what the server sends: HTML with SVG plots, Prometheus text, JSON
 *   watch.c    the daemon: schedule, budget, back-off, signals, --once
 */
#ifndef MXD_WATCH_INTERNAL_H
#define MXD_WATCH_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include "mxdiag/watch.h"
#include "mxdiag/store.h"
#include "mxdiag/kb.h"
#include "mxdiag/dns.h"

/* --- libraries loaded on first use (libs.c) ----------------------------------------------- */

/* watch_glib_ready / watch_mhd_ready (libcurl: util/curl_dl.h) - the library loaded (first call
 * loads it); 0 when it cannot be: mxd_strerror(MXD_ERR_NOLIB) then names it and says why. */
int watch_glib_ready(void);
int watch_mhd_ready(void);

/* --- configuration (config.c) ------------------------------------------------------------- */

#define WATCH_LISTEN_DEFAULT "127.0.0.1:9325"

/* Alert channels (the bits of a notice's pending mask). */
enum { WATCH_CH_EXEC = 1, WATCH_CH_WEBHOOK = 2, WATCH_CH_MAIL = 4 };

typedef struct watch_selector {
    char *domain; /* NULL: every watched domain */
    char *selector;
} watch_selector;

typedef struct watch_config {
    char *path; /* the file read */
    /* [general] */
    char *db;          /* NULL: --db, $MXDIAG_DB or the default path */
    char *dns_servers; /* "ADDR[:PORT],..." (mxd_dns_opts.servers); NULL: the system's */
    int dns_timeout_ms, dns_tries;
    char *listen;     /* "ADDR:PORT"; NULL: no HTTP server (listen = none) */
    char *token;      /* required on a non-loopback listen address (token or token-file) */
    long ip_interval; /* seconds between rounds of each kind */
    long domain_interval;
    long log_interval;
    long maildir_interval;
    int jitter_pct;        /* each interval is drawn within +- this percent (default 10) */
    long keep_days;        /* history kept (default 400) */
    unsigned cannot_after; /* consecutive failed checks before "cannot check" (default 2) */
    /* [ips] */
    char **ips;
    size_t nips;
    char *lists;          /* list ids, comma-separated (mxd_check_opts.lists); NULL: defaults */
    char *spamhaus_key;   /* DQS key, or NULL */
    char *abusix_key;     /* Abusix Mail Intelligence API key, or NULL */
    unsigned long budget; /* queries per list per day (default 100000) */
    struct watch_list_budget {
        char id[64];
        unsigned long budget;
    } * list_budgets; /* "LIST:N" items of [ips] budget: that list's own */
    size_t nlist_budgets;
    char *helo_domain; /* the domain PTR names should be in, or NULL */
    /* [domains] */
    char **domains;
    size_t ndomains;
    watch_selector *selectors;
    size_t nselectors;
    /* [logs] */
    char **logs;
    size_t nlogs;
    char *log_format; /* "auto", "postfix", "exim", "sendmail" */
    double spike_factor;
    double rate_threshold;
    unsigned long spike_min, rate_min;
    /* [maildirs] */
    char **maildirs;
    size_t nmaildirs;
    /* [alert] */
    char *exec;    /* a shell command: the alert as JSON on stdin */
    char *webhook; /* an http:// or https:// URL: POST of the JSON */
    char **mailto; /* addresses: a mail through sendmail -t */
    size_t nmailto;
    char *mail_from;
    char *sendmail;       /* default /usr/sbin/sendmail */
    long repeat;          /* seconds between repeats of an open alert; 0: never */
    long channel_timeout; /* seconds a command or webhook may take (default 30) */
    unsigned channels;    /* WATCH_CH_* configured */
    /* [feeds] (the group present: feed rounds run) */
    int feeds;
    char *snds_token_file; /* NULL: no fetch, only the rows `mxdiag feed` stored are looked at */
    char *snds_url, *snds_token_url; /* NULL: the environment, else the defaults (feed.h) */
    long feed_interval;              /* default a day */
} watch_config;

/* watch_config_load - read and check the file at path into *out (free with
 * watch_config_free()). MXD_ERR_IO (cannot read), MXD_ERR_PARSE (not an INI file, or a value
 * is bad: why names the group, key and problem), MXD_ERR_NOLIB (GLib), MXD_ERR_NOMEM. */
mxd_err watch_config_load(const char *path, watch_config **out, char *why, size_t whylen);
void watch_config_free(watch_config *c);

/* watch_listen_is_loopback - listen's address is 127.0.0.0/8, ::1 or "localhost". */
int watch_listen_is_loopback(const char *listen);

/* --- checks (checks.c) --------------------------------------------------------------------- */

/* Severity of a problem found by a check kind: "critical" or "warning". */
const char *watch_kind_severity(const char *kind);

/* One result, owned (strings malloc'd). */
typedef struct watch_result {
    char *key, *kind, *subject, *item, *value, *detail;
    mxd_watch_state state;
} watch_result;

typedef struct watch_results {
    watch_result *v;
    size_t n, cap;
    unsigned long long queries; /* DNS queries asked */
} watch_results;

void watch_results_free(watch_results *r);
mxd_err watch_results_add(watch_results *r, const char *kind, const char *subject, const char *item,
                          mxd_watch_state state, const char *value, const char *detail);

/* watch_check_ips - each of the nips IPs on its own lists (lists[i], comma-separated list ids;
 * "" none: only PTR; NULL: the IP is left out this round), with PTR/FCrDNS: one result per
 * (IP, list) and one "ptr" result per IP. All queries share one resolver run. */
mxd_err watch_check_ips(mxd_resolver *r, const mxd_kb *kb, const watch_config *cfg,
                        char *const *ips, char *const *lists, size_t nips, watch_results *out);

/* watch_check_domains - SPF (valid, under 10 lookups, authorises every watched IP), DKIM per
 * selector, DMARC, MX, MTA-STS and TLS-RPT of every watched domain. */
mxd_err watch_check_domains(mxd_resolver *r, const mxd_kb *kb, const watch_config *cfg,
                            watch_results *out);

/* watch_check_feeds - fetch SNDS when a token file is configured, then one result per IP of
 * the latest SNDS day (filter result, trap hits), per SNDS range, per domain's latest
 * Postmaster Tools spam rate (feeds.c says the keys). */
mxd_err watch_check_feeds(mxd_store *s, const watch_config *cfg, long long now, watch_results *out);

/* --- alerts (alerts.c) -------------------------------------------------------------------- */

typedef struct watch_alerter {
    mxd_store *store;
    const watch_config *cfg;
    unsigned long opened, closed, events; /* this process's counts */
    unsigned long events_critical;        /* ... of the events, those of severity critical */
} watch_alerter;

/* watch_apply - store one result and do what it means for the alerts, in one transaction:
 * a PROBLEM with no open alert opens one (notice "open"); an OK closes the key's open alert
 * (notice "recovery"); a value that got weaker while OK (DMARC policy lowered, DKIM key
 * shorter, record gone) is an "event" notice; an UNKNOWN leaves the key's alert as it is and,
 * after cfg->cannot_after in a row, opens the "cannot/<key>" alert, closed by the next result
 * that is not UNKNOWN. */
mxd_err watch_apply(watch_alerter *a, const watch_result *r, long long now);

/* watch_raise_event - a one-off alert from the mail log (spike, bounce-rate, new-block): at
 * most one per key within cfg->repeat (or an hour when repeat is 0). */
mxd_err watch_raise_event(watch_alerter *a, const char *key, const char *kind, const char *subject,
                          const char *severity, const char *title, const char *detail,
                          long long now);

/* watch_repeat_due - a "repeat" notice for every open alert last notified cfg->repeat ago. */
mxd_err watch_repeat_due(watch_alerter *a, long long now);

/* watch_notice_json - the JSON body of a notice (the caller frees it). */
char *watch_notice_json(const mxd_watch_alert *al, const char *type, long long now);

/* --- channels (notify.c) ------------------------------------------------------------------ */

/* watch_send_pending - try every due notice on the channels still pending; a channel that
 * fails is tried again later (back-off up to an hour). *sent counts deliveries. */
mxd_err watch_send_pending(mxd_store *s, const watch_config *cfg, long long now,
                           unsigned long *sent, unsigned long *failed);

/* --- logs and Maildirs (follow.c) --------------------------------------------------------- */

typedef struct watch_follow watch_follow;

mxd_err watch_follow_new(const mxd_kb *kb, const watch_config *cfg, mxd_store *s, watch_alerter *al,
                         watch_follow **out, char *why, size_t whylen);
/* watch_follow_poll - read what the logs got since the last call, store its volume and
 * position in one transaction per batch, raise the log's alerts. */
mxd_err watch_follow_poll(watch_follow *f, long long now, char *why, size_t whylen);
void watch_follow_free(watch_follow *f);

/* watch_maildirs_poll - ingest the messages not seen yet in each watched Maildir's new/ (and,
 * with with_cur, its cur/ too: the first poll after a start or a reload, for what was there
 * before; the store skips messages it has). */
mxd_err watch_maildirs_poll(const mxd_kb *kb, const watch_config *cfg, mxd_store *s, int with_cur,
                            long long now, unsigned long *ingested, char *why, size_t whylen);

/* --- HTTP (http.c, render.c) --------------------------------------------------------------- */

typedef struct watch_http watch_http;

/* Counters the daemon shares with the server (read without a lock: monotonic). */
typedef struct watch_stats {
    unsigned long long rounds, checks, dns_queries, alerts_opened, alerts_closed, notices_sent,
        notices_failed, log_lines, maildir_messages;
    long long started;
} watch_stats;

/* The counters as the HTTP thread sees them: a copy the main loop publishes under mu after
 * each pass (the thread never reads the live ones the loop is changing). */
typedef struct watch_stats_pub {
    pthread_mutex_t mu;
    watch_stats v;
} watch_stats_pub;

void watch_stats_publish(watch_stats_pub *p, const watch_stats *s);
void watch_stats_read(watch_stats_pub *p, watch_stats *out);

/* watch_http_start - serve on cfg->listen (a thread of libmicrohttpd's), reading the database
 * at dbpath through its own read-only connection. A token (cfg->token) is required from every
 * request when it is set ("Authorization: Bearer T" or "?token=T"); nothing in a request
 * makes the daemon query DNS. *bound gets the address actually bound ("127.0.0.1:40123").
 * MXD_ERR_INVALID (bad address), MXD_ERR_IO (cannot bind), MXD_ERR_NOLIB. */
mxd_err watch_http_start(const watch_config *cfg, const char *dbpath, watch_stats_pub *stats,
                         watch_http **out, char *bound, size_t boundlen, char *why, size_t whylen);
void watch_http_stop(watch_http *h);

/* render.c: each returns a malloc'd body (NULL when out of memory or on a store error, with
 * why set); *len its length. */
char *watch_render_dashboard(mxd_store *s, const watch_stats *st, long long now, size_t *len,
                             char *why, size_t whylen);
char *watch_render_metrics(mxd_store *s, const watch_stats *st, long long now, size_t *len,
                           char *why, size_t whylen);
/* api: "/api/status" (checks and open alerts), "/api/alerts", "/api/history", "/api/traffic";
 * NULL with *notfound 1 for any other path. */
char *watch_render_api(mxd_store *s, const watch_stats *st, const char *path, long long now,
                       size_t *len, int *notfound, char *why, size_t whylen);

/* --- logging ------------------------------------------------------------------------------ */

/* watch_log - one line to stderr: "mxdiag-watch: <level>: message", with the syslog priority
 * prefix "<N>" that journald reads when stderr goes to the journal (JOURNAL_STREAM set). */
void watch_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
