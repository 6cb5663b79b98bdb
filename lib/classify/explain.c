/* explain.c - explain a refused delivery: the verdict of classify.c with its rule's words
 * SPDX-License-Identifier: MIT
 *
 * mxd_explain() and mxd_explain_facts() take a reply apart (reply.c), have classify_decide()
 * give the one verdict every command shares, and add what the deciding entry says: summary,
 * likely causes, fix steps and sources. The rule scoring used by classify.c lives here.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "classify/classify.h"
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

/* srange_has - does the status range hold the reply's status? */
static int srange_has(const kb_srange *s, const reply_parts *rp)
{
    return s->cls == rp->cls && s->subj == rp->subj && rp->det >= s->lo && rp->det <= s->hi;
}

/* rule_reply_hit / rule_host_hit - does one of the rule's reply codes match the reply's code,
 * one of its host globs the remote host? 0 when the reply has none. */
static int rule_reply_hit(const mxd_kb *kb, const kb_rule *r, const reply_parts *rp)
{
    for (size_t i = 0; i < r->nreplies && rp->code[0]; i++)
        if (reply_matches(kb_item(kb, r->replies, i), rp->code))
            return 1;
    return 0;
}

static int rule_host_hit(const mxd_kb *kb, const kb_rule *r, const reply_parts *rp)
{
    for (size_t i = 0; i < r->nhosts && rp->rhost; i++)
        if (str_glob_match(rp->rhost, strlen(rp->rhost), kb_item(kb, r->hosts, i)))
            return 1;
    return 0;
}

/* rule_score - 0 when the rule does not apply, else higher for more specific matches. A
 * provider's rule applies only to that provider's replies: provider is the one the facts
 * identify (classify_provider()), NULL when none is. */
static int rule_score(const mxd_kb *kb, const kb_rule *r, const reply_parts *rp,
                      const char *provider, text_hits *th)
{
    int score = 1;
    if (r->provider) {
        const char *rprov = kb_str(kb, r->provider);
        if (!provider ||
            (rprov != provider && (rprov[0] != provider[0] || strcmp(rprov, provider))))
            return 0;
        score += 15;
    }
    int status_hit = 0;
    if (r->nstatus) {
        if (!rp->cls)
            return 0;
        int best = 0;
        for (size_t i = 0; i < r->nstatus; i++) {
            const kb_srange *s = kb_rule_status(kb, r, i);
            if (!srange_has(s, rp))
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
        for (size_t i = 0; i < r->nreplies && rp->code[0]; i++) {
            const char *code = kb_item(kb, r->replies, i);
            if (reply_matches(code, rp->code)) {
                hit = 1;
                exact |= !strchr(code, 'x') && !strchr(code, 'X');
            }
        }
        if (!hit && !(status_hit && !rp->code[0]))
            return 0;
        score += hit ? (exact ? 10 : 5) : 0;
    }
    /* the cheap host check before the text scan, the costliest test */
    if (r->nhosts) {
        if (!rule_host_hit(kb, r, rp))
            return 0;
        score += 15;
    }
    if (r->ntexts) {
        size_t best = 0;
        int fast = text_hits_ready(kb, rp, th);
        for (size_t i = 0; i < r->ntexts; i++)
            if (fast ? th->hit[r->text0 + i]
                     : str_glob_find(rp->text, rp->len, kb_item(kb, r->texts, i))) {
                size_t l = strlen(kb_item(kb, r->texts, i));
                best = l > best ? l : best;
            }
        if (!best)
            return 0;
        score += 20 + (int)(best > 30 ? 30 : best);
    }
    return score;
}

const kb_rule *explain_best_rule_ex(const mxd_kb *kb, const reply_parts *rp, const char *provider,
                                    int provider_only)
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
    /* (without a provider, only the generic rules can score: a provider's rule scores 0) */
    if (!rp->cls && kb->rules_no_status) {
        ids = provider ? kb->rules_no_status : kb->generic_no_status;
        n = provider ? kb->nrules_no_status : kb->ngeneric_no_status;
    } else if (ci >= 0 && rp->subj >= 0 && rp->subj < KB_RULE_SUBJECTS &&
               kb->rules_by_status[ci][rp->subj]) {
        ids = provider ? kb->rules_by_status[ci][rp->subj] : kb->generic_by_status[ci][rp->subj];
        n = provider ? kb->nrules_by_status[ci][rp->subj] : kb->ngeneric_by_status[ci][rp->subj];
    }
    for (size_t k = 0; k < n; k++) {
        const kb_rule *r = &kb->rules[ids ? ids[k] : k];
        if (provider_only && !r->provider)
            continue;
        int s = rule_score(kb, r, rp, provider, &th);
        if (s > best_score) {
            best = r;
            best_score = s;
        }
    }
    text_hits_free(&th);
    return best;
}

