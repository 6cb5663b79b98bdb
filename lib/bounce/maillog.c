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
 * that MTA would have sent (the same reply text, status and command: one verdict). A log line
 * is the MTA's own record of the attempt, not a person's words: its records may be hard
 * bounces, by the same rule as every other record. A recipient logged more than once keeps its
 * last outcome (deferred, then bounced); one delivered later keeps no record. The records carry
 * no date: a syslog stamp has none of its year. Inbound
 * rejections (NOQUEUE: reject) and lines of other programs give none: they are no bounce of
 * the user's mail.
 */
#include <string.h>
#include "bounce/formats.h"
#include "mxdiag/log.h"
#include "util/str.h"

#define MAILLOG_SCAN 65536 /* bytes of a text read (as the other header-less readers) */

/* a failed or deferred delivery's mark in a line, per MTA */
static int outcome_mark(const char *l, size_t ll)
{
    static const char *const mark[] = {"status=bounced", "status=deferred", " ** ", " == ",
                                       "stat="};
    for (size_t i = 0; i < sizeof mark / sizeof *mark; i++)
        if (str_find(l, ll, mark[i], strlen(mark[i])))
            return 1;
    return 0;
}

/* maillog_detect - a text without a header whose lines hold a time-stamped log line that
 * marks a failed or deferred delivery. */
static int maillog_detect(const bounce_view *v)
{
    if (v->hlen || v->ms.nparts || !v->text.len)
        return 0;
    const char *t = v->text.ptr, *l;
    size_t end = v->text.len < MAILLOG_SCAN ? v->text.len : MAILLOG_SCAN, pos = 0, ll;
    while (bounce_line(t, end, &pos, &l, &ll))
        if (bounce_log_stamp(l, ll) && outcome_mark(l, ll))
            return 1;
    return 0;
}

typedef struct maillog_run {
    const bounce_view *v;
    bounce_out *out;
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
    if (!ev->recipient || !ev->recipient[0])
        return 0;
    int failed = !strcmp(ev->outcome, "bounced"), delayed = !strcmp(ev->outcome, "deferred");
    size_t al = strlen(ev->recipient);
    if (!failed && !delayed) {
        /* delivered after all (or an inbound rejection): an earlier deferral is no record */
        bounce_rcpt *old = !strcmp(ev->outcome, "sent") ? bounce_find(out, ev->recipient, al)
                                                        : NULL;
        if (old) {
            size_t i = (size_t)(old - out->r);
            memmove(old, old + 1, (out->n - i - 1) * sizeof *old);
            out->n--;
        }
        return 0;
    }
    bounce_rcpt *r = bounce_find(out, ev->recipient, al);
    char typed[BOUNCE_ADDR_MAX];
    /* (a log's field holds an address: one whose domain is one label is one too) */
    if (!r && bounce_addr_typed(ev->recipient, al, typed, sizeof typed))
        r = bounce_add_exact(out, typed);
    if (!r)
        r = bounce_add(out, ev->recipient, al);
    if (!r)
        return 0; /* not an address, or the list is full (out->dropped counts it) */
    copy_field(r->action, sizeof r->action, failed ? "failed" : "delayed");
    copy_field(r->status, sizeof r->status, ev->status);
    copy_field(r->rhost, sizeof r->rhost, ev->rhost);
    r->replycode[0] = 0;
    r->command[0] = 0;
    r->diaglen = 0;
    r->diag[0] = 0;
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
    o.inflight_max = 1024;      /* (64 KiB of lines hold fewer messages) */
    o.on_event = on_event;
    maillog_run run = {v, out};
    o.arg = &run;
    mxd_log_ctx *c = NULL;
    if (mxd_log_new(v->kb, &o, &c) != MXD_OK)
        return 0;
    size_t len = v->text.len < MAILLOG_SCAN ? v->text.len : MAILLOG_SCAN;
    mxd_log_input *in = NULL;
    if (mxd_log_input_open_mem(v->text.ptr, len, NULL, &in) == MXD_OK) {
        char why[128];
        mxd_log_input *const ins[1] = {in};
        (void)mxd_log_read(c, ins, 1, why, sizeof why);
        mxd_log_input_close(in);
    }
    mxd_log_free(c);
    return (int)out->n;
}

const bounce_format bounce_fmt_maillog = {"maillog", maillog_detect, maillog_parse};
