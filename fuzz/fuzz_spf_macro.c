/* fuzz_spf_macro.c - libFuzzer target: SPF macro expansion and query-name finishing
 * SPDX-License-Identifier: MIT
 *
 * The first byte picks the mode (bit 0: explanation rules, bit 1: IPv6 client); the rest is
 * the macro-string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "check/spf_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *ptr_name(void *arg, const char *domain)
{
    (void)arg;
    return domain;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int exp = data[0] & 1;
    cidr_addr ip;
    if (data[0] & 2)
        cidr_parse_ip("2001:db8::cb01", 14, &ip);
    else
        cidr_parse_ip("192.0.2.3", 9, &ip);
    spf_macro_env env = {"strong-bad@email.example.com",
                         "strong-bad",
                         "email.example.com",
                         "email.example.com",
                         "mx.example.org",
                         "mx.example.net",
                         &ip,
                         1700000000,
                         ptr_name,
                         NULL};
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    buf out;
    buf_init(&out, SPF_MACRO_MAX);
    mxd_err e = spf_macro_expand(&env, s, n, exp, &out);
    mxd_err check = spf_macro_expand(NULL, s, n, exp, NULL);
    /* syntax-only and full expansion agree on what is a syntax error */
    if ((e == MXD_ERR_PARSE) != (check == MXD_ERR_PARSE))
        abort();
    if (e == MXD_OK && out.len > SPF_MACRO_MAX)
        abort();
    if (e == MXD_OK && spf_domain_finish(&out) == 0 && out.len > SPF_NAME_MAX)
        abort();
    buf_free(&out);
    return 0;
}
