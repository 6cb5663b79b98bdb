/* dmarc_agg.c - DMARC aggregate reports (RFC 7489 appendix C, RFC 9990), read with expat
 * SPDX-License-Identifier: MIT
 *
 * expat is not linked: it is loaded the first time a report is read (util/dl.h). The document
 * is parsed in one call with namespace processing; elements are matched on their local names,
 * so a report in the RFC 9990 namespace, in an older one or in none reads the same. The report
 * is the first <feedback> element, the root or not (a reporter wraps it in an <xs:schema>);
 * once it is closed, the rest of the document is not looked at, well-formed or not.
 * Where an element sits is kept as a path of local names below it ("record/row/count"); a table
 * maps the paths of the leaves to the fields they fill, and four paths open a new item
 * (record, reason, auth_results dkim and spf). Unknown elements are skipped.
 *
 * Strangers' input: a document with an entity declaration is refused before any expansion
 * (billion laughs; expat never reads external entities unless asked), nesting is cut at
 * MXD_REPORT_MAX_DEPTH, records at MXD_REPORT_MAX_ROWS, the items of one record and the
 * <error>s at AGG_MAX_ITEMS, and text is kept up to MXD_REPORT_MAX_FIELD bytes. Invalid UTF-8
 * in a document that is (or says it is) UTF-8 is replaced by U+FFFD before parsing, as the
 * header promises, instead of failing the whole report for one byte.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <expat.h>
#include <jansson.h>
#include "report/report_internal.h"
#include "util/dl.h"
#include "util/str.h"

#define AGG_NS        "urn:ietf:params:xml:ns:dmarc-2.0"
#define AGG_NS_SEP    '\x01' /* between the namespace URI and the local name */
#define AGG_MAX_ITEMS 64     /* reasons, dkim and spf results of one record; <error>s */
#define AGG_PATH      512    /* bytes of the element path kept */
#define AGG_TEXT      (MXD_REPORT_MAX_FIELD + 8) /* text gathered (trailing blanks trimmed) */

/* --- expat, loaded on first use ------------------------------------------------------------ */

dl_lib report_expat_lib = {"libexpat.so.1", "to read DMARC aggregate reports", NULL, NULL, ""};

static struct {
    __typeof__(XML_ParserCreateNS) *create_ns;
    __typeof__(XML_ParserFree) *free;
    __typeof__(XML_SetUserData) *set_user_data;
    __typeof__(XML_SetElementHandler) *set_element_handler;
    __typeof__(XML_SetCharacterDataHandler) *set_character_data_handler;
    __typeof__(XML_SetEntityDeclHandler) *set_entity_decl_handler;
    __typeof__(XML_StopParser) *stop;
    __typeof__(XML_Parse) *parse;
    __typeof__(XML_GetErrorCode) *error_code;
    __typeof__(XML_ErrorString) *error_string;
    __typeof__(XML_GetCurrentLineNumber) *line;
} xp;
static int xp_loaded;
static pthread_once_t xp_once = PTHREAD_ONCE_INIT;

static void xp_load(void)
{
    dl_lib *l = &report_expat_lib;
    if (dl_open(l))
        return;
    DL_SYM(l, xp.create_ns, "XML_ParserCreateNS");
    DL_SYM(l, xp.free, "XML_ParserFree");
    DL_SYM(l, xp.set_user_data, "XML_SetUserData");
    DL_SYM(l, xp.set_element_handler, "XML_SetElementHandler");
    DL_SYM(l, xp.set_character_data_handler, "XML_SetCharacterDataHandler");
    DL_SYM(l, xp.set_entity_decl_handler, "XML_SetEntityDeclHandler");
    DL_SYM(l, xp.stop, "XML_StopParser");
    DL_SYM(l, xp.parse, "XML_Parse");
    DL_SYM(l, xp.error_code, "XML_GetErrorCode");
    DL_SYM(l, xp.error_string, "XML_ErrorString");
    DL_SYM(l, xp.line, "XML_GetCurrentLineNumber");
    xp_loaded = dl_done(l) == 0;
}

/* --- where the leaves go -------------------------------------------------------------------- */

enum { T_AGG, T_ROW, T_REASON, T_DKIM, T_SPF };             /* the item a leaf fills */
enum { F_TEXT, F_LOWER, F_BEGIN, F_END, F_COUNT, F_ERROR }; /* how */

