/* test_dns.c - the DNS layer against the real test server (tests/dnsd) over 127.0.0.1
 * SPDX-License-Identifier: MIT
 *
 * Starts tests/dnsd/dnsd.py (with /usr/bin/python3) on a free port with a zone written here,
 * and a second instance that delays every answer, then checks answers, statuses, retries,
 * truncation to TCP, reverse names, the cache and concurrency. Skips (77) without python3 or
 * its dnslib module.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <mxdiag/mxdiag.h>
#include "dns/dns_internal.h"
#include "dnsd_helper.h"
#include "tmpdir_helper.h"

#define SLOW_DELAY_MS 200
#define MANY          300

static dnsd_server fast, slow;

static const char zone_text[] =
    "ok.test        A     192.0.2.1\n"
    "ok.test        A     192.0.2.2\n"
    "ok.test        AAAA  2001:db8::1\n"
    "ok.test        MX    10 mx.ok.test\n"
    "ok.test        MX    5 mx0.ok.test\n"
    "ok.test        TXT   \"v=spf1 \" \"-all\"\n"
    "ok.test        NS    ns1.ok.test\n"
    "sub.only.test  A     192.0.2.3\n"
    "alias.test     CNAME ok.test\n"
    "servfail.test  SERVFAIL\n"
    "refused.test   REFUSED\n"
    "timeout.test   TIMEOUT\n"
    "trunc.test     TRUNCATE\n"
    "trunc.test     TXT   \"a record long enough to need more than one string in total when "
    "it is joined\" \"-second-string\"\n"
    "big.test       TXT   \"" /* with the next lines: > 512 bytes, truncated over UDP */
    "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567"
    "89012345678901234567890123456789012345678901234567890123456789012345678901234567890123\"\n"
    "big.test       TXT   \"1123456789012345678901234567890123456789012345678901234567890123"
    "456789012345678901234567890123456789012345678901234567890123456789012345678901234567890"
    "123\"\n"
    "big.test       TXT   \"2123456789012345678901234567890123456789012345678901234567890123"
    "456789012345678901234567890123456789012345678901234567890123456789012345678901234567890"
    "123\"\n"
    "null.test      MX    0 .\n"
    "192.0.2.25     PTR   mail.test\n"
    "2001:db8::25   PTR   mail6.test\n"
    "*.many.test    A     192.0.2.77\n";

static int setup_servers(void **state)
{
    (void)state;
    if (access(DNSD_PYTHON, X_OK) != 0)
        return -1;
    char zone[512];
    if (tmpdir_make("dns") || tmpdir_file("test.zone", zone_text, zone, sizeof zone))
        return -1;
    char delay[16];
    snprintf(delay, sizeof delay, "%d", SLOW_DELAY_MS);
    const char *zones[] = {zone, NULL};
    if (dnsd_start(&fast, zones, NULL) || dnsd_start(&slow, zones, delay))
        return -1;
    return 0;
}

static int teardown_servers(void **state)
{
    (void)state;
    dnsd_stop(&fast);
    dnsd_stop(&slow);
    return tmpdir_remove();
}

static mxd_resolver *resolver(const char *servers, int timeout_ms, int tries)
{
    mxd_dns_opts o = {.servers = servers, .timeout_ms = timeout_ms, .tries = tries};
    mxd_resolver *r = NULL;
    char why[256];
    assert_int_equal(mxd_resolver_new(&o, &r, why, sizeof why), MXD_OK);
    assert_non_null(r);
    return r;
}

static mxd_dns_answer *lookup(mxd_resolver *r, const char *name, int type)
{
    mxd_dns_answer *a = NULL;
    assert_int_equal(mxd_dns_lookup(r, name, type, &a), MXD_OK);
    assert_non_null(a);
    assert_string_equal(a->qname, name);
    assert_int_equal(a->qtype, type);
    return a;
}

