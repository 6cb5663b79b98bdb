/* test_warmup.c - warm-up plans (the ramp's rules over many targets and lengths) and the
 * status verdicts (thresholds, the IP filter, greylisting)
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
#include "mxdiag/warmup.h"

static char why[256];

static void test_plan_rules(void **state)
{
    (void)state;
    static const unsigned long long targets[] = {
        100, 999, 5000, 50000, 250000, 3000000, MXD_WARMUP_TARGET_MAX};
    for (size_t t = 0; t < sizeof targets / sizeof *targets; t++)
        for (unsigned days = MXD_WARMUP_DAYS_MIN; days <= MXD_WARMUP_DAYS_MAX; days += 7) {
            mxd_warmup_plan *p = NULL;
            assert_int_equal(mxd_warmup_plan_make("192.0.2.1", targets[t], "2026-02-20", days, NULL,
                                                  &p, why, sizeof why),
                             MXD_OK);
            assert_int_equal(p->days, days);
            for (int g = 0; g < MXD_WG_N; g++) {
                unsigned long long prev = p->volume[g];
                assert_true(prev <= 200);
                for (unsigned d = 1; d < days; d++) {
                    unsigned long long v = p->volume[(size_t)d * MXD_WG_N + g];
                    assert_true(v >= prev);
                    assert_true(v <= 2 * prev);
                    assert_true(v <= p->goal[g]);
                    prev = v;
                }
                /* the goal is reached on the last day unless doubling could not get there */
                if (p->reached[g] < 0)
                    assert_true(p->goal[g] > p->volume[g] << (days - 1));
                else
                    assert_int_equal(prev, p->goal[g]);
            }
            mxd_warmup_plan_free(p);
        }
    /* days default, dates run across a month */
    mxd_warmup_plan *p = NULL;
    assert_int_equal(
        mxd_warmup_plan_make("2001:DB8::1", 50000, "2026-02-20", 0, NULL, &p, why, sizeof why),
        MXD_OK);
    assert_int_equal(p->days, MXD_WARMUP_DAYS_DEFAULT);
    assert_string_equal(p->ip, "2001:db8::1");
    char date[11];
    mxd_warmup_date(p, 9, date);
    assert_string_equal(date, "2026-03-01"); /* 2026 is no leap year */
    assert_int_equal(mxd_warmup_day_total(p, p->days - 1), 50000);
    assert_string_equal(mxd_warmup_audience(p, 0), "engaged in the last 30 days");
    char *s = mxd_warmup_postfix(p);
    assert_non_null(strstr(s, "smtp_bind_address6=2001:db8::1"));
    assert_non_null(strstr(s, "gmail.com        warm-gmail:"));
    free(s);
    mxd_warmup_plan_free(p);
}

static void test_plan_refusals(void **state)
{
    (void)state;
    mxd_warmup_plan *p = NULL;
    assert_int_equal(
        mxd_warmup_plan_make("192.0.2.1", 1000, "2026-01-01", 13, NULL, &p, why, sizeof why),
        MXD_ERR_INVALID);
    assert_string_equal(why, "--days must be 14 to 42, not 13");
    assert_int_equal(
        mxd_warmup_plan_make("192.0.2.1", 1000, "2026-01-01", 43, NULL, &p, why, sizeof why),
        MXD_ERR_INVALID);
    assert_int_equal(
        mxd_warmup_plan_make("mail", 1000, "2026-01-01", 28, NULL, &p, why, sizeof why),
        MXD_ERR_INVALID);
    assert_int_equal(
        mxd_warmup_plan_make("192.0.2.1", 1000, "2026-02-30", 28, NULL, &p, why, sizeof why),
        MXD_ERR_INVALID);
    assert_int_equal(
        mxd_warmup_plan_make("192.0.2.1", 99, "2026-01-01", 28, NULL, &p, why, sizeof why),
        MXD_ERR_INVALID);
    unsigned bad[MXD_WG_N] = {50, 50, 10, 0, 0};
    assert_int_equal(
        mxd_warmup_plan_make("192.0.2.1", 1000, "2026-01-01", 28, bad, &p, why, sizeof why),
        MXD_ERR_INVALID);
    unsigned wrap[MXD_WG_N] = {4294967246u, 150, 0, 0, 0}; /* adds up to 100 mod 2^32 */
    assert_int_equal(
        mxd_warmup_plan_make("192.0.2.1", 1000, "2026-01-01", 28, wrap, &p, why, sizeof why),
        MXD_ERR_INVALID);
    assert_null(p);
    unsigned all_gmail[MXD_WG_N] = {0, 100, 0, 0, 0};
    assert_int_equal(
        mxd_warmup_plan_make("192.0.2.1", 1000, "2026-01-01", 28, all_gmail, &p, why, sizeof why),
        MXD_OK);
    assert_int_equal(p->goal[MXD_WG_GMAIL], 1000);
    assert_int_equal(p->volume[MXD_WG_MICROSOFT], 0);
    mxd_warmup_plan_free(p);
    assert_null(NULL);
}

static mxd_log_event ev(long long t, const char *provider, const char *outcome, const char *reason,
                        const char *status, const char *relay_ip)
{
    mxd_log_event e;
    memset(&e, 0, sizeof e);
    e.timestamp = t;
    e.provider = provider;
    e.outcome = outcome;
    e.reason = reason;
    e.status = status;
    e.relay_ip = relay_ip;
    return e;
}

#define DAY2 1767312000LL /* 2026-01-02T00:00:00Z */

