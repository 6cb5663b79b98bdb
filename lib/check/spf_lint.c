/* spf_lint.c - lint a domain's SPF policy without a client IP
 * SPDX-License-Identifier: MIT
 *
 * Walks the record and everything it includes or redirects to, the way a receiver would in
 * the worst case (every term evaluated), counting DNS-querying terms and void lookups, and
 * resolving a/mx terms to flatten the policy into the networks it authorises. The walk is
 * bounded: at most MXD_SPF_MAX_DEPTH levels, MXD_SPF_MAX_QUERIES queries and
 * SPF_LINT_MAX_RECORDS records; include loops are detected and not followed.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check/checkutil.h"
#include "check/spf_internal.h"
#include "check/spf_node.h"
#include "util/str.h"

/* Records looked at in one lint, all levels together. */
#define SPF_LINT_MAX_RECORDS 64
/* Flattened networks kept. */
#define SPF_LINT_MAX_NETS 4096

typedef struct lint_ctx {
    mxd_resolver *r;
    int lookups, voids, queries, records;
    char *over_limit;
    checkutil_findings f;
    mxd_spf_net *nets;
    size_t nnets, anets;
    int flattenable;
    int temp, perm, nomem;
    size_t udp_size;
    const char *stack[MXD_SPF_MAX_DEPTH + 2]; /* domains from the top to the current record */
    int sp;
} lint_ctx;

#define AREA "spf"

static mxd_dns_status query(lint_ctx *c, const char *name, int type, mxd_dns_answer **out)
{
    return spf_query(c->r, &c->queries, &c->nomem, name, type, out);
}

/* add_net - one flattened network (deduplicated). */
static void add_net(lint_ctx *c, const cidr_addr *a, unsigned prefix, char qual, const char *domain,
                    const spf_term *t)
{
    char addr[CIDR_TEXT_MAX + 1], net[CIDR_TEXT_MAX + 12], src[600];
    cidr_format(a, addr, sizeof addr);
    if (prefix >= (a->family == 4 ? 32u : 128u))
        snprintf(net, sizeof net, "%s", addr);
    else
        snprintf(net, sizeof net, "%s/%u", addr, prefix);
    for (size_t i = 0; i < c->nnets; i++)
        if (!strcmp(c->nets[i].net, net))
            return;
    if (c->nnets >= SPF_LINT_MAX_NETS)
        return;
    if (c->nnets == c->anets) {
        size_t na = c->anets ? c->anets * 2 : 16;
        mxd_spf_net *v = realloc(c->nets, na * sizeof *v);
        if (!v) {
            c->nomem = 1;
            return;
        }
        c->nets = v;
        c->anets = na;
    }
    snprintf(src, sizeof src, "%s %.*s", domain, (int)(t->len > 200 ? 200 : t->len), t->text);
    mxd_spf_net *n = &c->nets[c->nnets];
    n->net = str_dup_n(net, strlen(net));
    n->source = str_dup_n(src, strlen(src));
    n->qualifier = qual;
    if (!n->net || !n->source) {
        free(n->net);
        free(n->source);
        c->nomem = 1;
        return;
    }
    c->nnets++;
}

/* add_addrs - the A and AAAA records of name as networks; returns how many were found, or
 * -1 on DNS trouble. */
static int add_addrs(lint_ctx *c, const char *name, const spf_term *t, const char *domain)
{
    int found = 0, trouble = 0;
    for (int k = 0; k < 2; k++) {
        mxd_dns_answer *a;
        mxd_dns_status s = query(c, name, k ? MXD_DNS_AAAA : MXD_DNS_A, &a);
        if (s == MXD_DNS_OK) {
            for (size_t i = 0; i < a->n; i++) {
                cidr_addr x;
                if (cidr_parse_ip(a->rr[i].addr, strlen(a->rr[i].addr), &x) == 0) {
                    add_net(c, &x, x.family == 4 ? t->cidr4 : t->cidr6, t->qual, domain, t);
                    found++;
                }
            }
        } else if (!spf_is_void(s)) {
            trouble = 1;
        }
        mxd_dns_answer_free(a);
    }
    return trouble && !found ? -1 : found;
}

