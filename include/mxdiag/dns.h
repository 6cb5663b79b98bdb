/* dns.h - mxdiag's DNS resolver: many queries in flight, results that keep failures apart
 * SPDX-License-Identifier: MIT
 *
 * One mxd_resolver per run (built on c-ares). Queries are submitted with a callback and run
 * together by mxd_resolver_run(); a callback may submit further queries. A lookup that timed
 * out or got SERVFAIL/REFUSED is never reported as "no such name" or "no record": every
 * answer carries its mxd_dns_status.
 */
#ifndef MXDIAG_DNS_H
#define MXDIAG_DNS_H

#include <stddef.h>
#include "mxdiag/export.h"
#include "mxdiag/error.h"
#include "mxdiag/kb.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Record types mxdiag asks for (values are the DNS type numbers). */
enum {
    MXD_DNS_A = 1,
    MXD_DNS_NS = 2,
    MXD_DNS_CNAME = 5,
    MXD_DNS_SOA = 6,
    MXD_DNS_PTR = 12,
    MXD_DNS_MX = 15,
    MXD_DNS_TXT = 16,
    MXD_DNS_AAAA = 28,
};

typedef enum mxd_dns_status {
    MXD_DNS_OK = 0,       /* the name has records of this type (n >= 1) */
    MXD_DNS_NXDOMAIN = 1, /* the name does not exist */
    MXD_DNS_NODATA = 2,   /* the name exists, no records of this type */
    MXD_DNS_SERVFAIL = 3, /* the server failed (SERVFAIL) */
    MXD_DNS_REFUSED = 4,  /* the server refused the query */
    MXD_DNS_TIMEOUT = 5,  /* no answer within timeout x tries */
    MXD_DNS_ERROR = 6     /* anything else: malformed answer, bad name, out of memory */
} mxd_dns_status;

/* One record of an answer. Which fields are set depends on the type:
 * A, AAAA: addr (text form, "192.0.2.1" / "2001:db8::1");
 * MX: pref and name (a null MX, RFC 7505, has the name ""); PTR, CNAME, NS: name;
 * TXT: text = the record's character-strings concatenated (RFC 7208 section 3.3), len its
 *      length (a TXT may hold NUL bytes), nstrings how many strings it was made of;
 * SOA: name = MNAME, text = "RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM".
 * Names have no trailing dot. ttl is known for A and AAAA records and 0 otherwise. */
typedef struct mxd_dns_rr {
    int type;
    unsigned ttl;
    char addr[64];
    int pref;
    char *name;
    char *text;
    size_t len;
    int nstrings;
} mxd_dns_rr;

typedef struct mxd_dns_answer {
    const char *qname; /* as asked */
    int qtype;
    mxd_dns_status status;
    size_t n; /* records of qtype (CNAMEs followed by the resolver are not listed) */
    const mxd_dns_rr *rr;
    int truncated; /* the answer held more than MXD_DNS_MAX_RRS records: only the first
                      MXD_DNS_MAX_RRS are in rr, so a verdict resting on all of them is unknown */
} mxd_dns_answer;

typedef struct mxd_dns_opts {
    const char *servers; /* "ADDR[:PORT][,ADDR[:PORT]...]" ("[v6]:port" for IPv6);
                            NULL = the environment variable MXDIAG_DNS_SERVER, else the
                            system configuration (/etc/resolv.conf) */
    int timeout_ms;      /* per try; 0 = 2000 */
    int tries;           /* 0 = 2 */
    const mxd_kb *kb;    /* knowledge base with the public-resolver table for
                            mxd_resolver_warning(); NULL = the built-in one */
} mxd_dns_opts;

/* Limits: a name longer than MXD_DNS_NAME_MAX is invalid; at most MXD_DNS_MAX_SERVERS servers;
 * at most MXD_DNS_MAX_INFLIGHT queries on the wire at once (the rest wait their turn); at most
 * MXD_DNS_MAX_QUERIES distinct (name, type) pairs per resolver (then MXD_ERR_TOOBIG); at most
 * MXD_DNS_MAX_RRS records of one answer (then the answer is flagged truncated). */
