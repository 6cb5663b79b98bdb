/* test_feed.c - the SNDS and Postmaster Tools readers, the CSV splitter, the feed tables
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mxdiag/feed.h"
#include "mxdiag/store.h"
#include "feed/feed_internal.h"
#include "util/str.h"
#include "tmpdir_helper.h"
#include "store_target.h"

static char why[512];

static mxd_snds_report *snds(const char *text)
{
    mxd_snds_report *r = NULL;
    mxd_err e = mxd_snds_parse(text, strlen(text), NULL, &r, why, sizeof why);
    if (e)
        fprintf(stderr, "unexpected: %s\n", why);
    assert_int_equal(e, MXD_OK);
    return r;
}

static mxd_err snds_err(const char *text, size_t len)
{
    mxd_snds_report *r = (mxd_snds_report *)1;
    mxd_err e = mxd_snds_parse(text, len, NULL, &r, why, sizeof why);
    assert_null(r);
    return e;
}

static void test_csv_split(void **state)
{
    (void)state;
    const char in[] = "a,\"b,c\",\"d \"\"q\"\"\"\r\n\n\"multi\nline\",,x\r\n";
    csv_reader r;
    mxd_err e = MXD_OK;
    csv_init(&r, in, sizeof in - 1);
    assert_int_equal(csv_next(&r, &e, why, sizeof why), 1);
    assert_int_equal(r.nfields, 3);
    assert_string_equal(r.field[0], "a");
    assert_string_equal(r.field[1], "b,c");
    assert_string_equal(r.field[2], "d \"q\"");
    assert_int_equal(csv_next(&r, &e, why, sizeof why), 1);
    assert_int_equal(r.line, 4); /* the line the record ends on */
    assert_int_equal(r.nfields, 3);
    assert_string_equal(r.field[0], "multi\nline");
    assert_string_equal(r.field[1], "");
    assert_string_equal(r.field[2], "x");
    assert_int_equal(csv_next(&r, &e, why, sizeof why), 0);
    csv_free(&r);
}

static void test_csv_limits(void **state)
{
    (void)state;
    /* more columns than allowed */
    char many[MXD_FEED_MAX_COLUMNS * 2 + 8];
    size_t n = 0;
    for (int i = 0; i <= MXD_FEED_MAX_COLUMNS; i++) {
        many[n++] = 'x';
        many[n++] = ',';
    }
    many[n] = 0;
    assert_int_equal(snds_err(many, n), MXD_ERR_TOOBIG);
    assert_non_null(strstr(why, "columns"));
    /* a field too long, quoted or not */
    size_t big = MXD_FEED_MAX_FIELD + 10;
    char *f = malloc(big + 3);
    f[0] = '"';
    memset(f + 1, 'a', big);
    f[big + 1] = '"';
    f[big + 2] = 0;
    assert_int_equal(snds_err(f, big + 2), MXD_ERR_TOOBIG);
    assert_int_equal(snds_err(f + 1, big), MXD_ERR_TOOBIG);
    free(f);
    /* an unterminated quote names its line */
    const char *u = "IP address,Comments\n192.0.2.1,\"open\n";
    assert_int_equal(snds_err(u, strlen(u)), MXD_ERR_PARSE);
    assert_string_equal(why, "line 2: unterminated quoted field");
    assert_int_equal(snds_err("", 0), MXD_ERR_EMPTY);
    assert_int_equal(snds_err("a\0b", 3), MXD_ERR_PARSE);
}

