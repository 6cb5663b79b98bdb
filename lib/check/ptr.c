/* ptr.c - reverse DNS of an address: PTR names, forward confirmation, generic names
 * SPDX-License-Identifier: MIT
 *
 * The PTR query of the address gives its names (at most MXD_CHECK_MAX_PTR_NAMES); each name is
 * then looked up (A for IPv4, AAAA for IPv6). Forward-confirmed reverse DNS (FCrDNS) passes
 * when one of the names resolves back to the address. A name looks generic when the address
 * is written into it (192-0-2-25, 025.002.000.192, c0000219 ...) or when a label left of the
 * registrable domain holds one of the words of data/rdns-generic.tsv (dsl, pool, dyn ...).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check/check_internal.h"
#include "util/str.h"

#define PTR_TOKEN_MAX 64

static void on_forward(void *arg, const mxd_dns_answer *a)
{
    ptr_slot *s = arg;
    ptr_run *pr = s->run;
    mxd_ptr_info *p = pr->info;
    if (a->status == MXD_DNS_OK) {
        int hit = 0;
        for (size_t i = 0; i < a->n; i++) {
            unsigned char b[16];
            int fam = a->rr[i].type == MXD_DNS_A ? AF_INET : AF_INET6;
            if (inet_pton(fam, a->rr[i].addr, b) == 1 &&
                !memcmp(b, pr->addr, pr->family == 4 ? 4 : 16))
                hit = 1;
        }
        p->confirmed[s->idx] = hit;
    } else if (a->status == MXD_DNS_NXDOMAIN || a->status == MXD_DNS_NODATA) {
        p->confirmed[s->idx] = 0;
    } /* else: stays -1, unknown */
    task_done(pr->task);
}

static void on_ptr(void *arg, const mxd_dns_answer *a)
{
    ptr_slot *s = arg;
    ptr_run *pr = s->run;
    mxd_ptr_info *p = pr->info;
    p->status = a->status;
    size_t n = 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->rr[i].type == MXD_DNS_PTR && a->rr[i].name && a->rr[i].name[0])
            n++;
    p->truncated = a->truncated || n > MXD_CHECK_MAX_PTR_NAMES;
    if (n > MXD_CHECK_MAX_PTR_NAMES)
        n = MXD_CHECK_MAX_PTR_NAMES;
    if (n) {
        p->confirmed = malloc(n * sizeof *p->confirmed);
        if (!p->confirmed)
            n = 0;
    }
    for (size_t i = 0; i < a->n && p->nnames < n; i++) {
        const mxd_dns_rr *rr = &a->rr[i];
        if (rr->type != MXD_DNS_PTR || !rr->name || !rr->name[0])
            continue;
        if (strv_push(&p->names, &p->nnames, n, rr->name))
            break;
        size_t k = p->nnames - 1;
        p->confirmed[k] = -1;
        pr->slots[k + 1].run = pr;
        pr->slots[k + 1].idx = k;
        if (mxd_dns_submit(pr->r, rr->name, pr->family == 4 ? MXD_DNS_A : MXD_DNS_AAAA, on_forward,
                           &pr->slots[k + 1]) == MXD_OK)
            pr->task->pending++;
    }
    task_done(pr->task);
}

void ptr_run_submit(ptr_run *pr, mxd_resolver *r, check_task *task, mxd_ptr_info *info, int family,
                    const unsigned char *addr)
{
    memset(pr, 0, sizeof *pr);
    pr->r = r;
    pr->task = task;
    pr->info = info;
    pr->family = family;
    memcpy(pr->addr, addr, family == 4 ? 4 : 16);
    info->status = MXD_DNS_ERROR;
    info->fcrdns = info->generic = info->domain_match = -1;
    char text[INET6_ADDRSTRLEN];
    inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, text, sizeof text);
    pr->slots[0].run = pr;
    if (mxd_dns_reverse_name(text, NULL, pr->qname, sizeof pr->qname) == MXD_OK &&
        mxd_dns_submit(r, pr->qname, MXD_DNS_PTR, on_ptr, &pr->slots[0]) == MXD_OK)
        task->pending++;
}

/* ---- the generic-name heuristic --------------------------------------------------------- */

