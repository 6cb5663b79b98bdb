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
#include "bounce/formats.h"
#include "kb/kb_internal.h"
#include "util/str.h"

#define TEXT_MAX_DIAG_LINES 10  /* error lines kept after a recipient line */
#define TEXT_LEAD_LIST_MAX  100 /* lines read as a list after a lead-in */
#define TEXT_LEAD_TAIL_MAX  16  /* lines of explanation kept after the list */
/* ... and bytes of them: 8 lines of Cyrillic, Greek or CJK text take twice to three times
 * the bytes of English (an Exchange NDR's "#554 5.2.2" line comes last) */
#define TEXT_LEAD_TAIL_BYTES 1200

/* sep_at - does the line open with the separator p? A pattern ending in '$' holds only when
 * no letter or digit follows it on the line ("Original message -----", not "Original
 * Message Details"). */
static int sep_at(const char *l, size_t ll, const char *p, size_t pl)
{
    int anchored = pl > 1 && p[pl - 1] == '$';
    if (!anchored)
        return ll >= pl && str_caseeq(l, pl, p);
    pl--;
    if (ll < pl)
        return 0;
    for (size_t i = 0; i < pl; i++)
        if (str_tolower((unsigned char)l[i]) != (unsigned char)p[i])
            return 0;
    for (size_t i = pl; i < ll; i++)
        if (str_isalnum((unsigned char)l[i]))
            return 0;
    return 1;
}

/* outlook_preface - does the text after a separator line (from pos) read as Outlook's preface
 * of a message someone passed on ("-----Original Message-----", then "From: ...", "Sent: ...",
 * "To: ...", "Subject: ...")? A returned message's copy has a Date, not a Sent. */
static int outlook_preface(const char *s, size_t len, size_t pos)
{
    const char *l;
    size_t ll, n = 0;
    int from = 0;
    while (n < 6 && bounce_line(s, len, &pos, &l, &ll)) {
        if (!ll && !from)
            continue;
        n++;
        if (!from && !(from = bounce_starts(l, ll, "From:")))
            return 0;
        if (bounce_starts(l, ll, "Sent:"))
            return 1;
    }
    return 0;
}

/* footer_tail - do at most KB_FOOTER_TAIL_LINES lines with words follow s[pos..len) (a footer
 * ends the text, after the notice and a returned copy a gateway leaves alone)? */
static int footer_tail(const char *s, size_t len, size_t pos)
{
    const char *l;
    size_t ll, n = 0;
    while (bounce_line(s, len, &pos, &l, &ll)) {
        bounce_trim(&l, &ll);
        if (ll && ++n > KB_FOOTER_TAIL_LINES)
            return 0;
    }
    return 1;
}

