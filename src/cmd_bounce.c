/* cmd_bounce.c - mxdiag bounce: read bounces into per-recipient records
 * SPDX-License-Identifier: MIT
 *
 * Every INPUT (message file, mbox, Maildir, directory tree, "-") is read as a stream; records
 * are printed as they are found (a table, JSON lines or one JSON array), so a bad input
 * later on never loses what was already printed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <mxdiag/bounce.h>
#include <mxdiag/mail.h>
#include "cli.h"

#define SUMMARY_MAX    64 /* distinct reasons / providers counted */
#define DIAG_SHOW_MAX  200
#define PROGRESS_EVERY 500 /* messages between progress lines */

enum { OUT_TABLE, OUT_JSONL, OUT_JSON };

typedef struct tally {
    char name[48];
    unsigned long n;
} tally;

typedef struct run {
    const cli_global *g;
    int mode, explain_rule, progress;
    unsigned long messages, emails, records, hard;
    tally reasons[SUMMARY_MAX], providers[SUMMARY_MAX];
    size_t nreasons, nproviders;
    int write_error;
    int rcpts_cut;       /* a record of the current message says recipients were left out */
    int partial;         /* an input was given up part way (an endless mbox message) */
    unsigned long nolib; /* messages not read: GMime, needed to decode them, is missing */
} run;

static void help(FILE *out)
{
    fprintf(out,
            "usage: mxdiag bounce [--json | --jsonl] [--explain-rule] [--progress]\n"
            "                     [--include-delivered] INPUT...\n\n"
            "Read bounce messages from any MTA or provider (standard DSNs, Postfix, Sendmail,\n"
            "Exim, qmail, Exchange, Gmail, Yahoo, Amazon SES ..., feedback reports and\n"
            "auto-replies) into one record per failed recipient: status, reply code, reason\n"
            "(Sisimai's names), hard bounce or not, provider, scope, sending IP and retry.\n\n"
            "INPUT is a file holding one message, an mbox, a Maildir (cur/ new/), a directory\n"
            "of message files (read recursively) or '-' for standard input; the format is\n"
            "detected.\n\n"
            "options:\n"
            "  --jsonl              one JSON object per record and line, as they are found\n"
            "  --json               one JSON array of records (Sisimai's fields and\n"
            "                       mxdiag's: man mxdiag-json)\n"
            "  --explain-rule       say which data entry decided each reason\n"
            "  --progress           report progress on standard error\n"
            "  --include-delivered  also report recipients a DSN says were delivered\n"
            "  -h, --help           this help\n\n"
            "Without --json/--jsonl: a table (recipient, status, reason, provider,\n"
            "diagnostic) and a summary by reason and provider.\n\n"
            "exit status: 0 input read, 64 bad usage, 65 nothing could be read as e-mail,\n"
            "66 an input path is missing or unreadable\n");
}

static void count(tally *t, size_t *n, const char *name)
{
    if (!name || !*name)
        name = "unknown";
    for (size_t i = 0; i < *n; i++)
        if (t[i].name[0] == name[0] && !strcmp(t[i].name, name)) {
            t[i].n++;
            return;
        }
    if (*n == SUMMARY_MAX)
        name = "other";
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(t[i].name, name)) {
            t[i].n++;
            return;
        }
    if (*n < SUMMARY_MAX) {
        snprintf(t[*n].name, sizeof t[*n].name, "%s", name);
        t[*n].n = 1;
        (*n)++;
    }
}

/* cut - copy s into out, at most w display columns (UTF-8 aware), "..." when cut. */
static void cut(char *out, size_t outlen, const char *s, size_t w)
{
    size_t cols = 0, o = 0, i = 0;
    size_t len = strlen(s);
    while (i < len && o + 8 < outlen) {
        size_t n = 1;
        unsigned char c = (unsigned char)s[i];
        if (c >= 0xC0)
            n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (cols + 1 > w) {
            if (o >= 3)
                memcpy(out + o - 3, "...", 3);
            break;
        }
        for (size_t k = 0; k < n && i < len; k++)
            out[o++] = s[i++];
        cols++;
    }
    out[o] = 0;
}

