/* test_report.c - unit tests for lib/report: DMARC aggregate and TLS reports, unpacking
 * SPDX-License-Identifier: MIT
 *
 * The hand-written fixtures are in tests/fixtures/reports/ (see its README); hostile inputs
 * (deep nesting, billion laughs, a million and one records, a gzip bomb) are made here. The
 * gzip and zip inputs are written with libarchive's writer. With ../shared present
 * (MXD_SHARED_DIR), every DMARC aggregate and TLS report there is read and compared with the
 * expectations that come with it; without it that test is skipped with a message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include "mxdiag/report.h"

static char *slurp_path(const char *p, size_t *len)
{
    FILE *f = fopen(p, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *d = malloc(cap);
    assert_non_null(d);
    for (;;) {
        size_t r = fread(d + n, 1, cap - n, f);
        n += r;
        if (n < cap)
            break;
        cap *= 2;
        d = realloc(d, cap);
        assert_non_null(d);
    }
    fclose(f);
    *len = n;
    return d;
}

static char *fixture(const char *name, size_t *len)
{
    const char *src = getenv("MXD_SOURCE_DIR");
    char p[4096];
    snprintf(p, sizeof p, "%s/tests/fixtures/reports/%s", src ? src : ".", name);
    char *d = slurp_path(p, len);
    if (!d)
        fail_msg("cannot open %s (set MXD_SOURCE_DIR)", p);
    return d;
}

static mxd_err agg(const char *xml, mxd_dmarc_agg **r, char *why)
{
    return mxd_dmarc_agg_parse(xml, strlen(xml), r, why, 256);
}

/* --- DMARC aggregate ----------------------------------------------------------------------- */

static void test_agg_rfc7489(void **state)
{
    (void)state;
    size_t len;
    char *x = fixture("agg-rfc7489.xml", &len), why[256];
    mxd_dmarc_agg *r = NULL;
    assert_int_equal(mxd_dmarc_agg_parse(x, len, &r, why, sizeof why), MXD_OK);
    assert_null(r->version);
    assert_int_equal(r->rfc9990, 0);
    assert_string_equal(r->org_name, "Receiver Example");
    assert_string_equal(r->email, "dmarc-reports@receiver.example");
    assert_string_equal(r->extra_contact_info, "https://receiver.example/dmarc");
    assert_string_equal(r->report_id, "r7489-0001"); /* trimmed */
    assert_int_equal(r->begin, 1700000000);
    assert_int_equal(r->end, 1700086399);
    assert_int_equal(r->nerrors, 1);
    assert_string_equal(r->errors[0], "one record was dropped");
    assert_string_equal(r->domain, "sender.example");
    assert_string_equal(r->adkim, "r");
    assert_string_equal(r->aspf, "s");
    assert_string_equal(r->p, "reject");
    assert_string_equal(r->sp, "quarantine");
    assert_null(r->np);
    assert_string_equal(r->pct, "50");
    assert_string_equal(r->fo, "1");
    assert_int_equal(r->nrows, 2);
    assert_int_equal(r->messages, 12);
    const mxd_dmarc_row *w = &r->rows[0];
    assert_string_equal(w->source_ip, "192.0.2.10");
    assert_int_equal(w->count, 5);
    assert_string_equal(w->disposition, "none");
    assert_string_equal(w->dkim, "pass");
    assert_string_equal(w->spf, "fail");
    assert_int_equal(w->nreasons, 1);
    assert_string_equal(w->reasons[0].type, "forwarded");
    assert_string_equal(w->reasons[0].comment, "list at lists.example");
    assert_string_equal(w->header_from, "sender.example");
    assert_string_equal(w->envelope_from, "bounce.sender.example");
    assert_null(w->envelope_to);
    assert_int_equal(w->ndkim, 2);
    assert_string_equal(w->dkim_results[0].domain, "sender.example");
    assert_null(w->dkim_results[0].selector);
    assert_string_equal(w->dkim_results[0].human_result, "good signature");
    assert_string_equal(w->dkim_results[1].result, "fail");
    assert_int_equal(w->nspf, 1);
    assert_string_equal(w->spf_results[0].scope, "mfrom");
    assert_string_equal(w->spf_results[0].result, "softfail");
    w = &r->rows[1];
    assert_string_equal(w->source_ip, "2001:db8::25");
    assert_int_equal(w->count, 7);
    assert_string_equal(w->disposition, "reject");
    assert_int_equal(w->nreasons, 0);
    assert_int_equal(w->ndkim, 0);
    assert_int_equal(w->nspf, 1);
    mxd_dmarc_agg_free(r);
    free(x);
}

