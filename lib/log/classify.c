/* classify.c - the log stage's one call into classification
 * SPDX-License-Identifier: MIT
 *
 * Every deferral, bounce and rejection read from a log is classified here, by the same public
 * mxd_explain() that `explain` and `bounce` use, so one reply gets one verdict whatever read
 * it. log_classify() is the only place that calls it: when the library gains a single verdict
 * function, this is the line to change. Replies repeat a lot in a log (the same 4.7.28 to
 * thousands of recipients), so verdicts are cached by (text, host) in a small direct-mapped
 * table of LOG_CACHE_SLOTS entries; only knowledge-base strings are kept, which live as long
 * as the kb.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "log/log_internal.h"

#define LOG_CACHE_SLOTS 4096
#define LOG_CACHE_KEY   240 /* longest text cached; longer ones are classified every time */

typedef struct cache_slot {
    char key[LOG_CACHE_KEY + 1];
    size_t keylen;
    log_verdict v;
    int used;
} cache_slot;

struct log_cache {
    cache_slot slot[LOG_CACHE_SLOTS];
};

log_cache *log_cache_new(void)
{
    return calloc(1, sizeof(log_cache));
}

void log_cache_free(log_cache *c)
{
    free(c);
}

static uint64_t hash(const char *s, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

/* classify - the knowledge base's verdict, uncached. */
static void classify(const mxd_kb *kb, const char *text, size_t len, const char *rhost,
                     log_verdict *out)
{
    memset(out, 0, sizeof *out);
    out->reason = "undefined";
    out->permanent = -1;
    mxd_explanation *x = NULL;
    if (mxd_explain(kb, text, len, rhost, &x) != MXD_OK || !x)
        return;
    out->reason = x->reason ? x->reason : "undefined";
    out->scope = x->scope;
    out->provider = x->provider;
    out->summary = x->summary;
    memcpy(out->replycode, x->replycode, sizeof out->replycode);
    memcpy(out->status, x->status, sizeof out->status);
    out->status[sizeof out->status - 1] = 0;
    out->permanent = x->permanent;
    out->not_block = x->not_block;
    mxd_explanation_free(x);
}

void log_classify(const mxd_kb *kb, log_cache *cache, const char *text, size_t len,
                  const char *rhost, log_verdict *out)
{
    size_t hl = rhost ? strlen(rhost) : 0;
    if (!cache || len + hl + 1 > LOG_CACHE_KEY) {
        classify(kb, text, len, rhost, out);
        return;
    }
    uint64_t h = hash(text, len, 1469598103934665603ULL);
    h = hash("\n", 1, h);
    h = hash(rhost ? rhost : "", hl, h);
    cache_slot *s = &cache->slot[h % LOG_CACHE_SLOTS];
    size_t kl = len + 1 + hl;
    if (s->used && s->keylen == kl && !memcmp(s->key, text, len) && s->key[len] == '\n' &&
        !memcmp(s->key + len + 1, rhost ? rhost : "", hl)) {
        *out = s->v;
        return;
    }
    classify(kb, text, len, rhost, out);
    memcpy(s->key, text, len);
    s->key[len] = '\n';
    if (hl)
        memcpy(s->key + len + 1, rhost, hl);
    s->key[kl] = 0;
    s->keylen = kl;
    s->v = *out;
    s->used = 1;
}