const kb_rule *explain_code_rule(const mxd_kb *kb, const reply_parts *rp, const char *provider)
{
    const kb_rule *best = NULL;
    int best_score = 0;
    for (size_t k = 0; k < kb->nrules && rp->cls; k++) {
        const kb_rule *r = &kb->rules[k];
        if (!r->provider || !r->nstatus || strcmp(kb_str(kb, r->provider), provider))
            continue;
        int score = 0;
        for (size_t i = 0; i < r->nstatus; i++) {
            const kb_srange *s = kb_rule_status(kb, r, i);
            if (srange_has(s, rp)) {
                int v = s->lo == s->hi ? 4 : 2;
                if (v > score)
                    score = v;
            }
        }
        if (!score)
            continue;
        if (r->nreplies && rp->code[0] && !rule_reply_hit(kb, r, rp))
            continue;
        if (r->nhosts && !rule_host_hit(kb, r, rp))
            continue;
        score += !r->ntexts;
        if (score > best_score) {
            best = r;
            best_score = score;
        }
    }
    return best;
}

/* set_list - the explanation's own array of sn strings at *dst, for the caller to fill (the
 * strings stay the kb's); NULL when sn is 0 or memory is short (then *n is 0). */
static const char **set_list(const char *const **dst, size_t *n, size_t sn)
{
    const char **v = sn ? malloc(sn * sizeof *v) : NULL;
    *dst = v;
    *n = v ? sn : 0;
    return v;
}

/* set_kb_list - the explanation's own array of the strings of a kb list (first, sn). */
static mxd_err set_kb_list(const mxd_kb *kb, const char *const **dst, size_t *n, size_t first,
                           size_t sn)
{
    const char **v = set_list(dst, n, sn);
    if (!v)
        return sn ? MXD_ERR_NOMEM : MXD_OK;
    for (size_t i = 0; i < sn; i++)
        v[i] = kb_item(kb, first, i);
    return MXD_OK;
}

static mxd_err explain_depth(const mxd_kb *kb, const mxd_reply_facts *f, int depth,
                             mxd_explanation **out);

#define EXPLAIN_FACTS_MAX 6   /* facts named in chosen_by */
#define EXPLAIN_FACT_LEN  320 /* bytes of one fact, a rule text included */

/* What of a rule matches a reply (the reply's status settled by classify_decide()). */
typedef struct rule_hits {
    int status, reply, host;
    const char *text; /* the longest of the rule's texts found, or NULL */
} rule_hits;

static void rule_hits_of(const mxd_kb *kb, const kb_rule *r, const reply_parts *rp, rule_hits *h)
{
    memset(h, 0, sizeof *h);
    for (size_t i = 0; i < r->nstatus && rp->cls; i++)
        h->status |= srange_has(kb_rule_status(kb, r, i), rp);
    h->reply = rule_reply_hit(kb, r, rp);
    h->host = rule_host_hit(kb, r, rp);
    for (size_t i = 0; i < r->ntexts; i++) {
        const char *t = kb_item(kb, r->texts, i);
        if (str_glob_find(rp->text, rp->len, t) && (!h->text || strlen(t) > strlen(h->text)))
            h->text = t;
    }
}

