/* crypto.h - OpenSSL's libcrypto, loaded on first use (internal)
 * SPDX-License-Identifier: MIT
 *
 * Only DKIM (lib/check/dkim_*.c), ingest's message keys and base64 attachments
 * (lib/ingest/ingest.c) and the dashboard's token (lib/watch/http.c) use libcrypto. Linked,
 * it was mapped and its 3,000 symbol relocations done by ld.so at every start of every
 * command (about 2.5 million instructions of `mxdiag explain`'s 9.6). It is loaded like GMime
 * (util/dl.h): each entry point of those modules calls crypto_load() first and fails with
 * MXD_ERR_NOLIB when it cannot be loaded. A file that includes this header calls the OpenSSL
 * functions by their own names: below, each name is defined as the loaded function's pointer,
 * typed from OpenSSL's own prototype, so the compiler checks every call as before.
 */
#ifndef MXD_UTIL_CRYPTO_H
#define MXD_UTIL_CRYPTO_H

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include "util/dl.h"

#define CRYPTO_FNS(X)                                                                              \
    X(CRYPTO_memcmp)                                                                               \
    X(OPENSSL_cleanse)                                                                             \
    X(ERR_clear_error)                                                                             \
    X(SHA256)                                                                                      \
    X(EVP_sha256)                                                                                  \
    X(EVP_Digest)                                                                                  \
    X(EVP_DigestInit_ex)                                                                           \
    X(EVP_DigestUpdate)                                                                            \
    X(EVP_DigestFinal_ex)                                                                          \
    X(EVP_DigestVerifyInit)                                                                        \
    X(EVP_DigestVerify)                                                                            \
    X(EVP_MD_CTX_new)                                                                              \
    X(EVP_MD_CTX_free)                                                                             \
    X(EVP_PKEY_free)                                                                               \
    X(EVP_PKEY_new_raw_public_key)                                                                 \
    X(EVP_PKEY_get_bits)                                                                           \
    X(EVP_PKEY_get_base_id)                                                                        \
    X(EVP_ENCODE_CTX_new)                                                                          \
    X(EVP_ENCODE_CTX_free)                                                                         \
    X(EVP_DecodeInit)                                                                              \
    X(EVP_DecodeUpdate)                                                                            \
    X(EVP_DecodeFinal)                                                                             \
    X(d2i_PUBKEY)                                                                                  \
    X(d2i_PublicKey)

#define CRYPTO_FN_FIELD(name) __typeof__(name) *name;
typedef struct crypto_fns {
    CRYPTO_FNS(CRYPTO_FN_FIELD)
} crypto_fns;
#undef CRYPTO_FN_FIELD

extern dl_lib crypto_lib; /* "libcrypto.so.3" */

/* crypto_load - load libcrypto once (thread-safe). 0 when loaded; -1 when it cannot be (the
 * reason published for mxd_strerror(MXD_ERR_NOLIB)). */
int crypto_load(void);

/* crypto_fn - the loaded functions; only after crypto_load() returned 0 (aborts otherwise: a
 * module that calls OpenSSL without having called crypto_load() is a bug). */
const crypto_fns *crypto_fn(void);

#ifndef MXD_CRYPTO_IMPL
#define CRYPTO_memcmp               (*crypto_fn()->CRYPTO_memcmp)
#define OPENSSL_cleanse             (*crypto_fn()->OPENSSL_cleanse)
#define ERR_clear_error             (*crypto_fn()->ERR_clear_error)
#define SHA256                      (*crypto_fn()->SHA256)
#define EVP_sha256                  (*crypto_fn()->EVP_sha256)
#define EVP_Digest                  (*crypto_fn()->EVP_Digest)
#define EVP_DigestInit_ex           (*crypto_fn()->EVP_DigestInit_ex)
#define EVP_DigestUpdate            (*crypto_fn()->EVP_DigestUpdate)
#define EVP_DigestFinal_ex          (*crypto_fn()->EVP_DigestFinal_ex)
#define EVP_DigestVerifyInit        (*crypto_fn()->EVP_DigestVerifyInit)
#define EVP_DigestVerify            (*crypto_fn()->EVP_DigestVerify)
#define EVP_MD_CTX_new              (*crypto_fn()->EVP_MD_CTX_new)
#define EVP_MD_CTX_free             (*crypto_fn()->EVP_MD_CTX_free)
#define EVP_PKEY_free               (*crypto_fn()->EVP_PKEY_free)
#define EVP_PKEY_new_raw_public_key (*crypto_fn()->EVP_PKEY_new_raw_public_key)
#define EVP_PKEY_get_bits           (*crypto_fn()->EVP_PKEY_get_bits)
#define EVP_PKEY_get_base_id        (*crypto_fn()->EVP_PKEY_get_base_id)
#define EVP_ENCODE_CTX_new          (*crypto_fn()->EVP_ENCODE_CTX_new)
#define EVP_ENCODE_CTX_free         (*crypto_fn()->EVP_ENCODE_CTX_free)
#define EVP_DecodeInit              (*crypto_fn()->EVP_DecodeInit)
#define EVP_DecodeUpdate            (*crypto_fn()->EVP_DecodeUpdate)
#define EVP_DecodeFinal             (*crypto_fn()->EVP_DecodeFinal)
#define d2i_PUBKEY                  (*crypto_fn()->d2i_PUBKEY)
#define d2i_PublicKey               (*crypto_fn()->d2i_PublicKey)
#endif

#endif