static void test_agg_rfc9990_prefixed(void **state)
{
    (void)state;
    size_t len;
    char *x = fixture("agg-rfc9990.xml", &len), why[256];
    mxd_dmarc_agg *r = NULL;
    assert_int_equal(mxd_dmarc_agg_parse(x, len, &r, why, sizeof why), MXD_OK);
    assert_int_equal(r->rfc9990, 1);
    assert_string_equal(r->version, "1.0");
    assert_string_equal(r->report_id, "r9990-0002");
    assert_string_equal(r->generator, "Hand Written 1.0");
    assert_string_equal(r->p, "quarantine");
    assert_string_equal(r->np, "reject");
    assert_string_equal(r->testing, "n");
    assert_string_equal(r->discovery_method, "psl");
    assert_null(r->pct);
    assert_null(r->adkim);
    assert_int_equal(r->nrows, 1);
    assert_int_equal(r->messages, 3);
    assert_string_equal(r->rows[0].envelope_to, "receiver9.example");
    assert_string_equal(r->rows[0].dkim_results[0].selector, "s2024");
    assert_string_equal(r->rows[0].dkim_results[0].result, "permerror");
    assert_null(r->rows[0].spf_results[0].scope);
    mxd_dmarc_agg_free(r);
    free(x);
}

static const char *minimal = "<feedback><report_metadata><org_name>o</org_name>"
                             "<report_id>id1</report_id></report_metadata>"
                             "<policy_published><domain>d.example</domain></policy_published>";

/* doc - minimal + body + "</feedback>", to free(). */
static char *doc(const char *body)
{
    size_t n = strlen(minimal) + strlen(body) + 16;
    char *s = malloc(n);
    assert_non_null(s);
    snprintf(s, n, "%s%s</feedback>", minimal, body);
    return s;
}

static void test_agg_upper_case_normalised(void **state)
{
    (void)state;
    char why[256];
    mxd_dmarc_agg *r = NULL;
    char *x = doc("<record><row><source_ip>192.0.2.1</source_ip><count>1</count>"
                  "<policy_evaluated><disposition>None</disposition><dkim>Pass</dkim>"
                  "<spf>PASS</spf></policy_evaluated></row><auth_results><dkim>"
                  "<domain>D.Example</domain><result>Pass</result></dkim></auth_results>"
                  "</record>");
    assert_int_equal(agg(x, &r, why), MXD_OK);
    assert_string_equal(r->rows[0].disposition, "none");
    assert_string_equal(r->rows[0].dkim, "pass");
    assert_string_equal(r->rows[0].spf, "pass");
    assert_string_equal(r->rows[0].dkim_results[0].result, "pass");
    assert_string_equal(r->rows[0].dkim_results[0].domain, "D.Example"); /* not an enum */
    mxd_dmarc_agg_free(r);
    free(x);
}

static void test_agg_json(void **state)
{
    (void)state;
    size_t len;
    char *x = fixture("agg-rfc7489.xml", &len), why[256];
    mxd_dmarc_agg *r = NULL;
    assert_int_equal(mxd_dmarc_agg_parse(x, len, &r, why, sizeof why), MXD_OK);
    char *js = mxd_dmarc_agg_json(r, 1);
    assert_non_null(js);
    json_error_t e;
    json_t *o = json_loads(js, 0, &e);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "xml_schema")), "draft");
    json_t *md = json_object_get(o, "report_metadata");
    assert_string_equal(json_string_value(json_object_get(md, "org_email")),
                        "dmarc-reports@receiver.example");
    assert_string_equal(json_string_value(json_object_get(md, "begin_date")),
                        "2023-11-14 22:13:20");
    assert_int_equal(json_array_size(json_object_get(md, "errors")), 1);
    json_t *pp = json_object_get(o, "policy_published");
    assert_string_equal(json_string_value(json_object_get(pp, "p")), "reject");
    json_t *recs = json_object_get(o, "records");
    assert_int_equal(json_array_size(recs), 2);
    json_t *r0 = json_array_get(recs, 0), *r1 = json_array_get(recs, 1);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r0, "source"), "ip_address")),
        "192.0.2.10");
    assert_int_equal(json_integer_value(json_object_get(r0, "count")), 5);
    json_t *al = json_object_get(r0, "alignment");
    assert_true(json_is_true(json_object_get(al, "dkim")));
    assert_true(json_is_false(json_object_get(al, "spf")));
    assert_true(json_is_true(json_object_get(al, "dmarc")));
    json_t *pe = json_object_get(r0, "policy_evaluated");
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(json_object_get(pe, "policy_override_reasons"), 0), "type")),
        "forwarded");
    assert_int_equal(json_array_size(json_object_get(json_object_get(r0, "auth_results"), "dkim")),
                     2);
    /* no envelope_from: the last SPF domain, as parsedmarc */
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r1, "identifiers"), "envelope_from")),
        "spoof.example");
    assert_true(json_is_false(json_object_get(json_object_get(r1, "alignment"), "dmarc")));
    json_decref(o);
    free(js);
    mxd_dmarc_agg_free(r);
    free(x);
}

