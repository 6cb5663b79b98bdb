/* fuzz_spf_record.c - libFuzzer target: the SPF record parser and domain-spec syntax
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "check/spf_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    spf_record rec;
    char why[256];
    mxd_err e = spf_record_parse(s, size, &rec, why, sizeof why);
    if (e == MXD_OK) {
        for (size_t i = 0; i < rec.n; i++) {
            const spf_term *t = &rec.t[i];
            /* every term lies inside the input, every domain-spec is valid */
            if (t->text < s || t->text + t->len > s + size)
                abort();
            if (t->spec && t->kind != SPF_UNKNOWN_MOD &&
                !spf_domain_spec_valid(t->spec, t->speclen))
                abort();
            if (spf_is_dns_term(t->kind) && t->kind < 0)
                abort();
        }
    } else if (e != MXD_ERR_PARSE && e != MXD_ERR_NOMEM) {
        abort();
    }
    spf_record_free(&rec);
    spf_domain_spec_valid(s, size);
    spf_name_valid(s, size);
    spf_is_v1(s, size);
    return 0;
}
