/* find.c - byte string search for the scanner and the mbox reader
 * SPDX-License-Identifier: MIT
 *
 * mail_find() answers what memmem() answers. The needles it is used for start with a line
 * break ("\nFrom ", "\n--boundary"), a byte that is rare in mail, so it looks at two bytes
 * of each candidate position at once: the first byte of the needle and one rare byte
 * further on, 64 positions per step with AVX2 (when the processor has it), 16 with SSE2,
 * memchr() and a compare elsewhere. Only where both match is the whole needle compared.
 * glibc's memmem() spends most of its time on setup for needles this short and inputs this
 * varied. mail_find_pair() looks for a byte followed by one of two others the same way.
 *
 * The compare at a candidate can be long only where the text repeats the needle, and a
 * needle "\n--B" cannot overlap itself there: inside a boundary taken from a folded field
 * every line break is followed by a blank, never by "--". So the work stays linear in the
 * input for the needles used here.
 */
#include <string.h>
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif
#include "mail/mail_internal.h"

/* probe_at - the needle byte compared besides the first: the last one that is not a blank
 * or a '-' (common in text and in boundaries), at least the second. */
static size_t probe_at(const char *n, size_t nlen)
{
    size_t k = nlen - 1;
    while (k > 1 && (n[k] == ' ' || n[k] == '\t' || n[k] == '-'))
        k--;
    return k;
}

/* check - the candidates of a block: bit j of m set where position at + j matched the
 * first and the probe byte; the offset of the first full match or (size_t)-1. */
static inline size_t check(const char *h, size_t at, unsigned long long m, const char *n,
                           size_t nlen)
{
    while (m) {
        size_t j = at + (size_t)__builtin_ctzll(m);
        if (!memcmp(h + j + 1, n + 1, nlen - 1))
            return j;
        m &= m - 1;
    }
    return (size_t)-1;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define FIND_AVX2 1
/* scan_avx2 - the blocks of 64 positions from *pi on (all of them valid starts); the first
 * match or (size_t)-1, with *pi moved past what was looked at. */
__attribute__((target("avx2"))) static size_t scan_avx2(const char *h, size_t starts, size_t *pi,
                                                        const char *n, size_t nlen, size_t k)
{
    const __m256i vf = _mm256_set1_epi8(n[0]), vp = _mm256_set1_epi8(n[k]);
    size_t i = *pi;
    while (starts - i >= 64) {
        const char *p = h + i;
        __m256i e0 = _mm256_and_si256(
            _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(const void *)p), vf),
            _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(const void *)(p + k)), vp));
        __m256i e1 = _mm256_and_si256(
            _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(const void *)(p + 32)), vf),
            _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(const void *)(p + k + 32)), vp));
        if (!_mm256_testz_si256(_mm256_or_si256(e0, e1), _mm256_or_si256(e0, e1))) {
            unsigned long long m = (unsigned)_mm256_movemask_epi8(e0) |
                                   (unsigned long long)(unsigned)_mm256_movemask_epi8(e1) << 32;
            size_t r = check(h, i, m, n, nlen);
            if (r != (size_t)-1) {
                *pi = i;
                return r;
            }
        }
        i += 64;
    }
    *pi = i;
    return (size_t)-1;
}
#endif

