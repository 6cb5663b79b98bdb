/* cliopt.c - option helpers the commands share: valued options, options a command does not
 * know itself, the DKIM selectors of a --message
 * SPDX-License-Identifier: MIT
 */
#include <string.h>
#include "cli.h"

int cli_is_opt(const char *a, const char *name)
{
    size_t nl = strlen(name);
    return !strncmp(a, name, nl) && (a[nl] == 0 || a[nl] == '=');
}

const char *cli_take_value(const char *cmd, int argc, char **argv, int *i, const char *name,
                           int empty_ok)
{
    const char *a = argv[*i];
    size_t nl = strlen(name);
    const char *v = NULL;
    if (a[nl] == '=')
        v = a + nl + 1;
    else if (*i + 1 < argc)
        v = argv[++*i];
    if (!v || (!*v && !empty_ok)) {
        cli_err(cmd, "%s needs a value", name);
        return NULL;
    }
    return v;
}

int cli_other_option(cli_global *g, const char *cmd, int argc, char **argv, int *i)
{
    int r = cli_dns_option(g, cmd, argc, argv, i);
    if (r == 0)
        cli_err(cmd, "unknown option '%s' (try --help)", argv[*i]);
    return r > 0 ? 0 : -1;
}

int cli_selector_option(const char *cmd, int argc, char **argv, int *i, const char **sel,
                        size_t *nsel)
{
    const char *v = cli_take_value(cmd, argc, argv, i, "--selector", 0);
    if (!v)
        return -1;
    if (*nsel == MXD_DKIM_MAX_SELECTORS) {
        cli_err(cmd, "at most %d selectors", MXD_DKIM_MAX_SELECTORS);
        return -1;
    }
    sel[(*nsel)++] = v;
    return 0;
}

/* same_domain - a (from a signature) and b (from the user, a trailing dot allowed) are the
 * same name without regard to ASCII case. */
static int same_domain(const char *a, const char *b)
{
    size_t al = strlen(a), bl = strlen(b);
    if (bl && b[bl - 1] == '.')
        bl--;
    if (al != bl)
        return 0;
    for (size_t k = 0; k < al; k++) {
        int x = (a[k] >= 'A' && a[k] <= 'Z') ? a[k] + 32 : a[k];
        int y = (b[k] >= 'A' && b[k] <= 'Z') ? b[k] + 32 : b[k];
        if (x != y)
            return 0;
    }
    return 1;
}

size_t cli_signer_selectors(const mxd_dkim_signer *s, size_t n, const char *domain,
                            const char **sel, size_t *nsel, size_t max)
{
    size_t before = *nsel;
    for (size_t k = 0; k < n && *nsel < max; k++)
        if (same_domain(s[k].domain, domain))
            sel[(*nsel)++] = s[k].selector;
    return *nsel - before;
}
