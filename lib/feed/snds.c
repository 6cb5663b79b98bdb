/* snds.c - Microsoft SNDS reports: the IP data report and the IP status report, CSV or JSON
 * SPDX-License-Identifier: MIT
 *
 * Both generations carry the same columns under different spellings, so a column is known by
 * its normalised name (feed_key: "RCPT commands" and "rcptCommands" are "rcptcommands") looked
 * up in one table of aliases. The old key-based export wrote no header line: a first record
 * whose fields are no known names is read by position, in the order the export used (data:
 * IP, activity start, activity end, RCPT, DATA, recipients, filter result, complaint rate, trap
 * period start and end, trap hits, sample HELO, JMRP P1 sender, comments; status: first IP,
 * last IP, blocked, reason). A record with a last IP or a blocked column is a blocked range,
 * any other an IP's day. JSON (the REST API) is an array of objects with the same names, bare
 * or under a member of the top-level object. Every value goes through the same row builder.
 * A name that is no alias but starts with one ("Activity start (UTC)") takes the longest.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "feed/feed_internal.h"
#include "util/cidr.h"
#include "util/str.h"

enum col {
    C_NONE = -1,
    C_IP,
    C_START,
    C_END,
    C_RCPT,
    C_DATA,
    C_RECIPIENTS,
    C_FILTER,
    C_COMPLAINT,
    C_TRAP_START,
    C_TRAP_END,
    C_TRAP_HITS,
    C_HELO,
    C_MAILFROM,
    C_COMMENTS,
    C_FIRST_IP,
    C_LAST_IP,
    C_BLOCKED,
    C_REASON,
    C_DATE,
    C_N
};

static const struct {
    const char *key; /* normalised */
    enum col col;
} aliases[] = {
    {"ipaddress", C_IP},
    {"ip", C_IP},
    {"beginningipaddress", C_IP},
    {"activitystart", C_START},
    {"activitystarttime", C_START},
    {"activityperiodstart", C_START},
    {"activitystartdate", C_START},
    {"start", C_START},
    {"starttime", C_START},
    {"activityend", C_END},
    {"activityendtime", C_END},
    {"activityperiodend", C_END},
    {"activityenddate", C_END},
    {"end", C_END},
    {"endtime", C_END},
    {"rcptcommands", C_RCPT},
    {"rcpt", C_RCPT},
    {"datacommands", C_DATA},
    {"messagerecipients", C_RECIPIENTS},
    {"recipients", C_RECIPIENTS},
    {"filterresult", C_FILTER},
    {"filterresults", C_FILTER},
    {"overallstatus", C_FILTER},
    {"spamfilterresult", C_FILTER},
    {"complaintrate", C_COMPLAINT},
    {"complaints", C_COMPLAINT},
    {"trapmessageperiodstart", C_TRAP_START},
    {"trapmessagestart", C_TRAP_START},
    {"trapperiodstart", C_TRAP_START},
    {"trapstart", C_TRAP_START},
    {"trapmessageperiodend", C_TRAP_END},
    {"trapmessageend", C_TRAP_END},
    {"trapperiodend", C_TRAP_END},
    {"trapend", C_TRAP_END},
    {"traphits", C_TRAP_HITS},
    {"traps", C_TRAP_HITS},
    {"samplehelo", C_HELO},
    {"helo", C_HELO},
    {"jmrpp1sender", C_MAILFROM},
    {"jmrp1sender", C_MAILFROM},
    {"jmrpp1sendersamplemailfrom", C_MAILFROM},
    {"samplemailfrom", C_MAILFROM},
    {"mailfrom", C_MAILFROM},
    {"comments", C_COMMENTS},
    {"comment", C_COMMENTS},
    {"firstip", C_FIRST_IP},
    {"firstipaddress", C_FIRST_IP},
    {"startip", C_FIRST_IP},
    {"lastip", C_LAST_IP},
    {"lastipaddress", C_LAST_IP},
    {"endingipaddress", C_LAST_IP},
    {"endip", C_LAST_IP},
    {"blocked", C_BLOCKED},
    {"isblocked", C_BLOCKED},
    {"status", C_BLOCKED},
    {"reason", C_REASON},
    {"blockreason", C_REASON},
    {"details", C_REASON},
    {"date", C_DATE},
    {"day", C_DATE},
    {"reportdate", C_DATE},
};

