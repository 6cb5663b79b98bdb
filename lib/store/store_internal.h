/* store_internal.h - the store's connection, SQLite's function table, shared helpers (internal)
 * SPDX-License-Identifier: MIT
 *
 * sqlite.c loads libsqlite3 on first use (util/dl.h) into `sq`; store.c opens, migrates
 * (schema.c) and brackets transactions; suppress.c keeps the events and the suppression list;
 * reports.c stores DMARC and TLS reports and answers the report queries; feeds.c keeps the
 * SNDS and Postmaster Tools rows and the warm-up plans.
 */
#ifndef MXD_STORE_INTERNAL_H
#define MXD_STORE_INTERNAL_H

#include <sqlite3.h>
#include "mxdiag/store.h"

#define STORE_ERR_MAX         512   /* bytes of mxd_store_error()'s reason */
#define STORE_BUSY_DEFAULT_MS 10000 /* the busy timeout until mxd_store_set_busy_timeout() */
#define STORE_SOFT_LIMIT      3     /* mxd_store_policy defaults */
#define STORE_SOFT_DAYS       7
#define STORE_ADDRESS_MAX     512 /* bytes of a normalised address (longer: MXD_ERR_INVALID) */
#define STORE_DAY             86400LL
#define STORE_STMT_CACHE      48 /* prepared statements kept per connection */
/* SQLite's page cache per connection, in KiB, as PRAGMA cache_size takes it (negative); the
 * default 2 MiB made the bench/suppress fill of a million events 22 s instead of 14, its
 * check of a million addresses 1.3 s instead of 0.8. Pages are allocated only as read. */
#define STORE_CACHE_KIB "32768"

/* --- libsqlite3, loaded on first use (sqlite.c) ----------------------------------------- */

struct dl_lib;
extern struct dl_lib store_sqlite_lib; /* "libsqlite3.so.0": tests may point it elsewhere */

typedef struct store_sqlite {
    __typeof__(sqlite3_open_v2) *open_v2;
    __typeof__(sqlite3_close_v2) *close_v2;
    __typeof__(sqlite3_exec) *exec;
    __typeof__(sqlite3_prepare_v2) *prepare_v2;
    __typeof__(sqlite3_step) *step;
    __typeof__(sqlite3_reset) *reset;
    __typeof__(sqlite3_finalize) *finalize;
    __typeof__(sqlite3_bind_text) *bind_text;
    __typeof__(sqlite3_bind_int64) *bind_int64;
    __typeof__(sqlite3_bind_null) *bind_null;
    __typeof__(sqlite3_bind_double) *bind_double;
    __typeof__(sqlite3_column_text) *column_text;
    __typeof__(sqlite3_column_int64) *column_int64;
    __typeof__(sqlite3_column_double) *column_double;
    __typeof__(sqlite3_column_type) *column_type;
    __typeof__(sqlite3_errmsg) *errmsg;
    __typeof__(sqlite3_errstr) *errstr;
    __typeof__(sqlite3_extended_errcode) *extended_errcode;
    __typeof__(sqlite3_changes) *changes;
    __typeof__(sqlite3_last_insert_rowid) *last_insert_rowid;
    __typeof__(sqlite3_busy_timeout) *busy_timeout;
    __typeof__(sqlite3_get_autocommit) *get_autocommit;
    __typeof__(sqlite3_free) *free;
    __typeof__(sqlite3_stmt_busy) *stmt_busy;
    __typeof__(sqlite3_clear_bindings) *clear_bindings;
} store_sqlite;

extern store_sqlite sq;

/* store_sqlite_ready - libsqlite3 loaded (the first call loads it); 0 when it cannot be
 * (store_sqlite_lib.why says why). */
int store_sqlite_ready(void);

/* --- the connection ---------------------------------------------------------------------- */

struct pg_conn;   /* libpq's PGconn (lib/store/pg.c: only it includes libpq-fe.h) */
struct pg_result; /* PGresult */

enum { STORE_SQLITE = 0, STORE_PG = 1 };

/* A prepared statement of either backend. The store's modules only ever use the store_*
 * functions below on it, with SQLite's result codes (SQLITE_ROW, SQLITE_DONE; an error code
 * otherwise, which store_sqlerr() turns into the reason): the SQL is written once, in
 * SQLite's dialect, and pg.c translates it for PostgreSQL (pg_translate()). */