/* short_diag - the diagnostic from the remote server's reply code on ("host mx.example.com
 * [192.0.2.1]: 550 5.1.1 ..." shows as "550 5.1.1 ..."), or as it is. */
static const char *short_diag(const char *d)
{
    if (!d[0])
        return "-";
    for (const char *p = d; p[0] && p[1] && p[2] && p[3]; p++)
        if ((p[0] == '4' || p[0] == '5') && p[1] >= '0' && p[1] <= '5' && p[2] >= '0' &&
            p[2] <= '9' && (p[3] == ' ' || p[3] == '-') && (p == d || p[-1] == ' ' || p[-1] == ':'))
            return p;
    return d;
}

static int on_record(void *arg, const mxd_bounce_record *r)
{
    run *ru = arg;
    ru->records++;
    ru->rcpts_cut |= r->recipients_cut;
    ru->hard += r->hardbounce != 0;
    count(ru->reasons, &ru->nreasons, r->reason);
    count(ru->providers, &ru->nproviders, r->provider);
    if (ru->mode != OUT_TABLE) {
        char *s = mxd_bounce_record_json(r, ru->explain_rule, 0);
        if (!s) {
            ru->write_error = ENOMEM;
            return 1;
        }
        if (ru->mode == OUT_JSON)
            fputs(ru->records > 1 ? ",\n" : "\n", stdout);
        fputs(s, stdout);
        if (ru->mode == OUT_JSONL)
            fputc('\n', stdout);
        free(s);
    } else {
        const cli_global *g = ru->g;
        /* recipient, status, reason, provider, then as much of the diagnostic as fits */
        int rw = g->width >= 120 ? 36 : 26;
        char rc[256], diag[DIAG_SHOW_MAX * 4 + 8];
        cut(rc, sizeof rc, r->recipient, (size_t)rw);
        int rest = g->width - (rw + 1 + 7 + 1 + 15 + 1 + 12 + 1);
        cut(diag, sizeof diag, short_diag(r->diagnosticcode), rest > 12 ? (size_t)rest : 12);
        /* a stranger's text: no escape sequences reach the terminal */
        term_clean(rc, 0);
        term_clean(diag, 0);
        const char *col = r->hardbounce ? term_c(g, "red") : term_c(g, "yellow");
        if (ru->records == 1)
            printf("%s%-*s %-7s %-15s %-12s %s%s\n", term_c(g, "bold"), rw, "RECIPIENT", "STATUS",
                   "REASON", "PROVIDER", "DIAGNOSTIC", term_c(g, "reset"));
        printf("%-*s %-7s %s%-15s%s %-12.12s %s\n", rw, rc, r->status[0] ? r->status : "-", col,
               r->reason, term_c(g, "reset"), r->provider ? r->provider : "-", diag);
        if (ru->explain_rule) {
            if (r->rule_file && r->rule_line)
                printf("  %sdecided by %s %s (data/%s:%d), format %s%s\n", term_c(g, "dim"),
                       r->decided_by, r->rule, r->rule_file, r->rule_line, r->mta,
                       term_c(g, "reset"));
            else if (r->rule_file)
                printf("  %sdecided by %s %s (data/%s), format %s%s\n", term_c(g, "dim"),
                       r->decided_by, r->rule, r->rule_file, r->mta, term_c(g, "reset"));
            else
                printf("  %sdecided by %s %s, format %s%s\n", term_c(g, "dim"), r->decided_by,
                       r->rule, r->mta, term_c(g, "reset"));
        }
    }
    if (ferror(stdout)) {
        ru->write_error = errno ? errno : EIO;
        return 1;
    }
    return 0;
}