/* The order of the old headerless exports. */
static const enum col data_order[] = {C_IP,         C_START,  C_END,       C_RCPT,       C_DATA,
                                      C_RECIPIENTS, C_FILTER, C_COMPLAINT, C_TRAP_START, C_TRAP_END,
                                      C_TRAP_HITS,  C_HELO,   C_MAILFROM,  C_COMMENTS};
static const enum col status_order[] = {C_FIRST_IP, C_LAST_IP, C_BLOCKED, C_REASON};

static enum col col_of(const char *name, size_t len)
{
    char k[FEED_KEY_MAX];
    feed_key(name, len, k);
    for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
        if (!strcmp(aliases[i].key, k))
            return aliases[i].col;
    /* a known name with something after it ("Activity start (UTC)"): the longest such */
    enum col best = C_NONE;
    size_t best_len = 0;
    for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++) {
        size_t l = strlen(aliases[i].key);
        if (l >= 5 && l > best_len && !strncmp(aliases[i].key, k, l)) {
            best = aliases[i].col;
            best_len = l;
        }
    }
    return best;
}

/* --- the report ------------------------------------------------------------------------- */

static void row_free(mxd_snds_row *r)
{
    free(r->ip);
    free(r->date);
    free(r->filter);
    free(r->complaint);
    free(r->helo);
    free(r->mailfrom);
    free(r->comments);
}

void mxd_snds_free(mxd_snds_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nrows; i++)
        row_free(&r->rows[i]);
    for (size_t i = 0; i < r->nblocks; i++) {
        free(r->blocks[i].first_ip);
        free(r->blocks[i].last_ip);
        free(r->blocks[i].reason);
    }
    free(r->rows);
    free(r->blocks);
    free(r);
}

typedef struct builder {
    mxd_snds_report *r;
    size_t arows, ablocks;
    const char *default_date;
    char *why;
    size_t whylen;
    const char *where; /* "line" or "item" */
} builder;

static int blank(const char *v)
{
    if (!v)
        return 1;
    while (str_isspace((unsigned char)*v))
        v++;
    return !*v;
}

/* count - a count ("1234", "1,234"); -1 when blank; -2 when not a number. */
static long long count(const char *v)
{
    if (blank(v))
        return -1;
    while (str_isspace((unsigned char)*v))
        v++;
    long long n = 0;
    int digits = 0;
    for (; *v && !str_isspace((unsigned char)*v); v++) {
        if (*v == ',')
            continue;
        if (!str_isdigit((unsigned char)*v) || n > 1000000000000000LL)
            return -2;
        n = n * 10 + (*v - '0');
        digits++;
    }
    while (str_isspace((unsigned char)*v))
        v++;
    return digits && !*v ? n : -2;
}

/* bad - "line N: <pre>'<v>'<post>" (v shortened and cleaned) as a parse error. */
static mxd_err bad(builder *b, unsigned at, const char *pre, const char *v, const char *post)
{
    char vv[64];
    snprintf(vv, sizeof vv, "%s", v ? v : "");
    for (char *q = vv; *q; q++)
        if ((unsigned char)*q < 0x20 || *q == 0x7f)
            *q = '?';
    return str_why(MXD_ERR_PARSE, b->why, b->whylen, "%s %u: %s'%s'%s", b->where, at, pre, vv,
                   post);
}

