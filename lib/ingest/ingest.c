/* ingest.c - what a message at the bounce or report address is, into the store
 * SPDX-License-Identifier: MIT
 *
 * Two phases per message. First everything is read into memory, outside any transaction:
 * the bounce records (by mxd_bounce_parse, so `ingest` and `bounce` give one verdict), the
 * reports of the attachments, the failure report's fields. Then one transaction writes the
 * message key and all of it, or nothing: a message is stored whole or not at all, and the
 * write lock is held only for the writing.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include "util/crypto.h"
#include "mxdiag/ingest.h"
#include "mxdiag/bounce.h"
#include "mxdiag/report.h"
#include "ingest/ingest_internal.h"
#include "mail/mail_internal.h"
#include "report/report_internal.h"
#include "bounce/bounce_internal.h"
#include "util/buf.h"
#include "util/str.h"

/* Failed recipients of one message kept as events (the bounce parser's own cap). */
#define INGEST_MAX_EVENTS MXD_BOUNCE_MAX_RCPTS
/* Reports read from the attachments of one message. */
#define INGEST_MAX_REPORTS 16

typedef struct ev_copy {
    char *address, *reason, *status, *replycode, *diagnostic, *provider, *scope, *feedbacktype;
    mxd_event_effect effect;
    long long at;
} ev_copy;

struct mxd_ingest {
    const mxd_kb *kb;
    mxd_store *st;
    mxd_bounce_ctx *bc;
    mail_scan ms;
    mail_conv_cache conv;
    buf att;   /* a decoded attachment */
    buf text;  /* a decoded text part */
    buf fbr;   /* the decoded message/feedback-report part */
    buf lines; /* the message with its line ends mended (mail_mend_line_ends) */
    /* what the message holds (phase one) */
    ev_copy ev[INGEST_MAX_EVENTS];
    size_t nev;
    size_t nvacation;
    mxd_dmarc_agg *agg[INGEST_MAX_REPORTS];
    size_t nagg;
    mxd_tlsrpt *tls[INGEST_MAX_REPORTS];
    size_t ntls;
    mxd_dmarc_failure fail;
    int has_fail;
    long long msg_date;
    mxd_ingest_result *res;
};

mxd_err mxd_ingest_new(const mxd_kb *kb, mxd_store *st, mxd_ingest **out)
{
    return ingest_new_reader(kb, st, out);
}

/* ingest_new_reader - (ingest_internal.h) */
mxd_err ingest_new_reader(const mxd_kb *kb, mxd_store *st, mxd_ingest **out)
{
    if (!kb || !out)
        return MXD_ERR_INVALID;
    if (crypto_load()) /* message keys (SHA-256), base64 attachments */
        return MXD_ERR_NOLIB;
    mxd_ingest *ing = calloc(1, sizeof *ing);
    if (!ing)
        return MXD_ERR_NOMEM;
    ing->kb = kb;
    ing->st = st;
    mxd_err e = mxd_bounce_new(kb, 0, &ing->bc);
    if (e) {
        free(ing);
        return e;
    }
    mail_scan_init(&ing->ms);
    ing->ms.shallow = 1;
    buf_init(&ing->att, MXD_REPORT_MAX_INPUT);
    buf_init(&ing->text, 1024 * 1024);
    buf_init(&ing->fbr, 64 * 1024);
    buf_init(&ing->lines, 0);
    *out = ing;
    return MXD_OK;
}

static void failure_clear(mxd_dmarc_failure *f)
{
    char **s[] = {&f->reporter,
                  &f->feedback_type,
                  &f->auth_failure,
                  &f->reported_domain,
                  &f->source_ip,
                  &f->original_mail_from,
                  &f->original_rcpt_to,
                  &f->original_envelope_id,
                  &f->delivery_result,
                  &f->dkim_domain,
                  &f->dkim_selector,
                  &f->dkim_identity,
                  &f->spf_dns,
                  &f->identity_alignment,
                  &f->authentication_results,
                  &f->user_agent,
                  &f->header_from,
                  &f->subject,
                  &f->message_id};
    for (size_t i = 0; i < sizeof s / sizeof *s; i++)
        free(*s[i]);
    memset(f, 0, sizeof *f);
}

static void reset_message(mxd_ingest *ing)
{
    for (size_t i = 0; i < ing->nev; i++) {
        ev_copy *c = &ing->ev[i];
        free(c->address), free(c->reason), free(c->status), free(c->replycode);
        free(c->diagnostic), free(c->provider), free(c->scope), free(c->feedbacktype);
    }
    ing->nev = 0;
    ing->nvacation = 0;
    for (size_t i = 0; i < ing->nagg; i++)
        mxd_dmarc_agg_free(ing->agg[i]);
    ing->nagg = 0;
    for (size_t i = 0; i < ing->ntls; i++)
        mxd_tlsrpt_free(ing->tls[i]);
    ing->ntls = 0;
    failure_clear(&ing->fail);
    ing->has_fail = 0;
    ing->msg_date = 0;
    if (ing->lines.alloc > ((size_t)1 << 20)) { /* (not kept for the next message) */
        buf_free(&ing->lines);
        buf_init(&ing->lines, 0);
    }
}

