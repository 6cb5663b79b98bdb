/* test_check.c - blocklist answers, generic PTR names, the catalogue, and the checks live
 * SPDX-License-Identifier: MIT
 *
 * The first group needs no network: how answers are read against data/dnsbl.tsv, the
 * generic-name heuristic, name validation and the catalogue itself. The second runs IP, MX
 * and domain-list checks together in one resolver run against tests/dnsd/dnsd.py (skipped
 * without /usr/bin/python3).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <jansson.h>
#include <mxdiag/mxdiag.h>
#include "check/check_internal.h"
#include "tmpdir_helper.h"
#include "dnsd_helper.h"

static mxd_kb *kb;

static int open_kb(void **state)
{
    (void)state;
    return mxd_kb_open(&kb) == MXD_OK ? 0 : -1;
}

static int close_kb(void **state)
{
    (void)state;
    mxd_kb_free(kb);
    kb = NULL;
    return 0;
}

static const kb_dnsbl *list(const char *id)
{
    const kb_dnsbl *b = kb_find_dnsbl(kb, id, strlen(id));
    if (!b)
        fail_msg("no list %s in the catalogue", id);
    return b;
}

/* answer - an OK answer with the given A records. */
static mxd_dns_answer answer(mxd_dns_rr *rr, const char *const *addrs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        memset(&rr[i], 0, sizeof rr[i]);
        rr[i].type = MXD_DNS_A;
        snprintf(rr[i].addr, sizeof rr[i].addr, "%s", addrs[i]);
    }
    mxd_dns_answer a = {"x", MXD_DNS_A, n ? MXD_DNS_OK : MXD_DNS_NXDOMAIN, n, rr, 0};
    return a;
}

static void clear(mxd_bl_entry *e)
{
    strv_free(e->codes, e->ncodes);
    strv_free(e->meanings, e->ncodes);
    free(e->error);
    memset(e, 0, sizeof *e);
}

static mxd_bl_entry interpret(const char *id, const char *const *addrs, size_t n)
{
    mxd_dns_rr rr[8];
    mxd_dns_answer a = answer(rr, addrs, n);
    mxd_bl_entry e;
    memset(&e, 0, sizeof e);
    assert_int_equal(dnsbl_interpret(kb, list(id), &a, &e), MXD_OK);
    return e;
}

static void test_listing_codes(void **state)
{
    (void)state;
    const char *sbl_pbl[] = {"127.0.0.2", "127.0.0.11"};
    mxd_bl_entry e = interpret("spamhaus-zen", sbl_pbl, 2);
    assert_int_equal(e.result, MXD_BL_LISTED);
    assert_int_equal(e.ncodes, 2);
    assert_string_equal(e.codes[1], "127.0.0.11");
    assert_non_null(strstr(e.meanings[0], "SBL"));
    assert_non_null(strstr(e.meanings[1], "PBL"));
    assert_null(e.error);
    clear(&e);
    const char *xbl[] = {"127.0.0.4"}; /* the XBL's one code (Spamhaus "DNSBL zones") */
    e = interpret("spamhaus-zen", xbl, 1);
    assert_int_equal(e.result, MXD_BL_LISTED);
    assert_non_null(strstr(e.meanings[0], "XBL"));
    clear(&e);
    const char *unused[] = {"127.0.0.6"}; /* .5-.7 are currently unused: no meaning claimed */
    e = interpret("spamhaus-zen", unused, 1);
    assert_int_equal(e.result, MXD_BL_LISTED);
    assert_null(strstr(e.meanings[0], "XBL"));
    assert_non_null(strstr(e.meanings[0], "not in the catalogue"));
    clear(&e);
    const char *odd[] = {"127.0.0.99"}; /* undocumented, still a 127/8 listing */
    e = interpret("spamhaus-zen", odd, 1);
    assert_int_equal(e.result, MXD_BL_LISTED);
    assert_non_null(strstr(e.meanings[0], "not in the catalogue"));
    clear(&e);
    e = interpret("spamhaus-zen", NULL, 0); /* NXDOMAIN */
    assert_int_equal(e.result, MXD_BL_CLEAN);
    assert_int_equal(e.ncodes, 0);
    clear(&e);
}

static void test_error_codes(void **state)
{
    (void)state;
    const char *pub[] = {"127.255.255.254"};
    mxd_bl_entry e = interpret("spamhaus-zen", pub, 1);
    assert_int_equal(e.result, MXD_BL_ERROR); /* never "listed" */
    assert_non_null(strstr(e.error, "public or unattributable resolver"));
    clear(&e);
    const char *other[] = {"127.255.255.17"}; /* the whole 127.255.255.0/24 is errors */
    e = interpret("spamhaus-xbl", other, 1);
    assert_int_equal(e.result, MXD_BL_ERROR);
    clear(&e);
    const char *dbl[] = {"127.0.1.255"};
    e = interpret("spamhaus-dbl", dbl, 1);
    assert_int_equal(e.result, MXD_BL_ERROR);
    assert_non_null(strstr(e.error, "IP address"));
    clear(&e);
    const char *refused[] = {"127.0.0.1"};
    e = interpret("uribl", refused, 1);
    assert_int_equal(e.result, MXD_BL_ERROR);
    assert_non_null(strstr(e.error, "refused"));
    clear(&e);
    e = interpret("surbl", refused, 1);
    assert_int_equal(e.result, MXD_BL_ERROR);
    clear(&e);
    const char *parked[] = {"203.0.113.9"}; /* a dead zone's wildcard: not a listing */
    e = interpret("spamcop", parked, 1);
    assert_int_equal(e.result, MXD_BL_ERROR);
    assert_non_null(strstr(e.error, "outside 127.0.0.0/8"));
    clear(&e);
    /* failed lookups are errors with the DNS status, never clean */
    mxd_bl_entry f;
    memset(&f, 0, sizeof f);
    mxd_dns_answer t = {"x", MXD_DNS_A, MXD_DNS_TIMEOUT, 0, NULL, 0};
    assert_int_equal(dnsbl_interpret(kb, list("psbl"), &t, &f), MXD_OK);
    assert_int_equal(f.result, MXD_BL_ERROR);
    assert_string_equal(f.error, "timeout");
    clear(&f);
    t.status = MXD_DNS_SERVFAIL;
    assert_int_equal(dnsbl_interpret(kb, list("psbl"), &t, &f), MXD_OK);
    assert_string_equal(f.error, "servfail");
    clear(&f);
}

