/* cmd_warmup.c - mxdiag warmup plan|status: warm up a new IP, and check the log against it
 * SPDX-License-Identifier: MIT
 *
 * warmup plan    per provider group a daily ramp to the target (table, CSV or JSON) and the
 *                Postfix settings that enforce it; --db keeps the plan's parameters for status
 * warmup status  the mail log's volume, throttling and blocks per group and day against the
 *                plan (stored, or recomputed from the options), and per group: hold, slow
 *                down or advance, and why
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <mxdiag/log.h>
#include <mxdiag/store.h>
#include <mxdiag/warmup.h>
#include "cli.h"

#define DEFAULT_LOG "/var/log/mail.log"

static void help(FILE *out)
{
    fprintf(out,
            "usage: mxdiag warmup plan --ip IP --target N [--start DATE] [--days 14..42]\n"
            "                          [--mix GROUP=PCT,...] [--json | --csv] [--db PATH]\n"
            "       mxdiag warmup status --ip IP [--log FILE...] [--json] [--db PATH]\n"
            "                          [--target N --start DATE [--days D] [--mix ...]]\n\n"
            "Warm up a new sending IP: providers block a new IP that sends much at once\n"
            "(Microsoft 5.7.708 and S3150, Gmail 4.7.28, Yahoo TSS04).\n\n"
            "  plan    per provider group (Microsoft, Gmail, Yahoo/AOL, Apple, others) a daily\n"
            "          ramp from a small first day to its share of N messages a day over\n"
            "          --days (default 28), never more than doubling from one day to the\n"
            "          next, engaged recipients first; and the Postfix settings (a transport\n"
            "          per provider with its rate delay and concurrency) to paste. With --db\n"
            "          the plan is kept for `warmup status`.\n"
            "  status  the mail log's volume per provider group and day against the plan, with\n"
            "          deferrals and blocks, and for the last day in the log: hold, slow down\n"
            "          or advance, and why. Only lines naming IP (client or relay) when the\n"
            "          log names it; otherwise all outbound mail.\n\n"
            "options:\n"
            "  --ip IP          the new IP\n"
            "  --target N       messages a day at the end of the warm-up, all providers\n"
            "  --start DATE     day 1 (YYYY-MM-DD; default today, UTC)\n"
            "  --days D         14 to 42 (default 28)\n"
            "  --mix G=P,...    each group's percent of the target (microsoft, gmail, yahoo,\n"
            "                   apple, other; summing to 100; default 25,40,15,10,10)\n"
            "  --json, --csv    for machines (csv: plan only)\n"
            "  --log FILE...    status: the mail logs (default " DEFAULT_LOG ")\n"
            "  --db PATH        the database (else $MXDIAG_DB, else\n"
            "                   $XDG_STATE_HOME/mxdiag/mxdiag.db)\n"
            "                   or postgresql://...: a database many hosts share\n"
            "  -h, --help       this help\n\n"
            "The practice and its sources: data/warmup.md.\n"
            "exit status: 0 done, 64 bad usage, 66 no plan or log, 74 database error\n");
}

typedef struct opts {
    int status, json, csv;
    const char *ip, *target, *start, *days, *mix, *db;
    const char **logs;
    size_t nlogs;
} opts;

/* parse_count - a decimal count without sign or junk; -1 when not one. */
static long long parse_count(const char *s)
{
    long long v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s == ',' || *s == '_')
            continue;
        if (*s < '0' || *s > '9' || v > 1000000000000LL)
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v;
}

/* parse_mix - "gmail=40,microsoft=30,..." into share (groups not named: 0). */
static int parse_mix(const char *cmd, const char *s, unsigned *share)
{
    memset(share, 0, MXD_WG_N * sizeof *share);
    while (*s) {
        size_t l = strcspn(s, ","), nl = strcspn(s, "=");
        char item[64];
        snprintf(item, sizeof item, "%.*s", (int)(l < 63 ? l : 63), s);
        int g = -1;
        long long v = -1;
        if (nl < l) {
            for (int i = 0; i < MXD_WG_N; i++) {
                const char *id = mxd_warmup_group_id((mxd_warmup_group)i);
                if (strlen(id) == nl && !strncmp(s, id, nl))
                    g = i;
            }
            char num_s[32];
            snprintf(num_s, sizeof num_s, "%.*s", (int)(l - nl - 1 < 31 ? l - nl - 1 : 31),
                     s + nl + 1);
            v = parse_count(num_s);
        }
        if (g < 0 || v < 0 || v > 100) {
            cli_err(cmd,
                    "--mix: '%s' is not GROUP=PERCENT (microsoft, gmail, yahoo, apple, "
                    "other)",
                    item);
            return -1;
        }
        share[g] = (unsigned)v;
        s += l + (s[l] == ',');
    }
    return 0;
}

