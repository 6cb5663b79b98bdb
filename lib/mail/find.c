/* find.c - a byte followed by one of two others, for the scanner
 * SPDX-License-Identifier: MIT
 *
 * mail_find_pair() finds a line break followed by a line break or a CR (the end of a header
 * block, whatever the line ends) in one pass: 64 positions per step with AVX2 (when the
 * processor has it), 16 with SSE2, a byte loop elsewhere. Substring searches (the mbox
 * separator, multipart delimiters) use str_find() in lib/util/str.c, which works the same
 * way on the needle's two rarest bytes.
 */
#include <string.h>
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif
#include "mail/mail_internal.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define FIND_AVX2 1
#endif

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
