/* auth.c - the DKIM and DMARC checks of a diagnosis
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include <string.h>
#include "diagnose/diagnose_internal.h"
#include "mxdiag/dkim.h"
#include "mxdiag/check.h"
#include "mxdiag/dmarc.h"
#include "util/buf.h"

static int dns_trouble(mxd_dns_status s)
{
    return s == MXD_DNS_TIMEOUT || s == MXD_DNS_SERVFAIL || s == MXD_DNS_REFUSED ||
           s == MXD_DNS_ERROR;
}

/* diag_check_dkim - the key at the selector (from the option or the returned message's
 * signature), or the common selectors probed when none is known. Passes with a usable key of
 * MXD_DKIM_GOOD_BITS or more (or an ed25519 key). */
mxd_err diag_check_dkim(mxd_resolver *r, const mxd_kb *kb, const char *domain, const char *selector,
                        mxd_diag_check *c)
{
    mxd_dkim_keys_report *rep = NULL;
    const char *sel[1] = {selector};
    mxd_err e = mxd_dkim_keys(r, kb, domain, sel, selector ? 1 : 0, &rep);
    if (e == MXD_ERR_INVALID) {
        e = diag_finding(c, selector ? diag_printf("'%.80s' is not a valid DKIM selector", selector)
                                     : diag_printf("'%.80s' is not a valid domain", domain));
        diag_set(c, MXD_CHECK_FAIL, diag_printf("no usable DKIM selector for %s", domain));
        return c->summary ? e : MXD_ERR_NOMEM;
    }
    if (e)
        return e;
    const mxd_dkim_key *good = NULL, *weak = NULL, *bad = NULL;
    size_t trouble = 0;
    for (size_t i = 0; i < rep->nkeys; i++) {
        const mxd_dkim_key *k = &rep->keys[i];
        if (dns_trouble(k->status))
            trouble++;
        if (!k->found)
            continue;
        int strong = k->valid && (k->bits >= MXD_DKIM_GOOD_BITS || !strcmp(k->key_type, "ed25519"));
        if (strong && !good)
            good = k;
        else if (k->valid && !strong && !weak)
            weak = k;
        else if (!k->valid && !bad)
            bad = k;
    }
    if (good) {
        diag_set(c, MXD_CHECK_PASS,
                 good->bits ? diag_printf("DKIM key %s is %s, %d bits", good->name, good->key_type,
                                          good->bits)
                            : diag_printf("DKIM key %s is %s", good->name, good->key_type));
    } else if (weak) {
        e = diag_finding(c, diag_printf("DKIM key %s is %d bits: publish a key of %d bits or "
                                        "more",
                                        weak->selector, weak->bits, MXD_DKIM_GOOD_BITS));
        diag_set(c, MXD_CHECK_FAIL,
                 diag_printf("DKIM key %s is only %d bits", weak->name, weak->bits));
    } else if (bad) {
        e = diag_finding(c, bad->revoked
                                ? diag_printf("DKIM key %s is revoked (empty p=)", bad->name)
                                : diag_printf("DKIM key %s is not usable: %s", bad->name,
                                              bad->problem ? bad->problem : "invalid record"));
        diag_set(c, MXD_CHECK_FAIL, diag_printf("no usable DKIM key for %s", domain));
    } else if (trouble && trouble == rep->nkeys) {
        e = diag_finding(c, diag_printf("the DKIM key lookups for %s failed (DNS)", domain));
        diag_set(c, MXD_CHECK_UNCHECKED, diag_printf("DKIM of %s not checked", domain));
    } else if (selector) {
        e = diag_finding(c, diag_printf("no DKIM key at %s._domainkey.%s", selector, domain));
        diag_set(c, MXD_CHECK_FAIL,
                 diag_printf("no DKIM key for %s at selector %s", domain, selector));
    } else {
        e = diag_finding(c, diag_printf("no DKIM key found for %s at %zu common selectors: "
                                        "give the selector with --selector",
                                        domain, rep->nkeys));
        diag_set(c, MXD_CHECK_FAIL, diag_printf("no DKIM key found for %s", domain));
    }
    c->data = mxd_dkim_keys_report_json(rep, 0);
    mxd_dkim_keys_report_free(rep);
    return c->summary ? e : MXD_ERR_NOMEM;
}

