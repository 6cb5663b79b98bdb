/* dmarc.c - DMARC records: parser, policy discovery, report authorisation, alignment
 * SPDX-License-Identifier: MIT
 *
 * The parser follows RFC 7489 section 6.3 and the DMARCbis additions (np, t, psd); unknown
 * tags are ignored as the RFC says, but listed. Discovery asks _dmarc.<domain>, then walks
 * the DNS tree towards the top-level domain (DMARCbis), at most MXD_DMARC_WALK_LABELS names.
 * The organisational domain comes from libpsl with the system's public suffix data (Debian's
 * publicsuffix package), loaded per call: no global state.
 */
#include <jansson.h>
#include "util/psl_dl.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mxdiag/dmarc.h"
#include "check/checkutil.h"
#include "check/taglist.h"
#include "util/buf.h"
#include "util/str.h"

#define AREA "dmarc"
/* Longest domain name handled (text form). */
#define DMARC_NAME_MAX 253
/* Bytes of a malformed record quoted in a finding. */
#define DMARC_SHOWN 200

static const char *const policy_names[] = {"none", "quarantine", "reject"};

/* mxd_dmarc_policy_name - the policy word. */
const char *mxd_dmarc_policy_name(mxd_dmarc_policy p)
{
    return p >= MXD_DMARC_NONE && p <= MXD_DMARC_REJECT ? policy_names[p] : "-";
}

/* lower_name - a lower-case copy of a domain without a trailing dot into out; -1 when it does
 * not fit or is empty. */
static int lower_name(const char *s, size_t len, char *out, size_t outlen)
{
    if (len && s[len - 1] == '.')
        len--;
    if (len == 0 || len >= outlen)
        return -1;
    for (size_t i = 0; i < len; i++)
        out[i] = (char)str_tolower((unsigned char)s[i]);
    out[len] = 0;
    return 0;
}

/* psl_open - the public suffix list: the system file, else libpsl's built-in copy (which
 * must not be freed: *owned says). */
static const psl_ctx_t *psl_open(psl_ctx_t **owned)
{
    *owned = psl_latest(NULL);
    return *owned ? *owned : psl_builtin();
}

static mxd_err org_domain(const psl_ctx_t *psl, const char *name, char *out, size_t outlen)
{
    char low[DMARC_NAME_MAX + 1];
    if (!name || lower_name(name, strlen(name), low, sizeof low))
        return MXD_ERR_INVALID;
    if (!psl)
        return MXD_ERR_NOTFOUND;
    const char *reg = psl_registrable_domain(psl, low);
    if (!reg)
        return MXD_ERR_NOTFOUND;
    if (strlen(reg) >= outlen)
        return MXD_ERR_TOOBIG;
    memcpy(out, reg, strlen(reg) + 1);
    return MXD_OK;
}

/* mxd_dmarc_org_domain - organisational domain by the public suffix list. */
mxd_err mxd_dmarc_org_domain(const char *name, char *out, size_t outlen)
{
    psl_ctx_t *owned;
    const psl_ctx_t *psl = psl_open(&owned);
    mxd_err e = org_domain(psl, name, out, outlen);
    psl_free(owned);
    return e;
}

/* same_name - equal without regard to case or a trailing dot. */
static int same_name(const char *a, const char *b)
{
    size_t al = strlen(a), bl = strlen(b);
    if (al && a[al - 1] == '.')
        al--;
    if (bl && b[bl - 1] == '.')
        bl--;
    if (al != bl)
        return 0;
    for (size_t i = 0; i < al; i++)
        if (str_tolower((unsigned char)a[i]) != str_tolower((unsigned char)b[i]))
            return 0;
    return 1;
}

/* aligned - relaxed: same organisational domain; strict: same name. */
static int aligned(const psl_ctx_t *psl, const char *from, const char *other, int strict)
{
    if (!from || !other || !*other)
        return 0;
    if (same_name(from, other))
        return 1;
    if (strict)
        return 0;
    char a[DMARC_NAME_MAX + 1], b[DMARC_NAME_MAX + 1];
    if (org_domain(psl, from, a, sizeof a) || org_domain(psl, other, b, sizeof b))
        return 0;
    return !strcmp(a, b);
}

