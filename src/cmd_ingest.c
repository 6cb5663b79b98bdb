/* cmd_ingest.c - mxdiag ingest: bounces, complaints, DMARC and TLS reports into the store
 * SPDX-License-Identifier: MIT
 *
 * Every INPUT (message, mbox, Maildir, directory, report file, "-") is read message by
 * message; each message is stored in its own transaction (mxd_ingest_message), so what was
 * ingested before a bad message, a crash or a lock stays ingested, and a re-run skips it.
 * One summary line per input, or one JSON document with --json.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include <mxdiag/ingest.h>
#include <mxdiag/mail.h>
#include "cli.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: mxdiag ingest [--db PATH] [--json] [--verbose] [--soft-limit N]\n"
            "                     [--soft-days D] [--lock-timeout MS] INPUT...\n\n"
            "Store what arrives at a bounce or report address: bounces (one record per\n"
            "recipient, as `mxdiag bounce` reads them), complaints (ARF feedback reports,\n"
            "JMRP), DMARC aggregate and failure reports, SMTP TLS reports. Auto-replies and\n"
            "anything else are counted and skipped. Hard bounces and complaints suppress the\n"
            "address; soft bounces (a full mailbox ...) only after N within D days; an IP,\n"
            "domain, tenant, content or rate block never suppresses anyone.\n\n"
            "INPUT is a message file, an mbox, a Maildir, a directory (read recursively), a\n"
            "report file (.xml .xml.gz .zip .json .json.gz: recognised by content) or '-'.\n"
            "Each message is one transaction; a message or report ingested before is not\n"
            "stored again.\n\n"
            "options:\n"
            "  --db PATH          the database (else $MXDIAG_DB, else\n"
            "                     $XDG_STATE_HOME/mxdiag/mxdiag.db)\n"
            "                     or postgresql://...: a database many hosts share\n"
            "  --json             one JSON document: per input, counts and errors\n"
            "  -v, --verbose      one line per message: what it was\n"
            "  --soft-limit N     soft bounces that suppress an address (default 3; 0: never)\n"
            "  --soft-days D      ... within D days (default 7)\n"
            "  --lock-timeout MS  wait this long for another writer (default 10000)\n"
            "  -h, --help         this help\n\n"
            "exit status: 0 all stored, 64 bad usage, 65 a message or report could not be\n"
            "read (the others were stored), 66 an input is missing, 69 libsqlite3 missing,\n"
            "74 database error, 75 the database stayed locked (retry later: what was\n"
            "committed stays, the rest is ingested on the next run)\n");
}

typedef struct tally {
    unsigned long messages, bounces, complaints, agg, failure, tls, autoreply, other, dups,
        recipients, suppressed, reports, report_dups, bad;
} tally;

typedef struct run {
    int json, verbose;
    mxd_ingest *ing;
    json_t *jinputs; /* --json: one object per input */
    json_t *jerrors; /* the current input's errors */
    tally t;
} run;

static void note_error(run *ru, const char *label, const char *why)
{
    ru->t.bad++;
    if (ru->json) {
        json_t *o = json_pack("{s:s, s:s}", "source", label, "error", why);
        if (o)
            json_array_append_new(ru->jerrors, o);
    } else {
        cli_err("ingest", "%s: %s", label, why);
    }
}

static void count(run *ru, const mxd_ingest_result *r)
{
    tally *t = &ru->t;
    if (r->duplicate) {
        t->dups++;
        return;
    }
    const char *k = r->kind;
    if (!strcmp(k, MXD_KIND_BOUNCE))
        t->bounces++;
    else if (!strcmp(k, MXD_KIND_COMPLAINT))
        t->complaints++;
    else if (!strcmp(k, MXD_KIND_DMARC_AGG))
        t->agg++;
    else if (!strcmp(k, MXD_KIND_DMARC_FAILURE))
        t->failure++;
    else if (!strcmp(k, MXD_KIND_TLSRPT))
        t->tls++;
    else if (!strcmp(k, MXD_KIND_AUTOREPLY))
        t->autoreply++;
    else
        t->other++;
    t->recipients += r->records;
    t->suppressed += r->suppressed;
    t->reports += r->reports;
    t->report_dups += r->report_dups;
}

/* say - append ", N thing(s)" to line when n. */
static void say(char *line, size_t len, unsigned long n, const char *one, const char *many)
{
    if (!n)
        return;
    size_t o = strlen(line);
    snprintf(line + o, len - o, "%s%lu %s", o && line[o - 1] != ' ' ? ", " : "", n,
             n == 1 ? one : many);
}

