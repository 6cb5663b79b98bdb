/* maillog.c - a mail log's lines pasted alone
 * SPDX-License-Identifier: MIT
 *
 * A user asked why a message bounced often has only the line their MTA logged for it:
 *
 *     Dec  7 10:12:01 mx postfix/smtp[123]: 4F2A31C0123: to=<bob@example.com>, relay=...,
 *         dsn=5.1.1, status=bounced (host mx.example.com[192.0.2.10] said: 550 5.1.1 ...)
 *
 * (Exim's "** bob@example.com R=... : SMTP error ...", Sendmail's "to=<bob@...>, dsn=5.1.1,
 * stat=User unknown" alike). Such a text, without a header, gives a record for each recipient a
 * line says was bounced or deferred: the lines are read by the log stage's own parsers
 * (mxd_log_feed(), as `mxdiag log` reads them), and the record carries the line's DSN status,
 * relay host and reply text, which the bounce stage then classifies as it classifies the DSN
 * that MTA would have sent (the same reply text, status and command: one verdict; a deferral
 * as an attempt the MTA still retries, mxd_reply_facts.attempt). A text of log lines alone is
 * the MTA's own record: its records may be hard bounces, by the same rule as every other
 * record; log lines beside a person's words (a line of four words or more without a stamp,
 * not a program's banner: a post quoting one) are hearsay, never hard (review-s15 H1). A text
 * mostly of log lines is read first of all (the notice readers would take its "to=<a@b>" for a
 * notice's list); one where other words dominate is left to the notice readers and read only when
 * none took it (a notice pasted with a log line: review-s15 H2). A recipient logged more than once
 * keeps its last outcome (deferred, then bounced), whatever the number of recipients (they are kept
 * apart from the records, so one delivered in the end takes no record's place); one delivered in
 * the end is a delivery (a record only with --include-delivered, after the failures); a
 * deferred one whose message then expired (Postfix's qmgr "status=expired, returned to
 * sender") is a failure, reason expired. The records carry no date: a syslog stamp has none of
 * its year. Inbound rejections (NOQUEUE: reject) and lines of other programs give none: they
 * are no bounce of the user's mail.
 */
#include <stdlib.h>
#include <string.h>
#include "bounce/formats.h"
#include "log/log_internal.h"
#include "mxdiag/log.h"
#include "util/str.h"

#define MAILLOG_SCAN 65536 /* bytes of a text looked at to tell whether it is a log */

/* a failed or deferred delivery's mark in a line, per MTA */
static int outcome_mark(const char *l, size_t ll)
{
    static const char *const mark[] = {"status=bounced", "status=deferred", " ** ",
                                       " == ", "stat="};
    for (size_t i = 0; i < sizeof mark / sizeof *mark; i++)
        if (str_find(l, ll, mark[i], strlen(mark[i])))
            return 1;
    return 0;
}

/* log_lead - the blanks and quote marks ("    ", "> ", ">> ") before a log line's time stamp
 * (a log pasted as a Markdown code block or quoted in a reply), and a container's name before
 * it as docker compose prints it; *quoted set when a quote mark is among them. (size_t)-1 when the
 * line holds no time-stamped log line. */
static size_t log_lead(const char *l, size_t ll, int *quoted)
{
    size_t k = 0;
    int q = 0;
    while (k < ll && k < 16 && (l[k] == ' ' || l[k] == '\t' || l[k] == '>'))
        q |= l[k++] == '>';
    if (!bounce_log_stamp(l + k, ll - k)) {
        k += log_compose_prefix(l + k, ll - k); /* ("mail-1  | ": docker compose logs) */
        if (!bounce_log_stamp(l + k, ll - k))
            return (size_t)-1;
    }
    if (quoted)
        *quoted |= q;
    return k;
}

/* scan - in t[0..end): the time-stamped lines that mark a failed or deferred delivery, the
 * time-stamped lines, and the other lines with words */
static void scan(const char *t, size_t end, size_t *marks, size_t *logl, size_t *other)
{
    const char *l;
    size_t pos = 0, ll;
    *marks = *logl = *other = 0;
    while (bounce_line(t, end, &pos, &l, &ll)) {
        if (log_lead(l, ll, NULL) != (size_t)-1) {
            ++*logl;
            *marks += (size_t)outcome_mark(l, ll);
        } else {
            const char *w = l;
            size_t wl = ll;
            bounce_trim(&w, &wl);
            *other += wl != 0;
        }
    }
}

