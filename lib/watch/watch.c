/* watch.c - the daemon: what runs when, within which budget, and --once
 * SPDX-License-Identifier: MIT
 *
 * One thread does the work (checks, logs, Maildirs, alerts, channels) in a loop that sleeps
 * until the next task is due; libmicrohttpd's own thread serves HTTP from a read-only
 * connection to the same database (WAL: readers never wait for the writer).
 *
 * Schedule: each kind has its interval, drawn anew each time within +- jitter percent, so
 * many daemons (or many IPs after a restart) do not ask the lists in step.
 * Budget: each blocklist may be asked at most its budget of queries a day ([ips] budget: one
 * for all lists, LIST:N for one; free-use limits: Spamhaus's public mirrors allow under
 * 300,000 queries and 100,000 SMTP connections a day for non-commercial use, see the policy
 * column of data/dnsbl.tsv). Each
 * list has a bucket refilled at budget/86400 tokens a second, holding at most one day's
 * budget; an IP is asked a list only when the bucket has a token for it (and 2 for the
 * list's health probe per round). IPs left out in a round come first in the next one.
 * Back-off: a list that answered nobody in a round (all errors) is left alone for 2, 4, 8 ...
 * up to 32 intervals; its checks stay UNKNOWN (the "cannot check" alert says so).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "watch/watch_internal.h"
#include "mxdiag/check.h"
#include "util/str.h"

#define WATCH_LIST_MAX 64

typedef struct list_budget {
    char id[64];
    double budget; /* queries a day */
    double tokens;
    long long refilled; /* when tokens were last refilled */
    unsigned errors;    /* rounds in a row in which the list answered nobody */
    long long skip_until;
} list_budget;

struct mxd_watch {
    const mxd_kb *kb;
    char *config_path, *db_override, *dbpath;
    watch_config *cfg;
    mxd_store *store;
    watch_alerter alerter;
    watch_follow *follow;
    watch_http *http;
    watch_stats stats;
    watch_stats_pub pub; /* the copy the HTTP thread reads */
    list_budget lists[WATCH_LIST_MAX];
    size_t nlists;
    size_t ip_cursor;
    int maildir_cur; /* the next Maildir poll reads cur/ too (after a start or reload) */
    long long next_ips, next_domains, next_logs, next_maildirs, next_repeat, next_prune;
    long long next_feeds;
    int leading; /* -1 not asked yet, 0 standing by, 1 leading (a shared database) */
    unsigned seed;
    /* --once: this run's worst findings */
    size_t n_crit, n_warn, n_unknown, n_ok;
};

void watch_log(int priority, const char *fmt, ...)
{
    static const char *const names[8] = {"emerg",   "alert",  "crit", "error",
                                         "warning", "notice", "info", "debug"};
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    if (priority < 0 || priority > 7)
        priority = 6;
    if (getenv("JOURNAL_STREAM"))
        fprintf(stderr, "<%d>%s\n", priority, msg);
    else
        fprintf(stderr, "mxdiag-watch: %s: %s\n", names[priority], msg);
}

/* jittered - interval drawn within +- jitter percent. */
static long long jittered(mxd_watch *w, long interval)
{
    int j = w->cfg->jitter_pct;
    if (j <= 0 || interval < 2)
        return interval;
    long span = interval * j / 100;
    if (span < 1)
        return interval;
    long d = (long)(rand_r(&w->seed) % (unsigned)(2 * span + 1)) - span;
    return interval + d;
}

/* cfg_has_key - is the key of this kind ("spamhaus", "abusix") configured? */
static int cfg_has_key(const watch_config *c, const char *kind)
{
    if (!kind)
        return 0;
    if (!strcmp(kind, "spamhaus"))
        return c->spamhaus_key != NULL;
    if (!strcmp(kind, "abusix"))
        return c->abusix_key != NULL;
    return 0;
}

/* setup_lists - the IP lists to ask (the configured ones, else the catalogue's defaults),
 * each with a full bucket. */
