/* pg.c - the store on PostgreSQL (fleet mode): libpq loaded on first use, SQLite's SQL
 * translated, statements prepared once per connection
 * SPDX-License-Identifier: MIT
 *
 * `--db postgresql://...` (or MXDIAG_DB) opens the same store on a PostgreSQL server, so that
 * the MTAs of a fleet share one suppression list, one record of reports and one watch. The
 * store's modules are written once, in SQLite's dialect, against store_stmt (store_internal.h);
 * this file runs them on libpq:
 *
 *   - pg_translate() rewrites each statement once, when it is first prepared (?N -> $N,
 *     INSERT OR IGNORE -> ON CONFLICT DO NOTHING, scalar max/min -> GREATEST/LEAST,
 *     group_concat -> string_agg in a fixed order; and the schema's DDL: INTEGER -> BIGINT,
 *     identity keys, DOUBLE PRECISION, a case-insensitive ICU collation for COLLATE NOCASE);
 *   - a statement is prepared under a name on first execution, with the parameter types of
 *     that binding (integers int8, text text, NULL left to the server), and then only
 *     executed: parameters travel as text, the result comes back whole and is read row by row;
 *   - a write that reads what it changes takes an advisory lock first (store_pg_lock): the
 *     store's write lock, or for the suppression rules the address's own, so the results are
 *     SQLite's whatever the interleaving while writers on different addresses commit side by
 *     side; the same message arriving at two MTAs is stored once (its unique key);
 *   - the schema version lives in the table mxd_schema; migrations run under a second advisory
 *     lock;
 *   - the watch daemons of a fleet elect their leader with a session advisory lock
 *     (store_pg_leader): it is released by the server the moment the leader's connection ends,
 *     SIGKILL included.
 *
 * Text from strangers (bounce diagnostics) need not be UTF-8, which PostgreSQL's text type
 * insists on: invalid bytes are stored as U+FFFD, NUL cannot occur (C strings).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>
#include "store/store_internal.h"
#include "util/dl.h"
#include "util/str.h"

dl_lib store_pq_lib = {"libpq.so.5", "to use a PostgreSQL database", NULL, NULL, ""};

#define OID_INT8   20
#define OID_TEXT   25
#define OID_FLOAT8 701

/* The advisory lock keys: the writers' turn, the migration, and (hashed names) leaders. */
#define LOCK_WRITE   "7887418420736001"
#define LOCK_MIGRATE "7887418420736002"
#define LOCK_KEYS    "1836606567" /* the first half of a key's lock (two int4 halves) */

static struct {
    __typeof__(PQconnectdb) *connectdb;
    __typeof__(PQstatus) *status;
    __typeof__(PQerrorMessage) *errormessage;
    __typeof__(PQfinish) *finish;
    __typeof__(PQreset) *reset;
    __typeof__(PQexec) *exec;
    __typeof__(PQprepare) *prepare;
    __typeof__(PQexecPrepared) *execprepared;
    __typeof__(PQexecParams) *execparams;
    __typeof__(PQresultStatus) *resultstatus;
    __typeof__(PQresultErrorField) *resulterrorfield;
    __typeof__(PQresultErrorMessage) *resulterrormessage;
    __typeof__(PQclear) *clear;
    __typeof__(PQntuples) *ntuples;
    __typeof__(PQgetvalue) *getvalue;
    __typeof__(PQgetisnull) *getisnull;
    __typeof__(PQcmdTuples) *cmdtuples;
    __typeof__(PQtransactionStatus) *transactionstatus;
    __typeof__(PQsetNoticeProcessor) *setnoticeprocessor;
} pq;
static int pq_loaded;
static pthread_once_t pq_once = PTHREAD_ONCE_INIT;

