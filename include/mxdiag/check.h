/* check.h - IP reputation and recipient MX checks over DNS: blocklists, reverse DNS, MX
 * SPDX-License-Identifier: MIT
 *
 * Every check has two forms. mxd_X_submit() queues the check's DNS queries on a resolver and
 * returns its report at once; the report is complete after mxd_resolver_run(), so any number
 * of checks (1,000 IPs, or an IP check beside SPF and MX checks) share one run with all their
 * queries in flight together. mxd_check_X() submits and runs in one call.
 *
 * A check's outcome (listed, no PTR, null MX) is not an error: errors are about the call
 * (bad address, unknown list name, out of memory). A blocklist that could not be asked
 * (timeout, SERVFAIL, REFUSED) or that answered with one of its error codes (Spamhaus
 * 127.255.255.254 "public resolver", URIBL 127.0.0.1 "refused" ...) is reported as result
 * MXD_BL_ERROR with the reason: never as clean, never as listed.
 *
 * Health probe (RFC 5782 section 5): beside every list it asks, a check asks the list's test
 * entries in the same batch: 127.0.0.2 must be listed and 127.0.0.1 must not (domain lists:
 * TEST, or the list's own test name from data/dnsbl.tsv, and INVALID). A resolver that
 * answers NXDOMAIN for every name, a resolver the list refuses, a dead list and a list that
 * lists everything all fail it, and that list's result is MXD_BL_ERROR with the reason. The
 * resolver's cache asks each test entry once per run, however many addresses are checked.
 *
 * Strings marked (kb) belong to the knowledge base and live as long as it; everything else
 * belongs to the report and is freed with it.
 */
#ifndef MXDIAG_CHECK_H
#define MXDIAG_CHECK_H

#include <stddef.h>
#include "mxdiag/export.h"
#include "mxdiag/error.h"
#include "mxdiag/kb.h"
#include "mxdiag/dns.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits on what a stranger's DNS data can make a check do. */
#define MXD_CHECK_MAX_PTR_NAMES 8   /* PTR names kept and forward-checked per address */
#define MXD_CHECK_MAX_MX_HOSTS  32  /* MX hosts kept and resolved per domain */
#define MXD_CHECK_MAX_ADDRS     32  /* addresses kept per MX host */
#define MXD_CHECK_TXT_MAX       512 /* bytes of a blocklist's TXT reason kept */

typedef enum mxd_bl_result {
    MXD_BL_CLEAN = 0,  /* the list answered: not listed */
    MXD_BL_LISTED = 1, /* listed, with return codes and their meanings */
    MXD_BL_ERROR = 2   /* could not ask, or the list answered with an error code */
} mxd_bl_result;

/* The verdict of one check. The check module owns it (with the reason); diagnose and the
 * tool only display and order it, so that a check that could not be made is never a pass. */
typedef enum mxd_check_state {
    MXD_CHECK_PASS = 0,          /* checked: fine */
    MXD_CHECK_FAIL = 1,          /* checked: needs action (see findings) */
    MXD_CHECK_UNCHECKED = 2,     /* could not be checked (or only in part): DNS timed out, failed,
                                    was off, or the resolver is suspect */
    MXD_CHECK_SKIPPED = 3,       /* not possible: a fact is missing (no IP, no domain known) */
    MXD_CHECK_NOT_APPLICABLE = 4 /* not the user's to fix: the sending IP is the provider's own
                                    outbound server (see mxd_diagnosis.sending_ip_owner) */
} mxd_check_state;

/* mxd_check_state_name - "pass", "fail", "unchecked", "skipped", "not_applicable". */
MXD_API const char *mxd_check_state_name(mxd_check_state s);

/* mxd_bl_result_name - "clean", "listed" or "error". */
MXD_API const char *mxd_bl_result_name(mxd_bl_result r);

