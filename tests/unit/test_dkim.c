/* test_dkim.c - DKIM: key records (every tag, every failure), canonicalization, base64, and
 * verification of hand-made and dkimpy-signed messages against the test DNS server
 * SPDX-License-Identifier: MIT
 *
 * The signed fixtures and their keys are in tests/fixtures/dkim (made by make-fixtures.py with
 * dkimpy, independent of this verifier); the RFC 8463 example is in
 * tests/cli/cases/dkim-rfc8463. The verification tests are skipped when the test DNS server
 * cannot start.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "mxdiag/dkim.h"
#include "check/dkim_internal.h"
#include "dnsd_helper.h"

static const char *srcdir(void)
{
    const char *s = getenv("MXD_SOURCE_DIR");
    return s ? s : ".";
}

static char *slurp(const char *rel, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", srcdir(), rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    char *data = malloc(1 << 20);
    *len = fread(data, 1, (1 << 20) - 1, f);
    fclose(f);
    data[*len] = 0;
    return data;
}

static mxd_dkim_key parse_key(const char *rec)
{
    mxd_dkim_key k;
    assert_int_equal(mxd_dkim_key_parse(rec, strlen(rec), &k), MXD_OK);
    return k;
}

/* the public key of a fixture private key, base64, as SubjectPublicKeyInfo or PKCS#1 */
static char *pub_b64(const char *keyfile, int pkcs1)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/fixtures/dkim/%s", srcdir(), keyfile);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(k);
    unsigned char *der = NULL;
    int n = pkcs1 ? i2d_PublicKey(k, &der) : i2d_PUBKEY(k, &der);
    assert_true(n > 0);
    char *out = malloc((size_t)n * 2 + 4);
    EVP_EncodeBlock((unsigned char *)out, der, n);
    OPENSSL_free(der);
    EVP_PKEY_free(k);
    return out;
}

static void test_key_rsa_forms(void **state)
{
    (void)state;
    char rec[2048];
    char *spki = pub_b64("rsa2048.key", 0), *pkcs1 = pub_b64("rsa2048.key", 1);
    snprintf(rec, sizeof rec, "v=DKIM1; k=rsa; p=%s", spki);
    mxd_dkim_key k = parse_key(rec);
    assert_true(k.valid);
    assert_string_equal(k.key_type, "rsa");
    assert_int_equal(k.bits, 2048);
    mxd_dkim_key_clear(&k);
    /* k= absent means rsa; a bare RSAPublicKey is accepted too; p= may be folded */
    snprintf(rec, sizeof rec, "p=%.40s \r\n\t%s", pkcs1, pkcs1 + 40);
    k = parse_key(rec);
    assert_true(k.valid);
    assert_int_equal(k.bits, 2048);
    mxd_dkim_key_clear(&k);
    free(spki);
    free(pkcs1);
    char *small = pub_b64("rsa512.key", 0);
    snprintf(rec, sizeof rec, "v=DKIM1; p=%s", small);
    k = parse_key(rec);
    assert_true(k.valid); /* a valid record: the size is judged by its users */
    assert_int_equal(k.bits, 512);
    mxd_dkim_key_clear(&k);
    free(small);
}