const char *mail_find(const char *h, size_t hlen, const char *n, size_t nlen)
{
    if (nlen == 0)
        return h;
    if (nlen > hlen)
        return NULL;
    if (nlen == 1)
        return memchr(h, n[0], hlen);
    size_t k = probe_at(n, nlen);
    size_t starts = hlen - nlen + 1; /* positions where the needle can begin */
    size_t i = 0;
    const char first = n[0], probe = n[k];
#ifdef FIND_AVX2
    if (starts >= 64 && __builtin_cpu_supports("avx2")) {
        size_t r = scan_avx2(h, starts, &i, n, nlen, k);
        if (r != (size_t)-1)
            return h + r;
    }
#endif
#ifdef __SSE2__
    /* every position of a block of 16 is a valid start, so both loads stay in h */
    const __m128i vf = _mm_set1_epi8(first), vp = _mm_set1_epi8(probe);
    while (starts - i >= 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(h + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(h + i + k));
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_and_si128(_mm_cmpeq_epi8(a, vf), _mm_cmpeq_epi8(b, vp)));
        if (m) {
            size_t r = check(h, i, m, n, nlen);
            if (r != (size_t)-1)
                return h + r;
        }
        i += 16;
    }
    for (; i < starts; i++)
        if (h[i] == first && h[i + k] == probe && !memcmp(h + i + 1, n + 1, nlen - 1))
            return h + i;
    return NULL;
#else
    while (i < starts) {
        const char *p = memchr(h + i, first, starts - i);
        if (!p)
            return NULL;
        i = (size_t)(p - h);
        if (h[i + k] == probe && !memcmp(h + i + 1, n + 1, nlen - 1))
            return h + i;
        i++;
    }
    return NULL;
#endif
}

#ifdef FIND_AVX2
/* pair_avx2 - mail_find_pair() over blocks of 64 positions from *pi on. */
__attribute__((target("avx2"))) static size_t pair_avx2(const char *h, size_t starts, size_t *pi,
                                                        char a, char b1, char b2)
{
    const __m256i va = _mm256_set1_epi8(a), v1 = _mm256_set1_epi8(b1), v2 = _mm256_set1_epi8(b2);
    size_t i = *pi;
    while (starts - i >= 64) {
        const char *p = h + i;
        __m256i x0 = _mm256_loadu_si256((const __m256i *)(const void *)p);
        __m256i y0 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 1));
        __m256i x1 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
        __m256i y1 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 33));
        __m256i e0 =
            _mm256_and_si256(_mm256_cmpeq_epi8(x0, va),
                             _mm256_or_si256(_mm256_cmpeq_epi8(y0, v1), _mm256_cmpeq_epi8(y0, v2)));
        __m256i e1 =
            _mm256_and_si256(_mm256_cmpeq_epi8(x1, va),
                             _mm256_or_si256(_mm256_cmpeq_epi8(y1, v1), _mm256_cmpeq_epi8(y1, v2)));
        unsigned long long m = (unsigned)_mm256_movemask_epi8(e0) |
                               (unsigned long long)(unsigned)_mm256_movemask_epi8(e1) << 32;
        if (m) {
            *pi = i;
            return i + (size_t)__builtin_ctzll(m);
        }
        i += 64;
    }
    *pi = i;
    return (size_t)-1;
}
#endif

const char *mail_find_pair(const char *h, size_t hlen, char a, char b1, char b2)
{
    if (hlen < 2)
        return NULL;
    size_t starts = hlen - 1, i = 0;
#ifdef FIND_AVX2
    if (starts >= 64 && __builtin_cpu_supports("avx2")) {
        size_t r = pair_avx2(h, starts, &i, a, b1, b2);
        if (r != (size_t)-1)
            return h + r;
    }
#endif
#ifdef __SSE2__
    const __m128i va = _mm_set1_epi8(a), v1 = _mm_set1_epi8(b1), v2 = _mm_set1_epi8(b2);
    while (starts - i >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(h + i));
        __m128i y = _mm_loadu_si128((const __m128i *)(const void *)(h + i + 1));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_and_si128(
            _mm_cmpeq_epi8(x, va), _mm_or_si128(_mm_cmpeq_epi8(y, v1), _mm_cmpeq_epi8(y, v2))));
        if (m)
            return h + i + (size_t)__builtin_ctz(m);
        i += 16;
    }
#endif
    for (; i < starts; i++)
        if (h[i] == a && (h[i + 1] == b1 || h[i + 1] == b2))
            return h + i;
    return NULL;
}
