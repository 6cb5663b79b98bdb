/* kb_fast.c - provider-hosts.tsv and reasons.tsv compiled once per knowledge base
 * SPDX-License-Identifier: MIT
 *
 * Every classification (explain, bounce, diagnose) asks the same questions for each reply:
 * which provider runs this host, this recipient domain, this text, this code; which
 * reasons.tsv pattern comes first in the text. The answers are those of the plain lookups in
 * kb.c (the longest host pattern wins; patterns in file order), from tables built when the
 * kb is loaded: host patterns of the common shapes ("*.example.com", "mx.example.com",
 * "name.*") are compared directly instead of globbed, and the text patterns are matched in
 * one pass (util/match.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kb/kb_internal.h"
#include "util/match.h"
#include "util/str.h"

#define KB_FAST_NAME_MAX 256 /* host and domain names compared on the stack (longer: globbed) */

/* literal_len - a pattern's length without its '*'s: longer is more specific. */
static size_t literal_len(const char *p)
{
    size_t n = 0;
    for (; *p; p++)
        n += *p != '*';
    return n;
}

void kb_fast_free(mxd_kb *kb)
{
    struct kb_fast *f = kb ? kb->fast : NULL;
    if (!f)
        return;
    free(f->host);
    free(f->dom);
    bmatch_free(f->hints);
    free(f->hint_provider);
    bmatch_free(f->reasons);
    free(f->rule_providers);
    free(f->tags);
    free(f);
    kb->fast = NULL;
}

int kb_provider_has_rules(const mxd_kb *kb, const char *provider)
{
    const struct kb_fast *f = kb->fast;
    for (size_t i = 0; provider && i < f->nrule_providers; i++)
        if (kb_str(kb, f->rule_providers[i]) == provider ||
            !strcmp(kb_str(kb, f->rule_providers[i]), provider))
            return 1;
    return 0;
}

/* compile_pattern - one host or domain pattern into hp. */
static mxd_err compile_pattern(mxd_kb *kb, const kb_phost *h, kb_hostpat *hp)
{
    const char *p = kb_str(kb, h->pattern);
    size_t pl = strlen(p);
    const char *star = strchr(p, '*');
    int suffix = star == p && !strchr(p + 1, '*');
    int prefix = star && star == p + pl - 1 && pl > 1 && star != p;
    size_t skip = suffix ? 1 : 0;
    hp->litlen = prefix ? pl - 1 : pl - skip;
    hp->shape = suffix ? PAT_SUFFIX : prefix ? PAT_PREFIX : star ? PAT_GLOB : PAT_EXACT;
    hp->weight = literal_len(p);
    hp->provider = h->provider;
    hp->lit = kb_strn(kb, p + skip, pl - skip); /* moves the pool: p is stale after it */
    if (!hp->lit)
        return MXD_ERR_NOMEM;
    char *lit = kb->pool + hp->lit;
    bmatch_lower(lit, pl - skip, lit);
    return MXD_OK;
}

/* compile_hints - the "text" patterns, longest literal first (a stable sort keeps file order
 * among equals): the first found is the most specific. */
static mxd_err compile_hints(const mxd_kb *kb, struct kb_fast *f)
{
    size_t n = 0;
    for (size_t i = 0; i < kb->nhosts; i++)
        n += kb->hosts[i].kind == KB_TEXT;
    const kb_phost **h = calloc(n ? n : 1, sizeof *h);
#define PAT(x) kb_str(kb, (x)->pattern)
    const char **pats = calloc(n ? n : 1, sizeof *pats);
    f->hint_provider = calloc(n ? n : 1, sizeof *f->hint_provider);
    mxd_err e = MXD_ERR_NOMEM;
    if (h && pats && f->hint_provider) {
        size_t k = 0;
        for (size_t i = 0; i < kb->nhosts; i++)
            if (kb->hosts[i].kind == KB_TEXT)
                h[k++] = &kb->hosts[i];
        for (size_t i = 1; i < n; i++) {
            const kb_phost *x = h[i];
            size_t j = i;
            while (j > 0 && literal_len(PAT(h[j - 1])) < literal_len(PAT(x))) {
                h[j] = h[j - 1];
                j--;
            }
            h[j] = x;
        }
        for (size_t i = 0; i < n; i++) {
            pats[i] = PAT(h[i]);
            f->hint_provider[i] = h[i]->provider;
#undef PAT
        }
        f->hints = bmatch_new(pats, n);
        e = f->hints ? MXD_OK : MXD_ERR_NOMEM;
    }
    free(h);
    free(pats);
    return e;
}

