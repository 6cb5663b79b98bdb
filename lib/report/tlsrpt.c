/* tlsrpt.c - SMTP TLS reports (RFC 8460 JSON), read with jansson
 * SPDX-License-Identifier: MIT
 *
 * Real reports stray from RFC 8460 section 4.4 in small ways (mx-host as one string instead of a
 * list, policy-string missing, no failure-details, counts as strings): the reader is lenient and
 * requires only organization-name, report-id and policies. Before jansson builds the tree, one
 * pass over the bytes checks the nesting (MXD_REPORT_MAX_DEPTH; jansson's own limit is 2048)
 * and the UTF-8 (invalid bytes become U+FFFD instead of failing the report). Policies and
 * failure details together are cut at MXD_REPORT_MAX_ROWS (MXD_ERR_TOOBIG), text values at
 * MXD_REPORT_MAX_FIELD bytes.
 */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "report/report_internal.h"
#include "util/date.h"
#include "util/str.h"

static int digits(const char *s, size_t n, unsigned *v)
{
    unsigned x = 0;
    for (size_t i = 0; i < n; i++) {
        if (!str_isdigit((unsigned char)s[i]))
            return -1;
        x = x * 10 + (unsigned)(s[i] - '0');
    }
    *v = x;
    return 0;
}

/* rfc3339 - "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)" as seconds since 1970; 0 when it is
 * not one (a date alone is taken at midnight UTC). */
static long long rfc3339(const char *s)
{
    if (!s)
        return 0;
    size_t n = strlen(s);
    unsigned y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0;
    if (n < 10 || s[4] != '-' || s[7] != '-' || digits(s, 4, &y) || digits(s + 5, 2, &mo) ||
        digits(s + 8, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > 31)
        return 0;
    long long sign = 0;
    if (n > 10) {
        if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || n < 19 || s[13] != ':' ||
            s[16] != ':' || digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) ||
            digits(s + 17, 2, &sec) || h > 23 || mi > 59 || sec > 60)
            return 0;
        size_t i = 19;
        if (i < n && s[i] == '.')
            for (i++; i < n && str_isdigit((unsigned char)s[i]); i++)
                ;
        if (i < n && (s[i] == '+' || s[i] == '-')) {
            sign = s[i] == '+' ? 1 : -1;
            if (n - i != 6 || s[i + 3] != ':' || digits(s + i + 1, 2, &oh) ||
                digits(s + i + 4, 2, &om))
                return 0;
        } else if (i < n && (s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
            sign = 0;
        } else if (i != n) {
            return 0;
        }
    }
    long long t = date_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    return t - sign * ((long long)oh * 3600 + om * 60);
}

/* text - the string member key of o as kept (report_text), NULL when absent or not a string. */
static mxd_err text(const json_t *o, const char *key, int lower, char **out)
{
    const json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!json_is_string(v))
        return MXD_OK;
    return report_text(json_string_value(v), json_string_length(v), lower, out);
}

/* count - a non-negative count: an integer, a real or a string of digits; 0 otherwise. */
static unsigned long long count(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    if (json_is_integer(v))
        return json_integer_value(v) > 0 ? (unsigned long long)json_integer_value(v) : 0;
    if (json_is_real(v)) {
        double d = json_real_value(v);
        return d > 0 && d < 1.8e19 ? (unsigned long long)d : 0;
    }
    unsigned long u;
    if (json_is_string(v) &&
        !str_parse_uint(json_string_value(v), json_string_length(v), (unsigned long)-1, &u))
        return u;
    return 0;
}

/* strings - one string or a list of strings into *arr, *n. */
static mxd_err strings(const json_t *o, const char *key, char ***arr, size_t *n)
{
    const json_t *v = json_object_get(o, key);
    size_t k = json_is_array(v) ? json_array_size(v) : json_is_string(v) ? 1 : 0;
    if (!k)
        return MXD_OK;
    if (k > MXD_REPORT_MAX_ROWS)
        return MXD_ERR_TOOBIG;
    *arr = calloc(k, sizeof **arr);
    if (!*arr)
        return MXD_ERR_NOMEM;
    for (size_t i = 0; i < k; i++) {
        const json_t *s = json_is_array(v) ? json_array_get(v, i) : v;
        char *t = NULL;
        if (json_is_string(s) && report_text(json_string_value(s), json_string_length(s), 0, &t))
            return MXD_ERR_NOMEM;
        if (t)
            (*arr)[(*n)++] = t;
    }
    return MXD_OK;
}