void mxd_ingest_free(mxd_ingest *ing)
{
    if (!ing)
        return;
    reset_message(ing);
    mxd_bounce_free(ing->bc);
    mail_scan_free(&ing->ms);
    mail_conv_cache_free(&ing->conv);
    buf_free(&ing->att);
    buf_free(&ing->text);
    buf_free(&ing->fbr);
    buf_free(&ing->lines);
    free(ing);
}

/* ---- helpers ------------------------------------------------------------------------ */

/* why_set - the first reason something was skipped: "what: why" (what may be ""). */
static void why_set(mxd_ingest_result *res, const char *what, const char *why)
{
    if (res->why[0])
        return;
    size_t wl = what && *what ? strlen(what) : 0, yl = why ? strlen(why) : 0;
    if (wl > sizeof res->why / 2)
        wl = sizeof res->why / 2;
    if (wl + 2 + yl >= sizeof res->why)
        yl = sizeof res->why - wl - 3;
    size_t o = 0;
    if (wl) {
        memcpy(res->why, what, wl);
        memcpy(res->why + wl, ": ", 2);
        o = wl + 2;
    }
    if (yl)
        memcpy(res->why + o, why, yl);
    res->why[o + yl] = 0;
}

/* dupz - a copy of s (NULL for NULL or ""), NUL-terminated, with bytes that are not UTF-8
 * replaced by U+FFFD: the store holds text, whatever a stranger's bounce held. */
static char *dupz(const char *s)
{
    size_t n;
    return s && *s ? str_utf8_repair(s, strlen(s), &n) : NULL;
}

/* header_dup - the unfolded value of name in hdr, or NULL. */
static char *header_dup(mxd_ingest *ing, const char *hdr, size_t hlen, const char *name)
{
    if (!mail_header_get(hdr, hlen, name, &ing->text) || !ing->text.ptr || !ing->text.len)
        return NULL;
    size_t n;
    return str_utf8_repair(ing->text.ptr, ing->text.len, &n);
}

/* addr_only - the addr-spec of an address field value ("Name <a@b>" -> "a@b"), in place. */
static char *addr_only(char *v)
{
    if (!v)
        return NULL;
    char *lt = strrchr(v, '<');
    if (lt) {
        char *gt = strchr(lt, '>');
        if (gt) {
            memmove(v, lt + 1, (size_t)(gt - lt - 1));
            v[gt - lt - 1] = 0;
        }
    }
    size_t n = strlen(v);
    while (n && str_isspace((unsigned char)v[n - 1]))
        v[--n] = 0;
    size_t k = 0;
    while (str_isspace((unsigned char)v[k]))
        k++;
    memmove(v, v + k, n - k + 1);
    return v;
}

/* strip_angle - "<id@host>" -> "id@host", in place. */
static char *strip_angle(char *v)
{
    if (!v)
        return NULL;
    addr_only(v);
    return v;
}

/* message_key - "mid:<Message-ID>" in lower case, else "sha256:<hex of the bytes>". */
static void message_key(mxd_ingest *ing, const char *hdr, size_t hlen, const char *data, size_t len,
                        char *out, size_t outlen)
{
    char *mid = hdr ? header_dup(ing, hdr, hlen, "Message-ID") : NULL;
    strip_angle(mid);
    if (mid && *mid && strlen(mid) < outlen - 5) {
        snprintf(out, outlen, "mid:%s", mid);
        for (char *p = out; *p; p++)
            *p = (char)str_tolower((unsigned char)*p);
        free(mid);
        return;
    }
    free(mid);
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)data, len, md);
    size_t o = (size_t)snprintf(out, outlen, "sha256:");
    for (size_t i = 0; i < sizeof md && o + 2 < outlen; i++)
        o += (size_t)snprintf(out + o, outlen - o, "%02x", md[i]);
}

/* ingest_is_report_bytes - (ingest_internal.h) */
int ingest_is_report_bytes(const char *d, size_t n)
{
    if (n >= 2 && (unsigned char)d[0] == 0x1f && (unsigned char)d[1] == 0x8b)
        return 1;
    if (n >= 4 && !memcmp(d, "PK\3\4", 4))
        return 1;
    size_t i = 0;
    if (n >= 3 && !memcmp(d, "\xef\xbb\xbf", 3))
        i = 3;
    while (i < n && str_isspace((unsigned char)d[i]))
        i++;
    return i < n && (d[i] == '<' || d[i] == '{');
}

/* ---- reports in attachments and files ------------------------------------------------ */

static int on_member(void *arg, const char *name, const char *data, size_t len)
{
    mxd_ingest *ing = arg;
    (void)name;
    size_t i = 0;
    if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3))
        i = 3;
    while (i < len && str_isspace((unsigned char)data[i]))
        i++;
    char why[200] = "";
    /* one message may hold many attachments and a zip many members: the rows kept from all of
     * them together stay within one report's limit, so memory does not grow with their count */
    size_t rows = 0;
    for (size_t k = 0; k < ing->nagg; k++)
        rows += ing->agg[k]->nrows;
    for (size_t k = 0; k < ing->ntls; k++)
        for (size_t p = 0; p < ing->tls[k]->npolicies; p++)
            rows += 1 + ing->tls[k]->policies[p].nfailures;
    if (rows >= MXD_REPORT_MAX_ROWS) {
        why_set(ing->res, name && *name ? name : "report",
                "left out: the message's reports already hold the most rows read at once");
        return 1;
    }
    if (i < len && data[i] == '{') {
        if (ing->ntls >= INGEST_MAX_REPORTS)
            return 1;
        mxd_tlsrpt *r = NULL;
        if (mxd_tlsrpt_parse(data, len, &r, why, sizeof why) == MXD_OK)
            ing->tls[ing->ntls++] = r;
        else
            why_set(ing->res, name && *name ? name : "TLS report", why);
    } else if (i < len && data[i] == '<') {
        if (ing->nagg >= INGEST_MAX_REPORTS)
            return 1;
        mxd_dmarc_agg *r = NULL;
        if (mxd_dmarc_agg_parse(data, len, &r, why, sizeof why) == MXD_OK)
            ing->agg[ing->nagg++] = r;
        else
            why_set(ing->res, name && *name ? name : "DMARC report", why);
    } else {
        why_set(ing->res, name && *name ? name : "attachment",
                "neither a DMARC aggregate report (XML) nor a TLS report (JSON)");
    }
    return 0;
}

