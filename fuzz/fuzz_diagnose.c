/* fuzz_diagnose.c - libFuzzer target: mxd_diagnose() offline on arbitrary bounce bytes and
 * replies (facts, DKIM-Signature scan, playbook, delisting request, JSON)
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
    for (int is_reply = 0; is_reply < 2; is_reply++) {
        mxd_diagnosis *d = NULL;
        if (mxd_diagnose(kb, NULL, (const char *)data, size, is_reply, "fuzz", NULL, &d) ==
            MXD_OK) {
            char *j = mxd_diagnosis_json(d, 0);
            if (!j)
                abort();
            free(j);
            mxd_diagnosis_free(d);
        }
    }
    return 0;
}