static void dns_trouble(lint_ctx *c, const char *name, const char *what, mxd_dns_status s)
{
    c->temp = 1;
    checkutil_finding(&c->f, MXD_SEV_WARNING, AREA, "spf-dns",
                      "Check again later; if it persists, fix the DNS servers of that name.",
                      "DNS %s for %s (%s): receivers would get temperror", mxd_dns_status_name(s),
                      name, what);
}

static void count_void(lint_ctx *c, mxd_spf_node *node, const char *name, const spf_term *t)
{
    c->voids++;
    node->void_lookups++;
    checkutil_finding(&c->f, MXD_SEV_WARNING, AREA, "spf-void-lookup",
                      "Remove the term or publish the name: each lookup that finds nothing "
                      "counts, and more than 2 make SPF fail with permerror.",
                      "'%.*s' in %s looks up %s, which has no records (a void lookup)",
                      (int)(t->len > 200 ? 200 : t->len), t->text, node->domain, name);
}

/* on_path - is domain one of the records on the way from the top to here (a loop)? */
static int on_path(const lint_ctx *c, const char *domain)
{
    for (int i = 0; i < c->sp; i++)
        if (str_caseeq(c->stack[i], strlen(c->stack[i]), domain))
            return 1;
    return 0;
}

static void lint_record(lint_ctx *c, const char *domain, mxd_spf_node *node, int depth,
                        const char *path);

/* follow - an include or redirect target without macros: a child node, linted. */
static void follow(lint_ctx *c, const spf_term *t, const char *domain, mxd_spf_node *node,
                   int depth, const char *path, const char *via)
{
    if (spf_has_macro(t->spec, t->speclen)) {
        c->flattenable = 0;
        checkutil_finding(&c->f, MXD_SEV_INFO, AREA, "spf-macro-target", NULL,
                          "'%.*s' in %s depends on macros: its target is known only per "
                          "message",
                          (int)(t->len > 200 ? 200 : t->len), t->text, domain);
        return;
    }
    buf b;
    buf_init(&b, SPF_MACRO_MAX);
    if (buf_add(&b, t->spec, t->speclen) || spf_domain_finish(&b)) {
        buf_free(&b);
        c->perm = 1;
        checkutil_finding(&c->f, MXD_SEV_ERROR, AREA, "spf-bad-target", NULL,
                          "'%.*s' in %s does not name a valid domain",
                          (int)(t->len > 200 ? 200 : t->len), t->text, domain);
        return;
    }
    if (on_path(c, b.ptr)) {
        c->perm = 1;
        checkutil_finding(&c->f, MXD_SEV_ERROR, AREA, "spf-loop",
                          "Remove the term that points back: receivers stop with permerror.",
                          "'%.*s' in %s loops back to a record already on the way here",
                          (int)(t->len > 200 ? 200 : t->len), t->text, domain);
        buf_free(&b);
        return;
    }
    if (depth + 1 > MXD_SPF_MAX_DEPTH || c->records >= SPF_LINT_MAX_RECORDS) {
        c->perm = 1;
        checkutil_finding(&c->f, MXD_SEV_ERROR, AREA, "spf-too-deep", NULL,
                          "the includes nest too deep at %s", b.ptr);
        buf_free(&b);
        return;
    }
    mxd_spf_node *child = spf_node_new(node, b.ptr, via, t->text, t->len);
    if (!child) {
        c->nomem = 1;
        buf_free(&b);
        return;
    }
    char sub[1024];
    snprintf(sub, sizeof sub, "%s%s%.*s", path, *path ? " > " : "",
             (int)(t->len > 200 ? 200 : t->len), t->text);
    lint_record(c, b.ptr, child, depth + 1, sub);
    buf_free(&b);
}

