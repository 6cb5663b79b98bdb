/* date.h - the proleptic Gregorian calendar, without the C library's time zone (internal)
 * SPDX-License-Identifier: MIT
 */
#ifndef MXD_UTIL_DATE_H
#define MXD_UTIL_DATE_H

/* date_days_from_civil - days since 1970-01-01 of year y, month m (1-12), day d (Howard
 * Hinnant's algorithm: exact for every year, no table, no range check). */
long long date_days_from_civil(long long y, unsigned m, unsigned d);

/* date_month - the month (1-12) whose English three-letter name ("Jan" ... "Dec", any case)
 * s[0..3) holds, 0 when none; s must hold 3 bytes. The names of RFC 5322 dates, ctime(3) and
 * syslog's RFC 3164 stamps. */
int date_month(const char *s);

#endif