/* mxd_dmarc_align - SPF and DKIM alignment with the From domain. */
mxd_err mxd_dmarc_align(const char *from_domain, const char *spf_domain,
                        const char *const *dkim_domains, size_t ndkim, int adkim_strict,
                        int aspf_strict, mxd_dmarc_alignment *out)
{
    memset(out, 0, sizeof *out);
    out->dkim_index = -1;
    if (!from_domain || !*from_domain || (ndkim && !dkim_domains))
        return MXD_ERR_INVALID;
    psl_ctx_t *owned;
    const psl_ctx_t *psl = psl_open(&owned);
    out->spf_aligned = aligned(psl, from_domain, spf_domain, aspf_strict);
    for (size_t i = 0; i < ndkim && !out->dkim_aligned; i++) {
        if (aligned(psl, from_domain, dkim_domains[i], adkim_strict)) {
            out->dkim_aligned = 1;
            out->dkim_index = (int)i;
        }
    }
    out->pass = out->spf_aligned || out->dkim_aligned;
    psl_free(owned);
    return MXD_OK;
}

/* ---- parser ------------------------------------------------------------------------- */

static int val_is(const taglist_tag *t, const char *word)
{
    return str_caseeq(t->val, t->vlen, word);
}

static mxd_dmarc_policy parse_policy(const taglist_tag *t)
{
    for (int i = 0; i < 3; i++)
        if (val_is(t, policy_names[i]))
            return (mxd_dmarc_policy)i;
    return MXD_DMARC_ABSENT;
}

/* parse_uris - a comma-separated rua/ruf list. Returns the count kept; problems noted. */
static void parse_uris(const taglist_tag *t, mxd_dmarc_uri **outv, size_t *outn,
                       checkutil_findings *f, int *nomem)
{
    size_t i = 0;
    *outv = NULL;
    *outn = 0;
    while (i <= t->vlen) {
        size_t j = i;
        while (j < t->vlen && t->val[j] != ',')
            j++;
        size_t a = i, b = j;
        i = j + 1;
        while (a < b && taglist_is_ws((unsigned char)t->val[a]))
            a++;
        while (b > a && taglist_is_ws((unsigned char)t->val[b - 1]))
            b--;
        if (a == b) {
            checkutil_finding(f, MXD_SEV_ERROR, AREA, "dmarc-uri-invalid",
                              "Write each destination as mailto:address, separated by commas.",
                              "%.*s= has an empty destination", (int)t->nlen, t->name);
            continue;
        }
        const char *u = t->val + a;
        size_t ul = b - a;
        if (*outn == MXD_DMARC_MAX_URIS) {
            checkutil_finding(f, MXD_SEV_WARNING, AREA, "dmarc-too-many-uris", NULL,
                              "%.*s= lists more than %d destinations; receivers use only the "
                              "first two",
                              (int)t->nlen, t->name, MXD_DMARC_MAX_URIS);
            break;
        }
        const char *colon = memchr(u, ':', ul);
        const char *bang = memchr(u, '!', ul);
        const char *addr = NULL, *at = NULL;
        size_t addrlen = 0;
        int ok = colon && colon > u;
        if (ok && str_caseeq(u, (size_t)(colon - u), "mailto")) {
            addr = colon + 1;
            addrlen = (size_t)((bang ? bang : u + ul) - addr);
            at = memchr(addr, '@', addrlen);
            const char *last_at = at;
            while (last_at && memchr(last_at + 1, '@', (size_t)(addr + addrlen - last_at - 1)))
                last_at = memchr(last_at + 1, '@', (size_t)(addr + addrlen - last_at - 1));
            at = last_at;
            ok = at && at > addr && at < addr + addrlen - 1 &&
                 memchr(at, '.', (size_t)(addr + addrlen - at));
        }
        if (ok && bang) {
            /* size limit: 1*DIGIT [ "k" / "m" / "g" / "t" ] */
            const char *sz = bang + 1, *e = u + ul;
            size_t nd = 0;
            while (sz + nd < e && str_isdigit((unsigned char)sz[nd]))
                nd++;
            ok = nd > 0 && (sz + nd == e || (sz + nd + 1 == e && strchr("kmgtKMGT", sz[nd])));
        }
        if (!ok) {
            checkutil_finding(f, MXD_SEV_ERROR, AREA, "dmarc-uri-invalid",
                              "Write each destination as mailto:address (optionally !size, "
                              "e.g. !10m), separated by commas.",
                              "%.*s= destination '%.*s' is not a valid mailto: URI", (int)t->nlen,
                              t->name, (int)(ul > 100 ? 100 : ul), u);
            continue;
        }
        mxd_dmarc_uri *v = realloc(*outv, (*outn + 1) * sizeof *v);
        if (!v) {
            *nomem = 1;
            return;
        }
        *outv = v;
        mxd_dmarc_uri *x = &v[(*outn)++];
        memset(x, 0, sizeof *x);
        x->authorised = -1;
        x->uri = str_dup_n(u, ul);
        x->address = addr ? str_dup_n(addr, addrlen) : NULL;
        if (at) {
            char low[DMARC_NAME_MAX + 1];
            size_t dl = (size_t)(addr + addrlen - at - 1);
            if (lower_name(at + 1, dl, low, sizeof low) == 0)
                x->domain = str_dup_n(low, strlen(low));
        }
        if (!x->uri || (addr && !x->address))
            *nomem = 1;
    }
}

