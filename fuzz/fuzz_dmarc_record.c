/* fuzz_dmarc_record.c - libFuzzer target: the DMARC record parser and its JSON
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <mxdiag/mxdiag.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mxd_dmarc_record *r = NULL;
    mxd_err e = mxd_dmarc_parse((const char *)data, size, &r);
    if (e == MXD_OK) {
        if (r->pct < 0 || r->pct > 100 || r->nrua > MXD_DMARC_MAX_URIS ||
            r->nruf > MXD_DMARC_MAX_URIS)
            abort();
        mxd_dmarc_result d;
        memset(&d, 0, sizeof d);
        d.domain = (char *)"example.com";
        d.record = r;
        d.found = r->valid;
        d.policy = r->p;
        char *js = mxd_dmarc_result_json(&d, 0);
        if (!js)
            abort();
        free(js);
        mxd_dmarc_record_free(r);
    } else if (e != MXD_ERR_TOOBIG && e != MXD_ERR_NOMEM) {
        abort();
    }
    char org[256];
    char name[300];
    size_t n = size < sizeof name - 1 ? size : sizeof name - 1;
    memcpy(name, data, n);
    name[n] = 0;
    mxd_dmarc_org_domain(name, org, sizeof org);
    return 0;
}
