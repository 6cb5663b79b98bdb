/* str.c - string helpers over (pointer, length) input
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define STR_AVX2 1 /* a 32-byte loop, used when the processor has AVX2 */
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif
#include "util/str.h"
#include "util/buf.h"

/* How common each byte is in mail text, case folded: its frequency per mille times three
 * (at least 1, at most 255), measured over the bounce corpus (../shared/corpus/bounces,
 * 1 MB); CR counted as LF. str_casefind() and str_find() anchor their search on the
 * needle's rarest byte, so that memchr() stops as seldom as possible. */
static const unsigned char byte_ranks[256] = {
    1,  1,   1,   1,   1,   1,   1,  1,  1,   4,   67, 1,   1,   67,  1,   1,   1,   1,   1,  1,
    1,  1,   1,   1,   1,   1,   1,  1,  1,   1,   1,  1,   247, 1,   9,   2,   1,   1,   1,  1,
    13, 13,  1,   10,  8,   66,  74, 16, 116, 56,  62, 37,  33,  33,  25,  24,  25,  29,  52, 16,
    12, 19,  11,  2,   11,  142, 39, 73, 74,  196, 52, 41,  42,  109, 34,  32,  76,  94,  99, 123,
    78, 17,  105, 101, 133, 50,  30, 25, 48,  38,  18, 3,   1,   3,   1,   5,   1,   142, 39, 73,
    74, 196, 52,  41,  42,  109, 34, 32, 76,  94,  99, 123, 78,  17,  105, 101, 133, 50,  30, 25,
    48, 38,  18,  1,   1,   1,   1,  1,  1,   1,   1,  1,   1,   1,   1,   1,   1,   1,   1,  1,
    1,  1,   1,   1,   1,   1,   1,  1,  1,   1,   1,  1,   1,   1,   1,   1,   1,   1,   1,  1,
    1,  1,   1,   1,   1,   1,   1,  1,  1,   1,   1,  1,   1,   1,   1,   1,   1,   1,   1,  1,
    1,  1,   1,   1,   1,   1,   1,  1,  1,   1,   1,  1,   1,   1,   1,   1,   1,   1,   1,  1,
    1,  1,   1,   1,   1,   1,   1,  1,  4,   1,   1,  1,   1,   1,   1,   1,   1,   1,   1,  1,
    1,  1,   1,   1,   1,   1,   1,  1,  1,   1,   1,  1,   1,   1,   1,   1,   1,   1,   1,  1,
    1,  1,   1,   1,   1,   1,   1,  1,  1,   1,   1,  1,   1,   1,   1,   1,
};

static unsigned char byte_rank(unsigned char c)
{
    return byte_ranks[c];
}

#define STR_ANCHOR_SPAN 24 /* needle bytes looked at to choose the anchors */
#define STR_FEW_STARTS  64 /* below this many starts, a plain loop beats choosing anchors */

/* two_anchors - the offsets of the needle's two rarest bytes (k1 < k2; nlen >= 2). */
static void two_anchors(const char *needle, size_t nlen, size_t *k1, size_t *k2)
{
    size_t a = 0, b = 1;
    if (byte_rank((unsigned char)needle[b]) < byte_rank((unsigned char)needle[a]))
        a = 1, b = 0;
    /* (the first STR_ANCHOR_SPAN bytes give anchors rare enough, and cost less to rank) */
    size_t span = nlen < STR_ANCHOR_SPAN ? nlen : STR_ANCHOR_SPAN;
    for (size_t i = 2; i < span; i++) {
        unsigned char r = byte_rank((unsigned char)needle[i]);
        if (r < byte_rank((unsigned char)needle[a]))
            b = a, a = i;
        else if (r < byte_rank((unsigned char)needle[b]))
            b = i;
    }
    *k1 = a < b ? a : b;
    *k2 = a < b ? b : a;
}

/* same_from - do hay and needle agree on nlen bytes (case folded when fold)? */
static int same_from(const char *h, const char *n, size_t nlen, int fold)
{
    if (!fold)
        return !memcmp(h, n, nlen);
    for (size_t j = 0; j < nlen; j++)
        if (str_tolower((unsigned char)h[j]) != str_tolower((unsigned char)n[j]))
            return 0;
    return 1;
}

#ifdef STR_AVX2
/* blocks_avx2 - find_sse2's loop, 32 starts at a time, from *pi while a whole block of starts
 * is left; the offset of the first match or (size_t)-1, *pi moved past what was looked at. */