/* colon_list_ok - a colon-separated list whose items are each one of words. */
static int colon_list_ok(const taglist_tag *t, const char *const *words, size_t nwords)
{
    size_t i = 0;
    while (i <= t->vlen) {
        size_t j = i;
        while (j < t->vlen && t->val[j] != ':')
            j++;
        size_t a = i, b = j;
        while (a < b && taglist_is_ws((unsigned char)t->val[a]))
            a++;
        while (b > a && taglist_is_ws((unsigned char)t->val[b - 1]))
            b--;
        int ok = 0;
        for (size_t k = 0; k < nwords && !ok; k++)
            ok = str_caseeq(t->val + a, b - a, words[k]);
        if (!ok)
            return 0;
        i = j + 1;
    }
    return 1;
}

static void copy_val(char *dst, size_t dstlen, const taglist_tag *t)
{
    snprintf(dst, dstlen, "%.*s", (int)t->vlen, t->val);
}

/* past_ws - the first index from i on that is not tag-list white space */
static size_t past_ws(const char *s, size_t len, size_t i)
{
    while (i < len && taglist_is_ws((unsigned char)s[i]))
        i++;
    return i;
}

/* after_v_equals - the index just past a leading "v =" (white space allowed around '='; "V"
 * too when any_case), or len + 1 when the text does not start so */
static size_t after_v_equals(const char *s, size_t len, int any_case)
{
    size_t i = past_ws(s, len, 0);
    if (i >= len || (s[i] != 'v' && !(any_case && s[i] == 'V')))
        return len + 1;
    i = past_ws(s, len, i + 1);
    if (i >= len || s[i] != '=')
        return len + 1;
    return past_ws(s, len, i + 1);
}

/* is_v1 - does the text start with the tag v=DMARC1 (white space allowed around '=')? */
static int is_v1(const char *s, size_t len)
{
    size_t i = after_v_equals(s, len, 0);
    if (i > len || len - i < 6 || memcmp(s + i, "DMARC1", 6))
        return 0;
    i = past_ws(s, len, i + 6);
    return i == len || s[i] == ';';
}

/* looks_dmarc - does the text start like a DMARC record ("v=DMARC", any case, white space
 * around '='), whatever follows? A record written "v=DMARC1 p=reject" (no ';') or
 * "v=dmarc1; ..." is meant as one: receivers ignore it, and it is reported as invalid, not
 * as missing. */
static int looks_dmarc(const char *s, size_t len)
{
    size_t i = after_v_equals(s, len, 1);
    return i <= len && len - i >= 5 && str_caseeq(s + i, 5, "DMARC");
}

