/* cidr.h - IP addresses and CIDR prefixes over (pointer, length) input (internal)
 * SPDX-License-Identifier: MIT
 */
#ifndef MXD_UTIL_CIDR_H
#define MXD_UTIL_CIDR_H

#include <stddef.h>

/* Longest text form of an address: a full IPv6 address with an embedded IPv4 tail. */
#define CIDR_TEXT_MAX 46

/* An IPv4 (family 4, bytes 0..3) or IPv6 (family 6, bytes 0..15) address. */
typedef struct cidr_addr {
    int family;
    unsigned char b[16];
} cidr_addr;

/* cidr_parse_ip4 - a strict dotted quad (four decimal numbers 0-255 without leading zeros,
 * as RFC 7208's ip4-network). Returns 0 on success, -1 otherwise. */
int cidr_parse_ip4(const char *s, size_t len, cidr_addr *out);

/* cidr_parse_ip6 - an IPv6 address in any RFC 4291 text form. Returns 0 or -1. */
int cidr_parse_ip6(const char *s, size_t len, cidr_addr *out);

/* cidr_parse_ip - either family; an IPv4-mapped IPv6 address stays IPv6 (see cidr_unmap). */
int cidr_parse_ip(const char *s, size_t len, cidr_addr *out);

/* cidr_unmap - turn ::ffff:a.b.c.d into the IPv4 address a.b.c.d (no-op otherwise). */
void cidr_unmap(cidr_addr *a);

/* cidr_match - is a inside net/prefix? Families must agree; prefix is capped at the width. */
int cidr_match(const cidr_addr *a, const cidr_addr *net, unsigned prefix);

/* cidr_equal - same family and same bytes. */
int cidr_equal(const cidr_addr *a, const cidr_addr *b);

/* cidr_format - the address as text ("192.0.2.1", "2001:db8::1"); out has CIDR_TEXT_MAX+1. */
void cidr_format(const cidr_addr *a, char *out, size_t outlen);

/* cidr_not_routable - an address no server on the Internet connects from: unspecified,
 * loopback, link-local, multicast, reserved/broadcast (0/8, 127/8, 169.254/16, 224/4, 240/4;
 * ::, ::1, fe80::/10, ff00::/8). An IPv4-mapped IPv6 address is judged as IPv4. */
int cidr_not_routable(const cidr_addr *a);

/* cidr_is_private - an address of a private network (10/8, 172.16/12, 192.168/16, shared
 * 100.64/10; fc00::/7): a hop inside one organisation, not its address on the Internet. */
int cidr_is_private(const cidr_addr *a);

/* cidr_parse_prefix - a CIDR length: decimal digits without a leading zero ("0" is fine), at
 * most max. Returns 0 or -1. */
int cidr_parse_prefix(const char *s, size_t len, unsigned max, unsigned *out);

#endif