/* The health probe of one list (its RFC 5782 test entries). */
typedef enum mxd_bl_probe {
    MXD_BL_PROBE_OFF = 0,     /* not asked: switched off (mxd_check_opts.no_probe), or the
                                 list itself was not asked (its key is missing) */
    MXD_BL_PROBE_PASSED = 1,  /* the test entry is listed, 127.0.0.1 / INVALID is not */
    MXD_BL_PROBE_FAILED = 2,  /* a wrong answer: the test entry not listed (resolver refused
                                 or answering NXDOMAIN for everything, dead list), the
                                 negative entry listed (a list that lists everything), or an
                                 error code; the list's result is MXD_BL_ERROR */
    MXD_BL_PROBE_UNKNOWN = 3, /* a test entry could not be asked (timeout, SERVFAIL ...); the
                                 list's result is MXD_BL_ERROR */
    MXD_BL_PROBE_NONE = 4     /* the list has no test entry (data/dnsbl.tsv): not probed */
} mxd_bl_probe;

/* mxd_bl_probe_name - "off", "passed", "failed", "unknown" or "none". */
MXD_API const char *mxd_bl_probe_name(mxd_bl_probe p);

/* A blocklist of the catalogue (data/dnsbl.tsv). All strings belong to the kb. */
typedef struct mxd_bl_info {
    const char *id, *name, *zone;
    int domain;      /* 1 a domain list, 0 an IP list */
    int ipv4, ipv6;  /* families an IP list covers */
    int on;          /* asked by default */
    const char *dqs; /* zone with a Spamhaus DQS key ("KEY.zen.dq.spamhaus.net"), or NULL */
    const char *policy, *delist, *source;
    const char *test; /* the always-listed test entry asked as the health probe ("127.0.0.2",
                         "::ffff:127.0.0.2", "TEST", "dbltest.com"), or NULL when the list
                         has none */
    const char *key;  /* the kind of key the list takes: "spamhaus" (mxd_check_opts.spamhaus_key),
                         "abusix" (abusix_key), or NULL */
    const char *key_zone; /* the zone asked with that key, "KEY.combined.mail.abusix.zone" */
    int key_required;     /* 1: no keyless zone: without its key the list is not asked (named
                             in --lists: reported as an error saying so; by default: left out) */
} mxd_bl_info;

/* mxd_dnsbl_info - the i-th blocklist of the catalogue into *out: 0, or -1 past the end. */
MXD_API int mxd_dnsbl_info(const mxd_kb *kb, size_t i, mxd_bl_info *out);

/* One blocklist's answer. */
typedef struct mxd_bl_entry {
    const char *id;   /* catalogue id, e.g. "spamhaus-zen" (kb) */
    const char *name; /* display name, e.g. "Spamhaus ZEN" (kb) */
    char *zone;       /* zone asked; with a DQS key its key-free form "zen.dq.spamhaus.net" */
    mxd_bl_result result;
    char **codes;    /* the A records of the answer, "127.0.0.2" */
    char **meanings; /* one per code: what the list says it means */
    size_t ncodes;
    char *txt;          /* TXT reason of a listing (joined, at most MXD_CHECK_TXT_MAX), or NULL */
    char *error;        /* for MXD_BL_ERROR: "timeout", "servfail", "refused", or the meaning of
                           the error code; NULL otherwise */
    const char *delist; /* delisting page (kb), or NULL */
    const char *policy; /* usage policy (kb) */
    mxd_bl_probe probe; /* the list's health probe; FAILED and UNKNOWN make result
                           MXD_BL_ERROR (error then says why, unless the list's own answer
                           was already an error) */
} mxd_bl_entry;

typedef struct mxd_check_opts {
    const char *lists;        /* comma-separated list ids ("spamhaus-zen,spamcop"), "all", or
                                 NULL = the lists marked default in data/dnsbl.tsv */
    const char *spamhaus_key; /* Spamhaus DQS key: Spamhaus zones become KEY.<zone>.dq.spamhaus.net;
                                 NULL = the public mirrors */
    const char *domain;       /* check ip: the domain the PTR names should belong to (the
                                 sender's domain or HELO name); NULL = no such check */
    int no_txt;               /* 1: do not ask TXT reasons of listings */
    int no_probe;             /* 1: do not ask the lists' test entries (no health probe):
                                 a resolver that answers NXDOMAIN for everything then makes
                                 every list look clean */
    const char *abusix_key;   /* Abusix Mail Intelligence API key: the Abusix lists are asked as
                                 KEY.combined.mail.abusix.zone; NULL = they are not asked (left
                                 out by default, an error when named in lists) */
} mxd_check_opts;

