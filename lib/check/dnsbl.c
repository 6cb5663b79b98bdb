/* dnsbl.c - DNS blocklists: choosing lists, asking them, reading their answers
 * SPDX-License-Identifier: MIT
 *
 * The catalogue is data/dnsbl.tsv (kb). An IP is asked as its reversed address under the
 * zone (IPv4 octets, IPv6 nibbles), a domain as domain.zone. The A answer decides: codes the
 * list documents as errors (Spamhaus 127.255.255.x, URIBL/SURBL 127.0.0.1 ...) and answers
 * outside 127.0.0.0/8 (a dead or hijacked zone) are errors; other 127/8 answers are listings
 * with the list's meaning for each code. A failed lookup is an error, never clean. For a
 * listing the TXT record of the same name is asked for the list's own reason.
 *
 * Health probe (RFC 5782 section 5): with every list the check also asks the list's test
 * entries, 127.0.0.2 (listed) and 127.0.0.1 (not listed), or TEST / the list's own test name
 * and INVALID for domain lists. A list whose test entry is not listed (a resolver that is
 * refused or answers NXDOMAIN for every name, a dead list) or whose negative entry is listed
 * (a list that lists everything) cannot be trusted either way: its result is an error.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check/check_internal.h"
#include "util/buf.h"
#include "util/str.h"

#define BL_MEANING_MAX 1024 /* meanings of one code joined */

static const char *const result_names[] = {"clean", "listed", "error"};
static const char *const probe_names[] = {"off", "passed", "failed", "unknown", "none"};

const char *mxd_bl_result_name(mxd_bl_result r)
{
    return (unsigned)r < 3 ? result_names[r] : "error";
}

const char *mxd_bl_probe_name(mxd_bl_probe p)
{
    return (unsigned)p < sizeof probe_names / sizeof *probe_names ? probe_names[p] : "unknown";
}

/* mxd_check_state_name - "pass", "fail", "unchecked", "skipped", "not_applicable". */
const char *mxd_check_state_name(mxd_check_state s)
{
    static const char *const n[] = {"pass", "fail", "unchecked", "skipped", "not_applicable"};
    return (unsigned)s < 5 ? n[s] : "unknown";
}