static void setup_lists(mxd_watch *w, long long now)
{
    list_budget old[WATCH_LIST_MAX];
    size_t nold = w->nlists;
    memcpy(old, w->lists, sizeof old);
    w->nlists = 0;
    mxd_bl_info bi;
    for (size_t i = 0; mxd_dnsbl_info(w->kb, i, &bi) == 0 && w->nlists < WATCH_LIST_MAX; i++) {
        if (bi.domain)
            continue;
        int want = 0;
        if (w->cfg->lists) {
            if (!strcmp(w->cfg->lists, "all")) {
                want = 1;
            } else {
                const char *p = w->cfg->lists;
                size_t idl = strlen(bi.id);
                while (*p) {
                    size_t l = strcspn(p, ",");
                    if (l == idl && !strncmp(p, bi.id, l))
                        want = 1;
                    p += l + (p[l] == ',');
                }
            }
        } else {
            /* by default, a list that needs a key not configured is left out (named in
             * lists, it is asked and reported unchecked, saying which key is missing) */
            want = bi.on && (!bi.key_required || cfg_has_key(w->cfg, bi.key));
        }
        if (!want)
            continue;
        list_budget *b = &w->lists[w->nlists++];
        memset(b, 0, sizeof *b);
        snprintf(b->id, sizeof b->id, "%s", bi.id);
        b->budget = (double)w->cfg->budget;
        for (size_t k = 0; k < w->cfg->nlist_budgets; k++)
            if (!strcmp(w->cfg->list_budgets[k].id, bi.id))
                b->budget = (double)w->cfg->list_budgets[k].budget;
        b->tokens = b->budget;
        b->refilled = now;
        for (size_t k = 0; k < nold; k++)
            if (!strcmp(old[k].id, b->id)) { /* a reload keeps what was spent */
                double budget = b->budget;
                *b = old[k];
                b->budget = budget;
                if (b->tokens > budget)
                    b->tokens = budget;
            }
    }
}

static void refill(mxd_watch *w, list_budget *b, long long now)
{
    if (now > b->refilled) {
        b->tokens += (double)(now - b->refilled) * b->budget / 86400.0;
        if (b->tokens > b->budget)
            b->tokens = b->budget;
        b->refilled = now;
    }
}

/* record - apply one result, count it for --once, print it when out is set. */
static void record(mxd_watch *w, const watch_result *r, long long now, FILE *out)
{
    mxd_err e = watch_apply(&w->alerter, r, now);
    if (e)
        watch_log(3, "storing %s: %s: %s", r->key, mxd_strerror(e), mxd_store_error(w->store));
    w->stats.checks++;
    const char *label = "OK";
    if (r->state == MXD_WATCH_UNKNOWN) {
        w->n_unknown++;
        label = "UNKNOWN";
    } else if (r->state == MXD_WATCH_PROBLEM) {
        if (!strcmp(watch_kind_severity(r->kind), "critical")) {
            w->n_crit++;
            label = "CRITICAL";
        } else {
            w->n_warn++;
            label = "WARNING";
        }
    } else {
        w->n_ok++;
    }
    if (out)
        fprintf(out, "%-8s %s: %s - %s\n", label, r->key, r->value ? r->value : "",
                r->detail ? r->detail : "");
}

static mxd_err new_resolver(mxd_watch *w, mxd_resolver **r)
{
    mxd_dns_opts o = {0};
    o.servers = w->cfg->dns_servers;
    o.timeout_ms = w->cfg->dns_timeout_ms;
    o.tries = w->cfg->dns_tries;
    o.kb = w->kb;
    char why[512];
    mxd_err e = mxd_resolver_new(&o, r, why, sizeof why);
    if (e)
        watch_log(3, "DNS: %s", why);
    return e;
}

