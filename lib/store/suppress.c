/* suppress.c - bounce and complaint events, the suppression list and its history
 * SPDX-License-Identifier: MIT
 *
 * Every event is kept (events, unique by message key + address); the suppression list is
 * derived from them as each arrives, within the writer's transaction:
 *   hard, complaint  suppress at once (again, after a remove: a new one re-activates the row);
 *   soft             suppresses when some window of soft_days days that contains this event
 *                    holds soft_limit soft events of the address (whatever order they are
 *                    ingested in: a late, older event can complete a window). After a remove,
 *                    only soft events dated after it count: the operator forgave the old ones;
 *   block            recorded only.
 * A row's count, first_seen and last_seen are recomputed from the counting events (hard,
 * complaint, soft) of the address; a manual add contributes its time to first/last_seen.
 * Rows are never deleted: a remove sets active = 0 and removed_at, and writes a line to
 * suppression_history, as a manual add does. Addresses with only soft events below the limit,
 * or only blocks, have no row. Each call that writes is all or nothing (store_implicit_begin:
 * its own transaction, or a savepoint inside the caller's).
 *
 * mxd_store_suppress_check() runs one prepared statement, reset and re-bound per address,
 * inside one read transaction: a b-tree search of the WITHOUT ROWID primary key each.
 */
#include <stdlib.h>
#include <string.h>
#include "store/store_internal.h"

static const char *const effect_names[] = {
    [MXD_EFFECT_HARD] = "hard",
    [MXD_EFFECT_COMPLAINT] = "complaint",
    [MXD_EFFECT_SOFT] = "soft",
    [MXD_EFFECT_BLOCK] = "block",
};

#define SUPPRESSION_COLS                                                                           \
    "address, reason, effect, first_seen, last_seen, count, source, msgkey, active, removed_at"

/* row_to_suppression - the columns of SUPPRESSION_COLS into *e (strings point into st). */
static void row_to_suppression(store_stmt *st, mxd_suppression *e)
{
    e->address = store_col(st, 0);
    e->reason = store_col(st, 1);
    e->effect = store_col(st, 2);
    e->first_seen = store_col_int64(st, 3);
    e->last_seen = store_col_int64(st, 4);
    long long c = store_col_int64(st, 5);
    e->count = c > 0 ? (unsigned long long)c : 0;
    e->source = store_col(st, 6);
    e->msgkey = store_col(st, 7);
    e->active = store_col_int64(st, 8) != 0;
    e->removed_at = store_col_int64(st, 9);
}

void mxd_store_set_policy(mxd_store *s, const mxd_store_policy *p)
{
    if (!s)
        return;
    if (p) {
        s->policy = *p;
    } else {
        s->policy.soft_limit = STORE_SOFT_LIMIT;
        s->policy.soft_days = STORE_SOFT_DAYS;
    }
}

/* step_done - step a statement that returns no rows. */
static mxd_err step_done(mxd_store *s, store_stmt *st, const char *what)
{
    int rc = store_step(st);
    mxd_err e = rc == SQLITE_DONE ? MXD_OK : store_sqlerr(s, rc, what);
    store_release(s, st);
    return e;
}

/* --- the state of an address --------------------------------------------------------------- */

typedef struct addr_state {
    int exists, active;
    long long removed_at;
    long long count, first, last; /* over the counting events; first/last valid when count */
} addr_state;

static mxd_err load_state(mxd_store *s, const char *addr, addr_state *a)
{
    store_stmt *st;
    memset(a, 0, sizeof *a);
    mxd_err e =
        store_prepare(s, "SELECT active, removed_at FROM suppressions WHERE address = ?1", &st);
    if (e)
        return e;
    store_bind_text(st, 1, addr);
    int rc = store_step(st);
    if (rc == SQLITE_ROW) {
        a->exists = 1;
        a->active = store_col_int64(st, 0) != 0;
        a->removed_at = store_col_int64(st, 1);
    } else if (rc != SQLITE_DONE) {
        e = store_sqlerr(s, rc, "reading a suppression");
    }
    store_release(s, st);
    if (e)
        return e;
    if ((e = store_prepare(s,
                           "SELECT count(*), min(at), max(at) FROM events WHERE address = ?1 "
                           "AND effect IN ('hard', 'complaint', 'soft')",
                           &st)))
        return e;
    store_bind_text(st, 1, addr);
    rc = store_step(st);
    if (rc == SQLITE_ROW) {
        a->count = store_col_int64(st, 0);
        a->first = store_col_int64(st, 1);
        a->last = store_col_int64(st, 2);
    } else {
        e = store_sqlerr(s, rc, "counting events");
    }
    store_release(s, st);
    return e;
}