static void test_snds_old_headerless(void **state)
{
    (void)state;
    mxd_snds_report *r =
        snds("192.0.2.1,12/31/2019 8:00 AM,1/1/2020 7:59 AM,10,9,\"1,204\",Yellow,"
             "< 0.1%,12/31/2019 12:00 PM,12/31/2019 1:00 PM,2,helo.example,a@example.com,"
             "\"x, y\"\n");
    assert_int_equal(r->nrows, 1);
    mxd_snds_row *w = &r->rows[0];
    assert_string_equal(w->ip, "192.0.2.1");
    assert_string_equal(w->date, "2019-12-31");
    assert_int_equal(w->start, 1577779200LL);      /* 2019-12-31T08:00:00Z */
    assert_int_equal(w->trap_start, 1577793600LL); /* 12:00 PM is noon */
    assert_int_equal(w->rcpt, 10);
    assert_int_equal(w->recipients, 1204);
    assert_string_equal(w->filter, "YELLOW");
    assert_string_equal(w->complaint, "< 0.1%");
    assert_int_equal(w->trap_hits, 2);
    assert_string_equal(w->mailfrom, "a@example.com");
    assert_string_equal(w->comments, "x, y");
    mxd_snds_free(r);

    r = snds("203.0.113.0,203.0.113.255,Yes,Blocked due to user complaints\n"
             "198.51.100.1,198.51.100.1,No,\n");
    assert_int_equal(r->nrows, 0);
    assert_int_equal(r->nblocks, 2);
    assert_string_equal(r->blocks[0].last_ip, "203.0.113.255");
    assert_int_equal(r->blocks[0].blocked, 1);
    assert_int_equal(r->blocks[1].blocked, 0);
    assert_null(r->blocks[1].reason);
    mxd_snds_free(r);
}

static void test_snds_loose_header(void **state)
{
    (void)state;
    /* case, blanks, punctuation, BOM, column order and unknown columns do not matter */
    mxd_snds_report *r = snds("\xEF\xBB\xBF"
                              "Comments;,RCPT_commands,  ip ADDRESS ,Extra,Filter-Result,"
                              "activity start (UTC)\r\n"
                              "hello,5,2001:DB8::1,?,red,2026-12-01T23:30:00-02:00\r\n");
    assert_int_equal(r->nrows, 1);
    assert_string_equal(r->rows[0].ip, "2001:db8::1");
    assert_string_equal(r->rows[0].filter, "RED");
    assert_string_equal(r->rows[0].comments, "hello");
    assert_string_equal(r->rows[0].date, "2026-12-02"); /* 01:30 UTC */
    assert_int_equal(r->rows[0].rcpt, 5);
    assert_int_equal(r->rows[0].data, -1);
    mxd_snds_free(r);
}

static void test_snds_json(void **state)
{
    (void)state;
    mxd_snds_report *r =
        snds("{\"value\": [{\"ipAddress\": \"192.0.2.7\", \"activityStart\": \"2026-12-02\","
             " \"rcptCommands\": 3, \"filterResult\": \"GREEN\", \"trapHits\": 0}]}");
    assert_int_equal(r->nrows, 1);
    assert_string_equal(r->rows[0].date, "2026-12-02");
    assert_int_equal(r->rows[0].rcpt, 3);
    assert_int_equal(r->rows[0].trap_hits, 0);
    char *js = mxd_snds_json(r, 0);
    assert_non_null(strstr(js, "\"filter_result\":\"GREEN\""));
    free(js);
    mxd_snds_free(r);
    r = snds("[{\"firstIp\": \"203.0.113.0\", \"lastIp\": \"203.0.113.9\", \"blocked\": true}]");
    assert_int_equal(r->nblocks, 1);
    assert_int_equal(r->blocks[0].blocked, 1);
    mxd_snds_free(r);
    const char *bad = "{\"value\": [{\"ipAddress\": {\"x\": 1}}]}";
    assert_int_equal(snds_err(bad, strlen(bad)), MXD_ERR_PARSE);
    assert_int_equal(snds_err("{\"value\": [", 11), MXD_ERR_PARSE);
}