static void pq_load(void)
{
    dl_lib *l = &store_pq_lib;
    if (dl_open(l))
        return;
    DL_SYM(l, pq.connectdb, "PQconnectdb");
    DL_SYM(l, pq.status, "PQstatus");
    DL_SYM(l, pq.errormessage, "PQerrorMessage");
    DL_SYM(l, pq.finish, "PQfinish");
    DL_SYM(l, pq.reset, "PQreset");
    DL_SYM(l, pq.exec, "PQexec");
    DL_SYM(l, pq.prepare, "PQprepare");
    DL_SYM(l, pq.execprepared, "PQexecPrepared");
    DL_SYM(l, pq.execparams, "PQexecParams");
    DL_SYM(l, pq.resultstatus, "PQresultStatus");
    DL_SYM(l, pq.resulterrorfield, "PQresultErrorField");
    DL_SYM(l, pq.resulterrormessage, "PQresultErrorMessage");
    DL_SYM(l, pq.clear, "PQclear");
    DL_SYM(l, pq.ntuples, "PQntuples");
    DL_SYM(l, pq.getvalue, "PQgetvalue");
    DL_SYM(l, pq.getisnull, "PQgetisnull");
    DL_SYM(l, pq.cmdtuples, "PQcmdTuples");
    DL_SYM(l, pq.transactionstatus, "PQtransactionStatus");
    DL_SYM(l, pq.setnoticeprocessor, "PQsetNoticeProcessor");
    pq_loaded = dl_done(l) == 0;
}

int store_is_pg_uri(const char *path)
{
    return path &&
           (strncmp(path, "postgresql://", 13) == 0 || strncmp(path, "postgres://", 11) == 0);
}

/* --- translation ---------------------------------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 256;
        while (nc < b->n + n + 1)
            nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void sb_str(sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static int is_word(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* word_is - the word at p (length n) is w, ignoring case. */
static int word_is(const char *p, size_t n, const char *w)
{
    return strlen(w) == n && strncasecmp(p, w, n) == 0;
}

/* next_word - the word after p's blanks: its start, and its length into *n (0: none). */
static const char *next_word(const char *p, size_t *n)
{
    while (is_space(*p))
        p++;
    const char *q = p;
    while (is_word(*q))
        q++;
    *n = (size_t)(q - p);
    return p;
}

/* skip_quoted - past the literal or quoted identifier that starts at p (its quote char). */
static const char *skip_quoted(const char *p)
{
    char q = *p++;
    while (*p) {
        if (*p == q) {
            if (p[1] == q) {
                p += 2;
                continue;
            }
            return p + 1;
        }
        p++;
    }
    return p;
}

/* close_paren - the ')' matching the '(' at p, and the first comma at its top level into
 * *comma (NULL: none); NULL when unbalanced. */
static const char *close_paren(const char *p, const char **comma)
{
    int depth = 0;
    *comma = NULL;
    for (; *p; p++) {
        if (*p == '\'' || *p == '"') {
            p = skip_quoted(p) - 1;
            continue;
        }
        if (*p == '(')
            depth++;
        else if (*p == ')' && --depth == 0)
            return p;
        else if (*p == ',' && depth == 1 && !*comma)
            *comma = p;
    }
    return NULL;
}

typedef struct tr {
    sbuf out;
    int nparams, autoparam;
    unsigned long long used;
    int ignore; /* INSERT OR IGNORE seen: append ON CONFLICT DO NOTHING */
} tr;

static void translate(tr *t, const char *p, const char *end);

static void translate_str(tr *t, const char *p, size_t n)
{
    translate(t, p, p + n);
}

