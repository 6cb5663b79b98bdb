/* test_dmarc.c - DMARC record parser (every tag, every failure), alignment, and policy
 * discovery against the test DNS server
 * SPDX-License-Identifier: MIT
 *
 * The discovery tests start tests/dnsd/dnsd.py (with /usr/bin/python3) on a free port of
 * 127.0.0.1 with a zone written here; they are skipped (the rest still runs) when the server
 * cannot start.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "mxdiag/dmarc.h"
#include "dnsd_helper.h"

static mxd_dmarc_record *parse(const char *s)
{
    mxd_dmarc_record *r = NULL;
    assert_int_equal(mxd_dmarc_parse(s, strlen(s), &r), MXD_OK);
    assert_non_null(r);
    return r;
}

/* has - is there a problem with this code whose text contains needle (NULL: any)? */
static int has(const mxd_finding *v, size_t n, const char *code, const char *needle)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].code, code) && (!needle || strstr(v[i].text, needle)))
            return 1;
    return 0;
}

static void test_full_record(void **state)
{
    (void)state;
    mxd_dmarc_record *r =
        parse("v=DMARC1; p=reject; sp=quarantine; np=reject; pct=50; adkim=s; aspf=r; "
              "fo=1:d:s; rf=afrf; ri=3600; t=y; psd=n; "
              "rua=mailto:agg@example.com,mailto:dmarc@reports.example.net!10m; "
              "ruf=mailto:forensic@example.com!5k");
    assert_true(r->valid);
    assert_int_equal(r->p, MXD_DMARC_REJECT);
    assert_int_equal(r->sp, MXD_DMARC_QUARANTINE);
    assert_int_equal(r->np, MXD_DMARC_REJECT);
    assert_int_equal(r->pct, 50);
    assert_true(r->adkim_strict);
    assert_false(r->aspf_strict);
    assert_string_equal(r->fo, "1:d:s");
    assert_string_equal(r->rf, "afrf");
    assert_int_equal(r->ri, 3600);
    assert_true(r->testing);
    assert_int_equal(r->psd, 'n');
    assert_int_equal(r->nrua, 2);
    assert_string_equal(r->rua[0].address, "agg@example.com");
    assert_string_equal(r->rua[0].domain, "example.com");
    assert_string_equal(r->rua[1].address, "dmarc@reports.example.net");
    assert_string_equal(r->rua[1].uri, "mailto:dmarc@reports.example.net!10m");
    assert_int_equal(r->nruf, 1);
    assert_int_equal(r->nproblems, 0);
    mxd_dmarc_record_free(r);
}

static void test_defaults(void **state)
{
    (void)state;
    mxd_dmarc_record *r = parse("v=DMARC1;p=none");
    assert_true(r->valid);
    assert_int_equal(r->p, MXD_DMARC_NONE);
    assert_int_equal(r->sp, MXD_DMARC_ABSENT);
    assert_int_equal(r->np, MXD_DMARC_ABSENT);
    assert_int_equal(r->pct, 100);
    assert_false(r->adkim_strict || r->aspf_strict);
    assert_string_equal(r->fo, "0");
    assert_string_equal(r->rf, "afrf");
    assert_int_equal(r->ri, 86400);
    assert_false(r->testing);
    assert_int_equal(r->psd, 'u');
    assert_int_equal(r->nrua + r->nruf, 0);
    assert_int_equal(r->nproblems, 0);
    mxd_dmarc_record_free(r);
    /* white space around names, '=' and values; a trailing ';'; upper-case values */
    r = parse("  v = DMARC1 ;\tp = REJECT ; adkim = S ; ");
    assert_true(r->valid);
    assert_int_equal(r->p, MXD_DMARC_REJECT);
    assert_true(r->adkim_strict);
    mxd_dmarc_record_free(r);
}

