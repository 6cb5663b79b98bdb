/* gpt.c - Google Postmaster Tools: v1 trafficStats and v2 domainStats, per domain and day
 * SPDX-License-Identifier: MIT
 *
 * v1 (domains.trafficStats): one object per domain and day, named
 * "domains/{domain}/trafficStats/{YYYYMMDD}", with userReportedSpamRatio, ipReputations[]
 * ({reputation, ipCount, sampleIps[]}), domainReputation, spf/dkim/dmarcSuccessRatio,
 * inbound/outboundEncryptionRatio and deliveryErrors[] ({errorClass, errorType, errorRatio});
 * a list answer holds them under "trafficStats". v2 (domains.domainStats.query): one object
 * per metric, {name: "domains/{domain}/domainStats/{id}", date: {year, month, day}, metric,
 * value: {doubleValue | floatValue | intValue | stringValue}}; metric is the name the query
 * gave its MetricDefinition, so it is matched loosely (a name with "spam" is the spam rate,
 * "reputation" the domain reputation, "spf", "dkim", "dmarc", "deliveryerror" ...). v2 items
 * are grouped into one day per (domain, date) through a small hash table, seeded per answer
 * so that an answer cannot be made of names that all land in one slot (quadratic probing).
 */
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "feed/feed_internal.h"
#include "util/cidr.h"
#include "util/str.h"

typedef struct gb {
    mxd_gpt_report *r;
    size_t adays;
    size_t *slot; /* hash of (domain, date) -> day index + 1 */
    size_t nslot;
    uint64_t seed; /* of hash(), random per answer */
    char *why;
    size_t whylen;
} gb;

static void day_free(mxd_gpt_day *d)
{
    free(d->domain);
    free(d->date);
    free(d->domain_reputation);
    for (size_t i = 0; i < d->nipreps; i++) {
        free(d->ipreps[i].reputation);
        for (size_t j = 0; j < d->ipreps[i].nips; j++)
            free(d->ipreps[i].ips[j]);
        free(d->ipreps[i].ips);
    }
    free(d->ipreps);
    for (size_t i = 0; i < d->nerrors; i++) {
        free(d->errors[i].error_class);
        free(d->errors[i].error_type);
    }
    free(d->errors);
}

void mxd_gpt_free(mxd_gpt_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->ndays; i++)
        day_free(&r->days[i]);
    free(r->days);
    free(r);
}

static uint64_t hash(uint64_t seed, const char *a, const char *b)
{
    uint64_t h = 1469598103934665603ULL ^ seed;
    for (; *a; a++)
        h = (h ^ (unsigned char)*a) * 1099511628211ULL;
    h = (h ^ '/') * 1099511628211ULL;
    for (; *b; b++)
        h = (h ^ (unsigned char)*b) * 1099511628211ULL;
    /* splitmix64's finaliser: the low bits the table uses depend on every bit of h */
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
    return h ^ (h >> 31);
}

static mxd_err rehash(gb *b, size_t n)
{
    size_t *s = calloc(n, sizeof *s);
    if (!s)
        return MXD_ERR_NOMEM;
    for (size_t i = 0; i < b->r->ndays; i++) {
        size_t k = hash(b->seed, b->r->days[i].domain, b->r->days[i].date) & (n - 1);
        while (s[k])
            k = (k + 1) & (n - 1);
        s[k] = i + 1;
    }
    free(b->slot);
    b->slot = s;
    b->nslot = n;
    return MXD_OK;
}