/* soft_window_full - whether some window of soft_days days containing time `at` holds
 * soft_limit soft events of addr dated after `after`. */
static mxd_err soft_window_full(mxd_store *s, const char *addr, long long at, long long after,
                                int *full)
{
    *full = 0;
    if (!s->policy.soft_limit)
        return MXD_OK;
    store_stmt *st;
    mxd_err e = store_prepare(
        s,
        "SELECT max((SELECT count(*) FROM events b WHERE b.address = ?1 AND b.effect = 'soft'"
        "            AND b.at BETWEEN a.at AND a.at + ?3 AND b.at > ?4))"
        " FROM events a WHERE a.address = ?1 AND a.effect = 'soft'"
        " AND a.at BETWEEN ?2 - ?3 AND ?2 AND a.at > ?4",
        &st);
    if (e)
        return e;
    store_bind_text(st, 1, addr);
    store_bind_int64(st, 2, at);
    store_bind_int64(st, 3, (long long)s->policy.soft_days * STORE_DAY);
    store_bind_int64(st, 4, after);
    int rc = store_step(st);
    if (rc == SQLITE_ROW)
        *full = store_col_int64(st, 0) >= (long long)s->policy.soft_limit;
    else
        e = store_sqlerr(s, rc, "counting soft events");
    store_release(s, st);
    return e;
}

/* --- events --------------------------------------------------------------------------------- */

