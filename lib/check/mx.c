/* mx.c - `check mx`: the mail exchangers of a recipient domain and who runs them
 * SPDX-License-Identifier: MIT
 *
 * The MX query, then A and AAAA of every host (at most MXD_CHECK_MAX_MX_HOSTS), all in
 * flight together. A single MX record with the root name as target is a null MX (RFC 7505:
 * the domain accepts no mail). No MX record at an existing name means the domain's own
 * address is the mail exchanger (RFC 5321 section 5.1). The provider of each host comes from
 * the provider-hosts table of the knowledge base.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check/check_internal.h"
#include "util/str.h"

struct mx_job;
typedef struct mx_slot {
    struct mx_job *job;
    size_t idx;
} mx_slot;

typedef struct mx_job {
    mxd_mx_report rep; /* first: the public part */
    check_task task;
    mxd_resolver *r;
    const mxd_kb *kb;
    mx_slot mxslot;
    mx_slot slots[MXD_CHECK_MAX_MX_HOSTS];
} mx_job;

static void add_addrs(mxd_mx_host *h, const mxd_dns_answer *a)
{
    for (size_t i = 0; i < a->n && h->naddrs < MXD_CHECK_MAX_ADDRS; i++) {
        if (a->rr[i].type != MXD_DNS_A && a->rr[i].type != MXD_DNS_AAAA)
            continue;
        if (strv_push(&h->addrs, &h->naddrs, MXD_CHECK_MAX_ADDRS, a->rr[i].addr))
            return;
    }
}

static void on_a(void *arg, const mxd_dns_answer *a)
{
    mx_slot *s = arg;
    mxd_mx_host *h = &s->job->rep.hosts[s->idx];
    h->a_status = a->status;
    if (a->status == MXD_DNS_OK)
        add_addrs(h, a);
    task_done(&s->job->task);
}

static void on_aaaa(void *arg, const mxd_dns_answer *a)
{
    mx_slot *s = arg;
    mxd_mx_host *h = &s->job->rep.hosts[s->idx];
    h->aaaa_status = a->status;
    if (a->status == MXD_DNS_OK)
        add_addrs(h, a);
    task_done(&s->job->task);
}

/* by_pref - MX order: preference, then name. */
static int by_pref(const void *x, const void *y)
{
    const mxd_mx_host *a = x, *b = y;
    if (a->pref != b->pref)
        return a->pref < b->pref ? -1 : 1;
    return strcmp(a->name, b->name);
}

/* by_rr_pref - the same order on MX records of an answer. */
static int by_rr_pref(const void *x, const void *y)
{
    const mxd_dns_rr *a = *(const mxd_dns_rr *const *)x, *b = *(const mxd_dns_rr *const *)y;
    if (a->pref != b->pref)
        return a->pref < b->pref ? -1 : 1;
    return strcmp(a->name, b->name);
}

static void resolve_hosts(mx_job *j)
{
    for (size_t i = 0; i < j->rep.nhosts; i++) {
        mxd_mx_host *h = &j->rep.hosts[i];
        h->a_status = h->aaaa_status = MXD_DNS_ERROR;
        j->slots[i].job = j;
        j->slots[i].idx = i;
        if (mxd_dns_name_valid(h->name, strlen(h->name))) {
            if (mxd_dns_submit(j->r, h->name, MXD_DNS_A, on_a, &j->slots[i]) == MXD_OK)
                j->task.pending++;
            if (mxd_dns_submit(j->r, h->name, MXD_DNS_AAAA, on_aaaa, &j->slots[i]) == MXD_OK)
                j->task.pending++;
        }
        h->provider = mxd_kb_provider_for_host(j->kb, h->name, h->region, sizeof h->region);
        h->provider_name = h->provider ? mxd_kb_provider_name(j->kb, h->provider) : NULL;
    }
}

