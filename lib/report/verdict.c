/* verdict.c - what a source of a domain's DMARC aggregate reports is (verdict.h)
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <string.h>
#include "mxdiag/verdict.h"
#include "util/str.h"

#define NAME_MAX_ 256

/* next_item - the next item of a ", "-separated list from *p: its name (up to '/' or '=')
 * into name and its result (after '=') into res. 0 at the end. */
static int next_item(const char **p, char *name, size_t nlen, char *res, size_t rlen)
{
    const char *s = *p;
    while (*s == ',' || *s == ' ')
        s++;
    if (!*s)
        return 0;
    const char *e = s;
    while (*e && *e != ',')
        e++;
    const char *eq = memchr(s, '=', (size_t)(e - s));
    const char *sl = memchr(s, '/', (size_t)(e - s));
    const char *ne = sl && (!eq || sl < eq) ? sl : eq ? eq : e;
    size_t l = (size_t)(ne - s) < nlen - 1 ? (size_t)(ne - s) : nlen - 1;
    memcpy(name, s, l);
    name[l] = 0;
    res[0] = 0;
    if (eq) {
        size_t rl = (size_t)(e - eq - 1) < rlen - 1 ? (size_t)(e - eq - 1) : rlen - 1;
        memcpy(res, eq + 1, rl);
        res[rl] = 0;
    }
    *p = e;
    return 1;
}

/* service_of - the service of the first name that has one: the PTR name, then the domains
 * that passed (DKIM, SPF), then any. The domains that passed go to passed. */
static void service_of(const mxd_kb *kb, const mxd_dmarc_source *src, const char *ptr,
                       mxd_dmarc_verdict *out, char *passed, size_t plen)
{
    const char *align = NULL;
    passed[0] = 0;
    if (ptr && *ptr)
        mxd_kb_sending_service(kb, ptr, &out->service, &out->category, &align);
    const char *lists[2] = {src->dkim_domains, src->spf_domains};
    for (int want_pass = 1; want_pass >= 0; want_pass--)
        for (int k = 0; k < 2; k++) {
            const char *p = lists[k] ? lists[k] : "";
            char name[NAME_MAX_], res[32];
            while (next_item(&p, name, sizeof name, res, sizeof res)) {
                int pass = !strcmp(res, "pass");
                if (pass != want_pass)
                    continue;
                if (pass && want_pass && !strstr(passed, name)) {
                    size_t o = strlen(passed);
                    snprintf(passed + o, plen - o, "%s%s (%s)", o ? ", " : "", name,
                             k ? "SPF" : "DKIM");
                }
                if (!out->service)
                    mxd_kb_sending_service(kb, name, &out->service, &out->category, &align);
            }
        }
    (void)align;
}

static const char *align_of(const mxd_kb *kb, const char *service, const mxd_dmarc_source *src,
                            const char *ptr)
{
    const char *svc = NULL, *align = NULL;
    const char *names[3] = {ptr, src->dkim_domains, src->spf_domains};
    for (int i = 0; i < 3 && !align; i++) {
        const char *p = names[i] ? names[i] : "";
        if (i == 0) {
            if (*p && !mxd_kb_sending_service(kb, p, &svc, NULL, &align) && svc != service)
                align = NULL;
            continue;
        }
        char name[NAME_MAX_], res[32];
        while (!align && next_item(&p, name, sizeof name, res, sizeof res))
            if (!mxd_kb_sending_service(kb, name, &svc, NULL, &align) && svc != service)
                align = NULL;
    }
    return align;
}

void mxd_dmarc_verdict_of(const mxd_kb *kb, const mxd_dmarc_source *src, const char *ptr,
                          mxd_dmarc_verdict *out)
{
    memset(out, 0, sizeof *out);
    char passed[400];
    service_of(kb, src, ptr, out, passed, sizeof passed);
    unsigned long long m = src->messages, ok = src->dmarc_pass;
    const char *from = src->header_from && *src->header_from ? src->header_from
                       : src->domain                         ? src->domain
                                                             : "your domain";
    char svc[160] = "";
    if (out->service)
        snprintf(svc, sizeof svc, "%s", out->service);
    if (m && ok * 2 >= m) {
        out->verdict = "aligned";
        snprintf(out->why, sizeof out->why,
                 "%llu of %llu messages passed DMARC (SPF aligned %llu, DKIM aligned %llu).", ok, m,
                 src->spf_aligned, src->dkim_aligned);
        if (ok < m)
            snprintf(out->advice, sizeof out->advice,
                     "%llu messages failed: if this is your server, check that it signs every "
                     "message with DKIM for %s.",
                     m - ok, from);
        else if (!src->dkim_aligned)
            snprintf(out->advice, sizeof out->advice,
                     "Only SPF aligns: sign with DKIM for %s too, so that forwarded mail still "
                     "passes.",
                     from);
        return;
    }
    int mailbox = out->category && !strcmp(out->category, "mailbox");
    if (src->forwarded || mailbox) {
        out->verdict = "forwarded";
        snprintf(out->why, sizeof out->why,
                 "%llu of %llu messages failed DMARC from %s%s: mail forwarded by a mailbox or a "
                 "mailing list, not sent by a server of yours%s.",
                 m - ok, m, svc[0] ? svc : "a mailbox provider", svc[0] ? "'s servers" : "",
                 src->forwarded ? " (the reporter says so)" : "");
        snprintf(out->advice, sizeof out->advice,
                 "Nothing to fix at this source; DKIM signatures for %s survive forwarding when "
                 "the message is not changed, so sign all your mail.",
                 from);
        return;
    }
    if (src->spf_pass || src->dkim_pass) {
        out->verdict = "not-aligned";
        snprintf(out->why, sizeof out->why,
                 "Authorised but not aligned: %s passed for %s, which is not %s.",
                 src->dkim_pass && src->spf_pass ? "SPF and DKIM"
                 : src->dkim_pass                ? "DKIM"
                                                 : "SPF",
                 passed[0] ? passed : "another domain", from);
        const char *align = out->service ? align_of(kb, out->service, src, ptr) : NULL;
        if (align)
            snprintf(out->advice, sizeof out->advice, "At %s: %s.", out->service, align);
        else
            snprintf(out->advice, sizeof out->advice,
                     "If you use this service: have it sign with DKIM d=%s and use a bounce "
                     "(return-path) domain under %s.",
                     from, from);
        return;
    }
    out->verdict = "unauthorised";
    snprintf(out->why, sizeof out->why,
             "Neither SPF nor DKIM passed for any domain on %llu messages: nobody authorised "
             "this server to send as %s.",
             m, from);
    snprintf(out->advice, sizeof out->advice,
             "If it is a server of yours, add it to the SPF record and sign its mail with DKIM; "
             "otherwise it is spoofing, which a DMARC policy of quarantine or reject keeps out.");
}
