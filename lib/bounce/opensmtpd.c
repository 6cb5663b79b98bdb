/* opensmtpd.c - OpenSMTPD bounces ("This is the MAILER-DAEMON, please DO NOT REPLY")
 * SPDX-License-Identifier: MIT
 *
 * After "the following list of recipients:" each line is "addr: error"; the copy of the
 * message follows "Below is a copy of the original message:". Newer versions attach a DSN
 * whose Status is only the class ("5.0.0"); the status then comes from the text.
 */
#include <stdlib.h>
#include <string.h>
#include "bounce/formats.h"
#include "util/str.h"

static int opensmtpd_detect(const bounce_view *v)
{
    return fmt_text_has(v, "This is the MAILER-DAEMON, please DO NOT REPLY") ||
           (fmt_header_has(v, "Received", "(OpenSMTPD)") && fmt_text_has(v, "list of recipients"));
}

static int opensmtpd_parse(bounce_view *v, bounce_out *out)
{
    const char *t = v->text.ptr ? v->text.ptr : "";
    size_t len = v->text.len;
    const char *cp = str_casefind(t, len, "Below is a copy of the original message", 39);
    size_t end = cp ? (size_t)(cp - t) : len;
    if (cp && !v->has_orig) {
        const char *nl = memchr(cp, '\n', len - end);
        if (nl)
            bview_set_orig(v, nl + 1, (size_t)(t + len - nl - 1));
    }
    const char *st = str_casefind(t, end, "list of recipients", 18);
    size_t off = st ? (size_t)(st - t) : 0;
    const char *nl = memchr(t + off, '\n', end - off);
    off = nl ? (size_t)(nl + 1 - t) : off;
    int n = text_generic(v->kb, t + off, end - off, out);
    if (v->has_dsn) {
        /* DSN fields (action, remote MTA) for the recipients found in the text */
        /* (not zeroed: bounce_add() sets every field of the entries it hands out) */
        bounce_out o2 = {.r = malloc(BOUNCE_MAX_RCPTS * sizeof *o2.r)};
        if (!o2.r)
            return n;
        dsn_parse(v->dsn.ptr ? v->dsn.ptr : "", v->dsn.len, &o2);
        out->dropped += o2.dropped;
        for (size_t i = 0; i < o2.n; i++) {
            bounce_rcpt *r = bounce_find(out, o2.r[i].recipient, strlen(o2.r[i].recipient));
            if (!r && !n)
                r = bounce_add(out, o2.r[i].recipient, strlen(o2.r[i].recipient));
            if (!r)
                continue;
            memcpy(r->rhost, o2.r[i].rhost, sizeof r->rhost);
            if (!r->diaglen)
                rcpt_diag_set(r, o2.r[i].diag, o2.r[i].diaglen);
            /* the DSN's Status and Action are only OpenSMTPD's guess (4.4.7 delayed for
             * an expired envelope): the text decides */
        }
        memcpy(out->lhost, o2.lhost, sizeof out->lhost);
        free(o2.r);
        n = (int)out->n;
    }
    for (size_t i = 0; i < out->n; i++) {
        bounce_rcpt *r = &out->r[i];
        const char *pn = str_casefind(r->diag, r->diaglen, "Please note", 11);
        if (pn) {
            r->diaglen = (size_t)(pn - r->diag);
            rcpt_diag_set(r, r->diag, r->diaglen);
        }
    }
    /* OpenSMTPD writes its success, relay and delay notices the same way (bounce.c:
     * notice_success, notice_relay, notice_warning): the sentence says which it is, except
     * that 5.7 headed failures with the success sentence too (OpenSMTPD issue 687) */
    fmt_notice_kind(v, out, FMT_SUCCESS_MISWORDED);
    return n;
}

const bounce_format bounce_fmt_opensmtpd = {"opensmtpd", opensmtpd_detect, opensmtpd_parse};
