/* bounce.c - the bounce stage: build a view of a message, run the format table, emit records
 * SPDX-License-Identifier: MIT
 *
 * The view decodes only what a bounce needs: the text/plain (or, failing that, text/html)
 * parts outside the returned message, message/delivery-status and message/feedback-report
 * bodies, and the header block of the returned message (message/rfc822 or
 * text/rfc822-headers). Everything else is left as raw bytes.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "bounce/bounce_internal.h"
#include "bounce/formats.h"
#include "mail/mail_internal.h"
#include "util/match.h"
#include "kb/kb_internal.h"
#include "util/str.h"

struct mxd_bounce_ctx {
    const mxd_kb *kb;
    unsigned flags;
    bounce_view v;
    bounce_out out;
    buf lines;     /* the message with its line ends mended (mail_mend_line_ends) */
    int nested;    /* reading a delivery report returned inside another message (parse()) */
    int passed_on; /* ... a text notice a person or a list passed on as an attachment: hearsay */
    unsigned cuts; /* MXD_BOUNCE_CUT_* of the last message read (mxd_bounce_cuts) */
};

/* record.c */
mxd_err bounce_emit(const mxd_kb *kb, unsigned flags, bounce_view *v, bounce_out *out,
                    const char *source, mxd_bounce_cb cb, void *arg, size_t *nrec);

size_t bounce_view_offset(void)
{
    return offsetof(mxd_bounce_ctx, v);
}

mxd_err mxd_bounce_new(const mxd_kb *kb, unsigned flags, mxd_bounce_ctx **out)
{
    if (!kb || !out)
        return MXD_ERR_INVALID;
    mxd_bounce_ctx *bc = calloc(1, sizeof *bc);
    if (!bc)
        return MXD_ERR_NOMEM;
    bc->out.r = calloc(BOUNCE_MAX_RCPTS, sizeof *bc->out.r);
    if (!bc->out.r) {
        free(bc);
        return MXD_ERR_NOMEM;
    }
    bc->kb = kb;
    bc->flags = flags;
    bc->v.kb = kb;
    mail_scan_init(&bc->v.ms);
    bc->v.ms.shallow = 1; /* of the returned message only its headers are read */
    buf_init(&bc->v.text, BOUNCE_MAX_TEXT + MAIL_MAX_DECODED * 4);
    buf_init(&bc->v.html, BOUNCE_MAX_TEXT + MAIL_MAX_DECODED * 4);
    buf_init(&bc->v.dsn, BOUNCE_MAX_DSN + MAIL_MAX_DECODED * 4);
    buf_init(&bc->v.orig, BOUNCE_MAX_ORIG + MAIL_MAX_DECODED * 4);
    buf_init(&bc->v.fbr, BOUNCE_MAX_DSN + MAIL_MAX_DECODED * 4);
    buf_init(&bc->v.tmp, MAIL_MAX_FIELD * 2);
    buf_init(&bc->v.ltext, BOUNCE_MAX_TEXT + MAIL_MAX_DECODED * 4);
    buf_init(&bc->lines, 0);
    bc->v.reasons = kb_reason_match(kb);
    bc->v.markers = fmt_markers_new(); /* (without it, markers are searched uncached) */
    fmt_prefixes_init(&bc->v);
    reply_cmdtab_init(&bc->v.cmds);
    /* (GMime is loaded by the decoders, the first time a message needs it) */
    *out = bc;
    return MXD_OK;
}

void mxd_bounce_free(mxd_bounce_ctx *bc)
{
    if (!bc)
        return;
    mail_scan_free(&bc->v.ms);
    buf_free(&bc->v.text);
    buf_free(&bc->v.html);
    buf_free(&bc->v.dsn);
    buf_free(&bc->v.orig);
    buf_free(&bc->v.fbr);
    buf_free(&bc->v.tmp);
    buf_free(&bc->v.ltext);
    buf_free(&bc->lines);
    mail_conv_cache_free(&bc->v.conv);
    fmt_markers_free(bc->v.markers);
    free(bc->out.r);
    free(bc);
}

/* index_fields - one pass over a header block into an index. */
static size_t index_fields(const char *hdr, size_t hlen, bounce_hfield *f)
{
    size_t pos = 0, n = 0;
    while (n < BOUNCE_MAX_FIELDS &&
           mail_header_next(hdr, hlen, &pos, &f[n].name, &f[n].nlen, &f[n].val, &f[n].vlen))
        n++;
    return n;
}