static void test_snds_bad_values(void **state)
{
    (void)state;
    const char *h = "IP address,Activity start,Filter result,RCPT commands\n";
    char in[512];
    snprintf(in, sizeof in, "%s192.0.2.300,1/1/2026,GREEN,1\n", h);
    assert_int_equal(snds_err(in, strlen(in)), MXD_ERR_PARSE);
    assert_string_equal(why, "line 2: '192.0.2.300' is not an IP address");
    snprintf(in, sizeof in, "%s192.0.2.3,13/1/2026,GREEN,1\n", h);
    assert_int_equal(snds_err(in, strlen(in)), MXD_ERR_PARSE);
    snprintf(in, sizeof in, "%s192.0.2.3,1/1/2026,PURPLE,1\n", h);
    assert_int_equal(snds_err(in, strlen(in)), MXD_ERR_PARSE);
    snprintf(in, sizeof in, "%s192.0.2.3,1/1/2026,GREEN,1x\n", h);
    assert_int_equal(snds_err(in, strlen(in)), MXD_ERR_PARSE);
    /* no activity period: only with a default date */
    const char *nodate = "IP address,Filter result\n192.0.2.3,GREEN\n";
    assert_int_equal(snds_err(nodate, strlen(nodate)), MXD_ERR_PARSE);
    mxd_snds_report *r = NULL;
    assert_int_equal(mxd_snds_parse(nodate, strlen(nodate), "2026-02-03", &r, why, sizeof why),
                     MXD_OK);
    assert_string_equal(r->rows[0].date, "2026-02-03");
    mxd_snds_free(r);
    assert_int_equal(mxd_snds_parse(nodate, strlen(nodate), "2026-02-30", &r, why, sizeof why),
                     MXD_ERR_INVALID);
}

/* A report of nothing is no error: a header line only, an empty list, Google's {}. */
static void test_empty_reports(void **state)
{
    (void)state;
    mxd_snds_report *r = snds("IP address,Filter result\r\n");
    assert_int_equal(r->nrows + r->nblocks, 0);
    mxd_snds_free(r);
    r = snds("{\"value\": []}");
    assert_int_equal(r->nrows + r->nblocks, 0);
    mxd_snds_free(r);
    assert_int_equal(snds_err("[{\"x\": 1}]", 10), MXD_ERR_PARSE);
    assert_string_equal(why, "item 1: no SNDS field");
    assert_int_equal(snds_err(" \r\n\n", 4), MXD_ERR_EMPTY);
    static const char *const empty[] = {"{}", "{\"nextPageToken\": \"\"}", "{\"domainStats\": []}"};
    for (size_t i = 0; i < 3; i++) {
        mxd_gpt_report *g = NULL;
        assert_int_equal(mxd_gpt_parse(empty[i], strlen(empty[i]), &g, why, sizeof why), MXD_OK);
        assert_int_equal(g->ndays, 0);
        mxd_gpt_free(g);
    }
    mxd_gpt_report *g = NULL;
    assert_int_equal(mxd_gpt_parse("{\"foo\": 1}", 10, &g, why, sizeof why), MXD_ERR_PARSE);
    assert_null(g);
}

/* A Windows-1252 comment becomes '?' (JSON takes only UTF-8); a JSON text of too many values
 * is refused before jansson builds its tree. */
static void test_text_and_json_bounds(void **state)
{
    (void)state;
    mxd_snds_report *r = snds("IP address,Activity start,Comments\n"
                              "192.0.2.1,2026-01-01,caf\xe9 \xc3\xa9t\xc3\xa9\n");
    assert_string_equal(r->rows[0].comments, "caf? \xc3\xa9t\xc3\xa9");
    char *js = mxd_snds_json(r, 0);
    assert_non_null(strstr(js, "\"comments\":\"caf? "));
    free(js);
    mxd_snds_free(r);
    size_t n = MXD_FEED_MAX_JSON_VALUES + 2;
    char *big = malloc(2 * n + 2);
    big[0] = '[';
    for (size_t i = 0; i < n; i++) {
        big[1 + 2 * i] = '0';
        big[2 + 2 * i] = ',';
    }
    big[2 * n] = ']';
    big[2 * n + 1] = 0;
    assert_int_equal(snds_err(big, 2 * n + 1), MXD_ERR_TOOBIG);
    mxd_gpt_report *g = NULL;
    assert_int_equal(mxd_gpt_parse(big, 2 * n + 1, &g, why, sizeof why), MXD_ERR_TOOBIG);
    free(big);
    /* separators inside strings do not count */
    int depth = -1;
    assert_int_equal(str_json_shape("[\"a,b:[{\", 1]", 13, &depth), 3); /* [ , and one */
    assert_int_equal(depth, 1);
    const char *nested = "{\"a\": [[1], {\"b\": \"]]\\\"\"}]}"; /* brackets in a string */
    assert_int_equal(str_json_shape(nested, strlen(nested), &depth), 8);
    assert_int_equal(depth, 3);
}