static void summary(run *ru, const char *input)
{
    const tally *t = &ru->t;
    if (ru->json) {
        json_t *o = json_pack(
            "{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:O}", "input",
            input, "messages", (json_int_t)t->messages, "bounces", (json_int_t)t->bounces,
            "recipients", (json_int_t)t->recipients, "suppressed", (json_int_t)t->suppressed,
            "complaints", (json_int_t)t->complaints, "dmarc_aggregate", (json_int_t)t->agg,
            "dmarc_failure", (json_int_t)t->failure, "tls_reports", (json_int_t)t->tls,
            "auto_replies", (json_int_t)t->autoreply, "other", (json_int_t)t->other, "duplicates",
            (json_int_t)t->dups, "reports_stored", (json_int_t)t->reports, "reports_seen_before",
            (json_int_t)t->report_dups, "errors", ru->jerrors);
        if (o)
            json_array_append_new(ru->jinputs, o);
        return;
    }
    char line[1024] = "";
    snprintf(line, sizeof line, "%lu message%s: ", t->messages, t->messages == 1 ? "" : "s");
    size_t base = strlen(line);
    say(line, sizeof line, t->bounces, "bounce", "bounces");
    say(line, sizeof line, t->complaints, "complaint", "complaints");
    if (t->bounces || t->complaints) {
        size_t o = strlen(line);
        snprintf(line + o, sizeof line - o, " (%lu recipient%s, %lu newly suppressed)",
                 t->recipients, t->recipients == 1 ? "" : "s", t->suppressed);
    }
    say(line, sizeof line, t->agg, "DMARC aggregate report", "DMARC aggregate reports");
    say(line, sizeof line, t->failure, "DMARC failure report", "DMARC failure reports");
    say(line, sizeof line, t->tls, "TLS report", "TLS reports");
    say(line, sizeof line, t->autoreply, "auto-reply", "auto-replies");
    say(line, sizeof line, t->other, "other", "other");
    say(line, sizeof line, t->dups, "ingested before", "ingested before");
    say(line, sizeof line, t->report_dups, "report stored before", "reports stored before");
    say(line, sizeof line, t->bad, "unreadable", "unreadable");
    if (strlen(line) == base) {
        size_t o = strlen(line);
        snprintf(line + o, sizeof line - o, "nothing");
    }
    printf("%s: %s\n", input, line);
}

/* ingest_input - one INPUT. 0, or an exit status that ends the run (75 locked, 74 database,
 * 69 library); *bad_path when the input could not be opened. */
static int ingest_input(run *ru, const char *input, int *bad_path)
{
    memset(&ru->t, 0, sizeof ru->t);
    ru->jerrors = ru->json ? json_array() : NULL;
    char why[512] = "";
    mxd_mail_source *src = NULL;
    mxd_err e = mxd_mail_open(input, &src, why, sizeof why);
    if (e) {
        if (why[0])
            cli_err("ingest", "%s", why);
        else
            cli_err("ingest", "%s: %s", input, mxd_strerror(e));
        *bad_path = 1;
        json_decref(ru->jerrors);
        return 0;
    }
    int rc = 0;
    mxd_mail_msg m;
    for (;;) {
        why[0] = 0;
        e = mxd_mail_next(src, &m, why, sizeof why);
        if (e == MXD_ERR_NOTFOUND)
            break;
        if (e) {
            note_error(ru, input, why[0] ? why : mxd_strerror(e));
            if (e == MXD_ERR_NOMEM) {
                rc = EX_OSERR_;
                break;
            }
            continue;
        }
        ru->t.messages++;
        mxd_ingest_result res;
        e = mxd_ingest_message(ru->ing, &m, (long long)time(NULL), &res);
        if (e == MXD_ERR_BUSY) {
            cli_err("ingest",
                    "%s: the database stayed locked by another writer; what was "
                    "stored so far stays, run again later",
                    m.label);
            rc = EX_TEMPFAIL_;
            break;
        }
        if (e == MXD_ERR_PARSE) {
            note_error(ru, m.label, res.why[0] ? res.why : "not a message or report");
            continue;
        }
        if (e == MXD_ERR_NOLIB) {
            cli_err("ingest", "%s: %s", m.label, mxd_strerror(e));
            rc = EX_UNAVAILABLE_;
            break;
        }
        if (e) {
            cli_err("ingest", "%s: %s", m.label, mxd_strerror(e));
            rc = e == MXD_ERR_NOMEM ? EX_OSERR_ : EX_IOERR_;
            break;
        }
        count(ru, &res);
        if (res.why[0])
            note_error(ru, m.label, res.why);
        if (ru->verbose && !ru->json)
            printf("%s: %s%s%s%s%s\n", m.label, res.duplicate ? "ingested before: " : "", res.kind,
                   res.detail[0] ? ": " : "", res.detail,
                   !res.duplicate && res.report_dups && !res.reports ? " (stored before)" : "");
    }
    mxd_mail_close(src);
    summary(ru, input);
    json_decref(ru->jerrors);
    ru->jerrors = NULL;
    return rc;
}