static void test_bitmasks(void **state)
{
    (void)state;
    const char *black_grey[] = {"127.0.0.6"}; /* URIBL 2 (black) + 4 (grey) */
    mxd_bl_entry e = interpret("uribl", black_grey, 1);
    assert_int_equal(e.result, MXD_BL_LISTED);
    assert_non_null(strstr(e.meanings[0], "black"));
    assert_non_null(strstr(e.meanings[0], "grey"));
    assert_null(strstr(e.meanings[0], "red"));
    clear(&e);
    const char *ph_abuse[] = {"127.0.0.72"}; /* SURBL 8 (PH) + 64 (ABUSE) */
    e = interpret("surbl", ph_abuse, 1);
    assert_int_equal(e.result, MXD_BL_LISTED);
    assert_non_null(strstr(e.meanings[0], "PH"));
    assert_non_null(strstr(e.meanings[0], "ABUSE"));
    clear(&e);
}

/* ---- the health probe (RFC 5782 test entries) ----------------------------------------------- */

static void test_probe_names(void **state)
{
    (void)state;
    char pos[CHECK_QNAME_MAX], neg[CHECK_QNAME_MAX];
    const char *pl = NULL, *nl = NULL;
    assert_int_equal(dnsbl_probe_names(kb, list("spamhaus-zen"), "zen.spamhaus.org", pos, neg,
                                       sizeof pos, &pl, &nl),
                     1);
    assert_string_equal(pos, "2.0.0.127.zen.spamhaus.org");
    assert_string_equal(neg, "1.0.0.127.zen.spamhaus.org");
    assert_string_equal(pl, "127.0.0.2");
    assert_string_equal(nl, "127.0.0.1");
    /* the zone as asked: a DQS zone gets its own test entries */
    assert_int_equal(dnsbl_probe_names(kb, list("spamhaus-zen"), "KEY1.zen.dq.spamhaus.net", pos,
                                       neg, sizeof pos, &pl, &nl),
                     1);
    assert_string_equal(pos, "2.0.0.127.KEY1.zen.dq.spamhaus.net");
    /* an IPv6-only list: the IPv4-mapped addresses in nibbles */
    assert_int_equal(dnsbl_probe_names(kb, list("sem-ipv6"), "bl.ipv6.spameatingmonkey.net", pos,
                                       neg, sizeof pos, &pl, &nl),
                     1);
    assert_string_equal(pos, "2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
                             "bl.ipv6.spameatingmonkey.net");
    assert_string_equal(neg, "1.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
                             "bl.ipv6.spameatingmonkey.net");
    assert_string_equal(pl, "::ffff:127.0.0.2");
    /* domain lists: TEST and INVALID, or the list's own test name from the catalogue */
    assert_int_equal(dnsbl_probe_names(kb, list("sem-uri"), "uribl.spameatingmonkey.net", pos, neg,
                                       sizeof pos, &pl, &nl),
                     1);
    assert_string_equal(pos, "test.uribl.spameatingmonkey.net");
    assert_string_equal(neg, "invalid.uribl.spameatingmonkey.net");
    assert_string_equal(pl, "TEST");
    assert_string_equal(nl, "INVALID");
    assert_int_equal(dnsbl_probe_names(kb, list("spamhaus-dbl"), "dbl.spamhaus.org", pos, neg,
                                       sizeof pos, &pl, &nl),
                     1);
    assert_string_equal(pos, "dbltest.com.dbl.spamhaus.org");
    assert_string_equal(neg, "invalid.dbl.spamhaus.org");
    /* a name that does not fit */
    assert_int_equal(
        dnsbl_probe_names(kb, list("spamhaus-zen"), "zen.spamhaus.org", pos, neg, 10, &pl, &nl),
        -1);
    /* the public catalogue view names the always-listed entry */
    mxd_bl_info bi;
    for (size_t i = 0; !mxd_dnsbl_info(kb, i, &bi); i++) {
        if (!strcmp(bi.id, "spamhaus-zen"))
            assert_string_equal(bi.test, "127.0.0.2");
        if (!strcmp(bi.id, "surbl"))
            assert_string_equal(bi.test, "test.surbl.org");
    }
}

/* judge - the verdict on one test entry's answer (addrs NULL: NXDOMAIN). */
static bl_half judge(const char *id, int which, const char *label, const char *const *addrs,
                     size_t n, mxd_dns_status st)
{
    mxd_dns_rr rr[4];
    mxd_dns_answer a = answer(rr, addrs, n);
    if (st != MXD_DNS_OK)
        a.status = st;
    bl_half h = {.state = BL_HALF_WAIT, .label = label};
    assert_int_equal(dnsbl_probe_judge(kb, list(id), &a, which, &h), MXD_OK);
    return h;
}

