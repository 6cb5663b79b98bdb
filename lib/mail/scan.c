/* scan.c - a fast, bounded scanner of message structure over raw bytes
 * SPDX-License-Identifier: MIT
 *
 * One pass over the message finds the header block of every entity, its content type,
 * boundary, charset and transfer encoding, and splits multipart bodies at their delimiter
 * lines (RFC 2046 section 5.1.1: the line break before a delimiter belongs to it). Nested
 * message/rfc822 parts are scanned as messages. Nothing is copied or decoded here: parts
 * point into the input. Recursion is bounded by MAIL_MAX_DEPTH, the part list by
 * MAIL_MAX_PARTS. GMime is the reference for the tree this produces (tests/unit/
 * test_mail_gmime.c compares the two).
 */
#define _GNU_SOURCE 1 /* memmem */
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include "mail/mail_internal.h"
#include "util/str.h"

#define SCAN_MAX_NAME 128 /* longest header field name accepted */

void mail_scan_init(mail_scan *ms)
{
    memset(ms, 0, sizeof *ms);
}

void mail_scan_free(mail_scan *ms)
{
    free(ms->parts);
    memset(ms, 0, sizeof *ms);
}

/* caseeq_n - a[0..n) equals b[0..n) without regard to ASCII case (str_caseeq() for a
 * length known to match, without its strlen and call). */
static inline int caseeq_n(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (str_tolower((unsigned char)a[i]) != str_tolower((unsigned char)b[i]))
            return 0;
    return 1;
}

/* name_run - length of the run of field-name bytes (printable ASCII but ':') at l[0..ll),
 * looked at up to SCAN_MAX_NAME + 1 bytes. */
static size_t name_run(const char *l, size_t ll)
{
    size_t lim = ll < SCAN_MAX_NAME + 1 ? ll : SCAN_MAX_NAME + 1;
    size_t i = 0;
#ifdef __SSE2__
    /* signed bytes: 0x80..0xff are negative, so "< 33" takes them with the controls */
    const __m128i sp = _mm_set1_epi8(33), del = _mm_set1_epi8(127), colon = _mm_set1_epi8(':');
    while (lim - i >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(l + i));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
            _mm_cmplt_epi8(v, sp), _mm_or_si128(_mm_cmpeq_epi8(v, del), _mm_cmpeq_epi8(v, colon))));
        if (m)
            return i + (size_t)__builtin_ctz(m);
        i += 16;
    }
#endif
    while (i < lim) {
        unsigned char c = (unsigned char)l[i];
        if (c == ':' || c <= 32 || c >= 127)
            break;
        i++;
    }
    return i;
}

/* header_name_len - length of a header field name at the start of the line l[0..ll), with
 * the colon at l[*colon]; 0 when the line is not a header field. ll may run past the line
 * end: a line break ends the name and is no blank, so the answer is the same. */
static size_t header_name_len(const char *l, size_t ll, size_t *colon)
{
    size_t n = name_run(l, ll), i = n;
    while (i < ll && (l[i] == ' ' || l[i] == '\t'))
        i++;
    if (n == 0 || i >= ll || l[i] != ':')
        return 0;
    *colon = i;
    return n;
}

size_t mail_header_end(const char *d, size_t len, size_t *body)
{
    /* As GMime reads it: the header block runs to the first empty line ("\n", "\r\n", or a
     * lone "\r" at the very end); lines that are neither fields nor continuations inside it
     * are ignored, not taken as the body. */
    if (len && (d[0] == '\n' || (d[0] == '\r' && (len == 1 || d[1] == '\n')))) {
        *body = d[0] == '\n' || len == 1 ? 1 : 2;
        return 0;
    }
    size_t from = 0;
    const char *e;
    while ((e = mail_find_pair(d + from, len - from, '\n', '\n', '\r')) != NULL) {
        size_t pos = (size_t)(e - d) + 1; /* a line starting with '\n' or '\r' */
        if (d[pos] == '\n' || pos + 1 == len || d[pos + 1] == '\n') {
            *body = d[pos] == '\n' || pos + 1 == len ? pos + 1 : pos + 2;
            return pos;
        }
        from = pos;
    }
    *body = len;
    return len;
}