static mxd_err add_block(builder *b, const char *const v[C_N], unsigned at)
{
    if (b->r->nblocks + b->r->nrows >= MXD_FEED_MAX_ROWS)
        return str_why(MXD_ERR_TOOBIG, b->why, b->whylen, "more than %d rows", MXD_FEED_MAX_ROWS);
    char first[CIDR_TEXT_MAX], last[CIDR_TEXT_MAX];
    const char *f = v[C_FIRST_IP] ? v[C_FIRST_IP] : v[C_IP];
    if (feed_ip(f ? f : "", first))
        return bad(b, at, "first IP ", f, " is not an IP address");
    if (blank(v[C_LAST_IP]))
        snprintf(last, sizeof last, "%s", first);
    else if (feed_ip(v[C_LAST_IP], last))
        return bad(b, at, "last IP ", v[C_LAST_IP], " is not an IP address");
    int blocked = -1;
    if (!blank(v[C_BLOCKED])) {
        char k[FEED_KEY_MAX];
        feed_key(v[C_BLOCKED], strlen(v[C_BLOCKED]), k);
        if (!strcmp(k, "yes") || !strcmp(k, "true") || !strcmp(k, "1") || !strcmp(k, "blocked"))
            blocked = 1;
        else if (!strcmp(k, "no") || !strcmp(k, "false") || !strcmp(k, "0") ||
                 !strcmp(k, "notblocked"))
            blocked = 0;
        else
            return bad(b, at, "blocked ", v[C_BLOCKED], " is neither yes nor no");
    }
    if (b->r->nblocks == b->ablocks) {
        size_t na = b->ablocks ? b->ablocks * 2 : 16;
        mxd_snds_block *nb = realloc(b->r->blocks, na * sizeof *nb);
        if (!nb)
            return MXD_ERR_NOMEM;
        b->r->blocks = nb;
        b->ablocks = na;
    }
    mxd_snds_block *k = &b->r->blocks[b->r->nblocks];
    memset(k, 0, sizeof *k);
    int nomem = 0;
    k->first_ip = feed_text(first, strlen(first), &nomem);
    k->last_ip = feed_text(last, strlen(last), &nomem);
    k->blocked = blocked;
    if (v[C_REASON])
        k->reason = feed_text(v[C_REASON], strlen(v[C_REASON]), &nomem);
    b->r->nblocks++;
    return nomem ? MXD_ERR_NOMEM : MXD_OK;
}

static int time_of(const char *v, long long *t)
{
    if (blank(v)) {
        *t = 0;
        return 0;
    }
    return feed_time(v, t);
}

static mxd_err add_row(builder *b, const char *const v[C_N], unsigned at)
{
    if (b->r->nblocks + b->r->nrows >= MXD_FEED_MAX_ROWS)
        return str_why(MXD_ERR_TOOBIG, b->why, b->whylen, "more than %d rows", MXD_FEED_MAX_ROWS);
    mxd_snds_row w;
    memset(&w, 0, sizeof w);
    char ip[CIDR_TEXT_MAX];
    if (feed_ip(v[C_IP] ? v[C_IP] : "", ip))
        return bad(b, at, "", v[C_IP], " is not an IP address");
    if (time_of(v[C_START], &w.start))
        return bad(b, at, "activity start ", v[C_START], " is not a date");
    if (time_of(v[C_END], &w.end))
        return bad(b, at, "activity end ", v[C_END], " is not a date");
    if (time_of(v[C_TRAP_START], &w.trap_start))
        return bad(b, at, "trap period start ", v[C_TRAP_START], " is not a date");
    if (time_of(v[C_TRAP_END], &w.trap_end))
        return bad(b, at, "trap period end ", v[C_TRAP_END], " is not a date");
    static const struct {
        enum col c;
        size_t off;
        const char *name;
    } nums[] = {
        {C_RCPT, offsetof(mxd_snds_row, rcpt), "RCPT commands"},
        {C_DATA, offsetof(mxd_snds_row, data), "DATA commands"},
        {C_RECIPIENTS, offsetof(mxd_snds_row, recipients), "message recipients"},
        {C_TRAP_HITS, offsetof(mxd_snds_row, trap_hits), "trap hits"},
    };
    for (size_t i = 0; i < sizeof nums / sizeof *nums; i++) {
        long long n = count(v[nums[i].c]);
        if (n == -2) {
            char pre[64];
            snprintf(pre, sizeof pre, "%s ", nums[i].name);
            return bad(b, at, pre, v[nums[i].c], " is not a number");
        }
        *(long long *)(void *)((char *)&w + nums[i].off) = n;
    }
    char day[11] = "";
    if (!blank(v[C_DATE])) {
        long long t;
        if (feed_time(v[C_DATE], &t))
            return bad(b, at, "date ", v[C_DATE], " is not a date");
        feed_day(t, day);
    } else if (w.start) {
        feed_day(w.start, day);
    } else if (w.end) {
        feed_day(w.end - 1, day);
    } else if (b->default_date) {
        snprintf(day, sizeof day, "%s", b->default_date);
    } else {
        return bad(b, at, "no activity period for ", ip, " (give --date)");
    }
    char filter[16] = "";
    if (!blank(v[C_FILTER])) {
        char k[FEED_KEY_MAX];
        feed_key(v[C_FILTER], strlen(v[C_FILTER]), k);
        if (strcmp(k, "green") && strcmp(k, "yellow") && strcmp(k, "red"))
            return bad(b, at, "filter result ", v[C_FILTER], " is not GREEN, YELLOW or RED");
        for (size_t i = 0; k[i]; i++)
            filter[i] = (char)(k[i] - 32);
        filter[strlen(k)] = 0;
    }
    if (b->r->nrows == b->arows) {
        size_t na = b->arows ? b->arows * 2 : 16;
        mxd_snds_row *nr = realloc(b->r->rows, na * sizeof *nr);
        if (!nr)
            return MXD_ERR_NOMEM;
        b->r->rows = nr;
        b->arows = na;
    }
    int nomem = 0;
    w.ip = feed_text(ip, strlen(ip), &nomem);
    w.date = feed_text(day, strlen(day), &nomem);
    if (filter[0])
        w.filter = feed_text(filter, strlen(filter), &nomem);
#define TXT(c) (v[c] ? feed_text(v[c], strlen(v[c]), &nomem) : NULL)
    w.complaint = TXT(C_COMPLAINT);
    w.helo = TXT(C_HELO);
    w.mailfrom = TXT(C_MAILFROM);
    w.comments = TXT(C_COMMENTS);
#undef TXT
    b->r->rows[b->r->nrows++] = w;
    return nomem ? MXD_ERR_NOMEM : MXD_OK;
}