size_t text_separator(const mxd_kb *kb, const char *s, size_t len)
{
    size_t pos = 0;
    const char *l;
    size_t ll;
    /* the separators (bounce-phrases.tsv, kind separator: written without the dashes that
     * stand before them on the line), and their first two bytes: most lines are passed over
     * on their first byte, most candidates on the second */
    const char *sp[KB_MAX_SEPARATORS];
    size_t sl[KB_MAX_SEPARATORS];
    unsigned char c0[KB_MAX_SEPARATORS], c1[KB_MAX_SEPARATORS], first[256] = {0};
    size_t nsep = 0;
    /* the footers (kind footer): an antivirus program's or a gateway's line near the end;
     * looked for in the same pass over the phrases */
    const char *fp[KB_MAX_FOOTERS];
    size_t fl[KB_MAX_FOOTERS], nfoot = 0, fmin = (size_t)-1;
    unsigned char ffirst[256] = {0};
    for (size_t i = 0; kb && i < kb->nphrases; i++) {
        int kind = kb->phrases[i].kind;
        if (kind == KB_PH_SEPARATOR && nsep < KB_MAX_SEPARATORS) {
            const char *p = kb_str(kb, kb->phrases[i].pattern);
            sp[nsep] = p;
            sl[nsep] = kb->phrases[i].len;
            c0[nsep] = (unsigned char)p[0]; /* (in lower case: kb_parse checks) */
            c1[nsep] = (unsigned char)p[1];
            first[c0[nsep]] = 1;
            nsep++;
        } else if (kind == KB_PH_FOOTER && nfoot < KB_MAX_FOOTERS) {
            fp[nfoot] = kb_str(kb, kb->phrases[i].pattern);
            fl[nfoot] = kb->phrases[i].len;
            fmin = fl[nfoot] < fmin ? fl[nfoot] : fmin;
            ffirst[(unsigned char)fp[nfoot][0]] = 1;
            nfoot++;
        }
    }
    size_t lead = 0; /* (where the text starts) */
    while (lead < len && str_isspace((unsigned char)s[lead]))
        lead++;
    while (1) {
        size_t start = pos;
        if (!bounce_line(s, len, &pos, &l, &ll))
            break;
        while (ll && (*l == '-' || *l == '=' || *l == '*' || *l == ' ' || *l == '_' || *l == '\t'))
            l++, ll--;
        if (ll < 8)
            continue;
        unsigned char a = (unsigned char)str_tolower((unsigned char)l[0]);
        unsigned char b = (unsigned char)str_tolower((unsigned char)l[1]);
        /* (a footer is a long line's opening: most lines are shorter or open otherwise) */
        for (size_t i = 0; ll >= fmin && ffirst[a] && i < nfoot; i++)
            if ((unsigned char)fp[i][0] == a && (unsigned char)fp[i][1] == b && ll >= fl[i] &&
                bounce_starts(l, ll, fp[i]) && footer_tail(s, len, pos))
                return start;
        if (!first[a])
            continue;
        bounce_trim(&l, &ll);
        for (size_t i = 0; i < nsep; i++)
            if (c0[i] == a && c1[i] == b && sep_at(l, ll, sp[i], sl[i])) {
                /* (Outlook's preface opening the text, before a notice someone passed on:
                 * the notice follows it, not a returned message) */
                if (start <= lead && outlook_preface(s, len, pos))
                    break;
                return start;
            }
    }
    return len;
}

/* recipient_line - does the trimmed line name a recipient? Either it starts with the
 * address ("<a@b>:", "a@b", "a@b... User unknown"), or with a reply code before it
 * ("554 <a@b>... Host unknown"), or a short label ends just before it ("Recipient: <a@b>",
 * "Could not be delivered to: <a@b>"). Its span in *at, *al. */
