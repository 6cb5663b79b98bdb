/* nxprobe.c - is the resolver lying? An NXDOMAIN is believed only when the top-level domain exists
 * SPDX-License-Identifier: MIT
 *
 * Some resolvers (a blocked or filtering resolver, a broken forwarder, a captive network)
 * answer NXDOMAIN for every name. Every finding that rests on such an answer ("the domain
 * does not exist", "no SPF record", "no PTR") would then be a confident wrong answer. A
 * name's top-level domain, when it is a public suffix of the ICANN section of the public
 * suffix list (libpsl), certainly exists: a resolver that says it does not is suspect. The
 * probe asks the SOA of that top-level domain; the resolver's cache asks it once per run,
 * however many checks want to know. Names under a top-level domain the list does not know
 * (.example, .invalid, a typo) are not probed: their NXDOMAIN may well be true.
 */
#include "util/psl_dl.h"
#include <stdio.h>
#include <string.h>
#include "mxdiag/check.h"
#include "util/str.h"

/* Longest top-level domain label probed. */
#define NXPROBE_TLD_MAX 64

/* tld_of - the last label of name (a trailing dot ignored), lower case, into out: 1, or 0
 * when there is none or it is too long. */
static int tld_of(const char *name, char *out, size_t outlen)
{
    size_t len = strlen(name);
    if (len && name[len - 1] == '.')
        len--;
    size_t start = len;
    while (start && name[start - 1] != '.')
        start--;
    size_t n = len - start;
    if (!n || n >= outlen)
        return 0;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)str_tolower((unsigned char)name[start + i]);
    out[n] = 0;
    return 1;
}

/* is_icann_tld - is tld a top-level domain of the public suffix list's ICANN section? */
static int is_icann_tld(const char *tld)
{
    psl_ctx_t *owned = psl_latest(NULL);
    const psl_ctx_t *psl = owned ? owned : psl_builtin();
    int yes = psl && psl_is_public_suffix2(psl, tld, PSL_TYPE_ICANN | PSL_TYPE_NO_STAR_RULE);
    psl_free(owned);
    return yes;
}

/* mxd_nxdomain_suspect - 1 when the resolver denies name's top-level domain (why says so). */
int mxd_nxdomain_suspect(mxd_resolver *r, const char *name, char *why, size_t whylen)
{
    char tld[NXPROBE_TLD_MAX];
    if (why && whylen)
        why[0] = 0;
    if (!r || !name || !tld_of(name, tld, sizeof tld) || !is_icann_tld(tld))
        return 0;
    mxd_dns_answer *a = NULL;
    if (mxd_dns_lookup(r, tld, MXD_DNS_SOA, &a) || !a)
        return 0;
    int suspect = a->status == MXD_DNS_NXDOMAIN;
    mxd_dns_answer_free(a);
    if (suspect && why && whylen)
        snprintf(why, whylen,
                 "it says the top-level domain %s does not exist, so its \"does not exist\" "
                 "answers cannot be believed; use another resolver (--dns-server)",
                 tld);
    return suspect;
}
