/* dkim.h - DKIM (RFC 6376, RFC 8463, RFC 8301): key records and signature verification
 * SPDX-License-Identifier: MIT
 *
 * mxd_dkim_key_parse() reads one key record ("v=DKIM1; k=rsa; p=MIIB...") and measures the key
 * with OpenSSL. mxd_dkim_keys() looks up the keys of a domain for given selectors, or probes
 * the common selectors of the knowledge base, all queries in flight together, and lists
 * findings (missing, revoked, testing, too small keys). mxd_dkim_verify() checks every
 * DKIM-Signature of a message: rsa-sha256 and ed25519-sha256, simple and relaxed
 * canonicalization, l=, the body hash and the header hash, one result per signature.
 */
#ifndef MXDIAG_DKIM_H
#define MXDIAG_DKIM_H

#include <stddef.h>
#include "mxdiag/export.h"
#include "mxdiag/error.h"
#include "mxdiag/dns.h"
#include "mxdiag/kb.h"
#include "mxdiag/finding.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits. */
#define MXD_DKIM_MAX_MESSAGE    (64u * 1024 * 1024) /* bytes of a message verified */
#define MXD_DKIM_MAX_HEADERS    1024                /* header fields of one message examined */
#define MXD_DKIM_MAX_SIGNATURES 16   /* DKIM-Signature fields verified (the first ones) */
#define MXD_DKIM_MAX_SELECTORS  64   /* selectors asked in one mxd_dkim_keys() */
#define MXD_DKIM_MAX_RECORD     8192 /* bytes of a key record examined */
/* Key sizes (RFC 8301: verifiers refuse RSA keys under 1024 bits; 2048 is recommended). */
#define MXD_DKIM_MIN_BITS  1024
#define MXD_DKIM_GOOD_BITS 2048

/* One key record. */
typedef struct mxd_dkim_key {
    char *selector;
    char *domain;
    char *name;            /* <selector>._domainkey.<domain> */
    const char *source;    /* "given" (by the caller: typed, or read from a message) or
                              "probe" (static) */
    const char *provider;  /* for probed selectors: the service known to use it (kb), or NULL */
    mxd_dns_status status; /* of the TXT query (MXD_DNS_OK when parsed from text) */
    int found;             /* a TXT record is there */
    char *record;          /* its text (the first one that parses, else the first) */
    int valid;             /* usable for verification */
    char key_type[16];     /* "rsa", "ed25519", or the k= value as written */
    int bits;              /* key size; 0 when unknown */
    int revoked;           /* empty p= */
    int testing;           /* t=y */
    int strict;            /* t=s: i= must be exactly d= */
    int sha256;            /* h= allows sha256 (or h= absent) */
    int email;             /* s= allows email (or s= absent) */
    char *problem;         /* why it is not valid, or NULL */
} mxd_dkim_key;

/* mxd_dkim_key_parse - parse and measure one key record into *out (zeroed first; free its
 * strings with mxd_dkim_key_clear()). Returns MXD_OK whether or not the record is valid (see
 * ->valid and ->problem); MXD_ERR_TOOBIG past MXD_DKIM_MAX_RECORD, MXD_ERR_NOMEM. */
MXD_API mxd_err mxd_dkim_key_parse(const char *txt, size_t len, mxd_dkim_key *out);
MXD_API void mxd_dkim_key_clear(mxd_dkim_key *k);

/* Who signed a message: the d= and s= of one DKIM-Signature. */
typedef struct mxd_dkim_signer {
    char *domain;   /* d=, lower case */
    char *selector; /* s= */
} mxd_dkim_signer;

/* mxd_dkim_signers - the signers of a message (its first MXD_DKIM_MAX_SIGNATURES
 * DKIM-Signature fields that have d= and s=), without duplicates, top first: the selectors to
 * look up for a domain. *out is freed with mxd_dkim_signers_free(); *n may be 0.
 * MXD_ERR_TOOBIG past MXD_DKIM_MAX_MESSAGE, MXD_ERR_NOMEM. */
MXD_API mxd_err mxd_dkim_signers(const char *msg, size_t len, mxd_dkim_signer **out, size_t *n);
MXD_API void mxd_dkim_signers_free(mxd_dkim_signer *v, size_t n);

/* The keys of a domain. */
typedef struct mxd_dkim_keys_report {
    char *domain;
    mxd_dkim_key *keys; /* every selector asked, in the order asked */
    size_t nkeys;
    size_t nfound;         /* keys with a record */
    int probed;            /* 1 when common selectors were probed */
    mxd_finding *findings; /* worst first */
    size_t nfindings;
    size_t nfailed; /* selectors whose lookup failed (timeout, SERVFAIL ...): their key is
                       unknown; nfailed == nkeys means nothing could be checked */
} mxd_dkim_keys_report;

