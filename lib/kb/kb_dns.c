/* kb_dns.c - knowledge for the DNS checks: blocklists, public resolvers, generic PTR words
 * SPDX-License-Identifier: MIT
 *
 * Rows of data/dnsbl.tsv, data/public-resolvers.tsv, data/rdns-generic.tsv and
 * data/provider-outbound.tsv (format in
 * data/README.md), and the lookups over them. A blocklist's return codes are written
 *   SPEC=MEANING;SPEC=MEANING...
 * where SPEC is an address (127.0.0.2), a range of the last octet (127.0.0.4-7) or a bit mask
 * on the last octet (127.0.0.&8: the answer is in 127.0.0.0/24 and has bit 8 set).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include "kb/kb_internal.h"
#include "util/str.h"

#define KB_MAX_CODES 64 /* return-code entries of one list */
#define KB_ADDR_TEXT 64

/* parse_octet - a decimal 0-255 without a leading zero. */
static int parse_octet(const char *s, size_t len, unsigned char *out)
{
    unsigned long v;
    if (len == 0 || len > 3 || (len > 1 && s[0] == '0') || str_parse_uint(s, len, 255, &v))
        return -1;
    *out = (unsigned char)v;
    return 0;
}

/* parse_spec - one SPEC into c (kind, a, hi). */
static int parse_spec(const char *s, size_t len, kb_code *c)
{
    const char *p = s, *end = s + len;
    for (int i = 0; i < 3; i++) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        if (!dot || parse_octet(p, (size_t)(dot - p), &c->a[i]))
            return -1;
        p = dot + 1;
    }
    if (p < end && *p == '&') {
        c->kind = KB_CODE_MASK;
        c->a[3] = 0;
        return parse_octet(p + 1, (size_t)(end - p - 1), &c->hi) || c->hi == 0 ? -1 : 0;
    }
    const char *dash = memchr(p, '-', (size_t)(end - p));
    if (parse_octet(p, (size_t)((dash ? dash : end) - p), &c->a[3]))
        return -1;
    if (!dash) {
        c->kind = KB_CODE_EXACT;
        c->hi = c->a[3];
        return 0;
    }
    c->kind = KB_CODE_RANGE;
    if (parse_octet(dash + 1, (size_t)(end - dash - 1), &c->hi) || c->hi < c->a[3])
        return -1;
    return 0;
}

/* parse_codes - "SPEC=MEANING;..." appended to kb->codes: *first, *n. */
static mxd_err parse_codes(parse_ctx *pc, const char *what, const char *s, size_t len,
                           uint32_t *first, uint32_t *n)
{
    kb_code tmp[KB_MAX_CODES];
    size_t k = 0;
    const char *p = s, *end = s + len;
    *first = (uint32_t)pc->kb->ncodes;
    *n = 0;
    if (len == 0)
        return MXD_OK;
    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *e = semi ? semi : end;
        const char *eq = memchr(p, '=', (size_t)(e - p));
        if (k == KB_MAX_CODES)
            return kb_fail(pc, "%s: more than %d entries", what, KB_MAX_CODES);
        if (!eq || eq == p || eq + 1 == e)
            return kb_fail(pc, "%s: '%.*s' is not SPEC=MEANING", what, (int)(e - p), p);
        memset(&tmp[k], 0, sizeof tmp[k]);
        if (parse_spec(p, (size_t)(eq - p), &tmp[k]))
            return kb_fail(pc, "%s: bad code '%.*s' (want a.b.c.d, a.b.c.d-e or a.b.c.&bits)", what,
                           (int)(eq - p), p);
        tmp[k].meaning = kb_strn(pc->kb, eq + 1, (size_t)(e - eq - 1));
        if (!tmp[k].meaning)
            return MXD_ERR_NOMEM;
        k++;
        p = semi ? semi + 1 : end;
    }
    for (size_t i = 0; i < k; i++) {
        mxd_err e = kb_push((void **)&pc->kb->codes, &pc->kb->ncodes, sizeof *tmp, &tmp[i]);
        if (e)
            return e;
    }
    *n = (uint32_t)k;
    return MXD_OK;
}

