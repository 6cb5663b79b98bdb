/* watch.c - the watch daemon's record: check results and their history, alerts, notices,
 * mail volume per provider and hour, followed log positions
 * SPDX-License-Identifier: MIT
 *
 * History is kept as runs: a result equal to the key's last one (state, value and detail)
 * extends that run (last_at, runs + 1) instead of adding a row, so a week of checks every 15
 * minutes that found nothing new is one row per key, and the timeline is the list of runs.
 * Every call that writes is all or nothing (store_implicit_begin: its own transaction, or a
 * savepoint inside the caller's, as the daemon brackets a check's result with the alert and
 * notice it causes).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/store_internal.h"

const char *mxd_watch_state_name(mxd_watch_state s)
{
    switch (s) {
    case MXD_WATCH_OK:
        return "ok";
    case MXD_WATCH_PROBLEM:
        return "problem";
    case MXD_WATCH_UNKNOWN:
        break;
    }
    return "unknown";
}

static mxd_err step_done(mxd_store *s, store_stmt *st, const char *what)
{
    int rc = store_step(st);
    mxd_err e = rc == SQLITE_DONE ? MXD_OK : store_sqlerr(s, rc, what);
    store_release(s, st);
    return e;
}

static int eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static mxd_watch_state state_of(long long v)
{
    return v == 0 ? MXD_WATCH_OK : v == 1 ? MXD_WATCH_PROBLEM : MXD_WATCH_UNKNOWN;
}

/* --- check results ------------------------------------------------------------------------ */

static const char sql_get[] = "SELECT state, value, detail, since, failures, known_state, "
                              "known_value FROM watch_checks WHERE key = ?1";
static const char sql_put[] =
    "INSERT INTO watch_checks (key, kind, subject, item, state, value, detail, since, "
    "checked_at, failures, known_state, known_value) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
    "?9, ?10, ?11, ?12) ON CONFLICT (key) DO UPDATE SET kind = ?2, subject = ?3, item = ?4, "
    "state = ?5, value = ?6, detail = ?7, since = ?8, checked_at = ?9, failures = ?10, "
    "known_state = ?11, known_value = ?12";
static const char sql_last_run[] = "SELECT id, state, value, detail FROM watch_history WHERE "
                                   "key = ?1 ORDER BY first_at DESC, id DESC LIMIT 1";
static const char sql_extend_run[] =
    "UPDATE watch_history SET last_at = max(last_at, ?2), runs = runs + 1 WHERE id = ?1";
static const char sql_new_run[] =
    "INSERT INTO watch_history (key, kind, subject, item, state, value, detail, first_at, "
    "last_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)";

/* bind_result - parameters 1-7: key, kind, subject, item, state, value, detail of r. */
static void bind_result(store_stmt *st, const mxd_watch_check *r)
{
    store_bind_text(st, 1, r->key);
    store_bind_text(st, 2, r->kind);
    store_bind_text(st, 3, r->subject);
    store_bind_text(st, 4, r->item);
    store_bind_int64(st, 5, r->state);
    store_bind_text(st, 6, r->value);
    store_bind_text(st, 7, r->detail);
}

