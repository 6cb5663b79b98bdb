/* checks.c - the live checks of a diagnosis: blocklists, reverse DNS, SPF, DKIM, DMARC, MX
 * SPDX-License-Identifier: MIT
 *
 * The blocklist, reverse-DNS and MX queries are submitted together and run in one batch;
 * SPF (whose lookups depend on each other) is evaluated after. A check that could not get
 * its answers is UNCHECKED, never PASS. The verdict of the blocklist check is the check
 * module's (mxd_bl_verdict()); this file displays it. A failed check whose name's top-level
 * domain the resolver denies too (mxd_nxdomain_suspect()) rests on lies: UNCHECKED, and the
 * diagnosis says the resolver is suspect.
 */
#include <stdlib.h>
#include <string.h>
#include "diagnose/diagnose_internal.h"
#include "mxdiag/check.h"
#include "mxdiag/spf.h"
#include "util/str.h"

/* Bytes of a malformed fact quoted in a finding. */
/* Bytes of a check module's reason for its verdict. */
#define DIAG_WHY_MAX 1024

static int dns_failed(mxd_dns_status s)
{
    return s == MXD_DNS_TIMEOUT || s == MXD_DNS_SERVFAIL || s == MXD_DNS_REFUSED ||
           s == MXD_DNS_ERROR;
}

/* check_dnsbl - display the blocklist verdict of the check module (mxd_bl_verdict()). */
static mxd_err check_dnsbl(const mxd_ip_report *rep, mxd_diag_check *c)
{
    char why[DIAG_WHY_MAX];
    mxd_check_state st = mxd_bl_verdict(rep->dnsbl, rep->ndnsbl, why, sizeof why);
    mxd_err e = MXD_OK;
    if (st == MXD_CHECK_FAIL) {
        for (size_t i = 0; i < rep->ndnsbl && !e; i++) {
            const mxd_bl_entry *b = &rep->dnsbl[i];
            if (b->result != MXD_BL_LISTED)
                continue;
            const char *code = b->ncodes ? b->codes[0] : "";
            const char *meaning = b->ncodes && b->meanings[0] ? b->meanings[0] : "listed";
            e = diag_finding(c, b->delist
                                    ? diag_printf("listed on %s (%s %s): delist at %s", b->name,
                                                  code, meaning, b->delist)
                                    : diag_printf("listed on %s (%s %s)", b->name, code, meaning));
        }
        /* the lists that did not answer, named as the check module names them (not as a
         * finding: the findings are the listings a removal request quotes) */
        mxd_bl_entry *rest = rep->errors ? calloc(rep->ndnsbl, sizeof *rest) : NULL;
        size_t n = 0;
        for (size_t i = 0; rest && i < rep->ndnsbl; i++)
            if (rep->dnsbl[i].result == MXD_BL_ERROR)
                rest[n++] = rep->dnsbl[i];
        if (rep->errors && !rest)
            e = MXD_ERR_NOMEM;
        else if (rest)
            mxd_bl_verdict(rest, n, why, sizeof why);
        free(rest);
        diag_set(c, MXD_CHECK_FAIL,
                 rep->errors ? diag_printf("%s is listed on %zu of %zu blocklists (%zu did not "
                                           "answer: %s)",
                                           rep->ip, rep->listed, rep->ndnsbl, rep->errors,
                                           strchr(why, ':') ? strchr(why, ':') + 2 : why)
                             : diag_printf("%s is listed on %zu of %zu blocklists", rep->ip,
                                           rep->listed, rep->ndnsbl));
    } else if (st == MXD_CHECK_UNCHECKED && !rep->clean) {
        const char *first = rep->ndnsbl && rep->dnsbl[0].error ? rep->dnsbl[0].error : "no answer";
        e = diag_finding(c,
                         diag_printf("no blocklist could be asked about %s (%s)", rep->ip, first));
        diag_set(c, MXD_CHECK_UNCHECKED,
                 diag_printf("blocklists for %s not checked (%s)", rep->ip, first));
    } else if (st == MXD_CHECK_UNCHECKED) {
        /* a list that did not answer may list the address: not a pass */
        e = diag_finding(c, diag_printf("%s is on none of the %zu blocklists that answered, but "
                                        "%s: ask again before you call it clean",
                                        rep->ip, rep->clean, why));
        diag_set(c, MXD_CHECK_UNCHECKED,
                 diag_printf("blocklists for %s checked only in part (%zu of %zu did not answer)",
                             rep->ip, rep->errors, rep->ndnsbl));
    } else {
        diag_set(c, MXD_CHECK_PASS, diag_printf("%s is %s", rep->ip, why));
    }
    return c->summary ? e : MXD_ERR_NOMEM;
}

