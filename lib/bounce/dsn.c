/* dsn.c - RFC 3464 delivery status notifications: per-message and per-recipient fields
 * SPDX-License-Identifier: MIT
 *
 * A message/delivery-status body is a group of per-message fields (Reporting-MTA,
 * Arrival-Date ...) followed by one group per recipient (Final-Recipient, Original-Recipient,
 * Action, Status, Remote-MTA, Diagnostic-Code, Last-Attempt-Date, and the X-Postfix-*,
 * X-Actual-Recipient extensions), groups separated by blank lines. Real DSNs bend this:
 * groups without blank lines, fields in any order, folded values; a second Final-Recipient
 * in a group starts a new recipient.
 */
#include <string.h>
#include "bounce/bounce_internal.h"
#include "util/str.h"

typedef struct dsn_group {
    char final[BOUNCE_ADDR_MAX];
    char orig[BOUNCE_ADDR_MAX];
    char action[32];
    char status[16];
    char rhost[BOUNCE_HOST_MAX];
    char diagtype[16];
    char diag[BOUNCE_MAX_DIAG];
    size_t diaglen;
    long long date;
    char tz[8];
    int any;
    char category[40]; /* X-PowerMTA-BounceCategory (bounce_rcpt.category) */
} dsn_group;

/* after_semi - the value after "type;" (e.g. "rfc822; a@b"), trimmed; type into t. */
static void split_typed(const char *v, size_t vl, char *t, size_t tlen, const char **rest,
                        size_t *rl)
{
    const char *semi = memchr(v, ';', vl);
    /* a type is one word ("smtp", "X-Postfix", "rfc822", "dns"): in "550 5.7.1 Spam detected;
     * refused" the ';' ends a sentence of an untyped value */
    size_t tw = semi ? (size_t)(semi - v) : 0;
    while (tw && str_isspace((unsigned char)v[tw - 1]))
        tw--;
    int word = tw > 0 && str_isalpha((unsigned char)v[0]);
    for (size_t i = 0; word && i < tw; i++)
        word = str_isalnum((unsigned char)v[i]) || v[i] == '-' || v[i] == '_' || v[i] == '.';
    if (semi && (size_t)(semi - v) < 24 && word) {
        bounce_copy(t, tlen, v, (size_t)(semi - v));
        for (char *p = t; *p; p++)
            *p = (char)((*p >= 'a' && *p <= 'z') ? *p - 32 : *p);
        *rest = semi + 1;
        *rl = vl - (size_t)(semi + 1 - v);
    } else {
        if (tlen)
            t[0] = 0;
        *rest = v;
        *rl = vl;
    }
    bounce_trim(rest, rl);
}

/* parse_status - the D.S.N at the start of a Status value ("5.1.1", "5.1.1 (text)"). */
static void parse_status(const char *v, size_t vl, char *out, size_t outlen)
{
    bounce_trim(&v, &vl);
    size_t i = 0;
    if (vl < 5 || (v[0] != '2' && v[0] != '4' && v[0] != '5') || v[1] != '.')
        return;
    i = 2;
    size_t d = 0;
    while (i < vl && str_isdigit((unsigned char)v[i]) && d < 3)
        i++, d++;
    if (!d || i >= vl || v[i] != '.')
        return;
    i++;
    d = 0;
    while (i < vl && str_isdigit((unsigned char)v[i]) && d < 3)
        i++, d++;
    if (!d || (i < vl && str_isdigit((unsigned char)v[i])))
        return;
    bounce_copy(out, outlen, v, i);
}

/* utf8_unescape - an RFC 6533 utf-8-addr-xtext ("kl\\x{E4}rchen@example.net") as UTF-8 into
 * out. Returns the length, or 0 (nothing usable) when an escape names no Unicode scalar value
 * or the value does not fit. */
