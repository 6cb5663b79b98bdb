/* sender.c - who sent the returned message: envelope sender, HELO, From, DKIM signers
 * SPDX-License-Identifier: MIT
 *
 * SPF checks the envelope (RFC 5321 MAIL FROM, or the HELO name for the null sender <>), not
 * the From header; DMARC then asks whether that domain, or the d= of a DKIM signature, aligns
 * with the From domain. A bounce says who the envelope sender was in several places; this
 * file reads them from the raw bytes, past the bounce's own header block (whose Return-Path
 * is the bounce's, usually <>), in order of trust:
 *   X-Postfix-Sender    the DSN's per-message field (Postfix): "rfc822; address"
 *   Return-Path         of the returned message, when the sending MTA kept it
 *   Received-SPF        envelope-from= and helo= that a receiver recorded
 *   Authentication-Results  smtp.mailfrom= and smtp.helo=
 * The HELO name also comes from the Received header the receiver wrote for the sending IP
 * ("from HELO (... [IP])"). Everything is bounded: DIAG_SENDER_SCAN bytes searched, one field
 * read up to DIAG_SENDER_FIELD bytes, MXD_DIAG_MAX_SIGNERS signatures.
 */
#include <stdlib.h>
#include <string.h>
#include "diagnose/diagnose_internal.h"
#include "mxdiag/check.h"
#include "mxdiag/dmarc.h"
#include "util/buf.h"
#include "util/str.h"

#define DIAG_SENDER_SCAN  (4u * 1024 * 1024) /* bytes of the bounce searched */
#define DIAG_SENDER_FIELD 8192               /* bytes of one header field, unfolded */
#define DIAG_SENDER_ADDR  512                /* longest address or name kept */

/* Sources of the envelope sender, most trusted first. */
enum { SRC_DSN, SRC_RETURN_PATH, SRC_RECEIVED_SPF, SRC_AUTH_RESULTS, SRC__COUNT };
static const char *const src_name[SRC__COUNT] = {
    "DSN (X-Postfix-Sender)",
    "Return-Path of the returned message",
    "Received-SPF of the returned message",
    "Authentication-Results of the returned message",
};

typedef struct sender_scan {
    char mail_from[SRC__COUNT][DIAG_SENDER_ADDR];
    int have_mf[SRC__COUNT];
    char helo[DIAG_SENDER_ADDR];
    const char *helo_from;
    char from[DIAG_SENDER_ADDR];
    int have_from;
    char *sel[MXD_DIAG_MAX_SIGNERS], *dom[MXD_DIAG_MAX_SIGNERS];
    size_t nsig;
} sender_scan;

/* copy_span - a NUL-terminated copy of s[0..n) into out, 0 when it does not fit. */
static int copy_span(const char *s, size_t n, char *out, size_t outlen)
{
    if (n >= outlen)
        return 0;
    memcpy(out, s, n);
    out[n] = 0;
    return 1;
}

/* diag_mailbox - the address in a header value: inside <...> when there is one ("<>" gives
 * ""), else the first word holding an '@' (a "rfc822;" type prefix skipped). Returns 1 when an
 * address (or the null sender) was found. */
int diag_mailbox(const char *v, size_t n, char *out, size_t outlen)
{
    const char *lt = memchr(v, '<', n);
    if (lt) {
        const char *gt = memchr(lt, '>', (size_t)(v + n - lt));
        if (!gt)
            return 0;
        const char *s = lt + 1, *e = gt;
        while (s < e && str_isspace((unsigned char)*s))
            s++;
        while (e > s && str_isspace((unsigned char)e[-1]))
            e--;
        if (s < e && !memchr(s, '@', (size_t)(e - s)))
            return 0;
        return copy_span(s, (size_t)(e - s), out, outlen);
    }
    const char *semi = memchr(v, ';', n);
    const char *p = semi && str_casefind(v, (size_t)(semi - v), "rfc822", 6) ? semi + 1 : v;
    const char *end = v + n;
    while (p < end) {
        while (p < end && (str_isspace((unsigned char)*p) || *p == ',' || *p == ';'))
            p++;
        const char *w = p;
        while (p < end && !str_isspace((unsigned char)*p) && *p != ',' && *p != ';')
            p++;
        const char *at = memchr(w, '@', (size_t)(p - w));
        if (at && at > w && at + 1 < p)
            return copy_span(w, (size_t)(p - w), out, outlen);
    }
    return 0;
}

/* param_value - the value of "name=" (a word ending at blank, ';' or ')') in v; quotes and
 * angle brackets taken off. Returns 1 when present and not empty. */
