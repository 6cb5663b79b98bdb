/* servers.c - parse and print the DNS server list ("ADDR[:PORT][,ADDR[:PORT]...]")
 * SPDX-License-Identifier: MIT
 *
 * Forms accepted for one server: 192.0.2.1, 192.0.2.1:5353, 2001:db8::1 (a bare IPv6
 * address takes the default port), [2001:db8::1], [2001:db8::1]:5353. Blanks around commas
 * are ignored; an empty list or an empty item is an error.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "dns/dns_internal.h"
#include "util/str.h"

#define ADDR_TEXT_MAX 64 /* longest address text we try to convert */

/* parse_addr - one address of len bytes into sv (family and bytes). */
static int parse_addr(const char *s, size_t len, int v6_only, dns_server *sv)
{
    char tmp[ADDR_TEXT_MAX];
    if (len == 0 || len >= sizeof tmp)
        return -1;
    memcpy(tmp, s, len);
    tmp[len] = 0;
    if (!v6_only && inet_pton(AF_INET, tmp, sv->addr) == 1) {
        sv->family = 4;
        return 0;
    }
    if (inet_pton(AF_INET6, tmp, sv->addr) == 1) {
        sv->family = 6;
        return 0;
    }
    return -1;
}

static int parse_port(const char *s, size_t len, unsigned *port)
{
    unsigned long v;
    if (len == 0 || len > 5 || (len > 1 && s[0] == '0') || str_parse_uint(s, len, 65535, &v) ||
        v == 0)
        return -1;
    *port = (unsigned)v;
    return 0;
}

/* parse_one - one item (already trimmed). */
static mxd_err parse_one(const char *s, size_t len, dns_server *sv, char *why, size_t whylen)
{
    sv->port = DNS_DEFAULT_PORT;
    if (s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (!close)
            return str_invalid(why, whylen, "DNS server '%.*s': missing ']'", (int)len, s);
        size_t alen = (size_t)(close - s - 1);
        const char *rest = close + 1;
        size_t rlen = len - (size_t)(rest - s);
        if (parse_addr(s + 1, alen, 1, sv))
            return str_invalid(why, whylen, "DNS server '%.*s': not an IPv6 address", (int)len, s);
        if (rlen == 0)
            return MXD_OK;
        if (rest[0] != ':' || parse_port(rest + 1, rlen - 1, &sv->port))
            return str_invalid(why, whylen, "DNS server '%.*s': bad port (1-65535)", (int)len, s);
        return MXD_OK;
    }
    const char *colon = memchr(s, ':', len);
    const char *colon2 = colon ? memchr(colon + 1, ':', len - (size_t)(colon + 1 - s)) : NULL;
    if (colon && !colon2) { /* IPv4 with a port */
        if (parse_addr(s, (size_t)(colon - s), 0, sv) || sv->family != 4)
            return str_invalid(why, whylen, "DNS server '%.*s': not an IP address", (int)len, s);
        if (parse_port(colon + 1, len - (size_t)(colon + 1 - s), &sv->port))
            return str_invalid(why, whylen, "DNS server '%.*s': bad port (1-65535)", (int)len, s);
        return MXD_OK;
    }
    if (parse_addr(s, len, 0, sv))
        return str_invalid(
            why, whylen,
            "DNS server '%.*s': not an IP address (use ADDR, ADDR:PORT or [IPv6]:PORT)",
            (int)(len > 80 ? 80 : len), s);
    return MXD_OK;
}

mxd_err dns_servers_parse(const char *s, size_t len, dns_server *out, size_t max, size_t *n,
                          char *why, size_t whylen)
{
    *n = 0;
    const char *end = s + len;
    const char *p = s;
    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *e = comma ? comma : end;
        const char *a = p;
        while (a < e && str_isspace((unsigned char)*a))
            a++;
        const char *b = e;
        while (b > a && str_isspace((unsigned char)b[-1]))
            b--;
        if (a == b)
            return str_invalid(why, whylen, "empty DNS server in the list '%.*s'",
                               (int)(len > 80 ? 80 : len), s);
        if (*n == max)
            return str_invalid(why, whylen, "more than %zu DNS servers", max);
        mxd_err e2 = parse_one(a, (size_t)(b - a), &out[*n], why, whylen);
        if (e2)
            return e2;
        (*n)++;
        if (!comma)
            break;
        p = comma + 1;
    }
    return MXD_OK;
}

void dns_server_format(const dns_server *sv, char *out, size_t outlen)
{
    char a[INET6_ADDRSTRLEN] = "?";
    inet_ntop(sv->family == 4 ? AF_INET : AF_INET6, sv->addr, a, sizeof a);
    if (sv->family == 4)
        snprintf(out, outlen, "%s:%u", a, sv->port);
    else
        snprintf(out, outlen, "[%s]:%u", a, sv->port);
}
