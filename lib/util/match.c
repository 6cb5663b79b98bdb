/* match.c - find which of many text patterns occur in a text, in one pass
 * SPDX-License-Identifier: MIT
 *
 * reasons.tsv and the rules' "text:" lines hold hundreds of patterns (case-insensitive, '*' for any
 * run) and the first one in file order that occurs anywhere in the text wins. Trying them one by
 * one costs a search per pattern per record; instead the patterns are compiled once per parser:
 * lower case, split at '*', and indexed by the first four bytes of their first literal piece. One
 * pass over the (lower-cased) text then looks each position up in the index and checks only the
 * patterns that start there; patterns whose first piece is shorter than four bytes are searched
 * directly. Same answer as str_glob_find() in file order (bmatch_first) or for every pattern
 * (bmatch_all), in one pass over the text instead of one search per pattern.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "util/match.h"
#include "util/match_impl.h"
#include "util/str.h"

/* hash4 - MATCH_FILTER_BITS bits of hash of four bytes; its top MATCH_BUCKET_BITS bits pick
 * the bucket. Most positions of a text stop at the filter, one well-predicted bit test
 * (four bytes, not three: common trigrams such as "con" or "rec" start many patterns). */
static unsigned hash4(const char *s)
{
    uint32_t k;
    memcpy(&k, s, 4);
    return (k * 2654435761u) >> (32 - MATCH_FILTER_BITS);
}

#define BUCKET_OF(h)          ((h) >> (MATCH_FILTER_BITS - MATCH_BUCKET_BITS))
#define FILTER_HAS(filter, h) (((filter)[(h) >> 6] >> ((h)&63)) & 1u)

void bmatch_free(bmatch *m)
{
    if (!m)
        return;
    free(m->pool);
    free(m->pats);
    free(m->bucket_start);
    free(m->filter);
    free(m->ids);
    free(m->shorts);
    free(m->short_end);
    free(m);
}

/* pieces_most - the most pieces pattern pat of length l can have */
static size_t pieces_most(const char *pat, size_t l)
{
    size_t most = 1;
    for (const char *s = memchr(pat, '*', l); s; s = memchr(s + 1, '*', l - (size_t)(s + 1 - pat)))
        most++;
    return most;
}

/* compile - lower-case a pattern of length l into lower (inside chars) and split it into
 * pieces, numbered from piece0 (piece_off and piece_len have room for pieces_most()). */
static void compile(mpat *p, const char *pat, size_t l, char *lower, const char *chars,
                    uint32_t piece0, uint32_t *piece_off, uint32_t *piece_len)
{
    p->piece0 = piece0;
    bmatch_lower(pat, l, lower);
    lower[l] = 0;
    p->npieces = 0;
    char *s = lower;
    for (;;) {
        char *star = strchr(s, '*');
        if (star)
            *star = 0;
        if (*s) {
            size_t k = piece0 + p->npieces, sl = strlen(s);
            piece_off[k] = (uint32_t)(s - chars);
            piece_len[k] = (uint32_t)sl;
            if (p->npieces == 0) {
                p->off0 = piece_off[k];
                p->len0 = (uint32_t)sl;
                if (sl >= 4)
                    memcpy(&p->pre, s, 4);
            }
            p->npieces++;
        }
        if (!star)
            break;
        s = star + 1;
    }
}