/* mxd_dmarc_parse - one record. */
mxd_err mxd_dmarc_parse(const char *txt, size_t len, mxd_dmarc_record **out)
{
    *out = NULL;
    if (len > MXD_DMARC_MAX_RECORD)
        return MXD_ERR_TOOBIG;
    mxd_dmarc_record *r = calloc(1, sizeof *r);
    if (!r)
        return MXD_ERR_NOMEM;
    r->text = str_dup_n(txt, len);
    if (!r->text) {
        free(r);
        return MXD_ERR_NOMEM;
    }
    r->p = r->sp = r->np = MXD_DMARC_ABSENT;
    r->pct = 100;
    r->ri = 86400;
    r->psd = 'u';
    snprintf(r->fo, sizeof r->fo, "0");
    snprintf(r->rf, sizeof r->rf, "afrf");
    checkutil_findings f = {0};
    int nomem = 0;
    taglist tl;
    char why[200];
    if (memchr(txt, 0, len)) {
        checkutil_finding(&f, MXD_SEV_ERROR, AREA, "dmarc-syntax", NULL,
                          "the DMARC record holds a NUL byte");
        goto out;
    }
    if (taglist_parse(txt, len, &tl, why, sizeof why)) {
        checkutil_finding(&f, MXD_SEV_ERROR, AREA, "dmarc-syntax",
                          "Write the record as tag=value pairs separated by semicolons, "
                          "starting with v=DMARC1; p=...",
                          "the DMARC record has a syntax error: %s", why);
        goto out;
    }
    if (tl.n && tl.t[0].nlen == 1 && tl.t[0].name[0] == 'v' && tl.t[0].vlen > 6 &&
        !memcmp(tl.t[0].val, "DMARC1", 6) && taglist_is_ws((unsigned char)tl.t[0].val[6])) {
        checkutil_finding(&f, MXD_SEV_ERROR, AREA, "dmarc-version",
                          "Separate the tags with semicolons: \"v=DMARC1; p=...\".",
                          "a ';' is missing after v=DMARC1 (v= reads \"%.*s\"), so receivers "
                          "ignore the record",
                          (int)(tl.t[0].vlen > 80 ? 80 : tl.t[0].vlen), tl.t[0].val);
        goto out;
    }
    if (tl.n == 0 || tl.t[0].nlen != 1 || tl.t[0].name[0] != 'v' || tl.t[0].vlen != 6 ||
        memcmp(tl.t[0].val, "DMARC1", 6)) {
        checkutil_finding(&f, MXD_SEV_ERROR, AREA, "dmarc-version",
                          "Start the record with v=DMARC1 (exactly, upper case).",
                          "the record does not start with v=DMARC1, so receivers ignore it");
        goto out;
    }
    int p_bad = 0;
    for (size_t i = 1; i < tl.n; i++) {
        const taglist_tag *t = &tl.t[i];
        char name[16];
        snprintf(name, sizeof name, "%.*s", (int)(t->nlen > 12 ? 12 : t->nlen), t->name);
        int bad = 0;
        if (!strcmp(name, "p") || !strcmp(name, "sp") || !strcmp(name, "np")) {
            mxd_dmarc_policy p = parse_policy(t);
            if (p == MXD_DMARC_ABSENT)
                bad = 1;
            if (name[0] == 'p') {
                r->p = p;
                p_bad = bad;
            } else if (name[0] == 's') {
                r->sp = p;
            } else {
                r->np = p;
            }
        } else if (!strcmp(name, "pct")) {
            unsigned long v;
            bad = str_parse_uint(t->val, t->vlen, 100, &v) != 0;
            if (!bad)
                r->pct = (int)v;
        } else if (!strcmp(name, "adkim") || !strcmp(name, "aspf")) {
            bad = !val_is(t, "r") && !val_is(t, "s");
            int *slot = name[1] == 'd' ? &r->adkim_strict : &r->aspf_strict;
            *slot = val_is(t, "s");
        } else if (!strcmp(name, "fo")) {
            static const char *const fo[] = {"0", "1", "d", "s"};
            bad = !colon_list_ok(t, fo, 4);
            if (!bad)
                copy_val(r->fo, sizeof r->fo, t);
        } else if (!strcmp(name, "rf")) {
            static const char *const rf[] = {"afrf"};
            bad = !colon_list_ok(t, rf, 1);
            if (!bad)
                copy_val(r->rf, sizeof r->rf, t);
        } else if (!strcmp(name, "ri")) {
            bad = str_parse_uint(t->val, t->vlen, 4294967295ul, &r->ri) != 0;
        } else if (!strcmp(name, "t")) {
            bad = !val_is(t, "y") && !val_is(t, "n");
            r->testing = val_is(t, "y");
        } else if (!strcmp(name, "psd")) {
            bad = !val_is(t, "y") && !val_is(t, "n") && !val_is(t, "u");
            if (!bad)
                r->psd = (char)str_tolower((unsigned char)t->val[0]);
        } else if (!strcmp(name, "rua")) {
            parse_uris(t, &r->rua, &r->nrua, &f, &nomem);
        } else if (!strcmp(name, "ruf")) {
            parse_uris(t, &r->ruf, &r->nruf, &f, &nomem);
        } else if (!strcmp(name, "v")) {
            bad = 1;
        } else {
            checkutil_finding(&f, MXD_SEV_INFO, AREA, "dmarc-unknown-tag",
                              "Remove it unless you know a receiver that uses it.",
                              "unknown tag '%.*s' (receivers ignore it)",
                              (int)(t->nlen > 40 ? 40 : t->nlen), t->name);
        }
        if (bad)
            checkutil_finding(&f, MXD_SEV_ERROR, AREA, "dmarc-tag-invalid",
                              !strcmp(name, "p") || !strcmp(name, "sp") || !strcmp(name, "np")
                                  ? "Use none, quarantine or reject."
                                  : NULL,
                              "invalid value '%.*s' for tag %s= (receivers ignore it)",
                              (int)(t->vlen > 60 ? 60 : t->vlen), t->val, name);
    }
    if (r->p == MXD_DMARC_ABSENT && !p_bad)
        checkutil_finding(&f, MXD_SEV_ERROR, AREA, "dmarc-p-missing",
                          "Add p=none (monitor), then move to quarantine and reject.",
                          "the record has no p= tag%s",
                          r->nrua ? ": receivers treat it as p=none because rua= is set"
                                  : ", so receivers ignore it");
    r->valid = r->p != MXD_DMARC_ABSENT || r->nrua > 0;
out:
    mxd_findings_sort(f.v, f.n);
    r->problems = f.v;
    r->nproblems = f.n;
    if (nomem || f.nomem) {
        mxd_dmarc_record_free(r);
        return MXD_ERR_NOMEM;
    }
    *out = r;
    return MXD_OK;
}