/* lint_term - one mechanism or modifier. */
static void lint_term(lint_ctx *c, const spf_term *t, const spf_record *rec, const char *domain,
                      mxd_spf_node *node, int depth, const char *path)
{
    int tl = (int)(t->len > 200 ? 200 : t->len);
    if (spf_is_dns_term(t->kind)) {
        c->lookups++;
        node->lookups++;
        if (c->lookups == MXD_SPF_MAX_DNS_TERMS + 1 && !c->over_limit) {
            char where[1200];
            snprintf(where, sizeof where, "%s%s%.*s (in %s)", path, *path ? " > " : "", tl, t->text,
                     domain);
            c->over_limit = str_dup_n(where, strlen(where));
        }
    }
    switch (t->kind) {
    case SPF_IP4:
    case SPF_IP6:
        add_net(c, &t->net, t->prefix, t->qual, domain, t);
        break;
    case SPF_ALL:
        if (t->qual == '+')
            checkutil_finding(&c->f, MXD_SEV_ERROR, AREA, "spf-plus-all",
                              "End the record with -all (or ~all while testing).",
                              "%s%s ends with +all: every IP address on the internet may "
                              "send as this domain",
                              depth ? "the included record of " : "", domain);
        else if (t->qual == '?' && depth == 0)
            checkutil_finding(&c->f, MXD_SEV_WARNING, AREA, "spf-neutral-all",
                              "End the record with -all (or ~all while testing).",
                              "%s ends with ?all: unlisted senders get neutral, which protects "
                              "nothing",
                              domain);
        break;
    case SPF_PTR:
        c->flattenable = 0;
        checkutil_finding(&c->f, MXD_SEV_WARNING, AREA, "spf-ptr",
                          "Replace ptr with ip4:/ip6: or a: terms for the sending hosts.",
                          "'%.*s' in %s: the ptr mechanism is slow, unreliable and deprecated "
                          "(RFC 7208 5.5); many receivers ignore it",
                          tl, t->text, domain);
        break;
    case SPF_EXISTS:
        c->flattenable = 0;
        break;
    case SPF_A:
    case SPF_MX: {
        if (t->spec && spf_has_macro(t->spec, t->speclen)) {
            c->flattenable = 0;
            break;
        }
        buf b;
        buf_init(&b, SPF_MACRO_MAX);
        mxd_err e = t->spec ? buf_add(&b, t->spec, t->speclen) : buf_adds(&b, domain);
        if (e || spf_domain_finish(&b)) {
            buf_free(&b);
            break;
        }
        if (t->kind == SPF_A) {
            int n = add_addrs(c, b.ptr, t, domain);
            if (n == 0)
                count_void(c, node, b.ptr, t);
            else if (n < 0)
                dns_trouble(c, b.ptr, "a", MXD_DNS_ERROR);
        } else {
            mxd_dns_answer *a;
            mxd_dns_status s = query(c, b.ptr, MXD_DNS_MX, &a);
            if (spf_is_void(s)) {
                count_void(c, node, b.ptr, t);
            } else if (s != MXD_DNS_OK) {
                dns_trouble(c, b.ptr, "mx", s);
            } else if (a->n > MXD_SPF_MAX_MX) {
                c->perm = 1;
                checkutil_finding(&c->f, MXD_SEV_ERROR, AREA, "spf-mx-many",
                                  "Use ip4:/ip6: terms or fewer MX hosts.",
                                  "'%.*s' in %s: %s has %zu MX records, more than 10 make the "
                                  "mx mechanism a permerror",
                                  tl, t->text, domain, b.ptr, a->n);
            } else {
                for (size_t i = 0; i < a->n; i++)
                    if (a->rr[i].name && *a->rr[i].name)
                        add_addrs(c, a->rr[i].name, t, domain);
            }
            mxd_dns_answer_free(a);
        }
        buf_free(&b);
        break;
    }
    case SPF_INCLUDE:
        follow(c, t, domain, node, depth, path, "include");
        break;
    case SPF_REDIRECT: {
        int has_all = 0;
        for (size_t i = 0; i < rec->n; i++)
            has_all |= rec->t[i].kind == SPF_ALL;
        if (has_all) {
            c->lookups--; /* never evaluated */
            node->lookups--;
            checkutil_finding(&c->f, MXD_SEV_WARNING, AREA, "spf-redirect-ignored",
                              "Remove either the all term or the redirect.",
                              "%s has both all and redirect=: the redirect is never used", domain);
        } else {
            follow(c, t, domain, node, depth, path, "redirect");
        }
        break;
    }
    default:
        break;
    }
}

