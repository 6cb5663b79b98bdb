/* fuzz_bounce.c - libFuzzer target: the whole bounce parse, message bytes in, records out
 * SPDX-License-Identifier: MIT
 *
 * Scanner, decoders, every format reader, classification and both JSON writers on arbitrary
 * bytes. The fast writer must agree with jansson (abort otherwise).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <mxdiag/mxdiag.h>
#include "bounce/bounce_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_record(void *arg, const mxd_bounce_record *r)
{
    (void)arg;
    char *a = mxd_bounce_record_json(r, 1, 0);
    char *b = bounce_record_json_ref(r, 1, 0);
    if (!a || !b || strcmp(a, b))
        abort();
    free(a);
    free(b);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mxd_kb *kb;
    static mxd_bounce_ctx *bc;
    if (!kb && (mxd_kb_open(&kb) || mxd_bounce_new(kb, MXD_BOUNCE_DELIVERED, &bc)))
        abort();
    size_t n = 0;
    mxd_err e = mxd_bounce_parse(bc, (const char *)data, size, "fuzz", on_record, NULL, &n);
    if (e != MXD_OK && e != MXD_ERR_EMPTY && e != MXD_ERR_PARSE)
        abort();
    return 0;
}