#define AGG(f)    T_AGG, offsetof(mxd_dmarc_agg, f)
#define ROW(f)    T_ROW, offsetof(mxd_dmarc_row, f)
#define REASON(f) T_REASON, offsetof(mxd_dmarc_override, f)
#define DKIM(f)   T_DKIM, offsetof(mxd_dmarc_dkim_result, f)
#define SPF(f)    T_SPF, offsetof(mxd_dmarc_spf_result, f)

static const struct {
    const char *path; /* below <feedback> */
    unsigned char how, target;
    size_t off; /* of the char * field in the target */
} leaves[] = {
    {"version", F_TEXT, AGG(version)},
    {"report_metadata/org_name", F_TEXT, AGG(org_name)},
    {"report_metadata/email", F_TEXT, AGG(email)},
    {"report_metadata/extra_contact_info", F_TEXT, AGG(extra_contact_info)},
    {"report_metadata/report_id", F_TEXT, AGG(report_id)},
    {"report_metadata/date_range/begin", F_BEGIN, T_AGG, 0},
    {"report_metadata/date_range/end", F_END, T_AGG, 0},
    {"report_metadata/error", F_ERROR, T_AGG, 0},
    {"report_metadata/generator", F_TEXT, AGG(generator)},
    {"policy_published/domain", F_TEXT, AGG(domain)},
    {"policy_published/adkim", F_LOWER, AGG(adkim)},
    {"policy_published/aspf", F_LOWER, AGG(aspf)},
    {"policy_published/p", F_LOWER, AGG(p)},
    {"policy_published/sp", F_LOWER, AGG(sp)},
    {"policy_published/np", F_LOWER, AGG(np)},
    {"policy_published/pct", F_TEXT, AGG(pct)},
    {"policy_published/fo", F_TEXT, AGG(fo)},
    {"policy_published/testing", F_LOWER, AGG(testing)},
    {"policy_published/discovery_method", F_LOWER, AGG(discovery_method)},
    {"record/row/source_ip", F_TEXT, ROW(source_ip)},
    {"record/row/count", F_COUNT, T_ROW, 0},
    {"record/row/policy_evaluated/disposition", F_LOWER, ROW(disposition)},
    {"record/row/policy_evaluated/dkim", F_LOWER, ROW(dkim)},
    {"record/row/policy_evaluated/spf", F_LOWER, ROW(spf)},
    {"record/row/policy_evaluated/reason/type", F_LOWER, REASON(type)},
    {"record/row/policy_evaluated/reason/comment", F_TEXT, REASON(comment)},
    {"record/identifiers/header_from", F_TEXT, ROW(header_from)},
    {"record/identifiers/envelope_from", F_TEXT, ROW(envelope_from)},
    {"record/identifiers/envelope_to", F_TEXT, ROW(envelope_to)},
    {"record/auth_results/dkim/domain", F_TEXT, DKIM(domain)},
    {"record/auth_results/dkim/selector", F_TEXT, DKIM(selector)},
    {"record/auth_results/dkim/result", F_LOWER, DKIM(result)},
    {"record/auth_results/dkim/human_result", F_TEXT, DKIM(human_result)},
    {"record/auth_results/spf/domain", F_TEXT, SPF(domain)},
    {"record/auth_results/spf/scope", F_LOWER, SPF(scope)},
    {"record/auth_results/spf/result", F_LOWER, SPF(result)},
    {"record/auth_results/spf/human_result", F_TEXT, SPF(human_result)},
};

/* --- the parse --------------------------------------------------------------------------- */

typedef struct agg_state {
    XML_Parser p;
    mxd_dmarc_agg *r;
    mxd_err err; /* set by a handler that stopped the parser */
    char *why;
    size_t whylen;
    int depth;                             /* elements open */
    int root;                              /* depth of <feedback>, 0 before it */
    int root_closed;                       /* </feedback> seen: the rest is ignored */
    char path[AGG_PATH];                   /* below <feedback> */
    size_t plen[MXD_REPORT_MAX_DEPTH + 1]; /* path length at each depth */
    char text[AGG_TEXT];
    size_t tlen;
    size_t rows_cap, errors_cap, reasons_cap, dkim_cap, spf_cap;
    int have_begin, have_end;
} agg_state;

