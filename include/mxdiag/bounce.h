/* bounce.h - read bounce messages into per-recipient records
 * SPDX-License-Identifier: MIT
 *
 * mxd_bounce_parse() takes the raw bytes of one message (from any MTA or provider: RFC 3464
 * DSNs, the non-standard formats of Postfix, Sendmail, Exim, qmail, Exchange, Gmail ...,
 * RFC 5965 feedback reports, RFC 3834 auto-replies) and calls back once per failed
 * recipient with a classified record. Field names and meanings follow Sisimai's; provider,
 * scope, sending_ip and retry are mxdiag's own. Ordinary mail yields no record.
 *
 * Typical use, streaming a whole mailbox in bounded memory:
 *
 *   mxd_bounce_ctx *bc; mxd_bounce_new(kb, 0, &bc);
 *   mxd_mail_source *src; mxd_mail_open(path, &src, why, sizeof why);
 *   mxd_mail_msg m;
 *   while (mxd_mail_next(src, &m, why, sizeof why) == MXD_OK)
 *       mxd_bounce_parse(bc, m.data, m.len, m.label, on_record, arg);
 */
#ifndef MXDIAG_BOUNCE_H
#define MXDIAG_BOUNCE_H

#include <stddef.h>
#include "mxdiag/export.h"
#include "mxdiag/error.h"
#include "mxdiag/kb.h"
#include "mxdiag/explain.h"
#include "mxdiag/mail.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Recipients of one message that are read; beyond, the records say recipients_cut. */
#define MXD_BOUNCE_MAX_RCPTS 128

/* One record per recipient. Every string is valid only during the callback (copy what you
 * keep); absent values are "" (never NULL), except provider and scope, which are NULL when
 * unknown. */
typedef struct mxd_bounce_record {
    const char *recipient;      /* the failed address (Final-Recipient) */
    const char *addresser;      /* the sender of the returned message */
    const char *status;         /* delivery status "5.1.1"; Sisimai's 5.0.9xx when none given */
    const char *replycode;      /* SMTP reply code "550", "" when the bounce has none */
    const char *reason;         /* Sisimai reason name: userunknown, mailboxfull, blocked ... */
    int hardbounce;             /* 1: permanent and the recipient's fault: suppress the address */
    const char *action;         /* failed, delayed, delivered, expanded, relayed, or "" */
    const char *diagnosticcode; /* the error text, one line */
    const char *diagnostictype; /* "SMTP", "X-UNIX", "X-POSTFIX" ... */
    const char *rhost;          /* the remote host that answered */
    const char *lhost;          /* the host that made the bounce (Reporting-MTA) */
    const char *smtpcommand;    /* the SMTP command answered: CONN EHLO HELO MAIL RCPT DATA */
    const char *destination;    /* domain of the recipient */
    const char *senderdomain;   /* domain of the addresser */
    long long timestamp;        /* when the bounce happened, seconds since 1970 (0: unknown) */
    const char *timezoneoffset; /* "+0900" */
    const char *messageid;      /* Message-ID of the returned message, without <> */
    const char *subject;        /* Subject of the returned message (decoded) */
    const char *listid;         /* List-Id of the returned message */
    const char *feedbacktype;   /* ARF Feedback-Type (abuse, fraud ...) for reason feedback */
    const char *origin;         /* the file the bounce was read from */
    const char *source;         /* file, with ":N" for the Nth message of an mbox */
    const char *mta;            /* the format that was read: "postfix", "exim", "rfc3464" ... */
    const char *provider;       /* provider id (kb), NULL when unknown */
    const char *scope;          /* ip domain sender recipient content rate tenant system */
    const char *sending_ip;     /* the IP the remote side refused, when it can be found */
    mxd_retry retry;
    /* how the reason was decided (for --explain-rule) */
    const char *decided_by; /* "format", "rule", "status", "text", "reply", "fallback" */
    const char *rule;       /* the deciding entry, e.g. a rule id, a status code, a pattern */
    const char *rule_file;  /* its data file, or NULL */
    int rule_line;
    /* the facts the record was classified from: mxd_explain_facts() on them gives the same
     * reason, status and provider, with the full explanation */
    const mxd_reply_facts *facts;
    /* caps that bit on this record's message (the JSON says them in "warnings") */
    int truncated;      /* the message was longer than MXD_MAIL_MESSAGE_MAX and cut there */
    int recipients_cut; /* it names more than MXD_BOUNCE_MAX_RCPTS recipients: only the first
                           MXD_BOUNCE_MAX_RCPTS were read */
    int mime_cut;       /* its MIME structure is past the reader's limits (more than 512 parts,
                           nested deeper than 16, a header block over 256 KiB): the rest of it
                           was not read */
} mxd_bounce_record;

