/* cmd_bounce.c - mxdiag bounce: read bounces into per-recipient records
 * SPDX-License-Identifier: MIT
 *
 * Every INPUT (message file, mbox, Maildir, directory tree, "-") is read as a stream; records
 * are printed as they are found (a table, JSON lines or one JSON array), so a bad input
 * later on never loses what was already printed.
 *
 * With --json / --jsonl on a machine with more than one CPU, messages of files, Maildirs and
 * directories (standard input is read one message at a time: it may trickle) are read in batches
 * (at most BATCH_MSGS messages or BATCH_BYTES bytes) and a batch is parsed by several threads,
 * each with its own parser context (the library's rule: one context per thread), each message's
 * records kept apart; the batch is then printed in input order, its messages' notes on
 * standard error between them as a single thread would print them. The output is the same
 * byte for byte whatever the number of threads (MXDIAG_THREADS=1 reads as one thread).
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <mxdiag/bounce.h>
#include <mxdiag/log.h>
#include <mxdiag/mail.h>
#include "cli.h"

#define SUMMARY_MAX    64 /* distinct reasons / providers counted */
#define DIAG_SHOW_MAX  200
#define PROGRESS_EVERY 500 /* messages between progress lines */
#define BATCH_MSGS     64  /* messages parsed side by side, at most */
#define BATCH_BYTES    (4u << 20)
#define THREADS_MAX    8

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
    int partial;         /* an input was given up part way (an endless mbox message) */
    unsigned long nolib; /* messages not read: GMime, needed to decode them, is missing */
    int log_text;        /* a message not read opened as a mail log's lines */
    const mxd_kb *kb;
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
            "diagnostic) and a summary by reason and provider. With them, messages are\n"
            "parsed on up to 4 CPUs (MXDIAG_THREADS=N sets the number; the output is the\n"
            "same whatever it is).\n\n"
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

/* open_input - the source of one INPUT into *src: 0, or the exit status (a line said why) */
static int open_input(const char *path, mxd_mail_source **src)
{
    char why[1024] = "";
    mxd_err e = mxd_mail_open(path, src, why, sizeof why);
    if (!e)
        return 0;
    if (e == MXD_ERR_NOTFOUND)
        cli_err("bounce", "%s: no such file or directory", path);
    else
        cli_err("bounce", "%s", why[0] ? why : mxd_strerror(e));
    return e == MXD_ERR_NOMEM ? EX_OSERR_ : EX_NOINPUT_;
}

/* log_text - does a text that is no message open as a mail log: among its first 4 KiB a line
 * the log stage's own parsers (Postfix, Exim, Sendmail) take, as `mxdiag log` reads it? A
 * time-stamped text of another program (a backup job's) is none. */
static int log_text(const mxd_kb *kb, const char *p, size_t n)
{
    mxd_log_opts o;
    memset(&o, 0, sizeof o);
    o.by = MXD_LOG_BY_PROVIDER;
    o.inflight_max = 64;
    mxd_log_ctx *c = NULL;
    mxd_log_input *in = NULL;
    mxd_log_totals t;
    memset(&t, 0, sizeof t);
    if (mxd_log_new(kb, &o, &c) == MXD_OK &&
        mxd_log_input_open_mem(p, n < 4096 ? n : 4096, NULL, &in) == MXD_OK) {
        mxd_log_input *const ins[1] = {in};
        (void)mxd_log_read(c, ins, 1, NULL, 0);
        mxd_log_totals_get(c, &t);
    }
    mxd_log_input_close(in);
    mxd_log_free(c);
    return t.lines > t.unknown + t.ignored;
}

/* message_done - after a message's records: say the caps that bit (the JSON records carry
 * them in "warnings"), count it, say why it was not read. An exit status to remember (0
 * none); *stop when reading must end. The same for one thread and for several. */