static int recipient_line(const mxd_kb *kb, const char *l, size_t ll, int labels, size_t *at,
                          size_t *al)
{
    /* a lead written right against the address, as Chinese notices write it
     * ("无法发送到a@b"): the address would take the lead's letters into its local part */
    for (size_t i = 0; kb && i < kb->nphrases; i++) {
        const kb_phrase *p = &kb->phrases[i];
        if (p->kind == KB_PH_ADDRLEAD && ll > p->len && str_isalnum((unsigned char)l[p->len]) &&
            str_caseeq(l, p->len, kb_str(kb, p->pattern)) &&
            bounce_addr_in(l + p->len, ll - p->len, at, al) && *at == 0) {
            *at = p->len;
            return 2;
        }
    }
    if (!bounce_addr_in(l, ll, at, al))
        return 0;
    /* a notice's own sender, named in its text ("sent from mailer-daemon@..."), is nobody
     * mail was sent to */
    if (*al > 14 && str_caseeq(l + *at, 14, "mailer-daemon@"))
        return 0;
    if (*at <= 1) { /* ("'a@b' on 6/13/00 11:00 AM": Exchange 5.5 quotes it so) */
        /* an address a comma and a word (no other address) follow goes on with a sentence,
         * as a reply wrapped inside an address goes on ("... identity list-de\nv@example.org,
         * and ip 192.0.2.1"): no entry of a list writes it so */
        size_t k = *at + *al + (l[0] == '<');
        if (k + 2 < ll && l[k] == ',' && l[k + 1] == ' ' && l[k + 2] >= 'a' && l[k + 2] <= 'z') {
            size_t w = k + 2;
            while (w < ll && l[w] != ' ' && l[w] != '@')
                w++;
            if (w == ll || l[w] != '@')
                return 0;
        }
        return *at == 0 || l[0] == '<' || l[0] == '"' || l[0] == '(' || l[0] == '\'';
    }
    size_t a = *at;
    if (l[a - 1] == '<')
        a--;
    /* "... error delivering your mail to <a@b>." */
    size_t b = a;
    while (b > 0 && l[b - 1] == ' ')
        b--;
    if (labels) { /* (the label's colon, ASCII or full-width, "/To :", a tab) */
        for (;;) {
            if (b > 0 && (l[b - 1] == ' ' || l[b - 1] == '\t' || l[b - 1] == ':'))
                b--;
            else if (b >= 3 && !memcmp(l + b - 3, "\xef\xbc\x9a", 3))
                b -= 3;
            else if (b >= 3 && str_caseeq(l + b - 3, 3, "/to"))
                b -= 3;
            else
                break;
        }
    }
    for (size_t i = 0; kb && i < kb->nphrases; i++) {
        const kb_phrase *p = &kb->phrases[i];
        if (p->kind == KB_PH_ADDRLEAD && b >= p->len &&
            str_caseeq(l + b - p->len, p->len, kb_str(kb, p->pattern)))
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
    /* (also Zoho's forward block, "To : a@b"; a DSN's Original-Envelope-Id in a notice's
     * text, iCloud's "Original-envelope-id:
     * 0LZR...@asmtp023.mac.com", and the From, To and Cc of a header block a Chinese mail
     * client quotes: 发件人, 收件人, 抄送) */
    static const char *const not_labels[] = {"from",
                                             "rcpt to",
                                             "mail to",
                                             "reply-to",
                                             "sender",
                                             "to:",
                                             "cc:",
                                             "message-id",
                                             "in-reply-to",
                                             "references",
                                             "return-path",
                                             "errors-to",
                                             "delivered-to",
                                             "envelope-to",
                                             "x-original-to",
                                             "resent-",
                                             "list-",
                                             "subject",
                                             "envelope-id",
                                             "\xe5\x8f\x91\xe4\xbb\xb6\xe4\xba\xba",
                                             "\xe6\x94\xb6\xe4\xbb\xb6\xe4\xba\xba",
                                             "\xe6\x8a\x84\xe9\x80\x81"};
    for (size_t i = 0; i < sizeof not_labels / sizeof *not_labels; i++)
        if (bounce_has(l, k, not_labels[i]))
            return 0;
    /* (Zoho's forward block writes "To : a@b", "Bcc : a@b": the label is the whole word,
     * blanks before its colon; "Sent to : a@b" is a recipient) */
    size_t w = 0;
    while (w < k && str_isalpha((unsigned char)l[w]))
        w++;
    size_t c = w;
    while (c < k && (l[c] == ' ' || l[c] == '\t'))
        c++;
    if (c > w && c + 1 == k && l[c] == ':' &&
        ((w == 2 && (str_caseeq(l, 2, "to") || str_caseeq(l, 2, "cc"))) ||
         (w == 3 && str_caseeq(l, 3, "bcc"))))
        return 0;
    size_t rest = ll - (*at + *al);
    return rest < 8;
}

size_t bview_sep(bounce_view *v)
{
    if (!v->sep_known) {
        v->sep = text_separator(v->kb, v->text.ptr ? v->text.ptr : "", v->text.len);
        v->sep_known = 1;
    }
    return v->sep;
}

static int text_generic_upto(const mxd_kb *kb, const char *s, size_t end, size_t labels,
                             bounce_out *out);

int text_generic_v(bounce_view *v, size_t off, bounce_out *out)
{
    size_t end = bview_sep(v);
    if (off >= end)
        return 0;
    /* NetEase Mail's notice lists its original message's recipient as a mail client's header
     * block would ("收件人： a@b", "收件人/To : a@b"): that label is its failed recipient there,
     * and no recipient anywhere else (a quoted header block) */
    static const char said[] =
        "\xe6\x82\xa8\xe7\x9a\x84\xe9\x82\xae\xe4\xbb\xb6\xe8\xa2\xab\xe9"
        "\x80\x80\xe5\x9b\x9e\xe6\x9d\xa5\xe4\xba\x86"; /* (您的邮件被退回来了) */
    const char *t = v->text.ptr + off, *n = NULL;
    if (fmt_text_has(v, said))
        n = str_find(t, end - off, said, sizeof said - 1);
    /* (only after the notice's own first line: a forwarder's quoted header block before it is
     * no list of failures) */
    return text_generic_upto(v->kb, t, end - off, n ? (size_t)(n - t) : (size_t)-1, out);
}

int text_generic(const mxd_kb *kb, const char *s, size_t len, bounce_out *out)
{
    return text_generic_upto(kb, s, text_separator(kb, s, len), (size_t)-1, out);
}

/* text_generic_upto - the reader on s[0..end), which holds no separator. */
static int text_generic_upto(const mxd_kb *kb, const char *s, size_t end, size_t labels,
                             bounce_out *out)
{
    size_t pos = 0, before = out->n;
    const char *l;
    size_t ll;
    bounce_rcpt *cur = NULL;
    int lines = 0, ended = 0, inline_diag = 0, expanding = 0;
    size_t cur_indent = 0; /* how far in the line that named cur stands */
    while (pos < end && bounce_line(s, end, &pos, &l, &ll)) {
        /* a forwarded bounce: "> " quoting, each mark with one blank after it; what is
         * indented under the marks stays indented (review-s9c M1) */
        size_t q = 0;
        while (q < ll && (l[q] == ' ' || l[q] == '\t'))
            q++;
        if (q < ll && l[q] == '>') {
            l += q, ll -= q;
            while (ll && l[0] == '>') {
                l++, ll--;
                if (ll && l[0] == ' ')
                    l++, ll--;
            }
        }
        const char *t = l;
        size_t tl = ll;
        bounce_trim(&t, &tl);
        /* a bulleted list: "* a@b", "- a@b" */
        if (tl > 2 && (t[0] == '*' || t[0] == '-') && t[1] == ' ' && t[2] != '-') {
            t += 2, tl -= 2;
            bounce_trim(&t, &tl);
        }
        size_t at, al;
        /* Postfix's "final@b (expanded from\n    orig@c): reason": the address the line
         * goes on with is the alias the recipient was expanded from, no recipient of its own
         * (postfix src/bounce/bounce_notify_util.c) */
        int kind =
            tl && !expanding ? recipient_line(kb, t, tl, (size_t)(l - s) >= labels, &at, &al) : 0;
        expanding = 0;
        /* a line indented deeper than its recipient's, inside that recipient's text, goes on
         * with the remote server's reply, which may name another address (Postfix's "<a@b>: host
         * ... said: 450 4.1.8\n    <sender@c>: Sender address rejected: ..."); Exim's next
         * recipient stands as far in as the last one */
        size_t indent = (size_t)(t - l);
        if (kind && cur && !ended && (lines || inline_diag) && indent > cur_indent &&
            !bounce_find(out, t + at, al))
            kind = 0;
        /* so does a line of a Postfix entry that lost its indentation, while the server's words
         * after "said:" have not come to Postfix's "(in reply to ... command)" (review-s9c M2) */
        if (kind && cur && !ended && (lines || inline_diag) && !bounce_find(out, t + at, al) &&
            bounce_reply_open(cur->diag, cur->diaglen) && !fmt_opens_entry(t + at, tl - at))
            kind = 0; /* (unless the line opens an entry of its own: "<b@c>: host ...") */
        if (kind)
            cur_indent = indent;
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
                expanding =
                    bounce_starts(t + k, tl - k, "(expanded from") && !memchr(t + k, ')', tl - k);
            }
            continue;
        }
        if (!cur)
            continue;
        /* the returned message's Subject, listed under a recipient (Dooray!'s "* 메일 제목 :",
         * Exchange's "Subject: ..."), is the sender's words, no part of the failure: it ends
         * the recipient's text */
        if (tl && bounce_subject_label(kb, t, tl)) {
            ended = 1; /* (and the value's own line, unless indented under it) */
            continue;
        }
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

/* line_lead - the end of a lead-in phrase (bounce-phrases.tsv, kind lead) in the line, or
 * 0 when it holds none. A lead with a '*' stands around the recipient on one line ("your
 * message to * couldn't be delivered"): both sides must be there, in that order; the end of
 * the part before the '*' is returned. */
static size_t line_lead(const mxd_kb *kb, const char *l, size_t ll, size_t *tail_end)
{
    if (tail_end)
        *tail_end = 0;
    /* (a Postfix entry's own words are no lead: '<a@b>: unknown user: "a"', local(8)'s
     * verdict, holds IMail's lead "unknown user:", review-s12 H2) */
    if (ll && bounce_postfix_entry(l, ll))
        return 0;
    for (size_t i = 0; kb && i < kb->nphrases; i++) {
        const kb_phrase *p = &kb->phrases[i];
        if (p->kind != KB_PH_LEAD || p->len > ll)
            continue;
        const char *pat = kb_str(kb, p->pattern);
        const char *star = memchr(pat, '*', p->len);
        size_t head = star ? (size_t)(star - pat) : p->len;
        const char *f = str_casefind(l, ll, pat, head);
        if (!f)
            continue;
        size_t e = (size_t)(f - l) + head;
        if (star) {
            size_t tail = p->len - head - 1;
            const char *te = str_casefind(l + e, ll - e, star + 1, tail);
            if (!te)
                continue;
            if (tail_end)
                *tail_end = (size_t)(te - l) + tail;
        }
        return e;
    }
    return 0;
}

#define TEXT_WRAP_MIN   30  /* the bytes of a line a lead may be wrapped after, at least ... */
#define TEXT_WRAP_MAX   512 /* ... and at most, in each line a wrapped lead is looked for in ... */
#define TEXT_WRAP_LINES 4   /* ... and the lines its sentence may take */

/* lead_word_last - is the last word of t[0..tl) a word of a lead-in (bounce_word_bit()), or
 * an address (the recipient a lead stands around)? */
static int lead_word_last(const bounce_view *v, const char *t, size_t tl)
{
    size_t w = tl;
    while (w && t[w - 1] != ' ' && t[w - 1] != '\t')
        w--;
    if (memchr(t + w, '@', tl - w))
        return 1;
    unsigned b = bounce_word_bit(t + w, tl - w);
    return (v->lead_words[b >> 6] >> (b & 63)) & 1;
}

/* join_next - the next line from *np (trimmed) appended to jb[0..*jl) after a blank, when it
 * is not blank, fits (max bytes of its own, cap in all) and holds no address (opens with none,
 * when opening: a list's first entry; else none at all): 1 then, with *np past it; 0 and
 * nothing changed otherwise, *addr set when an address stopped it (a line ending in a colon:
 * *addr 2, and *np past it). */
static int join_next(const char *s, size_t end, size_t *np, char *jb, size_t *jl, size_t cap,
                     size_t max, int opening, int *addr)
{
    size_t p = *np, nl, at, al;
    const char *n;
    *addr = 0;
    if (!bounce_line(s, end, &p, &n, &nl))
        return 0;
    bounce_trim(&n, &nl);
    if (!nl || nl > max || *jl + 1 + nl > cap)
        return 0;
    if (bounce_addr_in(n, nl, &at, &al) && (!opening || at == 0)) {
        *addr = n[nl - 1] == ':' ? 2 : 1;
        *np = *addr == 2 ? p : *np; /* (a lead-in's last line: passed over) */
        return 0;
    }
    jb[(*jl)++] = ' ';
    memcpy(jb + *jl, n, nl);
    *jl += nl;
    *np = p;
    return 1;
}

/* wrapped_lead - a lead-in a notice's text wraps onto the lines that follow ("An email that
 * you attempted to send to the following address\ncould not be delivered:", a notice written
 * or re-flowed at another width than the one its words were learned from): when the line t
 * (trimmed) holds no lead and it and the next lines from *pos (trimmed, not blank, none
 * opening with an address: a list's entry), TEXT_WRAP_LINES in all, complete one, they are joined
 * with blanks into jb (cap bytes) up to the line the lead ends on, or up to the colon that ends its
 * sentence a few lines on ("... could not be delivered because they are not\naccepting mail with
 * attachments:"; a last line with an address, a helpdesk's, is passed over: review-s16 M1),
 * and *pos moves past them. Returns the joined length (t/tl are to be replaced by jb) and sets
 * *e and *te as line_lead() does; 0 when there is none (*e and *te untouched). */
static size_t wrapped_lead(const bounce_view *v, const char *s, size_t end, size_t *pos,
                           const char *t, size_t tl, char *jb, size_t cap, size_t *e, size_t *te)
{
    /* (a line a notice wraps is a long one that ends inside its sentence: no short line,
     * none that ends a sentence) */
    if (tl < TEXT_WRAP_MIN || tl > TEXT_WRAP_MAX || tl > cap || strchr(":.!?", t[tl - 1]) ||
        !lead_word_last(v, t, tl))
        return 0;
    memcpy(jb, t, tl);
    size_t jl = tl, np = *pos, le = 0, lte = 0;
    int k = 1, found = 0, addr = 0;
    for (; k < TEXT_WRAP_LINES && !found; k++) {
        size_t before = jl;
        if ((k > 1 && !lead_word_last(v, jb, jl)) ||
            !join_next(s, end, &np, jb, &jl, cap, TEXT_WRAP_MAX, 1, &addr))
            return 0;
        le = line_lead(v->kb, jb, jl, &lte);
        found = le > before || lte > before; /* (it ends on the line just joined) */
        if (le && !found)
            return 0; /* (a lead before the line break: the line's own) */
    }
    if (!found)
        return 0;
    *e = le, *te = lte;
    *pos = np;
    /* the rest of its sentence, when a colon ends it within TEXT_WRAP_LINES lines in all */
    size_t xl = jl;
    for (; k < TEXT_WRAP_LINES && jb[xl - 1] != ':'; k++)
        if (!join_next(s, end, &np, jb, &xl, cap, cap, 0, &addr))
            break;
    if (jb[xl - 1] == ':' || addr == 2) {
        *pos = np;
        return xl;
    }
    return jl;
}

/* list_rcpt - the recipient a list line names (its first address) with the text after the
 * address as its diagnostic, unless that only repeats the address ("a@b (a@b)<mailto:a@b>",
 * Exchange). NULL when the line names none. */
static bounce_rcpt *list_rcpt(bounce_out *out, const char *t, size_t tl)
{
    size_t at, al;
    if (!bounce_addr_in(t, tl, &at, &al) || at > 80)
        return NULL;
    bounce_rcpt *r = bounce_find(out, t + at, al);
    if (!r)
        r = bounce_add(out, t + at, al);
    if (!r)
        return NULL;
    size_t k = at + al;
    while (k < tl && (t[k] == '>' || t[k] == ':' || t[k] == ' ' || t[k] == '.' || t[k] == '"' ||
                      t[k] == ')' || t[k] == ',' || t[k] == ';'))
        k++;
    if (k < tl && !r->diaglen && !str_casefind(t + k, tl - k, r->recipient, strlen(r->recipient)))
        rcpt_diag_add(r, t + k, tl - k);
    return r;
}

/* display_name - is t[0..len) a name as Exchange writes it before "(addr)": at most six
 * words of letters, digits and - ' . , & _ ("Henrik Dahl", "Jan de Vries", "de Vries, Jan",
 * "Team 42", "Sales & Marketing"), each opening with a capital, a digit or a sign, or a
 * lower-case particle of three letters at most ("de", "van", "da"), so that no sentence
 * ("contact the help desk (addr)") passes? */
static int display_name(const char *t, size_t len)
{
    size_t words = 0, i = 0;
    while (i < len) {
        while (i < len && t[i] == ' ')
            i++;
        if (i == len)
            break;
        size_t w = i;
        while (i < len && t[i] != ' ') {
            unsigned char c = (unsigned char)t[i];
            if (!str_isalnum(c) && c < 0x80 && !strchr("-'.,&_", c))
                return 0;
            i++;
        }
        unsigned char f = (unsigned char)t[w];
        if (f >= 'a' && f <= 'z' && i - w - (t[i - 1] == ',') > 3)
            return 0; /* a lower-case word longer than a particle: a sentence */
        if (++words > 6)
            return 0;
    }
    return words >= 1;
}

int text_leads_v(bounce_view *v, bounce_out *out)
{
    const char *s = v->text.ptr;
    size_t end = bview_sep(v), pos = 0, before = out->n, listed = 0, tail_from = 0, tail_len = 0;
    const char *l;
    size_t ll;
    bounce_rcpt *cur = NULL, *detail = NULL;
    int detail_lines = 0;
    /* state: 0 before a lead-in, 1 in its list, 2 after it (the explanation, then the
     * per-recipient details some notices add: "a@b\n#550 5.1.1 ...") */
    int state = 0, blank = 0, tail_lines = 0;
    size_t lines = 0;
    while (s && pos < end && bounce_line(s, end, &pos, &l, &ll)) {
        const char *t = l;
        size_t tl = ll;
        bounce_trim(&t, &tl);
        while (tl && (t[0] == '*' || t[0] == '-' || t[0] == '>' || t[0] == '\t'))
            t++, tl--;
        bounce_trim(&t, &tl);
        /* a lead around the recipient again, on a line of its own: the next recipient's
         * ("The following message to <a@b> was undeliverable." once per recipient, Cisco
         * AsyncOS), unless it names one already listed */
        size_t te = 0, e = tl ? line_lead(v->kb, t, tl, &te) : 0, at2, al2;
        if (state != 0 && e && te && bounce_addr_in(t + e, tl - e, &at2, &al2) &&
            !bounce_find(out, t + e + at2, al2))
            state = 0, blank = 0;
        char joined[TEXT_WRAP_LINES * (TEXT_WRAP_MAX + 1)];
        if (state == 0 && !e) {
            size_t jl = wrapped_lead(v, s, end, &pos, t, tl, joined, sizeof joined, &e, &te);
            if (jl)
                t = joined, tl = jl;
        }
        if (state == 0) {
            if (!e)
                continue;
            state = 1;
            lines = 0;
            if (e < tl && (cur = list_rcpt(out, t + e, tl - e)) != NULL) {
                listed++;
                /* a lead around the recipient ("Your message to a@b couldn't be delivered."):
                 * the lead's own words are no reason; what follows them on the line is
                 * (Gmail's "..., weil die Adresse nicht gefunden wurde"), else the explanation
                 * after the line (Exchange Online's "a wasn't found at b."); a lead that ends
                 * in a colon ("Delivery to a@b failed with error: 552 ...", maddy) has the
                 * reason after it, with its code */
                if (te && cur->diaglen &&
                    (t[te - 1] == ':' || !bounce_has_code(cur->diag, cur->diaglen))) {
                    while (te < tl && (t[te] == ' ' || t[te] == ',' || t[te] == '.' ||
                                       t[te] == ';' || t[te] == ':'))
                        te++;
                    rcpt_diag_set(cur, t + te, tl - te);
                }
            }
            continue;
        }
        if (!tl) {
            blank = 1;
            continue;
        }
        if (state == 1 && ++lines > TEXT_LEAD_LIST_MAX)
            state = 2;
        size_t at, al;
        int has_addr = bounce_addr_in(t, tl, &at, &al) && at <= 80;
        if (state == 1) {
            /* after a blank line a new entry opens with its address, or is Exchange 2010's
             * "Display Name (addr)" */
            int entry = has_addr && at > 1 && at <= 64 && t[at - 1] == '(' && at + al < tl &&
                        t[at + al] == ')' && at + al + 1 == tl && display_name(t, at - 1);
            /* the current recipient named again inside a line of its text (the reply's "No
             * such user (foo) -ERR foo@b not found"): that line goes on with its reason */
            if (has_addr && cur && at > 0 && !entry && !blank &&
                bounce_find(out, t + at, al) == cur) {
                rcpt_diag_add(cur, t, tl);
                continue;
            }
            if (has_addr && (!blank || !listed || !cur || at == 0 || entry)) {
                bounce_rcpt *r = list_rcpt(out, t, tl);
                if (r) {
                    listed += r != cur;
                    cur = r;
                    blank = 0;
                    continue;
                }
            }
            if (!listed) /* a line of explanation before the list */
                continue;
            if (!blank && cur) {
                rcpt_diag_add(cur, t, tl);
                continue;
            }
            state = 2;
        }
        /* after the list: a recipient's own details, else the explanation for all */
        bounce_rcpt *r = has_addr && at == 0 ? bounce_find(out, t + at, al) : NULL;
        if (r) {
            detail = r;
            detail_lines = 0;
            blank = 0;
            if (r->diaglen < 16) { /* its details replace an empty or bare one */
                r->diaglen = 0;
                r->diag[0] = 0;
            }
            continue;
        }
        /* a later line that names a listed recipient inside the server's reply ("Remote MTA
         * 192.0.2.7: SMTP diagnostic: 550 RCPT TO:<a@b> max message size exceeded", under a
         * list line that gave only a status and its meaning, "a@b; Failed; 5.1.1 (bad
         * destination mailbox address)") is that recipient's reply, in place of the status */
        bounce_rcpt *named =
            has_addr && at > 0 && bounce_has_code(t, tl) ? bounce_find(out, t + at, al) : NULL;
        if (named && !bounce_has_code(named->diag, named->diaglen)) {
            rcpt_diag_set(named, t, tl);
            detail = named;
            detail_lines = 0;
            blank = 0;
            continue;
        }
        if (detail && !blank && detail_lines < TEXT_MAX_DIAG_LINES) {
            rcpt_diag_add(detail, t, tl);
            detail_lines++;
            continue;
        }
        detail = NULL;
        if (tail_lines < TEXT_LEAD_TAIL_MAX) {
            if (!tail_len)
                tail_from = (size_t)(t - s);
            tail_len = (size_t)(t + tl - s) - tail_from;
            tail_lines++;
        }
        blank = 0;
    }
    /* recipients whose line said nothing: the explanation after the list */
    for (size_t i = before; i < out->n && tail_len; i++)
        if (!out->r[i].diaglen)
            rcpt_diag_set(&out->r[i], s + tail_from,
                          str_utf8_cut(s + tail_from, tail_len, TEXT_LEAD_TAIL_BYTES));
    return (int)(out->n - before);
}

/* local_token - the length of the local part that opens t (the characters an unquoted local
 * part may hold, RFC 5322 dot-atom), if what follows is nothing, or blanks then an explanation
 * in parentheses; 0 otherwise. */
static size_t local_token(const char *t, size_t tl)
{
    size_t k = 0;
    while (k < tl && k <= 64 &&
           (str_isalnum((unsigned char)t[k]) || (t[k] && strchr(".-_+=!#$%&'*/?^`{|}~", t[k]))))
        k++;
    if (!k || k > 64 || t[0] == '.' || t[k - 1] == '.' || !str_isalnum((unsigned char)t[0]))
        return 0;
    size_t j = k;
    while (j < tl && (t[j] == ' ' || t[j] == '\t'))
        j++;
    if (j < tl && (t[j] != '(' || t[tl - 1] != ')'))
        return 0;
    return k;
}

int text_unqualified_v(bounce_view *v, bounce_out *out)
{
    const char *s = v->text.ptr;
    size_t end = bview_sep(v), pos = 0;
    char from[BOUNCE_FIELD_MAX], addr[BOUNCE_ADDR_MAX];
    if (!s || !bview_header(v, "From", from, sizeof from) ||
        !bounce_addr_clean(from, strlen(from), addr, sizeof addr))
        return 0;
    const char *dom = strchr(addr, '@') + 1;
    size_t dl = strlen(dom);
    const char *l;
    size_t ll;
    int state = 0; /* 0 before a lead-in, 1 after it (blank lines skipped) */
    while (pos < end && bounce_line(s, end, &pos, &l, &ll)) {
        const char *t = l;
        size_t tl = ll;
        bounce_trim(&t, &tl);
        if (state == 0) {
            size_t e = tl ? line_lead(v->kb, t, tl, NULL) : 0, te = 0;
            char joined[TEXT_WRAP_LINES * (TEXT_WRAP_MAX + 1)];
            if (!e) {
                size_t jl = wrapped_lead(v, s, end, &pos, t, tl, joined, sizeof joined, &e, &te);
                if (jl)
                    t = joined, tl = jl;
            }
            if (e && (e == tl || t[tl - 1] == ':')) /* the lead-in ends its line */
                state = 1;
            continue;
        }
        if (!tl)
            continue;
        size_t k = local_token(t, tl);
        if (!k || k + 1 + dl >= sizeof addr)
            return 0;
        char a[BOUNCE_ADDR_MAX];
        memcpy(a, t, k);
        a[k] = '@';
        memcpy(a + k + 1, dom, dl + 1);
        bounce_rcpt *r = bounce_add(out, a, k + 1 + dl);
        if (!r)
            return 0;
        size_t j = k;
        while (j < tl && (t[j] == ' ' || t[j] == '\t'))
            j++;
        if (j < tl)
            rcpt_diag_add(r, t + j, tl - j);
        return 1;
    }
    return 0;
}
