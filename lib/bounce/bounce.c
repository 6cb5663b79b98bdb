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
#include "util/match.h"
#include "kb/kb_internal.h"
#include "util/str.h"

struct mxd_bounce_ctx {
    const mxd_kb *kb;
    unsigned flags;
    bounce_view v;
    bounce_out out;
};

/* record.c */
mxd_err bounce_emit(const mxd_kb *kb, unsigned flags, bounce_view *v, bounce_out *out,
                    const char *source, mxd_bounce_cb cb, void *arg, size_t *nrec);

/* provider_has_rules - does the knowledge base hold rules for this provider? */
static int provider_has_rules(const bounce_view *v, const char *prov)
{
    for (size_t i = 0; i < v->nrule_providers; i++)
        if (!strcmp(v->rule_providers[i], prov))
            return 1;
    return 0;
}

static size_t literal_len(const char *p)
{
    size_t n = 0;
    for (; *p; p++)
        n += *p != '*';
    return n;
}

size_t bounce_view_offset(void)
{
    return offsetof(mxd_bounce_ctx, v);
}

/* host_literal_len - length of a pattern without its '*'s. */
static size_t host_literal_len(const char *p)
{
    size_t n = 0;
    for (; *p; p++)
        n += *p != '*';
    return n;
}

/* pattern_lookup - the provider of the longest matching pattern (name lower-cased). */
static const char *pattern_lookup(const bounce_hostpat *pat, size_t n, const char *low, size_t hl)
{
    const bounce_hostpat *best = NULL;
    for (size_t i = 0; i < n; i++) {
        const bounce_hostpat *h = &pat[i];
        int hit;
        if (h->shape == HOSTPAT_SUFFIX)
            hit = hl > h->litlen && !memcmp(low + hl - h->litlen, h->lit, h->litlen);
        else if (h->shape == HOSTPAT_PREFIX)
            hit = hl > h->litlen && !memcmp(low, h->lit, h->litlen);
        else if (h->shape == HOSTPAT_EXACT)
            hit = hl == h->litlen && !memcmp(low, h->lit, hl);
        else
            hit = str_glob_match(low, hl, h->lit);
        if (hit && (!best || h->weight > best->weight))
            best = h;
    }
    return best ? best->provider : NULL;
}

const char *bview_provider_for_host(const bounce_view *v, const char *host)
{
    char low[BOUNCE_HOST_MAX];
    size_t hl = strlen(host);
    while (hl && host[hl - 1] == '.')
        hl--;
    if (hl >= sizeof low)
        return mxd_kb_provider_for_host(v->kb, host, NULL, 0);
    bmatch_lower(host, hl, low);
    return pattern_lookup(v->hostpat, v->nhostpat, low, hl);
}

const char *bview_provider_for_domain(const bounce_view *v, const char *domain)
{
    char low[BOUNCE_HOST_MAX];
    size_t hl = strlen(domain);
    while (hl && domain[hl - 1] == '.')
        hl--;
    if (!hl || hl >= sizeof low)
        return hl ? mxd_kb_provider_for_domain(v->kb, domain) : NULL;
    bmatch_lower(domain, hl, low);
    return pattern_lookup(v->dompat, v->ndompat, low, hl);
}

/* compile_hints - the text hints of provider-hosts.tsv, longest literal first (the same
 * choice kb_provider_in_text() makes), and the list of providers with rules. */
