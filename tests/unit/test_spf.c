/* test_spf.c - unit tests of the SPF record parser, domain-spec syntax and macro expander
 * SPDX-License-Identifier: MIT
 *
 * check_host() itself is tested against the test DNS server (tests/scripts/spf-conformance.sh
 * and the CLI cases); here are the parts that need no DNS.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "check/spf_internal.h"

static int parses(const char *rec)
{
    spf_record r;
    char why[256];
    mxd_err e = spf_record_parse(rec, strlen(rec), &r, why, sizeof why);
    spf_record_free(&r);
    return e == MXD_OK;
}

static void test_version(void **state)
{
    (void)state;
    assert_true(spf_is_v1("v=spf1", 6));
    assert_true(spf_is_v1("V=SpF1 -all", 11));
    assert_false(spf_is_v1("v=spf10", 7));
    assert_false(spf_is_v1("v=spf1\t-all", 11));
    assert_false(spf_is_v1("spf1", 4));
}

static void test_record_syntax(void **state)
{
    (void)state;
    const char *good[] = {
        "v=spf1",
        "v=spf1 -all",
        "v=spf1 a  -all ",
        "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 ~all",
        "v=spf1 a/24//64 mx:example.com//0 ptr:example.org exists:%{ir}.x.example.com ?all",
        "v=spf1 include:_spf.example.com redirect=example.net exp=explain.%{d}",
        "v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all",
        "v=spf1 a:foo:bar/baz.example.com",
        "v=spf1 a:foo.example.xn--zckzah -all",
        "v=spf1 default=+",
        "v=spf1 a:%{H}.bar",
        "v=spf1 a:%{d}",
        "v=spf1 A:EXAMPLE.COM MX -ALL",
    };
    const char *bad[] = {
        "v=spf1 ip4:1.2.3.4 -all moo",        /* unknown mechanism anywhere */
        "v=spf1 moo.cow/far_out=man:dog/cat", /* '/' before '=' */
        "v=spf1 redirect:t2.example.com",     /* modifier written as mechanism */
        "v=spf1 a:foo-bar -all",              /* no "." toplabel */
        "v=spf1 -all.",
        "v=spf1 -all:foobar",
        "v=spf1 -all/8",
        "v=spf1 ptr/0 -all",
        "v=spf1 ptr:",
        "v=spf1 a/33",
        "v=spf1 a//129",
        "v=spf1 a/24/64",
        "v=spf1 ip4:1.2.3.4/032",
        "v=spf1 ip4",
        "v=spf1 ip4:1.2.3.4:8080",
        "v=spf1 ip4:1.2.3",
        "v=spf1 ip4:1.2.3.4//32",
        "v=spf1 ip6",
        "v=spf1 ip6:::1/129",
        "v=spf1 ip6:::1.1.1.1//33",
        "v=spf1 ip6::CAFE::BABE",
        "v=spf1 include",
        "v=spf1 include:",
        "v=spf1 include:ip5.example.com/24",
        "v=spf1 exists",
        "v=spf1 exists:",
        "v=spf1 exists:mail.example.com/24",
        "v=spf1 a:111.222.33.44",
        "v=spf1 a:abc.123",
        "v=spf1 a:museum",
        "v=spf1 a:museum.",
        "v=spf1 a:example.-com",
        "v=spf1 a:example.com:8080",
        "v=spf1 a:",
        "v=spf1 1up=foo",
        "v=spf1 =all",
        "v=spf1 foo=%abc",
        "v=spf1 exp=",
        "v=spf1 exp=-all",
        "v=spf1 redirect=-all ?all",
        "v=spf1 ?all redirect=",
        "v=spf1 exp=a.example.com -all exp=b.example.com",
        "v=spf1 redirect=a.example.com redirect=a.example.com",
        "v=spf1 -all exp=%{r}.example.com", /* r only in explanation text */
        "v=spf1 exists:%(ir).sbl.example.com",
        "v=spf1 exists:foo%.sbl.example.com",
        "v=spf1 a:%{d0}.example.com", /* zero parts */
        "v=spf1 a:ctrl.example.com\rptr -all",
        "v=spf1 ip4:192.0.2.5\n include:x.example.com",
        "v=spf1 \x80"
        "a:example.net",
        "v=spf1 a:example.net \x96"
        "all",
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        if (!parses(good[i]))
            fail_msg("should parse: %s", good[i]);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (parses(bad[i]))
            fail_msg("should be a syntax error: %s", bad[i]);
    }
    /* a NUL inside the record is not a visible character */
    spf_record r;
    char why[128];
    assert_int_equal(spf_record_parse("v=spf1 a:foo.example.com\0", 25, &r, why, sizeof why),
                     MXD_ERR_PARSE);
    spf_record_free(&r);
}

