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

struct mxd_store {
    sqlite3 *db;
    char *path;
    int readonly;
    int version;
    mxd_store_policy policy;
    char err[STORE_ERR_MAX];
    struct {
        const char *sql; /* a string literal: the key is its address */
        sqlite3_stmt *st;
    } cache[STORE_STMT_CACHE];
    int ncache;
};

/* store_fail - set s's reason (printf-style) and return e. */
mxd_err store_fail(mxd_store *s, mxd_err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* store_sqlerr - map SQLite's result rc (BUSY/LOCKED -> MXD_ERR_BUSY, NOMEM -> MXD_ERR_NOMEM,
 * else MXD_ERR_IO) and set the reason "what: <sqlite3_errmsg>". */
mxd_err store_sqlerr(mxd_store *s, int rc, const char *what);

/* store_exec - run one or more statements without results; MXD_OK or store_sqlerr(). */
mxd_err store_exec(mxd_store *s, const char *sql);

/* store_prepare - the statement for sql into *st; MXD_OK or store_sqlerr(). sql must be a
 * string literal (or live as long as s): statements are compiled once per connection and kept,
 * keyed by the address of sql (the fill of a million events spent most of its time compiling).
 * A kept statement still in use (a callback calling back into the store) gets a fresh one.
 * Hand it back with store_release(). */
mxd_err store_prepare(mxd_store *s, const char *sql, sqlite3_stmt **st);

/* store_release - reset a statement from store_prepare() for its next use (or finalize one
 * that is not kept). */
void store_release(mxd_store *s, sqlite3_stmt *st);

/* store_bind_text - bind v (NULL binds SQL NULL) as parameter i; SQLite copies it. */
int store_bind_text(sqlite3_stmt *st, int i, const char *v);

/* store_col - column i as text, or NULL for SQL NULL. */
const char *store_col(sqlite3_stmt *st, int i);

/* store_implicit_begin / store_implicit_end - make one call all or nothing: begin opens a
 * transaction (BEGIN IMMEDIATE) when none is open, else a savepoint inside the caller's; end
 * commits or releases it on MXD_OK (returning that result), rolls it back on an error
 * (returning e). A read-only store: MXD_ERR_INVALID. */
enum { STORE_OWN_NONE, STORE_OWN_TRANSACTION, STORE_OWN_SAVEPOINT };
mxd_err store_implicit_begin(mxd_store *s, int *own);
mxd_err store_implicit_end(mxd_store *s, int own, mxd_err e);

/* store_address_norm - in's angle brackets and blanks removed, lower case, into out
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

#endif
