/* fuzz_dkim_message.c - libFuzzer target: DKIM message splitting, header and body
 * canonicalization, base64, the signers of a message
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <mxdiag/mxdiag.h>
#include "check/dkim_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void count(void *arg, const char *p, size_t n)
{
    (void)p;
    *(size_t *)arg += n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mxd_dkim_signer *sg;
    size_t nsg;
    if (mxd_dkim_signers((const char *)data, size, &sg, &nsg) == MXD_OK) {
        if (nsg > MXD_DKIM_MAX_SIGNATURES)
            abort();
        mxd_dkim_signers_free(sg, nsg);
    }
    dkim_msg m;
    if (dkim_msg_parse((const char *)data, size, &m))
        return 0;
    buf b;
    buf_init(&b, 1u << 24);
    for (size_t i = 0; i < m.nf; i++) {
        if (m.f[i].raw < m.buf || m.f[i].raw + m.f[i].len > m.buf + m.len)
            abort();
        dkim_canon_header(m.f[i].raw, m.f[i].len, 0, &b);
        dkim_canon_header(m.f[i].raw, m.f[i].len, 1, &b);
        buf_reset(&b);
    }
    buf_free(&b);
    for (int relaxed = 0; relaxed < 2; relaxed++) {
        size_t seen = 0;
        size_t total = dkim_canon_body(m.body, m.blen, relaxed, count, &seen);
        if (seen != total)
            abort();
    }
    unsigned char out[256];
    size_t n;
    dkim_b64_decode(m.body, m.blen < 1024 ? m.blen : 1024, out, sizeof out, &n);
    dkim_msg_free(&m);
    return 0;
}
