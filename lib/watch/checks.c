/* checks.c - what the watch checks over DNS, as results (key, state, value, detail)
 * SPDX-License-Identifier: MIT
 *
 * The checks are the library's own (check.h, domain.h, spf.h): the watch only turns their
 * verdicts into one result per thing that can change on its own. An IP gets one result per
 * blocklist ("dnsbl/IP/LIST") and one for its reverse DNS ("ptr/IP"); a domain one per area
 * ("spf", "spf-auth" for the watched IPs, "dkim/DOMAIN/SELECTOR", "dmarc", "mx", "mta-sts",
 * "tls-rpt"). A list that did not answer, a lookup that timed out, a resolver that cannot be
 * believed: UNKNOWN, never OK. The value is what a change is seen on: short and stable (no
 * times, no TTLs); the detail is for a person.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "watch/watch_internal.h"
#include "mxdiag/check.h"
#include "mxdiag/domain.h"

void watch_results_free(watch_results *r)
{
    for (size_t i = 0; i < r->n; i++) {
        watch_result *x = &r->v[i];
        free(x->key);
        free(x->kind);
        free(x->subject);
        free(x->item);
        free(x->value);
        free(x->detail);
    }
    free(r->v);
    memset(r, 0, sizeof *r);
}

static char *dupn(const char *s, int *nomem)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *nomem = 1;
    return d;
}

mxd_err watch_results_add(watch_results *r, const char *kind, const char *subject, const char *item,
                          mxd_watch_state state, const char *value, const char *detail)
{
    if (r->n == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 32;
        watch_result *nv = realloc(r->v, nc * sizeof *nv);
        if (!nv)
            return MXD_ERR_NOMEM;
        r->v = nv;
        r->cap = nc;
    }
    char key[640];
    if (item)
        snprintf(key, sizeof key, "%s/%s/%s", kind, subject, item);
    else
        snprintf(key, sizeof key, "%s/%s", kind, subject);
    int nomem = 0;
    if (state == MXD_WATCH_UNKNOWN)
        value = "unknown"; /* what was found is not known: no value to compare */
    watch_result x = {dupn(key, &nomem),
                      dupn(kind, &nomem),
                      dupn(subject, &nomem),
                      dupn(item, &nomem),
                      dupn(value, &nomem),
                      dupn(detail, &nomem),
                      state};
    r->v[r->n++] = x;
    return nomem ? MXD_ERR_NOMEM : MXD_OK;
}

const char *watch_kind_severity(const char *kind)
{
    static const char *const critical[] = {
        "dnsbl", "spf", "spf-auth", "dkim", "snds-block", "gpt-spam-limit", NULL};
    for (size_t i = 0; critical[i]; i++)
        if (!strcmp(kind, critical[i]))
            return "critical";
    return "warning";
}

/* --- IPs -------------------------------------------------------------------------------- */

