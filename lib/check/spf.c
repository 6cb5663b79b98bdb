/* spf.c - SPF check_host() (RFC 7208 sections 4 to 8) over the resolver
 * SPDX-License-Identifier: MIT
 *
 * check_host() is sequential by nature (each answer decides the next question), so it uses
 * the synchronous mxd_dns_lookup(). One evaluation keeps its counters in an spf_ctx: the
 * DNS-querying terms (limit 10), void lookups (limit 2), all queries sent (a hard cap) and the
 * wall time (temperror past MXD_SPF_MAX_SECONDS). The validated PTR names of the client IP are
 * fetched at most once per evaluation, for "ptr" and %{p} both.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "check/spf_internal.h"
#include "check/spf_node.h"
#include "util/str.h"

/* Outcome of one mechanism. */
enum { SPF_NOMATCH = 0, SPF_MATCH = 1, SPF_ERROR = -1 };

typedef struct spf_ctx {
    mxd_resolver *r;
    cidr_addr ip;
    char *sender, *local, *sdomain, *helo;
    const char *receiver;
    int lookups, voids, queries;
    struct timespec start;
    mxd_spf_result err;               /* result of an SPF_ERROR */
    const mxd_spf_node *problem_node; /* the record that reported problem, NULL: not yet */
    char problem[512];                /* its reason */
    /* validated PTR names of ip, fetched once */
    int ptr_done;
    mxd_dns_status ptr_status;
    char *ptr_names[MXD_SPF_MAX_PTR];
    size_t nptr;
    /* deciding term, its record's domain and that record's exp= domain-spec (copies) */
    char *mech;
    char *mech_domain;
    char *exp;
    int nomem;
    int over_budget; /* the query or time budget of the evaluation ran out */
} spf_ctx;

/* mxd_spf_result_name - the RFC 7208 result word. */
const char *mxd_spf_result_name(mxd_spf_result r)
{
    static const char *const names[] = {"none",     "neutral",   "pass",     "fail",
                                        "softfail", "temperror", "permerror"};
    return (unsigned)r < sizeof names / sizeof *names ? names[r] : "unknown";
}

static double elapsed(const spf_ctx *c)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - c->start.tv_sec) + (now.tv_nsec - c->start.tv_nsec) / 1e9;
}

static int fail_with(spf_ctx *c, mxd_spf_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* fail_with - note the result and its reason; returns SPF_ERROR. */
static int fail_with(spf_ctx *c, mxd_spf_result r, const char *fmt, ...)
{
    va_list ap;
    c->err = r;
    c->problem_node = NULL;
    va_start(ap, fmt);
    vsnprintf(c->problem, sizeof c->problem, fmt, ap);
    va_end(ap);
    return SPF_ERROR;
}

/* mem_caseeq - n bytes equal without regard to ASCII case. */
static int mem_caseeq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (str_tolower((unsigned char)a[i]) != str_tolower((unsigned char)b[i]))
            return 0;
    return 1;
}

/* decide - remember the deciding term, its record's domain and that record's exp=. */
static void decide(spf_ctx *c, const spf_term *t, const char *domain, const spf_term *exp)
{
    free(c->mech);
    free(c->mech_domain);
    free(c->exp);
    c->mech = t ? str_dup_n(t->text, t->len) : NULL;
    c->mech_domain = domain ? str_dup_n(domain, strlen(domain)) : NULL;
    c->exp = exp ? str_dup_n(exp->spec, exp->speclen) : NULL;
    if ((t && !c->mech) || (domain && !c->mech_domain) || (exp && !c->exp))
        c->nomem = 1;
}

/* spf_query - one DNS lookup counted against the query budget. A name the resolver refuses
 * to send (not a valid DNS name) is answered as NXDOMAIN: it cannot exist. */
mxd_dns_status spf_query(mxd_resolver *r, int *queries, int *nomem, const char *name, int type,
                         mxd_dns_answer **out)
{
    *out = NULL;
    if (*queries >= MXD_SPF_MAX_QUERIES)
        return MXD_DNS_TIMEOUT;
    (*queries)++;
    mxd_err e = mxd_dns_lookup(r, name, type, out);
    if (e == MXD_ERR_INVALID)
        return MXD_DNS_NXDOMAIN;
    if (e == MXD_ERR_NOMEM)
        *nomem = 1;
    if (e || !*out)
        return MXD_DNS_ERROR;
    return (*out)->status;
}

