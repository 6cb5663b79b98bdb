/* cmd_spf.c - mxdiag spf (not implemented yet)
 * SPDX-License-Identifier: MIT
 */
#include "cli.h"

int cmd_spf(const cli_global *g, int argc, char **argv)
{
    (void)g;
    (void)argc;
    (void)argv;
    cli_err("spf", "not implemented yet");
    return EX_SOFTWARE_;
}