static void test_terms(void **state)
{
    (void)state;
    spf_record r;
    char why[128];
    const char *s = "v=spf1 -a:x.example.com/24//64 ~mx ip4:192.0.2.0/24 redirect=r.example.com";
    assert_int_equal(spf_record_parse(s, strlen(s), &r, why, sizeof why), MXD_OK);
    assert_int_equal(r.n, 4);
    assert_int_equal(r.t[0].kind, SPF_A);
    assert_int_equal(r.t[0].qual, '-');
    assert_int_equal(r.t[0].cidr4, 24);
    assert_int_equal(r.t[0].cidr6, 64);
    assert_int_equal(r.t[0].speclen, strlen("x.example.com"));
    assert_int_equal(r.t[1].kind, SPF_MX);
    assert_int_equal(r.t[1].qual, '~');
    assert_null(r.t[1].spec);
    assert_int_equal(r.t[1].cidr4, 32);
    assert_int_equal(r.t[2].kind, SPF_IP4);
    assert_int_equal(r.t[2].prefix, 24);
    assert_int_equal(r.redirect, 3);
    assert_int_equal(r.exp, -1);
    assert_true(spf_is_dns_term(SPF_A) && spf_is_dns_term(SPF_REDIRECT));
    assert_false(spf_is_dns_term(SPF_IP4) || spf_is_dns_term(SPF_ALL) || spf_is_dns_term(SPF_EXP));
    spf_record_free(&r);
}

static const char *fake_ptr(void *arg, const char *domain)
{
    (void)arg;
    (void)domain;
    return "mx.example.org";
}

static char *expand(const char *ip, const char *sender, const char *m, int exp)
{
    static char out[1024];
    cidr_addr a;
    assert_int_equal(cidr_parse_ip(ip, strlen(ip), &a), 0);
    cidr_unmap(&a);
    const char *at = strrchr(sender, '@');
    char local[128], dom[128];
    snprintf(local, sizeof local, "%.*s", (int)(at - sender), sender);
    snprintf(dom, sizeof dom, "%s", at + 1);
    spf_macro_env env = {sender,  local,    dom, "email.example.com", "mx.example.org", NULL, &a,
                         1000000, fake_ptr, NULL};
    buf b;
    buf_init(&b, SPF_MACRO_MAX);
    mxd_err e = spf_macro_expand(&env, m, strlen(m), exp, &b);
    if (e) {
        buf_free(&b);
        return NULL;
    }
    snprintf(out, sizeof out, "%s", buf_cstr(&b));
    buf_free(&b);
    return out;
}

/* A syntax error after an expansion that passes SPF_MACRO_MAX is still a syntax error (the
 * expansion used to stop at "too big" first: found by fuzz_spf_macro). */
static void test_macro_syntax_error_wins_over_size(void **state)
{
    (void)state;
    buf big;
    buf_init(&big, 1u << 20);
    for (int i = 0; i < 400; i++)
        assert_int_equal(buf_adds(&big, "%{s}"), MXD_OK); /* 400 x 28 bytes > 8192 */
    assert_int_equal(buf_adds(&big, "%{q}"), MXD_OK);     /* no macro letter q */
    cidr_addr a;
    assert_int_equal(cidr_parse_ip("192.0.2.3", 9, &a), 0);
    spf_macro_env env = {"strong-bad@email.example.com",
                         "strong-bad",
                         "email.example.com",
                         "email.example.com",
                         "mx.example.org",
                         NULL,
                         &a,
                         1000000,
                         fake_ptr,
                         NULL};
    buf out;
    buf_init(&out, SPF_MACRO_MAX);
    assert_int_equal(spf_macro_expand(&env, big.ptr, big.len, 0, &out), MXD_ERR_PARSE);
    assert_int_equal(spf_macro_expand(NULL, big.ptr, big.len, 0, NULL), MXD_ERR_PARSE);
    buf_free(&out);
    buf_free(&big);
}