int spf_is_void(mxd_dns_status s)
{
    return s == MXD_DNS_NXDOMAIN || s == MXD_DNS_NODATA;
}

/* query - spf_query within the evaluation's bounds of queries and time. */
static mxd_dns_status query(spf_ctx *c, const char *name, int type, mxd_dns_answer **out)
{
    *out = NULL;
    if (c->queries >= MXD_SPF_MAX_QUERIES || elapsed(c) > MXD_SPF_MAX_SECONDS) {
        c->over_budget = 1;
        return MXD_DNS_TIMEOUT;
    }
    return spf_query(c->r, &c->queries, &c->nomem, name, type, out);
}

static int dns_trouble(mxd_dns_status s)
{
    return !spf_is_void(s) && s != MXD_DNS_OK;
}

/* count_void - one more void lookup; permerror past the limit. */
static int count_void(spf_ctx *c, mxd_spf_node *node, const char *name)
{
    c->voids++;
    node->void_lookups++;
    if (c->voids > MXD_SPF_MAX_VOID)
        return fail_with(c, MXD_SPF_PERMERROR,
                         "more than 2 void DNS lookups (the last for %s): RFC 7208 4.6.4", name);
    return SPF_NOMATCH;
}

static int temp_dns(spf_ctx *c, const char *name, mxd_dns_status s)
{
    if (c->over_budget)
        return fail_with(c, MXD_SPF_TEMPERROR,
                         "the evaluation ran past %d DNS queries or %d seconds (at %s)",
                         MXD_SPF_MAX_QUERIES, MXD_SPF_MAX_SECONDS, name);
    return fail_with(c, MXD_SPF_TEMPERROR, "DNS %s for %s", mxd_dns_status_name(s), name);
}

/* addr_matches - does any A/AAAA record of the answer fall in the client's network? */
static int addr_matches(const spf_ctx *c, const mxd_dns_answer *a, unsigned prefix)
{
    for (size_t i = 0; i < a->n; i++) {
        cidr_addr x;
        const char *t = a->rr[i].addr;
        if (cidr_parse_ip(t, strlen(t), &x) == 0 && cidr_match(&c->ip, &x, prefix))
            return 1;
    }
    return 0;
}

static int addr_type(const spf_ctx *c)
{
    return c->ip.family == 4 ? MXD_DNS_A : MXD_DNS_AAAA;
}

static const char *ptr_name_cb(void *arg, const char *domain);

static void macro_env(spf_ctx *c, const char *domain, spf_macro_env *env)
{
    memset(env, 0, sizeof *env);
    env->sender = c->sender;
    env->local = c->local;
    env->sdomain = c->sdomain;
    env->domain = domain;
    env->helo = c->helo;
    env->receiver = c->receiver;
    env->ip = &c->ip;
    env->now = (long long)time(NULL);
    env->ptr_name = ptr_name_cb;
    env->arg = c;
}

/* target - the term's domain-spec expanded (or the current domain) into out. Returns 0, 1 when
 * the expansion is not a usable DNS name, SPF_ERROR on a macro error. */
static int target(spf_ctx *c, const spf_term *t, const char *domain, buf *out)
{
    buf_reset(out);
    if (!t->spec)
        return buf_adds(out, domain) ? fail_with(c, MXD_SPF_TEMPERROR, "%s", "out of memory") : 0;
    spf_macro_env env;
    macro_env(c, domain, &env);
    mxd_err e = spf_macro_expand(&env, t->spec, t->speclen, 0, out);
    if (e == MXD_ERR_NOMEM) {
        c->nomem = 1;
        return fail_with(c, MXD_SPF_TEMPERROR, "%s", "out of memory");
    }
    if (e)
        return fail_with(c, MXD_SPF_PERMERROR, "macro expansion failed in '%s'", domain);
    return spf_domain_finish(out) ? 1 : 0;
}