/* add_fact - append the fact "what value" (value in quotes when quote is set) to
 * x->chosen_by; MXD_ERR_NOMEM on no memory. */
static mxd_err add_fact(mxd_explanation *x, const char *what, const char *value, int quote)
{
    if (x->nchosen >= EXPLAIN_FACTS_MAX)
        return MXD_OK;
    if (!x->chosen_by) {
        x->chosen_by = calloc(EXPLAIN_FACTS_MAX, sizeof *x->chosen_by);
        if (!x->chosen_by)
            return MXD_ERR_NOMEM;
    }
    char t[EXPLAIN_FACT_LEN];
    snprintf(t, sizeof t, quote ? "%s \"%s\"" : "%s %s", what, value ? value : "");
    x->chosen_by[x->nchosen] = str_dup_n(t, strlen(t));
    if (!x->chosen_by[x->nchosen])
        return MXD_ERR_NOMEM;
    x->nchosen++;
    return MXD_OK;
}

/* srange_str - a rule's first status as written ("5.7.750", "4.7.500-4.7.699") into out. */
static void srange_str(const mxd_kb *kb, const kb_rule *r, char *out, size_t outlen)
{
    char t[64] = "";
    if (r->nstatus) {
        const kb_srange *s = kb_rule_status(kb, r, 0);
        if (s->lo == s->hi)
            snprintf(t, sizeof t, "%u.%u.%u", s->cls, s->subj, s->lo);
        else
            snprintf(t, sizeof t, "%u.%u.%u-%u.%u.%u", s->cls, s->subj, s->lo, s->cls, s->subj,
                     s->hi);
    }
    size_t n = strlen(t);
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, t, n);
    out[n] = 0;
}

/* has_wording - does the reply say anything in words after its codes? */
static int has_wording(const reply_parts *rp)
{
    for (size_t i = rp->status_end; i < rp->len; i++)
        if (str_isalpha((unsigned char)rp->text[i]))
            return 1;
    return 0;
}

/* sibling_rule - the identified provider's rule for another status code whose wording the
 * reply carries (the longest text found wins), or NULL. */
static const kb_rule *sibling_rule(const mxd_kb *kb, const kb_rule *chosen, const reply_parts *rp,
                                   const char **text)
{
    const kb_rule *best = NULL;
    *text = NULL;
    for (size_t k = 0; k < kb->nrules; k++) {
        const kb_rule *r = &kb->rules[k];
        if (r == chosen || !r->provider || !r->ntexts || !r->nstatus ||
            strcmp(kb_str(kb, r->provider), kb_str(kb, chosen->provider)))
            continue;
        rule_hits h;
        rule_hits_of(kb, r, rp, &h);
        if (h.status || !h.text || (r->nhosts && !h.host))
            continue;
        if (!best || strlen(h.text) > strlen(*text)) {
            best = r;
            *text = h.text;
        }
    }
    return best;
}

/* explain_confidence - confidence, chosen_by, note and the other reading of x, from the
 * verdict v and the reply rp (its status and code settled as v's). */
