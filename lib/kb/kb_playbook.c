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

/* collect - the values of one repeatable key, copied into the pool, as a list in kb->lists
 * (*first, *cnt); as single(), nothing is done once *e is set, and *e is set on failure. */
static void collect(parse_ctx *pc, const sline *l, size_t n, const char *key, uint32_t *first,
                    uint32_t *cnt, mxd_err *e)
{
    if (*e)
        return;
    kb_off v[KB_MAX_STANZA];
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (key_is(&l[i], key) && !(v[c++] = kb_strn(pc->kb, l[i].val, l[i].vl))) {
            *e = MXD_ERR_NOMEM;
            return;
        }
    *cnt = (uint32_t)c;
    *e = kb_push_list(pc->kb, v, c, first);
}

/* check_list - every item of a list satisfies known(), else a failure naming the stanza, the
 * key and the item. */
static mxd_err check_list(parse_ctx *pc, const char *id, const char *key, uint32_t first,
                          uint32_t cnt, int (*known)(const char *))
{
    for (size_t i = 0; i < cnt; i++)
        if (!known(kb_item(pc->kb, first, i)))
            return kb_fail(pc, "playbook %s: unknown %s '%s'", id, key, kb_item(pc->kb, first, i));
    return MXD_OK;
}

/* single - the value of a key, copied into the pool (the first if it is repeated); 0 when
 * the key is absent, *e = MXD_ERR_NOMEM when out of memory. */
static kb_off single(parse_ctx *pc, const sline *l, size_t n, const char *key, mxd_err *e)
{
    for (size_t i = 0; i < n; i++)
        if (key_is(&l[i], key)) {
            kb_off o = kb_strn(pc->kb, l[i].val, l[i].vl);
            if (!o)
                *e = MXD_ERR_NOMEM;
            return o;
        }
    return 0;
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
                                                         "dkim",   "dmarc", "mx",  "hard"};

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
    pb.id = single(pc, l, n, "playbook", &e);
    pb.title = single(pc, l, n, "title", &e);
    pb.delist = single(pc, l, n, "delist", &e);
    collect(pc, l, n, "match-rule", &pb.match_rules, &pb.nmatch_rules, &e);
    collect(pc, l, n, "match-reason", &pb.match_reasons, &pb.nmatch_reasons, &e);
    collect(pc, l, n, "match-scope", &pb.match_scopes, &pb.nmatch_scopes, &e);
    collect(pc, l, n, "rule-scope", &pb.rule_scopes, &pb.nrule_scopes, &e);
    collect(pc, l, n, "source", &pb.sources, &pb.nsources, &e);
    collect(pc, l, n, "match-rule-relayed", &pb.relayed_rules, &pb.nrelayed_rules, &e);
    if (e)
        return e;
    if (!pb.id || !pb.title)
        return kb_fail(pc, "a playbook needs 'playbook:' and 'title:'");
    const char *id = kb_str(kb, pb.id); /* no string is added to the pool below */
    if (!pb.nsources)
        return kb_fail(pc, "playbook %s has no source", id);
    if ((e = check_list(pc, id, "reason", pb.match_reasons, pb.nmatch_reasons, kb_is_reason)) ||
        (e = check_list(pc, id, "scope", pb.match_scopes, pb.nmatch_scopes, kb_is_scope)) ||
        (e = check_list(pc, id, "rule-scope", pb.rule_scopes, pb.nrule_scopes, kb_is_scope)))
        return e;
    size_t ns = 0;
    for (size_t i = 0; i < n; i++)
        ns += key_is(&l[i], "step");
    if (!ns)
        return kb_fail(pc, "playbook %s has no step", id);
    /* the steps are checked first, then copied: a string added to the pool moves it (id) */
    kb_step steps[KB_MAX_STANZA];
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
                               "spf dkim dmarc mx hard");
        const char *t = c + 1;
        while (t < v + l[i].vl && *t == ' ')
            t++;
        if (t >= v + l[i].vl)
            return kb_fail(pc, "step without text");
        kb_step *st = &steps[pb.nsteps++];
        st->check = (kb_check)chk;
        st->text = (kb_off)(t - v); /* for now: where the text starts in the value */
    }
    for (size_t i = 0; i < kb->nplaybooks; i++)
        if (!strcmp(kb_str(kb, kb->playbooks[i].id), id))
            return kb_fail(pc, "duplicate playbook %s", id);
    pb.steps = (uint32_t)kb->nsteps;
    for (size_t i = 0, k = 0; i < n; i++) {
        if (!key_is(&l[i], "step"))
            continue;
        kb_step st = steps[k++];
        size_t at = st.text;
        st.text = kb_strn(kb, l[i].val + at, l[i].vl - at);
        if (!st.text)
            return MXD_ERR_NOMEM;
        e = kb_push((void **)&kb->steps, &kb->nsteps, sizeof *kb->steps, &st);
        if (e)
            return e;
    }
    pb.file = pc->file_off;
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
    d.id = single(pc, l, n, "delist", &e);
    d.title = single(pc, l, n, "title", &e);
    d.how = single(pc, l, n, "how", &e);
    d.to = single(pc, l, n, "to", &e);
    d.subject = single(pc, l, n, "subject", &e);
    collect(pc, l, n, "body", &d.body, &d.nbody, &e);
    collect(pc, l, n, "source", &d.sources, &d.nsources, &e);
    if (e)
        return e;
    if (!d.id || !d.title || !d.how || !d.nbody || !d.nsources)
        return kb_fail(pc, "a delist template needs delist, title, how, body and source");
    if (kb_find_delist(kb, kb_str(kb, d.id)))
        return kb_fail(pc, "duplicate delist template %s", kb_str(kb, d.id));
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
        if (!strcmp(kb_str(kb, kb->delists[i].id), id))
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
static long rule_fit(const mxd_kb *kb, const kb_playbook *pb, const char *rule, const char *scope)
{
    long best = 0;
    int scope_ok = !pb->nrule_scopes;
    for (size_t k = 0; k < pb->nrule_scopes && !scope_ok && scope; k++)
        scope_ok = !strcmp(scope, kb_item(kb, pb->rule_scopes, k));
    for (size_t k = 0; k < pb->nmatch_rules; k++) {
        const char *g = kb_item(kb, pb->match_rules, k);
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
            if (!strcmp(rule, kb_item(kb, kb->playbooks[i].relayed_rules, k)))
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
        long fit = rule ? rule_fit(kb, pb, rule, scope) : 0;
        for (size_t k = 0; k < pb->nmatch_reasons && reason && fit < KB_FIT_REASON; k++)
            if (!strcmp(reason, kb_item(kb, pb->match_reasons, k)))
                fit = KB_FIT_REASON;
        for (size_t k = 0; k < pb->nmatch_scopes && scope && fit < KB_FIT_SCOPE; k++)
            if (!strcmp(scope, kb_item(kb, pb->match_scopes, k)))
                fit = KB_FIT_SCOPE;
        if (fit > win_fit) {
            win = pb;
            win_fit = fit;
        }
    }
    return win;
}
