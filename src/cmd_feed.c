/* cmd_feed.c - mxdiag feed snds|gpt: import provider feeds into the store
 * SPDX-License-Identifier: MIT
 *
 * feed snds FILE...   SNDS reports saved from either generation (CSV or JSON)
 * feed snds --fetch   the same from the 2026 REST API (token file, renewed when needed)
 * feed gpt FILE...    Google Postmaster Tools JSON (v1 trafficStats, v2 domainStats)
 *
 * Each file is read whole (at most MXD_FEED_MAX_INPUT bytes) and stored in one transaction; a
 * file that cannot be read as a report is named on stderr and skipped, the others are still
 * stored, and the command exits 65.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <mxdiag/feed.h>
#include <mxdiag/store.h>
#include "cli.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: mxdiag feed snds (FILE... | --fetch) [--token-file F] [--date D]\n"
            "                        [--json] [--db PATH]\n"
            "       mxdiag feed gpt FILE... [--json] [--db PATH]\n\n"
            "Import what the providers say about your IPs and domains into the store.\n\n"
            "  snds  Microsoft SNDS: the IP data report (per IP and day: filter result\n"
            "        GREEN/YELLOW/RED, complaint rate, trap hits, RCPT/DATA/recipients, sample\n"
            "        HELO and MAIL FROM) and the IP status report (blocked ranges), as CSV of\n"
            "        either generation (old data.aspx/ipStatus exports, the 2026 portal) or\n"
            "        the REST API's JSON; column names are matched loosely\n"
            "  gpt   Google Postmaster Tools API JSON (v1 trafficStats, v2 domainStats): spam\n"
            "        rate, IP and domain reputation, authentication success, delivery errors\n\n"
            "A re-import of the same report changes nothing (one row per IP or domain and\n"
            "day). FILE '-' reads standard input.\n\n"
            "options:\n"
            "  --fetch          snds: ask the SNDS REST API instead of reading files\n"
            "  --token-file F   the OAuth 2.0 token, a JSON file of mode 0600 (default\n"
            "                   $XDG_CONFIG_HOME/mxdiag/snds-token.json); renewed with its\n"
            "                   refresh token when expired or refused, never printed\n"
            "  --date D         snds: the day to fetch (YYYY-MM-DD; default: the API's latest),\n"
            "                   and the day of rows that carry no activity period\n"
            "  --url URL        the API base (else $MXDIAG_SNDS_URL, else\n"
            "                   " MXD_SNDS_DEFAULT_URL ")\n"
            "  --token-url URL  the token endpoint (else $MXDIAG_SNDS_TOKEN_URL, else the token\n"
            "                   file's token_endpoint, else Microsoft's consumers endpoint)\n"
            "  --json           what was stored, as JSON\n"
            "  --db PATH        the database (else $MXDIAG_DB, else\n"
            "                   $XDG_STATE_HOME/mxdiag/mxdiag.db)\n"
            "                   or postgresql://...: a database many hosts share\n"
            "  -h, --help       this help\n\n"
            "exit status: 0 stored, 64 bad usage, 65 a file or answer is not a report (the\n"
            "others are stored), 66 a file cannot be opened, 69 the API or libcurl cannot be\n"
            "reached, 74 database error, 75 database locked, 78 the token file is unsafe or\n"
            "unusable\n");
}

typedef struct opts {
    int json, fetch;
    const char *db, *token_file, *date, *url, *token_url;
    const char **files;
    size_t nfiles;
} opts;

static const char *pct(double v, char *out, size_t n)
{
    if (v < 0)
        snprintf(out, n, "-");
    else
        snprintf(out, n, "%.2f%%", v * 100);
    return out;
}

static const char *cnt(long long v, char *out, size_t n)
{
    if (v < 0)
        snprintf(out, n, "-");
    else
        snprintf(out, n, "%lld", v);
    return out;
}

/* --- storing --------------------------------------------------------------------------------- */

static int store_fail(const char *cmd, mxd_store *st, mxd_err e)
{
    cli_err(cmd, "%s", mxd_store_error(st));
    return e == MXD_ERR_BUSY ? EX_TEMPFAIL_ : EX_IOERR_;
}

static int store_snds(const char *cmd, mxd_store *st, const mxd_snds_report *r, const char *source,
                      size_t *nnew, size_t *nold)
{
    long long now = (long long)time(NULL);
    mxd_err e = mxd_store_begin(st);
    for (size_t i = 0; !e && i < r->nrows; i++) {
        int added = 0;
        e = mxd_store_snds_put(st, &r->rows[i], source, now, &added);
        *(added ? nnew : nold) += 1;
    }
    for (size_t i = 0; !e && i < r->nblocks; i++) {
        int added = 0;
        e = mxd_store_snds_block_put(st, &r->blocks[i], source, now, &added);
        *(added ? nnew : nold) += 1;
    }
    if (!e)
        e = mxd_store_commit(st);
    if (e) {
        mxd_store_rollback(st);
        return store_fail(cmd, st, e);
    }
    return 0;
}

