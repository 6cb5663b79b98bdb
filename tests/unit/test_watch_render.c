/* test_watch_render.c - unit tests for lib/watch/render.c: the dashboard, the Prometheus
 * exposition and the JSON API over a store filled through the public API
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
#include <jansson.h>
#include "mxdiag/store.h"
#include "watch/watch_internal.h"
#include "tmpdir_helper.h"
#include "watch_fill_helper.h"

#define HOUR 3600LL
#define DAY  86400LL
#define NOW  1700000000LL /* 2023-11-14 22:13:20Z */

#define HOSTILE FILL_HOSTILE

static int setup(void **state)
{
    (void)state;
    return tmpdir_make("watch-render");
}

static int teardown(void **state)
{
    (void)state;
    return tmpdir_remove();
}

static mxd_store *open_db(const char *name)
{
    char path[512], why[512];
    snprintf(path, sizeof path, "%s/%s.db", tmpdir, name);
    mxd_store *s = NULL;
    mxd_err e = mxd_store_open(path, 0, &s, why, sizeof why);
    if (e)
        fprintf(stderr, "open %s: %s\n", path, why);
    assert_int_equal(e, MXD_OK);
    return s;
}

static const watch_stats stats = {.rounds = 3,
                                  .checks = 27,
                                  .dns_queries = 81,
                                  .alerts_opened = 1,
                                  .notices_sent = 2,
                                  .started = NOW - DAY};

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static void test_dashboard(void **state)
{
    (void)state;
    mxd_store *s = open_db("dash");
    assert_int_equal(watch_fill(s, NOW), MXD_OK);
    char why[256] = "";
    size_t len = 0;
    char *h = watch_render_dashboard(s, &stats, NOW, &len, why, sizeof why);
    assert_non_null(h);
    assert_int_equal(strlen(h), len);
    assert_non_null(strstr(h, "<!DOCTYPE html>"));
    assert_non_null(strstr(h, "<link rel=\"icon\" href=\"data:,\">"));
    assert_non_null(strstr(h, "id=\"state\""));
    assert_non_null(strstr(h, "id=\"alerts\""));
    assert_non_null(strstr(h, "id=\"timeline\""));
    assert_non_null(strstr(h, "<tr data-subject=\"192.0.2.1\">"));
    assert_non_null(strstr(h, "<tr data-subject=\"example.org\">"));
    assert_non_null(strstr(h, "192.0.2.1 is listed on spamcop"));
    assert_non_null(strstr(h, "DMARC weakened on example.org")); /* closed: the timeline */
    assert_non_null(strstr(h, "recovered"));
    /* the plots: three per provider */
    assert_int_equal(count(h, "<svg class=\"plot\""), 6);
    assert_int_equal(count(h, "data-provider=\"gmail\" data-metric="), 3);
    assert_int_equal(count(h, "data-provider=\"microsoft\" data-metric="), 3);
    /* strangers' text is escaped, bad bytes replaced: no markup gets through */
    assert_null(strstr(h, "<script"));
    assert_non_null(strstr(h, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(h, "bad \xef\xbf\xbd byte"));
    assert_null(strstr(h, "\xff"));
    assert_non_null(strstr(h, "a&quot;b\\c\nd"));
    free(h);
    mxd_store_close(s);
}

/* The provider feeds' checks (lib/watch/feeds.c) get columns of their own in the grid. */
static void test_dashboard_feeds(void **state)
{
    (void)state;
    mxd_store *s = open_db("feeds");
    assert_int_equal(mxd_store_begin(s), MXD_OK);
    assert_int_equal(fill_record(s, "snds/192.0.2.12", "snds", "192.0.2.12", NULL,
                                 MXD_WATCH_PROBLEM, "RED", "SNDS filter result RED on 2026-11-30",
                                 NOW - HOUR),
                     MXD_OK);
    assert_int_equal(fill_record(s, "snds-block/203.0.113.0/203.0.113.255", "snds-block",
                                 "203.0.113.0", "203.0.113.255", MXD_WATCH_PROBLEM, "blocked",
                                 "SNDS: blocked", NOW - HOUR),
                     MXD_OK);
    assert_int_equal(fill_record(s, "gpt-spam/example.net", "gpt-spam", "example.net", NULL,
                                 MXD_WATCH_PROBLEM, "0.12%", "Gmail spam rate 0.12%", NOW - HOUR),
                     MXD_OK);
    assert_int_equal(mxd_store_commit(s), MXD_OK);
    char why[256] = "";
    size_t len = 0;
    char *h = watch_render_dashboard(s, NULL, NOW, &len, why, sizeof why);
    assert_non_null(h);
    assert_non_null(strstr(h, "<th scope=\"col\">SNDS</th>"));
    assert_non_null(strstr(h, "<th scope=\"col\">SNDS blocks</th>"));
    assert_non_null(strstr(h, "<th scope=\"col\">Gmail spam rate</th>"));
    assert_non_null(strstr(h, "<tr data-subject=\"192.0.2.12\">"));
    assert_non_null(strstr(h, "data-kind=\"snds\""));
    assert_non_null(strstr(h, "data-kind=\"gpt-spam\""));
    assert_non_null(strstr(h, "0.12%"));
    free(h);
    mxd_store_close(s);
}

static void test_dashboard_empty(void **state)
{
    (void)state;
    mxd_store *s = open_db("empty");
    char why[256] = "";
    size_t len = 0;
    char *h = watch_render_dashboard(s, NULL, NOW, &len, why, sizeof why);
    assert_non_null(h);
    assert_non_null(strstr(h, "No open alerts."));
    assert_non_null(strstr(h, "Nothing checked yet."));
    assert_non_null(strstr(h, "id=\"plots-none\""));
    assert_null(strstr(h, "<svg"));
    free(h);
    mxd_store_close(s);
}

/* A key that changed 300 times: the timeline shows the latest runs only. */
static void test_dashboard_timeline_bounded(void **state)
{
    (void)state;
    mxd_store *s = open_db("long");
    assert_int_equal(mxd_store_begin(s), MXD_OK);
    for (int i = 0; i < 300; i++)
        assert_int_equal(fill_record(s, "mx/example.net", "mx", "example.net", NULL,
                                     i % 2 ? MXD_WATCH_PROBLEM : MXD_WATCH_OK,
                                     i % 2 ? "no MX" : "2 MX", "", NOW - (300 - i) * HOUR),
                         MXD_OK);
    assert_int_equal(mxd_store_commit(s), MXD_OK);
    char why[256] = "";
    size_t len = 0;
    char *h = watch_render_dashboard(s, NULL, NOW, &len, why, sizeof why);
    assert_non_null(h);
    const char *tl = strstr(h, "id=\"timeline\"");
    assert_non_null(tl);
    assert_int_equal(count(tl, " span\">"), 200);
    free(h);
    mxd_store_close(s);
}

/* 501 open alerts: the dashboard shows the newest 500, and says there are more. */
static void test_dashboard_alerts_bounded(void **state)
{
    (void)state;
    mxd_store *s = open_db("alerts");
    assert_int_equal(mxd_store_begin(s), MXD_OK);
    for (int i = 0; i < 501; i++) {
        char key[64];
        long long id;
        snprintf(key, sizeof key, "mx/d%d.example", i);
        assert_int_equal(fill_alert(s, key, "mx", key + 3, NULL, "warning", "no MX", "",
                                    NOW - (501 - i) * 60, &id),
                         MXD_OK);
    }
    assert_int_equal(mxd_store_commit(s), MXD_OK);
    char why[256] = "";
    size_t len = 0;
    char *h = watch_render_dashboard(s, NULL, NOW, &len, why, sizeof why);
    assert_non_null(h);
    const char *al = strstr(h, "id=\"alerts\"");
    assert_non_null(al);
    char *end = strstr(al, "</section>");
    assert_non_null(end);
    *end = 0;
    assert_int_equal(count(al, "<tr class=\"sev-warning\""), 500);
    assert_null(strstr(al, "d0.example")); /* the oldest is the one left out */
    assert_non_null(strstr(al, "d500.example"));
    assert_non_null(strstr(al, "Only the 500 newest"));
    assert_non_null(strstr(h, "500+ open alerts"));
    free(h);
    mxd_store_close(s);
}

static void test_metrics(void **state)
{
    (void)state;
    mxd_store *s = open_db("metrics");
    assert_int_equal(watch_fill(s, NOW), MXD_OK);
    char why[256] = "";
    size_t len = 0;
    char *m = watch_render_metrics(s, &stats, NOW, &len, why, sizeof why);
    assert_non_null(m);
    assert_int_equal(strlen(m), len);
    assert_non_null(strstr(m, "# TYPE mxdiag_check_state gauge\n"));
    assert_non_null(strstr(
        m, "\nmxdiag_check_state{kind=\"dnsbl\",subject=\"192.0.2.1\",item=\"spamcop\"} 1\n"));
    assert_non_null(
        strstr(m, "\nmxdiag_check_state{kind=\"dkim\",subject=\"example.org\",item=\"s1\"} 2\n"));
    assert_non_null(
        strstr(m, "\nmxdiag_check_state{kind=\"spf\",subject=\"example.org\",item=\"\"} 0\n"));
    /* label values escaped as the format says */
    assert_non_null(strstr(m, "item=\"a\\\"b\\\\c\\nd\"} 0\n"));
    assert_non_null(strstr(m, "\nmxdiag_dnsbl_listed{ip=\"192.0.2.1\",list=\"spamcop\"} 1\n"));
    assert_non_null(strstr(m, "\nmxdiag_dnsbl_listed{ip=\"192.0.2.1\",list=\"sbl\"} 0\n"));
    assert_null(strstr(m, "list=\"barracuda\"")); /* unknown: omitted */
    assert_non_null(strstr(m, "\nmxdiag_alerts_open{severity=\"critical\"} 1\n"));
    assert_non_null(strstr(m, "\nmxdiag_alerts_open{severity=\"warning\"} 0\n"));
    assert_non_null(strstr(m, "# TYPE mxdiag_log_messages_total counter\n"));
    assert_non_null(
        strstr(m, "\nmxdiag_log_messages_total{provider=\"microsoft\",status=\"sent\"} 1920\n"));
    assert_non_null(
        strstr(m, "\nmxdiag_log_messages_total{provider=\"microsoft\",status=\"rejected\"} 2\n"));
    assert_non_null(strstr(m, "\nmxdiag_watch_rounds_total 3\n"));
    assert_non_null(strstr(m, "\nmxdiag_watch_dns_queries_total 81\n"));
    assert_non_null(strstr(m, "\nmxdiag_watch_notices_sent_total 2\n"));
    assert_non_null(strstr(m, "\nmxdiag_watch_start_time_seconds 1699913600\n"));
    /* every sample line follows its family's HELP and TYPE; no float, no blank line */
    assert_null(strstr(m, "\n\n"));
    assert_int_equal(m[len - 1], '\n');
    free(m);
    mxd_store_close(s);
}

static json_t *api(mxd_store *s, const char *path)
{
    char why[256] = "";
    size_t len = 0;
    int nf = -1;
    char *j = watch_render_api(s, &stats, path, NOW, &len, &nf, why, sizeof why);
    assert_non_null(j);
    assert_int_equal(nf, 0);
    json_error_t err;
    json_t *x = json_loadb(j, len, 0, &err);
    if (!x)
        fprintf(stderr, "%s: %s\n", path, err.text);
    assert_non_null(x);
    assert_true(json_is_object(x));
    assert_true(json_is_string(json_object_get(x, "generated_at")));
    free(j);
    return x;
}

static void test_api(void **state)
{
    (void)state;
    mxd_store *s = open_db("api");
    assert_int_equal(watch_fill(s, NOW), MXD_OK);

    json_t *x = api(s, "/api/status");
    json_t *checks = json_object_get(x, "checks"), *alerts = json_object_get(x, "alerts");
    assert_int_equal(json_array_size(checks), 8);
    assert_int_equal(json_array_size(alerts), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(alerts, 0), "title")),
                        "192.0.2.1 is listed on spamcop");
    int listed = 0;
    for (size_t i = 0; i < json_array_size(checks); i++) {
        json_t *c = json_array_get(checks, i);
        if (strcmp(json_string_value(json_object_get(c, "key")), "dnsbl/192.0.2.1/spamcop") == 0) {
            listed = 1;
            assert_string_equal(json_string_value(json_object_get(c, "state")), "problem");
            assert_string_equal(json_string_value(json_object_get(c, "detail")),
                                "TXT: " HOSTILE " see https://www.spamcop.net/");
        }
        if (strcmp(json_string_value(json_object_get(c, "key")), "dmarc/example.org") == 0)
            assert_string_equal(json_string_value(json_object_get(c, "detail")),
                                "bad \xef\xbf\xbd byte in the record");
    }
    assert_true(listed);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(x, "stats"), "rounds")), 3);
    json_decref(x);

    x = api(s, "/api/alerts");
    assert_int_equal(json_array_size(json_object_get(x, "alerts")), 2);
    json_decref(x);

    x = api(s, "/api/history");
    /* spamcop and the odd item: two runs each; every other key one (the API has them all,
     * the dashboard's timeline only changes) */
    assert_int_equal(json_array_size(json_object_get(x, "history")), 10);
    json_decref(x);

    x = api(s, "/api/traffic");
    assert_int_equal(json_array_size(json_object_get(x, "hours")), 2 * 48);
    json_t *tot = json_object_get(x, "totals");
    assert_int_equal(json_array_size(tot), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(tot, 0), "provider")),
                        "gmail");
    json_decref(x);

    char why[256] = "";
    size_t len = 1;
    int nf = 0;
    assert_null(watch_render_api(s, &stats, "/api/nope", NOW, &len, &nf, why, sizeof why));
    assert_int_equal(nf, 1);
    assert_null(watch_render_api(s, &stats, "/api/", NOW, &len, &nf, why, sizeof why));
    assert_int_equal(nf, 1);
    mxd_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dashboard),
        cmocka_unit_test(test_dashboard_empty),
        cmocka_unit_test(test_dashboard_feeds),
        cmocka_unit_test(test_dashboard_timeline_bounded),
        cmocka_unit_test(test_dashboard_alerts_bounded),
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_api),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