/* Reverse DNS of an address. Tri-state fields are 1 yes, 0 no, -1 unknown. */
typedef struct mxd_ptr_info {
    mxd_dns_status status; /* of the PTR query */
    char **names;          /* PTR names (at most MXD_CHECK_MAX_PTR_NAMES) */
    int *confirmed;        /* per name: resolves back to the address (1), does not (0), lookup
                              failed (-1) */
    size_t nnames;
    int fcrdns;        /* forward-confirmed: some name resolves back; -1 when DNS failed */
    int generic;       /* some name looks generic or dynamic; -1 when there is no name */
    char *generic_why; /* why, e.g. "the address is written in the name" */
    int domain_match;  /* a name is in the registrable domain of opts->domain; -1 when there
                          is no --domain or no name */
    char *domain;      /* registrable domain of the first name, or NULL */
    int truncated;     /* the address has more PTR names than MXD_CHECK_MAX_PTR_NAMES (or more
                          than the answer kept): the rest were not checked, so FCrDNS cannot
                          fail (it is unknown unless a checked name passes) */
} mxd_ptr_info;

typedef struct mxd_ip_report {
    char ip[64]; /* the address as checked (an IPv4-mapped IPv6 address becomes IPv4) */
    int family;  /* 4 or 6 */
    mxd_ptr_info ptr;
    mxd_bl_entry *dnsbl; /* listed first, then errors, then clean; catalogue order within */
    size_t ndnsbl;
    size_t listed, errors, clean;
    char **warnings; /* resolver warning, PTR problems, private address ... */
    size_t nwarnings;
} mxd_ip_report;

/* mxd_ip_check_submit - queue the blocklist queries (and TXT for listings), the PTR query and
 * the forward lookups of the PTR names for ip. *out is complete after mxd_resolver_run(r);
 * free it with mxd_ip_report_free(). Errors: MXD_ERR_INVALID for a bad address, an unknown or
 * unsuitable list name, or a bad DQS key (reason in why); MXD_ERR_NOMEM. */
MXD_API mxd_err mxd_ip_check_submit(mxd_resolver *r, const mxd_kb *kb, const char *ip,
                                    const mxd_check_opts *opts, mxd_ip_report **out, char *why,
                                    size_t whylen);

/* mxd_check_ip - mxd_ip_check_submit() and mxd_resolver_run() in one call. */
MXD_API mxd_err mxd_check_ip(mxd_resolver *r, const mxd_kb *kb, const char *ip,
                             const mxd_check_opts *opts, mxd_ip_report **out, char *why,
                             size_t whylen);

MXD_API void mxd_ip_report_free(mxd_ip_report *rep);

/* mxd_bl_verdict - the verdict on n blocklist answers (a report's dnsbl array): FAIL when a
 * list lists the address; else UNCHECKED when any list could not be asked or failed its
 * health probe (a list that did not answer might list it); PASS only when every list
 * answered "not listed". Into why (always NUL-terminated when whylen > 0) goes the reason:
 * the lists that list it, or that did not answer with their errors ("8 of 9 blocklists did
 * not answer: Spamhaus ZEN (timeout), ..."), or "on none of 9 blocklists". No list at all is
 * UNCHECKED. */
MXD_API mxd_check_state mxd_bl_verdict(const mxd_bl_entry *lists, size_t n, char *why,
                                       size_t whylen);

/* mxd_ip_report_json - the report as one JSON object: {"ip", "ptr": {"names", "fcrdns",
 * "generic", ...}, "dnsbl": [{"id", "name", "zone", "result", "codes", "meaning", "txt",
 * "delist", "error", "probe"}], "listed", "errors", "clean", "warnings"}. Tri-state values are
 * true, false or null. The caller frees the string with free(); NULL on out of memory. */
MXD_API char *mxd_ip_report_json(const mxd_ip_report *rep, int pretty);

/* A domain against the domain blocklists (Spamhaus DBL, SURBL, URIBL ...). */
typedef struct mxd_domain_bl_report {
    char domain[256];
    mxd_bl_entry *dnsbl; /* listed first, then errors, then clean */
    size_t ndnsbl;
    size_t listed, errors, clean;
} mxd_domain_bl_report;