/* round_ips - one round of IP checks within the budget. */
static void round_ips(mxd_watch *w, long long now, FILE *out)
{
    const watch_config *c = w->cfg;
    if (!c->nips)
        return;
    mxd_resolver *r;
    if (new_resolver(w, &r))
        return;
    /* which lists each IP gets this round */
    char **lists = calloc(c->nips, sizeof *lists);
    char **ips = calloc(c->nips, sizeof *ips);
    size_t asked[WATCH_LIST_MAX] = {0};
    if (!lists || !ips) {
        free(lists);
        free(ips);
        mxd_resolver_free(r);
        return;
    }
    for (size_t k = 0; k < w->nlists; k++) {
        refill(w, &w->lists[k], now);
        if (w->lists[k].skip_until <= now)
            w->lists[k].tokens -= 2; /* the health probe */
    }
    size_t start = w->ip_cursor % c->nips, left_out = 0;
    for (size_t n = 0; n < c->nips; n++) {
        size_t i = (start + n) % c->nips;
        size_t cap = 1;
        for (size_t k = 0; k < w->nlists; k++)
            cap += strlen(w->lists[k].id) + 1;
        ips[n] = c->ips[i];
        if (!(lists[n] = malloc(cap)))
            continue;
        lists[n][0] = 0;
        int any = 0;
        for (size_t k = 0; k < w->nlists; k++) {
            list_budget *b = &w->lists[k];
            if (b->skip_until > now)
                continue;
            if (b->tokens < 1) {
                any = -1;
                continue;
            }
            b->tokens -= 1;
            asked[k]++;
            if (*lists[n])
                strcat(lists[n], ",");
            strcat(lists[n], b->id);
        }
        if (any < 0 && !left_out++)
            w->ip_cursor = i; /* the first IP a list had no token for starts the next round */
    }
    if (!left_out)
        w->ip_cursor = start + c->nips;
    else
        watch_log(4,
                  "query budget: %zu of %zu IPs were not asked every list this round "
                  "([ips] budget: queries a list a day)",
                  left_out, c->nips);

    /* each IP with its own lists: one resolver run for all */
    watch_results res = {0};
    mxd_err e = watch_check_ips(r, w->kb, c, ips, lists, c->nips, &res);
    mxd_dns_stats ds;
    mxd_resolver_stats(r, &ds);
    w->stats.dns_queries += ds.sent;
    mxd_resolver_free(r);

    /* back-off for lists that answered nobody */
    for (size_t k = 0; k < w->nlists; k++) {
        if (!asked[k])
            continue;
        size_t answered = 0, total = 0;
        for (size_t i = 0; i < res.n; i++) {
            if (strcmp(res.v[i].kind, "dnsbl") || !res.v[i].item ||
                strcmp(res.v[i].item, w->lists[k].id))
                continue;
            total++;
            answered += res.v[i].state != MXD_WATCH_UNKNOWN;
        }
        list_budget *b = &w->lists[k];
        if (total && !answered) {
            b->errors++;
            unsigned sh = b->errors < 5 ? b->errors : 5;
            b->skip_until = now + (long long)c->ip_interval * (1LL << sh);
            watch_log(4, "%s answered none of %zu queries: next try in %llds", b->id, total,
                      b->skip_until - now);
        } else {
            b->errors = 0;
        }
    }
    for (size_t i = 0; i < res.n; i++)
        record(w, &res.v[i], now, out);
    if (e)
        watch_log(3, "IP checks: %s", mxd_strerror(e));
    watch_results_free(&res);
    for (size_t n = 0; n < c->nips; n++)
        free(lists[n]);
    free(lists);
    free(ips);
    w->stats.rounds++;
}

static void round_domains(mxd_watch *w, long long now, FILE *out)
{
    if (!w->cfg->ndomains)
        return;
    mxd_resolver *r;
    if (new_resolver(w, &r))
        return;
    watch_results res = {0};
    mxd_err e = watch_check_domains(r, w->kb, w->cfg, &res);
    mxd_dns_stats ds;
    mxd_resolver_stats(r, &ds);
    w->stats.dns_queries += ds.sent;
    mxd_resolver_free(r);
    for (size_t i = 0; i < res.n; i++)
        record(w, &res.v[i], now, out);
    if (e)
        watch_log(3, "domain checks: %s", mxd_strerror(e));
    watch_results_free(&res);
    w->stats.rounds++;
}