static int cmp_tally(const void *a, const void *b)
{
    const tally *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? 1 : -1;
    return strcmp(x->name, y->name);
}

static void summary(run *ru)
{
    const cli_global *g = ru->g;
    printf("\n%s%lu record%s from %lu message%s (%lu hard bounce%s)%s\n", term_c(g, "bold"),
           ru->records, ru->records == 1 ? "" : "s", ru->messages, ru->messages == 1 ? "" : "s",
           ru->hard, ru->hard == 1 ? "" : "s", term_c(g, "reset"));
    if (!ru->records)
        return;
    qsort(ru->reasons, ru->nreasons, sizeof *ru->reasons, cmp_tally);
    qsort(ru->providers, ru->nproviders, sizeof *ru->providers, cmp_tally);
    printf("\nby reason\n");
    for (size_t i = 0; i < ru->nreasons; i++)
        printf("  %-18s %6lu\n", ru->reasons[i].name, ru->reasons[i].n);
    printf("\nby provider\n");
    for (size_t i = 0; i < ru->nproviders; i++)
        printf("  %-18s %6lu\n", ru->providers[i].name, ru->providers[i].n);
}

static void progress(run *ru, mxd_mail_source *src, int final)
{
    fprintf(stderr, "\r%s: bounce: %lu messages, %lu records, %.1f MB%s", cli_prog, ru->messages,
            ru->records, (double)mxd_mail_bytes_read(src) / 1e6, final ? "\n" : "");
    cli_progress_open = !final;
}

/* read_input - every message of one INPUT. Returns 0, or the exit status for a bad path. */
static int read_input(run *ru, mxd_bounce_ctx *bc, const char *path)
{
    char why[1024] = "";
    mxd_mail_source *src = NULL;
    mxd_err e = mxd_mail_open(path, &src, why, sizeof why);
    if (e) {
        if (e == MXD_ERR_NOTFOUND)
            cli_err("bounce", "%s: no such file or directory", path);
        else
            cli_err("bounce", "%s", why[0] ? why : mxd_strerror(e));
        return e == MXD_ERR_NOMEM ? EX_OSERR_ : EX_NOINPUT_;
    }
    int rc = 0;
    mxd_mail_msg m;
    for (;;) {
        why[0] = 0;
        e = mxd_mail_next(src, &m, why, sizeof why);
        if (e == MXD_ERR_NOTFOUND)
            break;
        if (e == MXD_ERR_IO) {
            cli_err("bounce", "%s", why[0] ? why : path);
            rc = EX_NOINPUT_;
            continue;
        }
        if (e == MXD_ERR_TOOBIG) { /* the rest of that file was not read */
            cli_err("bounce", "%s", why[0] ? why : path);
            ru->partial = 1;
            continue;
        }
        if (e) {
            cli_err("bounce", "%s: %s", path, mxd_strerror(e));
            rc = EX_OSERR_;
            break;
        }
        ru->messages++;
        size_t n = 0;
        ru->rcpts_cut = 0;
        e = mxd_bounce_parse_msg(bc, &m, on_record, ru, &n);
        /* a cap that bites is said (the JSON records carry it in "warnings") */
        if (m.truncated)
            cli_err("bounce", "%s: longer than %u bytes: only the first %u bytes were read",
                    m.label, MXD_MAIL_MESSAGE_MAX, MXD_MAIL_MESSAGE_MAX);
        if (ru->rcpts_cut)
            cli_err("bounce", "%s: more than %d failed recipients: only the first %d have a record",
                    m.label, MXD_BOUNCE_MAX_RCPTS, MXD_BOUNCE_MAX_RCPTS);
        if (e == MXD_OK)
            ru->emails++;
        else if (e == MXD_ERR_NOLIB) {
            /* said once: every other message that needs MIME decoding fails alike */
            if (!ru->nolib++)
                cli_err("bounce", "%s: %s", m.label, mxd_strerror(e));
            rc = EX_NOINPUT_;
        } else if (e == MXD_ERR_NOMEM) {
            cli_err("bounce", "%s: out of memory", m.label);
            rc = EX_OSERR_;
            break;
        }
        if (ru->write_error)
            break;
        if (ru->progress && ru->messages % PROGRESS_EVERY == 0)
            progress(ru, src, 0);
    }
    if (ru->progress)
        progress(ru, src, 1);
    mxd_mail_close(src);
    return rc;
}

