/* match.c - find the first of many text patterns in a diagnostic, in one pass
 * SPDX-License-Identifier: MIT
 *
 * reasons.tsv holds hundreds of patterns (case-insensitive, '*' for any run) and the first
 * one in file order that occurs anywhere in the text wins. Trying them one by one costs a
 * search per pattern per record; instead the patterns are compiled once per parser: lower
 * case, split at '*', and indexed by the first three bytes of their first literal piece.
 * One pass over the (lower-cased) text then looks each position up in the index and checks
 * only the patterns that start there; patterns whose first piece is shorter than three bytes
 * are searched directly. Same answer as str_glob_find() in file order, in linear time.
 */
#define _GNU_SOURCE 1 /* memmem */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bounce/match.h"
#include "util/str.h"

#define MATCH_BUCKETS   4096 /* hash buckets of 3-byte prefixes */
#define MATCH_MAX_PIECE 16   /* '*'-separated pieces of one pattern */

typedef struct mpat {
    char *lower; /* the pattern, lower case, pieces separated by NUL */
    size_t piece_len[MATCH_MAX_PIECE];
    const char *piece[MATCH_MAX_PIECE];
    size_t npieces;
} mpat;

struct bmatch {
    mpat *pats;
    size_t n;
    unsigned *bucket_start; /* MATCH_BUCKETS + 1 offsets into ids */
    unsigned *ids;          /* pattern ids per bucket, ascending */
    unsigned *shorts;       /* ids of patterns with a first piece under 3 bytes */
    size_t nshorts;
};

static unsigned hash3(const char *s)
{
    unsigned h = (unsigned char)s[0] * 31u * 31u + (unsigned char)s[1] * 31u + (unsigned char)s[2];
    return h % MATCH_BUCKETS;
}

void bmatch_free(bmatch *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->pats[i].lower);
    free(m->pats);
    free(m->bucket_start);
    free(m->ids);
    free(m->shorts);
    free(m);
}

/* compile - lower-case a pattern and split it into pieces. Returns 0, or -1 on no memory. */
static int compile(mpat *p, const char *pat)
{
    size_t l = strlen(pat);
    p->lower = malloc(l + 1);
    if (!p->lower)
        return -1;
    for (size_t i = 0; i <= l; i++)
        p->lower[i] = (char)str_tolower((unsigned char)pat[i]);
    p->npieces = 0;
    char *s = p->lower;
    for (;;) {
        char *star = strchr(s, '*');
        if (star)
            *star = 0;
        if (*s) {
            if (p->npieces == MATCH_MAX_PIECE) {
                /* join the rest into the last piece: still correct for plain text, a rare
                 * over-long pattern only loses its tail's wildcards */
                break;
            }
            p->piece[p->npieces] = s;
            p->piece_len[p->npieces] = strlen(s);
            p->npieces++;
        }
        if (!star)
            break;
        s = star + 1;
    }
    return 0;
}

bmatch *bmatch_new(const char *const *patterns, size_t n)
{
    bmatch *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->pats = calloc(n ? n : 1, sizeof *m->pats);
    m->bucket_start = calloc(MATCH_BUCKETS + 1, sizeof *m->bucket_start);
    m->ids = calloc(n ? n : 1, sizeof *m->ids);
    m->shorts = calloc(n ? n : 1, sizeof *m->shorts);
    if (!m->pats || !m->bucket_start || !m->ids || !m->shorts) {
        bmatch_free(m);
        return NULL;
    }
    m->n = n;
    for (size_t i = 0; i < n; i++)
        if (compile(&m->pats[i], patterns[i])) {
            m->n = i;
            bmatch_free(m);
            return NULL;
        }
    /* counting sort of ids into buckets, keeping file order inside each bucket */
    unsigned *count = calloc(MATCH_BUCKETS, sizeof *count);
    if (!count) {
        bmatch_free(m);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        mpat *p = &m->pats[i];
        if (p->npieces && p->piece_len[0] >= 3)
            count[hash3(p->piece[0])]++;
        else if (p->npieces)
            m->shorts[m->nshorts++] = (unsigned)i;
    }
    unsigned acc = 0;
    for (size_t b = 0; b < MATCH_BUCKETS; b++) {
        m->bucket_start[b] = acc;
        acc += count[b];
        count[b] = 0;
    }
    m->bucket_start[MATCH_BUCKETS] = acc;
    for (size_t i = 0; i < n; i++) {
        mpat *p = &m->pats[i];
        if (p->npieces && p->piece_len[0] >= 3) {
            unsigned b = hash3(p->piece[0]);
            m->ids[m->bucket_start[b] + count[b]++] = (unsigned)i;
        }
    }
    free(count);
    return m;
}

/* rest_matches - do pieces 1.. of p occur in order in t from offset from? */
static int rest_matches(const mpat *p, const char *t, size_t len, size_t from)
{
    for (size_t k = 1; k < p->npieces; k++) {
        if (from > len)
            return 0;
        const char *hit = memmem(t + from, len - from, p->piece[k], p->piece_len[k]);
        if (!hit)
            return 0;
        from = (size_t)(hit - t) + p->piece_len[k];
    }
    return 1;
}

long bmatch_first(const bmatch *m, const char *lower, size_t len)
{
    size_t best = (size_t)-1;
    /* short first pieces: plain searches */
    for (size_t s = 0; s < m->nshorts; s++) {
        size_t id = m->shorts[s];
        if (id >= best)
            break;
        const mpat *p = &m->pats[id];
        const char *t = lower;
        size_t from = 0;
        while (from < len) {
            const char *hit = memmem(t + from, len - from, p->piece[0], p->piece_len[0]);
            if (!hit)
                break;
            size_t at = (size_t)(hit - t);
            if (rest_matches(p, t, len, at + p->piece_len[0])) {
                best = id;
                break;
            }
            /* later pieces did not follow this hit; a later hit leaves less room */
            break;
        }
    }
    for (size_t i = 0; i + 3 <= len; i++) {
        unsigned b = hash3(lower + i);
        for (unsigned k = m->bucket_start[b]; k < m->bucket_start[b + 1]; k++) {
            size_t id = m->ids[k];
            if (id >= best)
                break;
            const mpat *p = &m->pats[id];
            size_t pl = p->piece_len[0];
            if (i + pl > len || memcmp(lower + i, p->piece[0], pl))
                continue;
            if (rest_matches(p, lower, len, i + pl)) {
                best = id;
                break;
            }
        }
    }
    return best == (size_t)-1 ? -1 : (long)best;
}

void bmatch_lower(const char *s, size_t len, char *out)
{
    size_t i = 0;
    /* eight bytes at a time: 'A'..'Z' get 0x20 added, every other byte stays */
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t low7 = w & ~highs;
        uint64_t ge_a = low7 + ones * (0x80 - 'A'); /* high bit: byte >= 'A' */
        uint64_t gt_z = low7 + ones * (0x7f - 'Z'); /* high bit: byte > 'Z' */
        uint64_t upper = (ge_a ^ gt_z) & ~w & highs;
        w |= upper >> 2;
        memcpy(out + i, &w, 8);
    }
    for (; i < len; i++)
        out[i] = (char)str_tolower((unsigned char)s[i]);
}