mxd_err kb_fast_build(mxd_kb *kb)
{
    struct kb_fast *f = calloc(1, sizeof *f);
    if (!f)
        return MXD_ERR_NOMEM;
    kb->fast = f;
    size_t nh = kb->nhosts ? kb->nhosts : 1;
    f->host = calloc(nh, sizeof *f->host);
    f->dom = calloc(nh, sizeof *f->dom);
    f->rule_providers = calloc(kb->nrules ? kb->nrules : 1, sizeof *f->rule_providers);
    const char **pats = calloc(kb->nreasons ? kb->nreasons : 1, sizeof *pats);
    if (!f->host || !f->dom || !f->rule_providers || !pats) {
        free(pats);
        return MXD_ERR_NOMEM;
    }
    for (size_t i = 0; i < kb->nreasons; i++)
        pats[i] = kb_str(kb, kb->reasons[i].pattern);
    f->reasons = bmatch_new(pats, kb->nreasons);
    free(pats);
    if (!f->reasons)
        return MXD_ERR_NOMEM;
    mxd_err e = compile_hints(kb, f);
    for (size_t i = 0; i < kb->nhosts && !e; i++) {
        int kind = kb->hosts[i].kind;
        if (kind == KB_HOST)
            e = compile_pattern(kb, &kb->hosts[i], &f->host[f->nhost++]);
        else if (kind == KB_DOMAIN)
            e = compile_pattern(kb, &kb->hosts[i], &f->dom[f->ndom++]);
    }
    f->tags = calloc(nh, sizeof *f->tags);
    if (!f->tags && !e)
        e = MXD_ERR_NOMEM;
    for (size_t i = 0; i < kb->nhosts && !e; i++)
        if (kb->hosts[i].kind == KB_TAG && kb_str(kb, kb->hosts[i].pattern)[0]) {
            f->tags[f->ntags++] = (unsigned)i;
            f->tag_first[(unsigned char)str_tolower(
                (unsigned char)kb_str(kb, kb->hosts[i].pattern)[0])] = 1;
        }
    for (size_t i = 0; i < kb->nrules && !e; i++) {
        kb_off p = kb->rules[i].provider;
        if (p && !kb_provider_has_rules(kb, kb_str(kb, p)))
            f->rule_providers[f->nrule_providers++] = p;
    }
    return e;
}

/* same_n - do a and b agree on n bytes? The middle byte first: most patterns differ from the
 * name there (".com" ends a lot of them), and memcmp() is not called for them. */
static int same_n(const char *a, const char *b, size_t n)
{
    return !n || (a[n / 2] == b[n / 2] && !memcmp(a, b, n));
}

/* pattern_lookup - the provider of the longest matching pattern (name lower-cased). */
static const char *pattern_lookup(const mxd_kb *kb, const kb_hostpat *pat, size_t n,
                                  const char *low, size_t hl)
{
    const kb_hostpat *best = NULL;
    for (size_t i = 0; i < n; i++) {
        const kb_hostpat *h = &pat[i];
        const char *lit = kb->pool + h->lit;
        int hit;
        if (h->shape == PAT_SUFFIX)
            hit = hl > h->litlen && same_n(low + hl - h->litlen, lit, h->litlen);
        else if (h->shape == PAT_PREFIX)
            hit = hl > h->litlen && same_n(low, lit, h->litlen);
        else if (h->shape == PAT_EXACT)
            hit = hl == h->litlen && same_n(low, lit, hl);
        else
            hit = str_glob_match(low, hl, lit);
        if (hit && (!best || h->weight > best->weight))
            best = h;
    }
    return best ? kb_str(kb, best->provider) : NULL;
}

const char *kb_host_provider(const mxd_kb *kb, const char *host)
{
    char low[KB_FAST_NAME_MAX];
    size_t hl = host ? strlen(host) : 0;
    while (hl && host[hl - 1] == '.')
        hl--;
    if (!hl)
        return NULL;
    if (hl >= sizeof low)
        return mxd_kb_provider_for_host(kb, host, NULL, 0);
    bmatch_lower(host, hl, low);
    return pattern_lookup(kb, kb->fast->host, kb->fast->nhost, low, hl);
}

