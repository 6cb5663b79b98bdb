/* cmd_bounce.c - mxdiag bounce (not implemented yet)
 * SPDX-License-Identifier: MIT
 */
#include "cli.h"

int cmd_bounce(const cli_global *g, int argc, char **argv)
{
    (void)g;
    (void)argc;
    (void)argv;
    cli_err("bounce", "not implemented yet");
    return EX_SOFTWARE_;
}