static void free_uris(mxd_dmarc_uri *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].uri);
        free(v[i].address);
        free(v[i].domain);
    }
    free(v);
}

/* mxd_dmarc_record_free - NULL is fine. */
void mxd_dmarc_record_free(mxd_dmarc_record *r)
{
    if (!r)
        return;
    free(r->text);
    free_uris(r->rua, r->nrua);
    free_uris(r->ruf, r->nruf);
    checkutil_findings_free(r->problems, r->nproblems);
    free(r);
}

/* ---- discovery ---------------------------------------------------------------------- */

/* fetch - the v=DMARC1 records at _dmarc.<name>: 0 none, 1 found (copied to *rec), 2 several,
 * -1 DNS trouble, -2 out of memory. */
static int fetch(mxd_resolver *res, const char *prefix, const char *name, char **rec,
                 size_t *reclen, mxd_dns_status *st, char **near, size_t *nearlen)
{
    char q[DMARC_NAME_MAX + 64];
    int n = snprintf(q, sizeof q, "%s%s", prefix, name);
    *rec = NULL;
    if (n < 0 || (size_t)n >= sizeof q)
        return 0;
    mxd_dns_answer *a = NULL;
    mxd_err e = mxd_dns_lookup(res, q, MXD_DNS_TXT, &a);
    if (e == MXD_ERR_INVALID)
        return 0;
    if (e || !a) {
        *st = MXD_DNS_ERROR;
        return e == MXD_ERR_NOMEM ? -2 : -1;
    }
    *st = a->status;
    int found = 0;
    if (a->status == MXD_DNS_OK) {
        for (size_t i = 0; i < a->n; i++) {
            if (!a->rr[i].text)
                continue;
            if (!is_v1(a->rr[i].text, a->rr[i].len)) {
                if (near && !*near && looks_dmarc(a->rr[i].text, a->rr[i].len)) {
                    *near = str_dup_n(a->rr[i].text, a->rr[i].len);
                    *nearlen = a->rr[i].len;
                    if (!*near) {
                        mxd_dns_answer_free(a);
                        return -2;
                    }
                }
                continue;
            }
            if (++found == 1) {
                *rec = str_dup_n(a->rr[i].text, a->rr[i].len);
                *reclen = a->rr[i].len;
                if (!*rec) {
                    mxd_dns_answer_free(a);
                    return -2;
                }
            }
        }
    } else if (a->status != MXD_DNS_NXDOMAIN && a->status != MXD_DNS_NODATA) {
        mxd_dns_answer_free(a);
        return -1;
    }
    int cut = a->truncated;
    mxd_dns_answer_free(a);
    if (cut && found < 2) { /* records past the cap unseen: a DMARC record may be among them */
        free(*rec);
        *rec = NULL;
        *st = MXD_DNS_ERROR;
        return -1;
    }
    if (found > 1) {
        free(*rec);
        *rec = NULL;
        return 2;
    }
    return found;
}