static void test_agg_not_a_report(void **state)
{
    (void)state;
    char why[256];
    mxd_dmarc_agg *r = NULL;
    assert_int_equal(agg("<html><body>hi</body></html>", &r, why), MXD_ERR_PARSE);
    assert_null(r);
    assert_non_null(strstr(why, "not a DMARC aggregate report"));
    assert_int_equal(agg("<feedback><report_metadata><org_name>o</org_name></report_metadata>"
                         "<policy_published><domain>d</domain></policy_published></feedback>",
                         &r, why),
                     MXD_ERR_PARSE);
    assert_string_equal(why, "not a DMARC aggregate report: no report_id");
    assert_int_equal(agg("<feedback><report_metadata><org_name>o</org_name><report_id>i"
                         "</report_id></report_metadata></feedback>",
                         &r, why),
                     MXD_ERR_PARSE);
    assert_string_equal(why, "not a DMARC aggregate report: no policy_published domain");
    char *x = doc("<record><row><count>many</count></row></record>");
    assert_int_equal(agg(x, &r, why), MXD_ERR_PARSE);
    assert_non_null(strstr(why, "<count> is not a number"));
    free(x);
    assert_int_equal(mxd_dmarc_agg_parse("", 0, &r, why, sizeof why), MXD_ERR_EMPTY);
}

static void test_agg_malformed(void **state)
{
    (void)state;
    char why[256];
    mxd_dmarc_agg *r = NULL;
    assert_int_equal(agg("<feedback>\n<report_metadata>\n<email><a@b></email>", &r, why),
                     MXD_ERR_PARSE);
    assert_null(r);
    assert_non_null(strstr(why, "malformed XML"));
    assert_non_null(strstr(why, "line 3"));
    assert_int_equal(agg("<feedback><report_metadata>", &r, why), MXD_ERR_PARSE);
}

static void test_agg_deep_nesting(void **state)
{
    (void)state;
    char why[256];
    mxd_dmarc_agg *r = NULL;
    char x[2048] = "<feedback>";
    for (int i = 0; i < 40; i++)
        strcat(x, "<a>");
    assert_int_equal(agg(x, &r, why), MXD_ERR_TOOBIG);
    assert_non_null(strstr(why, "nested deeper"));
    assert_null(r);
}

static void test_agg_billion_laughs(void **state)
{
    (void)state;
    char why[256];
    mxd_dmarc_agg *r = NULL;
    const char *x = "<?xml version=\"1.0\"?>\n<!DOCTYPE feedback [\n"
                    "<!ENTITY lol \"lol\">\n"
                    "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
                    "<!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
                    "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
                    "<!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
                    "<!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
                    "<!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
                    "<!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
                    "<!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
                    "<!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
                    "]>\n<feedback><report_metadata><org_name>&lol9;</org_name>"
                    "</report_metadata></feedback>";
    assert_int_equal(agg(x, &r, why), MXD_ERR_PARSE);
    assert_non_null(strstr(why, "declares an entity"));
    assert_null(r);
    /* an undeclared entity is malformed, not expanded from anywhere */
    assert_int_equal(agg("<feedback>&xxe;</feedback>", &r, why), MXD_ERR_PARSE);
}

static void test_agg_too_many_rows(void **state)
{
    (void)state;
    size_t n = (size_t)MXD_REPORT_MAX_ROWS + 1, one = strlen("<record/>");
    size_t len = strlen(minimal) + n * one + 16;
    char *x = malloc(len), why[256];
    assert_non_null(x);
    size_t at = strlen(minimal);
    memcpy(x, minimal, at);
    for (size_t i = 0; i < n; i++, at += one)
        memcpy(x + at, "<record/>", one);
    memcpy(x + at, "</feedback>", 11);
    at += 11;
    mxd_dmarc_agg *r = NULL;
    assert_int_equal(mxd_dmarc_agg_parse(x, at, &r, why, sizeof why), MXD_ERR_TOOBIG);
    assert_non_null(strstr(why, "too many <record>s"));
    assert_null(r);
    /* exactly the limit is fine */
    at -= one + 11;
    memcpy(x + at, "</feedback>", 11);
    assert_int_equal(mxd_dmarc_agg_parse(x, at + 11, &r, why, sizeof why), MXD_OK);
    assert_int_equal(r->nrows, MXD_REPORT_MAX_ROWS);
    mxd_dmarc_agg_free(r);
    free(x);
}