/* day - the day of (domain, date), added when new; NULL on error (*e set). */
static mxd_gpt_day *day(gb *b, const char *domain, const char *date, mxd_err *e)
{
    if (b->nslot) {
        size_t k = hash(b->seed, domain, date) & (b->nslot - 1);
        while (b->slot[k]) {
            mxd_gpt_day *d = &b->r->days[b->slot[k] - 1];
            if (!strcmp(d->domain, domain) && !strcmp(d->date, date))
                return d;
            k = (k + 1) & (b->nslot - 1);
        }
    }
    if (b->r->ndays >= MXD_FEED_MAX_ROWS) {
        *e = str_why(MXD_ERR_TOOBIG, b->why, b->whylen, "more than %d domain-days",
                     MXD_FEED_MAX_ROWS);
        return NULL;
    }
    if (b->r->ndays == b->adays) {
        size_t na = b->adays ? b->adays * 2 : 8;
        mxd_gpt_day *nd = realloc(b->r->days, na * sizeof *nd);
        if (!nd) {
            *e = MXD_ERR_NOMEM;
            return NULL;
        }
        b->r->days = nd;
        b->adays = na;
    }
    mxd_gpt_day *d = &b->r->days[b->r->ndays];
    memset(d, 0, sizeof *d);
    d->spam_rate = d->spf = d->dkim = d->dmarc = -1;
    d->inbound_tls = d->outbound_tls = d->delivery_error_rate = -1;
    int nomem = 0;
    d->domain = feed_text(domain, strlen(domain), &nomem);
    d->date = feed_text(date, strlen(date), &nomem);
    b->r->ndays++;
    if (nomem || !d->domain || !d->date) {
        *e = MXD_ERR_NOMEM;
        return NULL;
    }
    if (b->r->ndays * 2 > b->nslot) { /* the rehash puts the new day in too */
        if ((*e = rehash(b, b->nslot ? b->nslot * 2 : 64)))
            return NULL;
        return d;
    }
    size_t k = hash(b->seed, domain, date) & (b->nslot - 1);
    while (b->slot[k])
        k = (k + 1) & (b->nslot - 1);
    b->slot[k] = b->r->ndays;
    return d;
}

/* name_domain - the {domain} of "domains/{domain}/<what>/..." into out (256 bytes); the rest
 * after "<what>/" into *rest. -1 when name is not so. */
static int name_domain(const char *name, const char *what, char *out, const char **rest)
{
    if (strncmp(name, "domains/", 8))
        return -1;
    const char *d = name + 8, *slash = strchr(d, '/');
    size_t wl = strlen(what);
    if (!slash || slash == d || slash - d > 253 || strncmp(slash + 1, what, wl) ||
        slash[1 + wl] != '/')
        return -1;
    for (const char *p = d; p < slash; p++)
        if (!str_isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != '_')
            return -1;
    size_t n = (size_t)(slash - d);
    for (size_t i = 0; i < n; i++)
        out[i] = (char)str_tolower((unsigned char)d[i]);
    out[n] = 0;
    *rest = slash + 2 + wl;
    return 0;
}

/* ratio - o[key] as a ratio 0..1 into *v (left alone when absent); -1 when not a number in
 * range. */
static int ratio(const json_t *o, const char *key, double *v)
{
    const json_t *x = json_object_get(o, key);
    if (!x || json_is_null(x))
        return 0;
    if (!json_is_number(x))
        return -1;
    double d = json_number_value(x);
    if (!isfinite(d) || d < 0 || d > 1)
        return -1;
    *v = d;
    return 0;
}

static mxd_err text_of(const json_t *x, char **out)
{
    if (!json_is_string(x) || json_string_length(x) > MXD_FEED_MAX_FIELD)
        return MXD_ERR_PARSE;
    int nomem = 0;
    free(*out);
    *out = feed_text(json_string_value(x), strlen(json_string_value(x)), &nomem);
    return nomem ? MXD_ERR_NOMEM : MXD_OK;
}

