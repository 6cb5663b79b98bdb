/* cmd_suppress.c - mxdiag suppress: the suppression list kept by mxdiag ingest
 * SPDX-License-Identifier: MIT
 *
 *   list [--all] [--format text|csv|jsonl]    every suppressed address
 *   check ADDR... | -                         is it suppressed? (exit 1 when one is)
 *   add ADDR --reason R                       suppress by hand
 *   remove ADDR                               lift (the history stays)
 *   history ADDR                              the events and actions of one address
 *   export [--format postfix|csv|jsonl]       for the MTA: a check_recipient_access map
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include <mxdiag/store.h>
#include "cli.h"

#define ADDR_MAX 512 /* longest address read by check - */

enum { FMT_TEXT, FMT_CSV, FMT_JSONL, FMT_POSTFIX };

static void help(FILE *out)
{
    fprintf(out, "usage: mxdiag suppress list [--all] [--format text|csv|jsonl] [--db PATH]\n"
                 "       mxdiag suppress check ADDR... | - [--db PATH]\n"
                 "       mxdiag suppress add ADDR --reason R [--db PATH]\n"
                 "       mxdiag suppress remove ADDR [--db PATH]\n"
                 "       mxdiag suppress history ADDR [--db PATH]\n"
                 "       mxdiag suppress export [--format postfix|csv|jsonl] [--db PATH]\n\n"
                 "The suppression list `mxdiag ingest` keeps: addresses that hard-bounced or\n"
                 "complained (or soft-bounced too often), with the reason, first and last seen,\n"
                 "the number of events and the message that caused it. Addresses are compared\n"
                 "in lower case.\n\n"
                 "  list      the active entries (--all: also removed ones); jsonl gives\n"
                 "            {address, reason, first_seen, last_seen, count, source} per line\n"
                 "  check     each ADDR (or one per line on standard input with '-'): suppressed\n"
                 "            or not; exit status 1 when at least one is\n"
                 "  add       suppress ADDR by hand, with a reason\n"
                 "  remove    lift ADDR; its history is kept, a new hard bounce suppresses again\n"
                 "  history   every bounce, complaint and action recorded for ADDR\n"
                 "  export    postfix (default): a map for check_recipient_access, ready for\n"
                 "            postmap; csv; jsonl\n\n"
                 "options:\n"
                 "  --db PATH  the database (else $MXDIAG_DB, else\n"
                 "             $XDG_STATE_HOME/mxdiag/mxdiag.db)\n"
                 "             or postgresql://...: a database many hosts share\n"
                 "  -h, --help this help\n\n"
                 "exit status: 0 done (check: none suppressed), 1 check: an address is\n"
                 "suppressed, 64 bad usage, 65 remove: not suppressed, 66 no database yet,\n"
                 "74 database error, 75 locked\n");
}

static void iso(long long t, char *out, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!t || !gmtime_r(&tt, &tm) || !strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, len, "-");
}

