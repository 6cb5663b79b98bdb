/* date.c - the proleptic Gregorian calendar (see date.h)
 * SPDX-License-Identifier: MIT
 */
#include "util/date.h"
#include <string.h>
#include "util/str.h"

long long date_days_from_civil(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

int date_month(const char *s)
{
    static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    char m[3] = {(char)str_tolower((unsigned char)s[0]), (char)str_tolower((unsigned char)s[1]),
                 (char)str_tolower((unsigned char)s[2])};
    for (int k = 0; k < 12; k++)
        if (!memcmp(m, names + 3 * k, 3))
            return k + 1;
    return 0;
}