static mxd_err v1_item(gb *b, const json_t *o, unsigned at)
{
    const json_t *nm = json_object_get(o, "name");
    char domain[256], date[11];
    const char *rest;
    if (!json_is_string(nm) || name_domain(json_string_value(nm), "trafficStats", domain, &rest))
        return str_why(MXD_ERR_PARSE, b->why, b->whylen,
                       "item %u: no name \"domains/DOMAIN/trafficStats/YYYYMMDD\"", at);
    if (strlen(rest) != 8)
        return str_why(MXD_ERR_PARSE, b->why, b->whylen, "item %u: %s: no date", at,
                       "trafficStats");
    snprintf(date, sizeof date, "%.4s-%.2s-%.2s", rest, rest + 4, rest + 6);
    if (!feed_valid_day(date))
        return str_why(MXD_ERR_PARSE, b->why, b->whylen, "item %u: '%.8s' is not a date", at, rest);
    mxd_err e = MXD_OK;
    mxd_gpt_day *d = day(b, domain, date, &e);
    if (!d)
        return e;
    static const struct {
        const char *key;
        size_t off;
    } ratios[] = {
        {"userReportedSpamRatio", offsetof(mxd_gpt_day, spam_rate)},
        {"spfSuccessRatio", offsetof(mxd_gpt_day, spf)},
        {"dkimSuccessRatio", offsetof(mxd_gpt_day, dkim)},
        {"dmarcSuccessRatio", offsetof(mxd_gpt_day, dmarc)},
        {"inboundEncryptionRatio", offsetof(mxd_gpt_day, inbound_tls)},
        {"outboundEncryptionRatio", offsetof(mxd_gpt_day, outbound_tls)},
    };
    for (size_t i = 0; i < sizeof ratios / sizeof *ratios; i++)
        if (ratio(o, ratios[i].key, (double *)(void *)((char *)d + ratios[i].off)))
            return str_why(MXD_ERR_PARSE, b->why, b->whylen,
                           "item %u: %s is not a ratio between 0 and 1", at, ratios[i].key);
    const json_t *x = json_object_get(o, "domainReputation");
    if (x && !json_is_null(x) && (e = text_of(x, &d->domain_reputation)))
        return e == MXD_ERR_PARSE
                   ? str_why(e, b->why, b->whylen, "item %u: domainReputation is not text", at)
                   : e;
    const json_t *reps = json_object_get(o, "ipReputations");
    if (reps && !json_is_array(reps))
        return str_why(MXD_ERR_PARSE, b->why, b->whylen, "item %u: ipReputations is not a list",
                       at);
    if (reps && !d->nipreps && json_array_size(reps)) {
        size_t n = json_array_size(reps);
        if (n > MXD_FEED_MAX_LIST)
            return str_why(MXD_ERR_TOOBIG, b->why, b->whylen,
                           "item %u: more than %d IP reputations", at, MXD_FEED_MAX_LIST);
        if (!(d->ipreps = calloc(n, sizeof *d->ipreps)))
            return MXD_ERR_NOMEM;
        for (size_t i = 0; i < n; i++) {
            const json_t *r = json_array_get(reps, i);
            mxd_gpt_iprep *p = &d->ipreps[d->nipreps++];
            p->ip_count = -1;
            if (!json_is_object(r))
                return str_why(MXD_ERR_PARSE, b->why, b->whylen,
                               "item %u: an IP reputation is not an object", at);
            const json_t *rep = json_object_get(r, "reputation");
            if (rep && (e = text_of(rep, &p->reputation)))
                return e == MXD_ERR_PARSE
                           ? str_why(e, b->why, b->whylen, "item %u: reputation is not text", at)
                           : e;
            const json_t *c = json_object_get(r, "ipCount");
            if (json_is_integer(c) && json_integer_value(c) >= 0)
                p->ip_count = json_integer_value(c);
            else if (json_is_string(c)) { /* int64 travels as a string */
                unsigned long v;
                if (str_parse_uint(json_string_value(c), json_string_length(c), LONG_MAX, &v))
                    return str_why(MXD_ERR_PARSE, b->why, b->whylen,
                                   "item %u: ipCount is not a count", at);
                p->ip_count = (long long)v;
            }
            const json_t *ips = json_object_get(r, "sampleIps");
            if (ips && !json_is_array(ips))
                return str_why(MXD_ERR_PARSE, b->why, b->whylen, "item %u: sampleIps is not a list",
                               at);
            size_t m = json_array_size(ips);
            if (m > MXD_FEED_MAX_LIST)
                return str_why(MXD_ERR_TOOBIG, b->why, b->whylen,
                               "item %u: more than %d sample IPs", at, MXD_FEED_MAX_LIST);
            if (m && !(p->ips = calloc(m, sizeof *p->ips)))
                return MXD_ERR_NOMEM;
            for (size_t j = 0; j < m; j++) {
                const json_t *ip = json_array_get(ips, j);
                char norm[CIDR_TEXT_MAX];
                if (!json_is_string(ip) || feed_ip(json_string_value(ip), norm))
                    return str_why(MXD_ERR_PARSE, b->why, b->whylen,
                                   "item %u: a sample IP is not an IP address", at);
                int nomem = 0;
                p->ips[p->nips++] = feed_text(norm, strlen(norm), &nomem);
                if (nomem)
                    return MXD_ERR_NOMEM;
            }
        }
    }
    const json_t *errs = json_object_get(o, "deliveryErrors");
    if (errs && !json_is_array(errs))
        return str_why(MXD_ERR_PARSE, b->why, b->whylen, "item %u: deliveryErrors is not a list",
                       at);
    if (errs && !d->nerrors && json_array_size(errs)) {
        size_t n = json_array_size(errs);
        if (n > MXD_FEED_MAX_LIST)
            return str_why(MXD_ERR_TOOBIG, b->why, b->whylen,
                           "item %u: more than %d delivery errors", at, MXD_FEED_MAX_LIST);
        if (!(d->errors = calloc(n, sizeof *d->errors)))
            return MXD_ERR_NOMEM;
        double sum = 0;
        for (size_t i = 0; i < n; i++) {
            const json_t *r = json_array_get(errs, i);
            mxd_gpt_error *p = &d->errors[d->nerrors++];
            p->ratio = 0;
            if (!json_is_object(r) || ratio(r, "errorRatio", &p->ratio))
                return str_why(MXD_ERR_PARSE, b->why, b->whylen,
                               "item %u: a delivery error without a ratio", at);
            const json_t *c = json_object_get(r, "errorClass"),
                         *t = json_object_get(r, "errorType");
            if ((c && (e = text_of(c, &p->error_class))) || (t && (e = text_of(t, &p->error_type))))
                return e == MXD_ERR_PARSE
                           ? str_why(e, b->why, b->whylen,
                                     "item %u: errorClass or errorType is not text", at)
                           : e;
            sum += p->ratio;
        }
        d->delivery_error_rate = sum > 1 ? 1 : sum;
    }
    return MXD_OK;
}