/* add - one record of named values: a blocked range or an IP's day. A CSV record of empty
 * fields is skipped; a JSON record without one SNDS field is an error. */
static mxd_err add(builder *b, const char *const v[C_N], unsigned at)
{
    int any = 0;
    for (int c = 0; c < C_N; c++)
        any |= !blank(v[c]);
    if (!any)
        return strcmp(b->where, "item")
                   ? MXD_OK
                   : str_why(MXD_ERR_PARSE, b->why, b->whylen, "item %u: no SNDS field", at);
    if (v[C_LAST_IP] || v[C_BLOCKED] || (v[C_FIRST_IP] && !v[C_IP]))
        return add_block(b, v, at);
    return add_row(b, v, at);
}

/* --- CSV --------------------------------------------------------------------------------- */

static mxd_err parse_csv(builder *b, const char *data, size_t len)
{
    csv_reader r;
    csv_init(&r, data, len);
    enum col map[MXD_FEED_MAX_COLUMNS];
    size_t ncols = 0;
    int have_map = 0;
    mxd_err e = MXD_OK;
    int rc;
    while ((rc = csv_next(&r, &e, b->why, b->whylen)) == 1) {
        if (!have_map) {
            size_t known = 0;
            for (size_t i = 0; i < r.nfields; i++) {
                map[i] = col_of(r.field[i], strlen(r.field[i]));
                known += map[i] != C_NONE;
            }
            have_map = 1;
            if (known >= 2) { /* a header line */
                ncols = r.nfields;
                int has_ip = 0;
                for (size_t i = 0; i < ncols; i++)
                    has_ip |= map[i] == C_IP || map[i] == C_FIRST_IP;
                if (!has_ip) {
                    e = str_why(MXD_ERR_PARSE, b->why, b->whylen,
                                "line %u: no IP address column among the SNDS columns", r.line);
                    break;
                }
                continue;
            }
            char ip[CIDR_TEXT_MAX];
            if (r.nfields >= 11 && !feed_ip(r.field[0], ip)) {
                ncols = sizeof data_order / sizeof *data_order;
                memcpy(map, data_order, sizeof data_order);
            } else if (r.nfields >= 3 && r.nfields <= 5 && !feed_ip(r.field[0], ip) &&
                       !feed_ip(r.field[1], ip)) {
                ncols = sizeof status_order / sizeof *status_order;
                memcpy(map, status_order, sizeof status_order);
            } else {
                e = str_why(MXD_ERR_PARSE, b->why, b->whylen,
                            "line %u: neither SNDS column names nor an SNDS record", r.line);
                break;
            }
        }
        const char *v[C_N] = {0};
        for (size_t i = 0; i < r.nfields && i < ncols; i++)
            if (map[i] != C_NONE && !v[map[i]])
                v[map[i]] = r.field[i];
        if ((e = add(b, v, r.line)))
            break;
    }
    csv_free(&r);
    if (!e && !have_map)
        e = str_why(MXD_ERR_EMPTY, b->why, b->whylen, "no records");
    return e;
}