/* indexed_value - field_value() over an index. */
static int indexed_value(buf *tmp, const bounce_hfield *f, size_t n, const char *name, char *out,
                         size_t outlen, mail_conv_cache *cc)
{
    size_t want = strlen(name);
    if (outlen)
        out[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (f[i].nlen != want || !str_caseeq(f[i].name, f[i].nlen, name))
            continue;
        buf_reset(tmp);
        if (mail_unfold(f[i].val, f[i].vlen, tmp) != MXD_OK)
            return 0;
        const char *s = tmp->ptr ? tmp->ptr : "";
        if (memchr(s, '=', tmp->len) && strstr(s, "=?")) {
            char *d = mail_decode_header(s, cc);
            if (d) {
                bounce_copy(out, outlen, d, strlen(d));
                free(d);
                return 1;
            }
        }
        bounce_copy(out, outlen, s, tmp->len);
        return 1;
    }
    return 0;
}

int bview_header(bounce_view *v, const char *name, char *out, size_t outlen)
{
    return indexed_value(&v->tmp, v->top, v->ntop, name, out, outlen, &v->conv);
}

int bview_orig_header(bounce_view *v, const char *name, char *out, size_t outlen)
{
    if (!v->orig.len) {
        if (outlen)
            out[0] = 0;
        return 0;
    }
    if (!v->org_indexed) {
        /* the returned message's header block ends at its blank line */
        size_t body;
        size_t hl = mail_header_end(v->orig.ptr, v->orig.len, &body);
        v->norg = index_fields(v->orig.ptr, hl, v->org);
        v->org_indexed = 1;
    }
    return indexed_value(&v->tmp, v->org, v->norg, name, out, outlen, &v->conv);
}

void bview_set_orig(bounce_view *v, const char *text, size_t len)
{
    /* skip blank lines before the headers */
    while (len && (*text == '\n' || *text == '\r' || *text == ' ' || *text == '\t'))
        text++, len--;
    if (len > BOUNCE_MAX_ORIG)
        len = BOUNCE_MAX_ORIG;
    buf_reset(&v->orig);
    v->org_indexed = 0;
    if (buf_add(&v->orig, text, len) == MXD_OK)
        v->has_orig = 1;
}

#define BANNER_MAX_LINES 8    /* a gateway's warning paragraph: at most these lines ... */
#define BANNER_MAX_BYTES 1024 /* ... and bytes */

/* banner_cut - the bytes from s on to take out as a gateway's warning: its paragraph when a
 * blank line ends it within BANNER_MAX_LINES lines and BANNER_MAX_BYTES bytes and none of its
 * lines holds what a notice's own words hold (an address, a digit of a reply or status code,
 * a lead-in's closing colon); else its first line alone when that line ends a sentence (the
 * warning standing on a line of its own right above the notice); else nothing (review-s16
 * H1: the notice's lead-in and recipients were cut with a warning they followed at once). */
static size_t banner_cut(const char *s, const char *end)
{
    const char *l = s;
    size_t first = 0; /* (the first line with its line end) */
    int pure = 1;
    for (int n = 0; n <= BANNER_MAX_LINES && l < end && l - s <= BANNER_MAX_BYTES; n++) {
        const char *e = memchr(l, '\n', (size_t)(end - l));
        const char *le = e ? e : end, *te = le;
        while (te > l && (te[-1] == ' ' || te[-1] == '\t' || te[-1] == '\r'))
            te--;
        if (!n)
            first = (size_t)((e ? e + 1 : end) - s);
        if (te == l && n) /* (blank: the paragraph ends) */
            return pure ? (size_t)(le - s) : 0;
        for (const char *k = l; k < te && pure; k++)
            pure = *k != '@' && !str_isdigit((unsigned char)*k);
        if (te > l && te[-1] == ':')
            pure = 0;
        if (!pure) {
            /* the first line alone, when it is a whole sentence */
            const char *fe = s + first;
            while (fe > s && str_isspace((unsigned char)fe[-1]))
                fe--;
            return fe > s && strchr(".!", fe[-1]) ? first : 0;
        }
        if (!e)
            return 0;
        l = e + 1;
    }
    return 0;
}

/* drop_banner - a mail gateway's warning on top of a part's text (bounce-phrases.tsv kind
 * banner: "CAUTION: This email originated from outside of the organization ..."), which a
 * gateway of the reader's puts on the notices it passes too, taken out of b from start on:
 * its words are no part of the notice's (they would be a text notice's diagnostic). Only
 * where the first line holds a banner's words; what goes: banner_cut(). */