static mxd_err ip_results(const mxd_ip_report *rep, const char *ip, watch_results *out)
{
    mxd_err e = MXD_OK;
    for (size_t i = 0; !e && i < rep->ndnsbl; i++) {
        const mxd_bl_entry *b = &rep->dnsbl[i];
        char value[256], detail[1024];
        mxd_watch_state st;
        if (b->result == MXD_BL_LISTED) {
            st = MXD_WATCH_PROBLEM;
            size_t o = (size_t)snprintf(value, sizeof value, "listed");
            for (size_t c = 0; c < b->ncodes && o < sizeof value; c++)
                o += (size_t)snprintf(value + o, sizeof value - o, " %s", b->codes[c]);
            snprintf(detail, sizeof detail, "%s lists %s%s%s%s%s", b->name, ip,
                     b->ncodes && b->meanings[0] ? ": " : "",
                     b->ncodes && b->meanings[0] ? b->meanings[0] : "", b->txt ? " - " : "",
                     b->txt ? b->txt : "");
        } else if (b->result == MXD_BL_CLEAN) {
            st = MXD_WATCH_OK;
            snprintf(value, sizeof value, "clean");
            snprintf(detail, sizeof detail, "%s does not list %s", b->name, ip);
        } else {
            st = MXD_WATCH_UNKNOWN;
            snprintf(value, sizeof value, "error");
            snprintf(detail, sizeof detail, "%s could not be asked: %s", b->name,
                     b->error ? b->error : "no answer");
        }
        e = watch_results_add(out, "dnsbl", ip, b->id, st, value, detail);
    }
    if (e)
        return e;

    const mxd_ptr_info *p = &rep->ptr;
    char value[320], detail[1024];
    mxd_watch_state st;
    if (p->status != MXD_DNS_OK && p->status != MXD_DNS_NXDOMAIN && p->status != MXD_DNS_NODATA) {
        st = MXD_WATCH_UNKNOWN;
        snprintf(value, sizeof value, "error");
        snprintf(detail, sizeof detail, "the PTR lookup of %s failed: %s", ip,
                 mxd_dns_status_name(p->status));
    } else if (!p->nnames) {
        st = MXD_WATCH_PROBLEM;
        snprintf(value, sizeof value, "no PTR");
        snprintf(detail, sizeof detail,
                 "%s has no reverse DNS name: most providers refuse or junk its mail", ip);
    } else if (p->fcrdns == 0) {
        st = MXD_WATCH_PROBLEM;
        snprintf(value, sizeof value, "PTR %s not confirmed", p->names[0]);
        snprintf(detail, sizeof detail, "%s resolves to %s, which does not resolve back (FCrDNS)",
                 ip, p->names[0]);
    } else if (p->fcrdns < 0) {
        st = MXD_WATCH_UNKNOWN;
        snprintf(value, sizeof value, "PTR %s unconfirmed", p->names[0]);
        snprintf(detail, sizeof detail, "the forward lookup of %s failed", p->names[0]);
    } else if (p->domain_match == 0) {
        st = MXD_WATCH_PROBLEM;
        snprintf(value, sizeof value, "PTR %s outside the domain", p->names[0]);
        snprintf(detail, sizeof detail, "%s is not in the HELO domain", p->names[0]);
    } else {
        st = MXD_WATCH_OK;
        snprintf(value, sizeof value, "PTR %s", p->names[0]);
        snprintf(detail, sizeof detail, "%s resolves to %s and back%s", ip, p->names[0],
                 p->generic == 1 ? " (the name looks generic)" : "");
    }
    return watch_results_add(out, "ptr", ip, NULL, st, value, detail);
}

mxd_err watch_check_ips(mxd_resolver *r, const mxd_kb *kb, const watch_config *cfg,
                        char *const *ips, char *const *lists, size_t nips, watch_results *out)
{
    mxd_check_opts o = {0};
    o.spamhaus_key = cfg->spamhaus_key;
    o.abusix_key = cfg->abusix_key;
    o.domain = cfg->helo_domain;
    mxd_ip_report **reps = calloc(nips ? nips : 1, sizeof *reps);
    if (!reps)
        return MXD_ERR_NOMEM;
    mxd_err e = MXD_OK;
    char why[256];
    /* every IP's queries are submitted first: one resolver run has them all in flight */
    for (size_t i = 0; i < nips && !e; i++) {
        if (!lists[i])
            continue;
        o.lists = lists[i];
        if ((e = mxd_ip_check_submit(r, kb, ips[i], &o, &reps[i], why, sizeof why)))
            watch_log(3, "check of %s: %s", ips[i], why);
    }
    if (!e)
        e = mxd_resolver_run(r);
    for (size_t i = 0; i < nips; i++) {
        if (!e && reps[i])
            e = ip_results(reps[i], ips[i], out);
        mxd_ip_report_free(reps[i]);
    }
    free(reps);
    return e;
}

/* --- domains ------------------------------------------------------------------------------ */

static mxd_watch_state area_state(const mxd_domain_report *rep, mxd_domain_area a)
{
    switch (rep->state[a]) {
    case MXD_CHECK_PASS:
        return MXD_WATCH_OK;
    case MXD_CHECK_FAIL:
        return MXD_WATCH_PROBLEM;
    default:
        return MXD_WATCH_UNKNOWN;
    }
}

/* area_detail - the worst finding of an area (its text), or fallback. */
static const char *area_detail(const mxd_domain_report *rep, const char *area, const char *fallback)
{
    for (size_t i = 0; i < rep->nfindings; i++)
        if (rep->findings[i].area && !strcmp(rep->findings[i].area, area) && rep->findings[i].text)
            return rep->findings[i].text;
    return fallback;
}