static void test_times(void **state)
{
    (void)state;
    long long t;
    assert_int_equal(feed_time("12/31/2019 12:00 AM", &t), 0);
    assert_int_equal(t, 1577750400LL);
    assert_int_equal(feed_time("2019-12-31T08:00:00.123+01:00", &t), 0);
    assert_int_equal(t, 1577775600LL);
    assert_int_equal(feed_time("2/29/2019", &t), -1);
    assert_int_equal(feed_time("2019-12-31 25:00", &t), -1);
    assert_int_equal(feed_time("13:00 PM", &t), -1);
    char d[11];
    feed_day(951782400LL, d); /* 2000-02-29 */
    assert_string_equal(d, "2000-02-29");
}

static void test_gpt_v1(void **state)
{
    (void)state;
    const char *in = "{\"trafficStats\": [{\"name\": \"domains/Example.com/trafficStats/20261130\","
                     " \"userReportedSpamRatio\": 0.002, \"domainReputation\": \"HIGH\","
                     " \"ipReputations\": [{\"reputation\": \"LOW\", \"ipCount\": \"1\","
                     " \"sampleIps\": [\"192.0.2.1\"]}],"
                     " \"deliveryErrors\": [{\"errorClass\": \"TEMPORARY_ERROR\", \"errorType\":"
                     " \"RATE_LIMIT_EXCEEDED\", \"errorRatio\": 0.25}]}]}";
    mxd_gpt_report *r = NULL;
    assert_int_equal(mxd_gpt_parse(in, strlen(in), &r, why, sizeof why), MXD_OK);
    assert_string_equal(r->format, "v1");
    assert_int_equal(r->ndays, 1);
    assert_string_equal(r->days[0].domain, "example.com");
    assert_string_equal(r->days[0].date, "2026-11-30");
    assert_true(r->days[0].spam_rate > 0.0019 && r->days[0].spam_rate < 0.0021);
    assert_true(r->days[0].spf < 0);
    assert_int_equal(r->days[0].nipreps, 1);
    assert_int_equal(r->days[0].ipreps[0].ip_count, 1);
    assert_string_equal(r->days[0].ipreps[0].ips[0], "192.0.2.1");
    assert_string_equal(r->days[0].errors[0].error_type, "RATE_LIMIT_EXCEEDED");
    mxd_gpt_free(r);
    const char *bad = "{\"name\": \"domains/x/trafficStats/20261331\"}";
    assert_int_equal(mxd_gpt_parse(bad, strlen(bad), &r, why, sizeof why), MXD_ERR_PARSE);
    assert_null(r);
    bad = "{\"name\": \"domains/x/trafficStats/20261130\", \"spfSuccessRatio\": 2}";
    assert_int_equal(mxd_gpt_parse(bad, strlen(bad), &r, why, sizeof why), MXD_ERR_PARSE);
    bad = "{\"name\": \"domains/x/trafficStats/20261130\", \"ipReputations\":"
          " [{\"ipCount\": \"99999999999999999999\"}]}";
    assert_int_equal(mxd_gpt_parse(bad, strlen(bad), &r, why, sizeof why), MXD_ERR_PARSE);
}

