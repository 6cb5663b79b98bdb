/* test_util.c - unit tests for lib/util: capped buffer, string helpers
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE 1 /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "util/buf.h"
#include "util/date.h"
#include "util/str.h"

static void test_buf_append_and_cap(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 10);
    assert_int_equal(buf_adds(&b, "hello"), MXD_OK);
    assert_int_equal(buf_printf(&b, "%d", 1234), MXD_OK);
    assert_string_equal(buf_cstr(&b), "hello1234");
    assert_int_equal(b.len, 9);
    /* passing the cap frees the buffer and reports it */
    assert_int_equal(buf_adds(&b, "xy"), MXD_ERR_TOOBIG);
    assert_null(b.ptr);
    assert_int_equal(b.len, 0);
    assert_string_equal(buf_cstr(&b), "");
    buf_free(&b);
}

static void test_buf_steal(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 1000);
    char *empty = buf_steal(&b);
    assert_non_null(empty);
    assert_string_equal(empty, "");
    free(empty);
    assert_int_equal(buf_printf(&b, "%s-%s", "a", "b"), MXD_OK);
    char *s = buf_steal(&b);
    assert_string_equal(s, "a-b");
    assert_null(b.ptr);
    free(s);
}

static void test_buf_long_printf(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 100000);
    char big[1000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    assert_int_equal(buf_printf(&b, "<%s>", big), MXD_OK);
    assert_int_equal(b.len, 1001);
    assert_int_equal(b.ptr[0], '<');
    assert_int_equal(b.ptr[1000], '>');
    buf_free(&b);
}

static void test_casefind(void **state)
{
    (void)state;
    const char *h = "Access Denied, traffic NOT accepted";
    assert_ptr_equal(str_casefind(h, strlen(h), "not ACCEPTED", 12), h + 23);
    assert_null(str_casefind(h, strlen(h), "refused", 7));
    assert_null(str_casefind(h, 3, "Access", 6)); /* length respected */
    /* the rarest byte (here 'x', 'q', 'z') anchors the search: at either end of the hay */
    const char *x = "xab abcx";
    assert_ptr_equal(str_casefind(x, 8, "XA", 2), x);
    assert_ptr_equal(str_casefind(x, 8, "CX", 2), x + 6);
    assert_null(str_casefind(x, 7, "CX", 2));
}

/* naive_casefind - the obvious search, the reference for str_casefind(). */
static const char *naive_casefind(const char *h, size_t hl, const char *n, size_t nl)
{
    for (size_t i = 0; i + nl <= hl; i++) {
        size_t j = 0;
        while (j < nl && str_tolower((unsigned char)h[i + j]) == str_tolower((unsigned char)n[j]))
            j++;
        if (j == nl)
            return h + i;
    }
    return NULL;
}

static void test_casefind_random(void **state)
{
    (void)state;
    /* small alphabets make partial matches common; rare and common bytes both appear */
    static const char alpha[] = "aAeExXqQ 5.z\n";
    unsigned seed = 7;
    char h[100], n[6];
    for (int t = 0; t < 50000; t++) {
        seed = seed * 1103515245u + 12345u;
        size_t hl = (seed >> 16) % sizeof h;
        seed = seed * 1103515245u + 12345u;
        size_t nl = (seed >> 16) % sizeof n;
        for (size_t i = 0; i < hl; i++) {
            seed = seed * 1103515245u + 12345u;
            h[i] = alpha[(seed >> 16) % (sizeof alpha - 1)];
        }
        for (size_t i = 0; i < nl; i++) {
            seed = seed * 1103515245u + 12345u;
            n[i] = alpha[(seed >> 16) % (sizeof alpha - 1)];
        }
        assert_ptr_equal(str_casefind(h, hl, n, nl), naive_casefind(h, hl, n, nl));
        assert_ptr_equal(str_nl(h, hl), memchr(h, '\n', hl));
        /* str_find: the exact search, against memmem */
        assert_ptr_equal(str_find(h, hl, n, nl), nl ? memmem(h, hl, n, nl) : h);
        /* str_caseeq agrees with an equal-length naive search */
        int eq = hl == nl && naive_casefind(h, hl, n, nl) == h;
        char z[sizeof n + 1];
        memcpy(z, n, nl);
        z[nl] = 0;
        assert_int_equal(str_caseeq(h, hl, z), eq);
    }
}