static mxd_err explain_confidence(const mxd_kb *kb, const classify_verdict *v,
                                  const reply_parts *rp, mxd_explanation *x)
{
    mxd_err e = MXD_OK;
    const kb_rule *r = v->krule;
    const char *db = v->decided_by ? v->decided_by : "";
    char note[512] = "";
    if (!strcmp(db, "format")) {
        x->confidence = "format";
        return add_fact(x, "message format", v->reason, 0);
    }
    if (!r) {
        if (!strcmp(db, "status")) {
            x->confidence = "code";
            e = add_fact(x, "status", v->status, 0);
        } else if (!strcmp(db, "reply")) {
            x->confidence = "code";
            e = add_fact(x, "reply code", v->replycode, 0);
        } else if (!strcmp(db, "text") && v->rule) {
            x->confidence = "wording";
            e = add_fact(x, "text", v->rule, 1);
            /* one verdict: say why a bounce of this reply may name another reason */
            static const char when[] =
                "no SMTP command is named: refused at RCPT the address does not exist; refused "
                "after DATA a filter may word it so, and a bounce that names no command files "
                "it as filtered (Sisimai's rule), never a hard bounce";
            if (!e && v->when_unknown && !(x->note = str_dup_n(when, sizeof when - 1)))
                e = MXD_ERR_NOMEM;
        } else {
            x->confidence = "none";
        }
        return e;
    }
    rule_hits h;
    rule_hits_of(kb, r, rp, &h);
    if (v->code_only)
        h.text = NULL;
    if (r->provider && x->provider) {
        char t[EXPLAIN_FACT_LEN];
        snprintf(t, sizeof t, "%s (%s)", x->provider,
                 x->provider_from ? x->provider_from : "given");
        e = add_fact(x, "provider", t, 0);
    }
    if (!e && h.status)
        e = add_fact(x, "status", v->status, 0);
    if (!e && h.reply && r->nreplies)
        e = add_fact(x, "reply code", v->replycode, 0);
    if (!e && h.host && r->nhosts)
        e = add_fact(x, "remote host", v->rhost, 0);
    if (!e && h.text)
        e = add_fact(x, "text", h.text, 1);
    if (e)
        return e;
    x->confidence = h.text && (h.status || h.reply) ? "exact" : h.text ? "wording" : "code";
    int words = has_wording(rp);
    if (v->code_only && words) {
        const kb_provider *kp = kb_find_provider(kb, kb_str(kb, r->provider));
        snprintf(note, sizeof note, "the wording differs from %s's for %s%s%s%s",
                 kb_str(kb, kp ? kp->name : r->provider), v->status, r->ntexts ? " (\"" : "",
                 r->ntexts ? kb_item(kb, r->texts, 0) : "", r->ntexts ? "\")" : "");
    }
    /* the wording of a sibling code's rule: show that reading too */
    const char *stext = NULL;
    const kb_rule *sib = r->provider && !h.text && words ? sibling_rule(kb, r, rp, &stext) : NULL;
    if (sib) {
        x->also_rule = kb_str(kb, sib->id);
        x->also_rule_file = kb_str(kb, sib->file);
        x->also_rule_line = sib->line;
        x->also_reason = kb_str(kb, sib->reason);
        x->also_summary = kb_str(kb, sib->summary);
        srange_str(kb, sib, x->also_status, sizeof x->also_status);
        size_t l = strlen(note);
        snprintf(note + l, sizeof note - l,
                 "%sthe %s %s chose this reading; the wording (\"%s\") is %s's (rule %s)",
                 l ? "; " : "", h.status ? "status" : "code", h.status ? v->status : v->replycode,
                 stext, x->also_status, x->also_rule);
    }
    if (note[0]) {
        x->note = str_dup_n(note, strlen(note));
        if (!x->note)
            return MXD_ERR_NOMEM;
    }
    return MXD_OK;
}

mxd_err mxd_explain(const mxd_kb *kb, const char *text, size_t len, const char *rhost,
                    mxd_explanation **out)
{
    mxd_reply_facts f;
    memset(&f, 0, sizeof f);
    f.text = text;
    f.len = len;
    f.rhost = rhost;
    /* the command the reply says it answered ("... (in reply to end of DATA command)"), read
     * as a bounce reader reads it: one verdict for the reply and the bounce that carries it */
    char cmd[8];
    if (text && reply_command(text, len, cmd))
        f.command = cmd;
    return mxd_explain_facts(kb, &f, out);
}

mxd_err mxd_explain_facts(const mxd_kb *kb, const mxd_reply_facts *f, mxd_explanation **out)
{
    if (out)
        *out = NULL;
    if (!kb || !out || !f || (!f->text && f->len))
        return MXD_ERR_INVALID;
    return explain_depth(kb, f, 0, out);
}