static mxd_err spf_auth(mxd_resolver *r, const watch_config *cfg, const char *domain,
                        watch_results *out)
{
    if (!cfg->nips)
        return MXD_OK;
    char bad[1024] = "", unknown[512] = "";
    size_t nbad = 0, nunknown = 0;
    for (size_t i = 0; i < cfg->nips; i++) {
        mxd_spf_request q = {0};
        q.ip = cfg->ips[i];
        q.domain = domain;
        mxd_spf_eval *ev = NULL;
        mxd_err e = mxd_spf_check(r, &q, &ev);
        if (e == MXD_ERR_NOMEM)
            return e;
        if (e || !ev)
            continue;
        size_t o = strlen(bad), u = strlen(unknown);
        if (ev->result == MXD_SPF_TEMPERROR) {
            nunknown++;
            snprintf(unknown + u, sizeof unknown - u, "%s%s", u ? ", " : "", cfg->ips[i]);
        } else if (ev->result != MXD_SPF_PASS) {
            nbad++;
            snprintf(bad + o, sizeof bad - o, "%s%s (%s)", o ? ", " : "", cfg->ips[i],
                     mxd_spf_result_name(ev->result));
        }
        mxd_spf_eval_free(ev);
    }
    char value[64], detail[1200];
    mxd_watch_state st;
    if (nbad) {
        st = MXD_WATCH_PROBLEM;
        snprintf(value, sizeof value, "%zu of %zu IPs not authorised", nbad, cfg->nips);
        snprintf(detail, sizeof detail, "the SPF policy of %s does not pass %s", domain, bad);
    } else if (nunknown) {
        st = MXD_WATCH_UNKNOWN;
        snprintf(value, sizeof value, "error");
        snprintf(detail, sizeof detail, "SPF of %s could not be evaluated for %s (DNS)", domain,
                 unknown);
    } else {
        st = MXD_WATCH_OK;
        snprintf(value, sizeof value, "all %zu IPs authorised", cfg->nips);
        snprintf(detail, sizeof detail, "the SPF policy of %s passes every watched IP", domain);
    }
    return watch_results_add(out, "spf-auth", domain, NULL, st, value, detail);
}

