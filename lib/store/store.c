/* store.c - opening the mxdiag database, transactions, ingested messages
 * SPDX-License-Identifier: MIT
 *
 * One SQLite connection per mxd_store. Opening creates the parent directories (0700) and the
 * file (0600; SQLite gives its -wal and -shm files the same mode), sets the busy timeout,
 * WAL and synchronous=NORMAL, then migrates (schema.c). A COMMIT is atomic and survives the
 * process being killed at once (the WAL is written before COMMIT returns); it reaches the disk
 * at the next mxd_store_sync() (or checkpoint), which ingest calls before it exits 0: "exit 0
 * only after the data is committed" holds across a power loss too, and a mailbox of 30,000
 * messages costs two fsyncs instead of 30,000 (bench/ingest: 13 -> see README).
 * Writers take the lock at BEGIN IMMEDIATE, where SQLite's busy handler waits for it; a
 * deferred transaction would fail without waiting when it upgrades from reading to writing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "store/store_internal.h"
#include "util/dl.h"
#include "util/str.h"

/* --- helpers ------------------------------------------------------------------------------ */

mxd_err store_fail(mxd_store *s, mxd_err e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    return e;
}

mxd_err store_sqlerr(mxd_store *s, int rc, const char *what)
{
    int base = rc & 0xff;
    mxd_err e = MXD_ERR_IO;
    if (base == SQLITE_BUSY || base == SQLITE_LOCKED)
        e = MXD_ERR_BUSY;
    else if (base == SQLITE_NOMEM)
        e = MXD_ERR_NOMEM;
    const char *msg = s->backend == STORE_PG ? s->pgerr : s->db ? sq.errmsg(s->db) : sq.errstr(rc);
    if (s->backend == STORE_PG && base == SQLITE_IOERR) /* the server went away: try later */
        return store_fail(s, MXD_ERR_BUSY, "%s: %s: the server cannot be reached (%s)", s->path,
                          what, msg);
    if (s->backend == STORE_SQLITE && base == SQLITE_NOTADB)
        return store_fail(s, e, "%s: not an SQLite database (%s)", s->path, msg);
    if (e == MXD_ERR_BUSY)
        return store_fail(s, e, "%s: %s: the database stayed locked by another writer (%s)",
                          s->path, what, msg);
    return store_fail(s, e, "%s: %s: %s", s->path, what, msg);
}

mxd_err store_exec(mxd_store *s, const char *sql)
{
    if (s->backend == STORE_PG)
        return store_pg_exec(s, sql);
    int rc = sq.exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? MXD_OK : store_sqlerr(s, rc, "SQL");
}

/* stmt_free - finalize a statement of either backend. */
static void stmt_free(store_stmt *st)
{
    if (!st)
        return;
    if (st->lite)
        sq.finalize(st->lite);
    else
        store_pg_free(st);
    free(st);
}

/* stmt_busy - a kept statement is still being stepped through (a callback calling back). */
static int stmt_busy(store_stmt *st)
{
    return st->lite ? sq.stmt_busy(st->lite) : st->executed;
}

mxd_err store_prepare(mxd_store *s, const char *sql, store_stmt **st)
{
    int i = 0;
    while (i < s->ncache && s->cache[i].sql != sql)
        i++;
    if (i < s->ncache && !stmt_busy(s->cache[i].st)) {
        *st = s->cache[i].st;
        return MXD_OK;
    }
    *st = NULL;
    store_stmt *n = calloc(1, sizeof *n);
    if (!n)
        return store_fail(s, MXD_ERR_NOMEM, "out of memory");
    n->s = s;
    n->row = -1;
    if (s->backend == STORE_PG) {
        if (!(n->sql = pg_translate(sql, &n->nparams, &n->used)) ||
            (n->nparams && (!(n->values = calloc((size_t)n->nparams, sizeof *n->values)) ||
                            !(n->types = calloc((size_t)n->nparams, sizeof *n->types))))) {
            stmt_free(n);
            return store_fail(s, MXD_ERR_NOMEM, "out of memory");
        }
    } else {
        int rc = sq.prepare_v2(s->db, sql, -1, &n->lite, NULL);
        if (rc != SQLITE_OK) {
            free(n);
            return store_sqlerr(s, rc, "preparing a statement");
        }
    }
    if (i == s->ncache && i < STORE_STMT_CACHE) {
        n->kept = 1;
        s->cache[i].sql = sql;
        s->cache[i].st = n;
        s->ncache++;
    }
    *st = n;
    return MXD_OK;
}