int mail_header_next(const char *hdr, size_t hlen, size_t *pos, const char **name, size_t *nlen,
                     const char **val, size_t *vlen)
{
    if (hlen > MAIL_MAX_HEADER)
        hlen = MAIL_MAX_HEADER;
    size_t p = *pos;
    while (p < hlen) {
        size_t colon;
        size_t n =
            (hdr[p] == ' ' || hdr[p] == '\t') ? 0 : header_name_len(hdr + p, hlen - p, &colon);
        if (!n) {
            const char *nl = str_nl(hdr + p, hlen - p);
            p = nl ? (size_t)(nl - hdr) + 1 : hlen;
            continue;
        }
        /* the value runs to the end of the last continuation line */
        size_t v = p + colon + 1;
        const char *nl = str_nl(hdr + v, hlen - v);
        size_t end = nl ? (size_t)(nl - hdr) : hlen;
        size_t q = nl ? end + 1 : hlen;
        while (q < hlen && (hdr[q] == ' ' || hdr[q] == '\t')) {
            const char *nl2 = str_nl(hdr + q, hlen - q);
            end = nl2 ? (size_t)(nl2 - hdr) : hlen;
            q = nl2 ? end + 1 : hlen;
        }
        *name = hdr + p;
        *nlen = n;
        *val = hdr + v;
        *vlen = end - v;
        *pos = q;
        return 1;
    }
    *pos = p;
    return 0;
}

mxd_err mail_unfold(const char *v, size_t vlen, buf *out)
{
    size_t i = 0;
    while (i < vlen && str_isspace((unsigned char)v[i]))
        i++;
    while (vlen > i && str_isspace((unsigned char)v[vlen - 1]))
        vlen--;
    mxd_err e = MXD_OK;
    size_t start = out->len;
    while (i < vlen && !e) {
        const char *nl = str_nl(v + i, vlen - i);
        size_t le = nl ? (size_t)(nl - v) : vlen;
        size_t ce = le;
        if (ce > i && v[ce - 1] == '\r')
            ce--;
        if (out->len - start + (ce - i) > MAIL_MAX_FIELD)
            ce = i + (MAIL_MAX_FIELD - (out->len - start));
        e = buf_add(out, v + i, ce - i);
        if (out->len - start >= MAIL_MAX_FIELD)
            break;
        i = nl ? le + 1 : vlen;
    }
    if (!e && !out->ptr)
        e = buf_add(out, "", 0);
    return e;
}

int mail_header_get(const char *hdr, size_t hlen, const char *name, buf *out)
{
    size_t pos = 0, nlen, vlen, want = strlen(name);
    const char *n, *v;
    buf_reset(out);
    while (mail_header_next(hdr, hlen, &pos, &n, &nlen, &v, &vlen)) {
        if (nlen == want && caseeq_n(n, name, nlen))
            return mail_unfold(v, vlen, out) == MXD_OK;
    }
    return 0;
}

/* param_scan - the parameters called names[0..nn) (the first of each) of a structured field
 * value: their (unquoted) values into outs[k], NUL-terminated, truncated to outlens[k].
 * RFC 2231's forms: "name*" (charset'lang'%XX), and a value continued over "name*0",
 * "name*1" ... (each perhaps with its own '*'), joined in order (a section out of its place
 * is left out). Returns a bit per name found (bit k for names[k]). One pass for all the names. */