/* v2 metrics: a normalised metric name containing key. */
static const struct {
    const char *key;
    size_t off; /* of the double; (size_t)-1: the domain reputation (text) */
} metrics[] = {
    {"spam", offsetof(mxd_gpt_day, spam_rate)},
    {"reputation", (size_t)-1},
    {"spf", offsetof(mxd_gpt_day, spf)},
    {"dkim", offsetof(mxd_gpt_day, dkim)},
    {"dmarc", offsetof(mxd_gpt_day, dmarc)},
    {"deliveryerror", offsetof(mxd_gpt_day, delivery_error_rate)},
    {"inbound", offsetof(mxd_gpt_day, inbound_tls)},
    {"outbound", offsetof(mxd_gpt_day, outbound_tls)},
};

static mxd_err v2_item(gb *b, const json_t *o, unsigned at)
{
    const json_t *nm = json_object_get(o, "name");
    char domain[256], date[11];
    const char *rest;
    if (!json_is_string(nm) || name_domain(json_string_value(nm), "domainStats", domain, &rest))
        return str_why(MXD_ERR_PARSE, b->why, b->whylen,
                       "item %u: no name \"domains/DOMAIN/domainStats/ID\"", at);
    const json_t *dt = json_object_get(o, "date");
    const json_t *y = json_object_get(dt, "year"), *m = json_object_get(dt, "month"),
                 *dd = json_object_get(dt, "day");
    if (!json_is_integer(y) || !json_is_integer(m) || !json_is_integer(dd) ||
        json_integer_value(y) < 1970 || json_integer_value(y) > 9999 || json_integer_value(m) < 1 ||
        json_integer_value(m) > 12 || json_integer_value(dd) < 1 || json_integer_value(dd) > 31)
        return str_why(MXD_ERR_PARSE, b->why, b->whylen,
                       "item %u: no date {year, month, day} (query with DAILY granularity)", at);
    snprintf(date, sizeof date, "%04d-%02d-%02d", (int)json_integer_value(y),
             (int)json_integer_value(m), (int)json_integer_value(dd));
    if (!feed_valid_day(date))
        return str_why(MXD_ERR_PARSE, b->why, b->whylen, "item %u: %s is not a date", at, date);
    const json_t *mt = json_object_get(o, "metric");
    if (!json_is_string(mt))
        return str_why(MXD_ERR_PARSE, b->why, b->whylen, "item %u: no metric", at);
    char k[FEED_KEY_MAX];
    feed_key(json_string_value(mt), json_string_length(mt), k);
    mxd_err e = MXD_OK;
    mxd_gpt_day *d = day(b, domain, date, &e);
    if (!d)
        return e;
    const json_t *v = json_object_get(o, "value");
    if (!json_is_object(v))
        return str_why(MXD_ERR_PARSE, b->why, b->whylen, "item %u: no value", at);
    for (size_t i = 0; i < sizeof metrics / sizeof *metrics; i++) {
        if (!strstr(k, metrics[i].key))
            continue;
        if (metrics[i].off == (size_t)-1) {
            const json_t *s = json_object_get(v, "stringValue");
            if (!s || (e = text_of(s, &d->domain_reputation)))
                return e == MXD_ERR_NOMEM
                           ? e
                           : str_why(MXD_ERR_PARSE, b->why, b->whylen,
                                     "item %u: %s has no stringValue", at, json_string_value(mt));
            return MXD_OK;
        }
        double x = -1;
        const json_t *n = json_object_get(v, "doubleValue");
        if (!n)
            n = json_object_get(v, "floatValue");
        if (json_is_number(n)) {
            x = json_number_value(n);
        } else if (json_is_string(n)) { /* int64 and some doubles travel as strings */
            const char *sv = json_string_value(n);
            char *endp;
            x = str_isdigit((unsigned char)*sv) ? strtod(sv, &endp) : -1;
            if (x >= 0 && *endp)
                x = -1; /* "", " 0.5", "0.5x": not a number ("" would read as 0) */
        }
        if (!isfinite(x) || x < 0 || x > 1)
            return str_why(MXD_ERR_PARSE, b->why, b->whylen,
                           "item %u: %s is not a ratio between 0 and 1", at, json_string_value(mt));
        *(double *)(void *)((char *)d + metrics[i].off) = x;
        return MXD_OK;
    }
    return MXD_OK; /* a metric this reader does not keep */
}

