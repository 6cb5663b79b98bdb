/* spf_parse.c - SPF record parser: terms, qualifiers, domain-specs, CIDR lengths
 * SPDX-License-Identifier: MIT
 *
 * RFC 7208 section 4.6 lets an implementation check the whole record before evaluating it; we
 * do, so a syntax error anywhere is a permerror even when an earlier term would match.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check/spf_internal.h"
#include "util/str.h"

static const struct {
    const char *name;
    int kind;
} mechanisms[] = {
    {"all", SPF_ALL}, {"include", SPF_INCLUDE}, {"a", SPF_A},     {"mx", SPF_MX},
    {"ptr", SPF_PTR}, {"ip4", SPF_IP4},         {"ip6", SPF_IP6}, {"exists", SPF_EXISTS},
};

/* spf_is_v1 - version tag check. */
int spf_is_v1(const char *s, size_t len)
{
    return len >= 6 && str_caseeq(s, 6, "v=spf1") && (len == 6 || s[6] == ' ');
}

/* spf_is_dns_term - include a mx ptr exists redirect. */
int spf_is_dns_term(int kind)
{
    return kind == SPF_INCLUDE || kind == SPF_A || kind == SPF_MX || kind == SPF_PTR ||
           kind == SPF_EXISTS || kind == SPF_REDIRECT;
}

static int is_name_char(int c)
{
    return str_isalnum(c) || c == '-' || c == '_' || c == '.';
}

/* dual_cidr - take "/n", "//m" or "/n//m" off the end of r[0..*rl). -1 on a bad length. */
static int dual_cidr(const char *r, size_t *rl, spf_term *t)
{
    size_t end = *rl, j = end;
    while (j > 0 && str_isdigit((unsigned char)r[j - 1]))
        j--;
    if (j == end || j == 0 || r[j - 1] != '/')
        return 0;
    if (j >= 2 && r[j - 2] == '/') {
        if (cidr_parse_prefix(r + j, end - j, 128, &t->cidr6))
            return -1;
        end = j - 2;
        j = end;
        while (j > 0 && str_isdigit((unsigned char)r[j - 1]))
            j--;
        if (j < end && j > 0 && r[j - 1] == '/') {
            if (cidr_parse_prefix(r + j, end - j, 32, &t->cidr4))
                return -1;
            end = j - 1;
        }
    } else {
        if (cidr_parse_prefix(r + j, end - j, 32, &t->cidr4))
            return -1;
        end = j - 1;
    }
    *rl = end;
    return 0;
}

/* parse_ipnet - ":" address ["/" prefix] for ip4 / ip6. */
static int parse_ipnet(const char *r, size_t rl, int family, spf_term *t)
{
    if (rl < 2 || r[0] != ':')
        return -1;
    r++;
    rl--;
    const char *slash = memchr(r, '/', rl);
    size_t alen = slash ? (size_t)(slash - r) : rl;
    unsigned width = family == 4 ? 32 : 128;
    t->prefix = width;
    if (slash && cidr_parse_prefix(slash + 1, rl - alen - 1, width, &t->prefix))
        return -1;
    if (family == 4)
        return cidr_parse_ip4(r, alen, &t->net);
    if (cidr_parse_ip6(r, alen, &t->net))
        return -1;
    return 0;
}

/* parse_mechanism - [qualifier] name [args]. */
static int parse_mechanism(spf_term *t, char *why, size_t whylen)
{
    const char *s = t->text;
    size_t len = t->len, i = 0;
    t->qual = '+';
    if (len && strchr("+-~?", s[0])) {
        t->qual = s[0];
        i = 1;
    }
    size_t n0 = i;
    while (i < len && str_isalnum((unsigned char)s[i]))
        i++;
    t->kind = -1;
    for (size_t k = 0; k < sizeof mechanisms / sizeof *mechanisms; k++)
        if (i - n0 == strlen(mechanisms[k].name) && str_caseeq(s + n0, i - n0, mechanisms[k].name))
            t->kind = mechanisms[k].kind;
    if (t->kind < 0) {
        snprintf(why, whylen, "unknown mechanism '%.*s'", (int)(len > 64 ? 64 : len), s);
        return -1;
    }
    const char *r = s + i;
    size_t rl = len - i;
    t->cidr4 = 32;
    t->cidr6 = 128;
    int bad = 0;
    switch (t->kind) {
    case SPF_ALL:
        bad = rl != 0;
        break;
    case SPF_INCLUDE:
    case SPF_EXISTS:
        bad = rl < 2 || r[0] != ':';
        if (!bad) {
            t->spec = r + 1;
            t->speclen = rl - 1;
        }
        break;
    case SPF_A:
    case SPF_MX:
        if (dual_cidr(r, &rl, t)) {
            snprintf(why, whylen, "bad CIDR length in '%.*s'", (int)(len > 64 ? 64 : len), s);
            return -1;
        }
        /* fall through */
    case SPF_PTR:
        if (rl) {
            bad = rl < 2 || r[0] != ':';
            if (!bad) {
                t->spec = r + 1;
                t->speclen = rl - 1;
            }
        }
        break;
    case SPF_IP4:
    case SPF_IP6:
        bad = parse_ipnet(r, rl, t->kind == SPF_IP4 ? 4 : 6, t) != 0;
        break;
    }
    if (!bad && t->spec && !spf_domain_spec_valid(t->spec, t->speclen))
        bad = 1;
    if (bad) {
        snprintf(why, whylen, "syntax error in '%.*s'", (int)(len > 64 ? 64 : len), s);
        return -1;
    }
    return 0;
}

