/* answer.c - turn a raw DNS answer into mxd_dns_rr records, with c-ares' parsers
 * SPDX-License-Identifier: MIT
 *
 * A, AAAA, MX, TXT, PTR, NS and SOA go through ares_parse_*_reply(); CNAME (which c-ares
 * has no parser for) through a small bounded walk of the answer section that uses
 * ares_expand_name() for the names. At most DNS_MAX_RRS records are kept.
 */
#include <ares.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dns/dns_internal.h"
#include "util/str.h"

#define DNS_HEADER_LEN 12
#define DNS_SOA_TEXT   512 /* "RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM" */

void dns_rrs_free(mxd_dns_rr *rr, size_t n)
{
    if (!rr)
        return;
    for (size_t i = 0; i < n; i++) {
        free(rr[i].name);
        free(rr[i].text);
    }
    free(rr);
}

/* map_status - a c-ares parser status to ours. */
static mxd_err map_status(int st)
{
    switch (st) {
    case ARES_SUCCESS:
        return MXD_OK;
    case ARES_ENODATA:
        return MXD_ERR_NOTFOUND;
    case ARES_ENOMEM:
        return MXD_ERR_NOMEM;
    default:
        return MXD_ERR_PARSE;
    }
}

/* strip_dot - names without their trailing dot. */
static char *name_dup(const char *s)
{
    size_t l = strlen(s);
    while (l > 1 && s[l - 1] == '.')
        l--;
    if (l == 1 && s[0] == '.')
        l = 0;
    return str_dup_n(s, l);
}

/* rr_list - a growing array of records, capped at DNS_MAX_RRS. */
typedef struct rr_list {
    mxd_dns_rr *v;
    size_t n, alloc;
    int cut; /* a record was refused: DNS_MAX_RRS reached */
} rr_list;

/* rr_add - room for one more record; NULL when out of memory or past DNS_MAX_RRS (then cut
 * is set). */
static mxd_dns_rr *rr_add(rr_list *l, int type)
{
    if (l->n >= DNS_MAX_RRS) {
        l->cut = 1;
        return NULL;
    }
    if (l->n == l->alloc) {
        size_t na = l->alloc ? l->alloc * 2 : 4;
        mxd_dns_rr *p = realloc(l->v, na * sizeof *p);
        if (!p)
            return NULL;
        l->v = p;
        l->alloc = na;
    }
    mxd_dns_rr *r = &l->v[l->n++];
    memset(r, 0, sizeof *r);
    r->type = type;
    return r;
}

static mxd_err parse_a(int qtype, const unsigned char *abuf, int alen, rr_list *l)
{
    struct ares_addrttl a4[DNS_MAX_RRS];
    struct ares_addr6ttl a6[DNS_MAX_RRS];
    int n = DNS_MAX_RRS;
    int st = qtype == MXD_DNS_A ? ares_parse_a_reply(abuf, alen, NULL, a4, &n)
                                : ares_parse_aaaa_reply(abuf, alen, NULL, a6, &n);
    if (st != ARES_SUCCESS)
        return map_status(st);
    /* c-ares fills at most DNS_MAX_RRS: more answer records than that may have been dropped */
    if (n == DNS_MAX_RRS && alen >= DNS_HEADER_LEN &&
        ((unsigned)abuf[6] << 8 | abuf[7]) > DNS_MAX_RRS)
        l->cut = 1;
    for (int i = 0; i < n; i++) {
        mxd_dns_rr *r = rr_add(l, qtype);
        if (!r)
            break;
        if (qtype == MXD_DNS_A) {
            inet_ntop(AF_INET, &a4[i].ipaddr, r->addr, sizeof r->addr);
            r->ttl = a4[i].ttl > 0 ? (unsigned)a4[i].ttl : 0;
        } else {
            inet_ntop(AF_INET6, &a6[i].ip6addr, r->addr, sizeof r->addr);
            r->ttl = a6[i].ttl > 0 ? (unsigned)a6[i].ttl : 0;
        }
    }
    return MXD_OK;
}