/* read_reports - unpack data and parse what it holds into ing->agg / ing->tls. */
static mxd_err read_reports(mxd_ingest *ing, const char *data, size_t len, const char *name)
{
    char why[256] = "";
    mxd_err e = mxd_report_unpack(data, len, name, on_member, ing, why, sizeof why);
    if (e == MXD_ERR_NOMEM || e == MXD_ERR_NOLIB)
        return e;
    if (e) {
        /* the unpacker names the member itself */
        size_t nl = name ? strlen(name) : 0;
        int named = nl && !strncmp(why, name, nl);
        why_set(ing->res, named ? "" : name, why[0] ? why : mxd_strerror(e));
    }
    return MXD_OK;
}

/* decode_attachment - the body of a leaf part, transfer-decoded, into ing->att (base64 with
 * OpenSSL: attachments may be larger than the text decoders keep). */
static mxd_err decode_attachment(mxd_ingest *ing, const mail_part *p)
{
    buf_free(&ing->att);
    buf_init(&ing->att, MXD_REPORT_MAX_INPUT);
    if (p->cte != MAIL_CTE_BASE64) {
        if (p->cte == MAIL_CTE_QP)
            return mail_decode_body(p->body, p->blen, p->cte, "", &ing->att, &ing->conv);
        if (p->blen > MXD_REPORT_MAX_INPUT)
            return MXD_ERR_TOOBIG;
        return buf_add(&ing->att, p->body, p->blen);
    }
    if (p->blen / 4 * 3 > MXD_REPORT_MAX_INPUT + 4)
        return MXD_ERR_TOOBIG;
    EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
    if (!ctx)
        return MXD_ERR_NOMEM;
    EVP_DecodeInit(ctx);
    unsigned char out[6144];
    mxd_err e = MXD_OK;
    /* only base64 characters and line breaks go to the decoder: junk (blanks, a stray
     * boundary-like line) would stop it */
    char in[4096];
    size_t k = 0;
    for (size_t i = 0; i <= p->blen && !e; i++) {
        int flush = i == p->blen || k == sizeof in;
        if (!flush) {
            unsigned char c = (unsigned char)p->body[i];
            if (str_isalnum(c) || c == '+' || c == '/' || c == '=')
                in[k++] = (char)c;
            if (k < sizeof in)
                continue;
        }
        int ol = 0;
        if (k && EVP_DecodeUpdate(ctx, out, &ol, (const unsigned char *)in, (int)k) < 0) {
            e = MXD_ERR_PARSE;
            break;
        }
        k = 0;
        if (ol > 0)
            e = buf_add(&ing->att, out, (size_t)ol);
    }
    if (!e) {
        int ol = 0;
        EVP_DecodeFinal(ctx, out, &ol);
        if (ol > 0)
            e = buf_add(&ing->att, out, (size_t)ol);
    }
    EVP_ENCODE_CTX_free(ctx);
    return e;
}

/* part_name - the file name of a part (Content-Disposition filename, else Content-Type
 * name), "" when none. */
static void part_name(const mail_part *p, char *out, size_t outlen)
{
    out[0] = 0;
    size_t pos = 0, nl, vl;
    const char *n, *v;
    while (mail_header_next(p->hdr, p->hlen, &pos, &n, &nl, &v, &vl)) {
        if (nl == 19 && str_caseeq(n, nl, "Content-Disposition") &&
            mail_param(v, vl, "filename", out, outlen))
            return;
        if (nl == 12 && str_caseeq(n, nl, "Content-Type") && mail_param(v, vl, "name", out, outlen))
            return;
    }
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && str_caseeq(s + a - b, b, suf);
}

/* report_part - might this part carry a DMARC aggregate or TLS report? */
static int report_part(const mail_part *p, const char *name)
{
    static const char *const types[] = {"application/tlsrpt+json",
                                        "application/tlsrpt+gzip",
                                        "application/zip",
                                        "application/x-zip",
                                        "application/x-zip-compressed",
                                        "application/gzip",
                                        "application/x-gzip",
                                        "application/xml",
                                        "text/xml",
                                        "application/json"};
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (!strcmp(p->type, types[i]))
            return 1;
    return ends_with(name, ".xml") || ends_with(name, ".gz") || ends_with(name, ".zip") ||
           ends_with(name, ".json");
}

/* ---- failure reports ---------------------------------------------------------------- */

static void fbr_field(mxd_ingest *ing, const char *b, size_t bl, const char *name, char **dst)
{
    if (!*dst)
        *dst = header_dup(ing, b, bl, name);
}