/* round_feeds - SNDS fetched (when configured) and the feeds' rows as results. */
static void round_feeds(mxd_watch *w, long long now, FILE *out)
{
    if (!w->cfg->feeds)
        return;
    watch_results res = {0};
    mxd_err e = watch_check_feeds(w->store, w->cfg, now, &res);
    for (size_t i = 0; i < res.n; i++)
        record(w, &res.v[i], now, out);
    if (e)
        watch_log(3, "feeds: %s: %s", mxd_strerror(e), mxd_store_error(w->store));
    watch_results_free(&res);
    w->stats.rounds++;
}

static void round_logs(mxd_watch *w, long long now)
{
    if (!w->follow)
        return;
    char why[512] = "";
    unsigned long before = w->alerter.events, crit = w->alerter.events_critical;
    mxd_err e = watch_follow_poll(w->follow, now, why, sizeof why);
    if (e)
        watch_log(3, "logs: %s%s%s", mxd_strerror(e), *why ? ": " : "", why);
    /* the log's alerts raised now count in --once's status, with their severity */
    w->n_crit += w->alerter.events_critical - crit;
    w->n_warn += (w->alerter.events - before) - (w->alerter.events_critical - crit);
}

static void round_maildirs(mxd_watch *w, long long now)
{
    if (!w->cfg->nmaildirs)
        return;
    unsigned long n = 0;
    char why[512] = "";
    mxd_err e =
        watch_maildirs_poll(w->kb, w->cfg, w->store, w->maildir_cur, now, &n, why, sizeof why);
    w->maildir_cur = 0;
    if (e)
        watch_log(3, "Maildirs: %s", *why ? why : mxd_strerror(e));
    w->stats.maildir_messages += n;
}

static void send_notices(mxd_watch *w, long long now)
{
    unsigned long sent = 0, failed = 0;
    mxd_err e = watch_send_pending(w->store, w->cfg, now, &sent, &failed);
    if (e)
        watch_log(3, "notices: %s: %s", mxd_strerror(e), mxd_store_error(w->store));
    w->stats.notices_sent += sent;
    w->stats.notices_failed += failed;
    w->stats.alerts_opened = w->alerter.opened;
    w->stats.alerts_closed = w->alerter.closed;
}

/* --- checks no longer configured ----------------------------------------------------------- */

typedef struct keep_ctx {
    const mxd_watch *w;
    char **keep, **drop;
    size_t nkeep, ndrop, cap_keep, cap_drop;
    int nomem;
} keep_ctx;

static int push(char ***v, size_t *n, size_t *cap, const char *s)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        char **nv = realloc(*v, nc * sizeof *nv);
        if (!nv)
            return -1;
        *v = nv;
        *cap = nc;
    }
    if (!((*v)[*n] = strdup(s)))
        return -1;
    (*n)++;
    return 0;
}

/* configured - is a stored check still one of the configuration's? */
static int configured(const mxd_watch *w, const mxd_watch_check *c)
{
    const watch_config *cfg = w->cfg;
    if (!strncmp(c->kind, "snds", 4) || !strncmp(c->kind, "gpt-", 4))
        return cfg->feeds;
    if (!strcmp(c->kind, "feed"))
        return cfg->feeds && cfg->snds_token_file;
    if (!strcmp(c->kind, "dnsbl") || !strcmp(c->kind, "ptr")) {
        int ip = 0;
        for (size_t i = 0; i < cfg->nips && !ip; i++)
            ip = !strcmp(cfg->ips[i], c->subject);
        if (!ip || strcmp(c->kind, "dnsbl"))
            return ip;
        for (size_t k = 0; k < w->nlists; k++)
            if (c->item && !strcmp(w->lists[k].id, c->item))
                return 1;
        return 0;
    }
    for (size_t i = 0; i < cfg->ndomains; i++)
        if (!strcasecmp(cfg->domains[i], c->subject)) {
            if (strcmp(c->kind, "dkim"))
                return 1;
            for (size_t j = 0; j < cfg->nselectors; j++)
                if (c->item && !strcmp(cfg->selectors[j].selector, c->item) &&
                    (!cfg->selectors[j].domain ||
                     !strcasecmp(cfg->selectors[j].domain, c->subject)))
                    return 1;
            return 0;
        }
    return 0;
}