static int compile_hints(mxd_bounce_ctx *bc, const mxd_kb *kb)
{
    size_t n = 0;
    for (size_t i = 0; i < kb->nhosts; i++)
        n += kb->hosts[i].kind == KB_TEXT;
    const kb_phost **h = calloc(n ? n : 1, sizeof *h);
    const char **pats = calloc(n ? n : 1, sizeof *pats);
    bc->v.hint_provider = calloc(n ? n : 1, sizeof *bc->v.hint_provider);
    bc->v.rule_providers = calloc(kb->nrules ? kb->nrules : 1, sizeof *bc->v.rule_providers);
    if (!h || !pats || !bc->v.hint_provider || !bc->v.rule_providers) {
        free(h);
        free(pats);
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < kb->nhosts; i++)
        if (kb->hosts[i].kind == KB_TEXT)
            h[k++] = &kb->hosts[i];
    /* stable insertion sort by literal length, longest first */
    for (size_t i = 1; i < n; i++) {
        const kb_phost *x = h[i];
        size_t j = i;
        while (j > 0 && literal_len(h[j - 1]->pattern) < literal_len(x->pattern)) {
            h[j] = h[j - 1];
            j--;
        }
        h[j] = x;
    }
    for (size_t i = 0; i < n; i++) {
        pats[i] = h[i]->pattern;
        bc->v.hint_provider[i] = h[i]->provider;
    }
    bc->v.hints = bmatch_new(pats, n);
    free(h);
    free(pats);
    bc->v.hostpat = calloc(kb->nhosts ? kb->nhosts : 1, sizeof *bc->v.hostpat);
    bc->v.dompat = calloc(kb->nhosts ? kb->nhosts : 1, sizeof *bc->v.dompat);
    if (!bc->v.hostpat || !bc->v.dompat)
        return -1;
    for (size_t i = 0; i < kb->nhosts; i++) {
        int kind = kb->hosts[i].kind;
        if (kind != KB_HOST && kind != KB_DOMAIN)
            continue;
        const char *p = kb->hosts[i].pattern;
        bounce_hostpat *hp =
            kind == KB_HOST ? &bc->v.hostpat[bc->v.nhostpat++] : &bc->v.dompat[bc->v.ndompat++];
        size_t pl = strlen(p);
        const char *star = strchr(p, '*');
        int suffix = star == p && !strchr(p + 1, '*');
        int prefix = star && star == p + pl - 1 && pl > 1 && star != p;
        const char *lit = suffix ? p + 1 : p;
        hp->litlen = prefix ? pl - 1 : strlen(lit);
        hp->lit = malloc(strlen(lit) + 1);
        if (!hp->lit)
            return -1;
        bmatch_lower(lit, strlen(lit) + 1, hp->lit);
        hp->shape = suffix   ? HOSTPAT_SUFFIX
                    : prefix ? HOSTPAT_PREFIX
                    : star   ? HOSTPAT_GLOB
                             : HOSTPAT_EXACT;
        hp->weight = host_literal_len(p);
        hp->provider = kb->hosts[i].provider;
    }
    for (size_t i = 0; i < kb->nrules; i++) {
        const char *p = kb->rules[i].provider;
        if (p && !provider_has_rules(&bc->v, p))
            bc->v.rule_providers[bc->v.nrule_providers++] = p;
    }
    return bc->v.hints ? 0 : -1;
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
    const char **pats = calloc(kb->nreasons ? kb->nreasons : 1, sizeof *pats);
    if (!pats) {
        mxd_bounce_free(bc);
        return MXD_ERR_NOMEM;
    }
    for (size_t i = 0; i < kb->nreasons; i++)
        pats[i] = kb->reasons[i].pattern;
    bc->v.reasons = bmatch_new(pats, kb->nreasons);
    free(pats);
    if (!bc->v.reasons || compile_hints(bc, kb)) {
        mxd_bounce_free(bc);
        return MXD_ERR_NOMEM;
    }
    bc->v.provider_has_rules = provider_has_rules;
    bc->v.markers = fmt_markers_new(); /* (without it, markers are searched uncached) */
    bounce_cmdtab_init(&bc->v.cmds);
    mail_gmime_init();
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
    mail_conv_cache_free(&bc->v.conv);
    bmatch_free((bmatch *)bc->v.reasons);
    bmatch_free((bmatch *)bc->v.hints);
    free(bc->v.hint_provider);
    for (size_t i = 0; i < bc->v.nhostpat; i++)
        free(bc->v.hostpat[i].lit);
    free(bc->v.hostpat);
    for (size_t i = 0; i < bc->v.ndompat; i++)
        free(bc->v.dompat[i].lit);
    free(bc->v.dompat);
    free(bc->v.rule_providers);
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

/* add_text - append decoded part text to b, separated by a line break. */
static void add_text(buf *b, const mail_part *p, size_t max, mail_conv_cache *cc)
{
    if (b->len >= max)
        return;
    if (b->len && b->ptr[b->len - 1] != '\n' && buf_addc(b, '\n') != MXD_OK)
        return;
    mail_decode_part(p, b, cc);
}

/* build_view - scan the message and collect the parts a bounce needs. Returns MXD_ERR_PARSE
 * when the bytes have no header at all. */
static mxd_err build_view(bounce_view *v, const char *data, size_t len)
{
    buf_reset(&v->text);
    buf_reset(&v->html);
    buf_reset(&v->dsn);
    buf_reset(&v->orig);
    buf_reset(&v->fbr);
    v->has_dsn = v->has_orig = v->has_fbr = v->multipart = 0;
    v->org_indexed = 0;
    v->ntop = 0;
    v->sep_known = 0;
    v->raw = data;
    v->rawlen = len;
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
                    v->has_orig = 1;
            }
            continue;
        }
        if (p->kind == MAIL_MULTIPART && !(i + 1 < n && parts[i + 1].parent == (int)i)) {
            /* a multipart whose boundary never appears: its body is all preamble, read
             * it as text (GMime too keeps it as the preamble of an empty multipart) */
            add_text(&v->text, p, BOUNCE_MAX_TEXT, &v->conv);
            continue;
        }
        if (p->kind != MAIL_LEAF)
            continue;
        const char *t = p->type;
        if (!strcmp(t, "text/plain") ||
            (i == 0 && !strncmp(t, "text/", 5) && strcmp(t, "text/html")) ||
            !strncmp(t, "multipart/", 10)) {
            /* (a multipart without a boundary parameter is read as text) */
            add_text(&v->text, p, BOUNCE_MAX_TEXT, &v->conv);
        } else if (!strcmp(t, "text/html")) {
            /* read only when the message has no text/plain at all (below) */
            if (nhtml < BOUNCE_MAX_HTML)
                html[nhtml++] = i;
        } else if (!strcmp(t, "message/delivery-status") ||
                   !strcmp(t, "message/global-delivery-status")) {
            if (v->dsn.len < BOUNCE_MAX_DSN) {
                if (v->dsn.len)
                    buf_add(&v->dsn, "\n\n", 2);
                mail_decode_part(p, &v->dsn, &v->conv);
                v->has_dsn = 1;
            }
        } else if (!strcmp(t, "message/feedback-report")) {
            if (v->fbr.len < BOUNCE_MAX_DSN) {
                mail_decode_part(p, &v->fbr, &v->conv);
                v->has_fbr = 1;
            }
        } else if (!strcmp(t, "text/rfc822-headers") || !strcmp(t, "message/rfc822-headers") ||
                   !strcmp(t, "text/rfc822-header")) {
            if (!v->has_orig) {
                mail_decode_part(p, &v->orig, &v->conv);
                v->has_orig = v->orig.len > 0;
            }
        } else if (!strcmp(t, "message/rfc822") && !v->has_orig) {
            /* a message part the scanner did not descend into (depth limit) */
            size_t body;
            size_t hl = mail_header_end(p->body, p->blen, &body);
            if (buf_add(&v->orig, p->body, hl) == MXD_OK)
                v->has_orig = hl > 0;
        }
    }
    for (size_t k = 0; k < nhtml && !v->text.len && v->html.len < BOUNCE_MAX_TEXT; k++) {
        buf dec;
        buf_init(&dec, MAIL_MAX_DECODED * 4);
        if (mail_decode_part(&parts[html[k]], &dec, &v->conv) == MXD_OK && dec.ptr) {
            if (v->html.len)
                buf_addc(&v->html, '\n');
            mail_html_to_text(dec.ptr, dec.len, &v->html);
        }
        buf_free(&dec);
    }
    if (!v->text.len && v->html.len) {
        buf t = v->text;
        v->text = v->html;
        v->html = t;
        buf_reset(&v->html);
    }
    /* the detectors look at the first lines only (formats.c FMT_MARKER_WINDOW) */
    buf_reset(&v->ltext);
    size_t ll = v->text.len < BOUNCE_LTEXT_MAX ? v->text.len : BOUNCE_LTEXT_MAX;
    if (ll && buf_add(&v->ltext, v->text.ptr, ll) == MXD_OK)
        bmatch_lower(v->text.ptr, ll, v->ltext.ptr);
    bview_header(v, "From", v->from, sizeof v->from);
    bview_header(v, "Subject", v->subject, sizeof v->subject);
    v->lfrom_len = strlen(v->from);
    bmatch_lower(v->from, v->lfrom_len + 1, v->lfrom);
    v->lsubject_len = strlen(v->subject);
    bmatch_lower(v->subject, v->lsubject_len + 1, v->lsubject);
    return MXD_OK;
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
}

