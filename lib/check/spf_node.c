/* spf_node.c - SPF record tree, record selection and JSON of evaluations
 * SPDX-License-Identifier: MIT
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "check/spf_internal.h"
#include "check/spf_node.h"
#include "check/checkutil.h"
#include "util/str.h"

/* spf_node_new - a tree node, linked under parent. */
mxd_spf_node *spf_node_new(mxd_spf_node *parent, const char *domain, const char *via,
                           const char *term, size_t termlen)
{
    mxd_spf_node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->via = via;
    n->domain = str_dup_n(domain, strlen(domain));
    n->term = term ? str_dup_n(term, termlen) : NULL;
    if (!n->domain || (term && !n->term)) {
        spf_node_free(n);
        return NULL;
    }
    if (parent) {
        mxd_spf_node **v = realloc(parent->children, (parent->nchildren + 1) * sizeof *v);
        if (!v) {
            spf_node_free(n);
            return NULL;
        }
        parent->children = v;
        v[parent->nchildren++] = n;
    }
    return n;
}

/* spf_node_free - a node and everything below it. */
void spf_node_free(mxd_spf_node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nchildren; i++)
        spf_node_free(n->children[i]);
    free(n->children);
    free(n->domain);
    free(n->record);
    free(n->term);
    free(n->problem);
    free(n);
}

/* spf_select - count the v=spf1 records of a TXT answer and keep the only one. */
mxd_err spf_select(const mxd_dns_answer *a, spf_fetch *f)
{
    memset(f, 0, sizeof *f);
    f->status = a->status;
    f->truncated = a->truncated;
    /* header, question (name in wire form + type + class), then each record with a
     * compressed owner name (2), type, class, TTL, length (10) and its strings */
    size_t ql = a->qname ? strlen(a->qname) : 0;
    f->udp_size = 12 + (ql && a->qname[ql - 1] == '.' ? ql + 1 : ql + 2) + 4;
    for (size_t i = 0; i < a->n; i++) {
        const mxd_dns_rr *rr = &a->rr[i];
        f->udp_size += 12 + rr->len + (size_t)(rr->nstrings > 0 ? rr->nstrings : 1);
        if (rr->type != MXD_DNS_TXT || !rr->text || !spf_is_v1(rr->text, rr->len))
            continue;
        if (++f->count == 1) {
            f->record = malloc(rr->len + 1);
            if (!f->record)
                return MXD_ERR_NOMEM;
            memcpy(f->record, rr->text, rr->len);
            f->record[rr->len] = 0;
            f->len = rr->len;
        }
    }
    if (f->count != 1) {
        free(f->record);
        f->record = NULL;
    }
    return MXD_OK;
}

#define str_or_null(s) ((json_t *)checkutil_json_str(s))

/* spf_json_node - {"domain", "via", "term", "record", "lookups", "total", "void_lookups",
 * "result", "problem", "children"}. */
void *spf_json_node(const mxd_spf_node *n)
{
    json_t *o = json_object();
    json_t *kids = json_array();
    if (!o || !kids) {
        json_decref(o);
        json_decref(kids);
        return NULL;
    }
    json_object_set_new(o, "domain", str_or_null(n->domain));
    json_object_set_new(o, "via", json_string(n->via));
    json_object_set_new(o, "term", str_or_null(n->term));
    json_object_set_new(o, "record", str_or_null(n->record));
    json_object_set_new(o, "lookups", json_integer(n->lookups));
    json_object_set_new(o, "total", json_integer(n->total));
    json_object_set_new(o, "void_lookups", json_integer(n->void_lookups));
    json_object_set_new(o, "result", json_string(mxd_spf_result_name(n->result)));
    json_object_set_new(o, "problem", str_or_null(n->problem));
    for (size_t i = 0; i < n->nchildren; i++) {
        json_t *c = spf_json_node(n->children[i]);
        if (c)
            json_array_append_new(kids, c);
    }
    json_object_set_new(o, "children", kids);
    return o;
}

/* mxd_spf_eval_json - the evaluation as JSON. */
char *mxd_spf_eval_json(const mxd_spf_eval *e, int pretty)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "result", json_string(mxd_spf_result_name(e->result)));
    json_object_set_new(o, "domain", json_string(e->domain ? e->domain : ""));
    json_object_set_new(o, "explanation", str_or_null(e->explanation));
    json_object_set_new(o, "explanation_source",
                        e->explanation ? json_string(e->explanation_from_exp ? "exp" : "default")
                                       : json_null());
    json_object_set_new(o, "mechanism", str_or_null(e->mechanism));
    json_object_set_new(o, "mechanism_domain", str_or_null(e->mechanism_domain));
    json_object_set_new(o, "problem", str_or_null(e->problem));
    json_object_set_new(o, "dns_lookups", json_integer(e->dns_lookups));
    json_object_set_new(o, "void_lookups", json_integer(e->void_lookups));
    json_object_set_new(o, "tree", e->tree ? (json_t *)spf_json_node(e->tree) : json_null());
    return checkutil_json_dump(o, pretty);
}