/* prose_in - does t[0..len) hold a person's words beside its log lines: a line without a time
 * stamp of four words or more, not a banner a program prints over a log (journalctl's
 * "-- Logs begin at ...", tail's "==> file <==", a Markdown fence)? */
static int prose_in(const char *t, size_t len)
{
    const char *l;
    size_t pos = 0, ll;
    while (bounce_line(t, len, &pos, &l, &ll)) {
        if (log_lead(l, ll, NULL) != (size_t)-1)
            continue;
        bounce_trim(&l, &ll);
        if (!ll || bounce_starts(l, ll, "-- ") || bounce_starts(l, ll, "==> ") ||
            bounce_starts(l, ll, "```"))
            continue;
        size_t words = 0;
        for (size_t i = 0; i < ll; i++)
            if (str_isalpha((unsigned char)l[i]) && (i == 0 || l[i - 1] == ' '))
                words++;
        if (words >= 4)
            return 1;
    }
    return 0;
}

/* logged_failure - a text without a header that holds a time-stamped log line marking a
 * failed or deferred delivery; with most set, one where log lines are most of it (at most one
 * other line for two of them) */
static int logged_failure(const bounce_view *v, int most)
{
    if (v->hlen || v->ms.nparts || !v->text.len)
        return 0;
    size_t marks, logl, other;
    scan(v->text.ptr, v->text.len < MAILLOG_SCAN ? v->text.len : MAILLOG_SCAN, &marks, &logl,
         &other);
    return marks && (!most || other <= logl / 2);
}

/* maillog_detect - read first of all when log lines are most of the text */
static int maillog_detect(const bounce_view *v)
{
    return logged_failure(v, 1);
}

/* maillog_late_detect - with any share of other words, after every notice reader */
static int maillog_late_detect(const bounce_view *v)
{
    return logged_failure(v, 0);
}

/* One recipient's last outcome in the text (every recipient is kept here, not only the
 * first BOUNCE_MAX_RCPTS: one delivered later must not have taken a record's place; review-s15b
 * HIGH-1). */
#define ML_QIDS 4 /* the messages a recipient is remembered deferred in (the latest ones) */

typedef struct ml_ent {
    char *rcpt, *key, *diag; /* as logged; lower-cased (the map's key); the reply text */
    char action[12], status[16], rhost[BOUNCE_HOST_MAX];
    char qid[ML_QIDS][32]; /* queue IDs of the messages it is still deferred in, latest last */
    int nqid;
    int expired;
} ml_ent;

/* qid_drop - forget queue ID q among x's deferred messages; 1 when it was there */
static int qid_drop(ml_ent *x, const char *q)
{
    for (int i = 0; i < x->nqid; i++)
        if (!strcmp(x->qid[i], q)) {
            memmove(x->qid[i], x->qid[i + 1], (size_t)(x->nqid - i - 1) * sizeof x->qid[0]);
            x->nqid--;
            return 1;
        }
    return 0;
}

/* unindented - a copy of t[0..len), NUL-terminated, in which every log line opens with its
 * time stamp (log_lead() taken off); NUL bytes become blanks. NULL when out of memory. */
static char *unindented(const char *t, size_t len, int *quoted)
{
    char *o = malloc(len + 2); /* (a last line without its end gets one) */
    if (!o)
        return NULL;
    size_t n = 0, pos = 0, ll;
    const char *l;
    while (bounce_line(t, len, &pos, &l, &ll)) {
        size_t k = log_lead(l, ll, quoted);
        if (k != (size_t)-1)
            l += k, ll -= k;
        for (size_t i = 0; i < ll; i++)
            o[n++] = l[i] ? l[i] : ' ';
        o[n++] = '\n';
    }
    o[n] = 0;
    return o;
}

typedef struct maillog_run {
    ml_ent *e;
    size_t n, cap;
    size_t *slot; /* open addressing: entry index + 1, 0 for none */
    size_t nslots;
    int nomem;
} maillog_run;

static void copy_field(char *dst, size_t cap, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(dst, s, n);
    dst[n] = 0;
}

static size_t key_hash(const char *k)
{
    size_t h = 1469598103934665603ULL & (size_t)-1;
    for (; *k; k++)
        h = (h ^ (unsigned char)*k) * (size_t)1099511628211ULL;
    return h;
}

