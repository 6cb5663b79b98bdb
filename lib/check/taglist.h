/* taglist.h - the tag=value lists of DKIM (RFC 6376 section 3.2) and DMARC (internal)
 * SPDX-License-Identifier: MIT
 */
#ifndef MXD_TAGLIST_H
#define MXD_TAGLIST_H

#include <stddef.h>

/* Most tags one list may have; a longer list is an error (real records have a dozen). */
#define TAGLIST_MAX 64

typedef struct taglist_tag {
    const char *name; /* points into the parsed text */
    size_t nlen;
    const char *val; /* without leading and trailing white space */
    size_t vlen;
} taglist_tag;

typedef struct taglist {
    taglist_tag t[TAGLIST_MAX];
    size_t n;
} taglist;

/* taglist_parse - split s (len bytes) into tags. White space (SP, HTAB, CR, LF) is allowed
 * around names, '=' and values, and inside values; empty specs (";;", a trailing ";") are
 * skipped. Returns 0, or -1 with a reason in why for: a tag without '=', a bad tag name
 * (ALPHA *(ALPHA / DIGIT / "_")), a character outside %x21-7E in a value (';' ends it), a
 * duplicate tag, more than TAGLIST_MAX tags. */
int taglist_parse(const char *s, size_t len, taglist *out, char *why, size_t whylen);

/* taglist_get - the tag called name (case-sensitive, as RFC 6376 says), or NULL. */
const taglist_tag *taglist_get(const taglist *l, const char *name);

/* taglist_is_ws - SP, HTAB, CR or LF. */
int taglist_is_ws(int c);

#endif
