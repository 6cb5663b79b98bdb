/* domain.c - check a sending domain: MX, SPF, DMARC, DKIM keys, MTA-STS and TLS-RPT records
 * SPDX-License-Identifier: MIT
 *
 * The MX check, the MTA-STS and TLS-RPT queries are submitted first; the DKIM key lookup then
 * runs the resolver once for all of them. SPF lint and DMARC discovery follow (their queries
 * depend on earlier answers). Findings of all areas are merged and sorted worst first.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mxdiag/domain.h"
#include "check/checkutil.h"
#include "check/dkim_internal.h"
#include "check/taglist.h"
#include "util/str.h"

/* Longest MTA-STS id (RFC 8461 section 3.1). */
#define MTA_STS_ID_MAX 32

static void set_str(char **dst, const char *s, size_t len, int *nomem)
{
    free(*dst);
    *dst = str_dup_n(s, len);
    if (!*dst)
        *nomem = 1;
}

/* starts_version - does the record start with the tag v=<version>? */
static int starts_version(const char *s, size_t len, const char *version)
{
    taglist tl;
    char why[100];
    size_t vl = strlen(version);
    /* only the first tag matters: parse up to the first ';' */
    const char *semi = memchr(s, ';', len);
    if (taglist_parse(s, semi ? (size_t)(semi - s) : len, &tl, why, sizeof why) || tl.n != 1)
        return 0;
    return tl.t[0].nlen == 1 && tl.t[0].name[0] == 'v' && tl.t[0].vlen == vl &&
           !memcmp(tl.t[0].val, version, vl);
}

/* A record's own checks after the version tag: returns the problem (possibly written into
 * msg) or NULL, and stores what it keeps in p. */
typedef const char *(*policy_check)(const taglist *tl, mxd_txt_policy *p, char *msg, size_t msglen,
                                    int *nomem);

static const char *check_sts(const taglist *tl, mxd_txt_policy *p, char *msg, size_t msglen,
                             int *nomem)
{
    (void)msg;
    (void)msglen;
    const taglist_tag *id = taglist_get(tl, "id");
    int ok = id && id->vlen >= 1 && id->vlen <= MTA_STS_ID_MAX;
    for (size_t i = 0; ok && i < id->vlen; i++)
        ok = str_isalnum((unsigned char)id->val[i]);
    if (!ok)
        return "id= is missing or not 1 to 32 letters and digits";
    set_str(&p->id, id->val, id->vlen, nomem);
    return NULL;
}

static const char *check_tlsrpt(const taglist *tl, mxd_txt_policy *p, char *msg, size_t msglen,
                                int *nomem)
{
    const char *problem = NULL;
    const taglist_tag *rua = taglist_get(tl, "rua");
    if (!rua || !rua->vlen) {
        problem = "rua= is missing: it says where reports go";
    } else {
        for (size_t i = 0; i <= rua->vlen && !problem;) {
            size_t j = i;
            while (j < rua->vlen && rua->val[j] != ',')
                j++;
            size_t a = i, b = j;
            while (a < b && taglist_is_ws((unsigned char)rua->val[a]))
                a++;
            while (b > a && taglist_is_ws((unsigned char)rua->val[b - 1]))
                b--;
            const char *u = rua->val + a;
            size_t ul = b - a;
            int mailto = ul > 7 && str_caseeq(u, 7, "mailto:") && memchr(u, '@', ul);
            int https = ul > 8 && str_caseeq(u, 8, "https://");
            if (!mailto && !https) {
                snprintf(msg, msglen, "rua= destination '%.*s' is not mailto: or https:",
                         (int)(ul > 80 ? 80 : ul), u);
                problem = msg;
            }
            i = j + 1;
        }
        if (!problem)
            set_str(&p->rua, rua->val, rua->vlen, nomem);
    }
    return problem;
}

/* parse_policy - the part MTA-STS and TLS-RPT records share: the version tag first, the tag
 * syntax, then the record's own check. */
static mxd_err parse_policy(const char *txt, size_t len, mxd_txt_policy *p, const char *version,
                            policy_check check)
{
    memset(p, 0, sizeof *p);
    int nomem = 0;
    set_str(&p->record, txt, len, &nomem);
    taglist tl;
    char why[200];
    const char *problem = NULL;
    char msg[300];
    p->found = starts_version(txt, len, version);
    if (!p->found) {
        snprintf(msg, sizeof msg, "the record does not start with v=%s", version);
        problem = msg;
    } else if (taglist_parse(txt, len, &tl, why, sizeof why)) {
        snprintf(msg, sizeof msg, "syntax: %s", why);
        problem = msg;
    } else {
        problem = check(&tl, p, msg, sizeof msg, &nomem);
    }
    if (problem)
        set_str(&p->problem, problem, strlen(problem), &nomem);
    p->valid = p->found && !problem;
    if (nomem) {
        mxd_txt_policy_clear(p);
        return MXD_ERR_NOMEM;
    }
    return MXD_OK;
}

