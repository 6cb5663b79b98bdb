/* fuzz_dmarc_xml.c - libFuzzer target: DMARC aggregate reports (XML) and their JSON, and the
 * unpacker in front of them
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <mxdiag/mxdiag.h>
#include <mxdiag/report.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_file(void *arg, const char *name, const char *d, size_t len)
{
    (void)arg;
    (void)name;
    char why[256];
    mxd_dmarc_agg *r = NULL;
    mxd_err e = mxd_dmarc_agg_parse(d, len, &r, why, sizeof why);
    if (e == MXD_OK) {
        if (!r || !r->report_id || !r->domain || (!r->org_name && !r->email) ||
            r->nrows > MXD_REPORT_MAX_ROWS)
            abort();
        unsigned long long sum = 0;
        for (size_t i = 0; i < r->nrows; i++)
            sum = sum + r->rows[i].count < sum ? ~0ULL : sum + r->rows[i].count;
        if (sum != r->messages)
            abort();
        char *js = mxd_dmarc_agg_json(r, 1);
        if (!js)
            abort();
        free(js);
        mxd_dmarc_agg_free(r);
    } else if (r || (e != MXD_ERR_PARSE && e != MXD_ERR_TOOBIG && e != MXD_ERR_EMPTY &&
                     e != MXD_ERR_NOMEM)) {
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[256];
    mxd_report_unpack((const char *)data, size, "fuzz.xml.gz", on_file, NULL, why, sizeof why);
    return 0;
}