static int message_done(run *ru, const char *label, unsigned cuts, mxd_err e, int *stop)
{
    if (cuts & MXD_BOUNCE_CUT_SIZE)
        cli_err("bounce", "%s: longer than %u bytes: only the first %u bytes were read", label,
                MXD_MAIL_MESSAGE_MAX, MXD_MAIL_MESSAGE_MAX);
    if (cuts & MXD_BOUNCE_CUT_RCPTS)
        cli_err("bounce", "%s: more than %d recipients: only the first %d were read", label,
                MXD_BOUNCE_MAX_RCPTS, MXD_BOUNCE_MAX_RCPTS);
    if (cuts & MXD_BOUNCE_CUT_MIME)
        cli_err("bounce",
                "%s: MIME structure past the reader's limits (over 512 parts, nested deeper than "
                "16, or a header over 256 KiB): the rest of it was not read",
                label);
    if (e == MXD_OK) {
        ru->emails++;
    } else if (e == MXD_ERR_NOLIB) {
        /* said once: every other message that needs MIME decoding fails alike */
        if (!ru->nolib++)
            cli_err("bounce", "%s: %s", label, mxd_strerror(e));
        return EX_NOINPUT_;
    } else if (e == MXD_ERR_NOMEM) {
        cli_err("bounce", "%s: out of memory", label);
        *stop = 1;
        return EX_OSERR_;
    }
    return 0;
}

