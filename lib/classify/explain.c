/* explain.c - classify a reply with the knowledge base: rules, status codes, text, reply code
 * SPDX-License-Identifier: MIT
 *
 * Order (ARCHITECTURE.md): provider-specific rule (by remote host, code and text) > enhanced
 * status code > text patterns > reply code > undefined. The deciding entry is recorded.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "classify/explain_internal.h"
#include "classify/reply.h"
#include "kb/kb_internal.h"
#include "util/match.h"
#include "util/str.h"

static int reply_matches(const char *pat, const char *code)
{
    for (int i = 0; i < 3; i++)
        if (pat[i] != 'x' && pat[i] != 'X' && pat[i] != code[i])
            return 0;
    return 1;
}

#define EXPLAIN_STACK_TEXT 4096 /* reply text lower-cased on the stack up to this size */
#define EXPLAIN_STACK_HITS 2048 /* rule text patterns whose hits fit on the stack */

/* Which rule text patterns occur in the reply: worked out in one pass (util/match.h) when the
 * first rule needs it. state 0 not yet, 1 done, -1 not possible (no matcher or no memory:
 * each rule's texts are then searched one by one). */
typedef struct text_hits {
    int state;
    unsigned char *hit;
    unsigned char stack_hit[EXPLAIN_STACK_HITS];
} text_hits;

static int text_hits_ready(const mxd_kb *kb, const reply_parts *rp, text_hits *th)
{
    if (th->state)
        return th->state > 0;
    th->state = -1;
    size_t n = bmatch_count(kb->rule_texts);
    if (!n)
        return 0;
    th->hit = n <= sizeof th->stack_hit ? th->stack_hit : malloc(n);
    char stack_low[EXPLAIN_STACK_TEXT];
    char *low = rp->len <= sizeof stack_low ? stack_low : malloc(rp->len ? rp->len : 1);
    if (th->hit && low) {
        bmatch_lower(rp->text, rp->len, low);
        bmatch_all(kb->rule_texts, low, rp->len, th->hit);
        th->state = 1;
    }
    if (low != stack_low)
        free(low);
    return th->state > 0;
}

static void text_hits_free(text_hits *th)
{
    if (th->hit != th->stack_hit)
        free(th->hit);
}

/* rule_score - 0 when the rule does not apply, else higher for more specific matches. */
static int rule_score(const mxd_kb *kb, const kb_rule *r, const reply_parts *rp,
                      const char *provider, int sure, text_hits *th)
{
    int score = 1;
    /* A provider known from the remote host excludes other providers' rules; one guessed
     * from a URL or tag in the text only weighs in (Outlook.com replies link to Microsoft
     * pages too). */
    if (r->provider && provider && r->provider != provider &&
        (r->provider[0] != provider[0] || strcmp(r->provider, provider))) {
        if (sure)
            return 0;
    } else if (r->provider && provider) {
        score += 15;
    }
    int status_hit = 0;
    if (r->nstatus) {
        if (!rp->cls)
            return 0;
        int best = 0;
        for (size_t i = 0; i < r->nstatus; i++) {
            const kb_srange *s = &r->status[i];
            if (s->cls != rp->cls || s->subj != rp->subj || rp->det < s->lo || rp->det > s->hi)
                continue;
            int v = s->lo == s->hi ? 40 : 30 - (s->hi - s->lo > 50 ? 2 : 0);
            if (v > best)
                best = v;
        }
        if (!best)
            return 0;
        score += best;
        status_hit = 1;
    }
    if (r->nreplies) {
        int hit = 0, exact = 0;
        for (size_t i = 0; i < r->nreplies && rp->code[0]; i++)
            if (reply_matches(r->replies[i], rp->code)) {
                hit = 1;
                exact |= !strchr(r->replies[i], 'x') && !strchr(r->replies[i], 'X');
            }
        if (!hit && !(status_hit && !rp->code[0]))
            return 0;
        score += hit ? (exact ? 10 : 5) : 0;
    }
    /* the cheap host check before the text scan, the costliest test */
    if (r->nhosts) {
        int hit = 0;
        for (size_t i = 0; i < r->nhosts && rp->rhost; i++)
            hit |= str_glob_match(rp->rhost, strlen(rp->rhost), r->hosts[i]);
        if (!hit)
            return 0;
        score += 15;
    }
    if (r->ntexts) {
        size_t best = 0;
        int fast = text_hits_ready(kb, rp, th);
        for (size_t i = 0; i < r->ntexts; i++)
            if (fast ? th->hit[r->text0 + i] : str_glob_find(rp->text, rp->len, r->texts[i])) {
                size_t l = strlen(r->texts[i]);
                if (l > best)
                    best = l;
            }
        if (!best)
            return 0;
        score += 20 + (int)(best > 30 ? 30 : best);
    }
    return score;
}