/* mxd_domain_bl_submit - queue the domain-list queries for domain (opts->lists as above,
 * naming domain lists). Complete after mxd_resolver_run(); free with
 * mxd_domain_bl_report_free(). Errors as for mxd_ip_check_submit(). */
MXD_API mxd_err mxd_domain_bl_submit(mxd_resolver *r, const mxd_kb *kb, const char *domain,
                                     const mxd_check_opts *opts, mxd_domain_bl_report **out,
                                     char *why, size_t whylen);
MXD_API void mxd_domain_bl_report_free(mxd_domain_bl_report *rep);
/* mxd_domain_bl_report_json - {"domain", "dnsbl": [...], "listed", "errors", "clean"}. */
MXD_API char *mxd_domain_bl_report_json(const mxd_domain_bl_report *rep, int pretty);

/* One MX host of a recipient domain. */
typedef struct mxd_mx_host {
    char *name; /* host name, no trailing dot */
    int pref;
    char **addrs; /* A then AAAA addresses */
    size_t naddrs;
    mxd_dns_status a_status, aaaa_status;
    const char *provider;      /* provider id from the provider-hosts table, or NULL (kb) */
    const char *provider_name; /* (kb) */
    char region[32];           /* provider region from the host name, or "" */
} mxd_mx_host;

typedef struct mxd_mx_report {
    char domain[256];
    mxd_dns_status status; /* of the MX query */
    int null_mx;           /* the domain says it accepts no mail (RFC 7505) */
    int implicit;          /* no MX record: mail goes to the domain's own address (RFC 5321
                              section 5.1); hosts then holds the domain itself */
    mxd_mx_host *hosts;    /* by preference, then name */
    size_t nhosts;
    char **warnings;
    size_t nwarnings;
    int truncated; /* more MX records than MXD_CHECK_MAX_MX_HOSTS (or than the answer kept):
                      hosts holds the most preferred ones (a warning says so) */
} mxd_mx_report;

/* mxd_mx_check_submit - queue the MX query of domain and the address lookups of its hosts.
 * Complete after mxd_resolver_run(); free with mxd_mx_report_free(). MXD_ERR_INVALID for a
 * name that is not a domain. */
MXD_API mxd_err mxd_mx_check_submit(mxd_resolver *r, const mxd_kb *kb, const char *domain,
                                    mxd_mx_report **out);
MXD_API mxd_err mxd_check_mx(mxd_resolver *r, const mxd_kb *kb, const char *domain,
                             mxd_mx_report **out);
MXD_API void mxd_mx_report_free(mxd_mx_report *rep);
/* mxd_mx_report_json - {"domain", "status", "null_mx", "implicit", "truncated", "mx": [{"host",
 * "pref", "addresses", "provider", "provider_name", "region"}], "warnings"}. Free with free(). */
MXD_API char *mxd_mx_report_json(const mxd_mx_report *rep, int pretty);

/* mxd_nxdomain_suspect - can an NXDOMAIN answer for name be believed? Asks (once per run:
 * the resolver caches it) the SOA of name's top-level domain when that is a top-level domain
 * of the public suffix list: a resolver that says it does not exist answers NXDOMAIN for
 * names that exist, and every finding that rests on its NXDOMAIN answers is unchecked, not a
 * failure. Returns 1 suspect (the reason in why, NUL-terminated), 0 believed or not known
 * (the probe failed, or the top-level domain is not a public one such as .example). Must not
 * be called from inside a resolver callback. */
MXD_API int mxd_nxdomain_suspect(mxd_resolver *r, const char *name, char *why, size_t whylen);

/* mxd_domain_valid - is s a syntactically valid domain name of at least two labels (letters,
 * digits, hyphens and underscores, no label starting or ending with a hyphen, an optional
 * trailing dot) that is not an IP address? 1 or 0. */
MXD_API int mxd_domain_valid(const char *s);

/* mxd_ip_valid - is s an IPv4 or IPv6 address? 4, 6, or 0. */
MXD_API int mxd_ip_valid(const char *s);

#ifdef __cplusplus
}
#endif
#endif
