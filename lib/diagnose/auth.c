/* auth.c - the DKIM and DMARC checks of a diagnosis
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include <string.h>
#include "diagnose/diagnose_internal.h"
#include "mxdiag/dkim.h"
#include "mxdiag/dmarc.h"

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

mxd_err diag_check_dmarc(mxd_resolver *r, const char *domain, mxd_diag_check *c)
{
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
        diag_set(c, MXD_CHECK_PASS,
                 diag_printf("%s has a DMARC policy (p=%s at %s)", domain,
                             mxd_dmarc_policy_name(res->policy),
                             res->record_domain ? res->record_domain : domain));
    }
    c->data = mxd_dmarc_result_json(res, 0);
    mxd_dmarc_result_free(res);
    return c->summary ? e : MXD_ERR_NOMEM;
}