static unsigned param_scan(const char *v, size_t vlen, const char *const *names, size_t nn,
                           char *const *outs, const size_t *outlens)
{
    size_t wants[4], olen[4] = {0}, next[4] = {0};
    if (nn > sizeof wants / sizeof *wants)
        nn = sizeof wants / sizeof *wants;
    for (size_t k = 0; k < nn; k++)
        wants[k] = strlen(names[k]);
    unsigned found = 0, all = (1u << nn) - 1, cont = 0;
    size_t i = 0;
    int inq = 0;
    /* skip the main value */
    while (i < vlen) {
        if (v[i] == '"')
            inq = !inq;
        else if (v[i] == ';' && !inq)
            break;
        i++;
    }
    while (i < vlen) {
        i++; /* the ';' */
        while (i < vlen && str_isspace((unsigned char)v[i]))
            i++;
        size_t ns = i;
        while (i < vlen && v[i] != '=' && v[i] != ';' && !str_isspace((unsigned char)v[i]))
            i++;
        size_t nl = i - ns;
        while (i < vlen && str_isspace((unsigned char)v[i]))
            i++;
        if (i >= vlen || v[i] != '=') {
            while (i < vlen && v[i] != ';')
                i++;
            continue;
        }
        i++;
        while (i < vlen && str_isspace((unsigned char)v[i]))
            i++;
        /* which name this is: "name", "name*", or a section "name*N" / "name*N*" */
        size_t which = nn, sec = 0;
        int ext = 0, section = 0;
        for (size_t k = 0; k < nn && which == nn; k++) {
            size_t want = wants[k], tl = nl - want, d = 1;
            if (nl < want || !caseeq_n(v + ns, names[k], want))
                continue;
            const char *t = v + ns + want;
            if (tl <= 1 && !(found & (1u << k)) && (!tl || t[0] == '*')) {
                which = k, ext = tl == 1;
                continue;
            }
            if (tl < 2 || t[0] != '*' || !str_isdigit((unsigned char)t[1]))
                continue;
            size_t n = 0;
            for (; d < tl && d < 4 && str_isdigit((unsigned char)t[d]); d++)
                n = n * 10 + (size_t)(t[d] - '0');
            if ((d < tl && !(d + 1 == tl && t[d] == '*')) || (n == 0 && t[1] != '0') ||
                (n == 0 ? (found & (1u << k)) != 0 : !(cont & (1u << k)) || n != next[k]))
                continue;
            which = k, sec = n, section = 1, ext = d < tl;
        }
        int match = which < nn;
        char *out = match ? outs[which] : NULL;
        size_t outlen = match ? outlens[which] : 0, from = match && sec ? olen[which] : 0, o = from;
        if (i < vlen && v[i] == '"') {
            i++;
            while (i < vlen && v[i] != '"') {
                if (v[i] == '\\' && i + 1 < vlen)
                    i++;
                if (match && o + 1 < outlen)
                    out[o++] = v[i];
                i++;
            }
            if (i < vlen)
                i++;
        } else {
            while (i < vlen && v[i] != ';' && !str_isspace((unsigned char)v[i])) {
                if (match && o + 1 < outlen)
                    out[o++] = v[i];
                i++;
            }
        }
        if (match) {
            if (outlen)
                out[o] = 0;
            if (ext && outlen) {
                /* charset'lang'value (in the first section only): keep the value, undo %XX */
                char *q = sec ? NULL : strchr(out, '\'');
                char *q2 = q ? strchr(q + 1, '\'') : NULL;
                const char *src = q2 ? q2 + 1 : out + from;
                size_t w = from;
                for (size_t r = 0; src[r]; r++) {
                    int hi = src[r] == '%' ? str_hexval((unsigned char)src[r + 1]) : -1,
                        lo = hi >= 0 ? str_hexval((unsigned char)src[r + 2]) : -1;
                    if (lo >= 0) {
                        out[w++] = (char)(hi * 16 + lo);
                        r += 2;
                    } else {
                        out[w++] = src[r];
                    }
                }
                out[w] = 0;
                o = w;
            }
            found |= 1u << which;
            if (section) {
                cont |= 1u << which;
                next[which] = sec + 1;
                olen[which] = o;
            }
            if (found == all && !cont)
                return found;
        }
        while (i < vlen && v[i] != ';')
            i++;
    }
    return found;
}

int mail_param(const char *v, size_t vlen, const char *name, char *out, size_t outlen)
{
    return param_scan(v, vlen, &name, 1, &out, &outlen) != 0;
}