/* digits_match - IPv4: are three or more octets written as numbers in s, or the whole
 * address as 12 zero-padded digits or 8 hex digits (either order)? */
static int digits_match(const unsigned char *a, const char *s, size_t len)
{
    char pad[2][16], hex[2][16];
    snprintf(pad[0], sizeof pad[0], "%03u%03u%03u%03u", a[0], a[1], a[2], a[3]);
    snprintf(pad[1], sizeof pad[1], "%03u%03u%03u%03u", a[3], a[2], a[1], a[0]);
    snprintf(hex[0], sizeof hex[0], "%02x%02x%02x%02x", a[0], a[1], a[2], a[3]);
    snprintf(hex[1], sizeof hex[1], "%02x%02x%02x%02x", a[3], a[2], a[1], a[0]);
    for (int k = 0; k < 2; k++)
        if (str_casefind(s, len, pad[k], 12) || str_casefind(s, len, hex[k], 8))
            return 1;
    int used[4] = {0, 0, 0, 0}, matched = 0;
    for (size_t i = 0; i < len;) {
        if (!str_isdigit((unsigned char)s[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < len && str_isdigit((unsigned char)s[j]))
            j++;
        unsigned long v;
        if (j - i <= 3 && !str_parse_uint(s + i, j - i, 255, &v))
            for (int k = 0; k < 4; k++)
                if (!used[k] && a[k] == v) {
                    used[k] = 1;
                    matched++;
                    break;
                }
        i = j;
    }
    return matched >= 3;
}

/* hex_match - IPv6: are three or more of the non-zero 16-bit groups written in s (as hex
 * runs), or all 32 nibbles in a row? */
static int hex_match(const unsigned char *a, const char *s, size_t len)
{
    char nib[2][33];
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        nib[0][2 * i] = hx[a[i] >> 4];
        nib[0][2 * i + 1] = hx[a[i] & 15];
        nib[1][31 - 2 * i] = hx[a[i] >> 4];
        nib[1][30 - 2 * i] = hx[a[i] & 15];
    }
    nib[0][32] = nib[1][32] = 0;
    if (str_casefind(s, len, nib[0], 32) || str_casefind(s, len, nib[1], 32))
        return 1;
    unsigned groups[8];
    int nz = 0;
    for (int i = 0; i < 8; i++) {
        groups[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
        nz += groups[i] != 0;
    }
    int need = nz >= 3 ? 3 : nz;
    if (need < 2)
        return 0;
    int used[8] = {0}, matched = 0;
    for (size_t i = 0; i < len;) {
        if (str_hexval((unsigned char)s[i]) < 0) {
            i++;
            continue;
        }
        size_t j = i;
        unsigned v = 0;
        while (j < len && str_hexval((unsigned char)s[j]) >= 0) {
            v = (v << 4) | (unsigned)str_hexval((unsigned char)s[j]);
            j++;
        }
        if (j - i <= 4 && v)
            for (int k = 0; k < 8; k++)
                if (!used[k] && groups[k] == v) {
                    used[k] = 1;
                    matched++;
                    break;
                }
        i = j;
    }
    return matched >= need;
}

int check_ptr_generic(const mxd_kb *kb, int family, const unsigned char *addr, const char *name,
                      char *why, size_t whylen)
{
    char low[MXD_DNS_NAME_MAX + 2], reg[MXD_DNS_NAME_MAX + 2];
    size_t l = strlen(name);
    while (l && name[l - 1] == '.')
        l--;
    if (l == 0 || l >= sizeof low)
        return 0;
    for (size_t i = 0; i < l; i++)
        low[i] = (char)str_tolower((unsigned char)name[i]);
    low[l] = 0;
    /* the part left of the registrable domain: the operator's own naming */
    size_t left = l;
    if (!check_registrable(low, reg, sizeof reg)) {
        size_t rl = strlen(reg);
        left = rl < l ? l - rl - 1 : 0;
    }
    if (left == 0)
        return 0;
    if (family == 4 ? digits_match(addr, low, left) : hex_match(addr, low, left)) {
        snprintf(why, whylen, "the address is written in the name");
        return 1;
    }
    for (size_t i = 0; i < left;) {
        if (!str_isalpha((unsigned char)low[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < left && str_isalpha((unsigned char)low[j]))
            j++;
        if (j - i <= PTR_TOKEN_MAX)
            for (size_t k = 0; kb && k < kb->nrdnswords; k++) {
                const kb_rdnsword *w = &kb->rdnswords[k];
                const char *word = kb_str(kb, w->word);
                if (strlen(word) == j - i && !memcmp(word, low + i, j - i)) {
                    snprintf(why, whylen, "it holds the word '%s': %s", word,
                             kb_str(kb, w->meaning));
                    return 1;
                }
            }
        i = j;
    }
    return 0;
}

/* ---- verdicts ------------------------------------------------------------------------------ */

void ptr_run_finish(ptr_run *pr, const mxd_kb *kb, const char *want, char ***warn, size_t *nwarn)
{
    mxd_ptr_info *p = pr->info;
    char ip[INET6_ADDRSTRLEN];
    inet_ntop(pr->family == 4 ? AF_INET : AF_INET6, pr->addr, ip, sizeof ip);
    if (p->status == MXD_DNS_NXDOMAIN || p->status == MXD_DNS_NODATA ||
        (p->status == MXD_DNS_OK && !p->nnames)) {
        p->fcrdns = 0;
        check_warn(warn, nwarn,
                   "%s has no PTR record: Gmail, Microsoft, Yahoo and most other receivers "
                   "refuse or junk mail from an address without reverse DNS",
                   ip);
        return;
    }
    if (p->status != MXD_DNS_OK) {
        check_warn(warn, nwarn, "the PTR lookup of %s failed (%s): reverse DNS unknown", ip,
                   mxd_dns_status_name(p->status));
        return;
    }
    int any = 0, unknown = 0;
    for (size_t i = 0; i < p->nnames; i++) {
        any |= p->confirmed[i] == 1;
        unknown |= p->confirmed[i] < 0;
    }
    /* names past the cap were not asked: one of them might resolve back */
    p->fcrdns = any ? 1 : unknown || p->truncated ? -1 : 0;
    if (p->truncated)
        check_warn(warn, nwarn, "%s has more than %d PTR names: only the first %d were checked", ip,
                   MXD_CHECK_MAX_PTR_NAMES, MXD_CHECK_MAX_PTR_NAMES);
    if (p->fcrdns == 0)
        check_warn(warn, nwarn,
                   "forward-confirmed reverse DNS fails: no PTR name of %s resolves back to it "
                   "(add an %s record for %s)",
                   ip, pr->family == 4 ? "A" : "AAAA", p->names[0]);
    else if (p->fcrdns < 0)
        check_warn(warn, nwarn, "forward confirmation of %s unknown: %s", ip,
                   unknown ? "a lookup of its PTR names failed"
                           : "none of the PTR names checked resolves back to it");
    if (p->nnames > 1 && !p->truncated)
        check_warn(warn, nwarn,
                   "%s has %zu PTR names: one name per address is the norm, and receivers "
                   "may check only one of them",
                   ip, p->nnames);
    p->generic = 0;
    for (size_t i = 0; i < p->nnames && !p->generic; i++) {
        char why[256];
        if (check_ptr_generic(kb, pr->family, pr->addr, p->names[i], why, sizeof why)) {
            p->generic = 1;
            p->generic_why = str_dup_n(why, strlen(why));
            check_warn(warn, nwarn,
                       "the PTR name %s looks generic (%s): receivers treat such names as "
                       "end-user or dynamic space; give the mail server a name of its own",
                       p->names[i], why);
        }
    }
    char reg[MXD_DNS_NAME_MAX + 2];
    if (!check_registrable(p->names[0], reg, sizeof reg))
        p->domain = str_dup_n(reg, strlen(reg));
    if (want) {
        p->domain_match = 0;
        for (size_t i = 0; i < p->nnames; i++)
            if (!check_registrable(p->names[i], reg, sizeof reg) && !strcmp(reg, want))
                p->domain_match = 1;
        if (!p->domain_match)
            check_warn(warn, nwarn, "the PTR name %s is not in the domain %s", p->names[0], want);
    }
}

void ptr_info_clear(mxd_ptr_info *p)
{
    strv_free(p->names, p->nnames);
    free(p->confirmed);
    free(p->generic_why);
    free(p->domain);
    memset(p, 0, sizeof *p);
}