static void translate(tr *t, const char *p, const char *end)
{
    while (p < end && *p) {
        if (*p == '\'' || *p == '"') {
            const char *q = skip_quoted(p);
            if (q > end)
                q = end;
            sb_add(&t->out, p, (size_t)(q - p));
            p = q;
            continue;
        }
        if (*p == '?') {
            int n = 0;
            const char *q = p + 1;
            while (q < end && *q >= '0' && *q <= '9' && n < 100000)
                n = n * 10 + (*q++ - '0');
            if (q == p + 1)
                n = ++t->autoparam;
            char b[16];
            snprintf(b, sizeof b, "$%d", n);
            sb_str(&t->out, b);
            if (n > t->nparams)
                t->nparams = n;
            if (n >= 1 && n <= 64)
                t->used |= 1ULL << (n - 1);
            p = q;
            continue;
        }
        if (!is_word(*p)) {
            sb_add(&t->out, p, 1);
            p++;
            continue;
        }
        const char *w = p;
        while (p < end && is_word(*p))
            p++;
        size_t n = (size_t)(p - w);
        size_t n2, n3;
        const char *w2 = next_word(p, &n2);
        if (word_is(w, n, "INSERT") && word_is(w2, n2, "OR")) {
            const char *w3 = next_word(w2 + n2, &n3);
            if (word_is(w3, n3, "IGNORE")) {
                sb_str(&t->out, "INSERT");
                t->ignore = 1;
                p = w3 + n3;
                continue;
            }
        }
        if (word_is(w, n, "INTEGER")) {
            if (word_is(w2, n2, "PRIMARY")) {
                const char *w3 = next_word(w2 + n2, &n3);
                if (word_is(w3, n3, "KEY")) {
                    sb_str(&t->out, "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
                    p = w3 + n3;
                    continue;
                }
            }
            sb_str(&t->out, "BIGINT");
            continue;
        }
        if (word_is(w, n, "REAL")) {
            sb_str(&t->out, "DOUBLE PRECISION");
            continue;
        }
        if (word_is(w, n, "WITHOUT") && word_is(w2, n2, "ROWID")) {
            p = w2 + n2;
            continue;
        }
        if (word_is(w, n, "NOCASE")) {
            sb_str(&t->out, "mxd_nocase");
            continue;
        }
        if (word_is(w, n, "BEGIN") && word_is(w2, n2, "IMMEDIATE")) {
            sb_str(&t->out, "BEGIN");
            p = w2 + n2;
            continue;
        }
        if (n == 6 && memcmp(w, "offset", 6) == 0) { /* the column: a reserved word there */
            sb_str(&t->out, "\"offset\"");
            continue;
        }
        if ((word_is(w, n, "max") || word_is(w, n, "min") || word_is(w, n, "group_concat")) &&
            *p == '(') {
            const char *comma, *close = close_paren(p, &comma);
            if (close && close <= end && comma) {
                if (word_is(w, n, "group_concat")) {
                    /* string_agg(x, sep ORDER BY x): SQLite's order is the input's, which
                     * the store always sorts by x; PostgreSQL's must be asked for */
                    sb_str(&t->out, "string_agg(");
                    translate_str(t, p + 1, (size_t)(comma - p - 1));
                    translate_str(t, comma, (size_t)(close - comma));
                    sb_str(&t->out, " ORDER BY ");
                    translate_str(t, p + 1, (size_t)(comma - p - 1));
                    sb_str(&t->out, ")");
                    p = close + 1;
                    continue;
                }
                sb_str(&t->out, word_is(w, n, "max") ? "GREATEST" : "LEAST");
                continue;
            }
        }
        sb_add(&t->out, w, n);
    }
}

char *pg_translate(const char *sql, int *nparams, unsigned long long *used)
{
    tr t = {0};
    translate(&t, sql, sql + strlen(sql));
    if (t.ignore) {
        /* before a trailing semicolon and blanks */
        size_t n = t.out.n;
        while (n && (is_space(t.out.p[n - 1]) || t.out.p[n - 1] == ';'))
            n--;
        if (!t.out.oom) {
            t.out.n = n;
            t.out.p[n] = 0;
        }
        sb_str(&t.out, " ON CONFLICT DO NOTHING");
    }
    if (!t.out.p)
        sb_str(&t.out, "");
    if (t.out.oom) {
        free(t.out.p);
        return NULL;
    }
    *nparams = t.nparams;
    *used = t.used;
    return t.out.p;
}

/* --- results and errors --------------------------------------------------------------------- */

/* took - check a result: 0 when it is what a command or query returns; else the SQLite-like
 * code (SQLITE_BUSY for a lock wait that timed out, a serialization failure or a deadlock,
 * SQLITE_NOMEM, SQLITE_IOERR for a lost connection, SQLITE_ERROR) with s->pgerr set. */
static int took(mxd_store *s, PGresult *r)
{
    ExecStatusType st = r ? pq.resultstatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        s->pgerr[0] = 0;
        return 0;
    }
    const char *msg = r ? pq.resulterrormessage(r) : NULL;
    if (!msg || !*msg)
        msg = pq.errormessage(s->pg);
    if (!msg || !*msg)
        msg = "the server failed";
    if (!strncmp(msg, "ERROR:", 6) || !strncmp(msg, "FATAL:", 6)) /* said by the caller */
        msg += 6;
    while (*msg == ' ')
        msg++;
    /* one line: the first (the rest points into the SQL) */
    snprintf(s->pgerr, sizeof s->pgerr, "%.*s", (int)strcspn(msg, "\n"), msg);
    const char *state = r ? pq.resulterrorfield(r, PG_DIAG_SQLSTATE) : NULL;
    snprintf(s->pgstate, sizeof s->pgstate, "%s", state ? state : "");
    if (!state)
        return SQLITE_IOERR;
    if (!strcmp(state, "55P03") || !strcmp(state, "40001") || !strcmp(state, "40P01") ||
        !strcmp(state, "57014"))
        return SQLITE_BUSY;
    if (!strcmp(state, "53200"))
        return SQLITE_NOMEM;
    if (!strncmp(state, "08", 2) || !strncmp(state, "57P", 3))
        return SQLITE_IOERR;
    return SQLITE_ERROR;
}