mxd_err mxd_gpt_parse(const char *data, size_t len, mxd_gpt_report **out, char *why, size_t whylen)
{
    *out = NULL;
    if (why && whylen)
        why[0] = 0;
    if (len > MXD_FEED_MAX_INPUT)
        return str_why(MXD_ERR_TOOBIG, why, whylen, "larger than %u bytes", MXD_FEED_MAX_INPUT);
    size_t i = 0;
    while (i < len && str_isspace((unsigned char)data[i]))
        i++;
    if (i == len)
        return str_why(MXD_ERR_EMPTY, why, whylen, "empty");
    if (str_json_shape(data, len, NULL) > MXD_FEED_MAX_JSON_VALUES)
        return str_why(MXD_ERR_TOOBIG, why, whylen, "more than %d JSON values",
                       MXD_FEED_MAX_JSON_VALUES);
    json_error_t jerr;
    json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return str_why(MXD_ERR_PARSE, why, whylen, "not JSON: line %d: %s", jerr.line, jerr.text);
    gb b = {0};
    if (getentropy(&b.seed, sizeof b.seed))
        b.seed = (uint64_t)(uintptr_t)&b ^ (uint64_t)time(NULL);
    b.why = why;
    b.whylen = whylen;
    mxd_err e = MXD_OK;
    if (!(b.r = calloc(1, sizeof *b.r))) {
        json_decref(root);
        return MXD_ERR_NOMEM;
    }
    const json_t *list = NULL;
    json_t *empty_list = NULL;
    int v2 = 0;
    if (json_is_object(root)) {
        if ((list = json_object_get(root, "trafficStats"))) {
            v2 = 0;
        } else if ((list = json_object_get(root, "domainStats"))) {
            v2 = 1;
        } else if (json_object_get(root, "metric")) {
            v2 = 1;
        } else if (!json_object_get(root, "name")) {
            /* {} or {"nextPageToken": ""}: Google's answer when there is nothing to report */
            const char *k;
            json_t *x;
            json_object_foreach(root, k, x)
            {
                if (strcmp(k, "nextPageToken"))
                    e = str_why(MXD_ERR_PARSE, why, whylen,
                                "neither trafficStats nor domainStats ('%.40s')", k);
            }
            empty_list = json_array(); /* an empty list: nothing to add */
            list = empty_list;
        }
        if (list && !json_is_array(list))
            e = str_why(MXD_ERR_PARSE, why, whylen, "trafficStats or domainStats is not a list");
    } else if (json_is_array(root)) {
        list = root;
        v2 = json_object_get(json_array_get(root, 0), "metric") != NULL;
    } else {
        e = str_why(MXD_ERR_PARSE, why, whylen, "neither an object nor a list");
    }
    b.r->format = v2 ? "v2" : "v1";
    if (!e && list) {
        size_t n = json_array_size(list);
        if (n > MXD_FEED_MAX_ROWS)
            e = str_why(MXD_ERR_TOOBIG, why, whylen, "more than %d items", MXD_FEED_MAX_ROWS);
        for (size_t k = 0; !e && k < n; k++) {
            const json_t *it = json_array_get(list, k);
            if (!json_is_object(it))
                e = str_why(MXD_ERR_PARSE, why, whylen, "item %zu: not an object", k + 1);
            else
                e = v2 ? v2_item(&b, it, (unsigned)k + 1) : v1_item(&b, it, (unsigned)k + 1);
        }
    } else if (!e) {
        e = v2 ? v2_item(&b, root, 1) : v1_item(&b, root, 1);
    }
    json_decref(root);
    json_decref(empty_list);
    free(b.slot);
    if (e) {
        if (e == MXD_ERR_NOMEM && why && !why[0])
            str_why(e, why, whylen, "%s", mxd_strerror(e));
        mxd_gpt_free(b.r);
        return e;
    }
    *out = b.r;
    return MXD_OK;
}