#define MXD_DNS_NAME_MAX     253
#define MXD_DNS_MAX_SERVERS  8
#define MXD_DNS_MAX_INFLIGHT 4096
#define MXD_DNS_MAX_QUERIES  1000000
#define MXD_DNS_MAX_RRS      512 /* records of one answer kept (the answer says truncated) */

typedef struct mxd_resolver mxd_resolver;

/* mxd_resolver_new - a resolver. On error a one-line reason goes to why (may be NULL):
 * MXD_ERR_INVALID for a bad server list, MXD_ERR_DNS when c-ares cannot start. Free with
 * mxd_resolver_free(). */
MXD_API mxd_err mxd_resolver_new(const mxd_dns_opts *opts, mxd_resolver **out, char *why,
                                 size_t whylen);
MXD_API void mxd_resolver_free(mxd_resolver *r);

/* mxd_resolver_warning - NULL, or a warning about the configured servers, e.g. that one is a
 * well-known public resolver (Google, Cloudflare, Quad9, OpenDNS ...) whose queries Spamhaus
 * and other blocklists refuse. The string belongs to the resolver. */
MXD_API const char *mxd_resolver_warning(const mxd_resolver *r);

/* mxd_resolver_servers - the servers in use, as text ("127.0.0.1:5353"); belongs to r. */
MXD_API const char *mxd_resolver_servers(const mxd_resolver *r);

/* Called once per query with its answer; the answer and its strings are valid only during
 * the call (copy what you keep). The callback may submit new queries. */
typedef void (*mxd_dns_cb)(void *arg, const mxd_dns_answer *answer);

/* mxd_dns_submit - queue a query; nothing is sent until mxd_resolver_run(). Identical
 * queries (name, type) in one run are asked once and answered from a per-resolver cache.
 * Returns MXD_ERR_INVALID for a name that is not a valid DNS name (the callback is then not
 * called). */
MXD_API mxd_err mxd_dns_submit(mxd_resolver *r, const char *name, int type, mxd_dns_cb cb,
                               void *arg);

/* mxd_resolver_run - send every queued query (all in flight together) and wait until all,
 * including those submitted from callbacks, are answered or timed out. Must not be called
 * from inside a callback (MXD_ERR_INVALID). */
MXD_API mxd_err mxd_resolver_run(mxd_resolver *r);

/* mxd_dns_lookup - one query, synchronously: the answer is copied into *out, which the caller
 * releases with mxd_dns_answer_free(). For code that must see an answer before it can ask
 * the next question (SPF evaluation). */
MXD_API mxd_err mxd_dns_lookup(mxd_resolver *r, const char *name, int type, mxd_dns_answer **out);
MXD_API void mxd_dns_answer_free(mxd_dns_answer *a);

/* What a resolver did so far: queries sent on the wire (retries included), answers taken
 * from the cache, retries after a timeout, and the most queries that were on the wire at
 * once (waiting for their answers together). */
typedef struct mxd_dns_stats {
    unsigned long sent;
    unsigned long cached;
    unsigned long retries;
    unsigned long peak_inflight;
} mxd_dns_stats;

/* mxd_resolver_stats - copy the counters into *st. */
MXD_API void mxd_resolver_stats(const mxd_resolver *r, mxd_dns_stats *st);

/* mxd_dns_name_valid - is name (len bytes) a name mxdiag will send: 1 to MXD_DNS_NAME_MAX
 * bytes (an optional trailing dot aside), labels of 1 to 63 bytes of printable ASCII or space
 * (SPF macros can expand to spaces), no backslash? Returns 1 or 0. */
MXD_API int mxd_dns_name_valid(const char *name, size_t len);

/* mxd_dns_status_name - "ok", "nxdomain", "nodata", "servfail", "refused", "timeout", "error". */
MXD_API const char *mxd_dns_status_name(mxd_dns_status s);

/* mxd_dns_reverse_name - the PTR / DNSBL query name for an IP address: with suffix
 * "in-addr.arpa" or "ip6.arpa" it is the reverse name; with a blocklist zone it is the
 * reversed address under that zone (IPv4 octets, IPv6 32 nibbles). Writes at most outlen
 * bytes. Returns MXD_ERR_INVALID for a bad address. suffix NULL = the arpa zone. */
MXD_API mxd_err mxd_dns_reverse_name(const char *ip, const char *suffix, char *out, size_t outlen);

#ifdef __cplusplus
}
#endif
#endif
