/* text.c - read a plain-text bounce: recipient lines and the error text that follows them
 * SPDX-License-Identifier: MIT
 *
 * Most non-standard bounces share one shape: a few lines of explanation, then for each
 * failed recipient a line that starts with the address ("<a@b>:", "  a@b", "a@b... User
 * unknown"), followed by the error lines, and finally a separator line before the copy of
 * the returned message. This reader finds that shape; the formats in formats.c narrow it with
 * their own markers where needed.
 */
#include <string.h>
#include "bounce/bounce_internal.h"
#include "util/str.h"

#define TEXT_MAX_DIAG_LINES 10 /* error lines kept after a recipient line */

/* Lines that start the copy of the returned message (case-insensitive, after blanks). */
static const char *const separators[] = {
    "------ This is a copy of the message",
    "--- Below this line is a copy of the message",
    "Below this line is a copy of the message",
    "Message headers follow",
    "----- Original message -----",
    "------ Original message ------",
    "----- Unsent message follows -----",
    "----- Message header follows -----",
    "--- Original message follows",
    "Original message follows",
    "------- Original Message -------",
    "-----Original Message-----",
    "----- The header of the original message is following",
    "--- The header of the original message is following",
    "------ Failed Message Body",
    "---- The message follows",
    "----- Original message header -----",
    "Original Message Headers",
    "Content-Type: message/rfc822",
    "The original message headers",
    "----- Rejected message follows -----",
    "--- Your message follows",
    "------ The original message follows",
    "--------Original Message--------",
    "Included is a copy of the message header",
    "Returned Message",
    "original message",
    "The header of the original message",
    "Return-Path:",
    "Received: from",
    "Received:from",
};

size_t text_separator(const char *s, size_t len)
{
    enum { NSEP = sizeof separators / sizeof *separators };
    size_t pos = 0;
    const char *l;
    size_t ll;
    /* the separators without their leading dashes, and their first two bytes in lower
     * case: most lines are passed over on their first byte, most candidates on the second */
    const char *sp[NSEP];
    unsigned char c0[NSEP], c1[NSEP], first[256] = {0};
    for (size_t i = 0; i < NSEP; i++) {
        const char *p = separators[i];
        while (*p == '-' || *p == ' ')
            p++;
        sp[i] = p;
        c0[i] = (unsigned char)str_tolower((unsigned char)p[0]);
        c1[i] = (unsigned char)str_tolower((unsigned char)p[1]);
        first[c0[i]] = 1;
    }
    while (1) {
        size_t start = pos;
        if (!bounce_line(s, len, &pos, &l, &ll))
            break;
        while (ll && (*l == '-' || *l == '=' || *l == '*' || *l == ' ' || *l == '_' || *l == '\t'))
            l++, ll--;
        if (ll < 8)
            continue;
        unsigned char a = (unsigned char)str_tolower((unsigned char)l[0]);
        if (!first[a])
            continue;
        unsigned char b = (unsigned char)str_tolower((unsigned char)l[1]);
        bounce_trim(&l, &ll);
        for (size_t i = 0; i < NSEP; i++)
            if (c0[i] == a && c1[i] == b && bounce_starts(l, ll, sp[i]))
                return start;
    }
    return len;
}

/* Phrases that end right before a recipient address inside a sentence. */
static const char *const leads[] = {
    "error delivering your mail to",
    "undeliverable to",
    "rejected recipient",
    "could not be delivered to:",
    "unable to deliver message to:",
    "failed to deliver to",
    "delivery failed to",
    "not delivered to",
    "rcpt to:",
    "attempts:",
    "unknown user:",
    "invalid recipient:",
    "message to",
    "recipient address:",
    "original-recipient:",
};

/* recipient_line - does the trimmed line name a recipient? Either it starts with the
 * address ("<a@b>:", "a@b", "a@b... User unknown"), or with a reply code before it
 * ("554 <a@b>... Host unknown"), or a short label ends just before it ("Recipient: <a@b>",
 * "Could not be delivered to: <a@b>"). Its span in *at, *al. */
