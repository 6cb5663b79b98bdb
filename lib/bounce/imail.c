/* imail.c - Ipswitch IMail Server bounces (X-Mailer: <SMTP32 vN>, "Undeliverable Mail")
 * SPDX-License-Identifier: MIT
 *
 * A plain-text notice before "Original message follows.": one line per failed recipient,
 * either IMail's own verdict with the address after the last ": " ("Unknown user:
 * bob@example.net", "Invalid final delivery userid: bob@example.net") or "undeliverable to
 * bob@example.net" followed by the remote server's answer after "Body of message generated
 * response:". IMail's own verdicts name the reason (sisimai/p5-sisimai:
 * lib/Sisimai/Lhost/IMailServer.pm): they are about IMail's local mailboxes, not a remote
 * server's filter.
 */
#include <string.h>
#include "bounce/formats.h"
#include "util/str.h"

/* IMail's own sentences and the reason each names (case as IMail writes them). */
static const struct {
    const char *text, *reason;
} imail_says[] = {
    {"Unknown host", "hostunknown"},
    {"Unknown user", "userunknown"},
    {"Invalid final delivery userid", "userunknown"},
    {"User mailbox exceeds allowed size", "mailboxfull"},
    {"Requested action not taken: virus detected", "virusdetected"},
    {"Delivery failed ", "expired"},
};

static int imail_detect(const bounce_view *v)
{
    /* the subject alone is no IMail notice: MailMarshal's open so too, with the original
     * subject quoted ('Undeliverable Mail: "..."', sisimai/p5-sisimai:lib/Sisimai/Lhost/
     * MailMarshalSMTP.pm; the plain-text reader reads them), and SmarterMail's: IMail's own
     * separator must be there as well */
    return fmt_header_has(v, "X-Mailer", "<SMTP32 v") ||
           (fmt_subject_starts(v, "Undeliverable Mail") &&
            !fmt_subject_starts(v, "Undeliverable Mail: \"") &&
            fmt_text_has(v, "Original message follows."));
}

static const char *imail_reason(const char *d, size_t len)
{
    for (size_t i = 0; i < sizeof imail_says / sizeof *imail_says; i++)
        if (str_find(d, len, imail_says[i].text, strlen(imail_says[i].text)))
            return imail_says[i].reason;
    return NULL;
}

/* add - the recipient whose address is in s[0..len), or NULL. */
static bounce_rcpt *add(bounce_out *out, const char *s, size_t len)
{
    size_t at, al;
    char a[BOUNCE_ADDR_MAX];
    if (!bounce_addr_in(s, len, &at, &al) || !bounce_addr_clean(s + at, al, a, sizeof a))
        return NULL;
    return bounce_add(out, a, strlen(a));
}

static int imail_parse(bounce_view *v, bounce_out *out)
{
    fmt_orig_after(v);
    const char *t = v->text.ptr ? v->text.ptr : "";
    size_t end = bview_sep(v), pos = 0, ll;
    const char *stop = str_find(t, end, "Original message follows.", 25);
    if (stop)
        end = (size_t)(stop - t);
    const char *l;
    bounce_rcpt *cur = NULL;
    int response = 0; /* inside "Body of message generated response:" */
    while (bounce_line(t, end, &pos, &l, &ll)) {
        bounce_trim(&l, &ll);
        if (!ll)
            continue;
        const char *colon = NULL;
        for (const char *p = l + ll - 1; p > l; p--)
            if (p[-1] == ':' && p[0] == ' ') {
                colon = p - 1;
                break;
            }
        if (colon && colon - l > 8 && memchr(colon, '@', (size_t)(l + ll - colon))) {
            /* "Unknown user: bob@example.net" */
            bounce_rcpt *r = add(out, colon + 2, (size_t)(l + ll - colon - 2));
            if (r) {
                cur = r;
                response = 0;
                rcpt_diag_set(r, l, ll);
                continue;
            }
        }
        if (ll > 14 && !memcmp(l, "undeliverable ", 14)) {
            bounce_rcpt *r = add(out, l, ll);
            if (r) {
                cur = r;
                response = 0;
                continue;
            }
        }
        if (str_find(l, ll, "Body of message generated response:", 35))
            response = 1;
        if (response && cur)
            rcpt_diag_add(cur, l, ll);
    }
    for (size_t i = 0; i < out->n; i++)
        if (!out->r[i].reason)
            out->r[i].reason = imail_reason(out->r[i].diag, out->r[i].diaglen);
    return (int)out->n;
}

const bounce_format bounce_fmt_imail = {"imail", imail_detect, imail_parse};
