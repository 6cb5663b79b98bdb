/* mcafee.c - McAfee Email Gateway / SaaS (formerly MX Logic) bounces
 * SPDX-License-Identifier: MIT
 *
 * A multipart/report whose human-readable part starts "--- The following addresses had
 * delivery problems ---"; the error is the gateway's answer to RCPT TO ("550 Unknown
 * user ..."), so an unknown user here is an address rejected at RCPT time.
 */
#include <string.h>
#include "bounce/formats.h"

static int mcafee_detect(const bounce_view *v)
{
    return fmt_header_has(v, "X-NAI-Header", NULL) ||
           fmt_text_has(v, "--- The following addresses had delivery problems ---");
}

static int mcafee_parse(bounce_view *v, bounce_out *out)
{
    fmt_orig_after(v);
    int n = 0;
    if (v->has_dsn) {
        n = dsn_parse(v->dsn.ptr ? v->dsn.ptr : "", v->dsn.len, out);
        dsn_text_fill(v, out);
    }
    if (!n)
        n = text_generic_v(v, 0, out);
    for (size_t i = 0; i < out->n; i++)
        if (!out->r[i].command[0])
            memcpy(out->r[i].command, "RCPT", 5);
    return n;
}

const bounce_format bounce_fmt_mcafee = {"mcafee", mcafee_detect, mcafee_parse};
