/* feeds.c - the provider feeds' record: SNDS days and blocked ranges, Postmaster Tools days,
 * warm-up plans
 * SPDX-License-Identifier: MIT
 *
 * Rows are keyed by what they describe (IP and day, range, domain and day), so importing a
 * report twice leaves one row each: the second import replaces the values with equal ones.
 * Postmaster Tools v2 answers one metric per item; an absent value (-1 or NULL) keeps what is
 * stored, so the metrics of one day may come from several files.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/store_internal.h"

static mxd_err step_done(mxd_store *s, store_stmt *st, const char *what)
{
    int rc = store_step(st);
    mxd_err e = rc == SQLITE_DONE ? MXD_OK : store_sqlerr(s, rc, what);
    store_release(s, st);
    return e;
}

/* exists - does sql (one row with the bound texts a, b) return a row? into *found */
static mxd_err exists(mxd_store *s, const char *sql, const char *a, const char *b, int *found)
{
    store_stmt *st;
    mxd_err e = store_prepare(s, sql, &st);
    if (e)
        return e;
    store_bind_text(st, 1, a);
    store_bind_text(st, 2, b);
    int rc = store_step(st);
    *found = rc == SQLITE_ROW;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        e = store_sqlerr(s, rc, "reading a feed row");
    store_release(s, st);
    return e;
}

static void bind_count(store_stmt *st, int i, long long v)
{
    if (v < 0)
        store_bind_null(st, i);
    else
        store_bind_int64(st, i, v);
}

static void bind_time(store_stmt *st, int i, long long v)
{
    if (!v)
        store_bind_null(st, i);
    else
        store_bind_int64(st, i, v);
}

static void bind_ratio(store_stmt *st, int i, double v)
{
    if (v < 0)
        store_bind_null(st, i);
    else
        store_bind_double(st, i, v);
}

static long long col_count(store_stmt *st, int i)
{
    return store_col_isnull(st, i) ? -1 : store_col_int64(st, i);
}

static long long col_time(store_stmt *st, int i)
{
    return store_col_isnull(st, i) ? 0 : store_col_int64(st, i);
}

static double col_ratio(store_stmt *st, int i)
{
    return store_col_isnull(st, i) ? -1 : store_col_double(st, i);
}

/* --- SNDS --------------------------------------------------------------------------------- */

static const char sql_snds_has[] = "SELECT 1 FROM snds_daily WHERE ip = ?1 AND date = ?2";
static const char sql_snds_put[] =
    "INSERT INTO snds_daily (ip, date, activity_start, activity_end, rcpt, data, recipients, "
    "filter, complaint, trap_start, trap_end, trap_hits, helo, mailfrom, comments, source, at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) "
    "ON CONFLICT (ip, date) DO UPDATE SET activity_start = ?3, activity_end = ?4, rcpt = ?5, "
    "data = ?6, recipients = ?7, filter = ?8, complaint = ?9, trap_start = ?10, trap_end = ?11, "
    "trap_hits = ?12, helo = ?13, mailfrom = ?14, comments = ?15, source = ?16, at = ?17";

mxd_err mxd_store_snds_put(mxd_store *s, const mxd_snds_row *r, const char *source, long long at,
                           int *added)
{
    if (!r->ip || !r->date)
        return store_fail(s, MXD_ERR_INVALID, "an SNDS row without IP or date");
    int own, found = 0;
    mxd_err e = store_implicit_begin(s, &own);
    if (e)
        return e;
    if (!(e = exists(s, sql_snds_has, r->ip, r->date, &found))) {
        store_stmt *st;
        if (!(e = store_prepare(s, sql_snds_put, &st))) {
            store_bind_text(st, 1, r->ip);
            store_bind_text(st, 2, r->date);
            bind_time(st, 3, r->start);
            bind_time(st, 4, r->end);
            bind_count(st, 5, r->rcpt);
            bind_count(st, 6, r->data);
            bind_count(st, 7, r->recipients);
            store_bind_text(st, 8, r->filter);
            store_bind_text(st, 9, r->complaint);
            bind_time(st, 10, r->trap_start);
            bind_time(st, 11, r->trap_end);
            bind_count(st, 12, r->trap_hits);
            store_bind_text(st, 13, r->helo);
            store_bind_text(st, 14, r->mailfrom);
            store_bind_text(st, 15, r->comments);
            store_bind_text(st, 16, source);
            store_bind_int64(st, 17, at);
            e = step_done(s, st, "storing an SNDS row");
        }
    }
    if (added)
        *added = !found;
    return store_implicit_end(s, own, e);
}

