/* str.c - string helpers over (pointer, length) input
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include <string.h>
#include "util/str.h"

/* str_casefind - case-insensitive substring search. Candidate positions are found with
 * memchr for both cases of the first byte (each searched once), so the cost stays linear
 * and close to memchr speed on text where the first byte is rare. */
const char *str_casefind(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
    if (nlen == 0)
        return hay;
    if (nlen > hlen)
        return NULL;
    int lo = str_tolower((unsigned char)needle[0]);
    int up = (lo >= 'a' && lo <= 'z') ? lo - 32 : lo;
    const char *p = hay, *end = hay + hlen - nlen + 1; /* last start + 1 */
    const char *nl = NULL, *nu = NULL;
    while (p < end) {
        if (!nl || nl < p) {
            nl = memchr(p, lo, (size_t)(end - p));
            if (!nl)
                nl = end;
        }
        if (lo == up)
            nu = end;
        else if (!nu || nu < p) {
            nu = memchr(p, up, (size_t)(end - p));
            if (!nu)
                nu = end;
        }
        const char *c = nl < nu ? nl : nu;
        if (c >= end)
            return NULL;
        size_t j = 1;
        while (j < nlen &&
               str_tolower((unsigned char)c[j]) == str_tolower((unsigned char)needle[j]))
            j++;
        if (j == nlen)
            return c;
        p = c + 1;
    }
    return NULL;
}

/* glob_at - match pattern p against text t; anchored at the start of t. When anchored_end,
 * the whole text must be consumed; otherwise a match of the pattern's end anywhere suffices.
 * Iterative with one backtrack point: linear in practice, O(n*m) at worst. */
static int glob_at(const char *t, size_t tlen, const char *p, int anchored_end)
{
    size_t ti = 0;
    const char *star = NULL;
    size_t star_ti = 0;
    for (;;) {
        if (*p == '*') {
            while (*p == '*')
                p++;
            if (!*p)
                return 1;
            star = p;
            star_ti = ti;
            continue;
        }
        if (!*p) {
            if (!anchored_end || ti == tlen)
                return 1;
        } else if (ti < tlen &&
                   str_tolower((unsigned char)*p) == str_tolower((unsigned char)t[ti])) {
            p++;
            ti++;
            continue;
        }
        if (!star || star_ti >= tlen)
            return 0;
        p = star;
        ti = ++star_ti;
    }
}

/* str_glob_find - pattern anywhere in the text. */
int str_glob_find(const char *text, size_t tlen, const char *pat)
{
    /* Find the literal prefix first to skip quickly to the candidate position. */
    size_t plen = strcspn(pat, "*");
    if (plen == 0)
        return glob_at(text, tlen, pat, 0);
    const char *hit = str_casefind(text, tlen, pat, plen);
    if (!hit)
        return 0;
    /* Only the first occurrence of the literal prefix needs a try: the '*' after it can absorb
     * everything up to any later occurrence, so a match from there is also one from here.
     * Trying every occurrence made 64 KiB of "mailbox mailbox ..." quadratic. */
    return glob_at(hit, tlen - (size_t)(hit - text), pat, 0);
}

/* str_glob_match - whole-text glob match. */
int str_glob_match(const char *text, size_t tlen, const char *pat)
{
    return glob_at(text, tlen, pat, 1);
}

/* str_caseeq - equal without regard to ASCII case (b is NUL-terminated). */
int str_caseeq(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    if (alen != blen)
        return 0;
    for (size_t i = 0; i < alen; i++)
        if (str_tolower((unsigned char)a[i]) != str_tolower((unsigned char)b[i]))
            return 0;
    return 1;
}

/* str_utf8_valid - check the encoding, one sequence at a time. */
int str_utf8_valid(const char *s, size_t len, size_t *bad)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned char c = u[i];
        size_t n;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            n = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 3;
            lo = c == 0xE0 ? 0xA0 : 0x80; /* no overlong form */
            hi = c == 0xED ? 0x9F : 0xBF; /* no surrogate */
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 4;
            lo = c == 0xF0 ? 0x90 : 0x80;
            hi = c == 0xF4 ? 0x8F : 0xBF; /* at most U+10FFFF */
        } else {
            break;
        }
        if (len - i < n || u[i + 1] < lo || u[i + 1] > hi)
            break;
        size_t k = 2;
        while (k < n && u[i + k] >= 0x80 && u[i + k] <= 0xBF)
            k++;
        if (k < n)
            break;
        i += n;
    }
    if (i == len)
        return 1;
    if (bad)
        *bad = i;
    return 0;
}

/* str_dup_n - copy len bytes into a new NUL-terminated string. */
char *str_dup_n(const char *s, size_t len)
{
    char *p = malloc(len + 1);
    if (!p)
        return NULL;
    memcpy(p, s, len);
    p[len] = 0;
    return p;
}

/* str_parse_uint - strict decimal parser. */
int str_parse_uint(const char *s, size_t len, unsigned long max, unsigned long *out)
{
    if (len == 0)
        return -1;
    unsigned long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!str_isdigit((unsigned char)s[i]))
            return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (d > max || v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}
