/* domino.c - IBM (Lotus) Domino bounces: "DELIVERY FAILURE: ..." with "was not delivered to:"
 * SPDX-License-Identifier: MIT
 *
 * The human-readable part says, per failed delivery:
 *
 *     Your message
 *       Subject: ...
 *     was not delivered to:
 *       user@example.jp
 *     because:
 *       User Neko (user@example.jp) not listed in Domino Directory
 *
 * often in the server's language (the Japanese text arrives in ISO-2022-JP, decoded to UTF-8
 * with the part). The "because:" line is the diagnostic: a delivery-status part beside it
 * carries the same words undecoded (no charset applies to message/delivery-status). Domino's
 * own sentences name the reason (sisimai/p5-sisimai:lib/Sisimai/Lhost/Domino.pm).
 */
#include <string.h>
#include "bounce/formats.h"
#include "util/str.h"

/* Domino's own sentences and the reason each says (as the text says them, case kept). */
static const struct {
    const char *text, *reason;
} domino_says[] = {
    {"not listed in Domino Directory", "userunknown"},
    {"not listed in public Name & Address Book", "userunknown"},
    {"Domino \xe3\x83\x87\xe3\x82\xa3\xe3\x83\xac\xe3\x82\xaf\xe3\x83\x88\xe3\x83\xaa\xe3\x81\xab"
     "\xe3\x81\xaf\xe8\xa6\x8b\xe3\x81\xa4\xe3\x81\x8b\xe3\x82\x8a\xe3\x81\xbe\xe3\x81\x9b\xe3\x82"
     "\x93",
     "userunknown"}, /* "Domino ディレクトリには見つかりません" */
    {"Cannot route mail to user", "filtered"},
    {"Several matches found in Domino Directory", "systemerror"},
};

static int domino_detect(const bounce_view *v)
{
    return fmt_subject_starts(v, "DELIVERY FAILURE:") && fmt_text_has(v, "was not delivered to:");
}

/* domino_reason - the reason Domino's sentence in d[0..len) names, or NULL. */
static const char *domino_reason(const char *d, size_t len)
{
    for (size_t i = 0; i < sizeof domino_says / sizeof *domino_says; i++)
        if (str_find(d, len, domino_says[i].text, strlen(domino_says[i].text)))
            return domino_says[i].reason;
    return NULL;
}

/* reasons_of - each recipient of a block without a reason gets its diagnostic's */
static void reasons_of(bounce_rcpt *const *block, size_t nb)
{
    for (size_t k = 0; k < nb; k++)
        if (!block[k]->reason)
            block[k]->reason = domino_reason(block[k]->diag, block[k]->diaglen);
}

static int domino_parse(bounce_view *v, bounce_out *out)
{
    fmt_orig_after(v);
    int n = 0;
    if (v->has_dsn)
        n = dsn_parse(v->dsn.ptr ? v->dsn.ptr : "", v->dsn.len, out);
    const char *t = v->text.ptr ? v->text.ptr : "";
    size_t end = bview_sep(v), pos = 0, ll;
    const char *l;
    /* state: 0 before a block, 1 reading addresses, 2 waiting for the "because:" line, 3 in
     * the reason's paragraph (its lines after the first: a notice wrapped at another width) */
    int state = 0, lines = 0;
    bounce_rcpt *block[MXD_BOUNCE_MAX_RCPTS]; /* the recipients of the current block */
    size_t nb = 0;
    while (bounce_line(t, end, &pos, &l, &ll)) {
        bounce_trim(&l, &ll);
        int to = ll == 21 && !memcmp(l, "was not delivered to:", 21);
        int because = ll == 8 && !memcmp(l, "because:", 8);
        if (state == 3 && (!ll || to || because || ++lines > 3)) {
            reasons_of(block, nb); /* (the reason from the whole paragraph) */
            state = 0;
        }
        if (to) {
            state = 1;
            nb = 0;
            continue;
        }
        if (because) {
            state = 2;
            continue;
        }
        if (!ll)
            continue;
        if (state == 1) {
            size_t at, al;
            if (!bounce_addr_in(l, ll, &at, &al))
                continue;
            char a[BOUNCE_ADDR_MAX];
            if (!bounce_addr_clean(l + at, al, a, sizeof a))
                continue;
            bounce_rcpt *r = bounce_find(out, a, strlen(a));
            if (!r && !n)
                r = bounce_add(out, a, strlen(a));
            if (r && nb < MXD_BOUNCE_MAX_RCPTS)
                block[nb++] = r;
        } else if (state == 2) {
            /* the diagnostic: Domino's words win over the undecoded DSN copy */
            for (size_t k = 0; k < nb; k++)
                rcpt_diag_set(block[k], l, ll);
            state = 3;
            lines = 0;
        } else if (state == 3) {
            for (size_t k = 0; k < nb; k++)
                rcpt_diag_add(block[k], l, ll);
        }
    }
    if (state == 3)
        reasons_of(block, nb);
    if (v->has_dsn && n)
        dsn_text_fill(v, out);
    return (int)out->n;
}

const bounce_format bounce_fmt_domino = {"domino", domino_detect, domino_parse};

/* Lotus Notes' older notice (subject "Undeliverable message"): under "------- Failure
 * Reasons --------" the reason, then the address it is for, until "------- Returned Message
 * --------" (the layout Sisimai's Notes reader describes, sisimai/p5-sisimai
 * lib/Sisimai/Lhost/Notes.pm). The reasons are the Notes server's own verdicts (its
 * directory: "User not listed in public Name & Address Book"), never a remote reply: the
 * records are marked so (bounce_rcpt.own). */
static int notes_detect(const bounce_view *v)
{
    return !v->has_dsn && fmt_subject_starts(v, "Undeliverable message") &&
           fmt_text_has(v, "------- Failure Reasons");
}

static int notes_parse(bounce_view *v, bounce_out *out)
{
    /* the returned message follows its banner, which is a separator (bounce-phrases.tsv:
     * "returned message") */
    fmt_orig_after(v);
    const char *t = v->text.ptr ? v->text.ptr : "";
    size_t end = bview_sep(v), pos = 0, ll, why = 0, whylen = 0;
    const char *l;
    int in = 0;
    while (bounce_line(t, end, &pos, &l, &ll)) {
        bounce_trim(&l, &ll);
        if (bounce_starts(l, ll, "------- Failure Reasons")) {
            in = 1;
            continue;
        }
        if (!in || !ll || l[0] == '-')
            continue;
        size_t at, al;
        if (!memchr(l, ' ', ll) && bounce_addr_in(l, ll, &at, &al)) {
            bounce_rcpt *r = bounce_add(out, l + at, al);
            if (r) {
                if (whylen)
                    rcpt_diag_set(r, t + why, whylen);
                /* the server's own verdict, unless it relays a remote server's reply */
                r->own = bounce_own_verdict(r);
            }
            whylen = 0;
        } else if (!whylen) {
            why = (size_t)(l - t), whylen = ll;
        } else {
            whylen = (size_t)(l + ll - (t + why));
        }
    }
    return (int)out->n;
}

const bounce_format bounce_fmt_notes = {"notes", notes_detect, notes_parse};