static void no_notices(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* setup - the session: quiet, UTF-8, the lock timeout, read-only when asked. */
static mxd_err setup(mxd_store *s)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SET client_encoding = 'UTF8'; SET client_min_messages = warning; "
             "SET lock_timeout = %d; SET default_transaction_read_only = %s",
             s->busy_ms, s->readonly ? "on" : "off");
    PGresult *r = pq.exec(s->pg, sql);
    int rc = took(s, r);
    pq.clear(r);
    return rc ? store_sqlerr(s, rc, "setting up the session") : MXD_OK;
}

/* reconnect - after the server went away between transactions: a new session (the prepared
 * statements and any lock of the old one are gone). 1 when connected again. */
static int reconnect(mxd_store *s)
{
    pq.reset(s->pg);
    if (pq.status(s->pg) != CONNECTION_OK)
        return 0;
    pq.setnoticeprocessor(s->pg, no_notices, NULL);
    for (int i = 0; i < s->ncache; i++)
        if (s->cache[i].st)
            s->cache[i].st->prepared = 0;
    s->leader = 0;
    return setup(s) == MXD_OK;
}

/* alive - before a statement outside a transaction: reconnect when the connection broke. */
static void alive(mxd_store *s)
{
    if (pq.status(s->pg) == CONNECTION_BAD && !store_pg_in_transaction(s))
        reconnect(s);
}

/* redact - the URI as it may be shown: a password (user:password@ or password=) replaced. */
static char *redact(const char *uri)
{
    size_t n = strlen(uri);
    char *out = malloc(2 * n + 16), *o = out;
    if (!out)
        return NULL;
    const char *p = uri, *host = strstr(uri, "://");
    if (host) {
        host += 3;
        size_t hlen = strcspn(host, "/?");
        const char *at = memchr(host, '@', hlen);
        const char *colon = at ? memchr(host, ':', (size_t)(at - host)) : NULL;
        if (colon) {
            memcpy(o, uri, (size_t)(colon + 1 - uri));
            o += colon + 1 - uri;
            memcpy(o, "***", 3);
            o += 3;
            p = at;
        }
    }
    while (*p) {
        if (strncmp(p, "password=", 9) == 0) {
            memcpy(o, "password=***", 12);
            o += 12;
            p += 9;
            while (*p && *p != '&' && *p != ' ')
                p++;
            continue;
        }
        *o++ = *p++;
    }
    *o = 0;
    return out;
}

mxd_err store_pg_connect(mxd_store *s, const char *uri)
{
    pthread_once(&pq_once, pq_load);
    if (!pq_loaded)
        return store_fail(s, MXD_ERR_NOLIB, "%s", store_pq_lib.why);
    char *shown = redact(uri);
    if (!shown)
        return store_fail(s, MXD_ERR_NOMEM, "out of memory");
    free(s->path);
    s->path = shown;
    /* a server that does not answer is given 10 s, not the system's TCP timeout (minutes a
     * Postfix pipe delivery would hang), unless the URI says otherwise */
    char *withto = NULL;
    if (!strstr(uri, "connect_timeout=")) {
        size_t n = strlen(uri) + 32;
        if (!(withto = malloc(n)))
            return store_fail(s, MXD_ERR_NOMEM, "out of memory");
        snprintf(withto, n, "%s%cconnect_timeout=10", uri, strchr(uri, '?') ? '&' : '?');
    }
    s->pg = pq.connectdb(withto ? withto : uri);
    free(withto);
    if (!s->pg)
        return store_fail(s, MXD_ERR_NOMEM, "out of memory");
    if (pq.status(s->pg) != CONNECTION_OK) {
        char msg[STORE_ERR_MAX];
        snprintf(msg, sizeof msg, "%s", pq.errormessage(s->pg));
        size_t n = strlen(msg);
        while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
            msg[--n] = 0;
        char *o = msg; /* one line: blanks and line ends as one space */
        for (char *c = msg; *c; c++) {
            int blank = *c == '\n' || *c == '\t' || *c == ' ';
            if (blank && (o == msg || o[-1] == ' '))
                continue;
            *o++ = blank ? ' ' : *c;
        }
        *o = 0;
        /* the server may be back in a moment: a temporary failure (ingest exits 75) */
        return store_fail(s, MXD_ERR_BUSY, "%s: cannot connect: %s", s->path, msg);
    }
    pq.setnoticeprocessor(s->pg, no_notices, NULL);
    return setup(s);
}