/* mxd_mta_sts_parse - "v=STSv1; id=..." */
mxd_err mxd_mta_sts_parse(const char *txt, size_t len, mxd_txt_policy *p)
{
    return parse_policy(txt, len, p, "STSv1", check_sts);
}

/* mxd_tls_rpt_parse - "v=TLSRPTv1; rua=mailto:...,https://..." */
mxd_err mxd_tls_rpt_parse(const char *txt, size_t len, mxd_txt_policy *p)
{
    return parse_policy(txt, len, p, "TLSRPTv1", check_tlsrpt);
}

/* mxd_txt_policy_clear - free the strings. */
void mxd_txt_policy_clear(mxd_txt_policy *p)
{
    if (!p)
        return;
    free(p->name);
    free(p->record);
    free(p->id);
    free(p->rua);
    free(p->problem);
    memset(p, 0, sizeof *p);
}

/* txt_policy - pick the record of the right version out of a TXT answer. */
static mxd_err txt_policy(const dkim_txt *t, int sts, mxd_txt_policy *p)
{
    char *name = p->name;
    p->name = NULL;
    mxd_dns_status st = t->done ? t->status : MXD_DNS_TIMEOUT;
    int n = 0;
    size_t which = 0;
    for (size_t i = 0; st == MXD_DNS_OK && i < t->n; i++)
        if (starts_version(t->text[i], t->len[i], sts ? "STSv1" : "TLSRPTv1")) {
            if (!n++)
                which = i;
        }
    mxd_err e = MXD_OK;
    if (n) {
        e = sts ? mxd_mta_sts_parse(t->text[which], t->len[which], p)
                : mxd_tls_rpt_parse(t->text[which], t->len[which], p);
        if (!e && n > 1) {
            p->valid = 0;
            free(p->problem);
            static const char several[] = "more than one record: receivers ignore them all";
            p->problem = str_dup_n(several, sizeof several - 1);
        }
    } else {
        memset(p, 0, sizeof *p);
    }
    p->name = name;
    p->status = st;
    return e;
}

static void copy_findings(checkutil_findings *f, const mxd_finding *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        checkutil_finding(f, v[i].severity, v[i].area, v[i].code, v[i].fix, "%s", v[i].text);
}

static int dns_failed(mxd_dns_status s)
{
    return s != MXD_DNS_OK && s != MXD_DNS_NXDOMAIN && s != MXD_DNS_NODATA;
}