/* mxd_dkim_keys - look up the keys of domain for the given selectors, or (nsel 0) probe the
 * common selectors of kb (kb may be NULL then only when nsel > 0). On MXD_OK *out is the
 * report, freed with mxd_dkim_keys_report_free(). MXD_ERR_INVALID for a bad domain or
 * selector, MXD_ERR_TOOBIG past MXD_DKIM_MAX_SELECTORS, MXD_ERR_NOMEM. */
MXD_API mxd_err mxd_dkim_keys(mxd_resolver *r, const mxd_kb *kb, const char *domain,
                              const char *const *selectors, size_t nsel,
                              mxd_dkim_keys_report **out);
MXD_API void mxd_dkim_keys_report_free(mxd_dkim_keys_report *rep);
/* mxd_dkim_keys_report_json - {"domain", "probed", "keys": [{"selector", "name", "source",
 * "provider", "status", "found", "valid", "type", "bits", "revoked", "testing", "strict",
 * "record", "problem"}], "findings"}; free() the string. */
MXD_API char *mxd_dkim_keys_report_json(const mxd_dkim_keys_report *rep, int pretty);

typedef enum mxd_dkim_result {
    MXD_DKIM_PASS = 0,
    MXD_DKIM_FAIL = 1,      /* the signature or the body hash did not verify, or it expired */
    MXD_DKIM_NEUTRAL = 2,   /* the signature cannot be processed (unknown version, method) */
    MXD_DKIM_TEMPERROR = 3, /* the key could not be fetched now (DNS trouble) */
    MXD_DKIM_PERMERROR = 4  /* malformed signature, no key, revoked or unusable key */
} mxd_dkim_result;

/* mxd_dkim_result_name - "pass", "fail", "neutral", "temperror", "permerror". */
MXD_API const char *mxd_dkim_result_name(mxd_dkim_result r);

/* One DKIM-Signature and its verification. Strings are NULL when the tag is absent. */
typedef struct mxd_dkim_sig {
    mxd_dkim_result result;
    char *reason;          /* why not pass; NULL on pass */
    char *domain;          /* d= */
    char *selector;        /* s= */
    char *algorithm;       /* a= */
    char *canon;           /* c= as used, e.g. "relaxed/simple" */
    char *identity;        /* i= (default "@" d=) */
    char *headers;         /* h= */
    long long timestamp;   /* t=, or -1 */
    long long expires;     /* x=, or -1 */
    long long body_length; /* l=, or -1 */
    int body_hash_ok;      /* 1 verified, 0 mismatch, -1 not checked */
    char key_type[16];
    int key_bits;    /* 0 when no key was used */
    int key_testing; /* the key has t=y */
} mxd_dkim_sig;

typedef struct mxd_dkim_verify_report {
    char *from_domain;  /* domain of the From address, or NULL */
    mxd_dkim_sig *sigs; /* in header order, top first */
    size_t nsigs;
    size_t npass;
    int truncated; /* more than MXD_DKIM_MAX_SIGNATURES signatures: the rest not checked */
} mxd_dkim_verify_report;

typedef struct mxd_dkim_verify_opts {
    long long now; /* the time for x= expiry, seconds since 1970; 0 = the clock */
} mxd_dkim_verify_opts;

/* mxd_dkim_verify - verify every DKIM-Signature of the message (len bytes, CRLF or LF line
 * ends; a leading mbox "From " line is skipped). Keys come from the resolver, all queries in
 * flight together. On MXD_OK *out is the report (no signature: nsigs 0), freed with
 * mxd_dkim_verify_report_free(). MXD_ERR_TOOBIG past MXD_DKIM_MAX_MESSAGE, MXD_ERR_EMPTY for
 * an empty message, MXD_ERR_NOMEM. opts may be NULL. */
MXD_API mxd_err mxd_dkim_verify(mxd_resolver *r, const char *msg, size_t len,
                                const mxd_dkim_verify_opts *opts, mxd_dkim_verify_report **out);
MXD_API void mxd_dkim_verify_report_free(mxd_dkim_verify_report *rep);
/* mxd_dkim_verify_report_json - {"from_domain", "signatures": [{"result", "problem", "d",
 * "s", "a", "c", "i", "h", "t", "x", "l", "body_hash", "key": {"type", "bits", "testing"}}],
 * "pass", "truncated"} (mxdiag-json(5)); free() the string. */
MXD_API char *mxd_dkim_verify_report_json(const mxd_dkim_verify_report *rep, int pretty);

#ifdef __cplusplus
}
#endif
#endif