static int param_value(const char *v, size_t n, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    for (const char *p = v; p + nl < v + n; p++) {
        p = str_casefind(p, (size_t)(v + n - p), name, nl);
        if (!p)
            return 0;
        if (p > v && (str_isalnum((unsigned char)p[-1]) || p[-1] == '.' || p[-1] == '-'))
            continue;
        const char *s = p + nl, *e = s;
        while (e < v + n && !str_isspace((unsigned char)*e) && *e != ';' && *e != ')')
            e++;
        while (s < e && (*s == '"' || *s == '<'))
            s++;
        while (e > s && (e[-1] == '"' || e[-1] == '>'))
            e--;
        return s < e && copy_span(s, (size_t)(e - s), out, outlen);
    }
    return 0;
}

/* tag_value - the value of DKIM tag name in a tag list, whitespace removed; NULL when absent
 * or out of memory. The caller frees it. */
static char *tag_value(const char *h, size_t hl, const char *name)
{
    size_t nl = strlen(name);
    const char *p = h, *end = h + hl;
    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *te = semi ? semi : end;
        const char *eq = memchr(p, '=', (size_t)(te - p));
        if (eq) {
            const char *ks = p, *ke = eq;
            while (ks < ke && str_isspace((unsigned char)*ks))
                ks++;
            while (ke > ks && str_isspace((unsigned char)ke[-1]))
                ke--;
            if ((size_t)(ke - ks) == nl && !memcmp(ks, name, nl)) {
                buf b;
                buf_init(&b, DIAG_SENDER_ADDR);
                for (const char *v = eq + 1; v < te; v++)
                    if (!str_isspace((unsigned char)*v) && buf_addc(&b, *v))
                        return NULL;
                return b.len ? buf_steal(&b) : (buf_free(&b), NULL);
            }
        }
        p = semi ? semi + 1 : end;
    }
    return NULL;
}

/* received_helo - "from NAME (... [IP])" of a Received field whose bracketed address is ip:
 * the name the client gave in HELO, as the receiver recorded it. */
static int received_helo(const char *v, size_t n, const char *ip, char *out, size_t outlen)
{
    if (!ip)
        return 0;
    const char *p = v, *end = v + n;
    while (p < end && str_isspace((unsigned char)*p))
        p++;
    if (end - p < 5 || !str_caseeq(p, 4, "from") || !str_isspace((unsigned char)p[4]))
        return 0;
    p += 5;
    while (p < end && str_isspace((unsigned char)*p))
        p++;
    const char *name = p;
    while (p < end && !str_isspace((unsigned char)*p) && *p != '(')
        p++;
    size_t nl = (size_t)(p - name);
    const char *by = str_casefind(p, (size_t)(end - p), " by ", 4);
    const char *lim = by ? by : end;
    size_t il = strlen(ip);
    for (const char *b = memchr(p, '[', (size_t)(lim - p)); b;
         b = memchr(b + 1, '[', (size_t)(lim - b - 1))) {
        const char *q = b + 1;
        if ((size_t)(lim - q) > 5 && str_caseeq(q, 5, "IPv6:"))
            q += 5;
        if ((size_t)(lim - q) > il && q[il] == ']' && str_caseeq(q, il, ip)) {
            /* an address literal or a bare word: no name to check */
            return nl && *name != '[' && copy_span(name, nl, out, outlen) && mxd_domain_valid(out);
        }
        if (b + 1 >= lim)
            break;
    }
    return 0;
}

/* field - one header field at line start: is it called name? Sets the value span (folded). */
static int field_is(const char *line, size_t ll, const char *name, const char **val)
{
    size_t nl = strlen(name);
    if (ll <= nl || line[nl] != ':' || !str_caseeq(line, nl, name))
        return 0;
    *val = line + nl + 1;
    return 1;
}

/* envelope_ok - an envelope sender worth using: the null sender "", or an address (or bare
 * domain) whose domain is a valid name; a value cut by a quoted-printable soft break
 * ("...@email.e=") is not. */
static int envelope_ok(const char *a)
{
    if (!*a)
        return 1;
    const char *at = strrchr(a, '@');
    return mxd_domain_valid(at ? at + 1 : a);
}

/* found_envelope - record the envelope sender of source k when it is usable. */
static void found_envelope(sender_scan *s, int k, int found)
{
    s->have_mf[k] = found && envelope_ok(s->mail_from[k]);
}

