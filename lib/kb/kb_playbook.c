/* kb_playbook.c - playbooks (data/playbooks.txt) and delisting templates (data/delist.txt)
 * SPDX-License-Identifier: MIT
 *
 * Both files are stanzas of "key: value" lines separated by blank lines, like the rules.
 */
#include <stdlib.h>
#include <string.h>
#include "kb/kb_internal.h"
#include "util/str.h"

#define KB_MAX_STANZA 160 /* lines in one stanza */

typedef struct sline {
    const char *key, *val;
    size_t kl, vl;
    int line;
} sline;

/* read_stanza - the next stanza's lines (comments skipped); *n = 0 at the end of the file. */
static mxd_err read_stanza(parse_ctx *pc, const char **p, const char *end, sline *out, size_t *n)
{
    const char *ls;
    size_t ll;
    *n = 0;
    while (kb_next_line(p, end, &ls, &ll)) {
        pc->line++;
        if (ll == 0) {
            if (*n)
                return MXD_OK;
            continue;
        }
        if (ls[0] == '#')
            continue;
        if (ll > KB_MAX_LINE)
            return kb_fail(pc, "line longer than %d bytes", KB_MAX_LINE);
        const char *colon = memchr(ls, ':', ll);
        if (!colon)
            return kb_fail(pc, "expected 'key: value'");
        if (*n == KB_MAX_STANZA)
            return kb_fail(pc, "stanza longer than %d lines", KB_MAX_STANZA);
        sline *s = &out[(*n)++];
        s->key = ls;
        s->kl = (size_t)(colon - ls);
        s->val = colon + 1;
        while (s->val < ls + ll && (*s->val == ' ' || *s->val == '\t'))
            s->val++;
        s->vl = (size_t)(ls + ll - s->val);
        s->line = pc->line;
        if (!s->vl)
            return kb_fail(pc, "empty value for '%.*s'", (int)s->kl, s->key);
    }
    return MXD_OK;
}

static int key_is(const sline *s, const char *k)
{
    return s->kl == strlen(k) && !memcmp(s->key, k, s->kl);
}

/* collect - the values of one repeatable key, copied into the arena. */
static const char **collect(parse_ctx *pc, const sline *l, size_t n, const char *key, size_t *cnt)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += key_is(&l[i], key);
    const char **v = kb_alloc(pc->kb, (c ? c : 1) * sizeof *v);
    *cnt = 0;
    if (!v)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (key_is(&l[i], key) && !(v[(*cnt)++] = kb_strp(pc->kb, l[i].val, l[i].vl)))
            return NULL;
    return v;
}

static const char *single(parse_ctx *pc, const sline *l, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (key_is(&l[i], key))
            return kb_strp(pc->kb, l[i].val, l[i].vl);
    return NULL;
}

static mxd_err check_keys(parse_ctx *pc, const sline *l, size_t n, const char *const *keys)
{
    for (size_t i = 0; i < n; i++) {
        int ok = 0;
        for (size_t k = 0; keys[k] && !ok; k++)
            ok = key_is(&l[i], keys[k]);
        if (!ok) {
            pc->line = l[i].line;
            return kb_fail(pc, "unknown key '%.*s'", (int)l[i].kl, l[i].key);
        }
    }
    return MXD_OK;
}

static const char *const check_names[KB_CHECK__COUNT] = {"manual", "dnsbl", "ptr", "spf",
                                                         "dkim",   "dmarc", "mx"};

const char *kb_check_name(kb_check c)
{
    return (unsigned)c < KB_CHECK__COUNT ? check_names[c] : "manual";
}

int kb_check_parse(const char *s, size_t len)
{
    for (int i = 0; i < KB_CHECK__COUNT; i++)
        if (strlen(check_names[i]) == len && !memcmp(s, check_names[i], len))
            return i;
    return -1;
}

