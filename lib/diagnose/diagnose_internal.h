/* diagnose_internal.h - shared inside lib/diagnose (internal)
 * SPDX-License-Identifier: MIT
 */
#ifndef MXD_DIAGNOSE_INTERNAL_H
#define MXD_DIAGNOSE_INTERNAL_H

#include "mxdiag/diagnose.h"
#include "kb/kb_internal.h"
#include "mxdiag/spf.h"

/* diag_run_checks - run the checks whose bit (1 << kb_check) is set in want, filling
 * d->checks. With no resolver every check is UNCHECKED. */
mxd_err diag_run_checks(const mxd_kb *kb, mxd_resolver *r, const mxd_diag_opts *opts, unsigned want,
                        mxd_diagnosis *d);

/* diag_check_dkim / diag_check_dmarc - the DKIM key (selector, or common selectors when
 * NULL) and DMARC policy of domain (dkim.c). */
mxd_err diag_check_dkim(mxd_resolver *r, const mxd_kb *kb, const char *domain, const char *selector,
                        mxd_diag_check *c);
mxd_err diag_check_dmarc(mxd_resolver *r, const mxd_diagnosis *d, mxd_diag_check *c);

/* Where mail_from_domain came from when the bounce names no envelope sender. */
#define DIAG_MAIL_FROM_ASSUMED "assumed: the From domain; the bounce names no envelope sender"

/* diag_sender_facts - envelope sender, HELO and DKIM signers of the returned message in data
 * (NULL for a pasted reply), with opts->mail_from over them (sender.c). */
mxd_err diag_sender_facts(const char *data, size_t len, const mxd_diag_opts *opts,
                          mxd_diagnosis *d);

/* diag_mail_from_valid - 1 when s is usable as --mail-from: local@domain or a domain. */
int diag_mail_from_valid(const char *s);

/* diag_mailbox - the address in a header value ("<a@b>", "Name <a@b>", "rfc822; a@b"; "<>"
 * gives "") into out. Returns 1 when found. */
int diag_mailbox(const char *v, size_t n, char *out, size_t outlen);

/* diag_aligned - 1 when other aligns with the From domain from: the same name (strict), or
 * the same organisational domain by the public suffix list (relaxed). */
int diag_aligned(const char *from, const char *other, int strict);

/* diag_spf_eval - SPF (check_host) for the diagnosis: the sending IP and the envelope domain
 * (mail_from_domain, with mail_from and helo for macros). *ev is freed with
 * mxd_spf_eval_free(); MXD_ERR_INVALID when the IP or the domain is missing or malformed. */
mxd_err diag_spf_eval(mxd_resolver *r, const mxd_diagnosis *d, mxd_spf_eval **ev);

/* What DMARC alignment is judged on (auth.c). */
typedef struct diag_auth {
    const char *from_domain;      /* the header From domain */
    const char *mail_from_domain; /* the SPF identity, NULL when unknown */
    int mail_from_assumed;        /* 1: the From domain stands in for an unknown envelope */
    int spf;                      /* SPF for mail_from_domain: an mxd_spf_result, -1 unknown */
    const char *const *signers;   /* d= of the returned message's DKIM signatures */
    size_t nsigners;
    int signers_known; /* 1: the returned message's header was seen */
    int adkim_strict, aspf_strict;
    const char *policy;        /* "reject", ... */
    const char *record_domain; /* where the DMARC record is */
} diag_auth;

/* diag_dmarc_verdict - whether SPF or DKIM passes aligned with the From domain, as the DMARC
 * check's state, summary and findings: PASS when one aligns, FAIL when the returned message
 * shows that neither does (with the fix that applies), UNCHECKED when it cannot be told. */
mxd_err diag_dmarc_verdict(const diag_auth *a, mxd_diag_check *c);

char *diag_strdup(const char *s);
char *diag_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The most of a stranger's fact (a domain, a host name) a message quotes. */
#define DIAG_FACT_SHOWN 80
mxd_err diag_finding(mxd_diag_check *c, char *text);                 /* takes text */
void diag_set(mxd_diag_check *c, mxd_check_state st, char *summary); /* takes summary */
char *diag_fill(const mxd_diagnosis *d, const char *tmpl, const char *passing,
                const char *listings);

#endif