/* judge - the findings of MX, MTA-STS, TLS-RPT and across areas. */
static void judge(mxd_domain_report *rep, checkutil_findings *f)
{
    const char *d = rep->domain;
    if (rep->mx) {
        for (size_t i = 0; i < rep->mx->nwarnings; i++)
            checkutil_finding(f, MXD_SEV_WARNING, "mx", "mx-warning", NULL, "%s",
                              rep->mx->warnings[i]);
        if (dns_failed(rep->mx->status))
            rep->dns_trouble = 1;
    }
    const mxd_txt_policy *s = &rep->mta_sts, *t = &rep->tls_rpt;
    if (dns_failed(s->status) || dns_failed(t->status))
        rep->dns_trouble = 1;
    if (s->found && !s->valid)
        checkutil_finding(f, MXD_SEV_ERROR, "mta-sts", "mta-sts-invalid",
                          "Publish exactly one TXT record \"v=STSv1; id=<1-32 letters or "
                          "digits>\" and change id= whenever the policy file changes.",
                          "the MTA-STS record %s is unusable: %s", s->name,
                          s->problem ? s->problem : "invalid");
    else if (s->valid)
        checkutil_finding(f, MXD_SEV_INFO, "mta-sts", "mta-sts-policy-not-fetched", NULL,
                          "MTA-STS is announced (id=%s); the policy file "
                          "https://mta-sts.%s/.well-known/mta-sts.txt was not fetched",
                          s->id ? s->id : "?", d);
    else if (!dns_failed(s->status))
        checkutil_finding(f, MXD_SEV_INFO, "mta-sts", "mta-sts-none",
                          "Optional: publish an MTA-STS policy (RFC 8461) so senders must use "
                          "verified TLS to your MX hosts.",
                          "no MTA-STS record at %s: mail to %s may be delivered without "
                          "verified TLS",
                          s->name, d);
    if (t->found && !t->valid)
        checkutil_finding(f, MXD_SEV_ERROR, "tls-rpt", "tls-rpt-invalid",
                          "Publish one TXT record \"v=TLSRPTv1; rua=mailto:tls-reports@<your "
                          "domain>\".",
                          "the TLS-RPT record %s is unusable: %s", t->name,
                          t->problem ? t->problem : "invalid");
    else if (!t->found && !dns_failed(t->status))
        checkutil_finding(f, s->valid ? MXD_SEV_WARNING : MXD_SEV_INFO, "tls-rpt", "tls-rpt-none",
                          "Publish TXT \"v=TLSRPTv1; rua=mailto:tls-reports@<your domain>\" at "
                          "_smtp._tls.<your domain>.",
                          "no TLS-RPT record at %s: you get no reports of TLS failures%s", t->name,
                          s->valid ? " of your MTA-STS policy" : "");
    int no_spf = rep->spf && rep->spf->status == MXD_SPF_NONE;
    int no_dkim = rep->dkim && rep->dkim->nfound == 0;
    if (no_spf && no_dkim)
        checkutil_finding(f, MXD_SEV_ERROR, "auth", "auth-none",
                          "Publish SPF first (quick), then enable DKIM signing at your mail "
                          "provider, then DMARC.",
                          "%s has neither SPF nor a DKIM key we could find: its mail cannot "
                          "pass DMARC and Gmail, Yahoo and Microsoft reject or junk it",
                          d);
    if ((rep->spf && rep->spf->status == MXD_SPF_TEMPERROR) ||
        (rep->dmarc && rep->dmarc->temperror))
        rep->dns_trouble = 1;
}

static const char *const area_names[MXD_DOMAIN_AREAS] = {"mx",   "spf",     "dmarc",
                                                         "dkim", "mta-sts", "tls-rpt"};

/* mxd_domain_area_name - the name of an area. */
const char *mxd_domain_area_name(mxd_domain_area a)
{
    return (unsigned)a < MXD_DOMAIN_AREAS ? area_names[a] : "?";
}

/* area_of - the area of a finding's area name, or -1 ("auth" spans SPF and DKIM). */
static int area_of(const char *name)
{
    for (int a = 0; a < MXD_DOMAIN_AREAS; a++)
        if (name && !strcmp(name, area_names[a]))
            return a;
    return -1;
}

/* verdicts - what each area's lookups allow to say: unchecked when they failed, or when
 * the area found something missing and the resolver denies the domain's top-level domain
 * (then the findings of those areas are dropped: they rest on lies). */
