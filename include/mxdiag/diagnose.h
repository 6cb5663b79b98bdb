/* diagnose.h - from a bounce to the root cause, the fix steps and the delisting request
 * SPDX-License-Identifier: MIT
 *
 * mxd_diagnose() is the whole pipeline: read the bounce (or a pasted reply), establish the
 * facts (provider, code family, sending IP, sender and recipient domain, DKIM selector), run
 * the live checks the code family calls for over DNS, all at once, and turn the provider's
 * playbook into steps marked done, to do or manual, with a delisting request where the
 * family has one. Nothing is reported as passing when it could not be checked.
 */
#ifndef MXDIAG_DIAGNOSE_H
#define MXDIAG_DIAGNOSE_H

#include <stddef.h>
#include "mxdiag/export.h"
#include "mxdiag/error.h"
#include "mxdiag/kb.h"
#include "mxdiag/explain.h"
#include "mxdiag/dns.h"
#include "mxdiag/check.h" /* mxd_check_state */

#ifdef __cplusplus
extern "C" {
#endif

/* DKIM-Signature headers of the returned message looked at. */
#define MXD_DIAG_MAX_SIGNERS 8

/* The mark of a playbook step. */
typedef enum mxd_mark {
    MXD_MARK_TODO = 0,          /* needs action: the check failed */
    MXD_MARK_DONE = 1,          /* the check passes now */
    MXD_MARK_MANUAL = 2,        /* only the user can do or verify it */
    MXD_MARK_UNCHECKED = 3,     /* the check could not run: see the finding */
    MXD_MARK_NOT_APPLICABLE = 4 /* not the user's to do: see the finding for why */
} mxd_mark;

typedef struct mxd_diag_check {
    const char *name; /* "dnsbl", "ptr", "spf", "dkim", "dmarc", "mx" (static) */
    mxd_check_state state;
    char *summary;   /* one line on what was found */
    char **findings; /* what needs action (FAIL) or why it could not run */
    size_t nfindings;
    /* the check's own report as compact JSON, in the form of the command that makes it
     * (mxdiag-json(5)): dnsbl and ptr an mxd_ip_report_json(), spf mxd_spf_eval_json(), dkim
     * mxd_dkim_keys_report_json(), dmarc mxd_dmarc_result_json(), mx mxd_mx_report_json();
     * NULL when the check did not run */
    char *data;
} mxd_diag_check;

typedef struct mxd_diag_step {
    mxd_mark mark;
    const char *check; /* the check that marks it, or "manual" (static) */
    char *text;        /* the step, with the facts filled in */
    char *finding;     /* for TODO and UNCHECKED: the specific finding; else NULL */
} mxd_diag_step;

/* Options: facts the user knows better than the bounce. All may be NULL. */
typedef struct mxd_diag_opts {
    const char *ip;           /* the sending IP (overrides what the bounce says) */
    const char *domain;       /* the sender domain */
    const char *selector;     /* the DKIM selector */
    const char *spamhaus_key; /* Spamhaus DQS key for the blocklist check */
    int no_probe;             /* 1: no health probe of the blocklists (mxd_check_opts) */
    const char *mail_from;    /* the envelope sender (MAIL FROM): an address, or a domain */
    const char *abusix_key;   /* Abusix Mail Intelligence API key for the blocklist check */
} mxd_diag_opts;

typedef struct mxd_diagnosis {
    mxd_explanation *explanation; /* of the deciding reply; never NULL */
    /* facts, each with where it came from ("option", "reply", "dsn", "received", "from",
     * "envelope", "signature"); NULL when unknown */
    char *sending_ip;
    const char *sending_ip_from;
    /* the provider whose own outbound server the sending IP is (provider-outbound.tsv: its
     * range, or its PTR name), and how that is known; NULL when it is not (or not known) */
    const char *sending_ip_owner;      /* provider id (kb) */
    const char *sending_ip_owner_name; /* its display name (kb) */
    char *sending_ip_owner_why;
    char *sender_domain;
    const char *sender_domain_from;
    char *recipient;
    char *recipient_domain;
    const char *recipient_provider; /* from the recipient domain (kb) */
    char *dkim_selector;
    const char *dkim_selector_from;
    /* Who sent the returned message. sender_domain is the header From domain, which DMARC
     * protects; SPF checks the envelope: mail_from is the MAIL FROM address ("" for the null
     * sender <>, a bare domain when given so), mail_from_domain its domain (the HELO name for
     * the null sender). When the bounce names no envelope sender, mail_from is NULL and
     * mail_from_domain is the From domain, with mail_from_domain_from saying it is assumed. */
    char *mail_from;
    const char *mail_from_from;
    char *mail_from_domain;
    const char *mail_from_domain_from;
    char *helo; /* the HELO name the receiver saw, or NULL */
    const char *helo_from;
    char *dkim_domain;    /* d= of the DKIM-Signature the selector came from, or NULL */
    char **dkim_signers;  /* d= of each DKIM-Signature of the returned message */
    size_t ndkim_signers; /* at most MXD_DIAG_MAX_SIGNERS */
    int returned_headers; /* 1 when the bounce holds the returned message's header (so an
                             empty dkim_signers means: not signed) */
    char *source;         /* the input: file name, "stdin" or "reply" */
    size_t nrecords;      /* records the bounce held (the first failed one is diagnosed) */
    /* checks run (only those the playbook names) */
    mxd_diag_check *checks;
    size_t nchecks;
    int dns_unreachable; /* DNS was needed and no query got an answer */
    char *dns_warning;   /* the resolver's warning (public resolver), or NULL */
    /* the playbook */
    const char *playbook;       /* id (kb), NULL when none fits */
    const char *playbook_title; /* (kb) */
    mxd_diag_step *steps;
    size_t nsteps;
    /* the delisting request, when the family has one; NULL fields otherwise */
    const char *delist_title; /* (kb) */
    const char *delist_how;   /* (kb) */
    const char *delist_to;    /* (kb) */
    char *delist_subject;
    char *delist_body;
    char *reporting_mta; /* the host that made the bounce (Reporting-MTA), or NULL */
    /* A code with two readings (data/playbooks.txt match-rule-relayed, e.g. Microsoft's
     * 5.7.708): reading says which was chosen and the facts that chose it, reading_other the
     * title of the playbook not chosen; both NULL for a code with one reading. */
    char *reading;
    const char *reading_other; /* (kb) */
    /* The diagnosed record's hard-bounce flag: 1 or 0 for a bounce's record, -1 for a reply
     * given alone (no record). 0 beside a reason that says the address is gone (userunknown
     * ...) means the record did not prove it: read from a person's words around the notice, a
     * warning the MTA still retries, or a wording that also blames the sender; confirm the
     * address before removing it. */
    int hardbounce;
    int unproved;           /* 1 when just that: a record, no hard bounce, a reason that says the
                               address is gone (userunknown, hostunknown, hasmoved, notaccept) */
    char *resolver_suspect; /* why the resolver's "does not exist" answers cannot be believed
                               (mxd_nxdomain_suspect()), or NULL; the checks that rested on
                               them are UNCHECKED */
} mxd_diagnosis;

/* mxd_diagnose - diagnose a bounce message (is_reply 0: the raw bytes of an e-mail) or a
 * pasted SMTP reply (is_reply 1; also what input that is no e-mail at all, having no
 * header, is taken as, as mxd_explain() takes it). resolver may be NULL: then no live check runs
 * and every check is UNCHECKED. source names the input in the result. On MXD_OK *out holds a new
 * diagnosis the caller frees with mxd_diagnosis_free(). Errors: MXD_ERR_EMPTY, MXD_ERR_BINARY
 * or MXD_ERR_NOTFOUND (no bounce record and no reply in the input), MXD_ERR_INVALID (a bad
 * option such as an --ip that is no IP), MXD_ERR_NOMEM. */
MXD_API mxd_err mxd_diagnose(const mxd_kb *kb, mxd_resolver *resolver, const char *data, size_t len,
                             int is_reply, const char *source, const mxd_diag_opts *opts,
                             mxd_diagnosis **out);

MXD_API void mxd_diagnosis_free(mxd_diagnosis *d);

/* mxd_mark_name - "todo", "done", "manual", "unchecked", "not_applicable"
 * (mxd_check_state_name() is in check.h). */
MXD_API const char *mxd_mark_name(mxd_mark m);

/* mxd_diagnosis_json - {"facts", "explanation", "checks", "playbook", "delist_request"} as
 * JSON. Returns a string the caller frees with free(), or NULL when out of memory. */
MXD_API char *mxd_diagnosis_json(const mxd_diagnosis *d, int pretty);

#ifdef __cplusplus
}
#endif
#endif