/* stop - end the parse with e and the reason (the first one counts). */
static void stop(agg_state *st, mxd_err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void stop(agg_state *st, mxd_err e, const char *fmt, ...)
{
    if (st->err)
        return;
    st->err = e;
    if (st->why && st->whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(st->why, st->whylen, fmt, ap);
        va_end(ap);
    }
    xp.stop(st->p, XML_FALSE);
}

/* grow - room for one more element in *arr (n used, *cap allocated, at most max); 0, or -1
 * with the parse stopped. */
static int grow(agg_state *st, void **arr, size_t n, size_t *cap, size_t size, size_t max,
                const char *what)
{
    if (n >= max) {
        stop(st, MXD_ERR_TOOBIG, "too many %s in the report", what);
        return -1;
    }
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 4;
    if (c > max)
        c = max;
    void *q = realloc(*arr, c * size);
    if (!q) {
        stop(st, MXD_ERR_NOMEM, "%s", "out of memory");
        return -1;
    }
    memset((char *)q + n * size, 0, (c - n) * size);
    *arr = q;
    *cap = c;
    return 0;
}

static mxd_dmarc_row *cur_row(agg_state *st)
{
    return st->r->nrows ? &st->r->rows[st->r->nrows - 1] : NULL;
}

static int path_is(const agg_state *st, const char *s)
{
    return !strcmp(st->path, s);
}

/* open_item - a new record, reason, dkim or spf result at its start tag. */
static void open_item(agg_state *st)
{
    mxd_dmarc_agg *r = st->r;
    mxd_dmarc_row *row = cur_row(st);
    if (st->depth == st->root + 1 && path_is(st, "record")) {
        if (!grow(st, (void **)&r->rows, r->nrows, &st->rows_cap, sizeof *r->rows,
                  MXD_REPORT_MAX_ROWS, "<record>s")) {
            r->nrows++;
            st->reasons_cap = st->dkim_cap = st->spf_cap = 0;
        }
    } else if (!row) {
        return;
    } else if (path_is(st, "record/row/policy_evaluated/reason")) {
        if (!grow(st, (void **)&row->reasons, row->nreasons, &st->reasons_cap, sizeof *row->reasons,
                  AGG_MAX_ITEMS, "<reason>s in one record"))
            row->nreasons++;
    } else if (path_is(st, "record/auth_results/dkim")) {
        if (!grow(st, (void **)&row->dkim_results, row->ndkim, &st->dkim_cap,
                  sizeof *row->dkim_results, AGG_MAX_ITEMS, "DKIM results in one record"))
            row->ndkim++;
    } else if (path_is(st, "record/auth_results/spf")) {
        if (!grow(st, (void **)&row->spf_results, row->nspf, &st->spf_cap, sizeof *row->spf_results,
                  AGG_MAX_ITEMS, "SPF results in one record"))
            row->nspf++;
    }
}

static const char *local_name(const XML_Char *name)
{
    const char *l = strrchr(name, AGG_NS_SEP);
    return l ? l + 1 : name;
}

static void XMLCALL on_start(void *arg, const XML_Char *name, const XML_Char **atts)
{
    agg_state *st = arg;
    (void)atts;
    if (st->err)
        return;
    const char *l = local_name(name);
    if (st->depth >= MXD_REPORT_MAX_DEPTH) {
        stop(st, MXD_ERR_TOOBIG, "elements nested deeper than %d", MXD_REPORT_MAX_DEPTH);
        return;
    }
    if (!st->root || st->root_closed) {
        /* outside the report: the first <feedback> is it (some reporters wrap it) */
        st->depth++;
        if (!st->root && !strcmp(l, "feedback")) {
            st->root = st->depth;
            st->r->rfc9990 = l - name == sizeof AGG_NS && !memcmp(name, AGG_NS, sizeof AGG_NS - 1);
            st->plen[st->depth] = 0;
            st->path[0] = 0;
        }
        st->tlen = 0;
        return;
    }
    size_t n = strlen(l), at = st->plen[st->depth];
    /* a name that does not fit becomes "?", which no table path has */
    if (at + 1 + n > sizeof st->path - 2 * (MXD_REPORT_MAX_DEPTH + 1)) {
        l = "?";
        n = 1;
    }
    if (st->depth > st->root)
        st->path[at++] = '/';
    memcpy(st->path + at, l, n);
    at += n;
    st->path[at] = 0;
    st->depth++;
    st->plen[st->depth] = at;
    st->tlen = 0;
    open_item(st);
}

static void XMLCALL on_text(void *arg, const XML_Char *s, int len)
{
    agg_state *st = arg;
    if (st->err || len <= 0)
        return;
    size_t n = (size_t)len;
    if (st->tlen == 0)
        while (n && str_isspace((unsigned char)*s)) {
            s++;
            n--;
        }
    if (n > sizeof st->text - st->tlen)
        n = sizeof st->text - st->tlen;
    memcpy(st->text + st->tlen, s, n);
    st->tlen += n;
}

/* number - the text as an unsigned decimal; -1 (parse stopped) when it is not one. */
static int number(agg_state *st, unsigned long long *v)
{
    const char *s = st->text;
    size_t n = st->tlen;
    while (n && str_isspace((unsigned char)s[n - 1]))
        n--;
    unsigned long u;
    if (str_parse_uint(s, n, (unsigned long)-1, &u)) {
        stop(st, MXD_ERR_PARSE, "not a DMARC aggregate report: <%s> is not a number",
             strrchr(st->path, '/') ? strrchr(st->path, '/') + 1 : st->path);
        return -1;
    }
    *v = u;
    return 0;
}

static void *target(agg_state *st, int t)
{
    mxd_dmarc_row *row = cur_row(st);
    if (t == T_AGG)
        return st->r;
    if (!row)
        return NULL;
    switch (t) {
    case T_ROW:
        return row;
    case T_REASON:
        return row->nreasons ? &row->reasons[row->nreasons - 1] : NULL;
    case T_DKIM:
        return row->ndkim ? &row->dkim_results[row->ndkim - 1] : NULL;
    default:
        return row->nspf ? &row->spf_results[row->nspf - 1] : NULL;
    }
}

static void leaf(agg_state *st)
{
    size_t i;
    for (i = 0; i < sizeof leaves / sizeof *leaves; i++)
        if (path_is(st, leaves[i].path))
            break;
    if (i == sizeof leaves / sizeof *leaves)
        return;
    void *t = target(st, leaves[i].target);
    if (!t)
        return;
    mxd_dmarc_agg *r = st->r;
    unsigned long long v;
    char *s;
    switch (leaves[i].how) {
    case F_BEGIN:
    case F_END:
        if (number(st, &v))
            return;
        if (v > 0x7fffffffffffffffULL)
            v = 0x7fffffffffffffffULL;
        *(leaves[i].how == F_BEGIN ? &r->begin : &r->end) = (long long)v;
        return;
    case F_COUNT:
        if (number(st, &v))
            return;
        ((mxd_dmarc_row *)t)->count = v;
        r->messages = r->messages + v < r->messages ? ~0ULL : r->messages + v;
        return;
    case F_ERROR:
        if (report_text(st->text, st->tlen, 0, &s)) {
            stop(st, MXD_ERR_NOMEM, "%s", "out of memory");
            return;
        }
        if (!s)
            return;
        if (grow(st, (void **)&r->errors, r->nerrors, &st->errors_cap, sizeof *r->errors,
                 AGG_MAX_ITEMS, "<error>s")) {
            free(s);
            return;
        }
        r->errors[r->nerrors++] = s;
        return;
    default:
        if (report_text(st->text, st->tlen, leaves[i].how == F_LOWER, &s)) {
            stop(st, MXD_ERR_NOMEM, "%s", "out of memory");
            return;
        }
        char **slot = (char **)(void *)((char *)t + leaves[i].off);
        free(*slot); /* a repeated element: the last one counts */
        *slot = s;
    }
}

static void XMLCALL on_end(void *arg, const XML_Char *name)
{
    agg_state *st = arg;
    (void)name;
    if (st->err || st->depth == 0)
        return;
    if (st->root && !st->root_closed && st->depth > st->root)
        leaf(st);
    if (st->depth == st->root)
        st->root_closed = 1;
    st->depth--;
    if (st->root && !st->root_closed)
        st->path[st->plen[st->depth]] = 0;
    st->tlen = 0;
}

static void XMLCALL on_entity(void *arg, const XML_Char *name, int is_param, const XML_Char *value,
                              int value_length, const XML_Char *base, const XML_Char *system_id,
                              const XML_Char *public_id, const XML_Char *notation)
{
    (void)is_param, (void)value, (void)value_length, (void)base, (void)system_id;
    (void)public_id, (void)notation;
    stop(arg, MXD_ERR_PARSE, "not a DMARC aggregate report: it declares an entity (%.64s)", name);
}

/* utf8_declared - is the document UTF-8: no BOM of UTF-16, no other encoding declared? */
static int utf8_declared(const char *s, size_t len)
{
    if (len >= 2 && (((unsigned char)s[0] == 0xfe && (unsigned char)s[1] == 0xff) ||
                     ((unsigned char)s[0] == 0xff && (unsigned char)s[1] == 0xfe)))
        return 0;
    if (len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3)) {
        s += 3;
        len -= 3;
    }
    if (len < 5 || memcmp(s, "<?xml", 5))
        return 1;
    const char *end = str_find(s, len < 256 ? len : 256, "?>", 2);
    if (!end)
        return 1;
    const char *e = str_find(s, (size_t)(end - s), "encoding", 8);
    if (!e)
        return 1;
    e += 8;
    while (e < end && (str_isspace((unsigned char)*e) || *e == '=' || *e == '"' || *e == '\''))
        e++;
    size_t n = 0;
    while (e + n < end && (str_isalnum((unsigned char)e[n]) || e[n] == '-' || e[n] == '_'))
        n++;
    return str_caseeq(e, n, "utf-8") || str_caseeq(e, n, "utf8");
}

