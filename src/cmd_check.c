/* cmd_check.c - mxdiag check (not implemented yet)
 * SPDX-License-Identifier: MIT
 */
#include "cli.h"

int cmd_check(const cli_global *g, int argc, char **argv)
{
    (void)g;
    (void)argc;
    (void)argv;
    cli_err("check", "not implemented yet");
    return EX_SOFTWARE_;
}
