/* fuzz_gpt.c - libFuzzer target: Google Postmaster Tools JSON (v1 trafficStats, v2 domainStats)
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <mxdiag/feed.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[256];
    mxd_gpt_report *r = NULL;
    mxd_err e = mxd_gpt_parse((const char *)data, size, &r, why, sizeof why);
    if (e == MXD_OK) {
        if (!r || r->ndays > MXD_FEED_MAX_ROWS)
            abort();
        for (size_t i = 0; i < r->ndays; i++) {
            const mxd_gpt_day *d = &r->days[i];
            if (!d->domain || !d->date || strlen(d->date) != 10 || d->spam_rate > 1 ||
                d->nipreps > MXD_FEED_MAX_LIST || d->nerrors > MXD_FEED_MAX_LIST)
                abort();
            for (size_t j = 0; j < i && j < 64; j++) /* one day per (domain, date) */
                if (!strcmp(r->days[j].domain, d->domain) && !strcmp(r->days[j].date, d->date))
                    abort();
        }
        char *js = mxd_gpt_json(r, 0);
        if (!js)
            abort();
        free(js);
        mxd_gpt_free(r);
    } else if (r || (e != MXD_ERR_PARSE && e != MXD_ERR_TOOBIG && e != MXD_ERR_EMPTY &&
                     e != MXD_ERR_NOMEM)) {
        abort();
    }
    return 0;
}