static void drop_banner(const bounce_view *v, buf *b, size_t start)
{
    if (!v->nprefixes[BOUNCE_PFX_BANNER] || !b->ptr || start >= b->len)
        return;
    const char *s = b->ptr + start, *end = b->ptr + b->len;
    while (s < end && str_isspace((unsigned char)*s))
        s++;
    const char *nl = memchr(s, '\n', (size_t)(end - s));
    size_t fl = nl ? (size_t)(nl - s) : (size_t)(end - s);
    if (fl > BANNER_MAX_BYTES)
        return;
    int banner = 0;
    for (size_t i = 0; i < v->nprefixes[BOUNCE_PFX_BANNER] && !banner; i++) {
        const char *pat = v->prefixes[BOUNCE_PFX_BANNER][i];
        banner = str_casefind(s, fl, pat, strlen(pat)) != NULL;
    }
    size_t cut = banner ? banner_cut(s, end) : 0;
    if (!cut)
        return;
    const char *le = s + cut;
    while (le < end && str_isspace((unsigned char)*le))
        le++;
    size_t gone = (size_t)(le - (b->ptr + start));
    memmove(b->ptr + start, le, (size_t)(end - le));
    b->len -= gone;
    b->ptr[b->len] = 0;
}

/* add_text - append decoded part text to b, separated by a line break. */
static void add_text(const bounce_view *v, buf *b, const mail_part *p, size_t max,
                     mail_conv_cache *cc)
{
    if (b->len >= max)
        return;
    if (b->len && b->ptr[b->len - 1] != '\n' && buf_addc(b, '\n') != MXD_OK)
        return;
    size_t start = b->len;
    mail_decode_text(p, b, cc); /* (format=flowed undone: a client forwarding it inline) */
    drop_banner(v, b, start);
}

/* add_html - the text of an HTML part, decoded, after what b holds (from a new line). */
static void add_html(const bounce_view *v, buf *b, const mail_part *p, mail_conv_cache *cc)
{
    buf dec;
    buf_init(&dec, MAIL_MAX_DECODED * 4);
    if (mail_decode_part(p, &dec, cc) == MXD_OK && dec.ptr) {
        if (b->len)
            buf_addc(b, '\n');
        size_t start = b->len;
        mail_html_to_text(dec.ptr, dec.len, b);
        drop_banner(v, b, start);
    }
    buf_free(&dec);
}

#define QUOTED_MIN_LINES 3 /* "> " lines that make a quoted block in a pasted text */

/* quoted_in_words - does the text hold a block quoted with "> " (QUOTED_MIN_LINES lines at
 * least) that names a recipient of out, and, outside it, a line with words? The quoted lines
 * must name one: a pasted notice whose copy of the returned message quotes a reply is no
 * quoted notice (review-s16 M2). An SMTP transcript's ">>> RCPT TO:<a@b>" is no quote mark,
 * nor is a pasted log's "> " alone (maillog.c reads those). */
static int quoted_in_words(const char *t, size_t len, const bounce_out *out)
{
    size_t pos = 0, ll, quoted = 0, words = 0;
    int names = 0;
    const char *l;
    while (t && bounce_line(t, len, &pos, &l, &ll)) {
        bounce_trim(&l, &ll);
        if (!ll)
            continue;
        if (l[0] == '>' && !(ll >= 3 && l[1] == '>' && l[2] == '>')) {
            quoted++;
            for (size_t i = 0; i < out->n && !names && memchr(l, '@', ll); i++)
                names =
                    str_casefind(l, ll, out->r[i].recipient, strlen(out->r[i].recipient)) != NULL;
        } else {
            words++;
        }
        if (quoted >= QUOTED_MIN_LINES && words && names)
            return 1;
    }
    return 0;
}

/* build_view - scan the message and collect the parts a bounce needs; headerless: the bytes
 * are a notice's text without any header (pasted), read as that text alone. Returns
 * MXD_ERR_PARSE when the bytes have no header at all, MXD_ERR_NOLIB when a part or header
 * needed GMime and it could not be loaded. */