static mxd_err insert_event(mxd_store *s, const mxd_store_event *ev, const char *addr, int *added)
{
    store_stmt *st;
    mxd_err e = store_prepare(
        s,
        "INSERT OR IGNORE INTO events (msgkey, address, effect, reason, status, replycode,"
        " diagnostic, provider, scope, feedbacktype, source, at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        &st);
    if (e)
        return e;
    store_bind_text(st, 1, ev->msgkey);
    store_bind_text(st, 2, addr);
    store_bind_text(st, 3, effect_names[ev->effect]);
    store_bind_text(st, 4, ev->reason);
    store_bind_text(st, 5, ev->status);
    store_bind_text(st, 6, ev->replycode);
    store_bind_text(st, 7, ev->diagnostic);
    store_bind_text(st, 8, ev->provider);
    store_bind_text(st, 9, ev->scope);
    store_bind_text(st, 10, ev->feedbacktype);
    store_bind_text(st, 11, ev->source);
    store_bind_int64(st, 12, ev->at);
    int rc = store_step(st);
    if (rc == SQLITE_DONE)
        *added = store_changes(s) > 0;
    else
        e = store_sqlerr(s, rc, "adding an event");
    store_release(s, st);
    return e;
}

/* take_cause - an active row names the event that caused it (reason, effect, source,
 * msgkey): of its hard and complaint events the earliest (by time, then message key), and
 * one of them before any soft event. So the row is the same whatever order the events were
 * ingested in (8 writers at once, or a re-run after a crash). A manual entry keeps its own. */
static mxd_err take_cause(mxd_store *s, const mxd_store_event *ev, const char *addr)
{
    store_stmt *st;
    mxd_err e = store_prepare(
        s,
        "UPDATE suppressions SET reason = ?2, effect = ?3, source = ?4, msgkey = ?5"
        " WHERE address = ?1 AND active = 1 AND (effect = 'soft' OR"
        " (effect IN ('hard', 'complaint') AND (SELECT ?6 < c.at OR (?6 = c.at AND ?5 < c.msgkey)"
        "  FROM events c WHERE c.msgkey = suppressions.msgkey AND c.address = ?1)))",
        &st);
    if (e)
        return e;
    store_bind_text(st, 1, addr);
    store_bind_text(st, 2, ev->reason);
    store_bind_text(st, 3, effect_names[ev->effect]);
    store_bind_text(st, 4, ev->source);
    store_bind_text(st, 5, ev->msgkey);
    store_bind_int64(st, 6, ev->at);
    return step_done(s, st, "updating the suppression list");
}

/* event_apply - record ev for the normalised addr and apply its effect. */
static mxd_err event_apply(mxd_store *s, const mxd_store_event *ev, const char *addr, int *added,
                           int *suppressed)
{
    int isnew = 0, now = 0;
    mxd_err e = insert_event(s, ev, addr, &isnew);
    if (e || !isnew)
        return e;
    if (added)
        *added = 1;
    if (ev->effect == MXD_EFFECT_BLOCK)
        return MXD_OK;

    addr_state a;
    if ((e = load_state(s, addr, &a)))
        return e;
    int triggers = ev->effect != MXD_EFFECT_SOFT;
    if (!triggers) {
        long long after = a.exists && !a.active ? a.removed_at : -0x7fffffffffffffffLL;
        if ((e = soft_window_full(s, addr, ev->at, after, &triggers)))
            return e;
    }
    store_stmt *st;
    if (!a.exists && !triggers)
        return MXD_OK;
    if (!a.exists) {
        e = store_prepare(s,
                          "INSERT INTO suppressions (" SUPPRESSION_COLS ")"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, 0)",
                          &st);
        now = 1;
    } else if (!a.active && triggers) {
        e = store_prepare(s,
                          "UPDATE suppressions SET reason = ?2, effect = ?3,"
                          " first_seen = min(first_seen, ?4), last_seen = max(last_seen, ?5),"
                          " count = ?6, source = ?7, msgkey = ?8, active = 1, removed_at = 0"
                          " WHERE address = ?1",
                          &st);
        now = 1;
    } else {
        e = store_prepare(s,
                          "UPDATE suppressions SET first_seen = min(first_seen, ?4),"
                          " last_seen = max(last_seen, ?5), count = ?6 WHERE address = ?1",
                          &st);
    }
    if (e)
        return e;
    /* the last statement ignores ?2 ?3 and has no ?7 ?8 (SQLITE_RANGE: harmless) */
    store_bind_text(st, 1, addr);
    store_bind_text(st, 2, ev->reason);
    store_bind_text(st, 3, effect_names[ev->effect]);
    store_bind_int64(st, 4, a.first);
    store_bind_int64(st, 5, a.last);
    store_bind_int64(st, 6, a.count);
    store_bind_text(st, 7, ev->source);
    store_bind_text(st, 8, ev->msgkey);
    if ((e = step_done(s, st, "updating the suppression list")))
        return e;
    if (a.exists && a.active && triggers && ev->effect != MXD_EFFECT_SOFT && !now &&
        (e = take_cause(s, ev, addr)))
        return e;
    if (suppressed)
        *suppressed = now;
    return MXD_OK;
}

mxd_err mxd_store_event_add(mxd_store *s, const mxd_store_event *ev, int *added, int *suppressed)
{
    char addr[STORE_ADDRESS_MAX];
    int own;
    if (added)
        *added = 0;
    if (suppressed)
        *suppressed = 0;
    if (!s || !ev)
        return MXD_ERR_INVALID;
    if (ev->effect < MXD_EFFECT_HARD || ev->effect > MXD_EFFECT_BLOCK)
        return store_fail(s, MXD_ERR_INVALID, "unknown event effect %d", (int)ev->effect);
    if (!ev->msgkey || !*ev->msgkey)
        return store_fail(s, MXD_ERR_INVALID, "an event needs the key of its message");
    if (store_address_norm(ev->address, addr) < 0)
        return store_fail(s, MXD_ERR_INVALID, "an event needs an address (at most %d bytes)",
                          STORE_ADDRESS_MAX - 1);
    mxd_err e = store_implicit_begin_key(s, &own, addr);
    if (e)
        return e;
    e = store_implicit_end(s, own, event_apply(s, ev, addr, added, suppressed));
    if (e) {
        if (added)
            *added = 0;
        if (suppressed)
            *suppressed = 0;
    }
    return e;
}

/* --- manual actions -------------------------------------------------------------------------- */

