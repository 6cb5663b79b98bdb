/* test_explain.c - unit tests for lib/classify: reply parsing and classification
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "classify/reply.h"
#include "kb/kb_internal.h"
#include "util/match.h"
#include "mxdiag/mxdiag.h"
#include "kb_helper.h"

static void parse(const char *s, reply_parts *rp)
{
    assert_int_equal(reply_parse(s, strlen(s), rp), MXD_OK);
}

static void test_multiline_joined(void **state)
{
    (void)state;
    reply_parts rp;
    parse("550-5.7.26 This mail has been blocked because the sender is\r\n"
          "550-5.7.26 unauthenticated. Gmail requires all senders to authenticate\r\n"
          "550 5.7.26 with either SPF or DKIM. gsmtp\r\n",
          &rp);
    assert_string_equal(rp.code, "550");
    assert_string_equal(rp.status, "5.7.26");
    assert_string_equal(rp.text, "550-5.7.26 This mail has been blocked because the sender is "
                                 "unauthenticated. Gmail requires all senders to authenticate "
                                 "with either SPF or DKIM. gsmtp");
    reply_free(&rp);
}

static void test_codes_not_from_ips(void **state)
{
    (void)state;
    reply_parts rp;
    /* 5.7.1.2 and 4.3.2.1 are addresses, not status codes; 250 inside a word is no code */
    parse("Client host [5.7.1.2] rejected, see 4.3.2.1 abc250 def", &rp);
    assert_string_equal(rp.code, "");
    assert_string_equal(rp.status, "");
    assert_non_null(rp.sending_ip);
    assert_string_equal(rp.sending_ip, "5.7.1.2");
    reply_free(&rp);
}

static void test_status_without_code(void **state)
{
    (void)state;
    reply_parts rp;
    parse("#5.1.1 smtp; 550 user unknown", &rp);
    assert_string_equal(rp.code, "550");
    assert_string_equal(rp.status, "5.1.1");
    reply_free(&rp);
}

static void test_remote_host_ip_is_not_sending_ip(void **state)
{
    (void)state;
    reply_parts rp;
    parse("host mx.example.net[192.0.2.7] said: 554 5.7.1 Service unavailable; Client host "
          "[203.0.113.5] blocked using zen.spamhaus.org",
          &rp);
    assert_string_equal(rp.rhost, "mx.example.net");
    assert_string_equal(rp.sending_ip, "203.0.113.5");
    assert_string_equal(rp.code, "554");
    assert_string_equal(rp.status, "5.7.1");
    reply_free(&rp);
}

static void test_ipv6_sending_ip(void **state)
{
    (void)state;
    reply_parts rp;
    parse("550-5.7.1 [2001:db8::25] The IP you're using to send mail is not authorized", &rp);
    assert_non_null(rp.sending_ip);
    assert_string_equal(rp.sending_ip, "2001:db8::25");
    reply_free(&rp);
}

static void test_tags(void **state)
{
    (void)state;
    reply_parts rp;
    parse("421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred; AS(7171) AS(7171)", &rp);
    assert_string_equal(rp.tags, "[TSS04] AS(7171)");
    reply_free(&rp);
}

static void test_bad_input(void **state)
{
    (void)state;
    reply_parts rp;
    assert_int_equal(reply_parse("", 0, &rp), MXD_ERR_EMPTY);
    assert_int_equal(reply_parse(" \r\n\t ", 5, &rp), MXD_ERR_EMPTY);
    const char bin[] = "550 \0\x01\x02\x03";
    assert_int_equal(reply_parse(bin, sizeof bin - 1, &rp), MXD_ERR_BINARY);
    mxd_explanation *x = NULL;
    assert_int_equal(mxd_explain(kb, "hello world", 11, NULL, &x), MXD_ERR_NOTFOUND);
    assert_null(x);
    assert_int_equal(mxd_explain(NULL, "x", 1, NULL, &x), MXD_ERR_INVALID);
}

static void test_huge_line(void **state)
{
    (void)state;
    size_t n = 10u * 1024 * 1024;
    char *s = malloc(n);
    memset(s, 'A', n);
    memcpy(s, "550 5.1.1 ", 10);
    mxd_explanation *x = NULL;
    assert_int_equal(mxd_explain(kb, s, n, NULL, &x), MXD_OK);
    assert_string_equal(x->status, "5.1.1");
    assert_true(strlen(x->text) <= MXD_REPLY_MAX);
    mxd_explanation_free(x);
    free(s);
}

