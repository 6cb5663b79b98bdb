/* formats.c - the table of bounce formats, tried in order, and helpers for the modules
 * SPDX-License-Identifier: MIT
 *
 * Specific formats come first (each detector looks at headers and a few markers only);
 * the generic readers close the table: feedback reports, auto-replies, standard DSNs and
 * finally the plain-text reader. The first format whose detector accepts the message and
 * whose parser finds at least one recipient decides.
 */
#define _GNU_SOURCE 1 /* memmem */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "bounce/bounce_internal.h"
#include "bounce/formats.h"
#include "classify/classify.h"
#include "classify/reply.h"
#include "util/match.h"
#include "kb/kb_internal.h"
#include "util/str.h"

#define FMT_MARKER_WINDOW (4u * 1024) /* bytes of text searched for a format's markers */

/* lower_has - does the lower-case text hold the marker s (any case)? */
static int lower_has(const bounce_view *v, const char *low, size_t len, const char *s);

int fmt_from_has(const bounce_view *v, const char *s)
{
    return lower_has(v, v->lfrom, v->lfrom_len, s);
}

int fmt_subject_has(const bounce_view *v, const char *s)
{
    return lower_has(v, v->lsubject, v->lsubject_len, s);
}

int fmt_subject_starts(const bounce_view *v, const char *s)
{
    if (bounce_starts(v->subject, strlen(v->subject), s))
        return 1;
    /* (after a gateway's or a ticket system's tags: "[EXTERNAL] DELIVERY FAILURE: ...") */
    const char *u = fmt_subject_untagged(v);
    return u != v->subject && bounce_starts(u, strlen(u), s);
}

int fmt_header_has(const bounce_view *v, const char *name, const char *s)
{
    if (!s) {
        /* presence only: no need to unfold and decode the value */
        size_t nl = strlen(name);
        for (size_t i = 0; i < v->ntop; i++)
            if (v->top[i].nlen == nl && str_caseeq(v->top[i].name, nl, name))
                return 1;
        return 0;
    }
    char val[BOUNCE_FIELD_MAX];
    if (!bview_header((bounce_view *)v, name, val, sizeof val))
        return 0;
    size_t l = strlen(val);
    bmatch_lower(val, l, val);
    return lower_has(v, val, l, s);
}

/* The markers detectors look for are string literals: each is lower-cased and prepared for
 * searching (str_needle) the first time it is asked for, found again by its address. */
#define FMT_MARKER_SLOTS 512 /* more than all the formats' markers and phrases together */
#define FMT_MARKER_MAX   256 /* longer markers are searched without the cache */

typedef struct fmt_marker {
    const char *key; /* the detector's literal, NULL for a free slot */
    char low[FMT_MARKER_MAX];
    str_needle needle;
} fmt_marker;

struct fmt_markers {
    fmt_marker slot[FMT_MARKER_SLOTS];
};

struct fmt_markers *fmt_markers_new(void)
{
    return calloc(1, sizeof(struct fmt_markers));
}

void fmt_markers_free(struct fmt_markers *m)
{
    free(m);
}

/* marker_get - the prepared marker for the literal s, or NULL (too long, table full). */
static const str_needle *marker_get(struct fmt_markers *m, const char *s)
{
    if (!m)
        return NULL;
    size_t h = ((size_t)(uintptr_t)s >> 3) % FMT_MARKER_SLOTS;
    for (size_t probe = 0; probe < FMT_MARKER_SLOTS; probe++) {
        fmt_marker *k = &m->slot[(h + probe) % FMT_MARKER_SLOTS];
        if (k->key == s)
            return &k->needle;
        if (k->key)
            continue;
        size_t l = strlen(s);
        if (l >= sizeof k->low)
            return NULL;
        k->key = s;
        bmatch_lower(s, l, k->low);
        str_needle_prep(&k->needle, k->low, l, 0);
        return &k->needle;
    }
    return NULL;
}

static int lower_has(const bounce_view *v, const char *low, size_t len, const char *s)
{
    const str_needle *n = marker_get(v->markers, s);
    if (!n)
        return bounce_has(low, len, s);
    return str_needle_find(n, low, len) != NULL;
}

int fmt_text_has(const bounce_view *v, const char *s)
{
    const str_needle *n = v->ltext.len ? marker_get(v->markers, s) : NULL;
    if (!n)
        return v->text.len && bounce_has_wrapped(v->text.ptr, v->text.len, s);
    /* the markers formats write stand in the first lines: look no further than that */
    size_t w = v->ltext.len < FMT_MARKER_WINDOW ? v->ltext.len : FMT_MARKER_WINDOW;
    return str_needle_find(n, v->ltext.ptr, w) != NULL;
}

void fmt_orig_after(bounce_view *v)
{
    if (v->has_orig || !v->text.len)
        return;
    size_t at = bview_sep(v);
    if (at >= v->text.len)
        return;
    /* skip the separator line itself */
    const char *nl = memchr(v->text.ptr + at, '\n', v->text.len - at);
    if (!nl)
        return;
    size_t from = (size_t)(nl + 1 - v->text.ptr);
    buf copy;
    buf_init(&copy, BOUNCE_MAX_ORIG + 1);
    size_t n = v->text.len - from;
    if (n > BOUNCE_MAX_ORIG)
        n = BOUNCE_MAX_ORIG;
    if (buf_add(&copy, v->text.ptr + from, n) == MXD_OK && copy.ptr)
        bview_set_orig(v, copy.ptr, copy.len);
    buf_free(&copy);
}

/* orig_is_notice - is the returned message itself a notice (a delivery report, or from a
 * mailer daemon)? */
static int orig_is_notice(bounce_view *v)
{
    char ct[BOUNCE_FIELD_MAX], from[BOUNCE_FIELD_MAX];
    return (bview_orig_header(v, "Content-Type", ct, sizeof ct) &&
            bounce_has(ct, strlen(ct), "delivery-status")) ||
           (bview_orig_header(v, "From", from, sizeof from) &&
            bounce_has(from, strlen(from), "mailer-daemon"));
}

bounce_rcpt *fmt_fallback_rcpt(bounce_view *v, bounce_out *out)
{
    char val[BOUNCE_FIELD_MAX];
    bounce_rcpt *r = NULL;
    if (bview_header(v, "X-Failed-Recipients", val, sizeof val))
        r = bounce_add(out, val, strlen(val));
    /* the returned message's To, unless that message is itself a notice: a DSN forwarded or
     * wrapped again is addressed to our own sender, who is no failed recipient */
    if (r || orig_is_notice(v)) /* (nor its X-Original-To then: our own bounce mailbox) */
        return r;
    if (bview_orig_header(v, "To", val, sizeof val))
        r = bounce_add(out, val, strlen(val));
    if (!r && bview_header(v, "X-Original-To", val, sizeof val))
        r = bounce_add(out, val, strlen(val));
    return r;
}

void fmt_intro_diag(const mxd_kb *kb, bounce_view *v, bounce_out *out)
{
    if (!v->text.len || !out->n)
        return;
    const char *t = v->text.ptr;
    size_t end = bview_sep(v);
    /* the intro: up to the first line naming a recipient */
    const char *first = str_casefind(t, end, out->r[0].recipient, strlen(out->r[0].recipient));
    size_t il = first ? (size_t)(first - t) : end;
    /* the start of the line that names it ("There was a temporary problem delivering your
     * message to <"): without the '<' and blanks before the address, and left out where the
     * recipient's own text already holds it */
    size_t ls = il, pe = il;
    while (first && ls > 0 && t[ls - 1] != '\n')
        ls--;
    while (pe > ls && (t[pe - 1] == '<' || t[pe - 1] == ' ' || t[pe - 1] == '"' ||
                       t[pe - 1] == '\t' || t[pe - 1] == '('))
        pe--;
    if (il > 600)
        il = 600;
    if (ls > il)
        ls = il;
    if (pe > il)
        pe = il;
    if (!il)
        return;
    for (size_t i = 0; i < out->n; i++) {
        bounce_rcpt *r = &out->r[i];
        char low[BOUNCE_MAX_DIAG];
        bmatch_lower(r->diag, r->diaglen, low);
        int known = r->diaglen && bmatch_first(v->reasons, low, r->diaglen) >= 0;
        (void)kb;
        if (known || r->reason)
            continue;
        char keep[BOUNCE_MAX_DIAG];
        size_t kl = r->diaglen < sizeof keep ? r->diaglen : sizeof keep - 1;
        memcpy(keep, r->diag, kl);
        int held = pe > ls && str_casefind(keep, kl, t + ls, pe - ls);
        rcpt_diag_set(r, t, held ? ls : pe);
        rcpt_diag_add(r, keep, kl);
    }
}

/* --- RFC 3464: message/delivery-status --- */

static int notice_like(const bounce_view *v);

/* json_text - does t[0..n) open as JSON, after blanks: '{' then a quoted name or '}', or '['
 * then a value that opens an object, array or string? (Not a notice's "[https://...logo.png]"
 * image line.) */
static int json_text(const char *t, size_t n)
{
    size_t b = 0;
    while (t && b < n && str_isspace((unsigned char)t[b]))
        b++;
    if (!t || b + 1 >= n || (t[b] != '{' && t[b] != '['))
        return 0;
    char open = t[b++];
    while (b < n && str_isspace((unsigned char)t[b]))
        b++;
    return b < n && (open == '{' ? (t[b] == '"' || t[b] == '}')
                                 : (t[b] == '{' || t[b] == '[' || t[b] == '"' || t[b] == ']'));
}

void fmt_prefixes_init(bounce_view *v)
{
    const mxd_kb *kb = v->kb;
    memset(v->nprefixes, 0, sizeof v->nprefixes);
    for (size_t i = 0; kb && i < kb->nphrases; i++) {
        int k = kb->phrases[i].kind == KB_PH_REPLY     ? BOUNCE_PFX_REPLY
                : kb->phrases[i].kind == KB_PH_FORWARD ? BOUNCE_PFX_FORWARD
                : kb->phrases[i].kind == KB_PH_TAG     ? BOUNCE_PFX_TAG
                : kb->phrases[i].kind == KB_PH_BANNER  ? BOUNCE_PFX_BANNER
                                                       : -1;
        if (k >= 0 && v->nprefixes[k] < BOUNCE_MAX_PREFIXES)
            v->prefixes[k][v->nprefixes[k]++] = kb_str(kb, kb->phrases[i].pattern);
    }
    memset(v->lead_words, 0, sizeof v->lead_words);
    for (size_t i = 0; kb && i < kb->nphrases; i++) {
        if (kb->phrases[i].kind != KB_PH_LEAD)
            continue;
        const char *p = kb_str(kb, kb->phrases[i].pattern);
        while (*p) { /* (its words: the runs between blanks and a '*') */
            while (*p == ' ' || *p == '*')
                p++;
            size_t n = 0;
            while (p[n] && p[n] != ' ' && p[n] != '*')
                n++;
            if (n) {
                unsigned b = bounce_word_bit(p, n);
                v->lead_words[b >> 6] |= (uint64_t)1 << (b & 63);
            }
            p += n;
        }
    }
}