static mxd_err build_view(bounce_view *v, const char *data, size_t len, int headerless)
{
    buf_reset(&v->text);
    buf_reset(&v->html);
    buf_reset(&v->dsn);
    buf_reset(&v->orig);
    buf_reset(&v->fbr);
    v->has_dsn = v->has_orig = v->has_fbr = v->multipart = v->mime_orig = 0;
    v->org_indexed = 0;
    v->ntop = 0;
    v->sep_known = v->own_known = 0;
    v->subj_kinds = v->person_quoting = 0;
    v->raw = data;
    v->rawlen = len;
    v->conv.nolib = 0;
    if (headerless) {
        /* a notice pasted without its header: all of it is the human-readable text */
        v->hdr = "";
        v->hlen = 0;
        v->ntop = 0;
        v->ms.nparts = 0;  /* no parts: none of the previous message's may be read */
        v->ms.limited = 0; /* (nor its limits: review-s13b P1) */
        memcpy(v->ctype, "text/plain", sizeof "text/plain");
        if (buf_add(&v->text, data, len > BOUNCE_MAX_TEXT ? BOUNCE_MAX_TEXT : len) != MXD_OK)
            return MXD_ERR_NOMEM;
        drop_banner(v, &v->text, 0); /* (copied from a client that shows it on top) */
        goto text_done;
    }
    mxd_err e = mail_scan_run(&v->ms, data, len);
    if (e)
        return e;
    const mail_part *parts = v->ms.parts;
    size_t n = v->ms.nparts;
    if (!n)
        return MXD_ERR_PARSE;
    v->hdr = parts[0].hdr;
    v->hlen = parts[0].hlen;
    v->ntop = index_fields(v->hdr, v->hlen, v->top);
    size_t pos = 0, nl, vl;
    const char *nm, *vv;
    if (!mail_header_next(v->hdr, v->hlen, &pos, &nm, &nl, &vv, &vl))
        return MXD_ERR_PARSE;
    memcpy(v->ctype, parts[0].type, sizeof v->ctype);
    v->multipart = parts[0].kind == MAIL_MULTIPART;
    unsigned char inmsg[MAIL_MAX_PARTS];
    size_t html[BOUNCE_MAX_HTML], nhtml = 0;
    size_t leaves = 0; /* (leaf parts seen) */
    for (size_t i = 0; i < n; i++) {
        const mail_part *p = &parts[i];
        int par = p->parent;
        inmsg[i] = par >= 0 && (parts[par].kind == MAIL_MESSAGE || inmsg[par]);
        if (inmsg[i])
            continue;
        if (p->kind == MAIL_MESSAGE) {
            if (!v->has_orig && i + 1 < n && parts[i + 1].parent == (int)i) {
                const mail_part *c = &parts[i + 1];
                size_t hl = c->hlen > BOUNCE_MAX_ORIG ? BOUNCE_MAX_ORIG : c->hlen;
                if (buf_add(&v->orig, c->hdr, hl) == MXD_OK)
                    v->has_orig = v->mime_orig = 1;
            }
            continue;
        }
        if (p->kind == MAIL_MULTIPART && !(i + 1 < n && parts[i + 1].parent == (int)i)) {
            /* a multipart whose boundary never appears: its body is all preamble, read
             * it as text (GMime too keeps it as the preamble of an empty multipart) */
            add_text(v, &v->text, p, BOUNCE_MAX_TEXT, &v->conv);
            continue;
        }
        if (p->kind != MAIL_LEAF)
            continue;
        const char *t = p->type;
        int seen_leaf = leaves++ > 0;
        if (!strcmp(t, "text/plain") ||
            (i == 0 && !strncmp(t, "text/", 5) && strcmp(t, "text/html")) ||
            !strncmp(t, "multipart/", 10)) {
            /* (a multipart without a boundary parameter is read as text) */
            add_text(v, &v->text, p, BOUNCE_MAX_TEXT, &v->conv);
        } else if (!strcmp(t, "text/html") && !seen_leaf && !v->text.len &&
                   !(par >= 0 && !strcmp(parts[par].type, "multipart/alternative"))) {
            /* (not an alternative's HTML: the text/plain beside it holds the same words) */
            /* the notice's own words written in HTML only, a returned message's text/plain
             * part after them: read in their place, before it (a notice in HTML, the copy of
             * the message flattened after it) */
            add_html(v, &v->text, p, &v->conv);
            if (v->text.len)
                buf_addc(&v->text, '\n'); /* (before the part that follows) */
        } else if (!strcmp(t, "text/html")) {
            /* read only when the message has no text/plain at all (below) */
            if (nhtml < BOUNCE_MAX_HTML)
                html[nhtml++] = i;
        } else if (!strcmp(t, "message/delivery-status") ||
                   !strcmp(t, "message/global-delivery-status")) {
            if (v->dsn.len < BOUNCE_MAX_DSN) {
                if (v->dsn.len)
                    buf_add(&v->dsn, "\n\n", 2);
                size_t start = v->dsn.len;
                mail_decode_part(p, &v->dsn, &v->conv);
                v->has_dsn = 1;
                /* a part written without the empty line after its Content-Type (Twisted's
                 * bounce.py): its DSN fields were read as the part's own header, and its body
                 * names no recipient; the header is read as the fields then */
                const char *body = v->dsn.ptr ? v->dsn.ptr + start : "";
                if (p->hlen < BOUNCE_MAX_DSN &&
                    str_casefind(p->hdr, p->hlen, "\nFinal-Recipient:", 17) &&
                    !str_casefind(body, v->dsn.len - start, "Final-Recipient:", 16) &&
                    buf_add(&v->dsn, "\n\n", 2) == MXD_OK)
                    buf_add(&v->dsn, p->hdr, p->hlen);
            }
        } else if (!strcmp(t, "message/feedback-report")) {
            if (v->fbr.len < BOUNCE_MAX_DSN) {
                mail_decode_part(p, &v->fbr, &v->conv);
                v->has_fbr = 1;
            }
        } else if (!strcmp(t, "text/rfc822-headers") || !strcmp(t, "message/rfc822-headers") ||
                   !strcmp(t, "text/rfc822-header") || !strcmp(t, "message/global-headers")) {
            if (!v->has_orig) {
                mail_decode_part(p, &v->orig, &v->conv);
                v->has_orig = v->mime_orig = v->orig.len > 0;
            }
        } else if (!strcmp(t, "message/rfc822") && !v->has_orig) {
            /* a message part the scanner did not descend into (depth limit) */
            size_t body;
            size_t hl = mail_header_end(p->body, p->blen, &body);
            if (buf_add(&v->orig, p->body, hl) == MXD_OK)
                v->has_orig = v->mime_orig = hl > 0;
        }
    }
    for (size_t k = 0; k < nhtml && !v->text.len && v->html.len < BOUNCE_MAX_TEXT; k++)
        add_html(v, &v->html, &parts[html[k]], &v->conv);
    if (!v->text.len && v->html.len) {
        buf t = v->text;
        v->text = v->html;
        v->html = t;
        buf_reset(&v->html);
    }
text_done:
    /* the detectors look at the first lines only (formats.c FMT_MARKER_WINDOW) */
    buf_reset(&v->ltext);
    size_t ll = v->text.len < BOUNCE_LTEXT_MAX ? v->text.len : BOUNCE_LTEXT_MAX;
    if (ll && buf_add(&v->ltext, v->text.ptr, ll) == MXD_OK) {
        bmatch_lower(v->text.ptr, ll, v->ltext.ptr);
        /* (a line break inside a sentence is a blank there: a marker a notice wraps at
         * another width is still found; a paragraph's end stays a line break) */
        v->ltext.len = bounce_join_lines(v->ltext.ptr, v->ltext.len);
        v->ltext.ptr[v->ltext.len] = 0;
    }
    bview_header(v, "From", v->from, sizeof v->from);
    bview_header(v, "Subject", v->subject, sizeof v->subject);
    /* (a field folded with a TAB keeps it once unfolded, RFC 5322 section 2.2.3: "DELIVERY
     * FAILURE:" folded before its second word is the same subject) */
    for (char *c = v->subject; *c; c++)
        if (*c == '\t')
            *c = ' ';
    v->lfrom_len = strlen(v->from);
    bmatch_lower(v->from, v->lfrom_len + 1, v->lfrom);
    v->lsubject_len = strlen(v->subject);
    bmatch_lower(v->subject, v->lsubject_len + 1, v->lsubject);
    return v->conv.nolib ? MXD_ERR_NOLIB : MXD_OK;
}

