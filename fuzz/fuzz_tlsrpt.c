/* fuzz_tlsrpt.c - libFuzzer target: SMTP TLS reports (RFC 8460 JSON) and their JSON
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <mxdiag/mxdiag.h>
#include <mxdiag/report.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[256];
    mxd_tlsrpt *r = NULL;
    mxd_err e = mxd_tlsrpt_parse((const char *)data, size, &r, why, sizeof why);
    if (e == MXD_OK) {
        if (!r || !r->org_name || !r->report_id)
            abort();
        for (size_t i = 0; i < r->npolicies; i++)
            for (size_t j = 0; j < r->policies[i].nfailures; j++)
                if (r->policies[i].failures[j].result_type &&
                    strlen(r->policies[i].failures[j].result_type) > MXD_REPORT_MAX_FIELD)
                    abort();
        char *js = mxd_tlsrpt_json(r, 0);
        if (!js)
            abort();
        free(js);
        mxd_tlsrpt_free(r);
    } else if (r || (e != MXD_ERR_PARSE && e != MXD_ERR_TOOBIG && e != MXD_ERR_EMPTY &&
                     e != MXD_ERR_NOMEM)) {
        abort();
    }
    return 0;
}