/* read_failure - the fields of an auth-failure feedback report (part fbr) and of the returned
 * message (part orig, -1 when none). */
static void read_failure(mxd_ingest *ing, const mail_part *top, const mail_part *fbr,
                         const mail_part *orig)
{
    mxd_dmarc_failure *f = &ing->fail;
    ing->has_fail = 1;
    f->reporter = addr_only(header_dup(ing, top->hdr, top->hlen, "From"));
    if (fbr) {
        /* the report's body is a block of header fields */
        const char *b = ing->fbr.ptr ? ing->fbr.ptr : "";
        size_t bl = ing->fbr.len;
        f->feedback_type = header_dup(ing, b, bl, "Feedback-Type");
        if (f->feedback_type)
            for (char *p = f->feedback_type; *p; p++)
                *p = (char)str_tolower((unsigned char)*p);
        fbr_field(ing, b, bl, "Auth-Failure", &f->auth_failure);
        fbr_field(ing, b, bl, "Reported-Domain", &f->reported_domain);
        fbr_field(ing, b, bl, "Source-IP", &f->source_ip);
        fbr_field(ing, b, bl, "Original-Mail-From", &f->original_mail_from);
        fbr_field(ing, b, bl, "Original-Rcpt-To", &f->original_rcpt_to);
        fbr_field(ing, b, bl, "Original-Envelope-Id", &f->original_envelope_id);
        fbr_field(ing, b, bl, "Delivery-Result", &f->delivery_result);
        fbr_field(ing, b, bl, "DKIM-Domain", &f->dkim_domain);
        fbr_field(ing, b, bl, "DKIM-Selector", &f->dkim_selector);
        fbr_field(ing, b, bl, "DKIM-Identity", &f->dkim_identity);
        fbr_field(ing, b, bl, "SPF-DNS", &f->spf_dns);
        fbr_field(ing, b, bl, "Identity-Alignment", &f->identity_alignment);
        fbr_field(ing, b, bl, "Authentication-Results", &f->authentication_results);
        fbr_field(ing, b, bl, "User-Agent", &f->user_agent);
        char *d = header_dup(ing, b, bl, "Arrival-Date");
        if (!d)
            d = header_dup(ing, b, bl, "Received-Date");
        if (d) {
            char tz[16];
            f->arrival = bounce_date(d, strlen(d), tz);
            free(d);
        }
        addr_only(f->original_mail_from);
        addr_only(f->original_rcpt_to);
        if (f->auth_failure)
            for (char *p = f->auth_failure; *p; p++)
                *p = (char)str_tolower((unsigned char)*p);
    }
    if (orig) {
        f->header_from = addr_only(header_dup(ing, orig->hdr, orig->hlen, "From"));
        f->subject = header_dup(ing, orig->hdr, orig->hlen, "Subject");
        f->message_id = strip_angle(header_dup(ing, orig->hdr, orig->hlen, "Message-ID"));
        if (f->subject && strstr(f->subject, "=?")) {
            char *s = mail_decode_header(f->subject, &ing->conv);
            if (s)
                free(f->subject), f->subject = s;
        }
    }
    if (!f->reported_domain && f->header_from && strchr(f->header_from, '@'))
        f->reported_domain = strdup(strchr(f->header_from, '@') + 1);
}

/* text_value - in text, the value after "label:" on its line (trimmed), or NULL. */
static char *text_value(const char *t, size_t tl, const char *label)
{
    size_t ll = strlen(label);
    const char *p = str_casefind(t, tl, label, ll);
    if (!p)
        return NULL;
    p += ll;
    const char *end = t + tl;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    const char *e = p;
    while (e < end && *e != '\n' && *e != '\r')
        e++;
    while (e > p && str_isspace((unsigned char)e[-1]))
        e--;
    return e > p ? str_dup_n(p, (size_t)(e - p)) : NULL;
}

/* read_plain_failure - a failure notice without a feedback-report part (Exim's and others'
 * "DMARC Forensic Report"): the facts from its text, the returned headers after it. */
static void read_plain_failure(mxd_ingest *ing, const mail_part *top, const char *t, size_t tl)
{
    read_failure(ing, top, NULL, NULL);
    mxd_dmarc_failure *f = &ing->fail;
    f->reported_domain = text_value(t, tl, "Sender Domain:");
    f->source_ip = text_value(t, tl, "Sender IP Address:");
    char *spf = text_value(t, tl, "SPF Alignment:"), *dkim = text_value(t, tl, "DKIM Alignment:");
    if ((spf && !strcmp(spf, "no")) || (dkim && !strcmp(dkim, "no")))
        f->auth_failure = strdup("dmarc");
    free(spf), free(dkim);
    /* the copy of the headers: a header block after the notice */
    const char *h = str_casefind(t, tl, "\nReceived:", 10);
    if (!h)
        h = str_casefind(t, tl, "\nFrom:", 6);
    if (h) {
        h++;
        size_t hl = (size_t)(t + tl - h);
        size_t body;
        size_t he = mail_header_end(h, hl, &body);
        f->header_from = addr_only(header_dup(ing, h, he, "From"));
        f->subject = header_dup(ing, h, he, "Subject");
        f->message_id = strip_angle(header_dup(ing, h, he, "Message-ID"));
    }
}

/* ---- bounces and complaints ---------------------------------------------------------- */

