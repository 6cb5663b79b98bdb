/* feeds.c - the provider feeds in the daemon: SNDS imported daily, SNDS and Postmaster Tools
 * rows turned into check results
 * SPDX-License-Identifier: MIT
 *
 * Each feed round (interval in [feeds], default a day) fetches the SNDS reports when a token
 * file is configured (mxd_snds_fetch, stored as `mxdiag feed snds --fetch` stores them), then
 * reads what the store holds, wherever it came from (the daemon, or `mxdiag feed` run from
 * cron), and makes results of it that watch_apply() turns into alerts:
 *   snds/<ip>                 the IP's filter result on the latest SNDS day: YELLOW or RED is
 *                             a problem (kind snds, warning)
 *   snds-traps/<ip>           trap hits on that day (kind snds-traps, warning)
 *   snds-block/<first>/<last> a range of the IP status report, blocked or not (kind
 *                             snds-block, critical; subject the first IP)
 *   gpt-spam/<domain>         the latest Postmaster Tools spam rate at 0.10% or above (kind
 *                             gpt-spam, warning: the 0.30% limit is near)
 *   gpt-spam-limit/<domain>   ... at 0.30% or above (kind gpt-spam-limit, critical)
 *   feed/snds-api             the fetch itself: UNKNOWN when it failed (after cannot-check-after
 *                             failures in a row, the "cannot check" alert says why)
 * States, not one-off events: a feed round that sees the same day again raises nothing new,
 * and a later good day closes the alert with a recovery notice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include "watch/watch_internal.h"
#include "mxdiag/feed.h"

#define FEED_ROWS_MAX  4096  /* SNDS rows and ranges, Postmaster Tools domains per round */
#define GPT_SPAM_WARN  0.001 /* 0.10%: Gmail asks senders to stay below */
#define GPT_SPAM_LIMIT 0.003 /* 0.30%: never reach */

typedef struct snds_copy {
    char ip[64], date[11], filter[16], complaint[64];
    long long traps;
} snds_copy;

typedef struct collect {
    snds_copy *v;
    size_t n;
    char date[11]; /* the latest day */
    int nomem;
} collect;

static int snds_cb(void *arg, const mxd_snds_row *r)
{
    collect *c = arg;
    if (!c->date[0])
        snprintf(c->date, sizeof c->date, "%s", r->date);
    if (strcmp(c->date, r->date) || c->n == FEED_ROWS_MAX)
        return 1; /* newest day first: the latest day is complete */
    if (!c->v && !(c->v = calloc(FEED_ROWS_MAX, sizeof *c->v))) {
        c->nomem = 1;
        return 1;
    }
    snds_copy *x = &c->v[c->n++];
    snprintf(x->ip, sizeof x->ip, "%s", r->ip);
    snprintf(x->date, sizeof x->date, "%s", r->date);
    snprintf(x->filter, sizeof x->filter, "%s", r->filter ? r->filter : "");
    snprintf(x->complaint, sizeof x->complaint, "%s", r->complaint ? r->complaint : "");
    x->traps = r->trap_hits;
    return 0;
}

typedef struct block_copy {
    char first[64], last[64], reason[256];
    int blocked;
} block_copy;

typedef struct blocks {
    block_copy *v;
    size_t n;
    int nomem;
} blocks;

static int block_cb(void *arg, const mxd_snds_block *b, long long first_seen, long long last_seen)
{
    (void)first_seen;
    (void)last_seen;
    blocks *c = arg;
    if (c->n == FEED_ROWS_MAX)
        return 1;
    if (!c->v && !(c->v = calloc(FEED_ROWS_MAX, sizeof *c->v))) {
        c->nomem = 1;
        return 1;
    }
    block_copy *x = &c->v[c->n++];
    snprintf(x->first, sizeof x->first, "%s", b->first_ip);
    snprintf(x->last, sizeof x->last, "%s", b->last_ip);
    snprintf(x->reason, sizeof x->reason, "%s", b->reason ? b->reason : "");
    x->blocked = b->blocked;
    return 0;
}

typedef struct gpt_copy {
    char domain[256], date[11];
    double spam;
} gpt_copy;

typedef struct gpts {
    gpt_copy *v;
    size_t n;
    int nomem;
} gpts;

static int gpt_cb(void *arg, const mxd_gpt_day *d)
{
    gpts *c = arg;
    if (d->spam_rate < 0)
        return 0;
    for (size_t i = 0; i < c->n; i++)
        if (!strcasecmp(c->v[i].domain, d->domain))
            return 0; /* newest first: the domain's latest day is kept */
    if (c->n == FEED_ROWS_MAX)
        return 1;
    if (!c->v && !(c->v = calloc(FEED_ROWS_MAX, sizeof *c->v))) {
        c->nomem = 1;
        return 1;
    }
    gpt_copy *x = &c->v[c->n++];
    snprintf(x->domain, sizeof x->domain, "%s", d->domain);
    snprintf(x->date, sizeof x->date, "%s", d->date);
    x->spam = d->spam_rate;
    return 0;
}

