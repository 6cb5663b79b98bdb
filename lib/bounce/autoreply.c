/* autoreply.c - RFC 3834 automatic responses (out of office, vacation): reason "vacation"
 * SPDX-License-Identifier: MIT
 *
 * An auto-reply is recognised by Auto-Submitted: auto-replied (RFC 3834 section 5), the
 * X-Autoreply / X-Autorespond fields, Precedence: auto_reply, iCloud's X-Apple-Action: vacation,
 * or a subject that opens with the words of an automatic reply (data/bounce-phrases.tsv, kind
 * autoreply: "Automatic reply:", "Out of Office" ...). The recipient is the person who answered
 * (From).
 */
#include <string.h>
#include "bounce/bounce_internal.h"
#include "bounce/formats.h"
#include "kb/kb_internal.h"
#include "util/str.h"

/* autoreply_subject - does the subject open with an auto-reply's words (data/bounce-phrases.tsv,
 * kind autoreply), also as the whole of a bracketed tag ("[Auto-Reply] <subject>"; a list's
 * "[Vacation-Rentals]" is no such tag)? */
static int autoreply_subject(const mxd_kb *kb, const char *subj)
{
    while (*subj == ' ' || *subj == '\t')
        subj++;
    size_t sl = strlen(subj);
    char close = *subj == '[' ? ']' : *subj == '(' ? ')' : 0;
    const char *in = subj + (close != 0);
    size_t il = sl - (close != 0);
    for (size_t i = 0; kb && i < kb->nphrases; i++) {
        const char *pat = kb_str(kb, kb->phrases[i].pattern);
        if (kb->phrases[i].kind != KB_PH_AUTOREPLY || !bounce_starts(in, il, pat))
            continue;
        size_t pl = strlen(pat);
        if (!close || (pl < il && in[pl] == close))
            return 1;
    }
    return 0;
}

static int autoreply_detect(const bounce_view *v)
{
    if (v->has_dsn || v->has_fbr)
        return 0;
    /* bounces say auto-replied too (Exim): not from a mailer daemon (bounce-phrases.tsv,
     * kind from: the senders of non-delivery notices) */
    if (fmt_system_name(v, v->lfrom, v->lfrom_len))
        return 0;
    if (fmt_header_has(v, "X-Failed-Recipients", NULL))
        return 0;
    /* a report (RFC 6522: a read receipt, a DMARC failure report that Exim marks
     * auto-replied) is a machine's account of a message, not a person's absence */
    if (fmt_header_has(v, "Content-Type", "multipart/report"))
        return 0;
    bounce_view *w = (bounce_view *)v;
    char val[256];
    if (bview_header(w, "Auto-Submitted", val, sizeof val) &&
        bounce_has(val, strlen(val), "auto-replied"))
        return 1;
    if (bview_header(w, "X-Autoreply", val, sizeof val) ||
        bview_header(w, "X-Autorespond", val, sizeof val))
        return 1;
    if (bview_header(w, "Precedence", val, sizeof val) &&
        bounce_has(val, strlen(val), "auto_reply"))
        return 1;
    /* iCloud's vacation replies (sisimai/go-sisimai:rfc3834/lib.go, X-Apple-Action) */
    if (bview_header(w, "X-Apple-Action", val, sizeof val) &&
        bounce_has(val, strlen(val), "vacation"))
        return 1;
    /* as written, then past the mail gateways' tags in front of it: "[EXTERNAL] Automatic
     * reply: ...", "[EXTERNAL] [Automatyczna odpowiedz] ..."; a ticket system's "[site #1]
     * AutoReply:" is its acknowledgement, no person's auto-reply */
    const char *untagged = fmt_subject_untagged(v);
    return autoreply_subject(v->kb, v->subject) ||
           (untagged != v->subject && autoreply_subject(v->kb, untagged));
}

static int autoreply_parse(bounce_view *v, bounce_out *out)
{
    char from[BOUNCE_FIELD_MAX];
    bounce_rcpt *r = NULL;
    if (bview_header(v, "From", from, sizeof from))
        r = bounce_add(out, from, strlen(from));
    if (!r)
        return 0;
    r->reason = "vacation";
    /* the first lines of the reply as the diagnostic */
    size_t pos = 0;
    const char *l;
    size_t ll;
    int n = 0;
    while (n < 3 && bounce_line(v->text.ptr ? v->text.ptr : "", v->text.len, &pos, &l, &ll)) {
        bounce_trim(&l, &ll);
        if (!ll)
            continue;
        rcpt_diag_add(r, l, ll);
        n++;
    }
    return 1;
}

const bounce_format bounce_fmt_rfc3834 = {"rfc3834", autoreply_detect, autoreply_parse};
