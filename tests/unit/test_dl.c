/* test_dl.c - unit tests for lib/util/dl.c: libarchive and GMime loaded on first use, and
 * what an input gets when they cannot be
 * SPDX-License-Identifier: MIT
 *
 * main() points the libraries at sonames that do not exist before anything loads them: a
 * compressed log then fails to open with MXD_ERR_NOLIB and a reason naming the file and the
 * library; a bounce that needs MIME decoding gives MXD_ERR_NOLIB and no record, while one that
 * needs none is read as usual; the decoders say MXD_ERR_NOLIB and leave text that needs no
 * decoding alone; a DMARC aggregate report without expat and a gzip report without libarchive
 * say MXD_ERR_NOLIB too. (The working path, with the real libraries, is every other test: the
 * bounce and log tests, tests/cli/cases/bounce-mime-decoded and log-compressed-rotated.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log/log_internal.h"
#include "mail/mail_internal.h"
#include "report/report_internal.h"
#include "util/archive.h"
#include "util/dl.h"
#include "mxdiag/bounce.h"
#include "mxdiag/log.h"
#include "mxdiag/report.h"
#include "kb_helper.h"
#include "tmpdir_helper.h"

#define NO_ARCHIVE "libmxd-test-absent-archive.so.13"
#define NO_GMIME   "libmxd-test-absent-gmime.so.0"
#define NO_EXPAT   "libmxd-test-absent-expat.so.1"

/* "Mar  5 10:00:01 mx postfix/smtp[1]: hello\n", gzip -n */
static const unsigned char gz[] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xf3, 0x4d, 0x2c, 0x52, 0x50,
    0x30, 0x55, 0x30, 0x34, 0xb0, 0x32, 0x00, 0x22, 0x43, 0x85, 0xdc, 0x0a, 0x85, 0x82, 0xfc,
    0xe2, 0x92, 0xb4, 0xcc, 0x0a, 0xfd, 0xe2, 0xdc, 0x92, 0x82, 0x68, 0xc3, 0x58, 0x2b, 0x85,
    0x8c, 0xd4, 0x9c, 0x9c, 0x7c, 0x2e, 0x00, 0x10, 0xad, 0x65, 0x21, 0x2a, 0x00, 0x00, 0x00};

static int on_rec(void *arg, const mxd_bounce_record *r)
{
    (void)r;
    (*(size_t *)arg)++;
    return 0;
}

static char *slurp(const char *name, size_t *len)
{
    const char *src = getenv("MXD_SOURCE_DIR");
    char p[4096];
    snprintf(p, sizeof p, "%s/tests/fixtures/bounces/%s", src ? src : ".", name);
    FILE *f = fopen(p, "rb");
    if (!f)
        fail_msg("cannot open %s (set MXD_SOURCE_DIR)", p);
    static char data[1 << 16];
    *len = fread(data, 1, sizeof data, f);
    fclose(f);
    return data;
}

static int setup(void **state)
{
    return kb_setup(state) || tmpdir_make("dl") ? -1 : 0;
}

static int teardown(void **state)
{
    return kb_teardown(state) | tmpdir_remove();
}

static void test_nothing_failed_yet(void **state)
{
    (void)state;
    /* (runs first) without a failed load, the code's own text */
    assert_null(dl_last_error());
    assert_string_equal(mxd_strerror(MXD_ERR_NOLIB),
                        "a shared library this input needs could not be loaded");
}

static void test_missing_function(void **state)
{
    (void)state;
    dl_lib l = {"libc.so.6", "to test", NULL, NULL, ""};
    assert_int_equal(dl_open(&l), 0);
    int (*f)(void) = NULL;
    size_t (*len)(const char *) = NULL;
    DL_SYM(&l, len, "strlen");
    DL_SYM(&l, f, "mxd_no_such_function");
    assert_non_null(len);
    assert_null(f);
    assert_int_equal(dl_done(&l), -1);
    assert_null(l.handle);
    assert_string_equal(l.why, "libc.so.6 could not be loaded (needed to test): it has no "
                               "function mxd_no_such_function");
    assert_string_equal(mxd_strerror(MXD_ERR_NOLIB), l.why);
}

static void test_compressed_log_without_libarchive(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/mail.log.1.gz", tmpdir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(gz, 1, sizeof gz, f), sizeof gz);
    assert_int_equal(fclose(f), 0);
    mxd_log_input_opts o = {.year = 2024};
    mxd_log_input *in = NULL;
    char why[1024] = "";
    for (int i = 0; i < 2; i++) { /* the second time from what the first load left */
        assert_int_equal(mxd_log_input_open(path, &o, &in, why, sizeof why), MXD_ERR_NOLIB);
        assert_null(in);
        assert_non_null(strstr(why, path));
        assert_non_null(strstr(why, NO_ARCHIVE " could not be loaded (needed to read "
                                               "compressed logs): "));
        assert_null(strchr(why, '\n'));
    }
    assert_non_null(strstr(mxd_strerror(MXD_ERR_NOLIB), NO_ARCHIVE " could not be loaded"));
    /* a plain log needs no libarchive */
    char plain[512];
    assert_int_equal(
        tmpdir_file("mail.log", "Mar  5 10:00:01 mx postfix/smtp[1]: hello\n", plain, sizeof plain),
        0);
    assert_int_equal(mxd_log_input_open(plain, &o, &in, why, sizeof why), MXD_OK);
    mxd_log_line line;
    assert_int_equal(mxd_log_input_next(in, &line, why, sizeof why), MXD_OK);
    assert_string_equal(line.msg, "hello");
    mxd_log_input_close(in);
}

