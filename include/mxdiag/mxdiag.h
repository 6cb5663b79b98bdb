/* mxdiag.h - the whole public API of libmxdiag
 * SPDX-License-Identifier: MIT
 *
 * Ownership, once for all headers: a function that returns memory says in its comment who
 * frees it; mxd_x_new()/mxd_x_open() pair with mxd_x_free(), and every free function accepts
 * NULL. The library never prints, exits or aborts on bad input.
 */
#ifndef MXDIAG_H
#define MXDIAG_H

#include "mxdiag/version.h"
#include "mxdiag/error.h"
#include "mxdiag/kb.h"
#include "mxdiag/explain.h"
#include "mxdiag/dns.h"
#include "mxdiag/check.h"
#include "mxdiag/finding.h"
#include "mxdiag/spf.h"
#include "mxdiag/dmarc.h"
#include "mxdiag/dkim.h"
#include "mxdiag/domain.h"
#include "mxdiag/mail.h"
#include "mxdiag/bounce.h"
#include "mxdiag/diagnose.h"
#include "mxdiag/log.h"
#include "mxdiag/report.h"
#include "mxdiag/feed.h"
#include "mxdiag/store.h"
#include "mxdiag/ingest.h"
#include "mxdiag/warmup.h"
#include "mxdiag/verdict.h"

#endif