/* ingest_effect - what a record does to the suppression list (ingest_internal.h). */
mxd_event_effect ingest_effect(const mxd_bounce_record *r)
{
    if (!strcmp(r->reason, "feedback")) {
        const char *t = r->feedbacktype;
        if (!*t || !strcmp(t, "abuse") || !strcmp(t, "fraud"))
            return MXD_EFFECT_COMPLAINT;
        return MXD_EFFECT_BLOCK; /* not-spam, virus, other: recorded, no effect */
    }
    if (r->hardbounce)
        return MXD_EFFECT_HARD;
    if (r->scope && !strcmp(r->scope, "recipient"))
        return MXD_EFFECT_SOFT;
    return MXD_EFFECT_BLOCK;
}

static int on_record(void *arg, const mxd_bounce_record *r)
{
    mxd_ingest *ing = arg;
    if (!strcmp(r->reason, "vacation")) {
        ing->nvacation++;
        return 0;
    }
    if (!r->recipient[0] || ing->nev >= INGEST_MAX_EVENTS)
        return 0;
    for (size_t i = 0; i < ing->nev; i++) /* one event per recipient and message */
        if (!strcasecmp(ing->ev[i].address, r->recipient))
            return 0;
    ev_copy *c = &ing->ev[ing->nev];
    memset(c, 0, sizeof *c);
    c->address = dupz(r->recipient);
    c->reason = dupz(r->reason);
    c->status = dupz(r->status);
    c->replycode = dupz(r->replycode);
    c->diagnostic = dupz(r->diagnosticcode);
    c->provider = dupz(r->provider);
    c->scope = dupz(r->scope);
    c->feedbacktype = dupz(r->feedbacktype);
    c->effect = ingest_effect(r);
    c->at = r->timestamp;
    if (!c->address)
        return 1;
    ing->nev++;
    return 0;
}

/* jmrp_recipient - a complaint without a feedback-report part (Microsoft JMRP and the like):
 * the original recipient from X-HmXmrOriginalRecipient or Original-Rcpt-To of the returned
 * message, else its To. NULL when the message is not such a report. */
static char *jmrp_recipient(mxd_ingest *ing, const mail_part *top, const mail_part *orig)
{
    if (!orig)
        return NULL;
    char *r = header_dup(ing, orig->hdr, orig->hlen, "X-HmXmrOriginalRecipient");
    if (!r)
        r = header_dup(ing, orig->hdr, orig->hlen, "Original-Rcpt-To");
    if (!r) {
        char *from = header_dup(ing, top->hdr, top->hlen, "From");
        char *subj = header_dup(ing, top->hdr, top->hlen, "Subject");
        int jmrp = (from && str_casefind(from, strlen(from), "staff@hotmail.com", 17)) ||
                   (subj && str_casefind(subj, strlen(subj), "complaint about message", 23));
        free(from), free(subj);
        if (jmrp)
            r = header_dup(ing, orig->hdr, orig->hlen, "To");
    }
    return addr_only(r);
}

/* ---- phase one: what is it ------------------------------------------------------------- */