/* why_add - append to why (bounded, always NUL-terminated); returns the new length. */
static size_t why_add(char *why, size_t whylen, size_t o, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static size_t why_add(char *why, size_t whylen, size_t o, const char *fmt, ...)
{
    if (!why || o + 1 >= whylen)
        return o;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(why + o, whylen - o, fmt, ap);
    va_end(ap);
    if (k < 0)
        return o;
    return o + (size_t)k < whylen ? o + (size_t)k : whylen - 1;
}

/* mxd_bl_verdict - FAIL listed somewhere, UNCHECKED some list unanswered, PASS all clean. */
mxd_check_state mxd_bl_verdict(const mxd_bl_entry *lists, size_t n, char *why, size_t whylen)
{
    size_t listed = 0, errors = 0;
    for (size_t i = 0; lists && i < n; i++) {
        listed += lists[i].result == MXD_BL_LISTED;
        errors += lists[i].result == MXD_BL_ERROR;
    }
    if (why && whylen)
        why[0] = 0;
    size_t o = 0;
    if (!lists || !n) {
        why_add(why, whylen, 0, "no blocklist was asked");
        return MXD_CHECK_UNCHECKED;
    }
    mxd_bl_result pick = listed ? MXD_BL_LISTED : MXD_BL_ERROR;
    if (listed)
        o = why_add(why, whylen, o, "listed on %zu of %zu blocklists: ", listed, n);
    else if (errors == n)
        o = why_add(why, whylen, o, "none of %zu blocklists answered: ", n);
    else if (errors)
        o = why_add(why, whylen, o, "%zu of %zu blocklists did not answer: ", errors, n);
    else {
        why_add(why, whylen, o, "on none of %zu blocklists", n);
        return MXD_CHECK_PASS;
    }
    for (size_t i = 0, k = 0; i < n; i++) {
        if (lists[i].result != pick)
            continue;
        o = why_add(why, whylen, o, "%s%s", k++ ? ", " : "", lists[i].name ? lists[i].name : "?");
        if (pick == MXD_BL_ERROR)
            o = why_add(why, whylen, o, " (%s)", lists[i].error ? lists[i].error : "error");
    }
    return listed ? MXD_CHECK_FAIL : MXD_CHECK_UNCHECKED;
}

/* code_matches - does the answer address b match the catalogue entry c? */
static int code_matches(const kb_code *c, const unsigned char *b)
{
    if (memcmp(c->a, b, 3))
        return 0;
    switch (c->kind) {
    case KB_CODE_EXACT:
        return b[3] == c->a[3];
    case KB_CODE_RANGE:
        return b[3] >= c->a[3] && b[3] <= c->hi;
    case KB_CODE_MASK:
        return (b[3] & c->hi) != 0;
    default:
        return 0;
    }
}

/* meaning_of - the meanings of one code in a table: every matching bit mask, and the first
 * matching address or range. Empty when nothing matches. */
static void meaning_of(const mxd_kb *kb, const kb_code *t, size_t n, const unsigned char *b,
                       buf *out)
{
    int exact = 0;
    for (size_t i = 0; i < n; i++) {
        if (!code_matches(&t[i], b))
            continue;
        if (t[i].kind != KB_CODE_MASK) {
            if (exact)
                continue;
            exact = 1;
        }
        if (out->len)
            buf_adds(out, "; ");
        buf_adds(out, kb_str(kb, t[i].meaning));
    }
}

mxd_err dnsbl_interpret(const mxd_kb *kb, const kb_dnsbl *bl, const mxd_dns_answer *a,
                        mxd_bl_entry *e)
{
    e->result = MXD_BL_CLEAN;
    if (a->status == MXD_DNS_NXDOMAIN || a->status == MXD_DNS_NODATA)
        return MXD_OK;
    if (a->status != MXD_DNS_OK) {
        e->result = MXD_BL_ERROR;
        e->error =
            str_dup_n(mxd_dns_status_name(a->status), strlen(mxd_dns_status_name(a->status)));
        return e->error ? MXD_OK : MXD_ERR_NOMEM;
    }
    size_t n = 0;
    for (size_t i = 0; i < a->n; i++)
        n += a->rr[i].type == MXD_DNS_A;
    if (!n)
        return MXD_OK;
    e->codes = calloc(n, sizeof *e->codes);
    e->meanings = calloc(n, sizeof *e->meanings);
    if (!e->codes || !e->meanings)
        return MXD_ERR_NOMEM;
    buf errs;
    buf_init(&errs, BL_MEANING_MAX);
    int is_error = 0;
    mxd_err err = MXD_OK;
    for (size_t i = 0; i < a->n && !err; i++) {
        const mxd_dns_rr *rr = &a->rr[i];
        if (rr->type != MXD_DNS_A)
            continue;
        unsigned char b[4] = {0, 0, 0, 0};
        int ok = inet_pton(AF_INET, rr->addr, b) == 1;
        int code_error = 0;
        buf m;
        buf_init(&m, BL_MEANING_MAX);
        if (!ok || b[0] != 127) {
            buf_adds(&m, "error: the answer is outside 127.0.0.0/8, so the zone does not "
                         "behave like a blocklist (dead, parked or hijacked)");
            code_error = 1;
        } else {
            meaning_of(kb, &kb->codes[bl->errors], bl->nerrors, b, &m);
            if (m.len) {
                code_error = 1;
            } else {
                meaning_of(kb, &kb->codes[bl->codes], bl->ncodes, b, &m);
                if (!m.len)
                    buf_adds(&m, "listed (this return code is not in the catalogue)");
            }
        }
        if (code_error) {
            is_error = 1;
            if (errs.len)
                buf_adds(&errs, "; ");
            buf_adds(&errs, m.len ? buf_cstr(&m) : "error answer");
        }
        e->codes[e->ncodes] = str_dup_n(rr->addr, strlen(rr->addr));
        e->meanings[e->ncodes] = m.len ? buf_steal(&m) : str_dup_n("", 0);
        buf_free(&m);
        if (!e->codes[e->ncodes] || !e->meanings[e->ncodes])
            err = MXD_ERR_NOMEM;
        e->ncodes++;
    }
    if (!err && is_error) {
        e->result = MXD_BL_ERROR;
        e->error = errs.len ? buf_steal(&errs) : str_dup_n("error answer", 12);
        if (!e->error)
            err = MXD_ERR_NOMEM;
    } else if (!err) {
        e->result = MXD_BL_LISTED;
    }
    buf_free(&errs);
    return err;
}

char *dnsbl_txt_join(const mxd_dns_answer *a)
{
    if (a->status != MXD_DNS_OK)
        return NULL;
    buf b;
    buf_init(&b, MXD_CHECK_TXT_MAX);
    for (size_t i = 0; i < a->n; i++) {
        const mxd_dns_rr *rr = &a->rr[i];
        if (rr->type != MXD_DNS_TXT || !rr->text)
            continue;
        if (b.len && buf_adds(&b, " / "))
            break;
        for (size_t k = 0; k < rr->len; k++) {
            unsigned char c = (unsigned char)rr->text[k];
            if (buf_addc(&b, c < 0x20 || c >= 0x7f ? ' ' : (char)c))
                break;
        }
        if (!b.ptr) /* over the cap: the buffer freed itself */
            break;
    }
    if (!b.ptr || !b.len) {
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b);
}

/* ---- the health probe ---------------------------------------------------------------------- */

/* Test entries of RFC 5782 section 5 (the IPv6 ones are the IPv4-mapped addresses). */
#define PROBE_V4_LISTED     "127.0.0.2"
#define PROBE_V4_UNLISTED   "127.0.0.1"
#define PROBE_V6_LISTED     "::ffff:127.0.0.2"
#define PROBE_V6_UNLISTED   "::ffff:127.0.0.1"
#define PROBE_NAME_LISTED   "TEST"
#define PROBE_NAME_UNLISTED "INVALID"

/* probe_label - the always-listed test entry of a list as shown, or NULL (none). */
static const char *probe_label(const mxd_kb *kb, const kb_dnsbl *bl)
{
    if (bl->test == KB_TEST_NONE)
        return NULL;
    if (bl->domain)
        return bl->test == KB_TEST_NAME ? kb_str(kb, bl->test_name) : PROBE_NAME_LISTED;
    return bl->ipv4 ? PROBE_V4_LISTED : PROBE_V6_LISTED;
}

/* name_under - "name.zone" in lower case into out; -1 when it is no valid DNS name. */
static int name_under(const char *name, const char *zone, char *out, size_t len)
{
    int n = snprintf(out, len, "%s.%s", name, zone);
    if (n < 0 || (size_t)n >= len || !mxd_dns_name_valid(out, (size_t)n))
        return -1;
    for (char *p = out; *p; p++)
        *p = (char)str_tolower((unsigned char)*p);
    return 0;
}

int dnsbl_probe_names(const mxd_kb *kb, const kb_dnsbl *bl, const char *zone, char *listed,
                      char *unlisted, size_t len, const char **listed_label,
                      const char **unlisted_label)
{
    const char *pos = probe_label(kb, bl);
    if (!pos)
        return 0;
    const char *neg = bl->domain ? PROBE_NAME_UNLISTED
                      : bl->ipv4 ? PROBE_V4_UNLISTED
                                 : PROBE_V6_UNLISTED;
    *listed_label = pos;
    *unlisted_label = neg;
    if (bl->domain)
        return name_under(pos, zone, listed, len) || name_under(neg, zone, unlisted, len) ? -1 : 1;
    return mxd_dns_reverse_name(pos, zone, listed, len) ||
                   mxd_dns_reverse_name(neg, zone, unlisted, len)
               ? -1
               : 1;
}

/* half_set - the state and reason of a probe half; the reason is printf'd. */
static mxd_err half_set(bl_half *h, int state, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static mxd_err half_set(bl_half *h, int state, const char *fmt, ...)
{
    char msg[BL_MEANING_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    h->state = state;
    free(h->why);
    h->why = str_dup_n(msg, strlen(msg));
    return h->why ? MXD_OK : MXD_ERR_NOMEM;
}

mxd_err dnsbl_probe_judge(const mxd_kb *kb, const kb_dnsbl *bl, const mxd_dns_answer *a, int which,
                          bl_half *h)
{
    const char *label = h->label ? h->label : "?";
    if (a->status != MXD_DNS_OK && a->status != MXD_DNS_NXDOMAIN && a->status != MXD_DNS_NODATA)
        return half_set(h, BL_HALF_UNKNOWN, "could not ask the list's test entry %s (%s)", label,
                        mxd_dns_status_name(a->status));
    mxd_bl_entry t;
    memset(&t, 0, sizeof t);
    mxd_err err = dnsbl_interpret(kb, bl, a, &t);
    if (err) {
        h->state = BL_HALF_UNKNOWN;
    } else if (t.result == MXD_BL_ERROR) {
        const char *m = t.error ? t.error : "";
        if (!strncmp(m, "error: ", 7)) /* the catalogue's meanings of error codes */
            m += 7;
        err = half_set(h, BL_HALF_FAILED, "the list's test entry %s got an error answer (%s)",
                       label, m);
    } else if (which == BL_PROBE_LISTED) {
        h->unanswered = t.result != MXD_BL_LISTED;
        if (t.result == MXD_BL_LISTED)
            h->state = BL_HALF_OK;
        else
            err = half_set(h, BL_HALF_FAILED,
                           "list did not answer its test entry %s (resolver blocked or list dead)",
                           label);
    } else {
        if (t.result == MXD_BL_CLEAN)
            h->state = BL_HALF_OK;
        else
            err = half_set(h, BL_HALF_FAILED, "list answers for every %s (%s listed)",
                           bl->domain ? "name" : "address", label);
    }
    strv_free(t.codes, t.ncodes);
    strv_free(t.meanings, t.ncodes);
    free(t.error);
    return err;
}

mxd_err dnsbl_probe_apply(mxd_bl_entry *e, const bl_half *listed, const bl_half *unlisted)
{
    const bl_half *h[2] = {listed, unlisted};
    const bl_half *bad = NULL;
    for (int want = BL_HALF_FAILED; want <= BL_HALF_UNKNOWN && !bad; want++)
        for (int i = 0; i < 2 && !bad; i++)
            if (h[i]->state == want || (want == BL_HALF_UNKNOWN && h[i]->state == BL_HALF_WAIT))
                bad = h[i];
    if (!bad) {
        e->probe = MXD_BL_PROBE_PASSED;
        return MXD_OK;
    }
    e->probe = bad->state == BL_HALF_FAILED ? MXD_BL_PROBE_FAILED : MXD_BL_PROBE_UNKNOWN;
    if (e->result == MXD_BL_ERROR && e->error)
        return MXD_OK; /* the list's own answer already says what is wrong */
    strv_free(e->codes, e->ncodes);
    strv_free(e->meanings, e->ncodes);
    e->codes = e->meanings = NULL;
    e->ncodes = 0;
    free(e->txt);
    e->txt = NULL;
    free(e->error);
    e->result = MXD_BL_ERROR;
    const char *why = bad->why ? bad->why : "the list's test entry was not asked";
    e->error = str_dup_n(why, strlen(why));
    return e->error ? MXD_OK : MXD_ERR_NOMEM;
}

int mxd_dnsbl_info(const mxd_kb *kb, size_t i, mxd_bl_info *out)
{
    if (!kb || !out || i >= kb->ndnsbls)
        return -1;
    const kb_dnsbl *b = &kb->dnsbls[i];
    out->id = kb_str(kb, b->id);
    out->name = kb_str(kb, b->name);
    out->zone = kb_str(kb, b->zone);
    out->domain = b->domain;
    out->ipv4 = b->ipv4;
    out->ipv6 = b->ipv6;
    out->on = b->on;
    out->key = kb_str(kb, b->key);
    out->key_zone = kb_str(kb, b->key_zone);
    out->dqs = out->key && !strcmp(out->key, "spamhaus") ? out->key_zone : NULL;
    out->key_required = b->key_required;
    out->policy = kb_str(kb, b->policy);
    out->delist = kb_str(kb, b->delist);
    out->source = kb_str(kb, b->source);
    out->test = probe_label(kb, b);
    return 0;
}

/* ---- choosing lists and asking them ------------------------------------------------------ */

static int list_fits(const kb_dnsbl *bl, int domain, int family)
{
    if (bl->domain != domain)
        return 0;
    return domain || (family == 4 ? bl->ipv4 : bl->ipv6);
}

static int key_valid(const char *k)
{
    size_t l = strlen(k);
    if (l == 0 || l > CHECK_KEY_MAX)
        return 0;
    for (size_t i = 0; i < l; i++)
        if (!str_isalnum((unsigned char)k[i]))
            return 0;
    return 1;
}

/* The key the options give for a list's kind of key ("spamhaus", "abusix"), or NULL. */
static const char *list_key(const mxd_kb *kb, const mxd_check_opts *opts, const kb_dnsbl *bl)
{
    if (!opts || !bl->key)
        return NULL;
    if (!strcmp(kb_str(kb, bl->key), "spamhaus"))
        return opts->spamhaus_key;
    if (!strcmp(kb_str(kb, bl->key), "abusix"))
        return opts->abusix_key;
    return NULL;
}

/* select_lists - the lists to ask, into br->lists / br->n. The default selection leaves out a
 * list that cannot be asked without a key the options do not give; 'all' and a list named
 * keep it (it is then reported as not asked). */
static mxd_err select_lists(bl_run *br, const mxd_kb *kb, const mxd_check_opts *opts,
                            const char *lists, int domain, int family, size_t *skip, char *why,
                            size_t whylen)
{
    br->lists = calloc(kb->ndnsbls ? kb->ndnsbls : 1, sizeof *br->lists);
    if (!br->lists)
        return MXD_ERR_NOMEM;
    if (!lists || !strcmp(lists, "all") || !strcmp(lists, "default")) {
        int all = lists && !strcmp(lists, "all");
        for (size_t i = 0; i < kb->ndnsbls; i++) {
            const kb_dnsbl *bl = &kb->dnsbls[i];
            if (!list_fits(bl, domain, family))
                continue;
            if (all || (bl->on && (!bl->key_required || list_key(kb, opts, bl))))
                br->lists[br->n++] = bl;
        }
        return MXD_OK;
    }
    const char *p = lists;
    for (;;) {
        size_t l = strcspn(p, ",");
        const char *s = p;
        size_t sl = l;
        while (sl && str_isspace((unsigned char)*s))
            s++, sl--;
        while (sl && str_isspace((unsigned char)s[sl - 1]))
            sl--;
        if (sl) {
            const kb_dnsbl *bl = kb_find_dnsbl(kb, s, sl);
            if (!bl)
                return str_invalid(why, whylen, "unknown blocklist '%.*s' (see data/dnsbl.tsv)",
                                   (int)sl, s);
            if (bl->domain != domain)
                return str_invalid(why, whylen,
                                   domain ? "blocklist '%.*s' lists IP addresses, not domains"
                                          : "blocklist '%.*s' lists domains, not IP addresses",
                                   (int)sl, s);
            int dup = 0;
            for (size_t k = 0; k < br->n; k++)
                dup |= br->lists[k] == bl;
            if (dup)
                ;
            else if (list_fits(bl, domain, family))
                br->lists[br->n++] = bl;
            else
                (*skip)++;
        }
        if (!p[l])
            break;
        p += l + 1;
    }
    return MXD_OK;
}

mxd_err bl_run_prepare(bl_run *br, const mxd_kb *kb, const mxd_check_opts *opts, int domain,
                       int family, const char *target, size_t *explicit_skip, char *why,
                       size_t whylen)
{
    memset(br, 0, sizeof *br);
    br->kb = kb;
    *explicit_skip = 0;
    if (opts && opts->spamhaus_key && !key_valid(opts->spamhaus_key))
        return str_invalid(why, whylen, "the Spamhaus DQS key must be 1 to %d letters and digits",
                           CHECK_KEY_MAX);
    if (opts && opts->abusix_key && !key_valid(opts->abusix_key))
        return str_invalid(
            why, whylen, "the Abusix Mail Intelligence API key must be 1 to %d letters and digits",
            CHECK_KEY_MAX);
    mxd_err e = select_lists(br, kb, opts, opts ? opts->lists : NULL, domain, family, explicit_skip,
                             why, whylen);
    if (e)
        return e;
    br->no_txt = opts ? opts->no_txt : 0;
    br->no_probe = opts ? opts->no_probe : 0;
    size_t n = br->n ? br->n : 1;
    br->e = calloc(n, sizeof *br->e);
    br->qnames = calloc(n, sizeof *br->qnames);
    br->slots = calloc(n, sizeof *br->slots);
    br->pnames = calloc(2 * n, sizeof *br->pnames);
    br->halves = calloc(2 * n, sizeof *br->halves);
    br->pslots = calloc(2 * n, sizeof *br->pslots);
    if (!br->e || !br->qnames || !br->slots || !br->pnames || !br->halves || !br->pslots)
        return MXD_ERR_NOMEM;
    for (size_t i = 0; i < br->n; i++) {
        const kb_dnsbl *bl = br->lists[i];
        char zone[CHECK_QNAME_MAX];
        const char *blzone = kb_str(kb, bl->zone), *key_zone = kb_str(kb, bl->key_zone);
        const char *shown = blzone;
        const char *key = list_key(kb, opts, bl);
        br->e[i].id = kb_str(kb, bl->id);
        br->e[i].name = kb_str(kb, bl->name);
        br->e[i].delist = kb_str(kb, bl->delist);
        br->e[i].policy = kb_str(kb, bl->policy);
        if (key && key_zone) {
            snprintf(zone, sizeof zone, "%s.%s", key, key_zone + 4);
            shown = key_zone + 4;
        } else if (bl->key_required) {
            /* no keyless zone: not asked, and never clean */
            const char *kind = kb_str(kb, bl->key);
            char msg[160];
            snprintf(msg, sizeof msg, "not asked: no %s given (--%s-key)",
                     kb_key_title(kind, strlen(kind)), kind);
            br->e[i].result = MXD_BL_ERROR;
            br->e[i].error = str_dup_n(msg, strlen(msg));
            br->e[i].zone = str_dup_n(blzone + 4, strlen(blzone + 4));
            br->e[i].probe = MXD_BL_PROBE_OFF;
            if (!br->e[i].error || !br->e[i].zone)
                return MXD_ERR_NOMEM;
            continue;
        } else {
            snprintf(zone, sizeof zone, "%s", blzone);
        }
        char q[CHECK_QNAME_MAX];
        if (domain) {
            size_t tl = strlen(target);
            while (tl && target[tl - 1] == '.')
                tl--;
            size_t zl = strlen(zone);
            if (tl + 1 + zl >= sizeof q)
                return str_invalid(why, whylen, "'%.*s' is too long to ask a blocklist about",
                                   (int)tl, target);
            memcpy(q, target, tl);
            q[tl] = '.';
            memcpy(q + tl + 1, zone, zl + 1);
            if (!mxd_dns_name_valid(q, strlen(q)))
                return str_invalid(why, whylen, "'%.*s' is too long to ask a blocklist about",
                                   (int)tl, target);
        } else if (mxd_dns_reverse_name(target, zone, q, sizeof q)) {
            return str_invalid(why, whylen, "'%s' is not an IP address", target);
        }
        br->qnames[i] = str_dup_n(q, strlen(q));
        br->e[i].zone = str_dup_n(shown, strlen(shown));
        if (!br->qnames[i] || !br->e[i].zone)
            return MXD_ERR_NOMEM;
        br->slots[i].run = br;
        br->slots[i].idx = i;
        br->e[i].probe = br->no_probe ? MXD_BL_PROBE_OFF : MXD_BL_PROBE_NONE;
        if (br->no_probe)
            continue;
        char pq[2][CHECK_QNAME_MAX];
        int has = dnsbl_probe_names(kb, bl, zone, pq[0], pq[1], sizeof pq[0],
                                    &br->halves[2 * i].label, &br->halves[2 * i + 1].label);
        if (has < 0)
            return str_invalid(why, whylen,
                               "the test entries of blocklist '%s' are too long to ask",
                               kb_str(kb, bl->id));
        for (size_t k = 0; has && k < 2; k++) {
            br->pnames[2 * i + k] = str_dup_n(pq[k], strlen(pq[k]));
            if (!br->pnames[2 * i + k])
                return MXD_ERR_NOMEM;
            br->pslots[2 * i + k].run = br;
            br->pslots[2 * i + k].idx = 2 * i + k;
        }
    }
    return MXD_OK;
}

static void set_error(mxd_bl_entry *e, const char *msg)
{
    e->result = MXD_BL_ERROR;
    if (!e->error)
        e->error = str_dup_n(msg, strlen(msg));
}

static void on_txt(void *arg, const mxd_dns_answer *a)
{
    bl_slot *s = arg;
    mxd_bl_entry *e = &s->run->e[s->idx];
    if (!e->txt)
        e->txt = dnsbl_txt_join(a);
    task_done(s->run->task);
}

static void on_a(void *arg, const mxd_dns_answer *a)
{
    bl_slot *s = arg;
    bl_run *br = s->run;
    mxd_bl_entry *e = &br->e[s->idx];
    if (dnsbl_interpret(br->kb, br->lists[s->idx], a, e))
        set_error(e, "out of memory");
    if (e->result == MXD_BL_LISTED && !br->no_txt &&
        mxd_dns_submit(br->r, br->qnames[s->idx], MXD_DNS_TXT, on_txt, s) == MXD_OK)
        br->task->pending++;
    task_done(br->task);
}

static void on_probe(void *arg, const mxd_dns_answer *a)
{
    bl_slot *s = arg;
    bl_run *br = s->run;
    bl_half *h = &br->halves[s->idx];
    if (h->state == BL_HALF_WAIT)
        dnsbl_probe_judge(br->kb, br->lists[s->idx / 2], a, (int)(s->idx % 2), h);
    task_done(br->task);
}

static const char *submit_error(mxd_err e)
{
    return e == MXD_ERR_TOOBIG ? "too many DNS queries in one run" : mxd_strerror(e);
}

void bl_run_submit(bl_run *br, mxd_resolver *r, check_task *task)
{
    br->r = r;
    br->task = task;
    for (size_t i = 0; i < br->n; i++) {
        if (!br->qnames[i])
            continue; /* not asked (its key is missing): the entry already says so */
        mxd_err e = mxd_dns_submit(r, br->qnames[i], MXD_DNS_A, on_a, &br->slots[i]);
        if (e)
            set_error(&br->e[i], submit_error(e));
        else
            task->pending++;
        for (size_t k = 2 * i; k < 2 * i + 2; k++) {
            if (!br->pnames[k])
                continue;
            e = mxd_dns_submit(r, br->pnames[k], MXD_DNS_A, on_probe, &br->pslots[k]);
            if (e)
                half_set(&br->halves[k], BL_HALF_UNKNOWN,
                         "could not ask the list's test entry %s (%s)", br->halves[k].label,
                         submit_error(e));
            else
                task->pending++;
        }
    }
}

static void entry_clear(mxd_bl_entry *e)
{
    strv_free(e->codes, e->ncodes);
    strv_free(e->meanings, e->ncodes);
    free(e->zone);
    free(e->txt);
    free(e->error);
}

static int rank(mxd_bl_result r)
{
    return r == MXD_BL_LISTED ? 0 : r == MXD_BL_ERROR ? 1 : 2;
}

/* probe_scratch_free - the test-entry names, halves and slots (not needed after finish). */
static void probe_scratch_free(bl_run *br)
{
    if (br->halves)
        for (size_t k = 0; k < 2 * br->n; k++)
            free(br->halves[k].why);
    free(br->halves);
    br->halves = NULL;
    if (br->pnames)
        strv_free(br->pnames, 2 * br->n);
    br->pnames = NULL;
    free(br->pslots);
    br->pslots = NULL;
}

void bl_run_finish(bl_run *br, size_t *listed, size_t *errors, size_t *clean)
{
    *listed = *errors = *clean = 0;
    br->probe_failed = br->probe_unanswered = 0;
    for (size_t i = 0; i < br->n; i++) {
        if (!br->pnames[2 * i])
            continue; /* not probed: off, or the list has no test entry */
        int was_error = br->e[i].result == MXD_BL_ERROR;
        if (dnsbl_probe_apply(&br->e[i], &br->halves[2 * i], &br->halves[2 * i + 1]))
            set_error(&br->e[i], "out of memory");
        if (!was_error && br->e[i].result == MXD_BL_ERROR) {
            br->probe_failed++;
            br->probe_unanswered += br->halves[2 * i].unanswered;
        }
    }
    probe_scratch_free(br);
    for (size_t i = 0; i < br->n; i++) {
        if (br->e[i].result == MXD_BL_LISTED)
            (*listed)++;
        else if (br->e[i].result == MXD_BL_ERROR)
            (*errors)++;
        else
            (*clean)++;
    }
    /* stable insertion sort: listed, then errors, then clean */
    for (size_t i = 1; i < br->n; i++) {
        mxd_bl_entry t = br->e[i];
        size_t j = i;
        while (j > 0 && rank(br->e[j - 1].result) > rank(t.result)) {
            br->e[j] = br->e[j - 1];
            j--;
        }
        br->e[j] = t;
    }
    strv_free(br->qnames, br->n);
    br->qnames = NULL;
    free(br->lists);
    br->lists = NULL;
    free(br->slots);
    br->slots = NULL;
}

void bl_run_free(bl_run *br)
{
    if (br->e)
        for (size_t i = 0; i < br->n; i++)
            entry_clear(&br->e[i]);
    free(br->e);
    strv_free(br->qnames, br->n);
    probe_scratch_free(br);
    free(br->lists);
    free(br->slots);
    memset(br, 0, sizeof *br);
}

json_t *bl_entries_json(const mxd_bl_entry *e, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "id", check_jstr(e[i].id));
        json_object_set_new(o, "name", check_jstr(e[i].name));
        json_object_set_new(o, "zone", check_jstr(e[i].zone));
        json_object_set_new(o, "result", json_string(mxd_bl_result_name(e[i].result)));
        json_object_set_new(o, "codes", check_jstrv(e[i].codes, e[i].ncodes));
        json_object_set_new(o, "meaning", check_jstrv(e[i].meanings, e[i].ncodes));
        json_object_set_new(o, "txt", check_jstr(e[i].txt));
        json_object_set_new(o, "delist", check_jstr(e[i].delist));
        json_object_set_new(o, "error", check_jstr(e[i].error));
        json_object_set_new(o, "probe", json_string(mxd_bl_probe_name(e[i].probe)));
        json_array_append_new(a, o);
    }
    return a;
}

/* ---- domain blocklists ------------------------------------------------------------------ */

typedef struct domain_job {
    mxd_domain_bl_report rep; /* first: the public part */
    check_task task;
    bl_run bl;
} domain_job;

static void domain_finish(check_task *t)
{
    domain_job *j = (domain_job *)((char *)t - offsetof(domain_job, task));
    bl_run_finish(&j->bl, &j->rep.listed, &j->rep.errors, &j->rep.clean);
    j->rep.dnsbl = j->bl.e;
    j->rep.ndnsbl = j->bl.n;
}

mxd_err mxd_domain_bl_submit(mxd_resolver *r, const mxd_kb *kb, const char *domain,
                             const mxd_check_opts *opts, mxd_domain_bl_report **out, char *why,
                             size_t whylen)
{
    if (why && whylen)
        why[0] = 0;
    if (!r || !kb || !out)
        return MXD_ERR_INVALID;
    *out = NULL;
    if (!mxd_domain_valid(domain))
        return str_invalid(why, whylen, "'%s' is not a domain name", domain ? domain : "");
    domain_job *j = calloc(1, sizeof *j);
    if (!j)
        return MXD_ERR_NOMEM;
    snprintf(j->rep.domain, sizeof j->rep.domain, "%s", domain);
    size_t skip;
    mxd_err e = bl_run_prepare(&j->bl, kb, opts, 1, 0, domain, &skip, why, whylen);
    if (e) {
        bl_run_free(&j->bl);
        free(j);
        return e;
    }
    j->task.finish = domain_finish;
    j->task.pending = 1; /* held until everything is queued */
    bl_run_submit(&j->bl, r, &j->task);
    task_done(&j->task);
    *out = &j->rep;
    return MXD_OK;
}

void mxd_domain_bl_report_free(mxd_domain_bl_report *rep)
{
    if (!rep)
        return;
    domain_job *j = (domain_job *)rep;
    bl_run_free(&j->bl);
    free(j);
}

char *mxd_domain_bl_report_json(const mxd_domain_bl_report *rep, int pretty)
{
    if (!rep)
        return NULL;
    json_t *o = json_object();
    json_object_set_new(o, "domain", check_jstr(rep->domain));
    json_object_set_new(o, "dnsbl", bl_entries_json(rep->dnsbl, rep->ndnsbl));
    json_object_set_new(o, "listed", json_integer((json_int_t)rep->listed));
    json_object_set_new(o, "errors", json_integer((json_int_t)rep->errors));
    json_object_set_new(o, "clean", json_integer((json_int_t)rep->clean));
    return check_dump(o, pretty);
}
