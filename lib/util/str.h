/* str.h - string helpers over (pointer, length) input (internal)
 * SPDX-License-Identifier: MIT
 */
#ifndef MXD_UTIL_STR_H
#define MXD_UTIL_STR_H

#include <stddef.h>
#include "mxdiag/error.h"
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <stdint.h>

/* ASCII-only character classes: never locale dependent. */
static inline int str_isdigit(int c)
{
    return c >= '0' && c <= '9';
}
static inline int str_isalpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static inline int str_isalnum(int c)
{
    return str_isdigit(c) || str_isalpha(c);
}
static inline int str_isspace(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}
static inline int str_tolower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}
/* str_hexval - the value of a hex digit (either case), -1 when c is none */
static inline int str_hexval(int c)
{
    if (str_isdigit(c))
        return c - '0';
    c = str_tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* str_casefind - first case-insensitive occurrence of needle (nlen bytes) in hay (hlen bytes),
 * or NULL. */
const char *str_casefind(const char *hay, size_t hlen, const char *needle, size_t nlen);

/* str_find - first exact occurrence of needle in hay (lengths given), or NULL. */
const char *str_find(const char *hay, size_t hlen, const char *needle, size_t nlen);

/* str_needle - a needle prepared once for many searches (str_find/str_casefind work out
 * where to anchor the search on every call, which costs as much as a short search). */
typedef struct str_needle {
    const char *s; /* not owned: must outlive the needle */
    size_t len;
    size_t k1, k2; /* offsets of its two rarest bytes */
    int fold;      /* without regard to ASCII case */
} str_needle;

void str_needle_prep(str_needle *n, const char *s, size_t len, int fold);

/* str_nl - the first '\n' in s[0..len), or NULL: memchr() for lines of text, the first
 * STR_NL_INLINE bytes looked at inline sixteen at a time (most lines are shorter, and a call
 * costs more than the look). */
#define STR_NL_INLINE 64
static inline const char *str_nl(const char *s, size_t len)
{
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i nl = _mm_set1_epi8('\n');
    for (; i + 16 <= len && i < STR_NL_INLINE; i += 16) {
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(s + i)), nl));
        if (m)
            return s + i + __builtin_ctz(m);
    }
#endif
    return memchr(s + i, '\n', len - i);
}
const char *str_needle_find(const str_needle *n, const char *hay, size_t hlen);

/* str_glob_find - does the case-insensitive pattern (with '*' for any run) occur anywhere in
 * text? Runs in O(len(text) * len(pattern)) at worst. */
int str_glob_find(const char *text, size_t tlen, const char *pat);

/* str_glob_match - does the whole text match the case-insensitive pattern ('*' any run)? */
int str_glob_match(const char *text, size_t tlen, const char *pat);

/* str_utf8_cut - len, or, when it is over max, max moved back to the start of the UTF-8
 * character it would cut. */
size_t str_utf8_cut(const char *s, size_t len, size_t max);

/* str_utf8_put - the UTF-8 bytes of code point cp into out (room for 4); their number, or 0
 * when cp is no Unicode scalar value (0, a surrogate, above U+10FFFF). */
size_t str_utf8_put(unsigned long cp, char *out);

/* str_casecmp_n - compare two strings of known length without regard to ASCII case. */
int str_caseeq(const char *a, size_t alen, const char *b);

/* str_dot_atom - is s[0..n) an RFC 5322 dot-atom (atext, with RFC 6531's 8-bit bytes, in
 * words parted by single dots): a local part that needs no quotes? */
int str_dot_atom(const char *s, size_t n);

/* str_utf8_valid - is s[0..len) well-formed UTF-8 (no overlong forms, no surrogates, at most
 * U+10FFFF)? Returns 1, or 0 with the offset of the first bad byte in *bad (may be NULL). */
int str_utf8_valid(const char *s, size_t len, size_t *bad);

/* str_utf8_repair - a copy of s[0..len) with every byte that does not start a well-formed
 * UTF-8 sequence replaced by U+FFFD, NUL-terminated, its length in *outlen; free() it. NULL
 * on no memory. */
char *str_utf8_repair(const char *s, size_t len, size_t *outlen);

/* str_in_list - is s (may be NULL: no) one of the n strings of list? The first byte is
 * compared before the rest. */
static inline int str_in_list(const char *s, const char *const *list, size_t n)
{
    if (!s)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[0] == list[i][0] && !strcmp(s, list[i]))
            return 1;
    return 0;
}

/* str_json_shape - what parsing the JSON text s[0..len) would build, counted without parsing
 * (outside strings): an upper bound of its values (separators and openings, plus one) and,
 * into *depth (may be NULL), the deepest nesting of arrays and objects. A hostile text is
 * refused on these before jansson builds a tree of it. */
size_t str_json_shape(const char *s, size_t len, int *depth);

/* str_why - write the reason (printf format) into why (when why is not NULL and whylen > 0)
 * and return e: every module's "fail with a one-line reason". str_invalid - the same with
 * MXD_ERR_INVALID, for the parsers of settings that explain what they refuse. */
mxd_err str_why(mxd_err e, char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
mxd_err str_invalid(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* str_dup_n - a NUL-terminated copy of len bytes; the caller frees it. NULL on no memory. */
char *str_dup_n(const char *s, size_t len);

/* str_parse_uint - parse decimal digits of s[0..len) into *out (no sign, no blanks, at most
 * max). Returns 0 on success, -1 otherwise. */
int str_parse_uint(const char *s, size_t len, unsigned long max, unsigned long *out);

#endif
