/* cidr.c - IP addresses and CIDR prefixes
 * SPDX-License-Identifier: MIT
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "util/cidr.h"
#include "util/str.h"

/* cidr_parse_ip4 - strict dotted quad. */
int cidr_parse_ip4(const char *s, size_t len, cidr_addr *out)
{
    size_t i = 0;
    cidr_addr a = {4, {0}};
    for (int part = 0; part < 4; part++) {
        if (part) {
            if (i >= len || s[i] != '.')
                return -1;
            i++;
        }
        size_t start = i;
        unsigned v = 0;
        while (i < len && str_isdigit((unsigned char)s[i]) && i - start < 4) {
            v = v * 10 + (unsigned)(s[i] - '0');
            i++;
        }
        size_t n = i - start;
        if (n == 0 || n > 3 || v > 255 || (n > 1 && s[start] == '0'))
            return -1;
        a.b[part] = (unsigned char)v;
    }
    if (i != len)
        return -1;
    *out = a;
    return 0;
}

/* cidr_parse_ip6 - any RFC 4291 text form, through inet_pton on a bounded copy. */
int cidr_parse_ip6(const char *s, size_t len, cidr_addr *out)
{
    char tmp[CIDR_TEXT_MAX + 1];
    if (len == 0 || len > CIDR_TEXT_MAX || memchr(s, 0, len))
        return -1;
    memcpy(tmp, s, len);
    tmp[len] = 0;
    cidr_addr a = {6, {0}};
    if (inet_pton(AF_INET6, tmp, a.b) != 1)
        return -1;
    *out = a;
    return 0;
}

/* cidr_parse_ip - IPv4 if it has no colon, else IPv6. */
int cidr_parse_ip(const char *s, size_t len, cidr_addr *out)
{
    if (memchr(s, ':', len))
        return cidr_parse_ip6(s, len, out);
    return cidr_parse_ip4(s, len, out);
}

/* cidr_unmap - IPv4-mapped IPv6 to IPv4. */
void cidr_unmap(cidr_addr *a)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (a->family == 6 && !memcmp(a->b, mapped, 12)) {
        memmove(a->b, a->b + 12, 4);
        memset(a->b + 4, 0, 12);
        a->family = 4;
    }
}

/* cidr_match - compare the first prefix bits. */
int cidr_match(const cidr_addr *a, const cidr_addr *net, unsigned prefix)
{
    if (a->family != net->family)
        return 0;
    unsigned width = a->family == 4 ? 32 : 128;
    if (prefix > width)
        prefix = width;
    unsigned full = prefix / 8, rest = prefix % 8;
    if (memcmp(a->b, net->b, full))
        return 0;
    if (rest) {
        unsigned char mask = (unsigned char)(0xffu << (8 - rest));
        if ((a->b[full] & mask) != (net->b[full] & mask))
            return 0;
    }
    return 1;
}

/* cidr_equal - same family and bytes. */
int cidr_equal(const cidr_addr *a, const cidr_addr *b)
{
    return a->family == b->family && !memcmp(a->b, b->b, a->family == 4 ? 4 : 16);
}

/* cidr_format - text form through inet_ntop. */
void cidr_format(const cidr_addr *a, char *out, size_t outlen)
{
    char tmp[INET6_ADDRSTRLEN + 1];
    if (!inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->b, tmp, sizeof tmp))
        tmp[0] = 0;
    snprintf(out, outlen, "%s", tmp);
}

/* cidr_parse_prefix - digits, no leading zero, at most max. */
int cidr_parse_prefix(const char *s, size_t len, unsigned max, unsigned *out)
{
    unsigned long v;
    if (len == 0 || len > 3 || (len > 1 && s[0] == '0'))
        return -1;
    if (str_parse_uint(s, len, max, &v))
        return -1;
    *out = (unsigned)v;
    return 0;
}

int cidr_not_routable(const cidr_addr *a)
{
    cidr_addr v = *a;
    cidr_unmap(&v);
    if (v.family == 4) {
        const unsigned char *b = v.b;
        return b[0] == 0 || b[0] == 127 || (b[0] == 169 && b[1] == 254) || b[0] >= 224;
    }
    static const unsigned char zero[16];
    if (!memcmp(v.b, zero, 15) && (v.b[15] == 0 || v.b[15] == 1))
        return 1; /* :: and ::1 */
    return v.b[0] == 0xff || (v.b[0] == 0xfe && (v.b[1] & 0xc0) == 0x80);
}

int cidr_is_private(const cidr_addr *a)
{
    cidr_addr v = *a;
    cidr_unmap(&v);
    if (v.family == 4) {
        const unsigned char *b = v.b;
        return b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) ||
               (b[0] == 100 && (b[1] & 0xc0) == 64);
    }
    return (v.b[0] & 0xfe) == 0xfc;
}
