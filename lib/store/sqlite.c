/* sqlite.c - libsqlite3, loaded on first use
 * SPDX-License-Identifier: MIT
 *
 * SQLite is not linked (util/dl.h): the first mxd_store_open() of a process loads
 * libsqlite3.so.0 under pthread_once and resolves the functions the store calls into `sq`,
 * each typed from <sqlite3.h>. Without it, opening a store fails with MXD_ERR_NOLIB and
 * mxd_strerror() names the library.
 */
#include <pthread.h>
#include "store/store_internal.h"
#include "util/dl.h"

dl_lib store_sqlite_lib = {"libsqlite3.so.0", "to open the mxdiag database", NULL, NULL, ""};

store_sqlite sq;
static int sq_loaded;
static pthread_once_t sq_once = PTHREAD_ONCE_INIT;

static void sq_load(void)
{
    dl_lib *l = &store_sqlite_lib;
    if (dl_open(l))
        return;
    DL_SYM(l, sq.open_v2, "sqlite3_open_v2");
    DL_SYM(l, sq.close_v2, "sqlite3_close_v2");
    DL_SYM(l, sq.exec, "sqlite3_exec");
    DL_SYM(l, sq.prepare_v2, "sqlite3_prepare_v2");
    DL_SYM(l, sq.step, "sqlite3_step");
    DL_SYM(l, sq.reset, "sqlite3_reset");
    DL_SYM(l, sq.finalize, "sqlite3_finalize");
    DL_SYM(l, sq.bind_text, "sqlite3_bind_text");
    DL_SYM(l, sq.bind_int64, "sqlite3_bind_int64");
    DL_SYM(l, sq.bind_null, "sqlite3_bind_null");
    DL_SYM(l, sq.bind_double, "sqlite3_bind_double");
    DL_SYM(l, sq.column_text, "sqlite3_column_text");
    DL_SYM(l, sq.column_int64, "sqlite3_column_int64");
    DL_SYM(l, sq.column_double, "sqlite3_column_double");
    DL_SYM(l, sq.column_type, "sqlite3_column_type");
    DL_SYM(l, sq.errmsg, "sqlite3_errmsg");
    DL_SYM(l, sq.errstr, "sqlite3_errstr");
    DL_SYM(l, sq.extended_errcode, "sqlite3_extended_errcode");
    DL_SYM(l, sq.changes, "sqlite3_changes");
    DL_SYM(l, sq.last_insert_rowid, "sqlite3_last_insert_rowid");
    DL_SYM(l, sq.busy_timeout, "sqlite3_busy_timeout");
    DL_SYM(l, sq.get_autocommit, "sqlite3_get_autocommit");
    DL_SYM(l, sq.free, "sqlite3_free");
    DL_SYM(l, sq.stmt_busy, "sqlite3_stmt_busy");
    DL_SYM(l, sq.clear_bindings, "sqlite3_clear_bindings");
    sq_loaded = dl_done(l) == 0;
}

int store_sqlite_ready(void)
{
    pthread_once(&sq_once, sq_load);
    return sq_loaded;
}