/* starts_kind - the length of the prefix of that kind (KB_PH_REPLY, KB_PH_FORWARD, KB_PH_TAG)
 * s opens with, or 0 */
static size_t starts_kind(const bounce_view *v, const char *s, size_t sl, int kind)
{
    if (!sl)
        return 0;
    int k = kind == KB_PH_REPLY     ? BOUNCE_PFX_REPLY
            : kind == KB_PH_FORWARD ? BOUNCE_PFX_FORWARD
                                    : BOUNCE_PFX_TAG;
    unsigned char c0 = (unsigned char)str_tolower((unsigned char)s[0]);
    for (size_t i = 0; i < v->nprefixes[k]; i++) {
        const char *pat = v->prefixes[k][i];
        /* (patterns are in lower case: the first byte rules most out) */
        if ((unsigned char)pat[0] == c0 && bounce_starts(s, sl, pat))
            return strlen(pat);
    }
    return 0;
}

/* subject_tag_len - the length of the tag s[0..sl) opens with, a ticket system's, list's or
 * mail gateway's ("[Ticket#1]", "(EXTERNAL)", "{EXT}", "*EXTERNAL*", "***SPAM***", "【外部】",
 * a bounce-phrases.tsv tag "EXTERNAL:"), or 0 */
static size_t subject_tag_len(const bounce_view *v, const char *s, size_t sl)
{
    size_t k;
    const char *f;
    const char *close = *s == '[' ? "]" : *s == '(' ? ")" : *s == '{' ? "}" : NULL;
    if (close && (k = strcspn(s + 1, close) + 1) < sl && k < 80)
        return k + 1;
    if (*s == '*' && (k = strspn(s, "*")) < sl && (k += strcspn(s + k, "*")) < sl && k < 80)
        return k + strspn(s + k, "*");
    if (bounce_starts(s, sl, "\xe3\x80\x90") && (f = str_find(s, sl, "\xe3\x80\x91", 3)) &&
        f - s < 80)
        return (size_t)(f - s) + 3;
    return starts_kind(v, s, sl, KB_PH_TAG);
}

/* fmt_subject_gateway_tag_len - (formats.h) */
size_t fmt_subject_gateway_tag_len(const bounce_view *v, const char *s, size_t sl)
{
    size_t k = starts_kind(v, s, sl, KB_PH_TAG);
    if (k || !sl || !strchr("[({*", *s) || !(k = subject_tag_len(v, s, sl)))
        return k;
    /* (the same words in a tag's brackets or stars: "[EXTERNAL]", "(External)", "*EXTERNAL*") */
    size_t open = *s == '*' ? strspn(s, "*") : 1, close = 1;
    if (*s == '*')
        for (close = 0; close < k - open && s[k - 1 - close] == '*'; close++)
            ;
    size_t in = k - open - close;
    for (size_t i = 0; in >= 2 && i < v->nprefixes[BOUNCE_PFX_TAG]; i++) {
        const char *pat = v->prefixes[BOUNCE_PFX_TAG][i];
        size_t pl = strlen(pat);
        if (pl == in + 1 && pat[pl - 1] == ':' && !strncasecmp(s + open, pat, in))
            return k;
    }
    return 0;
}

/* fmt_subject_untagged - (formats.h) */
const char *fmt_subject_untagged(const bounce_view *v)
{
    const char *s = v->subject;
    for (int round = 0; round < 8; round++) {
        const char *t = s;
        while (*t == ' ')
            t++;
        size_t k = fmt_subject_gateway_tag_len(v, t, strlen(t));
        if (!k)
            break;
        s = t + k;
        while (*s == ' ')
            s++;
    }
    return s;
}

/* subject_kind - does the Subject open with a phrase of that kind (bounce-phrases.tsv: reply,
 * forward), after blanks and a ticket system's or list's tags ("[Ticket#123] AW: ...",
 * "[Acme Support] Re: ...")? A reply is also one passed on ("Fwd: Re: ..."). */
static int subject_kind_scan(const bounce_view *v, int kind)
{
    const char *s = v->subject;
    for (int round = 0; round < 8; round++) {
        while (*s == ' ' || *s == '\t')
            s++;
        size_t sl = strlen(s), k;
        if (starts_kind(v, s, sl, kind))
            return 1;
        if ((k = subject_tag_len(v, s, sl)) != 0)
            s += k;
        else if (kind == KB_PH_REPLY && (k = starts_kind(v, s, sl, KB_PH_FORWARD)) != 0)
            s += k;
        else
            return 0;
    }
    return 0;
}

static int subject_kind(const bounce_view *v, int kind)
{
    bounce_view *w = (bounce_view *)v; /* (the cache only) */
    if (!w->subj_kinds)
        w->subj_kinds = 1 | (subject_kind_scan(v, KB_PH_REPLY) ? 2 : 0) |
                        (subject_kind_scan(v, KB_PH_FORWARD) ? 4 : 0);
    return (w->subj_kinds & (kind == KB_PH_REPLY ? 2 : 4)) != 0;
}

/* replied - is the message a person's reply ("Re:", "AW:", "回复:" ...) or a list's post
 * (List-Id)? Its words about a notice are no notice. */
static int replied(const bounce_view *v)
{
    /* (a reply under a subject its writer changed still answers a message: In-Reply-To, but
     * Gmail's forward carries it too, and a forward is no reply: review-s10c F1; ezmlm's and
     * Majordomo's posts carry Mailing-List or List-Post, not List-Id) */
    return subject_kind(v, KB_PH_REPLY) || fmt_header_has(v, "List-Id", NULL) ||
           (fmt_header_has(v, "In-Reply-To", NULL) && !subject_kind(v, KB_PH_FORWARD)) ||
           fmt_header_has(v, "Mailing-List", NULL) || fmt_header_has(v, "List-Post", NULL) ||
           fmt_header_has(v, "Precedence", "list");
}

/* forwarded - does a person pass the message on ("Fwd:", "WG:", "转发:" ...)? */
static int forwarded(const bounce_view *v)
{
    return subject_kind(v, KB_PH_FORWARD);
}

int fmt_forwarded(const bounce_view *v)
{
    return v->hlen && forwarded(v);
}

/* from_a_person - a reply, a list's post, or a message passed on: a person's words */
static int from_a_person(const bounce_view *v)
{
    return replied(v) || forwarded(v);
}

/* from_is_null - is the From the null address "<>" itself (not a name holding "<>")? */
static int from_is_null(const bounce_view *v)
{
    const char *f = v->from;
    while (*f == ' ' || *f == '\t')
        f++;
    return f[0] == '<' && f[1] == '>' && !f[2 + strspn(f + 2, " \t")];
}

/* notice_marks - the header fields a mail system writes on a notice and a person does not:
 * X-Failed-Recipients, MDaemon's X-MDDSN-Message, the null Return-Path, and Auto-Submitted as
 * notices write it (Postfix's and Exim's "auto-replied", sendmail's "auto-generated
 * (failure)"; not a notification's plain "auto-generated" (GitLab, cron, ticket systems) nor
 * "no", RFC 3834 section 5) */
static int notice_marks(const bounce_view *v)
{
    return fmt_header_has(v, "X-Failed-Recipients", NULL) ||
           fmt_header_has(v, "X-MDDSN-Message", NULL) || fmt_header_has(v, "Return-Path", "<>") ||
           fmt_header_has(v, "Auto-Submitted", "auto-replied") ||
           fmt_header_has(v, "Auto-Submitted", "failure");
}

/* system_sender - a notice's marks, or a sender only a mail system uses; not the From names a
 * person may answer under ("Postmaster", "System Administrator", "Mail Delivery Team") that
 * fmt_notice_headers() also takes */
static int system_sender(const bounce_view *v)
{
    return notice_marks(v) || fmt_from_has(v, "mailer-daemon") || fmt_from_has(v, "post_master@") ||
           from_is_null(v) || fmt_from_has(v, "microsoftexchange329e71ec88ae4615bbc36ab6ce41109e");
}

/* no_reply_from - is the From's address one nobody answers ("no-reply@", "noreply@",
 * "do-not-reply@")? au/KDDI's notices come from no-reply@...dion.ne.jp; so do relayed posts
 * of people (a forum's "Jane via Forum <noreply@...>"), so it is no sign on its own. */
static int no_reply_from(const bounce_view *v)
{
    static const char *const nr[] = {"no-reply@",     "noreply@",    "no_reply@",
                                     "do-not-reply@", "donotreply@", "do_not_reply@"};
    /* (the address, not a display name: "Jane via Forum <noreply@forum...>" is a person's
     * words relayed, review-s11d H1) */
    const char *a = v->lfrom;
    /* (the '<' that opens an address: not one in a comment, "no-reply@... (au <KDDI>)") */
    for (const char *lt = strchr(v->lfrom, '<'); lt; lt = strchr(lt + 1, '<')) {
        const char *gt = strchr(lt, '>'), *at = strchr(lt, '@');
        if (gt && at && at < gt) {
            a = lt + 1;
            break;
        }
    }
    while (*a == ' ')
        a++;
    for (size_t i = 0; i < sizeof nr / sizeof *nr; i++)
        if (!strncmp(a, nr[i], strlen(nr[i])))
            return 1;
    return 0;
}

/* returns_message - does the message return one as a MIME part of its own (message/rfc822,
 * text/rfc822-headers) that is no notice itself? A notice returns the message that failed; a
 * person asking about a bounce pastes it, or attaches the notice. */
static int returns_message(const bounce_view *v)
{
    return v->mime_orig && !orig_is_notice((bounce_view *)v);
}

/* phrase_in - does a phrase of that kind (bounce-phrases.tsv) occur where has() looks (the
 * From, the Subject)? */
static int phrase_in(const bounce_view *v, int kind, int (*has)(const bounce_view *, const char *))
{
    const mxd_kb *kb = v->kb;
    for (size_t i = 0; kb && i < kb->nphrases; i++)
        if (kb->phrases[i].kind == kind && has(v, kb_str(kb, kb->phrases[i].pattern)))
            return 1;
    return 0;
}

int fmt_system_name(const bounce_view *v, const char *low, size_t len)
{
    const mxd_kb *kb = v->kb;
    for (size_t i = 0; kb && i < kb->nphrases; i++)
        if (kb->phrases[i].kind == KB_PH_FROM &&
            lower_has(v, low, len, kb_str(kb, kb->phrases[i].pattern)))
            return 1;
    return 0;
}