static size_t utf8_unescape(const char *s, size_t n, char *out, size_t outlen)
{
    size_t o = 0, i = 0;
    while (i < n) {
        if (o + 5 >= outlen)
            return 0;
        if (s[i] != '\\' || i + 1 >= n || s[i + 1] != 'x') {
            out[o++] = s[i++];
            continue;
        }
        /* "\\x{" 1 to 6 hex digits "}" */
        unsigned long cp = 0;
        size_t k = i + 2, d = 0;
        if (k < n && s[k] == '{')
            for (k++; k < n && d < 7; k++, d++) {
                int h = str_hexval((unsigned char)s[k]);
                if (h < 0)
                    break;
                cp = cp * 16 + (unsigned long)h;
            }
        size_t w = d && d < 7 && k < n && s[k] == '}' ? str_utf8_put(cp, out + o) : 0;
        if (!w)
            return 0; /* (a broken escape: no address rather than a cut one) */
        o += w;
        i = k + 1;
    }
    out[o] = 0;
    return o;
}

/* xtext_decode - an RFC 3461 xtext ("user+2Btag@example.net") decoded into out. Only "+2B"
 * and "+3D" are decoded: the two printable characters xtext encodes ('+', '=') and all an
 * address's xtext holds in practice; anything else stays as written, since a plain address's
 * own tag looks alike ("john+2023@...", "bob+99@...": no encoder wrote those). Returns the
 * length, or 0 when it does not fit. */
static size_t xtext_decode(const char *s, size_t n, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (o + 1 >= outlen)
            return 0;
        if (s[i] == '+' && i + 2 < n && s[i + 1] == '2' && s[i + 2] == 'B') {
            out[o++] = '+';
            i += 2;
        } else if (s[i] == '+' && i + 2 < n && s[i + 1] == '3' && s[i + 2] == 'D') {
            out[o++] = '=';
            i += 2;
        } else
            out[o++] = s[i];
    }
    out[o] = 0;
    return o;
}

/* quoted_addr - a typed address whose local part is an RFC 5321 quoted string
 * ("\"fay doe\"@example.net", in angle brackets or not) into out, its domain in lower case.
 * The text search takes no such address. A quoted '@', a control or an unclosed quote is no
 * address: the recipient's domain is what follows its one '@'. Returns the length or 0. */
static size_t quoted_addr(const char *s, size_t n, char *out, size_t outlen)
{
    bounce_trim(&s, &n);
    if (n > 2 && s[0] == '<' && s[n - 1] == '>')
        s++, n -= 2;
    if (n < 4 || s[0] != '"' || n >= outlen)
        return 0;
    size_t i = 1;
    for (; i < n && s[i] != '"'; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\' && i + 1 < n)
            c = (unsigned char)s[++i];
        if (c == '@' || c < ' ' || c == 0x7f)
            return 0;
    }
    if (i < 2 || i + 2 >= n || s[i + 1] != '@')
        return 0;
    char dom[BOUNCE_ADDR_MAX];
    size_t dl = n - (i + 2);
    /* the domain as the text search reads it or as a typed field gives it; all of it */
    if (dl >= sizeof dom)
        return 0;
    char probe[BOUNCE_ADDR_MAX + 2] = "x@";
    memcpy(probe + 2, s + i + 2, dl);
    if (!bounce_addr_clean(probe, dl + 2, dom, sizeof dom) &&
        !bounce_addr_typed(probe, dl + 2, dom, sizeof dom))
        return 0;
    if (strlen(dom) != dl + 2)
        return 0;
    memcpy(out, s, i + 2);
    memcpy(out + i + 2, dom + 2, dl + 1);
    /* quotes around a local part that needs none ("\"bob\"@example.net") are no part of the
     * mailbox (RFC 5321 section 4.1.2): the address as written without them */
    if (str_dot_atom(s + 1, i - 1)) { /* ("a..b" and "ab." keep their quotes) */
        memmove(out, out + 1, i - 1);
        memmove(out + i - 1, out + i + 1, dl + 2);
        return n - 2;
    }
    return n;
}

/* recipient_of - the address of a Final- or Original-Recipient value into out; xtext: the
 * value is an ORCPT copied as it came (RFC 3461 has Original-Recipient carry it decoded, and
 * some MTAs copy the xtext). */
