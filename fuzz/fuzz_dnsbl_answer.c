/* fuzz_dnsbl_answer.c - libFuzzer target: blocklist answers, TXT reasons, server lists,
 * generic PTR names
 * SPDX-License-Identifier: MIT
 *
 * Input: the first byte picks a list of the catalogue, the rest is split at newlines; each
 * line is an A record of the answer (what a blocklist, or a dead zone's wildcard, returns)
 * and a TXT record. The whole input is also read as a --dns-server list, and each line as a
 * PTR name for the generic-name heuristic and as a domain for mxd_domain_valid(). The same
 * answer is also read as the answer to both test entries of the list's health probe, whose
 * verdict is then applied to the list's entry.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <mxdiag/mxdiag.h>
#include "check/check_internal.h"
#include "dns/dns_internal.h"

#define FUZZ_MAX_LINES 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mxd_kb *kb;
    if (!kb && mxd_kb_open(&kb))
        abort();
    if (size < 1 || !kb->ndnsbls)
        return 0;
    const kb_dnsbl *bl = &kb->dnsbls[data[0] % kb->ndnsbls];
    const char *p = (const char *)data + 1, *end = (const char *)data + size;

    dns_server sv[MXD_DNS_MAX_SERVERS];
    size_t nsv;
    char why[256];
    if (dns_servers_parse(p, (size_t)(end - p), sv, MXD_DNS_MAX_SERVERS, &nsv, why, sizeof why) ==
            MXD_OK &&
        (nsv == 0 || nsv > MXD_DNS_MAX_SERVERS))
        abort();

    mxd_dns_rr a[FUZZ_MAX_LINES], t[FUZZ_MAX_LINES];
    char *texts[FUZZ_MAX_LINES];
    size_t n = 0;
    memset(a, 0, sizeof a);
    memset(t, 0, sizeof t);
    while (p < end && n < FUZZ_MAX_LINES) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)((nl ? nl : end) - p);
        a[n].type = MXD_DNS_A;
        size_t al = len < sizeof a[n].addr - 1 ? len : sizeof a[n].addr - 1;
        memcpy(a[n].addr, p, al);
        a[n].addr[al] = 0;
        texts[n] = malloc(len + 1);
        if (!texts[n])
            abort();
        memcpy(texts[n], p, len);
        texts[n][len] = 0;
        t[n].type = MXD_DNS_TXT;
        t[n].text = texts[n];
        t[n].len = len;
        unsigned char addr[16] = {192, 0, 2, 25};
        char gw[256];
        check_ptr_generic(kb, 4, addr, texts[n], gw, sizeof gw);
        check_ptr_generic(kb, 6, addr, texts[n], gw, sizeof gw);
        (void)mxd_domain_valid(texts[n]);
        (void)mxd_ip_valid(texts[n]);
        n++;
        p = nl ? nl + 1 : end;
    }
    mxd_dns_answer ans = {"fuzz", MXD_DNS_A, MXD_DNS_OK, n, a, 0};
    mxd_bl_entry e;
    memset(&e, 0, sizeof e);
    if (dnsbl_interpret(kb, bl, &ans, &e) == MXD_OK) {
        if (e.result == MXD_BL_ERROR && !e.error)
            abort();
        if (e.ncodes > n)
            abort();
        bl_half h[2];
        memset(h, 0, sizeof h);
        h[0].label = "127.0.0.2";
        h[1].label = "127.0.0.1";
        int ok = dnsbl_probe_judge(kb, bl, &ans, BL_PROBE_LISTED, &h[0]) == MXD_OK &&
                 dnsbl_probe_judge(kb, bl, &ans, BL_PROBE_UNLISTED, &h[1]) == MXD_OK;
        /* one answer cannot be both listed and not listed: never a passed probe */
        if (ok && h[0].state == BL_HALF_OK && h[1].state == BL_HALF_OK)
            abort();
        if (ok && dnsbl_probe_apply(&e, &h[0], &h[1]) == MXD_OK &&
            (e.result != MXD_BL_ERROR || !e.error || e.probe == MXD_BL_PROBE_PASSED))
            abort();
        free(h[0].why);
        free(h[1].why);
    }
    strv_free(e.codes, e.ncodes);
    strv_free(e.meanings, e.ncodes);
    free(e.txt);
    free(e.error);
    mxd_dns_answer txt = {"fuzz", MXD_DNS_TXT, MXD_DNS_OK, n, t, 0};
    char *s = dnsbl_txt_join(&txt);
    if (s && strlen(s) > MXD_CHECK_TXT_MAX)
        abort();
    free(s);
    for (size_t i = 0; i < n; i++)
        free(texts[i]);
    return 0;
}