static mxd_err check_ptr(const mxd_ip_report *rep, mxd_diag_check *c)
{
    const mxd_ptr_info *p = &rep->ptr;
    mxd_err e = MXD_OK;
    if (dns_failed(p->status)) {
        e = diag_finding(c, diag_printf("the PTR lookup for %s failed (%s)", rep->ip,
                                        mxd_dns_status_name(p->status)));
        diag_set(c, MXD_CHECK_UNCHECKED, diag_printf("reverse DNS of %s not checked", rep->ip));
    } else if (!p->nnames) {
        e = diag_finding(c, diag_printf("no PTR for %s", rep->ip));
        diag_set(c, MXD_CHECK_FAIL, diag_printf("%s has no reverse DNS (PTR)", rep->ip));
    } else if (p->fcrdns < 0) {
        e = diag_finding(c, diag_printf("PTR %s of %s could not be confirmed (DNS failed)",
                                        p->names[0], rep->ip));
        diag_set(c, MXD_CHECK_UNCHECKED, diag_printf("reverse DNS of %s not confirmed", rep->ip));
    } else if (!p->fcrdns) {
        e = diag_finding(c, diag_printf("PTR %s does not resolve back to %s (not "
                                        "forward-confirmed)",
                                        p->names[0], rep->ip));
        diag_set(c, MXD_CHECK_FAIL,
                 diag_printf("reverse DNS of %s is not forward-confirmed", rep->ip));
    } else if (p->generic == 1) {
        e = diag_finding(c, diag_printf("PTR %s of %s looks generic or dynamic (%s): use a "
                                        "name in your own domain",
                                        p->names[0], rep->ip,
                                        p->generic_why ? p->generic_why : "ISP-style name"));
        diag_set(c, MXD_CHECK_FAIL, diag_printf("reverse DNS of %s looks generic", rep->ip));
    } else {
        diag_set(c, MXD_CHECK_PASS,
                 diag_printf("%s has forward-confirmed reverse DNS %s", rep->ip, p->names[0]));
    }
    return c->summary ? e : MXD_ERR_NOMEM;
}

static mxd_err check_mx(const mxd_mx_report *rep, mxd_diag_check *c)
{
    mxd_err e = MXD_OK;
    if (rep->null_mx) {
        e = diag_finding(
            c, diag_printf("%s publishes a null MX: it accepts no mail at all", rep->domain));
        diag_set(c, MXD_CHECK_FAIL, diag_printf("%s accepts no mail (null MX)", rep->domain));
    } else if (rep->status == MXD_DNS_NXDOMAIN) {
        e = diag_finding(c, diag_printf("the recipient domain %s does not exist", rep->domain));
        diag_set(c, MXD_CHECK_FAIL, diag_printf("%s does not exist", rep->domain));
    } else if (dns_failed(rep->status)) {
        e = diag_finding(c, diag_printf("the MX lookup for %s failed (%s)", rep->domain,
                                        mxd_dns_status_name(rep->status)));
        diag_set(c, MXD_CHECK_UNCHECKED, diag_printf("MX of %s not checked", rep->domain));
    } else if (!rep->nhosts) {
        e = diag_finding(c, diag_printf("%s has no MX and no address: mail cannot be "
                                        "delivered there",
                                        rep->domain));
        diag_set(c, MXD_CHECK_FAIL, diag_printf("%s has no mail server", rep->domain));
    } else {
        const mxd_mx_host *h = &rep->hosts[0];
        diag_set(c, MXD_CHECK_PASS,
                 h->provider_name ? diag_printf("%s accepts mail at %s (%s)", rep->domain, h->name,
                                                h->provider_name)
                                  : diag_printf("%s accepts mail at %s", rep->domain, h->name));
    }
    return c->summary ? e : MXD_ERR_NOMEM;
}