static void lint_walk(lint_ctx *c, const char *domain, mxd_spf_node *node, int depth,
                      const char *path);

/* lint_record - fetch, check and walk one record. */
static void lint_record(lint_ctx *c, const char *domain, mxd_spf_node *node, int depth,
                        const char *path)
{
    c->records++;
    c->stack[c->sp++] = domain;
    lint_walk(c, domain, node, depth, path);
    c->sp--;
}

/* lint_walk - the body of lint_record. */
static void lint_walk(lint_ctx *c, const char *domain, mxd_spf_node *node, int depth,
                      const char *path)
{
    mxd_dns_answer *a;
    mxd_dns_status s = query(c, domain, MXD_DNS_TXT, &a);
    spf_fetch f = {0};
    const char *role = depth ? "include/redirect target" : "domain";
    if (!spf_is_void(s) && s != MXD_DNS_OK) {
        dns_trouble(c, domain, "TXT", s);
        node->problem = str_dup_n("DNS trouble", 11);
        mxd_dns_answer_free(a);
        return;
    }
    if (s == MXD_DNS_OK && spf_select(a, &f)) {
        c->nomem = 1;
        mxd_dns_answer_free(a);
        return;
    }
    mxd_dns_answer_free(a);
    if (depth == 0)
        c->udp_size = f.udp_size;
    if (f.truncated && f.count < 2) {
        /* records past the cap were not seen: one more v=spf1 there would change the verdict */
        c->temp = 1;
        checkutil_finding(&c->f, MXD_SEV_WARNING, AREA, "spf-answer-cut",
                          "Remove unused TXT records at that name.",
                          "%s has more than %d TXT records: the rest were not read, so its SPF "
                          "record cannot be told",
                          domain, MXD_DNS_MAX_RRS);
        node->problem = str_dup_n("TXT answer cut", 14);
        free(f.record);
        return;
    }
    if (f.udp_size > MXD_SPF_UDP_LIMIT)
        checkutil_finding(&c->f, MXD_SEV_WARNING, AREA, "spf-udp-size",
                          "Remove unused TXT records at that name or shorten the SPF record "
                          "(move parts into an include).",
                          "the TXT answer for %s is %zu bytes, more than fits one %d-byte UDP "
                          "answer: receivers must retry over TCP, and some fail",
                          domain, f.udp_size, MXD_SPF_UDP_LIMIT);
    if (f.count == 0) {
        if (depth == 0) {
            checkutil_finding(&c->f, MXD_SEV_ERROR, AREA, "spf-none",
                              "Publish one TXT record such as \"v=spf1 mx -all\" listing "
                              "every service that sends as this domain.",
                              "%s has no SPF record: receivers cannot tell its mail from "
                              "forgeries (Gmail, Yahoo and Microsoft require SPF or DKIM)",
                              domain);
        } else {
            c->perm = 1;
            checkutil_finding(&c->f, MXD_SEV_ERROR, AREA, "spf-include-none",
                              "Fix or remove the term that points there.",
                              "%s (%s) has no SPF record: the include/redirect is a permerror",
                              domain, role);
        }
        node->problem = str_dup_n("no SPF record", 13);
        return;
    }
    if (f.count > 1) {
        c->perm = 1;
        checkutil_finding(&c->f, MXD_SEV_ERROR, AREA, "spf-multiple",
                          "Merge them into one record: two v=spf1 records are a permerror.",
                          "%s has %d SPF records", domain, f.count);
        node->problem = str_dup_n("several SPF records", 19);
        free(f.record);
        return;
    }
    node->record = f.record;
    spf_record rec;
    char why[256] = "";
    mxd_err pe = spf_record_parse(node->record, f.len, &rec, why, sizeof why);
    if (pe) {
        spf_record_free(&rec);
        if (pe == MXD_ERR_NOMEM) {
            c->nomem = 1;
            return;
        }
        c->perm = 1;
        checkutil_finding(&c->f, MXD_SEV_ERROR, AREA, "spf-syntax",
                          "Correct the record: a syntax error anywhere makes the whole policy a "
                          "permerror.",
                          "the SPF record of %s has a syntax error: %s", domain, why);
        node->problem = str_dup_n(why, strlen(why));
        return;
    }
    int seen_all = 0, has_redirect = rec.redirect >= 0;
    for (size_t i = 0; i < rec.n && !c->nomem; i++) {
        const spf_term *t = &rec.t[i];
        if (seen_all && t->kind < SPF_REDIRECT) {
            checkutil_finding(&c->f, MXD_SEV_INFO, AREA, "spf-after-all", NULL,
                              "terms after 'all' in %s are never evaluated", domain);
            seen_all = 2;
        }
        if (seen_all == 2)
            break;
        if (t->kind == SPF_ALL)
            seen_all = 1;
        lint_term(c, t, &rec, domain, node, depth, path);
    }
    if (depth == 0 && !seen_all && !has_redirect)
        checkutil_finding(&c->f, MXD_SEV_WARNING, AREA, "spf-no-all",
                          "End the record with -all (or ~all while testing).",
                          "the SPF record of %s has no all term: unlisted senders get neutral",
                          domain);
    node->total = c->lookups;
    spf_record_free(&rec);
}