/* find - the entry of key, or where it goes (*at) */
static ml_ent *find(maillog_run *run, const char *key, size_t *at)
{
    size_t m = run->nslots - 1, i = key_hash(key) & m;
    while (run->slot[i]) {
        ml_ent *x = &run->e[run->slot[i] - 1];
        if (!strcmp(x->key, key))
            return x;
        i = (i + 1) & m;
    }
    *at = i;
    return NULL;
}

/* entry_for - the entry of rcpt, a new one when it has none; NULL when out of memory */
static ml_ent *entry_for(maillog_run *run, const char *rcpt)
{
    size_t n = strlen(rcpt), at = 0;
    char *key = malloc(n + 1);
    if (!key)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        key[i] = (char)str_tolower((unsigned char)rcpt[i]);
    if (run->nslots && (run->n + 1) * 2 <= run->nslots) {
        ml_ent *x = find(run, key, &at);
        if (x) {
            free(key);
            return x;
        }
    } else { /* (grow: twice the entries, the slots built again) */
        size_t ns = run->nslots ? run->nslots * 2 : 64;
        size_t *sl = calloc(ns, sizeof *sl);
        if (!sl) {
            free(key);
            return NULL;
        }
        free(run->slot);
        run->slot = sl;
        run->nslots = ns;
        for (size_t k = 0; k < run->n; k++) {
            size_t j = 0;
            (void)find(run, run->e[k].key, &j);
            run->slot[j] = k + 1;
        }
        ml_ent *x = find(run, key, &at);
        if (x) {
            free(key);
            return x;
        }
    }
    if (run->n == run->cap) {
        size_t c = run->cap ? run->cap * 2 : 32;
        ml_ent *e = realloc(run->e, c * sizeof *e);
        if (!e) {
            free(key);
            return NULL;
        }
        run->e = e;
        run->cap = c;
    }
    ml_ent *x = &run->e[run->n];
    memset(x, 0, sizeof *x);
    x->key = key;
    x->rcpt = malloc(n + 1);
    if (!x->rcpt) {
        free(key);
        return NULL;
    }
    memcpy(x->rcpt, rcpt, n + 1);
    run->slot[at] = ++run->n;
    return x;
}

static int on_event(void *arg, const mxd_log_event *ev)
{
    maillog_run *run = arg;
    if (!strcmp(ev->outcome, "expired")) {
        /* the message left the queue: its recipients still deferred failed (a pass over the
         * recipients per expiry; at most 4,096 messages in flight name one, and 1 MiB of
         * lines holds some 10,000 recipients: 0.07 s at worst, measured) */
        /* (any message it is deferred in, not only its last: deferred in two, the first
         * expiring, the recipient failed) */
        for (size_t i = 0; ev->queueid && i < run->n; i++)
            if (qid_drop(&run->e[i], ev->queueid) && !strcmp(run->e[i].action, "delayed")) {
                copy_field(run->e[i].action, sizeof run->e[i].action, "failed");
                run->e[i].expired = 1;
            }
        return 0;
    }
    int failed = !strcmp(ev->outcome, "bounced"), delayed = !strcmp(ev->outcome, "deferred"),
        sent = !strcmp(ev->outcome, "sent");
    if (!ev->recipient || !ev->recipient[0] || !(failed || delayed || sent))
        return 0; /* (an inbound rejection: no bounce of the user's mail) */
    ml_ent *x = entry_for(run, ev->recipient);
    if (!x) {
        run->nomem = 1;
        return 1;
    }
    copy_field(x->action, sizeof x->action, failed ? "failed" : delayed ? "delayed" : "delivered");
    copy_field(x->status, sizeof x->status, ev->status);
    copy_field(x->rhost, sizeof x->rhost, ev->rhost);
    if (ev->queueid) { /* (deferred: remembered; bounced or delivered: that message is done) */
        qid_drop(x, ev->queueid);
        if (delayed) {
            if (x->nqid == ML_QIDS) /* (the oldest forgotten) */
                qid_drop(x, x->qid[0]);
            copy_field(x->qid[x->nqid++], sizeof x->qid[0], ev->queueid);
        }
    }
    x->expired = 0;
    const char *d = ev->diagnosticcode ? ev->diagnosticcode : "";
    size_t dl = str_utf8_cut(d, strlen(d), BOUNCE_MAX_DIAG - 1);
    char *nd = realloc(x->diag, dl + 1);
    if (!nd) {
        run->nomem = 1;
        return 1;
    }
    memcpy(nd, d, dl);
    nd[dl] = 0;
    x->diag = nd;
    return 0;
}