void store_pg_close(mxd_store *s)
{
    if (s->pg) {
        if (pq.status(s->pg) == CONNECTION_OK && store_pg_in_transaction(s))
            pq.clear(pq.exec(s->pg, "ROLLBACK"));
        pq.finish(s->pg);
        s->pg = NULL;
    }
}

void store_pg_set_lock_timeout(mxd_store *s, int ms)
{
    char sql[64];
    snprintf(sql, sizeof sql, "SET lock_timeout = %d", ms);
    pq.clear(pq.exec(s->pg, sql));
}

int store_pg_in_transaction(mxd_store *s)
{
    return s->pg && pq.transactionstatus(s->pg) != PQTRANS_IDLE &&
           pq.transactionstatus(s->pg) != PQTRANS_UNKNOWN;
}

/* run - one statement without parameters; MXD_OK or the error for `what`. */
static mxd_err run(mxd_store *s, const char *sql, const char *what)
{
    PGresult *r = pq.exec(s->pg, sql);
    int rc = took(s, r);
    pq.clear(r);
    return rc ? store_sqlerr(s, rc, what) : MXD_OK;
}

mxd_err store_pg_exec(mxd_store *s, const char *sql)
{
    int n;
    unsigned long long used;
    char *t = pg_translate(sql, &n, &used);
    if (!t)
        return store_fail(s, MXD_ERR_NOMEM, "out of memory");
    alive(s);
    mxd_err e = run(s, t, "SQL");
    free(t);
    return e;
}

mxd_err store_pg_begin(mxd_store *s)
{
    alive(s);
    s->pg_global = 0;
    return run(s, "BEGIN", "beginning a transaction");
}

mxd_err store_pg_lock(mxd_store *s, const char *key)
{
    if (!key) {
        if (s->pg_global)
            return MXD_OK;
        mxd_err e =
            run(s, "SELECT pg_advisory_xact_lock(" LOCK_WRITE ")", "waiting for the write lock");
        if (!e)
            s->pg_global = 1;
        return e;
    }
    const char *vals[1] = {key};
    PGresult *r = pq.execparams(s->pg, "SELECT pg_advisory_xact_lock(" LOCK_KEYS ", hashtext($1))",
                                1, NULL, vals, NULL, NULL, 0);
    int rc = took(s, r);
    pq.clear(r);
    return rc ? store_sqlerr(s, rc, "waiting for an address's lock") : MXD_OK;
}

long long store_pg_last_id(mxd_store *s)
{
    PGresult *r = pq.exec(s->pg, "SELECT lastval()");
    long long id = 0;
    if (!took(s, r) && pq.ntuples(r) == 1)
        id = strtoll(pq.getvalue(r, 0, 0), NULL, 10);
    pq.clear(r);
    return id;
}

/* --- statements ----------------------------------------------------------------------------- */

int store_pg_bind(store_stmt *st, int i, const char *text, unsigned type)
{
    if (i < 1 || i > st->nparams)
        return SQLITE_RANGE; /* as SQLite: a parameter the statement does not have */
    char *v = NULL;
    size_t n;
    if (text && !(v = str_utf8_repair(text, strlen(text), &n))) /* PostgreSQL's text: UTF-8 */
        return SQLITE_NOMEM;
    free(st->values[i - 1]);
    st->values[i - 1] = v;
    st->types[i - 1] = type; /* 0: the server infers it */
    return SQLITE_OK;
}

void store_pg_reset(store_stmt *st)
{
    if (st->res)
        pq.clear(st->res);
    st->res = NULL;
    mxd_store *s = st->s;
    if (st->cursor && pq.transactionstatus(s->pg) == PQTRANS_INTRANS) {
        char sql[48];
        snprintf(sql, sizeof sql, "CLOSE mxdc%d", st->cursor);
        pq.clear(pq.exec(s->pg, sql));
    }
    if (st->own_tx && store_pg_in_transaction(s))
        pq.clear(
            pq.exec(s->pg, pq.transactionstatus(s->pg) == PQTRANS_INTRANS ? "COMMIT" : "ROLLBACK"));
    st->cursor = st->own_tx = st->done = 0;
    st->executed = 0;
    st->row = -1;
    st->nrows = 0;
}

