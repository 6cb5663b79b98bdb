/* fuzz_dns_answer.c - libFuzzer target: a raw DNS answer read as every record type
 * SPDX-License-Identifier: MIT
 *
 * dns_answer_parse() is what turns a server's bytes into records (c-ares' parsers and our
 * CNAME walk); a stranger's DNS server controls all of it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <mxdiag/mxdiag.h>
#include "dns/dns_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int types[] = {MXD_DNS_A,   MXD_DNS_AAAA, MXD_DNS_MX,  MXD_DNS_TXT,
                                MXD_DNS_PTR, MXD_DNS_NS,   MXD_DNS_SOA, MXD_DNS_CNAME};
    if (size > 65535)
        return 0;
    for (size_t t = 0; t < sizeof types / sizeof *types; t++) {
        mxd_dns_rr *rr = NULL;
        size_t n = 0;
        if (dns_answer_parse(types[t], data, (int)size, &rr, &n) == MXD_OK) {
            if (!n || n > DNS_MAX_RRS)
                abort();
            for (size_t i = 0; i < n; i++) {
                if (rr[i].type != types[t])
                    abort();
                if (rr[i].name)
                    (void)strlen(rr[i].name);
                if (rr[i].text && rr[i].text[rr[i].len] != 0)
                    abort();
            }
        }
        dns_rrs_free(rr, n);
    }
    return 0;
}