int cmd_bounce(const cli_global *g, int argc, char **argv)
{
    run ru;
    memset(&ru, 0, sizeof ru);
    ru.g = g;
    ru.mode = OUT_TABLE;
    int include_delivered = 0, ninputs = 0, dashdash = 0;
    char **inputs = calloc((size_t)argc, sizeof *inputs);
    if (!inputs)
        return EX_OSERR_;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (dashdash || a[0] != '-' || !strcmp(a, "-")) {
            inputs[ninputs++] = argv[i];
        } else if (!strcmp(a, "--")) {
            dashdash = 1;
        } else if (!strcmp(a, "--json")) {
            ru.mode = OUT_JSON;
        } else if (!strcmp(a, "--jsonl")) {
            ru.mode = OUT_JSONL;
        } else if (!strcmp(a, "--explain-rule")) {
            ru.explain_rule = 1;
        } else if (!strcmp(a, "--progress")) {
            ru.progress = 1;
        } else if (!strcmp(a, "--include-delivered")) {
            include_delivered = 1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            help(stdout);
            free(inputs);
            return 0;
        } else {
            cli_err("bounce", "unknown option '%s' (try --help)", a);
            free(inputs);
            return EX_USAGE_;
        }
    }
    if (!ninputs) {
        cli_err("bounce", "no INPUT given: a message file, mbox, Maildir, directory or '-'");
        free(inputs);
        return EX_USAGE_;
    }
    mxd_kb *kb;
    int rc = cli_open_kb(g, "bounce", &kb);
    if (rc) {
        free(inputs);
        return rc;
    }
    mxd_bounce_ctx *bc = NULL;
    if (mxd_bounce_new(kb, include_delivered ? MXD_BOUNCE_DELIVERED : 0, &bc) != MXD_OK) {
        cli_err("bounce", "out of memory");
        mxd_kb_free(kb);
        free(inputs);
        return EX_OSERR_;
    }
    if (ru.mode == OUT_JSON)
        fputs("[", stdout);
    int bad_path = 0, fatal = 0;
    for (int i = 0; i < ninputs && !ru.write_error && !fatal; i++) {
        int r = read_input(&ru, bc, inputs[i]);
        if (r == EX_NOINPUT_)
            bad_path = 1;
        else if (r)
            fatal = r;
    }
    if (ru.mode == OUT_JSON)
        fputs(ru.records ? "\n]\n" : "]\n", stdout);
    else if (ru.mode == OUT_TABLE && !ru.write_error)
        summary(&ru);
    mxd_bounce_free(bc);
    mxd_kb_free(kb);
    free(inputs);
    if (ru.nolib > 1)
        cli_err("bounce", "%lu messages in all were not read for that reason", ru.nolib);
    if (ru.write_error || fflush(stdout) || ferror(stdout))
        return cli_stdout_status("bounce", ru.write_error); /* 0 when the reader went away */
    if (fatal)
        return fatal;
    if (bad_path)
        return EX_NOINPUT_;
    if (ru.partial)
        return EX_DATAERR_;
    if (ru.messages && !ru.emails) {
        cli_err("bounce", "nothing in the input could be read as an e-mail message");
        return EX_DATAERR_;
    }
    if (!ru.messages) {
        cli_err("bounce", "no message found in the input");
        return EX_DATAERR_;
    }
    return 0;
}