static void reset_out(bounce_out *out)
{
    out->n = 0;
    out->mta = NULL;
    out->lhost[0] = 0;
    out->rhost[0] = 0;
    out->date = 0;
    out->tz[0] = 0;
    out->dropped = 0;
    out->hearsay = 0;
}

/* header_field_at - does s open with a header field name and its colon? Names as messages
 * carry them (a letter, then letters, digits and '-'), stricter than RFC 5322 section 2.2
 * allows: pasted text opening with "[https://..." is not taken for a header. */
static int header_field_at(const char *s, size_t len)
{
    size_t i = 0;
    if (!len || !str_isalpha((unsigned char)s[0]))
        return 0;
    while (i < len && i < 78 && (str_isalnum((unsigned char)s[i]) || s[i] == '-'))
        i++;
    return i < len && s[i] == ':';
}

/* read_formats - the first format whose detector takes the view and whose reader finds a
 * recipient fills out (out->mta names it; NULL when none did). */
static void read_formats(bounce_view *v, bounce_out *out)
{
    for (size_t i = 0; i < bounce_nformats; i++) {
        reset_out(out);
        const bounce_format *f = bounce_formats[i];
        if (!f->detect(v))
            continue;
        if (f->parse(v, out) > 0) {
            out->mta = f->name;
            return;
        }
    }
    reset_out(out);
}