static int number(const char *cmd, const char *v, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long n = strtoul(v, &end, 10);
    if (!*v || *end || n > max || v[0] == '-') {
        cli_err(cmd, "'%s' is not a number from 0 to %lu", v, max);
        return -1;
    }
    *out = n;
    return 0;
}

int cmd_ingest(const cli_global *g, int argc, char **argv)
{
    run ru;
    memset(&ru, 0, sizeof ru);
    const char *db = NULL;
    unsigned long soft_limit = 3, soft_days = 7, lock_ms = 10000;
    int ninputs = 0, dashdash = 0;
    char **inputs = calloc((size_t)argc, sizeof *inputs);
    if (!inputs)
        return EX_OSERR_;
    int rc = 0;
    for (int i = 1; i < argc && !rc; i++) {
        const char *a = argv[i], *v;
        if (dashdash || a[0] != '-' || !strcmp(a, "-")) {
            inputs[ninputs++] = argv[i];
        } else if (!strcmp(a, "--")) {
            dashdash = 1;
        } else if (!strcmp(a, "--json")) {
            ru.json = 1;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            ru.verbose = 1;
        } else if (cli_is_opt(a, "--db")) {
            if (!(db = cli_take_value("ingest", argc, argv, &i, "--db", 0)))
                rc = EX_USAGE_;
        } else if (cli_is_opt(a, "--soft-limit")) {
            if (!(v = cli_take_value("ingest", argc, argv, &i, "--soft-limit", 0)) ||
                number("ingest", v, 1000000, &soft_limit))
                rc = EX_USAGE_;
        } else if (cli_is_opt(a, "--soft-days")) {
            if (!(v = cli_take_value("ingest", argc, argv, &i, "--soft-days", 0)) ||
                number("ingest", v, 36500, &soft_days) || (!soft_days && soft_limit)) {
                if (!rc && v && !soft_days)
                    cli_err("ingest", "--soft-days must be at least 1");
                rc = EX_USAGE_;
            }
        } else if (cli_is_opt(a, "--lock-timeout")) {
            if (!(v = cli_take_value("ingest", argc, argv, &i, "--lock-timeout", 0)) ||
                number("ingest", v, 86400000, &lock_ms))
                rc = EX_USAGE_;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            help(stdout);
            free(inputs);
            return 0;
        } else {
            cli_err("ingest", "unknown option '%s' (try --help)", a);
            rc = EX_USAGE_;
        }
    }
    if (!rc && !ninputs) {
        cli_err("ingest", "no INPUT given: a message file, mbox, Maildir, directory, report "
                          "file or '-'");
        rc = EX_USAGE_;
    }
    if (rc) {
        free(inputs);
        return rc;
    }
    mxd_kb *kb = NULL;
    mxd_store *st = NULL;
    if ((rc = cli_open_kb(g, "ingest", &kb)) || (rc = cli_open_store("ingest", db, 0, &st))) {
        mxd_kb_free(kb);
        free(inputs);
        return rc;
    }
    mxd_store_set_busy_timeout(st, (int)lock_ms);
    mxd_store_policy pol = {(unsigned)soft_limit, (unsigned)soft_days};
    mxd_store_set_policy(st, &pol);
    if (mxd_ingest_new(kb, st, &ru.ing) != MXD_OK) {
        cli_err("ingest", "out of memory");
        mxd_store_close(st);
        mxd_kb_free(kb);
        free(inputs);
        return EX_OSERR_;
    }
    ru.jinputs = ru.json ? json_array() : NULL;
    int bad_path = 0;
    unsigned long bad = 0;
    for (int i = 0; i < ninputs && !rc; i++) {
        rc = ingest_input(&ru, inputs[i], &bad_path);
        bad += ru.t.bad;
    }
    if (ru.json) {
        json_t *doc = json_pack("{s:O}", "inputs", ru.jinputs);
        char *s = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        if (s)
            printf("%s\n", s);
        free(s);
        json_decref(doc);
        json_decref(ru.jinputs);
    }
    mxd_ingest_free(ru.ing);
    /* what was committed goes to disk before anyone hears "stored" (also before 75: the part
     * already ingested is not asked for again) */
    if (mxd_store_sync(st) != MXD_OK) {
        cli_err("ingest", "%s", mxd_store_error(st));
        if (!rc)
            rc = EX_IOERR_;
    }
    mxd_store_close(st);
    mxd_kb_free(kb);
    free(inputs);
    if (rc)
        return rc;
    if (fflush(stdout) || ferror(stdout))
        return cli_stdout_status("ingest", 0);
    if (bad_path)
        return EX_NOINPUT_;
    return bad ? EX_DATAERR_ : 0;
}