__attribute__((target("avx2"))) static size_t blocks_avx2(const str_needle *n, const char *hay,
                                                          size_t last, size_t *pi, unsigned char f1,
                                                          unsigned char o1, unsigned char f2,
                                                          unsigned char o2)
{
    const __m256i v1 = _mm256_set1_epi8((char)f1), v2 = _mm256_set1_epi8((char)f2);
    const __m256i m1 = _mm256_set1_epi8((char)o1), m2 = _mm256_set1_epi8((char)o2);
    size_t i = *pi, k1 = n->k1, k2 = n->k2;
    for (; i + 31 <= last; i += 32) {
        __m256i a =
            _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(const void *)(hay + i + k1)), m1);
        __m256i b =
            _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(const void *)(hay + i + k2)), m2);
        unsigned m = (unsigned)_mm256_movemask_epi8(
            _mm256_and_si256(_mm256_cmpeq_epi8(a, v1), _mm256_cmpeq_epi8(b, v2)));
        while (m) {
            size_t at = i + (size_t)__builtin_ctz(m);
            if (same_from(hay + at, n->s, n->len, n->fold)) {
                *pi = i;
                return at;
            }
            m &= m - 1;
        }
    }
    *pi = i;
    return (size_t)-1;
}
#endif

#if defined(__SSE2__)
/* find_sse2 - the search for str_find() and str_casefind(): sixteen (or, with AVX2, 32)
 * candidate starts at a time are kept only when the needle's two rarest bytes stand at
 * their offsets (letters compared with bit 0x20 set, which folds exactly their two cases),
 * then checked in full. */
static const char *find_sse2(const str_needle *n, const char *hay, size_t hlen)
{
    const char *needle = n->s;
    size_t nlen = n->len, k1 = n->k1, k2 = n->k2;
    int fold = n->fold;
    unsigned char c1 = (unsigned char)needle[k1], c2 = (unsigned char)needle[k2];
    int l1 = fold && str_isalpha(c1), l2 = fold && str_isalpha(c2);
    unsigned char f1 = l1 ? (unsigned char)(c1 | 0x20) : c1,
                  f2 = l2 ? (unsigned char)(c2 | 0x20) : c2;
    unsigned char o1 = l1 ? 0x20 : 0, o2 = l2 ? 0x20 : 0;
    size_t last = hlen - nlen; /* the last start */
    size_t i = 0;
#ifdef STR_AVX2
    if (last >= 31 && __builtin_cpu_supports("avx2")) {
        size_t at = blocks_avx2(n, hay, last, &i, f1, o1, f2, o2);
        if (at != (size_t)-1)
            return hay + at;
    }
#endif
    __m128i v1 = _mm_set1_epi8((char)f1), v2 = _mm_set1_epi8((char)f2);
    __m128i m1 = _mm_set1_epi8((char)o1), m2 = _mm_set1_epi8((char)o2);
    /* a block reads hay[i + k2 .. i + k2 + 15], within hay while i + 15 <= last */
    for (; i + 15 <= last; i += 16) {
        __m128i a =
            _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(hay + i + k1)), m1);
        __m128i b =
            _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(hay + i + k2)), m2);
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_and_si128(_mm_cmpeq_epi8(a, v1), _mm_cmpeq_epi8(b, v2)));
        while (m) {
            size_t at = i + (size_t)__builtin_ctz(m);
            if (same_from(hay + at, needle, nlen, fold))
                return hay + at;
            m &= m - 1;
        }
    }
    /* the last starts (all of them in a short hay): the two anchor bytes first */
    for (; i <= last; i++)
        if (((unsigned char)hay[i + k1] | o1) == f1 && ((unsigned char)hay[i + k2] | o2) == f2 &&
            same_from(hay + i, needle, nlen, fold))
            return hay + i;
    return NULL;
}
#endif

/* find_memchr - the portable search: memchr() for both cases of the needle's rarest byte
 * (each searched once, so the cost stays linear), candidates checked in full. */
static const char *find_memchr(const char *hay, size_t hlen, const char *needle, size_t nlen,
                               int fold)
{
    size_t k = 0;
    unsigned char kr = byte_rank((unsigned char)needle[0]);
    for (size_t i = 1; i < nlen && kr > 1; i++) {
        unsigned char r = byte_rank((unsigned char)needle[i]);
        if (r < kr)
            k = i, kr = r;
    }
    int lo = fold ? str_tolower((unsigned char)needle[k]) : (unsigned char)needle[k];
    int up = (fold && lo >= 'a' && lo <= 'z') ? lo - 32 : lo;
    /* the anchor can stand in [hay + k, hay + hlen - nlen + k] */
    const char *p = hay + k, *end = hay + hlen - nlen + k + 1;
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
        if (same_from(c - k, needle, nlen, fold))
            return c - k;
        p = c + 1;
    }
    return NULL;
}

void str_needle_prep(str_needle *n, const char *s, size_t len, int fold)
{
    n->s = s;
    n->len = len;
    n->fold = fold;
    n->k1 = 0;
    n->k2 = 0;
    if (len >= 2)
        two_anchors(s, len, &n->k1, &n->k2);
}