static void print_snds(const mxd_snds_report *r, const char *source, size_t nnew, size_t nold)
{
    printf("%s: %zu IP-day%s, %zu range%s (%zu new, %zu already stored)\n", source, r->nrows,
           r->nrows == 1 ? "" : "s", r->nblocks, r->nblocks == 1 ? "" : "s", nnew, nold);
    if (r->nrows)
        printf("  %-10s  %-15s  %-6s  %-14s  %5s  %7s  %7s  %10s\n", "DATE", "IP", "FILTER",
               "COMPLAINTS", "TRAPS", "RCPT", "DATA", "RECIPIENTS");
    for (size_t i = 0; i < r->nrows; i++) {
        const mxd_snds_row *w = &r->rows[i];
        char a[24], b[24], c[24], d[24];
        printf("  %-10s  %-15s  %-6s  %-14s  %5s  %7s  %7s  %10s\n", w->date, w->ip,
               w->filter ? w->filter : "-", w->complaint ? w->complaint : "-",
               cnt(w->trap_hits, a, sizeof a), cnt(w->rcpt, b, sizeof b), cnt(w->data, c, sizeof c),
               cnt(w->recipients, d, sizeof d));
    }
    for (size_t i = 0; i < r->nblocks; i++) {
        const mxd_snds_block *k = &r->blocks[i];
        printf("  %s %s - %s%s%s\n",
               k->blocked == 1   ? "BLOCKED"
               : k->blocked == 0 ? "not blocked"
                                 : "range",
               k->first_ip, k->last_ip, k->reason ? ": " : "", k->reason ? k->reason : "");
    }
}

static int store_gpt(const char *cmd, mxd_store *st, const mxd_gpt_report *r, const char *source,
                     size_t *nnew, size_t *nold)
{
    long long now = (long long)time(NULL);
    mxd_err e = mxd_store_begin(st);
    for (size_t i = 0; !e && i < r->ndays; i++) {
        int added = 0;
        e = mxd_store_gpt_put(st, &r->days[i], source, now, &added);
        *(added ? nnew : nold) += 1;
    }
    if (!e)
        e = mxd_store_commit(st);
    if (e) {
        mxd_store_rollback(st);
        return store_fail(cmd, st, e);
    }
    return 0;
}

static void print_gpt(const mxd_gpt_report *r, const char *source, size_t nnew, size_t nold)
{
    printf("%s: %zu domain-day%s from Postmaster Tools %s (%zu new, %zu already stored)\n", source,
           r->ndays, r->ndays == 1 ? "" : "s", r->format, nnew, nold);
    if (r->ndays)
        printf("  %-10s  %-20s  %-6s  %-10s  %-7s  %-7s  %-7s  %s\n", "DATE", "DOMAIN", "SPAM",
               "REPUTATION", "SPF", "DKIM", "DMARC", "ERRORS");
    for (size_t i = 0; i < r->ndays; i++) {
        const mxd_gpt_day *d = &r->days[i];
        char a[16], b[16], c[16], e[16], f[16];
        printf("  %-10s  %-20s  %-6s  %-10s  %-7s  %-7s  %-7s  %s\n", d->date, d->domain,
               pct(d->spam_rate, a, sizeof a), d->domain_reputation ? d->domain_reputation : "-",
               pct(d->spf, b, sizeof b), pct(d->dkim, c, sizeof c), pct(d->dmarc, e, sizeof e),
               pct(d->delivery_error_rate, f, sizeof f));
        for (size_t j = 0; j < d->nipreps; j++) {
            printf("    IP reputation %s:",
                   d->ipreps[j].reputation ? d->ipreps[j].reputation : "unspecified");
            for (size_t k = 0; k < d->ipreps[j].nips; k++)
                printf(" %s", d->ipreps[j].ips[k]);
            printf("\n");
        }
        if (d->spam_rate >= 0.003)
            printf("    spam rate %.2f%% is at or above Gmail's 0.30%% limit: mail will be "
                   "rejected or sent to spam\n",
                   d->spam_rate * 100);
        else if (d->spam_rate >= 0.001)
            printf("    spam rate %.2f%% is above the 0.10%% Gmail asks senders to stay under\n",
                   d->spam_rate * 100);
    }
}

/* --- the JSON answer ---------------------------------------------------------------------- */