typedef struct store_stmt {
    struct mxd_store *s;
    sqlite3_stmt *lite; /* SQLite */
    /* PostgreSQL: the translated SQL, prepared on first use under a name; the parameters as
     * text; the whole result of the last execution, read row by row */
    char *sql;
    char name[16];
    int prepared, kept;
    int nparams;             /* the highest $N of the SQL */
    unsigned long long used; /* bit N-1: $N appears in the SQL (N <= 64) */
    char **values;           /* nparams values, NULL for SQL NULL */
    unsigned *types;         /* the type each was bound with (an Oid; 0: let the server infer) */
    struct pg_result *res;
    int row, nrows, executed;
    /* store_stream(): read through a cursor, STORE_STREAM_ROWS at a time */
    int stream, cursor, own_tx, done;
} store_stmt;

struct mxd_store {
    int backend;
    sqlite3 *db;          /* SQLite */
    struct pg_conn *pg;   /* PostgreSQL */
    long long pg_changes; /* rows the last PostgreSQL command changed */
    int busy_ms;
    int leader;                /* watch: this connection holds the leader lock */
    int pg_global;             /* this transaction holds the write lock */
    char pgerr[STORE_ERR_MAX]; /* the last PostgreSQL error message */
    char pgstate[6];           /* ... and its SQLSTATE */
    char *path;                /* the file, or the URI without its password */
    int readonly;
    int version;
    mxd_store_policy policy;
    char err[STORE_ERR_MAX];
    struct {
        const char *sql; /* a string literal: the key is its address */
        store_stmt *st;
    } cache[STORE_STMT_CACHE];
    int ncache;
    int nnamed; /* PostgreSQL statements prepared so far (their names) */
};