static void verdicts(mxd_resolver *r, mxd_domain_report *rep, checkutil_findings *f)
{
    int failed[MXD_DOMAIN_AREAS], absent[MXD_DOMAIN_AREAS];
    failed[MXD_AREA_MX] = rep->mx && dns_failed(rep->mx->status);
    absent[MXD_AREA_MX] = rep->mx && rep->mx->status == MXD_DNS_NXDOMAIN;
    /* an include that could not be read leaves the whole policy unknown */
    failed[MXD_AREA_SPF] = rep->spf->status == MXD_SPF_TEMPERROR;
    absent[MXD_AREA_SPF] = rep->spf->status == MXD_SPF_NONE;
    failed[MXD_AREA_DMARC] = rep->dmarc->temperror && !rep->dmarc->record;
    absent[MXD_AREA_DMARC] = !rep->dmarc->record && !rep->dmarc->temperror;
    /* a key may sit at a selector whose lookup failed */
    failed[MXD_AREA_DKIM] = !rep->dkim->nfound && rep->dkim->nfailed;
    absent[MXD_AREA_DKIM] = !rep->dkim->nfound && !rep->dkim->nfailed;
    failed[MXD_AREA_MTA_STS] = dns_failed(rep->mta_sts.status);
    absent[MXD_AREA_MTA_STS] = !rep->mta_sts.found && !failed[MXD_AREA_MTA_STS];
    failed[MXD_AREA_TLS_RPT] = dns_failed(rep->tls_rpt.status);
    absent[MXD_AREA_TLS_RPT] = !rep->tls_rpt.found && !failed[MXD_AREA_TLS_RPT];
    int any_absent = 0;
    for (int a = 0; a < MXD_DOMAIN_AREAS; a++)
        any_absent |= absent[a];
    char why[512];
    if (any_absent && mxd_nxdomain_suspect(r, rep->domain, why, sizeof why)) {
        rep->resolver_suspect = str_dup_n(why, strlen(why));
        if (!rep->resolver_suspect)
            f->nomem = 1;
        for (int a = 0; a < MXD_DOMAIN_AREAS; a++)
            failed[a] |= absent[a];
        /* drop what rests on the lies: the findings of the areas now unchecked */
        size_t k = 0;
        for (size_t i = 0; i < f->n; i++) {
            int a = area_of(f->v[i].area);
            int lie = a >= 0 ? failed[a] && absent[a]
                             : !strcmp(f->v[i].area, "auth") &&
                                   (absent[MXD_AREA_SPF] || absent[MXD_AREA_DKIM]);
            if (lie) {
                free(f->v[i].text);
                free(f->v[i].fix);
            } else {
                f->v[k++] = f->v[i];
            }
        }
        f->n = k;
        checkutil_finding(f, MXD_SEV_WARNING, "dns", "resolver-suspect",
                          "Run the check again with another resolver (--dns-server), for "
                          "example your own or your provider's.",
                          "the resolver is suspect: %s; nothing it said is missing is "
                          "reported",
                          why);
    }
    for (int a = 0; a < MXD_DOMAIN_AREAS; a++) {
        mxd_check_state st = failed[a] ? MXD_CHECK_UNCHECKED : MXD_CHECK_PASS;
        for (size_t i = 0; i < f->n && st == MXD_CHECK_PASS; i++)
            if (f->v[i].severity == MXD_SEV_ERROR && area_of(f->v[i].area) == a)
                st = MXD_CHECK_FAIL;
        rep->state[a] = st;
        rep->unchecked += st == MXD_CHECK_UNCHECKED;
    }
    rep->dns_unusable = rep->unchecked == MXD_DOMAIN_AREAS;
    if (rep->unchecked)
        rep->dns_trouble = 1;
}

/* mxd_check_domain - all checks of one domain. */
mxd_err mxd_check_domain(mxd_resolver *r, const mxd_kb *kb, const char *domain,
                         const char *const *selectors, size_t nsel, mxd_domain_report **out)
{
    *out = NULL;
    if (!r || !domain || !mxd_domain_valid(domain))
        return MXD_ERR_INVALID;
    mxd_domain_report *rep = calloc(1, sizeof *rep);
    if (!rep)
        return MXD_ERR_NOMEM;
    size_t dl = strlen(domain);
    if (domain[dl - 1] == '.')
        dl--;
    rep->domain = str_dup_n(domain, dl);
    char sts[300], tls[300];
    dkim_txt tsts, ttls;
    memset(&tsts, 0, sizeof tsts);
    memset(&ttls, 0, sizeof ttls);
    mxd_err e = rep->domain ? MXD_OK : MXD_ERR_NOMEM;
    if (!e) {
        for (char *c = rep->domain; *c; c++)
            *c = (char)str_tolower((unsigned char)*c);
        snprintf(sts, sizeof sts, "_mta-sts.%s", rep->domain);
        snprintf(tls, sizeof tls, "_smtp._tls.%s", rep->domain);
        rep->mta_sts.name = str_dup_n(sts, strlen(sts));
        rep->tls_rpt.name = str_dup_n(tls, strlen(tls));
        if (!rep->mta_sts.name || !rep->tls_rpt.name)
            e = MXD_ERR_NOMEM;
    }
    /* queued together; the DKIM lookup's resolver run answers them all */
    if (!e)
        e = mxd_mx_check_submit(r, kb, rep->domain, &rep->mx);
    if (!e && mxd_dns_submit(r, sts, MXD_DNS_TXT, dkim_txt_cb, &tsts) == MXD_ERR_NOMEM)
        e = MXD_ERR_NOMEM;
    if (!e && mxd_dns_submit(r, tls, MXD_DNS_TXT, dkim_txt_cb, &ttls) == MXD_ERR_NOMEM)
        e = MXD_ERR_NOMEM;
    if (!e)
        e = mxd_dkim_keys(r, kb, rep->domain, selectors, nsel, &rep->dkim);
    if (!e)
        mxd_resolver_run(r); /* in case the DKIM lookup had nothing to ask */
    if (!e && (tsts.nomem || ttls.nomem))
        e = MXD_ERR_NOMEM;
    if (!e)
        e = txt_policy(&tsts, 1, &rep->mta_sts);
    if (!e)
        e = txt_policy(&ttls, 0, &rep->tls_rpt);
    dkim_txt_free(&tsts);
    dkim_txt_free(&ttls);
    if (!e)
        e = mxd_spf_lint(r, rep->domain, &rep->spf);
    if (!e)
        e = mxd_dmarc_lookup(r, rep->domain, &rep->dmarc);
    if (e) {
        mxd_domain_report_free(rep);
        return e;
    }
    checkutil_findings f = {0};
    copy_findings(&f, rep->spf->findings, rep->spf->nfindings);
    copy_findings(&f, rep->dmarc->findings, rep->dmarc->nfindings);
    copy_findings(&f, rep->dkim->findings, rep->dkim->nfindings);
    judge(rep, &f);
    verdicts(r, rep, &f);
    if (f.nomem) {
        checkutil_findings_free(f.v, f.n);
        mxd_domain_report_free(rep);
        return MXD_ERR_NOMEM;
    }
    mxd_findings_sort(f.v, f.n);
    rep->findings = f.v;
    rep->nfindings = f.n;
    for (size_t i = 0; i < f.n; i++) {
        rep->errors += f.v[i].severity == MXD_SEV_ERROR;
        rep->warnings += f.v[i].severity == MXD_SEV_WARNING;
    }
    *out = rep;
    return MXD_OK;
}