static void scan_field(sender_scan *s, const char *line, const char *fe, const char *ip)
{
    size_t ll = (size_t)(fe - line);
    const char *v;
    /* unfold into a bounded copy */
    char u[DIAG_SENDER_FIELD];
    size_t un = 0;
#define UNFOLD()                                                                                   \
    do {                                                                                           \
        for (const char *c = v; c < fe && un + 1 < sizeof u; c++)                                  \
            u[un++] = (*c == '\r' || *c == '\n' || *c == '\t') ? ' ' : *c;                         \
        u[un] = 0;                                                                                 \
    } while (0)
    if (field_is(line, ll, "X-Postfix-Sender", &v)) {
        UNFOLD();
        if (!s->have_mf[SRC_DSN])
            found_envelope(s, SRC_DSN,
                           diag_mailbox(u, un, s->mail_from[SRC_DSN], DIAG_SENDER_ADDR));
    } else if (field_is(line, ll, "Return-Path", &v)) {
        UNFOLD();
        if (!s->have_mf[SRC_RETURN_PATH])
            found_envelope(s, SRC_RETURN_PATH,
                           diag_mailbox(u, un, s->mail_from[SRC_RETURN_PATH], DIAG_SENDER_ADDR));
    } else if (field_is(line, ll, "Received-SPF", &v)) {
        UNFOLD();
        if (!s->have_mf[SRC_RECEIVED_SPF])
            found_envelope(s, SRC_RECEIVED_SPF,
                           param_value(u, un, "envelope-from=", s->mail_from[SRC_RECEIVED_SPF],
                                       DIAG_SENDER_ADDR));
        if (!s->helo_from && param_value(u, un, "helo=", s->helo, sizeof s->helo) &&
            mxd_domain_valid(s->helo))
            s->helo_from = src_name[SRC_RECEIVED_SPF];
    } else if (field_is(line, ll, "Authentication-Results", &v)) {
        UNFOLD();
        if (!s->have_mf[SRC_AUTH_RESULTS])
            found_envelope(s, SRC_AUTH_RESULTS,
                           param_value(u, un, "smtp.mailfrom=", s->mail_from[SRC_AUTH_RESULTS],
                                       DIAG_SENDER_ADDR));
        if (!s->helo_from && param_value(u, un, "smtp.helo=", s->helo, sizeof s->helo) &&
            mxd_domain_valid(s->helo))
            s->helo_from = src_name[SRC_AUTH_RESULTS];
    } else if (field_is(line, ll, "Received", &v)) {
        UNFOLD();
        if (!s->helo_from && received_helo(u, un, ip, s->helo, sizeof s->helo))
            s->helo_from = "Received header for the sending IP";
    } else if (field_is(line, ll, "From", &v)) {
        UNFOLD();
        if (!s->have_from)
            s->have_from = diag_mailbox(u, un, s->from, sizeof s->from) && s->from[0];
    } else if (field_is(line, ll, "DKIM-Signature", &v) && s->nsig < MXD_DIAG_MAX_SIGNERS) {
        char *d = tag_value(v, (size_t)(fe - v), "d");
        char *sel = tag_value(v, (size_t)(fe - v), "s");
        if (d) {
            s->dom[s->nsig] = d;
            s->sel[s->nsig++] = sel;
        } else {
            free(sel);
        }
    }
#undef UNFOLD
}

/* scan - every header field at a line start past the bounce's own header block. */
static void scan(sender_scan *s, const char *data, size_t len, const char *ip)
{
    if (len > DIAG_SENDER_SCAN)
        len = DIAG_SENDER_SCAN;
    const char *p = data, *end = data + len;
    /* the bounce's own header block: up to the first empty line */
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        int empty = le == p || (le == p + 1 && *p == '\r');
        p = nl ? nl + 1 : end;
        if (empty)
            break;
    }
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *line = p;
        p = nl ? nl + 1 : end;
        if (le == line || str_isspace((unsigned char)*line) ||
            !memchr(line, ':', (size_t)(le - line)))
            continue;
        /* the field runs on over continuation lines, bounded */
        const char *fe = le;
        while (p < end && (*p == ' ' || *p == '\t') && (size_t)(fe - line) < DIAG_SENDER_FIELD) {
            const char *n2 = memchr(p, '\n', (size_t)(end - p));
            fe = n2 ? n2 : end;
            p = n2 ? n2 + 1 : end;
        }
        scan_field(s, line, fe, ip);
    }
}

/* reply_spf_domain - the domain a receiver says it checked SPF for, from Gmail's
 * "SPF [bounces.esp.example] with ip: [IP] = did not pass": the envelope domain it saw. */
static int reply_spf_domain(const char *t, char *out, size_t outlen)
{
    static const char key[] = "SPF [";
    const char *p = t ? str_casefind(t, strlen(t), key, sizeof key - 1) : NULL;
    if (!p)
        return 0;
    p += sizeof key - 1;
    const char *e = strchr(p, ']');
    if (!e || strncmp(e, "] with ip", 9) || !copy_span(p, (size_t)(e - p), out, outlen))
        return 0;
    return mxd_domain_valid(out);
}

static const char *domain_part(const char *addr)
{
    const char *at = addr ? strrchr(addr, '@') : NULL;
    return at && at[1] ? at + 1 : NULL;
}

/* diag_aligned - does other align with the From domain (strict: the same name; relaxed: the
 * same organisational domain)? */