/* --- JSON ------------------------------------------------------------------------------- */

/* items - the array of records: the root array, else the first member of the root object
 * that is an array of objects, else the root object as the one record. */
static const json_t *items(const json_t *root, int *single)
{
    *single = 0;
    if (json_is_array(root))
        return root;
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)root, k, v)
    {
        if (json_is_array(v) && (json_array_size(v) == 0 || json_is_object(json_array_get(v, 0))))
            return v;
    }
    *single = 1;
    return root;
}

static mxd_err json_record(builder *b, const json_t *o, unsigned at)
{
    if (!json_is_object(o))
        return str_why(MXD_ERR_PARSE, b->why, b->whylen, "item %u: not an object", at);
    const char *v[C_N] = {0};
    char nums[C_N][32];
    const char *k;
    const json_t *x;
    json_object_foreach((json_t *)o, k, x)
    {
        enum col c = col_of(k, strlen(k));
        if (c == C_NONE || v[c])
            continue;
        if (json_is_string(x)) {
            if (json_string_length(x) > MXD_FEED_MAX_FIELD)
                return str_why(MXD_ERR_TOOBIG, b->why, b->whylen,
                               "item %u: a value longer than %d bytes", at, MXD_FEED_MAX_FIELD);
            if (strlen(json_string_value(x)) != json_string_length(x))
                return str_why(MXD_ERR_PARSE, b->why, b->whylen, "item %u: a value with a NUL byte",
                               at);
            v[c] = json_string_value(x);
        } else if (json_is_integer(x)) {
            snprintf(nums[c], sizeof nums[c], "%lld", (long long)json_integer_value(x));
            v[c] = nums[c];
        } else if (json_is_real(x)) {
            double d = json_real_value(x);
            if (!isfinite(d) || d < 0 || d > 1e15 || d != floor(d))
                return str_why(MXD_ERR_PARSE, b->why, b->whylen, "item %u: %s is not a count", at,
                               k);
            snprintf(nums[c], sizeof nums[c], "%.0f", d);
            v[c] = nums[c];
        } else if (json_is_boolean(x)) {
            v[c] = json_is_true(x) ? "yes" : "no";
        } else if (!json_is_null(x)) {
            return str_why(MXD_ERR_PARSE, b->why, b->whylen,
                           "item %u: %s is neither text nor a number", at, k);
        }
    }
    return add(b, v, at);
}

static mxd_err parse_json(builder *b, const char *data, size_t len)
{
    if (str_json_shape(data, len, NULL) > MXD_FEED_MAX_JSON_VALUES)
        return str_why(MXD_ERR_TOOBIG, b->why, b->whylen, "more than %d JSON values",
                       MXD_FEED_MAX_JSON_VALUES);
    json_error_t jerr;
    json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return str_why(MXD_ERR_PARSE, b->why, b->whylen, "not JSON: line %d: %s", jerr.line,
                       jerr.text);
    mxd_err e = MXD_OK;
    int single;
    const json_t *arr = items(root, &single);
    b->where = "item";
    if (single) {
        e = json_record(b, arr, 1);
    } else {
        if (json_array_size(arr) > MXD_FEED_MAX_ROWS)
            e = str_why(MXD_ERR_TOOBIG, b->why, b->whylen, "more than %d rows", MXD_FEED_MAX_ROWS);
        for (size_t i = 0; !e && i < json_array_size(arr); i++)
            e = json_record(b, json_array_get(arr, i), (unsigned)i + 1);
    }
    json_decref(root);
    return e;
}