/* ptr_fetch - the validated names of the client IP (RFC 7208 section 5.5), once. */
static void ptr_fetch(spf_ctx *c)
{
    if (c->ptr_done)
        return;
    c->ptr_done = 1;
    char rev[128];
    char ipt[CIDR_TEXT_MAX + 1];
    cidr_format(&c->ip, ipt, sizeof ipt);
    if (mxd_dns_reverse_name(ipt, NULL, rev, sizeof rev)) {
        c->ptr_status = MXD_DNS_ERROR;
        return;
    }
    mxd_dns_answer *a;
    c->ptr_status = query(c, rev, MXD_DNS_PTR, &a);
    if (c->ptr_status == MXD_DNS_OK) {
        for (size_t i = 0; i < a->n && i < MXD_SPF_MAX_PTR; i++) {
            const char *name = a->rr[i].name;
            if (!name || !*name)
                continue;
            mxd_dns_answer *b;
            mxd_dns_status s = query(c, name, addr_type(c), &b);
            int ok = s == MXD_DNS_OK && addr_matches(c, b, 128);
            mxd_dns_answer_free(b);
            if (ok) {
                size_t l = strlen(name);
                char *copy = str_dup_n(name, l && name[l - 1] == '.' ? l - 1 : l);
                if (!copy) {
                    c->nomem = 1;
                    break;
                }
                c->ptr_names[c->nptr++] = copy;
            }
        }
    }
    mxd_dns_answer_free(a);
}

/* name_under - is name equal to dom or below it (case-insensitive, trailing dots ignored)? */
static int name_under(const char *name, const char *dom)
{
    size_t nl = strlen(name), dl = strlen(dom);
    if (nl && name[nl - 1] == '.')
        nl--;
    if (dl && dom[dl - 1] == '.')
        dl--;
    if (dl == 0 || nl < dl || !mem_caseeq(name + nl - dl, dom, dl))
        return 0;
    return nl == dl || name[nl - dl - 1] == '.';
}

/* ptr_name_cb - %{p}: a validated name equal to domain, else below it, else any, else
 * "unknown". */
static const char *ptr_name_cb(void *arg, const char *domain)
{
    spf_ctx *c = arg;
    ptr_fetch(c);
    const char *best = NULL;
    for (size_t i = 0; i < c->nptr; i++) {
        size_t nl = strlen(c->ptr_names[i]), dl = strlen(domain);
        if (nl == dl && mem_caseeq(c->ptr_names[i], domain, nl))
            return c->ptr_names[i];
        if (!best && name_under(c->ptr_names[i], domain))
            best = c->ptr_names[i];
    }
    if (best)
        return best;
    return c->nptr ? c->ptr_names[0] : "unknown";
}

static mxd_spf_result check_host(spf_ctx *c, const char *domain, mxd_spf_node *node, int depth);

/* recurse - include or redirect: check_host() on the target in a child node. */
static mxd_spf_result recurse(spf_ctx *c, const spf_term *t, const char *name, mxd_spf_node *node,
                              int depth, const char *via)
{
    if (depth + 1 > MXD_SPF_MAX_DEPTH) {
        fail_with(c, MXD_SPF_PERMERROR, "include/redirect nested deeper than the limit at %s",
                  name);
        return MXD_SPF_PERMERROR;
    }
    mxd_spf_node *child = spf_node_new(node, name, via, t->text, t->len);
    if (!child) {
        c->nomem = 1;
        fail_with(c, MXD_SPF_TEMPERROR, "%s", "out of memory");
        return MXD_SPF_TEMPERROR;
    }
    mxd_spf_result r = check_host(c, name, child, depth + 1);
    if (r == MXD_SPF_NONE) {
        fail_with(c, MXD_SPF_PERMERROR, "%s has no SPF record (include/redirect target)", name);
        child->result = MXD_SPF_PERMERROR;
        if (!child->problem)
            child->problem = str_dup_n(c->problem, strlen(c->problem));
        return MXD_SPF_PERMERROR;
    }
    return r;
}