static void test_agg_utf8_field_cut_saturation(void **state)
{
    (void)state;
    char why[256];
    mxd_dmarc_agg *r = NULL;
    /* a Windows-1252 quote in a UTF-8 document: replaced, the report kept */
    char *x = doc("<record><row><count>18446744073709551615</count></row>"
                  "<identifiers><header_from>bad\x91</header_from></identifiers></record>"
                  "<record><row><count>2</count></row></record>");
    assert_int_equal(agg(x, &r, why), MXD_OK);
    assert_string_equal(r->rows[0].header_from, "bad\xef\xbf\xbd");
    assert_int_equal(r->messages, ~0ULL); /* saturated */
    mxd_dmarc_agg_free(r);
    free(x);
    /* a long value is cut on a character boundary */
    size_t n = MXD_REPORT_MAX_FIELD * 2;
    char *big = malloc(n + 1);
    assert_non_null(big);
    for (size_t i = 0; i + 1 < n; i += 2)
        memcpy(big + i, "\xc3\xa9", 2);
    big[n] = 0;
    char *body = malloc(n + 64);
    assert_non_null(body);
    snprintf(body, n + 64, "<version>x%s</version>", big);
    x = doc(body);
    assert_int_equal(agg(x, &r, why), MXD_OK);
    assert_int_equal(strlen(r->version), MXD_REPORT_MAX_FIELD - 1);
    assert_int_equal((unsigned char)r->version[MXD_REPORT_MAX_FIELD - 2], 0xa9);
    mxd_dmarc_agg_free(r);
    free(x);
    free(body);
    free(big);
}

static void test_agg_wrapped(void **state)
{
    (void)state;
    char why[256];
    mxd_dmarc_agg *r = NULL;
    char *x = doc("<record><row><count>4</count></row></record>");
    size_t n = strlen(x) + 128;
    char *w = malloc(n);
    assert_non_null(w);
    snprintf(w, n, "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">%s</xs:schema>", x);
    assert_int_equal(agg(w, &r, why), MXD_OK);
    assert_int_equal(r->messages, 4);
    mxd_dmarc_agg_free(r);
    free(w);
    free(x);
}

/* --- TLS reports --------------------------------------------------------------------------- */

static void test_tls_parse(void **state)
{
    (void)state;
    size_t len;
    char *x = fixture("tlsrpt.json", &len), why[256];
    mxd_tlsrpt *r = NULL;
    assert_int_equal(mxd_tlsrpt_parse(x, len, &r, why, sizeof why), MXD_OK);
    assert_string_equal(r->org_name, "Receiver TLS");
    assert_string_equal(r->contact_info, "tlsrpt@receiver.example");
    assert_string_equal(r->report_id, "tls-0003@receiver.example");
    assert_int_equal(r->begin, 1709251200);
    assert_int_equal(r->end, 1709251200 + 86399 - 3600);
    assert_int_equal(r->npolicies, 2);
    const mxd_tls_policy *p = &r->policies[0];
    assert_string_equal(p->policy_type, "sts");
    assert_string_equal(p->policy_domain, "sender.example");
    assert_int_equal(p->nstrings, 4);
    assert_string_equal(p->policy_strings[1], "mode: enforce");
    assert_int_equal(p->nmx, 1);
    assert_string_equal(p->mx_hosts[0], "mx.sender.example");
    assert_int_equal(p->successful, 1200);
    assert_int_equal(p->failed, 4);
    assert_int_equal(p->nfailures, 2);
    assert_string_equal(p->failures[0].result_type, "certificate-expired");
    assert_string_equal(p->failures[0].receiving_mx_helo, "mx.sender.example");
    assert_string_equal(p->failures[0].failure_reason_code, "X509_V_ERR_CERT_HAS_EXPIRED");
    assert_int_equal(p->failures[0].failed_session_count, 3);
    assert_int_equal(p->failures[1].failed_session_count, 1); /* "1" */
    assert_null(p->failures[1].sending_mta_ip);
    p = &r->policies[1];
    assert_string_equal(p->policy_type, "no-policy-found");
    assert_int_equal(p->nfailures, 0);
    assert_int_equal(p->nmx, 0);

    char *js = mxd_tlsrpt_json(r, 0);
    assert_non_null(js);
    json_error_t e;
    json_t *o = json_loads(js, 0, &e);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "begin_date")),
                        "2024-03-01T00:00:00Z");
    json_t *p0 = json_array_get(json_object_get(o, "policies"), 0);
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(p0, "mx_host_patterns"), 0)),
        "mx.sender.example");
    assert_int_equal(json_integer_value(json_object_get(p0, "failed_session_count")), 4);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(p0, "failure_details"), 1),
                                          "result_type")),
        "starttls-not-supported");
    json_decref(o);
    free(js);
    mxd_tlsrpt_free(r);
    free(x);
}

