/* diagnose_internal.h - shared inside lib/diagnose (internal)
 * SPDX-License-Identifier: MIT
 */
#ifndef MXD_DIAGNOSE_INTERNAL_H
#define MXD_DIAGNOSE_INTERNAL_H

#include "mxdiag/diagnose.h"
#include "kb/kb_internal.h"

/* diag_run_checks - run the checks whose bit (1 << kb_check) is set in want, filling
 * d->checks. With no resolver every check is UNCHECKED. */
mxd_err diag_run_checks(const mxd_kb *kb, mxd_resolver *r, const mxd_diag_opts *opts, unsigned want,
                        mxd_diagnosis *d);

/* diag_check_dkim / diag_check_dmarc - the DKIM key (selector, or common selectors when
 * NULL) and DMARC policy of domain (dkim.c). */
mxd_err diag_check_dkim(mxd_resolver *r, const mxd_kb *kb, const char *domain, const char *selector,
                        mxd_diag_check *c);
mxd_err diag_check_dmarc(mxd_resolver *r, const char *domain, mxd_diag_check *c);

char *diag_strdup(const char *s);
char *diag_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
mxd_err diag_finding(mxd_diag_check *c, char *text);                 /* takes text */
void diag_set(mxd_diag_check *c, mxd_check_state st, char *summary); /* takes summary */
char *diag_fill(const mxd_diagnosis *d, const char *tmpl, const char *passing,
                const char *listings);

#endif
