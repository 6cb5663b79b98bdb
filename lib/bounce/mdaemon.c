/* mdaemon.c - MDaemon's delivery status notification (header X-MDDSN-Message)
 * SPDX-License-Identifier: MIT
 *
 * Plain text: "MDaemon Delivery Status Notification", "The attached message had PERMANENT
 * fatal delivery errors.", then the delivery's log between "--- Session Transcript ---" and
 * "--- End Transcript ---", each line stamped ("Wed 2013-09-11 12:22:04: "). The recipient
 * is the log's "*  To: addr" line; what went wrong is its last reply ("<-- 550 5.1.1 ...",
 * after the "--> RCPT To:<...>" it answers) or MDaemon's own remark ("*  Name server reports
 * domain name unknown"). The layout as a real notice shows it, quoted in the comments of a
 * public bounce parser (eris, MDaemonProParser.java).
 */
#include <string.h>
#include "bounce/formats.h"
#include "util/str.h"

static int mdaemon_detect(const bounce_view *v)
{
    /* (the text marker first: a header lookup costs more, and most messages fail here) */
    return !v->has_dsn && fmt_text_has(v, "--- Session Transcript ---") &&
           (fmt_text_has(v, "MDaemon Delivery Status Notification") ||
            fmt_header_has(v, "X-MDDSN-Message", NULL));
}

/* unstamp - the log line without its time stamp ("Wed 2013-09-11 12:22:04: ") */
static void unstamp(const char **l, size_t *ll)
{
    const char *c = str_find(*l, *ll < 40 ? *ll : 40, ": ", 2);
    if (c && c - *l >= 19 && str_isdigit((unsigned char)c[-1]) && c[-3] == ':') {
        *ll -= (size_t)(c + 2 - *l);
        *l = c + 2;
    }
    bounce_trim(l, ll);
}

static int mdaemon_parse(bounce_view *v, bounce_out *out)
{
    fmt_orig_after(v);
    const char *t = v->text.ptr ? v->text.ptr : "";
    size_t end = v->text.len, pos = 0, ll;
    const char *l;
    int in = 0;
    bounce_rcpt *r = NULL;
    const char *cmd = NULL, *why = NULL;
    size_t cmdl = 0, whyl = 0;
    while (bounce_line(t, end, &pos, &l, &ll)) {
        bounce_trim(&l, &ll);
        if (bounce_starts(l, ll, "--- Session Transcript ---")) {
            in = 1;
            continue;
        }
        if (!in)
            continue;
        if (bounce_starts(l, ll, "--- End Transcript ---"))
            break;
        unstamp(&l, &ll);
        size_t at, al;
        if (bounce_starts(l, ll, "*  To:") && bounce_addr_in(l + 6, ll - 6, &at, &al)) {
            r = bounce_add(out, l + 6 + at, al);
            cmd = why = NULL;
        } else if (r && bounce_starts(l, ll, "--> ")) {
            cmd = l + 4, cmdl = ll - 4;
        } else if (r && bounce_starts(l, ll, "<-- ") && ll > 4 && (l[4] == '4' || l[4] == '5')) {
            why = l + 4, whyl = ll - 4;
            rcpt_diag_set(r, why, whyl);
            r->own = 0;
            if (cmd)
                reply_command_t(&v->cmds, cmd, cmdl, r->command);
        } else if (r && !why && bounce_starts(l, ll, "*  ") && !bounce_starts(l, ll, "*  From:") &&
                   !bounce_starts(l, ll, "*  Subject:") && !bounce_starts(l, ll, "*  Size") &&
                   !bounce_starts(l, ll, "*  Message-ID:") && !bounce_starts(l, ll, "*  Route")) {
            rcpt_diag_set(r, l + 3, ll - 3); /* MDaemon's own remark: its own verdict */
            r->own = 1;
        }
    }
    return out->n ? (int)out->n : text_generic_v(v, 0, out);
}

const bounce_format bounce_fmt_mdaemon = {"mdaemon", mdaemon_detect, mdaemon_parse};
