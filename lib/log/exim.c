/* exim.c - Exim main-log lines into log records
 * SPDX-License-Identifier: MIT
 */
#include <string.h>
#include "log/log_internal.h"

int log_exim_parse(char *msg, size_t len, log_rec *r)
{
    memset(r, 0, sizeof *r);
    (void)msg;
    (void)len;
    return 0;
}