static int on_doc(void *arg, const char *name, const char *data, size_t len)
{
    (void)name, (void)data, (void)len;
    (*(int *)arg)++;
    return 0;
}

/* A DMARC aggregate report without expat, a gzip report without libarchive: MXD_ERR_NOLIB and
 * the library named; a plain report is still handed out. */
static void test_reports_without_expat_or_libarchive(void **state)
{
    (void)state;
    char why[1024] = "";
    mxd_dmarc_agg *r = NULL;
    const char *x = "<feedback/>";
    assert_int_equal(mxd_dmarc_agg_parse(x, strlen(x), &r, why, sizeof why), MXD_ERR_NOLIB);
    assert_null(r);
    assert_non_null(strstr(why, NO_EXPAT " could not be loaded (needed to read DMARC aggregate "
                                         "reports): "));
    int n = 0;
    assert_int_equal(
        mxd_report_unpack((const char *)gz, sizeof gz, "r.xml.gz", on_doc, &n, why, sizeof why),
        MXD_ERR_NOLIB);
    assert_int_equal(n, 0);
    assert_non_null(strstr(why, "r.xml.gz: " NO_ARCHIVE " could not be loaded"));
    assert_int_equal(mxd_report_unpack(x, strlen(x), "r.xml", on_doc, &n, why, sizeof why), MXD_OK);
    assert_int_equal(n, 1);
}

static void test_bounce_without_gmime(void **state)
{
    (void)state;
    mxd_bounce_ctx *bc;
    assert_int_equal(mxd_bounce_new(kb, 0, &bc), MXD_OK);
    size_t len, n = 99, calls = 0;
    /* base64 DSN, quoted-printable text, RFC 2047 subject: no record, the reason said */
    const char *d = slurp("encoded-crlf.eml", &len);
    assert_int_equal(mxd_bounce_parse(bc, d, len, "e", on_rec, &calls, &n), MXD_ERR_NOLIB);
    assert_int_equal(n, 0);
    assert_int_equal(calls, 0);
    assert_non_null(strstr(mxd_strerror(MXD_ERR_NOLIB), NO_GMIME " could not be loaded (needed "
                                                                 "to decode MIME"));
    /* quoted-printable ISO-8859-1 text: the same */
    d = slurp("exim-qp-latin1.eml", &len);
    assert_int_equal(mxd_bounce_parse(bc, d, len, "q", on_rec, &calls, &n), MXD_ERR_NOLIB);
    assert_int_equal(calls, 0);
    /* the same context then reads a bounce that needs no decoding */
    d = slurp("postfix-dsn.eml", &len);
    assert_int_equal(mxd_bounce_parse(bc, d, len, "p", on_rec, &calls, &n), MXD_OK);
    assert_int_equal(n, 1);
    assert_int_equal(calls, 1);
    mxd_bounce_free(bc);
}

static void test_decoders_without_gmime(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 4096);
    mail_conv_cache cc;
    memset(&cc, 0, sizeof cc);
    /* no decoding needed: no GMime needed */
    assert_int_equal(mail_decode_body("plain text", 10, MAIL_CTE_7BIT, "utf-8", &b, &cc), MXD_OK);
    assert_string_equal(buf_cstr(&b), "plain text");
    buf_reset(&b);
    assert_int_equal(mail_to_utf8("ascii", 5, "iso-8859-1", &b, &cc), MXD_OK);
    assert_string_equal(buf_cstr(&b), "ascii");
    char *h = mail_decode_header("no encoded words", &cc);
    assert_string_equal(h, "no encoded words");
    free(h);
    assert_int_equal(cc.nolib, 0);
    /* decoding needed: MXD_ERR_NOLIB, and the cache says so */
    buf_reset(&b);
    assert_int_equal(mail_decode_body("SGVsbG8=", 8, MAIL_CTE_BASE64, "", &b, &cc), MXD_ERR_NOLIB);
    assert_int_equal(cc.nolib, 1);
    cc.nolib = 0;
    assert_int_equal(mail_decode_body("a=3Db", 5, MAIL_CTE_QP, "", &b, NULL), MXD_ERR_NOLIB);
    assert_int_equal(mail_to_utf8("caf\xe9", 4, "iso-8859-1", &b, &cc), MXD_ERR_NOLIB);
    assert_int_equal(cc.nolib, 1);
    cc.nolib = 0;
    h = mail_decode_header("=?UTF-8?B?w6k=?= x", &cc);
    assert_string_equal(h, "=?UTF-8?B?w6k=?= x"); /* as written */
    free(h);
    assert_int_equal(cc.nolib, 1);
    mail_conv_cache_free(&cc); /* nothing was opened */
    buf_free(&b);
}

int main(void)
{
    /* before anything loads them */
    la_lib.soname = NO_ARCHIVE;
    mail_gmime_lib.soname = NO_GMIME;
    report_expat_lib.soname = NO_EXPAT;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_failed_yet),
        cmocka_unit_test(test_missing_function),
        cmocka_unit_test(test_compressed_log_without_libarchive),
        cmocka_unit_test(test_reports_without_expat_or_libarchive),
        cmocka_unit_test(test_bounce_without_gmime),
        cmocka_unit_test(test_decoders_without_gmime),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
