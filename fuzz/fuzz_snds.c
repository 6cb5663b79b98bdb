/* fuzz_snds.c - libFuzzer target: SNDS reports (CSV of both generations, REST API JSON)
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
    mxd_snds_report *r = NULL;
    mxd_err e = mxd_snds_parse((const char *)data, size, size & 1 ? "2026-12-01" : NULL, &r, why,
                               sizeof why);
    if (e == MXD_OK) {
        if (!r || r->nrows + r->nblocks > MXD_FEED_MAX_ROWS)
            abort();
        for (size_t i = 0; i < r->nrows; i++) {
            const mxd_snds_row *w = &r->rows[i];
            if (!w->ip || !w->date || strlen(w->date) != 10)
                abort();
            if (w->comments && strlen(w->comments) > MXD_FEED_MAX_FIELD)
                abort();
            if (w->filter && strcmp(w->filter, "GREEN") && strcmp(w->filter, "YELLOW") &&
                strcmp(w->filter, "RED"))
                abort();
        }
        for (size_t i = 0; i < r->nblocks; i++)
            if (!r->blocks[i].first_ip || !r->blocks[i].last_ip)
                abort();
        char *js = mxd_snds_json(r, 0);
        if (!js)
            abort();
        free(js);
        mxd_snds_free(r);
    } else if (r || (e != MXD_ERR_PARSE && e != MXD_ERR_TOOBIG && e != MXD_ERR_EMPTY &&
                     e != MXD_ERR_NOMEM)) {
        abort();
    }
    return 0;
}