static mxd_err tls(const char *s, char *why)
{
    mxd_tlsrpt *r = NULL;
    mxd_err e = mxd_tlsrpt_parse(s, strlen(s), &r, why, 256);
    if (!e)
        mxd_tlsrpt_free(r);
    else
        assert_null(r);
    return e;
}

static void test_tls_errors(void **state)
{
    (void)state;
    char why[256];
    assert_int_equal(tls("[1,2]", why), MXD_ERR_PARSE);
    assert_string_equal(why, "not a TLS report: not a JSON object");
    assert_int_equal(tls("{\"organization-name\":\"o\",\"policies\":[]}", why), MXD_ERR_PARSE);
    assert_string_equal(why, "not a TLS report: no report-id");
    assert_int_equal(tls("{\"organization-name\":\"o\",\"report-id\":\"r\"}", why), MXD_ERR_PARSE);
    assert_string_equal(why, "not a TLS report: no policies");
    assert_int_equal(tls("{\"organization-name\":", why), MXD_ERR_PARSE);
    assert_non_null(strstr(why, "malformed JSON"));
    char deep[256] = "";
    for (int i = 0; i < 40; i++)
        strcat(deep, "[");
    assert_int_equal(tls(deep, why), MXD_ERR_TOOBIG);
    /* brackets inside strings do not count */
    assert_int_equal(tls("{\"organization-name\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\","
                         "\"report-id\":\"r\",\"policies\":[{\"policy\":"
                         "{\"mx-host\":[\"a\",\"b\"]}}]}",
                         why),
                     MXD_OK);
    /* lenient: the least a report can be */
    assert_int_equal(tls("{\"organization-name\":\"o\",\"report-id\":\"r\",\"policies\":[7]}", why),
                     MXD_OK);
}

/* --- unpacking ----------------------------------------------------------------------------- */

typedef struct got {
    int n;
    char names[80][128];
    size_t lens[80];
    char first[256];
    int stop_after;
} got;

static int on_file(void *arg, const char *name, const char *data, size_t len)
{
    got *g = arg;
    if (g->n < 80) {
        snprintf(g->names[g->n], sizeof g->names[0], "%s", name);
        g->lens[g->n] = len;
        if (g->n == 0)
            snprintf(g->first, sizeof g->first, "%.*s", (int)(len < 255 ? len : 255), data);
    }
    g->n++;
    return g->stop_after && g->n >= g->stop_after;
}

typedef struct member {
    const char *name;
    const char *data; /* NULL: a directory */
    size_t len;       /* 0: strlen(data); with data "" and len > 0: len zero bytes */
} member;

/* archive_of - a gzip (raw format) or zip of the members, written with libarchive; *len set.
 */
static char *archive_of(int zip, const member *m, size_t nm, size_t *len)
{
    size_t cap = 4u << 20, used = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    struct archive *a = archive_write_new();
    if (zip) {
        archive_write_set_format_zip(a);
    } else {
        archive_write_add_filter_gzip(a);
        archive_write_set_format_raw(a);
    }
    assert_int_equal(archive_write_open_memory(a, out, cap, &used), ARCHIVE_OK);
    static char zeros[1 << 20];
    for (size_t i = 0; i < nm; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, m[i].name);
        archive_entry_set_perm(e, 0644);
        size_t n = m[i].data && !m[i].len ? strlen(m[i].data) : m[i].len;
        archive_entry_set_filetype(e, m[i].data ? AE_IFREG : AE_IFDIR);
        archive_entry_set_size(e, m[i].data ? (la_int64_t)n : 0);
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        if (m[i].data && m[i].len && !*m[i].data) {
            for (size_t k = 0; k < n; k += sizeof zeros) {
                size_t c = n - k < sizeof zeros ? n - k : sizeof zeros;
                assert_int_equal(archive_write_data(a, zeros, c), (la_ssize_t)c);
            }
        } else if (m[i].data) {
            assert_int_equal(archive_write_data(a, m[i].data, n), (la_ssize_t)n);
        }
        archive_entry_free(e);
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    *len = used;
    return out;
}