static int recipient_line(const char *l, size_t ll, size_t *at, size_t *al)
{
    if (!bounce_addr_in(l, ll, at, al))
        return 0;
    if (*at <= 1)
        return *at == 0 || l[0] == '<' || l[0] == '"' || l[0] == '(';
    size_t a = *at;
    if (l[a - 1] == '<')
        a--;
    /* "... error delivering your mail to <a@b>." */
    size_t b = a;
    while (b > 0 && l[b - 1] == ' ')
        b--;
    for (size_t i = 0; i < sizeof leads / sizeof *leads; i++) {
        size_t pl = strlen(leads[i]);
        if (b >= pl && str_caseeq(l + b - pl, pl, leads[i]))
            return 2;
    }
    /* "550 <a@b>" */
    if (a == 4 && str_isdigit((unsigned char)l[0]) && str_isdigit((unsigned char)l[1]) &&
        str_isdigit((unsigned char)l[2]) && l[3] == ' ')
        return 1;
    /* "Label: <a@b>" with nothing much after the address */
    if (a > 40 || a < 3)
        return 0;
    size_t k = a;
    while (k > 0 && l[k - 1] == ' ')
        k--;
    if (k == 0 || l[k - 1] != ':')
        return 0;
    static const char *const not_labels[] = {
        "from",         "rcpt to",     "mail to",       "reply-to",   "sender",      "to:",
        "cc:",          "message-id",  "in-reply-to",   "references", "return-path", "errors-to",
        "delivered-to", "envelope-to", "x-original-to", "resent-",    "list-",       "subject"};
    for (size_t i = 0; i < sizeof not_labels / sizeof *not_labels; i++)
        if (bounce_has(l, k, not_labels[i]))
            return 0;
    size_t rest = ll - (*at + *al);
    return rest < 8;
}

size_t bview_sep(bounce_view *v)
{
    if (!v->sep_known) {
        v->sep = text_separator(v->text.ptr ? v->text.ptr : "", v->text.len);
        v->sep_known = 1;
    }
    return v->sep;
}

static int text_generic_upto(const char *s, size_t end, bounce_out *out);

int text_generic_v(bounce_view *v, size_t off, bounce_out *out)
{
    size_t end = bview_sep(v);
    if (off >= end)
        return 0;
    return text_generic_upto(v->text.ptr + off, end - off, out);
}

int text_generic(const char *s, size_t len, bounce_out *out)
{
    return text_generic_upto(s, text_separator(s, len), out);
}

/* text_generic_upto - the reader on s[0..end), which holds no separator. */
static int text_generic_upto(const char *s, size_t end, bounce_out *out)
{
    size_t pos = 0, before = out->n;
    const char *l;
    size_t ll;
    bounce_rcpt *cur = NULL;
    int lines = 0, ended = 0, inline_diag = 0;
    while (pos < end && bounce_line(s, end, &pos, &l, &ll)) {
        /* a forwarded bounce: "> " quoting */
        while (ll && (l[0] == '>' || l[0] == ' ') && (ll > 1 && (l[1] == ' ' || l[1] == '>')))
            l++, ll--;
        if (ll == 1 && l[0] == '>')
            ll = 0;
        const char *t = l;
        size_t tl = ll;
        bounce_trim(&t, &tl);
        size_t at, al;
        int kind = tl ? recipient_line(t, tl, &at, &al) : 0;
        if (kind) {
            bounce_rcpt *r = bounce_find(out, t + at, al);
            if (r && r == cur && (cur->diaglen || lines)) {
                /* the same address again in its own error text ("after RCPT TO:<a@b>:") */
                if (!ended)
                    rcpt_diag_add(cur, t, tl);
                continue;
            }
            if (!r)
                r = bounce_add(out, t + at, al);
            if (!r)
                continue;
            cur = r;
            lines = 0;
            ended = 0;
            inline_diag = 0;
            if (kind == 2) {
                /* the sentence itself says what happened ("Delivery failed 20 attempts:") */
                if (!cur->diaglen)
                    rcpt_diag_add(cur, t, tl);
                continue;
            }
            size_t k = at + al;
            while (k < tl && (t[k] == '>' || t[k] == ':' || t[k] == ' ' || t[k] == '.' ||
                              t[k] == '"' || t[k] == ')'))
                k++;
            if (k < tl && !cur->diaglen) {
                rcpt_diag_add(cur, t + k, tl - k);
                inline_diag = 1;
            }
            continue;
        }
        if (!cur)
            continue;
        if (!tl) {
            /* "For the following reason:" goes on after the blank line */
            if ((lines || inline_diag) && !(cur->diaglen && cur->diag[cur->diaglen - 1] == ':'))
                ended = 1;
            continue;
        }
        /* after a blank line only indented lines still belong to the recipient */
        if (ended && l[0] != ' ' && l[0] != '\t')
            continue;
        if (lines >= TEXT_MAX_DIAG_LINES)
            continue;
        ended = 0;
        rcpt_diag_add(cur, t, tl);
        lines++;
    }
    return (int)(out->n - before);
}