static void test_status_verdicts(void **state)
{
    (void)state;
    mxd_warmup_plan *p = NULL;
    assert_int_equal(
        mxd_warmup_plan_make("192.0.2.1", 10000, "2026-01-01", 28, NULL, &p, why, sizeof why),
        MXD_OK);
    mxd_warmup_status *s = NULL;
    assert_int_equal(mxd_warmup_status_new(p, &s), MXD_OK);
    /* Gmail: 100 attempts, 2 throttled (2%: hold); greylisting is no throttling */
    for (int i = 0; i < 97; i++) {
        mxd_log_event e = ev(DAY2 + i, "google", "sent", "delivered", "2.0.0", NULL);
        assert_int_equal(mxd_warmup_status_add(s, &e), MXD_OK);
    }
    for (int i = 0; i < 2; i++) {
        mxd_log_event e = ev(DAY2 + 200, "google", "deferred", "speeding", "4.7.28", NULL);
        assert_int_equal(mxd_warmup_status_add(s, &e), MXD_OK);
    }
    mxd_log_event grey = ev(DAY2 + 300, "google", "deferred", "blocked", "4.2.0", NULL);
    grey.not_block = 1;
    mxd_warmup_status_add(s, &grey);
    /* Yahoo: 50 sent, 1 throttled (2% exactly: hold) */
    for (int i = 0; i < 49; i++) {
        mxd_log_event e = ev(DAY2 + i, "yahoo", "sent", "delivered", "2.0.0", NULL);
        mxd_warmup_status_add(s, &e);
    }
    mxd_log_event tss = ev(DAY2 + 9, "yahoo", "deferred", "badreputation", "4.7.0", NULL);
    tss.diagnosticcode = "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred";
    mxd_warmup_status_add(s, &tss);
    /* Apple: 30 sent, 2 unknown users (6%: hold, clean the list) */
    for (int i = 0; i < 30; i++) {
        mxd_log_event e = ev(DAY2 + i, "apple", "sent", "delivered", "2.0.0", NULL);
        mxd_warmup_status_add(s, &e);
    }
    for (int i = 0; i < 2; i++) {
        mxd_log_event e = ev(DAY2 + i, "apple", "bounced", "userunknown", "5.1.1", NULL);
        mxd_warmup_status_add(s, &e);
    }
    /* others: an inbound rejection does not count; the day before counts as a day */
    mxd_log_event in = ev(DAY2 + 5, "zoho", "rejected", "blocked", "5.7.1", NULL);
    mxd_warmup_status_add(s, &in);
    mxd_log_event old = ev(DAY2 - 3600, "zoho", "sent", "delivered", "2.0.0", NULL);
    mxd_warmup_status_add(s, &old);

    mxd_warmup_verdict v[MXD_WG_N];
    char last[11];
    int by_ip = -1;
    mxd_warmup_status_verdicts(s, v, last, &by_ip);
    assert_string_equal(last, "2026-01-02");
    assert_int_equal(by_ip, 0);
    assert_int_equal(v[MXD_WG_GMAIL].action, MXD_WARMUP_HOLD);
    assert_string_equal(v[MXD_WG_GMAIL].reason, "Gmail 4.7.28 on 2% of yesterday's mail: hold at "
                                                "100/day");
    assert_int_equal(v[MXD_WG_YAHOO].action, MXD_WARMUP_HOLD);
    assert_non_null(strstr(v[MXD_WG_YAHOO].reason, "Yahoo/AOL TSS04 on 2%"));
    assert_int_equal(v[MXD_WG_APPLE].action, MXD_WARMUP_HOLD);
    assert_non_null(strstr(v[MXD_WG_APPLE].reason, "unknown: clean the list"));
    assert_int_equal(v[MXD_WG_MICROSOFT].action, MXD_WARMUP_NONE);
    assert_int_equal(v[MXD_WG_OTHER].action, MXD_WARMUP_NONE); /* no mail on the last day */
    mxd_warmup_status_free(s);

    /* when the log names the IP, only those lines count */
    assert_int_equal(mxd_warmup_status_new(p, &s), MXD_OK);
    for (int i = 0; i < 40; i++) {
        mxd_log_event e = ev(DAY2 + i, "outlookcom", "bounced", "blocked", "5.7.1", "192.0.2.2");
        mxd_warmup_status_add(s, &e);
    }
    for (int i = 0; i < 40; i++) {
        mxd_log_event e = ev(DAY2 + i, "outlookcom", "sent", "delivered", "2.0.0", "192.0.2.1");
        mxd_warmup_status_add(s, &e);
    }
    mxd_warmup_status_verdicts(s, v, last, &by_ip);
    assert_int_equal(by_ip, 1);
    assert_int_equal(v[MXD_WG_MICROSOFT].action, MXD_WARMUP_ADVANCE);
    mxd_warmup_status_free(s);

    /* without the IP named, the same lines: Microsoft blocks half: slow down */
    assert_int_equal(mxd_warmup_status_new(p, &s), MXD_OK);
    for (int i = 0; i < 40; i++) {
        mxd_log_event e = ev(DAY2 + i, "outlookcom", "bounced", "blocked", "5.7.1", NULL);
        mxd_warmup_status_add(s, &e);
        e = ev(DAY2 + i, "microsoft365", "sent", "delivered", "2.0.0", NULL);
        mxd_warmup_status_add(s, &e);
    }
    mxd_warmup_status_verdicts(s, v, last, &by_ip);
    assert_int_equal(v[MXD_WG_MICROSOFT].action, MXD_WARMUP_SLOW_DOWN);
    /* half of what was sent, at most day 2's plan */
    unsigned long long plan2 = p->volume[MXD_WG_N + MXD_WG_MICROSOFT];
    assert_int_equal(v[MXD_WG_MICROSOFT].volume, (plan2 < 80 ? plan2 : 80) / 2);
    mxd_warmup_status_free(s);
    mxd_warmup_plan_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_rules),
        cmocka_unit_test(test_plan_refusals),
        cmocka_unit_test(test_status_verdicts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
