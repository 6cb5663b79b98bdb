/* test_store.c - unit tests for lib/store: schema and migrations, suppression policy, reports
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "mxdiag/store.h"
#include "store/store_internal.h"
#include "util/dl.h"
#include "tmpdir_helper.h"
#include "store_target.h"

#define DAY 86400LL
#define T0  1700000000LL

static int setup(void **state)
{
    (void)state;
    return tmpdir_make("store");
}

static int teardown(void **state)
{
    (void)state;
    return tmpdir_remove();
}

/* db_path - a fresh database path in tmpdir (a new name each call). */
static const char *db_path(const char *name)
{
    static char p[1024];
    if (test_pg())
        return test_db(tmpdir, name, p, sizeof p);
    snprintf(p, sizeof p, "%s/%s/sub/mxdiag.db", tmpdir, name);
    return p;
}

static mxd_store *open_db(const char *path)
{
    mxd_store *s = NULL;
    char why[512];
    mxd_err e = mxd_store_open(path, 0, &s, why, sizeof why);
    if (e)
        fprintf(stderr, "open %s: %s\n", path, why);
    assert_int_equal(e, MXD_OK);
    assert_non_null(s);
    return s;
}

static mxd_store_event event(const char *key, const char *addr, mxd_event_effect eff, long long at)
{
    mxd_store_event ev = {0};
    ev.msgkey = key;
    ev.address = addr;
    ev.effect = eff;
    ev.reason = eff == MXD_EFFECT_COMPLAINT ? "feedback" : "userunknown";
    ev.status = "5.1.1";
    ev.replycode = "550";
    ev.diagnostic = "no such user";
    ev.source = "test:1";
    ev.at = at;
    return ev;
}

/* add_event - one event in its own transaction; returns *suppressed. */
static int add_event(mxd_store *s, const char *key, const char *addr, mxd_event_effect eff,
                     long long at)
{
    mxd_store_event ev = event(key, addr, eff, at);
    int added = -1, sup = -1;
    assert_int_equal(mxd_store_begin(s), MXD_OK);
    assert_int_equal(mxd_store_event_add(s, &ev, &added, &sup), MXD_OK);
    assert_int_equal(mxd_store_commit(s), MXD_OK);
    assert_int_equal(added, 1);
    return sup;
}

typedef struct got {
    int n;
    mxd_suppression last;
    char address[256], effect[32], reason[64], source[64], msgkey[64];
} got;

static int collect(void *arg, const mxd_suppression *e)
{
    got *g = arg;
    g->n++;
    g->last = *e;
    snprintf(g->address, sizeof g->address, "%s", e->address);
    snprintf(g->effect, sizeof g->effect, "%s", e->effect);
    snprintf(g->reason, sizeof g->reason, "%s", e->reason ? e->reason : "");
    snprintf(g->source, sizeof g->source, "%s", e->source ? e->source : "");
    snprintf(g->msgkey, sizeof g->msgkey, "%s", e->msgkey ? e->msgkey : "");
    return 0;
}

static int is_active(mxd_store *s, const char *addr)
{
    const char *a[1] = {addr};
    int hit = -1;
    assert_int_equal(mxd_store_suppress_check(s, a, 1, &hit, NULL, NULL), MXD_OK);
    return hit;
}

/* --- loading and opening
 * --------------------------------------------------------------------------------- */

/* Without libsqlite3: MXD_ERR_NOLIB, and why names the library and what it is for. In a child
 * process: the library is loaded once per process. */