static mxd_err read_message(mxd_ingest *ing, const mxd_mail_msg *m, mxd_ingest_result *res,
                            const char **kind)
{
    mxd_err e = mail_scan_run(&ing->ms, m->data, m->len);
    if (e)
        return e;
    const mail_part *parts = ing->ms.parts;
    size_t n = ing->ms.nparts;
    size_t pos0 = 0, nl0, vl0;
    const char *nm0, *vv0;
    if (!n || !mail_header_next(parts[0].hdr, parts[0].hlen, &pos0, &nm0, &nl0, &vv0, &vl0)) {
        snprintf(res->why, sizeof res->why, "not an e-mail message (no header)");
        return MXD_ERR_PARSE;
    }
    const mail_part *top = &parts[0];
    char *date = header_dup(ing, top->hdr, top->hlen, "Date");
    if (date) {
        char tz[16];
        ing->msg_date = bounce_date(date, strlen(date), tz);
        free(date);
    }
    /* the parts outside the returned message: reports, a feedback report, the original */
    const mail_part *fbr = NULL, *orig = NULL;
    int tlsrpt = 0;
    for (size_t i = 0; i < n; i++) {
        const mail_part *p = &parts[i];
        int par = p->parent, inside = 0;
        while (par >= 0 && !inside) {
            inside = parts[par].kind == MAIL_MESSAGE;
            par = parts[par].parent;
        }
        if (inside) {
            if (!orig && p->parent >= 0 && parts[p->parent].kind == MAIL_MESSAGE)
                orig = p; /* the returned message's header block */
            continue;
        }
        if (p->kind != MAIL_LEAF)
            continue;
        if (!strcmp(p->type, "message/feedback-report")) {
            fbr = p;
            continue;
        }
        if (!strcmp(p->type, "text/rfc822-headers") && !orig) {
            orig = p; /* its body is the header block: read it as such below */
            continue;
        }
        char name[256];
        part_name(p, name, sizeof name);
        if (i == 0 && !strncmp(p->type, "text/", 5) && strcmp(p->type, "text/xml"))
            continue; /* a plain message: its text is not a report */
        if (!report_part(p, name))
            continue;
        if (strstr(p->type, "tlsrpt"))
            tlsrpt = 1;
        e = decode_attachment(ing, p);
        if (e == MXD_ERR_NOMEM)
            return e;
        if (e) {
            why_set(res, name[0] ? name : p->type,
                    e == MXD_ERR_TOOBIG ? "attachment larger than 64 MiB" : "cannot decode");
            continue;
        }
        e = read_reports(ing, ing->att.ptr ? ing->att.ptr : "", ing->att.len, name);
        if (e)
            return e;
    }
    mail_part origp;
    if (orig && orig->kind == MAIL_LEAF && !strcmp(orig->type, "text/rfc822-headers")) {
        origp = *orig; /* the header block is the body */
        origp.hdr = orig->body;
        origp.hlen = mail_header_end(orig->body, orig->blen, &(size_t){0});
        orig = &origp;
    }
    if (ing->nagg || ing->ntls) {
        *kind = ing->ntls && !ing->nagg ? MXD_KIND_TLSRPT : MXD_KIND_DMARC_AGG;
        return MXD_OK;
    }
    if (tlsrpt) {
        *kind = MXD_KIND_TLSRPT;
        return MXD_OK;
    }
    if (fbr) {
        /* the report's fields, transfer-decoded (Netease sends them in base64) */
        buf_reset(&ing->fbr);
        e = mail_decode_part(fbr, &ing->fbr, &ing->conv);
        if (e == MXD_ERR_NOMEM || e == MXD_ERR_NOLIB)
            return e;
        char *type =
            header_dup(ing, ing->fbr.ptr ? ing->fbr.ptr : "", ing->fbr.len, "Feedback-Type");
        int auth = type && str_caseeq(type, strlen(type), "auth-failure");
        free(type);
        if (auth) {
            read_failure(ing, top, fbr, orig);
            *kind = MXD_KIND_DMARC_FAILURE;
            return MXD_OK;
        }
    }
    /* a plain-text DMARC failure notice */
    char *subj = header_dup(ing, top->hdr, top->hlen, "Subject");
    int forensic = subj && (str_casefind(subj, strlen(subj), "DMARC Forensic Report", 21) ||
                            str_casefind(subj, strlen(subj), "DMARC Failure Report", 20));
    free(subj);
    if (forensic && !fbr) {
        buf_reset(&ing->text);
        for (size_t i = 0; i < n; i++)
            if (parts[i].kind == MAIL_LEAF && !strcmp(parts[i].type, "text/plain")) {
                mail_decode_text(&parts[i], &ing->text, &ing->conv);
                break;
            }
        if (ing->text.ptr && str_casefind(ing->text.ptr, ing->text.len, "Sender IP Address:", 18)) {
            char *t = str_dup_n(ing->text.ptr, ing->text.len);
            if (!t)
                return MXD_ERR_NOMEM;
            read_plain_failure(ing, top, t, strlen(t));
            free(t);
            *kind = MXD_KIND_DMARC_FAILURE;
            return MXD_OK;
        }
    }
    /* bounces, complaints, auto-replies: one verdict with `mxdiag bounce` */
    e = mxd_bounce_parse_msg(ing->bc, m, on_record, ing, NULL);
    if (e && e != MXD_ERR_PARSE && e != MXD_ERR_EMPTY)
        return e;
    if (!ing->nev && !fbr) {
        char *r = jmrp_recipient(ing, top, orig);
        if (r && strchr(r, '@')) {
            ev_copy *c = &ing->ev[0];
            memset(c, 0, sizeof *c);
            c->address = r;
            c->reason = strdup("feedback");
            c->feedbacktype = strdup("abuse");
            c->diagnostic = strdup("complaint without a feedback-report part (JMRP style)");
            c->effect = MXD_EFFECT_COMPLAINT;
            ing->nev = 1;
        } else {
            free(r);
        }
    }
    size_t ncompl = 0;
    for (size_t i = 0; i < ing->nev; i++)
        ncompl += ing->ev[i].reason && !strcmp(ing->ev[i].reason, "feedback");
    if (ing->nev)
        *kind = ncompl == ing->nev ? MXD_KIND_COMPLAINT : MXD_KIND_BOUNCE;
    else if (fbr) {
        *kind = MXD_KIND_COMPLAINT; /* a feedback report that names nobody: counted */
        snprintf(res->detail, sizeof res->detail, "no recipient named");
    } else if (ing->nvacation)
        *kind = MXD_KIND_AUTOREPLY;
    else
        *kind = MXD_KIND_OTHER;
    return MXD_OK;
}

/* ---- phase two: write ------------------------------------------------------------------ */

