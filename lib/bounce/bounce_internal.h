/* bounce_internal.h - the bounce stage: message view, format detectors, recipients (internal)
 * SPDX-License-Identifier: MIT
 *
 * A bounce is read in three steps. bounce.c scans the message and builds a view (top
 * headers, the human-readable text, the delivery-status fields, the headers of the returned
 * message). The table of formats (formats.c) is tried in order: the first format whose
 * detector accepts the view and whose parser finds recipients wins; RFC 3464, ARF, RFC 3834
 * and a generic text reader close the table. record.c classifies each recipient with the
 * knowledge base (classify.c) and hands out records.
 */
#ifndef MXD_BOUNCE_INTERNAL_H
#define MXD_BOUNCE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "mxdiag/bounce.h"
#include "classify/classify.h"
#include "classify/reply.h"
#include "mail/mail_internal.h"
#include "util/buf.h"

#define BOUNCE_MAX_RCPTS MXD_BOUNCE_MAX_RCPTS /* recipients reported from one message */
#define BOUNCE_MAX_DIAG  CLASSIFY_MAX_DIAG    /* diagnostic text kept per recipient */
#define BOUNCE_MAX_TEXT  (1024u * 1024)       /* human-readable text kept from one message */
#define BOUNCE_MAX_DSN   (256u * 1024)        /* delivery-status text kept */
#define BOUNCE_MAX_ORIG  (128u * 1024)        /* headers of the returned message kept */
#define BOUNCE_ADDR_MAX  320                  /* an e-mail address (RFC 5321: 254 + slack) */
#define BOUNCE_HOST_MAX  256
#define BOUNCE_FIELD_MAX 1024        /* a decoded header value kept (subject ...) */
#define BOUNCE_MAX_HTML  16          /* text/html parts read when there is no text/plain */
#define BOUNCE_LTEXT_MAX (4u * 1024) /* lower-cased copy of the text, for format markers */

typedef struct bounce_rcpt {
    char recipient[BOUNCE_ADDR_MAX];
    char action[32];
    char status[16];
    char replycode[4];
    char command[8];
    char diagtype[16];
    char feedbacktype[32];
    char rhost[BOUNCE_HOST_MAX];
    char lhost[BOUNCE_HOST_MAX];
    int own;     /* the text is the reporting MTA's own verdict (mxd_reply_facts.own) */
    int attempt; /* one delivery attempt's record (a mail log's line), not a notice's
                    (mxd_reply_facts.attempt) */
    /* bounce_add() clears the members above; it sets those below one by one */
    char diag[BOUNCE_MAX_DIAG];
    size_t diaglen;
    const char *reason; /* set by the format when it knows (vacation, feedback, ...) */
    long long date;     /* 0: unknown */
    char tz[8];
    char category[40]; /* X-PowerMTA-BounceCategory: a reason by bounce-categories.tsv */
} bounce_rcpt;

typedef struct bounce_out {
    bounce_rcpt *r;
    size_t n;
    const char *mta; /* the format's name */
    char lhost[BOUNCE_HOST_MAX];
    char rhost[BOUNCE_HOST_MAX]; /* a default remote host for all recipients */
    long long date;
    char tz[8];
    size_t dropped; /* recipients not added: BOUNCE_MAX_RCPTS reached */
    int cut;        /* the message was cut by its source (mxd_bounce_parse_msg) */
    int mime_cut;   /* its MIME structure, or that of a report inside it, was past the scan's
                       limits (mail_scan.limited) */
    int hearsay;    /* read from a notice a person quoted in a reply or a list post: no
                       record is a hard bounce */
} bounce_out;

/* One header field of an index (bounce.c): name and raw (folded) value. */
typedef struct bounce_hfield {
    const char *name, *val;
    size_t nlen, vlen;
} bounce_hfield;

#define BOUNCE_MAX_FIELDS   256 /* header fields indexed per header block */
#define BOUNCE_MAX_PREFIXES 64  /* reply (and forward) subject prefixes read from the kb */

/* the lists of a view's prefixes (bounce_view.prefixes), by bounce-phrases.tsv kind */
enum { BOUNCE_PFX_REPLY, BOUNCE_PFX_FORWARD, BOUNCE_PFX_TAG, BOUNCE_PFX_BANNER, BOUNCE_PFX_N };

