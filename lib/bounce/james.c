/* james.c - Apache James bounces (its Bounce / NotifySender mailets)
 * SPDX-License-Identifier: MIT
 *
 * James writes plain text: a greeting ("Hi. This is the James mail server at ..." and
 * qmail's apology, which is why qmail's reader must not take it), "Error message below:" and
 * the error the delivery ended with, then "Message details:" with the returned message's
 * envelope as indented "Key: value" lines, one "RCPT TO: addr" line per recipient. The
 * recipients are in that block, not beside the error, and the error is every recipient's
 * (the layout of AbstractNotify in James 2.3, as Sisimai's ApacheJames reader describes it:
 * sisimai/go-sisimai lhost/via-apachejames.go).
 *
 * An error of the form "NNN - text" is a notice James's own configuration writes (its
 * default local-address-error processor: "550 - Requested action not taken: no such user
 * here"), never a remote server's reply, which has no " - " after its code (RFC 5321 4.2):
 * the record is marked as the MTA's own verdict. Sisimai's Verizon reader (vtext.com runs
 * James) files that notice as userunknown (sisimai/go-sisimai lhost/via-verizon.go).
 */
#include <string.h>
#include "bounce/formats.h"

static int james_detect(const bounce_view *v)
{
    if (v->has_dsn || !fmt_text_has(v, "Message details:"))
        return 0;
    return fmt_text_has(v, "Error message below:") || fmt_subject_starts(v, "[BOUNCE]") ||
           fmt_header_has(v, "Received", "JAMES SMTP Server") ||
           fmt_header_has(v, "Message-ID", ".JavaMail.");
}

static int james_parse(bounce_view *v, bounce_out *out)
{
    const char *t = v->text.ptr;
    size_t tl = v->text.len, pos = 0, err = 0, errend = tl;
    const char *l;
    size_t ll;
    int details = 0;
    while (bounce_line(t, tl, &pos, &l, &ll)) {
        const char *s = l;
        size_t sl = ll;
        bounce_trim(&s, &sl);
        if (!details && bounce_starts(s, sl, "Error message below:")) {
            err = pos;
        } else if (!details && bounce_starts(s, sl, "Message details:")) {
            errend = (size_t)(l - t);
            details = 1;
        } else if (details && !sl) {
            break; /* the block ends at the first empty line */
        } else if (details && bounce_starts(s, sl, "RCPT TO:")) {
            size_t at, alen;
            if (bounce_addr_in(s + 8, sl - 8, &at, &alen))
                bounce_add(out, s + 8 + at, alen);
        }
    }
    if (!out->n)
        return text_generic_v(v, 0, out);
    if (err < errend) {
        const char *e = t + err;
        size_t el = errend - err;
        bounce_trim(&e, &el);
        int own = el > 6 && e[0] >= '4' && e[0] <= '5' && e[1] >= '0' && e[1] <= '9' &&
                  e[2] >= '0' && e[2] <= '9' && !memcmp(e + 3, " - ", 3);
        for (size_t i = 0; i < out->n; i++) {
            rcpt_diag_set(&out->r[i], e, el);
            out->r[i].own = own;
        }
    }
    for (size_t i = 0; i < out->n; i++)
        reply_command_t(&v->cmds, out->r[i].diag, out->r[i].diaglen, out->r[i].command);
    fmt_orig_after(v);
    return (int)out->n;
}

const bounce_format bounce_fmt_james = {"james", james_detect, james_parse};