int fmt_forwarded_person(const bounce_view *v)
{
    if (!v->hlen || !forwarded(v) || !v->text.ptr)
        return 0;
    /* the forwarded message's own header lines, as a client writes them above its text
     * ("---------- Forwarded message ---------", "From: Jane <jane@...>", "Subject: ..."):
     * the first "From:" line of the notice's own text */
    size_t end = bview_own((bounce_view *)v), pos = 0, ll;
    const char *l;
    if (end > FMT_MARKER_WINDOW)
        end = FMT_MARKER_WINDOW;
    while (bounce_line(v->text.ptr, end, &pos, &l, &ll)) {
        while (ll && (*l == ' ' || *l == '\t' || *l == '>' || *l == '*'))
            l++, ll--;
        if (ll < 5 || !str_caseeq(l, 5, "from:"))
            continue;
        l += 5, ll -= 5;
        bounce_trim(&l, &ll);
        if (!ll)
            return 0; /* (nothing written: no telling whose) */
        /* (a name alone, as Outlook writes a sender it knows, is a person's unless it is a
         * mail system's name: "Mail Delivery System", "Microsoft Outlook") */
        char low[BOUNCE_FIELD_MAX];
        size_t n = ll < sizeof low - 1 ? ll : sizeof low - 1;
        bmatch_lower(l, n, low);
        low[n] = 0;
        return !fmt_system_name(v, low, n);
    }
    return 0;
}

/* subject_notice - does the Subject say it is a notice (bounce-phrases.tsv kind subject)? */
static int subject_notice(const bounce_view *v)
{
    return phrase_in(v, KB_PH_SUBJECT, fmt_subject_has);
}

static int person_quoting(const bounce_view *v);

int fmt_person_quoting(const bounce_view *v)
{
    bounce_view *w = (bounce_view *)v; /* (the cache only: the detectors, the text reader and
                                          bounce.c all ask) */
    if (!w->person_quoting)
        w->person_quoting = 1 + person_quoting(v);
    return w->person_quoting == 2;
}

static int person_quoting(const bounce_view *v)
{
    /* under a reply's Subject a role's name (a person answering as "Postmaster", "System
     * Administrator", "Mail Delivery Team") is no notice's mark, with or without the thread's
     * headers (review-s10 H4, review-s10c F2, review-s10e F1): a notice so titled that has
     * none of a system's marks is read as hearsay, soft; a suppressed good address costs
     * more. Verizon titles its notices "Re:" and sends them from post_master@. */
    if (!v->hlen)
        return 0;
    if (replied(v))
        return !(subject_kind(v, KB_PH_REPLY) ? system_sender(v) : fmt_notice_headers(v));
    /* a person's own new message (no reply, nothing passed on) that pastes a notice to ask
     * about it: its From names a mailbox, neither its header fields nor its Subject say it is
     * a notice, and it is not a no-reply address's mail that returns a message (au/KDDI's
     * notice, saved without its null Return-Path: review-s11c H1; a relayed forum post from
     * noreply@ or a person attaching what they sent is still a person's: review-s11d H1). A
     * paste that opens with the returned message's header lines has no From of its own (the
     * ninth round's N012). */
    return strchr(v->from, '@') && !forwarded(v) && !fmt_notice_headers(v) && !subject_notice(v) &&
           !(no_reply_from(v) && returns_message(v));
}

/* dsn_in_text - the human-readable part carries the DSN fields itself (Amazon WorkMail,
 * some gateways): "Final-Recipient: rfc822; ..." with "Status:" or "Action:". */
static int dsn_in_text(const bounce_view *v)
{
    return v->text.len && bounce_has(v->text.ptr, v->text.len, "Final-Recipient:") &&
           (bounce_has(v->text.ptr, v->text.len, "Status:") ||
            bounce_has(v->text.ptr, v->text.len, "Action:")) &&
           /* in a message with a header, a text that says it is a notice (Amazon WorkMail's
            * have no other sign), or one a person passes on that says so ("Fwd: Returned
            * mail ..."): not a person's reply that quotes a report's lines to ask about them,
            * nor a forwarded question that quotes them without a notice's words */
           (!v->hlen || fmt_notice_headers(v) || (notice_like(v) && !replied(v)));
}

/* bare_host - is the From only a host name ("amazonses.com": letters, digits, '-' and '.',
 * with a dot), no mailbox and no name? Not a list archive's "jane at example.org (Jane)" or a
 * name alone (review-s10d F2). */
static int bare_host(const char *f)
{
    while (*f == ' ' || *f == '\t')
        f++;
    size_t n = strlen(f);
    while (n && (f[n - 1] == ' ' || f[n - 1] == '\t'))
        n--;
    int dot = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)f[i];
        if (c == '.')
            dot = i > 0 && i + 1 < n;
        else if (!str_isalnum(c) && c != '-')
            return 0;
    }
    return n && dot;
}

/* returns_own - is a message attached, and was it sent by the one this message goes to (the
 * returned message of a notice, as Amazon WorkMail attaches it), not any message a person
 * attaches (review-s10c F3)? */
static int returns_own(bounce_view *v)
{
    char of[BOUNCE_FIELD_MAX], to[BOUNCE_FIELD_MAX];
    if (!v->has_orig || !bview_orig_header(v, "From", of, sizeof of) ||
        !bview_header(v, "To", to, sizeof to))
        return 0;
    size_t at, al, bt, bl;
    if (!bounce_addr_in(of, strlen(of), &at, &al) || !bounce_addr_in(to, strlen(to), &bt, &bl))
        return 0;
    if (al != bl)
        return 0;
    to[bt + bl] = 0; /* (str_caseeq compares with a whole string) */
    return str_caseeq(of + at, al, to + bt);
}

int fmt_dsn_in_text(bounce_view *v, bounce_out *out)
{
    if (!dsn_in_text(v))
        return 0;
    /* fields start at the first Reporting-MTA / Final-Recipient line */
    const char *t = v->text.ptr;
    const char *a = str_casefind(t, v->text.len, "Reporting-MTA:", 14);
    if (!a)
        a = str_casefind(t, v->text.len, "Final-Recipient:", 16);
    size_t off = a ? (size_t)(a - t) : 0;
    int n = dsn_parse(t + off, v->text.len - off, out);
    fmt_orig_after(v);
    /* fields in a text whose own header fields do not say it is a notice (a person may quote
     * a report's lines under a notice's subject: review-s9c H1): hearsay, never hard; a
     * notice a person passes on ("Fwd: Returned mail ...") is the notice */
    if (n > 0 && v->hlen && !fmt_notice_headers(v) && !forwarded(v) && !returns_own(v) &&
        !bare_host(v->from) && /* (Amazon WorkMail's "From: amazonses.com": a system's) */
        fmt_header_has(v, "From", NULL) && fmt_header_has(v, "Subject", NULL))
        out->hearsay = 1; /* (a returned message attached, as Amazon WorkMail's notices carry
                             it, is no person's quote; nor a paste that opens with the returned
                             message's own header lines: review-s10b F2, F3) */
    return n;
}

static int rfc3464_detect(const bounce_view *v)
{
    return v->has_dsn || dsn_in_text(v);
}

static int rfc3464_parse(bounce_view *v, bounce_out *out)
{
    int n = v->has_dsn ? dsn_parse(v->dsn.ptr ? v->dsn.ptr : "", v->dsn.len, out) : 0;
    if (n == 0)
        n = fmt_dsn_in_text(v, out);
    if (n > 0)
        dsn_text_fill(v, out);
    if (n == 0 && v->text.len) {
        n = text_generic_v(v, 0, out);
    }
    return n;
}

const bounce_format bounce_fmt_rfc3464 = {"rfc3464", rfc3464_detect, rfc3464_parse};

/* --- plain text: anything that says it is a delivery failure --- */

/* Anything that says it is a non-delivery notice: its sender, its subject, or a sentence
 * only such a notice says (data/bounce-phrases.tsv, several languages), or the
 * X-Failed-Recipients field. */

/* ip_at - the length of an IP address at t[0..n) ("192.0.2.1", "2001:db8::1",
 * "::ffff:192.0.2.1"), or 0: four dotted groups of one to three digits, or hex groups with a
 * "::" or seven colons (not "[...]", "[::]" or a time "[10:45:30]": review-s9c H7) */
static size_t ip_at(const char *t, size_t n)
{
    size_t k = 0, dots = 0, colons = 0, run = 0, groups = 0;
    int hex = 0, dbl = 0, badquad = 0;
    while (k < n && k < 45) {
        char c = t[k];
        if (str_isdigit((unsigned char)c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')) {
            hex |= !str_isdigit((unsigned char)c);
            if (++run > 4)
                return 0;
            groups += run == 1;
        } else if (c == '.') {
            badquad |= !run || run > 3;
            dots++;
            run = 0;
        } else if (c == ':') {
            dbl |= k > 0 && t[k - 1] == ':';
            colons++;
            run = 0;
        } else {
            break;
        }
        k++;
    }
    int quad = dots == 3 && !badquad && run >= 1 && run <= 3;
    if (!colons)
        return quad && !hex ? k : 0;
    if (!groups || (dots && !quad))
        return 0;
    return dbl || colons == 7 ? k : 0;
}

/* host_ip_before - does "NAME[IP]" (or "[IP]") end right before p, blanks aside: the host
 * Postfix names before "said:"? */
static int host_ip_before(const char *t, const char *p)
{
    while (p > t && str_isspace((unsigned char)p[-1]))
        p--;
    if (p == t || p[-1] != ']')
        return 0;
    const char *b = p - 1;
    while (b > t && b[-1] != '[' && p - b < 46)
        b--;
    size_t il = (size_t)(p - 1 - b);
    return il && b > t && b[-1] == '[' && ip_at(b, il) == il;
}

/* fold - t[0..n) into out (at most outlen - 1 bytes) with each line break and the blanks
 * around it made one blank: Postfix wraps an entry at 79 columns anywhere in its words. */
static size_t fold(const char *t, size_t n, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < outlen; i++) {
        if (t[i] == '\n' || t[i] == '\r') {
            while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\t'))
                o--;
            while (i + 1 < n && str_isspace((unsigned char)t[i + 1]))
                i++;
            out[o++] = ' ';
        } else {
            out[o++] = t[i];
        }
    }
    out[o] = 0;
    return o;
}