/* check_spf - SPF of the envelope (MAIL FROM) domain for the sending IP, and of the HELO name
 * when the receiver recorded one (RFC 7208 section 2.3 and 2.4). */
static mxd_err check_spf(mxd_resolver *r, const mxd_diagnosis *d, mxd_diag_check *c)
{
    const char *ip = d->sending_ip, *domain = d->mail_from_domain;
    mxd_spf_eval *ev = NULL;
    mxd_err e = diag_spf_eval(r, d, &ev);
    if (e)
        return e;
    const char *res = mxd_spf_result_name(ev->result);
    if (ev->result == MXD_SPF_PASS) {
        diag_set(c, MXD_CHECK_PASS,
                 diag_printf("SPF for %s authorises %s (pass, %s)", domain, ip,
                             ev->mechanism ? ev->mechanism : "default"));
    } else if (ev->result == MXD_SPF_TEMPERROR) {
        e = diag_finding(c, diag_printf("SPF for %s could not be evaluated (temperror%s%s)", domain,
                                        ev->problem ? ": " : "", ev->problem ? ev->problem : ""));
        diag_set(c, MXD_CHECK_UNCHECKED, diag_printf("SPF for %s not checked", domain));
    } else if (ev->result == MXD_SPF_NONE) {
        e = diag_finding(c, diag_printf("%s publishes no SPF record, so it does not authorise "
                                        "%s (result none)",
                                        domain, ip));
        diag_set(c, MXD_CHECK_FAIL, diag_printf("no SPF record for %s", domain));
    } else {
        e = diag_finding(
            c, ev->problem
                   ? diag_printf("SPF for %s does not authorise %s (result %s: %s)", domain, ip,
                                 res, ev->problem)
                   : diag_printf("SPF for %s does not authorise %s (result %s)", domain, ip, res));
        diag_set(c, MXD_CHECK_FAIL, diag_printf("SPF for %s gives %s for %s", domain, res, ip));
    }
    c->data = mxd_spf_eval_json(ev, 0);
    mxd_spf_eval_free(ev);
    /* SPF checks the envelope, which the bounce may not name: say what was assumed */
    if (!e && c->state != MXD_CHECK_PASS && d->mail_from_domain_from &&
        !strcmp(d->mail_from_domain_from, DIAG_MAIL_FROM_ASSUMED))
        e = diag_finding(c, diag_printf("SPF checks the envelope sender (MAIL FROM), which the "
                                        "bounce does not name: %s, the From domain, was checked; "
                                        "if you send through a service with its own return-path, "
                                        "give it with --mail-from",
                                        domain));
    /* the HELO identity, when known and not the one just checked */
    if (!e && c->summary && d->helo && mxd_domain_valid(d->helo) &&
        !str_caseeq(d->helo, strlen(d->helo), domain)) {
        mxd_spf_request hr = {ip, NULL, d->helo, d->helo, NULL};
        mxd_spf_eval *hv = NULL;
        e = mxd_spf_check(r, &hr, &hv);
        if (!e) {
            char *sum = diag_printf("%s; HELO %s: %s", c->summary, d->helo,
                                    mxd_spf_result_name(hv->result));
            if (sum)
                diag_set(c, c->state, sum);
            else
                e = MXD_ERR_NOMEM;
        }
        mxd_spf_eval_free(hv);
    }
    return c->summary ? e : MXD_ERR_NOMEM;
}

