/* dnsopt.c - the DNS options every DNS-using command shares, and opening the resolver
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

const char cli_dns_help[] =
    "  --dns-server ADDR[:PORT][,...]  DNS servers to ask (also MXDIAG_DNS_SERVER);\n"
    "                  default: the system resolver configuration\n"
    "  --timeout MS    time per try of a DNS query (default 2000)\n"
    "  --tries N       tries per DNS query (default 2)\n";

static int parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

int cli_dns_option(cli_global *g, const char *cmd, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    const char *val = NULL;
    size_t nl = strcspn(a, "=");
    static const char *const names[] = {"--dns-server", "--timeout", "--tries"};
    int which = -1;
    for (int k = 0; k < 3; k++)
        if (strlen(names[k]) == nl && !strncmp(a, names[k], nl))
            which = k;
    if (which < 0)
        return 0;
    if (a[nl] == '=')
        val = a + nl + 1;
    else if (*i + 1 < argc)
        val = argv[++*i];
    if (!val || !*val) {
        cli_err(cmd, "%s needs a value", names[which]);
        return -1;
    }
    if (which == 0) {
        g->dns_servers = val;
    } else if (which == 1) {
        if (parse_int(val, 1, 600000, &g->timeout_ms)) {
            cli_err(cmd, "--timeout: '%s' is not a number of milliseconds (1-600000)", val);
            return -1;
        }
    } else if (parse_int(val, 1, 20, &g->tries)) {
        cli_err(cmd, "--tries: '%s' is not a number from 1 to 20", val);
        return -1;
    }
    return 1;
}

int cli_open_resolver(const cli_global *g, const char *cmd, mxd_resolver **res)
{
    mxd_dns_opts o = {.servers = g->dns_servers, .timeout_ms = g->timeout_ms, .tries = g->tries};
    char why[512] = "";
    mxd_err e = mxd_resolver_new(&o, res, why, sizeof why);
    if (e) {
        cli_err(cmd, "DNS: %s", why[0] ? why : mxd_strerror(e));
        return e == MXD_ERR_INVALID ? EX_USAGE_ : EX_UNAVAILABLE_;
    }
    const char *w = mxd_resolver_warning(*res);
    if (w)
        cli_err(cmd, "warning: %s", w);
    return 0;
}
