/* csv.c - an RFC 4180 record splitter with limits
 * SPDX-License-Identifier: MIT
 *
 * Fields are separated by commas; a field that starts with a double quote runs to the next
 * lone quote (a doubled quote is one quote) and may hold commas and line breaks; records end
 * at LF or CRLF. Text after a closing quote up to the next comma is kept (a lenient reading
 * of saved exports). A record has at most MXD_FEED_MAX_COLUMNS fields of MXD_FEED_MAX_FIELD
 * bytes each: beyond, MXD_ERR_TOOBIG. An unterminated quote is MXD_ERR_PARSE.
 */
#include <stdio.h>
#include "feed/feed_internal.h"
#include "util/str.h"

void csv_init(csv_reader *r, const char *data, size_t len)
{
    memset(r, 0, sizeof *r);
    r->p = data;
    r->end = data + len;
    /* a UTF-8 byte order mark is not part of the first column's name */
    if (len >= 3 && (unsigned char)data[0] == 0xEF && (unsigned char)data[1] == 0xBB &&
        (unsigned char)data[2] == 0xBF)
        r->p += 3;
    buf_init(&r->store, (size_t)MXD_FEED_MAX_COLUMNS * (MXD_FEED_MAX_FIELD + 1));
}

void csv_free(csv_reader *r)
{
    buf_free(&r->store);
}

/* end_field - close the field begun at r->off[r->nfields]. */
static int end_field(csv_reader *r, size_t start, mxd_err *e, char *why, size_t whylen)
{
    if (r->store.len - start > MXD_FEED_MAX_FIELD) {
        *e = str_why(MXD_ERR_TOOBIG, why, whylen, "line %u: a field longer than %d bytes", r->line,
                     MXD_FEED_MAX_FIELD);
        return -1;
    }
    if ((*e = buf_addc(&r->store, 0))) {
        str_why(*e, why, whylen, "line %u: %s", r->line, mxd_strerror(*e));
        return -1;
    }
    r->nfields++;
    return 0;
}

int csv_next(csv_reader *r, mxd_err *e, char *why, size_t whylen)
{
    const char *p = r->p, *end = r->end;
    /* skip blank lines */
    while (p < end && (*p == '\n' || *p == '\r')) {
        if (*p == '\n')
            r->line++;
        p++;
    }
    if (p >= end) {
        r->p = p;
        return 0;
    }
    r->line++;
    buf_reset(&r->store);
    r->nfields = 0;
    for (;;) {
        if (r->nfields == MXD_FEED_MAX_COLUMNS) {
            *e = str_why(MXD_ERR_TOOBIG, why, whylen, "line %u: more than %d columns", r->line,
                         MXD_FEED_MAX_COLUMNS);
            return -1;
        }
        size_t start = r->store.len;
        r->off[r->nfields] = start;
        if (p < end && *p == '"') {
            unsigned opened = r->line;
            p++;
            for (;;) {
                if (p >= end) {
                    *e = str_why(MXD_ERR_PARSE, why, whylen, "line %u: unterminated quoted field",
                                 opened);
                    return -1;
                }
                if (*p == '"') {
                    if (p + 1 < end && p[1] == '"') {
                        p += 2;
                        if ((*e = buf_addc(&r->store, '"')))
                            goto nomem;
                        continue;
                    }
                    p++;
                    break;
                }
                if (*p == '\n')
                    r->line++;
                if ((*e = buf_addc(&r->store, *p++)))
                    goto nomem;
                if (r->store.len - start > MXD_FEED_MAX_FIELD)
                    return end_field(r, start, e, why, whylen);
            }
        }
        while (p < end && *p != ',' && *p != '\n' &&
               !(*p == '\r' && (p + 1 == end || p[1] == '\n'))) {
            if ((*e = buf_addc(&r->store, *p++)))
                goto nomem;
            if (r->store.len - start > MXD_FEED_MAX_FIELD)
                return end_field(r, start, e, why, whylen);
        }
        if (end_field(r, start, e, why, whylen))
            return -1;
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        if (p < end && *p == '\r')
            p++;
        if (p < end && *p == '\n')
            p++;
        break;
    }
    r->p = p;
    for (size_t i = 0; i < r->nfields; i++)
        r->field[i] = r->store.ptr + r->off[i];
    return 1;
nomem:
    str_why(*e, why, whylen, "line %u: %s", r->line, mxd_strerror(*e));
    return -1;
}