static void test_key_ed25519(void **state)
{
    (void)state;
    mxd_dkim_key k =
        parse_key("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
    assert_true(k.valid);
    assert_string_equal(k.key_type, "ed25519");
    assert_int_equal(k.bits, 256);
    mxd_dkim_key_clear(&k);
    /* 31 bytes is not an Ed25519 key */
    k = parse_key("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHUQ==");
    assert_false(k.valid);
    assert_non_null(strstr(k.problem, "ed25519"));
    mxd_dkim_key_clear(&k);
}

static void test_key_tags(void **state)
{
    (void)state;
    const char *ed = "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
    char rec[512];
    /* t= flags */
    snprintf(rec, sizeof rec, "v=DKIM1; k=ed25519; t=y:s; %s", ed);
    mxd_dkim_key k = parse_key(rec);
    assert_true(k.valid && k.testing && k.strict);
    mxd_dkim_key_clear(&k);
    snprintf(rec, sizeof rec, "k=ed25519; t=s; %s", ed);
    k = parse_key(rec);
    assert_true(k.valid && !k.testing && k.strict);
    mxd_dkim_key_clear(&k);
    /* h=: sha256 must be allowed */
    snprintf(rec, sizeof rec, "k=ed25519; h=sha1:sha256; %s", ed);
    k = parse_key(rec);
    assert_true(k.valid && k.sha256);
    mxd_dkim_key_clear(&k);
    snprintf(rec, sizeof rec, "k=ed25519; h=sha1; %s", ed);
    k = parse_key(rec);
    assert_false(k.valid || k.sha256);
    assert_non_null(strstr(k.problem, "sha256"));
    mxd_dkim_key_clear(&k);
    /* s=: email or * */
    snprintf(rec, sizeof rec, "k=ed25519; s=email:tlsrpt; %s", ed);
    k = parse_key(rec);
    assert_true(k.valid && k.email);
    mxd_dkim_key_clear(&k);
    snprintf(rec, sizeof rec, "k=ed25519; s=*; %s", ed);
    k = parse_key(rec);
    assert_true(k.valid);
    mxd_dkim_key_clear(&k);
    snprintf(rec, sizeof rec, "k=ed25519; s=tlsrpt; %s", ed);
    k = parse_key(rec);
    assert_false(k.valid || k.email);
    mxd_dkim_key_clear(&k);
    /* n= is a note; unknown tags are ignored */
    snprintf(rec, sizeof rec, "v=DKIM1; n=hello world; foo=bar; k=ed25519; %s", ed);
    k = parse_key(rec);
    assert_true(k.valid);
    mxd_dkim_key_clear(&k);
}

static void test_key_failures(void **state)
{
    (void)state;
    const struct {
        const char *rec, *why;
    } bad[] = {
        {"v=DKIM1; k=rsa", "no p="},
        {"v=DKIM1; k=rsa; p=", "revoked"},
        {"v=DKIM1; p=not base64!", "base64"},
        {"v=DKIM1; p=AAAA", "valid rsa"},
        {"v=DKIM2; p=AQAB", "DKIM1"},
        {"k=rsa; v=DKIM1; p=AQAB", "DKIM1"},
        {"v=DKIM1; k=dsa; p=AQAB", "unknown key type"},
        {"v=DKIM1; p=AQAB; p=AQAB", "twice"},
        {"v=DKIM1; p", "syntax"},
        {"v=DKIM1; 9=x; p=AQAB", "syntax"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        mxd_dkim_key k = parse_key(bad[i].rec);
        if (k.valid || !k.problem || !strstr(k.problem, bad[i].why))
            fail_msg("'%s': valid %d, problem '%s', expected '%s'", bad[i].rec, k.valid,
                     k.problem ? k.problem : "(none)", bad[i].why);
        mxd_dkim_key_clear(&k);
    }
    mxd_dkim_key k = parse_key("v=DKIM1; k=rsa; p=");
    assert_true(k.revoked);
    mxd_dkim_key_clear(&k);
    assert_int_equal(mxd_dkim_key_parse("v=DKIM1\0; p=AQAB", 16, &k), MXD_OK);
    assert_false(k.valid);
    mxd_dkim_key_clear(&k);
    char *big = calloc(1, MXD_DKIM_MAX_RECORD + 2);
    memset(big, 'a', MXD_DKIM_MAX_RECORD + 1);
    assert_int_equal(mxd_dkim_key_parse(big, MXD_DKIM_MAX_RECORD + 1, &k), MXD_ERR_TOOBIG);
    free(big);
}

static void collect(void *arg, const char *p, size_t n)
{
    buf_add(arg, p, n);
}

static char *canon_body(const char *body, int relaxed)
{
    static char out[256];
    buf b;
    buf_init(&b, 1024);
    size_t n = dkim_canon_body(body, strlen(body), relaxed, collect, &b);
    assert_int_equal(n, b.len);
    snprintf(out, sizeof out, "%s", buf_cstr(&b));
    buf_free(&b);
    return out;
}

/* RFC 6376 section 3.4.5 examples, and the empty-body rules */
static void test_canonicalization(void **state)
{
    (void)state;
    dkim_msg m;
    const char *msg = "A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n";
    assert_int_equal(dkim_msg_parse(msg, strlen(msg), &m), MXD_OK);
    assert_int_equal(m.nf, 2);
    buf h;
    buf_init(&h, 1024);
    for (size_t i = 0; i < m.nf; i++)
        dkim_canon_header(m.f[i].raw, m.f[i].len, 1, &h);
    assert_string_equal(buf_cstr(&h), "a:X\r\nb:Y Z\r\n");
    buf_reset(&h);
    for (size_t i = 0; i < m.nf; i++)
        dkim_canon_header(m.f[i].raw, m.f[i].len, 0, &h);
    assert_string_equal(buf_cstr(&h), "A: X\r\nB : Y\t\r\n\tZ  \r\n");
    buf_free(&h);
    char body[64];
    snprintf(body, sizeof body, "%.*s", (int)m.blen, m.body);
    assert_string_equal(canon_body(body, 1), " C\r\nD E\r\n");
    assert_string_equal(canon_body(body, 0), " C \r\nD \t E\r\n");
    dkim_msg_free(&m);
    assert_string_equal(canon_body("", 1), "");
    assert_string_equal(canon_body("", 0), "\r\n");
    assert_string_equal(canon_body("\r\n\r\n", 0), "\r\n");
    assert_string_equal(canon_body("\r\n  \r\n", 1), "");
    assert_string_equal(canon_body("no end", 0), "no end\r\n");
    /* LF line ends become CRLF; an mbox From line is skipped */
    const char *lf = "From ada@example.com Tue Nov 14 22:13:20 2023\nSubject: x\n\nbody\n";
    assert_int_equal(dkim_msg_parse(lf, strlen(lf), &m), MXD_OK);
    assert_int_equal(m.nf, 1);
    assert_true(dkim_field_is(&m.f[0], "SUBJECT"));
    assert_int_equal(m.f[0].len, strlen("Subject: x\r\n"));
    assert_int_equal(m.blen, 6);
    assert_memory_equal(m.body, "body\r\n", 6);
    dkim_msg_free(&m);
}

static void test_base64(void **state)
{
    (void)state;
    unsigned char out[16];
    size_t n;
    assert_int_equal(dkim_b64_decode("aGVs bG8=", 9, out, sizeof out, &n), 0);
    assert_int_equal(n, 5);
    assert_memory_equal(out, "hello", 5);
    assert_int_equal(dkim_b64_decode("aGVsbG8", 7, out, sizeof out, &n), 0); /* no padding */
    assert_int_equal(n, 5);
    assert_int_equal(dkim_b64_decode("aGVsbG8=\r\n", 10, out, sizeof out, &n), 0);
    assert_int_equal(dkim_b64_decode("aGV*bG8=", 8, out, sizeof out, &n), -1);
    assert_int_equal(dkim_b64_decode("aGVsbG8==x", 10, out, sizeof out, &n), -1);
    assert_int_equal(dkim_b64_decode("a", 1, out, sizeof out, &n), -1);
    assert_int_equal(dkim_b64_decode("aGVsbG8=", 8, out, 4, &n), -1); /* too long */
}

static void test_signers(void **state)
{
    (void)state;
    size_t len, n;
    char *msg = slurp("tests/fixtures/dkim/two-signatures.eml", &len);
    mxd_dkim_signer *v;
    assert_int_equal(mxd_dkim_signers(msg, len, &v, &n), MXD_OK);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].selector, "rsa2048");
    assert_string_equal(v[1].selector, "ed");
    assert_string_equal(v[1].domain, "example.com");
    mxd_dkim_signers_free(v, n);
    free(msg);
    /* duplicates once, upper case d= lowered, signatures without s= skipped */
    const char *m = "DKIM-Signature: d=EXAMPLE.net; s=a\r\nDKIM-Signature: d=example.net; s=a\r\n"
                    "DKIM-Signature: d=example.net\r\nFrom: x@example.net\r\n\r\n";
    assert_int_equal(mxd_dkim_signers(m, strlen(m), &v, &n), MXD_OK);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].domain, "example.net");
    mxd_dkim_signers_free(v, n);
    assert_int_equal(mxd_dkim_signers("Subject: x\n\n", 12, &v, &n), MXD_OK);
    assert_int_equal(n, 0);
    mxd_dkim_signers_free(v, n);
}