/* bounce_of_bounce - does the outer notice name, in its own words, a failed recipient that is
 * the addressee of the message it returns (hdr[0..hlen), that message's header)? Then the
 * returned message, a notice itself, is our own bounce that could not be delivered back: the
 * outer notice's recipient is the failure (review-s13b F1, review-s13c S13C-1: a wrapper that
 * names the failed recipient of the notice it attaches is no such case). */
static int bounce_of_bounce(const bounce_view *v, const bounce_out *out, const char *hdr,
                            size_t hlen)
{
    buf to;
    buf_init(&to, MAIL_MAX_FIELD + 16);
    int hit = 0;
    size_t osep = bview_sep((bounce_view *)v);
    if (v->text.ptr && mail_header_get(hdr, hlen, "To", &to) && to.ptr)
        for (size_t q = 0; q < out->n && !hit; q++) {
            const char *a = out->r[q].recipient;
            size_t al = strlen(a);
            hit =
                al && str_casefind(v->text.ptr, osep, a, al) && str_casefind(to.ptr, to.len, a, al);
        }
    buf_free(&to);
    return hit;
}

/* inner_notice - does the header block of a message returned inside another say that message
 * may itself be a mail system's notice: a mailer daemon's or postmaster's From or a notice's
 * Subject (bounce-phrases.tsv kinds from and subject)? A gateway that passes the notice on as
 * an attachment ("The attached message could not be delivered"), a person who forwards one as
 * an attachment (also a delay warning, whose Subject no failure row names: Exim's "Warning:
 * message ... delayed 24 hours" from its Mail Delivery System). The message is then read as it
 * would be alone: it gives records only where a reader takes it for a notice. */
static int inner_notice(const mxd_kb *kb, const char *hdr, size_t hlen)
{
    buf from, subj;
    buf_init(&from, MAIL_MAX_FIELD + 16);
    buf_init(&subj, MAIL_MAX_FIELD + 16);
    int f = 0, s = 0, person = 0;
    if (kb && mail_header_get(hdr, hlen, "From", &from) &&
        mail_header_get(hdr, hlen, "Subject", &subj) && from.ptr && subj.ptr) {
        bmatch_lower(from.ptr, from.len, from.ptr);
        bmatch_lower(subj.ptr, subj.len, subj.ptr);
        for (size_t i = 0; i < kb->nphrases && !f; i++) {
            const kb_phrase *p = &kb->phrases[i];
            const char *pat = kb_str(kb, p->pattern);
            if (p->kind == KB_PH_FROM)
                f = str_find(from.ptr, from.len, pat, p->len) != NULL;
            else if (p->kind == KB_PH_SUBJECT && !s)
                s = str_find(subj.ptr, subj.len, pat, p->len) != NULL;
            /* (a person's own forward or reply of a notice, "Fwd: Undelivered Mail ...": its
             * words about the notice are no notice, and the notice it carries is not read at
             * this depth) */
            else if ((p->kind == KB_PH_FORWARD || p->kind == KB_PH_REPLY) && !person)
                person = bounce_starts(subj.ptr, subj.len, pat);
        }
    }
    buf_free(&from);
    buf_free(&subj);
    return f || (s && !person);
}

/* drop_list_address - a notice a mailing list relays (its List-Post field: RFC 2369) is
 * addressed to the list, and the list's footer names the list's posting address again
 * (Mailman's "___" line, "<list> mailing list", the address, the list's page): the list's own
 * address is no recipient the notice reports (a phishing "bounce" sent to a list gave its
 * footer's address as a failed recipient; round 27) */
static void drop_list_address(bounce_view *v, bounce_out *out)
{
    char post[BOUNCE_FIELD_MAX];
    /* (a delivery status part's recipient is the MTA's own word: the list's address may be
     * the one that failed, review-s15b MED-1) */
    if (!out->n || v->has_dsn || !bview_header(v, "List-Post", post, sizeof post))
        return;
    const char *m = str_casefind(post, strlen(post), "mailto:", 7);
    if (!m)
        return;
    m += 7;
    ((char *)m)[strcspn(m, ">?, \t")] = 0;
    size_t k = 0;
    for (size_t i = 0; i < out->n; i++)
        if (!*m || !str_caseeq(out->r[i].recipient, strlen(out->r[i].recipient), m)) {
            if (k != i)
                out->r[k] = out->r[i];
            k++;
        }
    out->n = k;
}

/* parse - mxd_bounce_parse() with out.cut already set; calls itself once for a delivery report
 * returned inside the message (bc->nested). */