/* RFC 7208 section 7.4 examples */
static void test_macro_rfc_examples(void **state)
{
    (void)state;
    const char *ip = "192.0.2.3", *s = "strong-bad@email.example.com";
    struct {
        const char *in, *out;
    } v[] = {
        {"%{s}", "strong-bad@email.example.com"},
        {"%{o}", "email.example.com"},
        {"%{d}", "email.example.com"},
        {"%{d4}", "email.example.com"},
        {"%{d3}", "email.example.com"},
        {"%{d2}", "example.com"},
        {"%{d1}", "com"},
        {"%{dr}", "com.example.email"},
        {"%{d2r}", "example.email"},
        {"%{l}", "strong-bad"},
        {"%{l-}", "strong.bad"},
        {"%{lr}", "strong-bad"},
        {"%{lr-}", "bad.strong"},
        {"%{l1r-}", "strong"},
        {"%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"},
        {"%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"},
        {"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
        {"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"},
        {"%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"},
        {"%%%_%-", "% %20"},
        {"%{p}", "mx.example.org"},
        {"%{h}", "mx.example.org"},
    };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        const char *got = expand(ip, s, v[i].in, 0);
        if (!got || strcmp(got, v[i].out))
            fail_msg("%s: got '%s', want '%s'", v[i].in, got ? got : "(error)", v[i].out);
    }
    const char *got = expand("2001:db8::cb01", s, "%{ir}.%{v}._spf.%{d2}", 0);
    assert_non_null(got);
    assert_string_equal(got, "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2."
                             "ip6._spf.example.com");
}