/* mxd_spf_lint - lint one domain. */
mxd_err mxd_spf_lint(mxd_resolver *r, const char *domain, mxd_spf_report **out)
{
    *out = NULL;
    if (!r || !domain || !spf_name_valid(domain, strlen(domain)))
        return MXD_ERR_INVALID;
    lint_ctx c;
    memset(&c, 0, sizeof c);
    c.r = r;
    c.flattenable = 1;
    mxd_spf_report *rep = calloc(1, sizeof *rep);
    if (!rep)
        return MXD_ERR_NOMEM;
    size_t dl = strlen(domain);
    rep->domain = str_dup_n(domain, domain[dl - 1] == '.' ? dl - 1 : dl);
    rep->tree = rep->domain ? spf_node_new(NULL, rep->domain, "top", NULL, 0) : NULL;
    if (!rep->tree) {
        mxd_spf_report_free(rep);
        return MXD_ERR_NOMEM;
    }
    lint_record(&c, rep->domain, rep->tree, 0, "");
    if (c.lookups > MXD_SPF_MAX_DNS_TERMS) {
        c.perm = 1;
        checkutil_finding(&c.f, MXD_SEV_ERROR, AREA, "spf-too-many-lookups",
                          "Remove unused includes, replace a/mx terms by ip4:/ip6:, or flatten "
                          "includes into ip4:/ip6: terms (and keep them up to date).",
                          "the policy needs %d DNS lookups, more than 10: receivers stop with "
                          "permerror at %s",
                          c.lookups, c.over_limit ? c.over_limit : "the 11th");
    }
    if (c.voids > MXD_SPF_MAX_VOID) {
        c.perm = 1;
        checkutil_finding(&c.f, MXD_SEV_ERROR, AREA, "spf-too-many-void",
                          "Remove the terms whose names do not exist (listed below).",
                          "the policy has %d void lookups, more than 2: receivers stop with "
                          "permerror at the third",
                          c.voids);
    }
    if (c.f.nomem)
        c.nomem = 1;
    if (c.nomem) {
        checkutil_findings_free(c.f.v, c.f.n);
        for (size_t i = 0; i < c.nnets; i++) {
            free(c.nets[i].net);
            free(c.nets[i].source);
        }
        free(c.nets);
        free(c.over_limit);
        mxd_spf_report_free(rep);
        return MXD_ERR_NOMEM;
    }
    rep->record =
        rep->tree->record ? str_dup_n(rep->tree->record, strlen(rep->tree->record)) : NULL;
    /* several records at the top are a permerror (RFC 7208 section 4.5), not "none" */
    rep->status = c.perm                          ? MXD_SPF_PERMERROR
                  : !rep->tree->record && !c.temp ? MXD_SPF_NONE
                  : c.temp                        ? MXD_SPF_TEMPERROR
                                                  : MXD_SPF_NEUTRAL;
    rep->tree->result = rep->status;
    rep->dns_lookups = c.lookups;
    rep->void_lookups = c.voids;
    rep->over_limit = c.lookups > MXD_SPF_MAX_DNS_TERMS ? c.over_limit : NULL;
    if (!rep->over_limit)
        free(c.over_limit);
    rep->udp_size = c.udp_size;
    rep->flattenable = c.flattenable;
    rep->nets = c.nets;
    rep->nnets = c.nnets;
    mxd_findings_sort(c.f.v, c.f.n);
    rep->findings = c.f.v;
    rep->nfindings = c.f.n;
    *out = rep;
    return MXD_OK;
}