/* valid_zone - a DNS zone name: letters, digits, hyphens, underscores, non-empty labels. */
static int valid_zone(const char *s, size_t len)
{
    if (len == 0 || len > 200 || s[0] == '.' || s[len - 1] == '.')
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!str_isalnum(c) && c != '-' && c != '.' && c != '_')
            return 0;
        if (c == '.' && s[i + 1] == '.')
            return 0;
    }
    return 1;
}

/* The kinds of key a list can take (the `key` column) and what each is called. */
static const struct {
    const char *kind, *title;
} key_kinds[] = {
    {"spamhaus", "Spamhaus DQS key"},
    {"abusix", "Abusix Mail Intelligence API key"},
};

const char *kb_key_title(const char *kind, size_t len)
{
    for (size_t i = 0; i < sizeof key_kinds / sizeof *key_kinds; i++)
        if (strlen(key_kinds[i].kind) == len && !memcmp(key_kinds[i].kind, kind, len))
            return key_kinds[i].title;
    return NULL;
}

static int is_key_zone(const char *s, size_t len)
{
    return len > 4 && !memcmp(s, "KEY.", 4) && valid_zone(s + 4, len - 4);
}

/* parse_key - the `key` column: '-', KIND (the zone itself is KEY.zone: no keyless zone) or
 * KIND:KEY.zone (asked instead of the zone when the key is given). */
static mxd_err parse_key(parse_ctx *pc, const char *zone, size_t zlen, const char *s, size_t len,
                         kb_dnsbl *b)
{
    int zone_keyed = zlen > 4 && !memcmp(zone, "KEY.", 4);
    if (!len) {
        if (zone_keyed)
            return kb_fail(pc, "zone '%.*s' needs a key: name its kind in the key column",
                           (int)zlen, zone);
        return MXD_OK;
    }
    const char *colon = memchr(s, ':', len);
    size_t kl = colon ? (size_t)(colon - s) : len;
    if (!kb_key_title(s, kl))
        return kb_fail(pc, "key: unknown kind '%.*s' (spamhaus or abusix)", (int)kl, s);
    if (colon) {
        if (zone_keyed)
            return kb_fail(pc, "key: the zone is already KEY.zone; write the kind alone");
        if (!is_key_zone(colon + 1, len - kl - 1))
            return kb_fail(pc, "key must be '-', KIND or KIND:KEY.zone");
        b->key_zone = kb_strn(pc->kb, colon + 1, len - kl - 1);
    } else {
        if (!zone_keyed)
            return kb_fail(pc,
                           "key: a bare kind needs a zone written KEY.zone; else KIND:KEY.zone");
        b->key_required = 1;
    }
    b->key = kb_strn(pc->kb, s, kl);
    return MXD_OK;
}

#define S(i) kb_strn(pc->kb, col[i], clen[i])