int diag_aligned(const char *from, const char *other, int strict)
{
    mxd_dmarc_alignment a;
    if (!from || !other || mxd_dmarc_align(from, other, NULL, 0, 0, strict, &a))
        return 0;
    return a.spf_aligned;
}

static mxd_err set(char **dst, const char *v)
{
    free(*dst);
    *dst = diag_strdup(v);
    return *dst ? MXD_OK : MXD_ERR_NOMEM;
}

/* diag_sender_facts - the envelope sender, HELO name and DKIM signers of the returned message
 * in data (a bounce; NULL for a pasted reply), then --mail-from over them. The option
 * --selector (already in d->dkim_selector) wins over the signatures; otherwise the selector
 * comes from the signature whose d= is the From domain, else one aligned with it. */
mxd_err diag_sender_facts(const char *data, size_t len, const mxd_diag_opts *opts, mxd_diagnosis *d)
{
    sender_scan *s = calloc(1, sizeof *s);
    if (!s)
        return MXD_ERR_NOMEM;
    mxd_err e = MXD_OK;
    if (data)
        scan(s, data, len, d->sending_ip);
    d->returned_headers = s->have_from || s->nsig;
    if (s->have_from && d->sender_domain && d->sender_domain_from &&
        str_caseeq(d->sender_domain, strlen(d->sender_domain),
                   domain_part(s->from) ? domain_part(s->from) : ""))
        d->sender_domain_from = "From header of the returned message";
    /* envelope: the option, else the most trusted source */
    if (opts->mail_from && *opts->mail_from) {
        e = set(&d->mail_from, opts->mail_from);
        d->mail_from_from = "option";
    } else {
        for (int k = 0; k < SRC__COUNT && !e; k++)
            if (s->have_mf[k]) {
                e = set(&d->mail_from, s->mail_from[k]);
                d->mail_from_from = src_name[k];
                break;
            }
        char rd[DIAG_SENDER_ADDR];
        if (!e && !d->mail_from && d->explanation &&
            reply_spf_domain(d->explanation->text, rd, sizeof rd)) {
            e = set(&d->mail_from, rd);
            d->mail_from_from = "reply: the domain the receiver checked SPF for";
        }
    }
    if (!e && s->helo_from) {
        e = set(&d->helo, s->helo);
        d->helo_from = s->helo_from;
    }
    if (!e && d->mail_from) {
        const char *dom = strchr(d->mail_from, '@') ? domain_part(d->mail_from) : d->mail_from;
        if (dom && *dom) {
            e = set(&d->mail_from_domain, dom);
            d->mail_from_domain_from = d->mail_from_from;
        } else if (!*d->mail_from && d->helo) {
            e = set(&d->mail_from_domain, d->helo);
            d->mail_from_domain_from = "HELO name (null envelope sender)";
        }
    } else if (!e && d->sender_domain) {
        e = set(&d->mail_from_domain, d->sender_domain);
        d->mail_from_domain_from = DIAG_MAIL_FROM_ASSUMED;
    }
    /* DKIM signers, and the selector of the one that aligns best with From */
    if (!e && s->nsig) {
        d->dkim_signers = calloc(s->nsig, sizeof *d->dkim_signers);
        if (!d->dkim_signers)
            e = MXD_ERR_NOMEM;
        for (size_t i = 0; i < s->nsig && !e; i++)
            e = set(&d->dkim_signers[d->ndkim_signers++], s->dom[i]);
        const char *from = d->sender_domain;
        int best = -1;
        for (size_t i = 0; i < s->nsig && from && best < 0; i++)
            if (s->sel[i] && str_caseeq(s->dom[i], strlen(s->dom[i]), from))
                best = (int)i;
        for (size_t i = 0; i < s->nsig && from && best < 0; i++)
            if (s->sel[i] && diag_aligned(from, s->dom[i], 0))
                best = (int)i;
        if (!e && best >= 0 && !d->dkim_selector) {
            e = set(&d->dkim_selector, s->sel[best]);
            d->dkim_selector_from = "DKIM-Signature";
            if (!e)
                e = set(&d->dkim_domain, s->dom[best]);
        }
    }
    for (size_t i = 0; i < s->nsig; i++) {
        free(s->sel[i]);
        free(s->dom[i]);
    }
    free(s);
    return e;
}

/* diag_mail_from_valid - an envelope sender given as an option: local@domain or a domain,
 * the domain valid, the local part without blanks or control characters. */
int diag_mail_from_valid(const char *s)
{
    const char *at = strrchr(s, '@');
    if (!at)
        return mxd_domain_valid(s);
    if (at == s || (size_t)(at - s) > 64)
        return 0;
    for (const char *p = s; p < at; p++)
        if ((unsigned char)*p <= ' ' || *p == 127 || *p == '<' || *p == '>')
            return 0;
    return mxd_domain_valid(at + 1);
}