static mxd_err parse(mxd_bounce_ctx *bc, const char *data, size_t len, const char *source,
                     mxd_bounce_cb cb, void *arg, size_t *nrec)
{
    if (nrec)
        *nrec = 0;
    if (!bc || (!data && len))
        return MXD_ERR_INVALID;
    /* mended first: the offsets below are into the bytes that are read (the mended copy is
     * shorter than the message) */
    if (!bc->nested && mail_mend_line_ends(data, len, &bc->lines)) {
        data = bc->lines.ptr;
        len = bc->lines.len;
    }
    /* a UTF-8 byte order mark before the header (a message saved by a Windows editor) */
    if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3))
        data += 3, len -= 3;
    size_t k = 0;
    while (k < len && str_isspace((unsigned char)data[k]))
        k++;
    if (k == len)
        return MXD_ERR_EMPTY;
    /* blank lines before the header (a pasted or badly saved message): the header starts at
     * the first line with text, when that line is a header field ("Name: value") */
    size_t line = k;
    while (line > 0 && data[line - 1] != '\n')
        line--;
    /* a delivery-status block pasted alone ("Final-Recipient: rfc822; a@b", "Action: failed",
     * ..., or its per-message fields first: "Reporting-MTA: dns; mx", then a Final-Recipient)
     * reads like a header but is a notice's text: read as one (fmt_dsn_in_text) */
    int dsn_block = bounce_starts(data + line, len - line, "Final-Recipient:") ||
                    bounce_starts(data + line, len - line, "Original-Recipient:") ||
                    ((bounce_starts(data + line, len - line, "Reporting-MTA:") ||
                      bounce_starts(data + line, len - line, "Original-Envelope-Id:")) &&
                     str_casefind(data + line, len - line, "\nFinal-Recipient:", 17));
    int headerless = dsn_block || (!header_field_at(data + line, len - line) &&
                                   !(len - line >= 5 && !memcmp(data + line, "From ", 5)));
    if (line > 0 && !headerless) {
        data += line;
        len -= line;
    }
    mxd_err e = build_view(&bc->v, data, len, headerless);
    if (e)
        return e;
    bounce_out *out = &bc->out;
    out->mime_cut |= bc->v.ms.limited;
    /* another automatic message that reads like a notice (a list manager's warning, a
     * challenge: bounce-phrases.tsv kind not-bounce) gives no record, unless it carries a
     * delivery status part */
    if (!bc->v.has_dsn && !bc->v.has_fbr && fmt_notice_says(&bc->v, KB_PH_NOTBOUNCE)) {
        reset_out(out);
        return bc->v.conv.nolib ? MXD_ERR_NOLIB : MXD_OK;
    }
    read_formats(&bc->v, out);
    /* a message with no delivery status of its own that returns or forwards a whole delivery
     * report (X5's notification with the DSN as its returned message, a person forwarding a
     * bounce): that report is the bounce, read once, unless a reader of a known notice
     * format took the outer message (a bounce of a bounce names its own recipient). What the
     * plain-text reader found in a person's few lines above a forwarded bounce (a signature,
     * "my mail bounced: 550 ...") is not taken over the report. */
    if ((!out->mta || !strcmp(out->mta, "text")) && !bc->v.has_dsn && !bc->v.has_fbr &&
        !bc->nested) {
        const mail_part *ps = bc->v.ms.parts;
        /* (a bounce of a bounce only where a mail system sent the outer message: a person's
         * forward names its writer, the attached notice's addressee, in a signature) */
        int system = fmt_notice_headers(&bc->v);
        for (size_t i = 0; i + 1 < bc->v.ms.nparts; i++) {
            const mail_part *c = &ps[i + 1];
            /* (the scan is shallow: the returned message's header is recorded, its body
             * is not taken apart) */
            if (ps[i].kind != MAIL_MESSAGE || c->parent != (int)i || !c->hdr)
                continue;
            int is_report = str_casefind(c->hdr, c->hlen, "multipart/report", 16) &&
                            str_casefind(c->hdr, c->hlen, "delivery-status", 15);
            if ((!is_report && !inner_notice(bc->kb, c->hdr, c->hlen)) ||
                (system && bounce_of_bounce(&bc->v, out, c->hdr, c->hlen)))
                continue;
            /* (a text notice attached to a message no mail system sent, a person's forward or
             * a list post: what it says is hearsay, as when it is quoted; review-s10 H1) */
            bc->passed_on = !is_report && !system;
            /* read in place: the nested parse mends nothing (bc->lines stays as it is) and
             * writes only the view, which is built again below */
            const char *inner = c->hdr;
            size_t il = (size_t)(c->body + c->blen - c->hdr), got = 0;
            bc->nested = 1;
            mxd_err ne = parse(bc, inner, il, source, cb, arg, &got);
            bc->nested = 0;
            bc->passed_on = 0;
            if (got || ne == MXD_ERR_NOMEM) {
                if (nrec)
                    *nrec = got;
                return ne;
            }
            /* nothing in it: the outer message as it was read (its view and records were
             * reused) */
            e = build_view(&bc->v, data, len, headerless);
            if (e)
                return e;
            read_formats(&bc->v, out);
            break;
        }
    }
    if (!out->mta || bc->v.conv.nolib) { /* (a format decoded a header: GMime missing) */
        reset_out(out);
        /* text without a header that no reader took for a notice is no e-mail at all */
        return bc->v.conv.nolib ? MXD_ERR_NOLIB : headerless ? MXD_ERR_PARSE : MXD_OK;
    }
    /* a notice quoted in a person's reply or a list's post, whichever reader took it: what it
     * says is hearsay, never a hard bounce (review-s10 H1) */
    if (out->n && fmt_person_quoting(&bc->v) && !bc->v.has_dsn && !bc->v.has_fbr &&
        !(out->mta && !strcmp(out->mta, "amazonses")))
        out->hearsay = 1; /* (not a delivery status part, a feedback report or Amazon's JSON
                             notification passed on by a list: the mail system's own words) */
    if (out->n && bc->nested && bc->passed_on)
        out->hearsay = 1;
    /* a text pasted without a header in which the notice is quoted ("> ") beside the words of
     * whoever quoted it (a person's reply copied out of a client): hearsay, as the reply is */
    if (out->n && !bc->v.hlen && quoted_in_words(bc->v.text.ptr, bview_sep(&bc->v), out))
        out->hearsay = 1;
    /* a person's inline forward of a message a person wrote about a notice (a list post, a
     * colleague's question): hearsay, as that message is (the metamorphic test's fwdinline) */
    if (out->n && !bc->v.has_dsn && !bc->nested && fmt_forwarded_person(&bc->v))
        out->hearsay = 1;
    drop_list_address(&bc->v, out);
    if (out->hearsay && out->n > 1)
        fmt_beside_failure(&bc->v, out);
    return bounce_emit(bc->kb, bc->flags, &bc->v, out, source ? source : "", cb, arg, nrec);
}

