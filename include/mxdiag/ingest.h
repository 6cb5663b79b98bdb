/* ingest.h - feed the store from what arrives at a bounce or report address
 * SPDX-License-Identifier: MIT
 *
 * mxd_ingest_message() takes one message (or one report file) and decides what it is:
 *   bounce           per-recipient records as mxd_bounce_parse() gives them (one verdict:
 *                    the same classification as `mxdiag bounce`), each stored as an event
 *                    whose effect on the suppression list follows from the record:
 *                    hardbounce -> hard; a temporary failure of the recipient's mailbox
 *                    (scope recipient) -> soft; every IP, domain, tenant, content, rate or
 *                    policy block -> block, which never suppresses anyone;
 *   complaint        an ARF feedback report (RFC 5965) or a report without a
 *                    message/feedback-report part (Microsoft JMRP and the like): the
 *                    recipient comes from Original-Rcpt-To or the returned message; types
 *                    abuse and fraud (or none given) suppress, others are recorded only;
 *   dmarc-aggregate  RFC 7489 / RFC 9990 XML, attached as it is, gzip'ed or zipped;
 *   dmarc-failure    RFC 6591 / RFC 9991 auth-failure reports, and the plain-text notices
 *                    some MTAs send instead;
 *   tls-report       RFC 8460 JSON (application/tlsrpt+json or +gzip);
 *   auto-reply       RFC 3834 automatic replies: counted, nothing stored but the message key;
 *   other            anything else: counted and skipped.
 * A report file (XML, JSON, gzip or zip: recognised by its bytes, not its name) is handled
 * the same way. Each message is one transaction: stored whole or not at all. A message
 * ingested before (same Message-ID, else the same bytes) is skipped; a report stored before
 * (same reporter and report id) is not stored again.
 */
#ifndef MXDIAG_INGEST_H
#define MXDIAG_INGEST_H

#include <stddef.h>
#include "mxdiag/export.h"
#include "mxdiag/error.h"
#include "mxdiag/kb.h"
#include "mxdiag/mail.h"
#include "mxdiag/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mxd_ingest mxd_ingest;

/* mxd_ingest_new - an ingester writing into st with the knowledge base kb (both must outlive
 * it). st may be NULL for a reader that stores nothing (mxd_ingest_reports_json() only). Free
 * with mxd_ingest_free(). */
MXD_API mxd_err mxd_ingest_new(const mxd_kb *kb, mxd_store *st, mxd_ingest **out);
MXD_API void mxd_ingest_free(mxd_ingest *ing);

/* What one message turned out to be. */
typedef struct mxd_ingest_result {
    const char *kind;   /* MXD_KIND_* (store.h) */
    int duplicate;      /* ingested before: nothing was stored */
    size_t records;     /* bounce or complaint recipients stored */
    size_t suppressed;  /* addresses this message suppressed */
    size_t reports;     /* DMARC or TLS reports stored */
    size_t report_dups; /* reports found that were stored before */
    char detail[256];   /* a short description (reporter and report id, or the first
                           recipient and reason); "" when none */
    char why[256];      /* when a part could not be read (a damaged or oversized attachment):
                           the reason; the rest of the message was still ingested */
} mxd_ingest_result;

/* mxd_ingest_message - ingest one message of a mail source (its bytes, label and flags) in
 * one transaction, now being the time to record when the message has no date of its own.
 * Errors: MXD_ERR_BUSY (the database stayed locked: nothing of this message was stored; try
 * again later), MXD_ERR_IO (the database failed: mxd_store_error() says why), MXD_ERR_NOMEM,
 * MXD_ERR_NOLIB (a library the input needs could not be loaded), MXD_ERR_PARSE (not a
 * message or report at all: res->why says why; nothing stored). A damaged attachment in an
 * otherwise readable message is not an error: res->why says what was skipped. */
MXD_API mxd_err mxd_ingest_message(mxd_ingest *ing, const mxd_mail_msg *m, long long now,
                                   mxd_ingest_result *res);

/* mxd_ingest_reports_json - read m as mxd_ingest_message() does, store nothing, and give the
 * DMARC aggregate and TLS reports it holds as one JSON array (UTF-8, no newline) of
 * {"kind": "dmarc-aggregate" | "tls-report", "report": {...}} in parsedmarc's shapes
 * (mxd_dmarc_agg_json(), mxd_tlsrpt_json()); [] when it holds none. res says what the message
 * is, as for mxd_ingest_message(). *json is freed with free(). Errors as mxd_ingest_message()
 * (no BUSY: nothing is written). */
MXD_API mxd_err mxd_ingest_reports_json(mxd_ingest *ing, const mxd_mail_msg *m,
                                        mxd_ingest_result *res, char **json);

#ifdef __cplusplus
}
#endif
#endif
