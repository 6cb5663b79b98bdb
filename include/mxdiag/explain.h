/* explain.h - classify one SMTP reply as users paste it
 * SPDX-License-Identifier: MIT
 *
 * mxd_explain() reads a reply such as
 *   550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP ...
 * (one or more lines, "550-" continuations, with or without the enhanced code, brackets,
 * host names, URLs, AS(nnnn) tags and IP addresses) and answers from the knowledge base what
 * it means, whose it is, whether to retry, and what to do. It does no I/O.
 */
#ifndef MXDIAG_EXPLAIN_H
#define MXDIAG_EXPLAIN_H

#include <stddef.h>
#include "mxdiag/export.h"
#include "mxdiag/error.h"
#include "mxdiag/kb.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest reply text examined; the rest of a longer input is ignored. */
#define MXD_REPLY_MAX 65536

/* What is known about one refused delivery, for mxd_explain_facts(). Only text is needed;
 * every other member may be NULL (or ""). A bounce record carries the facts it was classified
 * from (mxd_bounce_record.facts), so a program can explain it again and get the same verdict. */
typedef struct mxd_reply_facts {
    const char *text;             /* the reply or diagnostic text (lines are joined) */
    size_t len;                   /* its length in bytes */
    const char *status;           /* enhanced status reported beside it (DSN Status:) */
    const char *replycode;        /* SMTP reply code reported beside it */
    const char *rhost;            /* the remote host that answered (Remote-MTA) */
    const char *mx;               /* an MX host of the recipient domain, when known */
    const char *lhost;            /* the host that reported the failure (Reporting-MTA) */
    const char *recipient_domain; /* domain of the failed recipient */
    const char *command;          /* SMTP command answered: CONN EHLO HELO MAIL RCPT DATA */
    const char *diagtype;         /* Diagnostic-Code type: SMTP, X-UNIX, X-POSTFIX ... */
    const char *action;           /* DSN action: failed, delayed ... */
    const char *format_reason;    /* a reason the message format itself gives (vacation ...) */
    int record;  /* non-zero for a bounce record's facts: a status is always given, Sisimai's
                    5.0.9xx for the reason when the bounce has none (as mxd_bounce_record) */
    int own;     /* non-zero when the text is the reporting MTA's own verdict, no remote
                    server's reply (James's "550 - ... no such user here" notice): an unknown
                    user there is a missing mailbox, never Sisimai's filtered */
    int attempt; /* non-zero for one delivery attempt's record (a mail log's bounced or
                    deferred line), not a notice's: a deferral without a decidable cause is
                    no "expired" (Sisimai's name for a delay notice's), the MTA retries it */
} mxd_reply_facts;

typedef enum mxd_retry {
    MXD_RETRY_UNKNOWN = 0,
    MXD_RETRY_NEVER,  /* do not retry this message to this recipient */
    MXD_RETRY_LATER,  /* retry on the normal schedule */
    MXD_RETRY_BACKOFF /* slow down: retry with growing delays, send less */
} mxd_retry;

/* What mxd_explain() found. Strings marked (kb) belong to the knowledge base and live as long
 * as it; all others belong to the explanation and are freed with it. Absent values are NULL
 * (strings) or empty (arrays). */