/* postfix_own_words - does an entry's (folded) text hold what only Postfix writes of a failure:
 * the remote server's words after its host ("host mx.example.net[192.0.2.1] said: 550 ..."), a
 * refusal at the greeting ("connect to mx[192.0.2.1]: server refused to talk to me: 554 ..."),
 * the command it answered ("(in reply to RCPT TO command)"), or its own DNS verdict ("Host or
 * domain name not found. Name service error for name=... type=MX: Host not found")? Not a
 * person's "[Tom] said:" or "(in reply to your note)". */
static int postfix_own_words(const char *t, size_t n)
{
    for (const char *p = str_casefind(t, n, "said:", 5); p;
         p = str_casefind(p + 5, n - (size_t)(p + 5 - t), "said:", 5))
        if (host_ip_before(t, p))
            return 1;
    const char *r = str_casefind(t, n, "(in reply to ", 13);
    if (r) {
        size_t at = (size_t)(r - t), w = n - at < 64 ? n - at : 64;
        if (str_casefind(r, w, " command)", 9))
            return 1;
    }
    const char *rt = str_casefind(t, n, "refused to talk to me:", 22);
    if (rt) {
        const char *c = rt; /* "[ip]: server refused", "[ip] refused" */
        while (c > t && c[-1] != ']' && rt - c < 12)
            c--;
        if (c > t && c[-1] == ']' && host_ip_before(t, c))
            return 1;
    }
    return str_casefind(t, n, "name service error for name=", 28) != NULL;
}

/* postfix_opener - does the text after an entry's "addr: " open as Postfix opens one (postfix
 * src/smtp, src/local, src/bounce): "host ...", "connect to ...", "delivery temporarily
 * suspended: ...", "Host or domain name not found. ...", "lost connection with ...",
 * "conversation with ...", "unknown user: ...", "mail for ... loops back to myself", or a
 * reply code? A person's "addr: please check ..." does not. */
static int postfix_opener(const char *t, size_t n)
{
    static const char *const open[] = {"host ",
                                       "connect to ",
                                       "delivery temporarily suspended:",
                                       "host or domain name not found.",
                                       "lost connection with ",
                                       "conversation with ",
                                       "unknown user:",
                                       "mail for ",
                                       "(expanded from"};
    while (n && (*t == ' ' || *t == '\t'))
        t++, n--;
    for (size_t i = 0; i < sizeof open / sizeof *open; i++)
        if (bounce_starts(t, n, open[i]))
            /* ("mail for " only as local(8) goes on: "... loops back to myself") */
            return strcmp(open[i], "mail for ") || str_casefind(t, n, "loops back to myself", 20);
    return bounce_reply_code_at(t, n);
}

/* bracket_ip - does t[0..n) name a host's IP in brackets ("mx.example.net[192.0.2.1]"), as
 * Postfix names the server it spoke to, or say "(in reply to ... command)"? */
static int bracket_ip(const char *t, size_t n)
{
    if (str_casefind(t, n, "(in reply to ", 13))
        return 1;
    for (const char *b = memchr(t, '[', n); b; b = memchr(b + 1, '[', n - (size_t)(b + 1 - t))) {
        size_t i = (size_t)(b - t) + 1, il = ip_at(t + i, n - i);
        if (il && i + il < n && t[i + il] == ']')
            return 1;
    }
    return 0;
}

/* other_address - does the entry's first line name in angle brackets an address other than its
 * own (addr)? Two entries pasted on one line, or a note about someone else's bounce. The
 * remote server's reply may name other addresses (the sender it refused, a rewritten
 * recipient): only the part before its words is looked at. */
static int other_address(const char *t, size_t n, const char *addr, size_t al)
{
    const char *said = str_casefind(t, n, "said:", 5);
    if (said)
        n = (size_t)(said - t);
    for (const char *b = memchr(t, '<', n); b; b = memchr(b + 1, '<', n - (size_t)(b + 1 - t))) {
        size_t i = (size_t)(b - t) + 1, k = i;
        while (k < n && t[k] != '>' && t[k] != '<' && !str_isspace((unsigned char)t[k]))
            k++;
        if (k >= n || t[k] != '>' || !memchr(t + i, '@', k - i))
            continue;
        size_t f = i > 24 ? i - 24 : 0; /* "expanded from <" */
        if (str_casefind(t + f, i - f, "expanded from", 13))
            continue;
        if (k - i != al || !str_casefind(t + i, al, addr, al))
            return 1;
    }
    return 0;
}

/* postfix_entry_says - does an entry (its text folded) read as Postfix writes a failure: its
 * opening as Postfix opens one, and Postfix's own words (postfix_own_words), or, when its later
 * lines are indented as Postfix indents them, a reply code with its enhanced status ("550
 * 5.1.1 ...")? Not any number ("bob@example.com: room 501"), and not when it names another
 * address than its own before the server's words. */
static int postfix_entry_says(const char *t, size_t n, size_t open, const char *addr, size_t al,
                              int indented)
{
    if (open > n || !postfix_opener(t + open, n - open) || other_address(t, n, addr, al))
        return 0;
    if (postfix_own_words(t, n))
        return 1;
    /* a reply code with its status: where it opens the entry, or beside the host Postfix spoke
     * to or the command it answered (a person's "conversation with ..." above an indented
     * "550 5.1.1 for every one of them" is none: review-s9c H7) */
    size_t o = open;
    while (o < n && (t[o] == ' ' || t[o] == '\t'))
        o++;
    if (!indented || (!bounce_reply_code_at(t + o, n - o) && !bracket_ip(t, n)))
        return 0;
    for (size_t i = 0; i + 9 <= n; i++)
        if (bounce_reply_code_at(t + i, n - i) && t[i + 4] == t[i] && t[i + 5] == '.' &&
            str_isdigit((unsigned char)t[i + 6]) &&
            (i == 0 || !str_isalnum((unsigned char)t[i - 1])))
            return 1;
    return 0;
}

/* entry_in_words - a text without a header that says no notice's words and holds a Postfix
 * recipient entry below other lines (text_detect): those lines may be a person's ("I got this
 * back, but the address works: <a@b>: host ... said: 550 5.1.1 ..."), what the entry says is
 * hearsay then, never a hard bounce (review-s14). An entry that opens the text is a notice's
 * piece pasted alone. */
static int entry_in_words(const bounce_view *v)
{
    if (v->hlen || v->ms.nparts || !v->text.ptr)
        return 0;
    const char *l;
    size_t pos = 0, ll;
    while (bounce_line(v->text.ptr, v->text.len, &pos, &l, &ll)) {
        size_t k = 0;
        while (k < ll && (l[k] == ' ' || l[k] == '\t'))
            k++;
        if (k == ll)
            continue;
        return !bounce_postfix_entry(l + k, ll - k) && !notice_like(v);
    }
    return 0;
}

/* pasted_words - does a text without a header hold a `pasted` phrase, words a person also
 * writes? Its records are then never hard bounces: the notice's own lines quote the returned
 * message's subject beside the address (Naver writes it there, review-s11b H2), and that
 * subject may hold any notice's words ("Delivery failed: 550 5.1.1 ...", review-s11f M1). */
static int pasted_words(const bounce_view *v)
{
    return !v->hlen && phrase_in(v, KB_PH_PASTED, fmt_text_has);
}

/* star_parts - a lead with a '*' at star ("your message to * has been blocked"): the length of
 * the part before it and the part after it, without the blanks around the '*' */
static const char *star_parts(const char *pat, const char *star, size_t *hl)
{
    *hl = (size_t)(star - pat);
    while (*hl && pat[*hl - 1] == ' ')
        (*hl)--;
    const char *tail = star + 1;
    while (*tail == ' ')
        tail++;
    return tail;
}

/* star_lead_line - does one line of the notice's own text hold both parts of a lead with a
 * '*' ("your message to * has been blocked"), in that order? */
static int star_lead_line(const bounce_view *v, const char *pat, const char *star)
{
    size_t hl;
    const char *tail = star_parts(pat, star, &hl);
    size_t tl = strlen(tail), pos = 0, ll;
    const char *l;
    if (!hl || !tl)
        return 0;
    /* its own text, when known; in the first lines, where a notice's lead stands (the window
     * of the format markers) */
    size_t end = v->sep_known ? v->sep : v->text.len;
    if (end > FMT_MARKER_WINDOW)
        end = FMT_MARKER_WINDOW;
    while (bounce_line(v->text.ptr, end, &pos, &l, &ll)) {
        const char *f = str_casefind(l, ll, pat, hl);
        size_t e = f ? (size_t)(f - l) + hl : 0;
        const char *g = f ? str_casefind(l + e, ll - e, tail, tl) : NULL;
        /* (with an address between them: the recipient the lead stands around) */
        if (g && memchr(l + e, '@', (size_t)(g - l) - e))
            return 1;
    }
    return 0;
}

/* notice_like - does the message say it is a non-delivery notice: X-Failed-Recipients, its
 * sender, its subject, or a sentence only a notice says (data/bounce-phrases.tsv)? */
static int notice_like(const bounce_view *v)
{
    if (fmt_header_has(v, "X-Failed-Recipients", NULL))
        return 1;
    const mxd_kb *kb = v->kb;
    /* a lead around the recipient ("Ihre Nachricht wurde nicht an a@b zugestellt", Gmail's
     * German notice) says a notice in a text pasted without its header, where no sender or
     * subject can; in a person's mail the same words may be the person's; in JSON they are
     * data (review-s14 H3) */
    int stars = !v->hlen && v->text.len && !json_text(v->text.ptr, v->text.len);
    for (size_t i = 0; kb && i < kb->nphrases; i++) {
        const kb_phrase *p = &kb->phrases[i];
        const char *pat = kb_str(kb, p->pattern);
        const char *star = p->kind == KB_PH_LEAD ? strchr(pat, '*') : NULL;
        if (star) {
            if (stars && star_lead_line(v, pat, star))
                return 1;
            continue;
        }
        /* (a `pasted` sentence only in a text without a header: in a person's mail the same
         * ordinary words are the person's, review-s11b M2) */
        if (p->kind == KB_PH_FROM                                ? fmt_from_has(v, pat)
            : p->kind == KB_PH_SUBJECT                           ? fmt_subject_has(v, pat)
            : p->kind == KB_PH_SENTENCE || p->kind == KB_PH_LEAD ? fmt_text_has(v, pat)
            : p->kind == KB_PH_PASTED                            ? !v->hlen && fmt_text_has(v, pat)
                                                                 : 0)
            return 1;
    }
    return 0;
}

/* notice_pasted - does the text hold a notice's lead or a sentence of a notice's template
 * (a phrase of four words or more: what an MTA writes, pasted whole), not a word a person uses
 * about one? */