static void agg_row_free(mxd_dmarc_row *w)
{
    free(w->source_ip);
    free(w->disposition);
    free(w->dkim);
    free(w->spf);
    for (size_t j = 0; j < w->nreasons; j++) {
        free(w->reasons[j].type);
        free(w->reasons[j].comment);
    }
    free(w->reasons);
    free(w->header_from);
    free(w->envelope_from);
    free(w->envelope_to);
    for (size_t j = 0; j < w->ndkim; j++) {
        free(w->dkim_results[j].domain);
        free(w->dkim_results[j].selector);
        free(w->dkim_results[j].result);
        free(w->dkim_results[j].human_result);
    }
    free(w->dkim_results);
    for (size_t j = 0; j < w->nspf; j++) {
        free(w->spf_results[j].domain);
        free(w->spf_results[j].scope);
        free(w->spf_results[j].result);
        free(w->spf_results[j].human_result);
    }
    free(w->spf_results);
}

void mxd_dmarc_agg_free(mxd_dmarc_agg *r)
{
    if (!r)
        return;
    char **strs[] = {&r->version,   &r->org_name,  &r->email,   &r->extra_contact_info,
                     &r->report_id, &r->generator, &r->domain,  &r->adkim,
                     &r->aspf,      &r->p,         &r->sp,      &r->np,
                     &r->pct,       &r->fo,        &r->testing, &r->discovery_method};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
        free(*strs[i]);
    for (size_t i = 0; i < r->nerrors; i++)
        free(r->errors[i]);
    free(r->errors);
    for (size_t i = 0; i < r->nrows; i++)
        agg_row_free(&r->rows[i]);
    free(r->rows);
    free(r);
}