/* eval_mech - evaluate one mechanism: SPF_MATCH, SPF_NOMATCH or SPF_ERROR (c->err says which
 * result). */
static int eval_mech(spf_ctx *c, const spf_term *t, const char *domain, mxd_spf_node *node,
                     int depth, buf *name)
{
    if (spf_is_dns_term(t->kind)) {
        c->lookups++;
        node->lookups++;
        if (c->lookups > MXD_SPF_MAX_DNS_TERMS)
            return fail_with(c, MXD_SPF_PERMERROR,
                             "more than 10 DNS-querying terms (the 11th is '%.*s' in %s): "
                             "RFC 7208 4.6.4",
                             (int)(t->len > 200 ? 200 : t->len), t->text, domain);
    }
    switch (t->kind) {
    case SPF_ALL:
        return SPF_MATCH;
    case SPF_IP4:
    case SPF_IP6:
        return cidr_match(&c->ip, &t->net, t->prefix) ? SPF_MATCH : SPF_NOMATCH;
    default:
        break;
    }
    int tr = target(c, t, domain, name);
    if (tr == SPF_ERROR)
        return SPF_ERROR;
    if (tr == 1) {
        if (t->kind == SPF_INCLUDE)
            return fail_with(c, MXD_SPF_PERMERROR, "include target '%s' is not a domain name",
                             name->ptr ? name->ptr : "");
        return SPF_NOMATCH; /* not a usable name: it cannot exist */
    }
    const char *tn = name->ptr;
    mxd_dns_answer *a = NULL;
    mxd_dns_status s;
    int res = SPF_NOMATCH;
    switch (t->kind) {
    case SPF_INCLUDE: {
        mxd_spf_result r = recurse(c, t, tn, node, depth, "include");
        if (r == MXD_SPF_PASS)
            return SPF_MATCH;
        if (r == MXD_SPF_TEMPERROR || r == MXD_SPF_PERMERROR) {
            c->err = r;
            return SPF_ERROR;
        }
        return SPF_NOMATCH;
    }
    case SPF_A:
    case SPF_EXISTS:
        s = query(c, tn, t->kind == SPF_EXISTS ? MXD_DNS_A : addr_type(c), &a);
        if (dns_trouble(s))
            res = temp_dns(c, tn, s);
        else if (spf_is_void(s))
            res = count_void(c, node, tn);
        else if (t->kind == SPF_EXISTS)
            res = SPF_MATCH;
        else
            res = addr_matches(c, a, c->ip.family == 4 ? t->cidr4 : t->cidr6) ? SPF_MATCH
                                                                              : SPF_NOMATCH;
        break;
    case SPF_MX:
        s = query(c, tn, MXD_DNS_MX, &a);
        if (dns_trouble(s)) {
            res = temp_dns(c, tn, s);
        } else if (spf_is_void(s)) {
            res = count_void(c, node, tn);
        } else if (a->n > MXD_SPF_MAX_MX) {
            res = fail_with(c, MXD_SPF_PERMERROR, "%s has more than 10 MX records (RFC 7208 4.6.4)",
                            tn);
        } else {
            for (size_t i = 0; i < a->n && res == SPF_NOMATCH; i++) {
                const char *mx = a->rr[i].name;
                if (!mx || !*mx || !strcmp(mx, "."))
                    continue; /* null MX */
                mxd_dns_answer *b;
                mxd_dns_status s2 = query(c, mx, addr_type(c), &b);
                if (dns_trouble(s2))
                    res = temp_dns(c, mx, s2);
                else if (s2 == MXD_DNS_OK &&
                         addr_matches(c, b, c->ip.family == 4 ? t->cidr4 : t->cidr6))
                    res = SPF_MATCH;
                mxd_dns_answer_free(b);
            }
        }
        break;
    case SPF_PTR:
        ptr_fetch(c);
        if (spf_is_void(c->ptr_status) && count_void(c, node, "the PTR name") == SPF_ERROR)
            return SPF_ERROR;
        for (size_t i = 0; i < c->nptr; i++)
            if (name_under(c->ptr_names[i], tn))
                return SPF_MATCH;
        return SPF_NOMATCH;
    }
    mxd_dns_answer_free(a);
    return res;
}