static int notice_pasted(const bounce_view *v)
{
    const mxd_kb *kb = v->kb;
    for (size_t i = 0; kb && i < kb->nphrases; i++) {
        const kb_phrase *p = &kb->phrases[i];
        if (p->kind != KB_PH_LEAD && p->kind != KB_PH_SENTENCE)
            continue;
        const char *pat = kb_str(kb, p->pattern);
        size_t words = 1;
        for (const char *c = pat; *c; c++)
            words += *c == ' ';
        const char *star = strchr(pat, '*');
        if (star && p->kind == KB_PH_LEAD) {
            /* "the following message to * was undeliverable": both parts (a line's parts
             * are looked for by the lead readers; here only that the words are there) */
            size_t hl;
            const char *tail = star_parts(pat, star, &hl);
            if (hl && *tail && str_casefind(v->text.ptr, v->text.len, pat, hl) &&
                str_casefind(v->text.ptr, v->text.len, tail, strlen(tail)))
                return 1;
            continue;
        }
        if ((p->kind == KB_PH_LEAD || words >= 4) && fmt_text_has(v, pat))
            return 1;
    }
    /* or the notice's own header block pasted or forwarded with it: a notice's sender
     * ("From: Postmaster <postmaster@...>", "From: Mail Delivery Subsystem <mailer-daemon@...>")
     * and, within the next lines, a notice's subject ("Subject: Undeliverable: ..."); a
     * quoted mail from "System Administrator" about something else is none (review-s10 M1) */
    const char *t = v->text.ptr, *l;
    size_t pos = 0, ll, end = v->text.len;
    int from_at = -100, subj_at = -100, lineno = 0;
    while (t && bounce_line(t, end, &pos, &l, &ll)) {
        lineno++;
        while (ll && (*l == '>' || *l == ' ' || *l == '\t' || *l == '*'))
            l++, ll--;
        int from = ll >= 6 && bounce_starts(l, ll, "From:");
        int subj = ll >= 9 && bounce_starts(l, ll, "Subject:");
        if (!from && !subj)
            continue;
        char low[256];
        size_t n = ll < sizeof low ? ll : sizeof low;
        bmatch_lower(l, n, low);
        for (size_t i = 0; kb && i < kb->nphrases; i++) {
            const char *pat = kb_str(kb, kb->phrases[i].pattern);
            int kind = kb->phrases[i].kind;
            if ((from ? kind == KB_PH_FROM : kind == KB_PH_SUBJECT) &&
                str_find(low, n, pat, strlen(pat))) {
                *(from ? &from_at : &subj_at) = lineno;
                break;
            }
        }
        /* (in either order: Thunderbird's forward block puts the Subject first) */
        if (from_at > 0 && subj_at > 0 && abs(from_at - subj_at) <= 6)
            return 1;
    }
    return 0;
}

/* fmt_notice_headers - (formats.h) do the message's own header fields say it is a notice, as
 * a mail system writes them (not words a person may write): its marks (notice_marks()), or a
 * mailer daemon's or postmaster's From (bounce-phrases.tsv kind from)? */
int fmt_notice_headers(const bounce_view *v)
{
    return notice_marks(v) || fmt_system_name(v, v->lfrom, v->lfrom_len);
}

/* expanded_from_before - does t[0..e) end with Postfix's "(expanded from" (blanks aside)? */
static int expanded_from_before(const char *t, const char *e)
{
    while (e > t && str_isspace((unsigned char)e[-1]))
        e--;
    return e - t >= 14 && str_caseeq(e - 14, 14, "(expanded from");
}

int fmt_opens_entry(const char *l, size_t ll)
{
    const char *c = memchr(l, ':', ll);
    if (!c)
        return 0;
    size_t o = (size_t)(c + 1 - l);
    return postfix_opener(l + o, ll - o);
}

static int text_detect(const bounce_view *v)
{
    /* a text without a header that opens as JSON is data (an API's event, a tool's output),
     * no notice: Amazon SES's own notification has its reader (review-s14 H3) */
    if (!v->hlen && !v->ms.nparts && json_text(v->text.ptr, v->text.len))
        return 0;
    /* a Postfix recipient entry pasted alone, without a header or the notice's sentences:
     * its first line and the lines that go on with it (to a blank line, or to a line that opens
     * the next entry; indented, unless a paste lost that) say a failure as Postfix writes it */
    if (!v->hlen && !v->ms.nparts && v->text.len) {
        const char *t = v->text.ptr, *l, *first = NULL, *last = NULL, *addr = NULL;
        size_t pos = 0, ll, al = 0, open = 0;
        int indented = 1, lines = 0;
        while (bounce_line(t, v->text.len, &pos, &l, &ll)) {
            size_t k = 0;
            while (k < ll && (l[k] == ' ' || l[k] == '\t'))
                k++;
            if (!first) {
                /* (the entry may follow other words: a notice's own lead in another MTA's
                 * wording, "We are sorry to have to inform you ...", pasted with it) */
                if (!ll || !bounce_postfix_entry(l + k, ll - k))
                    continue;
                first = l;
                addr = l + k + (l[k] == '<');
                while (addr + al < l + ll && addr[al] != '>' && addr[al] != ' ' && addr[al] != ':')
                    al++;
                open = (size_t)(addr + al - l);
                while (open < ll && (l[open] == '>' || l[open] == ':'))
                    open++;
            } else if (!ll || (size_t)(l - first) > 2048 ||
                       (bounce_postfix_entry(l + k, ll - k) && !expanded_from_before(first, last) &&
                        (!bounce_reply_open(first, (size_t)(last - first)) ||
                         fmt_opens_entry(l + k, ll - k)))) {
                /* (the alias of "(expanded from" may open the line after it, and the server's
                 * reply, not closed yet, may name another address on a line of its own) */
                break;
            } else if (l[0] != ' ' && l[0] != '\t') {
                indented = 0;
            }
            lines++;
            last = l + ll;
        }
        if (first) {
            char folded[2100];
            size_t fl = fold(first, (size_t)(last - first), folded, sizeof folded);
            /* (a single line is no sign of Postfix's indentation) */
            if (postfix_entry_says(folded, fl, open, addr, al, indented && lines > 1))
                return 1;
        }
    }
    /* a person's reply or a list's post is read as the notice it quotes only when the notice
     * was pasted whole, its lead or a sentence of its template ("This is the mail system at
     * host ..."), not a word a person writes about one ("undeliverable"); its records are then
     * never hard bounces (text_parse: hearsay). Its own header fields may still say it is a
     * notice (one that answers a thread). */
    if (fmt_person_quoting(v))
        return notice_pasted(v);
    return notice_like(v);
}

/* admin_status - Exchange Online's and Outlook.com's NDR repeats the reply for the admin
 * further down ("More Info for Email Admins ... Status code: 550 5.1.10"): when the one
 * recipient's text names no code, that line's code is added to it. */
static void admin_status(bounce_view *v, bounce_rcpt *r)
{
    if (bounce_has_code(r->diag, r->diaglen))
        return;
    size_t end = bview_sep(v);
    const char *t = v->text.ptr;
    const char *f = t ? str_casefind(t, end, "status code: ", 13) : NULL;
    if (!f)
        return;
    const char *c = f + 13, *e = t + end;
    size_t k = 0;
    while (c + k < e && k < 24 && c[k] != '\n' && c[k] != '\r')
        k++;
    if (k >= 3 && str_isdigit((unsigned char)c[0]) && (c[0] == '4' || c[0] == '5'))
        rcpt_diag_add(r, c, k);
}

/* reply_line_at - does l open (after blanks) with an SMTP reply that has an enhanced status,
 * "550 5.1.1 ..." or "550-5.1.1 ..." (RFC 5321 section 4.2, RFC 3463)? Returns the offset of
 * the code, or -1. */
static long reply_line_at(const char *l, size_t ll)
{
    size_t i = 0;
    while (i < ll && (l[i] == ' ' || l[i] == '\t'))
        i++;
    /* Exchange 2007 and later quote it so: "Remote Server returned '550 5.1.1 ...'"
     * (sisimai/p5-sisimai:lib/Sisimai/Lhost/Exchange2007.pm) */
    static const char quoted[] = "Remote Server returned '";
    if (bounce_starts(l + i, ll - i, quoted))
        i += sizeof quoted - 1;
    /* Exchange Online's modern NDR, its "Error Details" section: "Error:<tab>550 5.4.1 ..."
     * or "Reported error: 550 5.1.10 ..." (Microsoft Learn, "Email non-delivery reports and
     * SMTP errors in Exchange Online") */
    static const char *const labels[] = {"Reported error:", "Error:"};
    for (size_t k = 0; k < sizeof labels / sizeof *labels; k++)
        if (bounce_starts(l + i, ll - i, labels[k])) {
            i += strlen(labels[k]);
            while (i < ll && (l[i] == ' ' || l[i] == '\t'))
                i++;
            if (bounce_starts(l + i, ll - i, quoted)) /* "Error: Remote server returned '..." */
                i += sizeof quoted - 1;
            break;
        }
    const char *c = l + i;
    size_t n = ll - i;
    /* a status alone, RFC 3463 ("5.1.1 szn; User hasn't got the service mapped", Seznam):
     * class, subject and detail, then a blank or ';' and words */
    if (n >= 8 && (c[0] == '4' || c[0] == '5') && c[1] == '.' && str_isdigit((unsigned char)c[2])) {
        size_t k = 3;
        while (k < n && k < 6 && str_isdigit((unsigned char)c[k]))
            k++;
        if (k < n && c[k] == '.' && k + 1 < n && str_isdigit((unsigned char)c[k + 1])) {
            k++;
            while (k < n && k < 10 && str_isdigit((unsigned char)c[k]))
                k++;
            if (k + 2 < n && (c[k] == ' ' || c[k] == ';') &&
                str_isalpha((unsigned char)c[k + 1 + (c[k + 1] == ' ')]))
                return (long)i;
        }
    }
    /* the code, then a blank, a '-' or (Yahoo's notices: "550: 5.1.1 <a@b>: ...") ": " */
    size_t o = n > 4 && c[3] == ':' && c[4] == ' ' ? 5 : 4;
    if (n < o + 6 || (c[0] != '4' && c[0] != '5') || !str_isdigit((unsigned char)c[1]) ||
        !str_isdigit((unsigned char)c[2]) || (o == 4 && c[3] != ' ' && c[3] != '-') ||
        c[o] != c[0] || c[o + 1] != '.' || !str_isdigit((unsigned char)c[o + 2]))
        return -1;
    size_t k = o + 3;
    while (k < n && k < o + 6 && str_isdigit((unsigned char)c[k]))
        k++;
    if (k >= n || c[k] != '.' || k + 1 >= n || !str_isdigit((unsigned char)c[k + 1]))
        return -1;
    return (long)i;
}

