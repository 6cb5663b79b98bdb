/* spf_macro.c - SPF macro expansion (RFC 7208 section 7): letters, transformers, delimiters
 * SPDX-License-Identifier: MIT
 *
 * A macro-string is literal characters, "%%", "%_", "%-" and "%{" letter [digits] ["r"]
 * *delimiter "}". Upper-case letters expand like lower-case ones and are then URL-escaped.
 * The same parser checks syntax (env NULL) and expands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check/spf_internal.h"
#include "util/str.h"

/* Most parts a value can be split into (a value longer than this has more bytes than parts
 * could ever need: the sender is at most a few hundred bytes). */
#define SPF_MACRO_MAX_PARTS 1024

typedef struct spf_macro {
    char letter; /* lower case */
    int upper;
    unsigned digits; /* 0 = all parts */
    int reverse;
    char delims[8];
    size_t ndelims;
} spf_macro;

static int is_delim(int c)
{
    return c == '.' || c == '-' || c == '+' || c == ',' || c == '/' || c == '_' || c == '=';
}

static int is_letter(int c, int exp)
{
    c = str_tolower(c);
    if (strchr("slodipvh", c))
        return c != 0;
    return exp && c && strchr("crt", c);
}

/* parse_macro - at s[0] == '%': the length of the macro-expand (2 for %% %_ %-), filling m for
 * a %{...} form (m->letter 0 otherwise); 0 on a syntax error. */
static size_t parse_macro(const char *s, size_t len, int exp, spf_macro *m)
{
    memset(m, 0, sizeof *m);
    if (len < 2)
        return 0;
    if (s[1] == '%' || s[1] == '_' || s[1] == '-')
        return 2;
    if (s[1] != '{')
        return 0;
    size_t i = 2;
    if (i >= len || !is_letter((unsigned char)s[i], exp))
        return 0;
    m->upper = s[i] >= 'A' && s[i] <= 'Z';
    m->letter = (char)str_tolower((unsigned char)s[i]);
    i++;
    size_t d0 = i;
    while (i < len && str_isdigit((unsigned char)s[i])) {
        if (m->digits <= SPF_MACRO_MAX_DIGITS)
            m->digits = m->digits * 10 + (unsigned)(s[i] - '0');
        i++;
    }
    if (i > d0 && m->digits == 0)
        return 0; /* the number of parts must not be zero */
    if (i < len && (s[i] == 'r' || s[i] == 'R')) {
        m->reverse = 1;
        i++;
    }
    while (i < len && is_delim((unsigned char)s[i])) {
        if (!memchr(m->delims, s[i], m->ndelims) && m->ndelims < sizeof m->delims)
            m->delims[m->ndelims++] = s[i];
        i++;
    }
    if (i >= len || s[i] != '}')
        return 0;
    return i + 1;
}

/* ip_nibbles - %{i} of an IPv6 address: 32 hex nibbles separated by dots. */
static void ip_nibbles(const cidr_addr *a, char *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int k = 0; k < 16; k++) {
        out[o++] = hex[a->b[k] >> 4];
        out[o++] = '.';
        out[o++] = hex[a->b[k] & 15];
        out[o++] = k == 15 ? 0 : '.';
    }
}

/* macro_value - the raw value of a letter, written to tmp when it must be built. */
static const char *macro_value(const spf_macro_env *env, char letter, char *tmp, size_t tmplen)
{
    switch (letter) {
    case 's':
        return env->sender;
    case 'l':
        return env->local;
    case 'o':
        return env->sdomain;
    case 'd':
        return env->domain;
    case 'h':
        return env->helo;
    case 'r':
        return env->receiver ? env->receiver : "unknown";
    case 'v':
        return env->ip->family == 4 ? "in-addr" : "ip6";
    case 'i':
        if (env->ip->family == 4)
            cidr_format(env->ip, tmp, tmplen);
        else
            ip_nibbles(env->ip, tmp);
        return tmp;
    case 'c':
        cidr_format(env->ip, tmp, tmplen);
        return tmp;
    case 't':
        snprintf(tmp, tmplen, "%lld", env->now);
        return tmp;
    case 'p':
        return env->ptr_name ? env->ptr_name(env->arg, env->domain) : "unknown";
    }
    return "";
}

/* add_escaped - append text, URL-escaping all but RFC 3986 unreserved characters. */
static mxd_err add_escaped(buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        mxd_err e;
        if (str_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            e = buf_addc(out, (char)c);
        } else {
            char t[3] = {'%', hex[c >> 4], hex[c & 15]};
            e = buf_add(out, t, 3);
        }
        if (e)
            return e;
    }
    return MXD_OK;
}