static void json_add(json_t *arr, const char *source, char *report, size_t nnew, size_t nold)
{
    json_t *r = report ? json_loads(report, 0, NULL) : NULL;
    free(report);
    json_array_append_new(arr, json_pack("{s:s, s:I, s:I, s:o?}", "source", source, "new",
                                         (json_int_t)nnew, "already_stored", (json_int_t)nold,
                                         "report", r));
}

static int read_file(const char *cmd, const char *path, char **data, size_t *len)
{
    int err = 0;
    FILE *f = cli_open_input(path, &err);
    if (!f) {
        cli_err(cmd, "%s: %s", path, cli_strerror(err));
        return EX_NOINPUT_;
    }
    *data = cli_read_stream(f, (size_t)MXD_FEED_MAX_INPUT + 1, len);
    int saved = errno;
    if (f != stdin)
        fclose(f);
    if (!*data) {
        cli_err(cmd, "%s: %s", path, strerror(saved ? saved : ENOMEM));
        return EX_IOERR_;
    }
    return 0;
}

/* is_day - "YYYY-MM-DD" with a month 01-12 and a day 01-31 (the library checks the calendar) */
static int is_day(const char *s)
{
    static const char shape[] = "dddd-dd-dd";
    for (size_t i = 0; i < sizeof shape - 1; i++)
        if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != '-')
            return 0;
    int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    return !s[10] && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

static int run_files(const char *cmd, int snds, const opts *o, mxd_store *st)
{
    int rc = 0;
    json_t *arr = o->json ? json_array() : NULL;
    for (size_t i = 0; i < o->nfiles; i++) {
        const char *path = o->files[i];
        char *data;
        size_t len;
        int r = read_file(cmd, path, &data, &len);
        if (r) {
            rc = rc ? rc : r; /* the first failure's status */
            continue;
        }
        char why[512] = "";
        size_t nnew = 0, nold = 0;
        mxd_err e;
        if (snds) {
            mxd_snds_report *rep = NULL;
            e = mxd_snds_parse(data, len, o->date, &rep, why, sizeof why);
            if (!e && !(r = store_snds(cmd, st, rep, path, &nnew, &nold))) {
                if (arr)
                    json_add(arr, path, mxd_snds_json(rep, 0), nnew, nold);
                else
                    print_snds(rep, path, nnew, nold);
            }
            mxd_snds_free(rep);
        } else {
            mxd_gpt_report *rep = NULL;
            e = mxd_gpt_parse(data, len, &rep, why, sizeof why);
            if (!e && !(r = store_gpt(cmd, st, rep, path, &nnew, &nold))) {
                if (arr)
                    json_add(arr, path, mxd_gpt_json(rep, 0), nnew, nold);
                else
                    print_gpt(rep, path, nnew, nold);
            }
            mxd_gpt_free(rep);
        }
        free(data);
        if (e) {
            cli_err(cmd, "%s: not %s: %s", path,
                    snds ? "an SNDS report" : "a Postmaster Tools answer",
                    why[0] ? why : mxd_strerror(e));
            r = e == MXD_ERR_NOMEM ? EX_OSERR_ : EX_DATAERR_;
        }
        if (r && !rc)
            rc = r;
        if (r == EX_IOERR_ || r == EX_TEMPFAIL_)
            break; /* the database: the next file would fail the same way */
    }
    if (arr) {
        char *s = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(8));
        if (s)
            printf("%s\n", s);
        free(s);
        json_decref(arr);
    }
    if (mxd_store_sync(st) && !rc) {
        cli_err(cmd, "%s", mxd_store_error(st));
        rc = EX_IOERR_;
    }
    return rc;
}