/* run - one expat pass over xml into st->r. */
static mxd_err run(agg_state *st, const char *xml, size_t len)
{
    XML_Parser p = xp.create_ns(NULL, AGG_NS_SEP);
    if (!p)
        return str_why(MXD_ERR_NOMEM, st->why, st->whylen, "out of memory");
    st->p = p;
    xp.set_user_data(p, st);
    xp.set_element_handler(p, on_start, on_end);
    xp.set_character_data_handler(p, on_text);
    xp.set_entity_decl_handler(p, on_entity);
    enum XML_Status s = xp.parse(p, xml, (int)len, XML_TRUE);
    mxd_err e = st->err;
    /* what follows </feedback> does not matter: one reporter wraps the report in an
     * <xs:schema> it never closes */
    if (!e && s != XML_STATUS_OK && !st->root_closed) {
        enum XML_Error code = xp.error_code(p);
        e = code == XML_ERROR_NO_MEMORY ? MXD_ERR_NOMEM : MXD_ERR_PARSE;
        str_why(e, st->why, st->whylen, "malformed XML: %s at line %lu", xp.error_string(code),
                (unsigned long)xp.line(p));
    }
    xp.free(p);
    return e;
}

mxd_err mxd_dmarc_agg_parse(const char *xml, size_t len, mxd_dmarc_agg **out, char *why,
                            size_t whylen)
{
    if (why && whylen)
        why[0] = 0;
    if (!out || (!xml && len))
        return str_why(MXD_ERR_INVALID, why, whylen, "no report given");
    *out = NULL;
    if (len > MXD_REPORT_MAX_INPUT)
        return str_why(MXD_ERR_TOOBIG, why, whylen, "the report is larger than %u bytes",
                       MXD_REPORT_MAX_INPUT);
    if (len == 0)
        return str_why(MXD_ERR_EMPTY, why, whylen, "the report is empty");
    pthread_once(&xp_once, xp_load);
    if (!xp_loaded)
        return str_why(MXD_ERR_NOLIB, why, whylen, "%s", report_expat_lib.why);
    char *fixed = NULL;
    if (!str_utf8_valid(xml, len, NULL) && utf8_declared(xml, len)) {
        fixed = str_utf8_repair(xml, len, &len);
        if (!fixed)
            return str_why(MXD_ERR_NOMEM, why, whylen, "out of memory");
        if (len > MXD_REPORT_MAX_INPUT) {
            free(fixed);
            return str_why(MXD_ERR_TOOBIG, why, whylen, "the report is larger than %u bytes",
                           MXD_REPORT_MAX_INPUT);
        }
        xml = fixed;
    }
    agg_state *st = calloc(1, sizeof *st);
    mxd_dmarc_agg *r = calloc(1, sizeof *r);
    if (!st || !r) {
        free(st);
        free(r);
        free(fixed);
        return str_why(MXD_ERR_NOMEM, why, whylen, "out of memory");
    }
    st->r = r;
    st->why = why;
    st->whylen = whylen;
    mxd_err e = run(st, xml, len);
    int st_root = st->root;
    free(fixed);
    free(st);
    if (!e) {
        const char *missing = !r->report_id               ? "no report_id"
                              : !r->org_name && !r->email ? "no org_name or email"
                              : !r->domain                ? "no policy_published domain"
                                                          : NULL;
        if (!st_root)
            missing = "no <feedback> element";
        if (missing)
            e = str_why(MXD_ERR_PARSE, why, whylen, "not a DMARC aggregate report: %s", missing);
    }
    if (e) {
        mxd_dmarc_agg_free(r);
        return e;
    }
    *out = r;
    return MXD_OK;
}