/* read_input - every message of one INPUT. Returns 0, or the exit status for a bad path. */
static int read_input(run *ru, mxd_bounce_ctx *bc, const char *path)
{
    char why[1024] = "";
    mxd_mail_source *src = NULL;
    int orc = open_input(path, &src);
    if (orc)
        return orc;
    mxd_err e;
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
        e = mxd_bounce_parse_msg(bc, &m, on_record, ru, &n);
        if (e != MXD_OK && !ru->log_text)
            ru->log_text = log_text(ru->kb, m.data, m.len);
        int stop = 0, r = message_done(ru, m.label, mxd_bounce_cuts(bc), e, &stop);
        if (r)
            rc = r;
        if (stop)
            break;
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

/* --- reading with several threads (JSON output only) --- */

/* One entry of a batch: a message to parse (a copy of its bytes and label), or a note the
 * reader printed at that point (an unreadable file, a message cut), kept in its place. */
typedef struct slot {
    int is_note;
    int note_status; /* for a note: the exit status it sets (0: none) */
    int note_partial;
    size_t data, len, label; /* the message and its label: offsets into the batch's arena */
    int truncated;
    /* what the parse gave */
    char *out; /* the records' JSON, each followed by '\n' */
    size_t olen, ocap;
    unsigned long nrec, hard;
    unsigned cuts; /* mxd_bounce_cuts() */
    mxd_err e;
    int log_text; /* not read, and a mail log's lines (log_text()) */
} slot;

typedef struct batch {
    slot *s;
    size_t n, cap, bytes;
    char *arena; /* every message and label of the batch, one after the other: one buffer
                  * kept from batch to batch (a buffer per message, grown and moved as
                  * messages of new sizes came, cost a page fault per page each time) */
    size_t alen, acap;
    size_t next; /* the next slot to parse (taken by the threads in turn) */
    int explain_rule;
    const mxd_kb *kb;
} batch;

typedef struct worker {
    mxd_bounce_ctx *bc;
    batch *b;
    pthread_t th;
} worker;

/* grow - make *p hold need bytes */
static int grow(char **p, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 4096;
    while (c < need)
        c *= 2;
    char *q = realloc(*p, c);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

/* sink - where a parse thread's records go: the message's slot */
typedef struct sink {
    slot *sl;
    int explain_rule;
} sink;

static int on_record_buf(void *arg, const mxd_bounce_record *r)
{
    const sink *k = arg;
    slot *sl = k->sl;
    char *js = mxd_bounce_record_json(r, k->explain_rule, 0);
    size_t jl = js ? strlen(js) : 0;
    if (!js || grow(&sl->out, &sl->ocap, sl->olen + jl + 1)) {
        free(js);
        sl->e = MXD_ERR_NOMEM;
        return 1;
    }
    memcpy(sl->out + sl->olen, js, jl);
    sl->out[sl->olen + jl] = '\n';
    sl->olen += jl + 1;
    free(js);
    sl->nrec++;
    sl->hard += r->hardbounce != 0;
    return 0;
}

static void *work(void *arg)
{
    worker *w = arg;
    /* the next message nobody has taken: a thread that meets long messages takes fewer */
    for (size_t i; (i = __atomic_fetch_add(&w->b->next, 1, __ATOMIC_RELAXED)) < w->b->n;) {
        slot *sl = &w->b->s[i];
        if (sl->is_note)
            continue;
        mxd_mail_msg m;
        m.data = w->b->arena + sl->data;
        m.len = sl->len;
        m.label = w->b->arena + sl->label;
        m.path = m.label;
        m.truncated = sl->truncated;
        sl->olen = 0;
        sl->nrec = sl->hard = 0;
        sl->e = MXD_OK;
        sink k = {sl, w->b->explain_rule};
        mxd_err e = mxd_bounce_parse_msg(w->bc, &m, on_record_buf, &k, NULL);
        sl->cuts = mxd_bounce_cuts(w->bc);
        if (sl->e == MXD_OK)
            sl->e = e;
        sl->log_text = e != MXD_OK && log_text(w->b->kb, m.data, m.len);
    }
    return NULL;
}

/* batch_slot - the next free slot of the batch (its buffers kept), or NULL */
static slot *batch_slot(batch *b)
{
    if (b->n == b->cap) {
        size_t c = b->cap ? b->cap * 2 : 64;
        slot *s = realloc(b->s, c * sizeof *s);
        if (!s)
            return NULL;
        memset(s + b->cap, 0, (c - b->cap) * sizeof *s);
        b->s = s;
        b->cap = c;
    }
    slot *sl = &b->s[b->n++];
    sl->is_note = sl->note_status = sl->note_partial = 0;
    sl->truncated = 0;
    sl->cuts = 0;
    sl->len = 0;
    sl->olen = 0;
    return sl;
}

/* batch_add - bytes (and a NUL) at the end of the batch's arena; their offset, or -1 */
static long batch_add(batch *b, const char *d, size_t len)
{
    if (grow(&b->arena, &b->acap, b->alen + len + 1))
        return -1;
    size_t at = b->alen;
    memcpy(b->arena + at, d, len);
    b->arena[at + len] = 0;
    b->alen += len + 1;
    return (long)at;
}

static int batch_note(batch *b, const char *text, int status, int partial)
{
    slot *sl = batch_slot(b);
    long at = sl ? batch_add(b, text, strlen(text)) : -1;
    if (at < 0)
        return -1;
    sl->label = (size_t)at;
    sl->is_note = 1;
    sl->note_status = status;
    sl->note_partial = partial;
    return 0;
}

/* The threads that parse beside this one: started once, woken per batch to take its messages
 * one by one with this thread, and waited for. */
typedef struct pool {
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    unsigned long gen; /* batches handed out so far */
    int pending;       /* threads still parsing the current batch */
    int quit;
    int n; /* threads in all, this one included */
    worker w[THREADS_MAX];
    int started[THREADS_MAX];
} pool;

typedef struct pool_arg {
    pool *p;
    int t;
} pool_arg;

static pool_arg pool_args[THREADS_MAX];

static void *pool_main(void *arg)
{
    pool_arg *a = arg;
    pool *p = a->p;
    unsigned long seen = 0;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (!p->quit && p->gen == seen)
            pthread_cond_wait(&p->go, &p->mu);
        if (p->quit) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        seen = p->gen;
        pthread_mutex_unlock(&p->mu);
        work(&p->w[a->t]);
        pthread_mutex_lock(&p->mu);
        if (--p->pending == 0)
            pthread_cond_signal(&p->done);
        pthread_mutex_unlock(&p->mu);
    }
}

/* pool_start - n threads in all (ctx[0] is this thread's); fewer when a thread cannot start */
static void pool_start(pool *p, mxd_bounce_ctx **ctx, int n)
{
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->done, NULL);
    p->n = n;
    for (int t = 0; t < n; t++) {
        p->w[t].bc = ctx[t];
        if (t > 0) {
            pool_args[t].p = p;
            pool_args[t].t = t;
            p->started[t] = pthread_create(&p->w[t].th, NULL, pool_main, &pool_args[t]) == 0;
        }
    }
}