/* check_dests - authorisation of external report destinations (RFC 7489 section 7.1). */
static void check_dests(mxd_resolver *res, const psl_ctx_t *psl, const char *rdomain,
                        mxd_dmarc_uri *v, size_t n, const char *tag, checkutil_findings *f)
{
    char org[DMARC_NAME_MAX + 1];
    if (org_domain(psl, rdomain, org, sizeof org))
        snprintf(org, sizeof org, "%s", rdomain);
    for (size_t i = 0; i < n; i++) {
        char dorg[DMARC_NAME_MAX + 1];
        if (!v[i].domain)
            continue;
        if (org_domain(psl, v[i].domain, dorg, sizeof dorg))
            snprintf(dorg, sizeof dorg, "%s", v[i].domain);
        if (!strcmp(org, dorg))
            continue;
        v[i].external = 1;
        char prefix[DMARC_NAME_MAX + 32];
        snprintf(prefix, sizeof prefix, "%s._report._dmarc.", rdomain);
        char *rec = NULL;
        size_t rl;
        mxd_dns_status st = MXD_DNS_OK;
        int got = fetch(res, prefix, v[i].domain, &rec, &rl, &st, NULL, NULL);
        free(rec);
        if (got > 0) {
            v[i].authorised = 1;
        } else if (got == 0) {
            v[i].authorised = 0;
            char fix[600];
            snprintf(fix, sizeof fix,
                     "Ask the operator of %s to publish TXT \"v=DMARC1\" at "
                     "%s._report._dmarc.%s, or send the reports to an address of your own "
                     "domain.",
                     v[i].domain, rdomain, v[i].domain);
            checkutil_finding(f, MXD_SEV_WARNING, AREA, "dmarc-report-unauthorised", fix,
                              "%s= destination %s is outside %s and %s._report._dmarc.%s does "
                              "not authorise it: receivers will not send those reports",
                              tag, v[i].address ? v[i].address : v[i].uri, org, rdomain,
                              v[i].domain);
        } else {
            checkutil_finding(f, MXD_SEV_INFO, AREA, "dmarc-report-unknown", NULL,
                              "could not check the authorisation of %s= destination %s (DNS %s)",
                              tag, v[i].uri, mxd_dns_status_name(st));
        }
    }
}

/* findings_of_record - what to say about a record that applies. */
static void judge(mxd_dmarc_result *d, checkutil_findings *f)
{
    const mxd_dmarc_record *r = d->record;
    for (size_t i = 0; i < r->nproblems; i++)
        checkutil_finding(f, r->problems[i].severity, AREA, r->problems[i].code, r->problems[i].fix,
                          "%s", r->problems[i].text);
    if (!r->valid)
        return;
    if (d->policy == MXD_DMARC_NONE || (d->policy == MXD_DMARC_ABSENT && r->nrua))
        checkutil_finding(f, MXD_SEV_WARNING, AREA, "dmarc-p-none",
                          "Read the aggregate reports, make sure every sender passes SPF or "
                          "DKIM aligned, then move to p=quarantine and p=reject.",
                          "the policy for %s is none: DMARC only monitors, forged mail is "
                          "still delivered",
                          d->domain);
    if (r->pct < 100 && d->policy > MXD_DMARC_NONE)
        checkutil_finding(
            f, MXD_SEV_WARNING, AREA, "dmarc-pct", "Raise pct to 100 (DMARCbis drops pct).",
            "pct=%d: the policy applies to only %d%% of failing mail", r->pct, r->pct);
    if (!r->nrua)
        checkutil_finding(f, MXD_SEV_WARNING, AREA, "dmarc-no-rua",
                          "Add rua=mailto:dmarc-reports@<your domain> (or a report service) "
                          "to receive aggregate reports.",
                          "the record has no rua=: you get no aggregate reports, so you cannot "
                          "see who sends as %s",
                          d->domain);
    if (r->testing)
        checkutil_finding(f, MXD_SEV_INFO, AREA, "dmarc-testing", NULL,
                          "t=y: the policy is in test mode; receivers apply one level less");
    if (r->sp != MXD_DMARC_ABSENT && r->p != MXD_DMARC_ABSENT && r->sp < r->p)
        checkutil_finding(f, MXD_SEV_INFO, AREA, "dmarc-sp-weaker", NULL,
                          "sp=%s is weaker than p=%s: subdomains are less protected",
                          mxd_dmarc_policy_name(r->sp), mxd_dmarc_policy_name(r->p));
    if (d->record_domain && !same_name(d->record_domain, d->domain))
        checkutil_finding(f, MXD_SEV_INFO, AREA, "dmarc-inherited", NULL,
                          "%s has no record of its own; the record of %s applies (policy %s)",
                          d->domain, d->record_domain, mxd_dmarc_policy_name(d->policy));
}