static int keep_cb(void *arg, const mxd_watch_check *c)
{
    keep_ctx *k = arg;
    int rc = configured(k->w, c) ? push(&k->keep, &k->nkeep, &k->cap_keep, c->key)
                                 : push(&k->drop, &k->ndrop, &k->cap_drop, c->key);
    if (rc)
        k->nomem = 1;
    return rc != 0;
}

/* forget_unconfigured - drop the current rows of checks the configuration no longer has (an
 * IP, domain, list or selector taken out) and close their alerts without a notice: nobody
 * watches them any more. Their history stays until pruned. */
static void forget_unconfigured(mxd_watch *w, long long now)
{
    keep_ctx k = {0};
    k.w = w;
    mxd_err e = mxd_store_watch_each(w->store, keep_cb, &k);
    if (!e && k.nomem)
        e = MXD_ERR_NOMEM;
    if (!e && k.ndrop) {
        size_t dropped = 0;
        e = mxd_store_watch_forget(w->store, (const char *const *)k.keep, k.nkeep, &dropped);
        for (size_t i = 0; !e && i < k.ndrop; i++) {
            char cannot[700];
            snprintf(cannot, sizeof cannot, "cannot/%s", k.drop[i]);
            const char *keys[2] = {k.drop[i], cannot};
            for (int j = 0; !e && j < 2; j++) {
                long long id;
                if (!(e = mxd_store_alert_open_id(w->store, keys[j], &id)) && id)
                    e = mxd_store_alert_close(w->store, id, now);
            }
        }
        if (!e)
            watch_log(6, "%zu checks no longer configured: dropped, their alerts closed", dropped);
    }
    if (e)
        watch_log(3, "dropping checks no longer configured: %s", mxd_store_error(w->store));
    for (size_t i = 0; i < k.nkeep; i++)
        free(k.keep[i]);
    for (size_t i = 0; i < k.ndrop; i++)
        free(k.drop[i]);
    free(k.keep);
    free(k.drop);
}

/* apply_config - make cfg the watch's configuration (the store stays). */
static mxd_err apply_config(mxd_watch *w, watch_config *cfg, long long now, char *why,
                            size_t whylen)
{
    watch_follow *f = NULL;
    w->alerter.cfg = cfg;
    if (cfg->nlogs) {
        mxd_err e = watch_follow_new(w->kb, cfg, w->store, &w->alerter, &f, why, whylen);
        if (e) {
            w->alerter.cfg = w->cfg;
            return e;
        }
    }
    watch_follow_free(w->follow);
    w->follow = f;
    watch_config_free(w->cfg);
    w->cfg = cfg;
    setup_lists(w, now);
    forget_unconfigured(w, now);
    w->maildir_cur = 1;
    return MXD_OK;
}

