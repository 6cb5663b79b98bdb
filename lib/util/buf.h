/* buf.h - growable byte buffer with a size cap (internal)
 * SPDX-License-Identifier: MIT
 *
 * A buf always holds a NUL terminator after its len bytes once anything was added. When an
 * append would pass the cap or memory runs out, the buffer frees itself and the append
 * returns MXD_ERR_TOOBIG / MXD_ERR_NOMEM: callers check once and stop.
 */
#ifndef MXD_UTIL_BUF_H
#define MXD_UTIL_BUF_H

#include <stddef.h>
#include <stdarg.h>
#include <string.h>
#include "mxdiag/error.h"

typedef struct buf {
    char *ptr;
    size_t len;
    size_t alloc;
    size_t cap; /* largest len allowed */
} buf;

void buf_init(buf *b, size_t cap);
void buf_free(buf *b);
void buf_reset(buf *b); /* keep memory, len = 0 */
mxd_err buf_add_slow(buf *b, const void *data, size_t len);

/* buf_add - append len bytes; frees the buffer on failure. Copies in place when the bytes
 * fit (the common case), else grows through buf_add_slow(). */
static inline mxd_err buf_add(buf *b, const void *data, size_t len)
{
    if (len < b->alloc - b->len && len <= b->cap - b->len) {
        if (len)
            memcpy(b->ptr + b->len, data, len);
        b->len += len;
        b->ptr[b->len] = 0;
        return MXD_OK;
    }
    return buf_add_slow(b, data, len);
}
mxd_err buf_adds(buf *b, const char *s);

/* buf_addc - append one byte: in place when it fits (the common case), else through
 * buf_add() (growth, cap, failure as there). */
static inline mxd_err buf_addc(buf *b, char c)
{
    if (b->len < b->cap && b->alloc - b->len >= 2) {
        b->ptr[b->len++] = c;
        b->ptr[b->len] = 0;
        return MXD_OK;
    }
    return buf_add_slow(b, &c, 1);
}
mxd_err buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* buf_steal - hand the string over to the caller (who frees it with free()); the buf is
 * left empty. Returns "" allocated when nothing was ever added; NULL on out of memory. */
char *buf_steal(buf *b);
const char *buf_cstr(const buf *b); /* "" when empty */

#endif