bmatch *bmatch_new(const char *const *patterns, size_t n)
{
    bmatch *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->pats = calloc(n ? n : 1, sizeof *m->pats);
    m->bucket_start = calloc(MATCH_BUCKETS + 1, sizeof *m->bucket_start);
    m->filter = calloc((1u << MATCH_FILTER_BITS) / 64, sizeof *m->filter);
    m->ids = calloc(n ? n : 1, sizeof *m->ids);
    m->shorts = calloc(n ? n : 1, sizeof *m->shorts);
    m->short_end = calloc(n ? n : 1, sizeof *m->short_end);
    if (!m->pats || !m->bucket_start || !m->filter || !m->ids || !m->shorts || !m->short_end) {
        bmatch_free(m);
        return NULL;
    }
    m->n = n;
    /* one allocation for all patterns: the piece offsets, the piece lengths, the text */
    size_t npieces = 0, nchars = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(patterns[i]);
        npieces += pieces_most(patterns[i], l);
        nchars += l + 1;
    }
    if (npieces > UINT32_MAX || nchars > UINT32_MAX) {
        bmatch_free(m);
        return NULL;
    }
    m->pool = malloc(npieces * 2 * sizeof(uint32_t) + nchars + 1);
    if (!m->pool) {
        bmatch_free(m);
        return NULL;
    }
    m->piece_off = m->pool;
    m->piece_len = m->piece_off + npieces;
    char *chars = (char *)(m->piece_len + npieces), *lower = chars;
    m->chars = chars;
    uint32_t piece0 = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(patterns[i]), most = pieces_most(patterns[i], l);
        compile(&m->pats[i], patterns[i], l, lower, chars, piece0, m->piece_off, m->piece_len);
        lower += l + 1;
        piece0 += (uint32_t)most;
    }
    /* counting sort of ids into buckets, keeping file order inside each bucket */
    unsigned *count = calloc(MATCH_BUCKETS, sizeof *count);
    if (!count) {
        bmatch_free(m);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        mpat *p = &m->pats[i];
        if (p->npieces && p->len0 >= 4) {
            unsigned h = hash4(m->chars + p->off0);
            count[BUCKET_OF(h)]++;
            m->filter[h >> 6] |= (uint64_t)1 << (h & 63);
        } else /* (a pattern of '*'s only matches every text) */
            m->shorts[m->nshorts++] = (unsigned)i;
    }
    /* short patterns sharing a first piece ("ouk*_416", "ouk*_418" ...) share its search: they
     * are put next to each other (groups in the order of their first pattern, ids ascending
     * inside a group), and short_end[] at a group's first entry says where it ends */
    unsigned *lead = malloc((m->nshorts ? m->nshorts : 1) * sizeof *lead);
    unsigned *sorted = malloc((m->nshorts ? m->nshorts : 1) * sizeof *sorted);
    if (!lead || !sorted) {
        free(lead);
        free(sorted);
        free(count);
        bmatch_free(m);
        return NULL;
    }
    for (size_t s = 0; s < m->nshorts; s++) {
        const mpat *p = &m->pats[m->shorts[s]];
        lead[s] = (unsigned)s;
        for (size_t k = 0; k < s && lead[s] == s && p->npieces; k++) {
            const mpat *q = &m->pats[m->shorts[k]];
            if (lead[k] == k && q->npieces && q->len0 == p->len0 &&
                !memcmp(m->chars + q->off0, m->chars + p->off0, p->len0))
                lead[s] = (unsigned)k;
        }
    }
    size_t out = 0;
    for (size_t k = 0; k < m->nshorts; k++) {
        if (lead[k] != k)
            continue;
        size_t start = out;
        for (size_t s = k; s < m->nshorts; s++)
            if (lead[s] == k)
                sorted[out++] = m->shorts[s];
        for (size_t s = start; s < out; s++)
            m->short_end[s] = (unsigned)out;
    }
    memcpy(m->shorts, sorted, m->nshorts * sizeof *sorted);
    free(lead);
    free(sorted);
    unsigned acc = 0;
    for (size_t b = 0; b < MATCH_BUCKETS; b++) {
        m->bucket_start[b] = acc;
        acc += count[b];
        count[b] = 0;
    }
    m->bucket_start[MATCH_BUCKETS] = acc;
    for (size_t i = 0; i < n; i++) {
        mpat *p = &m->pats[i];
        if (p->npieces && p->len0 >= 4) {
            unsigned b = BUCKET_OF(hash4(m->chars + p->off0));
            m->ids[m->bucket_start[b] + count[b]++] = (unsigned)i;
        }
    }
    free(count);
    return m;
}

/* rest_matches - do pieces 1.. of p occur in order in t from offset from? When work is not
 * NULL, the bytes the searches passed over are added to it. */
static int rest_matches(const bmatch *m, const mpat *p, const char *t, size_t len, size_t from,
                        size_t *work)
{
    const uint32_t *off = m->piece_off + p->piece0, *lens = m->piece_len + p->piece0;
    const char *chars = m->chars;
    for (size_t k = 1, n = p->npieces; k < n; k++) {
        if (from > len)
            return 0;
        size_t pl = lens[k];
        const char *hit = str_find(t + from, len - from, chars + off[k], pl);
        if (work)
            *work += (hit ? (size_t)(hit - t) + pl : len) - from;
        if (!hit)
            return 0;
        from = (size_t)(hit - t) + pl;
    }
    return 1;
}

/* first_at - does the first piece of p (four bytes or more; chars: the bmatch's) stand at
 * offset i of t? Four bytes are compared in one go before the rest. */