static mxd_err record(mxd_store *s, const mxd_watch_check *r, long long at, mxd_watch_prev *p)
{
    store_stmt *st;
    mxd_err e = store_prepare(s, sql_get, &st);
    if (e)
        return e;
    store_bind_text(st, 1, r->key);
    int rc = store_step(st);
    long long since = at;
    mxd_watch_state known_state = MXD_WATCH_UNKNOWN;
    char known_value[256] = "";
    unsigned failures = 0;
    if (rc == SQLITE_ROW) {
        p->found = 1;
        p->state = state_of(store_col_int64(st, 0));
        if (p->state == r->state)
            since = store_col_int64(st, 3);
        long long f = store_col_int64(st, 4);
        failures = f > 0 ? (unsigned)f : 0;
        known_state = state_of(store_col_int64(st, 5));
        const char *kv = store_col(st, 6);
        snprintf(known_value, sizeof known_value, "%s", kv ? kv : "");
    } else if (rc != SQLITE_DONE) {
        e = store_sqlerr(s, rc, "reading a check's state");
    }
    store_release(s, st);
    if (e)
        return e;
    p->known_state = known_state;
    snprintf(p->known_value, sizeof p->known_value, "%s", known_value);
    p->failures = r->state == MXD_WATCH_UNKNOWN ? failures + 1 : 0;

    if ((e = store_prepare(s, sql_put, &st)))
        return e;
    bind_result(st, r);
    store_bind_int64(st, 8, since);
    store_bind_int64(st, 9, at);
    store_bind_int64(st, 10, p->failures);
    if (r->state != MXD_WATCH_UNKNOWN) {
        store_bind_int64(st, 11, r->state);
        store_bind_text(st, 12, r->value);
    } else {
        store_bind_int64(st, 11, known_state);
        store_bind_text(st, 12, p->found ? known_value : NULL);
    }
    if ((e = step_done(s, st, "storing a check's state")))
        return e;

    /* the history: extend the last run when nothing differs */
    if ((e = store_prepare(s, sql_last_run, &st)))
        return e;
    store_bind_text(st, 1, r->key);
    rc = store_step(st);
    long long run = 0;
    if (rc == SQLITE_ROW) {
        if (state_of(store_col_int64(st, 1)) == r->state && eq(store_col(st, 2), r->value) &&
            eq(store_col(st, 3), r->detail))
            run = store_col_int64(st, 0);
    } else if (rc != SQLITE_DONE) {
        e = store_sqlerr(s, rc, "reading a check's history");
    }
    store_release(s, st);
    if (e)
        return e;
    if (run) {
        if ((e = store_prepare(s, sql_extend_run, &st)))
            return e;
        store_bind_int64(st, 1, run);
        store_bind_int64(st, 2, at);
        return step_done(s, st, "extending a check's history");
    }
    if ((e = store_prepare(s, sql_new_run, &st)))
        return e;
    bind_result(st, r);
    store_bind_int64(st, 8, at);
    return step_done(s, st, "adding to a check's history");
}

mxd_err mxd_store_watch_record(mxd_store *s, const mxd_watch_check *r, long long at,
                               mxd_watch_prev *prev)
{
    if (!s || !r || !r->key || !r->kind || !r->subject)
        return s ? store_fail(s, MXD_ERR_INVALID, "a check result needs key, kind and subject")
                 : MXD_ERR_INVALID;
    mxd_watch_prev local;
    mxd_watch_prev *p = prev ? prev : &local;
    memset(p, 0, sizeof *p);
    p->state = p->known_state = MXD_WATCH_UNKNOWN;
    int own;
    mxd_err e = store_implicit_begin(s, &own);
    if (e)
        return e;
    return store_implicit_end(s, own, record(s, r, at, p));
}

