/* spf.h - SPF (RFC 7208): check_host() for a client IP, and a lint of a domain's policy
 * SPDX-License-Identifier: MIT
 *
 * mxd_spf_check() is RFC 7208's check_host(): it fetches the domain's SPF record through the
 * resolver and evaluates it for one client IP, with all mechanisms and modifiers, macros, the
 * explanation string and the processing limits below. Its outcome is one of the seven RFC
 * results; DNS trouble gives temperror, never "none" or "fail".
 *
 * mxd_spf_lint() looks at a domain's SPF policy without an IP: how many DNS lookups it costs
 * (and which include pushes it past the limit), void lookups, syntax problems, deprecated or
 * risky terms, records too long for one UDP answer, and the flattened list of networks it
 * authorises.
 */
#ifndef MXDIAG_SPF_H
#define MXDIAG_SPF_H

#include <stddef.h>
#include "mxdiag/export.h"
#include "mxdiag/error.h"
#include "mxdiag/dns.h"
#include "mxdiag/finding.h"

#ifdef __cplusplus
extern "C" {
#endif

/* RFC 7208 section 4.6.4 limits. */
#define MXD_SPF_MAX_DNS_TERMS 10 /* mechanisms and modifiers that query DNS, per evaluation */
#define MXD_SPF_MAX_VOID      2  /* terms whose lookup returned NXDOMAIN or no records */
#define MXD_SPF_MAX_MX        10 /* MX names looked up for one "mx" term (more: permerror) */
#define MXD_SPF_MAX_PTR       10 /* PTR names checked for "ptr" and %{p} (the rest ignored) */
/* Our own bounds (section 4.6.4 asks for a time limit of at least 20 seconds). */
#define MXD_SPF_MAX_SECONDS 20  /* wall time of one evaluation; beyond it: temperror */
#define MXD_SPF_MAX_QUERIES 256 /* DNS queries of one evaluation, all kinds together */
#define MXD_SPF_MAX_DEPTH   12  /* include/redirect nesting (the term limit stops it first) */
#define MXD_SPF_UDP_LIMIT   512 /* DNS answer size a resolver can always take over UDP */

typedef enum mxd_spf_result {
    MXD_SPF_NONE = 0,
    MXD_SPF_NEUTRAL = 1,
    MXD_SPF_PASS = 2,
    MXD_SPF_FAIL = 3,
    MXD_SPF_SOFTFAIL = 4,
    MXD_SPF_TEMPERROR = 5,
    MXD_SPF_PERMERROR = 6
} mxd_spf_result;

/* mxd_spf_result_name - "none", "neutral", "pass", "fail", "softfail", "temperror",
 * "permerror". */
MXD_API const char *mxd_spf_result_name(mxd_spf_result r);

/* One SPF record met while evaluating or linting: the top domain, then the records reached
 * through include and redirect. */
typedef struct mxd_spf_node {
    char *domain;
    char *record;    /* the SPF record text, or NULL when none was found */
    const char *via; /* "top", "include" or "redirect" (static) */
    char *term;      /* the include/redirect term that led here; NULL for the top */
    int lookups;     /* DNS-querying terms of this record itself (counted as evaluated) */
    int total;       /* running count of the whole evaluation after this record */
    int void_lookups;
    mxd_spf_result result; /* outcome of this record (lint: MXD_SPF_NONE when not found) */
    char *problem;         /* why it is permerror/temperror/none, or NULL */
    struct mxd_spf_node **children;
    size_t nchildren;
} mxd_spf_node;

/* What to check. ip is required. The identity is domain when set, else the domain of
 * mail_from, else (mail_from NULL or empty) helo: RFC 7208 section 2.4. */
typedef struct mxd_spf_request {
    const char *ip;        /* client IP, IPv4 or IPv6 text */
    const char *mail_from; /* MAIL FROM address, may be NULL or "" */
    const char *helo;      /* HELO/EHLO name, may be NULL */
    const char *domain;    /* overrides the identity's domain, may be NULL */
    const char *receiver;  /* %{r} in explanations; NULL = "unknown" */
} mxd_spf_request;

/* The outcome of mxd_spf_check(). All strings belong to the evaluation. */
typedef struct mxd_spf_eval {
    mxd_spf_result result;
    char *domain;             /* the domain check_host() started with */
    char *sender;             /* <sender> for macros: local@domain */
    char *explanation;        /* fail only: the exp= text, or our default text; else NULL */
    int explanation_from_exp; /* 1 when explanation came from an exp= modifier */
    char *mechanism;          /* the deciding term ("-all", "include:x"), NULL for a default */
    char *mechanism_domain;   /* the domain whose record holds that term */
    char *problem;            /* why none/permerror/temperror, or NULL */
    int dns_lookups;          /* DNS-querying terms counted (the limit is 10) */
    int void_lookups;         /* void lookups counted (the limit is 2) */
    int dns_queries;          /* DNS queries actually sent, of any kind */
    mxd_spf_node *tree;       /* records evaluated, NULL when none was fetched */
} mxd_spf_eval;

/* mxd_spf_check - check_host() for the request. On MXD_OK *out holds the evaluation (whatever
 * the SPF result), freed with mxd_spf_eval_free(). MXD_ERR_INVALID: the IP is not an address,
 * or there is no identity (no domain, mail_from or helo); MXD_ERR_NOMEM. */
MXD_API mxd_err mxd_spf_check(mxd_resolver *r, const mxd_spf_request *req, mxd_spf_eval **out);
MXD_API void mxd_spf_eval_free(mxd_spf_eval *e);

/* mxd_spf_eval_json - {"result", "domain", "explanation", "mechanism", "dns_lookups",
 * "void_lookups", "tree"} (and "problem", "explanation_source", "mechanism_domain"). The
 * caller frees the string with free(); NULL when out of memory. */
MXD_API char *mxd_spf_eval_json(const mxd_spf_eval *e, int pretty);

/* One network the policy authorises, flattened from ip4/ip6/a/mx terms at any depth. */
typedef struct mxd_spf_net {
    char *net;     /* "192.0.2.0/24", "2001:db8::/32", "192.0.2.1" (/32 and /128 left out) */
    char *source;  /* "example.com ip4:192.0.2.0/24", "_spf.example.net mx" ... */
    int qualifier; /* '+', '-', '~' or '?' of the term */
} mxd_spf_net;

/* The outcome of mxd_spf_lint(). */
typedef struct mxd_spf_report {
    char *domain;
    char *record;          /* the top SPF record, NULL when none */
    mxd_spf_result status; /* NONE (no record), PERMERROR (broken: several records, syntax,
                              over the limits), TEMPERROR (DNS trouble), else NEUTRAL */
    int dns_lookups;       /* DNS-querying terms of the whole policy (limit 10) */
    int void_lookups;      /* terms whose lookup found nothing (limit 2) */
    char *over_limit;      /* the term that takes the count past 10, with its path, or NULL */
    size_t udp_size;       /* size of the TXT answer for the domain, in bytes */
    int flattenable;       /* 0 when a term depends on macros or ptr/exists (cannot flatten) */
    mxd_spf_net *nets;
    size_t nnets;
    mxd_finding *findings; /* worst first */
    size_t nfindings;
    mxd_spf_node *tree;
} mxd_spf_report;

/* mxd_spf_lint - lint the SPF policy of domain. On MXD_OK *out is the report, freed with
 * mxd_spf_report_free(); a missing or broken record is a finding, not an error. Errors:
 * MXD_ERR_INVALID (not a domain name), MXD_ERR_NOMEM. */
MXD_API mxd_err mxd_spf_lint(mxd_resolver *r, const char *domain, mxd_spf_report **out);
MXD_API void mxd_spf_report_free(mxd_spf_report *l);

/* mxd_spf_report_json - {"domain", "record", "status", "dns_lookups", "void_lookups",
 * "over_limit", "udp_size", "networks", "findings", "tree"}; free() the string. */
MXD_API char *mxd_spf_report_json(const mxd_spf_report *l, int pretty);

#ifdef __cplusplus
}
#endif
#endif