static int run_fetch(const char *cmd, const opts *o, mxd_store *st)
{
    char deftok[4096];
    const char *tok = o->token_file;
    if (!tok) {
        const char *x = getenv("XDG_CONFIG_HOME"), *h = getenv("HOME");
        if (x && *x)
            snprintf(deftok, sizeof deftok, "%s/mxdiag/snds-token.json", x);
        else if (h && *h)
            snprintf(deftok, sizeof deftok, "%s/.config/mxdiag/snds-token.json", h);
        else {
            cli_err(cmd, "no token file: give --token-file F");
            return EX_USAGE_;
        }
        tok = deftok;
    }
    mxd_snds_fetch_opts fo = {
        .base_url = o->url,
        .token_url = o->token_url,
        .token_file = tok,
        .date = o->date,
        .now = (long long)time(NULL),
    };
    mxd_snds_report *data = NULL, *status = NULL;
    mxd_snds_fetch_info info;
    char why[768] = "";
    mxd_err e = mxd_snds_fetch(&fo, &data, &status, &info, why, sizeof why);
    if (e) {
        cli_err(cmd, "%s", why[0] ? why : mxd_strerror(e));
        switch (e) {
        case MXD_ERR_PARSE:
        case MXD_ERR_TOOBIG:
            return EX_DATAERR_;
        case MXD_ERR_NOTFOUND:
            return EX_NOINPUT_;
        case MXD_ERR_INVALID:
            return EX_CONFIG_;
        case MXD_ERR_NOMEM:
            return EX_OSERR_;
        default:
            return EX_UNAVAILABLE_;
        }
    }
    if (info.refreshed)
        fprintf(stderr, "%s: %s: the token was renewed (%s rewritten)\n", cli_prog, cmd, tok);
    int rc = 0;
    json_t *arr = o->json ? json_array() : NULL;
    mxd_snds_report *reps[2] = {data, status};
    const char *urls[2] = {info.data_url, info.status_url};
    for (int i = 0; i < 2 && !rc; i++) {
        size_t nnew = 0, nold = 0;
        if (!reps[i]) {
            if (!arr)
                printf("%s: nothing reported\n", urls[i]);
            continue;
        }
        if ((rc = store_snds(cmd, st, reps[i], urls[i], &nnew, &nold)))
            break;
        if (arr)
            json_add(arr, urls[i], mxd_snds_json(reps[i], 0), nnew, nold);
        else
            print_snds(reps[i], urls[i], nnew, nold);
    }
    mxd_snds_free(data);
    mxd_snds_free(status);
    if (arr) {
        char *s = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(8));
        if (s)
            printf("%s\n", s);
        free(s);
        json_decref(arr);
    }
    if (!rc && mxd_store_sync(st)) {
        cli_err(cmd, "%s", mxd_store_error(st));
        rc = EX_IOERR_;
    }
    return rc;
}

int cmd_feed(const cli_global *g, int argc, char **argv)
{
    (void)g;
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        help(argc < 2 ? stderr : stdout);
        return argc < 2 ? EX_USAGE_ : 0;
    }
    int snds = !strcmp(argv[1], "snds");
    if (!snds && strcmp(argv[1], "gpt")) {
        cli_err("feed", "unknown feed '%s': snds or gpt (try --help)", argv[1]);
        return EX_USAGE_;
    }
    const char *cmd = snds ? "feed snds" : "feed gpt";
    opts o = {0};
    o.files = calloc((size_t)argc, sizeof *o.files);
    if (!o.files)
        return EX_OSERR_;
    int rc = 0;
    for (int i = 2; i < argc && !rc; i++) {
        const char *a = argv[i];
        const char **slot = NULL, *name = NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            help(stdout);
            free(o.files);
            return 0;
        } else if (!strcmp(a, "--json")) {
            o.json = 1;
        } else if (snds && !strcmp(a, "--fetch")) {
            o.fetch = 1;
        } else if (cli_is_opt(a, "--db")) {
            slot = &o.db, name = "--db";
        } else if (snds && cli_is_opt(a, "--token-file")) {
            slot = &o.token_file, name = "--token-file";
        } else if (snds && cli_is_opt(a, "--date")) {
            slot = &o.date, name = "--date";
        } else if (snds && cli_is_opt(a, "--url")) {
            slot = &o.url, name = "--url";
        } else if (snds && cli_is_opt(a, "--token-url")) {
            slot = &o.token_url, name = "--token-url";
        } else if (a[0] == '-' && a[1]) {
            cli_err(cmd, "unknown option '%s' (try --help)", a);
            rc = EX_USAGE_;
        } else {
            o.files[o.nfiles++] = a;
        }
        if (slot && !(*slot = cli_take_value(cmd, argc, argv, &i, name, 0)))
            rc = EX_USAGE_;
    }
    if (!rc && o.fetch && o.nfiles) {
        cli_err(cmd, "give files or --fetch, not both");
        rc = EX_USAGE_;
    }
    if (!rc && !o.fetch && !o.nfiles) {
        cli_err(cmd, snds ? "no input: give FILE... or --fetch" : "no input: give FILE...");
        rc = EX_USAGE_;
    }
    if (!rc && o.date && !is_day(o.date)) {
        cli_err(cmd, "--date '%s' is not a date (YYYY-MM-DD)", o.date);
        rc = EX_USAGE_;
    }
    mxd_store *st = NULL;
    if (!rc)
        rc = cli_open_store(cmd, o.db, 0, &st);
    if (!rc)
        rc = o.fetch ? run_fetch(cmd, &o, st) : run_files(cmd, snds, &o, st);
    mxd_store_close(st);
    free(o.files);
    return rc;
}