static void describe(mxd_ingest *ing, const char *kind, mxd_ingest_result *res)
{
    if (res->detail[0])
        return; /* said already */
    char *d = res->detail;
    size_t dl = sizeof res->detail;
    if (ing->nagg) {
        const mxd_dmarc_agg *a = ing->agg[0];
        snprintf(d, dl, "%s report %s for %s: %llu messages",
                 a->org_name ? a->org_name
                 : a->email  ? a->email
                             : "?",
                 a->report_id ? a->report_id : "?", a->domain ? a->domain : "?", a->messages);
    } else if (ing->ntls) {
        const mxd_tlsrpt *t = ing->tls[0];
        unsigned long long ok = 0, bad = 0;
        for (size_t i = 0; i < t->npolicies; i++)
            ok += t->policies[i].successful, bad += t->policies[i].failed;
        snprintf(d, dl, "%s report %s for %s: %llu sessions, %llu failed",
                 t->org_name ? t->org_name : "?", t->report_id ? t->report_id : "?",
                 t->npolicies && t->policies[0].policy_domain ? t->policies[0].policy_domain : "?",
                 ok + bad, bad);
    } else if (ing->has_fail) {
        snprintf(d, dl, "%s from %s (%s)",
                 ing->fail.reported_domain ? ing->fail.reported_domain : "?",
                 ing->fail.source_ip ? ing->fail.source_ip : "?",
                 ing->fail.auth_failure ? ing->fail.auth_failure : "auth-failure");
    } else if (ing->nev) {
        const ev_copy *c = &ing->ev[0];
        int o = snprintf(d, dl, "%s %s%s%s", c->address, c->reason ? c->reason : "",
                         c->status ? " " : "", c->status ? c->status : "");
        if (ing->nev > 1 && o > 0 && (size_t)o < dl)
            snprintf(d + o, dl - (size_t)o, " (+%zu more)", ing->nev - 1);
    }
    (void)kind;
}

/* event_key - what makes an event unique: the message key and a digest of the verdict
 * (reason, status, diagnostic), "mid:<id>#<8 hex>"; the store adds the recipient. The same
 * bounce read twice (or at two MTAs) gives the same key; another bounce under the same
 * Message-ID does not. */
static void event_key(const char *key, const ev_copy *c, char *out, size_t outlen)
{
    buf b;
    buf_init(&b, 3 * MAIL_MAX_FIELD);
    const char *parts[3] = {c->reason, c->status, c->diagnostic};
    for (int i = 0; i < 3; i++) {
        if (parts[i])
            buf_add(&b, parts[i], strlen(parts[i]));
        buf_add(&b, "|", 1);
    }
    unsigned char md[SHA256_DIGEST_LENGTH] = {0};
    SHA256((const unsigned char *)(b.ptr ? b.ptr : ""), b.len, md);
    buf_free(&b);
    snprintf(out, outlen, "%s#%02x%02x%02x%02x", key, md[0], md[1], md[2], md[3]);
}

