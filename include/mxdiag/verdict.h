/* verdict.h - what a source of a domain's DMARC aggregate reports is
 * SPDX-License-Identifier: MIT
 *
 * mxd_dmarc_verdict_of() looks at one source IP as the store sums it up (mxd_dmarc_source)
 * with its reverse DNS name, names the sending service it belongs to (data/senders.tsv) and
 * gives one verdict:
 *   aligned        most of its mail passed DMARC: SPF or DKIM aligned with the From domain;
 *   forwarded      it fails, and it is a mailbox provider's server or the reporter said the
 *                  mail was forwarded (a user's forwarding or a mailing list: not a sender of
 *                  yours);
 *   not-aligned    SPF or DKIM passed, but for another domain than the From domain: a
 *                  service sends for you without your domain set up (what to configure is
 *                  said);
 *   unauthorised   neither SPF nor DKIM passed for any domain: a server nobody authorised,
 *                  spoofing or a server of yours missing from SPF and unsigned.
 */
#ifndef MXDIAG_VERDICT_H
#define MXDIAG_VERDICT_H

#include <stddef.h>
#include "mxdiag/export.h"
#include "mxdiag/kb.h"
#include "mxdiag/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mxd_dmarc_verdict {
    const char *verdict;  /* "aligned" "forwarded" "not-aligned" "unauthorised" */
    const char *service;  /* the sending service, NULL when unknown */
    const char *category; /* esp mailbox security, NULL when unknown */
    char why[512];        /* one or two sentences: what the figures say */
    char advice[512];     /* what to do, "" when nothing */
} mxd_dmarc_verdict;

/* mxd_dmarc_verdict_of - the verdict on src; ptr is the source's reverse DNS name (NULL or
 * "" when unknown or not looked up). */
MXD_API void mxd_dmarc_verdict_of(const mxd_kb *kb, const mxd_dmarc_source *src, const char *ptr,
                                  mxd_dmarc_verdict *out);

#ifdef __cplusplus
}
#endif
#endif