/* ---- verification against the test DNS server ---------------------------------------- */

static dnsd_server dnsd;

static int start(void **state)
{
    (void)state;
    char z1[512], z2[512];
    snprintf(z1, sizeof z1, "%s/tests/fixtures/dkim/keys.zone", srcdir());
    snprintf(z2, sizeof z2, "%s/tests/cli/cases/dkim-rfc8463/keys.zone", srcdir());
    const char *zones[] = {z1, z2, NULL};
    return dnsd_start(&dnsd, zones, NULL);
}

static int stop(void **state)
{
    (void)state;
    dnsd_stop(&dnsd);
    return 0;
}

static mxd_dkim_verify_report *verify_text(const char *msg, size_t len, long long now)
{
    mxd_dns_opts o = {0};
    o.servers = dnsd.addr;
    o.timeout_ms = 300;
    o.tries = 1;
    mxd_resolver *r;
    char why[200];
    assert_int_equal(mxd_resolver_new(&o, &r, why, sizeof why), MXD_OK);
    mxd_dkim_verify_opts vo = {now};
    mxd_dkim_verify_report *rep = NULL;
    assert_int_equal(mxd_dkim_verify(r, msg, len, &vo, &rep), MXD_OK);
    mxd_resolver_free(r);
    return rep;
}