static mxd_err skip(mxd_diag_check *c, mxd_check_state st, char *why)
{
    if (!why)
        return MXD_ERR_NOMEM;
    char *copy = diag_strdup(why);
    diag_set(c, st, copy);
    return copy ? diag_finding(c, why) : (free(why), MXD_ERR_NOMEM);
}

/* distrust - a failed check whose name the resolver denies together with its top-level
 * domain rests on lies: it becomes UNCHECKED, and the diagnosis says the resolver is suspect.
 * The blocklist check is left alone (a listing is an answer; the lists' own health probe
 * catches a resolver that denies everything). */
static mxd_err distrust(mxd_resolver *r, mxd_diag_check *const *by, mxd_diagnosis *d)
{
    static const kb_check which[] = {KB_CHECK_PTR, KB_CHECK_SPF, KB_CHECK_DKIM, KB_CHECK_DMARC,
                                     KB_CHECK_MX};
    for (size_t i = 0; i < sizeof which / sizeof *which; i++) {
        mxd_diag_check *c = by[which[i]];
        if (!c || c->state != MXD_CHECK_FAIL)
            continue;
        const char *name = which[i] == KB_CHECK_PTR  ? "in-addr.arpa"
                           : which[i] == KB_CHECK_MX ? d->recipient_domain
                                                     : d->sender_domain;
        char why[512];
        if (!name || !mxd_nxdomain_suspect(r, name, why, sizeof why))
            continue;
        if (!d->resolver_suspect && !(d->resolver_suspect = diag_strdup(why)))
            return MXD_ERR_NOMEM;
        char *was = c->summary;
        c->summary = NULL;
        for (size_t k = 0; k < c->nfindings; k++)
            free(c->findings[k]);
        c->nfindings = 0;
        diag_set(c, MXD_CHECK_UNCHECKED,
                 diag_printf("not checked: the resolver is suspect (\"%s\" rests on its "
                             "NXDOMAIN answers)",
                             was ? was : "?"));
        mxd_err e = diag_finding(c, diag_printf("the resolver is suspect: %s", why));
        free(was);
        if (e)
            return e;
        if (!c->summary)
            return MXD_ERR_NOMEM;
    }
    return MXD_OK;
}

/* not_users - is check k of the sending IP none of the user's business, the IP being the
 * provider's own outbound server? Its PTR and blocklist entries never are; its SPF is not when
 * that provider refused the mail itself (a tenant blocked by its own provider: 5.7.705/708/750).
 * When another receiver refused mail from the pool, the user's SPF must still include the
 * provider's, and that check stays. */
static int not_users(const mxd_diagnosis *d, int k)
{
    if (k == KB_CHECK_DNSBL || k == KB_CHECK_PTR)
        return 1;
    const char *p = d->explanation ? d->explanation->provider : NULL;
    return k == KB_CHECK_SPF && p && !strcmp(p, d->sending_ip_owner);
}

/* owner_note - why check k does not apply to the provider's own IP. */
static char *owner_note(const mxd_diagnosis *d, int k)
{
    const char *what = k == KB_CHECK_DNSBL ? "its blocklist entries are"
                       : k == KB_CHECK_PTR ? "its reverse DNS is"
                                           : "its SPF authorisation is";
    return diag_printf("not applicable: %s is %s's own outbound server; %s theirs to manage, "
                       "not yours",
                       d->sending_ip, d->sending_ip_owner_name, what);
}