/* store_fail - set s's reason (printf-style) and return e. */
mxd_err store_fail(mxd_store *s, mxd_err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* store_sqlerr - map a result code (BUSY/LOCKED -> MXD_ERR_BUSY, NOMEM -> MXD_ERR_NOMEM,
 * else MXD_ERR_IO) and set the reason "what: <the backend's message>". */
mxd_err store_sqlerr(mxd_store *s, int rc, const char *what);

/* store_exec - run one or more statements without results; MXD_OK or store_sqlerr(). */
mxd_err store_exec(mxd_store *s, const char *sql);

/* store_prepare - the statement for sql into *st; MXD_OK or store_sqlerr(). sql must be a
 * string literal (or live as long as s): statements are compiled once per connection and kept,
 * keyed by the address of sql (the fill of a million events spent most of its time compiling).
 * A kept statement still in use (a callback calling back into the store) gets a fresh one.
 * Hand it back with store_release(). */
mxd_err store_prepare(mxd_store *s, const char *sql, store_stmt **st);

/* store_release - reset a statement from store_prepare() for its next use (or finalize one
 * that is not kept). */
void store_release(mxd_store *s, store_stmt *st);

/* store_step - the next row (SQLITE_ROW), the end (SQLITE_DONE), or an error code. */
int store_step(store_stmt *st);

/* store_stream - st's rows may be many (a million suppressions): on PostgreSQL read them
 * through a cursor a batch at a time instead of the whole result at once (a callback must not
 * use the store meanwhile). Call before the first store_step(); no effect on SQLite. */
#define STORE_STREAM_ROWS 2000
void store_stream(store_stmt *st);

/* store_reset - ready st to run again (its bindings stay). */
void store_reset(store_stmt *st);

/* Parameters (1-based) and columns (0-based) of the current row. */
int store_bind_int64(store_stmt *st, int i, long long v);
int store_bind_double(store_stmt *st, int i, double v);
int store_bind_null(store_stmt *st, int i);
long long store_col_int64(store_stmt *st, int i);
double store_col_double(store_stmt *st, int i);
int store_col_isnull(store_stmt *st, int i);

/* store_changes - rows changed by the last INSERT, UPDATE or DELETE; store_last_id - the id
 * of the row the last INSERT added; store_in_transaction - whether one is open. */
long long store_changes(mxd_store *s);
long long store_last_id(mxd_store *s);
int store_in_transaction(mxd_store *s);

/* store_bind_text - bind v (NULL binds SQL NULL) as parameter i; it is copied. */
int store_bind_text(store_stmt *st, int i, const char *v);

/* store_col - column i as text, or NULL for SQL NULL. */
const char *store_col(store_stmt *st, int i);

/* store_implicit_begin / store_implicit_end - make one call all or nothing: begin opens a
 * transaction (BEGIN IMMEDIATE) when none is open, else a savepoint inside the caller's; end
 * commits or releases it on MXD_OK (returning that result), rolls it back on an error
 * (returning e). A read-only store: MXD_ERR_INVALID. */
enum { STORE_OWN_NONE, STORE_OWN_TRANSACTION, STORE_OWN_SAVEPOINT };
mxd_err store_implicit_begin(mxd_store *s, int *own);

/* store_implicit_begin_key - the same for a call whose reads and writes concern key alone (an
 * address): on PostgreSQL it takes key's lock instead of the store's write lock (see
 * store_pg_lock), so that writers on different addresses run side by side. */
mxd_err store_implicit_begin_key(mxd_store *s, int *own, const char *key);
mxd_err store_implicit_end(mxd_store *s, int own, mxd_err e);

/* store_address_norm - in's angle brackets and blanks removed (blanks inside a quoted local
 * part kept), lower case, into out
 * (STORE_ADDRESS_MAX bytes); its length, or -1 when empty or too long. */
int store_address_norm(const char *in, char *out);

/* --- schema (schema.c) ------------------------------------------------------------------ */

/* store_migrate - bring s's database from its version up to target (<= the current one) in
 * one BEGIN IMMEDIATE transaction; a database newer than MXD_STORE_SCHEMA_VERSION is refused
 * with MXD_ERR_DATA. s->version is set. */
mxd_err store_migrate(mxd_store *s, int target);

/* store_open_at_version - mxd_store_open() that migrates only up to version (1 ..
 * MXD_STORE_SCHEMA_VERSION): tests build the databases of older releases with it. */
mxd_err store_open_at_version(const char *path, unsigned flags, int version, mxd_store **out,
                              char *why, size_t whylen);

/* --- PostgreSQL (pg.c) ------------------------------------------------------------------- */

extern struct dl_lib store_pq_lib; /* "libpq.so.5" */

/* store_is_pg_uri - whether path names a PostgreSQL database ("postgresql://", "postgres://"). */
int store_is_pg_uri(const char *path);

/* store_pg_connect - connect s (s->path is the URI) and set it up: lock timeout, read-only
 * when s->readonly, client encoding UTF8. MXD_ERR_NOLIB without libpq, MXD_ERR_IO when the
 * server cannot be reached (the reason names it, never the password). */
mxd_err store_pg_connect(mxd_store *s, const char *uri);
void store_pg_close(mxd_store *s);

/* The PostgreSQL side of the functions above. */
mxd_err store_pg_exec(mxd_store *s, const char *sql);
int store_pg_step(store_stmt *st);
void store_pg_reset(store_stmt *st);
void store_pg_free(store_stmt *st);
int store_pg_bind(store_stmt *st, int i, const char *text, unsigned type);
const char *store_pg_col(store_stmt *st, int i);
int store_pg_in_transaction(mxd_store *s);
long long store_pg_last_id(mxd_store *s);
void store_pg_set_lock_timeout(mxd_store *s, int ms);

/* store_pg_begin - BEGIN. */
mxd_err store_pg_begin(mxd_store *s);

/* store_pg_lock - the lock a write takes before it reads what it will change (transaction-level
 * advisory locks, released at COMMIT or ROLLBACK): key NULL, the store's write lock (writers
 * take turns as SQLite's do: the watch's records, alerts, feeds, reports); else key's own lock
 * (an address: the suppression rules read the address's events and row, then write them).
 * Inserts under a unique key (messages, events, reports) need no lock: the second of two
 * writers of one key waits for the first and then adds nothing. So the results are SQLite's
 * whatever the interleaving, and writers on different addresses commit side by side. */
mxd_err store_pg_lock(mxd_store *s, const char *key);

/* store_pg_migrate - schema.c's migrations on PostgreSQL: the version lives in mxd_schema;
 * steps run in one transaction under an advisory lock (two processes opening one new database
 * migrate it once). */
mxd_err store_pg_version(mxd_store *s, int *v);
mxd_err store_pg_migrate_lock(mxd_store *s);
mxd_err store_pg_set_version(mxd_store *s, int v);

/* pg_translate - SQLite's dialect as the store writes it into PostgreSQL's: ?N -> $N, INSERT
 * OR IGNORE -> ON CONFLICT DO NOTHING, max/min of several values -> GREATEST/LEAST,
 * group_concat(x, sep) -> string_agg(x, sep ORDER BY x), and in DDL INTEGER -> BIGINT (an
 * INTEGER PRIMARY KEY an identity column), REAL -> DOUBLE PRECISION, COLLATE NOCASE ->
 * COLLATE mxd_nocase, WITHOUT ROWID dropped, the column offset quoted. A malloc'd string (NULL
 * when out of memory); *nparams the highest parameter number, *used which appear. */
char *pg_translate(const char *sql, int *nparams, unsigned long long *used);

/* store_pg_leader - try to become (or check still being) the leader of name's work: a session
 * advisory lock; *leader 1 when held. */
mxd_err store_pg_leader(mxd_store *s, const char *name, int *leader);

/* store_pg_admin - run sql on its own connection to uri (tests make their schemas with it). */
mxd_err store_pg_admin(const char *uri, const char *sql, char *why, size_t whylen);

#endif