static mxd_err add_history(mxd_store *s, const char *addr, const char *action, const char *reason,
                           long long at)
{
    store_stmt *st;
    mxd_err e = store_prepare(s,
                              "INSERT INTO suppression_history (address, action, reason, source,"
                              " at) VALUES (?1, ?2, ?3, 'manual', ?4)",
                              &st);
    if (e)
        return e;
    store_bind_text(st, 1, addr);
    store_bind_text(st, 2, action);
    store_bind_text(st, 3, reason);
    store_bind_int64(st, 4, at);
    return step_done(s, st, "recording the history");
}

/* manual_add - mxd_store_suppress_add inside a transaction. */
static mxd_err manual_add(mxd_store *s, const char *addr, const char *reason, long long at)
{
    addr_state a;
    store_stmt *st = NULL;
    mxd_err e = load_state(s, addr, &a);
    if (e)
        return e;
    long long first = a.count && a.first < at ? a.first : at;
    long long last = a.count && a.last > at ? a.last : at;
    if (!a.exists)
        e = store_prepare(s,
                          "INSERT INTO suppressions (" SUPPRESSION_COLS ")"
                          " VALUES (?1, ?2, 'manual', ?3, ?4, ?5, 'manual', NULL, 1, 0)",
                          &st);
    else if (!a.active)
        e = store_prepare(s,
                          "UPDATE suppressions SET reason = ?2, effect = 'manual',"
                          " first_seen = min(first_seen, ?3), last_seen = max(last_seen, ?4),"
                          " count = ?5, source = 'manual', msgkey = NULL, active = 1,"
                          " removed_at = 0 WHERE address = ?1",
                          &st);
    if (e)
        return e;
    if (st) {
        store_bind_text(st, 1, addr);
        store_bind_text(st, 2, reason);
        store_bind_int64(st, 3, first);
        store_bind_int64(st, 4, last);
        store_bind_int64(st, 5, a.count);
        if ((e = step_done(s, st, "suppressing an address")))
            return e;
    }
    return add_history(s, addr, "manual-add", reason, at);
}

mxd_err mxd_store_suppress_add(mxd_store *s, const char *address, const char *reason, long long at)
{
    char addr[STORE_ADDRESS_MAX];
    int own;
    if (!s)
        return MXD_ERR_INVALID;
    if (store_address_norm(address, addr) < 0)
        return store_fail(s, MXD_ERR_INVALID, "no address to suppress");
    mxd_err e = store_implicit_begin_key(s, &own, addr);
    if (e)
        return e;
    return store_implicit_end(s, own, manual_add(s, addr, reason, at));
}

static mxd_err manual_remove(mxd_store *s, const char *addr, long long at, int *found)
{
    store_stmt *st;
    mxd_err e = store_prepare(s,
                              "UPDATE suppressions SET active = 0, removed_at = ?2"
                              " WHERE address = ?1 AND active = 1",
                              &st);
    if (e)
        return e;
    store_bind_text(st, 1, addr);
    store_bind_int64(st, 2, at);
    if ((e = step_done(s, st, "removing a suppression")))
        return e;
    if (store_changes(s) == 0)
        return MXD_OK;
    if (found)
        *found = 1;
    return add_history(s, addr, "remove", NULL, at);
}

mxd_err mxd_store_suppress_remove(mxd_store *s, const char *address, long long at, int *found)
{
    char addr[STORE_ADDRESS_MAX];
    int own;
    if (found)
        *found = 0;
    if (!s)
        return MXD_ERR_INVALID;
    if (store_address_norm(address, addr) < 0)
        return store_fail(s, MXD_ERR_INVALID, "no address to remove");
    mxd_err e = store_implicit_begin_key(s, &own, addr);
    if (e)
        return e;
    return store_implicit_end(s, own, manual_remove(s, addr, at, found));
}

/* --- reading ------------------------------------------------------------------------------- */

/* read_begin / read_end - a read transaction (one snapshot) when none is open. */
static mxd_err read_begin(mxd_store *s, int *own)
{
    *own = 0;
    if (store_in_transaction(s))
        return MXD_OK;
    mxd_err e = store_exec(s, "BEGIN");
    if (!e)
        *own = 1;
    return e;
}