static mxd_dkim_verify_report *verify_file(const char *name, long long now)
{
    char rel[256];
    size_t len;
    snprintf(rel, sizeof rel, "tests/fixtures/dkim/%s", name);
    char *msg = slurp(rel, &len);
    mxd_dkim_verify_report *rep = verify_text(msg, len, now);
    free(msg);
    return rep;
}

/* expect - the first signature of a fixture has this result and reason. */
static void expect(const char *file, long long now, mxd_dkim_result want, const char *why)
{
    mxd_dkim_verify_report *rep = verify_file(file, now);
    if (rep->nsigs < 1)
        fail_msg("%s: no signature", file);
    const mxd_dkim_sig *s = &rep->sigs[0];
    if (s->result != want || (why && (!s->reason || !strstr(s->reason, why))))
        fail_msg("%s: %s (%s), expected %s (%s)", file, mxd_dkim_result_name(s->result),
                 s->reason ? s->reason : "-", mxd_dkim_result_name(want), why ? why : "-");
    mxd_dkim_verify_report_free(rep);
}

static void test_verify_pass(void **state)
{
    (void)state;
    const long long now = 1700001000;
    mxd_dkim_verify_report *rep = verify_file("two-signatures.eml", now);
    assert_int_equal(rep->nsigs, 2);
    assert_int_equal(rep->npass, 2);
    assert_string_equal(rep->from_domain, "example.com");
    assert_string_equal(rep->sigs[0].canon, "simple/simple");
    assert_string_equal(rep->sigs[1].algorithm, "ed25519-sha256");
    assert_int_equal(rep->sigs[1].key_bits, 256);
    assert_int_equal(rep->sigs[0].body_hash_ok, 1);
    mxd_dkim_verify_report_free(rep);
    rep = verify_file("two-signatures-lf.eml", now);
    assert_int_equal(rep->npass, 2);
    mxd_dkim_verify_report_free(rep);
    expect("relaxed-rsa.eml", now, MXD_DKIM_PASS, NULL);
    expect("body-length.eml", now, MXD_DKIM_PASS, NULL);
    expect("short-key.eml", now, MXD_DKIM_PASS, NULL);
    rep = verify_file("testing-key.eml", now);
    assert_int_equal(rep->sigs[0].result, MXD_DKIM_PASS);
    assert_true(rep->sigs[0].key_testing);
    mxd_dkim_verify_report_free(rep);
    rep = verify_file("unsigned.eml", now);
    assert_int_equal(rep->nsigs, 0);
    mxd_dkim_verify_report_free(rep);
}