/* ndr_field_at - does the line open one of the fields Exchange's NDR lists below the
 * server's reply ("Message rejected by:", "DSN generated by:", "Remote server:",
 * "Generating server:", "Receiving server:"; Microsoft Learn's NDR articles)? */
static int ndr_field_at(const char *l, size_t ll)
{
    static const char *const fields[] = {
        "Message rejected by:", "DSN generated by:", "Remote server:", "Generating server:",
        "Receiving server:"};
    while (ll && (l[0] == ' ' || l[0] == '\t'))
        l++, ll--;
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        if (bounce_starts(l, ll, fields[i]))
            return 1;
    return 0;
}

/* is_blank - is the line empty or blanks only? */
static int is_blank(const char *l, size_t ll)
{
    bounce_trim(&l, &ll);
    return ll == 0;
}

/* quoted_header_at - does the line open a header block of a quoted message ("From:",
 * "Received:", "Return-Path:", "Subject:", "Date:", "To:", "Message-ID:")? */
static int quoted_header_at(const char *l, size_t ll)
{
    static const char *const fields[] = {
        "from:", "received:", "return-path:", "subject:", "date:", "to:", "message-id:"};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        if (bounce_starts(l, ll, fields[i]))
            return 1;
    return 0;
}

size_t quoted_block_at(const char *s, size_t from, size_t end)
{
    const char *l;
    size_t ll, pos = from, start = from;
    for (int blank = 0; bounce_line(s, end, &pos, &l, &ll); start = pos) {
        if (blank && ll && !str_isspace((unsigned char)l[0]) && quoted_header_at(l, ll))
            return start;
        blank = is_blank(l, ll);
    }
    return end;
}

size_t bview_own(bounce_view *v)
{
    if (!v->own_known) {
        size_t sep = bview_sep(v);
        v->own = v->text.ptr ? quoted_block_at(v->text.ptr, 0, sep) : sep;
        v->own_known = 1;
    }
    return v->own;
}

/* reply_in_notice - a notice that names one recipient in a sentence ("Your message wasn't
 * delivered to bob@example.org because the address couldn't be found") and quotes the
 * remote server's reply on a line of its own further down (Gmail's "The response was:",
 * Exchange's "Remote Server returned"): that reply, with the lines that continue it, is the
 * diagnosis, as a DSN's Diagnostic-Code would be. Only the notice itself is read, not the
 * returned message; the recipient's text is kept when it holds a reply code already. */
static void reply_in_notice(bounce_view *v, bounce_rcpt *r)
{
    const char *t = v->text.ptr;
    if (!t || bounce_has_code(r->diag, r->diaglen))
        return;
    size_t end = bview_sep(v), pos = 0;
    /* from the line that names the recipient, over the next 4 KB at most, and not into a
     * quoted message that no separator line announced (a blank line, then a header field) */
    const char *at_rcpt = str_casefind(t, end, r->recipient, strlen(r->recipient));
    if (at_rcpt) {
        pos = (size_t)(at_rcpt - t);
        while (pos > 0 && t[pos - 1] != '\n')
            pos--;
    }
    if (end - pos > 4096)
        end = pos + 4096;
    end = quoted_block_at(t, pos, end);
    const char *l;
    size_t ll, start = pos;
    int labelled = 0; /* the line before was Gmail's "The response was:" (2: the recipient's
                         administrator's answer, words without a code) */
    for (; bounce_line(t, end, &pos, &l, &ll); start = pos) {
        long at = reply_line_at(l, ll);
        /* under Gmail's own label ("The response was:", "The response from the remote server
         * was:") a reply without an enhanced status is the reply too ("550 Unrouteable
         * address": sisimai/go-sisimai:lhost/via-gmail.go reads the lines after it); under
         * "The response from the recipient enterprise administrator was:" (a Google Workspace
         * domain's own policy, "Message blocked") its words are, code or not */
        if (at < 0 && labelled && ll > 3 &&
            (labelled == 2 ? !is_blank(l, ll) : bounce_reply_code_at(l, ll)))
            at = 0;
        if (!is_blank(l, ll)) {
            const char *lt = l;
            size_t lt_len = ll;
            bounce_trim(&lt, &lt_len);
            labelled =
                bounce_starts(lt, lt_len,
                              "The response from the recipient enterprise administrator was:")
                    ? 2
                    : bounce_starts(lt, lt_len, "The response was:") ||
                          bounce_starts(lt, lt_len, "The response from the remote server was:");
        }
        if (at < 0)
            continue;
        /* the reply runs on over the following lines up to a blank one, or up to the next
         * field of an Exchange NDR's details ("Message rejected by:", "DSN generated by:") */
        size_t from = start + (size_t)at, stop = pos, next = pos;
        while (stop - from < 600 && bounce_line(t, end, &next, &l, &ll) && !is_blank(l, ll) &&
               !ndr_field_at(l, ll))
            stop = next;
        size_t dl = str_utf8_cut(t + from, stop - from, 600);
        /* Exchange's quote ("returned '550 ...'"): without its closing mark */
        while (from > 0 && t[from - 1] == '\'' && dl &&
               (t[from + dl - 1] == '\'' || str_isspace((unsigned char)t[from + dl - 1])))
            dl--;
        rcpt_diag_set(r, t + from, dl);
        /* the server that refused it, where the NDR names it right below ("Message rejected
         * by: host"): the remote host, as a DSN's Remote-MTA would say */
        next = stop;
        if (!r->rhost[0] && bounce_line(t, end, &next, &l, &ll)) {
            static const char by[] = "Message rejected by:";
            bounce_trim(&l, &ll);
            if (bounce_starts(l, ll, by)) {
                const char *h = l + sizeof by - 1;
                size_t hl = ll - (sizeof by - 1);
                bounce_trim(&h, &hl);
                size_t k = 0; /* a host name: letters, digits, '.' and '-' up to a blank */
                while (k < hl && (str_isalnum((unsigned char)h[k]) || h[k] == '.' || h[k] == '-'))
                    k++;
                if (k && k < sizeof r->rhost && (k == hl || str_isspace((unsigned char)h[k])) &&
                    memchr(h, '.', k))
                    bounce_copy(r->rhost, sizeof r->rhost, h, k);
            }
        }
        return;
    }
}

static int says_failure(const bounce_view *v, const bounce_rcpt *r);

/* status_in - does the text hold an enhanced status code of class 4 or 5 on its own
 * ("5.1.10", "4.2.2")? */
static int status_in(const char *t, size_t n)
{
    for (size_t i = 0; i + 5 <= n; i++)
        if ((t[i] == '4' || t[i] == '5') && reply_status_len(t, n, i))
            return 1;
    return 0;
}

/* reason_in_notice - a notice that names its one recipient in a sentence and says why on a
 * line of its own further down, apart from it by a blank or a rule line, with no reply at all
 * (Naver's "<addr> 님께 보내신 메일 ... 다음과 같은 이유로 전송 실패했습니다." then, under a rule,
 * "받는 사람이 회원님의 메일을 수신차단 하였습니다."): when the recipient's text holds no reply
 * code and no failure's wording, the first line below it that holds one (reasons.tsv) is
 * added to it. Only the notice itself is read, as in reply_in_notice. */
static void reason_in_notice(bounce_view *v, bounce_rcpt *r)
{
    const char *t = v->text.ptr;
    if (!t || !v->reasons || bounce_has_code(r->diag, r->diaglen) || says_failure(v, r))
        return;
    size_t end = bview_sep(v), pos = 0;
    const char *at_rcpt = str_casefind(t, end, r->recipient, strlen(r->recipient));
    if (!at_rcpt)
        return;
    pos = (size_t)(at_rcpt - t);
    const char *l;
    size_t ll;
    bounce_line(t, end, &pos, &l, &ll); /* (the recipient's own line) */
    if (end - pos > 2048)
        end = pos + 2048;
    end = quoted_block_at(t, pos, end);
    int after_subject = 0;
    while (bounce_line(t, end, &pos, &l, &ll)) {
        bounce_trim(&l, &ll);
        if (!ll || ll >= BOUNCE_MAX_DIAG)
            continue;
        /* (the returned message's Subject, listed above the reason by Dooray!, is the
         * sender's words: its line, and the next one when the label stands alone) */
        int label = bounce_subject_label(v->kb, l, ll);
        if (label || after_subject) {
            after_subject = label == 2;
            continue;
        }
        char low[BOUNCE_MAX_DIAG];
        bmatch_lower(l, ll, low);
        long k = bmatch_first(v->reasons, low, ll);
        if (k < 0)
            continue;
        /* a reason found apart from its recipient makes no hard bounce unless the line is a
         * server's reply (a reply code and a status: "Fehler: 550 5.1.10 ..."): a missing
         * mailbox or domain must stand beside the address or in a reply (review-s11b H2) */
        const char *why =
            (size_t)k < v->kb->nreasons ? kb_str(v->kb, v->kb->reasons[k].reason) : "";
        if (classify_hardbounce(why, 1, NULL, NULL) &&
            !(bounce_has_code(l, ll) && status_in(l, ll)))
            return;
        rcpt_diag_add(r, l, ll);
        return;
    }
}

/* says_delivered - does the recipient's own text (read before the notice's intro is put in
 * front of it) report a delivery (bounce-phrases.tsv, kind delivered: "has been successfully
 * delivered")? */
static int says_delivered(const mxd_kb *kb, const bounce_rcpt *r)
{
    for (size_t k = 0; kb && r->diaglen && k < kb->nphrases; k++)
        if (kb->phrases[k].kind == KB_PH_DELIVERED &&
            bounce_has(r->diag, r->diaglen, kb_str(kb, kb->phrases[k].pattern)))
            return 1;
    return 0;
}

/* fmt_notice_says - (formats.h) does the notice's own text (up to the returned message, and not
 * into a quoted message that no separator line announced: a blank line, then a header field) hold a
 * phrase of that kind (bounce-phrases.tsv)? */
int fmt_notice_says(bounce_view *v, int kind)
{
    const mxd_kb *kb = v->kb;
    const char *t = v->text.ptr;
    if (!kb || !t)
        return 0;
    size_t end = bview_own(v);
    for (size_t k = 0; k < kb->nphrases; k++)
        if (kb->phrases[k].kind == kind &&
            bounce_has_wrapped(t, end, kb_str(kb, kb->phrases[k].pattern)))
            return 1;
    return 0;
}

/* shows_failure - does the recipient's text or fields hold a 4xx/5xx reply or a failure
 * status (no success then, whatever a sentence says)? */
static int shows_failure(const bounce_rcpt *r)
{
    return bounce_has_code(r->diag, r->diaglen) || r->status[0] == '4' || r->status[0] == '5' ||
           r->replycode[0] == '4' || r->replycode[0] == '5';
}