static const char *num(unsigned long long n, char *out)
{
    char t[32];
    int l = snprintf(t, sizeof t, "%llu", n), o = 0;
    for (int i = 0; i < l; i++) {
        if (i && (l - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = t[i];
    }
    out[o] = 0;
    return out;
}

static void today(char *out)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

/* make_plan - the plan from the options; prints its errors. */
static int make_plan(const char *cmd, const opts *o, mxd_warmup_plan **p)
{
    long long target = parse_count(o->target);
    long long days = o->days ? parse_count(o->days) : 0;
    if (target < 0) {
        cli_err(cmd, "--target '%s' is not a number of messages", o->target);
        return EX_USAGE_;
    }
    if (days < 0) {
        cli_err(cmd, "--days '%s' is not a number", o->days);
        return EX_USAGE_;
    }
    unsigned share[MXD_WG_N];
    if (o->mix && parse_mix(cmd, o->mix, share))
        return EX_USAGE_;
    char start[11];
    if (o->start)
        snprintf(start, sizeof start, "%s", o->start);
    else
        today(start);
    char why[256] = "";
    if (o->start && strlen(o->start) != 10) {
        cli_err(cmd, "--start '%s' is not a date (YYYY-MM-DD)", o->start);
        return EX_USAGE_;
    }
    mxd_err e = mxd_warmup_plan_make(o->ip, (unsigned long long)target, start,
                                     days > 1000 ? 1000 : (unsigned)days, o->mix ? share : NULL, p,
                                     why, sizeof why);
    if (e) {
        cli_err(cmd, "%s", why[0] ? why : mxd_strerror(e));
        return e == MXD_ERR_NOMEM ? EX_OSERR_ : EX_USAGE_;
    }
    return 0;
}

/* --- plan ----------------------------------------------------------------------------------- */

static void print_plan(const mxd_warmup_plan *p)
{
    char a[32], b[32];
    printf("Warm-up plan for %s: %s messages a day after %u days, from %s\n\n", p->ip,
           num(p->target, a), p->days, p->start);
    printf("Mail the engaged recipients first: the first third of the plan only those who\n"
           "opened or clicked in the last 30 days, the second third those of the last 90\n"
           "days, then the rest. Never more than double a provider's volume from one day to\n"
           "the next; hold when it defers or blocks (check with `mxdiag warmup status`).\n\n");
    printf("%3s  %-10s", "DAY", "DATE");
    for (int g = 0; g < MXD_WG_N; g++) {
        char up[16];
        const char *n = mxd_warmup_group_name((mxd_warmup_group)g);
        size_t i = 0;
        for (; n[i] && i < sizeof up - 1; i++)
            up[i] = (char)(n[i] >= 'a' && n[i] <= 'z' ? n[i] - 32 : n[i]);
        up[i] = 0;
        printf("  %9s", up);
    }
    printf("  %9s\n", "TOTAL");
    for (unsigned d = 0; d < p->days; d++) {
        char date[11];
        mxd_warmup_date(p, d, date);
        printf("%3u  %-10s", d + 1, date);
        for (int g = 0; g < MXD_WG_N; g++)
            printf("  %9s", num(p->volume[(size_t)d * MXD_WG_N + g], a));
        printf("  %9s\n", num(mxd_warmup_day_total(p, d), b));
    }
    for (int g = 0; g < MXD_WG_N; g++)
        if (p->reached[g] < 0)
            printf("\n%s does not reach %s a day in %u days without more than doubling: give "
                   "more --days (up to 42).\n",
                   mxd_warmup_group_name((mxd_warmup_group)g), num(p->goal[g], a), p->days);
    char *pf = mxd_warmup_postfix(p);
    if (pf)
        printf("\nPostfix settings that enforce it (a suggestion to paste):\n\n%s", pf);
    free(pf);
}

static int run_plan(const char *cmd, const opts *o)
{
    mxd_warmup_plan *p = NULL;
    int rc = make_plan(cmd, o, &p);
    if (rc)
        return rc;
    if (o->db) {
        mxd_store *st = NULL;
        if ((rc = cli_open_store(cmd, o->db, 0, &st))) {
            mxd_warmup_plan_free(p);
            return rc;
        }
        mxd_err e =
            mxd_store_warmup_put(st, p->ip, p->target, p->start, p->days, (long long)time(NULL));
        if (!e)
            e = mxd_store_sync(st);
        if (e) {
            cli_err(cmd, "%s", mxd_store_error(st));
            rc = e == MXD_ERR_BUSY ? EX_TEMPFAIL_ : EX_IOERR_;
        } else if (o->mix) {
            cli_err(cmd, "note: --mix is not stored: give it to `warmup status` again");
        }
        mxd_store_close(st);
    }
    if (!rc) {
        char *s = NULL;
        if (o->csv) {
            s = mxd_warmup_plan_csv(p);
            if (s)
                fputs(s, stdout);
        } else if (o->json) {
            char *js = mxd_warmup_plan_json(p, 0), *pf = mxd_warmup_postfix(p);
            json_t *j = js ? json_loads(js, 0, NULL) : NULL;
            if (j && pf)
                json_object_set_new(j, "postfix", json_string(pf));
            s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
            if (s)
                printf("%s\n", s);
            json_decref(j);
            free(js);
            free(pf);
        } else {
            print_plan(p);
            s = strdup("");
        }
        if (!s) {
            cli_err(cmd, "out of memory");
            rc = EX_OSERR_;
        }
        free(s);
    }
    mxd_warmup_plan_free(p);
    return rc;
}

/* --- status --------------------------------------------------------------------------------- */

static int on_event(void *arg, const mxd_log_event *ev)
{
    return mxd_warmup_status_add(arg, ev) != MXD_OK;
}

typedef struct table {
    json_t *days; /* --json */
    char last[11];
} table;

static int on_day(void *arg, const mxd_warmup_day *d)
{
    table *t = arg;
    const mxd_warmup_counts *c = d->c;
    if (t->days) {
        json_array_append_new(
            t->days,
            json_pack("{s:s, s:i, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "date", d->date,
                      "plan_day", d->plan_day + 1, "group", mxd_warmup_group_id(d->group),
                      "planned", (json_int_t)d->planned, "sent", (json_int_t)c->sent, "deferred",
                      (json_int_t)c->deferred, "bounced", (json_int_t)c->bounced, "throttled",
                      (json_int_t)c->throttled, "blocked", (json_int_t)c->blocked, "unknown",
                      (json_int_t)c->unknown));
        return 0;
    }
    char a[32], b[32], e[32], f[32], g[32], h[32], day[16];
    if (d->plan_day < 0)
        snprintf(day, sizeof day, "before");
    else
        snprintf(day, sizeof day, "%d", d->plan_day + 1);
    printf("%-10s  %6s  %-9s  %9s  %9s  %8s  %8s  %9s  %7s\n", d->date, day,
           mxd_warmup_group_name(d->group), d->planned ? num(d->planned, a) : "-", num(c->sent, b),
           num(c->deferred, e), num(c->bounced, f), num(c->throttled, g), num(c->blocked, h));
    return 0;
}

static int run_status(const cli_global *gl, const char *cmd, const opts *o)
{
    mxd_warmup_plan *p = NULL;
    int rc = 0;
    const char *origin = "recomputed from the options";
    if (o->target) {
        if ((rc = make_plan(cmd, o, &p)))
            return rc;
    } else {
        mxd_store *st = NULL;
        if ((rc = cli_open_store(cmd, o->db, MXD_STORE_READONLY, &st)))
            return rc;
        unsigned long long target = 0;
        unsigned days = 0;
        char start[11] = "";
        int found = 0;
        mxd_err e = mxd_store_warmup_get(st, o->ip, &target, start, &days, &found);
        if (e) {
            cli_err(cmd, "%s", mxd_store_error(st));
            mxd_store_close(st);
            return EX_IOERR_;
        }
        mxd_store_close(st);
        if (!found) {
            cli_err(cmd,
                    "no warm-up plan stored for %s: run `mxdiag warmup plan --db` or give "
                    "--target and --start",
                    o->ip);
            return EX_NOINPUT_;
        }
        char why[256] = "";
        if ((e = mxd_warmup_plan_make(o->ip, target, start, days, NULL, &p, why, sizeof why))) {
            cli_err(cmd, "the stored plan: %s", why);
            return EX_DATAERR_;
        }
        origin = "as stored";
    }
    const char *deflog[] = {DEFAULT_LOG};
    const char **logs = o->nlogs ? o->logs : deflog;
    size_t nlogs = o->nlogs ? o->nlogs : 1;
    mxd_log_input **in = calloc(nlogs, sizeof *in);
    mxd_warmup_status *ws = NULL;
    mxd_kb *kb = NULL;
    mxd_log_ctx *c = NULL;
    if (!in || mxd_warmup_status_new(p, &ws)) {
        rc = EX_OSERR_;
        goto done;
    }
    for (size_t i = 0; i < nlogs; i++) {
        char why[1024] = "";
        mxd_log_input_opts io = {0};
        if (!strcmp(logs[i], "-"))
            io.ref_time = (long long)time(NULL);
        mxd_err e = mxd_log_input_open(logs[i], &io, &in[i], why, sizeof why);
        if (e) {
            if (e == MXD_ERR_NOTFOUND)
                cli_err(cmd, "%s: no such file", logs[i]);
            else
                cli_err(cmd, "%s", why[0] ? why : mxd_strerror(e));
            rc = e == MXD_ERR_NOMEM ? EX_OSERR_ : EX_NOINPUT_;
            goto done;
        }
    }
    if ((rc = cli_open_kb(gl, cmd, &kb)))
        goto done;
    mxd_log_opts lo = {.by = MXD_LOG_BY_PROVIDER, .on_event = on_event, .arg = ws};
    if (mxd_log_new(kb, &lo, &c) != MXD_OK) {
        rc = EX_OSERR_;
        goto done;
    }
    char why[1024] = "";
    mxd_err e = mxd_log_read(c, in, nlogs, why, sizeof why);
    mxd_log_finish(c);
    if (e) {
        cli_err(cmd, "%s", e == MXD_ERR_IO ? why : mxd_strerror(e));
        rc = e == MXD_ERR_IO ? EX_IOERR_ : EX_OSERR_;
        goto done;
    }
    mxd_warmup_verdict v[MXD_WG_N];
    char last[11];
    int by_ip;
    mxd_warmup_status_verdicts(ws, v, last, &by_ip);
    table t = {0};
    char a[32];
    if (o->json) {
        json_t *j = json_object(), *vs = json_array();
        t.days = json_array();
        mxd_warmup_status_days(ws, on_day, &t);
        for (int g = 0; g < MXD_WG_N; g++)
            json_array_append_new(vs, json_pack("{s:s, s:s, s:I, s:s}", "group",
                                                mxd_warmup_group_id(v[g].group), "action",
                                                mxd_warmup_action_name(v[g].action), "volume",
                                                (json_int_t)v[g].volume, "reason", v[g].reason));
        json_object_set_new(j, "ip", json_string(p->ip));
        json_object_set_new(j, "plan",
                            json_pack("{s:s, s:i, s:I, s:s}", "start", p->start, "days",
                                      (int)p->days, "target", (json_int_t)p->target, "origin",
                                      origin));
        json_object_set_new(j, "last_day", last[0] ? json_string(last) : json_null());
        json_object_set_new(j, "counted",
                            json_string(by_ip ? "lines naming the IP" : "all outbound mail"));
        json_object_set_new(j, "days", t.days);
        json_object_set_new(j, "verdicts", vs);
        char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (s)
            printf("%s\n", s);
        free(s);
        json_decref(j);
        goto done;
    }
    printf("Warm-up of %s: %s a day after %u days from %s (plan %s)\n", p->ip, num(p->target, a),
           p->days, p->start, origin);
    if (!last[0]) {
        printf("No outbound mail in the log.\n");
        goto done;
    }
    printf("Counted: %s\n\n", by_ip ? "the log lines naming this IP"
                                    : "all outbound mail (the log does not say which IP sent)");
    printf("%-10s  %6s  %-9s  %9s  %9s  %8s  %8s  %9s  %7s\n", "DATE", "DAY", "PROVIDER", "PLANNED",
           "SENT", "DEFERRED", "BOUNCED", "THROTTLED", "BLOCKED");
    mxd_warmup_status_days(ws, on_day, &t);
    printf("\nFor today, from %s:\n", last);
    for (int g = 0; g < MXD_WG_N; g++) {
        if (v[g].action == MXD_WARMUP_NONE)
            continue;
        char act[16];
        snprintf(act, sizeof act, "%s", mxd_warmup_action_name(v[g].action));
        for (char *q = act; *q; q++)
            *q = (char)(*q >= 'a' && *q <= 'z' ? *q - 32 : *q);
        printf("  %-10s %-10s %s\n", mxd_warmup_group_name(v[g].group), act, v[g].reason);
    }
done:
    mxd_log_free(c);
    mxd_kb_free(kb);
    for (size_t i = 0; in && i < nlogs; i++)
        mxd_log_input_close(in[i]);
    free(in);
    mxd_warmup_status_free(ws);
    mxd_warmup_plan_free(p);
    return rc;
}

int cmd_warmup(const cli_global *g, int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        help(argc < 2 ? stderr : stdout);
        return argc < 2 ? EX_USAGE_ : 0;
    }
    opts o = {0};
    o.status = !strcmp(argv[1], "status");
    if (!o.status && strcmp(argv[1], "plan")) {
        cli_err("warmup", "unknown subcommand '%s': plan or status (try --help)", argv[1]);
        return EX_USAGE_;
    }
    const char *cmd = o.status ? "warmup status" : "warmup plan";
    o.logs = calloc((size_t)argc, sizeof *o.logs);
    if (!o.logs)
        return EX_OSERR_;
    int rc = 0, in_log = 0;
    for (int i = 2; i < argc && !rc; i++) {
        const char *a = argv[i];
        const char **slot = NULL, *name = NULL;
        if (a[0] == '-' && a[1])
            in_log = 0;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            help(stdout);
            free(o.logs);
            return 0;
        } else if (!strcmp(a, "--json")) {
            o.json = 1;
        } else if (!o.status && !strcmp(a, "--csv")) {
            o.csv = 1;
        } else if (cli_is_opt(a, "--ip")) {
            slot = &o.ip, name = "--ip";
        } else if (cli_is_opt(a, "--target")) {
            slot = &o.target, name = "--target";
        } else if (cli_is_opt(a, "--start")) {
            slot = &o.start, name = "--start";
        } else if (cli_is_opt(a, "--days")) {
            slot = &o.days, name = "--days";
        } else if (cli_is_opt(a, "--mix")) {
            slot = &o.mix, name = "--mix";
        } else if (cli_is_opt(a, "--db")) {
            slot = &o.db, name = "--db";
        } else if (o.status && cli_is_opt(a, "--log")) {
            const char *v = cli_take_value(cmd, argc, argv, &i, "--log", 0);
            if (!v)
                rc = EX_USAGE_;
            else
                o.logs[o.nlogs++] = v;
            in_log = 1;
        } else if (in_log && (a[0] != '-' || !a[1])) {
            o.logs[o.nlogs++] = a;
        } else if (a[0] == '-') {
            cli_err(cmd, "unknown option '%s' (try --help)", a);
            rc = EX_USAGE_;
        } else {
            cli_err(cmd, "unexpected argument '%s' (try --help)", a);
            rc = EX_USAGE_;
        }
        if (slot && !(*slot = cli_take_value(cmd, argc, argv, &i, name, 0)))
            rc = EX_USAGE_;
    }
    if (!rc && !o.ip) {
        cli_err(cmd, "--ip is required");
        rc = EX_USAGE_;
    }
    if (!rc && !o.status && !o.target) {
        cli_err(cmd, "--target is required");
        rc = EX_USAGE_;
    }
    if (!rc && o.json && o.csv) {
        cli_err(cmd, "--json or --csv, not both");
        rc = EX_USAGE_;
    }
    if (!rc && o.nlogs > MXD_LOG_INPUTS_MAX) {
        cli_err(cmd, "at most %d logs at once", MXD_LOG_INPUTS_MAX);
        rc = EX_USAGE_;
    }
    if (!rc)
        rc = o.status ? run_status(g, cmd, &o) : run_plan(cmd, &o);
    free(o.logs);
    return rc;
}
