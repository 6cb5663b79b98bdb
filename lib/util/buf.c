/* buf.c - growable byte buffer with a size cap
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/buf.h"

/* buf_init - an empty buffer that will never hold more than cap bytes. */
void buf_init(buf *b, size_t cap)
{
    b->ptr = NULL;
    b->len = 0;
    b->alloc = 0;
    b->cap = cap;
}

/* buf_free - release the memory; the buffer can be used again. */
void buf_free(buf *b)
{
    free(b->ptr);
    b->ptr = NULL;
    b->len = 0;
    b->alloc = 0;
}

/* buf_reset - forget the contents, keep the memory. */
void buf_reset(buf *b)
{
    b->len = 0;
    if (b->ptr)
        b->ptr[0] = 0;
}

/* buf_add_slow - append len bytes, growing the buffer (buf_add's slow path). */
mxd_err buf_add_slow(buf *b, const void *data, size_t len)
{
    if (len > b->cap || b->len > b->cap - len) {
        buf_free(b);
        return MXD_ERR_TOOBIG;
    }
    size_t need = b->len + len + 1;
    if (need > b->alloc) {
        size_t n = b->alloc ? b->alloc : 64;
        while (n < need)
            n = n < ((size_t)-1) / 2 ? n * 2 : need;
        char *p = realloc(b->ptr, n);
        if (!p) {
            buf_free(b);
            return MXD_ERR_NOMEM;
        }
        b->ptr = p;
        b->alloc = n;
    }
    if (len)
        memcpy(b->ptr + b->len, data, len);
    b->len += len;
    b->ptr[b->len] = 0;
    return MXD_OK;
}

/* buf_adds - append a NUL-terminated string. */
mxd_err buf_adds(buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

/* buf_printf - append formatted text. */
mxd_err buf_printf(buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return MXD_ERR_INVALID;
    if ((size_t)n < sizeof small)
        return buf_add(b, small, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (!big) {
        buf_free(b);
        return MXD_ERR_NOMEM;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    mxd_err e = buf_add(b, big, (size_t)n);
    free(big);
    return e;
}

/* buf_steal - give the string to the caller. */
char *buf_steal(buf *b)
{
    char *p = b->ptr;
    if (!p)
        p = calloc(1, 1);
    b->ptr = NULL;
    b->len = 0;
    b->alloc = 0;
    return p;
}

/* buf_cstr - the contents as a C string. */
const char *buf_cstr(const buf *b)
{
    return b->ptr ? b->ptr : "";
}