/* fmt_permanent - (formats.h) does the recipient's text or fields show a permanent failure: a
 * 5xx reply, a 5.x.y status? */
int fmt_permanent(const bounce_rcpt *r)
{
    if (r->status[0] == '5' || r->replycode[0] == '5' || bounce_has_reply(r->diag, r->diaglen, '5'))
        return 1;
    /* (a 4xx reply's status is 4.x.y: a 5.x.y beside it is a date or a version, "disabled
     * until 5.12.2026", "(MailEnable 5.5.2)", not its status) */
    if (r->replycode[0] == '4' || bounce_has_reply(r->diag, r->diaglen, '4'))
        return 0;
    /* a status 5.x.y standing alone: not the tail of 4.5.0, nor an IP's octets
     * ("[198.51.5.20]") or a version ("3.5.1.2") */
    for (size_t i = 0; i + 5 <= r->diaglen; i++)
        if (r->diag[i] == '5' && reply_status_len(r->diag, r->diaglen, i))
            return 1;
    return 0;
}

/* fmt_any_permanent - (formats.h) */
int fmt_any_permanent(const bounce_out *out)
{
    for (size_t i = 0; i < out->n; i++)
        if (fmt_permanent(&out->r[i]))
            return 1;
    return 0;
}

/* says_failure - does the recipient's own text hold a failure's wording (reasons.tsv, where
 * every row names a failure)? OpenSMTPD 5.7 titled its failure notices with its success
 * sentence ("Your message was successfully delivered to these recipients." above
 * "addr: Network error on destination MXs", OpenSMTPD issue 687): the recipient's words
 * decide, not the template's. */
static int says_failure(const bounce_view *v, const bounce_rcpt *r)
{
    if (!r->diaglen || !v->reasons)
        return 0;
    const char *d = r->diag;
    size_t dl = r->diaglen;
    bounce_trim(&d, &dl);
    /* (a success reply says what it says: "250 2.0.0 Ok (virus scanned)") */
    if (dl > 3 && d[0] == '2' && str_isdigit((unsigned char)d[1]) &&
        str_isdigit((unsigned char)d[2]) && (d[3] == ' ' || d[3] == '-'))
        return 0;
    /* the words only, not the addresses ("(editor@timeout.com)", "abuse@spamhaus.org") */
    char low[BOUNCE_MAX_DIAG];
    bmatch_lower(d, dl, low);
    for (char *at = memchr(low, '@', dl); at;
         at = memchr(at + 1, '@', dl - (size_t)(at + 1 - low))) {
        char *a = at, *b = at;
        while (a > low && !str_isspace((unsigned char)a[-1]) && !strchr("<(\"'", a[-1]))
            a--;
        while (b < low + dl && !str_isspace((unsigned char)*b) && !strchr(">)\"'", *b))
            b++;
        memset(a, ' ', (size_t)(b - a));
        at = b - 1;
    }
    return bmatch_first(v->reasons, low, dl) >= 0;
}

void fmt_notice_kind(bounce_view *v, bounce_out *out, int success)
{
    int delayed = fmt_notice_says(v, KB_PH_DELAYED);
    int delivered = success && fmt_notice_says(v, KB_PH_DELIVERED);
    /* a notice in which any recipient failed for good is no mere warning (a partial failure,
     * a failure that quotes an earlier warning) - unless its MTA writes a failure and a delay
     * in notices of their own (kind own: Postfix's bounce(8) templates), where a 5xx in a
     * delay notice is one soft_bounce keeps queued and retries (review-s12b L3) */
    if (delayed && !fmt_notice_says(v, KB_PH_OWN) && fmt_any_permanent(out))
        delayed = 0;
    for (size_t i = 0; i < out->n && (delayed || delivered); i++) {
        bounce_rcpt *r = &out->r[i];
        if (r->action[0] || r->reason)
            continue;
        if (delivered && !shows_failure(r) &&
            !(success == FMT_SUCCESS_MISWORDED && says_failure(v, r)))
            memcpy(r->action, "delivered", sizeof "delivered");
        else if (delayed)
            memcpy(r->action, "delayed", sizeof "delayed");
    }
}

/* success_only - the recipients whose own text reported a delivery (ok[i]) and whose text,
 * once the notice's reply is known, holds no 4xx/5xx reply and no failure status: a success
 * notice read by the fallback (PMDF's "Delivery Notification: Delivery has been successful")
 * gives action "delivered", which `mxdiag bounce` leaves out unless --include-delivered. */
static void success_only(bounce_out *out, const unsigned char *ok)
{
    for (size_t i = 0; i < out->n && i < BOUNCE_MAX_RCPTS; i++) {
        bounce_rcpt *r = &out->r[i];
        if (!ok[i] || shows_failure(r))
            continue;
        memcpy(r->action, "delivered", sizeof "delivered");
    }
}

/* in_signature - does the address stand in a signature: within four lines below a line that
 * is only "--" (RFC 3676's "-- ") or "---", nothing but other lines between? */
static int in_signature(const bounce_view *v, const char *addr)
{
    const char *t = v->text.ptr;
    size_t tl = v->text.len;
    const char *a = t ? str_casefind(t, tl, addr, strlen(addr)) : NULL;
    if (!a)
        return 0;
    /* (a signature's line is the address alone, "<addr>" or "E-mail: addr" at most: a quoted
     * entry's "<addr>: cannot update mailbox ..." under a Markdown rule is none: review-s11b
     * M3, review-s11c M1) */
    const char *ls = a, *le = a + strlen(addr);
    while (ls > t && ls[-1] != '\n' && (ls[-1] == ' ' || ls[-1] == '\t' || ls[-1] == '<'))
        ls--;
    /* (or under a short label of its own: "E-mail: tom@...", "Mail : tom@...") */
    if (ls > t && ls[-1] == ':') {
        const char *c = ls - 1;
        while (c > t && c[-1] == ' ')
            c--;
        size_t n = 0;
        while (c > t && (str_isalpha((unsigned char)c[-1]) || c[-1] == '-') && n < 12)
            c--, n++;
        if (n && (c == t || c[-1] == '\n' || c[-1] == ' ' || c[-1] == '\t'))
            for (ls = c; ls > t && (ls[-1] == ' ' || ls[-1] == '\t');)
                ls--;
    }
    while (le < t + tl && (*le == ' ' || *le == '\t' || *le == '>' || *le == '\r'))
        le++;
    if ((ls > t && ls[-1] != '\n') || (le < t + tl && *le != '\n'))
        return 0;
    const char *p = a;
    for (int up = 0; up < 5 && p > t; up++) {
        const char *e = p; /* the line above: [b, e) */
        while (p > t && p[-1] != '\n')
            p--;
        if (up == 0) { /* (the address's own line) */
            if (p > t)
                p--;
            continue;
        }
        const char *b = p;
        size_t n = (size_t)(e - b);
        bounce_trim(&b, &n);
        if ((n == 2 || n == 3) && !memcmp(b, "---", n))
            return 1;
        if (!n)
            return 0; /* (a blank line: the block above is no signature of this line) */
        if (p > t)
            p--;
    }
    return 0;
}

void fmt_beside_failure(const bounce_view *v, bounce_out *out)
{
    size_t k = 0;
    for (size_t i = 0; i < out->n; i++) {
        bounce_rcpt *r = &out->r[i];
        if (!shows_failure(r) && !says_failure(v, r) && in_signature(v, r->recipient))
            continue;
        if (k != i)
            out->r[k] = *r;
        k++;
    }
    out->n = k;
}

static int text_parse(bounce_view *v, bounce_out *out)
{
    fmt_orig_after(v);
    /* the list under a lead-in ("Delivery has failed to these recipients or groups:"),
     * else the lines that open with an address */
    int n = v->text.len ? text_leads_v(v, out) : 0;
    if (n == 0 && v->text.len)
        n = text_generic_v(v, 0, out);
    if (n == 0 && v->text.len)
        n = text_unqualified_v(v, out);
    /* a person's reply or a list's post that quotes a notice: what it says of the recipients
     * is hearsay, never a reason to suppress one (the person may say the address is fine) */
    if (n > 0 && (fmt_person_quoting(v) || pasted_words(v) || entry_in_words(v)))
        out->hearsay = 1;
    unsigned char ok[BOUNCE_MAX_RCPTS];
    for (size_t i = 0; i < out->n && i < BOUNCE_MAX_RCPTS; i++)
        ok[i] = (unsigned char)says_delivered(v->kb, &out->r[i]);
    /* a notice whose MTA writes a remote server's words as such ("host ... said: ...",
     * bounce-phrases.tsv kind own: Postfix's): a recipient's text without them is its own
     * verdict (read before the notice's intro is put in front of it) */
    if (n > 0 && fmt_notice_says(v, KB_PH_OWN))
        for (size_t i = 0; i < out->n; i++) {
            out->r[i].own = bounce_own_verdict(&out->r[i]);
            bounce_mark_mailer(v->kb, &out->r[i]); /* (a command's failure: review-s12 M1) */
        }
    if (n > 0)
        fmt_intro_diag(v->kb, v, out);
    if (n == 1)
        reply_in_notice(v, &out->r[0]);
    if (n == 1)
        reason_in_notice(v, &out->r[0]);
    if (n > 0) /* after the reply is known: a 4xx/5xx reply is no success */
        success_only(out, ok);
    if (n == 1)
        admin_status(v, &out->r[0]);
    /* a delay warning ("you do not need to resend your message"), or a success notice:
     * Exchange's delivery and relay receipts, whose subjects say so ("Delivered: ...",
     * "Relayed: ..."); elsewhere a success sentence may open a partial failure */
    if (n > 0)
        fmt_notice_kind(
            v, out,
            (fmt_subject_starts(v, "Delivered:") || fmt_subject_starts(v, "Relayed:")) &&
                !fmt_notice_says(v, KB_PH_LEAD));
    /* errors without an address: the recipient from the headers, when the message's own header
     * fields say it is a notice (its sender, an empty return path ...; not its subject or a
     * sentence a person may write: "Compile error", "mail was returned to sender"), or it
     * returns a message and is no person's reply or list post, or it has no header at all (a
     * pasted notice) */
    if (n == 0 && v->text.len &&
        (!v->hlen || fmt_notice_headers(v) || (v->orig.len && !from_a_person(v)))) {
        bounce_rcpt *r = fmt_fallback_rcpt(v, out);
        if (r) {
            size_t end = bview_sep(v);
            rcpt_diag_set(r, v->text.ptr, str_utf8_cut(v->text.ptr, end, 600));
            n = 1;
        }
    }
    return n;
}