static void on_mx(void *arg, const mxd_dns_answer *a)
{
    mx_slot *s = arg;
    mx_job *j = s->job;
    mxd_mx_report *rep = &j->rep;
    rep->status = a->status;
    if (a->status == MXD_DNS_OK) {
        size_t n = 0, nulls = 0;
        for (size_t i = 0; i < a->n; i++)
            if (a->rr[i].type == MXD_DNS_MX) {
                n++;
                nulls += !a->rr[i].name || !a->rr[i].name[0];
            }
        if (n == 1 && nulls == 1) {
            rep->null_mx = 1;
        } else {
            if (nulls)
                check_warn(&rep->warnings, &rep->nwarnings,
                           "a null MX (\".\") stands beside other MX records: RFC 7505 says a "
                           "null MX must be the only one; receivers may treat the domain as "
                           "accepting no mail");
            size_t want = n - nulls;
            if (want > MXD_CHECK_MAX_MX_HOSTS || a->truncated) {
                rep->truncated = 1;
                check_warn(&rep->warnings, &rep->nwarnings,
                           "%s%zu MX records: only the %d most preferred are checked",
                           a->truncated ? "more than " : "", want, MXD_CHECK_MAX_MX_HOSTS);
                if (want > MXD_CHECK_MAX_MX_HOSTS)
                    want = MXD_CHECK_MAX_MX_HOSTS;
            }
            /* the records in preference order, so that a cut keeps the most preferred */
            const mxd_dns_rr **v = calloc(n ? n : 1, sizeof *v);
            size_t nv = 0;
            for (size_t i = 0; v && i < a->n; i++)
                if (a->rr[i].type == MXD_DNS_MX && a->rr[i].name && a->rr[i].name[0])
                    v[nv++] = &a->rr[i];
            if (v)
                qsort(v, nv, sizeof *v, by_rr_pref);
            rep->hosts = v ? calloc(want ? want : 1, sizeof *rep->hosts) : NULL;
            for (size_t i = 0; rep->hosts && i < nv && rep->nhosts < want; i++) {
                const mxd_dns_rr *rr = v[i];
                mxd_mx_host *h = &rep->hosts[rep->nhosts];
                h->name = str_dup_n(rr->name, strlen(rr->name));
                if (!h->name)
                    break;
                h->pref = rr->pref;
                rep->nhosts++;
                if (mxd_ip_valid(h->name))
                    check_warn(&rep->warnings, &rep->nwarnings,
                               "the MX record names an IP address (%s): an MX must name a "
                               "host (RFC 5321 section 5.1)",
                               h->name);
            }
            free(v);
            qsort(rep->hosts, rep->nhosts, sizeof *rep->hosts, by_pref);
        }
    } else if (a->status == MXD_DNS_NODATA) {
        /* no MX: the domain itself is the mail exchanger */
        rep->implicit = 1;
        rep->hosts = calloc(1, sizeof *rep->hosts);
        if (rep->hosts && (rep->hosts[0].name = str_dup_n(rep->domain, strlen(rep->domain)))) {
            size_t l = strlen(rep->hosts[0].name);
            if (l && rep->hosts[0].name[l - 1] == '.')
                rep->hosts[0].name[l - 1] = 0;
            rep->nhosts = 1;
        }
    }
    resolve_hosts(j);
    task_done(&j->task);
}

static void mx_finish(check_task *t)
{
    mx_job *j = (mx_job *)((char *)t - offsetof(mx_job, task));
    mxd_mx_report *rep = &j->rep;
    switch (rep->status) {
    case MXD_DNS_OK:
        break;
    case MXD_DNS_NXDOMAIN:
        check_warn(&rep->warnings, &rep->nwarnings,
                   "the domain %s does not exist (NXDOMAIN): mail to it bounces", rep->domain);
        break;
    case MXD_DNS_NODATA:
        check_warn(&rep->warnings, &rep->nwarnings,
                   "%s has no MX record: senders fall back to its own address (RFC 5321 "
                   "section 5.1); publish an MX record",
                   rep->domain);
        break;
    default:
        check_warn(&rep->warnings, &rep->nwarnings,
                   "the MX lookup of %s failed (%s): the answer is unknown", rep->domain,
                   mxd_dns_status_name(rep->status));
    }
    if (rep->null_mx)
        check_warn(&rep->warnings, &rep->nwarnings,
                   "%s publishes a null MX (RFC 7505): it accepts no mail at all", rep->domain);
    for (size_t i = 0; i < rep->nhosts; i++) {
        const mxd_mx_host *h = &rep->hosts[i];
        if (h->naddrs)
            continue;
        int failed = h->a_status != MXD_DNS_NXDOMAIN && h->a_status != MXD_DNS_NODATA;
        failed |= h->aaaa_status != MXD_DNS_NXDOMAIN && h->aaaa_status != MXD_DNS_NODATA;
        if (failed)
            check_warn(&rep->warnings, &rep->nwarnings,
                       "the addresses of %s could not be looked up (A: %s, AAAA: %s)", h->name,
                       mxd_dns_status_name(h->a_status), mxd_dns_status_name(h->aaaa_status));
        else if (!rep->implicit)
            check_warn(&rep->warnings, &rep->nwarnings,
                       "the MX host %s has no address (no A or AAAA record): senders skip it",
                       h->name);
        else
            check_warn(&rep->warnings, &rep->nwarnings,
                       "%s has neither an MX record nor an address: it cannot receive mail",
                       rep->domain);
    }
}