/* lower_copy - v[0..vlen) trimmed and lower-cased into out (NUL-terminated). */
static void lower_copy(const char *v, size_t vlen, char *out, size_t outlen)
{
    while (vlen && str_isspace((unsigned char)*v))
        v++, vlen--;
    while (vlen && str_isspace((unsigned char)v[vlen - 1]))
        vlen--;
    size_t n = vlen < outlen - 1 ? vlen : outlen - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        out[i] = (char)(c | ((unsigned)(c - 'A') < 26u) << 5); /* str_tolower(), no branch */
    }
    out[n] = 0;
}

/* parse_ctype - type/subtype, boundary and charset from a Content-Type value. */
static void parse_ctype(mail_part *p, const char *v, size_t vlen)
{
    size_t i = 0;
    while (i < vlen && v[i] != ';')
        i++;
    /* the type without its comments ("text/html (x)", RFC 2045 section 5.1 allows them;
     * nested, with quoted pairs "\)", RFC 5322 3.2.2) and blanks ("text / plain"), dropped
     * while copying, so a long comment does not crowd the type out */
    char t[MAIL_MAX_TYPE];
    size_t w = 0;
    int depth = 0;
    for (size_t r = 0; r < i && w + 1 < sizeof t; r++) {
        if (depth && v[r] == '\\' && r + 1 < i)
            r++;
        else if (v[r] == '(')
            depth++;
        else if (v[r] == ')' && depth)
            depth--;
        else if (!depth && !str_isspace((unsigned char)v[r]))
            t[w++] = v[r];
    }
    t[w] = 0;
    lower_copy(t, w, t, sizeof t);
    char *slash = strchr(t, '/');
    if (slash && slash != t && slash[1]) {
        memcpy(p->type, t, w + 1);
    } else if (w && !slash) {
        /* a type without subtype, as GMime reads it */
        if (!strcmp(t, "text"))
            memcpy(p->type, "text/plain", 11);
        else if (!strcmp(t, "multipart"))
            memcpy(p->type, "multipart/mixed", 16);
        else
            memcpy(p->type, "application/octet-stream", 25);
    }
    char cs[MAIL_MAX_CHARSET], fmt[16], delsp[8];
    static const char *const names[] = {"boundary", "charset", "format", "delsp"};
    char *const outs[] = {p->boundary, cs, fmt, delsp};
    const size_t lens[] = {sizeof p->boundary, sizeof cs, sizeof fmt, sizeof delsp};
    unsigned found = param_scan(v, vlen, names, 4, outs, lens);
    if (found & 2)
        lower_copy(cs, strlen(cs), p->charset, sizeof p->charset);
    /* RFC 3676: format=flowed is a parameter of text/plain only */
    p->flowed = 0;
    if ((found & 4) && !strcmp(p->type, "text/plain")) {
        lower_copy(fmt, strlen(fmt), fmt, sizeof fmt);
        lower_copy(delsp, (found & 8) ? strlen(delsp) : 0, delsp, sizeof delsp);
        if (!strcmp(fmt, "flowed"))
            p->flowed = MAIL_FLOWED | (!strcmp(delsp, "yes") ? MAIL_DELSP : 0);
    }
}

static int parse_cte(const char *v, size_t vlen)
{
    char t[32];
    lower_copy(v, vlen, t, sizeof t);
    static const struct {
        const char *n;
        int cte;
    } tab[] = {{"7bit", MAIL_CTE_7BIT},         {"8bit", MAIL_CTE_8BIT},
               {"binary", MAIL_CTE_BINARY},     {"quoted-printable", MAIL_CTE_QP},
               {"base64", MAIL_CTE_BASE64},     {"x-uuencode", MAIL_CTE_UUENCODE},
               {"uuencode", MAIL_CTE_UUENCODE}, {"x-uue", MAIL_CTE_UUENCODE}};
    for (size_t i = 0; i < sizeof tab / sizeof *tab; i++)
        if (!strcmp(t, tab[i].n))
            return tab[i].cte;
    return t[0] ? MAIL_CTE_OTHER : MAIL_CTE_7BIT;
}

