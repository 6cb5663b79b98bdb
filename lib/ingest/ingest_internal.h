/* ingest_internal.h - the decisions of lib/ingest, exposed for the unit tests (internal)
 * SPDX-License-Identifier: MIT
 */
#ifndef MXD_INGEST_INTERNAL_H
#define MXD_INGEST_INTERNAL_H

#include <stddef.h>
#include "mxdiag/bounce.h"
#include "mxdiag/store.h"

/* ingest_is_report_bytes - do these bytes look like a report file rather than a message:
 * gzip or zip magic, or XML or JSON (after a byte-order mark and blanks)? */
int ingest_is_report_bytes(const char *d, size_t n);

/* ingest_effect - what a bounce record does to the suppression list: a complaint (feedback
 * of type abuse or fraud, or of no type) and a hard bounce suppress; a failure of the
 * recipient's mailbox that is not permanent (scope recipient) counts as soft; every other
 * record (an IP, domain, tenant, content, rate or policy block; not-spam and virus reports)
 * is recorded and never suppresses anyone. */
mxd_event_effect ingest_effect(const mxd_bounce_record *r);

#endif