static void test_probe_judge(void **state)
{
    (void)state;
    const char *two[] = {"127.0.0.2"}, *ten[] = {"127.0.0.10"};
    bl_half h = judge("spamhaus-zen", BL_PROBE_LISTED, "127.0.0.2", two, 1, MXD_DNS_OK);
    assert_int_equal(h.state, BL_HALF_OK);
    assert_null(h.why);
    h = judge("spamhaus-pbl", BL_PROBE_LISTED, "127.0.0.2", ten, 1, MXD_DNS_OK);
    assert_int_equal(h.state, BL_HALF_OK); /* any listing code will do */
    /* the test entry not listed: a resolver answering NXDOMAIN for everything, or dead */
    h = judge("spamhaus-zen", BL_PROBE_LISTED, "127.0.0.2", NULL, 0, MXD_DNS_NXDOMAIN);
    assert_int_equal(h.state, BL_HALF_FAILED);
    assert_true(h.unanswered);
    assert_string_equal(h.why, "list did not answer its test entry 127.0.0.2 (resolver blocked "
                               "or list dead)");
    free(h.why);
    h = judge("spamcop", BL_PROBE_LISTED, "127.0.0.2", NULL, 0, MXD_DNS_NODATA);
    assert_int_equal(h.state, BL_HALF_FAILED);
    free(h.why);
    /* an error code on the test entry (Spamhaus refusing a public resolver) */
    const char *pub[] = {"127.255.255.254"};
    h = judge("spamhaus-zen", BL_PROBE_LISTED, "127.0.0.2", pub, 1, MXD_DNS_OK);
    assert_int_equal(h.state, BL_HALF_FAILED);
    assert_false(h.unanswered);
    assert_non_null(strstr(h.why, "test entry 127.0.0.2 got an error answer (query refused"));
    free(h.why);
    /* the lookup failed: unknown, not passed */
    h = judge("psbl", BL_PROBE_LISTED, "127.0.0.2", NULL, 0, MXD_DNS_TIMEOUT);
    assert_int_equal(h.state, BL_HALF_UNKNOWN);
    assert_string_equal(h.why, "could not ask the list's test entry 127.0.0.2 (timeout)");
    free(h.why);
    h = judge("psbl", BL_PROBE_UNLISTED, "127.0.0.1", NULL, 0, MXD_DNS_SERVFAIL);
    assert_int_equal(h.state, BL_HALF_UNKNOWN);
    free(h.why);
    /* 127.0.0.1 must not be listed */
    h = judge("psbl", BL_PROBE_UNLISTED, "127.0.0.1", NULL, 0, MXD_DNS_NXDOMAIN);
    assert_int_equal(h.state, BL_HALF_OK);
    h = judge("psbl", BL_PROBE_UNLISTED, "127.0.0.1", two, 1, MXD_DNS_OK);
    assert_int_equal(h.state, BL_HALF_FAILED);
    assert_string_equal(h.why, "list answers for every address (127.0.0.1 listed)");
    free(h.why);
    h = judge("sem-uri", BL_PROBE_UNLISTED, "INVALID", two, 1, MXD_DNS_OK);
    assert_int_equal(h.state, BL_HALF_FAILED);
    assert_string_equal(h.why, "list answers for every name (INVALID listed)");
    free(h.why);
    /* URIBL's 127.0.0.1 on its test entry is its "refused" code, not a listing */
    const char *one[] = {"127.0.0.1"};
    h = judge("uribl", BL_PROBE_LISTED, "test.uribl.com", one, 1, MXD_DNS_OK);
    assert_int_equal(h.state, BL_HALF_FAILED);
    assert_non_null(strstr(h.why, "URIBL refused the query"));
    free(h.why);
    /* a parked or hijacked zone answering outside 127/8 */
    const char *parked[] = {"203.0.113.9"};
    h = judge("spamcop", BL_PROBE_UNLISTED, "127.0.0.1", parked, 1, MXD_DNS_OK);
    assert_int_equal(h.state, BL_HALF_FAILED);
    assert_non_null(strstr(h.why, "outside 127.0.0.0/8"));
    free(h.why);
}

/* entry - a list's entry as its own answer left it. */
static mxd_bl_entry entry(const char *id, const char *const *addrs, size_t n, const char *txt)
{
    mxd_bl_entry e = interpret(id, addrs, n);
    if (txt)
        e.txt = strdup(txt);
    return e;
}

static void test_probe_apply(void **state)
{
    (void)state;
    bl_half ok = {.state = BL_HALF_OK, .label = "127.0.0.2"};
    bl_half ok1 = {.state = BL_HALF_OK, .label = "127.0.0.1"};
    char dead[] = "list did not answer its test entry 127.0.0.2 (resolver blocked or list dead)";
    char all[] = "list answers for every address (127.0.0.1 listed)";
    char slow[] = "could not ask the list's test entry 127.0.0.1 (timeout)";
    bl_half nx = {.state = BL_HALF_FAILED, .unanswered = 1, .why = dead, .label = "127.0.0.2"};
    bl_half every = {.state = BL_HALF_FAILED, .why = all, .label = "127.0.0.1"};
    bl_half unk = {.state = BL_HALF_UNKNOWN, .why = slow, .label = "127.0.0.1"};
    const char *two[] = {"127.0.0.2"};

    /* a healthy list: the answer stands */
    mxd_bl_entry e = entry("spamcop", NULL, 0, NULL);
    assert_int_equal(dnsbl_probe_apply(&e, &ok, &ok1), MXD_OK);
    assert_int_equal(e.result, MXD_BL_CLEAN);
    assert_int_equal(e.probe, MXD_BL_PROBE_PASSED);
    clear(&e);
    e = entry("spamcop", two, 1, "reported");
    assert_int_equal(dnsbl_probe_apply(&e, &ok, &ok1), MXD_OK);
    assert_int_equal(e.result, MXD_BL_LISTED);
    assert_int_equal(e.ncodes, 1);
    free(e.txt);
    clear(&e);

    /* "clean" from a resolver that answers NXDOMAIN for everything: an error, never clean */
    e = entry("spamcop", NULL, 0, NULL);
    assert_int_equal(dnsbl_probe_apply(&e, &nx, &ok1), MXD_OK);
    assert_int_equal(e.result, MXD_BL_ERROR);
    assert_int_equal(e.probe, MXD_BL_PROBE_FAILED);
    assert_string_equal(e.error, dead);
    clear(&e);

    /* "listed" from a list that lists everything: an error, never listed, codes dropped */
    e = entry("spamcop", two, 1, "listed for everything");
    assert_int_equal(dnsbl_probe_apply(&e, &ok, &every), MXD_OK);
    assert_int_equal(e.result, MXD_BL_ERROR);
    assert_int_equal(e.probe, MXD_BL_PROBE_FAILED);
    assert_string_equal(e.error, all);
    assert_int_equal(e.ncodes, 0);
    assert_null(e.codes);
    assert_null(e.txt);
    clear(&e);

    /* a wrong answer outweighs a test entry that could not be asked */
    e = entry("spamcop", two, 1, NULL);
    assert_int_equal(dnsbl_probe_apply(&e, &ok, &unk), MXD_OK);
    assert_int_equal(e.result, MXD_BL_ERROR);
    assert_int_equal(e.probe, MXD_BL_PROBE_UNKNOWN);
    assert_string_equal(e.error, slow);
    clear(&e);
    e = entry("spamcop", NULL, 0, NULL);
    bl_half unk0 = {.state = BL_HALF_UNKNOWN, .why = slow, .label = "127.0.0.2"};
    assert_int_equal(dnsbl_probe_apply(&e, &unk0, &every), MXD_OK);
    assert_int_equal(e.probe, MXD_BL_PROBE_FAILED);
    assert_string_equal(e.error, all);
    clear(&e);

    /* a half that never got its answer is not a pass */
    e = entry("spamcop", NULL, 0, NULL);
    bl_half wait = {.state = BL_HALF_WAIT, .label = "127.0.0.2"};
    assert_int_equal(dnsbl_probe_apply(&e, &wait, &ok1), MXD_OK);
    assert_int_equal(e.result, MXD_BL_ERROR);
    assert_int_equal(e.probe, MXD_BL_PROBE_UNKNOWN);
    clear(&e);

    /* the list's own error (Spamhaus refusing a public resolver) keeps its own reason */
    const char *pub[] = {"127.255.255.254"};
    e = entry("spamhaus-zen", pub, 1, NULL);
    assert_int_equal(dnsbl_probe_apply(&e, &nx, &ok1), MXD_OK);
    assert_int_equal(e.result, MXD_BL_ERROR);
    assert_int_equal(e.probe, MXD_BL_PROBE_FAILED);
    assert_non_null(strstr(e.error, "public or unattributable resolver"));
    clear(&e);

    assert_string_equal(mxd_bl_probe_name(MXD_BL_PROBE_OFF), "off");
    assert_string_equal(mxd_bl_probe_name(MXD_BL_PROBE_PASSED), "passed");
    assert_string_equal(mxd_bl_probe_name(MXD_BL_PROBE_FAILED), "failed");
    assert_string_equal(mxd_bl_probe_name(MXD_BL_PROBE_UNKNOWN), "unknown");
    assert_string_equal(mxd_bl_probe_name(MXD_BL_PROBE_NONE), "none");
}

