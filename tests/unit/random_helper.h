/* random_helper.h - deterministic test texts: the same seed gives the same texts on every
 * machine (no clock, no rand()), so a failure can be replayed (test_kb, test_reply)
 * SPDX-License-Identifier: MIT
 */
#ifndef MXD_TEST_RANDOM_HELPER_H
#define MXD_TEST_RANDOM_HELPER_H

#include <stddef.h>
#include <string.h>

/* lcg_next - the next value of a linear congruential sequence (its upper bits are used) */
static inline unsigned lcg_next(unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 16;
}

/* random_pieces - a text of up to maxn pieces drawn from parts[0..nparts), joined, into t
 * (cap bytes, not terminated); its length. Pieces that meet make runs and near misses. */
static inline size_t random_pieces(const char *const *parts, size_t nparts, size_t maxn,
                                   unsigned *seed, char *t, size_t cap)
{
    size_t len = 0, np = lcg_next(seed) % maxn;
    for (size_t k = 0; k < np; k++) {
        const char *p = parts[lcg_next(seed) % nparts];
        size_t pl = strlen(p);
        if (len + pl > cap)
            break;
        memcpy(t + len, p, pl);
        len += pl;
    }
    return len;
}

#endif