static mxd_err add_playbook(parse_ctx *pc, const sline *l, size_t n)
{
    static const char *const keys[] = {
        "playbook", "title",  "match-rule", "match-reason",       "match-scope", "rule-scope",
        "step",     "delist", "source",     "match-rule-relayed", NULL};
    mxd_kb *kb = pc->kb;
    mxd_err e = check_keys(pc, l, n, keys);
    if (e)
        return e;
    pc->line = l[0].line;
    kb_playbook pb = {0};
    pb.id = single(pc, l, n, "playbook");
    pb.title = single(pc, l, n, "title");
    pb.delist = single(pc, l, n, "delist");
    pb.match_rules = collect(pc, l, n, "match-rule", &pb.nmatch_rules);
    pb.match_reasons = collect(pc, l, n, "match-reason", &pb.nmatch_reasons);
    pb.match_scopes = collect(pc, l, n, "match-scope", &pb.nmatch_scopes);
    pb.rule_scopes = collect(pc, l, n, "rule-scope", &pb.nrule_scopes);
    pb.sources = collect(pc, l, n, "source", &pb.nsources);
    pb.relayed_rules = collect(pc, l, n, "match-rule-relayed", &pb.nrelayed_rules);
    if (!pb.match_rules || !pb.match_reasons || !pb.match_scopes || !pb.rule_scopes ||
        !pb.sources || !pb.relayed_rules)
        return MXD_ERR_NOMEM;
    if (!pb.id || !pb.title)
        return kb_fail(pc, "a playbook needs 'playbook:' and 'title:'");
    if (!pb.nsources)
        return kb_fail(pc, "playbook %s has no source", pb.id);
    for (size_t i = 0; i < pb.nmatch_reasons; i++)
        if (!kb_is_reason(pb.match_reasons[i]))
            return kb_fail(pc, "playbook %s: unknown reason '%s'", pb.id, pb.match_reasons[i]);
    for (size_t i = 0; i < pb.nmatch_scopes; i++)
        if (!kb_is_scope(pb.match_scopes[i]))
            return kb_fail(pc, "playbook %s: unknown scope '%s'", pb.id, pb.match_scopes[i]);
    for (size_t i = 0; i < pb.nrule_scopes; i++)
        if (!kb_is_scope(pb.rule_scopes[i]))
            return kb_fail(pc, "playbook %s: unknown rule-scope '%s'", pb.id, pb.rule_scopes[i]);
    size_t ns = 0;
    for (size_t i = 0; i < n; i++)
        ns += key_is(&l[i], "step");
    if (!ns)
        return kb_fail(pc, "playbook %s has no step", pb.id);
    pb.steps = kb_alloc(kb, ns * sizeof *pb.steps);
    if (!pb.steps)
        return MXD_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!key_is(&l[i], "step"))
            continue;
        /* "step: CHECK: text" */
        const char *v = l[i].val;
        const char *c = memchr(v, ':', l[i].vl);
        int chk = c ? kb_check_parse(v, (size_t)(c - v)) : -1;
        pc->line = l[i].line;
        if (chk < 0)
            return kb_fail(pc, "step must be 'CHECK: text' with CHECK one of manual dnsbl ptr "
                               "spf dkim dmarc mx");
        const char *t = c + 1;
        while (t < v + l[i].vl && *t == ' ')
            t++;
        if (t >= v + l[i].vl)
            return kb_fail(pc, "step without text");
        kb_step *st = &pb.steps[pb.nsteps++];
        st->check = (kb_check)chk;
        st->text = kb_strp(kb, t, l[i].vl - (size_t)(t - v));
        if (!st->text)
            return MXD_ERR_NOMEM;
    }
    for (size_t i = 0; i < kb->nplaybooks; i++)
        if (!strcmp(kb->playbooks[i].id, pb.id))
            return kb_fail(pc, "duplicate playbook %s", pb.id);
    pb.file = pc->file;
    pb.line = l[0].line;
    return kb_push((void **)&kb->playbooks, &kb->nplaybooks, sizeof *kb->playbooks, &pb);
}

static mxd_err add_delist(parse_ctx *pc, const sline *l, size_t n)
{
    static const char *const keys[] = {"delist",  "title", "how",    "to",
                                       "subject", "body",  "source", NULL};
    mxd_kb *kb = pc->kb;
    mxd_err e = check_keys(pc, l, n, keys);
    if (e)
        return e;
    pc->line = l[0].line;
    kb_delist d = {0};
    d.id = single(pc, l, n, "delist");
    d.title = single(pc, l, n, "title");
    d.how = single(pc, l, n, "how");
    d.to = single(pc, l, n, "to");
    d.subject = single(pc, l, n, "subject");
    d.body = collect(pc, l, n, "body", &d.nbody);
    d.sources = collect(pc, l, n, "source", &d.nsources);
    if (!d.body || !d.sources)
        return MXD_ERR_NOMEM;
    if (!d.id || !d.title || !d.how || !d.nbody || !d.nsources)
        return kb_fail(pc, "a delist template needs delist, title, how, body and source");
    if (kb_find_delist(kb, d.id))
        return kb_fail(pc, "duplicate delist template %s", d.id);
    return kb_push((void **)&kb->delists, &kb->ndelists, sizeof *kb->delists, &d);
}

