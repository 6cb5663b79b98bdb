/* crypto.c - libcrypto, loaded on first use (see crypto.h)
 * SPDX-License-Identifier: MIT
 */
#define MXD_CRYPTO_IMPL
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "util/crypto.h"

dl_lib crypto_lib = {"libcrypto.so.3", "for DKIM, SHA-256 and base64", NULL, NULL, ""};

static crypto_fns fns;
static int loaded;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
    dl_lib *l = &crypto_lib;
    if (dl_open(l))
        return;
#define CRYPTO_FN_SYM(name) DL_SYM(l, fns.name, #name);
    CRYPTO_FNS(CRYPTO_FN_SYM)
#undef CRYPTO_FN_SYM
    loaded = dl_done(l) == 0;
}

int crypto_load(void)
{
    pthread_once(&once, load);
    return loaded ? 0 : -1;
}

const crypto_fns *crypto_fn(void)
{
    if (crypto_load()) {
        fprintf(stderr, "libmxdiag: OpenSSL used before crypto_load(): %s\n", crypto_lib.why);
        abort();
    }
    return &fns;
}