/* Every tag with a bad value gives dmarc-tag-invalid naming the tag. */
static void test_bad_values(void **state)
{
    (void)state;
    struct {
        const char *rec, *tag;
    } v[] = {
        {"v=DMARC1; p=rejected", "p="},
        {"v=DMARC1; p=none; sp=all", "sp="},
        {"v=DMARC1; p=none; np=x", "np="},
        {"v=DMARC1; p=none; pct=101", "pct="},
        {"v=DMARC1; p=none; pct=-1", "pct="},
        {"v=DMARC1; p=none; pct=", "pct="},
        {"v=DMARC1; p=none; adkim=x", "adkim="},
        {"v=DMARC1; p=none; aspf=relaxed", "aspf="},
        {"v=DMARC1; p=none; fo=2", "fo="},
        {"v=DMARC1; p=none; fo=1:x", "fo="},
        {"v=DMARC1; p=none; rf=iodef", "rf="},
        {"v=DMARC1; p=none; ri=1h", "ri="},
        {"v=DMARC1; p=none; ri=99999999999", "ri="},
        {"v=DMARC1; p=none; t=yes", "t="},
        {"v=DMARC1; p=none; psd=x", "psd="},
    };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        mxd_dmarc_record *r = parse(v[i].rec);
        if (!has(r->problems, r->nproblems, "dmarc-tag-invalid", v[i].tag))
            fail_msg("no dmarc-tag-invalid for %s in '%s'", v[i].tag, v[i].rec);
        mxd_dmarc_record_free(r);
    }
}

static void test_invalid_records(void **state)
{
    (void)state;
    const char *bad[] = {
        "p=reject; v=DMARC1", "v=DMARC2; p=none",  "v=dmarc1; p=none",           "v=DMARC1 p=none",
        "v=DMARC1; p",        "v=DMARC1; 1p=none", "v=DMARC1; p=none; p=reject", "",
        "v=DMARC1; p=n\x80ne"};
    const char *code[] = {"dmarc-version", "dmarc-version", "dmarc-version",
                          "dmarc-version", "dmarc-syntax",  "dmarc-syntax",
                          "dmarc-syntax",  "dmarc-version", "dmarc-syntax"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        mxd_dmarc_record *r = parse(bad[i]);
        if (r->valid)
            fail_msg("should not be valid: '%s'", bad[i]);
        if (!has(r->problems, r->nproblems, code[i], NULL))
            fail_msg("'%s': expected %s", bad[i], code[i]);
        mxd_dmarc_record_free(r);
    }
    /* NUL inside */
    mxd_dmarc_record *r = NULL;
    assert_int_equal(mxd_dmarc_parse("v=DMARC1; p=none\0x", 18, &r), MXD_OK);
    assert_false(r->valid);
    mxd_dmarc_record_free(r);
    /* too long */
    char *big = malloc(MXD_DMARC_MAX_RECORD + 2);
    memset(big, 'a', MXD_DMARC_MAX_RECORD + 1);
    assert_int_equal(mxd_dmarc_parse(big, MXD_DMARC_MAX_RECORD + 1, &r), MXD_ERR_TOOBIG);
    free(big);
}

static void test_p_missing(void **state)
{
    (void)state;
    /* no p= and no rua=: not a usable record */
    mxd_dmarc_record *r = parse("v=DMARC1; adkim=s");
    assert_false(r->valid);
    assert_true(has(r->problems, r->nproblems, "dmarc-p-missing", "ignore"));
    mxd_dmarc_record_free(r);
    /* no p= but rua=: treated as p=none (RFC 7489 6.6.3) */
    r = parse("v=DMARC1; rua=mailto:a@example.com");
    assert_true(r->valid);
    assert_true(has(r->problems, r->nproblems, "dmarc-p-missing", "p=none"));
    mxd_dmarc_record_free(r);
}

static void test_uris(void **state)
{
    (void)state;
    const char *bad[] = {"v=DMARC1; p=none; rua=agg@example.com",
                         "v=DMARC1; p=none; rua=mailto:",
                         "v=DMARC1; p=none; rua=mailto:nobody",
                         "v=DMARC1; p=none; rua=mailto:a@example.com!10x",
                         "v=DMARC1; p=none; rua=mailto:a@example.com!",
                         "v=DMARC1; p=none; rua=mailto:a@example.com,,mailto:b@example.com",
                         "v=DMARC1; p=none; ruf=mailto:@example.com"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        mxd_dmarc_record *r = parse(bad[i]);
        if (!has(r->problems, r->nproblems, "dmarc-uri-invalid", NULL))
            fail_msg("no dmarc-uri-invalid for '%s'", bad[i]);
        mxd_dmarc_record_free(r);
    }
    mxd_dmarc_record *r =
        parse("v=DMARC1; p=none; rua=mailto:A@Example.COM , https://r.example.net/dmarc");
    assert_int_equal(r->nrua, 2);
    assert_string_equal(r->rua[0].domain, "example.com");
    assert_null(r->rua[1].address);
    assert_int_equal(r->nproblems, 0);
    mxd_dmarc_record_free(r);
    /* more than MXD_DMARC_MAX_URIS */
    char rec[4096];
    size_t o = (size_t)snprintf(rec, sizeof rec, "v=DMARC1; p=none; rua=");
    for (int i = 0; i < MXD_DMARC_MAX_URIS + 2; i++)
        o += (size_t)snprintf(rec + o, sizeof rec - o, "%smailto:r%d@example.com", i ? "," : "", i);
    r = parse(rec);
    assert_int_equal(r->nrua, MXD_DMARC_MAX_URIS);
    assert_true(has(r->problems, r->nproblems, "dmarc-too-many-uris", NULL));
    mxd_dmarc_record_free(r);
}

