/* test_match.c - unit tests for lib/util/match.c: the one-pass matcher agrees with
 * str_glob_find(), pattern by pattern, on crafted and random texts
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "util/match.h"
#include "util/str.h"

/* Patterns of every shape: short and long first pieces, several pieces, leading and
 * trailing '*', pieces that overlap, upper case (matched without regard to case), short
 * first pieces that several patterns share. */
static const char *const pats[] = {
    "user unknown",
    "unknown",
    "no such user",
    "5.1.1",
    "mailbox*full",
    "ab",
    "a*b*c",
    "*quota",
    "over quota*",
    "550*5.7.1*spam",
    "x",
    "aaaa",
    "aa*aa",
    "Blocked",
    "tss04",
    "spamhaus*zen",
    "on*the*list",
    "abcd",
    "abce",
    "\"quoted\"",
    "q",
    "**",
    "e*e*e*e*e*e*e*e*e*e*e*e*e*e*e*e*e*e",
    /* short first pieces shared (one search each; patterns behind an absent one skipped) */
    "ouk*_416",
    "ouk*_418",
    "ab*zz",
    "e*q",
    "OUK",
    /* a long first piece: compared past its first four bytes eight at a time, then by byte */
    "no such user at all",
    "recipient address rejected",
};
enum { NPATS = sizeof pats / sizeof *pats };

/* check - bmatch_all() and bmatch_first() against str_glob_find() on one text. */
static void check(const bmatch *m, const char *text, size_t len)
{
    char *low = malloc(len ? len : 1);
    assert_non_null(low);
    bmatch_lower(text, len, low);
    unsigned char hit[NPATS];
    bmatch_all(m, low, len, hit);
    long first = -1;
    for (size_t i = 0; i < NPATS; i++) {
        int want = str_glob_find(text, len, pats[i]) != 0;
        if (want != hit[i])
            fail_msg("pattern '%s' in '%.*s': want %d, got %d", pats[i], (int)len, text, want,
                     hit[i]);
        if (want && first < 0)
            first = (long)i;
    }
    assert_int_equal(bmatch_first(m, low, len), first);
    free(low);
}

static void test_crafted(void **state)
{
    (void)state;
    bmatch *m = bmatch_new(pats, NPATS);
    assert_non_null(m);
    assert_int_equal(bmatch_count(m), NPATS);
    static const char *const texts[] = {
        "",
        "550 5.1.1 <a@b>: User Unknown",
        "Mailbox is FULL",
        "full mailbox",
        "over quota",
        "quota",
        "550 5.7.1 listed as SPAM",
        "550 spam 5.7.1",
        "aaa",
        "aaaa",
        "aaaaa",
        "abc",
        "acb",
        "abd abce",
        "blocked by spamhaus zen",
        "zen spamhaus",
        "on the other list",
        "he said \"quoted\"",
        "eeeeeeeeeeeeeeeeeee",
        "eeeeeeeeeeeeeeeee",
        "TSS04 x",
        "ab",
        "a",
        "OUK 5.7.1 _418",
        "ouk _416 ouk",
        "_416 ouk _418",
        "ab zz e q",
        "550 No Such User At All",
        "no such user at al",
        "no such user at alL!",
        "no such user at xll",
        "no such uxer at all",
        "Recipient address rejected: 5.1.1",
        "recipient address rejecte",
        "recipient addresS rejectex",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        check(m, texts[i], strlen(texts[i]));
    /* bytes a NUL-terminated search would stop at */
    check(m, "no such\0user unknown", 20);
    bmatch_free(m);
}

static void test_random(void **state)
{
    (void)state;
    bmatch *m = bmatch_new(pats, NPATS);
    assert_non_null(m);
    /* texts from a small alphabet, so that pieces occur, overlap and nearly occur often */
    static const char alpha[] = "abceqxzAEU5.1 7ko_46";
    unsigned seed = 12345;
    char text[64];
    for (int n = 0; n < 20000; n++) {
        seed = seed * 1103515245u + 12345u;
        size_t len = (seed >> 16) % sizeof text;
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            text[i] = alpha[(seed >> 16) % (sizeof alpha - 1)];
        }
        check(m, text, len);
    }
    bmatch_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crafted),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