/* add_part - a new part slot, or NULL when the limit is reached or memory runs out. */
static mail_part *add_part(mail_scan *ms, int *nomem)
{
    if (ms->nparts >= MAIL_MAX_PARTS) {
        ms->limited = 1;
        return NULL;
    }
    if (ms->nparts == ms->alloc) {
        size_t na = ms->alloc ? ms->alloc * 2 : 16;
        mail_part *q = realloc(ms->parts, na * sizeof *q);
        if (!q) {
            *nomem = 1;
            return NULL;
        }
        ms->parts = q;
        ms->alloc = na;
    }
    mail_part *p = &ms->parts[ms->nparts++];
    memset(p, 0, sizeof *p);
    return p;
}

/* delim_at - is the line at d[i] a delimiter "--B" (1) or close delimiter "--B--" (2) of
 * the boundary B (blanks may follow)? 0 otherwise; *next = offset of the following line. */
static int delim_at(const char *d, size_t len, size_t i, const char *b, size_t bl, size_t *next)
{
    if (i + 2 + bl > len || d[i] != '-' || d[i + 1] != '-' || memcmp(d + i + 2, b, bl))
        return 0;
    size_t j = i + 2 + bl;
    int kind = 1;
    if (j + 1 < len && d[j] == '-' && d[j + 1] == '-') {
        kind = 2;
        j += 2;
    }
    while (j < len && (d[j] == ' ' || d[j] == '\t' || d[j] == '\r'))
        j++;
    if (j < len && d[j] != '\n')
        return 0;
    *next = j < len ? j + 1 : len;
    return kind;
}

/* find_delim - the next delimiter line of B at or after from (at a line start); returns
 * its offset or (size_t)-1, with its kind and the offset after it. nd is "\n--B", prepared
 * once per multipart: a delimiter that does not begin the body follows a line break. */
static size_t find_delim(const char *d, size_t len, size_t from, const str_needle *nd, int *kind,
                         size_t *next)
{
    const char *b = nd->s + 3;
    size_t bl = nd->len - 3;
    int k = from == 0 ? delim_at(d, len, 0, b, bl, next) : 0;
    if (k) {
        *kind = k;
        return 0;
    }
    /* from is 0 or follows a line break: look for the break before the line */
    size_t i = from ? from - 1 : 0;
    while (i < len) {
        const char *hit = str_needle_find(nd, d + i, len - i);
        if (!hit)
            return (size_t)-1;
        size_t at = (size_t)(hit - d) + 1;
        k = delim_at(d, len, at, b, bl, next);
        if (k) {
            *kind = k;
            return at;
        }
        i = at;
    }
    return (size_t)-1;
}

static int scan_entity(mail_scan *ms, const char *d, size_t len, int parent, int depth,
                       const char *deftype);

/* scan_multipart - split the body of part idx at its boundary and scan each piece. */
static int scan_multipart(mail_scan *ms, int idx, int depth)
{
    mail_part *p = &ms->parts[idx];
    const char *d = p->body;
    size_t len = p->blen;
    char bnd[MAIL_MAX_BOUNDARY + 4] = "\n--";
    size_t bl = strlen(p->boundary) + 3;
    memcpy(bnd + 3, p->boundary, bl - 2);
    const char *deftype = !strcmp(p->type, "multipart/digest") ? "message/rfc822" : "text/plain";
    int kind = 0;
    size_t next = 0;
    str_needle nd;
    str_needle_prep(&nd, bnd, bl, 0);
    size_t at = find_delim(d, len, 0, &nd, &kind, &next);
    while (at != (size_t)-1 && kind == 1) {
        size_t start = next;
        int k2 = 0;
        size_t n2 = 0;
        size_t at2 = find_delim(d, len, start, &nd, &k2, &n2);
        size_t end = at2 == (size_t)-1 ? len : at2;
        if (at2 != (size_t)-1 && end > start) {
            /* the line break before the delimiter belongs to it */
            end--;
            if (end > start && d[end - 1] == '\r')
                end--;
        }
        if (end < start)
            end = start;
        if (scan_entity(ms, d + start, end - start, idx, depth + 1, deftype) < 0)
            return -1;
        if (ms->limited && ms->nparts >= MAIL_MAX_PARTS)
            return 0;
        at = at2;
        kind = k2;
        next = n2;
    }
    return 0;
}