static void pool_stop(pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    for (int t = 1; t < p->n; t++)
        if (p->started[t])
            pthread_join(p->w[t].th, NULL);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
}

/* batch_parse - every message of the batch, shared out over the pool's threads */
static void batch_parse(batch *b, pool *p)
{
    int helpers = 0;
    b->next = 0;
    for (int t = 0; t < p->n; t++) {
        p->w[t].b = b;
        helpers += t > 0 && p->started[t];
    }
    pthread_mutex_lock(&p->mu);
    p->pending = helpers;
    p->gen++;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    work(&p->w[0]); /* (with the messages of any thread that could not be started) */
    pthread_mutex_lock(&p->mu);
    while (p->pending > 0)
        pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

/* batch_print - the batch in input order, as read_input prints it. Returns an exit status to
 * remember (0 none); *stop is set when reading must end (out of memory, output gone). */
static int batch_print(run *ru, batch *b, int *stop)
{
    int rc = 0;
    for (size_t i = 0; i < b->n && !*stop; i++) {
        slot *sl = &b->s[i];
        const char *label = b->arena + sl->label;
        if (sl->is_note) {
            cli_err("bounce", "%s", label);
            if (sl->note_partial)
                ru->partial = 1;
            if (sl->note_status)
                rc = sl->note_status;
            continue;
        }
        ru->messages++;
        if (ru->mode == OUT_JSONL) {
            if (sl->olen)
                fwrite(sl->out, 1, sl->olen, stdout);
        } else {
            size_t k = 0;
            unsigned long printed = 0;
            while (k < sl->olen) {
                const char *nl = memchr(sl->out + k, '\n', sl->olen - k);
                size_t e = nl ? (size_t)(nl - sl->out) : sl->olen;
                fputs(ru->records + printed > 0 ? ",\n" : "\n", stdout);
                fwrite(sl->out + k, 1, e - k, stdout);
                printed++;
                k = e + 1;
            }
        }
        ru->records += sl->nrec;
        ru->hard += sl->hard;
        ru->log_text |= sl->log_text;
        int r = message_done(ru, label, sl->cuts, sl->e, stop);
        if (r)
            rc = r;
        if (ferror(stdout)) {
            ru->write_error = errno ? errno : EIO;
            *stop = 1;
        }
    }
    b->n = 0;
    b->bytes = 0;
    b->alen = 0;
    return rc;
}

/* read_input_par - read_input() with the parse of each batch shared by the pool's threads */
static int read_input_par(run *ru, pool *p, batch *b, const char *path)
{
    char why[1024] = "", note[1200];
    mxd_mail_source *src = NULL;
    int orc = open_input(path, &src);
    if (orc)
        return orc;
    mxd_err e;
    int rc = 0, stop = 0, end = 0;
    unsigned long next_progress = ru->messages + PROGRESS_EVERY;
    while (!end && !stop) {
        mxd_mail_msg m;
        while (b->n < BATCH_MSGS && b->bytes < BATCH_BYTES) {
            why[0] = 0;
            e = mxd_mail_next(src, &m, why, sizeof why);
            if (e == MXD_ERR_NOTFOUND) {
                end = 1;
                break;
            }
            if (e == MXD_ERR_IO || e == MXD_ERR_TOOBIG) {
                if (batch_note(b, why[0] ? why : path, e == MXD_ERR_IO ? EX_NOINPUT_ : 0,
                               e == MXD_ERR_TOOBIG)) {
                    rc = EX_OSERR_;
                    stop = 1;
                    break;
                }
                continue;
            }
            if (e) {
                snprintf(note, sizeof note, "%s: %s", path, mxd_strerror(e));
                batch_note(b, note, EX_OSERR_, 0);
                end = 1;
                break;
            }
            slot *sl = batch_slot(b);
            long at = sl ? batch_add(b, m.data, m.len) : -1;
            long lat = at >= 0 ? batch_add(b, m.label, strlen(m.label)) : -1;
            if (lat < 0) {
                cli_err("bounce", "%s: out of memory", m.label);
                rc = EX_OSERR_;
                stop = 1;
                break;
            }
            sl->data = (size_t)at;
            sl->len = m.len;
            sl->label = (size_t)lat;
            sl->truncated = m.truncated;
            b->bytes += m.len;
        }
        batch_parse(b, p);
        int r = batch_print(ru, b, &stop);
        if (r)
            rc = r;
        if (ru->progress && ru->messages >= next_progress) {
            progress(ru, src, 0);
            next_progress = ru->messages + PROGRESS_EVERY;
        }
    }
    if (ru->progress)
        progress(ru, src, 1);
    mxd_mail_close(src);
    return rc;
}

/* threads - how many threads parse: MXDIAG_THREADS (1 to THREADS_MAX) when set, else the
 * CPUs online, at most 4 */
static int threads(void)
{
    const char *v = getenv("MXDIAG_THREADS");
    if (v && *v) {
        int n = atoi(v);
        return n < 1 ? 1 : n > THREADS_MAX ? THREADS_MAX : n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 4 ? 4 : (int)n;
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
    /* JSON output on several CPUs: batches parsed side by side */
    int nthreads = ru.mode == OUT_TABLE ? 1 : threads();
    mxd_bounce_ctx *ctx[THREADS_MAX] = {bc};
    for (int t = 1; t < nthreads; t++)
        if (mxd_bounce_new(kb, include_delivered ? MXD_BOUNCE_DELIVERED : 0, &ctx[t]) != MXD_OK) {
            nthreads = t; /* (as many as there is memory for) */
            break;
        }
    /* a thread's big buffers stay its own: without this, glibc gives the memory of a
     * parser's large buffers back to the system after each message and the next message
     * faults it in again (twice the CPU time on two threads, measured) */
    if (nthreads > 1) {
        mallopt(M_MMAP_THRESHOLD, 64 << 20);
        mallopt(M_TRIM_THRESHOLD, 256 << 20);
    }
    batch b;
    memset(&b, 0, sizeof b);
    b.explain_rule = ru.explain_rule;
    b.kb = ru.kb = kb;
    static pool pl;
    if (nthreads > 1)
        pool_start(&pl, ctx, nthreads);
    int bad_path = 0, fatal = 0;
    for (int i = 0; i < ninputs && !ru.write_error && !fatal; i++) {
        /* (standard input may be a stream that trickles: each record as its message comes) */
        int r = nthreads > 1 && strcmp(inputs[i], "-") ? read_input_par(&ru, &pl, &b, inputs[i])
                                                       : read_input(&ru, bc, inputs[i]);
        if (r == EX_NOINPUT_)
            bad_path = 1;
        else if (r)
            fatal = r;
    }
    if (ru.mode == OUT_JSON)
        fputs(ru.records ? "\n]\n" : "]\n", stdout);
    else if (ru.mode == OUT_TABLE && !ru.write_error)
        summary(&ru);
    if (nthreads > 1)
        pool_stop(&pl);
    for (int t = 1; t < nthreads; t++)
        mxd_bounce_free(ctx[t]);
    for (size_t k = 0; k < b.cap; k++)
        free(b.s[k].out);
    free(b.s);
    free(b.arena);
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
    if (ru.messages && !ru.emails && ru.log_text) {
        cli_err("bounce", "a mail log, and no recipient's last outcome in it is a failure "
                          "or a deferral (mxdiag log reads the whole log)");
        return EX_DATAERR_;
    }
    if (ru.messages && !ru.emails) {
        cli_err("bounce", "nothing in the input could be read as an e-mail message or a "
                          "notice (a reply that names no recipient: mxdiag diagnose reads it)");
        return EX_DATAERR_;
    }
    if (!ru.messages) {
        cli_err("bounce", "no message found in the input");
        return EX_DATAERR_;
    }
    return 0;
}
