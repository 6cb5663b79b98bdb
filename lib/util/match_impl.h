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

/* A compiled pattern: no pointers, so the built-in matchers are plain read-only data. */
typedef struct mpat {
    uint32_t pre;     /* the first four bytes of the first piece, when it has four */
    uint32_t npieces; /* its '*'-separated pieces, in order */
    uint32_t piece0;  /* the index of its first piece in the bmatch's piece_off and piece_len */
    uint32_t off0;    /* the first piece's offset in chars and length (as piece0's: looked at */
    uint32_t len0;    /* at every position whose four bytes hash to the pattern's bucket) */
} mpat;

struct bmatch {
    mpat *pats;
    size_t n;
    unsigned *bucket_start; /* MATCH_BUCKETS + 1 offsets into ids */
    uint64_t *filter;       /* bit h set when some first piece hashes to h (hash4) */
    unsigned *ids;          /* pattern ids per bucket, ascending */
    unsigned *shorts;       /* ids of patterns with a first piece under 4 bytes, those with
                               the same first piece next to each other, ids ascending */
    size_t nshorts;
    unsigned *short_end; /* per shorts[] entry: one past the last with the same first piece */
    const char *chars;   /* the patterns in lower case, pieces separated by NUL */
    uint32_t *piece_off; /* per piece: its offset in chars */
    uint32_t *piece_len; /* per piece: its length */
    void *pool;          /* chars, piece_off and piece_len in one allocation (NULL: static) */
};

#endif