static void test_unknown_tag(void **state)
{
    (void)state;
    mxd_dmarc_record *r = parse("v=DMARC1; p=none; foo=bar");
    assert_true(r->valid);
    assert_true(has(r->problems, r->nproblems, "dmarc-unknown-tag", "foo"));
    assert_int_equal(r->problems[0].severity, MXD_SEV_INFO);
    mxd_dmarc_record_free(r);
}

static void test_org_domain(void **state)
{
    (void)state;
    char out[256];
    assert_int_equal(mxd_dmarc_org_domain("mail.example.co.uk", out, sizeof out), MXD_OK);
    assert_string_equal(out, "example.co.uk");
    assert_int_equal(mxd_dmarc_org_domain("A.B.Example.COM.", out, sizeof out), MXD_OK);
    assert_string_equal(out, "example.com");
    assert_int_equal(mxd_dmarc_org_domain("co.uk", out, sizeof out), MXD_ERR_NOTFOUND);
    assert_int_equal(mxd_dmarc_org_domain("", out, sizeof out), MXD_ERR_INVALID);
    assert_int_equal(mxd_dmarc_org_domain("a.b.example.com", out, 5), MXD_ERR_TOOBIG);
}

static void test_align(void **state)
{
    (void)state;
    mxd_dmarc_alignment a;
    const char *dk[] = {"other.example.net", "mail.example.com"};
    assert_int_equal(mxd_dmarc_align("example.com", "bounce.example.com", dk, 2, 0, 0, &a), MXD_OK);
    assert_true(a.spf_aligned);
    assert_true(a.dkim_aligned);
    assert_int_equal(a.dkim_index, 1);
    assert_true(a.pass);
    /* strict: exact names only */
    assert_int_equal(mxd_dmarc_align("example.com", "bounce.example.com", dk, 2, 1, 1, &a), MXD_OK);
    assert_false(a.spf_aligned || a.dkim_aligned || a.pass);
    assert_int_equal(a.dkim_index, -1);
    const char *exact[] = {"EXAMPLE.com."};
    assert_int_equal(mxd_dmarc_align("example.com", "example.com", exact, 1, 1, 1, &a), MXD_OK);
    assert_true(a.spf_aligned && a.dkim_aligned && a.pass);
    /* different organisations, public suffixes */
    assert_int_equal(mxd_dmarc_align("a.example.co.uk", "b.other.co.uk", NULL, 0, 0, 0, &a),
                     MXD_OK);
    assert_false(a.spf_aligned || a.pass);
    assert_int_equal(mxd_dmarc_align("a.example.co.uk", "b.example.co.uk", NULL, 0, 0, 0, &a),
                     MXD_OK);
    assert_true(a.spf_aligned);
    /* no SPF pass */
    assert_int_equal(mxd_dmarc_align("example.com", NULL, NULL, 0, 0, 0, &a), MXD_OK);
    assert_false(a.pass);
    assert_int_equal(mxd_dmarc_align("", NULL, NULL, 0, 0, 0, &a), MXD_ERR_INVALID);
}

/* ---- discovery against the test DNS server ------------------------------------------- */

static dnsd_server dnsd;
static char zpath[300];