static mxd_err write_message(mxd_ingest *ing, const mxd_mail_msg *m, const char *key,
                             const char *kind, long long now, mxd_ingest_result *res)
{
    mxd_store *st = ing->st;
    mxd_err e = mxd_store_begin(st);
    if (e)
        return e;
    /* A message seen before is read again all the same: its events and reports are each
     * unique on their own (message and recipient with the verdict; reporter and report id),
     * so a true repeat adds nothing, while a different bounce that reuses a Message-ID (test
     * suites do; so do some MTAs) loses nothing. */
    int added = 0;
    e = mxd_store_message_add(st, key, kind, m->label, now, &added);
    long long when = ing->msg_date ? ing->msg_date : now;
    /* the recipients in the order of their addresses: on a shared database each takes its
     * address's lock, and writers that take them in one order cannot wait for each other */
    size_t order_local[16],
        *order = ing->nev <= 16 ? order_local : malloc(ing->nev * sizeof *order);
    if (!order) {
        mxd_store_rollback(st);
        return MXD_ERR_NOMEM;
    }
    for (size_t i = 0; i < ing->nev; i++) {
        size_t j = i;
        const char *a = ing->ev[i].address ? ing->ev[i].address : "";
        for (; j > 0 &&
               strcmp(ing->ev[order[j - 1]].address ? ing->ev[order[j - 1]].address : "", a) > 0;
             j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    for (size_t k = 0; k < ing->nev && !e; k++) {
        const ev_copy *c = &ing->ev[order[k]];
        char evkey[400];
        event_key(key, c, evkey, sizeof evkey);
        mxd_store_event ev = {evkey,     c->address,      c->effect,     c->reason,
                              c->status, c->replycode,    c->diagnostic, c->provider,
                              c->scope,  c->feedbacktype, m->label,      c->at ? c->at : when};
        int eadd = 0, sup = 0;
        e = mxd_store_event_add(st, &ev, &eadd, &sup);
        res->records += (size_t)eadd;
        res->suppressed += (size_t)sup;
    }
    if (order != order_local)
        free(order);
    for (size_t i = 0; i < ing->nagg && !e; i++) {
        int radd = 0;
        e = mxd_store_dmarc_agg_add(st, ing->agg[i], m->label, now, &radd);
        radd ? res->reports++ : res->report_dups++;
    }
    for (size_t i = 0; i < ing->ntls && !e; i++) {
        int radd = 0;
        e = mxd_store_tlsrpt_add(st, ing->tls[i], m->label, now, &radd);
        radd ? res->reports++ : res->report_dups++;
    }
    if (!e && ing->has_fail) {
        int radd = 0;
        e = mxd_store_dmarc_failure_add(st, key, &ing->fail, m->label, now, &radd);
        res->reports += (size_t)radd;
    }
    if (!e && !added && !res->records && !res->reports) {
        mxd_store_rollback(st); /* nothing new: leave the database untouched */
        res->duplicate = 1;
        return MXD_OK;
    }
    if (!e)
        e = mxd_store_commit(st);
    if (e) {
        mxd_store_rollback(st);
        res->records = res->suppressed = res->reports = res->report_dups = 0;
    }
    return e;
}

/* read_any - phase one on a message or a report file: *kind, the message key into key. */
static mxd_err read_any(mxd_ingest *ing, const mxd_mail_msg *m, mxd_ingest_result *res,
                        const char **kind, char *key, size_t keylen)
{
    reset_message(ing);
    ing->res = res;
    *kind = MXD_KIND_OTHER;
    if (!m->len) {
        snprintf(res->why, sizeof res->why, "empty input");
        return MXD_ERR_PARSE;
    }
    mxd_err e;
    if (ingest_is_report_bytes(m->data, m->len)) {
        const char *base = strrchr(m->path ? m->path : "", '/');
        base = base ? base + 1 : m->path ? m->path : "";
        e = read_reports(ing, m->data, m->len, base);
        if (e)
            return e;
        /* the file is the message: its label names it already */
        size_t bl = strlen(base);
        if (bl && !strncmp(res->why, base, bl) && !strncmp(res->why + bl, ": ", 2))
            memmove(res->why, res->why + bl + 2, strlen(res->why + bl + 2) + 1);
        if (!ing->nagg && !ing->ntls) {
            if (!res->why[0])
                snprintf(res->why, sizeof res->why, "not a DMARC or TLS report");
            return MXD_ERR_PARSE;
        }
        *kind = ing->ntls && !ing->nagg ? MXD_KIND_TLSRPT : MXD_KIND_DMARC_AGG;
        message_key(ing, NULL, 0, m->data, m->len, key, keylen);
    } else {
        /* broken line ends mended first, as `mxdiag bounce` reads them: the report and
         * failure-notice checks below see the same lines as the bounce reader */
        mxd_mail_msg mended = *m;
        if (mail_mend_line_ends(m->data, m->len, &ing->lines)) {
            mended.data = ing->lines.ptr;
            mended.len = ing->lines.len;
        }
        e = read_message(ing, &mended, res, kind);
        if (e)
            return e;
        /* (the key of a message without a Message-ID hashes the bytes as they came, so that a
         * message stored before its line ends were mended keeps its key) */
        message_key(ing, ing->ms.parts[0].hdr, ing->ms.parts[0].hlen, m->data, m->len, key, keylen);
    }
    res->kind = *kind;
    describe(ing, *kind, res);
    return MXD_OK;
}

/* ingest_read - (ingest_internal.h) */
mxd_err ingest_read(mxd_ingest *ing, const mxd_mail_msg *m, mxd_ingest_result *res, char *key,
                    size_t keylen)
{
    memset(res, 0, sizeof *res);
    res->kind = MXD_KIND_OTHER;
    const char *kind;
    mxd_err e = read_any(ing, m, res, &kind, key, keylen);
    ing->res = NULL;
    return e;
}

/* ingest_failure - (ingest_internal.h) */
const mxd_dmarc_failure *ingest_failure(const mxd_ingest *ing)
{
    return ing->has_fail ? &ing->fail : NULL;
}

/* ingest_events - (ingest_internal.h) */
size_t ingest_events(const mxd_ingest *ing, size_t i, const char **address,
                     mxd_event_effect *effect)
{
    if (i < ing->nev) {
        *address = ing->ev[i].address;
        *effect = ing->ev[i].effect;
    }
    return ing->nev;
}

mxd_err mxd_ingest_message(mxd_ingest *ing, const mxd_mail_msg *m, long long now,
                           mxd_ingest_result *res)
{
    if (!ing || !m || !res || !ing->st)
        return MXD_ERR_INVALID;
    memset(res, 0, sizeof *res);
    res->kind = MXD_KIND_OTHER;
    char key[300];
    const char *kind;
    mxd_err e = read_any(ing, m, res, &kind, key, sizeof key);
    /* on a shared database a writer may find itself in a deadlock with another one (the
     * server breaks it by failing one of them: MXD_ERR_BUSY): the message is written again */
    for (int tries = 0; !e; tries++) {
        e = write_message(ing, m, key, kind, now, res);
        if (e != MXD_ERR_BUSY || tries == 2 || !mxd_store_shared(ing->st))
            break;
        e = MXD_OK;
    }
    reset_message(ing);
    ing->res = NULL;
    return e;
}

mxd_err mxd_ingest_reports_json(mxd_ingest *ing, const mxd_mail_msg *m, mxd_ingest_result *res,
                                char **json)
{
    if (!ing || !m || !res || !json)
        return MXD_ERR_INVALID;
    *json = NULL;
    char key[300];
    mxd_err e = ingest_read(ing, m, res, key, sizeof key);
    if (e)
        return e;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < ing->nagg + ing->ntls; i++) {
        char *txt = i < ing->nagg ? mxd_dmarc_agg_json(ing->agg[i], 0)
                                  : mxd_tlsrpt_json(ing->tls[i - ing->nagg], 0);
        json_t *r = txt ? json_loads(txt, 0, NULL) : NULL;
        free(txt);
        json_t *o = r ? json_pack("{s:s, s:o}", "kind",
                                  i < ing->nagg ? MXD_KIND_DMARC_AGG : MXD_KIND_TLSRPT, "report", r)
                      : NULL;
        if (!o || json_array_append_new(arr, o)) {
            json_decref(arr);
            arr = NULL;
        }
    }
    *json = arr ? json_dumps(arr, JSON_PRESERVE_ORDER | JSON_COMPACT) : NULL;
    json_decref(arr);
    reset_message(ing);
    return *json ? MXD_OK : MXD_ERR_NOMEM;
}