/* csv_field - a CSV field (RFC 4180: quoted when it holds a comma, quote or line break). */
static void csv_field(FILE *f, const char *s)
{
    s = s ? s : "";
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

typedef struct out {
    int fmt;
    unsigned long n;
    unsigned long unkeyed; /* addresses an access(5) key cannot hold (a quoted blank) */
} out;

static int print_entry(void *arg, const mxd_suppression *e)
{
    out *o = arg;
    char first[32], last[32];
    iso(e->first_seen, first, sizeof first);
    iso(e->last_seen, last, sizeof last);
    o->n++;
    switch (o->fmt) {
    case FMT_JSONL: {
        json_t *j =
            json_pack("{s:s, s:s?, s:s?, s:I, s:I, s:I, s:s?, s:b}", "address", e->address,
                      "reason", e->reason, "effect", e->effect, "first_seen",
                      (json_int_t)e->first_seen, "last_seen", (json_int_t)e->last_seen, "count",
                      (json_int_t)e->count, "source", e->source, "active", e->active);
        char *s = j ? json_dumps(j, JSON_PRESERVE_ORDER | JSON_COMPACT) : NULL;
        if (s)
            printf("%s\n", s);
        free(s);
        json_decref(j);
        break;
    }
    case FMT_CSV:
        csv_field(stdout, e->address);
        putchar(',');
        csv_field(stdout, e->reason);
        putchar(',');
        csv_field(stdout, e->effect);
        printf(",%s,%s,%llu,", first, last, e->count);
        csv_field(stdout, e->source);
        printf(",%s\n", e->active ? "yes" : "no");
        break;
    case FMT_POSTFIX:
        /* access(5): the key, then the action; the text says why to whoever submits. A key
         * ends at the first blank: an address with a quoted blank has none */
        if (strpbrk(e->address, " \t\r\n\v\f")) {
            o->unkeyed++;
            break;
        }
        printf("%s REJECT suppressed by mxdiag: %s (%s) since %.10s\n", e->address,
               e->effect ? e->effect : "manual", e->reason ? e->reason : "-", first);
        break;
    default:
        printf("%-40s %-9s %-16s %s .. %s  %llu  %s%s\n", e->address, e->effect ? e->effect : "",
               e->reason ? e->reason : "", first, last, e->count, e->source ? e->source : "",
               e->active ? "" : "  (removed)");
    }
    return 0;
}

static int parse_format(const char *v, int allow_postfix, int *fmt)
{
    if (!strcmp(v, "text") && !allow_postfix)
        *fmt = FMT_TEXT;
    else if (!strcmp(v, "csv"))
        *fmt = FMT_CSV;
    else if (!strcmp(v, "jsonl"))
        *fmt = FMT_JSONL;
    else if (!strcmp(v, "postfix") && allow_postfix)
        *fmt = FMT_POSTFIX;
    else {
        cli_err("suppress", "unknown format '%s' (%s)", v,
                allow_postfix ? "postfix, csv or jsonl" : "text, csv or jsonl");
        return -1;
    }
    return 0;
}

static int store_fail(mxd_store *st, mxd_err e)
{
    cli_err("suppress", "%s", mxd_store_error(st)[0] ? mxd_store_error(st) : mxd_strerror(e));
    return e == MXD_ERR_BUSY ? EX_TEMPFAIL_ : EX_IOERR_;
}

typedef struct checker {
    unsigned long hits;
    char **lines; /* the lines of this batch's hits, in the order of the addresses */
    size_t nlines;
} checker;

static int on_hit(void *arg, const mxd_suppression *e)
{
    checker *c = arg;
    char first[32], line[1024];
    iso(e->first_seen, first, sizeof first);
    c->hits++;
    snprintf(line, sizeof line, "%s: suppressed (%s, %s) since %s, %llu event%s, from %s\n",
             e->address, e->effect ? e->effect : "", e->reason ? e->reason : "-", first, e->count,
             e->count == 1 ? "" : "s", e->source ? e->source : "-");
    c->lines[c->nlines++] = strdup(line);
    return 0;
}

/* check_batch - look up n addresses and print one line each, in their order (the hits come
 * back from the store in that order). */
static int check_batch(mxd_store *st, char **addr, size_t n, checker *c)
{
    int *hit = calloc(n ? n : 1, sizeof *hit);
    c->lines = calloc(n ? n : 1, sizeof *c->lines);
    c->nlines = 0;
    if (!hit || !c->lines) {
        free(hit);
        free(c->lines);
        return EX_OSERR_;
    }
    mxd_err e = mxd_store_suppress_check(st, (const char *const *)addr, n, hit, on_hit, c);
    size_t k = 0;
    for (size_t i = 0; !e && i < n; i++) {
        if (!hit[i])
            printf("%s: not suppressed\n", addr[i]);
        else if (k < c->nlines && c->lines[k])
            fputs(c->lines[k++], stdout);
    }
    for (size_t i = 0; i < c->nlines; i++)
        free(c->lines[i]);
    free(c->lines);
    c->lines = NULL;
    free(hit);
    return e ? store_fail(st, e) : 0;
}

#define CHECK_BATCH 50000

static int check_stdin(mxd_store *st, checker *c)
{
    char **v = calloc(CHECK_BATCH, sizeof *v);
    if (!v)
        return EX_OSERR_;
    size_t n = 0;
    int rc = 0;
    char line[ADDR_MAX + 2];
    while (!rc && fgets(line, sizeof line, stdin)) {
        size_t l = strlen(line);
        if (l && line[l - 1] != '\n' && !feof(stdin)) {
            int ch;
            while ((ch = getchar()) != EOF && ch != '\n')
                ;
            cli_err("suppress", "an address longer than %d bytes was skipped", ADDR_MAX);
            continue;
        }
        while (l && (line[l - 1] == '\n' || line[l - 1] == '\r' || line[l - 1] == ' '))
            line[--l] = 0;
        if (!l)
            continue;
        if (!(v[n++] = strdup(line)))
            rc = EX_OSERR_;
        if (n == CHECK_BATCH) {
            if (!rc)
                rc = check_batch(st, v, n, c);
            for (size_t i = 0; i < n; i++)
                free(v[i]);
            n = 0;
        }
    }
    if (!rc && n)
        rc = check_batch(st, v, n, c);
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
    return rc;
}

static int print_history(void *arg, long long at, const char *what, const char *reason,
                         const char *source)
{
    char t[32];
    iso(at, t, sizeof t);
    (*(unsigned long *)arg)++;
    printf("%s  %-10s %-16s %s\n", t, what ? what : "", reason ? reason : "-",
           source ? source : "-");
    return 0;
}

int cmd_suppress(const cli_global *g, int argc, char **argv)
{
    (void)g;
    const char *sub = NULL, *db = NULL, *reason = NULL;
    int fmt = -1, all = 0, rc = 0, n = 0;
    char **args = calloc((size_t)argc + 1, sizeof *args);
    if (!args)
        return EX_OSERR_;
    for (int i = 1; i < argc && !rc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            help(stdout);
            free(args);
            return 0;
        }
        if (a[0] != '-' || !strcmp(a, "-")) {
            if (!sub)
                sub = a;
            else
                args[n++] = argv[i];
        } else if (cli_is_opt(a, "--db")) {
            if (!(db = cli_take_value("suppress", argc, argv, &i, "--db", 0)))
                rc = EX_USAGE_;
        } else if (cli_is_opt(a, "--reason")) {
            if (!(reason = cli_take_value("suppress", argc, argv, &i, "--reason", 0)))
                rc = EX_USAGE_;
        } else if (cli_is_opt(a, "--format")) {
            int exp = sub && !strcmp(sub, "export");
            if (!(v = cli_take_value("suppress", argc, argv, &i, "--format", 0)) ||
                parse_format(v, exp, &fmt))
                rc = EX_USAGE_;
        } else if (!strcmp(a, "--all")) {
            all = 1;
        } else {
            cli_err("suppress", "unknown option '%s' (try --help)", a);
            rc = EX_USAGE_;
        }
    }
    static const char *const subs[] = {"list", "check", "add", "remove", "history", "export"};
    int known = 0;
    for (size_t k = 0; sub && k < sizeof subs / sizeof *subs; k++)
        known |= !strcmp(sub, subs[k]);
    if (!rc && !known) {
        cli_err("suppress",
                sub ? "unknown subcommand '%s' (list, check, add, remove, history, "
                      "export)"
                    : "a subcommand is needed: list, check, add, remove, history, "
                      "export%s",
                sub ? sub : "");
        rc = EX_USAGE_;
    }
    int need_one =
        sub && (!strcmp(sub, "add") || !strcmp(sub, "remove") || !strcmp(sub, "history"));
    if (!rc && need_one && n != 1) {
        cli_err("suppress", "%s takes one address", sub);
        rc = EX_USAGE_;
    }
    if (!rc && !strcmp(sub, "check") && !n) {
        cli_err("suppress", "check needs addresses (or '-' to read them from standard input)");
        rc = EX_USAGE_;
    }
    if (!rc && !strcmp(sub, "add") && !reason) {
        cli_err("suppress", "add needs --reason R (why the address is suppressed)");
        rc = EX_USAGE_;
    }
    if (!rc && (!strcmp(sub, "list") || !strcmp(sub, "export")) && n) {
        cli_err("suppress", "%s takes no address", sub);
        rc = EX_USAGE_;
    }
    if (!rc && need_one && !strchr(args[0], '@')) {
        cli_err("suppress", "'%s' is not an e-mail address", args[0]);
        rc = EX_USAGE_;
    }
    if (rc) {
        free(args);
        return rc;
    }
    int writes = !strcmp(sub, "add") || !strcmp(sub, "remove");
    mxd_store *st = NULL;
    rc = cli_open_store("suppress", db, writes ? 0 : MXD_STORE_READONLY, &st);
    if (rc == EX_NOINPUT_ && !writes) {
        /* no database yet: nothing is suppressed */
        rc = 0;
        if (!strcmp(sub, "list") && fmt <= FMT_TEXT)
            printf("no address is suppressed\n");
        if (!strcmp(sub, "check"))
            for (int i = 0; i < n; i++)
                if (strcmp(args[i], "-"))
                    printf("%s: not suppressed\n", args[i]);
        free(args);
        return rc;
    }
    if (rc) {
        free(args);
        return rc;
    }
    mxd_err e = MXD_OK;
    long long now = (long long)time(NULL);
    if (!strcmp(sub, "list") || !strcmp(sub, "export")) {
        out o = {fmt >= 0 ? fmt : !strcmp(sub, "export") ? FMT_POSTFIX : FMT_TEXT, 0, 0};
        if (o.fmt == FMT_CSV)
            printf("address,reason,effect,first_seen,last_seen,count,source,active\n");
        if (o.fmt == FMT_POSTFIX)
            printf("# mxdiag suppression list for check_recipient_access; run postmap on "
                   "this file\n");
        e = mxd_store_suppress_each(st, all && !strcmp(sub, "list"), print_entry, &o);
        if (!e && o.fmt == FMT_TEXT && !o.n)
            printf("no address is suppressed\n");
        if (!e && o.unkeyed)
            cli_err("suppress",
                    "%lu address%s with a blank in a quoted local part left out: an access(5) "
                    "key cannot hold one (list --format csv shows them)",
                    o.unkeyed, o.unkeyed == 1 ? "" : "es");
    } else if (!strcmp(sub, "check")) {
        checker c = {0, NULL, 0};
        int dash = 0;
        char **plain = calloc((size_t)n + 1, sizeof *plain);
        size_t np = 0;
        if (!plain)
            rc = EX_OSERR_;
        for (int i = 0; plain && i < n; i++) {
            if (!strcmp(args[i], "-"))
                dash = 1;
            else
                plain[np++] = args[i];
        }
        if (!rc && np)
            rc = check_batch(st, plain, np, &c);
        if (!rc && dash)
            rc = check_stdin(st, &c);
        free(plain);
        if (!rc && c.hits)
            rc = 1;
    } else if (!strcmp(sub, "add")) {
        e = mxd_store_suppress_add(st, args[0], reason, now);
        if (!e)
            printf("%s: suppressed (manual, %s)\n", args[0], reason);
    } else if (!strcmp(sub, "remove")) {
        int found = 0;
        e = mxd_store_suppress_remove(st, args[0], now, &found);
        if (!e && found)
            printf("%s: removed from the suppression list (its history is kept)\n", args[0]);
        else if (!e) {
            cli_err("suppress", "%s is not suppressed", args[0]);
            rc = EX_DATAERR_;
        }
    } else if (!strcmp(sub, "history")) {
        unsigned long k = 0;
        e = mxd_store_history_each(st, args[0], print_history, &k);
        if (!e && !k)
            printf("nothing recorded for %s\n", args[0]);
    }
    if (!e && writes)
        e = mxd_store_sync(st);
    if (e)
        rc = store_fail(st, e);
    mxd_store_close(st);
    free(args);
    if (fflush(stdout) || ferror(stdout))
        return cli_stdout_status("suppress", 0);
    return rc;
}
