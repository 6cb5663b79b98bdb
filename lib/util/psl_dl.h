/* psl_dl.h - libpsl, loaded on first use (internal)
 * SPDX-License-Identifier: MIT
 *
 * The public suffix list is asked by DMARC (organisational domains), the domain checks and
 * the NXDOMAIN probe only. Linked, libpsl brought libidn2 and libunistring with it, and ld.so
 * mapped the three and did their 600 symbol relocations at every start of every command. A
 * file that includes this header (instead of <libpsl.h>) calls the five functions it uses by
 * their own names: they are defined below to wrappers that load libpsl the first time
 * (util/dl.h). Where it cannot be loaded, psl_builtin() and psl_latest() return NULL, as
 * libpsl itself does without a list, and the callers' fallbacks apply (the last two labels
 * of a name; no organisational domain); dl_last_error() says why.
 */
#ifndef MXD_UTIL_PSL_DL_H
#define MXD_UTIL_PSL_DL_H

#include <libpsl.h>

const psl_ctx_t *psl_dl_builtin(void);
psl_ctx_t *psl_dl_latest(const char *fname);
void psl_dl_free(psl_ctx_t *psl);
const char *psl_dl_registrable_domain(const psl_ctx_t *psl, const char *domain);
int psl_dl_is_public_suffix2(const psl_ctx_t *psl, const char *domain, int type);

#ifndef MXD_PSL_DL_IMPL
#define psl_builtin            psl_dl_builtin
#define psl_latest             psl_dl_latest
#define psl_free               psl_dl_free
#define psl_registrable_domain psl_dl_registrable_domain
#define psl_is_public_suffix2  psl_dl_is_public_suffix2
#endif

#endif
