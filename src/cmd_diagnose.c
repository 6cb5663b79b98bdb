/* cmd_diagnose.c - mxdiag diagnose (not implemented yet)
 * SPDX-License-Identifier: MIT
 */
#include "cli.h"

int cmd_diagnose(const cli_global *g, int argc, char **argv)
{
    (void)g;
    (void)argc;
    (void)argv;
    cli_err("diagnose", "not implemented yet");
    return EX_SOFTWARE_;
}