static mxd_err parse_mx(const unsigned char *abuf, int alen, rr_list *l)
{
    struct ares_mx_reply *mx = NULL;
    int st = ares_parse_mx_reply(abuf, alen, &mx);
    if (st != ARES_SUCCESS)
        return map_status(st);
    mxd_err e = MXD_OK;
    for (struct ares_mx_reply *m = mx; m && !e; m = m->next) {
        mxd_dns_rr *r = rr_add(l, MXD_DNS_MX);
        if (!r)
            break;
        r->pref = m->priority;
        r->name = name_dup(m->host ? m->host : "");
        if (!r->name)
            e = MXD_ERR_NOMEM;
    }
    ares_free_data(mx);
    return e;
}

static mxd_err parse_txt(const unsigned char *abuf, int alen, rr_list *l)
{
    struct ares_txt_ext *txt = NULL;
    int st = ares_parse_txt_reply_ext(abuf, alen, &txt);
    if (st != ARES_SUCCESS)
        return map_status(st);
    mxd_err e = MXD_OK;
    for (struct ares_txt_ext *t = txt; t && !e;) {
        /* one record: this chunk and the following ones up to the next record_start */
        size_t total = 0;
        int nstr = 0;
        struct ares_txt_ext *u = t;
        do {
            total += u->length;
            nstr++;
            u = u->next;
        } while (u && !u->record_start);
        mxd_dns_rr *r = rr_add(l, MXD_DNS_TXT);
        if (!r)
            break;
        r->text = malloc(total + 1);
        if (!r->text) {
            e = MXD_ERR_NOMEM;
            break;
        }
        size_t off = 0;
        for (; t != u; t = t->next) {
            if (t->length)
                memcpy(r->text + off, t->txt, t->length);
            off += t->length;
        }
        r->text[off] = 0;
        r->len = off;
        r->nstrings = nstr;
    }
    ares_free_data(txt);
    return e;
}

/* parse_hostent_names - PTR and NS: c-ares lists every name in h_aliases. */
static mxd_err parse_names(int qtype, const unsigned char *abuf, int alen, rr_list *l)
{
    struct hostent *h = NULL;
    int st;
    if (qtype == MXD_DNS_PTR) {
        unsigned char dummy[4] = {0, 0, 0, 0};
        st = ares_parse_ptr_reply(abuf, alen, dummy, sizeof dummy, AF_INET, &h);
    } else {
        st = ares_parse_ns_reply(abuf, alen, &h);
    }
    if (st != ARES_SUCCESS)
        return map_status(st);
    mxd_err e = MXD_OK;
    for (char **a = h->h_aliases; a && *a && !e; a++) {
        mxd_dns_rr *r = rr_add(l, qtype);
        if (!r)
            break;
        r->name = name_dup(*a);
        if (!r->name)
            e = MXD_ERR_NOMEM;
    }
    ares_free_hostent(h);
    if (!e && l->n == 0)
        e = MXD_ERR_NOTFOUND;
    return e;
}

static mxd_err parse_soa(const unsigned char *abuf, int alen, rr_list *l)
{
    struct ares_soa_reply *soa = NULL;
    int st = ares_parse_soa_reply(abuf, alen, &soa);
    if (st != ARES_SUCCESS)
        return map_status(st);
    mxd_err e = MXD_OK;
    mxd_dns_rr *r = rr_add(l, MXD_DNS_SOA);
    if (r) {
        char t[DNS_SOA_TEXT];
        snprintf(t, sizeof t, "%s %u %u %u %u %u", soa->hostmaster, soa->serial, soa->refresh,
                 soa->retry, soa->expire, soa->minttl);
        r->name = name_dup(soa->nsname);
        r->text = str_dup_n(t, strlen(t));
        if (!r->name || !r->text)
            e = MXD_ERR_NOMEM;
        else
            r->len = strlen(r->text);
    }
    ares_free_data(soa);
    return e;
}