static void test_a_aaaa(void **state)
{
    (void)state;
    mxd_resolver *r = resolver(fast.addr, 1000, 1);
    mxd_dns_answer *a = lookup(r, "ok.test", MXD_DNS_A);
    assert_int_equal(a->status, MXD_DNS_OK);
    assert_int_equal(a->n, 2);
    int seen1 = 0, seen2 = 0;
    for (size_t i = 0; i < a->n; i++) {
        seen1 |= !strcmp(a->rr[i].addr, "192.0.2.1");
        seen2 |= !strcmp(a->rr[i].addr, "192.0.2.2");
        assert_int_equal(a->rr[i].ttl, 300);
    }
    assert_true(seen1 && seen2);
    mxd_dns_answer_free(a);
    a = lookup(r, "ok.test", MXD_DNS_AAAA);
    assert_int_equal(a->status, MXD_DNS_OK);
    assert_int_equal(a->n, 1);
    assert_string_equal(a->rr[0].addr, "2001:db8::1");
    mxd_dns_answer_free(a);
    /* a CNAME is followed: the answer holds the target's addresses */
    a = lookup(r, "alias.test", MXD_DNS_A);
    assert_int_equal(a->status, MXD_DNS_OK);
    assert_int_equal(a->n, 2);
    mxd_dns_answer_free(a);
    a = lookup(r, "alias.test", MXD_DNS_CNAME);
    assert_int_equal(a->status, MXD_DNS_OK);
    assert_int_equal(a->n, 1);
    assert_string_equal(a->rr[0].name, "ok.test");
    mxd_dns_answer_free(a);
    mxd_resolver_free(r);
}

static void test_mx_txt_ns(void **state)
{
    (void)state;
    mxd_resolver *r = resolver(fast.addr, 1000, 1);
    mxd_dns_answer *a = lookup(r, "ok.test", MXD_DNS_MX);
    assert_int_equal(a->status, MXD_DNS_OK);
    assert_int_equal(a->n, 2);
    for (size_t i = 0; i < a->n; i++)
        assert_int_equal(a->rr[i].pref, !strcmp(a->rr[i].name, "mx0.ok.test") ? 5 : 10);
    mxd_dns_answer_free(a);
    a = lookup(r, "null.test", MXD_DNS_MX);
    assert_int_equal(a->status, MXD_DNS_OK);
    assert_int_equal(a->n, 1);
    assert_int_equal(a->rr[0].pref, 0);
    assert_string_equal(a->rr[0].name, ""); /* null MX (RFC 7505) */
    mxd_dns_answer_free(a);
    a = lookup(r, "ok.test", MXD_DNS_TXT);
    assert_int_equal(a->status, MXD_DNS_OK);
    assert_int_equal(a->n, 1);
    assert_int_equal(a->rr[0].nstrings, 2);
    assert_int_equal(a->rr[0].len, strlen("v=spf1 -all"));
    assert_string_equal(a->rr[0].text, "v=spf1 -all");
    mxd_dns_answer_free(a);
    a = lookup(r, "ok.test", MXD_DNS_NS);
    assert_int_equal(a->status, MXD_DNS_OK);
    assert_string_equal(a->rr[0].name, "ns1.ok.test");
    mxd_dns_answer_free(a);
    mxd_resolver_free(r);
}