/* scan_entity - record one entity (headers + body) and its children. Returns -1 when out
 * of memory. */
static int scan_entity(mail_scan *ms, const char *d, size_t len, int parent, int depth,
                       const char *deftype)
{
    int nomem = 0;
    mail_part *p = add_part(ms, &nomem);
    if (!p)
        return nomem ? -1 : 0;
    int idx = (int)(p - ms->parts);
    size_t body;
    size_t hl = mail_header_end(d, len, &body);
    if (hl > MAIL_MAX_HEADER)
        ms->limited = 1; /* its fields past the limit are not looked at (mail_header_next) */
    p->parent = parent;
    p->depth = depth;
    p->hdr = d;
    p->hlen = hl;
    p->body = d + body;
    p->blen = len - body;
    size_t pos = 0, nlen, vlen;
    const char *n, *v;
    int seen_ct = 0, seen_cte = 0;
    /* only fields whose name starts with 'C' matter here: the lines in between are passed
     * over in one search for a line break before a 'C' (continuation lines start with a
     * blank, never with 'C') */
    while ((!seen_ct || !seen_cte) && pos < hl) {
        if (d[pos] != 'C' && d[pos] != 'c') {
            const char *nl = mail_find_pair(d + pos, hl - pos, '\n', 'C', 'c');
            pos = nl ? (size_t)(nl - d) + 1 : hl;
            continue;
        }
        if (!mail_header_next(d, hl, &pos, &n, &nlen, &v, &vlen))
            break;
        if (!seen_ct && nlen == 12 && caseeq_n(n, "content-type", 12)) {
            seen_ct = 1;
            parse_ctype(p, v, vlen);
            p->has_ctype = 1;
        } else if (!seen_cte && nlen == 25 && caseeq_n(n, "content-transfer-encoding", 25)) {
            seen_cte = 1;
            p->cte = parse_cte(v, vlen);
        }
    }
    if (!p->type[0]) {
        size_t tl = strlen(deftype);
        memcpy(p->type, deftype, tl + 1);
    }
    if (!strncmp(p->type, "multipart/", 10) && p->boundary[0]) {
        if (depth + 1 >= MAIL_MAX_DEPTH) {
            ms->limited = 1;
            return 0;
        }
        p->kind = MAIL_MULTIPART;
        return scan_multipart(ms, idx, depth);
    }
    if (!strcmp(p->type, "message/rfc822") || !strcmp(p->type, "message/news") ||
        !strcmp(p->type, "message/global")) {
        if (depth + 1 >= MAIL_MAX_DEPTH) {
            ms->limited = 1;
            return 0;
        }
        p->kind = MAIL_MESSAGE;
        const char *b = p->body;
        size_t bl = p->blen;
        if (!bl)
            return 0; /* an empty message part holds no message (GMime: no child either) */
        if (ms->shallow) {
            mail_part *c = add_part(ms, &nomem);
            if (!c)
                return nomem ? -1 : 0;
            size_t cb;
            c->parent = idx;
            c->depth = depth + 1;
            c->kind = MAIL_LEAF;
            c->hdr = b;
            c->hlen = mail_header_end(b, bl, &cb);
            if (c->hlen > MAIL_MAX_HEADER)
                ms->limited = 1;
            c->body = b + cb;
            c->blen = bl - cb;
            memcpy(c->type, "message/x-unscanned", 20);
            return 0;
        }
        return scan_entity(ms, b, bl, idx, depth + 1, "text/plain");
    }
    return 0;
}

mxd_err mail_scan_run(mail_scan *ms, const char *data, size_t len)
{
    /* shallow is the caller's choice, kept across runs */
    ms->nparts = 0;
    ms->limited = 0;
    if (!data)
        data = "";
    return scan_entity(ms, data, len, -1, 0, "text/plain") < 0 ? MXD_ERR_NOMEM : MXD_OK;
}
