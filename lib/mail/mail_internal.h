/* mail_internal.h - the message structure scanner and decoders (internal)
 * SPDX-License-Identifier: MIT
 *
 * mail_scan() walks the raw bytes of a message once and records its part tree (headers,
 * multipart boundaries, nested message/rfc822 parts) without copying or decoding anything.
 * The decoders turn the few parts a bounce needs into UTF-8 text, using GMime's decoders
 * (base64, quoted-printable, RFC 2047, charset conversion); GMime is loaded on first use
 * (decode.c). Every limit is named here.
 */
#ifndef MXD_MAIL_INTERNAL_H
#define MXD_MAIL_INTERNAL_H

#include <stddef.h>
#include "mxdiag/error.h"
#include "util/buf.h"

#define MAIL_MAX_DEPTH    16                 /* nesting of multipart and message parts */
#define MAIL_MAX_PARTS    512                /* parts recorded in one message */
#define MAIL_MAX_HEADER   (256u * 1024)      /* bytes of one header block looked at */
#define MAIL_MAX_FIELD    (64u * 1024)       /* unfolded length of one header value kept */
#define MAIL_MAX_BOUNDARY 200                /* longest multipart boundary (RFC 2046: 70) */
#define MAIL_MAX_DECODED  (4u * 1024 * 1024) /* decoded text kept from one part */
#define MAIL_MAX_TYPE     80                 /* type/subtype kept */
#define MAIL_MAX_CHARSET  48

enum {
    MAIL_CTE_7BIT = 0,
    MAIL_CTE_8BIT,
    MAIL_CTE_BINARY,
    MAIL_CTE_QP,
    MAIL_CTE_BASE64,
    MAIL_CTE_UUENCODE,
    MAIL_CTE_OTHER
};

enum { MAIL_LEAF = 0, MAIL_MULTIPART = 1, MAIL_MESSAGE = 2 };

typedef struct mail_part {
    int parent;      /* index of the enclosing part, -1 for the message itself */
    int depth;       /* 0 for the message */
    int kind;        /* MAIL_LEAF, MAIL_MULTIPART or MAIL_MESSAGE (message/rfc822: one child) */
    const char *hdr; /* header block (without the blank line ending it) */
    size_t hlen;
    const char *body; /* raw body, before transfer decoding */
    size_t blen;
    char type[MAIL_MAX_TYPE]; /* "text/plain", lower case; the default when absent */
    char boundary[MAIL_MAX_BOUNDARY + 1];
    char charset[MAIL_MAX_CHARSET]; /* lower case, "" when absent */
    int cte;
    int has_ctype; /* a Content-Type field was present */
    int flowed;    /* text/plain; format=flowed (RFC 3676): MAIL_FLOWED, | MAIL_DELSP for
                      delsp=yes; 0 otherwise */
} mail_part;

#define MAIL_FLOWED 1
#define MAIL_DELSP  2

typedef struct mail_scan {
    mail_part *parts;
    size_t nparts, alloc;
    int limited; /* a limit (depth, parts, header size) cut the scan short */
    int shallow; /* set by the caller: a message/rfc822 part's message gets its header block
                    recorded, but its body is not taken apart (a bounce needs only the
                    returned message's headers; an attached copy may be large) */
} mail_scan;

/* mail_find_pair - the first byte a of h[0..hlen) followed by b1 or b2 ("\n" then "\n" or
 * "\r": where a blank line may start), or NULL. */
const char *mail_find_pair(const char *h, size_t hlen, char a, char b1, char b2);

/* mail_scan_init / mail_scan_free - a scanner to reuse across messages. */
void mail_scan_init(mail_scan *ms);
void mail_scan_free(mail_scan *ms);

/* mail_scan_run - record the part tree of the message data[0..len). Part 0 is the message.
 * The parts point into data. Returns MXD_OK or MXD_ERR_NOMEM. */
mxd_err mail_scan_run(mail_scan *ms, const char *data, size_t len);

/* mail_mend_line_ends - a message whose first line ends in CR CR LF (converted to CRLF twice on
 * its way) or in a CR alone (classic Mac OS; such CRs at least as many as the LFs) gets a copy
 * in *out with every run of CRs before an LF made one CRLF and every other CR an LF: 1 is
 * returned. 0 leaves the message as it is (LF and CR LF ends; or no memory). The copy is never
 * longer than the message. lineends.c. */
int mail_mend_line_ends(const char *data, size_t len, buf *out);

/* mail_lone_crs_lead - in p[0..n), are the CRs that end a line alone (neither another CR nor an
 * LF after them) at least as many as the LFs? A CR at the very end counts as alone when p is
 * the whole message (whole), not when more may follow (a window of an mbox being read). */
int mail_lone_crs_lead(const char *p, size_t n, int whole);

/* mail_header_end - length of the header block at data (up to the blank line or the first
 * line that is not a header), and in *body the offset where the body starts. */