/* mxd_domain_report_free - NULL is fine. */
void mxd_domain_report_free(mxd_domain_report *rep)
{
    if (!rep)
        return;
    free(rep->domain);
    mxd_mx_report_free(rep->mx);
    mxd_spf_report_free(rep->spf);
    mxd_dmarc_result_free(rep->dmarc);
    mxd_dkim_keys_report_free(rep->dkim);
    mxd_txt_policy_clear(&rep->mta_sts);
    mxd_txt_policy_clear(&rep->tls_rpt);
    checkutil_findings_free(rep->findings, rep->nfindings);
    free(rep->resolver_suspect);
    free(rep);
}

/* sub - a sub-report's own JSON, parsed back into a value (null when absent). */
static json_t *sub(char *js)
{
    if (!js)
        return json_null();
    json_t *v = json_loads(js, 0, NULL);
    free(js);
    return v ? v : json_null();
}

static json_t *policy_json(const mxd_txt_policy *p, int sts)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", checkutil_json_str(p->name));
    json_object_set_new(o, "status", json_string(mxd_dns_status_name(p->status)));
    json_object_set_new(o, "found", json_boolean(p->found));
    json_object_set_new(o, "valid", json_boolean(p->valid));
    json_object_set_new(o, "record", checkutil_json_str(p->record));
    json_object_set_new(o, sts ? "id" : "rua", checkutil_json_str(sts ? p->id : p->rua));
    json_object_set_new(o, "problem", checkutil_json_str(p->problem));
    return o;
}

/* mxd_domain_report_json - everything as one object. */
char *mxd_domain_report_json(const mxd_domain_report *rep, int pretty)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "domain", checkutil_json_str(rep->domain));
    json_object_set_new(o, "mx", rep->mx ? sub(mxd_mx_report_json(rep->mx, 0)) : json_null());
    json_object_set_new(o, "spf", rep->spf ? sub(mxd_spf_report_json(rep->spf, 0)) : json_null());
    json_object_set_new(o, "dmarc",
                        rep->dmarc ? sub(mxd_dmarc_result_json(rep->dmarc, 0)) : json_null());
    json_object_set_new(o, "dkim",
                        rep->dkim ? sub(mxd_dkim_keys_report_json(rep->dkim, 0)) : json_null());
    json_object_set_new(o, "mta_sts", policy_json(&rep->mta_sts, 1));
    json_object_set_new(o, "tls_rpt", policy_json(&rep->tls_rpt, 0));
    json_object_set_new(o, "findings", checkutil_json_findings(rep->findings, rep->nfindings));
    /* counts of the findings by severity; "warnings" is a list of notes about the run in
     * every command (mxdiag-json(5)), never a count */
    json_object_set_new(o, "error_count", json_integer((json_int_t)rep->errors));
    json_object_set_new(o, "warning_count", json_integer((json_int_t)rep->warnings));
    json_object_set_new(o, "dns_trouble", json_boolean(rep->dns_trouble));
    json_object_set_new(o, "warnings", json_array());
    json_t *st = json_object();
    for (int a = 0; a < MXD_DOMAIN_AREAS; a++)
        json_object_set_new(st, area_names[a], json_string(mxd_check_state_name(rep->state[a])));
    json_object_set_new(o, "state", st);
    json_object_set_new(o, "resolver_suspect", checkutil_json_str(rep->resolver_suspect));
    return checkutil_json_dump(o, pretty);
}
