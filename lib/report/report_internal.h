/* report_internal.h - shared by the report readers (internal)
 * SPDX-License-Identifier: MIT
 */
#ifndef MXD_REPORT_INTERNAL_H
#define MXD_REPORT_INTERNAL_H

#include <stddef.h>
#include "mxdiag/report.h"

struct dl_lib;

/* report_expat_lib - expat, loaded by dmarc_agg.c the first time an aggregate report is read
 * (util/dl.h); tests may change its soname before that. */
extern struct dl_lib report_expat_lib;

/* report_text - a text value as kept: s[0..len) (valid UTF-8) without leading and trailing
 * blanks, cut at MXD_REPORT_MAX_FIELD bytes on a character boundary, ASCII lower-cased when
 * lower. *out is the copy to free(), NULL when nothing is left. MXD_OK or MXD_ERR_NOMEM. */
mxd_err report_text(const char *s, size_t len, int lower, char **out);

/* report_time - t (seconds since 1970) as "YYYY-MM-DD HH:MM:SS" UTC, or as RFC 3339
 * "YYYY-MM-DDTHH:MM:SSZ" when iso; "" when out of range. */
void report_time(long long t, int iso, char out[32]);

#endif