size_t mail_header_end(const char *data, size_t len, size_t *body);

/* mail_header_get - the value of the first field called name in the header block, unfolded
 * (line breaks of continuation lines removed), blanks at both ends trimmed, into out (reset
 * first; at most MAIL_MAX_FIELD bytes). Returns 1 when found, 0 when not. */
int mail_header_get(const char *hdr, size_t hlen, const char *name, buf *out);

/* mail_header_next - iterate over the fields of a header block: from *pos, sets name (and
 * its length) and the raw value span (folded, up to the line end of the last continuation
 * line). Returns 0 at the end. */
int mail_header_next(const char *hdr, size_t hlen, size_t *pos, const char **name, size_t *nlen,
                     const char **val, size_t *vlen);

/* mail_unfold - append the raw folded value v[0..vlen) to out with line breaks removed and
 * blanks at both ends trimmed. */
mxd_err mail_unfold(const char *v, size_t vlen, buf *out);

/* mail_param - a parameter of a structured field value ("text/plain; charset=utf-8"):
 * copies the (unquoted) value of name into out (NUL-terminated, truncated to outlen).
 * Returns 1 when found. */
int mail_param(const char *v, size_t vlen, const char *name, char *out, size_t outlen);

/* A few open charset converters, kept across messages: opening one loads a gconv module,
 * closing it unloads it again, which costs more than the conversion. */
#define MAIL_CONV_CACHE 8

typedef struct mail_conv_cache {
    struct {
        char charset[MAIL_MAX_CHARSET];
        void *cd; /* iconv_t; (void *)-1 when the charset is unknown */
    } e[MAIL_CONV_CACHE];
    unsigned n, next;
    int nolib; /* set by a decoder that needed GMime when it could not be loaded; the caller
                  clears it */
} mail_conv_cache;

/* mail_conv_cache_free - close the converters; the cache can be used again. */
void mail_conv_cache_free(mail_conv_cache *c);

/* mail_decode_part - the body of a leaf part, transfer-decoded and converted to UTF-8 from
 * its charset, appended to out (at most MAIL_MAX_DECODED bytes of it). These decoders return
 * MXD_ERR_NOLIB (and set cc->nolib) when the part needs GMime and it cannot be loaded. */
mxd_err mail_decode_part(const mail_part *p, buf *out, mail_conv_cache *cc);

/* mail_decode_text - mail_decode_part() for a part read as text: a text/plain part sent as
 * format=flowed (RFC 3676, how Thunderbird and Apple Mail write it) has its soft line breaks
 * undone (mail_unflow()) in what was appended. */
mxd_err mail_decode_text(const mail_part *p, buf *out, mail_conv_cache *cc);

/* mail_decode_body - the same for a body span with an explicit encoding and charset. */
mxd_err mail_decode_body(const char *body, size_t blen, int cte, const char *charset, buf *out,
                         mail_conv_cache *cc);

/* mail_decode_header - RFC 2047 decoding of a header value (NUL-terminated) into UTF-8, with
 * GMime; returns a string the caller frees with free(), or NULL on no memory. Values
 * without "=?" are copied as they are; so is a value with encoded words when GMime cannot be
 * loaded (cc->nolib is set then). */
char *mail_decode_header(const char *value, mail_conv_cache *cc);

/* mail_to_utf8 - convert text in charset to UTF-8, appending to out; bytes that do not
 * convert become '?'. An empty charset, "us-ascii" or "utf-8" copy as they are. cc (may be
 * NULL) keeps converters open between calls (mail_decode_* take it too). */
mxd_err mail_to_utf8(const char *s, size_t len, const char *charset, buf *out, mail_conv_cache *cc);

/* mail_unflow - undo RFC 3676's soft line breaks in b[from..b->len), in place: a line that
 * ends in a space (other than the signature line "-- ") and the lines after it at the same
 * quote depth are one line again, the space kept, or dropped when flags has MAIL_DELSP; an
 * unquoted line's space-stuffing (the one space a sender puts before a line that opens with a
 * space, "From " or '>') is removed. Quoted lines keep their '>' marks. Line ends become LF.
 * Never longer than the text it reads. */
void mail_unflow(buf *b, size_t from, int flags);

/* mail_html_to_text - strip tags and decode the common entities of an HTML body, appending
 * plain text (with line breaks for block elements) to out. */
mxd_err mail_html_to_text(const char *s, size_t len, buf *out);

/* mail_gmime_load - load and initialise GMime, the first call only (thread-safe); 1 when it
 * is loaded, 0 when it cannot be (mail_gmime_lib.why says why). */
int mail_gmime_load(void);

/* mail_gmime_lib - GMime as util/dl.h loads it; tests may change its soname before the first
 * use. */
struct dl_lib;
extern struct dl_lib mail_gmime_lib;

#endif
