/* formats.h - the bounce formats (one module each) and the table that orders them (internal)
 * SPDX-License-Identifier: MIT
 */
#ifndef MXD_BOUNCE_FORMATS_H
#define MXD_BOUNCE_FORMATS_H

#include "bounce/bounce_internal.h"

extern const bounce_format bounce_fmt_arf;
extern const bounce_format bounce_fmt_jmrp;
extern const bounce_format bounce_fmt_rfc3834;
extern const bounce_format bounce_fmt_rfc3464;
extern const bounce_format bounce_fmt_text;
extern const bounce_format bounce_fmt_qmail;
extern const bounce_format bounce_fmt_james;
extern const bounce_format bounce_fmt_exim;
extern const bounce_format bounce_fmt_dragonfly;
extern const bounce_format bounce_fmt_gmail;
extern const bounce_format bounce_fmt_googlegroups;
extern const bounce_format bounce_fmt_opensmtpd;
extern const bounce_format bounce_fmt_exchange2003;
extern const bounce_format bounce_fmt_mcafee;
extern const bounce_format bounce_fmt_sendmail;
extern const bounce_format bounce_fmt_amazonses;
extern const bounce_format bounce_fmt_domino;
extern const bounce_format bounce_fmt_notes;
extern const bounce_format bounce_fmt_mdaemon;
extern const bounce_format bounce_fmt_imail;
extern const bounce_format bounce_fmt_maillog;
extern const bounce_format bounce_fmt_maillog_late;

/* helpers for format modules (formats.c). The strings the *_has helpers look for must be
 * string literals or others that live as long as the parser: each is prepared for searching
 * once and found again by its address. */

/* fmt_from_has / fmt_subject_has - does the bounce's From / Subject contain s (any case)? */
int fmt_from_has(const bounce_view *v, const char *s);
int fmt_subject_has(const bounce_view *v, const char *s);

/* fmt_notice_headers - do the message's own header fields say a mail system wrote it (a null
 * Return-Path, X-Failed-Recipients, Auto-Submitted as notices write it, a mailer daemon's or
 * postmaster's From: bounce-phrases.tsv kind from)? Words a person may write do not count. */
int fmt_notice_headers(const bounce_view *v);
/* fmt_subject_starts - does the Subject start with s (any case), as written or after the tags
 * a mail gateway, a ticket system or a list put before it (fmt_subject_untagged())? */
int fmt_subject_starts(const bounce_view *v, const char *s);
/* fmt_system_name - does low[0..len) (in lower case: a From) hold a mail system's sender name
 * or address (bounce-phrases.tsv kind from: "mailer-daemon", "mail delivery", "microsoft
 * outlook" ...)? fmt_system_name(v, v->lfrom, v->lfrom_len) asks it of the message's own From. */
int fmt_system_name(const bounce_view *v, const char *low, size_t len);
/* fmt_forwarded_person - is the message a person's forward ("Fwd: ...") of a message a person
 * wrote (the forwarded header lines' From, an address or a name alone, is no mail system's:
 * bounce-phrases.tsv kind from)? What the forwarded message says of a notice is hearsay then. 0
 * when the forwarded From is a mail system's, or none is written. */
int fmt_forwarded_person(const bounce_view *v);
/* fmt_subject_untagged - the Subject past the tags a mail gateway put in front of it
 * (fmt_subject_gateway_tag_len(), at most eight) and the blanks after them; the Subject itself
 * when it opens with none. A ticket system's or a list's own tag ("[Ticket#1]", "[site #123]")
 * stays: what follows it is that system's word, no notice's or auto-reply's. */
const char *fmt_subject_untagged(const bounce_view *v);
/* fmt_subject_gateway_tag_len - the length of the mail gateway's tag s[0..sl) opens with: a
 * bounce-phrases.tsv tag ("EXTERNAL:", "CAUTION: External Email -"), or the word of such a
 * tag in brackets ("[EXTERNAL]", "(External)", "*EXTERNAL*"); 0 when none. */
size_t fmt_subject_gateway_tag_len(const bounce_view *v, const char *s, size_t sl);

/* fmt_forwarded - does a person pass the message on (its Subject opens with "Fwd:", "WG:",
 * "转发:" ... : bounce-phrases.tsv kind forward)? */
int fmt_forwarded(const bounce_view *v);

/* fmt_header_has - does the top header field name exist (and contain s, when s is not
 * NULL)? */
int fmt_header_has(const bounce_view *v, const char *name, const char *s);

/* fmt_text_has - does the human-readable text contain s (any case)? */
int fmt_text_has(const bounce_view *v, const char *s);

/* fmt_orig_after - take the text after the separator as the returned message when the
 * message has no MIME part for it. */
void fmt_orig_after(bounce_view *v);

/* fmt_fallback_rcpt - when a format found errors but no address: the recipient from
 * X-Failed-Recipients, else the To of the returned message. Returns the recipient or NULL. */
bounce_rcpt *fmt_fallback_rcpt(bounce_view *v, bounce_out *out);

/* fmt_dsn_in_text - DSN fields written into the human-readable text (no delivery-status
 * part: Amazon WorkMail, forwarded bounces): parsed as a DSN. Returns the recipients found. */
int fmt_dsn_in_text(bounce_view *v, bounce_out *out);

/* fmt_intro_diag - for recipients whose diagnostic says nothing classifiable, add the
 * explanation the bounce gives before its first recipient. */
void fmt_intro_diag(const mxd_kb *kb, bounce_view *v, bounce_out *out);

/* fmt_beside_failure - in a person's words quoting a notice (out->hearsay), an address in the
 * person's signature (a few lines under "-- " or "---") with no failure beside it (no reply
 * code, no status, no failure's wording) is no recipient of the notice (the twelfth round's
 * N010). */
void fmt_beside_failure(const bounce_view *v, bounce_out *out);

/* fmt_notice_kind - a notice whose own text says it only warns of a delay (bounce-phrases.tsv,
 * kind delayed) gives its recipients without an action and without a 5xx reply action
 * "delayed"; with success set, one that reports a delivery (kind delivered) gives those without
 * a 4xx/5xx reply action "delivered". Recipients with an action or a reason are kept. success
 * FMT_SUCCESS_MISWORDED: the template may head a failure with its success sentence (OpenSMTPD
 * 5.7), so a recipient whose own words name a failure is no delivery either. */
#define FMT_SUCCESS_MISWORDED 2
void fmt_notice_kind(bounce_view *v, bounce_out *out, int success);

/* fmt_permanent - does the recipient show a permanent failure: a 5xx reply, a Status 5.x.y, or
 * a 5.x.y standing alone in a text with no 4xx reply? (fmt_notice_kind's and exim.c's veto) */
int fmt_permanent(const bounce_rcpt *r);
/* fmt_any_permanent - does any recipient of out show one (a notice that is no mere warning)? */
int fmt_any_permanent(const bounce_out *out);

/* fmt_notice_says - does the notice's own text (up to the returned message, and not into a
 * message quoted below it) hold a bounce-phrases.tsv phrase of that kind (KB_PH_*)? */
int fmt_notice_says(bounce_view *v, int kind);

#endif
