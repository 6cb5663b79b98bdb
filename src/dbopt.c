/* dbopt.c - the database of the record commands: --db, MXDIAG_DB, the default path
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include <string.h>
#include <mxdiag/store.h>
#include "cli.h"

/* cli_open_store - open the database named by db (--db), else $MXDIAG_DB, else the default
 * path; prints its own error. 0, or an exit status: 66 (a read-only command on a database
 * that does not exist), 75 (locked), 69 (libsqlite3 missing), 74 otherwise. */
int cli_open_store(const char *cmd, const char *db, unsigned flags, mxd_store **out)
{
    char path[4096], why[512] = "";
    if (!db || !*db)
        db = getenv("MXDIAG_DB");
    if (!db || !*db) {
        if (mxd_store_default_path(path, sizeof path) != MXD_OK) {
            cli_err(cmd, "no database: give --db PATH or set MXDIAG_DB (neither "
                         "XDG_STATE_HOME nor HOME is set)");
            return EX_USAGE_;
        }
        db = path;
    }
    mxd_err e = mxd_store_open(db, flags, out, why, sizeof why);
    if (e == MXD_OK)
        return 0;
    if (e == MXD_ERR_NOTFOUND) {
        cli_err(cmd, "%s: no such database (run mxdiag ingest first)",
                strstr(db, "://") ? "the database" : db);
        return EX_NOINPUT_;
    }
    /* why names the database itself (a URI without its password) */
    if (why[0])
        cli_err(cmd, "%s", why);
    else
        cli_err(cmd, "%s: %s", strstr(db, "://") ? "the database" : db, mxd_strerror(e));
    if (e == MXD_ERR_BUSY)
        return EX_TEMPFAIL_;
    if (e == MXD_ERR_NOLIB)
        return EX_UNAVAILABLE_;
    if (e == MXD_ERR_DATA)
        return EX_DATAERR_;
    return EX_IOERR_;
}
