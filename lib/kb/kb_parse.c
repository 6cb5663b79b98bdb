/* kb_parse.c - parse the knowledge-base data files (data/ TSV tables and the rules files)
 * SPDX-License-Identifier: MIT
 *
 * The same code validates the files at build time (tools/kbgen) and loads them at run time,
 * so a file the build accepted always loads. Every string the tables keep is copied into the
 * kb's pool; the tables hold offsets in it (kb_internal.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kb/kb_internal.h"
#include "util/match.h"
#include "util/str.h"

#define KB_POOL_FIRST 65536 /* bytes of a loaded kb's first pool */

kb_off kb_strn(mxd_kb *kb, const char *s, size_t len)
{
    /* s may lie in the pool, which growing moves */
    int inside = kb->pool && s >= kb->pool && s < kb->pool + kb->npool;
    size_t at = inside ? (size_t)(s - kb->pool) : 0;
    if (!kb->npool) {
        kb->pool = malloc(KB_POOL_FIRST);
        if (!kb->pool)
            return 0;
        kb->poolcap = KB_POOL_FIRST;
        kb->pool[0] = 0; /* offset 0: no string */
        kb->npool = 1;
    }
    if (len >= UINT32_MAX - kb->npool)
        return 0;
    if (kb->poolcap - kb->npool < len + 1) {
        size_t cap = kb->poolcap;
        while (cap - kb->npool < len + 1)
            cap *= 2;
        char *p = realloc(kb->pool, cap);
        if (!p)
            return 0;
        kb->pool = p;
        kb->poolcap = cap;
        if (inside)
            s = p + at;
    }
    kb_off off = (kb_off)kb->npool;
    memcpy(kb->pool + off, s, len);
    kb->pool[off + len] = 0;
    kb->npool += len + 1;
    return off;
}

#define KB_TABLE_STEP 64

/* kb_push - append one element of size bytes to a kb table (malloc'ed, grown by
 * KB_TABLE_STEP elements); *n counts the elements. */
mxd_err kb_push(void **arr, size_t *n, size_t size, const void *item)
{
    if (*n % KB_TABLE_STEP == 0) {
        void *p = realloc(*arr, (*n + KB_TABLE_STEP) * size);
        if (!p)
            return MXD_ERR_NOMEM;
        *arr = p;
    }
    memcpy((char *)*arr + *n * size, item, size);
    (*n)++;
    return MXD_OK;
}

mxd_err kb_push_list(mxd_kb *kb, const kb_off *v, size_t n, uint32_t *first)
{
    if (kb->nlists + n >= UINT32_MAX)
        return MXD_ERR_TOOBIG;
    *first = (uint32_t)kb->nlists;
    for (size_t i = 0; i < n; i++) {
        mxd_err e = kb_push((void **)&kb->lists, &kb->nlists, sizeof *kb->lists, &v[i]);
        if (e)
            return e;
    }
    return MXD_OK;
}

static const char *const reasons[] = {
    "authfailure", "badreputation", "blocked",         "contenterror",  "delivered",
    "exceedlimit", "expired",       "feedback",        "filtered",      "hasmoved",
    "hostunknown", "mailboxfull",   "mailererror",     "mesgtoobig",    "networkerror",
    "norelaying",  "notaccept",     "notcompliantrfc", "onhold",        "policyviolation",
    "rejected",    "requireptr",    "securityerror",   "spamdetected",  "speeding",
    "suspend",     "syntaxerror",   "systemerror",     "systemfull",    "toomanyconn",
    "undefined",   "userunknown",   "vacation",        "virusdetected", "failedstarttls",
    "suppressed",
};

static const char *const scopes[] = {"ip",      "domain", "sender", "recipient",
                                     "content", "rate",   "tenant", "system"};

int kb_is_reason(const char *s)
{
    return kb_reason_name(s) != NULL;
}

const char *kb_reason_name(const char *s)
{
    for (size_t i = 0; s && i < sizeof reasons / sizeof *reasons; i++)
        if (!strcmp(s, reasons[i]))
            return reasons[i];
    return NULL;
}

int kb_is_scope(const char *s)
{
    for (size_t i = 0; i < sizeof scopes / sizeof *scopes; i++)
        if (!strcmp(s, scopes[i]))
            return 1;
    return 0;
}

/* kb_status_parse - "C.S.D" with 1-3 digit subject and detail. */
int kb_status_parse(const char *s, size_t len, int *cls, int *subj, int *det)
{
    const char *d1 = memchr(s, '.', len);
    if (!d1 || d1 - s != 1 || (s[0] != '2' && s[0] != '4' && s[0] != '5'))
        return -1;
    const char *rest = d1 + 1;
    size_t rlen = len - 2;
    const char *d2 = memchr(rest, '.', rlen);
    if (!d2)
        return -1;
    unsigned long a, b;
    if (str_parse_uint(rest, (size_t)(d2 - rest), 999, &a) ||
        str_parse_uint(d2 + 1, rlen - (size_t)(d2 - rest) - 1, 999, &b))
        return -1;
    *cls = s[0] - '0';
    *subj = (int)a;
    *det = (int)b;
    return 0;
}

