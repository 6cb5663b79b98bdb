/* auth.c - the DKIM and DMARC checks of a diagnosis
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include "diagnose/diagnose_internal.h"
#include "mxdiag/dmarc.h"

mxd_err diag_check_dkim(mxd_resolver *r, const mxd_kb *kb, const char *domain, const char *selector,
                        mxd_diag_check *c)
{
    (void)r;
    (void)kb;
    (void)selector;
    char *s = diag_printf("DKIM of %s: not checked yet", domain);
    diag_set(c, MXD_CHECK_UNCHECKED, s);
    return s ? diag_finding(c, diag_strdup(s)) : MXD_ERR_NOMEM;
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
    } else if (!res->found || !res->record) {
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
    mxd_dmarc_result_free(res);
    return c->summary ? e : MXD_ERR_NOMEM;
}