const char *kb_domain_provider(const mxd_kb *kb, const char *domain)
{
    char low[KB_FAST_NAME_MAX];
    size_t hl = domain ? strlen(domain) : 0;
    while (hl && domain[hl - 1] == '.')
        hl--;
    if (!hl)
        return NULL;
    if (hl >= sizeof low)
        return mxd_kb_provider_for_domain(kb, domain);
    bmatch_lower(domain, hl, low);
    return pattern_lookup(kb, kb->fast->dom, kb->fast->ndom, low, hl);
}

const char *kb_hint_provider(const mxd_kb *kb, const char *low, size_t len)
{
    long h = len ? bmatch_first(kb->fast->hints, low, len) : -1;
    return h >= 0 ? kb_str(kb, kb->fast->hint_provider[h]) : NULL;
}

const char *kb_status_provider(const mxd_kb *kb, int cls, int subj, int det)
{
    const kb_phost *best = NULL;
    for (size_t i = 0; i < kb->nhosts; i++) {
        const kb_phost *h = &kb->hosts[i];
        if (h->kind == KB_STATUS && h->status.cls == cls && h->status.subj == subj &&
            det >= h->status.lo && det <= h->status.hi &&
            (!best || h->status.hi - h->status.lo < best->status.hi - best->status.lo))
            best = h; /* the narrowest range wins */
    }
    return best ? kb_str(kb, best->provider) : NULL;
}

long kb_reason_first(const mxd_kb *kb, const char *low, size_t len)
{
    return len ? bmatch_first(kb->fast->reasons, low, len) : -1;
}

const struct bmatch *kb_reason_match(const mxd_kb *kb)
{
    return kb->fast->reasons;
}

/* tag_at - does the tag pattern p ('#' a digit, other bytes compared case-insensitively)
 * stand at low[i] as a whole word? */
static int tag_at(const char *low, size_t len, size_t i, const char *p)
{
    size_t j = i;
    for (; *p; p++, j++) {
        if (j >= len)
            return 0;
        unsigned char c = (unsigned char)low[j];
        if (*p == '#' ? !str_isdigit(c) : c != (unsigned char)str_tolower((unsigned char)*p))
            return 0;
    }
    return j >= len || !(str_isalnum((unsigned char)low[j]) || low[j] == '-');
}

const char *kb_tag_provider(const mxd_kb *kb, const char *low, size_t len, const char **tag)
{
    if (tag)
        *tag = NULL;
    const struct kb_fast *f = kb->fast;
#define TAG(k) kb_str(kb, kb->hosts[f->tags[k]].pattern)
    /* one pass over the word starts: the tag earliest in file order that stands at any of
     * them (the first one decides, stop looking once it is found) */
    size_t best = f->ntags;
    /* with 64 tags or fewer, a bit per tag under each first byte (set only for the bytes
     * tag_first names, the only ones read): a word start tries just the tags it can start */
    uint64_t by_first[256];
    int masks = f->ntags <= 64;
    for (size_t k = 0; masks && k < f->ntags; k++)
        by_first[str_tolower((unsigned char)TAG(k)[0])] = 0;
    for (size_t k = 0; masks && k < f->ntags; k++)
        by_first[str_tolower((unsigned char)TAG(k)[0])] |= (uint64_t)1 << k;
    for (size_t i = 0; i < len && best > 0; i++) {
        if (!f->tag_first[(unsigned char)low[i]] ||
            (i > 0 && (str_isalnum((unsigned char)low[i - 1]) || low[i - 1] == '-')))
            continue;
        if (masks) {
            for (uint64_t m = by_first[(unsigned char)low[i]]; m; m &= m - 1) {
                size_t k = (size_t)__builtin_ctzll(m);
                if (k >= best)
                    break;
                if (tag_at(low, len, i, TAG(k))) {
                    best = k;
                    break;
                }
            }
            continue;
        }
        for (size_t k = 0; k < best; k++)
            if (str_tolower((unsigned char)TAG(k)[0]) == (unsigned char)low[i] &&
                tag_at(low, len, i, TAG(k))) {
                best = k;
                break;
            }
    }
    if (best == f->ntags)
        return NULL;
    if (tag)
        *tag = TAG(best);
    return kb_str(kb, kb->hosts[f->tags[best]].provider);
#undef TAG
}