/* fetch - the next batch of a streamed statement's cursor into st->res. */
static int fetch(store_stmt *st)
{
    char sql[64];
    snprintf(sql, sizeof sql, "FETCH %d FROM mxdc%d", STORE_STREAM_ROWS, st->cursor);
    if (st->res)
        pq.clear(st->res);
    st->res = pq.exec(st->s->pg, sql);
    int rc = took(st->s, st->res);
    if (rc) {
        pq.clear(st->res);
        st->res = NULL;
        st->nrows = 0;
        return rc;
    }
    st->nrows = pq.ntuples(st->res);
    st->row = -1;
    st->done = st->nrows < STORE_STREAM_ROWS;
    return 0;
}

/* open_cursor - a streamed statement's first execution: a cursor for it (in a transaction of
 * its own when none is open), and its first batch. */
static int open_cursor(store_stmt *st, const Oid *types)
{
    mxd_store *s = st->s;
    if (!store_pg_in_transaction(s)) {
        PGresult *b = pq.exec(s->pg, "BEGIN");
        int rc = took(s, b);
        pq.clear(b);
        if (rc)
            return rc;
        st->own_tx = 1;
    }
    st->cursor = ++s->nnamed;
    size_t n = strlen(st->sql) + 64;
    char *sql = malloc(n);
    if (!sql)
        return SQLITE_NOMEM;
    snprintf(sql, n, "DECLARE mxdc%d NO SCROLL CURSOR FOR %s", st->cursor, st->sql);
    PGresult *r = pq.execparams(s->pg, sql, st->nparams, types, (const char *const *)st->values,
                                NULL, NULL, 0);
    free(sql);
    int rc = took(s, r);
    pq.clear(r);
    if (rc) {
        st->cursor = 0;
        return rc;
    }
    st->executed = 1;
    return fetch(st);
}

void store_pg_free(store_stmt *st)
{
    store_pg_reset(st);
    for (int i = 0; i < st->nparams; i++)
        free(st->values[i]);
    free(st->values);
    free(st->types);
    free(st->sql);
}

int store_pg_step(store_stmt *st)
{
    mxd_store *s = st->s;
    if (!st->executed) {
        Oid types[64 + 1];
        int np = st->nparams;
        Oid *tp = np <= 64 ? types : NULL;
        for (int i = 0; tp && i < np; i++)
            tp[i] = !(st->used & (1ULL << i)) ? OID_TEXT : st->types[i];
        alive(s);
        if (st->stream) {
            int rc = open_cursor(st, tp);
            if (rc)
                return rc;
            goto rows;
        }
        PGresult *r;
        if (st->kept) {
            if (!st->prepared) {
                snprintf(st->name, sizeof st->name, "mxd%d", ++s->nnamed);
                r = pq.prepare(s->pg, st->name, st->sql, np, tp);
                int rc = took(s, r);
                pq.clear(r);
                if (rc)
                    return rc;
                st->prepared = 1;
            }
            r = pq.execprepared(s->pg, st->name, np, (const char *const *)st->values, NULL, NULL,
                                0);
        } else {
            r = pq.execparams(s->pg, st->sql, np, tp, (const char *const *)st->values, NULL, NULL,
                              0);
        }
        int rc = took(s, r);
        if (rc) {
            pq.clear(r);
            return rc;
        }
        st->res = r;
        st->executed = 1;
        st->row = -1;
        if (pq.resultstatus(r) == PGRES_TUPLES_OK) {
            st->nrows = pq.ntuples(r);
        } else {
            st->nrows = 0;
            const char *n = pq.cmdtuples(r);
            s->pg_changes = n && *n ? strtoll(n, NULL, 10) : 0;
        }
    }
rows:
    if (st->row + 1 < st->nrows) {
        st->row++;
        return SQLITE_ROW;
    }
    if (st->cursor && !st->done) {
        int rc = fetch(st);
        if (rc)
            return rc;
        if (st->nrows > 0) {
            st->row = 0;
            return SQLITE_ROW;
        }
    }
    st->row = st->nrows;
    return SQLITE_DONE;
}

const char *store_pg_col(store_stmt *st, int i)
{
    if (!st->res || st->row < 0 || st->row >= st->nrows || pq.getisnull(st->res, st->row, i))
        return NULL;
    return pq.getvalue(st->res, st->row, i);
}