static mxd_spf_result qual_result(char q)
{
    switch (q) {
    case '-':
        return MXD_SPF_FAIL;
    case '~':
        return MXD_SPF_SOFTFAIL;
    case '?':
        return MXD_SPF_NEUTRAL;
    }
    return MXD_SPF_PASS;
}

/* fetch_record - TXT lookup and record selection for domain into node. Returns the result to
 * stop with (NONE, TEMPERROR, PERMERROR) or NEUTRAL to go on. */
static mxd_spf_result fetch_record(spf_ctx *c, const char *domain, mxd_spf_node *node, size_t *len)
{
    mxd_dns_answer *a;
    mxd_dns_status s = query(c, domain, MXD_DNS_TXT, &a);
    spf_fetch f = {0};
    mxd_spf_result r = MXD_SPF_NEUTRAL;
    if (dns_trouble(s)) {
        temp_dns(c, domain, s);
        r = MXD_SPF_TEMPERROR;
    } else if (spf_is_void(s)) {
        fail_with(c, MXD_SPF_NONE, "%s has no SPF record (DNS %s)", domain, mxd_dns_status_name(s));
        r = MXD_SPF_NONE;
    } else if (spf_select(a, &f)) {
        c->nomem = 1;
        r = MXD_SPF_TEMPERROR;
    } else if (f.truncated && f.count < 2) {
        /* records past the cap were not seen: one more v=spf1 there would change the answer */
        fail_with(c, MXD_SPF_TEMPERROR,
                  "%s has more than %d TXT records: the rest were not read, so its SPF record "
                  "cannot be told",
                  domain, MXD_DNS_MAX_RRS);
        r = MXD_SPF_TEMPERROR;
    } else if (f.count == 0) {
        fail_with(c, MXD_SPF_NONE, "%s has no SPF record", domain);
        r = MXD_SPF_NONE;
    } else if (f.count > 1) {
        fail_with(c, MXD_SPF_NONE, "%s has %d SPF records (must be one)", domain, f.count);
        r = MXD_SPF_PERMERROR;
    } else {
        node->record = f.record;
        *len = f.len;
        f.record = NULL;
    }
    free(f.record);
    mxd_dns_answer_free(a);
    return r;
}

/* check_host - RFC 7208 section 4: fetch, parse, evaluate domain's record in node. */
static mxd_spf_result check_host(spf_ctx *c, const char *domain, mxd_spf_node *node, int depth)
{
    size_t len = 0;
    mxd_spf_result r = fetch_record(c, domain, node, &len);
    if (r != MXD_SPF_NEUTRAL)
        goto done;
    spf_record rec;
    char why[256] = "";
    mxd_err pe = spf_record_parse(node->record, len, &rec, why, sizeof why);
    if (pe) {
        spf_record_free(&rec);
        if (pe == MXD_ERR_NOMEM)
            c->nomem = 1;
        fail_with(c, MXD_SPF_NONE, "%s: %s", domain, why);
        r = pe == MXD_ERR_NOMEM ? MXD_SPF_TEMPERROR : MXD_SPF_PERMERROR;
        goto done;
    }
    buf name;
    buf_init(&name, SPF_MACRO_MAX);
    int matched = 0;
    for (size_t i = 0; i < rec.n && !matched; i++) {
        const spf_term *t = &rec.t[i];
        if (t->kind >= SPF_REDIRECT)
            continue;
        int m = eval_mech(c, t, domain, node, depth, &name);
        if (m == SPF_ERROR) {
            r = c->err;
            goto out;
        }
        if (m == SPF_MATCH) {
            matched = 1;
            r = qual_result(t->qual);
            decide(c, t, domain, rec.exp >= 0 ? &rec.t[rec.exp] : NULL);
        }
    }
    if (!matched && rec.redirect >= 0) {
        const spf_term *t = &rec.t[rec.redirect];
        c->lookups++;
        node->lookups++;
        if (c->lookups > MXD_SPF_MAX_DNS_TERMS) {
            fail_with(c, MXD_SPF_PERMERROR,
                      "more than 10 DNS-querying terms (the 11th is '%.*s' in %s): "
                      "RFC 7208 4.6.4",
                      (int)(t->len > 200 ? 200 : t->len), t->text, domain);
            r = MXD_SPF_PERMERROR;
            goto out;
        }
        int tr = target(c, t, domain, &name);
        if (tr == SPF_ERROR) {
            r = c->err;
            goto out;
        }
        if (tr == 1) {
            fail_with(c, MXD_SPF_PERMERROR, "redirect target in %s is not a domain name", domain);
            r = MXD_SPF_PERMERROR;
            goto out;
        }
        decide(c, NULL, NULL, NULL); /* the target's record decides, with its own exp= */
        r = recurse(c, t, name.ptr, node, depth, "redirect");
    } else if (!matched) {
        r = MXD_SPF_NEUTRAL;
        decide(c, NULL, domain, NULL);
    }
out:
    buf_free(&name);
    spf_record_free(&rec);
done:
    node->result = r;
    node->total = c->lookups;
    if ((r == MXD_SPF_PERMERROR || r == MXD_SPF_TEMPERROR || r == MXD_SPF_NONE) && !node->problem &&
        c->problem[0] && !c->problem_node) {
        node->problem = str_dup_n(c->problem, strlen(c->problem));
        c->problem_node = node;
    }
    return r;
}

