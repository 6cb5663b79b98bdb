/* arf.c - RFC 5965 feedback reports (ARF): reason "feedback" with the Feedback-Type
 * SPDX-License-Identifier: MIT
 *
 * A multipart/report with a message/feedback-report part. The complained-about recipient is
 * Original-Rcpt-To (or Removal-Recipient), else the To of the returned message.
 *
 * Microsoft's Junk Mail Reporting Program (JMRP) also sends its complaints the older way: the
 * message the user marked as junk, returned whole (message/rfc822), with the complaining
 * address in its own X-HmXmrOriginalRecipient field and no feedback-report part. Read as an
 * abuse report of that address.
 */
#include <string.h>
#include "bounce/bounce_internal.h"
#include "bounce/formats.h"
#include "util/str.h"

static int arf_detect(const bounce_view *v)
{
    return v->has_fbr;
}

/* field - the first value of name in the feedback report into out. */
static int field(bounce_view *v, const char *name, char *out, size_t outlen)
{
    out[0] = 0;
    if (!mail_header_get(v->fbr.ptr, v->fbr.len, name, &v->tmp) || !v->tmp.ptr)
        return 0;
    bounce_copy(out, outlen, v->tmp.ptr, v->tmp.len);
    return out[0] != 0;
}

static int arf_parse(bounce_view *v, bounce_out *out)
{
    char type[64], rcpt[BOUNCE_FIELD_MAX], date[256], ip[64];
    field(v, "Feedback-Type", type, sizeof type);
    field(v, "Source-IP", ip, sizeof ip);
    if (field(v, "Arrival-Date", date, sizeof date) || field(v, "Received-Date", date, sizeof date))
        out->date = bounce_date(date, strlen(date), out->tz);
    /* every Original-Rcpt-To (a report may name several) */
    size_t pos = 0, nl, vl;
    const char *n, *val;
    while (mail_header_next(v->fbr.ptr, v->fbr.len, &pos, &n, &nl, &val, &vl))
        if ((nl == 16 && str_caseeq(n, nl, "Original-Rcpt-To")) ||
            (nl == 17 && str_caseeq(n, nl, "Removal-Recipient")))
            bounce_add(out, val, vl);
    if (!out->n && bview_orig_header(v, "To", rcpt, sizeof rcpt))
        bounce_add(out, rcpt, strlen(rcpt));
    for (size_t i = 0; i < out->n; i++) {
        bounce_rcpt *r = &out->r[i];
        r->reason = "feedback";
        for (size_t k = 0; type[k] && k + 1 < sizeof r->feedbacktype; k++)
            r->feedbacktype[k] = (char)str_tolower((unsigned char)type[k]),
            r->feedbacktype[k + 1] = 0;
        if (!type[0])
            memcpy(r->feedbacktype, "other", 6);
        /* the first line of the human-readable part tells what happened */
        size_t p2 = 0;
        const char *l;
        size_t ll;
        while (bounce_line(v->text.ptr ? v->text.ptr : "", v->text.len, &p2, &l, &ll)) {
            bounce_trim(&l, &ll);
            if (ll) {
                rcpt_diag_set(r, l, ll);
                break;
            }
        }
        if (ip[0] && !r->rhost[0])
            bounce_copy(r->rhost, sizeof r->rhost, ip, strlen(ip));
    }
    return (int)out->n;
}

const bounce_format bounce_fmt_arf = {"arf", arf_detect, arf_parse};

#define JMRP_FIELD "X-HmXmrOriginalRecipient"

static int jmrp_detect(const bounce_view *v)
{
    if (v->has_fbr || v->has_dsn)
        return 0;
    char val[BOUNCE_FIELD_MAX];
    bounce_view *w = (bounce_view *)v;
    return bview_orig_header(w, JMRP_FIELD, val, sizeof val) ||
           bview_header(w, JMRP_FIELD, val, sizeof val);
}

static int jmrp_parse(bounce_view *v, bounce_out *out)
{
    char rcpt[BOUNCE_FIELD_MAX];
    if (!bview_orig_header(v, JMRP_FIELD, rcpt, sizeof rcpt) &&
        !bview_header(v, JMRP_FIELD, rcpt, sizeof rcpt))
        return 0;
    bounce_rcpt *r = bounce_add(out, rcpt, strlen(rcpt));
    if (!r)
        return 0;
    r->reason = "feedback";
    memcpy(r->feedbacktype, "abuse", 6);
    /* the report's subject says what it is ("complaint about message from 192.0.2.1"), past
     * a gateway's tag ("[EXTERNAL] ") that the reader's own mail system put before it */
    const char *subj = fmt_subject_untagged(v);
    if (*subj)
        rcpt_diag_set(r, subj, strlen(subj));
    return 1;
}

const bounce_format bounce_fmt_jmrp = {"jmrp", jmrp_detect, jmrp_parse};
