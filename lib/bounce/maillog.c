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
 * record; log lines amid other words (a person's post quoting one) are hearsay, never hard
 * (review-s15 H1). A text mostly of log lines is read first of all (the notice readers would
 * take its "to=<a@b>" for a notice's list); one where other words dominate is left to the
 * notice readers and read only when none took it (a notice pasted with a log line:
 * review-s15 H2). A recipient logged more than once keeps its last outcome (deferred, then
 * bounced); one delivered later is a delivery (no record unless --include-delivered); a
 * deferred one whose message then expired (Postfix's qmgr "status=expired, returned to
 * sender") is a failure, reason expired. The records carry no date: a syslog stamp has none of
 * its year. Inbound rejections (NOQUEUE: reject) and lines of other programs give none: they
 * are no bounce of the user's mail.
 */
#include <stdlib.h>
#include <string.h>
#include "bounce/formats.h"
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

/* scan - in t[0..end): the time-stamped lines that mark a failed or deferred delivery, the
 * time-stamped lines, and the other lines with words */
static void scan(const char *t, size_t end, size_t *marks, size_t *logl, size_t *other)
{
    const char *l;
    size_t pos = 0, ll;
    *marks = *logl = *other = 0;
    while (bounce_line(t, end, &pos, &l, &ll)) {
        if (bounce_log_stamp(l, ll)) {
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

typedef struct maillog_run {
    const bounce_view *v;
    bounce_out *out;
    char qid[BOUNCE_MAX_RCPTS][32]; /* each record's queue ID (an expiry names only that) */
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

static int on_event(void *arg, const mxd_log_event *ev)
{
    maillog_run *run = arg;
    bounce_out *out = run->out;
    if (!strcmp(ev->outcome, "expired")) {
        /* the message left the queue: its recipients still deferred failed */
        for (size_t i = 0; ev->queueid && i < out->n && i < BOUNCE_MAX_RCPTS; i++)
            if (!strcmp(run->qid[i], ev->queueid) && !strcmp(out->r[i].action, "delayed")) {
                copy_field(out->r[i].action, sizeof out->r[i].action, "failed");
                out->r[i].reason = "expired";
            }
        return 0;
    }
    int failed = !strcmp(ev->outcome, "bounced"), delayed = !strcmp(ev->outcome, "deferred"),
        sent = !strcmp(ev->outcome, "sent");
    if (!ev->recipient || !ev->recipient[0] || !(failed || delayed || sent))
        return 0; /* (an inbound rejection: no bounce of the user's mail) */
    size_t al = strlen(ev->recipient);
    bounce_rcpt *r = bounce_find(out, ev->recipient, al);
    if (!r && sent)
        return 0;
    char typed[BOUNCE_ADDR_MAX];
    /* (a log's field holds an address: one whose domain is one label is one too) */
    if (!r && bounce_addr_typed(ev->recipient, al, typed, sizeof typed))
        r = bounce_add_exact(out, typed);
    if (!r)
        r = bounce_add(out, ev->recipient, al);
    if (!r)
        return 0; /* not an address, or the list is full (out->dropped counts it) */
    size_t i = (size_t)(r - out->r);
    if (i < BOUNCE_MAX_RCPTS)
        copy_field(run->qid[i], sizeof run->qid[i], ev->queueid);
    copy_field(r->action, sizeof r->action, failed ? "failed" : delayed ? "delayed" : "delivered");
    copy_field(r->status, sizeof r->status, ev->status);
    copy_field(r->rhost, sizeof r->rhost, ev->rhost);
    r->replycode[0] = 0;
    r->command[0] = 0;
    r->reason = NULL;
    r->attempt = 1;
    const char *d = ev->diagnosticcode ? ev->diagnosticcode : "";
    rcpt_diag_set(r, d, bounce_utf8_cut(d, strlen(d), BOUNCE_MAX_DIAG - 1));
    reply_command_t(&run->v->cmds, r->diag, r->diaglen, r->command);
    memcpy(r->diagtype, "SMTP", 5);
    /* (no date: a syslog stamp has no year, which the log stage takes from the clock) */
    return 0;
}

static int maillog_parse(bounce_view *v, bounce_out *out)
{
    mxd_log_opts o;
    memset(&o, 0, sizeof o);
    o.by = MXD_LOG_BY_PROVIDER; /* no sender tables: only the events are wanted */
    o.inflight_max = 4096;      /* (a pasted log is short; a long one is `mxdiag log`'s) */
    o.on_event = on_event;
    maillog_run *run = calloc(1, sizeof *run);
    if (!run)
        return 0;
    run->v = v;
    run->out = out;
    o.arg = run;
    mxd_log_ctx *c = NULL;
    if (mxd_log_new(v->kb, &o, &c) != MXD_OK) {
        free(run);
        return 0;
    }
    /* the whole text: a later line may deliver or expire what an earlier one deferred */
    mxd_log_input *in = NULL;
    if (mxd_log_input_open_mem(v->text.ptr, v->text.len, NULL, &in) == MXD_OK) {
        char why[128];
        mxd_log_input *const ins[1] = {in};
        (void)mxd_log_read(c, ins, 1, why, sizeof why);
        mxd_log_input_close(in);
    }
    mxd_log_free(c);
    free(run);
    size_t marks, logl, other;
    scan(v->text.ptr, v->text.len, &marks, &logl, &other);
    if (other)
        out->hearsay = 1; /* (a person's words around the lines: review-s15 H1) */
    return (int)out->n;
}

const bounce_format bounce_fmt_maillog = {"maillog", maillog_detect, maillog_parse};
const bounce_format bounce_fmt_maillog_late = {"maillog", maillog_late_detect, maillog_parse};