mxd_err mxd_watch_new(const mxd_kb *kb, const char *config, const char *db, mxd_watch **out,
                      char *why, size_t whylen)
{
    *out = NULL;
    watch_config *cfg;
    mxd_err e = watch_config_load(config, &cfg, why, whylen);
    if (e)
        return e;
    if (cfg->listen && !watch_listen_is_loopback(cfg->listen) && !cfg->token) {
        e = str_why(MXD_ERR_INVALID, why, whylen,
                    "%s: [general] listen = %s is not a loopback address: set token or "
                    "token-file, or listen on 127.0.0.1",
                    config, cfg->listen);
        watch_config_free(cfg);
        return e;
    }
    if (cfg->dns_servers) { /* a bad server list is the configuration's fault: say so now */
        mxd_dns_opts o = {0};
        o.servers = cfg->dns_servers;
        mxd_resolver *r;
        char rwhy[512];
        if ((e = mxd_resolver_new(&o, &r, rwhy, sizeof rwhy))) {
            e = str_why(e == MXD_ERR_INVALID ? MXD_ERR_PARSE : e, why, whylen,
                        "%s: [general] dns-servers: %s", config, rwhy);
            watch_config_free(cfg);
            return e;
        }
        mxd_resolver_free(r);
    }
    mxd_watch *w = calloc(1, sizeof *w);
    if (!w) {
        watch_config_free(cfg);
        return MXD_ERR_NOMEM;
    }
    pthread_mutex_init(&w->pub.mu, NULL);
    w->kb = kb;
    w->seed = (unsigned)getpid() ^ (unsigned)time(NULL);
    w->config_path = strdup(config);
    w->db_override = db ? strdup(db) : NULL;
    char defpath[4096];
    const char *path = db ? db : cfg->db ? cfg->db : getenv("MXDIAG_DB");
    if (!path || !*path) {
        if (mxd_store_default_path(defpath, sizeof defpath) != MXD_OK) {
            e = str_why(MXD_ERR_INVALID, why, whylen,
                        "no database: set [general] db, --db or MXDIAG_DB (HOME is not set)");
            watch_config_free(cfg);
            mxd_watch_free(w);
            return e;
        }
        path = defpath;
    }
    w->dbpath = strdup(path);
    if (!w->config_path || !w->dbpath) {
        watch_config_free(cfg);
        mxd_watch_free(w);
        return MXD_ERR_NOMEM;
    }
    if ((e = mxd_store_open(w->dbpath, 0, &w->store, why, whylen))) {
        watch_config_free(cfg);
        mxd_watch_free(w);
        return e;
    }
    w->alerter.store = w->store;
    long long now = (long long)time(NULL);
    if ((e = apply_config(w, cfg, now, why, whylen))) {
        watch_config_free(cfg);
        mxd_watch_free(w);
        return e;
    }
    w->stats.started = now;
    watch_stats_publish(&w->pub, &w->stats);
    *out = w;
    return MXD_OK;
}

mxd_err mxd_watch_check_config(const char *config, char *out, size_t outlen, char *why,
                               size_t whylen)
{
    watch_config *cfg;
    mxd_err e = watch_config_load(config, &cfg, why, whylen);
    if (e)
        return e;
    if (cfg->listen && !watch_listen_is_loopback(cfg->listen) && !cfg->token)
        e = str_why(MXD_ERR_INVALID, why, whylen,
                    "%s: [general] listen = %s is not a loopback address: set token or "
                    "token-file, or listen on 127.0.0.1",
                    config, cfg->listen);
    if (!e && cfg->dns_servers) {
        mxd_dns_opts o = {0};
        o.servers = cfg->dns_servers;
        mxd_resolver *r;
        char rwhy[512];
        if ((e = mxd_resolver_new(&o, &r, rwhy, sizeof rwhy)))
            e = str_why(e == MXD_ERR_INVALID ? MXD_ERR_PARSE : e, why, whylen,
                        "%s: [general] dns-servers: %s", config, rwhy);
        else
            mxd_resolver_free(r);
    }
    if (!e)
        snprintf(out, outlen,
                 "%s: %zu IPs, %zu domains, %zu DKIM selectors, %zu logs, %zu Maildirs; "
                 "HTTP %s%s; alerts by %s%s%s%s",
                 config, cfg->nips, cfg->ndomains, cfg->nselectors, cfg->nlogs, cfg->nmaildirs,
                 cfg->listen ? cfg->listen : "off", cfg->token ? " (token)" : "",
                 cfg->channels ? "" : "nothing (no channel configured)",
                 cfg->exec ? "command " : "", cfg->webhook ? "webhook " : "",
                 cfg->nmailto ? "mail" : "");
    watch_config_free(cfg);
    return e;
}

void mxd_watch_free(mxd_watch *w)
{
    if (!w)
        return;
    watch_http_stop(w->http);
    watch_follow_free(w->follow);
    watch_config_free(w->cfg);
    mxd_store_close(w->store);
    pthread_mutex_destroy(&w->pub.mu);
    free(w->config_path);
    free(w->db_override);
    free(w->dbpath);
    free(w);
}

