/* feed_internal.h - shared helpers of the feed readers (internal)
 * SPDX-License-Identifier: MIT
 *
 * csv.c splits RFC 4180 records (quoted fields, doubled quotes, CRLF or LF) under the limits of
 * feed.h; util.c matches column names loosely, parses the dates the reports write and copies a
 * stranger's text with control characters neutralised; snds.c and gpt.c are the readers;
 * fetch.c and curl.c talk to the SNDS API.
 */
#ifndef MXD_FEED_INTERNAL_H
#define MXD_FEED_INTERNAL_H

#include <stddef.h>
#include "mxdiag/feed.h"
#include "util/buf.h"

#define FEED_KEY_MAX 64 /* bytes of a normalised column name */

/* --- csv.c ---------------------------------------------------------------------------- */

typedef struct csv_reader {
    const char *p, *end;
    unsigned line;                           /* line of the record returned last (1-based) */
    buf store;                               /* the record's fields, NUL-separated */
    size_t off[MXD_FEED_MAX_COLUMNS];        /* offsets into store */
    const char *field[MXD_FEED_MAX_COLUMNS]; /* valid until the next csv_next() */
    size_t nfields;
} csv_reader;

void csv_init(csv_reader *r, const char *data, size_t len);
void csv_free(csv_reader *r);

/* csv_next - the next record into r->field[0..nfields). 1: a record; 0: the end; -1: an error
 * (*e MXD_ERR_PARSE, MXD_ERR_TOOBIG or MXD_ERR_NOMEM; why says what, with the line). Blank
 * lines are skipped. */
int csv_next(csv_reader *r, mxd_err *e, char *why, size_t whylen);

/* --- util.c ---------------------------------------------------------------------------- */

/* feed_key - name lower-cased with everything but letters and digits dropped, into out
 * (FEED_KEY_MAX bytes, cut). */
void feed_key(const char *name, size_t len, char *out);

/* feed_time - a report's date: "12/31/2019 8:00 AM", "12/31/2019 20:00", "12/31/2019",
 * "2019-12-31", "2019-12-31T08:00:00Z" (or with an offset, or a blank instead of T). 0 and
 * *t (seconds since 1970 UTC) on success, -1 otherwise. */
int feed_time(const char *s, long long *t);

/* feed_day - the UTC day of t as "YYYY-MM-DD" into out (11 bytes). */
void feed_day(long long t, char *out);

/* feed_civil - seconds since 1970 of y-m-d h:mi:s UTC (no range check). */
long long feed_civil(int y, int m, int d, int h, int mi, int s);

/* feed_valid_day - s is "YYYY-MM-DD" of a real day. */
int feed_valid_day(const char *s);

/* feed_text - a malloc'ed copy of s (len bytes) with blanks around it trimmed and control
 * characters and bytes that are not UTF-8 turned into '?'; NULL when empty (*nomem 1 when out
 * of memory). */
char *feed_text(const char *s, size_t len, int *nomem);

/* feed_ip - s as an IP address, re-formatted into out (46 bytes); -1 when not one. */
int feed_ip(const char *s, char *out);

#endif