static void recipient_of(const char *v, size_t vl, int xtext, char *out, size_t outlen)
{
    char t[16], u[BOUNCE_ADDR_MAX * 4];
    const char *rest;
    size_t rl;
    split_typed(v, vl, t, sizeof t, &rest, &rl);
    if (!strcmp(t, "UTF-8") && memchr(rest, '\\', rl)) {
        rl = utf8_unescape(rest, rl, u, sizeof u);
        rest = u;
    } else if (xtext && !strcmp(t, "RFC822") && memchr(rest, '+', rl)) {
        rl = xtext_decode(rest, rl, u, sizeof u);
        rest = u;
    }
    out[0] = 0;
    /* a value that opens with a quote is a quoted local part or nothing: the text search
     * would take a part of it ("\"fay doe@example.net" is no doe@example.net) */
    const char *q = rest;
    size_t ql = rl;
    bounce_trim(&q, &ql);
    if (ql && q[0] == '<')
        q++, ql--;
    if (ql && q[0] == '"') {
        if (quoted_addr(rest, rl, out, outlen))
            return;
        /* the whole address in quotes ("\"a@b\"", "<\"a@b\">"): the address, when it is
         * all the quotes hold */
        const char *cq = ql > 1 ? memchr(q + 1, '"', ql - 1) : NULL;
        size_t il = cq ? (size_t)(cq - q) - 1 : 0, after = cq ? ql - (size_t)(cq - q) - 1 : 0;
        char c[BOUNCE_ADDR_MAX];
        if (cq && (after == 0 || (after == 1 && cq[1] == '>')) && il < sizeof c &&
            bounce_addr_clean(q + 1, il, c, sizeof c) == il && il < outlen) {
            memcpy(out, c, il + 1);
            return;
        }
        /* a display name before the address ("\"John Doe\" <john@example.net>", written
         * where RFC 3464 wants the address alone): the address in the brackets */
        const char *lt = cq ? cq + 1 : NULL;
        while (lt && lt < q + ql && (*lt == ' ' || *lt == '\t'))
            lt++;
        if (lt && lt < q + ql && *lt == '<' && q[ql - 1] == '>')
            bounce_addr_clean(lt, (size_t)(q + ql - lt), out, outlen);
        return;
    }
    /* an address the text search takes, or one the field's type vouches for where the search
     * would not take it (a one-label or mistyped domain) */
    if (!bounce_addr_clean(rest, rl, out, outlen))
        bounce_addr_typed(rest, rl, out, outlen);
}

/* loose - is a (a typed recipient, clean) no address the text search takes as it is: a
 * one-label or mistyped domain, a quoted local part? */
static int loose(const char *a)
{
    char t[BOUNCE_ADDR_MAX];
    size_t al = strlen(a);
    return al && bounce_addr_clean(a, al, t, sizeof t) != al;
}

static void flush(dsn_group *g, bounce_out *out)
{
    const char *addr = g->final[0] ? g->final : g->orig;
    /* a one-label Final-Recipient (an internal rewrite: "bob.smith@mailhost") yields to a
     * plain Original-Recipient, the address the sender wrote */
    if (loose(g->final) && g->orig[0] && !loose(g->orig))
        addr = g->orig;
    if (addr[0]) {
        bounce_rcpt *r = bounce_add_exact(out, addr); /* (recipient_of() cleaned it) */
        if (r) {
            if (g->action[0])
                memcpy(r->action, g->action, sizeof r->action);
            if (g->status[0])
                memcpy(r->status, g->status, sizeof r->status);
            if (g->rhost[0])
                memcpy(r->rhost, g->rhost, sizeof r->rhost);
            if (g->diagtype[0])
                memcpy(r->diagtype, g->diagtype, sizeof r->diagtype);
            if (g->diaglen)
                rcpt_diag_set(r, g->diag, g->diaglen);
            if (g->category[0])
                memcpy(r->category, g->category, sizeof r->category);
            if (g->date) {
                r->date = g->date;
                memcpy(r->tz, g->tz, sizeof r->tz);
            }
            if (out->lhost[0] && !r->lhost[0])
                memcpy(r->lhost, out->lhost, sizeof r->lhost);
        }
    }
    memset(g, 0, sizeof *g);
}