static mxd_err failure(const json_t *o, mxd_tls_failure *f)
{
    if (!json_is_object(o))
        return MXD_OK;
    mxd_err e;
    if ((e = text(o, "result-type", 1, &f->result_type)) ||
        (e = text(o, "sending-mta-ip", 0, &f->sending_mta_ip)) ||
        (e = text(o, "receiving-mx-hostname", 0, &f->receiving_mx_hostname)) ||
        (e = text(o, "receiving-mx-helo", 0, &f->receiving_mx_helo)) ||
        (e = text(o, "receiving-ip", 0, &f->receiving_ip)) ||
        (e = text(o, "additional-information", 0, &f->additional_information)) ||
        (e = text(o, "failure-reason-code", 0, &f->failure_reason_code)))
        return e;
    f->failed_session_count = count(o, "failed-session-count");
    return MXD_OK;
}

/* policy - one element of policies; *rows counts policies and failure details so far. */
static mxd_err policy(const json_t *o, mxd_tls_policy *p, size_t *rows)
{
    if (!json_is_object(o))
        return MXD_OK;
    const json_t *pol = json_object_get(o, "policy"), *sum = json_object_get(o, "summary");
    const json_t *fd = json_object_get(o, "failure-details");
    mxd_err e;
    if (json_is_object(pol) &&
        ((e = text(pol, "policy-type", 1, &p->policy_type)) ||
         (e = text(pol, "policy-domain", 0, &p->policy_domain)) ||
         (e = strings(pol, "policy-string", &p->policy_strings, &p->nstrings)) ||
         (e = strings(pol, "mx-host", &p->mx_hosts, &p->nmx))))
        return e;
    if (json_is_object(sum)) {
        p->successful = count(sum, "total-successful-session-count");
        p->failed = count(sum, "total-failure-session-count");
    }
    size_t k = json_is_array(fd) ? json_array_size(fd) : 0;
    if (!k)
        return MXD_OK;
    if (k > MXD_REPORT_MAX_ROWS - *rows)
        return MXD_ERR_TOOBIG;
    *rows += k;
    p->failures = calloc(k, sizeof *p->failures);
    if (!p->failures)
        return MXD_ERR_NOMEM;
    for (size_t i = 0; i < k; i++) {
        if ((e = failure(json_array_get(fd, i), &p->failures[p->nfailures++])))
            return e;
    }
    return MXD_OK;
}

void mxd_tlsrpt_free(mxd_tlsrpt *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->npolicies; i++) {
        mxd_tls_policy *p = &r->policies[i];
        free(p->policy_type);
        free(p->policy_domain);
        for (size_t j = 0; j < p->nstrings; j++)
            free(p->policy_strings[j]);
        free(p->policy_strings);
        for (size_t j = 0; j < p->nmx; j++)
            free(p->mx_hosts[j]);
        free(p->mx_hosts);
        for (size_t j = 0; j < p->nfailures; j++) {
            mxd_tls_failure *f = &p->failures[j];
            free(f->result_type);
            free(f->sending_mta_ip);
            free(f->receiving_mx_hostname);
            free(f->receiving_mx_helo);
            free(f->receiving_ip);
            free(f->additional_information);
            free(f->failure_reason_code);
        }
        free(p->failures);
    }
    free(r->policies);
    free(r->org_name);
    free(r->contact_info);
    free(r->report_id);
    free(r);
}

/* fill - r from the parsed document root. */
static mxd_err fill(const json_t *root, mxd_tlsrpt *r, char *why, size_t whylen)
{
    if (!json_is_object(root))
        return str_why(MXD_ERR_PARSE, why, whylen, "not a TLS report: not a JSON object");
    const json_t *pols = json_object_get(root, "policies");
    const json_t *dr = json_object_get(root, "date-range");
    mxd_err e;
    if ((e = text(root, "organization-name", 0, &r->org_name)) ||
        (e = text(root, "contact-info", 0, &r->contact_info)) ||
        (e = text(root, "report-id", 0, &r->report_id)))
        return str_why(e, why, whylen, "out of memory");
    if (!r->org_name)
        return str_why(MXD_ERR_PARSE, why, whylen, "not a TLS report: no organization-name");
    if (!r->report_id)
        return str_why(MXD_ERR_PARSE, why, whylen, "not a TLS report: no report-id");
    if (!json_is_array(pols))
        return str_why(MXD_ERR_PARSE, why, whylen, "not a TLS report: no policies");
    if (json_is_object(dr)) {
        r->begin = rfc3339(json_string_value(json_object_get(dr, "start-datetime")));
        r->end = rfc3339(json_string_value(json_object_get(dr, "end-datetime")));
    }
    size_t k = json_array_size(pols), rows = k;
    if (k > MXD_REPORT_MAX_ROWS)
        return str_why(MXD_ERR_TOOBIG, why, whylen, "more than %d policies", MXD_REPORT_MAX_ROWS);
    if (k && !(r->policies = calloc(k, sizeof *r->policies)))
        return str_why(MXD_ERR_NOMEM, why, whylen, "out of memory");
    for (size_t i = 0; i < k; i++) {
        e = policy(json_array_get(pols, i), &r->policies[r->npolicies++], &rows);
        if (e == MXD_ERR_TOOBIG)
            return str_why(e, why, whylen, "more than %d policies and failure details",
                           MXD_REPORT_MAX_ROWS);
        if (e)
            return str_why(e, why, whylen, "out of memory");
    }
    return MXD_OK;
}