static void test_verify_failures(void **state)
{
    (void)state;
    const long long now = 1700001000;
    expect("changed-body.eml", now, MXD_DKIM_FAIL, "body hash");
    expect("changed-header.eml", now, MXD_DKIM_FAIL, "signature did not verify");
    expect("expired.eml", 1700009999, MXD_DKIM_FAIL, "expired");
    expect("weak-key.eml", now, MXD_DKIM_PERMERROR, "512 bits");
    expect("revoked.eml", now, MXD_DKIM_PERMERROR, "revoked");
    expect("no-key.eml", now, MXD_DKIM_PERMERROR, "no key record");
    expect("no-from-signed.eml", now, MXD_DKIM_PERMERROR, "From");
    expect("identity-outside.eml", now, MXD_DKIM_PERMERROR, "not within");
    expect("strict-subdomain.eml", now, MXD_DKIM_PERMERROR, "t=s");
    expect("dns-timeout.eml", now, MXD_DKIM_TEMPERROR, "timeout");
    expect("rsa-sha1.eml", now, MXD_DKIM_NEUTRAL, "RFC 8301");
}

/* edit - the fixture with the first occurrence of from replaced by to. */
static char *edit(const char *file, const char *from, const char *to, size_t *len)
{
    char rel[256];
    size_t n;
    snprintf(rel, sizeof rel, "%s", file);
    char *msg = slurp(rel, &n);
    char *at = strstr(msg, from);
    if (!at)
        fail_msg("%s: '%s' not found", file, from);
    size_t fl = strlen(from), tl = strlen(to);
    char *out = malloc(n - fl + tl + 1);
    size_t pre = (size_t)(at - msg);
    memcpy(out, msg, pre);
    memcpy(out + pre, to, tl);
    memcpy(out + pre + tl, at + fl, n - pre - fl);
    *len = n - fl + tl;
    out[*len] = 0;
    free(msg);
    return out;
}

static mxd_dkim_result first_result(const char *file, const char *from, const char *to,
                                    char **reason)
{
    size_t len;
    char *m = edit(file, from, to, &len);
    mxd_dkim_verify_report *rep = verify_text(m, len, 1700001000);
    free(m);
    assert_true(rep->nsigs >= 1);
    mxd_dkim_result r = rep->sigs[0].result;
    if (reason)
        *reason = rep->sigs[0].reason ? strdup(rep->sigs[0].reason) : NULL;
    mxd_dkim_verify_report_free(rep);
    return r;
}

