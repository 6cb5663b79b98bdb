/* match.h - first of many case-insensitive '*' patterns in a text, in one pass (internal)
 * SPDX-License-Identifier: MIT
 */
#ifndef MXD_UTIL_MATCH_H
#define MXD_UTIL_MATCH_H

#include <stddef.h>

typedef struct bmatch bmatch;

/* bmatch_new - compile n patterns (kept in this order: the first has the highest rank).
 * NULL when out of memory. Free with bmatch_free(). */
bmatch *bmatch_new(const char *const *patterns, size_t n);
void bmatch_free(bmatch *m);

/* bmatch_first - the index of the first pattern (in compile order) found anywhere in the
 * text, which must already be lower case (bmatch_lower); -1 when none occurs. */
long bmatch_first(const bmatch *m, const char *lower, size_t len);

/* bmatch_all - hit[i] = 1 when pattern i occurs anywhere in the (lower-case) text, else 0;
 * hit has room for bmatch_count(m) bytes. */
void bmatch_all(const bmatch *m, const char *lower, size_t len, unsigned char *hit);
size_t bmatch_count(const bmatch *m);

/* bmatch_all_work / bmatch_first_work - the same answers as bmatch_all and bmatch_first
 * (*first), and the work the scan did: positions visited plus bytes searched. A measure in
 * operations, not seconds, so tests can show the scan stays linear on any machine. */
size_t bmatch_all_work(const bmatch *m, const char *lower, size_t len, unsigned char *hit);
size_t bmatch_first_work(const bmatch *m, const char *lower, size_t len, long *first);

/* bmatch_lower - ASCII lower case of s into out (len bytes, no NUL added). */
void bmatch_lower(const char *s, size_t len, char *out);

#endif