static const char sql_block_has[] =
    "SELECT 1 FROM snds_blocks WHERE first_ip = ?1 AND last_ip = ?2";
static const char sql_block_put[] =
    "INSERT INTO snds_blocks (first_ip, last_ip, blocked, reason, first_seen, last_seen, source) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6) ON CONFLICT (first_ip, last_ip) DO UPDATE SET "
    "blocked = ?3, reason = ?4, last_seen = max(snds_blocks.last_seen, ?5), source = ?6";

mxd_err mxd_store_snds_block_put(mxd_store *s, const mxd_snds_block *b, const char *source,
                                 long long at, int *added)
{
    if (!b->first_ip || !b->last_ip)
        return store_fail(s, MXD_ERR_INVALID, "an SNDS range without its IPs");
    int own, found = 0;
    mxd_err e = store_implicit_begin(s, &own);
    if (e)
        return e;
    if (!(e = exists(s, sql_block_has, b->first_ip, b->last_ip, &found))) {
        store_stmt *st;
        if (!(e = store_prepare(s, sql_block_put, &st))) {
            store_bind_text(st, 1, b->first_ip);
            store_bind_text(st, 2, b->last_ip);
            bind_count(st, 3, b->blocked);
            store_bind_text(st, 4, b->reason);
            store_bind_int64(st, 5, at);
            store_bind_text(st, 6, source);
            e = step_done(s, st, "storing an SNDS range");
        }
    }
    if (added)
        *added = !found;
    return store_implicit_end(s, own, e);
}

static const char sql_snds_each[] =
    "SELECT ip, date, activity_start, activity_end, rcpt, data, recipients, filter, complaint, "
    "trap_start, trap_end, trap_hits, helo, mailfrom, comments FROM snds_daily "
    "WHERE ?1 IS NULL OR date >= ?1 ORDER BY date DESC, ip";