mxd_err diag_run_checks(const mxd_kb *kb, mxd_resolver *r, const mxd_diag_opts *opts, unsigned want,
                        mxd_diagnosis *d)
{
    static const kb_check order[] = {KB_CHECK_DNSBL, KB_CHECK_PTR,   KB_CHECK_SPF,
                                     KB_CHECK_DKIM,  KB_CHECK_DMARC, KB_CHECK_MX};
    size_t n = 0;
    for (size_t i = 0; i < sizeof order / sizeof *order; i++)
        n += (want >> order[i]) & 1;
    d->checks = calloc(n ? n : 1, sizeof *d->checks);
    if (!d->checks)
        return MXD_ERR_NOMEM;
    mxd_diag_check *by[KB_CHECK__COUNT] = {0};
    for (size_t i = 0; i < sizeof order / sizeof *order; i++)
        if ((want >> order[i]) & 1) {
            by[order[i]] = &d->checks[d->nchecks++];
            by[order[i]]->name = kb_check_name(order[i]);
        }
    mxd_err e = MXD_OK;
    const char *ip = d->sending_ip, *dom = d->sender_domain, *rdom = d->recipient_domain;
    const char *mfdom = d->mail_from_domain; /* SPF checks the envelope, not From */

    /* what cannot run for want of a fact, or of DNS */
    for (int k = 1; k < KB_CHECK__COUNT && !e; k++) {
        mxd_diag_check *c = by[k];
        if (!c)
            continue;
        int needs_ip = k == KB_CHECK_DNSBL || k == KB_CHECK_PTR || k == KB_CHECK_SPF;
        int needs_dom = k == KB_CHECK_DKIM || k == KB_CHECK_DMARC;
        /* Facts from a stranger's bounce may be malformed: the checks that need them are
         * skipped (the check functions would refuse them as invalid arguments). */
        if (needs_ip && !ip)
            e = skip(c, MXD_CHECK_SKIPPED,
                     diag_printf("the sending IP is not known: give it with --ip"));
        else if (needs_ip && !mxd_ip_valid(ip))
            e = skip(c, MXD_CHECK_SKIPPED,
                     diag_printf("the sending IP '%.*s' is not an IP address: give it with --ip",
                                 DIAG_FACT_SHOWN, ip));
        else if (needs_ip && d->sending_ip_owner && not_users(d, k))
            e = skip(c, MXD_CHECK_NOT_APPLICABLE, owner_note(d, k));
        else if (k == KB_CHECK_SPF && !mfdom)
            e = skip(c, MXD_CHECK_SKIPPED,
                     d->mail_from && !*d->mail_from
                         ? diag_printf("the envelope sender is null (<>) and the HELO name is not "
                                       "known: give the MAIL FROM with --mail-from")
                         : diag_printf("the sender domain is not known: give it with --domain or "
                                       "--mail-from"));
        else if (k == KB_CHECK_SPF && !mxd_domain_valid(mfdom))
            e = skip(
                c, MXD_CHECK_SKIPPED,
                mfdom == dom || (dom && !strcmp(mfdom, dom))
                    ? diag_printf("the sender domain '%.*s' is not a valid domain name: "
                                  "give it with --domain or --mail-from",
                                  DIAG_FACT_SHOWN, mfdom)
                    : diag_printf("the MAIL FROM domain '%.*s' is not a valid domain name: give "
                                  "it with --mail-from",
                                  DIAG_FACT_SHOWN, mfdom));
        else if (needs_dom && !dom)
            e = skip(c, MXD_CHECK_SKIPPED,
                     diag_printf("the sender domain is not known: give it with --domain"));
        else if (needs_dom && !mxd_domain_valid(dom))
            e = skip(c, MXD_CHECK_SKIPPED,
                     diag_printf("the sender domain '%.*s' is not a valid domain name: give it "
                                 "with --domain",
                                 DIAG_FACT_SHOWN, dom));
        else if (k == KB_CHECK_MX && !rdom)
            e = skip(c, MXD_CHECK_SKIPPED, diag_printf("the recipient domain is not known"));
        else if (k == KB_CHECK_MX && !mxd_domain_valid(rdom))
            e = skip(c, MXD_CHECK_SKIPPED,
                     diag_printf("the recipient domain '%.*s' is not a valid domain name",
                                 DIAG_FACT_SHOWN, rdom));
        else if (!r)
            e = skip(c, MXD_CHECK_UNCHECKED, diag_printf("not checked: live DNS checks are off"));
    }
    if (e || !r)
        return e;

    /* one batch: blocklists + reverse DNS of the IP, MX of the recipient domain */
    mxd_ip_report *iprep = NULL;
    mxd_mx_report *mxrep = NULL;
    int want_ip = (by[KB_CHECK_DNSBL] && !by[KB_CHECK_DNSBL]->summary) ||
                  (by[KB_CHECK_PTR] && !by[KB_CHECK_PTR]->summary);
    char why[256] = "";
    if (want_ip) {
        mxd_check_opts co = {.spamhaus_key = opts->spamhaus_key,
                             .abusix_key = opts->abusix_key,
                             .domain = dom && mxd_domain_valid(dom) ? dom : NULL,
                             .no_probe = opts->no_probe};
        e = mxd_ip_check_submit(r, kb, ip, &co, &iprep, why, sizeof why);
    }
    if (!e && by[KB_CHECK_MX] && !by[KB_CHECK_MX]->summary)
        e = mxd_mx_check_submit(r, kb, rdom, &mxrep);
    if (!e && (iprep || mxrep))
        e = mxd_resolver_run(r);
    if (!e && iprep && by[KB_CHECK_DNSBL] && !by[KB_CHECK_DNSBL]->summary)
        e = check_dnsbl(iprep, by[KB_CHECK_DNSBL]);
    if (!e && iprep && by[KB_CHECK_PTR] && !by[KB_CHECK_PTR]->summary)
        e = check_ptr(iprep, by[KB_CHECK_PTR]);
    if (!e && mxrep)
        e = check_mx(mxrep, by[KB_CHECK_MX]);
    /* the reports themselves, for the JSON (a check that ran keeps its data) */
    if (!e && iprep && by[KB_CHECK_DNSBL] && !by[KB_CHECK_DNSBL]->data)
        by[KB_CHECK_DNSBL]->data = mxd_ip_report_json(iprep, 0);
    if (!e && iprep && by[KB_CHECK_PTR] && !by[KB_CHECK_PTR]->data)
        by[KB_CHECK_PTR]->data = mxd_ip_report_json(iprep, 0);
    if (!e && mxrep)
        by[KB_CHECK_MX]->data = mxd_mx_report_json(mxrep, 0);
    mxd_ip_report_free(iprep);
    mxd_mx_report_free(mxrep);
    if (!e && by[KB_CHECK_SPF] && !by[KB_CHECK_SPF]->summary)
        e = check_spf(r, d, by[KB_CHECK_SPF]);
    if (!e && by[KB_CHECK_DKIM] && !by[KB_CHECK_DKIM]->summary)
        e = diag_check_dkim(r, kb, d->dkim_domain ? d->dkim_domain : dom, d->dkim_selector,
                            by[KB_CHECK_DKIM]);
    if (!e && by[KB_CHECK_DMARC] && !by[KB_CHECK_DMARC]->summary)
        e = diag_check_dmarc(r, d, by[KB_CHECK_DMARC]);
    if (!e)
        e = distrust(r, by, d);
    if (e)
        return e;

    /* DNS unreachable: every check that asked got no answer */
    size_t asked = 0, failed = 0;
    for (size_t i = 0; i < d->nchecks; i++) {
        if (d->checks[i].state == MXD_CHECK_SKIPPED ||
            d->checks[i].state == MXD_CHECK_NOT_APPLICABLE)
            continue;
        asked++;
        failed += d->checks[i].state == MXD_CHECK_UNCHECKED;
    }
    d->dns_unreachable = asked && asked == failed && !d->resolver_suspect;
    return MXD_OK;
}