/* mxd_spf_report_free - release a lint report; NULL is fine. */
void mxd_spf_report_free(mxd_spf_report *l)
{
    if (!l)
        return;
    free(l->domain);
    free(l->record);
    free(l->over_limit);
    for (size_t i = 0; i < l->nnets; i++) {
        free(l->nets[i].net);
        free(l->nets[i].source);
    }
    free(l->nets);
    checkutil_findings_free(l->findings, l->nfindings);
    spf_node_free(l->tree);
    free(l);
}

/* mxd_spf_report_json - the lint as JSON. */
char *mxd_spf_report_json(const mxd_spf_report *l, int pretty)
{
    static const char *const status[] = {"none", "valid", "", "", "", "temperror", "permerror"};
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "domain", checkutil_json_str(l->domain));
    json_object_set_new(o, "record", checkutil_json_str(l->record));
    json_object_set_new(o, "status", json_string(status[l->status]));
    json_object_set_new(o, "dns_lookups", json_integer(l->dns_lookups));
    json_object_set_new(o, "void_lookups", json_integer(l->void_lookups));
    json_object_set_new(o, "over_limit", checkutil_json_str(l->over_limit));
    json_object_set_new(o, "udp_size", json_integer((json_int_t)l->udp_size));
    json_object_set_new(o, "flattenable", json_boolean(l->flattenable));
    json_t *nets = json_array();
    for (size_t i = 0; nets && i < l->nnets; i++) {
        json_t *n = json_object();
        char q[2] = {(char)l->nets[i].qualifier, 0};
        json_object_set_new(n, "net", json_string(l->nets[i].net));
        json_object_set_new(n, "qualifier", json_string(q));
        json_object_set_new(n, "source", checkutil_json_str(l->nets[i].source));
        json_array_append_new(nets, n);
    }
    json_object_set_new(o, "networks", nets);
    json_object_set_new(o, "findings", checkutil_json_findings(l->findings, l->nfindings));
    json_object_set_new(o, "tree", l->tree ? (json_t *)spf_json_node(l->tree) : json_null());
    return checkutil_json_dump(o, pretty);
}