/* release_lines - a mended copy above 1 MiB is not kept for the next message (the context
 * lives as long as a worker: its largest message would stay allocated). */
static void release_lines(mxd_bounce_ctx *bc)
{
    if (bc && bc->lines.alloc > ((size_t)1 << 20)) {
        buf_free(&bc->lines);
        buf_init(&bc->lines, 0);
    }
}

/* finish - after a message: its caps for mxd_bounce_cuts() (recipients left out, delivered or
 * failed: a report of 128 delivered ones and then failed ones reads no failure, and says so),
 * the mended copy released */
static void finish(mxd_bounce_ctx *bc)
{
    if (!bc)
        return;
    bc->cuts = (bc->out.cut ? MXD_BOUNCE_CUT_SIZE : 0u) |
               (bc->out.dropped ? MXD_BOUNCE_CUT_RCPTS : 0u) |
               (bc->out.mime_cut ? MXD_BOUNCE_CUT_MIME : 0u);
    release_lines(bc);
}

unsigned mxd_bounce_cuts(const mxd_bounce_ctx *bc)
{
    return bc ? bc->cuts : 0;
}

mxd_err mxd_bounce_parse(mxd_bounce_ctx *bc, const char *data, size_t len, const char *source,
                         mxd_bounce_cb cb, void *arg, size_t *nrec)
{
    if (bc) {
        bc->out.cut = 0;
        bc->out.dropped = 0; /* (a message that is not read leaves the last one's) */
        bc->out.mime_cut = 0;
    }
    mxd_err e = parse(bc, data, len, source, cb, arg, nrec);
    finish(bc);
    return e;
}

mxd_err mxd_bounce_parse_msg(mxd_bounce_ctx *bc, const mxd_mail_msg *m, mxd_bounce_cb cb, void *arg,
                             size_t *nrec)
{
    if (!m) {
        if (nrec)
            *nrec = 0;
        if (bc)
            bc->cuts = 0;
        return MXD_ERR_INVALID;
    }
    if (bc) {
        bc->out.cut = m->truncated != 0;
        bc->out.dropped = 0;
        bc->out.mime_cut = 0;
    }
    mxd_err e = parse(bc, m->data, m->len, m->label, cb, arg, nrec);
    finish(bc);
    return e;
}
