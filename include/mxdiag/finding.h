/* finding.h - one problem found by a check, with its severity and the fix
 * SPDX-License-Identifier: MIT
 *
 * The SPF lint, the DMARC and DKIM checks and `check domain` report what they found as a list
 * of findings, worst first when a caller sorts them with mxd_findings_sort().
 */
#ifndef MXDIAG_FINDING_H
#define MXDIAG_FINDING_H

#include <stddef.h>
#include "mxdiag/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mxd_severity {
    MXD_SEV_INFO = 0,    /* worth knowing, nothing to do */
    MXD_SEV_WARNING = 1, /* should be fixed: weakens delivery or protection */
    MXD_SEV_ERROR = 2    /* must be fixed: receivers treat it as broken or missing */
} mxd_severity;

typedef struct mxd_finding {
    mxd_severity severity;
    const char *area; /* "spf", "dmarc", "dkim", "mx", "mta-sts", "tls-rpt" (static) */
    const char *code; /* stable id, e.g. "spf-too-many-lookups" (static) */
    char *text;       /* what is wrong, one sentence */
    char *fix;        /* what to do, or NULL */
} mxd_finding;

/* mxd_severity_name - "info", "warning" or "error". */
MXD_API const char *mxd_severity_name(mxd_severity s);

/* mxd_findings_sort - order findings worst first (stable within one severity). */
MXD_API void mxd_findings_sort(mxd_finding *f, size_t n);

#ifdef __cplusplus
}
#endif
#endif
