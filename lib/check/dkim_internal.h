/* dkim_internal.h - DKIM message splitting, canonicalization and base64 (internal)
 * SPDX-License-Identifier: MIT
 */
#ifndef MXD_DKIM_INTERNAL_H
#define MXD_DKIM_INTERNAL_H

#include <stddef.h>
#include "mxdiag/dkim.h"
#include "util/buf.h"

/* One header field as it is in the message. */
typedef struct dkim_field {
    const char *raw; /* the whole field with its continuation lines and final CRLF */
    size_t len;
    size_t nlen; /* length of the name (before ':', trailing blanks excluded); 0: no ':' */
} dkim_field;

/* A message with CRLF line ends, split into header fields and body. */
typedef struct dkim_msg {
    char *buf; /* the message with CRLF line ends (owned) */
    size_t len;
    dkim_field *f;
    size_t nf;
    int truncated; /* more than MXD_DKIM_MAX_HEADERS fields: the rest not recorded */
    const char *body;
    size_t blen;
} dkim_msg;

/* dkim_msg_parse - copy msg with every bare LF made CRLF, skip a leading mbox "From " line,
 * split header fields (at most MXD_DKIM_MAX_HEADERS) from the body. MXD_OK, MXD_ERR_NOMEM. */
mxd_err dkim_msg_parse(const char *msg, size_t len, dkim_msg *m);
void dkim_msg_free(dkim_msg *m);

/* dkim_field_is - is the field called name (case-insensitive)? */
int dkim_field_is(const dkim_field *f, const char *name);

/* dkim_canon_header - append one field (raw, len bytes with its CRLF) canonicalized, simple
 * (as is) or relaxed (RFC 6376 section 3.4.2), to out. */
mxd_err dkim_canon_header(const char *raw, size_t len, int relaxed, buf *out);

/* A receiver of canonicalized body bytes. */
typedef void (*dkim_sink)(void *arg, const char *p, size_t n);

/* dkim_canon_body - feed the body canonicalized (RFC 6376 sections 3.4.3 and 3.4.4) to sink;
 * returns its total length. */
size_t dkim_canon_body(const char *body, size_t len, int relaxed, dkim_sink sink, void *arg);

/* dkim_b64_decode - base64 with white space ignored into out (at most outmax bytes). Returns
 * 0 with *outlen, or -1 for a bad character, bad padding or an output too long. */
int dkim_b64_decode(const char *s, size_t len, unsigned char *out, size_t outmax, size_t *outlen);

/* dkim_key_parse_full - mxd_dkim_key_parse(); with pkey not NULL, the record's OpenSSL key
 * (EVP_PKEY *, freed by the caller with EVP_PKEY_free) is handed over when there is one. */
mxd_err dkim_key_parse_full(const char *txt, size_t len, mxd_dkim_key *out, void **pkey);

/* Most TXT records of one key name kept. */
#define DKIM_TXT_MAX 8

/* A TXT answer kept beyond its callback. */
typedef struct dkim_txt {
    int done, nomem;
    mxd_dns_status status;
    char *text[DKIM_TXT_MAX];
    size_t len[DKIM_TXT_MAX];
    size_t n;
} dkim_txt;

/* dkim_txt_cb - an mxd_dns_cb filling the dkim_txt given as arg. */
void dkim_txt_cb(void *arg, const mxd_dns_answer *a);
void dkim_txt_free(dkim_txt *t);

/* dkim_choose - parse the records of t into k (which keeps its selector, domain, name,
 * source, provider and status): the first valid one, else the first; with pkey, hand over
 * its OpenSSL key. MXD_OK or MXD_ERR_NOMEM. */
mxd_err dkim_choose(const dkim_txt *t, mxd_dkim_key *k, void **pkey);

#endif