void store_release(mxd_store *s, store_stmt *st)
{
    (void)s;
    if (!st)
        return;
    if (st->kept) {
        store_reset(st);
        if (st->lite)
            sq.clear_bindings(st->lite);
        return;
    }
    stmt_free(st);
}

int store_step(store_stmt *st)
{
    return st->lite ? sq.step(st->lite) : store_pg_step(st);
}

void store_stream(store_stmt *st)
{
    if (!st->lite)
        st->stream = 1;
}

void store_reset(store_stmt *st)
{
    if (st->lite)
        sq.reset(st->lite);
    else
        store_pg_reset(st);
}

int store_bind_text(store_stmt *st, int i, const char *v)
{
    if (st->lite)
        return v ? sq.bind_text(st->lite, i, v, -1, SQLITE_TRANSIENT) : sq.bind_null(st->lite, i);
    return store_pg_bind(st, i, v, 25 /* text */);
}

int store_bind_int64(store_stmt *st, int i, long long v)
{
    if (st->lite)
        return sq.bind_int64(st->lite, i, v);
    char b[24];
    snprintf(b, sizeof b, "%lld", v);
    return store_pg_bind(st, i, b, 20 /* int8 */);
}

int store_bind_double(store_stmt *st, int i, double v)
{
    if (st->lite)
        return sq.bind_double(st->lite, i, v);
    char b[40];
    snprintf(b, sizeof b, "%.17g", v);
    return store_pg_bind(st, i, b, 701 /* float8 */);
}

int store_bind_null(store_stmt *st, int i)
{
    return st->lite ? sq.bind_null(st->lite, i) : store_pg_bind(st, i, NULL, 0);
}

const char *store_col(store_stmt *st, int i)
{
    return st->lite ? (const char *)sq.column_text(st->lite, i) : store_pg_col(st, i);
}

long long store_col_int64(store_stmt *st, int i)
{
    if (st->lite)
        return sq.column_int64(st->lite, i);
    const char *v = store_pg_col(st, i);
    if (!v)
        return 0;
    if (v[0] == 't' && !v[1]) /* a boolean */
        return 1;
    return strtoll(v, NULL, 10);
}

double store_col_double(store_stmt *st, int i)
{
    if (st->lite)
        return sq.column_double(st->lite, i);
    const char *v = store_pg_col(st, i);
    return v ? strtod(v, NULL) : 0.0;
}

int store_col_isnull(store_stmt *st, int i)
{
    return st->lite ? sq.column_type(st->lite, i) == SQLITE_NULL : store_pg_col(st, i) == NULL;
}

long long store_changes(mxd_store *s)
{
    return s->backend == STORE_PG ? s->pg_changes : sq.changes(s->db);
}

long long store_last_id(mxd_store *s)
{
    return s->backend == STORE_PG ? store_pg_last_id(s) : sq.last_insert_rowid(s->db);
}

int store_in_transaction(mxd_store *s)
{
    if (s->backend == STORE_PG)
        return store_pg_in_transaction(s);
    return s->db && !sq.get_autocommit(s->db);
}

/* exec_kept - run a statement without results through the kept statements (a savepoint per
 * call: compiling it each time doubled the fill of bench/suppress). */