static void test_unpack_plain_and_gzip(void **state)
{
    (void)state;
    char why[256];
    got g = {0};
    assert_int_equal(mxd_report_unpack("<feedback/>", 11, "r.xml", on_file, &g, why, sizeof why),
                     MXD_OK);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.names[0], "r.xml");
    assert_string_equal(g.first, "<feedback/>");

    member m[] = {{"ignored", "<feedback>gz</feedback>", 0}};
    size_t len;
    char *gz = archive_of(0, m, 1, &len);
    assert_int_equal((unsigned char)gz[0], 0x1f);
    memset(&g, 0, sizeof g);
    assert_int_equal(mxd_report_unpack(gz, len, "a!b!1!2.xml.gz", on_file, &g, why, sizeof why),
                     MXD_OK);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.names[0], "a!b!1!2.xml");
    assert_string_equal(g.first, "<feedback>gz</feedback>");
    /* damaged: cut in the middle of the deflate stream */
    memset(&g, 0, sizeof g);
    assert_int_equal(mxd_report_unpack(gz, 14, "x.gz", on_file, &g, why, sizeof why),
                     MXD_ERR_PARSE);
    assert_int_equal(g.n, 0);
    assert_non_null(strstr(why, "damaged"));
    free(gz);
}

static void test_unpack_zip(void **state)
{
    (void)state;
    char why[256];
    member m[] = {{"dir/", NULL, 0}, {"dir/one.xml", "<one/>", 0}, {"two.xml", "<two/>", 0}};
    size_t len;
    char *zip = archive_of(1, m, 3, &len);
    got g = {0};
    assert_int_equal(mxd_report_unpack(zip, len, "r.zip", on_file, &g, why, sizeof why), MXD_OK);
    assert_int_equal(g.n, 2); /* the directory skipped */
    assert_string_equal(g.names[0], "dir/one.xml");
    assert_string_equal(g.first, "<one/>");
    assert_string_equal(g.names[1], "two.xml");
    /* the callback stops it */
    memset(&g, 0, sizeof g);
    g.stop_after = 1;
    assert_int_equal(mxd_report_unpack(zip, len, "r.zip", on_file, &g, why, sizeof why), MXD_OK);
    assert_int_equal(g.n, 1);
    free(zip);

    /* one member more than allowed: those before it are handed out */
    member many[MXD_REPORT_MAX_MEMBERS + 1];
    char names[MXD_REPORT_MAX_MEMBERS + 1][16];
    for (int i = 0; i <= MXD_REPORT_MAX_MEMBERS; i++) {
        snprintf(names[i], sizeof names[i], "m%d.xml", i);
        many[i] = (member){names[i], "x", 0};
    }
    zip = archive_of(1, many, MXD_REPORT_MAX_MEMBERS + 1, &len);
    memset(&g, 0, sizeof g);
    assert_int_equal(mxd_report_unpack(zip, len, "r.zip", on_file, &g, why, sizeof why),
                     MXD_ERR_TOOBIG);
    assert_int_equal(g.n, MXD_REPORT_MAX_MEMBERS);
    assert_non_null(strstr(why, "members"));
    free(zip);
}

/* 100 MB of zeros in about 100 KB: refused once 64 MB are out, never handed out. */
static void test_unpack_bombs(void **state)
{
    (void)state;
    char why[256];
    size_t len;
    member m[] = {{"bomb.xml", "", 100u << 20}};
    char *gz = archive_of(0, m, 1, &len);
    assert_true(len < (1u << 20));
    got g = {0};
    assert_int_equal(mxd_report_unpack(gz, len, "bomb.xml.gz", on_file, &g, why, sizeof why),
                     MXD_ERR_TOOBIG);
    assert_int_equal(g.n, 0);
    assert_non_null(strstr(why, "zip bomb"));
    free(gz);
    member z[] = {{"ok.xml", "<ok/>", 0}, {"bomb.xml", "", 100u << 20}};
    char *zip = archive_of(1, z, 2, &len);
    memset(&g, 0, sizeof g);
    assert_int_equal(mxd_report_unpack(zip, len, "r.zip", on_file, &g, why, sizeof why),
                     MXD_ERR_TOOBIG);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.names[0], "ok.xml");
    free(zip);
}