typedef struct bounce_view {
    const char *raw;
    size_t rawlen;
    mail_scan ms;
    const char *hdr; /* top header block */
    size_t hlen;
    buf text; /* decoded human-readable text (text/plain parts outside the returned message) */
    buf html; /* text of text/html parts, used when there is no text/plain */
    buf dsn;  /* message/delivery-status bodies */
    buf orig; /* header block of the returned message (or the text after a separator) */
    buf fbr;  /* message/feedback-report body */
    buf tmp;  /* scratch for header lookups */
    int has_dsn, has_orig, has_fbr, multipart;
    int mime_orig; /* the returned message (or its header) is a MIME part of its own */
    char from[BOUNCE_FIELD_MAX];
    char subject[BOUNCE_FIELD_MAX];
    char lfrom[BOUNCE_FIELD_MAX]; /* the same two in lower case, for the detectors */
    char lsubject[BOUNCE_FIELD_MAX];
    size_t lfrom_len, lsubject_len;
    int subj_kinds;     /* formats.c subject_kind(), worked out once a message: 0 not yet, else
                           1 | 2 (a reply's subject) | 4 (a forward's) */
    int person_quoting; /* fmt_person_quoting(), worked out once a message: 0 not yet, 1
                           no, 2 yes */
    /* the kb's subject prefixes of replies and forwards (bounce-phrases.tsv kinds reply,
     * forward), its gateway tags and banners, listed once when the context is made
     * (fmt_prefixes_init) */
    const char *prefixes[BOUNCE_PFX_N][BOUNCE_MAX_PREFIXES];
    size_t nprefixes[BOUNCE_PFX_N];
    /* the words of the kb's lead-ins (kind lead), hashed (bounce_word_bit()): a line whose
     * last word is none of them cannot have a lead wrapped after it (text.c) */
    uint64_t lead_words[16];
    char ctype[MAIL_MAX_TYPE]; /* top content type */
    const mxd_kb *kb;
    const struct bmatch *reasons; /* reasons.tsv compiled (the kb's, kb_reason_match()) */
    buf ltext;                    /* text in lower case, for the detectors */
    struct fmt_markers *markers;  /* the detectors' markers, prepared once (formats.c) */
    mail_conv_cache conv;
    reply_cmdtab cmds;                    /* SMTP command phrases (classify/command.c) */
    bounce_hfield top[BOUNCE_MAX_FIELDS]; /* the top header, indexed once per message */
    size_t ntop;
    bounce_hfield org[BOUNCE_MAX_FIELDS]; /* the returned message's header, when asked */
    size_t norg;
    int org_indexed;
    size_t sep; /* where the copy of the returned message starts in text (bview_sep) */
    int sep_known;
    size_t own; /* where the notice's own text ends (bview_own) */
    int own_known;
} bounce_view;

/* One format: detect looks at the view (cheap: headers, a few markers); parse fills out and
 * returns the number of recipients found. */
typedef struct bounce_format {
    const char *name;
    int (*detect)(const bounce_view *v);
    int (*parse)(bounce_view *v, bounce_out *out);
} bounce_format;

extern const bounce_format *const bounce_formats[];
extern const size_t bounce_nformats;

/* --- view helpers (bounce.c) --- */

/* bview_header - a top-level header value, unfolded and RFC 2047-decoded, into out
 * (NUL-terminated, truncated). Returns 1 when the field exists. */
int bview_header(bounce_view *v, const char *name, char *out, size_t outlen);

/* bview_orig_header - the same from the headers of the returned message. */
int bview_orig_header(bounce_view *v, const char *name, char *out, size_t outlen);

/* bounce_view_offset - where the view lies in an mxd_bounce_ctx (for the unit tests). */
size_t bounce_view_offset(void);

/* bview_set_orig - use text[0..len) (inline after a separator) as the returned message. */
void bview_set_orig(bounce_view *v, const char *text, size_t len);

/* --- recipients (util.c) --- */

/* bounce_add - a new recipient for addr (cleaned: <> and blanks stripped, mailto: dropped),
 * or the existing one with the same address; NULL when the list is full or the address is
 * not one. */
bounce_rcpt *bounce_add(bounce_out *out, const char *addr, size_t alen);

/* bounce_add_exact - a new recipient for an address already checked and cleaned by its caller
 * (a DSN's typed address whose domain is one label: "webmaster@mailhost"), or the existing
 * one; NULL when the list is full. */
bounce_rcpt *bounce_add_exact(bounce_out *out, const char *a);

/* bounce_postfix_entry - does the line t[0..n) open a recipient entry of Postfix's notice
 * ("<addr>: ...", "addr (expanded from <x>): ...")? */
int bounce_postfix_entry(const char *t, size_t n);