static mxd_err exec_kept(mxd_store *s, const char *sql)
{
    store_stmt *st;
    mxd_err e = store_prepare(s, sql, &st);
    if (e)
        return e;
    int rc = store_step(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        e = store_sqlerr(s, rc, "SQL");
    store_release(s, st);
    return e;
}

mxd_err store_implicit_begin(mxd_store *s, int *own)
{
    return store_implicit_begin_key(s, own, NULL);
}

mxd_err store_implicit_begin_key(mxd_store *s, int *own, const char *key)
{
    *own = STORE_OWN_NONE;
    if (s->readonly)
        return store_fail(s, MXD_ERR_INVALID, "%s: opened read-only", s->path);
    mxd_err e;
    if (store_in_transaction(s)) {
        if (!(e = exec_kept(s, "SAVEPOINT mxd_call")))
            *own = STORE_OWN_SAVEPOINT;
    } else if (!(e = mxd_store_begin(s))) {
        *own = STORE_OWN_TRANSACTION;
    }
    if (!e && s->backend == STORE_PG && (e = store_pg_lock(s, key))) {
        store_implicit_end(s, *own, e);
        *own = STORE_OWN_NONE;
    }
    return e;
}

mxd_err store_implicit_end(mxd_store *s, int own, mxd_err e)
{
    if (own == STORE_OWN_SAVEPOINT) {
        if (e) {
            exec_kept(s, "ROLLBACK TO mxd_call");
            s->pg_global = 0; /* PostgreSQL released the locks taken since the savepoint */
        }
        mxd_err r = exec_kept(s, "RELEASE mxd_call");
        return e ? e : r;
    }
    if (own != STORE_OWN_TRANSACTION)
        return e;
    if (e) {
        mxd_store_rollback(s);
        return e;
    }
    return mxd_store_commit(s);
}

int store_address_norm(const char *in, char *out)
{
    int n = 0, quoted = 0;
    if (!in)
        return -1;
    for (const char *p = in; *p; p++) {
        /* a quoted local part ("\"fay doe\"@example.net", RFC 5321) keeps its blanks: they
         * tell mailboxes apart */
        if (*p == '"' && (p == in || p[-1] != '\\'))
            quoted = !quoted;
        if (!quoted && (*p == '<' || *p == '>' || str_isspace((unsigned char)*p)))
            continue;
        if (n >= STORE_ADDRESS_MAX - 1)
            return -1;
        out[n++] = (char)str_tolower((unsigned char)*p);
    }
    out[n] = 0;
    /* quotes a local part does not need ("\"bob\"@x" is bob@x, RFC 5321 section 4.1.2): the
     * bounce reader stores such an address without them, and a check must find it */
    char *cq = n > 2 && out[0] == '"' ? strchr(out + 1, '"') : NULL;
    if (cq && cq[1] == '@' && str_dot_atom(out + 1, (size_t)(cq - out - 1))) {
        size_t ll = (size_t)(cq - out - 1);
        memmove(out, out + 1, ll);
        memmove(out + ll, cq + 1, strlen(cq + 1) + 1);
        n -= 2;
    }
    return n ? n : -1;
}

/* --- the default path --------------------------------------------------------------------- */

mxd_err mxd_store_default_path(char *out, size_t outlen)
{
    const char *state = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    int n;
    if (!out || !outlen)
        return MXD_ERR_INVALID;
    if (state && *state == '/')
        n = snprintf(out, outlen, "%s/mxdiag/mxdiag.db", state);
    else if (home && *home)
        n = snprintf(out, outlen, "%s/.local/state/mxdiag/mxdiag.db", home);
    else
        return MXD_ERR_INVALID;
    if (n < 0 || (size_t)n >= outlen) {
        out[0] = 0;
        return MXD_ERR_TOOBIG;
    }
    return MXD_OK;
}

/* --- open and close ------------------------------------------------------------------------ */

/* make_parents - create the directories above path that are missing, mode 0700. */
static mxd_err make_parents(mxd_store *s)
{
    size_t len = strlen(s->path);
    char *dir = malloc(len + 1);
    if (!dir)
        return store_fail(s, MXD_ERR_NOMEM, "out of memory");
    memcpy(dir, s->path, len + 1);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            mxd_err e = store_fail(s, MXD_ERR_IO, "%s: cannot create directory %s: %s", s->path,
                                   dir, strerror(errno));
            free(dir);
            return e;
        }
        *p = '/';
    }
    free(dir);
    return MXD_OK;
}

