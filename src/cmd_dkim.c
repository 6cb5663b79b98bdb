/* cmd_dkim.c - mxdiag dkim (not implemented yet)
 * SPDX-License-Identifier: MIT
 */
#include "cli.h"

int cmd_dkim(const cli_global *g, int argc, char **argv)
{
    (void)g;
    (void)argc;
    (void)argv;
    cli_err("dkim", "not implemented yet");
    return EX_SOFTWARE_;
}
