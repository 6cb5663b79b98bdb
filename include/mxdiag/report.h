/* report.h - DMARC aggregate reports, SMTP TLS reports and DMARC failure reports
 * SPDX-License-Identifier: MIT
 *
 * Readers for the reports that arrive at a domain's rua/ruf/TLS-RPT addresses:
 *   - DMARC aggregate feedback (RFC 7489 appendix C and RFC 9990 XML, with or without the
 *     namespace), read with expat;
 *   - SMTP TLS reports (RFC 8460 JSON), read with jansson;
 *   - DMARC failure reports (RFC 9991 / RFC 6591 ARF "auth-failure" messages, and the
 *     plain-text notices some MTAs send instead).
 * mxd_report_unpack() opens what the reports come in (gzip, zip; libarchive, loaded on first
 * use). Everything read comes from strangers: each reader has its limits (below), returns
 * MXD_ERR_PARSE with a one-line reason for input that is not what it claims to be, and
 * MXD_ERR_TOOBIG when a limit is reached; it never keeps more than its limits allow.
 *
 * Strings in the structures are NUL-terminated UTF-8 (invalid bytes replaced by U+FFFD), NULL
 * when the report does not have the element. Enumerated values (pass, fail, none, reject,
 * sts, starttls-not-supported ...) are lower case, as parsedmarc normalises them.
 */
#ifndef MXDIAG_REPORT_H
#define MXDIAG_REPORT_H

#include <stddef.h>
#include "mxdiag/export.h"
#include "mxdiag/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits of the readers. */
#define MXD_REPORT_MAX_INPUT    (64u * 1024 * 1024) /* bytes of one XML/JSON document */
#define MXD_REPORT_MAX_UNPACKED (64u * 1024 * 1024) /* bytes unpacked from one gzip/zip member */
#define MXD_REPORT_MAX_MEMBERS  64                  /* members of one zip read */
#define MXD_REPORT_MAX_DEPTH    32                  /* XML element / JSON nesting */
#define MXD_REPORT_MAX_ROWS     1000000             /* <record>s, TLS failure details */
#define MXD_REPORT_MAX_FIELD    4096                /* bytes kept of one text value */

/* ---- DMARC aggregate reports -------------------------------------------------------- */

typedef struct mxd_dmarc_dkim_result {
    char *domain;       /* d= of the signature */
    char *selector;     /* s= (RFC 9990 requires it; older reports often lack it) */
    char *result;       /* none pass fail policy neutral temperror permerror */
    char *human_result; /* free text */
} mxd_dmarc_dkim_result;

typedef struct mxd_dmarc_spf_result {
    char *domain; /* the domain checked */
    char *scope;  /* mfrom or helo (NULL when absent: RFC 9990 dropped it) */
    char *result; /* none neutral pass fail softfail temperror permerror */
    char *human_result;
} mxd_dmarc_spf_result;

typedef struct mxd_dmarc_override {
    char *type;    /* forwarded sampled_out trusted_forwarder mailing_list local_policy other */
    char *comment; /* free text */
} mxd_dmarc_override;

/* One <record>: a source IP and the identifiers it sent with, count messages. */
typedef struct mxd_dmarc_row {
    char *source_ip;          /* as written (IPv4 or IPv6 text) */
    unsigned long long count; /* messages */
    /* policy_evaluated */
    char *disposition; /* none quarantine reject */
    char *dkim;        /* DMARC's aligned DKIM verdict: pass fail */
    char *spf;         /* DMARC's aligned SPF verdict: pass fail */
    mxd_dmarc_override *reasons;
    size_t nreasons;
    /* identifiers */
    char *header_from;
    char *envelope_from;
    char *envelope_to;
    /* auth_results (raw, not aligned) */
    mxd_dmarc_dkim_result *dkim_results;
    size_t ndkim;
    mxd_dmarc_spf_result *spf_results;
    size_t nspf;
} mxd_dmarc_row;