int mxd_watch_once(mxd_watch *w, long long now, FILE *out)
{
    w->n_crit = w->n_warn = w->n_unknown = w->n_ok = 0;
    char *buf = NULL;
    size_t len = 0;
    FILE *lines = out ? open_memstream(&buf, &len) : NULL;
    round_maildirs(w, now);
    round_logs(w, now);
    round_ips(w, now, lines);
    round_domains(w, now, lines);
    round_feeds(w, now, lines);
    send_notices(w, now);
    if (mxd_store_sync(w->store))
        watch_log(3, "%s", mxd_store_error(w->store));
    int status = w->n_crit      ? MXD_NAGIOS_CRITICAL
                 : w->n_warn    ? MXD_NAGIOS_WARNING
                 : w->n_unknown ? MXD_NAGIOS_UNKNOWN
                                : MXD_NAGIOS_OK;
    static const char *const names[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
    if (lines)
        fclose(lines);
    if (out) {
        fprintf(out,
                "MXDIAG WATCH %s - %zu critical, %zu warning, %zu unchecked, %zu ok | "
                "critical=%zu warning=%zu unchecked=%zu ok=%zu\n",
                names[status], w->n_crit, w->n_warn, w->n_unknown, w->n_ok, w->n_crit, w->n_warn,
                w->n_unknown, w->n_ok);
        if (buf)
            fwrite(buf, 1, len, out);
    }
    free(buf);
    return status;
}

void mxd_watch_get_counters(const mxd_watch *w, mxd_watch_counters *c)
{
    memset(c, 0, sizeof *c);
    c->rounds = w->stats.rounds;
    c->checks = w->stats.checks;
    c->dns_queries = w->stats.dns_queries;
    c->alerts_opened = w->alerter.opened;
    c->alerts_closed = w->alerter.closed;
    c->notices_sent = w->stats.notices_sent;
    c->notices_failed = w->stats.notices_failed;
}

static void reload(mxd_watch *w, long long now)
{
    watch_config *cfg;
    char why[1024];
    mxd_err e = watch_config_load(w->config_path, &cfg, why, sizeof why);
    if (!e && cfg->listen && !watch_listen_is_loopback(cfg->listen) && !cfg->token) {
        snprintf(why, sizeof why, "[general] listen = %s needs a token", cfg->listen);
        watch_config_free(cfg);
        e = MXD_ERR_INVALID;
    }
    if (e) {
        watch_log(3, "reload: %s (the configuration in use stays)", why);
        return;
    }
    int relisten = (cfg->listen == NULL) != (w->cfg->listen == NULL) ||
                   (cfg->listen && strcmp(cfg->listen, w->cfg->listen)) ||
                   (cfg->token == NULL) != (w->cfg->token == NULL) ||
                   (cfg->token && strcmp(cfg->token, w->cfg->token));
    if ((e = apply_config(w, cfg, now, why, sizeof why))) {
        watch_log(3, "reload: %s (the configuration in use stays)", why);
        watch_config_free(cfg);
        return;
    }
    if (relisten) {
        watch_http_stop(w->http);
        w->http = NULL;
        if (w->cfg->listen) {
            char bound[128];
            if (watch_http_start(w->cfg, w->dbpath, &w->pub, &w->http, bound, sizeof bound, why,
                                 sizeof why))
                watch_log(3, "reload: HTTP: %s", why);
            else
                watch_log(6, "listening on http://%s/", bound);
        }
    }
    w->next_ips = w->next_domains = w->next_logs = w->next_maildirs = w->next_feeds = now;
    watch_log(6, "configuration reloaded from %s: %zu IPs, %zu domains, %zu logs, %zu Maildirs",
              w->config_path, w->cfg->nips, w->cfg->ndomains, w->cfg->nlogs, w->cfg->nmaildirs);
}

mxd_err mxd_watch_run(mxd_watch *w, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload_flag,
                      char *why, size_t whylen)
{
    if (w->cfg->listen) {
        char bound[128];
        mxd_err e = watch_http_start(w->cfg, w->dbpath, &w->pub, &w->http, bound, sizeof bound, why,
                                     whylen);
        if (e)
            return e;
        watch_log(6, "listening on http://%s/", bound);
    }
    if (geteuid() == 0)
        watch_log(4, "running as root: nothing here needs it; run it as an unprivileged user "
                     "(contrib/mxdiag-watch.service)");
    watch_log(6, "watching %zu IPs, %zu domains, %zu logs, %zu Maildirs; database %s", w->cfg->nips,
              w->cfg->ndomains, w->cfg->nlogs, w->cfg->nmaildirs, w->dbpath);
    long long now = (long long)time(NULL);
    w->next_ips = w->next_domains = w->next_logs = w->next_maildirs = w->next_repeat = now;
    w->next_prune = w->next_feeds = now;
    w->leading = -1;
    while (!*stop) {
        now = (long long)time(NULL);
        if (*reload_flag) {
            *reload_flag = 0;
            reload(w, now);
        }
        int did = 0;
        /* Each host's own logs and Maildirs are read by its own daemon; the checks, repeats,
         * pruning and the notices are the leader's (on a database many hosts share, one
         * daemon at a time holds the lock; the others ask again every second and the first
         * to find it free takes over, at once after a leader's connection ended). */
        int lead = 0;
        if (mxd_store_leader(w->store, "mxdiag-watch", &lead) != MXD_OK) {
            watch_log(3, "leader lock: %s", mxd_store_error(w->store));
            lead = 0;
        }
        if (lead != w->leading) {
            if (lead && w->leading != -1) /* took over: start the rounds now */
                w->next_ips = w->next_domains = w->next_feeds = w->next_repeat = now;
            if (mxd_store_shared(w->store))
                watch_log(6, lead ? "leading: this daemon runs the checks and sends the alerts"
                                  : "standing by: another mxdiag watch on this database leads");
            w->leading = lead;
        }
        if (now >= w->next_maildirs) {
            round_maildirs(w, now);
            w->next_maildirs = now + jittered(w, w->cfg->maildir_interval);
            did = 1;
        }
        if (now >= w->next_logs) {
            round_logs(w, now);
            w->next_logs = now + w->cfg->log_interval;
            did = 1;
        }
        if (!lead) {
            /* a follower keeps its own logs and Maildirs going only */
        } else if (now >= w->next_ips) {
            round_ips(w, now, NULL);
            w->next_ips = now + jittered(w, w->cfg->ip_interval);
            did = 1;
        }
        if (lead && now >= w->next_domains) {
            round_domains(w, now, NULL);
            w->next_domains = now + jittered(w, w->cfg->domain_interval);
            did = 1;
        }
        if (lead && now >= w->next_feeds) {
            round_feeds(w, now, NULL);
            w->next_feeds = now + jittered(w, w->cfg->feed_interval);
            did = 1;
        }
        if (lead && now >= w->next_repeat) {
            mxd_err e = watch_repeat_due(&w->alerter, now);
            if (e)
                watch_log(3, "repeats: %s", mxd_store_error(w->store));
            w->next_repeat = now + 60;
        }
        if (lead && now >= w->next_prune) {
            if (mxd_store_watch_prune(w->store, now - w->cfg->keep_days * 86400LL))
                watch_log(3, "prune: %s", mxd_store_error(w->store));
            w->next_prune = now + 86400;
        }
        if (lead)
            send_notices(w, now);
        if (did && mxd_store_sync(w->store))
            watch_log(3, "%s", mxd_store_error(w->store));
        watch_stats_publish(&w->pub, &w->stats);
        /* sleep until the next task, a second at most (signals end it sooner) */
        long long next = w->next_ips;
        long long cand[] = {w->next_domains, w->next_logs, w->next_maildirs, w->next_repeat,
                            w->next_feeds};
        for (size_t i = 0; i < sizeof cand / sizeof cand[0]; i++)
            if (cand[i] < next)
                next = cand[i];
        now = (long long)time(NULL);
        if ((next > now || !lead) && !*stop && !*reload_flag) {
            struct timespec ts = {1, 0};
            nanosleep(&ts, NULL);
        }
    }
    watch_log(6, "stopping");
    watch_http_stop(w->http);
    w->http = NULL;
    mxd_store_sync(w->store);
    return MXD_OK;
}
