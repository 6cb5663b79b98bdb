/* ip.c - `check ip`: one address against the blocklists, plus its reverse DNS
 * SPDX-License-Identifier: MIT
 *
 * All queries of an address go out together (the blocklists, the PTR query), the follow-ups
 * (TXT of listings, A/AAAA of the PTR names) as soon as their answer is in; the report is
 * finished by the last callback.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check/check_internal.h"
#include "util/str.h"

typedef struct ip_job {
    mxd_ip_report rep; /* first: the public part */
    check_task task;
    bl_run bl;
    ptr_run ptr;
    const mxd_kb *kb;
    char want[MXD_DNS_NAME_MAX + 2];
    int has_want;
    size_t skipped; /* named lists that do not cover this address family */
} ip_job;

/* special_range - a short description when the address cannot be on a public blocklist. */
static const char *special_range(int family, const unsigned char *a)
{
    if (family == 4) {
        if (a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168))
            return "a private address (RFC 1918)";
        if (a[0] == 127)
            return "a loopback address";
        if (a[0] == 169 && a[1] == 254)
            return "a link-local address";
        if (a[0] == 100 && (a[1] & 0xc0) == 64)
            return "a carrier-grade NAT address (RFC 6598)";
        if (a[0] == 0 || a[0] >= 224)
            return "not a unicast Internet address";
        return NULL;
    }
    static const unsigned char loop[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (!memcmp(a, loop, 16))
        return "the loopback address";
    if ((a[0] & 0xfe) == 0xfc)
        return "a unique local address (fc00::/7)";
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
        return "a link-local address";
    if (a[0] == 0xff)
        return "a multicast address";
    return NULL;
}

static void ip_finish(check_task *t)
{
    ip_job *j = (ip_job *)((char *)t - offsetof(ip_job, task));
    mxd_ip_report *rep = &j->rep;
    bl_run_finish(&j->bl, &rep->listed, &rep->errors, &rep->clean);
    rep->dnsbl = j->bl.e;
    rep->ndnsbl = j->bl.n;
    ptr_run_finish(&j->ptr, j->kb, j->has_want ? j->want : NULL, &rep->warnings, &rep->nwarnings);
    size_t unasked = rep->errors - j->bl.probe_failed;
    if (unasked)
        check_warn(&rep->warnings, &rep->nwarnings,
                   "%zu blocklist%s could not be asked: %s result is unknown, not clean", unasked,
                   unasked == 1 ? "" : "s", unasked == 1 ? "its" : "their");
    size_t pf = j->bl.probe_failed;
    if (pf && j->bl.probe_unanswered == pf)
        check_warn(&rep->warnings, &rep->nwarnings,
                   "%zu blocklist%s did not answer %s test entry (RFC 5782 health probe): the "
                   "resolver is refused by %s or answers NXDOMAIN for every name, or %s dead; "
                   "use a resolver of your own. %s result is unknown, not clean",
                   pf, pf == 1 ? "" : "s", pf == 1 ? "its" : "their", pf == 1 ? "it" : "them",
                   pf == 1 ? "the list is" : "the lists are", pf == 1 ? "Its" : "Their");
    else if (pf)
        check_warn(&rep->warnings, &rep->nwarnings,
                   "%zu blocklist%s failed the health probe (RFC 5782 test entries): %s result "
                   "is unknown, not clean",
                   pf, pf == 1 ? "" : "s", pf == 1 ? "its" : "their");
}

