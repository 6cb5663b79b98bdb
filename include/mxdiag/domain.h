/* domain.h - a sending domain's whole setup: MX, SPF, DMARC, DKIM keys, MTA-STS, TLS-RPT
 * SPDX-License-Identifier: MIT
 *
 * mxd_check_domain() runs the checks of `mxdiag check domain`: the MX hosts (with their
 * provider), an SPF lint, the DMARC policy, the DKIM keys (given selectors or the common ones
 * probed), and the MTA-STS (_mta-sts) and TLS-RPT (_smtp._tls) records; the MTA-STS policy
 * file itself is not fetched. Independent queries share resolver runs. All findings are
 * merged, worst first: the first ones are what to fix first.
 */
#ifndef MXDIAG_DOMAIN_H
#define MXDIAG_DOMAIN_H

#include <stddef.h>
#include "mxdiag/export.h"
#include "mxdiag/error.h"
#include "mxdiag/kb.h"
#include "mxdiag/dns.h"
#include "mxdiag/finding.h"
#include "mxdiag/check.h"
#include "mxdiag/spf.h"
#include "mxdiag/dmarc.h"
#include "mxdiag/dkim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An MTA-STS (RFC 8461) or TLS-RPT (RFC 8460) TXT record. */
typedef struct mxd_txt_policy {
    char *name;            /* _mta-sts.<domain> or _smtp._tls.<domain> */
    mxd_dns_status status; /* of the TXT query */
    int found;             /* a record with the right version tag is there */
    int valid;             /* and it is well-formed */
    char *record;
    char *id;  /* MTA-STS: id= */
    char *rua; /* TLS-RPT: rua= */
    char *problem;
} mxd_txt_policy;

/* The areas of a domain check, in the order they are shown. */
typedef enum mxd_domain_area {
    MXD_AREA_MX = 0,
    MXD_AREA_SPF = 1,
    MXD_AREA_DMARC = 2,
    MXD_AREA_DKIM = 3,
    MXD_AREA_MTA_STS = 4,
    MXD_AREA_TLS_RPT = 5
} mxd_domain_area;
#define MXD_DOMAIN_AREAS 6

/* mxd_domain_area_name - "mx", "spf", "dmarc", "dkim", "mta-sts", "tls-rpt" (the area of
 * its findings). */
MXD_API const char *mxd_domain_area_name(mxd_domain_area a);

typedef struct mxd_domain_report {
    char *domain;
    mxd_mx_report *mx;
    mxd_spf_report *spf;
    mxd_dmarc_result *dmarc;
    mxd_dkim_keys_report *dkim;
    mxd_txt_policy mta_sts;
    mxd_txt_policy tls_rpt;
    mxd_finding *findings; /* of every area, worst first */
    size_t nfindings;
    size_t errors, warnings;
    int dns_trouble; /* some lookups failed (timeout, SERVFAIL ...) */
    /* the verdict of each area (index mxd_domain_area): FAIL when it has an error finding,
     * UNCHECKED when its lookups failed (a timeout is never "none") or when what it found
     * missing rests on a suspect resolver's NXDOMAIN, else PASS */
    mxd_check_state state[MXD_DOMAIN_AREAS];
    size_t unchecked;       /* areas UNCHECKED */
    int dns_unusable;       /* no area could be checked */
    char *resolver_suspect; /* why the resolver's "does not exist" cannot be believed
                               (mxd_nxdomain_suspect()), or NULL */
} mxd_domain_report;

/* mxd_check_domain - check domain. selectors (nsel of them) are the DKIM selectors to look
 * up; with none, the common selectors of kb are probed. On MXD_OK *out is the report, freed
 * with mxd_domain_report_free(). MXD_ERR_INVALID for a bad domain or selector, MXD_ERR_NOMEM. */
MXD_API mxd_err mxd_check_domain(mxd_resolver *r, const mxd_kb *kb, const char *domain,
                                 const char *const *selectors, size_t nsel,
                                 mxd_domain_report **out);
MXD_API void mxd_domain_report_free(mxd_domain_report *rep);

/* mxd_domain_report_json - {"domain", "mx", "spf", "dmarc", "dkim", "mta_sts", "tls_rpt",
 * "findings", "error_count", "warning_count", "dns_trouble", "warnings"}: mx, spf, dmarc and dkim
 * as their own JSON forms. free() the string; NULL when out of memory. */
MXD_API char *mxd_domain_report_json(const mxd_domain_report *rep, int pretty);

/* mxd_mta_sts_parse / mxd_tls_rpt_parse - check one record's text into p (zeroed first; free
 * with mxd_txt_policy_clear()). MXD_OK or MXD_ERR_NOMEM. */
MXD_API mxd_err mxd_mta_sts_parse(const char *txt, size_t len, mxd_txt_policy *p);
MXD_API mxd_err mxd_tls_rpt_parse(const char *txt, size_t len, mxd_txt_policy *p);
MXD_API void mxd_txt_policy_clear(mxd_txt_policy *p);

#ifdef __cplusplus
}
#endif
#endif