mxd_err kb_row_dnsbl(parse_ctx *pc, const char **col, const size_t *clen)
{
    mxd_kb *kb = pc->kb;
    kb_dnsbl b;
    memset(&b, 0, sizeof b);
    if (!clen[0] || !clen[1] || !clen[2] || !clen[9] || !clen[12])
        return kb_fail(pc, "id, name, zone, policy and source are required");
    for (size_t i = 0; i < clen[0]; i++)
        if (!str_isalnum((unsigned char)col[0][i]) && col[0][i] != '-')
            return kb_fail(pc, "list id '%.*s': use a-z, 0-9 and '-'", (int)clen[0], col[0]);
    if (kb_find_dnsbl(kb, col[0], clen[0]))
        return kb_fail(pc, "duplicate list id '%.*s'", (int)clen[0], col[0]);
    if (!valid_zone(col[2], clen[2]))
        return kb_fail(pc, "bad zone '%.*s'", (int)clen[2], col[2]);
    if (str_caseeq(col[3], clen[3], "ip"))
        b.domain = 0;
    else if (str_caseeq(col[3], clen[3], "domain"))
        b.domain = 1;
    else
        return kb_fail(pc, "type must be ip or domain");
    if (b.domain) {
        if (clen[4])
            return kb_fail(pc, "ipv must be '-' for a domain list");
    } else if (str_caseeq(col[4], clen[4], "4")) {
        b.ipv4 = 1;
    } else if (str_caseeq(col[4], clen[4], "6")) {
        b.ipv6 = 1;
    } else if (str_caseeq(col[4], clen[4], "4+6")) {
        b.ipv4 = b.ipv6 = 1;
    } else {
        return kb_fail(pc, "ipv must be 4, 6 or 4+6 for an IP list");
    }
    if (!clen[5])
        return kb_fail(pc, "a list needs at least one listing code");
    mxd_err e = parse_codes(pc, "codes", col[5], clen[5], &b.codes, &b.ncodes);
    if (!e)
        e = parse_codes(pc, "errors", col[6], clen[6], &b.errors, &b.nerrors);
    if (e)
        return e;
    if (str_caseeq(col[7], clen[7], "yes"))
        b.on = 1;
    else if (!str_caseeq(col[7], clen[7], "no"))
        return kb_fail(pc, "default must be yes or no");
    mxd_err ke = parse_key(pc, col[2], clen[2], col[8], clen[8], &b);
    if (ke)
        return ke;
    if (str_caseeq(col[11], clen[11], "rfc5782")) {
        b.test = KB_TEST_RFC5782;
    } else if (str_caseeq(col[11], clen[11], "none")) {
        b.test = KB_TEST_NONE;
    } else if (b.domain && valid_zone(col[11], clen[11]) && memchr(col[11], '.', clen[11])) {
        b.test = KB_TEST_NAME;
    } else {
        return kb_fail(pc, b.domain ? "test must be rfc5782, none or a domain name"
                                    : "test must be rfc5782 or none for an IP list");
    }
    b.id = S(0);
    b.name = S(1);
    b.zone = S(2);
    b.policy = S(9);
    b.delist = clen[10] ? S(10) : 0;
    b.test_name = b.test == KB_TEST_NAME ? S(11) : 0;
    b.source = S(12);
    if (b.key_required)
        b.key_zone = b.zone;
    if (!b.id || !b.name || !b.zone || !b.policy || !b.source || (clen[8] && !b.key) ||
        (clen[8] && !b.key_zone) || (b.test == KB_TEST_NAME && !b.test_name) ||
        (clen[10] && !b.delist))
        return MXD_ERR_NOMEM;
    return kb_push((void **)&kb->dnsbls, &kb->ndnsbls, sizeof *kb->dnsbls, &b);
}

mxd_err kb_row_pubres(parse_ctx *pc, const char **col, const size_t *clen)
{
    mxd_kb *kb = pc->kb;
    kb_pubres r;
    memset(&r, 0, sizeof r);
    char a[KB_ADDR_TEXT];
    if (!clen[0] || !clen[1] || !clen[2])
        return kb_fail(pc, "address, operator and source are required");
    if (clen[0] >= sizeof a)
        return kb_fail(pc, "address too long");
    memcpy(a, col[0], clen[0]);
    a[clen[0]] = 0;
    if (inet_pton(AF_INET, a, r.addr) == 1)
        r.family = 4;
    else if (inet_pton(AF_INET6, a, r.addr) == 1)
        r.family = 6;
    else
        return kb_fail(pc, "'%s' is not an IP address", a);
    r.op = S(1);
    if (!r.op)
        return MXD_ERR_NOMEM;
    return kb_push((void **)&kb->pubres, &kb->npubres, sizeof *kb->pubres, &r);
}

mxd_err kb_row_rdnsword(parse_ctx *pc, const char **col, const size_t *clen)
{
    mxd_kb *kb = pc->kb;
    if (!clen[0] || !clen[1] || !clen[2])
        return kb_fail(pc, "keyword, meaning and source are required");
    for (size_t i = 0; i < clen[0]; i++)
        if (col[0][i] < 'a' || col[0][i] > 'z')
            return kb_fail(pc, "keyword '%.*s': use lower-case letters only", (int)clen[0], col[0]);
    kb_rdnsword w = {S(0), S(1)};
    if (!w.word || !w.meaning)
        return MXD_ERR_NOMEM;
    return kb_push((void **)&kb->rdnswords, &kb->nrdnswords, sizeof *kb->rdnswords, &w);
}

