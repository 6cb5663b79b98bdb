/* store_target.h - where a store test's databases live: SQLite files in the test's tmpdir, or,
 * when MXD_TEST_PG holds the URI of a PostgreSQL server (tests/pg/store-suite.sh starts one and
 * runs the store's tests again with it), a fresh schema per database name on that server. So
 * the same tests check both backends.
 * SPDX-License-Identifier: MIT
 */
#ifndef MXD_TEST_STORE_TARGET_H
#define MXD_TEST_STORE_TARGET_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "store/store_internal.h"

/* test_pg - the PostgreSQL server's URI, or NULL when the tests run on SQLite. */
static inline const char *test_pg(void)
{
    const char *u = getenv("MXD_TEST_PG");
    return u && *u ? u : NULL;
}

/* test_db - the database called name (the same name: the same database): tmpdir/name.db, or
 * the URI of schema t<pid>_<name> on the server (created when missing). */
static inline const char *test_db(const char *dir, const char *name, char *out, size_t outlen)
{
    const char *pg = test_pg();
    if (!pg) {
        snprintf(out, outlen, "%s/%s.db", dir, name);
        return out;
    }
    char schema[128], sql[256], why[512];
    int n = snprintf(schema, sizeof schema, "t%ld_", (long)getpid());
    for (const char *c = name; *c && n < (int)sizeof schema - 1; c++)
        schema[n++] = (char)((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ? *c : '_');
    schema[n] = 0;
    snprintf(sql, sizeof sql, "CREATE SCHEMA IF NOT EXISTS %s", schema);
    if (store_pg_admin(pg, sql, why, sizeof why) != MXD_OK) {
        fprintf(stderr, "store_target: %s: %s\n", pg, why);
        abort();
    }
    snprintf(out, outlen, "%s%coptions=-csearch_path%%3D%s", pg, strchr(pg, '?') ? '&' : '?',
             schema);
    return out;
}

#endif