/* --- schema version, migration lock, leader -------------------------------------------------- */

/* one_value - the first column of the first row of sql into *v (0 when no row or NULL). */
static mxd_err one_value(mxd_store *s, const char *sql, long long *v, const char *what)
{
    *v = 0;
    alive(s);
    PGresult *r = pq.exec(s->pg, sql);
    int rc = took(s, r);
    if (!rc && pq.ntuples(r) > 0 && !pq.getisnull(r, 0, 0)) {
        const char *t = pq.getvalue(r, 0, 0);
        *v = t[0] == 't' ? 1 : t[0] == 'f' ? 0 : strtoll(t, NULL, 10);
    }
    pq.clear(r);
    return rc ? store_sqlerr(s, rc, what) : MXD_OK;
}

mxd_err store_pg_version(mxd_store *s, int *v)
{
    long long have, ver = 0;
    *v = 0;
    mxd_err e = one_value(s, "SELECT to_regclass('mxd_schema') IS NOT NULL", &have,
                          "reading the schema version");
    if (!e && have)
        e = one_value(s, "SELECT max(version) FROM mxd_schema", &ver, "reading the schema version");
    if (!e)
        *v = (int)ver;
    return e;
}

mxd_err store_pg_migrate_lock(mxd_store *s)
{
    mxd_err e = run(s, "SELECT pg_advisory_xact_lock(" LOCK_MIGRATE ")", "waiting to migrate");
    if (e)
        return e;
    /* SQLite's COLLATE NOCASE: equal ignoring case (ICU, case-insensitive at level 2) */
    return run(s,
               "CREATE COLLATION IF NOT EXISTS mxd_nocase (provider = icu, "
               "locale = 'und-u-ks-level2', deterministic = false)",
               "creating the case-insensitive collation");
}

mxd_err store_pg_set_version(mxd_store *s, int v)
{
    char sql[160];
    snprintf(sql, sizeof sql,
             "CREATE TABLE IF NOT EXISTS mxd_schema (version BIGINT NOT NULL); "
             "DELETE FROM mxd_schema; INSERT INTO mxd_schema VALUES (%d)",
             v);
    return run(s, sql, "recording the schema version");
}

mxd_err store_pg_leader(mxd_store *s, const char *name, int *leader)
{
    *leader = 0;
    if (s->leader) {
        long long one;
        if (pq.status(s->pg) == CONNECTION_OK && !one_value(s, "SELECT 1", &one, "checking") &&
            one == 1) {
            *leader = 1;
            return MXD_OK;
        }
        s->leader = 0; /* the session (and its lock) is gone */
        if (pq.status(s->pg) == CONNECTION_BAD && !reconnect(s))
            return store_fail(s, MXD_ERR_BUSY, "%s: the connection was lost", s->path);
    }
    const char *vals[1] = {name};
    PGresult *r = pq.execparams(s->pg, "SELECT pg_try_advisory_lock(hashtext($1))", 1, NULL, vals,
                                NULL, NULL, 0);
    int rc = took(s, r);
    if (!rc && pq.ntuples(r) == 1)
        s->leader = pq.getvalue(r, 0, 0)[0] == 't';
    pq.clear(r);
    if (rc)
        return store_sqlerr(s, rc, "taking the leader lock");
    *leader = s->leader;
    return MXD_OK;
}

mxd_err store_pg_admin(const char *uri, const char *sql, char *why, size_t whylen)
{
    pthread_once(&pq_once, pq_load);
    if (!pq_loaded) {
        snprintf(why, whylen, "%s", store_pq_lib.why);
        return MXD_ERR_NOLIB;
    }
    PGconn *c = pq.connectdb(uri);
    if (!c || pq.status(c) != CONNECTION_OK) {
        snprintf(why, whylen, "%s", c ? pq.errormessage(c) : "out of memory");
        if (c)
            pq.finish(c);
        return MXD_ERR_IO;
    }
    pq.setnoticeprocessor(c, no_notices, NULL);
    PGresult *r = pq.exec(c, sql);
    ExecStatusType st = pq.resultstatus(r);
    mxd_err e = MXD_OK;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        snprintf(why, whylen, "%s", pq.resulterrormessage(r));
        e = MXD_ERR_IO;
    }
    pq.clear(r);
    pq.finish(c);
    return e;
}