static mxd_err parse_stanzas(parse_ctx *pc, const kb_file *f,
                             mxd_err (*add)(parse_ctx *, const sline *, size_t))
{
    sline *lines = malloc(KB_MAX_STANZA * sizeof *lines);
    if (!lines)
        return MXD_ERR_NOMEM;
    const char *p = f->data, *end = f->data + f->len;
    size_t n;
    mxd_err e;
    pc->line = 0;
    while (!(e = read_stanza(pc, &p, end, lines, &n)) && n) {
        int save = pc->line;
        e = add(pc, lines, n);
        pc->line = save;
        if (e)
            break;
    }
    free(lines);
    return e;
}

mxd_err kb_parse_playbooks(parse_ctx *pc, const kb_file *f)
{
    return parse_stanzas(pc, f, add_playbook);
}

mxd_err kb_parse_delist(parse_ctx *pc, const kb_file *f)
{
    return parse_stanzas(pc, f, add_delist);
}

const kb_delist *kb_find_delist(const mxd_kb *kb, const char *id)
{
    for (size_t i = 0; i < kb->ndelists; i++)
        if (!strcmp(kb->delists[i].id, id))
            return &kb->delists[i];
    return NULL;
}

/* rule_fit - how specifically a playbook's match-rule lines name a rule: 0 not at all;
 * otherwise KB_FIT_GLOB + the fixed characters of the best glob, or KB_FIT_EXACT for the id
 * itself. A glob (a family of rules) fits only a rule of the playbook's rule-scope, if any. */
#define KB_FIT_SCOPE  1
#define KB_FIT_REASON 2
#define KB_FIT_GLOB   1000
#define KB_FIT_EXACT  100000
static long rule_fit(const kb_playbook *pb, const char *rule, const char *scope)
{
    long best = 0;
    int scope_ok = !pb->nrule_scopes;
    for (size_t k = 0; k < pb->nrule_scopes && !scope_ok && scope; k++)
        scope_ok = !strcmp(scope, pb->rule_scopes[k]);
    for (size_t k = 0; k < pb->nmatch_rules; k++) {
        const char *g = pb->match_rules[k];
        if (!strcmp(rule, g))
            return KB_FIT_EXACT;
        if (!scope_ok || !str_glob_match(rule, strlen(rule), g))
            continue;
        long fixed = 0;
        for (const char *c = g; *c; c++)
            fixed += *c != '*';
        if (KB_FIT_GLOB + fixed > best)
            best = KB_FIT_GLOB + fixed;
    }
    return best;
}

const kb_playbook *kb_find_playbook_relayed(const mxd_kb *kb, const char *rule)
{
    for (size_t i = 0; rule && i < kb->nplaybooks; i++)
        for (size_t k = 0; k < kb->playbooks[i].nrelayed_rules; k++)
            if (!strcmp(rule, kb->playbooks[i].relayed_rules[k]))
                return &kb->playbooks[i];
    return NULL;
}

const kb_playbook *kb_find_playbook(const mxd_kb *kb, const char *rule, const char *reason,
                                    const char *scope)
{
    const kb_playbook *win = NULL;
    long win_fit = 0;
    for (size_t i = 0; i < kb->nplaybooks; i++) {
        const kb_playbook *pb = &kb->playbooks[i];
        long fit = rule ? rule_fit(pb, rule, scope) : 0;
        for (size_t k = 0; k < pb->nmatch_reasons && reason && fit < KB_FIT_REASON; k++)
            if (!strcmp(reason, pb->match_reasons[k]))
                fit = KB_FIT_REASON;
        for (size_t k = 0; k < pb->nmatch_scopes && scope && fit < KB_FIT_SCOPE; k++)
            if (!strcmp(scope, pb->match_scopes[k]))
                fit = KB_FIT_SCOPE;
        if (fit > win_fit) {
            win = pb;
            win_fit = fit;
        }
    }
    return win;
}