mxd_err mxd_store_watch_each(mxd_store *s, mxd_watch_check_cb cb, void *arg)
{
    store_stmt *st;
    mxd_err e = store_prepare(s,
                              "SELECT key, kind, subject, item, state, value, detail, since, "
                              "checked_at, failures, known_state, known_value FROM watch_checks "
                              "ORDER BY subject, kind, item",
                              &st);
    if (e)
        return e;
    int rc;
    while ((rc = store_step(st)) == SQLITE_ROW) {
        mxd_watch_check c = {
            .key = store_col(st, 0),
            .kind = store_col(st, 1),
            .subject = store_col(st, 2),
            .item = store_col(st, 3),
            .state = state_of(store_col_int64(st, 4)),
            .value = store_col(st, 5),
            .detail = store_col(st, 6),
            .since = store_col_int64(st, 7),
            .checked_at = store_col_int64(st, 8),
            .failures = (unsigned)store_col_int64(st, 9),
            .known_state = state_of(store_col_int64(st, 10)),
            .known_value = store_col(st, 11),
        };
        if (cb(arg, &c))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        e = store_sqlerr(s, rc, "reading the checks");
    store_release(s, st);
    return e;
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

mxd_err mxd_store_watch_forget(mxd_store *s, const char *const *keys, size_t n, size_t *dropped)
{
    if (dropped)
        *dropped = 0;
    const char **sorted = n ? malloc(n * sizeof *sorted) : NULL;
    if (n && !sorted)
        return store_fail(s, MXD_ERR_NOMEM, "out of memory");
    if (n)
        memcpy(sorted, keys, n * sizeof *sorted);
    if (n)
        qsort(sorted, n, sizeof *sorted, key_cmp);
    int own;
    mxd_err e = store_implicit_begin(s, &own);
    if (e) {
        free(sorted);
        return e;
    }
    /* collect first, then delete: no write under an open read cursor */
    store_stmt *st;
    char **gone = NULL;
    size_t ngone = 0, cap = 0;
    if (!(e = store_prepare(s, "SELECT key FROM watch_checks", &st))) {
        int rc;
        while ((rc = store_step(st)) == SQLITE_ROW) {
            const char *k = store_col(st, 0);
            if (!k || (n && bsearch(&k, sorted, n, sizeof *sorted, key_cmp)))
                continue;
            if (ngone == cap) {
                size_t nc = cap ? cap * 2 : 16;
                char **ng = realloc(gone, nc * sizeof *ng);
                if (!ng) {
                    e = store_fail(s, MXD_ERR_NOMEM, "out of memory");
                    break;
                }
                gone = ng;
                cap = nc;
            }
            if (!(gone[ngone] = strdup(k))) {
                e = store_fail(s, MXD_ERR_NOMEM, "out of memory");
                break;
            }
            ngone++;
        }
        if (!e && rc != SQLITE_ROW && rc != SQLITE_DONE)
            e = store_sqlerr(s, rc, "reading the checks");
        store_release(s, st);
    }
    for (size_t i = 0; !e && i < ngone; i++) {
        if ((e = store_prepare(s, "DELETE FROM watch_checks WHERE key = ?1", &st)))
            break;
        store_bind_text(st, 1, gone[i]);
        e = step_done(s, st, "forgetting a check");
    }
    if (!e && dropped)
        *dropped = ngone;
    for (size_t i = 0; i < ngone; i++)
        free(gone[i]);
    free(gone);
    free(sorted);
    return store_implicit_end(s, own, e);
}

mxd_err mxd_store_watch_history(mxd_store *s, const char *key, long long since, long long until,
                                size_t limit, unsigned flags, mxd_watch_span_cb cb, void *arg)
{
    store_stmt *st;
    mxd_err e = store_prepare(
        s,
        "SELECT key, kind, subject, item, state, value, detail, first_at, last_at, runs FROM "
        "watch_history h WHERE (?1 IS NULL OR key = ?1) AND first_at >= ?2 AND (?3 = 0 OR "
        "first_at < ?3) AND (?5 = 0 OR state != 0 OR EXISTS (SELECT 1 FROM watch_history p "
        "WHERE p.key = h.key AND p.first_at <= h.first_at AND p.id != h.id AND (p.first_at < "
        "h.first_at OR p.id < h.id))) ORDER BY first_at DESC, id DESC LIMIT ?4",
        &st);
    if (e)
        return e;
    store_bind_text(st, 1, key);
    store_bind_int64(st, 2, since);
    store_bind_int64(st, 3, until);
    store_bind_int64(st, 4, limit ? (long long)limit : LLONG_MAX);
    store_bind_int64(st, 5, (flags & MXD_WATCH_CHANGES) != 0);
    int rc;
    while ((rc = store_step(st)) == SQLITE_ROW) {
        long long runs = store_col_int64(st, 9);
        mxd_watch_span r = {
            .key = store_col(st, 0),
            .kind = store_col(st, 1),
            .subject = store_col(st, 2),
            .item = store_col(st, 3),
            .state = state_of(store_col_int64(st, 4)),
            .value = store_col(st, 5),
            .detail = store_col(st, 6),
            .first_at = store_col_int64(st, 7),
            .last_at = store_col_int64(st, 8),
            .runs = runs > 0 ? (unsigned long long)runs : 0,
        };
        if (cb(arg, &r))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        e = store_sqlerr(s, rc, "reading the history");
    store_release(s, st);
    return e;
}

/* --- alerts ------------------------------------------------------------------------------- */

mxd_err mxd_store_alert_open_id(mxd_store *s, const char *key, long long *id)
{
    *id = 0;
    store_stmt *st;
    mxd_err e =
        store_prepare(s, "SELECT id FROM watch_alerts WHERE key = ?1 AND closed_at = 0", &st);
    if (e)
        return e;
    store_bind_text(st, 1, key);
    int rc = store_step(st);
    if (rc == SQLITE_ROW)
        *id = store_col_int64(st, 0);
    else if (rc != SQLITE_DONE)
        e = store_sqlerr(s, rc, "reading the open alerts");
    store_release(s, st);
    return e;
}

mxd_err mxd_store_alert_last_opened(mxd_store *s, const char *key, long long *at)
{
    *at = 0;
    store_stmt *st;
    mxd_err e = store_prepare(s, "SELECT max(opened_at) FROM watch_alerts WHERE key = ?1", &st);
    if (e)
        return e;
    store_bind_text(st, 1, key);
    int rc = store_step(st);
    if (rc == SQLITE_ROW)
        *at = store_col_int64(st, 0);
    else if (rc != SQLITE_DONE)
        e = store_sqlerr(s, rc, "reading the alerts");
    store_release(s, st);
    return e;
}

mxd_err mxd_store_alert_open(mxd_store *s, const mxd_watch_alert *a, long long at, long long *id)
{
    *id = 0;
    if (!a->key || !a->kind || !a->severity || !a->title)
        return store_fail(s, MXD_ERR_INVALID, "an alert needs key, kind, severity and title");
    long long have;
    mxd_err e = mxd_store_alert_open_id(s, a->key, &have);
    if (e)
        return e;
    if (have)
        return store_fail(s, MXD_ERR_INVALID, "%s: an alert is open already", a->key);
    int own;
    if ((e = store_implicit_begin(s, &own)))
        return e;
    store_stmt *st;
    if (!(e = store_prepare(s,
                            "INSERT INTO watch_alerts (key, kind, subject, item, severity, title, "
                            "detail, opened_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                            &st))) {
        store_bind_text(st, 1, a->key);
        store_bind_text(st, 2, a->kind);
        store_bind_text(st, 3, a->subject);
        store_bind_text(st, 4, a->item);
        store_bind_text(st, 5, a->severity);
        store_bind_text(st, 6, a->title);
        store_bind_text(st, 7, a->detail);
        store_bind_int64(st, 8, at);
        if (!(e = step_done(s, st, "opening an alert")))
            *id = store_last_id(s);
    }
    return store_implicit_end(s, own, e);
}

/* exec_id - one UPDATE keyed by id with up to two more parameters. */
static mxd_err exec_id(mxd_store *s, const char *sql, long long id, const char *t1, const char *t2,
                       long long n, const char *what)
{
    int own;
    mxd_err e = store_implicit_begin(s, &own);
    if (e)
        return e;
    store_stmt *st;
    if (!(e = store_prepare(s, sql, &st))) {
        store_bind_int64(st, 1, id);
        store_bind_text(st, 2, t1);
        store_bind_text(st, 3, t2);
        store_bind_int64(st, 4, n);
        e = step_done(s, st, what);
    }
    return store_implicit_end(s, own, e);
}

mxd_err mxd_store_alert_update(mxd_store *s, long long id, const char *title, const char *detail)
{
    return exec_id(s,
                   "UPDATE watch_alerts SET title = coalesce(?2, title), detail = ?3 "
                   "WHERE id = ?1 AND ?4 = 0",
                   id, title, detail, 0, "updating an alert");
}

mxd_err mxd_store_alert_close(mxd_store *s, long long id, long long at)
{
    return exec_id(s,
                   "UPDATE watch_alerts SET closed_at = max(?4, opened_at, 1) WHERE id = ?1 "
                   "AND closed_at = 0 AND coalesce(?2, ?3) IS NULL",
                   id, NULL, NULL, at, "closing an alert");
}

mxd_err mxd_store_alert_notified(mxd_store *s, long long id, long long at)
{
    return exec_id(s,
                   "UPDATE watch_alerts SET notified_at = ?4, notices = notices + 1 "
                   "WHERE id = ?1 AND coalesce(?2, ?3) IS NULL",
                   id, NULL, NULL, at, "counting a notice");
}

static mxd_err alerts_query(mxd_store *s, const char *sql, long long a, long long b,
                            mxd_watch_alert_cb cb, void *arg)
{
    store_stmt *st;
    mxd_err e = store_prepare(s, sql, &st);
    if (e)
        return e;
    store_bind_int64(st, 1, a);
    store_bind_int64(st, 2, b);
    int rc;
    while ((rc = store_step(st)) == SQLITE_ROW) {
        mxd_watch_alert al = {
            .id = store_col_int64(st, 0),
            .key = store_col(st, 1),
            .kind = store_col(st, 2),
            .subject = store_col(st, 3),
            .item = store_col(st, 4),
            .severity = store_col(st, 5),
            .title = store_col(st, 6),
            .detail = store_col(st, 7),
            .opened_at = store_col_int64(st, 8),
            .closed_at = store_col_int64(st, 9),
            .notified_at = store_col_int64(st, 10),
            .notices = (unsigned)store_col_int64(st, 11),
        };
        if (cb(arg, &al))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        e = store_sqlerr(s, rc, "reading the alerts");
    store_release(s, st);
    return e;
}

#define ALERT_COLS                                                                                 \
    "id, key, kind, subject, item, severity, title, detail, opened_at, closed_at, notified_at, "   \
    "notices"

mxd_err mxd_store_alerts(mxd_store *s, int open_only, long long since, size_t limit,
                         mxd_watch_alert_cb cb, void *arg)
{
    long long lim = limit ? (long long)limit : LLONG_MAX;
    if (open_only)
        return alerts_query(s,
                            "SELECT " ALERT_COLS " FROM watch_alerts WHERE closed_at = 0 "
                            "AND ?1 = ?1 ORDER BY opened_at DESC, id DESC LIMIT ?2",
                            0, lim, cb, arg);
    return alerts_query(s,
                        "SELECT " ALERT_COLS " FROM watch_alerts WHERE closed_at = 0 "
                        "OR closed_at >= ?1 ORDER BY opened_at DESC, id DESC LIMIT ?2",
                        since, lim, cb, arg);
}

mxd_err mxd_store_alerts_due(mxd_store *s, long long before, mxd_watch_alert_cb cb, void *arg)
{
    return alerts_query(s,
                        "SELECT " ALERT_COLS " FROM watch_alerts WHERE closed_at = 0 "
                        "AND notified_at <= ?1 AND ?2 = ?2 ORDER BY id",
                        before, 0, cb, arg);
}

mxd_err mxd_store_alert_get(mxd_store *s, long long id, mxd_watch_alert_cb cb, void *arg)
{
    return alerts_query(s, "SELECT " ALERT_COLS " FROM watch_alerts WHERE id = ?1 AND ?2 = ?2", id,
                        0, cb, arg);
}

/* --- notices ------------------------------------------------------------------------------ */

mxd_err mxd_store_notice_add(mxd_store *s, long long alert, const char *type, const char *body,
                             unsigned channels, long long at)
{
    int own;
    mxd_err e = store_implicit_begin(s, &own);
    if (e)
        return e;
    store_stmt *st;
    if (!(e = store_prepare(s,
                            "INSERT INTO watch_notices (alert, type, body, created_at, pending, "
                            "next_at) VALUES (?1, ?2, ?3, ?4, ?5, ?4)",
                            &st))) {
        store_bind_int64(st, 1, alert);
        store_bind_text(st, 2, type);
        store_bind_text(st, 3, body);
        store_bind_int64(st, 4, at);
        store_bind_int64(st, 5, channels);
        e = step_done(s, st, "queueing a notice");
    }
    return store_implicit_end(s, own, e);
}

mxd_err mxd_store_notices_pending(mxd_store *s, long long now, mxd_watch_notice_cb cb, void *arg)
{
    store_stmt *st;
    mxd_err e = store_prepare(s,
                              "SELECT id, alert, type, body, created_at, pending, attempts, "
                              "error FROM watch_notices WHERE pending != 0 AND next_at <= ?1 "
                              "ORDER BY id",
                              &st);
    if (e)
        return e;
    store_bind_int64(st, 1, now);
    int rc;
    while ((rc = store_step(st)) == SQLITE_ROW) {
        mxd_watch_notice n = {
            .id = store_col_int64(st, 0),
            .alert = store_col_int64(st, 1),
            .type = store_col(st, 2),
            .body = store_col(st, 3),
            .created_at = store_col_int64(st, 4),
            .pending = (unsigned)store_col_int64(st, 5),
            .attempts = (unsigned)store_col_int64(st, 6),
            .error = store_col(st, 7),
        };
        if (cb(arg, &n))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        e = store_sqlerr(s, rc, "reading the notices");
    store_release(s, st);
    return e;
}

mxd_err mxd_store_notice_done(mxd_store *s, long long id, unsigned pending, long long next_at,
                              const char *error)
{
    int own;
    mxd_err e = store_implicit_begin(s, &own);
    if (e)
        return e;
    store_stmt *st;
    if (!(e = store_prepare(s,
                            "UPDATE watch_notices SET pending = ?2, next_at = ?3, error = ?4, "
                            "attempts = attempts + 1 WHERE id = ?1",
                            &st))) {
        store_bind_int64(st, 1, id);
        store_bind_int64(st, 2, pending);
        store_bind_int64(st, 3, next_at);
        store_bind_text(st, 4, error);
        e = step_done(s, st, "updating a notice");
    }
    return store_implicit_end(s, own, e);
}

/* --- traffic ------------------------------------------------------------------------------ */

mxd_err mxd_store_traffic_add(mxd_store *s, long long hour, const char *provider,
                              const char *outcome, unsigned long long n)
{
    static const char *const sqls[] = {
        "INSERT INTO traffic_hourly (hour, provider, sent) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (hour, provider) DO UPDATE SET sent = traffic_hourly.sent + ?3",
        "INSERT INTO traffic_hourly (hour, provider, deferred) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (hour, provider) DO UPDATE SET deferred = traffic_hourly.deferred + ?3",
        "INSERT INTO traffic_hourly (hour, provider, bounced) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (hour, provider) DO UPDATE SET bounced = traffic_hourly.bounced + ?3",
        "INSERT INTO traffic_hourly (hour, provider, rejected) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (hour, provider) DO UPDATE SET rejected = traffic_hourly.rejected + ?3",
        "INSERT INTO traffic_hourly (hour, provider, expired) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (hour, provider) DO UPDATE SET expired = traffic_hourly.expired + ?3",
    };
    static const char *const names[] = {"sent", "deferred", "bounced", "rejected", "expired"};
    size_t i = 0;
    while (i < 5 && !eq(outcome, names[i]))
        i++;
    if (i == 5 || !provider)
        return store_fail(s, MXD_ERR_INVALID, "traffic: unknown outcome %s",
                          outcome ? outcome : "(null)");
    int own;
    mxd_err e = store_implicit_begin(s, &own);
    if (e)
        return e;
    store_stmt *st;
    if (!(e = store_prepare(s, sqls[i], &st))) {
        store_bind_int64(st, 1, hour - hour % 3600);
        store_bind_text(st, 2, provider);
        store_bind_int64(st, 3, (long long)n);
        e = step_done(s, st, "counting traffic");
    }
    return store_implicit_end(s, own, e);
}

mxd_err mxd_store_traffic(mxd_store *s, long long since, long long until, int totals,
                          mxd_traffic_cb cb, void *arg)
{
    store_stmt *st;
    mxd_err e = store_prepare(
        s,
        totals ? "SELECT 0, provider, sum(sent), sum(deferred), sum(bounced), sum(rejected), "
                 "sum(expired) FROM traffic_hourly WHERE hour >= ?1 AND (?2 = 0 OR hour < ?2) "
                 "GROUP BY provider ORDER BY sum(sent) + sum(deferred) + sum(bounced) DESC, "
                 "provider"
               : "SELECT hour, provider, sent, deferred, bounced, rejected, expired FROM "
                 "traffic_hourly WHERE hour >= ?1 AND (?2 = 0 OR hour < ?2) ORDER BY hour, "
                 "provider",
        &st);
    if (e)
        return e;
    store_bind_int64(st, 1, since);
    store_bind_int64(st, 2, until);
    int rc;
    while ((rc = store_step(st)) == SQLITE_ROW) {
        mxd_traffic_row r = {
            .hour = store_col_int64(st, 0),
            .provider = store_col(st, 1),
            .sent = (unsigned long long)store_col_int64(st, 2),
            .deferred = (unsigned long long)store_col_int64(st, 3),
            .bounced = (unsigned long long)store_col_int64(st, 4),
            .rejected = (unsigned long long)store_col_int64(st, 5),
            .expired = (unsigned long long)store_col_int64(st, 6),
        };
        if (cb(arg, &r))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        e = store_sqlerr(s, rc, "reading the traffic");
    store_release(s, st);
    return e;
}

/* --- log positions ------------------------------------------------------------------------ */

mxd_err mxd_store_logpos_get(mxd_store *s, const char *path, unsigned long long *dev,
                             unsigned long long *ino, unsigned long long *offset, int *found)
{
    *found = 0;
    store_stmt *st;
    mxd_err e = store_prepare(s, "SELECT dev, ino, offset FROM log_positions WHERE path = ?1", &st);
    if (e)
        return e;
    store_bind_text(st, 1, path);
    int rc = store_step(st);
    if (rc == SQLITE_ROW) {
        *found = 1;
        *dev = (unsigned long long)store_col_int64(st, 0);
        *ino = (unsigned long long)store_col_int64(st, 1);
        *offset = (unsigned long long)store_col_int64(st, 2);
    } else if (rc != SQLITE_DONE) {
        e = store_sqlerr(s, rc, "reading a log position");
    }
    store_release(s, st);
    return e;
}

mxd_err mxd_store_logpos_set(mxd_store *s, const char *path, unsigned long long dev,
                             unsigned long long ino, unsigned long long offset, long long at)
{
    int own;
    mxd_err e = store_implicit_begin(s, &own);
    if (e)
        return e;
    store_stmt *st;
    if (!(e = store_prepare(s,
                            "INSERT INTO log_positions (path, dev, ino, offset, at) VALUES (?1, "
                            "?2, ?3, ?4, ?5) ON CONFLICT (path) DO UPDATE SET dev = ?2, ino = ?3, "
                            "offset = ?4, at = ?5",
                            &st))) {
        store_bind_text(st, 1, path);
        store_bind_int64(st, 2, (long long)dev);
        store_bind_int64(st, 3, (long long)ino);
        store_bind_int64(st, 4, (long long)offset);
        store_bind_int64(st, 5, at);
        e = step_done(s, st, "saving a log position");
    }
    return store_implicit_end(s, own, e);
}

mxd_err mxd_store_watch_prune(mxd_store *s, long long before)
{
    static const char *const sqls[] = {
        "DELETE FROM watch_history WHERE last_at < ?1 AND id NOT IN (SELECT max(id) FROM "
        "watch_history GROUP BY key)",
        "DELETE FROM watch_notices WHERE pending = 0 AND created_at < ?1",
        "DELETE FROM watch_alerts WHERE closed_at != 0 AND closed_at < ?1 AND id NOT IN "
        "(SELECT alert FROM watch_notices)",
        "DELETE FROM traffic_hourly WHERE hour < ?1",
    };
    int own;
    mxd_err e = store_implicit_begin(s, &own);
    if (e)
        return e;
    for (size_t i = 0; !e && i < sizeof sqls / sizeof sqls[0]; i++) {
        store_stmt *st;
        if ((e = store_prepare(s, sqls[i], &st)))
            break;
        store_bind_int64(st, 1, before);
        e = step_done(s, st, "pruning the watch history");
    }
    return store_implicit_end(s, own, e);
}