const kb_rule *explain_best_rule(const mxd_kb *kb, const reply_parts *rp, const char *provider,
                                 int sure)
{
    return explain_best_rule_ex(kb, rp, provider, sure, 0);
}

const kb_rule *explain_best_rule_ex(const mxd_kb *kb, const reply_parts *rp, const char *provider,
                                    int sure, int provider_only)
{
    const kb_rule *best = NULL;
    int best_score = 0;
    text_hits th;
    th.state = 0;
    th.hit = NULL;
    /* only the rules this status can match (kb_parse.c index_rules), in file order */
    const unsigned *ids = NULL;
    size_t n = kb->nrules;
    int ci = rp->cls == 2 ? 0 : rp->cls == 4 ? 1 : rp->cls == 5 ? 2 : -1;
    if (!rp->cls && kb->rules_no_status) {
        ids = kb->rules_no_status;
        n = kb->nrules_no_status;
    } else if (ci >= 0 && rp->subj >= 0 && rp->subj < KB_RULE_SUBJECTS &&
               kb->rules_by_status[ci][rp->subj]) {
        ids = kb->rules_by_status[ci][rp->subj];
        n = kb->nrules_by_status[ci][rp->subj];
    }
    for (size_t k = 0; k < n; k++) {
        const kb_rule *r = &kb->rules[ids ? ids[k] : k];
        if (provider_only && !r->provider)
            continue;
        int s = rule_score(kb, r, rp, provider, sure, &th);
        if (s > best_score) {
            best = r;
            best_score = s;
        }
    }
    text_hits_free(&th);
    return best;
}

/* detect_provider - from the remote host, then host names in the text, then text hints. */
static const char *detect_provider(const mxd_kb *kb, const reply_parts *rp, char *region,
                                   size_t regionlen, int *sure)
{
    const char *p = NULL;
    *sure = 0;
    if (rp->rhost)
        p = mxd_kb_provider_for_host(kb, rp->rhost, region, regionlen);
    if (p) {
        *sure = 1;
        return p;
    }
    return kb_provider_in_text(kb, rp->text, rp->len);
}

static void set_list(const char *const **dst, size_t *n, const char *const *src, size_t sn)
{
    *dst = src;
    *n = sn;
}

static mxd_err explain_depth(const mxd_kb *kb, const char *text, size_t len, const char *rhost,
                             int depth, mxd_explanation **out);

mxd_err mxd_explain(const mxd_kb *kb, const char *text, size_t len, const char *rhost,
                    mxd_explanation **out)
{
    if (!kb || !out || (!text && len))
        return MXD_ERR_INVALID;
    return explain_depth(kb, text ? text : "", len, rhost, 0, out);
}