/* bounce_mark_mailer - an own verdict (bounce_rcpt.own) that reports a local program's
 * failure (bounce-phrases.tsv kind program) gets the Diagnostic-Code type X-Unix (classify:
 * mailererror, never a hard bounce). */
void bounce_mark_mailer(const mxd_kb *kb, bounce_rcpt *r);

/* bounce_own_verdict - is the recipient's error its reporting MTA's own (bounce_rcpt.own): a
 * text, but no reply code, command, remote host, "remote" or "host " in it? */
int bounce_own_verdict(const bounce_rcpt *r);

/* bounce_find - the recipient with this address, or NULL. */
bounce_rcpt *bounce_find(bounce_out *out, const char *addr, size_t alen);

/* rcpt_diag_set / rcpt_diag_add - set / append diagnostic text, blanks collapsed. */
void rcpt_diag_set(bounce_rcpt *r, const char *s, size_t len);
void rcpt_diag_add(bounce_rcpt *r, const char *s, size_t len);

/* bounce_addr_in - the first e-mail address in s[0..len): its start and length; 0 if none. */
int bounce_addr_in(const char *s, size_t len, size_t *at, size_t *alen);

/* bounce_addr_clean - the address in s[0..len) without <>, quotes, "rfc822;" and blanks, into
 * out (lower-cased domain). Returns its length, 0 when it is not an address. */
size_t bounce_addr_clean(const char *s, size_t len, char *out, size_t outlen);

/* bounce_addr_typed - s[0..len), blanks and <> around it, as the address a field that says it
 * holds one (a DSN's typed recipient) gives, where the text search (bounce_addr_in, which
 * wants a dotted host name) takes none: a one-label domain ("webmaster@mailhost"; not
 * localhost or localdomain), or a domain the sender mistyped ("bob@#example.net": the
 * failure is that address's). Into out with the domain lower-cased. Returns its length, 0
 * when it is not one (blanks, a second '@', brackets, 8-bit domain). */
size_t bounce_addr_typed(const char *s, size_t len, char *out, size_t outlen);

/* bounce_log_stamp - does the line open with a log's time stamp, syslog's "Jun  3 10:00:01"
 * or an ISO date "2026-06-03"? A log's lines are a server's own records (maillog.c reads them;
 * the readers of a person's or a notice's words leave them). */
int bounce_log_stamp(const char *l, size_t ll);

/* bounce_line - iterate lines of s[0..len): from *pos, the line (without CR LF); 0 at end. */
int bounce_line(const char *s, size_t len, size_t *pos, const char **l, size_t *ll);

/* bounce_trim - strip blanks at both ends of [*s, *s + *len). */
void bounce_trim(const char **s, size_t *len);

/* bounce_starts - does l (ll bytes) start with the prefix, ignoring case? */
int bounce_starts(const char *l, size_t ll, const char *prefix);

/* bounce_has - does s contain needle, ignoring case? */
int bounce_has(const char *s, size_t len, const char *needle);

/* bounce_has_wrapped - the same, where a blank of needle may also be a line break in s with
 * the blanks around it (a sentence a notice wraps at another width than the one it was
 * learned from); a blank line is no such break: a sentence does not go on past it. */
int bounce_has_wrapped(const char *s, size_t len, const char *needle);

/* bounce_word_bit - the bit (0..1023) of the word w[0..len) in a view's lead_words, any case */
unsigned bounce_word_bit(const char *w, size_t len);

/* bounce_join_lines - in place: each single line break in s[0..len), with the blanks, TABs
 * and CRs around it, becomes one blank; two or more (a paragraph's end) become one line
 * break. Returns the new length. */
size_t bounce_join_lines(char *s, size_t len);

/* bounce_has_code - does the text hold a 4xx / 5xx reply code standing alone? */
int bounce_has_code(const char *s, size_t len);

/* bounce_reply_code_at - does s open with an SMTP failure reply's code ("550 ", "451-", "554"
 * alone)? */
int bounce_reply_code_at(const char *s, size_t n);

/* bounce_subject_label - does the line open with a Subject label (bounce-phrases.tsv kind
 * subject-label) and a colon ("Subject:", "* 메일 제목 :", "Betreff:", "件名：" ...)? 1 with its
 * value on the line, 2 when the label stands alone. */
int bounce_subject_label(const mxd_kb *kb, const char *l, size_t ll);

/* bounce_reply_open - has a Postfix entry's text begun the server's words ("host NAME[IP]
 * said:") without coming to the "(in reply to ... command)" Postfix closes them with? */
int bounce_reply_open(const char *s, size_t len);