static json_t *jratio(double v)
{
    return v >= 0 ? json_real(v) : json_null();
}

char *mxd_gpt_json(const mxd_gpt_report *r, int pretty)
{
    json_t *o = json_object(), *days = json_array();
    json_object_set_new(o, "format", json_string(r->format));
    for (size_t i = 0; i < r->ndays; i++) {
        const mxd_gpt_day *d = &r->days[i];
        json_t *x = json_object();
        json_object_set_new(x, "domain", json_string(d->domain));
        json_object_set_new(x, "date", json_string(d->date));
        json_object_set_new(x, "spam_rate", jratio(d->spam_rate));
        json_object_set_new(x, "domain_reputation",
                            d->domain_reputation ? json_string(d->domain_reputation) : json_null());
        json_object_set_new(x, "spf_success", jratio(d->spf));
        json_object_set_new(x, "dkim_success", jratio(d->dkim));
        json_object_set_new(x, "dmarc_success", jratio(d->dmarc));
        json_object_set_new(x, "inbound_tls", jratio(d->inbound_tls));
        json_object_set_new(x, "outbound_tls", jratio(d->outbound_tls));
        json_object_set_new(x, "delivery_error_rate", jratio(d->delivery_error_rate));
        json_t *reps = json_array();
        for (size_t j = 0; j < d->nipreps; j++) {
            json_t *p = json_object(), *ips = json_array();
            json_object_set_new(p, "reputation",
                                d->ipreps[j].reputation ? json_string(d->ipreps[j].reputation)
                                                        : json_null());
            json_object_set_new(p, "ip_count",
                                d->ipreps[j].ip_count >= 0 ? json_integer(d->ipreps[j].ip_count)
                                                           : json_null());
            for (size_t k = 0; k < d->ipreps[j].nips; k++)
                json_array_append_new(ips, json_string(d->ipreps[j].ips[k]));
            json_object_set_new(p, "sample_ips", ips);
            json_array_append_new(reps, p);
        }
        json_object_set_new(x, "ip_reputations", reps);
        json_t *errs = json_array();
        for (size_t j = 0; j < d->nerrors; j++) {
            json_t *p = json_object();
            json_object_set_new(p, "class",
                                d->errors[j].error_class ? json_string(d->errors[j].error_class)
                                                         : json_null());
            json_object_set_new(p, "type",
                                d->errors[j].error_type ? json_string(d->errors[j].error_type)
                                                        : json_null());
            json_object_set_new(p, "ratio", json_real(d->errors[j].ratio));
            json_array_append_new(errs, p);
        }
        json_object_set_new(x, "delivery_errors", errs);
        json_array_append_new(days, x);
    }
    json_object_set_new(o, "days", days);
    char *s = json_dumps(o, (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_PRESERVE_ORDER |
                                JSON_REAL_PRECISION(8));
    json_decref(o);
    return s;
}