/* create_file - the database file, mode 0600, when it does not exist yet. */
static mxd_err create_file(mxd_store *s)
{
    int fd = open(s->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return store_fail(s, MXD_ERR_IO, "%s: cannot create: %s", s->path, strerror(errno));
    close(fd);
    return MXD_OK;
}

/* setup - busy timeout, WAL, synchronous, foreign keys. */
static mxd_err setup(mxd_store *s)
{
    sq.busy_timeout(s->db, STORE_BUSY_DEFAULT_MS);
    mxd_err e;
    if (!s->readonly) {
        store_stmt *st;
        if ((e = store_prepare(s, "PRAGMA journal_mode = WAL", &st)))
            return e;
        int rc = store_step(st);
        const char *mode = rc == SQLITE_ROW ? store_col(st, 0) : NULL;
        if (rc != SQLITE_ROW) {
            e = store_sqlerr(s, rc, "setting WAL mode");
        } else if (!mode || strcmp(mode, "wal") != 0) {
            e = store_fail(s, MXD_ERR_IO, "%s: cannot use WAL mode (journal mode stays %s)",
                           s->path, mode ? mode : "unknown");
        }
        store_release(s, st);
        if (e)
            return e;
    }
    return store_exec(s, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
                         " PRAGMA cache_size = -" STORE_CACHE_KIB "; PRAGMA temp_store = MEMORY");
}

mxd_err store_open_at_version(const char *path, unsigned flags, int version, mxd_store **out,
                              char *why, size_t whylen)
{
    mxd_err e;
    mxd_store *s = NULL;
    if (out)
        *out = NULL;
    if (why && whylen)
        why[0] = 0;
    if (!path || !*path || !out || version < 1 || version > MXD_STORE_SCHEMA_VERSION) {
        if (why && whylen)
            snprintf(why, whylen, "no database path");
        return MXD_ERR_INVALID;
    }
    int pg = store_is_pg_uri(path);
    if (!pg && !store_sqlite_ready()) {
        if (why && whylen)
            snprintf(why, whylen, "%s", store_sqlite_lib.why);
        return MXD_ERR_NOLIB;
    }
    s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        if (why && whylen)
            snprintf(why, whylen, "out of memory");
        return MXD_ERR_NOMEM;
    }
    s->readonly = (flags & MXD_STORE_READONLY) != 0;
    s->policy.soft_limit = STORE_SOFT_LIMIT;
    s->policy.soft_days = STORE_SOFT_DAYS;
    s->busy_ms = STORE_BUSY_DEFAULT_MS;
    if (pg) {
        s->backend = STORE_PG;
        if ((e = store_pg_connect(s, path)) || (e = store_migrate(s, version)))
            goto fail;
        if (s->readonly && s->version < 1) {
            e = store_fail(s, MXD_ERR_NOTFOUND, "%s: no mxdiag schema in this database", s->path);
            goto fail;
        }
        *out = s;
        return MXD_OK;
    }

    struct stat sb;
    if (s->readonly) {
        if (stat(path, &sb) != 0) {
            e = store_fail(s, errno == ENOENT ? MXD_ERR_NOTFOUND : MXD_ERR_IO, "%s: %s", path,
                           errno == ENOENT ? "no such database" : strerror(errno));
            goto fail;
        }
    } else if (stat(path, &sb) != 0) {
        if ((e = make_parents(s)) || (e = create_file(s)))
            goto fail;
    }
    int oflags = s->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    int rc = sq.open_v2(path, &s->db, oflags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        e = store_sqlerr(s, rc, "cannot open");
        if (e != MXD_ERR_NOMEM && e != MXD_ERR_BUSY)
            e = MXD_ERR_IO;
        goto fail;
    }
    if ((e = setup(s)) || (e = store_migrate(s, version)))
        goto fail;
    if (s->readonly && s->version < 1) {
        e = store_fail(s, MXD_ERR_IO, "%s: not an mxdiag database (no schema)", path);
        goto fail;
    }
    *out = s;
    return MXD_OK;
fail:
    if (why && whylen)
        snprintf(why, whylen, "%s", s->err);
    mxd_store_close(s);
    return e;
}

mxd_err mxd_store_open(const char *path, unsigned flags, mxd_store **out, char *why, size_t whylen)
{
    return store_open_at_version(path, flags, MXD_STORE_SCHEMA_VERSION, out, why, whylen);
}

void mxd_store_close(mxd_store *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->ncache; i++)
        stmt_free(s->cache[i].st);
    if (s->backend == STORE_PG) {
        store_pg_close(s);
    } else if (s->db) {
        if (!sq.get_autocommit(s->db))
            sq.exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        sq.close_v2(s->db);
    }
    free(s->path);
    free(s);
}

mxd_err mxd_store_lock(mxd_store *s)
{
    if (!s)
        return MXD_ERR_INVALID;
    if (!store_in_transaction(s))
        return store_fail(s, MXD_ERR_INVALID, "%s: no transaction to lock for", s->path);
    return s->backend == STORE_PG ? store_pg_lock(s, NULL) : MXD_OK;
}

int mxd_store_shared(const mxd_store *s)
{
    return s && s->backend == STORE_PG;
}

mxd_err mxd_store_leader(mxd_store *s, const char *name, int *leader)
{
    if (leader)
        *leader = 0;
    if (!s || !name || !leader)
        return MXD_ERR_INVALID;
    if (s->backend != STORE_PG) {
        *leader = 1;
        return MXD_OK;
    }
    return store_pg_leader(s, name, leader);
}