mxd_err mxd_ip_check_submit(mxd_resolver *r, const mxd_kb *kb, const char *ip,
                            const mxd_check_opts *opts, mxd_ip_report **out, char *why,
                            size_t whylen)
{
    if (why && whylen)
        why[0] = 0;
    if (!r || !kb || !out)
        return MXD_ERR_INVALID;
    *out = NULL;
    unsigned char a[16];
    int family = 0;
    if (ip && strlen(ip) < 64) {
        if (inet_pton(AF_INET, ip, a) == 1)
            family = 4;
        else if (inet_pton(AF_INET6, ip, a) == 1)
            family = 6;
    }
    if (!family) {
        if (why && whylen)
            snprintf(why, whylen, "'%.64s' is not an IPv4 or IPv6 address", ip ? ip : "");
        return MXD_ERR_INVALID;
    }
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (family == 6 && !memcmp(a, mapped, 12)) { /* ::ffff:a.b.c.d is an IPv4 address */
        memmove(a, a + 12, 4);
        family = 4;
    }
    if (opts && opts->domain && !mxd_domain_valid(opts->domain)) {
        if (why && whylen)
            snprintf(why, whylen, "'%.64s' is not a domain name", opts->domain);
        return MXD_ERR_INVALID;
    }
    ip_job *j = calloc(1, sizeof *j);
    if (!j)
        return MXD_ERR_NOMEM;
    mxd_ip_report *rep = &j->rep;
    rep->family = family;
    inet_ntop(family == 4 ? AF_INET : AF_INET6, a, rep->ip, sizeof rep->ip);
    j->kb = kb;
    if (opts && opts->domain)
        j->has_want = !check_registrable(opts->domain, j->want, sizeof j->want);
    mxd_err e = bl_run_prepare(&j->bl, kb, opts, 0, family, rep->ip, &j->skipped, why, whylen);
    if (e) {
        bl_run_free(&j->bl);
        free(j);
        return e;
    }
    const char *w = mxd_resolver_warning(r);
    if (w)
        check_warn(&rep->warnings, &rep->nwarnings, "%s", w);
    const char *sp = special_range(family, a);
    if (sp)
        check_warn(&rep->warnings, &rep->nwarnings,
                   "%s is %s: public blocklists and reverse DNS say nothing useful about it",
                   rep->ip, sp);
    if (j->skipped)
        check_warn(&rep->warnings, &rep->nwarnings,
                   "%zu of the named blocklists do not list IPv%d addresses and were not asked",
                   j->skipped, family);
    j->task.finish = ip_finish;
    j->task.pending = 1; /* held until everything is queued */
    bl_run_submit(&j->bl, r, &j->task);
    ptr_run_submit(&j->ptr, r, &j->task, &rep->ptr, family, a);
    task_done(&j->task);
    *out = rep;
    return MXD_OK;
}

mxd_err mxd_check_ip(mxd_resolver *r, const mxd_kb *kb, const char *ip, const mxd_check_opts *opts,
                     mxd_ip_report **out, char *why, size_t whylen)
{
    mxd_err e = mxd_ip_check_submit(r, kb, ip, opts, out, why, whylen);
    if (e)
        return e;
    e = mxd_resolver_run(r);
    if (e) {
        if (why && whylen)
            snprintf(why, whylen, "DNS: %s", mxd_strerror(e));
        /* the report's queries may still be queued: it must outlive the resolver's run */
        return e;
    }
    return MXD_OK;
}

void mxd_ip_report_free(mxd_ip_report *rep)
{
    if (!rep)
        return;
    ip_job *j = (ip_job *)rep;
    bl_run_free(&j->bl);
    ptr_info_clear(&rep->ptr);
    strv_free(rep->warnings, rep->nwarnings);
    free(j);
}

char *mxd_ip_report_json(const mxd_ip_report *rep, int pretty)
{
    if (!rep)
        return NULL;
    const mxd_ptr_info *p = &rep->ptr;
    json_t *o = json_object();
    json_object_set_new(o, "ip", json_string(rep->ip));
    json_t *pj = json_object();
    json_object_set_new(pj, "status", json_string(mxd_dns_status_name(p->status)));
    json_object_set_new(pj, "names", check_jstrv(p->names, p->nnames));
    json_t *conf = json_array();
    for (size_t i = 0; i < p->nnames; i++)
        if (p->confirmed[i] == 1)
            json_array_append_new(conf, check_jstr(p->names[i]));
    json_object_set_new(pj, "confirmed", conf);
    json_object_set_new(pj, "fcrdns", check_jtri(p->fcrdns));
    json_object_set_new(pj, "generic", check_jtri(p->generic));
    json_object_set_new(pj, "generic_why", check_jstr(p->generic_why));
    json_object_set_new(pj, "domain", check_jstr(p->domain));
    json_object_set_new(pj, "domain_match", check_jtri(p->domain_match));
    json_object_set_new(pj, "truncated", json_boolean(p->truncated));
    json_object_set_new(o, "ptr", pj);
    json_object_set_new(o, "dnsbl", bl_entries_json(rep->dnsbl, rep->ndnsbl));
    json_object_set_new(o, "listed", json_integer((json_int_t)rep->listed));
    json_object_set_new(o, "errors", json_integer((json_int_t)rep->errors));
    json_object_set_new(o, "clean", json_integer((json_int_t)rep->clean));
    json_object_set_new(o, "warnings", check_jstrv(rep->warnings, rep->nwarnings));
    return check_dump(o, pretty);
}
