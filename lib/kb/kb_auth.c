/* kb_auth.c - knowledge for the e-mail authentication checks: common DKIM selectors
 * SPDX-License-Identifier: MIT
 *
 * Rows of data/dkim-selectors.tsv (format in data/README.md) and the lookup over them.
 */
#include <stdlib.h>
#include <string.h>
#include "kb/kb_internal.h"
#include "util/str.h"

/* Longest selector accepted: one DNS label. */
#define KB_SELECTOR_MAX 63

/* kb_row_dkimsel - one selector: a DNS label of letters, digits, '-' and '_'. */
mxd_err kb_row_dkimsel(parse_ctx *pc, const char **col, const size_t *clen)
{
    mxd_kb *kb = pc->kb;
    if (!clen[0] || !clen[1] || !clen[2])
        return kb_fail(pc, "selector, provider and source are required");
    if (clen[0] > KB_SELECTOR_MAX)
        return kb_fail(pc, "selector longer than %d bytes", KB_SELECTOR_MAX);
    for (size_t i = 0; i < clen[0]; i++)
        if (!str_isalnum((unsigned char)col[0][i]) && col[0][i] != '-' && col[0][i] != '_')
            return kb_fail(pc, "selector '%.*s': use letters, digits, '-' and '_'", (int)clen[0],
                           col[0]);
    for (size_t i = 0; i < kb->ndkimsels; i++)
        if (str_caseeq(col[0], clen[0], kb->dkimsels[i].selector))
            return kb_fail(pc, "duplicate selector '%.*s'", (int)clen[0], col[0]);
    kb_dkimsel d = {kb_strn(kb, col[0], clen[0]), kb_strn(kb, col[1], clen[1])};
    if (!d.selector || !d.provider)
        return MXD_ERR_NOMEM;
    return kb_push((void **)&kb->dkimsels, &kb->ndkimsels, sizeof *kb->dkimsels, &d);
}

/* mxd_kb_dkim_selector - the i-th selector. */
int mxd_kb_dkim_selector(const mxd_kb *kb, size_t i, const char **selector, const char **provider)
{
    if (!kb || i >= kb->ndkimsels)
        return -1;
    if (selector)
        *selector = kb->dkimsels[i].selector;
    if (provider)
        *provider = kb->dkimsels[i].provider;
    return 0;
}