static void test_glob(void **state)
{
    (void)state;
    const char *host = "DM6NAM12FT034.eop-nam12.prod.protection.outlook.com";
    assert_true(str_glob_match(host, strlen(host), "*.prod.protection.outlook.com"));
    assert_true(str_glob_match(host, strlen(host), "*.eop-*.prod.protection.outlook.com"));
    assert_false(str_glob_match(host, strlen(host), "*.mail.protection.outlook.com"));
    assert_false(str_glob_match("outlook.com", 11, "*.outlook.com"));
    const char *t = "550 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen";
    assert_true(str_glob_find(t, strlen(t), "client host * blocked using"));
    assert_true(str_glob_find(t, strlen(t), "SERVICE UNAVAILABLE"));
    assert_false(str_glob_find(t, strlen(t), "blocked using * spamcop"));
    assert_true(str_glob_find(t, strlen(t), "*"));
    /* the literal prefix occurs several times: only the first occurrence is tried, and the
     * answer is the same as trying each */
    const char *m = "mailbox one, Mailbox two: MAILBOX is full";
    assert_true(str_glob_find(m, strlen(m), "mailbox*is full"));
    assert_true(str_glob_find(m, strlen(m), "mailbox two*full"));
    assert_false(str_glob_find(m, strlen(m), "mailbox*is empty"));
    assert_false(str_glob_find(m, strlen(m), "is full*mailbox"));
    assert_true(str_glob_find(m, strlen(m), "is full"));
    assert_false(str_glob_find(m, 12, "mailbox*full")); /* length respected */
}

static void test_glob_worst_case_terminates(void **state)
{
    (void)state;
    /* many stars against a long near-miss text: must finish (no exponential backtracking) */
    size_t n = 20000;
    char *t = malloc(n + 1);
    memset(t, 'a', n);
    t[n] = 0;
    assert_false(str_glob_find(t, n, "a*a*a*a*a*a*a*a*b"));
    assert_false(str_glob_match(t, n, "*a*a*a*a*a*a*a*a*b"));
    free(t);
}

/* str_utf8_put: each length of UTF-8 at its edges, and what is no Unicode scalar value. */
static void test_utf8_put(void **state)
{
    (void)state;
    static const struct {
        unsigned long cp;
        const char *want;
    } t[] = {{0x41, "A"},
             {0x7F, "\x7f"},
             {0x80, "\xc2\x80"},
             {0xE4, "\xc3\xa4"},
             {0x7FF, "\xdf\xbf"},
             {0x800, "\xe0\xa0\x80"},
             {0x20AC, "\xe2\x82\xac"},
             {0xFFFD, "\xef\xbf\xbd"},
             {0x10000, "\xf0\x90\x80\x80"},
             {0x10FFFF, "\xf4\x8f\xbf\xbf"},
             {0, ""},
             {0xD800, ""},
             {0xDFFF, ""},
             {0x110000, ""}};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        char out[4];
        size_t n = str_utf8_put(t[i].cp, out);
        assert_int_equal(n, strlen(t[i].want));
        assert_memory_equal(out, t[i].want, n);
    }
}

