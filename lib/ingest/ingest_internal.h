/* ingest_internal.h - the decisions of lib/ingest, exposed for the unit tests (internal)
 * SPDX-License-Identifier: MIT
 */
#ifndef MXD_INGEST_INTERNAL_H
#define MXD_INGEST_INTERNAL_H

#include <stddef.h>
#include "mxdiag/bounce.h"
#include "mxdiag/store.h"
#include "mxdiag/ingest.h"

/* ingest_is_report_bytes - do these bytes look like a report file rather than a message:
 * gzip or zip magic, or XML or JSON (after a byte-order mark and blanks)? */
int ingest_is_report_bytes(const char *d, size_t n);

/* ingest_effect - what a bounce record does to the suppression list: a complaint (feedback
 * of type abuse or fraud, or of no type) and a hard bounce suppress; a failure of the
 * recipient's mailbox that is not permanent (scope recipient) counts as soft; every other
 * record (an IP, domain, tenant, content, rate or policy block; not-spam and virus reports)
 * is recorded and never suppresses anyone. */
mxd_event_effect ingest_effect(const mxd_bounce_record *r);

/* ingest_new_reader - an ingester that may have no store (st NULL): only ingest_read() can
 * be used then (tests, the fuzz target). */
mxd_err ingest_new_reader(const mxd_kb *kb, mxd_store *st, mxd_ingest **out);

/* ingest_read - phase one alone: what the message is (res->kind, res->detail, res->why) and
 * its key; the events, reports and failure report stay readable until the next call. */
mxd_err ingest_read(mxd_ingest *ing, const mxd_mail_msg *m, mxd_ingest_result *res, char *key,
                    size_t keylen);

/* ingest_failure - the failure report ingest_read() found, or NULL. */
const mxd_dmarc_failure *ingest_failure(const mxd_ingest *ing);

/* ingest_events - the number of events ingest_read() found; the i-th one's address and
 * effect when i is below it. */
size_t ingest_events(const mxd_ingest *ing, size_t i, const char **address,
                     mxd_event_effect *effect);

#endif