/* add_record - the entry as a record of out (NULL: not an address, or the list is full) */
static bounce_rcpt *add_record(const bounce_view *v, bounce_out *out, const ml_ent *x,
                               int count_drop)
{
    size_t al = strlen(x->rcpt);
    char typed[BOUNCE_ADDR_MAX];
    bounce_rcpt *r = NULL;
    if (out->n >= BOUNCE_MAX_RCPTS) {
        out->dropped += count_drop != 0; /* (the list is full) */
        return NULL;
    }
    /* (a log's field holds an address: one whose domain is one label is one too) */
    if (bounce_addr_typed(x->rcpt, al, typed, sizeof typed))
        r = bounce_add_exact(out, typed);
    if (!r)
        r = bounce_add(out, x->rcpt, al);
    if (!r)
        return NULL;
    copy_field(r->action, sizeof r->action, x->action);
    copy_field(r->status, sizeof r->status, x->status);
    copy_field(r->rhost, sizeof r->rhost, x->rhost);
    r->reason = x->expired ? "expired" : NULL;
    r->attempt = 1;
    const char *d = x->diag ? x->diag : "";
    rcpt_diag_set(r, d, strlen(d));
    reply_command_t(&v->cmds, r->diag, r->diaglen, r->command);
    memcpy(r->diagtype, "SMTP", 5);
    /* (no date: a syslog stamp has no year, which the log stage takes from the clock) */
    return r;
}

static int maillog_parse(bounce_view *v, bounce_out *out)
{
    mxd_log_opts o;
    memset(&o, 0, sizeof o);
    o.by = MXD_LOG_BY_PROVIDER; /* no sender tables: only the events are wanted */
    o.inflight_max = 4096;      /* (a pasted log is short; a long one is `mxdiag log`'s) */
    o.on_event = on_event;
    maillog_run run;
    memset(&run, 0, sizeof run);
    o.arg = &run;
    mxd_log_ctx *c = NULL;
    if (mxd_log_new(v->kb, &o, &c) != MXD_OK)
        return 0;
    /* the whole text the view keeps (BOUNCE_MAX_TEXT, 1 MiB: a longer log is `mxdiag log`'s;
     * a later line may deliver or expire what an earlier one deferred), its log lines
     * without the blanks or quote marks before their stamps */
    int quoted = 0;
    char *lines = unindented(v->text.ptr, v->text.len, &quoted);
    mxd_log_input *in = NULL;
    if (lines && mxd_log_input_open_mem(lines, strlen(lines), NULL, &in) == MXD_OK) {
        char why[128];
        mxd_log_input *const ins[1] = {in};
        (void)mxd_log_read(c, ins, 1, why, sizeof why);
        mxd_log_input_close(in);
    }
    mxd_log_free(c);
    free(lines);
    /* the failures first, in the order they were met; then, while there is room, the
     * recipients delivered in the end (records only with --include-delivered) */
    size_t failures = 0;
    for (int pass = 0; pass < 2 && !run.nomem; pass++) {
        for (size_t i = 0; i < run.n; i++)
            if ((pass == 0) == (strcmp(run.e[i].action, "delivered") != 0))
                (void)add_record(v, out, &run.e[i], pass == 0);
        if (pass == 0)
            failures = out->n;
    }
    for (size_t i = 0; i < run.n; i++) {
        free(run.e[i].rcpt);
        free(run.e[i].key);
        free(run.e[i].diag);
    }
    free(run.e);
    free(run.slot);
    if (quoted || prose_in(v->text.ptr, v->text.len))
        out->hearsay = 1; /* (a person's words around the lines, or a reply quoting them:
                             review-s15 H1) */
    /* (a log whose every recipient was delivered in the end is no bounce: exit 65 and the
     * hint that `mxdiag log` reads it, as for a log of deliveries alone) */
    return failures ? (int)out->n : 0;
}

const bounce_format bounce_fmt_maillog = {"maillog", maillog_detect, maillog_parse};
const bounce_format bounce_fmt_maillog_late = {"maillog", maillog_late_detect, maillog_parse};