/* load_dnsbl - a knowledge base of one dnsbl.tsv row (header included); MXD_OK or the error. */
static mxd_err load_dnsbl(const char *row, mxd_kb **out, char *why, size_t whylen)
{
    char data[2048];
    snprintf(data, sizeof data,
             "id\tname\tzone\ttype\tipv\tcodes\terrors\tdefault\tkey\tpolicy\tdelist\ttest"
             "\tsource\n%s\n",
             row);
    kb_file f = {"dnsbl.tsv", data, strlen(data)};
    return kb_load_files(&f, 1, out, why, whylen);
}

/* The key column: '-', KIND:KEY.zone (a keyless zone too) or KIND alone (the zone is KEY.zone). */
static void test_key_column(void **state)
{
    (void)state;
    char why[256];
    mxd_kb *k = NULL;
    assert_int_equal(load_dnsbl("x\tX\tbl.example\tip\t4\t127.0.0.2=listed\t-\tyes"
                                "\tspamhaus:KEY.dq.example\tfree\t-\trfc5782\tsrc",
                                &k, why, sizeof why),
                     MXD_OK);
    mxd_bl_info bi;
    assert_int_equal(mxd_dnsbl_info(k, 0, &bi), 0);
    assert_string_equal(bi.key, "spamhaus");
    assert_string_equal(bi.key_zone, "KEY.dq.example");
    assert_string_equal(bi.dqs, "KEY.dq.example");
    assert_int_equal(bi.key_required, 0);
    mxd_kb_free(k);
    k = NULL;
    assert_int_equal(load_dnsbl("x\tX\tKEY.bl.example\tip\t4\t127.0.0.2=listed\t-\tyes"
                                "\tabusix\tfree\t-\trfc5782\tsrc",
                                &k, why, sizeof why),
                     MXD_OK);
    assert_int_equal(mxd_dnsbl_info(k, 0, &bi), 0);
    assert_string_equal(bi.key, "abusix");
    assert_string_equal(bi.key_zone, "KEY.bl.example");
    assert_null(bi.dqs);
    assert_int_equal(bi.key_required, 1);
    mxd_kb_free(k);
    k = NULL;
    static const struct {
        const char *zone, *key, *why;
    } bad[] = {
        {"KEY.bl.example", "-", "needs a key"},
        {"bl.example", "abusix", "bare kind"},
        {"bl.example", "nosuch:KEY.dq.example", "unknown kind"},
        {"bl.example", "spamhaus:dq.example", "KIND:KEY.zone"},
        {"KEY.bl.example", "abusix:KEY.bl.example", "already KEY.zone"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char row[256];
        snprintf(row, sizeof row,
                 "x\tX\t%s\tip\t4\t127.0.0.2=listed\t-\tyes\t%s\tfree\t-\trfc5782\tsrc",
                 bad[i].zone, bad[i].key);
        why[0] = 0;
        assert_int_equal(load_dnsbl(row, &k, why, sizeof why), MXD_ERR_DATA);
        if (!strstr(why, bad[i].why))
            fail_msg("%s / %s: '%s'", bad[i].zone, bad[i].key, why);
        assert_null(k);
    }
}

static void test_probe_column(void **state)
{
    (void)state;
    char why[256];
    mxd_kb *k = NULL;
    /* a list documented to carry no test entry is asked without a probe */
    assert_int_equal(load_dnsbl("x\tX\tbl.example\tip\t4\t127.0.0.2=listed\t-\tyes\t-\tfree"
                                "\t-\tnone\thttps://bl.example/ says: no test entry",
                                &k, why, sizeof why),
                     MXD_OK);
    const kb_dnsbl *b = kb_find_dnsbl(k, "x", 1);
    assert_non_null(b);
    assert_int_equal(b->test, KB_TEST_NONE);
    char pos[CHECK_QNAME_MAX], neg[CHECK_QNAME_MAX];
    const char *pl = NULL, *nl = NULL;
    assert_int_equal(dnsbl_probe_names(k, b, "bl.example", pos, neg, sizeof pos, &pl, &nl), 0);
    mxd_bl_info bi;
    assert_int_equal(mxd_dnsbl_info(k, 0, &bi), 0);
    assert_null(bi.test);
    mxd_kb_free(k);
    k = NULL;
    /* a test name is for domain lists only */
    assert_int_equal(load_dnsbl("x\tX\tbl.example\tip\t4\t127.0.0.2=listed\t-\tyes\t-\tfree"
                                "\t-\ttest.example\tsrc",
                                &k, why, sizeof why),
                     MXD_ERR_DATA);
    assert_non_null(strstr(why, "test must be rfc5782 or none"));
    assert_int_equal(load_dnsbl("x\tX\tdbl.example\tdomain\t-\t127.0.1.2=listed\t-\tyes\t-"
                                "\tfree\t-\tmytest.example\tsrc",
                                &k, why, sizeof why),
                     MXD_OK);
    b = kb_find_dnsbl(k, "x", 1);
    assert_int_equal(b->test, KB_TEST_NAME);
    assert_string_equal(kb_str(k, b->test_name), "mytest.example");
    mxd_kb_free(k);
    k = NULL;
    /* the column is required */
    assert_int_equal(load_dnsbl("x\tX\tdbl.example\tdomain\t-\t127.0.1.2=listed\t-\tyes\t-"
                                "\tfree\t-\t-\tsrc",
                                &k, why, sizeof why),
                     MXD_ERR_DATA);
    assert_null(k);
}

static void test_txt_join(void **state)
{
    (void)state;
    mxd_dns_rr rr[2];
    memset(rr, 0, sizeof rr);
    char t1[] = "first\nline", t2[] = "second";
    rr[0].type = rr[1].type = MXD_DNS_TXT;
    rr[0].text = t1;
    rr[0].len = strlen(t1);
    rr[1].text = t2;
    rr[1].len = strlen(t2);
    mxd_dns_answer a = {"x", MXD_DNS_TXT, MXD_DNS_OK, 2, rr, 0};
    char *s = dnsbl_txt_join(&a);
    assert_string_equal(s, "first line / second");
    free(s);
    char big[2000];
    memset(big, 'x', sizeof big);
    rr[0].text = big;
    rr[0].len = sizeof big;
    a.n = 1;
    s = dnsbl_txt_join(&a); /* over MXD_CHECK_TXT_MAX: dropped, not overflowed */
    assert_true(!s || strlen(s) <= MXD_CHECK_TXT_MAX);
    free(s);
    a.status = MXD_DNS_NXDOMAIN;
    assert_null(dnsbl_txt_join(&a));
}

static int generic(const char *ip, const char *name)
{
    unsigned char a[16];
    int fam = mxd_ip_valid(ip);
    assert_true(fam);
    assert_int_equal(inet_pton(fam == 4 ? AF_INET : AF_INET6, ip, a), 1);
    char why[256] = "";
    return check_ptr_generic(kb, fam, a, name, why, sizeof why);
}

static void test_generic_names(void **state)
{
    (void)state;
    assert_true(generic("192.0.2.77", "192-0-2-77.customers.example.net"));
    assert_true(generic("192.0.2.77", "77.2.0.192.static.example.net"));
    assert_true(generic("192.0.2.77", "host-77-2-0-192.example.net"));
    assert_true(generic("192.0.2.77", "c000024d.example.net"));
    assert_true(generic("192.0.2.77", "ip192000002077.example.net"));
    assert_true(generic("192.0.2.77", "dsl-line.example.net"));
    assert_true(generic("192.0.2.77", "abc.pool.example.net"));
    assert_true(generic("192.0.2.77", "cpe-7.res.rr.example.com"));
    assert_true(generic("2001:db8::25", "2001-db8--25.dyn.example.net"));
    assert_true(generic("2001:db8:5::25", "host.2001-db8-5-25.example.net"));
    assert_false(generic("192.0.2.77", "mail.example.net"));
    assert_false(generic("192.0.2.77", "mx77.example.net")); /* one octet is not enough */
    assert_false(generic("192.0.2.77", "smtp2.example.co.uk"));
    assert_false(generic("192.0.2.77", "dsl.example"));              /* the registrable domain */
    assert_false(generic("192.0.2.77", "mail.dynect-customer.net")); /* not a whole word */
    assert_false(generic("2001:db8::25", "mail6.example.com"));
}

static void test_names(void **state)
{
    (void)state;
    assert_true(mxd_domain_valid("example.com"));
    assert_true(mxd_domain_valid("Example.COM."));
    assert_true(mxd_domain_valid("_dmarc.example.com"));
    assert_true(mxd_domain_valid("xn--bcher-kva.example"));
    assert_false(mxd_domain_valid("localhost"));
    assert_false(mxd_domain_valid("192.0.2.1"));
    assert_false(mxd_domain_valid("a..b"));
    assert_false(mxd_domain_valid("-a.example"));
    assert_false(mxd_domain_valid("a-.example"));
    assert_false(mxd_domain_valid("exa mple.com"));
    assert_false(mxd_domain_valid("example.123"));
    assert_false(mxd_domain_valid(""));
    assert_false(mxd_domain_valid(NULL));
    assert_int_equal(mxd_ip_valid("192.0.2.1"), 4);
    assert_int_equal(mxd_ip_valid("2001:db8::1"), 6);
    assert_int_equal(mxd_ip_valid("::ffff:192.0.2.1"), 6);
    assert_int_equal(mxd_ip_valid("192.0.2.01"), 0);
    assert_int_equal(mxd_ip_valid("192.0.2"), 0);
    assert_int_equal(mxd_ip_valid("example.com"), 0);
    assert_string_equal(mxd_bl_result_name(MXD_BL_CLEAN), "clean");
    assert_string_equal(mxd_bl_result_name(MXD_BL_LISTED), "listed");
    assert_string_equal(mxd_bl_result_name(MXD_BL_ERROR), "error");
}

static void test_catalogue(void **state)
{
    (void)state;
    static const char *const dead[] = {"sorbs.net",        "ahbl.org",          "njabl.org",
                                       "spamcannibal.org", "manitu.net",        "wpbl.info",
                                       "cbl.abuseat.org",  "virbl.dnsbl.bit.nl"};
    mxd_bl_info bi;
    size_t n = 0, ip_default = 0, domain_default = 0;
    for (size_t i = 0; !mxd_dnsbl_info(kb, i, &bi); i++, n++) {
        for (size_t k = 0; k < sizeof dead / sizeof *dead; k++)
            if (strstr(bi.zone, dead[k]))
                fail_msg("defunct list %s (%s) in the catalogue", bi.id, bi.zone);
        assert_non_null(bi.policy);
        assert_non_null(bi.source);
        assert_true(bi.domain || bi.ipv4 || bi.ipv6);
        if (strstr(bi.zone, "spamhaus.org"))
            assert_non_null(bi.dqs); /* every Spamhaus zone has its DQS form */
        ip_default += bi.on && !bi.domain;
        domain_default += bi.on && bi.domain;
    }
    assert_int_equal(n, mxd_kb_count(kb, "dnsbl"));
    assert_true(ip_default >= 5);
    assert_true(domain_default >= 2);
    assert_true(mxd_kb_count(kb, "rdns-generic") >= 20);
    assert_int_equal(mxd_dnsbl_info(kb, n, &bi), -1);
}

static void test_list_selection(void **state)
{
    (void)state;
    mxd_dns_opts o = {.servers = "127.0.0.1:9", .kb = kb};
    mxd_resolver *r = NULL;
    assert_int_equal(mxd_resolver_new(&o, &r, NULL, 0), MXD_OK);
    char why[256];
    mxd_ip_report *rep = NULL;
    mxd_check_opts co = {.lists = "spamhaus-zen, nosuch"};
    assert_int_equal(mxd_ip_check_submit(r, kb, "192.0.2.1", &co, &rep, why, sizeof why),
                     MXD_ERR_INVALID);
    assert_non_null(strstr(why, "nosuch"));
    co.lists = "surbl"; /* a domain list for an address */
    assert_int_equal(mxd_ip_check_submit(r, kb, "192.0.2.1", &co, &rep, why, sizeof why),
                     MXD_ERR_INVALID);
    co.lists = "spamhaus-zen";
    co.spamhaus_key = "not a key!";
    assert_int_equal(mxd_ip_check_submit(r, kb, "192.0.2.1", &co, &rep, why, sizeof why),
                     MXD_ERR_INVALID);
    co.spamhaus_key = NULL;
    assert_int_equal(mxd_ip_check_submit(r, kb, "999.0.2.1", &co, &rep, why, sizeof why),
                     MXD_ERR_INVALID);
    assert_null(rep);
    co.domain = "no domain";
    assert_int_equal(mxd_ip_check_submit(r, kb, "192.0.2.1", &co, &rep, why, sizeof why),
                     MXD_ERR_INVALID);
    mxd_domain_bl_report *drep = NULL;
    co.domain = NULL;
    co.lists = "spamhaus-zen"; /* an IP list for a domain */
    assert_int_equal(mxd_domain_bl_submit(r, kb, "example.com", &co, &drep, why, sizeof why),
                     MXD_ERR_INVALID);
    mxd_mx_report *mrep = NULL;
    assert_int_equal(mxd_mx_check_submit(r, kb, "not_a domain", &mrep), MXD_ERR_INVALID);
    mxd_resolver_free(r);
}

/* ---- live: several checks in one run ----------------------------------------------------- */

static dnsd_server srv, bad;

/* A resolver (or list) that fails the probe, served without the shared test entries:
 * Spamhaus ZEN answers NXDOMAIN for every name (test entry included), SpamCop lists every
 * address (127.0.0.1 included). */
static const char bad_text[] = "*.bl.spamcop.net                       A    127.0.0.2\n"
                               "192.0.2.25                             PTR  mail.example.com\n";

static const char zone_text[] = "25.2.0.192.zen.spamhaus.org            A    127.0.0.2\n"
                                "25.2.0.192.zen.spamhaus.org            TXT  \"see SBL1\"\n"
                                "192.0.2.25                             PTR  mail.example.com\n"
                                "mail.example.com                       A    192.0.2.25\n"
                                "192.0.2.26                             PTR  a.example.net\n"
                                "192.0.2.26                             PTR  b.example.net\n"
                                "b.example.net                          A    192.0.2.26\n"
                                "spam.example.dbl.spamhaus.org          A    127.0.1.2\n"
                                "spam.example.multi.uribl.com           A    127.0.0.1\n"
                                "example.com                            MX   10 mx.example.com\n"
                                "mx.example.com                         A    192.0.2.10\n";

static int start_server(void **state)
{
    (void)state;
    if (open_kb(NULL) || access(DNSD_PYTHON, X_OK))
        return -1;
    char zone[512], badzone[512], entries[512];
    if (tmpdir_make("check") || tmpdir_file("check.zone", zone_text, zone, sizeof zone) ||
        tmpdir_file("bad.zone", bad_text, badzone, sizeof badzone))
        return -1;
    const char *zones[] = {zone, dnsd_test_entries(entries, sizeof entries), NULL};
    const char *badzones[] = {badzone, NULL};
    return dnsd_start(&srv, zones, NULL) || dnsd_start(&bad, badzones, NULL) ? -1 : 0;
}

static int stop_server(void **state)
{
    dnsd_stop(&srv);
    dnsd_stop(&bad);
    tmpdir_remove();
    return close_kb(state);
}

static void test_checks_in_one_run(void **state)
{
    (void)state;
    mxd_dns_opts o = {.servers = srv.addr, .timeout_ms = 1000, .tries = 1, .kb = kb};
    mxd_resolver *r = NULL;
    assert_int_equal(mxd_resolver_new(&o, &r, NULL, 0), MXD_OK);
    char why[256];
    mxd_check_opts co = {.lists = "spamhaus-zen,spamcop", .domain = "mail.example.com"};
    mxd_ip_report *a = NULL, *b = NULL;
    mxd_mx_report *mx = NULL;
    mxd_domain_bl_report *d = NULL;
    assert_int_equal(mxd_ip_check_submit(r, kb, "192.0.2.25", &co, &a, why, sizeof why), MXD_OK);
    assert_int_equal(mxd_ip_check_submit(r, kb, "::ffff:192.0.2.26", &co, &b, why, sizeof why),
                     MXD_OK);
    assert_int_equal(mxd_mx_check_submit(r, kb, "example.com", &mx), MXD_OK);
    mxd_check_opts dco = {.lists = "spamhaus-dbl,uribl,surbl"};
    assert_int_equal(mxd_domain_bl_submit(r, kb, "spam.example", &dco, &d, why, sizeof why),
                     MXD_OK);
    assert_int_equal(mxd_resolver_run(r), MXD_OK);

    assert_string_equal(a->ip, "192.0.2.25");
    assert_int_equal(a->listed, 1);
    assert_int_equal(a->clean, 1);
    assert_string_equal(a->dnsbl[0].id, "spamhaus-zen"); /* listed first */
    assert_string_equal(a->dnsbl[0].txt, "see SBL1");
    assert_int_equal(a->ptr.fcrdns, 1);
    assert_int_equal(a->ptr.generic, 0);
    assert_int_equal(a->ptr.domain_match, 1);
    char *j = mxd_ip_report_json(a, 0);
    assert_non_null(strstr(j, "\"ptr\":{\"status\":\"ok\",\"names\":[\"mail.example.com\"]"));
    assert_non_null(strstr(j, "\"fcrdns\":true,\"generic\":false"));
    assert_non_null(strstr(j, "\"listed\":1,\"errors\":0,\"clean\":1"));
    free(j);

    assert_string_equal(b->ip, "192.0.2.26"); /* the mapped address is checked as IPv4 */
    assert_int_equal(b->family, 4);
    assert_int_equal(b->ptr.nnames, 2);
    assert_int_equal(b->ptr.fcrdns, 1); /* b.example.net resolves back */
    assert_int_equal(b->ptr.domain_match, 0);
    int several = 0;
    for (size_t i = 0; i < b->nwarnings; i++)
        several |= strstr(b->warnings[i], "2 PTR names") != NULL;
    assert_true(several);

    assert_int_equal(mx->status, MXD_DNS_OK);
    assert_int_equal(mx->nhosts, 1);
    assert_string_equal(mx->hosts[0].name, "mx.example.com");
    assert_int_equal(mx->hosts[0].naddrs, 1);

    assert_int_equal(d->listed, 1); /* DBL */
    assert_int_equal(d->errors, 1); /* URIBL refused */
    assert_int_equal(d->clean, 1);  /* SURBL */
    assert_string_equal(d->dnsbl[0].id, "spamhaus-dbl");
    assert_string_equal(d->dnsbl[1].id, "uribl");
    j = mxd_domain_bl_report_json(d, 0);
    assert_non_null(strstr(j, "\"domain\":\"spam.example\""));
    free(j);

    mxd_resolver_free(r);
    mxd_ip_report_free(a);
    mxd_ip_report_free(b);
    mxd_mx_report_free(mx);
    mxd_domain_bl_report_free(d);
}

static void test_probe_live(void **state)
{
    (void)state;
    mxd_dns_opts o = {.servers = bad.addr, .timeout_ms = 1000, .tries = 1, .kb = kb};
    mxd_resolver *r = NULL;
    assert_int_equal(mxd_resolver_new(&o, &r, NULL, 0), MXD_OK);
    char why[256];
    mxd_check_opts co = {.lists = "spamhaus-zen,spamcop"};
    mxd_ip_report *a = NULL, *off = NULL;
    mxd_domain_bl_report *d = NULL;
    assert_int_equal(mxd_ip_check_submit(r, kb, "192.0.2.25", &co, &a, why, sizeof why), MXD_OK);
    mxd_check_opts dco = {.lists = "spamhaus-dbl"};
    assert_int_equal(mxd_domain_bl_submit(r, kb, "example.com", &dco, &d, why, sizeof why), MXD_OK);
    co.no_probe = 1; /* the old answers, for contrast: both wrong */
    assert_int_equal(mxd_ip_check_submit(r, kb, "192.0.2.25", &co, &off, why, sizeof why), MXD_OK);
    assert_int_equal(mxd_resolver_run(r), MXD_OK);

    assert_int_equal(a->listed, 0);
    assert_int_equal(a->clean, 0);
    assert_int_equal(a->errors, 2);
    for (size_t i = 0; i < a->ndnsbl; i++) {
        const mxd_bl_entry *e = &a->dnsbl[i];
        assert_int_equal(e->result, MXD_BL_ERROR);
        assert_int_equal(e->probe, MXD_BL_PROBE_FAILED);
        if (!strcmp(e->id, "spamhaus-zen"))
            assert_string_equal(e->error, "list did not answer its test entry 127.0.0.2 "
                                          "(resolver blocked or list dead)");
        else
            assert_string_equal(e->error, "list answers for every address (127.0.0.1 listed)");
    }
    int warned = 0;
    for (size_t i = 0; i < a->nwarnings; i++)
        warned |= strstr(a->warnings[i], "2 blocklists failed the health probe") != NULL;
    assert_true(warned);
    char *j = mxd_ip_report_json(a, 0);
    assert_non_null(strstr(j, "\"result\":\"error\""));
    assert_non_null(strstr(j, "\"probe\":\"failed\""));
    assert_null(strstr(j, "\"probe\":\"passed\""));
    free(j);

    assert_int_equal(d->errors, 1); /* the domain list fails its dbltest.com entry too */
    assert_int_equal(d->dnsbl[0].probe, MXD_BL_PROBE_FAILED);
    assert_non_null(strstr(d->dnsbl[0].error, "test entry dbltest.com"));

    assert_int_equal(off->listed, 1); /* without the probe: "listed" on SpamCop ... */
    assert_int_equal(off->clean, 1);  /* ... and "clean" on ZEN */
    for (size_t i = 0; i < off->ndnsbl; i++)
        assert_int_equal(off->dnsbl[i].probe, MXD_BL_PROBE_OFF);

    mxd_resolver_free(r);
    mxd_ip_report_free(a);
    mxd_ip_report_free(off);
    mxd_domain_bl_report_free(d);
}

/* Many addresses in one run ask each list's test entries once. */
static void test_probe_once_per_run(void **state)
{
    (void)state;
    mxd_dns_opts o = {.servers = srv.addr, .timeout_ms = 1000, .tries = 1, .kb = kb};
    mxd_resolver *r = NULL;
    assert_int_equal(mxd_resolver_new(&o, &r, NULL, 0), MXD_OK);
    enum { N = 20 };
    mxd_ip_report *rep[N];
    mxd_check_opts co = {.lists = "spamhaus-zen,spamcop"};
    char why[256], ip[32];
    for (int i = 0; i < N; i++) {
        snprintf(ip, sizeof ip, "198.51.100.%d", 10 + i);
        assert_int_equal(mxd_ip_check_submit(r, kb, ip, &co, &rep[i], why, sizeof why), MXD_OK);
    }
    assert_int_equal(mxd_resolver_run(r), MXD_OK);
    mxd_dns_stats st;
    mxd_resolver_stats(r, &st);
    /* per address two lists and one PTR query; two test entries per list, once */
    assert_int_equal(st.sent, N * 3 + 2 * 2);
    for (int i = 0; i < N; i++) {
        assert_int_equal(rep[i]->clean, 2);
        for (size_t k = 0; k < rep[i]->ndnsbl; k++)
            assert_int_equal(rep[i]->dnsbl[k].probe, MXD_BL_PROBE_PASSED);
    }
    mxd_resolver_free(r);
    for (int i = 0; i < N; i++)
        mxd_ip_report_free(rep[i]);
}

/* The check module's blocklist verdict: a list that did not answer is never a pass. */
static void test_bl_verdict(void **state)
{
    (void)state;
    char timeout[] = "timeout", probe[] = "list did not answer its test entry";
    mxd_bl_entry e[9];
    memset(e, 0, sizeof e);
    static const char *const names[9] = {"A", "B", "C", "D", "E", "F", "G", "H", "I"};
    for (int i = 0; i < 9; i++) {
        e[i].name = names[i];
        e[i].result = MXD_BL_CLEAN;
    }
    char why[512];
    assert_int_equal(mxd_bl_verdict(e, 9, why, sizeof why), MXD_CHECK_PASS);
    assert_string_equal(why, "on none of 9 blocklists");
    /* 8 of 9 time out, the one that answered says clean: not a pass */
    for (int i = 1; i < 9; i++) {
        e[i].result = MXD_BL_ERROR;
        e[i].error = timeout;
    }
    assert_int_equal(mxd_bl_verdict(e, 9, why, sizeof why), MXD_CHECK_UNCHECKED);
    assert_non_null(strstr(why, "8 of 9 blocklists did not answer: B (timeout), C (timeout)"));
    assert_null(strstr(why, "A ("));
    /* one failed probe among clean lists: still unchecked */
    for (int i = 1; i < 9; i++) {
        e[i].result = MXD_BL_CLEAN;
        e[i].error = NULL;
    }
    e[4].result = MXD_BL_ERROR;
    e[4].error = probe;
    assert_int_equal(mxd_bl_verdict(e, 9, why, sizeof why), MXD_CHECK_UNCHECKED);
    assert_string_equal(why, "1 of 9 blocklists did not answer: E (list did not answer its "
                             "test entry)");
    /* a listing is a failure whatever else did not answer */
    e[2].result = MXD_BL_LISTED;
    assert_int_equal(mxd_bl_verdict(e, 9, why, sizeof why), MXD_CHECK_FAIL);
    assert_string_equal(why, "listed on 1 of 9 blocklists: C");
    /* every list failed; none asked; a tiny buffer stays terminated */
    for (int i = 0; i < 9; i++)
        e[i].result = MXD_BL_ERROR;
    assert_int_equal(mxd_bl_verdict(e, 9, why, sizeof why), MXD_CHECK_UNCHECKED);
    assert_non_null(strstr(why, "none of 9 blocklists answered"));
    assert_int_equal(mxd_bl_verdict(NULL, 0, why, sizeof why), MXD_CHECK_UNCHECKED);
    char small[8];
    assert_int_equal(mxd_bl_verdict(e, 9, small, sizeof small), MXD_CHECK_UNCHECKED);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_int_equal(mxd_bl_verdict(e, 9, NULL, 0), MXD_CHECK_UNCHECKED);
}

/* An NXDOMAIN is believed only from a resolver that knows the top-level domain; the probe
 * is asked once per resolver, however many names want it. */
static void test_nxdomain_suspect(void **state)
{
    (void)state;
    mxd_dns_opts o = {.servers = bad.addr, .timeout_ms = 1000, .tries = 1, .kb = kb};
    mxd_resolver *r = NULL;
    assert_int_equal(mxd_resolver_new(&o, &r, NULL, 0), MXD_OK);
    char why[512];
    /* the bad server knows nothing under com: it denies a top-level domain that exists */
    assert_int_equal(mxd_nxdomain_suspect(r, "gmail.com", why, sizeof why), 1);
    assert_non_null(strstr(why, "top-level domain com does not exist"));
    mxd_dns_stats st;
    mxd_resolver_stats(r, &st);
    unsigned long sent = st.sent;
    assert_int_equal(mxd_nxdomain_suspect(r, "Other.COM.", why, sizeof why), 1);
    mxd_resolver_stats(r, &st);
    assert_int_equal(st.sent, sent); /* asked once */
    /* it knows net (bl.spamcop.net): its NXDOMAIN there is believed */
    assert_int_equal(mxd_nxdomain_suspect(r, "missing.net", why, sizeof why), 0);
    assert_string_equal(why, "");
    /* .example is no public top-level domain: not asked, believed */
    mxd_resolver_stats(r, &st);
    sent = st.sent;
    assert_int_equal(mxd_nxdomain_suspect(r, "missing.example", why, sizeof why), 0);
    mxd_resolver_stats(r, &st);
    assert_int_equal(st.sent, sent);
    assert_int_equal(mxd_nxdomain_suspect(r, "", why, sizeof why), 0);
    assert_int_equal(mxd_nxdomain_suspect(NULL, "gmail.com", why, sizeof why), 0);
    mxd_resolver_free(r);
    /* an honest server (com exists) is believed */
    o.servers = srv.addr;
    assert_int_equal(mxd_resolver_new(&o, &r, NULL, 0), MXD_OK);
    assert_int_equal(mxd_nxdomain_suspect(r, "missing.com", why, sizeof why), 0);
    mxd_resolver_free(r);
}

/* Text from a DNS answer that is not UTF-8 keeps its valid parts in JSON. */
static void test_jstr_not_utf8(void **state)
{
    (void)state;
    json_t *j = check_jstr("listed \xff for spam \xc3\xa9");
    assert_non_null(j);
    assert_string_equal(json_string_value(j), "listed ? for spam \xc3\xa9");
    json_decref(j);
    j = check_jstr(NULL);
    assert_true(json_is_null(j));
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest offline[] = {
        cmocka_unit_test(test_jstr_not_utf8),  cmocka_unit_test(test_listing_codes),
        cmocka_unit_test(test_error_codes),    cmocka_unit_test(test_bitmasks),
        cmocka_unit_test(test_txt_join),       cmocka_unit_test(test_generic_names),
        cmocka_unit_test(test_names),          cmocka_unit_test(test_catalogue),
        cmocka_unit_test(test_list_selection), cmocka_unit_test(test_probe_names),
        cmocka_unit_test(test_probe_judge),    cmocka_unit_test(test_probe_apply),
        cmocka_unit_test(test_probe_column),   cmocka_unit_test(test_key_column),
        cmocka_unit_test(test_bl_verdict),
    };
    const struct CMUnitTest live[] = {
        cmocka_unit_test(test_checks_in_one_run),
        cmocka_unit_test(test_probe_live),
        cmocka_unit_test(test_probe_once_per_run),
        cmocka_unit_test(test_nxdomain_suspect),
    };
    int rc = cmocka_run_group_tests_name("check-offline", offline, open_kb, close_kb);
    if (start_server(NULL)) {
        stop_server(NULL);
        fprintf(stderr, "SKIP: cannot start %s tests/dnsd/dnsd.py\n", DNSD_PYTHON);
        return rc ? rc : 77;
    }
    rc |= cmocka_run_group_tests_name("check-live", live, NULL, stop_server);
    return rc;
}