static mxd_err read_end(mxd_store *s, int own, mxd_err e)
{
    if (own && store_in_transaction(s)) {
        mxd_err c = store_exec(s, "COMMIT");
        if (!e)
            e = c;
    }
    return e;
}

mxd_err mxd_store_suppress_each(mxd_store *s, int include_removed, mxd_suppression_cb cb, void *arg)
{
    store_stmt *st;
    if (!s || !cb)
        return MXD_ERR_INVALID;
    mxd_err e = store_prepare(s,
                              include_removed
                                  ? "SELECT " SUPPRESSION_COLS " FROM suppressions ORDER BY address"
                                  : "SELECT " SUPPRESSION_COLS
                                    " FROM suppressions WHERE active = 1 ORDER BY address",
                              &st);
    if (e)
        return e;
    store_stream(st); /* a million rows are not held at once */
    int rc;
    while ((rc = store_step(st)) == SQLITE_ROW) {
        mxd_suppression sup;
        row_to_suppression(st, &sup);
        if (cb(arg, &sup))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        e = store_sqlerr(s, rc, "listing suppressions");
    store_release(s, st);
    return e;
}

/* A batch of check_batched(): its addresses, normalised, and the order to search them in. */
#define CHECK_BATCH 2000

typedef struct batch_addr {
    char *addr; /* normalised */
    size_t i;   /* its index in the caller's array */
    int row;    /* the result row of its suppression, -1 when none */
} batch_addr;

static int batch_cmp(const void *a, const void *b)
{
    return strcmp((*(batch_addr *const *)a)->addr, (*(batch_addr *const *)b)->addr);
}

/* check_batched - mxd_store_suppress_check() over the network: a round trip per address would
 * make a million of them a million round trips, so CHECK_BATCH addresses go in one query as an
 * array ("address = ANY($1)"), the rows that come back are matched to them, and the callback
 * sees the hits in the caller's order, as on SQLite. */
static mxd_err check_batched(mxd_store *s, const char *const *addresses, size_t n, int *hit,
                             mxd_suppression_cb cb, void *arg)
{
    static const char sql[] = "SELECT " SUPPRESSION_COLS " FROM suppressions"
                              " WHERE address = ANY (CAST(?1 AS TEXT[])) AND active = 1";
    char addr[STORE_ADDRESS_MAX];
    batch_addr *b = calloc(CHECK_BATCH, sizeof *b), **sorted = calloc(CHECK_BATCH, sizeof *sorted);
    /* the array literal: {"a","b"}, each byte at most doubled by its backslash */
    char *lit = malloc(CHECK_BATCH * (2 * STORE_ADDRESS_MAX + 3) + 3);
    mxd_err e = MXD_OK;
    int stop = 0;
    if (!b || !sorted || !lit) {
        e = store_fail(s, MXD_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        hit[i] = 0;
    for (size_t at = 0; at < n && !e && !stop; at += CHECK_BATCH) {
        size_t m = n - at < CHECK_BATCH ? n - at : CHECK_BATCH, k = 0, o = 0;
        lit[o++] = '{';
        for (size_t j = 0; j < m; j++) {
            int len = store_address_norm(addresses[at + j], addr);
            if (len < 0)
                continue;
            if (!(b[k].addr = strdup(addr))) {
                e = store_fail(s, MXD_ERR_NOMEM, "out of memory");
                break;
            }
            b[k].i = at + j;
            b[k].row = -1;
            sorted[k] = &b[k];
            if (k)
                lit[o++] = ',';
            lit[o++] = '"';
            for (const char *c = addr; *c; c++) {
                if (*c == '"' || *c == '\\')
                    lit[o++] = '\\';
                lit[o++] = *c;
            }
            lit[o++] = '"';
            k++;
        }
        lit[o++] = '}';
        lit[o] = 0;
        store_stmt *st = NULL;
        if (!e && k && !(e = store_prepare(s, sql, &st))) {
            qsort(sorted, k, sizeof *sorted, batch_cmp);
            store_bind_text(st, 1, lit);
            int rc;
            while ((rc = store_step(st)) == SQLITE_ROW) {
                batch_addr kv = {.addr = (char *)store_col(st, 0)}, *key = &kv;
                batch_addr **f =
                    kv.addr ? bsearch(&key, sorted, k, sizeof *sorted, batch_cmp) : NULL;
                if (!f)
                    continue;
                while (f > sorted && !strcmp(f[-1]->addr, kv.addr)) /* the first equal one */
                    f--;
                for (; f < sorted + k && !strcmp((*f)->addr, kv.addr); f++)
                    (*f)->row = st->row;
            }
            if (rc != SQLITE_DONE)
                e = store_sqlerr(s, rc, "checking addresses");
            for (size_t j = 0; !e && j < k && !stop; j++) { /* the caller's order */
                if (b[j].row < 0)
                    continue;
                hit[b[j].i] = 1;
                if (cb) {
                    mxd_suppression sup;
                    st->row = b[j].row;
                    row_to_suppression(st, &sup);
                    stop = cb(arg, &sup) != 0;
                }
            }
            store_release(s, st);
        }
        for (size_t j = 0; j < k; j++) {
            free(b[j].addr);
            b[j].addr = NULL;
        }
    }
out:
    free(b);
    free(sorted);
    free(lit);
    return e;
}

mxd_err mxd_store_suppress_check(mxd_store *s, const char *const *addresses, size_t n, int *hit,
                                 mxd_suppression_cb cb, void *arg)
{
    char addr[STORE_ADDRESS_MAX];
    store_stmt *st;
    int own;
    if (!s || (n && (!addresses || !hit)))
        return MXD_ERR_INVALID;
    if (s->backend == STORE_PG)
        return check_batched(s, addresses, n, hit, cb, arg);
    mxd_err e = read_begin(s, &own);
    if (e)
        return e;
    if ((e = store_prepare(
             s, "SELECT " SUPPRESSION_COLS " FROM suppressions WHERE address = ?1 AND active = 1",
             &st)))
        return read_end(s, own, e);
    size_t i = 0;
    for (; i < n; i++) {
        hit[i] = 0;
        int len = store_address_norm(addresses[i], addr);
        if (len < 0)
            continue;
        sq.bind_text(st->lite, 1, addr, len, SQLITE_STATIC);
        int rc = store_step(st);
        if (rc == SQLITE_ROW) {
            hit[i] = 1;
            if (cb) {
                mxd_suppression sup;
                row_to_suppression(st, &sup);
                if (cb(arg, &sup)) {
                    store_reset(st);
                    i++;
                    break;
                }
            }
        } else if (rc != SQLITE_DONE) {
            e = store_sqlerr(s, rc, "checking addresses");
            break;
        }
        store_reset(st);
    }
    for (; i < n; i++)
        hit[i] = 0;
    store_release(s, st);
    return read_end(s, own, e);
}

mxd_err mxd_store_history_each(mxd_store *s, const char *address, mxd_history_cb cb, void *arg)
{
    char addr[STORE_ADDRESS_MAX];
    store_stmt *st;
    if (!s || !cb)
        return MXD_ERR_INVALID;
    if (store_address_norm(address, addr) < 0)
        return store_fail(s, MXD_ERR_INVALID, "no address");
    mxd_err e = store_prepare(s,
                              "SELECT at, what, reason, source FROM ("
                              "SELECT at, effect AS what, reason, source, 0 AS k, id FROM events"
                              " WHERE address = ?1"
                              " UNION ALL SELECT at, action, reason, source, 1, id"
                              " FROM suppression_history WHERE address = ?1) h"
                              /* events of one second by what and why (not by which writer
                               * stored them first), manual actions in the order taken */
                              " ORDER BY at, k, CASE WHEN k = 0 THEN what END,"
                              " CASE WHEN k = 0 THEN COALESCE(reason, '') END, id",
                              &st);
    if (e)
        return e;
    store_bind_text(st, 1, addr);
    int rc;
    while ((rc = store_step(st)) == SQLITE_ROW) {
        if (cb(arg, store_col_int64(st, 0), store_col(st, 1), store_col(st, 2), store_col(st, 3)))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        e = store_sqlerr(s, rc, "reading the history");
    store_release(s, st);
    return e;
}