static void test_macro_edges(void **state)
{
    (void)state;
    /* upper case letters are URL-escaped */
    const char *got = expand("1.2.3.4", "~jack&jill=up-a_b3.c@e8.example.com", "l=%{L}", 1);
    assert_non_null(got);
    assert_string_equal(got, "l=~jack%26jill%3Dup-a_b3.c");
    /* several delimiters, right-most parts */
    got = expand("1.2.3.4", "foo-bar+zip+quux@e12.example.com", "%{l2r+-}", 0);
    assert_string_equal(got, "bar.foo");
    got = expand("1.2.3.4", "philip-gladstone-test@e11.example.com", "%{i}.%{l2r-}", 0);
    assert_string_equal(got, "1.2.3.4.gladstone.philip");
    /* more parts asked than present: all of them */
    got = expand("1.2.3.4", "a@b.example.com", "%{d9}", 0);
    assert_string_equal(got, "email.example.com");
    /* c, r, t only in explanations; c is the readable address */
    assert_null(expand("1.2.3.4", "a@b.example.com", "%{c}", 0));
    got = expand("2001:DB8::1", "a@b.example.com", "%{c} %{r} %{t}", 1);
    assert_string_equal(got, "2001:db8::1 unknown 1000000");
    /* IPv4-mapped IPv6 is IPv4 */
    got = expand("::ffff:1.2.3.4", "a@b.example.com", "%{i} %{v}", 1);
    assert_string_equal(got, "1.2.3.4 in-addr");
    /* syntax errors */
    const char *bad[] = {"%", "%a", "%{", "%{d", "%{x}", "%{d0}", "%{d2r!}", "a b", "%{dr-x}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (expand("1.2.3.4", "a@b.example.com", bad[i], 0))
            fail_msg("should be a macro error: %s", bad[i]);
    /* spaces are fine in explanation text, control characters are not */
    assert_non_null(expand("1.2.3.4", "a@b.example.com", "a b", 1));
    assert_null(expand("1.2.3.4", "a@b.example.com", "a\tb", 1));
    assert_null(expand("1.2.3.4", "a@b.example.com",
                       "\xEF\xBB\xBF"
                       "Explanation",
                       1));
}

static void test_domain_spec(void **state)
{
    (void)state;
    const char *good[] = {
        "example.com",  "example.com.", "%{d}", "%{ir}.%{v}.arpa", "foo:bar/baz.example.com",
        "a.xn--zckzah", "a.1-2",        "x.a1"};
    const char *bad[] = {"",
                         "com",
                         "com.",
                         "example.123",
                         "example.-com",
                         "example.com-",
                         "example.com..",
                         "%{d}.",
                         "%{c}.example.com",
                         "ex ample.com",
                         "%{d}com"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (!spf_domain_spec_valid(good[i], strlen(good[i])))
            fail_msg("should be valid: %s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (spf_domain_spec_valid(bad[i], strlen(bad[i])))
            fail_msg("should be invalid: %s", bad[i]);
}

static int finish(const char *in, char *out, size_t outlen)
{
    buf b;
    buf_init(&b, SPF_MACRO_MAX);
    buf_adds(&b, in);
    int r = spf_domain_finish(&b);
    snprintf(out, outlen, "%s", buf_cstr(&b));
    buf_free(&b);
    return r;
}

static void test_names(void **state)
{
    (void)state;
    char out[600];
    assert_int_equal(finish("example.com.", out, sizeof out), 0);
    assert_string_equal(out, "example.com");
    assert_int_equal(finish("a..example.com", out, sizeof out), -1);
    char label[70];
    memset(label, 'a', 64);
    label[64] = 0;
    char name[600];
    snprintf(name, sizeof name, "%s.example.com", label);
    assert_int_equal(finish(name, out, sizeof out), -1);
    /* longer than 253: labels are cut from the left */
    char longname[600];
    size_t o = 0;
    for (int i = 0; i < 9; i++)
        o += (size_t)snprintf(longname + o, sizeof longname - o, "somewhat.long.exp.example.com.");
    snprintf(longname + o, sizeof longname - o, "example.com");
    assert_int_equal(finish(longname, out, sizeof out), 0);
    assert_true(strlen(out) <= 253);
    assert_string_equal(out + strlen(out) - 11, "example.com");
    assert_int_equal(out[0], 's');

    assert_true(spf_name_valid("example.com", 11));
    assert_true(spf_name_valid("mail.example.com.", 17));
    assert_false(spf_name_valid("A2345678", 8));
    assert_false(spf_name_valid("[1.2.3.5]", 9));
    assert_false(spf_name_valid("A...example.com", 15));
    assert_false(spf_name_valid(name, strlen(name)));
    assert_false(spf_name_valid("", 0));
}

static void test_cidr(void **state)
{
    (void)state;
    cidr_addr a, n;
    assert_int_equal(cidr_parse_ip4("192.0.2.130", 11, &a), 0);
    assert_int_equal(cidr_parse_ip4("192.0.2.0", 9, &n), 0);
    assert_true(cidr_match(&a, &n, 24));
    assert_true(cidr_match(&a, &n, 25) == 0);
    assert_true(cidr_match(&a, &n, 0));
    assert_int_equal(cidr_parse_ip4("01.2.3.4", 8, &a), -1);
    assert_int_equal(cidr_parse_ip4("1.2.3.256", 9, &a), -1);
    assert_int_equal(cidr_parse_ip4("1.2.3", 5, &a), -1);
    assert_int_equal(cidr_parse_ip("cafe:babe:8000::", 16, &a), 0);
    assert_int_equal(cidr_parse_ip("cafe:babe::", 11, &n), 0);
    assert_true(cidr_match(&a, &n, 32));
    assert_false(cidr_match(&a, &n, 33));
    assert_int_equal(cidr_parse_ip("::FFFF:1.2.3.4", 14, &a), 0);
    assert_int_equal(a.family, 6);
    cidr_unmap(&a);
    assert_int_equal(a.family, 4);
    unsigned p;
    assert_int_equal(cidr_parse_prefix("0", 1, 32, &p), 0);
    assert_int_equal(cidr_parse_prefix("032", 3, 32, &p), -1);
    assert_int_equal(cidr_parse_prefix("33", 2, 32, &p), -1);
    assert_int_equal(cidr_parse_prefix("128", 3, 128, &p), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_record_syntax),
        cmocka_unit_test(test_terms),
        cmocka_unit_test(test_macro_rfc_examples),
        cmocka_unit_test(test_macro_edges),
        cmocka_unit_test(test_macro_syntax_error_wins_over_size),
        cmocka_unit_test(test_domain_spec),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_cidr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