/* explain - the explanation of a fail (RFC 7208 section 6.2): the exp= TXT record, expanded,
 * or NULL to use the default. Its lookup is not counted against any limit. */
static char *explain(spf_ctx *c)
{
    if (!c->exp || !c->mech_domain)
        return NULL;
    buf name, text;
    buf_init(&name, SPF_MACRO_MAX);
    buf_init(&text, SPF_MACRO_MAX);
    spf_macro_env env;
    macro_env(c, c->mech_domain, &env);
    char *out = NULL;
    mxd_dns_answer *a = NULL;
    if (spf_macro_expand(&env, c->exp, strlen(c->exp), 0, &name) || spf_domain_finish(&name))
        goto done;
    if (query(c, name.ptr, MXD_DNS_TXT, &a) != MXD_DNS_OK || a->n != 1)
        goto done;
    if (spf_macro_expand(&env, a->rr[0].text, a->rr[0].len, 1, &text) == MXD_OK && text.ptr)
        out = buf_steal(&text);
done:
    mxd_dns_answer_free(a);
    buf_free(&name);
    buf_free(&text);
    return out;
}

/* set_identity - sender, local part, sender domain and HELO from the request (section 2.4). */
static mxd_err set_identity(spf_ctx *c, const mxd_spf_request *q)
{
    const char *mf = q->mail_from && *q->mail_from ? q->mail_from : NULL;
    const char *helo = q->helo && *q->helo ? q->helo : NULL;
    buf b;
    buf_init(&b, SPF_MACRO_MAX);
    if (mf) {
        const char *at = strrchr(mf, '@');
        if (at) {
            c->local = at == mf ? str_dup_n("postmaster", 10) : str_dup_n(mf, (size_t)(at - mf));
            c->sdomain = str_dup_n(at + 1, strlen(at + 1));
        } else {
            c->local = str_dup_n("postmaster", 10);
            c->sdomain = str_dup_n(mf, strlen(mf));
        }
    } else if (helo) {
        c->local = str_dup_n("postmaster", 10);
        c->sdomain = str_dup_n(helo, strlen(helo));
    } else if (q->domain && *q->domain) {
        c->local = str_dup_n("postmaster", 10);
        c->sdomain = str_dup_n(q->domain, strlen(q->domain));
    } else {
        return MXD_ERR_INVALID;
    }
    c->helo = str_dup_n(helo ? helo : "unknown", strlen(helo ? helo : "unknown"));
    if (!c->local || !c->sdomain || !c->helo)
        return MXD_ERR_NOMEM;
    if (buf_adds(&b, c->local) || buf_addc(&b, '@') || buf_adds(&b, c->sdomain))
        return MXD_ERR_NOMEM;
    c->sender = buf_steal(&b);
    return c->sender ? MXD_OK : MXD_ERR_NOMEM;
}