/* --- JSON ---------------------------------------------------------------------------------- */

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *jdate(long long t)
{
    char d[32];
    report_time(t, 0, d);
    return d[0] ? json_string(d) : json_null();
}

static json_t *row_json(const mxd_dmarc_row *w)
{
    json_t *o = json_object();
    json_t *src = json_object();
    json_object_set_new(src, "ip_address", jstr(w->source_ip));
    json_object_set_new(o, "source", src);
    json_object_set_new(
        o, "count",
        json_integer(
            (json_int_t)(w->count > 0x7fffffffffffffffULL ? 0x7fffffffffffffffULL : w->count)));
    int spf = w->spf && !strcmp(w->spf, "pass"), dkim = w->dkim && !strcmp(w->dkim, "pass");
    json_t *al = json_object();
    json_object_set_new(al, "spf", json_boolean(spf));
    json_object_set_new(al, "dkim", json_boolean(dkim));
    json_object_set_new(al, "dmarc", json_boolean(spf || dkim));
    json_object_set_new(o, "alignment", al);
    json_t *pe = json_object(), *rs = json_array();
    json_object_set_new(pe, "disposition", jstr(w->disposition));
    json_object_set_new(pe, "dkim", jstr(w->dkim));
    json_object_set_new(pe, "spf", jstr(w->spf));
    for (size_t i = 0; i < w->nreasons; i++) {
        json_t *x = json_object();
        json_object_set_new(x, "type", jstr(w->reasons[i].type));
        json_object_set_new(x, "comment", jstr(w->reasons[i].comment));
        json_array_append_new(rs, x);
    }
    json_object_set_new(pe, "policy_override_reasons", rs);
    json_object_set_new(o, "policy_evaluated", pe);
    /* as parsedmarc: without envelope_from, the domain of the last SPF result stands in */
    const char *ef = w->envelope_from;
    if (!ef && w->nspf)
        ef = w->spf_results[w->nspf - 1].domain;
    json_t *id = json_object();
    json_object_set_new(id, "header_from", jstr(w->header_from));
    json_object_set_new(id, "envelope_from", jstr(ef));
    json_object_set_new(id, "envelope_to", jstr(w->envelope_to));
    json_object_set_new(o, "identifiers", id);
    json_t *ar = json_object(), *dk = json_array(), *sp = json_array();
    for (size_t i = 0; i < w->ndkim; i++) {
        const mxd_dmarc_dkim_result *d = &w->dkim_results[i];
        json_t *x = json_object();
        json_object_set_new(x, "domain", jstr(d->domain));
        json_object_set_new(x, "selector", jstr(d->selector));
        json_object_set_new(x, "result", jstr(d->result));
        json_object_set_new(x, "human_result", jstr(d->human_result));
        json_array_append_new(dk, x);
    }
    for (size_t i = 0; i < w->nspf; i++) {
        const mxd_dmarc_spf_result *s = &w->spf_results[i];
        json_t *x = json_object();
        json_object_set_new(x, "domain", jstr(s->domain));
        json_object_set_new(x, "scope", jstr(s->scope));
        json_object_set_new(x, "result", jstr(s->result));
        json_object_set_new(x, "human_result", jstr(s->human_result));
        json_array_append_new(sp, x);
    }
    json_object_set_new(ar, "dkim", dk);
    json_object_set_new(ar, "spf", sp);
    json_object_set_new(o, "auth_results", ar);
    return o;
}