mxd_err mxd_snds_parse(const char *data, size_t len, const char *default_date,
                       mxd_snds_report **out, char *why, size_t whylen)
{
    *out = NULL;
    if (why && whylen)
        why[0] = 0;
    if (len > MXD_FEED_MAX_INPUT)
        return str_why(MXD_ERR_TOOBIG, why, whylen, "larger than %u bytes", MXD_FEED_MAX_INPUT);
    if (default_date && !feed_valid_day(default_date))
        return str_why(MXD_ERR_INVALID, why, whylen, "'%s' is not a date (YYYY-MM-DD)",
                       default_date);
    size_t i = 0;
    if (len >= 3 && (unsigned char)data[0] == 0xEF && (unsigned char)data[1] == 0xBB &&
        (unsigned char)data[2] == 0xBF)
        i = 3;
    while (i < len && str_isspace((unsigned char)data[i]))
        i++;
    if (i == len)
        return str_why(MXD_ERR_EMPTY, why, whylen, "empty");
    if (memchr(data, 0, len))
        return str_why(MXD_ERR_PARSE, why, whylen, "not text (a NUL byte)");
    builder b = {0};
    b.r = calloc(1, sizeof *b.r);
    if (!b.r)
        return MXD_ERR_NOMEM;
    b.default_date = default_date;
    b.why = why;
    b.whylen = whylen;
    b.where = "line";
    mxd_err e;
    if (data[i] == '{' || data[i] == '[') {
        b.r->format = "json";
        e = parse_json(&b, data + i, len - i);
    } else {
        b.r->format = "csv";
        e = parse_csv(&b, data, len);
    }
    if (e) {
        if (e == MXD_ERR_NOMEM && why && !why[0])
            str_why(e, why, whylen, "%s", mxd_strerror(e));
        mxd_snds_free(b.r);
        return e;
    }
    *out = b.r;
    return MXD_OK;
}

/* --- JSON out ----------------------------------------------------------------------------- */

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *jnum(long long n)
{
    return n >= 0 ? json_integer(n) : json_null();
}

static json_t *jtime(long long t)
{
    if (!t)
        return json_null();
    char day[11], out[32];
    feed_day(t, day);
    long long s = ((t % 86400) + 86400) % 86400;
    snprintf(out, sizeof out, "%sT%02lld:%02lld:%02lldZ", day, s / 3600, s / 60 % 60, s % 60);
    return json_string(out);
}

char *mxd_snds_json(const mxd_snds_report *r, int pretty)
{
    json_t *o = json_object(), *rows = json_array(), *blocks = json_array();
    for (size_t i = 0; i < r->nrows; i++) {
        const mxd_snds_row *w = &r->rows[i];
        json_t *x = json_object();
        json_object_set_new(x, "ip", jstr(w->ip));
        json_object_set_new(x, "date", jstr(w->date));
        json_object_set_new(x, "activity_start", jtime(w->start));
        json_object_set_new(x, "activity_end", jtime(w->end));
        json_object_set_new(x, "rcpt_commands", jnum(w->rcpt));
        json_object_set_new(x, "data_commands", jnum(w->data));
        json_object_set_new(x, "recipients", jnum(w->recipients));
        json_object_set_new(x, "filter_result", jstr(w->filter));
        json_object_set_new(x, "complaint_rate", jstr(w->complaint));
        json_object_set_new(x, "trap_start", jtime(w->trap_start));
        json_object_set_new(x, "trap_end", jtime(w->trap_end));
        json_object_set_new(x, "trap_hits", jnum(w->trap_hits));
        json_object_set_new(x, "sample_helo", jstr(w->helo));
        json_object_set_new(x, "sample_mail_from", jstr(w->mailfrom));
        json_object_set_new(x, "comments", jstr(w->comments));
        json_array_append_new(rows, x);
    }
    for (size_t i = 0; i < r->nblocks; i++) {
        const mxd_snds_block *k = &r->blocks[i];
        json_t *x = json_object();
        json_object_set_new(x, "first_ip", jstr(k->first_ip));
        json_object_set_new(x, "last_ip", jstr(k->last_ip));
        json_object_set_new(x, "blocked", k->blocked < 0 ? json_null() : json_boolean(k->blocked));
        json_object_set_new(x, "reason", jstr(k->reason));
        json_array_append_new(blocks, x);
    }
    json_object_set_new(o, "format", json_string(r->format));
    json_object_set_new(o, "rows", rows);
    json_object_set_new(o, "blocks", blocks);
    char *s = json_dumps(o, (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}