/* mxd_dmarc_lookup - discovery plus checks. */
mxd_err mxd_dmarc_lookup(mxd_resolver *res, const char *domain, mxd_dmarc_result **out)
{
    *out = NULL;
    char low[DMARC_NAME_MAX + 1];
    if (!res || !domain || lower_name(domain, strlen(domain), low, sizeof low) ||
        !strchr(low, '.') || strstr(low, ".."))
        return MXD_ERR_INVALID;
    mxd_dmarc_result *d = calloc(1, sizeof *d);
    if (!d)
        return MXD_ERR_NOMEM;
    d->policy = MXD_DMARC_ABSENT;
    checkutil_findings f = {0};
    int nomem = 0;
    psl_ctx_t *owned;
    const psl_ctx_t *psl = psl_open(&owned);
    char org[DMARC_NAME_MAX + 1];
    d->domain = str_dup_n(low, strlen(low));
    if (org_domain(psl, low, org, sizeof org) == MXD_OK)
        d->org_domain = str_dup_n(org, strlen(org));
    if (!d->domain)
        nomem = 1;

    /* the names to ask: the domain, then (DMARCbis tree walk) shorter and shorter */
    int nlabels = 1;
    for (const char *p = low; *p; p++)
        nlabels += *p == '.';
    char *rec = NULL;
    size_t reclen = 0;
    const char *where = NULL;
    int several = 0;
    char *near = NULL; /* the first malformed record that was meant as DMARC, and where */
    size_t nearlen = 0;
    const char *near_at = NULL;
    for (int k = nlabels; k >= 1 && !nomem; k--) {
        if (k < nlabels && k >= MXD_DMARC_WALK_LABELS)
            k = MXD_DMARC_WALK_LABELS - 1;
        const char *name = low;
        for (int skip = nlabels - k; skip > 0; skip--)
            name = strchr(name, '.') + 1;
        mxd_dns_status st = MXD_DNS_OK;
        int got = fetch(res, "_dmarc.", name, &rec, &reclen, &st, near ? NULL : &near, &nearlen);
        if (near && !near_at)
            near_at = name;
        if (got == -2) {
            nomem = 1;
        } else if (got == -1) {
            d->temperror = 1;
            checkutil_finding(&f, MXD_SEV_WARNING, AREA, "dmarc-dns",
                              "Check again later; if it persists, fix the DNS servers.",
                              "DNS %s for _dmarc.%s: the DMARC policy is unknown",
                              mxd_dns_status_name(st), name);
            break;
        } else if (got == 2) {
            several = 1;
            where = name;
            break;
        } else if (got == 1) {
            where = name;
            break;
        }
    }
    if (several) {
        checkutil_finding(&f, MXD_SEV_ERROR, AREA, "dmarc-multiple",
                          "Keep exactly one v=DMARC1 record: with several, receivers apply "
                          "none.",
                          "_dmarc.%s has more than one DMARC record, so none applies", where);
    } else if (rec && !nomem) {
        mxd_err e = mxd_dmarc_parse(rec, reclen, &d->record);
        if (e == MXD_ERR_NOMEM) {
            nomem = 1;
        } else if (e == MXD_OK) {
            d->record_domain = str_dup_n(where, strlen(where));
            d->found = d->record->valid;
            int own = same_name(where, low);
            mxd_dmarc_policy p = d->record->p;
            if (!own && d->record->sp != MXD_DMARC_ABSENT)
                p = d->record->sp;
            if (p == MXD_DMARC_ABSENT && d->record->valid)
                p = MXD_DMARC_NONE;
            d->policy = d->record->valid ? p : MXD_DMARC_ABSENT;
            judge(d, &f);
            if (d->record->valid) {
                check_dests(res, psl, where, d->record->rua, d->record->nrua, "rua", &f);
                check_dests(res, psl, where, d->record->ruf, d->record->nruf, "ruf", &f);
            }
        } else {
            checkutil_finding(&f, MXD_SEV_ERROR, AREA, "dmarc-syntax", NULL,
                              "the DMARC record of %s is too long to be read", where);
        }
    } else if (near && !d->temperror && !nomem) {
        /* shown and reported as invalid: receivers ignore it, so no policy applies */
        mxd_err e = mxd_dmarc_parse(near, nearlen, &d->record);
        if (e == MXD_ERR_NOMEM) {
            nomem = 1;
        } else if (e == MXD_OK) {
            d->record_domain = str_dup_n(near_at, strlen(near_at));
            d->policy = MXD_DMARC_ABSENT;
            nomem = !d->record_domain;
            checkutil_finding(&f, MXD_SEV_ERROR, AREA, "dmarc-invalid",
                              "Write the record as tag=value pairs separated by semicolons: "
                              "\"v=DMARC1; p=none; rua=mailto:dmarc@<your domain>\".",
                              "the DMARC record at _dmarc.%s is malformed, so receivers ignore "
                              "it and no DMARC policy applies to %s: \"%.*s\"",
                              near_at, low, DMARC_SHOWN, near);
        } else {
            checkutil_finding(&f, MXD_SEV_ERROR, AREA, "dmarc-syntax", NULL,
                              "the DMARC record of %s is too long to be read", near_at);
        }
    } else if (!d->temperror && !nomem) {
        checkutil_finding(&f, MXD_SEV_ERROR, AREA, "dmarc-none",
                          "Publish TXT \"v=DMARC1; p=none; rua=mailto:dmarc@<your domain>\" at "
                          "_dmarc.<your domain>, then tighten p= once the reports look "
                          "clean.",
                          "%s has no DMARC record (nor does any parent): Gmail and Yahoo "
                          "require one of bulk senders, and forged mail is not stopped",
                          low);
    }
    if (near && (rec || several) && !nomem)
        checkutil_finding(&f, MXD_SEV_WARNING, AREA, "dmarc-invalid-ignored",
                          "Fix or remove the malformed record.",
                          "the DMARC record at _dmarc.%s is malformed and ignored (the policy "
                          "of _dmarc.%s applies): \"%.*s\"",
                          near_at, where, DMARC_SHOWN, near);
    free(rec);
    free(near);
    psl_free(owned);
    if (nomem || f.nomem) {
        checkutil_findings_free(f.v, f.n);
        mxd_dmarc_result_free(d);
        return MXD_ERR_NOMEM;
    }
    mxd_findings_sort(f.v, f.n);
    d->findings = f.v;
    d->nfindings = f.n;
    *out = d;
    return MXD_OK;
}

