/* test_reply.c - unit tests for lib/classify/reply.c: the sending IP found in a reply agrees
 * with a plain byte-by-byte reading (the reference below) on crafted and random texts
 * SPDX-License-Identifier: MIT
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "classify/reply.h"
#include "util/str.h"

static int ref_host_char(int c)
{
    return str_isalnum(c) || c == '.' || c == '-' || c == '_';
}

static int ref_ipv6(const char *s, size_t len)
{
    char tmp[64];
    struct in6_addr a;
    if (len < 3 || len >= sizeof tmp)
        return 0;
    memcpy(tmp, s, len);
    tmp[len] = 0;
    return inet_pton(AF_INET6, tmp, &a) == 1;
}

/* ref_sending_ip - the reading find_sending_ip() must give: every run of hex digits, dots and
 * colons (at most 45 bytes, starting at a hex digit or colon), tried from left to right; the
 * first IP with a client word in the 40 bytes before it wins, else the first IP that is not
 * written right after a host name. The offset and length of the answer, or 0. */
static int ref_sending_ip(const char *t, size_t len, size_t *at, size_t *alen)
{
    static const char *const ctx[] = {"from",       "ip",      "client",     "host",
                                      "server",     "address", "sender",     "source",
                                      "connecting", "your",    "mail server"};
    int have_fb = 0;
    for (size_t i = 0; i < len;) {
        int c = (unsigned char)t[i];
        if (!(str_isdigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':')) {
            i++;
            continue;
        }
        size_t j = i;
        while (
            j < len && j - i < 45 &&
            (str_isdigit((unsigned char)t[j]) || t[j] == '.' || t[j] == ':' ||
             (str_tolower((unsigned char)t[j]) >= 'a' && str_tolower((unsigned char)t[j]) <= 'f')))
            j++;
        size_t l = j - i;
        while (l && t[i + l - 1] == '.')
            l--;
        int prev_ok = i == 0 || !(str_isalnum((unsigned char)t[i - 1]) || t[i - 1] == '.' ||
                                  t[i - 1] == '-' || t[i - 1] == ':');
        int next_ok = j >= len || !(str_isalnum((unsigned char)t[j]) || t[j] == '-');
        if (prev_ok && next_ok &&
            (reply_is_ipv4(t + i, l) || (memchr(t + i, ':', l) && ref_ipv6(t + i, l)))) {
            int remote = 0;
            if (i > 1 && t[i - 1] == '[') {
                size_t k = i - 1;
                int dot = 0;
                while (k > 0 && ref_host_char((unsigned char)t[k - 1]))
                    dot |= t[--k] == '.';
                remote = dot;
            }
            if (!remote) {
                size_t from = i > 40 ? i - 40 : 0;
                for (size_t k = 0; k < sizeof ctx / sizeof *ctx; k++)
                    if (str_casefind(t + from, i - from, ctx[k], strlen(ctx[k]))) {
                        *at = i;
                        *alen = l;
                        return 1;
                    }
                if (!have_fb) {
                    have_fb = 1;
                    *at = i;
                    *alen = l;
                }
            }
        }
        i = j > i ? j : i + 1;
    }
    return have_fb;
}

static void check(const char *t, size_t len)
{
    char *ip = NULL;
    reply_rhost_ip(t, len, NULL, &ip);
    size_t at = 0, al = 0;
    int want = ref_sending_ip(t, len, &at, &al);
    if (!want) {
        if (ip)
            fail_msg("'%.*s': want no IP, got %s", (int)len, t, ip);
        return;
    }
    if (!ip || strlen(ip) != al || memcmp(ip, t + at, al))
        fail_msg("'%.*s': want %.*s, got %s", (int)len, t, (int)al, t + at, ip ? ip : "none");
    free(ip);
}

static void test_crafted(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "550 5.7.1 Client host [192.0.2.1] blocked using zen.spamhaus.org",
        "host mx.example.net[198.51.100.7] said: 550 5.7.1 your IP 203.0.113.5 is listed",
        "deadbeef192.0.2.1 and later 192.0.2.9",
        "connecting IP 2001:db8::1 refused",
        "a.b.c.d 1.2.3.4. 5.6.7.8",
        "..:..::1.2.3.4",
        "0123456789abcdef0123456789abcdef0123456789abcdef192.0.2.1 x 192.0.2.2",
        "",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        check(texts[i], strlen(texts[i]));
}

static void test_random(void **state)
{
    (void)state;
    /* pieces that make runs, IPs, host names and client words meet often */
    static const char *const parts[] = {"192.0.2.1", "10.0.0.", "2001:db8::", ":",   ".",   "ab",
                                        "mx.ex",     "[",       "]",          " ",   "ip ", "from ",
                                        "-",         "f00",     "9",          "host"};
    unsigned seed = 99;
    char t[160];
    for (int n = 0; n < 20000; n++) {
        size_t len = 0;
        seed = seed * 1103515245u + 12345u;
        size_t np = (seed >> 16) % 16;
        for (size_t k = 0; k < np; k++) {
            seed = seed * 1103515245u + 12345u;
            const char *p = parts[(seed >> 16) % (sizeof parts / sizeof *parts)];
            size_t pl = strlen(p);
            if (len + pl > sizeof t)
                break;
            memcpy(t + len, p, pl);
            len += pl;
        }
        check(t, len);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crafted),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
