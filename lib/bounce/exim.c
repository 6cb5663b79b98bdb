/* exim.c - Exim bounces: "This message was created automatically by mail delivery software"
 * SPDX-License-Identifier: MIT
 *
 * After "The following address(es) failed:" each recipient stands indented on its own line,
 * its error lines indented below it ("SMTP error from remote mail server after RCPT TO:...:
 * host mx [ip]: 550 ..."). X-Failed-Recipients lists the addresses too. Newer Exim adds a
 * message/delivery-status part; then the DSN fields are read and the text fills in.
 * A delay warning ("Warning: message ... delayed") is a temporary failure. A recipient's block
 * pasted alone is read too.
 */
#include <string.h>
#include "bounce/formats.h"
#include "kb/kb_internal.h"
#include "util/str.h"

/* pasted_block - a recipient's block of an Exim notice pasted alone, without a header or the
 * notice's sentences: an address on the first line of text, Exim's own "SMTP error from
 * remote mail server after" (Exim 3: "remote mailer") on one of the next lines ("  a@b\n    host mx
 * [ip]\n    SMTP error from remote mail server after RCPT TO:<a@b>:\n    550 ..."). */
static int pasted_block(const bounce_view *v)
{
    if (v->hlen || v->ms.nparts || !v->text.len)
        return 0;
    const char *t = v->text.ptr, *l;
    size_t pos = 0, ll, at, al;
    int n = 0;
    while (bounce_line(t, v->text.len, &pos, &l, &ll)) {
        bounce_trim(&l, &ll);
        if (!ll && !n)
            continue;
        if (!n++) {
            if (ll && l[0] == '<' && l[ll - 1] == '>')
                l++, ll -= 2;
            if (!bounce_addr_in(l, ll, &at, &al) || at || al != ll)
                return 0;
        } else if (!ll || n > 4) {
            return 0;
        } else if (bounce_starts(l, ll, "SMTP error from remote mail server after") ||
                   bounce_starts(l, ll, "SMTP error from remote mailer after")) { /* (Exim 3) */
            return 1;
        }
    }
    return 0;
}

static int exim_detect(const bounce_view *v)
{
    return fmt_text_has(v, "This message was created automatically by mail delivery software") ||
           (fmt_header_has(v, "X-Failed-Recipients", NULL) && !fmt_from_has(v, "google")) ||
           fmt_text_has(v, "------ This is a copy of the message") || pasted_block(v);
}

static int exim_parse(bounce_view *v, bounce_out *out)
{
    fmt_orig_after(v);
    int n = 0;
    if (v->has_dsn) {
        n = dsn_parse(v->dsn.ptr ? v->dsn.ptr : "", v->dsn.len, out);
        dsn_text_fill(v, out);
    }
    if (n == 0 && v->text.len) {
        const char *t = v->text.ptr;
        size_t len = v->text.len;
        /* Exim's lead stands flush left and ends its line ("The following address(es)
         * failed:"); a "FAILED:" in an indented reply ("mime_decode-1 FAILED:") is no lead */
        const char *from = NULL;
        for (const char *f = str_casefind(t, len, "failed:", 7); f && !from;
             f = str_casefind(f + 7, len - (size_t)(f + 7 - t), "failed:", 7)) {
            const char *e = f + 7, *b = f;
            while (e < t + len && (*e == ' ' || *e == '\t' || *e == '\r'))
                e++;
            if (e < t + len && *e != '\n')
                continue;
            while (b > t && b[-1] != '\n') /* (once per line: linear) */
                b--;
            if (*b != ' ' && *b != '\t')
                from = f;
        }
        if (!from)
            from = str_casefind(t, len, "could not be delivered", 22);
        size_t off = 0;
        if (from) { /* start at the line after the lead (a block pasted alone has none) */
            off = (size_t)(from - t);
            const char *nl = memchr(t + off, '\n', len - off);
            off = nl ? (size_t)(nl + 1 - t) : off;
        }
        n = text_generic_v(v, off, out);
    }
    if (n == 0) {
        bounce_rcpt *r = fmt_fallback_rcpt(v, out);
        if (r && v->text.len) {
            size_t end = bview_sep(v);
            rcpt_diag_set(r, v->text.ptr, end > 800 ? 800 : end);
        }
        n = r ? 1 : 0;
    }
    /* no remote host, no reply code, no SMTP command, no "SMTP error from remote mail
     * server": the error is Exim's own router's or transport's ("Unknown user" from a
     * redirect router's :fail:, "Unrouteable address"), given before any server saw the
     * message (mxd_reply_facts.own) */
    for (size_t i = 0; i < out->n; i++) {
        out->r[i].own = !out->rhost[0] && bounce_own_verdict(&out->r[i]);
        bounce_mark_mailer(v->kb, &out->r[i]); /* (a pipe's exit code: X-Unix) */
    }
    int delayed = (fmt_subject_has(v, "warning: message") && fmt_subject_has(v, "delayed")) ||
                  fmt_notice_says(v, KB_PH_DELAYED); /* (its text, pasted without the subject) */
    if (delayed && fmt_any_permanent(out))
        delayed = 0;
    for (size_t i = 0; i < out->n && delayed; i++)
        if (!out->r[i].action[0])
            memcpy(out->r[i].action, "delayed", 8);
    return n;
}

const bounce_format bounce_fmt_exim = {"exim", exim_detect, exim_parse};
