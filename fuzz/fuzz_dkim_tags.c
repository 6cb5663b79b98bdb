/* fuzz_dkim_tags.c - libFuzzer target: tag=value lists, DKIM key records, MTA-STS and
 * TLS-RPT records
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <mxdiag/mxdiag.h>
#include "check/taglist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    taglist tl;
    char why[200];
    if (taglist_parse(s, size, &tl, why, sizeof why) == 0) {
        for (size_t i = 0; i < tl.n; i++)
            if (tl.t[i].name < s || tl.t[i].val + tl.t[i].vlen > s + size || !tl.t[i].nlen)
                abort();
    }
    mxd_dkim_key k;
    mxd_err e = mxd_dkim_key_parse(s, size, &k);
    if (e == MXD_OK) {
        if (k.valid && (k.problem || k.bits <= 0))
            abort();
        mxd_dkim_key_clear(&k);
    } else if (e != MXD_ERR_TOOBIG && e != MXD_ERR_NOMEM) {
        abort();
    }
    mxd_txt_policy p;
    if (mxd_mta_sts_parse(s, size, &p) == MXD_OK)
        mxd_txt_policy_clear(&p);
    if (mxd_tls_rpt_parse(s, size, &p) == MXD_OK)
        mxd_txt_policy_clear(&p);
    return 0;
}