static void test_negative(void **state)
{
    (void)state;
    mxd_resolver *r = resolver(fast.addr, 1000, 1);
    struct {
        const char *name;
        int type;
        mxd_dns_status want;
    } cases[] = {
        {"nope.test", MXD_DNS_A, MXD_DNS_NXDOMAIN},
        {"ok.test", MXD_DNS_PTR, MXD_DNS_NODATA}, /* name exists, no such type */
        {"only.test", MXD_DNS_A, MXD_DNS_NODATA}, /* empty non-terminal */
        {"servfail.test", MXD_DNS_A, MXD_DNS_SERVFAIL},
        {"refused.test", MXD_DNS_TXT, MXD_DNS_REFUSED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mxd_dns_answer *a = lookup(r, cases[i].name, cases[i].type);
        if (a->status != cases[i].want)
            fail_msg("%s: got %s, want %s", cases[i].name, mxd_dns_status_name(a->status),
                     mxd_dns_status_name(cases[i].want));
        assert_int_equal(a->n, 0);
        assert_null(a->rr);
        mxd_dns_answer_free(a);
    }
    mxd_resolver_free(r);
}

static void test_timeout_and_retry(void **state)
{
    (void)state;
    mxd_resolver *r = resolver(fast.addr, 150, 2);
    mxd_dns_answer *a = lookup(r, "timeout.test", MXD_DNS_A);
    assert_int_equal(a->status, MXD_DNS_TIMEOUT); /* never NXDOMAIN or "no record" */
    mxd_dns_answer_free(a);
    /* two tries, counted (no clock: a busy machine makes any time limit fail) */
    mxd_dns_stats st;
    mxd_resolver_stats(r, &st);
    assert_int_equal(st.retries, 1);
    assert_int_equal(st.sent, 2);
    mxd_resolver_free(r);
}

static void test_truncation_to_tcp(void **state)
{
    (void)state;
    mxd_resolver *r = resolver(fast.addr, 1000, 1);
    mxd_dns_answer *a = lookup(r, "trunc.test", MXD_DNS_TXT);
    assert_int_equal(a->status, MXD_DNS_OK); /* UDP said TC, the TCP retry got the record */
    assert_int_equal(a->n, 1);
    assert_int_equal(a->rr[0].nstrings, 2);
    assert_non_null(strstr(a->rr[0].text, "joined-second-string"));
    mxd_dns_answer_free(a);
    a = lookup(r, "big.test", MXD_DNS_TXT); /* > 512 bytes: TC over UDP */
    assert_int_equal(a->status, MXD_DNS_OK);
    assert_int_equal(a->n, 3);
    mxd_dns_answer_free(a);
    mxd_resolver_free(r);
}

static void test_reverse(void **state)
{
    (void)state;
    char n[256];
    assert_int_equal(mxd_dns_reverse_name("192.0.2.25", NULL, n, sizeof n), MXD_OK);
    assert_string_equal(n, "25.2.0.192.in-addr.arpa");
    assert_int_equal(mxd_dns_reverse_name("192.0.2.25", "zen.spamhaus.org.", n, sizeof n), MXD_OK);
    assert_string_equal(n, "25.2.0.192.zen.spamhaus.org");
    assert_int_equal(mxd_dns_reverse_name("2001:db8::25", NULL, n, sizeof n), MXD_OK);
    assert_string_equal(n,
                        "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
    assert_int_equal(mxd_dns_reverse_name("2001:db8::25", "bl.example", n, sizeof n), MXD_OK);
    assert_string_equal(
        n, "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.example");
    assert_int_equal(mxd_dns_reverse_name("192.0.2", NULL, n, sizeof n), MXD_ERR_INVALID);
    assert_int_equal(mxd_dns_reverse_name("::g", NULL, n, sizeof n), MXD_ERR_INVALID);
    assert_int_equal(mxd_dns_reverse_name("192.0.2.1", NULL, n, 10), MXD_ERR_TOOBIG);

    mxd_resolver *r = resolver(fast.addr, 1000, 1);
    assert_int_equal(mxd_dns_reverse_name("2001:db8::25", NULL, n, sizeof n), MXD_OK);
    mxd_dns_answer *a = lookup(r, n, MXD_DNS_PTR);
    assert_int_equal(a->status, MXD_DNS_OK);
    assert_string_equal(a->rr[0].name, "mail6.test");
    mxd_dns_answer_free(a);
    a = lookup(r, "25.2.0.192.in-addr.arpa", MXD_DNS_PTR);
    assert_int_equal(a->status, MXD_DNS_OK);
    assert_string_equal(a->rr[0].name, "mail.test");
    mxd_dns_answer_free(a);
    mxd_resolver_free(r);
}

typedef struct counter {
    int calls;
    mxd_dns_status last;
    size_t n;
} counter;

static void count_cb(void *arg, const mxd_dns_answer *a)
{
    counter *c = arg;
    c->calls++;
    c->last = a->status;
    c->n = a->n;
}

static void test_cache(void **state)
{
    (void)state;
    mxd_resolver *r = resolver(fast.addr, 1000, 1);
    counter c1 = {0}, c2 = {0}, c3 = {0};
    assert_int_equal(mxd_dns_submit(r, "ok.test", MXD_DNS_A, count_cb, &c1), MXD_OK);
    assert_int_equal(mxd_dns_submit(r, "OK.Test.", MXD_DNS_A, count_cb, &c2), MXD_OK);
    assert_int_equal(c1.calls, 0); /* nothing happens before the run */
    assert_int_equal(mxd_resolver_run(r), MXD_OK);
    assert_int_equal(c1.calls, 1);
    assert_int_equal(c2.calls, 1);
    assert_int_equal(c2.n, 2);
    mxd_dns_stats st;
    mxd_resolver_stats(r, &st);
    assert_int_equal(st.sent, 1); /* asked once */
    assert_int_equal(mxd_dns_submit(r, "ok.test", MXD_DNS_A, count_cb, &c3), MXD_OK);
    assert_int_equal(mxd_resolver_run(r), MXD_OK);
    assert_int_equal(c3.calls, 1);
    assert_int_equal(c3.last, MXD_DNS_OK);
    mxd_resolver_stats(r, &st);
    assert_int_equal(st.sent, 1);
    assert_int_equal(st.cached, 1);
    /* a different type is a different question */
    assert_int_equal(mxd_dns_submit(r, "ok.test", MXD_DNS_AAAA, count_cb, &c3), MXD_OK);
    assert_int_equal(mxd_resolver_run(r), MXD_OK);
    mxd_resolver_stats(r, &st);
    assert_int_equal(st.sent, 2);
    /* an empty run returns at once */
    assert_int_equal(mxd_resolver_run(r), MXD_OK);
    mxd_resolver_free(r);
}

typedef struct chain {
    mxd_resolver *r;
    int step;
    char got[64];
} chain;

static void chain_cb(void *arg, const mxd_dns_answer *a)
{
    chain *c = arg;
    c->step++;
    if (c->step == 1) { /* the MX answer: ask for the host's address from the callback */
        assert_int_equal(a->status, MXD_DNS_OK);
        assert_int_equal(mxd_dns_submit(c->r, "ok.test", MXD_DNS_A, chain_cb, c), MXD_OK);
        assert_int_equal(mxd_resolver_run(c->r), MXD_ERR_INVALID); /* not from a callback */
        mxd_dns_answer *x = NULL;
        assert_int_equal(mxd_dns_lookup(c->r, "ok.test", MXD_DNS_A, &x), MXD_ERR_INVALID);
    } else if (a->n) {
        snprintf(c->got, sizeof c->got, "%s", a->rr[0].addr);
    }
}

static void test_submit_from_callback(void **state)
{
    (void)state;
    mxd_resolver *r = resolver(fast.addr, 1000, 1);
    chain c = {r, 0, ""};
    assert_int_equal(mxd_dns_submit(r, "ok.test", MXD_DNS_MX, chain_cb, &c), MXD_OK);
    assert_int_equal(mxd_resolver_run(r), MXD_OK);
    assert_int_equal(c.step, 2);
    assert_true(!strncmp(c.got, "192.0.2.", 8));
    mxd_resolver_free(r);
}

static void test_many_in_flight(void **state)
{
    (void)state;
    /* every answer of this server comes SLOW_DELAY_MS late; the queries wait for their answers
     * together, all MANY on the wire at once (counted by the resolver, not timed: a clock
     * fails on a busy machine) */
    mxd_resolver *r = resolver(slow.addr, 3000, 1);
    static counter c[MANY];
    char name[64];
    memset(c, 0, sizeof c);
    for (int i = 0; i < MANY; i++) {
        snprintf(name, sizeof name, "h%d.many.test", i);
        assert_int_equal(mxd_dns_submit(r, name, MXD_DNS_A, count_cb, &c[i]), MXD_OK);
    }
    assert_int_equal(mxd_resolver_run(r), MXD_OK);
    for (int i = 0; i < MANY; i++) {
        assert_int_equal(c[i].calls, 1);
        assert_int_equal(c[i].last, MXD_DNS_OK);
    }
    mxd_dns_stats st;
    mxd_resolver_stats(r, &st);
    if (st.peak_inflight != MANY)
        fail_msg("at most %lu of %d queries were in flight together", st.peak_inflight, MANY);
    mxd_resolver_free(r);
}

static void test_bad_names(void **state)
{
    (void)state;
    mxd_resolver *r = resolver(fast.addr, 1000, 1);
    counter c = {0};
    char label64[80], long_name[300];
    memset(label64, 'a', 64);
    memcpy(label64 + 64, ".test", 6);
    for (int i = 0; i < 255; i++) /* 255 bytes: one over MXD_DNS_NAME_MAX */
        long_name[i] = i % 2 ? '.' : 'a';
    long_name[255] = 0;
    const char *bad[] = {"", ".", "a..b", ".a", label64, long_name, "a\\b.test", "tab\t.test"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(mxd_dns_submit(r, bad[i], MXD_DNS_A, count_cb, &c), MXD_ERR_INVALID);
    assert_int_equal(mxd_dns_submit(r, "ok.test", 0, count_cb, &c), MXD_ERR_INVALID);
    assert_int_equal(mxd_resolver_run(r), MXD_OK);
    assert_int_equal(c.calls, 0);
    assert_true(mxd_dns_name_valid("a b.test", 8)); /* SPF macros can expand to spaces */
    assert_true(mxd_dns_name_valid("_dmarc.example.com.", 19));
    mxd_resolver_free(r);
}

static void test_server_lists(void **state)
{
    (void)state;
    dns_server sv[MXD_DNS_MAX_SERVERS];
    size_t n;
    char why[256], t[64];
    static const char nine[] = "1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,1.1.1.1,"
                               "1.1.1.1"; /* one more than MXD_DNS_MAX_SERVERS */
    const char *good = "127.0.0.1:5353, [::1]:53,192.0.2.1 ,2001:db8::1";
    assert_int_equal(
        dns_servers_parse(good, strlen(good), sv, MXD_DNS_MAX_SERVERS, &n, why, sizeof why),
        MXD_OK);
    assert_int_equal(n, 4);
    dns_server_format(&sv[0], t, sizeof t);
    assert_string_equal(t, "127.0.0.1:5353");
    dns_server_format(&sv[1], t, sizeof t);
    assert_string_equal(t, "[::1]:53");
    dns_server_format(&sv[2], t, sizeof t);
    assert_string_equal(t, "192.0.2.1:53");
    dns_server_format(&sv[3], t, sizeof t);
    assert_string_equal(t, "[2001:db8::1]:53");
    const char *bad[] = {"",      "1.2.3.4:0", "1.2.3.4:99999", "[::1",
                         "foo",   "1.2.3.4,,", "1.2.3.4:",      "[1.2.3.4]:53",
                         "1.2.3", "::1]:53",   "1.2.3.4:05",    nine};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        why[0] = 0;
        if (dns_servers_parse(bad[i], strlen(bad[i]), sv, MXD_DNS_MAX_SERVERS, &n, why,
                              sizeof why) != MXD_ERR_INVALID)
            fail_msg("'%s' was accepted", bad[i]);
        assert_true(why[0] != 0);
    }
    /* through the public API, and the environment variable */
    mxd_dns_opts o = {.servers = "127.0.0.1:1,[::1]:2"};
    mxd_resolver *r = NULL;
    assert_int_equal(mxd_resolver_new(&o, &r, why, sizeof why), MXD_OK);
    assert_string_equal(mxd_resolver_servers(r), "127.0.0.1:1,[::1]:2");
    assert_null(mxd_resolver_warning(r));
    mxd_resolver_free(r);
    o.servers = "nonsense";
    assert_int_equal(mxd_resolver_new(&o, &r, why, sizeof why), MXD_ERR_INVALID);
    assert_null(r);
    setenv("MXDIAG_DNS_SERVER", "127.0.0.1:3", 1);
    o.servers = NULL;
    assert_int_equal(mxd_resolver_new(&o, &r, why, sizeof why), MXD_OK);
    assert_string_equal(mxd_resolver_servers(r), "127.0.0.1:3");
    mxd_resolver_free(r);
    unsetenv("MXDIAG_DNS_SERVER");
    o.timeout_ms = -1;
    assert_int_equal(mxd_resolver_new(&o, &r, why, sizeof why), MXD_ERR_INVALID);
}

static void test_public_resolver_warning(void **state)
{
    (void)state;
    const char *pub[] = {"8.8.8.8", "1.1.1.1:53", "[2001:4860:4860::8888]:53", "9.9.9.9",
                         "208.67.222.222"};
    for (size_t i = 0; i < sizeof pub / sizeof *pub; i++) {
        mxd_dns_opts o = {.servers = pub[i]};
        mxd_resolver *r = NULL;
        assert_int_equal(mxd_resolver_new(&o, &r, NULL, 0), MXD_OK);
        const char *w = mxd_resolver_warning(r);
        if (!w)
            fail_msg("no warning for %s", pub[i]);
        assert_non_null(strstr(w, "public resolver"));
        mxd_resolver_free(r);
    }
    mxd_dns_opts o = {.servers = "8.8.8.8"};
    mxd_resolver *r = NULL;
    assert_int_equal(mxd_resolver_new(&o, &r, NULL, 0), MXD_OK);
    assert_non_null(strstr(mxd_resolver_warning(r), "Google"));
    mxd_resolver_free(r);
    o.servers = "192.0.2.53";
    assert_int_equal(mxd_resolver_new(&o, &r, NULL, 0), MXD_OK);
    assert_null(mxd_resolver_warning(r));
    mxd_resolver_free(r);
    mxd_kb *kb = NULL;
    assert_int_equal(mxd_kb_open(&kb), MXD_OK);
    assert_true(mxd_kb_count(kb, "public-resolvers") >= 10);
    assert_non_null(mxd_kb_public_resolver(kb, "2606:4700:4700::1111"));
    assert_null(mxd_kb_public_resolver(kb, "127.0.0.1"));
    assert_null(mxd_kb_public_resolver(kb, "not an address"));
    mxd_kb_free(kb);
}

static void test_status_names(void **state)
{
    (void)state;
    assert_string_equal(mxd_dns_status_name(MXD_DNS_OK), "ok");
    assert_string_equal(mxd_dns_status_name(MXD_DNS_NXDOMAIN), "nxdomain");
    assert_string_equal(mxd_dns_status_name(MXD_DNS_NODATA), "nodata");
    assert_string_equal(mxd_dns_status_name(MXD_DNS_SERVFAIL), "servfail");
    assert_string_equal(mxd_dns_status_name(MXD_DNS_REFUSED), "refused");
    assert_string_equal(mxd_dns_status_name(MXD_DNS_TIMEOUT), "timeout");
    assert_string_equal(mxd_dns_status_name(MXD_DNS_ERROR), "error");
    assert_string_equal(mxd_dns_status_name((mxd_dns_status)99), "error");
}

static void test_unreachable_server(void **state)
{
    (void)state;
    /* nothing listens on port 9 of 127.0.0.1: the answer is a timeout-class failure */
    mxd_resolver *r = resolver("127.0.0.1:9", 200, 1);
    mxd_dns_answer *a = lookup(r, "ok.test", MXD_DNS_A);
    assert_int_equal(a->status, MXD_DNS_TIMEOUT);
    mxd_dns_answer_free(a);
    mxd_resolver_free(r);
}

int main(void)
{
    const struct CMUnitTest offline[] = {
        cmocka_unit_test(test_server_lists),
        cmocka_unit_test(test_public_resolver_warning),
        cmocka_unit_test(test_status_names),
    };
    const struct CMUnitTest live[] = {
        cmocka_unit_test(test_a_aaaa),
        cmocka_unit_test(test_mx_txt_ns),
        cmocka_unit_test(test_negative),
        cmocka_unit_test(test_timeout_and_retry),
        cmocka_unit_test(test_truncation_to_tcp),
        cmocka_unit_test(test_reverse),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_submit_from_callback),
        cmocka_unit_test(test_many_in_flight),
        cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_unreachable_server),
    };
    int rc = cmocka_run_group_tests_name("dns-offline", offline, NULL, NULL);
    if (setup_servers(NULL)) {
        teardown_servers(NULL);
        fprintf(stderr, "SKIP: cannot start %s tests/dnsd/dnsd.py (python3-dnslib?)\n",
                DNSD_PYTHON);
        return rc ? rc : 77;
    }
    rc |= cmocka_run_group_tests_name("dns-live", live, NULL, teardown_servers);
    return rc;
}