typedef struct mxd_dmarc_agg {
    char *version; /* <version> of the feedback document (RFC 9990: "1.0"), or NULL */
    int rfc9990;   /* the document used the RFC 9990 namespace */
    /* report_metadata */
    char *org_name;
    char *email;
    char *extra_contact_info;
    char *report_id;
    long long begin; /* date_range, seconds since 1970 */
    long long end;
    char **errors; /* <error> texts */
    size_t nerrors;
    char *generator; /* RFC 9990 <generator> */
    /* policy_published */
    char *domain;
    char *adkim; /* r s */
    char *aspf;
    char *p; /* none quarantine reject */
    char *sp;
    char *np;  /* RFC 9990 */
    char *pct; /* RFC 7489; RFC 9990 dropped it */
    char *fo;
    char *testing;          /* RFC 9990: y n */
    char *discovery_method; /* RFC 9990: psl treewalk */
    mxd_dmarc_row *rows;
    size_t nrows;
    unsigned long long messages; /* sum of the rows' counts */
} mxd_dmarc_agg;

/* mxd_dmarc_agg_parse - read one aggregate report document (XML, len bytes, need not be
 * NUL-terminated). Root element <feedback>, namespaced (RFC 9990) or not. The report must
 * have report_metadata with org_name (or email) and report_id, and policy_published with
 * domain: otherwise MXD_ERR_PARSE ("not a DMARC aggregate report: ..."). Malformed XML is
 * MXD_ERR_PARSE with expat's message and line. Limits: MXD_REPORT_MAX_INPUT bytes,
 * MXD_REPORT_MAX_DEPTH nesting, MXD_REPORT_MAX_ROWS records (MXD_ERR_TOOBIG), text values cut
 * at MXD_REPORT_MAX_FIELD. The reason goes to why (may be NULL). Free *out with
 * mxd_dmarc_agg_free(). Also: MXD_ERR_EMPTY for no bytes, MXD_ERR_NOLIB when libexpat.so.1
 * (loaded on first use) cannot be loaded. The report is the first <feedback> element, root or
 * not; what follows its end is not read. */
MXD_API mxd_err mxd_dmarc_agg_parse(const char *xml, size_t len, mxd_dmarc_agg **out, char *why,
                                    size_t whylen);
MXD_API void mxd_dmarc_agg_free(mxd_dmarc_agg *r);

/* mxd_dmarc_agg_json - the report as parsedmarc shapes it: {xml_schema, report_metadata
 * {org_name, org_email, org_extra_contact_info, report_id, begin_date, end_date, errors,
 * generator}, policy_published {domain, adkim, aspf, p, sp, np, pct, fo, testing,
 * discovery_method}, records [{source {ip_address}, count, alignment {spf, dkim, dmarc},
 * policy_evaluated {disposition, dkim, spf, policy_override_reasons [{type, comment}]},
 * identifiers {header_from, envelope_from, envelope_to}, auth_results {dkim [{domain,
 * selector, result, human_result}], spf [{domain, scope, result, human_result}]}}]}. Dates
 * are "YYYY-MM-DD HH:MM:SS" UTC as parsedmarc prints them. Returns a string to free(), NULL on
 * no memory. */
MXD_API char *mxd_dmarc_agg_json(const mxd_dmarc_agg *r, int pretty);

/* ---- SMTP TLS reports (RFC 8460) ---------------------------------------------------- */

typedef struct mxd_tls_failure {
    char *result_type; /* starttls-not-supported certificate-expired sts-policy-fetch-error ... */
    char *sending_mta_ip;
    char *receiving_mx_hostname;
    char *receiving_mx_helo;
    char *receiving_ip;
    unsigned long long failed_session_count;
    char *additional_information;
    char *failure_reason_code;
} mxd_tls_failure;

typedef struct mxd_tls_policy {
    char *policy_type; /* tlsa sts no-policy-found */
    char *policy_domain;
    char **policy_strings; /* the policy, line by line */
    size_t nstrings;
    char **mx_hosts; /* mx-host patterns */
    size_t nmx;
    unsigned long long successful; /* summary.total-successful-session-count */
    unsigned long long failed;     /* summary.total-failure-session-count */
    mxd_tls_failure *failures;
    size_t nfailures;
} mxd_tls_policy;

