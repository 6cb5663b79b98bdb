/* text.c - what the report readers share: reasons, text values, UTF-8 repair, dates
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "report/report_internal.h"
#include "util/buf.h"
#include "util/str.h"

mxd_err report_text(const char *s, size_t len, int lower, char **out)
{
    *out = NULL;
    while (len && str_isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len && str_isspace((unsigned char)s[len - 1]))
        len--;
    if (len > MXD_REPORT_MAX_FIELD) {
        len = MXD_REPORT_MAX_FIELD;
        /* s[len] is the first byte left out: never keep half a character */
        while (len && ((unsigned char)s[len] & 0xc0) == 0x80)
            len--;
    }
    if (!len)
        return MXD_OK;
    char *p = str_dup_n(s, len);
    if (!p)
        return MXD_ERR_NOMEM;
    if (lower)
        for (size_t i = 0; i < len; i++)
            p[i] = (char)str_tolower((unsigned char)p[i]);
    *out = p;
    return MXD_OK;
}

void report_time(long long t, int iso, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    out[0] = 0;
    if ((long long)tt != t || !gmtime_r(&tt, &tm) || tm.tm_year + 1900 > 9999 ||
        tm.tm_year + 1900 < 0)
        return;
    strftime(out, 32, iso ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S", &tm);
}
