/* psl_dl.c - libpsl, loaded on first use (see psl_dl.h)
 * SPDX-License-Identifier: MIT
 */
#define MXD_PSL_DL_IMPL
#include <pthread.h>
#include "util/dl.h"
#include "util/psl_dl.h"

static dl_lib psl_lib = {"libpsl.so.5", "for the public suffix list", NULL, NULL, ""};

static struct {
    __typeof__(psl_builtin) *builtin;
    __typeof__(psl_latest) *latest;
    __typeof__(psl_free) *free;
    __typeof__(psl_registrable_domain) *registrable_domain;
    __typeof__(psl_is_public_suffix2) *is_public_suffix2;
} fn;
static int loaded;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
    dl_lib *l = &psl_lib;
    if (dl_open(l))
        return;
    DL_SYM(l, fn.builtin, "psl_builtin");
    DL_SYM(l, fn.latest, "psl_latest");
    DL_SYM(l, fn.free, "psl_free");
    DL_SYM(l, fn.registrable_domain, "psl_registrable_domain");
    DL_SYM(l, fn.is_public_suffix2, "psl_is_public_suffix2");
    loaded = dl_done(l) == 0;
}

static int ready(void)
{
    pthread_once(&once, load);
    return loaded;
}

const psl_ctx_t *psl_dl_builtin(void)
{
    return ready() ? fn.builtin() : NULL;
}

psl_ctx_t *psl_dl_latest(const char *fname)
{
    return ready() ? fn.latest(fname) : NULL;
}

void psl_dl_free(psl_ctx_t *psl)
{
    if (psl && ready())
        fn.free(psl);
}

/* (a context exists only when libpsl was loaded) */
const char *psl_dl_registrable_domain(const psl_ctx_t *psl, const char *domain)
{
    return psl && ready() ? fn.registrable_domain(psl, domain) : NULL;
}

int psl_dl_is_public_suffix2(const psl_ctx_t *psl, const char *domain, int type)
{
    return psl && ready() ? fn.is_public_suffix2(psl, domain, type) : 0;
}