static mxd_err domain_results(mxd_resolver *r, const watch_config *cfg,
                              const mxd_domain_report *rep, const char *d, int with_dkim,
                              watch_results *out)
{
    char value[320];
    mxd_err e;

    /* SPF: broken, over the lookup limit */
    const mxd_spf_report *spf = rep->spf;
    if (spf && spf->status == MXD_SPF_NONE && rep->state[MXD_AREA_SPF] == MXD_CHECK_PASS)
        snprintf(value, sizeof value, "none");
    else if (spf)
        snprintf(value, sizeof value, "%s, %d lookups", spf->record ? "record" : "none",
                 spf->dns_lookups);
    else
        snprintf(value, sizeof value, "error");
    mxd_watch_state st = area_state(rep, MXD_AREA_SPF);
    if (spf && spf->dns_lookups > 10 && st == MXD_WATCH_OK)
        st = MXD_WATCH_PROBLEM;
    if ((e = watch_results_add(
             out, "spf", d, NULL, st, value,
             area_detail(rep, "spf", spf && spf->record ? spf->record : "no SPF record"))))
        return e;
    if ((e = spf_auth(r, cfg, d, out)))
        return e;

    /* DMARC: policy and reporting */
    const mxd_dmarc_result *dm = rep->dmarc;
    if (dm && dm->found && dm->record)
        snprintf(value, sizeof value, "p=%s rua=%zu", mxd_dmarc_policy_name(dm->policy),
                 dm->record->nrua);
    else
        snprintf(value, sizeof value, dm && !dm->temperror ? "none" : "error");
    if ((e = watch_results_add(
             out, "dmarc", d, NULL, area_state(rep, MXD_AREA_DMARC), value,
             area_detail(rep, "dmarc", dm && dm->record ? dm->record->text : "no record"))))
        return e;

    /* MX */
    const mxd_mx_report *mx = rep->mx;
    if (mx && mx->null_mx)
        snprintf(value, sizeof value, "null MX");
    else if (mx)
        snprintf(value, sizeof value, "%zu host%s%s", mx->nhosts, mx->nhosts == 1 ? "" : "s",
                 mx->implicit ? " (implicit)" : "");
    else
        snprintf(value, sizeof value, "error");
    if ((e = watch_results_add(out, "mx", d, NULL, area_state(rep, MXD_AREA_MX), value,
                               area_detail(rep, "mx", "MX records in place"))))
        return e;

    /* MTA-STS, TLS-RPT: absent is no problem, but its going away is an event */
    const mxd_txt_policy *pol[2] = {&rep->mta_sts, &rep->tls_rpt};
    const char *kinds[2] = {"mta-sts", "tls-rpt"};
    mxd_domain_area areas[2] = {MXD_AREA_MTA_STS, MXD_AREA_TLS_RPT};
    for (int i = 0; i < 2; i++) {
        const mxd_txt_policy *p = pol[i];
        if (p->found)
            snprintf(value, sizeof value, "%s", p->valid ? "present" : "invalid");
        else
            snprintf(value, sizeof value, "absent");
        char detail[600];
        snprintf(detail, sizeof detail, "%s%s%s", p->record ? p->record : "no record",
                 p->problem ? ": " : "", p->problem ? p->problem : "");
        if ((e = watch_results_add(out, kinds[i], d, NULL, area_state(rep, areas[i]), value,
                                   detail)))
            return e;
    }

    /* DKIM: one result per configured selector */
    if (!with_dkim || !rep->dkim)
        return MXD_OK;
    for (size_t i = 0; i < rep->dkim->nkeys; i++) {
        const mxd_dkim_key *k = &rep->dkim->keys[i];
        char detail[600];
        if (k->status != MXD_DNS_OK && k->status != MXD_DNS_NXDOMAIN &&
            k->status != MXD_DNS_NODATA) {
            st = MXD_WATCH_UNKNOWN;
            snprintf(value, sizeof value, "error");
            snprintf(detail, sizeof detail, "the lookup of %s failed: %s", k->name,
                     mxd_dns_status_name(k->status));
        } else if (!k->found) {
            st = MXD_WATCH_PROBLEM;
            snprintf(value, sizeof value, "absent");
            snprintf(detail, sizeof detail, "no DKIM key at %s: mail signed with it fails",
                     k->name);
        } else if (!k->valid || k->revoked) {
            st = MXD_WATCH_PROBLEM;
            snprintf(value, sizeof value, k->revoked ? "revoked" : "invalid");
            snprintf(detail, sizeof detail, "the DKIM key at %s is %s%s%s", k->name,
                     k->revoked ? "revoked" : "unusable", k->problem ? ": " : "",
                     k->problem ? k->problem : "");
        } else if (k->bits && k->bits < MXD_DKIM_MIN_BITS) {
            st = MXD_WATCH_PROBLEM;
            snprintf(value, sizeof value, "%s %d bits", k->key_type, k->bits);
            snprintf(detail, sizeof detail,
                     "the DKIM key at %s has %d bits: verifiers refuse keys under %d (RFC 8301)",
                     k->name, k->bits, MXD_DKIM_MIN_BITS);
        } else {
            st = MXD_WATCH_OK;
            if (k->bits)
                snprintf(value, sizeof value, "%s %d bits", k->key_type, k->bits);
            else
                snprintf(value, sizeof value, "%s", k->key_type);
            snprintf(detail, sizeof detail, "DKIM key %s at %s", value, k->name);
        }
        if ((e = watch_results_add(out, "dkim", d, k->selector, st, value, detail)))
            return e;
    }
    return MXD_OK;
}

mxd_err watch_check_domains(mxd_resolver *r, const mxd_kb *kb, const watch_config *cfg,
                            watch_results *out)
{
    mxd_err e = MXD_OK;
    for (size_t i = 0; !e && i < cfg->ndomains; i++) {
        const char *d = cfg->domains[i];
        const char *sels[MXD_DKIM_MAX_SELECTORS];
        size_t nsel = 0;
        for (size_t j = 0; j < cfg->nselectors && nsel < MXD_DKIM_MAX_SELECTORS; j++)
            if (!cfg->selectors[j].domain || !strcasecmp(cfg->selectors[j].domain, d))
                sels[nsel++] = cfg->selectors[j].selector;
        mxd_domain_report *rep = NULL;
        /* without selectors for it, mxd_check_domain probes the common ones: their keys are
         * not watched (a probe's hit or miss is no change of the domain's) */
        e = mxd_check_domain(r, kb, d, nsel ? sels : NULL, nsel, &rep);
        if (e) {
            watch_log(3, "check of %s: %s", d, mxd_strerror(e));
            break;
        }
        e = domain_results(r, cfg, rep, d, nsel > 0, out);
        mxd_domain_report_free(rep);
    }
    return e;
}