const char *mxd_store_error(const mxd_store *s)
{
    return s ? s->err : "";
}

int mxd_store_schema_version(mxd_store *s)
{
    return s ? s->version : 0;
}

void mxd_store_set_busy_timeout(mxd_store *s, int ms)
{
    if (!s)
        return;
    s->busy_ms = ms < 0 ? 0 : ms;
    if (s->backend == STORE_PG)
        store_pg_set_lock_timeout(s, s->busy_ms);
    else if (s->db)
        sq.busy_timeout(s->db, s->busy_ms);
}

/* --- transactions ---------------------------------------------------------------------------- */

mxd_err mxd_store_begin(mxd_store *s)
{
    if (!s)
        return MXD_ERR_INVALID;
    if (s->readonly)
        return store_fail(s, MXD_ERR_INVALID, "%s: opened read-only", s->path);
    if (store_in_transaction(s))
        return store_fail(s, MXD_ERR_INVALID, "%s: a transaction is already open", s->path);
    if (s->backend == STORE_PG)
        return store_pg_begin(s);
    int rc = sq.exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    return rc == SQLITE_OK ? MXD_OK : store_sqlerr(s, rc, "beginning a transaction");
}

mxd_err mxd_store_commit(mxd_store *s)
{
    if (!s)
        return MXD_ERR_INVALID;
    if (!store_in_transaction(s))
        return store_fail(s, MXD_ERR_INVALID, "%s: no transaction to commit", s->path);
    if (s->backend == STORE_PG) {
        mxd_err e = store_pg_exec(s, "COMMIT");
        if (e && store_in_transaction(s))
            store_pg_exec(s, "ROLLBACK");
        return e;
    }
    int rc = sq.exec(s->db, "COMMIT", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        return MXD_OK;
    mxd_err e = store_sqlerr(s, rc, "committing");
    if (!sq.get_autocommit(s->db))
        sq.exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return e;
}

/* sync_file - fdatasync path (a missing file is fine: nothing to make durable). Only ever the
 * -wal file: closing a descriptor of the database file itself would drop every POSIX lock this
 * process holds on it (fcntl locks belong to the process and the file, not the descriptor),
 * SQLite's among them; another process would then take this connection for gone, and the last
 * one to close would checkpoint and delete the WAL under it, losing the commits that follow
 * (the watch daemon lost an alert that way while a test read the database beside it). In WAL
 * mode the database file is written only by checkpoints, which sync it themselves. */
static int sync_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    int rc = fdatasync(fd);
    close(fd);
    return rc;
}

mxd_err mxd_store_sync(mxd_store *s)
{
    if (!s || !s->path)
        return MXD_ERR_INVALID;
    if (s->backend == STORE_PG) /* a COMMIT there returns once the server has it on disk */
        return MXD_OK;
    size_t n = strlen(s->path);
    char *wal = malloc(n + 5);
    if (!wal)
        return MXD_ERR_NOMEM;
    memcpy(wal, s->path, n);
    memcpy(wal + n, "-wal", 5);
    int bad = sync_file(wal);
    free(wal);
    if (bad)
        return store_fail(s, MXD_ERR_IO, "%s: cannot write it to disk: %s", s->path,
                          strerror(errno));
    return MXD_OK;
}

void mxd_store_rollback(mxd_store *s)
{
    if (s && store_in_transaction(s))
        store_exec(s, "ROLLBACK");
}

/* --- messages ----------------------------------------------------------------------------- */

mxd_err mxd_store_message_add(mxd_store *s, const char *key, const char *kind, const char *source,
                              long long at, int *added)
{
    if (added)
        *added = 0;
    if (!s)
        return MXD_ERR_INVALID;
    if (!key || !*key || !kind || !*kind)
        return store_fail(s, MXD_ERR_INVALID, "a message needs a key and a kind");
    store_stmt *st;
    mxd_err e = store_prepare(s,
                              "INSERT OR IGNORE INTO messages (key, kind, source, at) "
                              "VALUES (?1, ?2, ?3, ?4)",
                              &st);
    if (e)
        return e;
    store_bind_text(st, 1, key);
    store_bind_text(st, 2, kind);
    store_bind_text(st, 3, source);
    store_bind_int64(st, 4, at);
    int rc = store_step(st);
    if (rc == SQLITE_DONE) {
        if (added)
            *added = store_changes(s) > 0;
    } else {
        e = store_sqlerr(s, rc, "adding a message");
    }
    store_release(s, st);
    return e;
}