char *mxd_dmarc_agg_json(const mxd_dmarc_agg *r, int pretty)
{
    if (!r)
        return NULL;
    json_t *o = json_object();
    if (!o)
        return NULL;
    /* parsedmarc: the document's <version>, "draft" for the reports that have none */
    json_object_set_new(o, "xml_schema", json_string(r->version ? r->version : "draft"));
    json_t *md = json_object(), *errs = json_array();
    json_object_set_new(md, "org_name", jstr(r->org_name));
    json_object_set_new(md, "org_email", jstr(r->email));
    json_object_set_new(md, "org_extra_contact_info", jstr(r->extra_contact_info));
    json_object_set_new(md, "report_id", jstr(r->report_id));
    json_object_set_new(md, "begin_date", jdate(r->begin));
    json_object_set_new(md, "end_date", jdate(r->end));
    for (size_t i = 0; i < r->nerrors; i++)
        json_array_append_new(errs, json_string(r->errors[i]));
    json_object_set_new(md, "errors", errs);
    json_object_set_new(md, "generator", jstr(r->generator));
    json_object_set_new(o, "report_metadata", md);
    /* the defaults of RFC 7489 where the report left them out, as parsedmarc fills them */
    json_t *pp = json_object();
    json_object_set_new(pp, "domain", jstr(r->domain));
    json_object_set_new(pp, "adkim", json_string(r->adkim ? r->adkim : "r"));
    json_object_set_new(pp, "aspf", json_string(r->aspf ? r->aspf : "r"));
    json_object_set_new(pp, "p", jstr(r->p));
    json_object_set_new(pp, "sp", jstr(r->sp ? r->sp : r->p));
    json_object_set_new(pp, "np", jstr(r->np));
    json_object_set_new(pp, "pct", jstr(r->pct ? r->pct : r->rfc9990 ? NULL : "100"));
    json_object_set_new(pp, "fo", jstr(r->fo ? r->fo : r->rfc9990 ? NULL : "0"));
    json_object_set_new(pp, "testing", jstr(r->testing));
    json_object_set_new(pp, "discovery_method", jstr(r->discovery_method));
    json_object_set_new(o, "policy_published", pp);
    json_t *recs = json_array();
    for (size_t i = 0; i < r->nrows; i++)
        json_array_append_new(recs, row_json(&r->rows[i]));
    json_object_set_new(o, "records", recs);
    char *s = json_dumps(o, (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}
