/* kb_auth.c - knowledge for the e-mail authentication checks: common DKIM selectors,
 * sending services
 * SPDX-License-Identifier: MIT
 *
 * Rows of data/dkim-selectors.tsv and data/senders.tsv (formats in data/README.md) and the
 * lookups over them.
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
        if (str_caseeq(col[0], clen[0], kb_str(kb, kb->dkimsels[i].selector)))
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
        *selector = kb_str(kb, kb->dkimsels[i].selector);
    if (provider)
        *provider = kb_str(kb, kb->dkimsels[i].provider);
    return 0;
}

/* kb_row_sender - one sending service: a domain name, its service, category and advice. */
mxd_err kb_row_sender(parse_ctx *pc, const char **col, const size_t *clen)
{
    mxd_kb *kb = pc->kb;
    for (int i = 0; i < 5; i++)
        if (!clen[i])
            return kb_fail(pc, "domain, service, category, align and source are required");
    static const char *const cats[] = {"esp", "mailbox", "security"};
    int ok = 0;
    for (size_t i = 0; i < sizeof cats / sizeof *cats; i++)
        ok |= str_caseeq(col[2], clen[2], cats[i]);
    if (!ok)
        return kb_fail(pc, "category '%.*s': use esp, mailbox or security", (int)clen[2], col[2]);
    for (size_t i = 0; i < clen[0]; i++)
        if (!str_isalnum((unsigned char)col[0][i]) && col[0][i] != '-' && col[0][i] != '.')
            return kb_fail(pc, "domain '%.*s': letters, digits, '-' and '.' only", (int)clen[0],
                           col[0]);
    for (size_t i = 0; i < kb->nsenders; i++)
        if (str_caseeq(col[0], clen[0], kb_str(kb, kb->senders[i].domain)))
            return kb_fail(pc, "duplicate domain '%.*s'", (int)clen[0], col[0]);
    kb_sender d = {kb_strn(kb, col[0], clen[0]), kb_strn(kb, col[1], clen[1]),
                   kb_strn(kb, col[2], clen[2]), kb_strn(kb, col[3], clen[3])};
    if (!d.domain || !d.service || !d.category || !d.align)
        return MXD_ERR_NOMEM;
    return kb_push((void **)&kb->senders, &kb->nsenders, sizeof *kb->senders, &d);
}

/* mxd_kb_sending_service - the service whose domain name is or ends name. */
int mxd_kb_sending_service(const mxd_kb *kb, const char *name, const char **service,
                           const char **category, const char **align)
{
    if (!kb || !name)
        return -1;
    size_t nl = strlen(name);
    while (nl && name[nl - 1] == '.')
        nl--;
    for (size_t i = 0; i < kb->nsenders; i++) {
        const kb_sender *s = &kb->senders[i];
        const char *domain = kb_str(kb, s->domain);
        size_t dl = strlen(domain);
        if (nl < dl || !str_caseeq(name + nl - dl, dl, domain))
            continue;
        if (nl > dl && name[nl - dl - 1] != '.')
            continue;
        if (service)
            *service = kb_str(kb, s->service);
        if (category)
            *category = kb_str(kb, s->category);
        if (align)
            *align = kb_str(kb, s->align);
        return 0;
    }
    return -1;
}