typedef struct mxd_tlsrpt {
    char *org_name; /* organization-name */
    char *contact_info;
    char *report_id;
    long long begin; /* date-range start-datetime, seconds since 1970 */
    long long end;
    mxd_tls_policy *policies;
    size_t npolicies;
} mxd_tlsrpt;

/* mxd_tlsrpt_parse - read one RFC 8460 report (JSON, len bytes). It must be an object with
 * organization-name, report-id and policies (else MXD_ERR_PARSE "not a TLS report: ...").
 * Same limits as above (MXD_ERR_EMPTY for no bytes). Free *out with mxd_tlsrpt_free(). */
MXD_API mxd_err mxd_tlsrpt_parse(const char *json, size_t len, mxd_tlsrpt **out, char *why,
                                 size_t whylen);
MXD_API void mxd_tlsrpt_free(mxd_tlsrpt *r);

/* mxd_tlsrpt_json - the report as parsedmarc shapes it: {organization_name, begin_date,
 * end_date, contact_info, report_id, policies [{policy_domain, policy_type, policy_strings,
 * mx_host_patterns, successful_session_count, failed_session_count, failure_details
 * [{result_type, sending_mta_ip, receiving_mx_hostname, receiving_mx_helo, receiving_ip,
 * failed_session_count, additional_information, failure_reason_code}]}]}. free() it. */
MXD_API char *mxd_tlsrpt_json(const mxd_tlsrpt *r, int pretty);

/* ---- unpacking --------------------------------------------------------------------- */

/* Called once per document found: name is the member's file name (or the name given to
 * mxd_report_unpack(), without a .gz), data/len its bytes, valid during the call. Return
 * non-zero to stop. */
typedef int (*mxd_report_file_cb)(void *arg, const char *name, const char *data, size_t len);

/* mxd_report_unpack - data as it came (a file's bytes, a decoded attachment): gzip (1f 8b) is
 * inflated, a zip (PK\3\4) has each regular member handed out (at most MXD_REPORT_MAX_MEMBERS),
 * anything else is handed out as it is. An unpacked member longer than
 * MXD_REPORT_MAX_UNPACKED is refused (MXD_ERR_TOOBIG: a "zip bomb") without inflating more
 * than that; a damaged archive is MXD_ERR_PARSE. Members already handed out stay handed out.
 * MXD_ERR_NOLIB when libarchive cannot be loaded. */
MXD_API mxd_err mxd_report_unpack(const char *data, size_t len, const char *name,
                                  mxd_report_file_cb cb, void *arg, char *why, size_t whylen);

/* ---- DMARC failure reports ---------------------------------------------------------- */

typedef struct mxd_dmarc_failure {
    char *reporter;           /* the report's From address */
    char *feedback_type;      /* auth-failure (RFC 6591), or NULL for a plain notice */
    char *auth_failure;       /* dmarc dkim spf adsp bodyhash revoked signature */
    char *reported_domain;    /* Reported-Domain, else the From domain of the original */
    char *source_ip;          /* Source-IP */
    char *original_mail_from; /* Original-Mail-From */
    char *original_rcpt_to;   /* Original-Rcpt-To */
    char *original_envelope_id;
    char *delivery_result; /* delivered spam policy reject other */
    char *dkim_domain;     /* DKIM-Domain */
    char *dkim_selector;   /* DKIM-Selector */
    char *dkim_identity;
    char *spf_dns;            /* SPF-DNS */
    char *identity_alignment; /* Identity-Alignment */
    char *authentication_results;
    long long arrival; /* Arrival-Date, seconds since 1970 (0: unknown) */
    char *user_agent;
    char *header_from; /* From of the returned message */
    char *subject;     /* Subject of the returned message */
    char *message_id;  /* Message-ID of the returned message, without <> */
} mxd_dmarc_failure;

#ifdef __cplusplus
}
#endif
#endif
