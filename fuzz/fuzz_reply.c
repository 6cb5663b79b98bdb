/* fuzz_reply.c - libFuzzer target: mxd_explain() on arbitrary reply text
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdlib.h>
#include <mxdiag/mxdiag.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mxd_kb *kb;
    if (!kb && mxd_kb_open(&kb))
        abort();
    mxd_explanation *x = NULL;
    if (mxd_explain(kb, (const char *)data, size, NULL, &x) == MXD_OK) {
        char *j = mxd_explanation_json(x, 0);
        if (!j)
            abort();
        free(j);
        mxd_explanation_free(x);
    }
    return 0;
}