static int first_at(const char *chars, const mpat *p, const char *t, size_t len, size_t i)
{
    size_t pl = p->len0;
    if (i + pl > len)
        return 0;
    uint32_t w;
    memcpy(&w, t + i, 4);
    if (w != p->pre)
        return 0;
    /* the rest (most first pieces are short) eight bytes at a time, not through memcmp() */
    const char *a = t + i + 4, *b = chars + p->off0 + 4;
    size_t n = pl - 4;
    for (; n >= 8; a += 8, b += 8, n -= 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y)
            return 0;
    }
    for (; n; a++, b++, n--)
        if (*a != *b)
            return 0;
    return 1;
}

/* scan - the one pass: with hit, mark every pattern that occurs in the text; without, find
 * the first one (lowest id) and stop looking at patterns that rank after it. Inlined into
 * both callers, so each gets its own loop without the other's tests.
 *
 * A pattern whose first piece stands at offset i but whose later pieces do not all follow it
 * cannot match from any later offset either (a match from there would be one from i), so it
 * is marked dead and not tried again: without that, 64 KiB of "mailbox mailbox ..." searched
 * the rest of the text for "is full" at every "mailbox", quadratic in the length. The marks
 * live in dead (n bytes, allocated at the first failure; without memory the scan stays right,
 * only slower). work, when not NULL, counts the positions visited and the bytes searched. */
static inline __attribute__((always_inline)) size_t
scan(const bmatch *m, const char *lower, size_t len, unsigned char *hit, size_t *work)
{
    size_t best = (size_t)-1;
    unsigned char *dead = NULL;
    /* short first pieces: one plain search per group sharing one (not made when no pattern
     * of the group could still win); when the piece is absent, the group is done. Only the
     * first hit of the piece needs a try: later pieces found after a later hit follow the
     * first too. */
    for (size_t s = 0, end; s < m->nshorts; s = end) {
        end = m->short_end[s];
        const char *at = NULL;
        int searched = 0;
        for (size_t k = s; k < end; k++) {
            size_t id = m->shorts[k];
            if (!hit && id >= best)
                break; /* (ids ascend inside a group) */
            const mpat *p = &m->pats[id];
            int yes = 1;
            if (p->npieces) {
                if (!searched) {
                    at = str_find(lower, len, m->chars + p->off0, p->len0);
                    if (work)
                        *work += at ? (size_t)(at - lower) + p->len0 : len;
                    searched = 1;
                }
                if (!at)
                    break;
                yes = rest_matches(m, p, lower, len, (size_t)(at - lower) + p->len0, work);
            }
            if (hit)
                hit[id] = (unsigned char)yes;
            else if (yes)
                best = id;
        }
    }
    /* the tables in locals: the stores to hit and dead could otherwise alias them */
    const uint64_t *filter = m->filter;
    const unsigned *bucket_start = m->bucket_start, *ids = m->ids;
    const mpat *pats = m->pats;
    const char *chars = m->chars;
    for (size_t i = 0; i + 4 <= len; i++) {
        if (work)
            (*work)++;
        unsigned h = hash4(lower + i);
        if (!FILTER_HAS(filter, h))
            continue;
        unsigned b = BUCKET_OF(h);
        for (unsigned k = bucket_start[b]; k < bucket_start[b + 1]; k++) {
            size_t id = ids[k];
            if (!hit && id >= best)
                break;
            if ((hit && hit[id]) || (dead && dead[id]))
                continue;
            const mpat *p = &pats[id];
            if (!first_at(chars, p, lower, len, i))
                continue;
            if (rest_matches(m, p, lower, len, i + p->len0, work)) {
                if (!hit) {
                    best = id;
                    break;
                }
                hit[id] = 1;
            } else {
                if (!dead)
                    dead = calloc(m->n, 1);
                if (dead)
                    dead[id] = 1;
            }
        }
    }
    free(dead);
    return best;
}

long bmatch_first(const bmatch *m, const char *lower, size_t len)
{
    size_t best = scan(m, lower, len, NULL, NULL);
    return best == (size_t)-1 ? -1 : (long)best;
}

size_t bmatch_count(const bmatch *m)
{
    return m ? m->n : 0;
}

void bmatch_all(const bmatch *m, const char *lower, size_t len, unsigned char *hit)
{
    memset(hit, 0, m->n);
    scan(m, lower, len, hit, NULL);
}

size_t bmatch_all_work(const bmatch *m, const char *lower, size_t len, unsigned char *hit)
{
    size_t work = 0;
    memset(hit, 0, m->n);
    scan(m, lower, len, hit, &work);
    return work;
}

size_t bmatch_first_work(const bmatch *m, const char *lower, size_t len, long *first)
{
    size_t work = 0;
    size_t best = scan(m, lower, len, NULL, &work);
    *first = best == (size_t)-1 ? -1 : (long)best;
    return work;
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