/* expand_one - apply the transformers of m to the value and append the result. */
static mxd_err expand_one(const spf_macro_env *env, const spf_macro *m, buf *out)
{
    char tmp[80];
    const char *v = macro_value(env, m->letter, tmp, sizeof tmp);
    if (!v)
        v = "";
    size_t vlen = strlen(v);
    const char *delims = m->ndelims ? m->delims : ".";
    size_t nd = m->ndelims ? m->ndelims : 1;

    /* split into parts */
    size_t nparts = 1;
    for (size_t i = 0; i < vlen; i++)
        if (memchr(delims, v[i], nd))
            nparts++;
    if (nparts > SPF_MACRO_MAX_PARTS)
        return MXD_ERR_TOOBIG;
    size_t *start = malloc(nparts * 2 * sizeof *start);
    if (!start)
        return MXD_ERR_NOMEM;
    size_t *plen = start + nparts, k = 0, s0 = 0;
    for (size_t i = 0; i <= vlen; i++) {
        if (i == vlen || memchr(delims, v[i], nd)) {
            start[k] = s0;
            plen[k] = i - s0;
            k++;
            s0 = i + 1;
        }
    }
    /* order (reversed or not), then keep the right-most digits parts */
    size_t take = m->digits && m->digits < nparts ? m->digits : nparts;
    buf piece;
    buf_init(&piece, SPF_MACRO_MAX);
    mxd_err e = MXD_OK;
    for (size_t j = nparts - take; j < nparts && !e; j++) {
        size_t idx = m->reverse ? nparts - 1 - j : j;
        if (j > nparts - take)
            e = buf_addc(&piece, '.');
        if (!e)
            e = buf_add(&piece, v + start[idx], plen[idx]);
    }
    free(start);
    if (!e && piece.len) {
        if (m->upper)
            e = add_escaped(out, piece.ptr, piece.len);
        else
            e = buf_add(out, piece.ptr, piece.len);
    }
    buf_free(&piece);
    return e;
}

/* spf_macro_expand - expand or (env NULL) only check a macro-string. */
mxd_err spf_macro_expand(const spf_macro_env *env, const char *s, size_t len, int exp, buf *out)
{
    /* a syntax error anywhere wins over an expansion that grows too big before reaching it */
    if (env) {
        mxd_err syn = spf_macro_expand(NULL, s, len, exp, NULL);
        if (syn)
            return syn;
    }
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        mxd_err e = MXD_OK;
        if (c == '%') {
            spf_macro m;
            size_t n = parse_macro(s + i, len - i, exp, &m);
            if (!n)
                return MXD_ERR_PARSE;
            if (env) {
                if (!m.letter)
                    e = s[i + 1] == '%'   ? buf_addc(out, '%')
                        : s[i + 1] == '_' ? buf_addc(out, ' ')
                                          : buf_add(out, "%20", 3);
                else
                    e = expand_one(env, &m, out);
            }
            i += n;
        } else {
            if ((c < 0x21 || c > 0x7e) && !(exp && c == ' '))
                return MXD_ERR_PARSE;
            if (env)
                e = buf_addc(out, (char)c);
            i++;
        }
        if (e)
            return e;
    }
    return MXD_OK;
}

/* toplabel_valid - RFC 7208 toplabel: alphanumerics and '-', starting and ending with an
 * alphanumeric, not all digits. */
static int toplabel_valid(const char *s, size_t len)
{
    int alpha = 0, dash = 0;
    if (len == 0 || !str_isalnum((unsigned char)s[0]) || !str_isalnum((unsigned char)s[len - 1]))
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (str_isalpha(c))
            alpha = 1;
        else if (c == '-')
            dash = 1;
        else if (!str_isdigit(c))
            return 0;
    }
    return alpha || dash;
}

/* spf_domain_spec_valid - syntax of a domain-spec. */
int spf_domain_spec_valid(const char *s, size_t len)
{
    if (len == 0)
        return 0;
    size_t lit = 0; /* start of the trailing literal run */
    int last_macro = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            spf_macro m;
            size_t n = parse_macro(s + i, len - i, 0, &m);
            if (!n)
                return 0;
            i += n;
            lit = i;
            last_macro = 1;
            continue;
        }
        if (c < 0x21 || c > 0x7e)
            return 0;
        last_macro = 0;
        i++;
    }
    if (last_macro)
        return 1;
    size_t e = len;
    if (e > lit && s[e - 1] == '.')
        e--;
    size_t dot = e;
    while (dot > lit && s[dot - 1] != '.')
        dot--;
    if (dot == lit)
        return 0; /* no "." toplabel at the end */
    return toplabel_valid(s + dot, e - dot);
}

/* spf_has_macro - any '%' at all. */
int spf_has_macro(const char *s, size_t len)
{
    return memchr(s, '%', len) != NULL;
}

/* labels_ok - every label 1..63 bytes (no trailing dot expected). */
static int labels_ok(const char *s, size_t len, int *nlabels)
{
    size_t l = 0;
    int n = 1;
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.') {
            if (l == 0)
                return 0;
            l = 0;
            n++;
        } else if (++l > SPF_LABEL_MAX) {
            return 0;
        }
    }
    if (nlabels)
        *nlabels = n;
    return l > 0;
}

/* spf_domain_finish - trailing dot, left truncation, label check. */
int spf_domain_finish(buf *b)
{
    if (!b->ptr || b->len == 0)
        return -1;
    if (b->ptr[b->len - 1] == '.')
        b->ptr[--b->len] = 0;
    size_t off = 0;
    while (b->len - off > SPF_NAME_MAX) {
        const char *dot = memchr(b->ptr + off, '.', b->len - off);
        if (!dot)
            return -1;
        off = (size_t)(dot - b->ptr) + 1;
    }
    if (off) {
        memmove(b->ptr, b->ptr + off, b->len - off);
        b->len -= off;
        b->ptr[b->len] = 0;
    }
    if (memchr(b->ptr, 0, b->len))
        return -1;
    return labels_ok(b->ptr, b->len, NULL) ? 0 : -1;
}

/* spf_name_valid - section 4.3 check of the starting domain. */
int spf_name_valid(const char *s, size_t len)
{
    int n = 0;
    if (len && s[len - 1] == '.')
        len--;
    if (len == 0 || len > SPF_NAME_MAX || s[0] == '[' || memchr(s, 0, len))
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return 0;
    return labels_ok(s, len, &n) && n >= 2;
}
