/* spf_internal.h - SPF record parser and macro expander shared inside lib/check (internal)
 * SPDX-License-Identifier: MIT
 */
#ifndef MXD_SPF_INTERNAL_H
#define MXD_SPF_INTERNAL_H

#include <stddef.h>
#include "mxdiag/spf.h"
#include "util/buf.h"
#include "util/cidr.h"

/* Longest macro expansion kept (a domain is cut to 253 bytes after it, an explanation is
 * shown as is); a longer expansion is a syntax error of the record. */
#define SPF_MACRO_MAX 8192
/* Largest transformer number honoured; larger ones mean "all parts" anyway. */
#define SPF_MACRO_MAX_DIGITS 999
/* A DNS name: at most 253 bytes of text, labels of 1 to 63 bytes (RFC 1035, RFC 7208 4.3). */
#define SPF_NAME_MAX  253
#define SPF_LABEL_MAX 63

enum spf_kind {
    SPF_ALL,
    SPF_INCLUDE,
    SPF_A,
    SPF_MX,
    SPF_PTR,
    SPF_IP4,
    SPF_IP6,
    SPF_EXISTS,
    SPF_REDIRECT, /* modifiers from here on */
    SPF_EXP,
    SPF_UNKNOWN_MOD
};

/* One term of a parsed record; text pointers point into the record text. */
typedef struct spf_term {
    int kind;
    char qual;        /* '+', '-', '~', '?' (mechanisms) */
    const char *text; /* the whole term */
    size_t len;
    const char *spec; /* domain-spec (a, mx, ptr, include, exists, redirect, exp), or NULL */
    size_t speclen;
    unsigned cidr4, cidr6; /* a, mx: prefix lengths (32 and 128 when absent) */
    cidr_addr net;         /* ip4, ip6 */
    unsigned prefix;
} spf_term;

typedef struct spf_record {
    spf_term *t;
    size_t n;
    int redirect; /* index of the redirect modifier, or -1 */
    int exp;      /* index of the exp modifier, or -1 */
} spf_record;

/* spf_is_v1 - does the TXT text start with "v=spf1" followed by a space or its end? */
int spf_is_v1(const char *s, size_t len);

/* spf_record_parse - parse and syntax-check a whole record ("v=spf1 ..."). Returns MXD_OK,
 * MXD_ERR_PARSE (a syntax error: permerror; why says which term) or MXD_ERR_NOMEM. The terms
 * point into s, which must outlive rec. Free with spf_record_free(). */
mxd_err spf_record_parse(const char *s, size_t len, spf_record *rec, char *why, size_t whylen);
void spf_record_free(spf_record *rec);

/* spf_is_dns_term - does the term count against the limit of 10 DNS-querying terms? */
int spf_is_dns_term(int kind);

/* spf_domain_spec_valid - RFC 7208 section 7.1 domain-spec: visible characters, valid macros
 * (no c, r, t), ending in a macro or in "." toplabel ["."]. */
int spf_domain_spec_valid(const char *s, size_t len);

/* spf_has_macro - does the text contain a '%'? */
int spf_has_macro(const char *s, size_t len);

/* Values the macros expand to. ip is the client address (IPv4-mapped already unmapped). */
typedef struct spf_macro_env {
    const char *sender;   /* s: local@domain */
    const char *local;    /* l */
    const char *sdomain;  /* o */
    const char *domain;   /* d: the current domain */
    const char *helo;     /* h */
    const char *receiver; /* r (explanations only) */
    const cidr_addr *ip;  /* i, c, v */
    long long now;        /* t (explanations only) */
    /* p: the validated name of ip (preferring domain and its subdomains), or "unknown" */
    const char *(*ptr_name)(void *arg, const char *domain);
    void *arg;
} spf_macro_env;

/* spf_macro_expand - expand the macro-string s (len bytes) into out (appended). exp = 1 for
 * an explanation string (letters c, r, t and spaces allowed). Returns MXD_OK, MXD_ERR_PARSE
 * for a syntax error, MXD_ERR_TOOBIG past SPF_MACRO_MAX, MXD_ERR_NOMEM. env may be NULL to
 * check the syntax only (nothing is appended then). */
mxd_err spf_macro_expand(const spf_macro_env *env, const char *s, size_t len, int exp, buf *out);

/* spf_query - one DNS lookup counted in *queries (MXD_DNS_TIMEOUT once MXD_SPF_MAX_QUERIES
 * were asked); a name that is not a valid DNS name is NXDOMAIN; *nomem is set on out of
 * memory. *out is the answer or NULL; the caller frees it. */
mxd_dns_status spf_query(mxd_resolver *r, int *queries, int *nomem, const char *name, int type,
                         mxd_dns_answer **out);
/* spf_is_void - NXDOMAIN or NODATA: a void lookup (RFC 7208 section 4.6.4). */
int spf_is_void(mxd_dns_status s);

/* spf_domain_finish - make an expanded domain-spec a query name in place: drop one trailing
 * dot, cut whole labels from the left until it fits 253 bytes (RFC 7208 section 7.3).
 * Returns 0, or -1 when the result is not a usable DNS name (empty, empty or long label). */
int spf_domain_finish(buf *b);

/* spf_name_valid - RFC 7208 section 4.3 check of a domain: labels 1-63 bytes, at most 253
 * bytes, at least two labels (a fully qualified name), not a [literal]. A trailing dot is
 * allowed. */
int spf_name_valid(const char *s, size_t len);

#endif