/* host_of - "dns; mx.example.net" or "mx.example.net [192.0.2.1]": the host name. */
static void host_of(const char *v, size_t vl, char *out, size_t outlen)
{
    char t[16];
    const char *h;
    size_t hl;
    split_typed(v, vl, t, sizeof t, &h, &hl);
    if (!strncmp(t, "X400", 4) || !strncmp(t, "X-400", 5)) { /* (an X.400 name is no host) */
        if (outlen)
            out[0] = 0;
        return;
    }
    size_t e = 0;
    while (e < hl && !str_isspace((unsigned char)h[e]) && h[e] != '(' && h[e] != ';')
        e++;
    const char *s = h;
    if (e && s[0] == '[') {
        s++;
        e--;
        if (e && s[e - 1] == ']')
            e--;
        if (e > 5 && str_caseeq(s, 5, "ipv6:")) /* (RFC 5321's "[IPv6:2001:db8::25]") */
            s += 5, e -= 5;
    }
    while (e && s[e - 1] == '.')
        e--;
    bounce_copy(out, outlen, s, e);
    for (char *p = out; *p; p++)
        *p = (char)str_tolower((unsigned char)*p);
}

/* next_field_missing - is the next non-blank line from pos, quote marks aside, a recipient's
 * field that does not open a recipient (Action, Status, Remote-MTA, Diagnostic-Code) and that
 * the group has not had yet, in a paragraph that names no recipient of its own? Then the blank
 * line before it split one recipient's fields. *next gets where that paragraph starts. */
static int next_field_missing(const dsn_group *g, const char *s, size_t len, size_t pos,
                              size_t *next)
{
    const char *l;
    size_t ll, start = pos;
    int missing = -1;
    *next = len;
    for (; bounce_line(s, len, &pos, &l, &ll); start = pos) {
        bounce_trim(&l, &ll);
        while (ll && l[0] == '>') {
            l++, ll--;
            bounce_trim(&l, &ll);
        }
        if (!ll) {
            if (missing < 0)
                continue;
            break; /* (the end of the next paragraph) */
        }
        if (missing < 0) {
            *next = start; /* (the next paragraph's first line) */
            missing = (bounce_starts(l, ll, "Action:") && !g->action[0]) ||
                      (bounce_starts(l, ll, "Status:") && !g->status[0]) ||
                      (bounce_starts(l, ll, "Remote-MTA:") && !g->rhost[0]) ||
                      (bounce_starts(l, ll, "Diagnostic-Code:") && !g->diaglen);
        }
        /* (a paragraph that names a recipient of its own is that recipient's: MessageLabs
         * opens each recipient's block with Remote-MTA, review-s11d M1) */
        if (bounce_starts(l, ll, "Final-Recipient:") || bounce_starts(l, ll, "Original-Recipient:"))
            return 0;
        if (!missing)
            return 0;
    }
    return missing > 0;
}

/* field_line - does the line open a field ("Name:" or "Name :", the name letters, digits and
 * '-'), and not a URL ("https://...")? */
static int field_line(const char *l, size_t n)
{
    size_t i = 0;
    while (i < n && i <= 40 && (str_isalnum((unsigned char)l[i]) || l[i] == '-'))
        i++;
    if (!i || i > 40)
        return 0;
    while (i < n && l[i] == ' ')
        i++;
    return i < n && l[i] == ':' && !(i + 2 < n && l[i + 1] == '/' && l[i + 2] == '/');
}

/* word_start - does t[0..n) open with a word: a letter or a digit, a quote before one, or a
 * letter outside ASCII (not a blank such as U+00A0 or U+3000)? */
static int word_start(const char *t, size_t n)
{
    /* (ASCII quotes before a word are passed over in a loop, never by recursion: a line of
     * a million quotes must not exhaust the stack, review-s12c H1) */
    while (n && (t[0] == '"' || t[0] == '\''))
        t++, n--;
    if (!n)
        return 0;
    const unsigned char *u = (const unsigned char *)t;
    if (u[0] < 0x80)
        return str_isalnum(u[0]);
    /* U+0080..U+00BF: C1 controls (NEL), blanks (U+00A0), signs; only the quotes and the
     * Spanish opening marks open words: '«' '»' '¡' '¿' (review-s12d L1) */
    if (u[0] == 0xC2)
        return n > 1 && (u[1] == 0xAB || u[1] == 0xBB || u[1] == 0xA1 || u[1] == 0xBF);
    /* U+2000..U+206F (blanks, dashes, ZWSP; the quotes U+2018..U+201F and '‹' '›'
     * excepted), U+2500..U+257F (box-drawing rules), U+3000 and U+FEFF */
    if (u[0] == 0xE2 && n > 2) {
        if (u[1] == 0x80)
            return (u[2] >= 0x98 && u[2] <= 0x9F) || u[2] == 0xB9 || u[2] == 0xBA;
        if (u[1] == 0x81 || u[1] == 0x94 || u[1] == 0x95)
            return 0;
    }
    if (u[0] == 0xE3 && n > 2 && u[1] == 0x80 && u[2] == 0x80)
        return 0;
    if (u[0] == 0xEF && n > 2 && u[1] == 0xBB && u[2] == 0xBF)
        return 0;
    return u[0] >= 0xC3;
}