static void test_nolib(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char why[512];
        mxd_store *s = (mxd_store *)1;
        /* libpq for a PostgreSQL URI */
        const char *lib = test_pg() ? "libmxd-no-such-pq.so.5" : "libmxd-no-such-sqlite.so.0";
        const char *purpose =
            test_pg() ? "to use a PostgreSQL database" : "to open the mxdiag database";
        const char *path = test_pg() ? test_pg() : db_path("nolib");
        store_sqlite_lib.soname = "libmxd-no-such-sqlite.so.0";
        store_pq_lib.soname = "libmxd-no-such-pq.so.5";
        mxd_err e = mxd_store_open(path, 0, &s, why, sizeof why);
        int ok = e == MXD_ERR_NOLIB && s == NULL && strstr(why, lib) && strstr(why, purpose) &&
                 strstr(mxd_strerror(MXD_ERR_NOLIB), lib);
        if (!ok)
            fprintf(stderr, "nolib: %d %s\n", (int)e, why);
        _exit(ok ? 0 : 1);
    }
    int st = -1;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_migration_from_v1(void **state)
{
    (void)state;
    const char *p = db_path("v1");
    mxd_store *s = NULL;
    char why[512];
    assert_int_equal(store_open_at_version(p, 0, 1, &s, why, sizeof why), MXD_OK);
    assert_int_equal(mxd_store_schema_version(s), 1);
    int added;
    assert_int_equal(mxd_store_begin(s), MXD_OK);
    assert_int_equal(mxd_store_message_add(s, "<m1@x>", MXD_KIND_BOUNCE, "mbox:1", T0, &added),
                     MXD_OK);
    assert_int_equal(added, 1);
    mxd_store_event ev = event("<m1@x>", "<Old@Example.COM>", MXD_EFFECT_HARD, T0);
    assert_int_equal(mxd_store_event_add(s, &ev, &added, NULL), MXD_OK);
    assert_int_equal(mxd_store_commit(s), MXD_OK);
    /* version 1 has no failure reports */
    mxd_dmarc_failure f = {0};
    assert_int_equal(mxd_store_begin(s), MXD_OK);
    assert_int_not_equal(mxd_store_dmarc_failure_add(s, "<f1@x>", &f, "x", T0, &added), MXD_OK);
    mxd_store_rollback(s);
    mxd_store_close(s);

    s = open_db(p);
    assert_int_equal(mxd_store_schema_version(s), MXD_STORE_SCHEMA_VERSION);
    assert_int_equal(is_active(s, "old@example.com"), 1);
    assert_int_equal(mxd_store_begin(s), MXD_OK);
    assert_int_equal(mxd_store_message_add(s, "<m1@x>", MXD_KIND_BOUNCE, "mbox:1", T0, &added),
                     MXD_OK);
    assert_int_equal(added, 0);
    f.reporter = "r@example.net";
    f.reported_domain = "example.com";
    assert_int_equal(mxd_store_dmarc_failure_add(s, "<f1@x>", &f, "x", T0, &added), MXD_OK);
    assert_int_equal(added, 1);
    assert_int_equal(mxd_store_dmarc_failure_add(s, "<f1@x>", &f, "x", T0, &added), MXD_OK);
    assert_int_equal(added, 0);
    assert_int_equal(mxd_store_commit(s), MXD_OK);
    mxd_store_close(s);
    if (test_pg())
        return;

    /* the file and its directory are private */
    struct stat sb;
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/v1/sub", tmpdir);
    assert_int_equal(stat(dir, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
}

static void test_newer_schema_refused(void **state)
{
    (void)state;
    const char *p = db_path("newer");
    mxd_store *s = open_db(p);
    assert_int_equal(store_exec(s, test_pg() ? "UPDATE mxd_schema SET version = 99"
                                             : "PRAGMA user_version = 99"),
                     MXD_OK);
    mxd_store_close(s);
    char why[512];
    s = (mxd_store *)1;
    assert_int_equal(mxd_store_open(p, 0, &s, why, sizeof why), MXD_ERR_DATA);
    assert_null(s);
    assert_non_null(strstr(why, "newer"));
    assert_int_equal(mxd_store_open(p, MXD_STORE_READONLY, &s, why, sizeof why), MXD_ERR_DATA);
}

static void test_open_errors(void **state)
{
    (void)state;
    char p[512], why[512];
    mxd_store *s = (mxd_store *)1;
    if (test_pg()) {
        /* a server that is not there: a temporary failure, the password not shown */
        assert_int_equal(mxd_store_open("postgresql://u:secret@127.0.0.1:1/x?connect_timeout=2", 0,
                                        &s, why, sizeof why),
                         MXD_ERR_BUSY);
        assert_null(s);
        assert_non_null(strstr(why, "cannot connect"));
        assert_null(strstr(why, "secret"));
        assert_non_null(strstr(why, "u:***@127.0.0.1:1"));
        /* read-only on a database without the schema: not found, nothing created */
        const char *empty = db_path("empty");
        assert_int_equal(mxd_store_open(empty, MXD_STORE_READONLY, &s, why, sizeof why),
                         MXD_ERR_NOTFOUND);
        assert_null(s);
        s = open_db(empty);
        mxd_store_close(s);
        assert_int_equal(mxd_store_open(empty, MXD_STORE_READONLY, &s, why, sizeof why), MXD_OK);
        assert_int_equal(mxd_store_schema_version(s), MXD_STORE_SCHEMA_VERSION);
        assert_int_equal(mxd_store_begin(s), MXD_ERR_INVALID);
        mxd_store_close(s);
        return;
    }
    snprintf(p, sizeof p, "%s/missing/mxdiag.db", tmpdir);
    assert_int_equal(mxd_store_open(p, MXD_STORE_READONLY, &s, why, sizeof why), MXD_ERR_NOTFOUND);
    assert_null(s);
    assert_true(why[0] != 0);
    struct stat sb;
    assert_int_not_equal(stat(p, &sb), 0); /* READONLY creates nothing */

    const char *text = "This is not a database, it is a text file of some length.\n"
                       "It goes on for a while so that SQLite reads a whole header from it.\n"
                       "0123456789012345678901234567890123456789012345678901234567890123456789\n";
    assert_int_equal(tmpdir_file("text.db", text, p, sizeof p), 0);
    assert_int_equal(mxd_store_open(p, 0, &s, why, sizeof why), MXD_ERR_IO);
    assert_null(s);
    assert_non_null(strstr(why, "not an SQLite database"));
    assert_int_equal(mxd_store_open(p, MXD_STORE_READONLY, &s, why, sizeof why), MXD_ERR_IO);
    assert_non_null(strstr(why, "not an SQLite database"));

    /* a missing path works, read-only, once created */
    s = open_db(db_path("ro"));
    mxd_store_close(s);
    assert_int_equal(mxd_store_open(db_path("ro"), MXD_STORE_READONLY, &s, why, sizeof why),
                     MXD_OK);
    assert_int_equal(mxd_store_schema_version(s), MXD_STORE_SCHEMA_VERSION);
    assert_int_equal(mxd_store_begin(s), MXD_ERR_INVALID);
    mxd_store_close(s);
}

static void test_default_path(void **state)
{
    (void)state;
    char out[512];
    setenv("XDG_STATE_HOME", "/x/state", 1);
    setenv("HOME", "/home/u", 1);
    assert_int_equal(mxd_store_default_path(out, sizeof out), MXD_OK);
    assert_string_equal(out, "/x/state/mxdiag/mxdiag.db");
    assert_int_equal(mxd_store_default_path(out, 10), MXD_ERR_TOOBIG);
    unsetenv("XDG_STATE_HOME");
    assert_int_equal(mxd_store_default_path(out, sizeof out), MXD_OK);
    assert_string_equal(out, "/home/u/.local/state/mxdiag/mxdiag.db");
    unsetenv("HOME");
    assert_int_equal(mxd_store_default_path(out, sizeof out), MXD_ERR_INVALID);
}

/* --- messages and events --------------------------------------------------------------------- */

static void test_idempotence(void **state)
{
    (void)state;
    mxd_store *s = open_db(db_path("idem"));
    int added, sup;
    assert_int_equal(mxd_store_begin(s), MXD_OK);
    assert_int_equal(mxd_store_message_add(s, "k1", MXD_KIND_BOUNCE, "a:1", T0, &added), MXD_OK);
    assert_int_equal(added, 1);
    assert_int_equal(mxd_store_message_add(s, "k1", MXD_KIND_BOUNCE, "a:2", T0, &added), MXD_OK);
    assert_int_equal(added, 0);
    mxd_store_event ev = event("k1", "a@example.com", MXD_EFFECT_SOFT, T0);
    assert_int_equal(mxd_store_event_add(s, &ev, &added, &sup), MXD_OK);
    assert_int_equal(added, 1);
    assert_int_equal(mxd_store_event_add(s, &ev, &added, &sup), MXD_OK);
    assert_int_equal(added, 0);
    assert_int_equal(sup, 0);
    assert_int_equal(mxd_store_commit(s), MXD_OK);
    mxd_store_close(s);
}

static int find_cb(void *arg, const mxd_suppression *e)
{
    got *g = arg;
    if (strcmp(e->address, g->address) == 0)
        collect(g, e);
    return 0;
}

/* row - the suppression row of addr (removed ones too) into *g; 1 when there is one. */
static int row(mxd_store *s, const char *addr, got *g)
{
    memset(g, 0, sizeof *g);
    snprintf(g->address, sizeof g->address, "%s", addr);
    assert_int_equal(mxd_store_suppress_each(s, 1, find_cb, g), MXD_OK);
    return g->n;
}

static void test_effects(void **state)
{
    (void)state;
    mxd_store *s = open_db(db_path("effects"));
    got g;
    assert_int_equal(add_event(s, "m1", "Hard@Example.com", MXD_EFFECT_HARD, T0), 1);
    assert_int_equal(row(s, "hard@example.com", &g), 1);
    assert_string_equal(g.effect, "hard");
    assert_string_equal(g.reason, "userunknown");
    assert_string_equal(g.source, "test:1");
    assert_int_equal(g.last.count, 1);
    assert_int_equal(g.last.active, 1);

    assert_int_equal(add_event(s, "m2", "<c@example.com>", MXD_EFFECT_COMPLAINT, T0), 1);
    assert_int_equal(row(s, "c@example.com", &g), 1);
    assert_string_equal(g.effect, "complaint");

    assert_int_equal(add_event(s, "m3", "b@example.com", MXD_EFFECT_BLOCK, T0), 0);
    assert_int_equal(add_event(s, "m4", "b@example.com", MXD_EFFECT_BLOCK, T0 + 1), 0);
    assert_int_equal(add_event(s, "m5", "b@example.com", MXD_EFFECT_BLOCK, T0 + 2), 0);
    assert_int_equal(row(s, "b@example.com", &g), 0);

    /* soft: the third within 7 days suppresses */
    assert_int_equal(add_event(s, "s1", "s@example.com", MXD_EFFECT_SOFT, T0), 0);
    assert_int_equal(add_event(s, "s2", "s@example.com", MXD_EFFECT_SOFT, T0 + DAY), 0);
    assert_int_equal(row(s, "s@example.com", &g), 0);
    assert_int_equal(add_event(s, "s3", "s@example.com", MXD_EFFECT_SOFT, T0 + 2 * DAY), 1);
    assert_int_equal(row(s, "s@example.com", &g), 1);
    assert_string_equal(g.effect, "soft");
    assert_int_equal(g.last.count, 3);
    assert_int_equal(g.last.first_seen, T0);
    assert_int_equal(g.last.last_seen, T0 + 2 * DAY);
    /* an address already suppressed: count and last_seen move, *suppressed 0 */
    assert_int_equal(add_event(s, "h9", "s@example.com", MXD_EFFECT_HARD, T0 + 3 * DAY), 0);
    assert_int_equal(row(s, "s@example.com", &g), 1);
    assert_int_equal(g.last.count, 4);
    assert_int_equal(g.last.last_seen, T0 + 3 * DAY);
    /* ... and a hard bounce outranks the soft ones as the cause */
    assert_string_equal(g.effect, "hard");

    /* the cause does not depend on the order of ingestion: the earliest hard event */
    assert_int_equal(add_event(s, "o2", "o@example.com", MXD_EFFECT_HARD, T0 + DAY), 1);
    assert_int_equal(add_event(s, "o1", "o@example.com", MXD_EFFECT_HARD, T0), 0);
    assert_int_equal(row(s, "o@example.com", &g), 1);
    assert_string_equal(g.msgkey, "o1");
    assert_int_equal(add_event(s, "o3", "o@example.com", MXD_EFFECT_COMPLAINT, T0 + 2 * DAY), 0);
    assert_int_equal(row(s, "o@example.com", &g), 1);
    assert_string_equal(g.msgkey, "o1");
    assert_int_equal(g.last.count, 3);

    /* soft_limit 0: soft never suppresses */
    mxd_store_policy pol = {0, 7};
    mxd_store_set_policy(s, &pol);
    for (int i = 0; i < 5; i++) {
        char key[16];
        snprintf(key, sizeof key, "z%d", i);
        assert_int_equal(add_event(s, key, "z@example.com", MXD_EFFECT_SOFT, T0 + i), 0);
    }
    assert_int_equal(row(s, "z@example.com", &g), 0);
    mxd_store_close(s);
}

static void test_soft_window(void **state)
{
    (void)state;
    mxd_store *s = open_db(db_path("window"));
    got g;
    /* three soft events, each 4 days apart: no 7-day window holds three */
    assert_int_equal(add_event(s, "w1", "w@example.com", MXD_EFFECT_SOFT, T0), 0);
    assert_int_equal(add_event(s, "w2", "w@example.com", MXD_EFFECT_SOFT, T0 + 4 * DAY), 0);
    assert_int_equal(add_event(s, "w3", "w@example.com", MXD_EFFECT_SOFT, T0 + 8 * DAY), 0);
    assert_int_equal(row(s, "w@example.com", &g), 0);
    /* a fourth at day 9: days 4, 8, 9 are within 7 days */
    assert_int_equal(add_event(s, "w4", "w@example.com", MXD_EFFECT_SOFT, T0 + 9 * DAY), 1);
    assert_int_equal(row(s, "w@example.com", &g), 1);
    assert_int_equal(g.last.count, 4);

    /* order of ingestion does not matter: a late, older event completes a window */
    assert_int_equal(add_event(s, "o1", "o@example.com", MXD_EFFECT_SOFT, T0 + 6 * DAY), 0);
    assert_int_equal(add_event(s, "o2", "o@example.com", MXD_EFFECT_SOFT, T0 + 30 * DAY), 0);
    assert_int_equal(add_event(s, "o3", "o@example.com", MXD_EFFECT_SOFT, T0), 0);
    assert_int_equal(add_event(s, "o4", "o@example.com", MXD_EFFECT_SOFT, T0 + 3 * DAY), 1);

    /* a policy of 2 in 1 day */
    mxd_store_policy pol = {2, 1};
    mxd_store_set_policy(s, &pol);
    assert_int_equal(add_event(s, "p1", "p@example.com", MXD_EFFECT_SOFT, T0), 0);
    assert_int_equal(add_event(s, "p2", "p@example.com", MXD_EFFECT_SOFT, T0 + DAY + 1), 0);
    assert_int_equal(add_event(s, "p3", "p@example.com", MXD_EFFECT_SOFT, T0 + DAY + 2), 1);
    mxd_store_close(s);
}

typedef struct hist {
    int n;
    char line[16][96];
} hist;

static int hist_cb(void *arg, long long at, const char *what, const char *reason,
                   const char *source)
{
    hist *h = arg;
    if (h->n < 16)
        snprintf(h->line[h->n], sizeof h->line[0], "%lld %s %s %s", at - T0, what,
                 reason ? reason : "-", source ? source : "-");
    h->n++;
    return 0;
}

static void test_remove_and_resuppress(void **state)
{
    (void)state;
    mxd_store *s = open_db(db_path("remove"));
    got g;
    int found = -1;
    assert_int_equal(add_event(s, "r1", "r@example.com", MXD_EFFECT_HARD, T0), 1);
    assert_int_equal(mxd_store_suppress_remove(s, "R@example.com", T0 + 10, &found), MXD_OK);
    assert_int_equal(found, 1);
    assert_int_equal(is_active(s, "r@example.com"), 0);
    assert_int_equal(row(s, "r@example.com", &g), 1); /* kept */
    assert_int_equal(g.last.active, 0);
    assert_int_equal(g.last.removed_at, T0 + 10);
    /* only active ones by default */
    got all = {0};
    assert_int_equal(mxd_store_suppress_each(s, 0, collect, &all), MXD_OK);
    assert_int_equal(all.n, 0);
    assert_int_equal(mxd_store_suppress_remove(s, "r@example.com", T0 + 11, &found), MXD_OK);
    assert_int_equal(found, 0);
    assert_int_equal(mxd_store_suppress_remove(s, "nobody@example.com", T0, &found), MXD_OK);
    assert_int_equal(found, 0);

    /* soft events from before the remove do not count again */
    assert_int_equal(add_event(s, "r2", "r@example.com", MXD_EFFECT_SOFT, T0 + 20), 0);
    assert_int_equal(add_event(s, "r3", "r@example.com", MXD_EFFECT_SOFT, T0 + 30), 0);
    assert_int_equal(is_active(s, "r@example.com"), 0);
    /* a new hard event suppresses again; count continues */
    assert_int_equal(add_event(s, "r4", "r@example.com", MXD_EFFECT_HARD, T0 + 40), 1);
    assert_int_equal(row(s, "r@example.com", &g), 1);
    assert_int_equal(g.last.active, 1);
    assert_int_equal(g.last.removed_at, 0);
    assert_int_equal(g.last.count, 4);
    assert_int_equal(g.last.first_seen, T0);
    assert_int_equal(g.last.last_seen, T0 + 40);

    /* manual add: effect and source "manual", then history of both kinds in time order */
    assert_int_equal(mxd_store_suppress_add(s, "<M@Example.com>", "asked to stop", T0 + 5), MXD_OK);
    assert_int_equal(row(s, "m@example.com", &g), 1);
    assert_string_equal(g.effect, "manual");
    assert_string_equal(g.source, "manual");
    assert_string_equal(g.reason, "asked to stop");
    assert_null(g.last.msgkey);
    assert_int_equal(g.last.count, 0);

    hist h = {0};
    assert_int_equal(mxd_store_history_each(s, "r@example.com", hist_cb, &h), MXD_OK);
    assert_int_equal(h.n, 5);
    assert_string_equal(h.line[0], "0 hard userunknown test:1");
    assert_string_equal(h.line[1], "10 remove - manual");
    assert_string_equal(h.line[2], "20 soft userunknown test:1");
    assert_string_equal(h.line[3], "30 soft userunknown test:1");
    assert_string_equal(h.line[4], "40 hard userunknown test:1");

    /* inside a caller's transaction, a remove is rolled back with it */
    assert_int_equal(mxd_store_begin(s), MXD_OK);
    assert_int_equal(mxd_store_suppress_remove(s, "m@example.com", T0 + 50, &found), MXD_OK);
    assert_int_equal(found, 1);
    mxd_store_rollback(s);
    assert_int_equal(is_active(s, "m@example.com"), 1);
    mxd_store_close(s);
}

/* Events of the same second are listed by what they did and why, not by which writer stored
 * them first: two stores given the same events in opposite orders show the same history. */
/* A quoted local part keeps its blank ("fay doe" and "faydoe" are two mailboxes); quotes a
 * local part does not need are none ("mq" is mq, as the bounce reader stores it). */
static void test_quoted_local_part(void **state)
{
    (void)state;
    mxd_store *s = open_db(db_path("quoted"));
    assert_int_equal(mxd_store_suppress_add(s, "\"Fay Doe\"@example.net", "by hand", T0), MXD_OK);
    assert_int_equal(mxd_store_suppress_add(s, "mq@example.com", "by hand", T0), MXD_OK);
    const char *const q[] = {"\"fay doe\"@example.net", "\"faydoe\"@example.net",
                             "<\"Fay Doe\"@Example.net>", "\"mq\"@example.com",
                             "\"m..q\"@example.com"};
    int hit[5] = {0, 0, 0, 0, 0};
    assert_int_equal(mxd_store_suppress_check(s, q, 5, hit, NULL, NULL), MXD_OK);
    assert_int_equal(hit[0], 1);
    assert_int_equal(hit[1], 0);
    assert_int_equal(hit[2], 1);
    assert_int_equal(hit[3], 1);
    assert_int_equal(hit[4], 0);
    mxd_store_close(s);
}

static void test_history_same_second(void **state)
{
    (void)state;
    static const char *const names[] = {"hist-ab", "hist-ba"};
    hist h[2] = {{0}, {0}};
    for (int k = 0; k < 2; k++) {
        mxd_store *s = open_db(db_path(names[k]));
        for (int i = 0; i < 2; i++) {
            int soft = (i == 0) == (k == 0);
            mxd_store_event ev = event(soft ? "s1" : "h1", "t@example.com",
                                       soft ? MXD_EFFECT_SOFT : MXD_EFFECT_HARD, T0);
            ev.reason = soft ? "mailboxfull" : "userunknown";
            assert_int_equal(mxd_store_begin(s), MXD_OK);
            assert_int_equal(mxd_store_event_add(s, &ev, NULL, NULL), MXD_OK);
            assert_int_equal(mxd_store_commit(s), MXD_OK);
        }
        assert_int_equal(mxd_store_history_each(s, "t@example.com", hist_cb, &h[k]), MXD_OK);
        mxd_store_close(s);
    }
    assert_int_equal(h[0].n, 2);
    assert_int_equal(h[1].n, 2);
    assert_string_equal(h[0].line[0], "0 hard userunknown test:1");
    for (int i = 0; i < 2; i++)
        assert_string_equal(h[0].line[i], h[1].line[i]);
    /* manual actions of one second stay in the order they were taken */
    mxd_store *s = open_db(db_path("hist-manual"));
    int found = 0;
    assert_int_equal(mxd_store_suppress_add(s, "m@example.com", "zz first", T0), MXD_OK);
    assert_int_equal(mxd_store_suppress_remove(s, "m@example.com", T0, &found), MXD_OK);
    assert_int_equal(mxd_store_suppress_add(s, "m@example.com", "aa again", T0), MXD_OK);
    hist m = {0};
    assert_int_equal(mxd_store_history_each(s, "m@example.com", hist_cb, &m), MXD_OK);
    assert_int_equal(m.n, 3);
    assert_string_equal(m.line[0], "0 manual-add zz first manual");
    assert_string_equal(m.line[1], "0 remove - manual");
    assert_string_equal(m.line[2], "0 manual-add aa again manual");
    mxd_store_close(s);
}

static int count_cb(void *arg, const mxd_suppression *e)
{
    (void)e;
    ++*(int *)arg;
    return 0;
}

static void test_check_batch(void **state)
{
    (void)state;
    mxd_store *s = open_db(db_path("check"));
    char a[100][32];
    const char *q[200];
    int hit[200];
    assert_int_equal(mxd_store_begin(s), MXD_OK);
    for (int i = 0; i < 100; i++) {
        snprintf(a[i], sizeof a[i], "u%d@example.com", i);
        if (i % 2 == 0) {
            mxd_store_event ev = event("batch", a[i], MXD_EFFECT_HARD, T0);
            assert_int_equal(mxd_store_event_add(s, &ev, NULL, NULL), MXD_OK);
        }
    }
    assert_int_equal(mxd_store_commit(s), MXD_OK);
    assert_int_equal(mxd_store_suppress_remove(s, "u0@example.com", T0 + 1, NULL), MXD_OK);
    for (int i = 0; i < 100; i++) {
        q[i] = a[i];
        q[100 + i] = i == 7 ? "" : "U4@EXAMPLE.COM "; /* normalised: a hit */
    }
    int cbs = 0;
    assert_int_equal(mxd_store_suppress_check(s, q, 200, hit, count_cb, &cbs), MXD_OK);
    int hits = 0;
    for (int i = 0; i < 100; i++) {
        assert_int_equal(hit[i], i % 2 == 0 && i != 0);
        hits += hit[i];
    }
    assert_int_equal(hits, 49);
    for (int i = 100; i < 200; i++)
        assert_int_equal(hit[i], i != 107);
    assert_int_equal(cbs, 49 + 99);
    assert_int_equal(mxd_store_suppress_check(s, NULL, 0, NULL, NULL, NULL), MXD_OK);
    mxd_store_close(s);
}

/* Text from strangers that is not UTF-8 is stored all the same: as it is on SQLite, each
 * invalid byte as U+FFFD on PostgreSQL (whose text type refuses it). */
static void test_not_utf8(void **state)
{
    (void)state;
    mxd_store *s = open_db(db_path("utf8"));
    mxd_store_event ev = event("<u1@x>", "u@example.com", MXD_EFFECT_HARD, T0);
    ev.reason = "bad\xff\xc3(";
    ev.diagnostic = "550 \xe9t\xe9 \xed\xa0\x80 caf\xc3\xa9";
    assert_int_equal(mxd_store_begin(s), MXD_OK);
    assert_int_equal(mxd_store_event_add(s, &ev, NULL, NULL), MXD_OK);
    assert_int_equal(mxd_store_commit(s), MXD_OK);
    hist h = {0};
    assert_int_equal(mxd_store_history_each(s, "u@example.com", hist_cb, &h), MXD_OK);
    assert_int_equal(h.n, 1);
    assert_string_equal(h.line[0], test_pg() ? "0 hard bad\xef\xbf\xbd\xef\xbf\xbd( test:1"
                                             : "0 hard bad\xff\xc3( test:1");
    assert_int_equal(is_active(s, "u@example.com"), 1);
    mxd_store_close(s);
}

/* Listing more rows than one batch of a cursor (PostgreSQL reads STORE_STREAM_ROWS at a time):
 * every row once, in order; a callback that stops leaves the store usable, inside a caller's
 * transaction too. And a check of more addresses than one batch of check_batched(). */
typedef struct each_ctx {
    int n, stop_at, sorted;
    char last[64];
} each_ctx;

static int each_cb(void *arg, const mxd_suppression *e)
{
    each_ctx *c = arg;
    if (c->n && strcmp(c->last, e->address) >= 0)
        c->sorted = 0;
    snprintf(c->last, sizeof c->last, "%s", e->address);
    return ++c->n == c->stop_at;
}

static void test_many_rows(void **state)
{
    (void)state;
    enum { N = 2 * STORE_STREAM_ROWS + 500 };
    mxd_store *s = open_db(db_path("many"));
    static char a[N][32];
    static const char *q[N + 1];
    static int hit[N + 1];
    assert_int_equal(mxd_store_begin(s), MXD_OK);
    for (int i = 0; i < N; i++) {
        snprintf(a[i], sizeof a[i], "m%05d@example.com", i);
        q[i] = a[i];
        assert_int_equal(mxd_store_suppress_add(s, a[i], "test", T0), MXD_OK);
    }
    assert_int_equal(mxd_store_commit(s), MXD_OK);
    q[N] = "nobody@example.com";
    each_ctx c = {0, 0, 1, ""};
    assert_int_equal(mxd_store_suppress_each(s, 0, each_cb, &c), MXD_OK);
    assert_int_equal(c.n, N);
    assert_true(c.sorted);
    each_ctx stop = {0, STORE_STREAM_ROWS + 10, 1, ""};
    assert_int_equal(mxd_store_suppress_each(s, 0, each_cb, &stop), MXD_OK);
    assert_int_equal(stop.n, STORE_STREAM_ROWS + 10);
    assert_int_equal(is_active(s, "m00001@example.com"), 1); /* the store goes on */
    assert_int_equal(mxd_store_begin(s), MXD_OK);
    each_ctx in = {0, 3, 1, ""};
    assert_int_equal(mxd_store_suppress_each(s, 0, each_cb, &in), MXD_OK);
    assert_int_equal(in.n, 3);
    assert_int_equal(mxd_store_suppress_remove(s, "m00002@example.com", T0 + 1, NULL), MXD_OK);
    assert_int_equal(mxd_store_commit(s), MXD_OK);
    assert_int_equal(mxd_store_suppress_check(s, q, N + 1, hit, NULL, NULL), MXD_OK);
    for (int i = 0; i < N; i++)
        assert_int_equal(hit[i], i != 2);
    assert_int_equal(hit[N], 0);
    mxd_store_close(s);
}

/* Writes outside a transaction take their own; a read-only store refuses them. */
static void test_implicit_transactions(void **state)
{
    (void)state;
    const char *p = db_path("implicit");
    mxd_store *s = open_db(p);
    mxd_store_event ev = event("i1", "i@example.com", MXD_EFFECT_HARD, T0);
    int added = 0, sup = 0;
    assert_int_equal(mxd_store_event_add(s, &ev, &added, &sup), MXD_OK);
    assert_int_equal(added, 1);
    assert_int_equal(sup, 1);
    assert_int_equal(mxd_store_suppress_add(s, "j@example.com", "by hand", T0), MXD_OK);
    /* inside a caller's transaction: a savepoint, the transaction stays open */
    assert_int_equal(mxd_store_begin(s), MXD_OK);
    ev.msgkey = "i2";
    assert_int_equal(mxd_store_event_add(s, &ev, &added, &sup), MXD_OK);
    assert_int_equal(sup, 0);
    assert_int_equal(mxd_store_commit(s), MXD_OK);
    /* an invalid event changes nothing */
    ev.address = "<>";
    assert_int_equal(mxd_store_event_add(s, &ev, &added, &sup), MXD_ERR_INVALID);
    assert_true(mxd_store_error(s)[0] != 0);
    mxd_store_close(s);

    char why[512];
    assert_int_equal(mxd_store_open(p, MXD_STORE_READONLY, &s, why, sizeof why), MXD_OK);
    assert_int_equal(is_active(s, "i@example.com"), 1);
    assert_int_equal(is_active(s, "j@example.com"), 1);
    assert_int_equal(mxd_store_suppress_add(s, "k@example.com", "x", T0), MXD_ERR_INVALID);
    ev.address = "k@example.com";
    assert_int_equal(mxd_store_event_add(s, &ev, &added, &sup), MXD_ERR_INVALID);
    mxd_store_close(s);
}

/* --- concurrency --------------------------------------------------------------------------- */

#define WRITERS 4
#define WRITES  25

static void test_concurrent_writers(void **state)
{
    (void)state;
    const char *p0 = db_path("conc");
    char p[1024];
    snprintf(p, sizeof p, "%s", p0);
    mxd_store_close(open_db(p)); /* created and migrated before the children start */
    pid_t pid[WRITERS];
    for (int c = 0; c < WRITERS; c++) {
        pid[c] = fork();
        assert_true(pid[c] >= 0);
        if (pid[c] == 0) {
            mxd_store *s = NULL;
            if (mxd_store_open(p, 0, &s, NULL, 0))
                _exit(1);
            for (int i = 0; i < WRITES; i++) {
                char key[32], addr[64];
                snprintf(key, sizeof key, "c%d-%d", c, i);
                snprintf(addr, sizeof addr, "w%d.%d@example.com", c, i);
                mxd_store_event ev = event(key, addr, MXD_EFFECT_HARD, T0 + i);
                int added = 0;
                if (mxd_store_begin(s) || mxd_store_message_add(s, key, "bounce", "x", T0, NULL) ||
                    mxd_store_event_add(s, &ev, &added, NULL) || !added || mxd_store_commit(s))
                    _exit(2);
            }
            mxd_store_close(s);
            _exit(0);
        }
    }
    for (int c = 0; c < WRITERS; c++) {
        int st = -1;
        assert_int_equal(waitpid(pid[c], &st, 0), pid[c]);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    }
    mxd_store *s = open_db(p);
    int n = 0;
    assert_int_equal(mxd_store_suppress_each(s, 1, count_cb, &n), MXD_OK);
    assert_int_equal(n, WRITERS * WRITES);
    for (int c = 0; c < WRITERS; c++)
        for (int i = 0; i < WRITES; i++) {
            char addr[64];
            snprintf(addr, sizeof addr, "w%d.%d@example.com", c, i);
            hist h = {0};
            assert_int_equal(mxd_store_history_each(s, addr, hist_cb, &h), MXD_OK);
            assert_int_equal(h.n, 1); /* exactly once */
        }
    mxd_store_close(s);
}

/* add_event_in - a hard event for addr in the caller's transaction. */
static mxd_err add_event_in(mxd_store *s, const char *key, const char *addr)
{
    mxd_store_event ev = event(key, addr, MXD_EFFECT_HARD, T0);
    return mxd_store_event_add(s, &ev, NULL, NULL);
}

static void test_busy(void **state)
{
    (void)state;
    const char *p = db_path("busy");
    mxd_store *holder = open_db(p);
    mxd_store *s = open_db(p);
    if (test_pg()) {
        /* PostgreSQL: a write waits only for writers of the same address (or, for the
         * watch's records, of the store's write lock), and gives up after the busy timeout */
        assert_int_equal(mxd_store_begin(holder), MXD_OK);
        assert_int_equal(add_event_in(holder, "<b1@x>", "x@example.com"), MXD_OK);
        mxd_store_set_busy_timeout(s, 50);
        assert_int_equal(mxd_store_begin(s), MXD_OK);
        assert_int_equal(add_event_in(s, "<b2@x>", "x@example.com"), MXD_ERR_BUSY);
        assert_non_null(strstr(mxd_store_error(s), "locked"));
        mxd_store_rollback(s);
        assert_int_equal(mxd_store_begin(s), MXD_OK); /* another address: side by side */
        assert_int_equal(add_event_in(s, "<b3@x>", "y@example.com"), MXD_OK);
        assert_int_equal(mxd_store_commit(s), MXD_OK);
        assert_int_equal(is_active(s, "x@example.com"), 0); /* not committed yet */
        assert_int_equal(is_active(s, "y@example.com"), 1);
        assert_int_equal(mxd_store_commit(holder), MXD_OK);
        assert_int_equal(is_active(s, "x@example.com"), 1);
        /* the store's write lock: a check result */
        mxd_watch_check c = {"dnsbl/192.0.2.1/x",
                             "dnsbl",
                             "192.0.2.1",
                             "x",
                             MXD_WATCH_OK,
                             "clean",
                             "",
                             0,
                             0,
                             0,
                             NULL,
                             MXD_WATCH_UNKNOWN};
        assert_int_equal(mxd_store_begin(holder), MXD_OK);
        assert_int_equal(mxd_store_watch_record(holder, &c, T0, NULL), MXD_OK);
        assert_int_equal(mxd_store_watch_record(s, &c, T0, NULL), MXD_ERR_BUSY);
        mxd_store_rollback(holder);
        assert_int_equal(mxd_store_watch_record(s, &c, T0, NULL), MXD_OK);
        mxd_store_close(s);
        mxd_store_close(holder);
        return;
    }
    assert_int_equal(mxd_store_begin(holder), MXD_OK); /* the write lock, held throughout */
    mxd_store_set_busy_timeout(s, 50);
    assert_int_equal(mxd_store_begin(s), MXD_ERR_BUSY);
    assert_non_null(strstr(mxd_store_error(s), "locked"));
    /* readers are not blocked by a writer (WAL) */
    assert_int_equal(is_active(s, "x@example.com"), 0);
    mxd_store_rollback(holder);
    assert_int_equal(mxd_store_begin(s), MXD_OK);
    assert_int_equal(mxd_store_commit(s), MXD_OK);
    mxd_store_close(s);
    mxd_store_close(holder);
}

/* --- reports --------------------------------------------------------------------------------- */

static mxd_dmarc_dkim_result dk_pass = {"example.com", "s1", "pass", NULL};
static mxd_dmarc_dkim_result dk_fail = {"example.com", "s1", "fail", NULL};
static mxd_dmarc_spf_result spf_pass = {"example.com", "mfrom", "pass", NULL};
static mxd_dmarc_spf_result spf_fail = {"fwd.example.org", "mfrom", "fail", NULL};
static mxd_dmarc_override ov_fwd = {"forwarded", "list"};

static void make_agg(mxd_dmarc_agg *r, mxd_dmarc_row *rows, const char *org, const char *id,
                     long long begin)
{
    memset(r, 0, sizeof *r);
    static char *errs[] = {"a \"quoted\" error", "second"};
    r->org_name = (char *)org;
    r->report_id = (char *)id;
    r->begin = begin;
    r->end = begin + DAY;
    r->errors = errs;
    r->nerrors = 2;
    r->domain = "Example.com";
    r->p = "reject";
    memset(rows, 0, 3 * sizeof *rows);
    /* 1.2.3.4: 10 messages, aligned SPF and DKIM pass */
    rows[0].source_ip = "1.2.3.4";
    rows[0].count = 10;
    rows[0].disposition = "none";
    rows[0].dkim = "pass";
    rows[0].spf = "pass";
    rows[0].header_from = "example.com";
    rows[0].envelope_from = "example.com";
    rows[0].dkim_results = &dk_pass;
    rows[0].ndkim = 1;
    rows[0].spf_results = &spf_pass;
    rows[0].nspf = 1;
    /* 1.2.3.4 again: 2 messages, DKIM raw fail, SPF aligned fail: rejected */
    rows[1].source_ip = "1.2.3.4";
    rows[1].count = 2;
    rows[1].disposition = "reject";
    rows[1].dkim = "fail";
    rows[1].spf = "fail";
    rows[1].header_from = "example.com";
    rows[1].envelope_from = "bounce.example.com";
    rows[1].dkim_results = &dk_fail;
    rows[1].ndkim = 1;
    /* 5.6.7.8: 3 forwarded messages, quarantined, raw SPF fail */
    rows[2].source_ip = "5.6.7.8";
    rows[2].count = 3;
    rows[2].disposition = "quarantine";
    rows[2].dkim = "pass";
    rows[2].spf = "fail";
    rows[2].header_from = "example.com";
    rows[2].reasons = &ov_fwd;
    rows[2].nreasons = 1;
    rows[2].dkim_results = &dk_pass;
    rows[2].ndkim = 1;
    rows[2].spf_results = &spf_fail;
    rows[2].nspf = 1;
    r->rows = rows;
    r->nrows = 3;
    r->messages = 15;
}

typedef struct srcs {
    int n;
    mxd_dmarc_source d[4];
    char hf[4][128], ef[4][128], sd[4][128], kd[4][128], ov[4][64], rp[4][64], ip[4][32];
    char dom[4][64];
} srcs;

static int src_cb(void *arg, const mxd_dmarc_source *d)
{
    srcs *x = arg;
    if (x->n < 4) {
        int i = x->n;
        x->d[i] = *d;
#define KEEP(f, v) snprintf(x->f[i], sizeof x->f[i], "%s", (v) ? (v) : "(null)")
        KEEP(hf, d->header_from);
        KEEP(ef, d->envelope_from);
        KEEP(sd, d->spf_domains);
        KEEP(kd, d->dkim_domains);
        KEEP(ov, d->overrides);
        KEEP(rp, d->reporters);
        KEEP(ip, d->ip);
        KEEP(dom, d->domain);
#undef KEEP
    }
    x->n++;
    return 0;
}

static void test_dmarc(void **state)
{
    (void)state;
    mxd_store *s = open_db(db_path("dmarc"));
    mxd_dmarc_agg r1, r2, r3;
    mxd_dmarc_row w1[3], w2[3], w3[3];
    make_agg(&r1, w1, "Google", "r1", T0);
    make_agg(&r2, w2, NULL, "r2", T0 + DAY);
    r2.email = "noreply@yahoo.example";
    make_agg(&r3, w3, "Google", "r3", T0 + 10 * DAY); /* outside the window below */
    int added;
    assert_int_equal(mxd_store_begin(s), MXD_OK);
    assert_int_equal(mxd_store_dmarc_agg_add(s, &r1, "a:1", T0, &added), MXD_OK);
    assert_int_equal(added, 1);
    assert_int_equal(mxd_store_dmarc_agg_add(s, &r1, "a:2", T0, &added), MXD_OK);
    assert_int_equal(added, 0);
    assert_int_equal(mxd_store_dmarc_agg_add(s, &r2, "a:3", T0, &added), MXD_OK);
    assert_int_equal(added, 1);
    assert_int_equal(mxd_store_dmarc_agg_add(s, &r3, "a:4", T0, &added), MXD_OK);
    assert_int_equal(mxd_store_commit(s), MXD_OK);

    mxd_store_window win = {"example.COM", T0, T0 + 5 * DAY};
    unsigned long long reports, messages;
    assert_int_equal(mxd_store_dmarc_totals(s, &win, &reports, &messages), MXD_OK);
    assert_int_equal(reports, 2);
    assert_int_equal(messages, 30);
    assert_int_equal(mxd_store_dmarc_totals(s, NULL, &reports, &messages), MXD_OK);
    assert_int_equal(reports, 3);
    assert_int_equal(messages, 45);
    mxd_store_window other = {"other.example", 0, 0};
    assert_int_equal(mxd_store_dmarc_totals(s, &other, &reports, &messages), MXD_OK);
    assert_int_equal(reports, 0);
    /* a window ending where a report begins does not include it */
    mxd_store_window before = {NULL, 0, T0};
    assert_int_equal(mxd_store_dmarc_totals(s, &before, &reports, &messages), MXD_OK);
    assert_int_equal(reports, 0);
    /* nor one starting where a report ends: r1 ends at T0 + DAY */
    mxd_store_window after = {NULL, T0 + DAY, 0};
    assert_int_equal(mxd_store_dmarc_totals(s, &after, &reports, &messages), MXD_OK);
    assert_int_equal(reports, 2);
    assert_int_equal(messages, 30);

    srcs x = {0};
    assert_int_equal(mxd_store_dmarc_sources(s, &win, src_cb, &x), MXD_OK);
    assert_int_equal(x.n, 2);
    /* 1.2.3.4 first: 24 messages over two reports */
    assert_string_equal(x.ip[0], "1.2.3.4");
    assert_string_equal(x.dom[0], "Example.com");
    assert_int_equal(x.d[0].messages, 24);
    assert_int_equal(x.d[0].reports, 2);
    assert_int_equal(x.d[0].none, 20);
    assert_int_equal(x.d[0].reject, 4);
    assert_int_equal(x.d[0].quarantine, 0);
    assert_int_equal(x.d[0].spf_aligned, 20);
    assert_int_equal(x.d[0].dkim_aligned, 20);
    assert_int_equal(x.d[0].dmarc_pass, 20);
    assert_int_equal(x.d[0].spf_pass, 20);
    assert_int_equal(x.d[0].dkim_pass, 20);
    assert_int_equal(x.d[0].forwarded, 0);
    assert_string_equal(x.hf[0], "example.com");
    assert_string_equal(x.ef[0], "bounce.example.com, example.com");
    assert_string_equal(x.sd[0], "example.com=pass");
    assert_string_equal(x.kd[0], "example.com/s1=fail, example.com/s1=pass");
    assert_string_equal(x.ov[0], "(null)");
    assert_string_equal(x.rp[0], "Google, noreply@yahoo.example");
    assert_int_equal(x.d[0].first, T0);
    assert_int_equal(x.d[0].last, T0 + 2 * DAY);
    /* 5.6.7.8: 6 forwarded messages */
    assert_string_equal(x.ip[1], "5.6.7.8");
    assert_int_equal(x.d[1].messages, 6);
    assert_int_equal(x.d[1].quarantine, 6);
    assert_int_equal(x.d[1].spf_aligned, 0);
    assert_int_equal(x.d[1].dkim_aligned, 6);
    assert_int_equal(x.d[1].dmarc_pass, 6);
    assert_int_equal(x.d[1].spf_pass, 0);
    assert_int_equal(x.d[1].dkim_pass, 6);
    assert_int_equal(x.d[1].forwarded, 6);
    assert_string_equal(x.sd[1], "fwd.example.org=fail");
    assert_string_equal(x.ov[1], "forwarded");
    assert_string_equal(x.ef[1], "(null)");

    srcs all = {0};
    assert_int_equal(mxd_store_dmarc_sources(s, NULL, src_cb, &all), MXD_OK);
    assert_int_equal(all.n, 2);
    assert_int_equal(all.d[0].messages, 36);
    assert_int_equal(all.d[0].reports, 3);
    mxd_store_close(s);
}

typedef struct tlsx {
    int n;
    char line[8][200];
} tlsx;

static int tls_cb(void *arg, const mxd_tls_summary *t)
{
    tlsx *x = arg;
    if (x->n < 8)
        snprintf(x->line[x->n], sizeof x->line[0], "%s %s %s %s %s %s [%s] ok=%llu bad=%llu r=%llu",
                 t->policy_domain ? t->policy_domain : "-", t->policy_type ? t->policy_type : "-",
                 t->result_type ? t->result_type : "TOTAL",
                 t->sending_mta_ip ? t->sending_mta_ip : "-",
                 t->receiving_mx_hostname ? t->receiving_mx_hostname : "-",
                 t->receiving_ip ? t->receiving_ip : "-", t->reporters ? t->reporters : "-",
                 t->successful, t->failed, t->reports);
    x->n++;
    return 0;
}

static void make_tls(mxd_tlsrpt *r, mxd_tls_policy *p, mxd_tls_failure *f, const char *org,
                     const char *id, long long begin)
{
    static char *strings[] = {"version: STSv1", "mode: enforce"};
    static char *mx[] = {"*.mx.example.com"};
    memset(r, 0, sizeof *r);
    memset(p, 0, sizeof *p);
    memset(f, 0, 2 * sizeof *f);
    r->org_name = (char *)org;
    r->report_id = (char *)id;
    r->begin = begin;
    r->end = begin + DAY;
    p->policy_type = "sts";
    p->policy_domain = "example.com";
    p->policy_strings = strings;
    p->nstrings = 2;
    p->mx_hosts = mx;
    p->nmx = 1;
    p->successful = 100;
    p->failed = 7;
    f[0].result_type = "certificate-expired";
    f[0].sending_mta_ip = "9.9.9.9";
    f[0].receiving_mx_hostname = "mx1.example.com";
    f[0].failed_session_count = 5;
    f[1].result_type = "starttls-not-supported";
    f[1].sending_mta_ip = "9.9.9.9";
    f[1].receiving_mx_hostname = "mx2.example.com";
    f[1].receiving_ip = "10.0.0.2";
    f[1].failed_session_count = 2;
    p->failures = f;
    p->nfailures = 2;
    r->policies = p;
    r->npolicies = 1;
}

static void test_tls(void **state)
{
    (void)state;
    mxd_store *s = open_db(db_path("tls"));
    mxd_tlsrpt r1, r2;
    mxd_tls_policy p1, p2;
    mxd_tls_failure f1[2], f2[2];
    make_tls(&r1, &p1, f1, "Google Inc.", "t1", T0);
    make_tls(&r2, &p2, f2, "Microsoft", "t2", T0 + DAY);
    f2[1].failed_session_count = 20;
    int added;
    assert_int_equal(mxd_store_begin(s), MXD_OK);
    assert_int_equal(mxd_store_tlsrpt_add(s, &r1, "a", T0, &added), MXD_OK);
    assert_int_equal(added, 1);
    assert_int_equal(mxd_store_tlsrpt_add(s, &r1, "a", T0, &added), MXD_OK);
    assert_int_equal(added, 0);
    assert_int_equal(mxd_store_tlsrpt_add(s, &r2, "b", T0, &added), MXD_OK);
    assert_int_equal(mxd_store_commit(s), MXD_OK);

    tlsx x = {0};
    mxd_store_window win = {"example.com", T0, 0};
    assert_int_equal(mxd_store_tls_summary(s, &win, tls_cb, &x), MXD_OK);
    assert_int_equal(x.n, 3);
    assert_string_equal(x.line[0], "example.com sts TOTAL - - - [Google Inc., Microsoft] "
                                   "ok=200 bad=14 r=2");
    assert_string_equal(x.line[1], "example.com sts starttls-not-supported 9.9.9.9 "
                                   "mx2.example.com 10.0.0.2 [Google Inc., Microsoft] ok=0 "
                                   "bad=22 r=2");
    assert_string_equal(x.line[2], "example.com sts certificate-expired 9.9.9.9 mx1.example.com "
                                   "- [Google Inc., Microsoft] ok=0 bad=10 r=2");
    /* only the first report's day */
    tlsx y = {0};
    mxd_store_window day1 = {NULL, T0, T0 + DAY};
    assert_int_equal(mxd_store_tls_summary(s, &day1, tls_cb, &y), MXD_OK);
    assert_int_equal(y.n, 3);
    assert_string_equal(y.line[0], "example.com sts TOTAL - - - [Google Inc.] ok=100 bad=7 r=1");
    tlsx z = {0};
    mxd_store_window none = {"other.example", 0, 0};
    assert_int_equal(mxd_store_tls_summary(s, &none, tls_cb, &z), MXD_OK);
    assert_int_equal(z.n, 0);
    mxd_store_close(s);
}

/* pg_translate: SQLite's dialect as the store writes it, PostgreSQL's out (no server needed). */
static void tr_is(const char *in, const char *want, int nparams)
{
    int n = -1;
    unsigned long long used = 0;
    char *out = pg_translate(in, &n, &used);
    assert_non_null(out);
    if (strcmp(out, want) != 0)
        fprintf(stderr, "in:   %s\nout:  %s\nwant: %s\n", in, out, want);
    assert_string_equal(out, want);
    assert_int_equal(n, nparams);
    free(out);
}

static void test_pg_translate(void **state)
{
    (void)state;
    tr_is("SELECT a FROM t WHERE b = ?1 AND c = ?12", "SELECT a FROM t WHERE b = $1 AND c = $12",
          12);
    tr_is("SELECT ? , ?", "SELECT $1 , $2", 2);
    /* literals and quoted names are left alone */
    tr_is("SELECT '?1 INTEGER max(a, b)', \"REAL\" FROM t",
          "SELECT '?1 INTEGER max(a, b)', "
          "\"REAL\" FROM t",
          0);
    tr_is("SELECT 'it''s ?1' || ?2", "SELECT 'it''s ?1' || $2", 2);
    tr_is("INSERT OR IGNORE INTO m (k) VALUES (?1)",
          "INSERT INTO m (k) VALUES ($1) ON CONFLICT DO NOTHING", 1);
    tr_is("INSERT OR IGNORE INTO m (k) VALUES (?1);",
          "INSERT INTO m (k) VALUES ($1) ON CONFLICT DO NOTHING", 1);
    /* scalar max/min of several values; the aggregates stay */
    tr_is("SELECT max(a), min(b), max(?4, opened_at, 1), min(x, (SELECT max(y) FROM z))",
          "SELECT max(a), min(b), GREATEST($4, opened_at, 1), LEAST(x, (SELECT max(y) FROM z))", 4);
    tr_is("SELECT max((SELECT count(*) FROM e WHERE a = 1, 2))",
          "SELECT max((SELECT count(*) FROM e WHERE a = 1, 2))", 0);
    tr_is("SELECT group_concat(v, ', ') AS list", "SELECT string_agg(v, ', ' ORDER BY v) AS list",
          0);
    /* DDL */
    tr_is("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, r REAL,"
          " d TEXT COLLATE NOCASE, offset INTEGER) WITHOUT ROWID;",
          "CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, n BIGINT NOT "
          "NULL, r DOUBLE PRECISION, d TEXT COLLATE mxd_nocase, \"offset\" BIGINT) ;",
          0);
    tr_is("BEGIN IMMEDIATE", "BEGIN", 0);
    /* words that only contain the keywords are other words */
    tr_is("SELECT offsets, integers, maxima(a, b), real_x FROM t",
          "SELECT offsets, integers, maxima(a, b), real_x FROM t", 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pg_translate),
        cmocka_unit_test(test_nolib),
        cmocka_unit_test(test_migration_from_v1),
        cmocka_unit_test(test_newer_schema_refused),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_default_path),
        cmocka_unit_test(test_idempotence),
        cmocka_unit_test(test_effects),
        cmocka_unit_test(test_soft_window),
        cmocka_unit_test(test_remove_and_resuppress),
        cmocka_unit_test(test_history_same_second),
        cmocka_unit_test(test_quoted_local_part),
        cmocka_unit_test(test_check_batch),
        cmocka_unit_test(test_many_rows),
        cmocka_unit_test(test_not_utf8),
        cmocka_unit_test(test_implicit_transactions),
        cmocka_unit_test(test_concurrent_writers),
        cmocka_unit_test(test_busy),
        cmocka_unit_test(test_dmarc),
        cmocka_unit_test(test_tls),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