mxd_err kb_row_outbound(parse_ctx *pc, const char **col, const size_t *clen)
{
    mxd_kb *kb = pc->kb;
    kb_outbound o;
    memset(&o, 0, sizeof o);
    if (!clen[0] || !clen[1] || !clen[2] || !clen[3])
        return kb_fail(pc, "kind, pattern, provider and source are required");
    if (str_caseeq(col[0], clen[0], "cidr")) {
        const char *slash = memchr(col[1], '/', clen[1]);
        if (!slash || cidr_parse_ip(col[1], (size_t)(slash - col[1]), &o.net))
            return kb_fail(pc, "'%.*s' is not an address range a.b.c.d/n or v6/n", (int)clen[1],
                           col[1]);
        size_t pl = clen[1] - (size_t)(slash + 1 - col[1]);
        if (cidr_parse_prefix(slash + 1, pl, o.net.family == 4 ? 32 : 128, &o.prefix) ||
            o.prefix < 8)
            return kb_fail(pc, "bad prefix length in '%.*s' (8 to the address width)", (int)clen[1],
                           col[1]);
        o.kind = KB_OUT_CIDR;
    } else if (str_caseeq(col[0], clen[0], "ptr")) {
        if (clen[1] < 4 || col[1][0] != '*' || col[1][1] != '.')
            return kb_fail(pc, "a ptr pattern is *.domain, not '%.*s'", (int)clen[1], col[1]);
        o.kind = KB_OUT_PTR;
    } else {
        return kb_fail(pc, "kind must be cidr or ptr");
    }
    o.pattern = S(1);
    o.provider = S(2);
    if (!o.pattern || !o.provider)
        return MXD_ERR_NOMEM;
    if (!kb_find_provider(kb, kb_str(kb, o.provider)))
        return kb_fail(pc, "unknown provider '%s'", kb_str(kb, o.provider));
    return kb_push((void **)&kb->outbound, &kb->noutbound, sizeof *kb->outbound, &o);
}

const kb_outbound *kb_outbound_for_ip(const mxd_kb *kb, const char *ip)
{
    cidr_addr a;
    if (!kb || !ip || cidr_parse_ip(ip, strlen(ip), &a))
        return NULL;
    cidr_unmap(&a);
    for (size_t i = 0; i < kb->noutbound; i++)
        if (kb->outbound[i].kind == KB_OUT_CIDR && kb->outbound[i].net.family == a.family &&
            cidr_match(&a, &kb->outbound[i].net, kb->outbound[i].prefix))
            return &kb->outbound[i];
    return NULL;
}

const kb_outbound *kb_outbound_for_ptr(const mxd_kb *kb, const char *name)
{
    if (!kb || !name)
        return NULL;
    size_t n = strlen(name);
    while (n && name[n - 1] == '.')
        n--;
    for (size_t i = 0; i < kb->noutbound; i++)
        if (kb->outbound[i].kind == KB_OUT_PTR &&
            str_glob_match(name, n, kb_str(kb, kb->outbound[i].pattern)))
            return &kb->outbound[i];
    return NULL;
}

const kb_dnsbl *kb_find_dnsbl(const mxd_kb *kb, const char *id, size_t len)
{
    for (size_t i = 0; i < kb->ndnsbls; i++)
        if (strlen(kb_str(kb, kb->dnsbls[i].id)) == len &&
            str_caseeq(id, len, kb_str(kb, kb->dnsbls[i].id)))
            return &kb->dnsbls[i];
    return NULL;
}

const char *mxd_kb_public_resolver(const mxd_kb *kb, const char *addr)
{
    unsigned char b[16];
    int fam;
    if (!kb || !addr)
        return NULL;
    if (inet_pton(AF_INET, addr, b) == 1)
        fam = 4;
    else if (inet_pton(AF_INET6, addr, b) == 1)
        fam = 6;
    else
        return NULL;
    for (size_t i = 0; i < kb->npubres; i++)
        if (kb->pubres[i].family == fam && !memcmp(kb->pubres[i].addr, b, fam == 4 ? 4 : 16))
            return kb_str(kb, kb->pubres[i].op);
    return NULL;
}