static void ctx_free(spf_ctx *c)
{
    free(c->sender);
    free(c->local);
    free(c->sdomain);
    free(c->helo);
    free(c->mech);
    free(c->mech_domain);
    free(c->exp);
    for (size_t i = 0; i < c->nptr; i++)
        free(c->ptr_names[i]);
}

/* mxd_spf_check - check_host() for one request. */
mxd_err mxd_spf_check(mxd_resolver *r, const mxd_spf_request *req, mxd_spf_eval **out)
{
    *out = NULL;
    if (!r || !req || !req->ip)
        return MXD_ERR_INVALID;
    spf_ctx c;
    memset(&c, 0, sizeof c);
    c.r = r;
    c.receiver = req->receiver;
    clock_gettime(CLOCK_MONOTONIC, &c.start);
    if (cidr_parse_ip(req->ip, strlen(req->ip), &c.ip))
        return MXD_ERR_INVALID;
    cidr_unmap(&c.ip);
    mxd_err e = set_identity(&c, req);
    mxd_spf_eval *ev = calloc(1, sizeof *ev);
    if (e || !ev) {
        ctx_free(&c);
        free(ev);
        return e ? e : MXD_ERR_NOMEM;
    }
    const char *domain = req->domain && *req->domain ? req->domain : c.sdomain;
    size_t dl = strlen(domain);
    ev->domain = str_dup_n(domain, dl && domain[dl - 1] == '.' ? dl - 1 : dl);
    ev->sender = str_dup_n(c.sender, strlen(c.sender));
    if (!ev->domain || !ev->sender) {
        c.nomem = 1;
    } else if (!spf_name_valid(domain, dl)) {
        ev->result = MXD_SPF_NONE;
        snprintf(c.problem, sizeof c.problem,
                 "'%s' is not a fully qualified domain name (RFC 7208 4.3)", domain);
    } else {
        ev->tree = spf_node_new(NULL, ev->domain, "top", NULL, 0);
        if (!ev->tree)
            c.nomem = 1;
        else
            ev->result = check_host(&c, ev->domain, ev->tree, 0);
    }
    if (!c.nomem && ev->result == MXD_SPF_FAIL) {
        ev->explanation = explain(&c);
        if (ev->explanation) {
            ev->explanation_from_exp = 1;
        } else {
            buf b;
            buf_init(&b, SPF_MACRO_MAX);
            char ipt[CIDR_TEXT_MAX + 1];
            cidr_format(&c.ip, ipt, sizeof ipt);
            if (buf_printf(&b, "%s is not authorised to send mail for %s by its SPF record", ipt,
                           ev->domain) == MXD_OK)
                ev->explanation = buf_steal(&b);
            buf_free(&b);
        }
    }
    int decided = ev->result != MXD_SPF_TEMPERROR && ev->result != MXD_SPF_PERMERROR &&
                  ev->result != MXD_SPF_NONE;
    if (decided && c.mech) {
        ev->mechanism = c.mech;
        c.mech = NULL;
    }
    if (decided && c.mech_domain) {
        ev->mechanism_domain = c.mech_domain;
        c.mech_domain = NULL;
    }
    if (!decided && c.problem[0])
        ev->problem = str_dup_n(c.problem, strlen(c.problem));
    ev->dns_lookups = c.lookups;
    ev->void_lookups = c.voids;
    ev->dns_queries = c.queries;
    int nomem = c.nomem;
    ctx_free(&c);
    if (nomem) {
        mxd_spf_eval_free(ev);
        return MXD_ERR_NOMEM;
    }
    *out = ev;
    return MXD_OK;
}

/* mxd_spf_eval_free - release an evaluation; NULL is fine. */
void mxd_spf_eval_free(mxd_spf_eval *e)
{
    if (!e)
        return;
    free(e->domain);
    free(e->sender);
    free(e->explanation);
    free(e->mechanism);
    free(e->mechanism_domain);
    free(e->problem);
    spf_node_free(e->tree);
    free(e);
}
