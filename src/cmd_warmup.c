/* cmd_warmup.c - mxdiag warmup plan|status
 * SPDX-License-Identifier: MIT
 */
#include "cli.h"

int cmd_warmup(const cli_global *g, int argc, char **argv)
{
    (void)g;
    (void)argc;
    (void)argv;
    return EX_USAGE_;
}