const char *str_needle_find(const str_needle *n, const char *hay, size_t hlen)
{
    if (n->len == 0)
        return hay;
    if (n->len > hlen)
        return NULL;
#if defined(__SSE2__)
    if (n->len >= 2)
        return find_sse2(n, hay, hlen);
#endif
    return find_memchr(hay, hlen, n->s, n->len, n->fold);
}

static const char *find(const char *hay, size_t hlen, const char *needle, size_t nlen, int fold)
{
    if (nlen == 0)
        return hay;
    if (nlen > hlen)
        return NULL;
    if (hlen - nlen < STR_FEW_STARTS) {
        /* a few starts only (a short header value): not worth choosing anchors */
        int c0 = fold ? str_tolower((unsigned char)needle[0]) : (unsigned char)needle[0];
        for (size_t i = 0; i <= hlen - nlen; i++) {
            int c = fold ? str_tolower((unsigned char)hay[i]) : (unsigned char)hay[i];
            if (c == c0 && same_from(hay + i, needle, nlen, fold))
                return hay + i;
        }
        return NULL;
    }
    str_needle n;
    str_needle_prep(&n, needle, nlen, fold);
    return str_needle_find(&n, hay, hlen);
}

/* str_casefind - case-insensitive substring search (find_sse2, or find_memchr elsewhere). */
const char *str_casefind(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
    return find(hay, hlen, needle, nlen, 1);
}

/* str_find - exact substring search, the same way: far fewer stops than memmem() on the
 * long markers bounce formats look for. */
const char *str_find(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
    return find(hay, hlen, needle, nlen, 0);
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

/* str_caseeq - equal without regard to ASCII case (b is NUL-terminated): one pass, no
 * strlen(). */
size_t str_utf8_cut(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    /* (back over continuation bytes to the start of the character the cut falls in) */
    for (size_t k = 0; n > 0 && k < 3 && ((unsigned char)s[n] & 0xC0) == 0x80; k++)
        n--;
    return n;
}

size_t str_utf8_put(unsigned long cp, char *out)
{
    if (!cp || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    size_t n = cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    static const unsigned char lead[5] = {0, 0, 0xC0, 0xE0, 0xF0};
    for (size_t i = n - 1; i > 0; i--, cp >>= 6)
        out[i] = (char)(0x80 | (cp & 0x3F));
    out[0] = (char)(lead[n] | cp);
    return n;
}

int str_caseeq(const char *a, size_t alen, const char *b)
{
    for (size_t i = 0; i < alen; i++) {
        unsigned char y = (unsigned char)b[i];
        if (!y || str_tolower((unsigned char)a[i]) != str_tolower(y))
            return 0;
    }
    return b[alen] == 0;
}

/* str_utf8_valid - check the encoding, one sequence at a time. */
int str_utf8_valid(const char *s, size_t len, size_t *bad)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        /* ASCII eight bytes at a time */
        uint64_t w;
        while (i + 8 <= len && (memcpy(&w, u + i, 8), !(w & 0x8080808080808080ull)))
            i += 8;
        if (i >= len)
            break;
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

size_t str_json_shape(const char *s, size_t len, int *depth)
{
    size_t n = 1;
    int in_str = 0, d = 0, max = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '[' || c == '{') {
            n++;
            if (++d > max)
                max = d;
        } else if (c == ']' || c == '}') {
            d -= d > 0;
        } else if (c == ',' || c == ':') {
            n++;
        }
    }
    if (depth)
        *depth = max;
    return n;
}

/* vwhy - the reason into why (when there is room for one), then e */
__attribute__((format(printf, 4, 0))) static mxd_err vwhy(mxd_err e, char *why, size_t whylen,
                                                          const char *fmt, va_list ap)
{
    if (why && whylen)
        vsnprintf(why, whylen, fmt, ap);
    return e;
}

mxd_err str_why(mxd_err e, char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    e = vwhy(e, why, whylen, fmt, ap);
    va_end(ap);
    return e;
}

mxd_err str_invalid(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mxd_err e = vwhy(MXD_ERR_INVALID, why, whylen, fmt, ap);
    va_end(ap);
    return e;
}

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

char *str_utf8_repair(const char *s, size_t len, size_t *outlen)
{
    buf b;
    buf_init(&b, (size_t)-1 / 4);
    size_t i = 0;
    while (i < len) {
        size_t bad = len - i;
        int ok = str_utf8_valid(s + i, len - i, &bad);
        if (buf_add(&b, s + i, ok ? len - i : bad))
            return NULL;
        if (ok)
            break;
        if (buf_add(&b, "\xef\xbf\xbd", 3))
            return NULL;
        i += bad + 1;
    }
    *outlen = b.len;
    return buf_steal(&b);
}

int str_dot_atom(const char *s, size_t n)
{
    if (!n || s[0] == '.' || s[n - 1] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.' ? s[i - 1] == '.'
                     : !(str_isalnum(c) || c >= 0x80 || strchr("!#$%&'*+-/=?^_`{|}~", c)))
            return 0;
    }
    return 1;
}