static void test_gpt_v2(void **state)
{
    (void)state;
    const char *in =
        "{\"domainStats\": ["
        "{\"name\": \"domains/example.net/domainStats/1\", \"date\": {\"year\": 2026,"
        " \"month\": 12, \"day\": 1}, \"metric\": \"SPAM_RATE\", \"value\": {\"doubleValue\": "
        "0.004}},"
        "{\"name\": \"domains/example.net/domainStats/2\", \"date\": {\"year\": 2026,"
        " \"month\": 12, \"day\": 2}, \"metric\": \"spam\", \"value\": {\"doubleValue\": 0.001}},"
        "{\"name\": \"domains/example.net/domainStats/3\", \"date\": {\"year\": 2026,"
        " \"month\": 12, \"day\": 1}, \"metric\": \"Domain reputation\","
        " \"value\": {\"stringValue\": \"BAD\"}},"
        "{\"name\": \"domains/example.net/domainStats/4\", \"date\": {\"year\": 2026,"
        " \"month\": 12, \"day\": 1}, \"metric\": \"something new\", \"value\": {\"intValue\": "
        "\"4\"}}"
        "]}";
    mxd_gpt_report *r = NULL;
    assert_int_equal(mxd_gpt_parse(in, strlen(in), &r, why, sizeof why), MXD_OK);
    assert_string_equal(r->format, "v2");
    assert_int_equal(r->ndays, 2);
    assert_string_equal(r->days[0].date, "2026-12-01");
    assert_string_equal(r->days[0].domain_reputation, "BAD");
    assert_true(r->days[0].spam_rate > 0.0039);
    assert_true(r->days[1].spam_rate < 0.0011);
    mxd_gpt_free(r);
    const char *nodate = "{\"domainStats\": [{\"name\": \"domains/e.net/domainStats/1\","
                         " \"metric\": \"spam_rate\", \"value\": {\"doubleValue\": 0.1}}]}";
    assert_int_equal(mxd_gpt_parse(nodate, strlen(nodate), &r, why, sizeof why), MXD_ERR_PARSE);
    assert_non_null(strstr(why, "DAILY"));
    /* a value as text must be a number: "" is not 0 */
    const char *blank = "{\"domainStats\": [{\"name\": \"domains/e.net/domainStats/1\","
                        " \"date\": {\"year\": 2026, \"month\": 12, \"day\": 1},"
                        " \"metric\": \"spam_rate\", \"value\": {\"doubleValue\": \"\"}}]}";
    assert_int_equal(mxd_gpt_parse(blank, strlen(blank), &r, why, sizeof why), MXD_ERR_PARSE);
    const char *text = "{\"domainStats\": [{\"name\": \"domains/e.net/domainStats/1\","
                       " \"date\": {\"year\": 2026, \"month\": 12, \"day\": 1},"
                       " \"metric\": \"spam_rate\", \"value\": {\"doubleValue\": \"0.25\"}}]}";
    assert_int_equal(mxd_gpt_parse(text, strlen(text), &r, why, sizeof why), MXD_OK);
    assert_true(r->days[0].spam_rate > 0.24 && r->days[0].spam_rate < 0.26);
    mxd_gpt_free(r);
}

static void test_gpt_many_days(void **state)
{
    (void)state;
    /* many (domain, day) pairs: the grouping hash grows; every pair stays one day */
    size_t n = 3000;
    char *in = malloc(n * 160 + 64), *p = in;
    p += sprintf(p, "{\"domainStats\": [");
    for (size_t i = 0; i < n; i++)
        p += sprintf(p,
                     "%s{\"name\": \"domains/d%zu.example/domainStats/x\", \"date\": "
                     "{\"year\": 2026, \"month\": 1, \"day\": %zu}, \"metric\": \"spam\","
                     " \"value\": {\"doubleValue\": 0}}",
                     i ? "," : "", i % 100, 1 + i % 2);
    p += sprintf(p, "]}");
    mxd_gpt_report *r = NULL;
    assert_int_equal(mxd_gpt_parse(in, (size_t)(p - in), &r, why, sizeof why), MXD_OK);
    assert_int_equal(r->ndays, 100); /* i % 100 fixes i % 2 */
    mxd_gpt_free(r);
    free(in);
}