/* mxd_dmarc_result_free - NULL is fine. */
void mxd_dmarc_result_free(mxd_dmarc_result *d)
{
    if (!d)
        return;
    free(d->domain);
    free(d->org_domain);
    free(d->record_domain);
    mxd_dmarc_record_free(d->record);
    checkutil_findings_free(d->findings, d->nfindings);
    free(d);
}

static json_t *uris_json(const mxd_dmarc_uri *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "uri", checkutil_json_str(v[i].uri));
        json_object_set_new(o, "external", json_boolean(v[i].external));
        json_object_set_new(o, "authorised",
                            !v[i].external         ? json_null()
                            : v[i].authorised >= 0 ? json_boolean(v[i].authorised)
                                                   : json_null());
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *policy_json(mxd_dmarc_policy p)
{
    return p == MXD_DMARC_ABSENT ? json_null() : json_string(mxd_dmarc_policy_name(p));
}

/* mxd_dmarc_result_json - the result as JSON. */
char *mxd_dmarc_result_json(const mxd_dmarc_result *d, int pretty)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    const mxd_dmarc_record *r = d->record;
    json_object_set_new(o, "domain", checkutil_json_str(d->domain));
    json_object_set_new(o, "org_domain", checkutil_json_str(d->org_domain));
    json_object_set_new(o, "record_domain", checkutil_json_str(d->record_domain));
    json_object_set_new(o, "record", checkutil_json_str(r ? r->text : NULL));
    json_object_set_new(o, "valid", json_boolean(r && r->valid));
    json_object_set_new(o, "temperror", json_boolean(d->temperror));
    json_object_set_new(o, "policy", policy_json(d->policy));
    if (r) {
        char c[2] = {r->psd, 0};
        json_object_set_new(o, "p", policy_json(r->p));
        json_object_set_new(o, "sp", policy_json(r->sp));
        json_object_set_new(o, "np", policy_json(r->np));
        json_object_set_new(o, "pct", json_integer(r->pct));
        json_object_set_new(o, "adkim", json_string(r->adkim_strict ? "s" : "r"));
        json_object_set_new(o, "aspf", json_string(r->aspf_strict ? "s" : "r"));
        json_object_set_new(o, "rua", uris_json(r->rua, r->nrua));
        json_object_set_new(o, "ruf", uris_json(r->ruf, r->nruf));
        json_object_set_new(o, "fo", json_string(r->fo));
        json_object_set_new(o, "rf", json_string(r->rf));
        json_object_set_new(o, "ri", json_integer((json_int_t)r->ri));
        json_object_set_new(o, "t", json_boolean(r->testing));
        json_object_set_new(o, "psd", c[0] ? json_string(c) : json_null());
    } else { /* no record: the same keys, unknown (mxdiag-json(5)) */
        static const char *const tags[] = {"p",  "sp", "np", "pct", "adkim", "aspf",
                                           "fo", "rf", "ri", "t",   "psd"};
        for (size_t i = 0; i < sizeof tags / sizeof *tags; i++)
            json_object_set_new(o, tags[i], json_null());
        json_object_set_new(o, "rua", json_array());
        json_object_set_new(o, "ruf", json_array());
    }
    json_object_set_new(o, "findings", checkutil_json_findings(d->findings, d->nfindings));
    return checkutil_json_dump(o, pretty);
}
