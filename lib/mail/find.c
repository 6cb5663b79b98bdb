/* find.c - byte string search for the scanner and the mbox reader
 * SPDX-License-Identifier: MIT
 *
 * mail_find() answers what memmem() answers. The needles it is used for start with a line
 * break ("\nFrom ", "\n--boundary"), a byte that is rare in mail, so it looks at two bytes
 * of each candidate position at once: the first byte of the needle and one rare byte
 * further on, 64 positions per step with AVX2 (when the processor has it), 16 with SSE2,
 * memchr() and a compare elsewhere.
 * Only where both match is the whole needle compared. glibc's memmem() spends most of its
 * time on setup for needles this short and inputs this varied.
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