mxd_err mxd_mx_check_submit(mxd_resolver *r, const mxd_kb *kb, const char *domain,
                            mxd_mx_report **out)
{
    if (!r || !kb || !out)
        return MXD_ERR_INVALID;
    *out = NULL;
    if (!mxd_domain_valid(domain))
        return MXD_ERR_INVALID;
    mx_job *j = calloc(1, sizeof *j);
    if (!j)
        return MXD_ERR_NOMEM;
    snprintf(j->rep.domain, sizeof j->rep.domain, "%s", domain);
    size_t l = strlen(j->rep.domain);
    if (l > 1 && j->rep.domain[l - 1] == '.')
        j->rep.domain[l - 1] = 0;
    j->rep.status = MXD_DNS_ERROR;
    j->r = r;
    j->kb = kb;
    j->task.finish = mx_finish;
    j->task.pending = 1;
    j->mxslot.job = j;
    mxd_err e = mxd_dns_submit(r, j->rep.domain, MXD_DNS_MX, on_mx, &j->mxslot);
    if (e) {
        free(j);
        return e;
    }
    *out = &j->rep;
    return MXD_OK;
}

mxd_err mxd_check_mx(mxd_resolver *r, const mxd_kb *kb, const char *domain, mxd_mx_report **out)
{
    mxd_err e = mxd_mx_check_submit(r, kb, domain, out);
    if (e)
        return e;
    return mxd_resolver_run(r);
}

void mxd_mx_report_free(mxd_mx_report *rep)
{
    if (!rep)
        return;
    for (size_t i = 0; i < rep->nhosts; i++) {
        free(rep->hosts[i].name);
        strv_free(rep->hosts[i].addrs, rep->hosts[i].naddrs);
    }
    free(rep->hosts);
    strv_free(rep->warnings, rep->nwarnings);
    free((mx_job *)rep);
}

char *mxd_mx_report_json(const mxd_mx_report *rep, int pretty)
{
    if (!rep)
        return NULL;
    json_t *o = json_object();
    json_object_set_new(o, "domain", check_jstr(rep->domain));
    json_object_set_new(o, "status", json_string(mxd_dns_status_name(rep->status)));
    json_object_set_new(o, "null_mx", json_boolean(rep->null_mx));
    json_object_set_new(o, "implicit", json_boolean(rep->implicit));
    json_object_set_new(o, "truncated", json_boolean(rep->truncated));
    json_t *arr = json_array();
    for (size_t i = 0; i < rep->nhosts; i++) {
        const mxd_mx_host *h = &rep->hosts[i];
        json_t *hj = json_object();
        json_object_set_new(hj, "host", check_jstr(h->name));
        json_object_set_new(hj, "pref", json_integer(h->pref));
        json_object_set_new(hj, "addresses", check_jstrv(h->addrs, h->naddrs));
        json_object_set_new(hj, "provider", check_jstr(h->provider));
        json_object_set_new(hj, "provider_name", check_jstr(h->provider_name));
        json_object_set_new(hj, "region", h->region[0] ? json_string(h->region) : json_null());
        json_array_append_new(arr, hj);
    }
    json_object_set_new(o, "mx", arr);
    json_object_set_new(o, "warnings", check_jstrv(rep->warnings, rep->nwarnings));
    return check_dump(o, pretty);
}
