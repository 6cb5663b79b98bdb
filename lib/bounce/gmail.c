/* gmail.c - Gmail bounces ("Delivery to the following recipient failed permanently")
 * SPDX-License-Identifier: MIT
 *
 * The recipient stands indented on the line after the heading; "Technical details of
 * permanent (or temporary) failure:" introduces Google's words and, where the remote server
 * answered, "The error that the other server returned was: 550 ...". A temporary failure
 * ("has been delayed", "Message will be retried") is reported with action delayed. A notice
 * pasted without its header is known by two of its sentences.
 */
#include <string.h>
#include "bounce/formats.h"
#include "util/str.h"

static int gmail_detect(const bounce_view *v)
{
    if (!v->hlen) /* (pasted without its header: two of its sentences) */
        return fmt_text_has(v, "Technical details of") &&
               (fmt_text_has(v, "Delivery to the following recipient") ||
                fmt_text_has(v, "Google tried to deliver your message"));
    return (fmt_from_has(v, "mailer-daemon@google") || fmt_from_has(v, "mailer-daemon@gmail") ||
            fmt_from_has(v, "googlemail.com")) &&
           (fmt_text_has(v, "Delivery to the following recipient") ||
            fmt_text_has(v, "Technical details of"));
}

static int gmail_parse(bounce_view *v, bounce_out *out)
{
    fmt_orig_after(v);
    const char *t = v->text.ptr ? v->text.ptr : "";
    size_t len = v->text.len;
    int n = text_generic_v(v, 0, out);
    if (n <= 0)
        return 0;
    const char *td = str_casefind(t, len, "Technical details of", 20);
    /* (the notice's own words, not the returned message's below its separator) */
    size_t own = bview_sep(v);
    int temp = str_casefind(t, own, "temporary failure", 17) ||
               str_casefind(t, own, "has been delayed", 16) ||
               str_casefind(t, own, "will be retried", 15);
    if (td && out->n == 1) {
        size_t off = (size_t)(td - t);
        size_t end = bview_sep(v);
        if (end > off)
            rcpt_diag_set(&out->r[0], td, end - off);
    }
    for (size_t i = 0; i < out->n && temp; i++)
        memcpy(out->r[i].action, "delayed", 8);
    return n;
}

const bounce_format bounce_fmt_gmail = {"gmail", gmail_detect, gmail_parse};
