/* classify.h - one verdict for one refused delivery, shared by explain, bounce, diagnose (internal)
 * SPDX-License-Identifier: MIT
 */
#ifndef MXD_CLASSIFY_CLASSIFY_H
#define MXD_CLASSIFY_CLASSIFY_H

#include <stddef.h>
#include "mxdiag/explain.h"
#include "classify/reply.h"
#include "kb/kb_internal.h"

#define CLASSIFY_HOST_MAX 256 /* a remote host name kept in a verdict */

/* The verdict. Strings other than the arrays belong to the knowledge base. */
typedef struct classify_verdict {
    const char *reason; /* never NULL after classify_decide() */
    const char *scope;
    const char *provider;      /* identified provider id, or NULL */
    const char *provider_from; /* how: "remote host", "MX", "reporting MTA", "text", "tag",
                                  "status code", "recipient domain" */
    mxd_retry retry;
    int permanent;          /* 1, 0, -1 unknown */
    char status[16];        /* the status decided on, "" when none is known */
    char record_status[16]; /* status, else Sisimai's 5.0.9xx for the reason */
    char replycode[4];
    char rhost[CLASSIFY_HOST_MAX];
    char sending_ip[64];
    const char *decided_by; /* "format", "rule", "status", "text", "reply", "fallback" */
    const char *rule, *rule_file;
    int rule_line;
    const kb_rule *krule;     /* the rule that decided (or agrees with the decision), or NULL */
    const kb_status *kstatus; /* the status registry entry, or NULL */
    const kb_reply *kreply;   /* the reply-code entry, or NULL */
    int found;                /* a code, a status or a known text was found */
    int code_only;    /* the provider's rule was chosen by its status code alone: the wording
                         matched none of that code's rules (explain_code_rule()) */
    int when_unknown; /* userunknown from a reply alone that names no SMTP command: a bounce
                         record of it without the command is filtered (Sisimai's rule) */
    int soft_wording; /* an address reason, but the text says the failure is temporary or
                         also has a block, rate, policy, content or full-mailbox wording:
                         never a hard bounce */
} classify_verdict;

/* classify_decide - the verdict for the facts f. text/len is the reply as one line (blanks
 * collapsed: reply_parse() or a bounce record's diagnostic); rp, when not NULL, is that line
 * already parsed (else it is parsed when needed). */
void classify_decide(const mxd_kb *kb, const mxd_reply_facts *f, const char *text, size_t len,
                     const reply_parts *rp, classify_verdict *v);

/* classify_provider - the provider the facts identify, and how (see mxd_explain_facts()).
 * rhost is the remote host (given or read from the text), low/len the text in lower case,
 * cls/subj/det the status (cls 0: none). NULL when none is identified. */
const char *classify_provider(const mxd_kb *kb, const mxd_reply_facts *f, const char *rhost,
                              const char *low, size_t len, int cls, int subj, int det,
                              const char **from);

/* classify_hardbounce - 1 when a record with this verdict should suppress the address: a
 * permanent failure (permanent == 1) for a reason that says the address does not exist or no
 * longer takes mail (userunknown, hostunknown, hasmoved, notaccept), with no scope that puts
 * the blame on the sender (ip, tenant, content, rate, sender) and not refused
 * at MAIL FROM or at the connection (command). Every block, rate limit, policy or content
 * rejection is 0. */
int classify_hardbounce(const char *reason, int permanent, const char *scope, const char *command);

/* CLASSIFY_MAX_DIAG - the diagnostic text a delivery record keeps (with its NUL): a bounce's
 * recipient (BOUNCE_MAX_DIAG), a log's bounced or deferred line when it is classified, so both
 * read the same words */
#define CLASSIFY_MAX_DIAG 2048

/* classify_record_hard - the hard-bounce flag of a delivery record (a bounce's recipient, a
 * log's bounced line) with verdict v, by the one rule both follow: classify_hardbounce(), and
 * not when the wording also blames the sender or says the failure is temporary
 * (v->soft_wording), nor for a recipient the MTA still retries (action delayed: Postfix's
 * soft_bounce keeps a 5xx refusal queued, review-s12 M2). */
int classify_record_hard(const classify_verdict *v, const char *action, const char *command);

/* classify_mailbox_reason - is the reason about the mailbox itself (unknown user, full,
 * moved ...), so that no sending IP is relevant? */
int classify_mailbox_reason(const char *reason);

/* classify_pseudo_status - Sisimai's internal status for a reason when the bounce gave none
 * ("5.0.911" for userunknown); "" when there is none. */
const char *classify_pseudo_status(const mxd_kb *kb, const char *reason, int temporary);

#endif