mxd_err mxd_store_snds_each(mxd_store *s, const char *since, mxd_snds_row_cb cb, void *arg)
{
    store_stmt *st;
    mxd_err e = store_prepare(s, sql_snds_each, &st);
    if (e)
        return e;
    store_bind_text(st, 1, since);
    int rc;
    while ((rc = store_step(st)) == SQLITE_ROW) {
        mxd_snds_row r = {
            .ip = (char *)store_col(st, 0),
            .date = (char *)store_col(st, 1),
            .start = col_time(st, 2),
            .end = col_time(st, 3),
            .rcpt = col_count(st, 4),
            .data = col_count(st, 5),
            .recipients = col_count(st, 6),
            .filter = (char *)store_col(st, 7),
            .complaint = (char *)store_col(st, 8),
            .trap_start = col_time(st, 9),
            .trap_end = col_time(st, 10),
            .trap_hits = col_count(st, 11),
            .helo = (char *)store_col(st, 12),
            .mailfrom = (char *)store_col(st, 13),
            .comments = (char *)store_col(st, 14),
        };
        if (cb(arg, &r))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        e = store_sqlerr(s, rc, "reading SNDS rows");
    store_release(s, st);
    return e;
}

static const char sql_blocks_each[] =
    "SELECT first_ip, last_ip, blocked, reason, first_seen, last_seen FROM snds_blocks "
    "WHERE ?1 = 0 OR blocked = 1 ORDER BY first_ip, last_ip";

mxd_err mxd_store_snds_blocks_each(mxd_store *s, int blocked_only, mxd_snds_block_cb cb, void *arg)
{
    store_stmt *st;
    mxd_err e = store_prepare(s, sql_blocks_each, &st);
    if (e)
        return e;
    store_bind_int64(st, 1, blocked_only != 0);
    int rc;
    while ((rc = store_step(st)) == SQLITE_ROW) {
        mxd_snds_block b = {
            .first_ip = (char *)store_col(st, 0),
            .last_ip = (char *)store_col(st, 1),
            .blocked = (int)col_count(st, 2),
            .reason = (char *)store_col(st, 3),
        };
        if (cb(arg, &b, store_col_int64(st, 4), store_col_int64(st, 5)))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        e = store_sqlerr(s, rc, "reading SNDS ranges");
    store_release(s, st);
    return e;
}

/* --- Postmaster Tools --------------------------------------------------------------------- */

static const char sql_gpt_has[] = "SELECT 1 FROM gpt_daily WHERE domain = ?1 AND date = ?2";
static const char sql_gpt_put[] =
    "INSERT INTO gpt_daily (domain, date, spam_rate, domain_reputation, spf, dkim, dmarc, "
    "inbound_tls, outbound_tls, delivery_error_rate, delivery_errors, ip_reputations, source, "
    "at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "
    "ON CONFLICT (domain, date) DO UPDATE SET spam_rate = coalesce(?3, gpt_daily.spam_rate), "
    "domain_reputation = coalesce(?4, gpt_daily.domain_reputation), spf = coalesce(?5, "
    "gpt_daily.spf), "
    "dkim = coalesce(?6, gpt_daily.dkim), dmarc = coalesce(?7, gpt_daily.dmarc), "
    "inbound_tls = coalesce(?8, gpt_daily.inbound_tls), outbound_tls = coalesce(?9, "
    "gpt_daily.outbound_tls), "
    "delivery_error_rate = coalesce(?10, gpt_daily.delivery_error_rate), "
    "delivery_errors = coalesce(?11, gpt_daily.delivery_errors), "
    "ip_reputations = coalesce(?12, gpt_daily.ip_reputations), source = ?13, at = ?14";
static const char sql_gpt_ip[] =
    "INSERT INTO gpt_ips (domain, date, ip, reputation) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (domain, date, ip) DO UPDATE SET reputation = ?4";

/* lists - the delivery errors and reputation buckets of d as JSON (NULL when none). */
static char *lists(const mxd_gpt_day *d, int errors)
{
    if (errors ? !d->nerrors : !d->nipreps)
        return NULL;
    json_t *a = json_array();
    for (size_t i = 0; errors && i < d->nerrors; i++)
        json_array_append_new(a, json_pack("{s:s?, s:s?, s:f}", "class", d->errors[i].error_class,
                                           "type", d->errors[i].error_type, "ratio",
                                           d->errors[i].ratio));
    for (size_t i = 0; !errors && i < d->nipreps; i++)
        json_array_append_new(a, json_pack("{s:s?, s:I}", "reputation", d->ipreps[i].reputation,
                                           "ip_count", (json_int_t)d->ipreps[i].ip_count));
    char *s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return s;
}

mxd_err mxd_store_gpt_put(mxd_store *s, const mxd_gpt_day *d, const char *source, long long at,
                          int *added)
{
    if (!d->domain || !d->date)
        return store_fail(s, MXD_ERR_INVALID, "a Postmaster Tools day without domain or date");
    char *errs = lists(d, 1), *reps = lists(d, 0);
    if ((d->nerrors && !errs) || (d->nipreps && !reps)) {
        free(errs);
        free(reps);
        return store_fail(s, MXD_ERR_NOMEM, "out of memory");
    }
    int own, found = 0;
    mxd_err e = store_implicit_begin(s, &own);
    if (e) {
        free(errs);
        free(reps);
        return e;
    }
    if (!(e = exists(s, sql_gpt_has, d->domain, d->date, &found))) {
        store_stmt *st;
        if (!(e = store_prepare(s, sql_gpt_put, &st))) {
            store_bind_text(st, 1, d->domain);
            store_bind_text(st, 2, d->date);
            bind_ratio(st, 3, d->spam_rate);
            store_bind_text(st, 4, d->domain_reputation);
            bind_ratio(st, 5, d->spf);
            bind_ratio(st, 6, d->dkim);
            bind_ratio(st, 7, d->dmarc);
            bind_ratio(st, 8, d->inbound_tls);
            bind_ratio(st, 9, d->outbound_tls);
            bind_ratio(st, 10, d->delivery_error_rate);
            store_bind_text(st, 11, errs);
            store_bind_text(st, 12, reps);
            store_bind_text(st, 13, source);
            store_bind_int64(st, 14, at);
            e = step_done(s, st, "storing a Postmaster Tools day");
        }
    }
    for (size_t i = 0; !e && i < d->nipreps; i++)
        for (size_t j = 0; !e && j < d->ipreps[i].nips; j++) {
            store_stmt *st;
            if ((e = store_prepare(s, sql_gpt_ip, &st)))
                break;
            store_bind_text(st, 1, d->domain);
            store_bind_text(st, 2, d->date);
            store_bind_text(st, 3, d->ipreps[i].ips[j]);
            store_bind_text(st, 4, d->ipreps[i].reputation);
            e = step_done(s, st, "storing a Postmaster Tools IP");
        }
    free(errs);
    free(reps);
    if (added)
        *added = !found;
    return store_implicit_end(s, own, e);
}

static const char sql_gpt_each[] =
    "SELECT domain, date, spam_rate, domain_reputation, spf, dkim, dmarc, inbound_tls, "
    "outbound_tls, delivery_error_rate FROM gpt_daily WHERE ?1 IS NULL OR date >= ?1 "
    "ORDER BY date DESC, domain";

mxd_err mxd_store_gpt_each(mxd_store *s, const char *since, mxd_gpt_day_cb cb, void *arg)
{
    store_stmt *st;
    mxd_err e = store_prepare(s, sql_gpt_each, &st);
    if (e)
        return e;
    store_bind_text(st, 1, since);
    int rc;
    while ((rc = store_step(st)) == SQLITE_ROW) {
        mxd_gpt_day d = {
            .domain = (char *)store_col(st, 0),
            .date = (char *)store_col(st, 1),
            .spam_rate = col_ratio(st, 2),
            .domain_reputation = (char *)store_col(st, 3),
            .spf = col_ratio(st, 4),
            .dkim = col_ratio(st, 5),
            .dmarc = col_ratio(st, 6),
            .inbound_tls = col_ratio(st, 7),
            .outbound_tls = col_ratio(st, 8),
            .delivery_error_rate = col_ratio(st, 9),
        };
        if (cb(arg, &d))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        e = store_sqlerr(s, rc, "reading Postmaster Tools days");
    store_release(s, st);
    return e;
}

/* --- warm-up plans ------------------------------------------------------------------------- */

static const char sql_warmup_put[] =
    "INSERT INTO warmup_plans (ip, target, start, days, at) VALUES (?1, ?2, ?3, ?4, ?5) "
    "ON CONFLICT (ip) DO UPDATE SET target = ?2, start = ?3, days = ?4, at = ?5";
static const char sql_warmup_get[] = "SELECT target, start, days FROM warmup_plans WHERE ip = ?1";

mxd_err mxd_store_warmup_put(mxd_store *s, const char *ip, unsigned long long target,
                             const char *start, unsigned days, long long at)
{
    int own;
    mxd_err e = store_implicit_begin(s, &own);
    if (e)
        return e;
    store_stmt *st;
    if (!(e = store_prepare(s, sql_warmup_put, &st))) {
        store_bind_text(st, 1, ip);
        store_bind_int64(st, 2, (long long)target);
        store_bind_text(st, 3, start);
        store_bind_int64(st, 4, days);
        store_bind_int64(st, 5, at);
        e = step_done(s, st, "storing a warm-up plan");
    }
    return store_implicit_end(s, own, e);
}

mxd_err mxd_store_warmup_get(mxd_store *s, const char *ip, unsigned long long *target,
                             char start[11], unsigned *days, int *found)
{
    store_stmt *st;
    mxd_err e = store_prepare(s, sql_warmup_get, &st);
    if (e)
        return e;
    store_bind_text(st, 1, ip);
    int rc = store_step(st);
    *found = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW) {
        long long t = store_col_int64(st, 0), d = store_col_int64(st, 2);
        const char *sd = store_col(st, 1);
        *target = t > 0 ? (unsigned long long)t : 0;
        *days = d > 0 && d < 1000 ? (unsigned)d : 0;
        snprintf(start, 11, "%.10s", sd ? sd : "");
    } else if (rc != SQLITE_DONE) {
        e = store_sqlerr(s, rc, "reading a warm-up plan");
    }
    store_release(s, st);
    return e;
}