static mxd_err explain_depth(const mxd_kb *kb, const char *text, size_t len, const char *rhost,
                             int depth, mxd_explanation **out)
{
    *out = NULL;
    reply_parts rp;
    mxd_err e = reply_parse(text, len, &rp);
    if (e)
        return e;
    if (rhost && *rhost && !rp.rhost) {
        rp.rhost = str_dup_n(rhost, strlen(rhost));
        if (!rp.rhost) {
            reply_free(&rp);
            return MXD_ERR_NOMEM;
        }
    }
    mxd_explanation *x = calloc(1, sizeof *x);
    if (!x) {
        reply_free(&rp);
        return MXD_ERR_NOMEM;
    }
    char region[64] = "";
    int sure;
    const char *provider = detect_provider(kb, &rp, region, sizeof region, &sure);
    const kb_rule *r = explain_best_rule(kb, &rp, provider, sure);
    if (r && r->provider && (!provider || !sure))
        provider = r->provider;

    memcpy(x->replycode, rp.code, sizeof x->replycode);
    memcpy(x->status, rp.status, sizeof x->status);
    x->provider = provider ? kb_find_provider(kb, provider)->id : NULL;
    x->provider_name = provider ? mxd_kb_provider_name(kb, provider) : NULL;
    x->region = region[0] ? str_dup_n(region, strlen(region)) : NULL;
    x->rhost = rp.rhost;
    x->sending_ip = rp.sending_ip;
    x->tags = rp.tags;
    x->text = rp.text;
    rp.rhost = rp.sending_ip = rp.tags = rp.text = NULL;

    const kb_status *st = rp.cls ? kb_find_status(kb, rp.cls, rp.subj, rp.det) : NULL;
    if (st) {
        x->status_title = st->title;
        x->status_meaning = st->meaning;
    }
    const kb_reply *rc = rp.code[0] ? kb_find_reply(kb, rp.code) : NULL;
    int cls = rp.cls ? rp.cls : rp.code[0] ? rp.code[0] - '0' : 0;
    x->permanent = cls == 5 ? 1 : cls == 4 ? 0 : -1;
    x->retry = cls == 5 ? MXD_RETRY_NEVER : cls == 4 ? MXD_RETRY_LATER : MXD_RETRY_UNKNOWN;
    x->reason = "undefined";
    x->decided_by = "none";

    /* The text patterns of reasons.tsv (the most of all) only when they can decide. */
    const char *text_reason =
        !r && !(st && st->reason) ? kb_reason_for_text(kb, x->text, strlen(x->text)) : NULL;
    if (r) {
        x->decided_by = "rule";
        x->reason = r->reason;
        x->scope = r->scope;
        x->permanent = r->permanent;
        x->retry = r->retry;
        x->summary = r->summary;
        set_list(&x->causes, &x->ncauses, r->causes, r->ncauses);
        set_list(&x->fix, &x->nfix, r->fix, r->nfix);
        set_list(&x->sources, &x->nsources, r->sources, r->nsources);
        x->rule = r->id;
        x->rule_file = r->file;
        x->rule_line = r->line;
    } else if (st && st->reason) {
        x->decided_by = "status";
        x->reason = st->reason;
        x->scope = st->scope;
        x->summary = st->meaning;
        x->rule = st->code;
        x->rule_file = "status-codes.tsv";
        set_list(&x->sources, &x->nsources, &st->source, 1);
    } else if (text_reason) {
        x->decided_by = "text";
        x->reason = text_reason;
        x->summary = st ? st->meaning : rc ? rc->meaning : NULL;
        x->rule_file = "reasons.tsv";
        x->rule = text_reason;
    } else if (rc && rc->reason) {
        x->decided_by = "reply";
        x->reason = rc->reason;
        x->scope = rc->scope;
        x->summary = rc->meaning;
        x->rule = rc->code;
        x->rule_file = "reply-codes.tsv";
        set_list(&x->sources, &x->nsources, &rc->source, 1);
    } else if (st || rc) {
        x->decided_by = st ? "status" : "reply";
        x->summary = st ? st->meaning : rc->meaning;
        x->scope = st ? st->scope : rc->scope;
        x->rule = st ? st->code : rc->code;
        x->rule_file = st ? "status-codes.tsv" : "reply-codes.tsv";
        set_list(&x->sources, &x->nsources, st ? &st->source : &rc->source, 1);
    }
    if (!r && !st && !rc && !text_reason) {
        reply_free(&rp);
        mxd_explanation_free(x);
        return MXD_ERR_NOTFOUND;
    }
    /* A wrapper code (5.7.350 ...) carries another server's reply: explain that one too. */
    if (r && r->wraps && depth == 0) {
        size_t at = reply_find_code(x->text, strlen(x->text), rp.status_end);
        if (at != (size_t)-1) {
            mxd_explanation *in = NULL;
            mxd_err ie = explain_depth(kb, x->text + at, strlen(x->text) - at, NULL, 1, &in);
            if (ie == MXD_ERR_NOMEM) {
                reply_free(&rp);
                mxd_explanation_free(x);
                return ie;
            }
            x->inner = in;
        }
    }
    reply_free(&rp);
    *out = x;
    return MXD_OK;
}