static int count_cb(void *arg, const mxd_snds_row *w)
{
    (void)w;
    ++*(int *)arg;
    return 0;
}

static int gpt_cb(void *arg, const mxd_gpt_day *g)
{
    double *v = arg;
    v[0] = g->spam_rate;
    v[1] = g->dkim;
    return 0;
}

static void test_store_idempotent(void **state)
{
    (void)state;
    char path[512];
    test_db(tmpdir, "feed", path, sizeof path);
    mxd_store *s = NULL;
    assert_int_equal(mxd_store_open(path, 0, &s, why, sizeof why), MXD_OK);
    assert_int_equal(mxd_store_schema_version(s), 4);
    mxd_snds_report *r = snds("192.0.2.1,1/1/2026 12:00 AM,1/2/2026 12:00 AM,10,9,8,RED,"
                              ">= 0.3%,,,4,h,m,\n");
    int added = -1;
    assert_int_equal(mxd_store_snds_put(s, &r->rows[0], "a", 1, &added), MXD_OK);
    assert_int_equal(added, 1);
    assert_int_equal(mxd_store_snds_put(s, &r->rows[0], "a", 2, &added), MXD_OK);
    assert_int_equal(added, 0);
    mxd_snds_free(r);
    int rows = 0;
    assert_int_equal(mxd_store_snds_each(s, NULL, count_cb, &rows), MXD_OK);
    assert_int_equal(rows, 1);

    /* v2 metrics of one day from two answers merge; a re-import keeps one row */
    mxd_gpt_day d = {.domain = "example.net",
                     .date = "2026-12-01",
                     .spam_rate = 0.002,
                     .spf = -1,
                     .dkim = -1,
                     .dmarc = -1,
                     .inbound_tls = -1,
                     .outbound_tls = -1,
                     .delivery_error_rate = -1};
    assert_int_equal(mxd_store_gpt_put(s, &d, "x", 1, &added), MXD_OK);
    assert_int_equal(added, 1);
    d.spam_rate = -1;
    d.dkim = 0.9;
    assert_int_equal(mxd_store_gpt_put(s, &d, "y", 2, &added), MXD_OK);
    assert_int_equal(added, 0);
    double got[2] = {0, 0};
    assert_int_equal(mxd_store_gpt_each(s, "2026-12-01", gpt_cb, got), MXD_OK);
    assert_true(got[0] > 0.0019 && got[0] < 0.0021);
    assert_true(got[1] > 0.89 && got[1] < 0.91);

    unsigned long long target = 0;
    unsigned days = 0;
    char start[11];
    int found = -1;
    assert_int_equal(mxd_store_warmup_get(s, "192.0.2.1", &target, start, &days, &found), MXD_OK);
    assert_int_equal(found, 0);
    assert_int_equal(mxd_store_warmup_put(s, "192.0.2.1", 50000, "2026-12-01", 28, 5), MXD_OK);
    assert_int_equal(mxd_store_warmup_get(s, "192.0.2.1", &target, start, &days, &found), MXD_OK);
    assert_int_equal(found, 1);
    assert_int_equal(target, 50000);
    assert_int_equal(days, 28);
    assert_string_equal(start, "2026-12-01");
    mxd_store_close(s);
}

static int setup(void **state)
{
    (void)state;
    return tmpdir_make("feed");
}

static int teardown(void **state)
{
    (void)state;
    return tmpdir_remove();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_split),
        cmocka_unit_test(test_csv_limits),
        cmocka_unit_test(test_snds_old_headerless),
        cmocka_unit_test(test_snds_loose_header),
        cmocka_unit_test(test_snds_json),
        cmocka_unit_test(test_snds_bad_values),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_empty_reports),
        cmocka_unit_test(test_text_and_json_bounds),
        cmocka_unit_test(test_gpt_v1),
        cmocka_unit_test(test_gpt_v2),
        cmocka_unit_test(test_gpt_many_days),
        cmocka_unit_test(test_store_idempotent),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