static void test_classify_ms708(void **state)
{
    (void)state;
    const char *t = "550 5.7.708 Service unavailable. Access denied, traffic not accepted from "
                    "this IP. For more information please go to "
                    "https://go.microsoft.com/fwlink/?LinkId=526653 AS(7171) "
                    "[DM6NAM12FT034.eop-nam12.prod.protection.outlook.com]";
    mxd_explanation *x = NULL;
    assert_int_equal(mxd_explain(kb, t, strlen(t), NULL, &x), MXD_OK);
    assert_string_equal(x->provider, "microsoft365");
    assert_string_equal(x->region, "nam12");
    assert_int_equal(x->permanent, 1);
    assert_int_equal(x->retry, MXD_RETRY_NEVER);
    assert_string_equal(x->decided_by, "rule");
    assert_string_equal(x->tags, "AS(7171)");
    assert_true(x->nfix >= 2);
    char *j = mxd_explanation_json(x, 0);
    assert_non_null(j);
    assert_non_null(strstr(j, "\"replycode\":\"550\""));
    assert_non_null(strstr(j, "\"provider\":\"microsoft365\""));
    free(j);
    mxd_explanation_free(x);
}

static void test_fallback_to_status_registry(void **state)
{
    (void)state;
    mxd_explanation *x = NULL;
    const char *t = "452 4.2.2 over quota";
    assert_int_equal(mxd_explain(kb, t, strlen(t), NULL, &x), MXD_OK);
    assert_int_equal(x->permanent, 0);
    assert_string_equal(x->reason, "mailboxfull");
    mxd_explanation_free(x);
    /* an unknown detail: the subject's generic meaning, class decides permanence */
    t = "550 5.9.999 something";
    assert_int_equal(mxd_explain(kb, t, strlen(t), NULL, &x), MXD_OK);
    assert_int_equal(x->permanent, 1);
    assert_non_null(x->summary);
    mxd_explanation_free(x);
}

static void test_rhost_hint_selects_provider(void **state)
{
    (void)state;
    mxd_explanation *x = NULL;
    const char *t = "550 5.7.1 Message rejected";
    assert_int_equal(mxd_explain(kb, t, strlen(t), "aspmx.l.google.com", &x), MXD_OK);
    assert_string_equal(x->provider, "google");
    assert_string_equal(x->rhost, "aspmx.l.google.com");
    mxd_explanation_free(x);
}

static void test_wrapper_inner_reply(void **state)
{
    (void)state;
    mxd_explanation *x = NULL;
    const char *t = "550 5.7.350 Remote server returned message detected as spam -> 550 5.1.1 "
                    "<bob@example.org>: Recipient address rejected: User unknown";
    assert_int_equal(mxd_explain(kb, t, strlen(t), NULL, &x), MXD_OK);
    assert_non_null(x->inner);
    assert_string_equal(x->inner->status, "5.1.1");
    assert_string_equal(x->inner->reason, "userunknown");
    mxd_explanation_free(x);
}

/* dirty_stack - fill stack memory that a following call will reuse with non-zero bytes. */
static void __attribute__((noinline)) dirty_stack(void)
{
    volatile char junk[8192];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 'Z';
}

static void test_no_region_without_host(void **state)
{
    (void)state;
    /* Regression (fuzz_reply): the region buffer was read uninitialised when the reply names
     * no remote host. */
    const char *t = "530 5.7.1 Client was not authenticated.";
    mxd_explanation *x = NULL;
    dirty_stack();
    assert_int_equal(mxd_explain(kb, t, strlen(t), NULL, &x), MXD_OK);
    assert_null(x->rhost);
    assert_null(x->region);
    mxd_explanation_free(x);
}

/* hostile_text - n bytes repeating unit. Freed by the caller. */
static char *hostile_text(const char *unit, size_t n)
{
    size_t ul = strlen(unit);
    char *s = malloc(n);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        s[i] = unit[i % ul];
    return s;
}

