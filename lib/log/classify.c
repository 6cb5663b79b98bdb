/* classify.c - the log stage's one call into classification
 * SPDX-License-Identifier: MIT
 *
 * Every deferral, bounce and rejection read from a log is classified here, by the same public
 * mxd_explain() that `explain` and `bounce` use, so one reply gets one verdict whatever read
 * it; a delivery outcome with the facts a bounce record of it would have (classify()), so the
 * line and its bounce get one verdict and one hard-bounce flag. log_classify() is the only
 * place that calls it. Replies repeat a lot in a log (the same 4.7.28 to thousands of
 * recipients), so verdicts are cached by (text, host, status, action, the recipient domain's
 * provider: what decides them) in a small direct-mapped
 * table of LOG_CACHE_SLOTS entries; only knowledge-base strings are kept, which live as long
 * as the kb.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "classify/classify.h"
#include "classify/reply.h"
#include "log/log_internal.h"
#include "util/str.h"

#define LOG_CACHE_SLOTS 4096
/* longest cache key (text, host, status, action, provider); longer ones are classified every
 * time */
#define LOG_CACHE_KEY 480

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

/* classify - the knowledge base's verdict, uncached. A delivery outcome (f->action set) is
 * read with a bounce record's facts: its DSN status, action, the command its text names, the
 * recipient's domain, Diagnostic-Code type SMTP (maillog.c gives the same line's record
 * these), so the line gets the verdict and the hard-bounce flag its bounce record gets. */
static void classify(const mxd_kb *kb, const log_facts *lf, log_verdict *out)
{
    memset(out, 0, sizeof *out);
    out->reason = "undefined";
    out->permanent = -1;
    mxd_reply_facts f;
    memset(&f, 0, sizeof f);
    f.text = lf->text;
    f.len = lf->len;
    f.rhost = lf->rhost;
    char cmd[8] = "";
    if (lf->action) {
        /* (as far as a bounce record keeps it: review-s15 L3) */
        f.len = str_utf8_cut(f.text, f.len, CLASSIFY_MAX_DIAG - 1);
        f.status = lf->status;
        f.action = lf->action;
        f.recipient_domain = lf->rdomain;
        f.diagtype = "SMTP";
        f.record = 1;
        f.attempt = 1;
        if (reply_command(lf->text, lf->len, cmd))
            f.command = cmd;
    }
    mxd_explanation *x = NULL;
    if (mxd_explain_facts(kb, &f, &x) != MXD_OK || !x)
        return;
    out->reason = x->reason ? x->reason : "undefined";
    out->scope = x->scope;
    out->provider = x->provider;
    out->summary = x->summary;
    memcpy(out->replycode, x->replycode, sizeof out->replycode);
    /* (a status the line holds; not Sisimai's 5.0.9xx stand-in a record's facts give) */
    if (!(x->status[1] == '.' && x->status[2] == '0' && x->status[3] == '.' && x->status[4] == '9'))
        memcpy(out->status, x->status, sizeof out->status);
    out->status[sizeof out->status - 1] = 0;
    out->permanent = x->permanent;
    out->not_block = x->not_block;
    out->hardbounce = x->hardbounce;
    mxd_explanation_free(x);
}

/* the cache key: the facts that decide the verdict, '\n' between them; 0 when too long */
static size_t cache_key(const log_facts *f, char *key)
{
    const char *part[4] = {f->rhost, f->status, f->action, f->rprovider};
    size_t kl = f->len;
    for (int i = 0; i < 4; i++)
        kl += 1 + (part[i] ? strlen(part[i]) : 0);
    if (kl > LOG_CACHE_KEY)
        return 0;
    memcpy(key, f->text, f->len);
    size_t o = f->len;
    for (int i = 0; i < 4; i++) {
        key[o++] = '\n';
        size_t n = part[i] ? strlen(part[i]) : 0;
        memcpy(key + o, part[i] ? part[i] : "", n);
        o += n;
    }
    key[o] = 0;
    return o;
}

void log_classify(const mxd_kb *kb, log_cache *cache, const log_facts *f, log_verdict *out)
{
    char key[LOG_CACHE_KEY + 1];
    size_t kl = cache ? cache_key(f, key) : 0;
    if (!kl) {
        classify(kb, f, out);
        return;
    }
    cache_slot *s = &cache->slot[hash(key, kl, 1469598103934665603ULL) % LOG_CACHE_SLOTS];
    if (s->used && s->keylen == kl && !memcmp(s->key, key, kl)) {
        *out = s->v;
        return;
    }
    classify(kb, f, out);
    memcpy(s->key, key, kl + 1);
    s->keylen = kl;
    s->v = *out;
    s->used = 1;
}