/* Called once per record; return non-zero to stop reading this message. */
typedef int (*mxd_bounce_cb)(void *arg, const mxd_bounce_record *rec);

/* Flags for mxd_bounce_new(). */
enum {
    MXD_BOUNCE_DELIVERED = 1 /* also report recipients whose DSN says delivered/relayed */
};

typedef struct mxd_bounce_ctx mxd_bounce_ctx;

/* mxd_bounce_new - a parser using the knowledge base kb (which must outlive it). One context
 * per thread; reuse it for every message. Free with mxd_bounce_free(). */
MXD_API mxd_err mxd_bounce_new(const mxd_kb *kb, unsigned flags, mxd_bounce_ctx **out);
MXD_API void mxd_bounce_free(mxd_bounce_ctx *bc);

/* mxd_bounce_parse - read one message (len bytes, need not be NUL-terminated) and call cb for
 * each record. source labels the records (a path, "path:N"). Returns MXD_OK (also when the
 * message is not a bounce: no record), MXD_ERR_EMPTY for empty input, MXD_ERR_PARSE when
 * the bytes are not an e-mail message at all (no header) and not a notice's text either (a
 * notice pasted without its header, "This is the mail system at host ...", is read as its
 * text), MXD_ERR_NOMEM, MXD_ERR_NOLIB when
 * the message needs MIME decoding (base64, quoted-printable, a charset, RFC 2047 words) and
 * GMime (libgmime-3.0.so.0, loaded on first use) cannot be loaded: no record then, and
 * mxd_strerror() says why. *nrec (may be NULL) gets the number of records. */
MXD_API mxd_err mxd_bounce_parse(mxd_bounce_ctx *bc, const char *data, size_t len,
                                 const char *source, mxd_bounce_cb cb, void *arg, size_t *nrec);

/* mxd_bounce_parse_msg - mxd_bounce_parse() on a message of a mail source (its data, label
 * and truncated flag: the records of a cut message say so). */
MXD_API mxd_err mxd_bounce_parse_msg(mxd_bounce_ctx *bc, const mxd_mail_msg *m, mxd_bounce_cb cb,
                                     void *arg, size_t *nrec);

/* The caps that bit on the last message mxd_bounce_parse() or mxd_bounce_parse_msg() read
 * (its records carry the same bits; this also says them for a message that gave none). */
enum {
    MXD_BOUNCE_CUT_SIZE = 1,  /* longer than MXD_MAIL_MESSAGE_MAX: cut there */
    MXD_BOUNCE_CUT_RCPTS = 2, /* more than MXD_BOUNCE_MAX_RCPTS recipients */
    MXD_BOUNCE_CUT_MIME = 4   /* MIME structure past the reader's limits (see mime_cut) */
};
MXD_API unsigned mxd_bounce_cuts(const mxd_bounce_ctx *bc);

/* mxd_bounce_record_json - the record as one JSON object (UTF-8, no newline) with the fields
 * recipient addresser status replycode reason hardbounce action diagnosticcode
 * diagnostictype rhost lhost smtpcommand destination senderdomain timestamp timezoneoffset
 * messageid subject listid feedbacktype origin source provider scope sending_ip retry, and
 * "warnings" (a list of sentences) only when a cap bit (truncated, recipients_cut, mime_cut); with
 * explain_rule also "rule" {decided_by, id, file, line}. Returns a string the caller frees
 * with free(), or NULL when out of memory. */
MXD_API char *mxd_bounce_record_json(const mxd_bounce_record *rec, int explain_rule, int pretty);

#ifdef __cplusplus
}
#endif
#endif