/* diag_spf_eval - SPF for the envelope domain of the diagnosis. */
mxd_err diag_spf_eval(mxd_resolver *r, const mxd_diagnosis *d, mxd_spf_eval **ev)
{
    *ev = NULL;
    if (!d->sending_ip || !mxd_ip_valid(d->sending_ip) || !d->mail_from_domain ||
        !mxd_domain_valid(d->mail_from_domain))
        return MXD_ERR_INVALID;
    /* the address only when it is one (macros use its local part); a bare domain or the null
     * sender leave check_host() to the domain */
    const char *mf = d->mail_from && strchr(d->mail_from, '@') ? d->mail_from : NULL;
    const char *helo = d->helo && mxd_domain_valid(d->helo) ? d->helo : NULL;
    mxd_spf_request req = {d->sending_ip, mf, helo, d->mail_from_domain, NULL};
    return mxd_spf_check(r, &req, ev);
}

/* org_or_name - the organisational domain of name into out, else name itself. */
static const char *org_or_name(const char *name, char *out, size_t outlen)
{
    return mxd_dmarc_org_domain(name, out, outlen) == MXD_OK ? out : name;
}

/* spf_finding - why SPF gives no aligned pass, with the fix that applies. */
static char *spf_finding(const diag_auth *a, int spf_aligns)
{
    const char *from = a->from_domain, *mf = a->mail_from_domain;
    const char *res = a->spf >= 0 ? mxd_spf_result_name((mxd_spf_result)a->spf) : NULL;
    if (!mf)
        return diag_printf("SPF cannot align: the envelope sender (MAIL FROM) is not known: "
                           "give it with --mail-from");
    const char *role = a->mail_from_assumed ? "assumed to be the MAIL FROM domain: give the "
                                              "envelope sender with --mail-from"
                                            : "the MAIL FROM domain";
    if (spf_aligns) {
        if (a->spf < 0)
            return diag_printf("SPF for %s (%s) could not be evaluated", mf, role);
        return diag_printf("SPF for %s (%s) aligns with %s but gives %s, not pass (see the spf "
                           "check)",
                           mf, role, from, res);
    }
    char o1[256], o2[256];
    const char *why =
        a->aspf_strict
            ? diag_printf("aspf=s: %s is not %s", mf, from)
            : diag_printf("aspf=r: organisational domains %s and %s differ",
                          org_or_name(mf, o1, sizeof o1), org_or_name(from, o2, sizeof o2));
    if (!why)
        return NULL;
    const char *verdict = a->spf == MXD_SPF_PASS ? "passes" : res ? res : "is unknown";
    char *t = a->aspf_strict
                  ? diag_printf("SPF %s for %s (the MAIL FROM domain), which does not align with "
                                "the From domain %s (%s): use %s itself as the return-path "
                                "domain at your sending service, or relax the policy to aspf=r "
                                "and use a custom return-path under %s",
                                verdict, mf, from, why, from, from)
                  : diag_printf("SPF %s for %s (the MAIL FROM domain), which does not align with "
                                "the From domain %s (%s): set a custom return-path (bounce "
                                "domain) under %s at your sending service (e.g. bounces.%s, a "
                                "CNAME or MX and SPF as the service documents)",
                                verdict, mf, from, why, from, from);
    free((char *)why);
    return t;
}

/* dkim_finding - why no DKIM signature aligns, with the fix that applies. */
static char *dkim_finding(const diag_auth *a)
{
    const char *from = a->from_domain;
    if (!a->signers_known)
        return diag_printf("DKIM alignment not known: the input holds no header of the "
                           "returned message (DMARC passes if it was signed with d=%s or a "
                           "subdomain%s)",
                           from, a->adkim_strict ? ", adkim=s: exactly" : "");
    if (!a->nsigners)
        return diag_printf("the returned message carries no DKIM signature: sign with d=%s "
                           "(have your sending service sign with your domain and publish its "
                           "key under %s)",
                           from, from);
    buf b;
    buf_init(&b, 4096);
    for (size_t i = 0; i < a->nsigners; i++)
        if (buf_printf(&b, "%sd=%s", i ? ", " : "", a->signers[i])) {
            buf_free(&b);
            return NULL;
        }
    char *t = diag_printf("DKIM %s does not align with the From domain %s (adkim=%c): have "
                          "your sending service sign with d=%s (publish its DKIM key under %s)",
                          buf_cstr(&b), from, a->adkim_strict ? 's' : 'r', from, from);
    buf_free(&b);
    return t;
}