/* goes_on - does the unindented line next[0..nn) go on a Diagnostic-Code whose line l[0..n)
 * (the field's own line when first) ends where no sentence can, on ':', ',' or ';' (trailing
 * blanks aside)? Only words go on (word_start): not a field left empty ("Diagnostic-Code:
 * smtp;"), nor a line that opens with a rule, a boundary, a bracketed address or a non-ASCII
 * blank, or opens a Postfix entry ("carol@b: ...") (review-s12 L1, review-s12b L2). */
static int goes_on(const char *l, size_t n, int first, const char *next, size_t nn)
{
    while (n && (l[n - 1] == ' ' || l[n - 1] == '\t' || l[n - 1] == '\r'))
        n--;
    if (!n || (l[n - 1] != ':' && l[n - 1] != ',' && l[n - 1] != ';'))
        return 0;
    if (!nn || !word_start(next, nn) || bounce_postfix_entry(next, nn))
        return 0;
    if (first) { /* (the value after the field's name and its type must hold words) */
        const char *c = memchr(l, ':', n);
        size_t k = c ? (size_t)(c - l) + 1 : n;
        while (k < n && l[k] == ' ')
            k++;
        while (k < n && l[k] != ';' && l[k] != ' ')
            k++;
        if (k < n && l[k] == ';')
            k++;
        while (k < n && l[k] == ' ')
            k++;
        if (k >= n - 1)
            return 0;
    }
    return 1;
}