static void test_verify_rfc8463(void **state)
{
    (void)state;
    const char *f = "tests/cli/cases/dkim-rfc8463/message.eml";
    size_t len;
    char *msg = slurp(f, &len);
    mxd_dkim_verify_report *rep = verify_text(msg, len, 0);
    free(msg);
    assert_int_equal(rep->nsigs, 2);
    assert_int_equal(rep->sigs[0].result, MXD_DKIM_PASS);
    assert_int_equal(rep->sigs[1].result, MXD_DKIM_PASS);
    assert_int_equal(rep->sigs[1].key_bits, 1024);
    mxd_dkim_verify_report_free(rep);
    /* the example signs From twice: a From added on top breaks both signatures */
    assert_int_equal(
        first_result(f, "From: Joe", "From: Mallory <m@evil.example>\r\nFrom: Joe", NULL),
        MXD_DKIM_FAIL);
    /* an unsigned field may be added */
    assert_int_equal(first_result(f, "Message-ID:", "X-Mailer: any\r\nMessage-ID:", NULL),
                     MXD_DKIM_PASS);
    /* the body changed */
    char *why = NULL;
    assert_int_equal(first_result(f, "hungry", "angry", &why), MXD_DKIM_FAIL);
    assert_non_null(strstr(why, "body hash"));
    free(why);
    /* tag-level problems */
    assert_int_equal(first_result(f, "s=brisbane;", "s=brisbane; s=brisbane;", NULL),
                     MXD_DKIM_PERMERROR);
    assert_int_equal(first_result(f, "v=1; a=ed25519", "v=2; a=ed25519", NULL), MXD_DKIM_NEUTRAL);
    assert_int_equal(first_result(f, "a=ed25519-sha256", "a=ed448-sha256", NULL), MXD_DKIM_NEUTRAL);
    assert_int_equal(first_result(f, "c=relaxed/relaxed", "c=relaxed/fancy", NULL),
                     MXD_DKIM_NEUTRAL);
    assert_int_equal(first_result(f, "q=dns/txt", "q=http", NULL), MXD_DKIM_NEUTRAL);
    assert_int_equal(first_result(f, "bh=2jUSOH9Nht", "bh=*jUSOH9Nht", NULL), MXD_DKIM_PERMERROR);
    assert_int_equal(first_result(f, "b=/gCrinpc", "b=*gCrinpc", NULL), MXD_DKIM_PERMERROR);
    assert_int_equal(first_result(f, "t=1528637909; h", "t=1528637909; x=1528637000; h", NULL),
                     MXD_DKIM_PERMERROR); /* x= before t= */
    assert_int_equal(first_result(f, "t=1528637909; h", "t=1528637909; l=99999; h", &why),
                     MXD_DKIM_PERMERROR); /* l= longer than the body */
    assert_non_null(strstr(why, "l="));
    free(why);
    assert_int_equal(first_result(f, "t=1528637909; h", "t=1528637909; l=abc; h", NULL),
                     MXD_DKIM_PERMERROR);
    assert_int_equal(first_result(f, " d=football.example.com; i=@football.example.com;\r\n",
                                  " i=@football.example.com;\r\n", &why),
                     MXD_DKIM_PERMERROR); /* no d= */
    assert_non_null(strstr(why, "d="));
    free(why);
    /* the Ed25519 signature checked against the RSA key: wrong type */
    assert_int_equal(first_result(f, "s=brisbane;", "s=test;", &why), MXD_DKIM_PERMERROR);
    assert_non_null(strstr(why, "k=rsa"));
    free(why);
}

static void test_verify_limits(void **state)
{
    (void)state;
    mxd_dns_opts o = {0};
    o.servers = dnsd.addr;
    mxd_resolver *r;
    assert_int_equal(mxd_resolver_new(&o, &r, NULL, 0), MXD_OK);
    mxd_dkim_verify_report *rep = NULL;
    assert_int_equal(mxd_dkim_verify(r, "", 0, NULL, &rep), MXD_ERR_EMPTY);
    /* more signatures than the limit: only the first ones are checked */
    buf b;
    buf_init(&b, 1 << 20);
    for (int i = 0; i < MXD_DKIM_MAX_SIGNATURES + 3; i++)
        buf_adds(&b, "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=x; h=from; "
                     "bh=AAAA; b=AAAA\r\n");
    buf_adds(&b, "From: a@example.com\r\n\r\nbody\r\n");
    assert_int_equal(mxd_dkim_verify(r, b.ptr, b.len, NULL, &rep), MXD_OK);
    assert_int_equal(rep->nsigs, MXD_DKIM_MAX_SIGNATURES);
    assert_true(rep->truncated);
    for (size_t i = 0; i < rep->nsigs; i++)
        assert_int_equal(rep->sigs[i].result, MXD_DKIM_PERMERROR); /* bh= is not SHA-256 */
    mxd_dkim_verify_report_free(rep);
    buf_free(&b);
    mxd_resolver_free(r);
}

