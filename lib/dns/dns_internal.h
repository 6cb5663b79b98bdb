/* dns_internal.h - pieces of the DNS layer shared inside lib/dns and with the fuzz targets
 * SPDX-License-Identifier: MIT
 */
#ifndef MXD_DNS_INTERNAL_H
#define MXD_DNS_INTERNAL_H

#include <stddef.h>
#include "mxdiag/dns.h"

#define DNS_DEFAULT_PORT       53
#define DNS_DEFAULT_TIMEOUT_MS 2000
#define DNS_DEFAULT_TRIES      2
#define DNS_MAX_TRIES          20
#define DNS_MAX_TIMEOUT_MS     600000
#define DNS_MAX_RRS            MXD_DNS_MAX_RRS   /* records of one answer kept; the rest dropped */
#define DNS_MAX_CNAME_CHAIN    16                /* CNAME links followed inside one answer */
#define DNS_RCVBUF             (4 * 1024 * 1024) /* UDP receive buffer asked for */

/* One configured server. */
typedef struct dns_server {
    int family; /* 4 or 6 */
    unsigned char addr[16];
    unsigned port;
} dns_server;

/* dns_servers_parse - parse "ADDR[:PORT][,ADDR[:PORT]...]" (IPv6 as "ADDR" or "[ADDR]:PORT";
 * blanks around the commas are allowed) into at most max servers. On error returns
 * MXD_ERR_INVALID with a one-line reason in why. */
mxd_err dns_servers_parse(const char *s, size_t len, dns_server *out, size_t max, size_t *n,
                          char *why, size_t whylen);

/* dns_server_format - "192.0.2.1:53" or "[2001:db8::1]:53" into out. */
void dns_server_format(const dns_server *sv, char *out, size_t outlen);

/* dns_answer_parse - the records of qtype in a raw DNS answer (abuf, alen bytes), as c-ares
 * handed it over. On MXD_OK *rr (malloc'ed, free with dns_rrs_free) holds *n >= 1 records;
 * MXD_ERR_NOTFOUND when the answer has no record of qtype; MXD_ERR_PARSE for a malformed
 * answer; MXD_ERR_NOMEM. */
mxd_err dns_answer_parse(int qtype, const unsigned char *abuf, int alen, mxd_dns_rr **rr,
                         size_t *n);
/* dns_answer_parse_cut - the same; *truncated = 1 when records past DNS_MAX_RRS were
 * dropped. */
mxd_err dns_answer_parse_cut(int qtype, const unsigned char *abuf, int alen, mxd_dns_rr **rr,
                             size_t *n, int *truncated);
void dns_rrs_free(mxd_dns_rr *rr, size_t n);

#endif