int dsn_parse(const char *s, size_t len, bounce_out *out)
{
    dsn_group g;
    memset(&g, 0, sizeof g);
    size_t pos = 0, before = out->n;
    buf uf;
    buf_init(&uf, MAIL_MAX_FIELD + 16);
    while (pos < len) {
        /* one field with its continuation lines */
        const char *l;
        size_t ll;
        size_t start = pos;
        if (!bounce_line(s, len, &pos, &l, &ll))
            break;
        size_t tl = ll;
        const char *tp = l;
        bounce_trim(&tp, &tl);
        /* a forwarded DSN: "> Final-Recipient: ..." */
        int quoted = 0;
        while (tl && tp[0] == '>') {
            quoted = 1;
            tp++, tl--;
            bounce_trim(&tp, &tl);
            start = (size_t)(tp - s);
        }
        if (tl == 0) {
            /* (a paste that put a blank line between every field, "Final-Recipient: ..." /
             * "" / "Action: failed": a recipient with nothing said of it yet goes on with the
             * fields that follow, when they are of a recipient and open no other one) */
            size_t next;
            if ((g.final[0] || g.orig[0]) && next_field_missing(&g, s, len, pos, &next)) {
                pos = next; /* (past every blank line before it: each is looked at once) */
                continue;
            }
            if (g.final[0] || g.orig[0])
                flush(&g, out);
            else if (g.any) /* (a recipient whose address is no e-mail address: x400;, a */
                memset(&g, 0, sizeof g); /* local name: its fields are not the next one's) */
            continue;
        }
        size_t end = pos;
        /* a Diagnostic-Code not folded where it goes on (unquoted; the lines that go on open
         * no field): Gmail's message/global-delivery-status cuts a long one at a width, in a
         * word ("... content judged to b" / "e spam by ... IB212"), and a multi-line reply may
         * go on unindented ("550-5.1.1 ... Please try" / "550-5.1.1 double-checking ..."). A
         * line goes on after a cut one (120 bytes or more: joined as cut), when it opens
         * with a reply code, or after a line that ends where no sentence can (on ':', ',' or
         * ';': a paste wrapped at a narrower width, "... Recipient address rejected:" /
         * "mailbox unavailable"), the last two joined with a blank; anything else ends the
         * field. */
        int diag = !quoted && bounce_starts(s + start, pos - start, "Diagnostic-Code") &&
                   field_line(s + start, pos - start);
        size_t cut[16], prev = ll, ncut = 0;
        const char *prevl = l;
        unsigned char blank[16];
        while (end < len && (s[end] == ' ' || s[end] == '\t' || diag)) {
            const char *l2;
            size_t l2l;
            size_t p2 = end;
            bounce_line(s, len, &p2, &l2, &l2l);
            size_t t2 = l2l;
            const char *tp2 = l2;
            bounce_trim(&tp2, &t2);
            if (!t2)
                break;
            if (s[end] != ' ' && s[end] != '\t') {
                int code = l2l > 4 && bounce_reply_code_at(l2, l2l);
                if (field_line(l2, l2l) || l2[0] == '>' ||
                    (prev < 120 && !code && !goes_on(prevl, prev, prevl == l, l2, l2l)) ||
                    ncut == sizeof cut / sizeof *cut)
                    break;
                blank[ncut] = prev < 120;
                cut[ncut++] = end;
            }
            prev = l2l;
            prevl = l2;
            end = p2;
        }
        pos = end;
        const char *colon = memchr(s + start, ':', end - start);
        if (!colon || colon == s + start || (size_t)(colon - (s + start)) > 40)
            continue;
        const char *name = s + start;
        size_t nl = (size_t)(colon - name);
        while (nl && str_isspace((unsigned char)name[nl - 1]))
            nl--;
        buf_reset(&uf);
        const char *fv = colon + 1;
        size_t fl = (size_t)(s + end - colon - 1);
        buf jb;
        buf_init(&jb, MAIL_MAX_FIELD + 64);
        if (ncut) { /* (the unfolded lines, with a blank where a reply's line goes on) */
            const char *from = fv;
            mxd_err je = MXD_OK;
            for (size_t i = 0; i < ncut && !je; i++) {
                je = buf_add(&jb, from, (size_t)(s + cut[i] - from));
                if (!je && blank[i])
                    je = buf_add(&jb, " ", 1);
                from = s + cut[i];
            }
            if (!je)
                je = buf_add(&jb, from, (size_t)(s + end - from));
            if (!je && jb.ptr) /* (out of memory: the field as it stands, unfolded) */
                fv = jb.ptr, fl = jb.len;
        }
        mxd_err ue = mail_unfold(fv, fl, &uf);
        buf_free(&jb);
        if (ue != MXD_OK)
            continue;
        const char *v = uf.ptr ? uf.ptr : "";
        size_t vl = uf.len;
#define IS(n) (nl == sizeof(n) - 1 && str_caseeq(name, nl, n))
        const char *rest;
        size_t rl;
        if (IS("Final-Recipient")) {
            if (g.final[0])
                flush(&g, out);
            recipient_of(v, vl, 0, g.final, sizeof g.final);
            g.any = 1;
        } else if (IS("Original-Recipient")) {
            if (g.orig[0] && g.final[0])
                flush(&g, out);
            recipient_of(v, vl, 1, g.orig, sizeof g.orig);
        } else if (IS("Action")) {
            size_t i = 0;
            while (i < vl && !str_isspace((unsigned char)v[i]) && v[i] != '(')
                i++;
            bounce_copy(g.action, sizeof g.action, v, i);
            for (char *p = g.action; *p; p++)
                *p = (char)str_tolower((unsigned char)*p);
        } else if (IS("Status")) {
            parse_status(v, vl, g.status, sizeof g.status);
        } else if (IS("Remote-MTA")) {
            host_of(v, vl, g.rhost, sizeof g.rhost);
        } else if (IS("Diagnostic-Code")) {
            split_typed(v, vl, g.diagtype, sizeof g.diagtype, &rest, &rl);
            if (rl >= BOUNCE_MAX_DIAG)
                rl = BOUNCE_MAX_DIAG - 1;
            memcpy(g.diag, rest, rl);
            g.diag[rl] = 0;
            g.diaglen = rl;
        } else if (IS("X-PowerMTA-BounceCategory")) {
            /* (a value too long for any row is no category: not cut to a prefix) */
            if (vl < sizeof g.category)
                bounce_copy(g.category, sizeof g.category, v, vl);
        } else if (IS("Last-Attempt-Date")) {
            g.date = bounce_date(v, vl, g.tz);
        } else if (IS("Reporting-MTA")) {
            host_of(v, vl, out->lhost, sizeof out->lhost);
        } else if (IS("Arrival-Date")) {
            if (!out->date)
                out->date = bounce_date(v, vl, out->tz);
        }
#undef IS
    }
    if (g.final[0] || g.orig[0])
        flush(&g, out);
    buf_free(&uf);
    return (int)(out->n - before);
}