void mxd_explanation_free(mxd_explanation *e)
{
    if (!e)
        return;
    mxd_explanation_free(e->inner);
    free(e->region);
    free(e->rhost);
    free(e->sending_ip);
    free(e->tags);
    free(e->text);
    free(e);
}

const char *mxd_retry_name(mxd_retry r)
{
    switch (r) {
    case MXD_RETRY_NEVER:
        return "never";
    case MXD_RETRY_LATER:
        return "later";
    case MXD_RETRY_BACKOFF:
        return "backoff";
    default:
        return "unknown";
    }
}

/* jstr - a JSON string; text from strangers that is not UTF-8 gets '?' for each bad byte. */
json_t *explain_jstr(const char *s)
{
    if (!s)
        return json_null();
    json_t *j = json_string(s);
    if (j)
        return j;
    size_t n = strlen(s), at = 0, bad;
    char *c = str_dup_n(s, n);
    if (!c)
        return NULL;
    /* only the bytes that break the encoding: valid sequences around them stay */
    while (!str_utf8_valid(c + at, n - at, &bad)) {
        c[at + bad] = '?';
        at += bad + 1;
    }
    j = json_string(c);
    free(c);
    return j;
}

static json_t *jlist(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

json_t *explain_to_json(const mxd_explanation *e)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    /* no code in the reply: null, as every unknown (mxdiag-json(5)) */
    json_object_set_new(o, "replycode", explain_jstr(e->replycode[0] ? e->replycode : NULL));
    json_object_set_new(o, "status", explain_jstr(e->status[0] ? e->status : NULL));
    json_object_set_new(o, "provider", explain_jstr(e->provider));
    json_object_set_new(o, "provider_name", explain_jstr(e->provider_name));
    json_object_set_new(o, "region", explain_jstr(e->region));
    json_object_set_new(o, "rhost", explain_jstr(e->rhost));
    json_object_set_new(o, "sending_ip", explain_jstr(e->sending_ip));
    json_object_set_new(o, "tags", explain_jstr(e->tags));
    json_object_set_new(o, "permanent",
                        e->permanent < 0 ? json_null() : json_boolean(e->permanent));
    json_object_set_new(o, "reason", explain_jstr(e->reason));
    json_object_set_new(o, "scope", explain_jstr(e->scope));
    json_object_set_new(o, "retry", json_string(mxd_retry_name(e->retry)));
    json_object_set_new(o, "summary", explain_jstr(e->summary));
    json_object_set_new(o, "status_title", explain_jstr(e->status_title));
    json_object_set_new(o, "status_meaning", explain_jstr(e->status_meaning));
    json_object_set_new(o, "causes", jlist(e->causes, e->ncauses));
    json_object_set_new(o, "fix", jlist(e->fix, e->nfix));
    json_object_set_new(o, "sources", jlist(e->sources, e->nsources));
    json_object_set_new(o, "rule", explain_jstr(e->rule));
    json_t *how = json_object();
    json_object_set_new(how, "decided_by", json_string(e->decided_by));
    json_object_set_new(how, "file", explain_jstr(e->rule_file));
    json_object_set_new(how, "line", e->rule_line ? json_integer(e->rule_line) : json_null());
    json_object_set_new(o, "rule_origin", how);
    json_object_set_new(o, "text", explain_jstr(e->text));
    if (e->inner)
        json_object_set_new(o, "inner", explain_to_json(e->inner));
    return o;
}

char *mxd_explanation_json(const mxd_explanation *e, int pretty)
{
    if (!e)
        return NULL;
    json_t *o = explain_to_json(e);
    if (!o)
        return NULL;
    char *s = json_dumps(o, (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}
