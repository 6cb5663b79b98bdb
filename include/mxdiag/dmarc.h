/* dmarc.h - DMARC (RFC 7489 and DMARCbis): policy records, discovery, alignment
 * SPDX-License-Identifier: MIT
 *
 * mxd_dmarc_parse() reads one record ("v=DMARC1; p=reject; rua=mailto:...") and validates
 * every tag. mxd_dmarc_lookup() finds the policy that applies to a From domain: the record at
 * _dmarc.<domain>, else the DMARCbis DNS tree walk towards the top-level domain; it reports
 * the organisational domain from the public suffix list (libpsl with Debian's publicsuffix
 * data), checks that external report destinations authorise the reports
 * (<domain>._report._dmarc.<destination>) and lists findings. mxd_dmarc_align() answers
 * whether SPF- and DKIM-authenticated domains align with the From domain.
 */
#ifndef MXDIAG_DMARC_H
#define MXDIAG_DMARC_H

#include <stddef.h>
#include "mxdiag/export.h"
#include "mxdiag/error.h"
#include "mxdiag/dns.h"
#include "mxdiag/finding.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits. */
#define MXD_DMARC_MAX_RECORD  4096 /* longest record examined */
#define MXD_DMARC_MAX_URIS    16   /* rua/ruf destinations kept per tag */
#define MXD_DMARC_WALK_LABELS 8    /* DMARCbis tree walk: names longer are cut to 7 labels */

typedef enum mxd_dmarc_policy {
    MXD_DMARC_ABSENT = -1, /* tag not present (or invalid) */
    MXD_DMARC_NONE = 0,
    MXD_DMARC_QUARANTINE = 1,
    MXD_DMARC_REJECT = 2
} mxd_dmarc_policy;

/* mxd_dmarc_policy_name - "none", "quarantine", "reject", or "-" when absent. */
MXD_API const char *mxd_dmarc_policy_name(mxd_dmarc_policy p);

/* One rua/ruf destination. */
typedef struct mxd_dmarc_uri {
    char *uri;      /* as written, e.g. "mailto:dmarc@example.net!10m" */
    char *address;  /* the mailto address without the size limit, or NULL for other schemes */
    char *domain;   /* the address's domain, or NULL */
    int external;   /* 1 when its organisational domain differs from the policy's */
    int authorised; /* external only: 1 authorised, 0 not, -1 could not tell (DNS trouble)
                       or not checked (parse only) */
} mxd_dmarc_uri;

/* One parsed record. Values absent from the record hold their defaults, except p, sp and np
 * (MXD_DMARC_ABSENT). */
typedef struct mxd_dmarc_record {
    char *text;
    int valid; /* 0: not usable as a DMARC record (no v=DMARC1 first, tag syntax, or no valid
                  p= and no rua=) */
    mxd_dmarc_policy p, sp, np;
    int pct;                       /* 0-100, default 100 */
    int adkim_strict, aspf_strict; /* adkim=s / aspf=s */
    char fo[32];                   /* failure reporting options, default "0" */
    char rf[32];                   /* report format, default "afrf" */
    unsigned long ri;              /* report interval in seconds, default 86400 */
    int testing;                   /* t=y (DMARCbis) */
    char psd;                      /* psd= 'y', 'n', or 'u' (default) */
    mxd_dmarc_uri *rua;
    size_t nrua;
    mxd_dmarc_uri *ruf;
    size_t nruf;
    mxd_finding *problems; /* syntax problems and odd values, one per tag */
    size_t nproblems;
} mxd_dmarc_record;

/* mxd_dmarc_parse - parse and validate one record (len bytes). On MXD_OK *out holds the
 * record (valid or not: see ->valid and ->problems), freed with mxd_dmarc_record_free().
 * MXD_ERR_TOOBIG past MXD_DMARC_MAX_RECORD, MXD_ERR_NOMEM. */
MXD_API mxd_err mxd_dmarc_parse(const char *txt, size_t len, mxd_dmarc_record **out);
MXD_API void mxd_dmarc_record_free(mxd_dmarc_record *r);

/* The DMARC policy of a From domain. */
typedef struct mxd_dmarc_result {
    char *domain;        /* the From domain asked about */
    char *org_domain;    /* its organisational domain by the public suffix list, or NULL */
    char *record_domain; /* where the record was found, or NULL */
    int found;           /* 1 when a record applies */
    int temperror;       /* 1 when DNS trouble kept us from knowing */
    mxd_dmarc_record *record;
    mxd_dmarc_policy policy; /* the policy for domain: p at the domain itself, sp (else p)
                                when the record is a parent's */
    mxd_finding *findings;   /* worst first */
    size_t nfindings;
} mxd_dmarc_result;

/* mxd_dmarc_lookup - discover and check the DMARC policy of domain. On MXD_OK *out is the
 * result (a missing record is a finding), freed with mxd_dmarc_result_free(). Errors:
 * MXD_ERR_INVALID (not a domain name), MXD_ERR_NOMEM. */
MXD_API mxd_err mxd_dmarc_lookup(mxd_resolver *r, const char *domain, mxd_dmarc_result **out);
MXD_API void mxd_dmarc_result_free(mxd_dmarc_result *d);

/* mxd_dmarc_result_json - {"domain", "org_domain", "record_domain", "record", "policy", "p",
 * "sp", "np", "pct", "adkim", "aspf", "rua", "ruf", "fo", "rf", "ri", "t", "psd",
 * "findings"}; free() the string. NULL when out of memory. */
MXD_API char *mxd_dmarc_result_json(const mxd_dmarc_result *d, int pretty);

/* mxd_dmarc_org_domain - the organisational domain of name (public suffix list) into out;
 * MXD_ERR_NOTFOUND when name is a public suffix itself, MXD_ERR_INVALID for a bad name,
 * MXD_ERR_TOOBIG when out is too small. */
MXD_API mxd_err mxd_dmarc_org_domain(const char *name, char *out, size_t outlen);

/* What DMARC alignment says about one message. */
typedef struct mxd_dmarc_alignment {
    int spf_aligned;  /* the SPF-authenticated domain aligns with From */
    int dkim_aligned; /* at least one passing DKIM d= aligns with From */
    int dkim_index;   /* which d= aligned (index into the array), -1 none */
    int pass;         /* DMARC pass: SPF or DKIM aligned */
} mxd_dmarc_alignment;

/* mxd_dmarc_align - alignment of spf_domain (the domain SPF passed for, NULL when SPF did not
 * pass) and dkim_domains (d= of the signatures that verified) with from_domain; relaxed
 * (organisational domains equal) unless the strict flag (adkim=s / aspf=s) asks for exact
 * equality. Names compare without regard to case or a trailing dot. */
MXD_API mxd_err mxd_dmarc_align(const char *from_domain, const char *spf_domain,
                                const char *const *dkim_domains, size_t ndkim, int adkim_strict,
                                int aspf_strict, mxd_dmarc_alignment *out);

#ifdef __cplusplus
}
#endif
#endif
