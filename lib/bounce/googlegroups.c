/* googlegroups.c - Google Groups refusals: the group does not exist or you may not post
 * SPDX-License-Identifier: MIT
 *
 * Sent by mailer-daemon@googlemail.com in the sender's language; the group address is in
 * X-Failed-Recipients and the link to the Groups help is the stable marker. The post was
 * refused because of who sent it: reason "rejected".
 */
#include <string.h>
#include "bounce/formats.h"
#include "util/str.h"

static int googlegroups_detect(const bounce_view *v)
{
    return fmt_header_has(v, "X-Failed-Recipients", "googlegroups.com") ||
           (fmt_from_has(v, "googlemail.com") && fmt_text_has(v, "groups.google.com"));
}

static int googlegroups_parse(bounce_view *v, bounce_out *out)
{
    fmt_orig_after(v);
    char val[BOUNCE_FIELD_MAX];
    if (!bview_header(v, "X-Failed-Recipients", val, sizeof val))
        return 0;
    /* several addresses may be listed, comma-separated */
    const char *p = val;
    while (*p) {
        const char *c = strchr(p, ',');
        size_t l = c ? (size_t)(c - p) : strlen(p);
        bounce_rcpt *r = bounce_add(out, p, l);
        if (r) {
            r->reason = "rejected";
            /* (400 bytes of the text as the diagnostic holds it, its line ends and runs of
             * blanks one blank: the same words whatever the message's line ends) */
            rcpt_diag_set(r, v->text.ptr ? v->text.ptr : "", bview_sep(v));
            if (r->diaglen > 400) {
                r->diaglen = str_utf8_cut(r->diag, r->diaglen, 400);
                r->diag[r->diaglen] = 0;
            }
        }
        p = c ? c + 1 : p + l;
    }
    return (int)out->n;
}

const bounce_format bounce_fmt_googlegroups = {"googlegroups", googlegroups_detect,
                                               googlegroups_parse};