/* diag_dmarc_verdict - SPF or DKIM aligned with the From domain. */
mxd_err diag_dmarc_verdict(const diag_auth *a, mxd_diag_check *c)
{
    const char *from = a->from_domain;
    const char *at = a->record_domain ? a->record_domain : from;
    const char *mf = a->mail_from_domain;
    int spf_aligns = mf && diag_aligned(from, mf, a->aspf_strict);
    const char *dkim_d = NULL;
    for (size_t i = 0; i < a->nsigners && !dkim_d; i++)
        if (diag_aligned(from, a->signers[i], a->adkim_strict))
            dkim_d = a->signers[i];
    mxd_err e = MXD_OK;
    if (spf_aligns && a->spf == MXD_SPF_PASS) {
        diag_set(c, MXD_CHECK_PASS,
                 a->mail_from_assumed
                     ? diag_printf("%s has a DMARC policy (p=%s at %s); SPF passes aligned if "
                                   "the envelope sender is in %s",
                                   from, a->policy, at, mf)
                     : diag_printf("%s has a DMARC policy (p=%s at %s); SPF passes for %s, "
                                   "aligned (aspf=%c)",
                                   from, a->policy, at, mf, a->aspf_strict ? 's' : 'r'));
    } else if (dkim_d) {
        diag_set(c, MXD_CHECK_PASS,
                 diag_printf("%s has a DMARC policy (p=%s at %s); DKIM d=%s aligns (adkim=%c; "
                             "the signature itself is not verified here)",
                             from, a->policy, at, dkim_d, a->adkim_strict ? 's' : 'r'));
    } else {
        e = diag_finding(c, spf_finding(a, spf_aligns));
        if (!e)
            e = diag_finding(c, dkim_finding(a));
        /* unknown is not a failure: SPF not evaluated, or DKIM not seen */
        int unknown =
            !a->signers_known || !mf || a->mail_from_assumed || (spf_aligns && a->spf < 0);
        diag_set(c, unknown ? MXD_CHECK_UNCHECKED : MXD_CHECK_FAIL,
                 unknown ? diag_printf("DMARC alignment for %s not fully checked (p=%s at %s)",
                                       from, a->policy, at)
                         : diag_printf("no SPF or DKIM aligned with %s: DMARC fails (p=%s at "
                                       "%s)",
                                       from, a->policy, at));
    }
    return c->summary ? e : MXD_ERR_NOMEM;
}

/* diag_check_dmarc - the DMARC policy of the From domain, and whether the message could pass
 * it: SPF of the envelope domain or a DKIM signer aligned with From. */
mxd_err diag_check_dmarc(mxd_resolver *r, const mxd_diagnosis *d, mxd_diag_check *c)
{
    const char *domain = d->sender_domain;
    mxd_dmarc_result *res = NULL;
    mxd_err e = mxd_dmarc_lookup(r, domain, &res);
    if (e)
        return e;
    if (res->temperror) {
        e = diag_finding(c, diag_printf("the DMARC lookup for %s failed (DNS)", domain));
        diag_set(c, MXD_CHECK_UNCHECKED, diag_printf("DMARC of %s not checked", domain));
    } else if (!res->record) { /* a malformed record is not a missing one */
        e = diag_finding(c,
                         diag_printf("%s publishes no DMARC record (_dmarc.%s)", domain, domain));
        diag_set(c, MXD_CHECK_FAIL, diag_printf("no DMARC policy for %s", domain));
    } else if (!res->record->valid) {
        e = diag_finding(
            c, diag_printf("the DMARC record of %s is not valid: %s",
                           res->record_domain ? res->record_domain : domain,
                           res->record->nproblems ? res->record->problems[0].text : "syntax"));
        diag_set(c, MXD_CHECK_FAIL, diag_printf("broken DMARC record for %s", domain));
    } else {
        diag_auth a = {.from_domain = domain,
                       .mail_from_domain = d->mail_from_domain,
                       .mail_from_assumed =
                           d->mail_from_domain_from &&
                           !strcmp(d->mail_from_domain_from, DIAG_MAIL_FROM_ASSUMED),
                       .spf = -1,
                       .signers = (const char *const *)d->dkim_signers,
                       .nsigners = d->ndkim_signers,
                       .signers_known = d->returned_headers,
                       .adkim_strict = res->record->adkim_strict,
                       .aspf_strict = res->record->aspf_strict,
                       .policy = mxd_dmarc_policy_name(res->policy),
                       .record_domain = res->record_domain};
        mxd_spf_eval *ev = NULL;
        e = diag_spf_eval(r, d, &ev);
        if (!e && ev->result != MXD_SPF_TEMPERROR)
            a.spf = (int)ev->result;
        e = e == MXD_ERR_NOMEM ? e : diag_dmarc_verdict(&a, c);
        mxd_spf_eval_free(ev);
    }
    c->data = mxd_dmarc_result_json(res, 0);
    mxd_dmarc_result_free(res);
    return c->summary ? e : MXD_ERR_NOMEM;
}