/* fetch - the SNDS API into the store; the result of the fetch itself into out. */
static void fetch(mxd_store *s, const watch_config *cfg, long long now, watch_results *out)
{
    mxd_snds_fetch_opts o = {.base_url = cfg->snds_url,
                             .token_url = cfg->snds_token_url,
                             .token_file = cfg->snds_token_file,
                             .now = now};
    mxd_snds_report *data = NULL, *status = NULL;
    mxd_snds_fetch_info info;
    char why[768] = "";
    mxd_err e = mxd_snds_fetch(&o, &data, &status, &info, why, sizeof why);
    size_t rows = 0;
    if (!e) {
        mxd_snds_report *r[2] = {data, status};
        for (int k = 0; k < 2 && !e; k++)
            for (size_t i = 0; r[k] && !e && i < r[k]->nrows; i++, rows++)
                e = mxd_store_snds_put(s, &r[k]->rows[i], "snds-api", now, NULL);
        for (int k = 0; k < 2 && !e; k++)
            for (size_t i = 0; r[k] && !e && i < r[k]->nblocks; i++, rows++)
                e = mxd_store_snds_block_put(s, &r[k]->blocks[i], "snds-api", now, NULL);
        if (e)
            snprintf(why, sizeof why, "storing: %s", mxd_store_error(s));
    }
    mxd_snds_free(data);
    mxd_snds_free(status);
    char value[64];
    snprintf(value, sizeof value, "%zu rows", rows);
    if (e)
        watch_log(LOG_ERR, "SNDS: %s", why[0] ? why : mxd_strerror(e));
    else if (info.refreshed)
        watch_log(LOG_INFO, "SNDS: the token was renewed");
    watch_results_add(out, "feed", "snds-api", NULL, e ? MXD_WATCH_UNKNOWN : MXD_WATCH_OK,
                      e ? "fetch failed" : value, e ? why : "the SNDS API answered");
}

mxd_err watch_check_feeds(mxd_store *s, const watch_config *cfg, long long now, watch_results *out)
{
    if (cfg->snds_token_file)
        fetch(s, cfg, now, out);
    mxd_err e = MXD_OK;
    collect c = {0};
    if ((e = mxd_store_snds_each(s, NULL, snds_cb, &c)) || c.nomem)
        goto done;
    for (size_t i = 0; !e && i < c.n; i++) {
        snds_copy *x = &c.v[i];
        char detail[256];
        if (x->filter[0]) {
            int bad = strcmp(x->filter, "GREEN") != 0;
            snprintf(detail, sizeof detail, "SNDS filter result %s on %s%s%s", x->filter, x->date,
                     x->complaint[0] ? ", complaint rate " : "", x->complaint);
            e = watch_results_add(out, "snds", x->ip, NULL, bad ? MXD_WATCH_PROBLEM : MXD_WATCH_OK,
                                  x->filter, detail);
        }
        if (!e && x->traps >= 0) {
            char value[64];
            snprintf(value, sizeof value, "%lld trap hits", x->traps);
            snprintf(detail, sizeof detail,
                     "%lld spam trap hits on %s (SNDS): check where these "
                     "addresses came from",
                     x->traps, x->date);
            e = watch_results_add(out, "snds-traps", x->ip, NULL,
                                  x->traps > 0 ? MXD_WATCH_PROBLEM : MXD_WATCH_OK, value,
                                  x->traps > 0 ? detail : "no trap hits");
        }
    }
    blocks b = {0};
    if (!e && !(e = mxd_store_snds_blocks_each(s, 0, block_cb, &b)) && !b.nomem)
        for (size_t i = 0; !e && i < b.n; i++) {
            block_copy *x = &b.v[i];
            char detail[512];
            snprintf(detail, sizeof detail, "SNDS: %s - %s %s%s%s", x->first, x->last,
                     x->blocked == 1 ? "blocked" : "not blocked", x->reason[0] ? ": " : "",
                     x->reason);
            e = watch_results_add(out, "snds-block", x->first, x->last,
                                  x->blocked == 1 ? MXD_WATCH_PROBLEM : MXD_WATCH_OK,
                                  x->blocked == 1 ? "blocked" : "not blocked", detail);
        }
    if (b.nomem)
        e = MXD_ERR_NOMEM;
    free(b.v);
    gpts g = {0};
    if (!e && !(e = mxd_store_gpt_each(s, NULL, gpt_cb, &g)) && !g.nomem)
        for (size_t i = 0; !e && i < g.n; i++) {
            gpt_copy *x = &g.v[i];
            char value[32], detail[256];
            snprintf(value, sizeof value, "%.2f%%", x->spam * 100);
            snprintf(detail, sizeof detail,
                     "Gmail spam rate %.2f%% on %s (Postmaster Tools): keep it below 0.10%%, "
                     "never at 0.30%%",
                     x->spam * 100, x->date);
            e = watch_results_add(out, "gpt-spam", x->domain, NULL,
                                  x->spam >= GPT_SPAM_WARN ? MXD_WATCH_PROBLEM : MXD_WATCH_OK,
                                  value, detail);
            if (!e)
                e = watch_results_add(out, "gpt-spam-limit", x->domain, NULL,
                                      x->spam >= GPT_SPAM_LIMIT ? MXD_WATCH_PROBLEM : MXD_WATCH_OK,
                                      value, detail);
        }
    if (g.nomem)
        e = MXD_ERR_NOMEM;
    free(g.v);
done:
    if (c.nomem)
        e = MXD_ERR_NOMEM;
    free(c.v);
    return e;
}
