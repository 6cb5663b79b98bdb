/* match_impl.h - the layout of a compiled bmatch (util/match.h), for match.c and for kbgen,
 * which writes the built-in knowledge base's matchers out as static data (internal)
 * SPDX-License-Identifier: MIT
 */
#ifndef MXD_UTIL_MATCH_IMPL_H
#define MXD_UTIL_MATCH_IMPL_H

#include <stddef.h>
#include <stdint.h>

#define MATCH_BUCKET_BITS 12 /* 4096 hash buckets of 3-byte prefixes */
#define MATCH_BUCKETS     (1u << MATCH_BUCKET_BITS)
#define MATCH_FILTER_BITS 16 /* a 64 Kibit (8 KiB) filter before the buckets */

typedef struct mpat {
    char *lower;        /* the pattern, lower case, pieces separated by NUL */
    uint32_t pre;       /* the first four bytes of the first piece, when it has four */
    const char **piece; /* the '*'-separated pieces, in order */
    size_t *piece_len;
    size_t npieces;
} mpat;

struct bmatch {
    mpat *pats;
    size_t n;
    unsigned *bucket_start; /* MATCH_BUCKETS + 1 offsets into ids */
    uint64_t *filter;       /* bit h set when some first piece hashes to h (hash4) */
    unsigned *ids;          /* pattern ids per bucket, ascending */
    unsigned *shorts;       /* ids of patterns with a first piece under 4 bytes */
    size_t nshorts;
    unsigned *short_lead; /* per shorts[] entry: the first entry with the same first piece */
    void *pool; /* every pattern's pieces, lengths and lower-case copy, in one allocation */
};

#endif