static void test_parse_uint(void **state)
{
    (void)state;
    unsigned long v;
    assert_int_equal(str_parse_uint("708", 3, 999, &v), 0);
    assert_int_equal(v, 708);
    assert_int_equal(str_parse_uint("1000", 4, 999, &v), -1);
    assert_int_equal(str_parse_uint("7a", 2, 999, &v), -1);
    assert_int_equal(str_parse_uint("", 0, 999, &v), -1);
    assert_int_equal(str_parse_uint("99999999999999999999999", 23, (unsigned long)-1, &v), -1);
    /* a limit below 9: max - digit wrapped around and "9" passed a limit of 5 */
    assert_int_equal(str_parse_uint("9", 1, 5, &v), -1);
    assert_int_equal(str_parse_uint("5", 1, 5, &v), 0);
    assert_int_equal(v, 5);
    assert_int_equal(str_parse_uint("0", 1, 0, &v), 0);
    assert_int_equal(str_parse_uint("1", 1, 0, &v), -1);
}

/* dot-atoms (a local part that needs no quotes) and month names */
static void test_dot_atom_and_month(void **state)
{
    (void)state;
    assert_true(str_dot_atom("bob", 3));
    assert_true(str_dot_atom("bob.smith+tag", 13));
    assert_true(str_dot_atom("o'neil{1}", 9));
    assert_true(str_dot_atom("j\xc3\xb6rg", 5));
    assert_false(str_dot_atom("", 0));
    assert_false(str_dot_atom(".bob", 4));
    assert_false(str_dot_atom("bob.", 4));
    assert_false(str_dot_atom("a..b", 4));
    assert_false(str_dot_atom("fay doe", 7));
    assert_false(str_dot_atom("a@b", 3));
    assert_false(str_dot_atom("a\"b", 3));
    assert_int_equal(date_month("Jan"), 1);
    assert_int_equal(date_month("dEC"), 12);
    assert_int_equal(date_month("may"), 5);
    assert_int_equal(date_month("Mon"), 0);
    assert_int_equal(date_month("ja1"), 0);
}

static void test_utf8_valid(void **state)
{
    (void)state;
    size_t bad = 99;
    /* str_utf8_cut: never inside a character ("é" is two bytes, "😀" four) */
    assert_int_equal(str_utf8_cut("abc", 3, 5), 3);
    assert_int_equal(str_utf8_cut("a\303\251b", 4, 2), 1);
    assert_int_equal(str_utf8_cut("a\303\251b", 4, 3), 3);
    assert_int_equal(str_utf8_cut("\360\237\230\200x", 5, 3), 0);
    assert_true(str_utf8_valid("plain", 5, &bad));
    assert_true(str_utf8_valid("\303\251t\303\251 \342\234\223 \360\237\230\200", 14, NULL));
    assert_false(str_utf8_valid("ab\351", 3, &bad)); /* Latin-1 */
    assert_int_equal(bad, 2);
    assert_false(str_utf8_valid("\300\200", 2, &bad)); /* overlong NUL */
    assert_int_equal(bad, 0);
    assert_false(str_utf8_valid("\355\240\200", 3, &bad));     /* surrogate U+D800 */
    assert_false(str_utf8_valid("\364\220\200\200", 4, &bad)); /* above U+10FFFF */
    assert_false(str_utf8_valid("x\342\234", 3, &bad));        /* cut short */
    assert_int_equal(bad, 1);
    /* past and inside the ASCII runs read eight bytes at a time */
    assert_false(str_utf8_valid("0123456789abcdef\351", 17, &bad));
    assert_int_equal(bad, 16);
    assert_false(str_utf8_valid("0123456\351abcdefgh", 16, &bad));
    assert_int_equal(bad, 7);
    assert_true(str_utf8_valid("0123456789\303\251abcdefghijk", 23, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_append_and_cap),
        cmocka_unit_test(test_buf_steal),
        cmocka_unit_test(test_buf_long_printf),
        cmocka_unit_test(test_casefind),
        cmocka_unit_test(test_casefind_random),
        cmocka_unit_test(test_glob),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_dot_atom_and_month),
        cmocka_unit_test(test_glob_worst_case_terminates),
        cmocka_unit_test(test_utf8_put),
        cmocka_unit_test(test_parse_uint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