/* parse_term - a modifier (name "=" value) or a mechanism. */
static int parse_term(spf_term *t, char *why, size_t whylen)
{
    const char *s = t->text;
    size_t len = t->len, i = 0;
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)s[k];
        if (c < 0x21 || c > 0x7e) {
            snprintf(why, whylen, "invalid character 0x%02x in term '%.*s'", c,
                     (int)(len > 64 ? 64 : len), s);
            return -1;
        }
    }
    if (str_isalpha((unsigned char)s[0])) {
        while (i < len && is_name_char((unsigned char)s[i]))
            i++;
        if (i < len && s[i] == '=') {
            const char *v = s + i + 1;
            size_t vl = len - i - 1;
            if (str_caseeq(s, i, "redirect"))
                t->kind = SPF_REDIRECT;
            else if (str_caseeq(s, i, "exp"))
                t->kind = SPF_EXP;
            else
                t->kind = SPF_UNKNOWN_MOD;
            if (t->kind == SPF_UNKNOWN_MOD) {
                if (spf_macro_expand(NULL, v, vl, 0, NULL) != MXD_OK) {
                    snprintf(why, whylen, "bad macro in modifier '%.*s'",
                             (int)(len > 64 ? 64 : len), s);
                    return -1;
                }
                return 0;
            }
            t->spec = v;
            t->speclen = vl;
            if (!spf_domain_spec_valid(v, vl)) {
                snprintf(why, whylen, "bad domain in modifier '%.*s'", (int)(len > 64 ? 64 : len),
                         s);
                return -1;
            }
            return 0;
        }
    }
    return parse_mechanism(t, why, whylen);
}

/* spf_record_parse - split on spaces, parse every term, check the modifiers' rules. */
mxd_err spf_record_parse(const char *s, size_t len, spf_record *rec, char *why, size_t whylen)
{
    memset(rec, 0, sizeof *rec);
    rec->redirect = rec->exp = -1;
    if (!spf_is_v1(s, len)) {
        snprintf(why, whylen, "not an SPF version 1 record");
        return MXD_ERR_PARSE;
    }
    size_t max = 1;
    for (size_t i = 6; i < len; i++)
        if (s[i] == ' ')
            max++;
    rec->t = calloc(max, sizeof *rec->t);
    if (!rec->t)
        return MXD_ERR_NOMEM;
    for (size_t i = 6; i < len;) {
        if (s[i] == ' ') {
            i++;
            continue;
        }
        size_t j = i;
        while (j < len && s[j] != ' ')
            j++;
        spf_term *t = &rec->t[rec->n++];
        t->text = s + i;
        t->len = j - i;
        if (parse_term(t, why, whylen))
            return MXD_ERR_PARSE;
        if (t->kind == SPF_REDIRECT || t->kind == SPF_EXP) {
            int *slot = t->kind == SPF_REDIRECT ? &rec->redirect : &rec->exp;
            if (*slot >= 0) {
                snprintf(why, whylen, "%s= appears more than once",
                         t->kind == SPF_REDIRECT ? "redirect" : "exp");
                return MXD_ERR_PARSE;
            }
            *slot = (int)(rec->n - 1);
        }
        i = j;
    }
    return MXD_OK;
}

/* spf_record_free - release the term array. */
void spf_record_free(spf_record *rec)
{
    free(rec->t);
    rec->t = NULL;
    rec->n = 0;
}