/* fmt_prefixes_init - list the kb's reply and forward subject prefixes in the view */
void fmt_prefixes_init(bounce_view *v);

/* fmt_person_quoting - is the message a person's reply or a list's post (by its Subject's
 * opening or its List-Id) whose own header fields do not say it is a notice: whatever notice
 * it quotes is hearsay (formats.c) */
int fmt_person_quoting(const bounce_view *v);

/* fmt_opens_entry - does the line l[0..ll) (an address first) open a Postfix entry of its
 * own, its text after "addr: " opening as Postfix opens one ("host ...", "connect to ...", a
 * reply code ...; formats.c)? */
int fmt_opens_entry(const char *l, size_t ll);

/* bounce_has_reply - the same for one class only ('5': a permanent reply), 0 for both. */
int bounce_has_reply(const char *s, size_t len, char cls);

/* bounce_copy - copy s[0..len) trimmed into out (NUL-terminated, truncated). */
void bounce_copy(char *out, size_t outlen, const char *s, size_t len);

/* bounce_date - parse an RFC 5322 date; returns seconds since 1970 (0 when it is not a date)
 * and the zone as "+0900" into tz (8 bytes). */
long long bounce_date(const char *s, size_t len, char *tz);

/* --- formats (dsn.c) --- */

/* dsn_parse - the fields of a message/delivery-status body (RFC 3464): one recipient per
 * group with a Final-Recipient (or Original-Recipient). Returns the number found. */
int dsn_parse(const char *s, size_t len, bounce_out *out);

/* dsn_text_fill - for recipients without a diagnostic, look for their paragraph in the
 * human-readable text ("<addr>: host ... said: 550 ..."). */
void dsn_text_fill(const bounce_view *v, bounce_out *out);

/* text_generic - read a plain-text bounce: recipients and the error lines that follow
 * them between start and stop markers. Used by several formats. */
int text_generic(const mxd_kb *kb, const char *s, size_t len, bounce_out *out);

/* bview_sep - text_separator() of the view's text, found once per message. */
size_t bview_sep(bounce_view *v);

/* quoted_block_at - in s[from, end), the offset of a message quoted without a separator line
 * (a blank line, then a header field at the start of a line: "From: ", "Subject: "), or end. */
size_t quoted_block_at(const char *s, size_t from, size_t end);

/* bview_own - where the notice's own text ends: at its separator, or earlier at a message
 * quoted below it without one (quoted_block_at); found once per message. */
size_t bview_own(bounce_view *v);

/* text_leads_v - the recipients listed under a lead-in phrase of the view's text
 * (bounce-phrases.tsv, kind lead: "Delivery has failed to these recipients or groups:",
 * "did not reach the following recipient(s):"), one a line, bulleted or not, an address
 * anywhere near the start of the line; each with the reply text nearest to it: the rest of
 * its line and the lines under it, else the explanation after the list. Returns the number
 * of recipients added. */
int text_leads_v(bounce_view *v, bounce_out *out);

/* text_unqualified_v - a notice whose lead-in line ("... could not be delivered to the
 * following:") is followed by a bare local part ("jsmith" or "jsmith (User account is
 * expired)"): the address at the domain of the notice's sender, as an MTA qualifies an
 * unqualified address with its own domain (RFC 5321 section 2.3.5; AOL's and GroupWise's
 * notices name local recipients so). 1 when one was found, else 0. */
int text_unqualified_v(bounce_view *v, bounce_out *out);

/* text_generic_v - text_generic() on the view's text from off to its separator. */
int text_generic_v(bounce_view *v, size_t off, bounce_out *out);

/* text_separator - offset of the line that starts the copy of the returned message in a
 * plain-text bounce ("------ This is a copy of the message ..."; bounce-phrases.tsv, kind
 * separator), or len when none. */
size_t text_separator(const mxd_kb *kb, const char *s, size_t len);

/* fmt_markers_new / fmt_markers_free - the detectors' marker cache (formats.c). */
struct fmt_markers *fmt_markers_new(void);
void fmt_markers_free(struct fmt_markers *m);

/* bounce_record_json_fast - the compact JSON of a record, allocated (record.c); NULL when
 * out of memory. */
char *bounce_record_json_fast(const mxd_bounce_record *r, int explain_rule);

/* bounce_record_json_ref - the same built with jansson (pretty when asked); the reference
 * the fast writer is tested against. The caller frees the string. */
char *bounce_record_json_ref(const mxd_bounce_record *r, int explain_rule, int pretty);

#endif