static unsigned get16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* skip_name - advance over an encoded name at p; -1 when it runs past the buffer. */
static int skip_name(const unsigned char *abuf, int alen, const unsigned char **p)
{
    char *s = NULL;
    long enclen = 0;
    if (ares_expand_name(*p, abuf, alen, &s, &enclen) != ARES_SUCCESS)
        return -1;
    ares_free_string(s);
    if (enclen <= 0 || enclen > alen - (*p - abuf))
        return -1;
    *p += enclen;
    return 0;
}

/* parse_cname - the CNAME records of the answer section. */
static mxd_err parse_cname(const unsigned char *abuf, int alen, rr_list *l)
{
    if (alen < DNS_HEADER_LEN)
        return MXD_ERR_PARSE;
    unsigned qd = get16(abuf + 4), an = get16(abuf + 6);
    const unsigned char *p = abuf + DNS_HEADER_LEN, *end = abuf + alen;
    for (unsigned i = 0; i < qd; i++) {
        if (skip_name(abuf, alen, &p) || end - p < 4)
            return MXD_ERR_PARSE;
        p += 4;
    }
    for (unsigned i = 0; i < an; i++) {
        if (skip_name(abuf, alen, &p) || end - p < 10)
            return MXD_ERR_PARSE;
        unsigned type = get16(p), rdlen = get16(p + 8);
        unsigned long ttl =
            (unsigned long)p[4] << 24 | (unsigned long)p[5] << 16 | (unsigned long)p[6] << 8 | p[7];
        p += 10;
        if ((unsigned long)(end - p) < rdlen)
            return MXD_ERR_PARSE;
        if (type == MXD_DNS_CNAME) {
            char *s = NULL;
            long enclen = 0;
            if (ares_expand_name(p, abuf, alen, &s, &enclen) != ARES_SUCCESS)
                return MXD_ERR_PARSE;
            mxd_dns_rr *r = rr_add(l, MXD_DNS_CNAME);
            if (r) {
                r->name = name_dup(s);
                r->ttl = ttl > 0x7fffffffUL ? 0 : (unsigned)ttl;
            }
            ares_free_string(s);
            if (r && !r->name)
                return MXD_ERR_NOMEM;
        }
        p += rdlen;
    }
    return l->n ? MXD_OK : MXD_ERR_NOTFOUND;
}

mxd_err dns_answer_parse(int qtype, const unsigned char *abuf, int alen, mxd_dns_rr **rr, size_t *n)
{
    int cut;
    return dns_answer_parse_cut(qtype, abuf, alen, rr, n, &cut);
}

mxd_err dns_answer_parse_cut(int qtype, const unsigned char *abuf, int alen, mxd_dns_rr **rr,
                             size_t *n, int *truncated)
{
    rr_list l = {0};
    mxd_err e;
    *rr = NULL;
    *n = 0;
    *truncated = 0;
    if (!abuf || alen < DNS_HEADER_LEN)
        return MXD_ERR_PARSE;
    switch (qtype) {
    case MXD_DNS_A:
    case MXD_DNS_AAAA:
        e = parse_a(qtype, abuf, alen, &l);
        break;
    case MXD_DNS_MX:
        e = parse_mx(abuf, alen, &l);
        break;
    case MXD_DNS_TXT:
        e = parse_txt(abuf, alen, &l);
        break;
    case MXD_DNS_PTR:
    case MXD_DNS_NS:
        e = parse_names(qtype, abuf, alen, &l);
        break;
    case MXD_DNS_SOA:
        e = parse_soa(abuf, alen, &l);
        break;
    case MXD_DNS_CNAME:
        e = parse_cname(abuf, alen, &l);
        break;
    default:
        e = MXD_ERR_INVALID;
    }
    if (!e && l.n == 0)
        e = MXD_ERR_NOTFOUND;
    if (e) {
        dns_rrs_free(l.v, l.n);
        return e;
    }
    *rr = l.v;
    *n = l.n;
    *truncated = l.cut;
    return MXD_OK;
}