/* match_work - the work the one-pass matcher does on n bytes of unit against every rule text
 * and every reason pattern of the knowledge base (positions visited plus bytes searched). */
static size_t match_work(const bmatch *rules, const bmatch *reasons, const char *unit, size_t n)
{
    char *s = hostile_text(unit, n);
    char *low = malloc(n);
    unsigned char *hit = malloc(bmatch_count(rules) + 1);
    assert_true(low && hit);
    bmatch_lower(s, n, low);
    size_t work = bmatch_all_work(rules, low, n, hit);
    long first;
    work += bmatch_first_work(reasons, low, n, &first);
    free(hit);
    free(low);
    free(s);
    return work;
}

/* Hostile replies repeating the first word of a pattern with a '*' ("mailbox*is full",
 * "blocked using *.spamhaus.net") once restarted the search at every occurrence: quadratic.
 * Linearity is shown in operations, not seconds (a clock fails on a busy machine): the work
 * for 64 KiB is at most three times the work for 32 KiB (linear gives 2, quadratic 4). Timing
 * is bench/explain's job. */
static void test_hostile_64k_is_linear(void **state)
{
    (void)state;
    static const char *const units[] = {"mailbox ",      "quota ", "account ", "blocked using ",
                                        "message size ", "[",      "@",        "1.",
                                        "550 ",          "AS(1",   "is full ", "mailbox is "};
    const char **pats = malloc(kb->nreasons * sizeof *pats);
    assert_non_null(pats);
    for (size_t i = 0; i < kb->nreasons; i++)
        pats[i] = kb_str(kb, kb->reasons[i].pattern);
    bmatch *reasons = bmatch_new(pats, kb->nreasons);
    free(pats);
    assert_non_null(reasons);
    assert_non_null(kb->rule_texts);
    size_t n = MXD_REPLY_MAX / 2;
    for (size_t u = 0; u < sizeof units / sizeof *units; u++) {
        size_t w1 = match_work(kb->rule_texts, reasons, units[u], n);
        size_t w2 = match_work(kb->rule_texts, reasons, units[u], 2 * n);
        if (w2 > 3 * w1 + 4096)
            fail_msg("'%s': work %zu for %zu bytes, %zu for %zu: not linear", units[u], w1, n, w2,
                     2 * n);
        /* the whole explanation of the longest reply: no crash, nothing leaked */
        char *s = hostile_text(units[u], MXD_REPLY_MAX);
        mxd_explanation *x = NULL;
        mxd_err e = mxd_explain(kb, s, MXD_REPLY_MAX, NULL, &x);
        free(s);
        mxd_explanation_free(x);
        assert_true(e == MXD_OK || e == MXD_ERR_NOTFOUND);
    }
    bmatch_free(reasons);
}

static void test_json_keeps_valid_utf8(void **state)
{
    (void)state;
    /* A reply with one byte that is not UTF-8 still gives valid JSON; only that byte becomes
     * '?' (before, every non-ASCII byte did, so "caf\303\251" lost its accent too). */
    const char *t = "550 5.1.1 caf\303\251 \377 user unknown";
    mxd_explanation *x = NULL;
    assert_int_equal(mxd_explain(kb, t, strlen(t), NULL, &x), MXD_OK);
    char *j = mxd_explanation_json(x, 0);
    assert_non_null(j);
    assert_non_null(strstr(j, "\"text\":\"550 5.1.1 caf\303\251 ? user unknown\""));
    free(j);
    mxd_explanation_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multiline_joined),
        cmocka_unit_test(test_codes_not_from_ips),
        cmocka_unit_test(test_status_without_code),
        cmocka_unit_test(test_remote_host_ip_is_not_sending_ip),
        cmocka_unit_test(test_ipv6_sending_ip),
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_huge_line),
        cmocka_unit_test(test_classify_ms708),
        cmocka_unit_test(test_fallback_to_status_registry),
        cmocka_unit_test(test_rhost_hint_selects_provider),
        cmocka_unit_test(test_wrapper_inner_reply),
        cmocka_unit_test(test_no_region_without_host),
        cmocka_unit_test(test_hostile_64k_is_linear),
        cmocka_unit_test(test_json_keeps_valid_utf8),
    };
    return cmocka_run_group_tests(tests, kb_setup, kb_teardown);
}