static void test_keys_lookup(void **state)
{
    (void)state;
    mxd_dns_opts o = {0};
    o.servers = dnsd.addr;
    o.timeout_ms = 300;
    o.tries = 1;
    mxd_resolver *r;
    assert_int_equal(mxd_resolver_new(&o, &r, NULL, 0), MXD_OK);
    mxd_kb *kb;
    assert_int_equal(mxd_kb_open(&kb), MXD_OK);
    mxd_dkim_keys_report *rep = NULL;
    assert_int_equal(mxd_dkim_keys(r, kb, "example.com", NULL, 0, &rep), MXD_OK);
    assert_true(rep->probed);
    assert_int_equal(rep->nfound, 3); /* selector1, selector2, google */
    int weak = 0, shortk = 0, testing = 0;
    for (size_t i = 0; i < rep->nfindings; i++) {
        weak |= !strcmp(rep->findings[i].code, "dkim-key-weak");
        shortk |= !strcmp(rep->findings[i].code, "dkim-key-short");
        testing |= !strcmp(rep->findings[i].code, "dkim-key-testing");
    }
    assert_true(weak && shortk && testing);
    assert_int_equal(rep->findings[0].severity, MXD_SEV_ERROR);
    mxd_dkim_keys_report_free(rep);
    const char *sel[] = {"ed", "slow", "nope"};
    assert_int_equal(mxd_dkim_keys(r, NULL, "example.com", sel, 3, &rep), MXD_OK);
    assert_int_equal(rep->nkeys, 3);
    assert_true(rep->keys[0].valid);
    assert_int_equal(rep->keys[1].status, MXD_DNS_TIMEOUT);
    assert_int_equal(rep->keys[2].status, MXD_DNS_NXDOMAIN);
    mxd_dkim_keys_report_free(rep);
    /* no key at the common selectors */
    assert_int_equal(mxd_dkim_keys(r, kb, "nothing.example", NULL, 0, &rep), MXD_OK);
    assert_int_equal(rep->nfound, 0);
    assert_string_equal(rep->findings[0].code, "dkim-none-found");
    mxd_dkim_keys_report_free(rep);
    const char *badsel[] = {"bad selector"};
    assert_int_equal(mxd_dkim_keys(r, NULL, "example.com", badsel, 1, &rep), MXD_ERR_INVALID);
    assert_int_equal(mxd_dkim_keys(r, NULL, "example", sel, 1, &rep), MXD_ERR_INVALID);
    mxd_kb_free(kb);
    mxd_resolver_free(r);
}

int main(void)
{
    const struct CMUnitTest offline[] = {
        cmocka_unit_test(test_key_rsa_forms),    cmocka_unit_test(test_key_ed25519),
        cmocka_unit_test(test_key_tags),         cmocka_unit_test(test_key_failures),
        cmocka_unit_test(test_canonicalization), cmocka_unit_test(test_base64),
        cmocka_unit_test(test_signers),
    };
    const struct CMUnitTest live[] = {
        cmocka_unit_test(test_verify_pass),    cmocka_unit_test(test_verify_failures),
        cmocka_unit_test(test_verify_rfc8463), cmocka_unit_test(test_verify_limits),
        cmocka_unit_test(test_keys_lookup),
    };
    int rc = cmocka_run_group_tests_name("dkim", offline, NULL, NULL);
    if (start(NULL)) {
        fprintf(stderr, "SKIP: the test DNS server cannot start: no verification tests\n");
        dnsd_stop(&dnsd);
        return rc;
    }
    stop(NULL);
    rc |= cmocka_run_group_tests_name("dkim-dns", live, start, stop);
    return rc;
}