/* --- ../shared ----------------------------------------------------------------------------- */

typedef struct shared_ctx {
    const char *file;
    int nagg, ntls, failed_as_expected;
    mxd_dmarc_agg *last; /* kept for the comparison with the expectations */
} shared_ctx;

static int ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), k = strlen(suf);
    return n >= k && !strcmp(s + n - k, suf);
}

static int on_shared_agg(void *arg, const char *name, const char *data, size_t len)
{
    shared_ctx *c = arg;
    char why[256];
    mxd_dmarc_agg *r = NULL;
    mxd_err e = mxd_dmarc_agg_parse(data, len, &r, why, sizeof why);
    if (ends_with(c->file, "/invalid_xml.xml")) {
        /* "<email><bad-xml@bad-xml.net></email>": not well-formed (parsedmarc recovers) */
        if (e != MXD_ERR_PARSE)
            fail_msg("%s: expected MXD_ERR_PARSE, got %d", c->file, e);
        c->failed_as_expected++;
        return 0;
    }
    if (e)
        fail_msg("%s (%s): %s: %s", c->file, name, mxd_strerror(e), why);
    if (r->nrows == 0 || !r->report_id || r->messages == 0)
        fail_msg("%s: no records", c->file);
    char *js = mxd_dmarc_agg_json(r, 0);
    assert_non_null(js);
    free(js);
    c->nagg++;
    mxd_dmarc_agg_free(c->last);
    c->last = r;
    return 0;
}

/* compare_stalwart - the key facts of r against stalwart's own structure for the same XML. */
static void compare_stalwart(const mxd_dmarc_agg *r, const char *jpath)
{
    json_error_t e;
    json_t *o = json_load_file(jpath, 0, &e);
    if (!o)
        fail_msg("%s: %s", jpath, e.text);
    json_t *md = json_object_get(o, "report_metadata");
    assert_string_equal(json_string_value(json_object_get(md, "report_id")), r->report_id);
    json_t *dr = json_object_get(md, "date_range");
    assert_int_equal(json_integer_value(json_object_get(dr, "begin")), r->begin);
    assert_int_equal(json_integer_value(json_object_get(dr, "end")), r->end);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(o, "policy_published"), "domain")),
        r->domain);
    json_t *recs = json_object_get(o, "record");
    assert_int_equal(json_array_size(recs), r->nrows);
    for (size_t i = 0; i < r->nrows; i++) {
        json_t *rec = json_array_get(recs, i), *row = json_object_get(rec, "row");
        assert_string_equal(json_string_value(json_object_get(row, "source_ip")),
                            r->rows[i].source_ip);
        assert_int_equal(json_integer_value(json_object_get(row, "count")), r->rows[i].count);
        json_t *pe = json_object_get(row, "policy_evaluated");
        const char *dkim = json_string_value(json_object_get(pe, "dkim"));
        if (dkim && r->rows[i].dkim && strcasecmp(dkim, r->rows[i].dkim))
            fail_msg("%s: record %zu: dkim %s, we read %s", jpath, i, dkim, r->rows[i].dkim);
        json_t *ar = json_object_get(rec, "auth_results");
        assert_int_equal(json_array_size(json_object_get(ar, "dkim")), r->rows[i].ndkim);
        assert_int_equal(json_array_size(json_object_get(ar, "spf")), r->rows[i].nspf);
        const char *hf =
            json_string_value(json_object_get(json_object_get(rec, "identifiers"), "header_from"));
        if (hf && *hf)
            assert_string_equal(hf, r->rows[i].header_from);
    }
    json_decref(o);
}

static int on_shared_tls(void *arg, const char *name, const char *data, size_t len)
{
    shared_ctx *c = arg;
    char why[256];
    mxd_tlsrpt *r = NULL;
    mxd_err e = mxd_tlsrpt_parse(data, len, &r, why, sizeof why);
    if (e)
        fail_msg("%s (%s): %s: %s", c->file, name, mxd_strerror(e), why);
    /* the same file through jansson directly: report id, policies, failure details */
    json_error_t je;
    json_t *o = json_loadb(data, len, 0, &je);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "report-id")), r->report_id);
    json_t *pols = json_object_get(o, "policies");
    assert_int_equal(json_array_size(pols), r->npolicies);
    for (size_t i = 0; i < r->npolicies; i++) {
        json_t *p = json_array_get(pols, i), *fd = json_object_get(p, "failure-details");
        assert_int_equal(json_array_size(fd), r->policies[i].nfailures);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(p, "summary"),
                                                            "total-failure-session-count")),
                         r->policies[i].failed);
        for (size_t j = 0; j < r->policies[i].nfailures; j++) {
            json_t *f = json_array_get(fd, j);
            assert_string_equal(json_string_value(json_object_get(f, "result-type")),
                                r->policies[i].failures[j].result_type);
            assert_int_equal(json_integer_value(json_object_get(f, "failed-session-count")),
                             r->policies[i].failures[j].failed_session_count);
        }
    }
    assert_true(r->begin > 0 && r->end >= r->begin);
    json_decref(o);
    char *js = mxd_tlsrpt_json(r, 1);
    assert_non_null(js);
    free(js);
    mxd_tlsrpt_free(r);
    c->ntls++;
    return 0;
}

