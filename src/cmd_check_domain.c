/* cmd_check_domain.c - mxdiag check domain (not implemented yet: issue 5)
 * SPDX-License-Identifier: MIT
 */
#include "cli.h"

int cmd_check_domain(const cli_global *g, int argc, char **argv)
{
    (void)g;
    (void)argc;
    (void)argv;
    cli_err("check domain", "not implemented yet");
    return EX_SOFTWARE_;
}
