/* exchange.c - Microsoft Exchange 2003 (and Internet Mail Service) non-delivery reports
 * SPDX-License-Identifier: MIT
 *
 * "Your message ... did not reach some or all of the intended recipients" / "did not reach
 * the following recipient(s):" then "addr on DATE", the reason in words and an
 * MSEXCH:IMS code with a hexadecimal error number, e.g. (000C05A6) Unknown Recipient.
 * The error numbers are data (data/reasons.tsv, read by the one classification); a directory
 * miss is an address rejected at RCPT time.
 */
#include <string.h>
#include "bounce/formats.h"
#include "util/str.h"

static int exchange2003_detect(const bounce_view *v)
{
    if (v->has_dsn)
        return 0; /* Exchange 2007 and later send DSNs: read as RFC 3464 */
    return fmt_text_has(v, "did not reach the following recipient") ||
           fmt_text_has(v, "did not reach some or all of the intended recipients") ||
           fmt_text_has(v, "MSEXCH:");
}

static int exchange2003_parse(bounce_view *v, bounce_out *out)
{
    fmt_orig_after(v);
    const char *t = v->text.ptr ? v->text.ptr : "";
    size_t len = v->text.len;
    const char *st = str_casefind(t, len, "did not reach", 13);
    size_t off = st ? (size_t)(st - t) : 0;
    const char *nl = memchr(t + off, '\n', len - off);
    off = nl ? (size_t)(nl + 1 - t) : off;
    int n = text_generic_v(v, off, out);
    for (size_t i = 0; i < out->n; i++) {
        bounce_rcpt *r = &out->r[i];
        if (!r->command[0] && bounce_has(r->diag, r->diaglen, "recipient name is not recognized"))
            memcpy(r->command, "RCPT", 5);
    }
    return n;
}

const bounce_format bounce_fmt_exchange2003 = {"exchange2003", exchange2003_detect,
                                               exchange2003_parse};