const bounce_format bounce_fmt_text = {"text", text_detect, text_parse};

/* pasted - a reply pasted alone, without any header or notice around it ("550 5.1.1
 * <a@example.net>: Recipient address rejected: User unknown", or a "550-" ... "550" reply over
 * lines): the address it names in angle brackets is the recipient, the reply its diagnostic,
 * read as `explain` and `diagnose` read it. A reply that names no such address gives no
 * record. A text pasted without its header that no other reader took gives a record for each
 * reply with an enhanced status inside it that names its recipient so (reply_in_text): the
 * notice of an MTA whose words no data row knows. (Not a person's inline forward of one: a
 * forward of a support thread or a newsletter that quotes replies gave false records, and
 * diagnose advice on them; review-s15b HIGH-2.) */
/* pasted_text - where a headerless view's text starts, after blanks (its length in *n) */
static const char *pasted_text(const bounce_view *v, size_t *n)
{
    const char *t = v->text.ptr;
    size_t i = 0;
    while (i < v->text.len && str_isspace((unsigned char)t[i]))
        i++;
    *n = v->text.len - i;
    return t + i;
}

/* reply_rcpt - r[0..end) is an SMTP reply ("550 5.1.1 <a@example.net>: Recipient address
 * rejected: ..."): the address in angle brackets that opens its text, right after its code and
 * status (status: 1 when the reply must have one), where a server names the recipient; its
 * offset and length in *ao, *al. 0 when it names none there, or names the sender. An address
 * further on is one the reply asks the sender to write to or try instead ("551 User not
 * local; please try <b@...>", "contact <postmaster@...>"). */
static int reply_rcpt(const char *r, size_t end, int status, size_t *ao, size_t *al)
{
    size_t o = 4;
    if (end < 5)
        return 0;
    if (o + 5 < end && str_isdigit((unsigned char)r[o]) && r[o + 1] == '.') {
        while (o < end && r[o] != ' ' && r[o] != '\n')
            o++; /* the enhanced status */
        while (o < end && r[o] == ' ')
            o++;
    } else if (status) {
        return 0;
    }
    if (o >= end || r[o] != '<')
        return 0;
    o++;
    size_t lim = end - o < BOUNCE_ADDR_MAX ? end - o : BOUNCE_ADDR_MAX;
    const char *gt = memchr(r + o, '>', lim);
    size_t a, l;
    if (!gt || !bounce_addr_in(r + o, (size_t)(gt - r) - o, &a, &l) || a ||
        o + l != (size_t)(gt - r))
        return 0;
    /* a refusal of the sender names the sender there ("553 5.1.8 <s@b>: Sender address
     * rejected", Exim's "550-Verification failed for <s@b>"), as does a sender status (X.1.7,
     * X.1.8: RFC 3463 section 3.2) */
    static const char *const sender[] = {"verification failed for", "is not allowed to send to",
                                         "sender address rejected"};
    for (size_t q = 0; q < sizeof sender / sizeof *sender; q++)
        if (str_casefind(r, end, sender[q], strlen(sender[q])))
            return 0;
    /* ("Sender address rejected", "Bad sender address syntax", "Sender denied", "sender
     * verify failed": a reply that speaks of the sender and not of a recipient) */
    if (str_casefind(r, end, "sender", 6) && !str_casefind(r, end, "recipient", 9))
        return 0;
    if (end > 9 && (r[4] == '5' || r[4] == '4') && r[5] == '.' && r[6] == '1' && r[7] == '.' &&
        (r[8] == '7' || r[8] == '8') && !str_isdigit((unsigned char)r[9]))
        return 0;
    *ao = o;
    *al = l;
    return 1;
}

/* reply_at - the offset in l[0..ll) (from ind, its indentation, on) of an SMTP reply code that
 * opens the line's words or follows a blank, ':' or '(' (not a field of data: a JSON string or
 * a TAB-separated column, '"550 ...'), from k on; ll when there is none. */
static size_t reply_at(const char *l, size_t ll, size_t ind, size_t k)
{
    for (; k + 9 < ll; k++)
        if ((k == ind || (l[k - 1] && strchr(" :(", l[k - 1]))) &&
            bounce_reply_code_at(l + k, ll - k))
            return k;
    return ll;
}

/* session_cmd - does the line (after its indentation) hold the client's MAIL FROM command of an
 * SMTP transcript, as written plain or behind sendmail's ">>> " or a "C: " mark? */
static int session_cmd(const char *l, size_t ll)
{
    while (ll && (*l == ' ' || *l == '\t'))
        l++, ll--;
    size_t mark = bounce_starts(l, ll, ">>> ") ? 4 : bounce_starts(l, ll, "C: ") ? 3 : 0;
    l += mark;
    ll -= mark;
    return bounce_starts(l, ll, "MAIL FROM");
}

/* reply_in_text - in a text pasted without its header that no reader took for a notice of its
 * kind (Dovecot's, mox's, SendGrid's, a localized Gmail notice), the SMTP replies with an
 * enhanced status that name their recipient (reply_rcpt), from *pos on: the next one's span
 * in *r and *rl (its line from the code on, and the lines that go on with it up to a blank
 * one, 600 bytes at most) and its address in *ao, *al. The code opens a line's words or follows
 * a blank, ':' or '(' ("remote smtp server: 452 4.2.2 <a@b>: Mailbox full"). */
static int reply_in_text(const bounce_view *v, size_t *pos, const char **r, size_t *rl, size_t *ao,
                         size_t *al)
{
    const char *t = v->text.ptr, *l;
    size_t end = v->sep_known ? v->sep : v->text.len, ll;
    /* (JSON is data, no notice: Amazon SES's own has its reader) */
    if (!t || json_text(t, end))
        return 0;
    if (end > 65536)
        end = 65536;
    int after_mail_from = 0;
    while (bounce_line(t, end, pos, &l, &ll)) {
        size_t ind = 0; /* (the line's indentation) */
        while (ind < ll && (l[ind] == ' ' || l[ind] == '\t'))
            ind++;
        /* (an SMTP session's transcript: the reply to MAIL FROM names the sender; a log's
         * lines are the server's own records) */
        int skip = after_mail_from || bounce_log_stamp(l, ll);
        if (ind < ll)
            after_mail_from = session_cmd(l, ll);
        for (size_t k = reply_at(l, ll, ind, ind); !skip && k < ll;
             k = reply_at(l, ll, ind, k + 1)) {
            /* the reply goes on over the lines after it, up to a blank one, one that holds
             * another reply (review-s14 H1: the next recipient's reply decided this one's
             * reason) or a log's line; lines of its own code go on only after its "550-" (a
             * multi-line reply: review-s14b M1); a line wrapped without indentation goes on
             * (review-s14b M2) */
            size_t stop = *pos, next = *pos, nl;
            const char *n;
            int dash = l[k + 3] == '-';
            while (stop - (size_t)(l + k - t) < 600 && bounce_line(t, end, &next, &n, &nl) &&
                   !is_blank(n, nl) && !bounce_log_stamp(n, nl)) {
                size_t ni = 0;
                while (ni < nl && (n[ni] == ' ' || n[ni] == '\t'))
                    ni++;
                int same = dash && nl - ni > 3 && !memcmp(n + ni, l + k, 3) &&
                           (n[ni + 3] == '-' || n[ni + 3] == ' ');
                if (!same && reply_at(n, nl, ni, ni) < nl)
                    break;
                if (same)
                    dash = n[ni + 3] == '-';
                stop = next;
            }
            size_t from = (size_t)(l + k - t), len = str_utf8_cut(t + from, stop - from, 600);
            if (reply_rcpt(t + from, len, 1, ao, al)) {
                *r = t + from;
                *rl = len;
                return 1;
            }
        }
    }
    return 0;
}

static int pasted_detect(const bounce_view *v)
{
    if (v->hlen || v->ms.nparts || !v->text.len)
        return 0;
    size_t n, pos = 0, rl, ao, al;
    const char *t = pasted_text(v, &n), *r;
    return bounce_reply_code_at(t, n) || reply_in_text(v, &pos, &r, &rl, &ao, &al);
}

static int pasted_parse(bounce_view *v, bounce_out *out)
{
    /* the reply: its lines while they open with its code (a multi-line reply's "550-") */
    size_t rn, pos = 0, end = 0, ll, ao, al;
    const char *r = pasted_text(v, &rn), *l;
    if (bounce_reply_code_at(r, rn)) {
        while (bounce_line(r, rn, &pos, &l, &ll)) {
            if (ll < 3 || memcmp(l, r, 3) || !bounce_reply_code_at(l, ll))
                break;
            end = pos;
        }
        if (!reply_rcpt(r, end, 0, &ao, &al))
            return 0;
        bounce_rcpt *rc = bounce_add(out, r + ao, al);
        if (!rc)
            return 0;
        rcpt_diag_set(rc, r, str_utf8_cut(r, end, 600));
        return 1;
    }
    /* else each reply inside the text that names its recipient, the first for each address:
     * what the words around it are is not known (a notice no data row names, or a person's
     * note that says the address works): never a hard bounce (review-s14) */
    int n = 0;
    out->hearsay = 1;
    pos = 0;
    while (reply_in_text(v, &pos, &r, &end, &ao, &al)) {
        if (bounce_find(out, r + ao, al))
            continue;
        bounce_rcpt *rc = bounce_add(out, r + ao, al);
        if (!rc)
            break;
        rcpt_diag_set(rc, r, end);
        n++;
    }
    return n;
}

const bounce_format bounce_fmt_pasted = {"pasted", pasted_detect, pasted_parse};

/* The table: specific formats first, generic readers last; a mail log's lines pasted alone
 * first of all (the notice readers would take its "to=<a@b>" for a notice's list). */
const bounce_format *const bounce_formats[] = {
    &bounce_fmt_maillog,      &bounce_fmt_arf,       &bounce_fmt_googlegroups, &bounce_fmt_gmail,
    &bounce_fmt_dragonfly,    &bounce_fmt_opensmtpd, &bounce_fmt_james,        &bounce_fmt_qmail,
    &bounce_fmt_exchange2003, &bounce_fmt_mcafee,    &bounce_fmt_domino,       &bounce_fmt_notes,
    &bounce_fmt_mdaemon,      &bounce_fmt_imail,     &bounce_fmt_exim,         &bounce_fmt_sendmail,
    &bounce_fmt_amazonses,    &bounce_fmt_rfc3834,   &bounce_fmt_rfc3464,      &bounce_fmt_jmrp,
    &bounce_fmt_text,         &bounce_fmt_pasted,    &bounce_fmt_maillog_late,
};
const size_t bounce_nformats = sizeof bounce_formats / sizeof *bounce_formats;