typedef struct mxd_explanation {
    char replycode[4];         /* "550", or "" when the text has none */
    char status[16];           /* "5.7.708", or "" */
    const char *provider;      /* provider id, e.g. "microsoft365" (kb) */
    const char *provider_name; /* its display name (kb) */
    char *region;              /* provider region from the host name, e.g. "nam12" */
    char *rhost;               /* remote host named in the text */
    char *sending_ip;          /* the IP the remote side refused, when the text names it */
    char *tags;                /* provider tags as written: "AS(7171)", "[TSS04]" ... */
    char *text;                /* the reply as one line (continuations joined) */
    int permanent;             /* 1 permanent, 0 temporary, -1 unknown */
    const char *reason;        /* Sisimai reason name (kb), "undefined" when unknown */
    const char *scope;         /* ip, domain, sender, recipient, content, rate, tenant, system */
    mxd_retry retry;
    const char *summary;      /* one line (kb) */
    const char *status_title; /* RFC 3463 title of the status code (kb) */
    const char *status_meaning;
    /* the three arrays belong to the explanation (freed with it), their strings to the kb */
    const char *const *causes; /* likely causes, most likely first (kb) */
    size_t ncauses;
    const char *const *fix; /* fix steps in order (kb) */
    size_t nfix;
    const char *const *sources; /* (kb) */
    size_t nsources;
    const char *rule;              /* id of the deciding data entry, e.g. "ms365-5.7.708" (kb) */
    const char *rule_file;         /* data file of that entry, e.g. "rules-microsoft.txt" (kb) */
    int rule_line;                 /* its line number there; 0 when no rule decided */
    const char *decided_by;        /* "rule", "status", "text", "reply" or "none" */
    struct mxd_explanation *inner; /* the reply a wrapper code (5.7.350 ...) carries, or NULL */
    const char *provider_from;     /* how the provider was identified: "remote host", "MX",
                                      "reporting MTA", "text", "tag", "status code",
                                      "recipient domain"; NULL when no provider is */
    /* How sure the reading is (the facts that chose it are in chosen_by):
     *   "exact"   the rule's status code and its wording both match the reply
     *   "code"    a status or reply code alone chose it (the wording is absent, matched no
     *             rule of the code, or the rule names no wording)
     *   "wording" the wording alone chose it (the rule names no status, or no code decided)
     *   "format"  the message format itself says it (an auto-reply, a feedback report)
     *   "none"    nothing known chose it (the reason is a fallback) */
    const char *confidence;
    char **chosen_by; /* the facts that chose the reading, e.g. "status 5.7.708", "text
                         \"unregistered domain\"", "provider microsoft365 (status code)" */
    size_t nchosen;
    char *note; /* e.g. "the wording differs from Microsoft 365 / Exchange Online's for
                   5.7.520", or NULL */
    /* Another reading the wording supports: a sibling code's rule whose text matches while
     * the status chose another rule (also_rule NULL when there is none). (kb) */
    const char *also_rule, *also_rule_file, *also_reason, *also_summary;
    int also_rule_line;
    char also_status[24];     /* the status that rule is for, "" when it names none */
    const char *unwrapped;    /* the client-side wrapper taken off before reading ("Exchange
                                 'Remote Server returned'", "HTML" ...), or NULL */
    const char *rule_checked; /* the date (YYYY-MM-DD) the deciding rule's sources were last
                                 checked, or NULL when the data does not record it (kb) */
    int not_block;  /* 1 when the deciding rule says its reason is no block although the reason
                       is of the block class (greylisting is "spamdetected" for Sisimai): a
                       monitor raises no block alert for it */
    int hardbounce; /* for a record's facts (mxd_reply_facts.record): 1 when the address is to
                       be suppressed, by the rule every bounce record follows; else 0 */
} mxd_explanation;

/* mxd_explain - classify the reply text (len bytes, need not be NUL-terminated). rhost, when
 * not NULL, is the remote host already known from elsewhere (a DSN's Remote-MTA); it helps to
 * find the provider. The same as mxd_explain_facts() with only text and rhost. On MXD_OK *out holds
 * a new explanation the caller frees with mxd_explanation_free(). Errors: MXD_ERR_EMPTY (nothing
 * but blanks), MXD_ERR_BINARY (not text), MXD_ERR_NOTFOUND (no reply code, status code or known
 * text in it), MXD_ERR_NOMEM. */
MXD_API mxd_err mxd_explain(const mxd_kb *kb, const char *text, size_t len, const char *rhost,
                            mxd_explanation **out);

/* mxd_explain_facts - classify a refused delivery from all that is known about it: the one
 * classification explain, bounce and diagnose share. A provider's rules are used only when
 * the provider is identified, in this order: by the remote host, the MX, a text only that
 * provider's replies carry, the reporting MTA (when no remote host is known), the recipient
 * domain, a status code only that provider uses (data/provider-hosts.tsv); otherwise only the
 * generic rules, status codes, text patterns and reply codes decide. On MXD_OK *out holds a new
 * explanation the caller frees with mxd_explanation_free(). Errors as mxd_explain() (MXD_ERR_EMPTY
 * only when the text is blank and no status, reply code or format reason is given). */
MXD_API mxd_err mxd_explain_facts(const mxd_kb *kb, const mxd_reply_facts *facts,
                                  mxd_explanation **out);

/* mxd_explanation_free - release an explanation and its inner ones; NULL is accepted. */
MXD_API void mxd_explanation_free(mxd_explanation *e);

/* mxd_retry_name - "never", "later", "backoff" or "unknown". */
MXD_API const char *mxd_retry_name(mxd_retry r);

/* mxd_explanation_json - the explanation as a JSON object (UTF-8, no trailing newline) with the
 * fields replycode status provider rhost sending_ip permanent reason scope retry summary causes
 * fix sources rule (and more). Pretty-printed when pretty is non-zero. Returns a string the
 * caller frees with free(), or NULL when out of memory. */
MXD_API char *mxd_explanation_json(const mxd_explanation *e, int pretty);

#ifdef __cplusplus
}
#endif
#endif
