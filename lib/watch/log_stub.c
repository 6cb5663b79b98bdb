/* log_stub.c - a placeholder for watch_log() until watch.c lands (weak: the real one wins)
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stdio.h>
#include "watch/watch_internal.h"

__attribute__((weak)) void watch_log(int priority, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "mxdiag-watch: <%d> ", priority);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}