/* para_for - the paragraph of text about addr: the lines from the one naming it to the next
 * blank line (or the next line naming another recipient). */
static int para_for(const char *t, size_t tl, const char *addr, const char **ps, size_t *pl)
{
    size_t al = strlen(addr);
    const char *hit = str_casefind(t, tl, addr, al);
    while (hit) {
        const char *ls = hit;
        while (ls > t && ls[-1] != '\n')
            ls--;
        /* skip header-like lines ("To: addr") of a quoted message */
        size_t off = (size_t)(hit - ls);
        int headerish = off > 0 && off < 40 && memchr(ls, ':', off) &&
                        (bounce_starts(ls, off, "To:") || bounce_starts(ls, off, "From:") ||
                         bounce_starts(ls, off, "To :") || bounce_starts(ls, off, "From :") ||
                         bounce_starts(ls, off, "Final-Recipient") ||
                         bounce_starts(ls, off, "Original-Recipient") ||
                         bounce_starts(ls, off, "X-Failed-Recipients"));
        if (!headerish) {
            size_t pos = (size_t)(ls - t);
            const char *l;
            size_t ll;
            size_t start = pos, end = pos;
            int lines = 0;
            while (bounce_line(t, tl, &pos, &l, &ll)) {
                const char *x = l;
                size_t xl = ll;
                bounce_trim(&x, &xl);
                if (!xl && lines)
                    break;
                end = pos;
                if (++lines > 12)
                    break;
            }
            *ps = t + start;
            *pl = end - start;
            return 1;
        }
        size_t rest = tl - (size_t)(hit + al - t);
        hit = str_casefind(hit + al, rest, addr, al);
    }
    return 0;
}

void dsn_text_fill(const bounce_view *v, bounce_out *out)
{
    if (!v->text.len)
        return;
    for (size_t i = 0; i < out->n; i++) {
        bounce_rcpt *r = &out->r[i];
        const char *p;
        size_t pl;
        if (r->diaglen) {
            /* the command the error answered is often only in the text ("(in reply to RCPT
             * TO command)", ">>> RCPT To:") */
            if (!r->command[0] && para_for(v->text.ptr, v->text.len, r->recipient, &p, &pl)) {
                /* "(in reply to RCPT\n    TO command)": blanks collapsed first */
                char flat[BOUNCE_MAX_DIAG];
                size_t fl = 0;
                for (size_t k = 0; k < pl && fl + 1 < sizeof flat; k++) {
                    char ch = str_isspace((unsigned char)p[k]) ? ' ' : p[k];
                    if (ch == ' ' && fl && flat[fl - 1] == ' ')
                        continue;
                    flat[fl++] = ch;
                }
                reply_command_t(&v->cmds, flat, fl, r->command);
            }
            continue;
        }
        if (para_for(v->text.ptr, v->text.len, r->recipient, &p, &pl)) {
            /* drop the address itself at the start ("<a@b>: ") */
            const char *x = p;
            size_t xl = pl;
            bounce_trim(&x, &xl);
            size_t at, al;
            if (bounce_addr_in(x, xl, &at, &al) && at <= 1) {
                size_t cut = at + al;
                while (cut < xl && (x[cut] == '>' || x[cut] == ':' || x[cut] == ' '))
                    cut++;
                x += cut;
                xl -= cut;
            }
            rcpt_diag_set(r, x, xl);
        }
    }
}