/* parse - mxd_bounce_parse() with out.cut already set. */
static mxd_err parse(mxd_bounce_ctx *bc, const char *data, size_t len, const char *source,
                     mxd_bounce_cb cb, void *arg, size_t *nrec)
{
    if (nrec)
        *nrec = 0;
    if (!bc || (!data && len))
        return MXD_ERR_INVALID;
    size_t k = 0;
    while (k < len && str_isspace((unsigned char)data[k]))
        k++;
    if (k == len)
        return MXD_ERR_EMPTY;
    mxd_err e = build_view(&bc->v, data, len);
    if (e)
        return e;
    bounce_out *out = &bc->out;
    for (size_t i = 0; i < bounce_nformats; i++) {
        reset_out(out);
        const bounce_format *f = bounce_formats[i];
        if (!f->detect(&bc->v))
            continue;
        if (f->parse(&bc->v, out) > 0) {
            out->mta = f->name;
            break;
        }
    }
    if (!out->mta) {
        reset_out(out);
        return MXD_OK;
    }
    return bounce_emit(bc->kb, bc->flags, &bc->v, out, source ? source : "", cb, arg, nrec);
}

mxd_err mxd_bounce_parse(mxd_bounce_ctx *bc, const char *data, size_t len, const char *source,
                         mxd_bounce_cb cb, void *arg, size_t *nrec)
{
    if (bc)
        bc->out.cut = 0;
    return parse(bc, data, len, source, cb, arg, nrec);
}

mxd_err mxd_bounce_parse_msg(mxd_bounce_ctx *bc, const mxd_mail_msg *m, mxd_bounce_cb cb, void *arg,
                             size_t *nrec)
{
    if (!m) {
        if (nrec)
            *nrec = 0;
        return MXD_ERR_INVALID;
    }
    if (bc)
        bc->out.cut = m->truncated != 0;
    return parse(bc, m->data, m->len, m->label, cb, arg, nrec);
}