mxd_err mxd_tlsrpt_parse(const char *json, size_t len, mxd_tlsrpt **out, char *why, size_t whylen)
{
    if (why && whylen)
        why[0] = 0;
    if (!out || (!json && len))
        return str_why(MXD_ERR_INVALID, why, whylen, "no report given");
    *out = NULL;
    if (len > MXD_REPORT_MAX_INPUT)
        return str_why(MXD_ERR_TOOBIG, why, whylen, "the report is larger than %u bytes",
                       MXD_REPORT_MAX_INPUT);
    if (len == 0)
        return str_why(MXD_ERR_EMPTY, why, whylen, "the report is empty");
    int depth;
    str_json_shape(json, len, &depth);
    if (depth > MXD_REPORT_MAX_DEPTH)
        return str_why(MXD_ERR_TOOBIG, why, whylen, "JSON nested deeper than %d",
                       MXD_REPORT_MAX_DEPTH);
    char *fixed = NULL;
    if (!str_utf8_valid(json, len, NULL)) {
        if (!(fixed = str_utf8_repair(json, len, &len)))
            return str_why(MXD_ERR_NOMEM, why, whylen, "out of memory");
        json = fixed;
    }
    json_error_t jerr;
    json_t *root = json_loadb(json, len, 0, &jerr);
    free(fixed);
    if (!root)
        return str_why(MXD_ERR_PARSE, why, whylen, "malformed JSON: %s at line %d", jerr.text,
                       jerr.line);
    mxd_tlsrpt *r = calloc(1, sizeof *r);
    if (!r) {
        json_decref(root);
        return str_why(MXD_ERR_NOMEM, why, whylen, "out of memory");
    }
    mxd_err e = fill(root, r, why, whylen);
    json_decref(root);
    if (e) {
        mxd_tlsrpt_free(r);
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

static json_t *jcount(unsigned long long n)
{
    return json_integer((json_int_t)(n > 0x7fffffffffffffffULL ? 0x7fffffffffffffffULL : n));
}

static json_t *jlist(char **s, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(s[i]));
    return a;
}

static json_t *jdate(long long t)
{
    char d[32];
    report_time(t, 1, d);
    return t && d[0] ? json_string(d) : json_null();
}

char *mxd_tlsrpt_json(const mxd_tlsrpt *r, int pretty)
{
    if (!r)
        return NULL;
    json_t *o = json_object(), *pols = json_array();
    if (!o)
        return NULL;
    json_object_set_new(o, "organization_name", jstr(r->org_name));
    json_object_set_new(o, "begin_date", jdate(r->begin));
    json_object_set_new(o, "end_date", jdate(r->end));
    json_object_set_new(o, "contact_info", jstr(r->contact_info));
    json_object_set_new(o, "report_id", jstr(r->report_id));
    for (size_t i = 0; i < r->npolicies; i++) {
        const mxd_tls_policy *p = &r->policies[i];
        json_t *x = json_object(), *fds = json_array();
        json_object_set_new(x, "policy_domain", jstr(p->policy_domain));
        json_object_set_new(x, "policy_type", jstr(p->policy_type));
        json_object_set_new(x, "policy_strings", jlist(p->policy_strings, p->nstrings));
        json_object_set_new(x, "mx_host_patterns", jlist(p->mx_hosts, p->nmx));
        json_object_set_new(x, "successful_session_count", jcount(p->successful));
        json_object_set_new(x, "failed_session_count", jcount(p->failed));
        for (size_t j = 0; j < p->nfailures; j++) {
            const mxd_tls_failure *f = &p->failures[j];
            json_t *d = json_object();
            json_object_set_new(d, "result_type", jstr(f->result_type));
            json_object_set_new(d, "sending_mta_ip", jstr(f->sending_mta_ip));
            json_object_set_new(d, "receiving_mx_hostname", jstr(f->receiving_mx_hostname));
            json_object_set_new(d, "receiving_mx_helo", jstr(f->receiving_mx_helo));
            json_object_set_new(d, "receiving_ip", jstr(f->receiving_ip));
            json_object_set_new(d, "failed_session_count", jcount(f->failed_session_count));
            json_object_set_new(d, "additional_information", jstr(f->additional_information));
            json_object_set_new(d, "failure_reason_code", jstr(f->failure_reason_code));
            json_array_append_new(fds, d);
        }
        json_object_set_new(x, "failure_details", fds);
        json_array_append_new(pols, x);
    }
    json_object_set_new(o, "policies", pols);
    char *s = json_dumps(o, (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}