/* given - is the string there and not empty? */
static int given(const char *s)
{
    return s && *s;
}

static mxd_err explain_depth(const mxd_kb *kb, const mxd_reply_facts *f, int depth,
                             mxd_explanation **out)
{
    *out = NULL;
    reply_parts rp;
    mxd_err e = reply_parse(f->text ? f->text : "", f->len, &rp);
    /* a record may have no text at all (a feedback report, a DSN with a status only) */
    if (e == MXD_ERR_EMPTY &&
        (given(f->status) || given(f->replycode) || given(f->format_reason) || f->record)) {
        memset(&rp, 0, sizeof rp);
        rp.text = str_dup_n("", 0);
        e = rp.text ? MXD_OK : MXD_ERR_NOMEM;
    }
    if (e)
        return e;
    mxd_explanation *x = calloc(1, sizeof *x);
    if (!x) {
        reply_free(&rp);
        return MXD_ERR_NOMEM;
    }
    classify_verdict v;
    classify_decide(kb, f, rp.text, rp.len, &rp, &v);
    if (!v.found && !f->record) {
        reply_free(&rp);
        mxd_explanation_free(x);
        return MXD_ERR_NOTFOUND;
    }
    char region[64] = "";
    if (v.provider && v.rhost[0] && v.provider_from && !strcmp(v.provider_from, "remote host"))
        mxd_kb_provider_for_host(kb, v.rhost, region, sizeof region);
    memcpy(x->replycode, v.replycode, sizeof x->replycode);
    memcpy(x->status, f->record ? v.record_status : v.status, sizeof x->status);
    const kb_provider *kp = v.provider ? kb_find_provider(kb, v.provider) : NULL;
    x->provider = kp ? kb_str(kb, kp->id) : NULL;
    x->provider_name = kp ? kb_str(kb, kp->name) : NULL;
    x->provider_from = kp ? v.provider_from : NULL;
    x->region = region[0] ? str_dup_n(region, strlen(region)) : NULL;
    x->rhost = v.rhost[0] ? str_dup_n(v.rhost, strlen(v.rhost)) : NULL;
    x->sending_ip = v.sending_ip[0] ? str_dup_n(v.sending_ip, strlen(v.sending_ip)) : NULL;
    x->tags = rp.tags;
    x->text = rp.text;
    rp.tags = rp.text = NULL;
    if ((v.rhost[0] && !x->rhost) || (v.sending_ip[0] && !x->sending_ip)) {
        reply_free(&rp);
        mxd_explanation_free(x);
        return MXD_ERR_NOMEM;
    }

    const kb_status *st = v.kstatus;
    const kb_reply *rc = v.kreply;
    if (st) {
        x->status_title = kb_str(kb, st->title);
        x->status_meaning = kb_str(kb, st->meaning);
    }
    x->permanent = v.permanent;
    x->hardbounce = f->record && classify_record_hard(&v, f->action, f->command);
    x->retry = v.retry;
    x->reason = v.reason;
    x->scope = v.scope;
    x->decided_by = v.decided_by;
    x->rule = v.rule;
    x->rule_file = v.rule_file;
    x->rule_line = v.rule_line;
    const kb_rule *r = v.krule;
    mxd_err le = MXD_OK;
    if (r) {
        x->not_block = r->not_block;
        x->rule_checked = kb_str(kb, r->checked);
        x->summary = kb_str(kb, r->summary);
        le = set_kb_list(kb, &x->causes, &x->ncauses, r->causes, r->ncauses);
        if (!le)
            le = set_kb_list(kb, &x->fix, &x->nfix, r->fix, r->nfix);
        if (!le)
            le = set_kb_list(kb, &x->sources, &x->nsources, r->sources, r->nsources);
    } else {
        /* the status's or the reply code's entry: its meaning and its source */
        const int by_status = !strcmp(v.decided_by, "status") && st;
        const int by_reply = !by_status && !strcmp(v.decided_by, "reply") && rc;
        const kb_off meaning = by_status  ? st->meaning
                               : by_reply ? rc->meaning
                               : st       ? st->meaning
                               : rc       ? rc->meaning
                                          : 0;
        const char *source = kb_str(kb, by_status  ? st->source
                                        : by_reply ? rc->source
                                        : st       ? st->source
                                        : rc       ? rc->source
                                                   : 0);
        x->summary = kb_str(kb, meaning);
        const char **one = source ? set_list(&x->sources, &x->nsources, 1) : NULL;
        if (one)
            one[0] = source;
        else if (source)
            le = MXD_ERR_NOMEM;
    }
    if (le) {
        reply_free(&rp);
        mxd_explanation_free(x);
        return le;
    }
    {
        reply_parts ctx = rp;
        ctx.status[0] = 0;
        ctx.cls = ctx.subj = ctx.det = 0;
        if (v.status[0] &&
            !kb_status_parse(v.status, strlen(v.status), &ctx.cls, &ctx.subj, &ctx.det))
            memcpy(ctx.status, v.status, sizeof ctx.status);
        else
            ctx.cls = 0;
        memcpy(ctx.code, v.replycode, sizeof ctx.code);
        ctx.rhost = v.rhost[0] ? v.rhost : NULL;
        ctx.text = x->text;
        mxd_err ce = explain_confidence(kb, &v, &ctx, x);
        if (ce) {
            reply_free(&rp);
            mxd_explanation_free(x);
            return ce;
        }
    }
    x->unwrapped = rp.wrapper;
    /* A wrapper code (5.7.350 ...) carries another server's reply: explain that one too. */
    if (r && r->wraps && depth == 0) {
        size_t at = reply_find_code(x->text, strlen(x->text), rp.status_end);
        if (at != (size_t)-1) {
            mxd_reply_facts in;
            memset(&in, 0, sizeof in);
            in.text = x->text + at;
            in.len = strlen(x->text) - at;
            mxd_explanation *ix = NULL;
            mxd_err ie = explain_depth(kb, &in, 1, &ix);
            if (ie == MXD_ERR_NOMEM) {
                reply_free(&rp);
                mxd_explanation_free(x);
                return ie;
            }
            x->inner = ix;
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
    for (size_t i = 0; i < e->nchosen; i++)
        free(e->chosen_by[i]);
    free(e->chosen_by);
    free(e->note);
    free(e->region);
    free(e->rhost);
    free(e->sending_ip);
    free(e->tags);
    free(e->text);
    free((void *)e->causes);
    free((void *)e->fix);
    free((void *)e->sources);
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
    json_object_set_new(o, "provider_from", explain_jstr(e->provider_from));
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
    json_object_set_new(o, "rule_checked", explain_jstr(e->rule_checked));
    json_object_set_new(o, "text", explain_jstr(e->text));
    json_object_set_new(o, "confidence", explain_jstr(e->confidence ? e->confidence : "none"));
    json_t *cb = json_array();
    for (size_t i = 0; cb && i < e->nchosen; i++)
        json_array_append_new(cb, explain_jstr(e->chosen_by[i]));
    json_object_set_new(o, "chosen_by", cb);
    json_object_set_new(o, "note", explain_jstr(e->note));
    if (e->also_rule) {
        json_t *a = json_object();
        json_object_set_new(a, "rule", explain_jstr(e->also_rule));
        json_object_set_new(a, "status", json_string(e->also_status));
        json_object_set_new(a, "reason", explain_jstr(e->also_reason));
        json_object_set_new(a, "summary", explain_jstr(e->also_summary));
        json_object_set_new(a, "confidence", json_string("wording"));
        json_object_set_new(a, "file", explain_jstr(e->also_rule_file));
        json_object_set_new(a, "line", json_integer(e->also_rule_line));
        json_object_set_new(o, "also", a);
    } else {
        json_object_set_new(o, "also", json_null());
    }
    json_object_set_new(o, "unwrapped", explain_jstr(e->unwrapped));
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