mxd_err kb_fail(parse_ctx *pc, const char *fmt, ...)
{
    if (pc->why && pc->whylen) {
        int n = snprintf(pc->why, pc->whylen, "%s:%d: ", pc->file, pc->line);
        if (n >= 0 && (size_t)n < pc->whylen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(pc->why + n, pc->whylen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return MXD_ERR_DATA;
}

/* next_line - split off the next line of [*p, end); strips CR and trailing blanks. */
int kb_next_line(const char **p, const char *end, const char **ls, size_t *ll)
{
    if (*p >= end)
        return 0;
    const char *s = *p;
    const char *nl = memchr(s, '\n', (size_t)(end - s));
    const char *e = nl ? nl : end;
    *p = nl ? nl + 1 : end;
    while (e > s && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
        e--;
    *ls = s;
    *ll = (size_t)(e - s);
    return 1;
}

#define TSV_MAX_COLS 16 /* columns of the widest table (dnsbl.tsv has 13) */

/* split_tsv - split a line on TAB into at most max columns; "-" becomes "". */
static size_t split_tsv(const char *s, size_t len, const char **col, size_t *clen, size_t max)
{
    size_t n = 0;
    const char *end = s + len;
    while (n < max) {
        const char *tab = memchr(s, '\t', (size_t)(end - s));
        const char *e = tab ? tab : end;
        col[n] = s;
        clen[n] = (size_t)(e - s);
        if (clen[n] == 1 && s[0] == '-')
            clen[n] = 0;
        n++;
        if (!tab)
            return n;
        s = tab + 1;
    }
    return max + 1; /* too many */
}

typedef mxd_err (*tsv_row_fn)(parse_ctx *pc, const char **col, const size_t *clen);

/* parse_tsv - check the header names, then hand every row to fn. */
static mxd_err parse_tsv(parse_ctx *pc, const kb_file *f, const char *header, tsv_row_fn fn)
{
    const char *p = f->data, *end = f->data + f->len;
    const char *ls;
    size_t ll;
    int seen_header = 0;
    size_t ncols = 1;
    for (const char *h = header; *h; h++)
        ncols += *h == ' ';
    pc->line = 0;
    while (kb_next_line(&p, end, &ls, &ll)) {
        pc->line++;
        if (ll > KB_MAX_LINE)
            return kb_fail(pc, "line longer than %d bytes", KB_MAX_LINE);
        if (ll == 0 || ls[0] == '#')
            continue;
        const char *col[TSV_MAX_COLS];
        size_t clen[TSV_MAX_COLS];
        size_t n = split_tsv(ls, ll, col, clen, TSV_MAX_COLS);
        if (!seen_header) {
            /* header: the same names, TAB-separated */
            const char *h = header;
            for (size_t i = 0; i < n; i++) {
                size_t hl = strcspn(h, " ");
                if (i >= ncols || clen[i] != hl || memcmp(col[i], h, hl))
                    return kb_fail(pc, "header must be: %s (TAB-separated)", header);
                h += hl + (h[hl] == ' ');
            }
            if (n != ncols)
                return kb_fail(pc, "header must be: %s (TAB-separated)", header);
            seen_header = 1;
            continue;
        }
        if (n != ncols)
            return kb_fail(pc, "%zu columns, expected %zu (%s)", n > TSV_MAX_COLS ? n - 1 : n,
                           ncols, header);
        mxd_err e = fn(pc, col, clen);
        if (e)
            return e;
    }
    if (!seen_header)
        return kb_fail(pc, "no header line");
    return MXD_OK;
}

#define S(i) kb_strn(pc->kb, col[i], clen[i])

static mxd_err row_status(parse_ctx *pc, const char **col, const size_t *clen)
{
    mxd_kb *kb = pc->kb;
    kb_status st = {0};
    st.subj = st.det = -1;
    const char *c = col[0];
    size_t cl = clen[0];
    if (cl == 1 && (c[0] == '2' || c[0] == '4' || c[0] == '5')) {
        st.cls = c[0] - '0';
    } else if (cl >= 3 && c[0] == 'X' && c[1] == '.') {
        const char *dot = memchr(c + 2, '.', cl - 2);
        unsigned long a, b;
        if (str_parse_uint(c + 2, (dot ? (size_t)(dot - c) : cl) - 2, 999, &a))
            return kb_fail(pc, "bad code '%.*s'", (int)cl, c);
        st.subj = (int)a;
        if (dot) {
            if (str_parse_uint(dot + 1, cl - (size_t)(dot + 1 - c), 999, &b))
                return kb_fail(pc, "bad code '%.*s'", (int)cl, c);
            st.det = (int)b;
        }
    } else {
        return kb_fail(pc, "bad code '%.*s' (want 2, 4, 5, X.S or X.S.D)", (int)cl, c);
    }
    if (!clen[1] || !clen[2])
        return kb_fail(pc, "title and meaning are required");
    if (!clen[5])
        return kb_fail(pc, "source is required");
    st.code = S(0);
    st.title = S(1);
    st.meaning = S(2);
    st.reason = clen[3] ? S(3) : 0;
    st.scope = clen[4] ? S(4) : 0;
    st.source = S(5);
    if (!st.code || !st.title || !st.meaning || !st.source || (clen[3] && !st.reason) ||
        (clen[4] && !st.scope))
        return MXD_ERR_NOMEM;
    if (st.reason && !kb_is_reason(kb_str(kb, st.reason)))
        return kb_fail(pc, "unknown reason '%s'", kb_str(kb, st.reason));
    if (st.scope && !kb_is_scope(kb_str(kb, st.scope)))
        return kb_fail(pc, "unknown scope '%s'", kb_str(kb, st.scope));
    return kb_push((void **)&kb->status, &kb->nstatus, sizeof *kb->status, &st);
}

static mxd_err row_reply(parse_ctx *pc, const char **col, const size_t *clen)
{
    mxd_kb *kb = pc->kb;
    if (clen[0] != 3 || !str_isdigit((unsigned char)col[0][0]) ||
        !str_isdigit((unsigned char)col[0][1]) || !str_isdigit((unsigned char)col[0][2]))
        return kb_fail(pc, "bad reply code '%.*s'", (int)clen[0], col[0]);
    if (!clen[1] || !clen[4])
        return kb_fail(pc, "meaning and source are required");
    kb_reply r = {S(0), S(1), clen[2] ? S(2) : 0, clen[3] ? S(3) : 0, S(4)};
    if (!r.code || !r.meaning || !r.source || (clen[2] && !r.reason) || (clen[3] && !r.scope))
        return MXD_ERR_NOMEM;
    if (r.reason && !kb_is_reason(kb_str(kb, r.reason)))
        return kb_fail(pc, "unknown reason '%s'", kb_str(kb, r.reason));
    if (r.scope && !kb_is_scope(kb_str(kb, r.scope)))
        return kb_fail(pc, "unknown scope '%s'", kb_str(kb, r.scope));
    return kb_push((void **)&kb->replies, &kb->nreplies, sizeof *kb->replies, &r);
}

/* is_pseudo_code - "C.0.9DD" of class cls (Sisimai's pseudo status codes). */
static int is_pseudo_code(const char *c, size_t n, char cls)
{
    return n == 7 && c[0] == cls && !memcmp(c + 1, ".0.9", 4) && str_isdigit((unsigned char)c[5]) &&
           str_isdigit((unsigned char)c[6]);
}

static mxd_err row_pseudo(parse_ctx *pc, const char **col, const size_t *clen)
{
    mxd_kb *kb = pc->kb;
    if (!clen[3])
        return kb_fail(pc, "source is required");
    if (clen[1] && !is_pseudo_code(col[1], clen[1], '4'))
        return kb_fail(pc, "bad temporary code '%.*s' (want 4.0.9DD or -)", (int)clen[1], col[1]);
    if (!is_pseudo_code(col[2], clen[2], '5'))
        return kb_fail(pc, "bad permanent code '%.*s' (want 5.0.9DD)", (int)clen[2], col[2]);
    kb_pseudo p = {S(0), clen[1] ? S(1) : 0, S(2), S(3)};
    if (!p.reason || !p.perm || !p.source || (clen[1] && !p.temp))
        return MXD_ERR_NOMEM;
    const char *reason = kb_str(kb, p.reason);
    if (!kb_is_reason(reason))
        return kb_fail(pc, "unknown reason '%s'", reason);
    for (size_t i = 0; i < kb->npseudo; i++)
        if (!strcmp(kb_str(kb, kb->pseudo[i].reason), reason))
            return kb_fail(pc, "reason '%s' listed twice", reason);
    return kb_push((void **)&kb->pseudo, &kb->npseudo, sizeof *kb->pseudo, &p);
}

/* (kb_internal.h) the names of the kinds, in KB_PH_* order */
const char *const kb_phrase_kinds[KB_PH_NKINDS + 1] = {
    "",          "from",      "subject", "sentence",      "lead",   "autoreply", "delivered",
    "separator", "addr-lead", "delayed", "not-bounce",    "reply",  "forward",   "tag",
    "pasted",    "own",       "program", "subject-label", "footer", "banner"};

static mxd_err row_phrase(parse_ctx *pc, const char **col, const size_t *clen)
{
    mxd_kb *kb = pc->kb;
    int kind = 0;
    for (int i = 1; i <= KB_PH_NKINDS; i++)
        if (str_caseeq(col[0], clen[0], kb_phrase_kinds[i]))
            kind = i;
    if (!kind) {
        /* (the kinds named from kb_phrase_kinds, so a kind added there is named here too) */
        char want[256] = "";
        for (int i = 1; i <= KB_PH_NKINDS; i++)
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s",
                     i == 1              ? ""
                     : i == KB_PH_NKINDS ? " or "
                                         : ", ",
                     kb_phrase_kinds[i]);
        return kb_fail(pc, "unknown kind '%.*s' (want %s)", (int)clen[0], col[0], want);
    }
    if (clen[1] < 2 || !clen[2])
        return kb_fail(pc, "a pattern of two bytes or more and a source are required");
    kb_phrase p = {kind, S(1), S(2), clen[1]};
    if (!p.pattern || !p.source)
        return MXD_ERR_NOMEM;
    for (const char *c = kb_str(kb, p.pattern); *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            return kb_fail(pc, "pattern '%s' is not in lower case", kb_str(kb, p.pattern));
    /* a separator is matched at the start of a line after its dashes and blanks */
    if ((kind == KB_PH_SEPARATOR || kind == KB_PH_FOOTER) && strchr("-= \t*_", col[1][0]))
        return kb_fail(pc, "%s '%s': write it without the dashes or blanks before it",
                       kb_phrase_kinds[kind], kb_str(kb, p.pattern));
    if (kind == KB_PH_SUBJECTLABEL && clen[1] > KB_MAX_SUBJECT_LABEL)
        return kb_fail(pc, "subject-label '%s': longer than %d bytes", kb_str(kb, p.pattern),
                       KB_MAX_SUBJECT_LABEL);
    /* (text_separator() keeps both kinds on the stack: capped) */
    if ((kind == KB_PH_FOOTER || kind == KB_PH_BANNER) && clen[1] < 8)
        return kb_fail(pc, "%s '%s': 8 bytes at least", kb_phrase_kinds[kind],
                       kb_str(kb, p.pattern));
    if (kind == KB_PH_FOOTER || kind == KB_PH_SEPARATOR) {
        size_t n = 0, cap = kind == KB_PH_FOOTER ? KB_MAX_FOOTERS : KB_MAX_SEPARATORS;
        for (size_t i = 0; i < kb->nphrases; i++)
            n += kb->phrases[i].kind == kind;
        if (n >= cap)
            return kb_fail(pc, "more than %zu %ss", cap, kb_phrase_kinds[kind]);
    }
    return kb_push((void **)&kb->phrases, &kb->nphrases, sizeof *kb->phrases, &p);
}

static mxd_err row_category(parse_ctx *pc, const char **col, const size_t *clen)
{
    mxd_kb *kb = pc->kb;
    if (!clen[0] || !clen[1] || !clen[2] || !clen[3])
        return kb_fail(pc, "field, value, reason and source are required");
    kb_category c = {S(0), S(1), S(2), S(3)};
    if (!c.field || !c.value || !c.reason || !c.source)
        return MXD_ERR_NOMEM;
    if (!kb_is_reason(kb_str(kb, c.reason)))
        return kb_fail(pc, "unknown reason '%s'", kb_str(kb, c.reason));
    if (clen[1] > KB_MAX_CATEGORY_VALUE)
        return kb_fail(pc, "value longer than %d bytes", KB_MAX_CATEGORY_VALUE);
    if (kb->ncategories >= KB_MAX_CATEGORIES)
        return kb_fail(pc, "more than %d rows", KB_MAX_CATEGORIES);
    for (int k = 0; k < 2; k++)
        for (const char *p = kb_str(kb, k ? c.value : c.field); *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                return kb_fail(pc, "'%s' is not in lower case", kb_str(kb, k ? c.value : c.field));
    for (size_t i = 0; i < kb->ncategories; i++)
        if (!strcmp(kb_str(kb, kb->categories[i].field), kb_str(kb, c.field)) &&
            !strcmp(kb_str(kb, kb->categories[i].value), kb_str(kb, c.value)))
            return kb_fail(pc, "duplicate %s value '%s'", kb_str(kb, c.field), kb_str(kb, c.value));
    return kb_push((void **)&kb->categories, &kb->ncategories, sizeof *kb->categories, &c);
}

static mxd_err row_provider(parse_ctx *pc, const char **col, const size_t *clen)
{
    mxd_kb *kb = pc->kb;
    if (!clen[0] || !clen[1] || !clen[3])
        return kb_fail(pc, "id, name and source are required");
    for (size_t i = 0; i < clen[0]; i++)
        if (!str_isalnum((unsigned char)col[0][i]) && col[0][i] != '-')
            return kb_fail(pc, "provider id '%.*s': use a-z, 0-9 and '-'", (int)clen[0], col[0]);
    kb_provider pr = {S(0), S(1), clen[2] ? S(2) : 0, S(3)};
    if (!pr.id || !pr.name || !pr.source || (clen[2] && !pr.postmaster))
        return MXD_ERR_NOMEM;
    if (kb->nproviders >= KB_MAX_PROVIDERS)
        return kb_fail(pc, "more than %d providers", KB_MAX_PROVIDERS);
    if (kb_find_provider(kb, kb_str(kb, pr.id)))
        return kb_fail(pc, "duplicate provider '%s'", kb_str(kb, pr.id));
    return kb_push((void **)&kb->providers, &kb->nproviders, sizeof *kb->providers, &pr);
}

static mxd_err parse_srange(parse_ctx *pc, const char *v, size_t vl, kb_srange *out);

static mxd_err row_phost(parse_ctx *pc, const char **col, const size_t *clen)
{
    mxd_kb *kb = pc->kb;
    kb_phost h = {0};
    if (str_caseeq(col[0], clen[0], "host"))
        h.kind = KB_HOST;
    else if (str_caseeq(col[0], clen[0], "domain"))
        h.kind = KB_DOMAIN;
    else if (str_caseeq(col[0], clen[0], "text"))
        h.kind = KB_TEXT;
    else if (str_caseeq(col[0], clen[0], "status"))
        h.kind = KB_STATUS;
    else if (str_caseeq(col[0], clen[0], "tag"))
        h.kind = KB_TAG;
    else
        return kb_fail(pc, "kind must be host, domain, text, status or tag");
    if (!clen[1] || !clen[2] || !clen[4])
        return kb_fail(pc, "pattern, provider and source are required");
    if (h.kind == KB_STATUS) {
        mxd_err e = parse_srange(pc, col[1], clen[1], &h.status);
        if (e)
            return e;
        if (h.status.cls != 4 && h.status.cls != 5)
            return kb_fail(pc, "a provider's own status code is of class 4 or 5");
        if (clen[3])
            return kb_fail(pc, "region is only for host patterns");
    }
    if (h.kind == KB_TAG) {
        /* a tag starts with a letter or a bracket and holds a letter: never a bare number */
        int alpha = 0;
        for (size_t i = 0; i < clen[1]; i++)
            alpha |= str_isalpha((unsigned char)col[1][i]);
        if (!alpha || str_isdigit((unsigned char)col[1][0]) || col[1][0] == '#' ||
            col[1][clen[1] - 1] == '*')
            return kb_fail(pc, "a tag holds a letter and starts with a letter or a bracket");
        if (clen[3])
            return kb_fail(pc, "region is only for host patterns");
    }
    h.pattern = S(1);
    h.provider = S(2);
    h.region = clen[3] ? S(3) : 0;
    if (!h.pattern || !h.provider || (clen[3] && !h.region))
        return MXD_ERR_NOMEM;
    if (kb->nhosts >= KB_MAX_HOSTS)
        return kb_fail(pc, "more than %d rows", KB_MAX_HOSTS);
    return kb_push((void **)&kb->hosts, &kb->nhosts, sizeof *kb->hosts, &h);
}

static mxd_err row_reason(parse_ctx *pc, const char **col, const size_t *clen)
{
    mxd_kb *kb = pc->kb;
    if (!clen[0] || !clen[1] || !clen[2])
        return kb_fail(pc, "reason, pattern and source are required");
    kb_reason r = {S(0), S(1)};
    if (!r.reason || !r.pattern)
        return MXD_ERR_NOMEM;
    if (!kb_is_reason(kb_str(kb, r.reason)))
        return kb_fail(pc, "unknown reason '%s'", kb_str(kb, r.reason));
    return kb_push((void **)&kb->reasons, &kb->nreasons, sizeof *kb->reasons, &r);
}

/* A rule under construction: lists are collected here, then appended to kb->lists (each
 * list a run of its own). */
typedef struct rule_tmp {
    kb_rule r;
    kb_off replies[KB_MAX_LIST], texts[KB_MAX_LIST], hosts[KB_MAX_LIST];
    kb_off causes[KB_MAX_LIST], fix[KB_MAX_LIST], sources[KB_MAX_LIST];
    kb_srange status[KB_MAX_LIST];
    int have_permanent, have_retry;
    int start_line;
    char val[KB_MAX_LINE + 1]; /* the value of the line being read */
} rule_tmp;

static mxd_err parse_srange(parse_ctx *pc, const char *v, size_t vl, kb_srange *out)
{
    const char *dash = memchr(v, '-', vl);
    int c1, s1, d1, c2, s2, d2;
    if (kb_status_parse(v, dash ? (size_t)(dash - v) : vl, &c1, &s1, &d1))
        return kb_fail(pc, "bad status '%.*s'", (int)vl, v);
    c2 = c1, s2 = s1, d2 = d1;
    if (dash && kb_status_parse(dash + 1, vl - (size_t)(dash + 1 - v), &c2, &s2, &d2))
        return kb_fail(pc, "bad status range '%.*s'", (int)vl, v);
    if (c1 != c2 || s1 != s2 || d2 < d1)
        return kb_fail(pc, "status range '%.*s' must keep class and subject", (int)vl, v);
    out->cls = (uint16_t)c1;
    out->subj = (uint16_t)s1;
    out->lo = (uint16_t)d1;
    out->hi = (uint16_t)d2;
    return MXD_OK;
}

static int valid_reply_pat(const char *v, size_t vl)
{
    if (vl != 3 || v[0] < '2' || v[0] > '5')
        return 0;
    for (int i = 1; i < 3; i++)
        if (!str_isdigit((unsigned char)v[i]) && v[i] != 'x' && v[i] != 'X')
            return 0;
    return 1;
}

static mxd_err finish_rule(parse_ctx *pc, rule_tmp *t)
{
    mxd_kb *kb = pc->kb;
    kb_rule *r = &t->r;
    pc->line = t->start_line;
    if (!r->id)
        return kb_fail(pc, "rule without 'rule:' id");
    const char *id = kb_str(kb, r->id);
    if (!r->nreplies && !r->nstatus && !r->ntexts && !r->nhosts)
        return kb_fail(pc, "rule %s matches nothing: give reply, status, text or host", id);
    if (!r->reason || !r->scope || !r->summary || !t->have_permanent || !t->have_retry)
        return kb_fail(pc, "rule %s needs reason, scope, permanent, retry and summary", id);
    if (!r->nfix)
        return kb_fail(pc, "rule %s has no fix step", id);
    if (!r->nsources)
        return kb_fail(pc, "rule %s has no source", id);
    for (size_t i = 0; i < kb->nrules; i++)
        if (!strcmp(kb_str(kb, kb->rules[i].id), id))
            return kb_fail(pc, "duplicate rule id %s (first at %s:%d)", id,
                           kb_str(kb, kb->rules[i].file), kb->rules[i].line);
    const struct {
        const kb_off *v;
        uint32_t n, *first;
    } lists[] = {{t->replies, r->nreplies, &r->replies},
                 {t->texts, r->ntexts, &r->texts},
                 {t->hosts, r->nhosts, &r->hosts},
                 {t->causes, r->ncauses, &r->causes},
                 {t->fix, r->nfix, &r->fix},
                 {t->sources, r->nsources, &r->sources}};
    mxd_err e = MXD_OK;
    for (size_t i = 0; i < sizeof lists / sizeof *lists && !e; i++)
        e = kb_push_list(kb, lists[i].v, lists[i].n, lists[i].first);
    r->status = (uint32_t)kb->nsranges;
    for (size_t i = 0; i < r->nstatus && !e; i++)
        e = kb_push((void **)&kb->sranges, &kb->nsranges, sizeof *kb->sranges, &t->status[i]);
    if (e)
        return e;
    r->file = pc->file_off;
    r->line = t->start_line;
    return kb_push((void **)&kb->rules, &kb->nrules, sizeof *kb->rules, r);
}

/* add_list - append a value to one of a rule's repeatable keys. */
static mxd_err add_list(parse_ctx *pc, kb_off *arr, uint32_t *n, const char *key, const char *v,
                        size_t vl)
{
    if (*n >= KB_MAX_LIST)
        return kb_fail(pc, "more than %d '%s' lines in one rule", KB_MAX_LIST, key);
    kb_off o = kb_strn(pc->kb, v, vl);
    if (!o)
        return MXD_ERR_NOMEM;
    arr[(*n)++] = o;
    return MXD_OK;
}

static mxd_err parse_rules(parse_ctx *pc, const kb_file *f)
{
    const char *p = f->data, *end = f->data + f->len;
    const char *ls;
    size_t ll;
    rule_tmp *t = calloc(1, sizeof *t);
    if (!t)
        return MXD_ERR_NOMEM;
    int open = 0;
    mxd_err e = MXD_OK;
    pc->line = 0;
    for (;;) {
        int more = kb_next_line(&p, end, &ls, &ll);
        if (more)
            pc->line++;
        if (!more || ll == 0) {
            if (open) {
                int save = pc->line;
                e = finish_rule(pc, t);
                pc->line = save;
                if (e)
                    break;
                memset(t, 0, sizeof *t);
                open = 0;
            }
            if (!more)
                break;
            continue;
        }
        if (ls[0] == '#')
            continue;
        if (ll > KB_MAX_LINE) {
            e = kb_fail(pc, "line longer than %d bytes", KB_MAX_LINE);
            break;
        }
        const char *colon = memchr(ls, ':', ll);
        if (!colon) {
            e = kb_fail(pc, "expected 'key: value'");
            break;
        }
        size_t kl = (size_t)(colon - ls);
        const char *v = colon + 1;
        while (v < ls + ll && (*v == ' ' || *v == '\t'))
            v++;
        size_t vl = (size_t)(ls + ll - v);
        if (vl == 0) {
            e = kb_fail(pc, "empty value for '%.*s'", (int)kl, ls);
            break;
        }
        if (!open) {
            open = 1;
            t->start_line = pc->line;
        }
        kb_rule *r = &t->r;
        /* the value as a string, to check it; copied into the pool only when it is kept */
        memcpy(t->val, v, vl);
        t->val[vl] = 0;
        const char *sv = t->val;
#define KEEP(field)                                                                                \
    do {                                                                                           \
        if (!((field) = kb_strn(pc->kb, v, vl)))                                                   \
            e = MXD_ERR_NOMEM;                                                                     \
    } while (0)
#define KEY(name) (kl == sizeof(name) - 1 && !memcmp(ls, name, kl))
        if (KEY("rule")) {
            if (r->id) {
                e = kb_fail(pc, "second 'rule:' line: separate rules with a blank line");
                break;
            }
            KEEP(r->id);
        } else if (KEY("provider")) {
            KEEP(r->provider);
        } else if (KEY("reply")) {
            if (!valid_reply_pat(v, vl)) {
                e = kb_fail(pc, "bad reply '%s' (want e.g. 550 or 5xx)", sv);
                break;
            }
            e = add_list(pc, t->replies, &r->nreplies, "reply", v, vl);
        } else if (KEY("status")) {
            if (r->nstatus >= KB_MAX_LIST) {
                e = kb_fail(pc, "too many status lines");
                break;
            }
            e = parse_srange(pc, v, vl, &t->status[r->nstatus]);
            if (!e)
                r->nstatus++;
        } else if (KEY("text")) {
            e = add_list(pc, t->texts, &r->ntexts, "text", v, vl);
        } else if (KEY("host")) {
            e = add_list(pc, t->hosts, &r->nhosts, "host", v, vl);
        } else if (KEY("reason")) {
            if (!kb_is_reason(sv)) {
                e = kb_fail(pc, "unknown reason '%s'", sv);
                break;
            }
            KEEP(r->reason);
        } else if (KEY("scope")) {
            if (!kb_is_scope(sv)) {
                e = kb_fail(pc, "unknown scope '%s'", sv);
                break;
            }
            KEEP(r->scope);
        } else if (KEY("permanent")) {
            if (strcmp(sv, "yes") && strcmp(sv, "no")) {
                e = kb_fail(pc, "permanent must be yes or no");
                break;
            }
            r->permanent = !strcmp(sv, "yes");
            t->have_permanent = 1;
        } else if (KEY("retry")) {
            if (!strcmp(sv, "never"))
                r->retry = MXD_RETRY_NEVER;
            else if (!strcmp(sv, "later"))
                r->retry = MXD_RETRY_LATER;
            else if (!strcmp(sv, "backoff"))
                r->retry = MXD_RETRY_BACKOFF;
            else {
                e = kb_fail(pc, "retry must be never, later or backoff");
                break;
            }
            t->have_retry = 1;
        } else if (KEY("checked")) {
            if (strlen(sv) != 10 || sv[4] != '-' || sv[7] != '-' ||
                strspn(sv, "0123456789-") != 10) {
                e = kb_fail(pc, "checked must be a date YYYY-MM-DD");
                break;
            }
            KEEP(r->checked);
        } else if (KEY("block")) {
            if (strcmp(sv, "yes") && strcmp(sv, "no")) {
                e = kb_fail(pc, "block must be yes or no");
                break;
            }
            r->not_block = !strcmp(sv, "no");
        } else if (KEY("wraps")) {
            r->wraps = !strcmp(sv, "yes");
        } else if (KEY("summary")) {
            KEEP(r->summary);
        } else if (KEY("cause")) {
            e = add_list(pc, t->causes, &r->ncauses, "cause", v, vl);
        } else if (KEY("fix")) {
            e = add_list(pc, t->fix, &r->nfix, "fix", v, vl);
        } else if (KEY("source")) {
            e = add_list(pc, t->sources, &r->nsources, "source", v, vl);
        } else {
            e = kb_fail(pc, "unknown key '%.*s'", (int)kl, ls);
        }
#undef KEY
#undef KEEP
        if (e)
            break;
    }
    free(t);
    return e;
}

static int name_is(const kb_file *f, const char *name)
{
    return !strcmp(f->name, name);
}

static int name_is_rules(const kb_file *f)
{
    size_t n = strlen(f->name);
    return !strncmp(f->name, "rules-", 6) && n > 10 && !strcmp(f->name + n - 4, ".txt");
}

/* check_utf8 - data files are UTF-8 (data/README.md): everything the kb hands out goes into
 * JSON, which must be UTF-8. */
static mxd_err check_utf8(parse_ctx *pc, const kb_file *f)
{
    size_t bad;
    if (str_utf8_valid(f->data, f->len, &bad))
        return MXD_OK;
    pc->file = f->name;
    pc->line = 1;
    for (size_t i = 0; i < bad; i++)
        pc->line += f->data[i] == '\n';
    return kb_fail(pc, "not UTF-8 (byte 0x%02x)", (unsigned char)f->data[bad]);
}

/* compile_rule_texts - the rules' text patterns in one matcher, each rule knowing where its
 * own begin. */
static mxd_err compile_rule_texts(mxd_kb *kb)
{
    size_t n = 0;
    for (size_t i = 0; i < kb->nrules; i++) {
        kb->rules[i].text0 = (uint32_t)n;
        n += kb->rules[i].ntexts;
    }
    if (!n)
        return MXD_OK;
    const char **pats = malloc(n * sizeof *pats);
    if (!pats)
        return MXD_ERR_NOMEM;
    for (size_t i = 0, k = 0; i < kb->nrules; i++)
        for (size_t t = 0; t < kb->rules[i].ntexts; t++)
            pats[k++] = kb_item(kb, kb->rules[i].texts, t);
    kb->rule_texts = bmatch_new(pats, n);
    free(pats);
    return kb->rule_texts ? MXD_OK : MXD_ERR_NOMEM;
}

/* rule_names_status - does rule r name status class cls, subject subj? */
static int rule_names_status(const mxd_kb *kb, const kb_rule *r, unsigned cls, unsigned subj)
{
    for (size_t i = 0; i < r->nstatus; i++)
        if (kb_rule_status(kb, r, i)->cls == cls && kb_rule_status(kb, r, i)->subj == subj)
            return 1;
    return 0;
}

/* index_rules - the rules each class.subject can match (kb->rules_by_status). */
static mxd_err index_rules(mxd_kb *kb)
{
    static const unsigned classes[3] = {2, 4, 5};
    size_t n = kb->nrules ? kb->nrules : 1;
    kb->rules_no_status = malloc(n * sizeof *kb->rules_no_status);
    kb->generic_no_status = malloc(n * sizeof *kb->generic_no_status);
    if (!kb->rules_no_status || !kb->generic_no_status)
        return MXD_ERR_NOMEM;
    for (size_t i = 0; i < kb->nrules; i++)
        if (!kb->rules[i].nstatus) {
            kb->rules_no_status[kb->nrules_no_status++] = (unsigned)i;
            if (!kb->rules[i].provider)
                kb->generic_no_status[kb->ngeneric_no_status++] = (unsigned)i;
        }
    for (size_t c = 0; c < 3; c++)
        for (unsigned sj = 0; sj < KB_RULE_SUBJECTS; sj++) {
            unsigned *ids = malloc(n * sizeof *ids);
            if (ids)
                kb->rules_by_status[c][sj] = ids;
            unsigned *gen = malloc(n * sizeof *gen);
            if (gen)
                kb->generic_by_status[c][sj] = gen;
            if (!ids || !gen)
                return MXD_ERR_NOMEM;
            size_t k = 0, g = 0;
            for (size_t i = 0; i < kb->nrules; i++)
                if (!kb->rules[i].nstatus || rule_names_status(kb, &kb->rules[i], classes[c], sj)) {
                    ids[k++] = (unsigned)i;
                    if (!kb->rules[i].provider)
                        gen[g++] = (unsigned)i;
                }
            kb->nrules_by_status[c][sj] = k;
            kb->ngeneric_by_status[c][sj] = g;
        }
    return MXD_OK;
}

/* load - parse all files; tables first, then rules (which refer to providers). */
static mxd_err load(const kb_file *files, size_t nfiles, mxd_kb **out, char *why, size_t whylen)
{
    mxd_kb *kb = calloc(1, sizeof *kb);
    if (!kb)
        return MXD_ERR_NOMEM;
    parse_ctx pc = {kb, "", 0, why, whylen, 0};
    if (why && whylen)
        why[0] = 0;
    mxd_err e = MXD_OK;
    for (size_t i = 0; i < nfiles && !e; i++)
        e = check_utf8(&pc, &files[i]);
    static const struct {
        const char *name, *header;
        tsv_row_fn fn;
    } tables[] = {
        {"providers.tsv", "id name postmaster source", row_provider},
        {"provider-hosts.tsv", "kind pattern provider region source", row_phost},
        {"status-codes.tsv", "code title meaning reason scope source", row_status},
        {"reply-codes.tsv", "code meaning reason scope source", row_reply},
        {"pseudo-status.tsv", "reason temporary permanent source", row_pseudo},
        {"bounce-phrases.tsv", "kind pattern source", row_phrase},
        {"reasons.tsv", "reason pattern source", row_reason},
        {"bounce-categories.tsv", "field value reason source", row_category},
        {"dnsbl.tsv", "id name zone type ipv codes errors default key policy delist test source",
         kb_row_dnsbl},
        {"public-resolvers.tsv", "address operator source", kb_row_pubres},
        {"rdns-generic.tsv", "keyword meaning source", kb_row_rdnsword},
        {"dkim-selectors.tsv", "selector provider source", kb_row_dkimsel},
        {"provider-outbound.tsv", "kind pattern provider source", kb_row_outbound},
        {"senders.tsv", "domain service category align source", kb_row_sender},
    };
    for (size_t t = 0; t < sizeof tables / sizeof *tables && !e; t++)
        for (size_t i = 0; i < nfiles && !e; i++)
            if (name_is(&files[i], tables[t].name)) {
                pc.file = files[i].name;
                if (files[i].len > KB_MAX_FILE_SIZE)
                    e = kb_fail(&pc, "file larger than %u bytes", KB_MAX_FILE_SIZE);
                else
                    e = parse_tsv(&pc, &files[i], tables[t].header, tables[t].fn);
            }
    for (size_t i = 0; i < kb->nhosts && !e; i++)
        if (!kb_find_provider(kb, kb_str(kb, kb->hosts[i].provider))) {
            pc.file = "provider-hosts.tsv";
            pc.line = 0;
            e = kb_fail(&pc, "pattern %s names unknown provider '%s'",
                        kb_str(kb, kb->hosts[i].pattern), kb_str(kb, kb->hosts[i].provider));
        }
    /* the stanza files: rules, playbooks and delist templates keep their file name (a copy
     * in the pool outlives the caller's) */
    for (size_t i = 0; i < nfiles && !e; i++) {
        mxd_err (*parse)(parse_ctx *, const kb_file *) =
            name_is_rules(&files[i])              ? parse_rules
            : name_is(&files[i], "playbooks.txt") ? kb_parse_playbooks
            : name_is(&files[i], "delist.txt")    ? kb_parse_delist
                                                  : NULL;
        if (!parse)
            continue;
        pc.file = files[i].name;
        pc.file_off = kb_strn(kb, files[i].name, strlen(files[i].name));
        if (!pc.file_off)
            e = MXD_ERR_NOMEM;
        else if (files[i].len > KB_MAX_FILE_SIZE)
            e = kb_fail(&pc, "file larger than %u bytes", KB_MAX_FILE_SIZE);
        else
            e = parse(&pc, &files[i]);
    }
    for (size_t i = 0; i < kb->nplaybooks && !e; i++)
        if (kb->playbooks[i].delist && !kb_find_delist(kb, kb_str(kb, kb->playbooks[i].delist))) {
            pc.file = kb_str(kb, kb->playbooks[i].file);
            pc.line = kb->playbooks[i].line;
            e = kb_fail(&pc, "playbook %s names unknown delist template '%s'",
                        kb_str(kb, kb->playbooks[i].id), kb_str(kb, kb->playbooks[i].delist));
        }
    for (size_t i = 0; i < kb->nrules && !e; i++)
        if (kb->rules[i].provider && !kb_find_provider(kb, kb_str(kb, kb->rules[i].provider))) {
            pc.file = kb_str(kb, kb->rules[i].file);
            pc.line = kb->rules[i].line;
            e = kb_fail(&pc, "rule %s names unknown provider '%s'", kb_str(kb, kb->rules[i].id),
                        kb_str(kb, kb->rules[i].provider));
        }
    if (!e)
        e = compile_rule_texts(kb);
    if (!e)
        e = index_rules(kb);
    if (!e)
        e = kb_fast_build(kb);
    if (e) {
        mxd_kb_free(kb);
        return e;
    }
    *out = kb;
    return MXD_OK;
}

mxd_err kb_load_files(const kb_file *files, size_t nfiles, mxd_kb **out, char *why, size_t whylen)
{
    return load(files, nfiles, out, why, whylen);
}
