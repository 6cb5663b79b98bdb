/* resolver.c - DNS resolver over c-ares (placeholder until lib/dns lands)
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include "mxdiag/dns.h"

mxd_err mxd_resolver_new(const mxd_dns_opts *opts, mxd_resolver **out, char *why, size_t whylen)
{
    (void)opts;
    *out = NULL;
    if (why && whylen)
        snprintf(why, whylen, "DNS support is not built yet");
    return MXD_ERR_DNS;
}

void mxd_resolver_free(mxd_resolver *r)
{
    (void)r;
}

const char *mxd_resolver_warning(const mxd_resolver *r)
{
    (void)r;
    return NULL;
}