static const char zone[] =
    "_dmarc.example.com TXT \"v=DMARC1; p=reject; sp=quarantine; "
    "rua=mailto:agg@example.com,mailto:x@reports.example.net,mailto:y@other.example.org\"\n"
    "example.com._report._dmarc.reports.example.net TXT \"v=DMARC1\"\n"
    "_dmarc.none.example TXT \"v=DMARC1; p=none\"\n"
    "_dmarc.two.example TXT \"v=DMARC1; p=none\"\n"
    "_dmarc.two.example TXT \"v=DMARC1; p=reject\"\n"
    "_dmarc.other.example TXT \"some other text\"\n"
    "_dmarc.bad.example TXT \"v=DMARC1; p=block; pct=50\"\n"
    "_dmarc.slow.example TIMEOUT\n"
    "_dmarc.nosemi.example TXT \"v=DMARC1 p=reject\"\n"
    "_dmarc.lower.example TXT \"v=dmarc1; p=reject\"\n"
    "_dmarc.sub.parent.example TXT \"v=DMARC1 p=none\"\n"
    "_dmarc.parent.example TXT \"v=DMARC1; p=reject\"\n"
    "_dmarc.deep.example TXT \"v=DMARC1; p=quarantine; rua=mailto:d@deep.example\"\n"
    "_dmarc.c.d.e.f.g.h.deep.example TXT \"v=DMARC1; p=none\"\n"
    "_dmarc.d.e.f.g.h.deep.example TXT \"v=DMARC1; p=reject\"\n";

static int start_dnsd(void **state)
{
    (void)state;
    snprintf(zpath, sizeof zpath, "/tmp/mxd-test-dmarc-%ld.zone", (long)getpid());
    FILE *f = fopen(zpath, "w");
    if (!f)
        return -1;
    fputs(zone, f);
    fclose(f);
    const char *zones[] = {zpath, NULL};
    return dnsd_start(&dnsd, zones, NULL);
}

static int stop_dnsd(void **state)
{
    (void)state;
    dnsd_stop(&dnsd);
    unlink(zpath);
    return 0;
}

static mxd_dmarc_result *lookup(const char *domain)
{
    mxd_dns_opts o = {0};
    o.servers = dnsd.addr;
    o.timeout_ms = 300;
    o.tries = 1;
    mxd_resolver *r;
    char why[256];
    assert_int_equal(mxd_resolver_new(&o, &r, why, sizeof why), MXD_OK);
    mxd_dmarc_result *d = NULL;
    assert_int_equal(mxd_dmarc_lookup(r, domain, &d), MXD_OK);
    mxd_resolver_free(r);
    return d;
}

static void test_lookup_own(void **state)
{
    (void)state;
    mxd_dmarc_result *d = lookup("Example.COM");
    assert_true(d->found);
    assert_string_equal(d->record_domain, "example.com");
    assert_string_equal(d->org_domain, "example.com");
    assert_int_equal(d->policy, MXD_DMARC_REJECT);
    /* own domain: not external; reports.example.net authorised; other.example.org not */
    assert_int_equal(d->record->nrua, 3);
    assert_false(d->record->rua[0].external);
    assert_true(d->record->rua[1].external);
    assert_int_equal(d->record->rua[1].authorised, 1);
    assert_true(d->record->rua[2].external);
    assert_int_equal(d->record->rua[2].authorised, 0);
    assert_true(has(d->findings, d->nfindings, "dmarc-report-unauthorised", "other.example.org"));
    assert_false(has(d->findings, d->nfindings, "dmarc-report-unauthorised", "reports.example"));
    assert_false(has(d->findings, d->nfindings, "dmarc-p-none", NULL));
    char *js = mxd_dmarc_result_json(d, 0);
    assert_non_null(strstr(js, "\"policy\":\"reject\""));
    assert_non_null(strstr(js, "\"authorised\":false"));
    free(js);
    mxd_dmarc_result_free(d);
}

static void test_lookup_walk(void **state)
{
    (void)state;
    /* a subdomain without a record: the parent's sp= applies */
    mxd_dmarc_result *d = lookup("mail.sub.example.com");
    assert_true(d->found);
    assert_string_equal(d->record_domain, "example.com");
    assert_int_equal(d->policy, MXD_DMARC_QUARANTINE);
    assert_true(has(d->findings, d->nfindings, "dmarc-inherited", NULL));
    mxd_dmarc_result_free(d);
    /* a long name (13 labels): after the name itself the walk starts at 7 labels, so the
     * record at 8 labels (c.d.e.f.g.h.deep.example) is skipped */
    d = lookup("x.y.z.a.b.c.d.e.f.g.h.deep.example");
    assert_true(d->found);
    assert_string_equal(d->record_domain, "d.e.f.g.h.deep.example");
    assert_int_equal(d->policy, MXD_DMARC_REJECT);
    mxd_dmarc_result_free(d);
    d = lookup("q.deep.example");
    assert_string_equal(d->record_domain, "deep.example");
    assert_int_equal(d->policy, MXD_DMARC_QUARANTINE);
    mxd_dmarc_result_free(d);
}