static void read_dir(const char *dir, const char **sufs, int tls, shared_ctx *c)
{
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("cannot open %s", dir);
    struct dirent *de;
    while ((de = readdir(d))) {
        int take = 0;
        for (const char **s = sufs; *s; s++)
            take |= ends_with(de->d_name, *s);
        if (!take)
            continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        size_t len;
        char *data = slurp_path(p, &len), why[256];
        assert_non_null(data);
        c->file = p;
        mxd_err e = mxd_report_unpack(data, len, de->d_name, tls ? on_shared_tls : on_shared_agg, c,
                                      why, sizeof why);
        if (e)
            fail_msg("%s: %s: %s", p, mxd_strerror(e), why);
        if (!tls && ends_with(p, ".xml") && strstr(dir, "stalwart") && c->last) {
            char jp[4096];
            snprintf(jp, sizeof jp, "%.*s.json", (int)(strlen(p) - 4), p);
            compare_stalwart(c->last, jp);
        }
        mxd_dmarc_agg_free(c->last);
        c->last = NULL;
        free(data);
    }
    closedir(d);
}

static void test_shared_reports(void **state)
{
    (void)state;
    const char *sh = getenv("MXD_SHARED_DIR");
    char p[4096];
    if (sh)
        snprintf(p, sizeof p, "%s/conformance/dmarc-reports/aggregate", sh);
    DIR *d = sh ? opendir(p) : NULL;
    if (!d) {
        print_message("../shared not present (MXD_SHARED_DIR): shared reports skipped\n");
        skip();
    }
    closedir(d);
    const char *xml[] = {".xml", ".xml.gz", ".xml.zip", NULL}, *json[] = {".json", NULL};
    const char *only_xml[] = {".xml", NULL};
    shared_ctx c = {0};
    read_dir(p, xml, 0, &c);
    snprintf(p, sizeof p, "%s/conformance/dmarc-reports/aggregate_invalid", sh);
    read_dir(p, xml, 0, &c);
    snprintf(p, sizeof p, "%s/corpus/reports/dmarc-aggregate", sh);
    read_dir(p, xml, 0, &c);
    snprintf(p, sizeof p, "%s/corpus/reports/dmarc-aggregate/stalwart", sh);
    read_dir(p, only_xml, 0, &c);
    snprintf(p, sizeof p, "%s/conformance/dmarc-reports/smtp_tls", sh);
    read_dir(p, json, 1, &c);
    snprintf(p, sizeof p, "%s/corpus/reports/tlsrpt", sh);
    read_dir(p, json, 1, &c);
    print_message("shared: %d aggregate reports, %d TLS reports read, %d malformed refused\n",
                  c.nagg, c.ntls, c.failed_as_expected);
    assert_true(c.nagg >= 20);
    assert_true(c.ntls >= 8);
    assert_int_equal(c.failed_as_expected, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agg_rfc7489),
        cmocka_unit_test(test_agg_rfc9990_prefixed),
        cmocka_unit_test(test_agg_upper_case_normalised),
        cmocka_unit_test(test_agg_json),
        cmocka_unit_test(test_agg_not_a_report),
        cmocka_unit_test(test_agg_malformed),
        cmocka_unit_test(test_agg_deep_nesting),
        cmocka_unit_test(test_agg_billion_laughs),
        cmocka_unit_test(test_agg_too_many_rows),
        cmocka_unit_test(test_agg_utf8_field_cut_saturation),
        cmocka_unit_test(test_agg_wrapped),
        cmocka_unit_test(test_tls_parse),
        cmocka_unit_test(test_tls_errors),
        cmocka_unit_test(test_unpack_plain_and_gzip),
        cmocka_unit_test(test_unpack_zip),
        cmocka_unit_test(test_unpack_bombs),
        cmocka_unit_test(test_shared_reports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