static void test_lookup_failures(void **state)
{
    (void)state;
    mxd_dmarc_result *d = lookup("nothing.example");
    assert_false(d->found);
    assert_int_equal(d->policy, MXD_DMARC_ABSENT);
    assert_true(has(d->findings, d->nfindings, "dmarc-none", NULL));
    assert_int_equal(d->findings[0].severity, MXD_SEV_ERROR);
    mxd_dmarc_result_free(d);

    d = lookup("other.example"); /* a TXT record that is not DMARC */
    assert_false(d->found);
    assert_true(has(d->findings, d->nfindings, "dmarc-none", NULL));
    mxd_dmarc_result_free(d);

    d = lookup("two.example");
    assert_false(d->found);
    assert_true(has(d->findings, d->nfindings, "dmarc-multiple", NULL));
    mxd_dmarc_result_free(d);

    d = lookup("none.example");
    assert_true(d->found);
    assert_int_equal(d->policy, MXD_DMARC_NONE);
    assert_true(has(d->findings, d->nfindings, "dmarc-p-none", NULL));
    assert_true(has(d->findings, d->nfindings, "dmarc-no-rua", NULL));
    mxd_dmarc_result_free(d);

    d = lookup("bad.example");
    assert_false(d->found);
    assert_true(has(d->findings, d->nfindings, "dmarc-tag-invalid", "p="));
    mxd_dmarc_result_free(d);

    d = lookup("slow.example");
    assert_false(d->found);
    assert_true(d->temperror);
    assert_true(has(d->findings, d->nfindings, "dmarc-dns", "timeout"));
    assert_false(has(d->findings, d->nfindings, "dmarc-none", NULL));
    mxd_dmarc_result_free(d);
}

/* A record meant as DMARC but malformed is invalid (shown, with the reason), not missing. */
static void test_lookup_malformed(void **state)
{
    (void)state;
    mxd_dmarc_result *d = lookup("nosemi.example");
    assert_false(d->found);
    assert_false(d->temperror);
    assert_non_null(d->record);
    assert_false(d->record->valid);
    assert_string_equal(d->record->text, "v=DMARC1 p=reject");
    assert_string_equal(d->record_domain, "nosemi.example");
    assert_int_equal(d->policy, MXD_DMARC_ABSENT);
    assert_true(has(d->findings, d->nfindings, "dmarc-invalid", "v=DMARC1 p=reject"));
    assert_false(has(d->findings, d->nfindings, "dmarc-none", NULL));
    assert_true(has(d->record->problems, d->record->nproblems, "dmarc-version", "';' is missing"));
    mxd_dmarc_result_free(d);

    d = lookup("lower.example");
    assert_false(d->found);
    assert_non_null(d->record);
    assert_true(has(d->findings, d->nfindings, "dmarc-invalid", NULL));
    mxd_dmarc_result_free(d);

    /* a malformed record below a valid parent: the parent applies, the other is flagged */
    d = lookup("sub.parent.example");
    assert_true(d->found);
    assert_string_equal(d->record_domain, "parent.example");
    assert_true(has(d->findings, d->nfindings, "dmarc-invalid-ignored", "sub.parent.example"));
    mxd_dmarc_result_free(d);
}

int main(void)
{
    const struct CMUnitTest offline[] = {
        cmocka_unit_test(test_full_record), cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_bad_values),  cmocka_unit_test(test_invalid_records),
        cmocka_unit_test(test_p_missing),   cmocka_unit_test(test_uris),
        cmocka_unit_test(test_unknown_tag), cmocka_unit_test(test_org_domain),
        cmocka_unit_test(test_align),
    };
    const struct CMUnitTest live[] = {
        cmocka_unit_test(test_lookup_own),
        cmocka_unit_test(test_lookup_walk),
        cmocka_unit_test(test_lookup_failures),
        cmocka_unit_test(test_lookup_malformed),
    };
    int rc = cmocka_run_group_tests_name("dmarc", offline, NULL, NULL);
    if (start_dnsd(NULL)) {
        fprintf(stderr, "SKIP: the test DNS server cannot start: no discovery tests\n");
        stop_dnsd(NULL);
        return rc;
    }
    stop_dnsd(NULL);
    rc |= cmocka_run_group_tests_name("dmarc-dns", live, start_dnsd, stop_dnsd);
    return rc;
}
