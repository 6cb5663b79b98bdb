/* record.c - bounce records: classification of each recipient, the public record, JSON
 * SPDX-License-Identifier: MIT
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bounce/bounce_internal.h"
#include "bounce/formats.h"
#include "kb/kb_internal.h"
#include "classify/classify.h"
#include "classify/reply.h"
#include "util/cidr.h"
#include "util/str.h"

/* addr_only - the address of a From/To value into out; "" when none. */
static void addr_only(const char *v, char *out, size_t outlen)
{
    if (!bounce_addr_clean(v, strlen(v), out, outlen) && outlen)
        out[0] = 0;
}

static const char *domain_of(const char *addr)
{
    const char *at = strrchr(addr, '@');
    return at ? at + 1 : "";
}

/* strip_angle - "<id@host>" -> "id@host" in place. */
static void strip_angle(char *s)
{
    size_t l = strlen(s);
    const char *lt = strchr(s, '<');
    if (lt) {
        const char *gt = strchr(lt, '>');
        size_t n = gt ? (size_t)(gt - lt - 1) : strlen(lt + 1);
        memmove(s, lt + 1, n);
        s[n] = 0;
        return;
    }
    while (l && (s[l - 1] == ' '))
        s[--l] = 0;
}

/* host_token - the host name at p (up to end): its length, after leading blanks (*s). */
static size_t host_token(const char *p, const char *end, const char **s)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    *s = p;
    const char *e = p;
    while (e < end && (str_isalnum((unsigned char)*e) || *e == '.' || *e == '-' || *e == '_'))
        e++;
    return (size_t)(e - p);
}

/* host_in_domain - is host h (hl bytes) dom itself or a name under it? */
static int host_in_domain(const char *h, size_t hl, const char *dom)
{
    size_t dl = strlen(dom);
    while (hl && h[hl - 1] == '.')
        hl--;
    if (!dl || hl < dl || !str_caseeq(h + hl - dl, dl, dom))
        return 0;
    return hl == dl || h[hl - dl - 1] == '.';
}

/* received_ip - the connecting client's address in the from-part of a Received header
 * ("from a.example (a.example [192.0.2.1])", "([IPv6:2001:db8::1])"), or 0. */
static int received_ip(const char *val, size_t n, cidr_addr *a)
{
    for (size_t i = 0; i < n; i++) {
        if (val[i] != '[' && val[i] != '(')
            continue;
        size_t s = i + 1;
        if (n - s > 5 && str_caseeq(val + s, 5, "ipv6:"))
            s += 5;
        size_t j = s;
        while (j < n && j - s <= CIDR_TEXT_MAX &&
               (str_isalnum((unsigned char)val[j]) || val[j] == '.' || val[j] == ':'))
            j++;
        if (j < n && (val[j] == ']' || val[j] == ')') && !cidr_parse_ip(val + s, j - s, a))
            return 1;
    }
    return 0;
}

/* ip_from_received - our sending IP as the rejecting side wrote it into the returned message
 * (it accepted, then bounced): the client address of the lowest Received header written by
 * rhost's domain (or a host of the same first label) for a client outside that domain (a hop
 * inside the receiver's own network is not ours). Private, loopback and similar addresses
 * are never taken: no IP is better than a wrong one. */
static void ip_from_received(const bounce_view *v, const char *rhost, char *out, size_t outlen)
{
    if (!v->orig.len || !rhost[0])
        return;
    const char *dot = strchr(rhost, '.');
    const char *dom = dot && strchr(dot + 1, '.') ? dot + 1 : rhost;
    size_t body;
    size_t hl = mail_header_end(v->orig.ptr, v->orig.len, &body);
    size_t pos = 0, nl, vl;
    const char *n, *val;
    char found[CIDR_TEXT_MAX + 1] = "";
    while (mail_header_next(v->orig.ptr, hl, &pos, &n, &nl, &val, &vl)) {
        if (nl != 8 || !str_caseeq(n, nl, "received"))
            continue;
        const char *end = val + vl;
        const char *by = str_casefind(val, vl, " by ", 4);
        const char *fr = val;
        while (fr < end && (*fr == ' ' || *fr == '\t'))
            fr++;
        if (!by || by < fr || (size_t)(end - fr) < 5 || !str_caseeq(fr, 5, "from "))
            continue;
        const char *bh, *fh;
        size_t bhl = host_token(by + 4, end, &bh);
        size_t fhl = host_token(fr + 5, by, &fh);
        /* written by the rejecting side: its domain, or the same first label (Microsoft:
         * "by DM6NAM12FT034.mail.protection.outlook.com" for the NDR's
         * "DM6NAM12FT034.eop-nam12.prod.protection.outlook.com") */
        size_t lab = strcspn(rhost, ".");
        int same_host =
            lab >= 6 && bhl > lab && bh[lab] == '.' && str_casefind(bh, lab, rhost, lab) == bh;
        if (!same_host && !host_in_domain(bh, bhl, dom))
            continue;
        if (fhl && host_in_domain(fh, fhl, dom))
            continue; /* a hop inside the receiver's network */
        cidr_addr a;
        if (!received_ip(fr + 5, (size_t)(by - fr - 5), &a) || cidr_not_routable(&a) ||
            cidr_is_private(&a))
            continue;
        cidr_format(&a, found, sizeof found);
    }
    if (found[0])
        bounce_copy(out, outlen, found, strlen(found));
}

/* ip_from_socket - our sending IP as our own outbound server wrote it: Oracle Communications
 * Messaging Server notes the connection of a Remote-MTA / "Remote system" as
 * "(TCP|local-ip|local-port|remote-ip|remote-port)"; the local address is ours. Looked for in
 * the delivery-status part, then in the text. Private addresses are not taken (an address
 * behind NAT is not the one the receiver saw). */
static void ip_from_socket(const bounce_view *v, char *out, size_t outlen)
{
    const buf *parts[2] = {&v->dsn, &v->text};
    for (int k = 0; k < 2; k++) {
        const char *t = parts[k]->len ? buf_cstr(parts[k]) : NULL;
        size_t len = parts[k]->len;
        for (const char *p = t; p && (size_t)(p - t) + 5 < len;) {
            const char *hit = str_find(p, len - (size_t)(p - t), "(TCP|", 5);
            if (!hit)
                break;
            const char *a = hit + 5, *end = t + len;
            const char *bar = a;
            while (bar < end && bar - a <= CIDR_TEXT_MAX && *bar != '|')
                bar++;
            cidr_addr ip;
            if (bar < end && *bar == '|' && !cidr_parse_ip(a, (size_t)(bar - a), &ip) &&
                !cidr_not_routable(&ip) && !cidr_is_private(&ip)) {
                char txt[CIDR_TEXT_MAX + 1];
                cidr_format(&ip, txt, sizeof txt);
                bounce_copy(out, outlen, txt, strlen(txt));
                return;
            }
            p = a;
        }
    }
}

mxd_err bounce_emit(const mxd_kb *kb, unsigned flags, bounce_view *v, bounce_out *out,
                    const char *source, mxd_bounce_cb cb, void *arg, size_t *nrec);

mxd_err bounce_emit(const mxd_kb *kb, unsigned flags, bounce_view *v, bounce_out *out,
                    const char *source, mxd_bounce_cb cb, void *arg, size_t *nrec)
{
    char from[BOUNCE_FIELD_MAX], addresser[BOUNCE_ADDR_MAX], subject[BOUNCE_FIELD_MAX];
    char msgid[BOUNCE_FIELD_MAX], listid[BOUNCE_FIELD_MAX], date[256], tz[8] = "";
    char origin[4096];
    addresser[0] = 0;
    if (bview_orig_header(v, "From", from, sizeof from))
        addr_only(from, addresser, sizeof addresser);
    if (!addresser[0] && bview_orig_header(v, "Return-Path", from, sizeof from))
        addr_only(from, addresser, sizeof addresser);
    /* else the notice's addressee; of a notice a person forwards ("Fwd: ..."), the person
     * who got it and passes it on (the forward's To is whoever is asked to look at it) */
    if (!addresser[0] && bview_header(v, fmt_forwarded(v) ? "From" : "To", from, sizeof from))
        addr_only(from, addresser, sizeof addresser);
    /* the address the notice was delivered to, as the receiving side wrote it (Delivered-To;
     * not To, which Amazon WorkMail's notices address to the failed recipient, nor
     * X-Original-To, which DragonFly Mail Agent copies from the returned message): it exists,
     * so it is never a hard bounce of its own (a phishing "report" that names its victim as
     * the failed recipient) */
    char notice_to[BOUNCE_ADDR_MAX], author[BOUNCE_ADDR_MAX];
    notice_to[0] = author[0] = 0;
    if (bview_header(v, "Delivered-To", from, sizeof from))
        addr_only(from, notice_to, sizeof notice_to);
    /* nor the address that wrote the message (its From): a notice comes from a mail system,
     * never from the mailbox it says is missing; a person asking about a report that names
     * their own address is that address */
    if (bview_header(v, "From", from, sizeof from))
        addr_only(from, author, sizeof author);
    bview_orig_header(v, "Subject", subject, sizeof subject);
    bview_orig_header(v, "Message-ID", msgid, sizeof msgid);
    strip_angle(msgid);
    bview_orig_header(v, "List-Id", listid, sizeof listid);
    /* as Sisimai: the id inside <> ("List name <id>" -> "id"); "" when there is none */
    if (strchr(listid, '<'))
        strip_angle(listid);
    else if (strchr(listid, ' '))
        listid[0] = 0;
    long long when = out->date;
    if (when)
        memcpy(tz, out->tz, sizeof tz);
    if (!when && bview_header(v, "Date", date, sizeof date))
        when = bounce_date(date, strlen(date), tz);
    if (v->conv.nolib)
        return MXD_ERR_NOLIB; /* a header above needed GMime, which could not be loaded */
    /* origin: the file, without the ":N" of an mbox message */
    bounce_copy(origin, sizeof origin, source, strlen(source));
    char *colon = strrchr(origin, ':');
    if (colon && colon[1]) {
        char *p = colon + 1;
        while (*p && str_isdigit((unsigned char)*p))
            p++;
        if (!*p)
            *colon = 0;
    }
    size_t emitted = 0;
    for (size_t i = 0; i < out->n; i++) {
        bounce_rcpt *r = &out->r[i];
        /* the sending system's own category: what the format says (bounce-categories.tsv) */
        if (!r->reason && r->category[0])
            r->reason = kb_category_reason(kb, "x-powermta-bouncecategory", r->category,
                                           strlen(r->category));
        if (!r->lhost[0] && out->lhost[0])
            memcpy(r->lhost, out->lhost, sizeof r->lhost);
        if (!r->rhost[0] && out->rhost[0])
            memcpy(r->rhost, out->rhost, sizeof r->rhost);
        if (!r->command[0] && r->diaglen)
            reply_command_t(&v->cmds, r->diag, r->diaglen, r->command);
        /* an auto-reply or a complaint carries no SMTP reply: no type, no reply code (as
         * Sisimai leaves them for its RFC 3834 and ARF readers) */
        int noreply =
            r->reason && (!strcmp(r->reason, "vacation") || !strcmp(r->reason, "feedback"));
        if (noreply)
            r->replycode[0] = 0;
        if (!r->diagtype[0] && r->diaglen && !noreply)
            memcpy(r->diagtype, "SMTP", 5);
        int delivered = !strcmp(r->action, "delivered") || !strcmp(r->action, "relayed") ||
                        !strcmp(r->action, "expanded") || (r->status[0] == '2');
        if (delivered && !(flags & MXD_BOUNCE_DELIVERED))
            continue;
        /* the facts, classified by the one classification every command uses */
        mxd_reply_facts facts;
        memset(&facts, 0, sizeof facts);
        facts.text = r->diag;
        facts.len = r->diaglen;
        facts.status = r->status;
        facts.replycode = r->replycode;
        facts.rhost = r->rhost;
        facts.lhost = r->lhost;
        facts.recipient_domain = domain_of(r->recipient);
        facts.command = r->command;
        facts.diagtype = r->diagtype;
        facts.action = r->action;
        facts.format_reason = r->reason;
        facts.record = 1;
        facts.own = r->own;
        facts.attempt = r->attempt;
        classify_verdict c;
        classify_decide(kb, &facts, r->diag, r->diaglen, NULL, &c);
        if (delivered) {
            c.reason = "delivered";
            if (!c.status[0]) /* no pseudo status of a failure for a delivery */
                c.record_status[0] = 0;
        }
        if (!c.sending_ip[0] && !classify_mailbox_reason(c.reason))
            ip_from_socket(v, c.sending_ip, sizeof c.sending_ip);
        if (!c.sending_ip[0] && !classify_mailbox_reason(c.reason))
            ip_from_received(v, c.rhost, c.sending_ip, sizeof c.sending_ip);
        mxd_bounce_record rec;
        memset(&rec, 0, sizeof rec);
        rec.recipient = r->recipient;
        rec.addresser = addresser;
        rec.status = c.record_status;
        rec.replycode = c.replycode;
        rec.reason = c.reason ? c.reason : "undefined";
        /* (a recipient the MTA still retries is never suppressed, whatever its reply said:
         * Postfix's soft_bounce keeps a 5xx refusal queued, review-s12 M2) */
        rec.hardbounce =
            !out->hearsay && classify_record_hard(&c, r->action, r->command) &&
            !(notice_to[0] && str_caseeq(r->recipient, strlen(r->recipient), notice_to)) &&
            !(author[0] && str_caseeq(r->recipient, strlen(r->recipient), author));
        rec.action = r->action;
        rec.diagnosticcode = r->diag;
        rec.diagnostictype = r->diagtype;
        rec.rhost = c.rhost;
        rec.lhost = r->lhost;
        rec.smtpcommand = r->command;
        rec.destination = domain_of(r->recipient);
        rec.senderdomain = domain_of(addresser);
        rec.timestamp = r->date ? r->date : when;
        rec.timezoneoffset = r->date ? r->tz : tz;
        rec.messageid = msgid;
        rec.subject = subject;
        rec.listid = listid;
        rec.feedbacktype = r->feedbacktype;
        rec.origin = origin;
        rec.source = source;
        rec.mta = out->mta ? out->mta : "";
        rec.provider = c.provider;
        rec.scope = c.scope;
        rec.sending_ip = c.sending_ip;
        rec.retry = c.retry;
        rec.decided_by = c.decided_by ? c.decided_by : "fallback";
        rec.rule = c.rule ? c.rule : "";
        rec.rule_file = c.rule_file;
        rec.rule_line = c.rule_line;
        rec.facts = &facts;
        rec.truncated = out->cut;
        rec.recipients_cut = out->dropped > 0;
        rec.mime_cut = out->mime_cut;
        emitted++;
        if (cb && cb(arg, &rec))
            break;
    }
    if (nrec)
        *nrec = emitted;
    return MXD_OK;
}

/* jstr - a JSON string; bytes that are not UTF-8 become '?'. */
static json_t *jstr(const char *s)
{
    if (!s)
        return json_null();
    json_t *j = json_string(s);
    if (j)
        return j;
    char *c = str_dup_n(s, strlen(s));
    if (!c)
        return NULL;
    for (char *p = c; *p; p++)
        if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20)
            *p = '?';
    j = json_string(c);
    free(c);
    return j;
}

/* --- a fast writer for the compact form: the same bytes jansson's json_dumps(...,
 * JSON_COMPACT | JSON_PRESERVE_ORDER) writes for the object built below (tests/unit/
 * test_bounce_record.c compares the two), without building the object. The room a record
 * can need is worked out first (every byte escaped as \u00XX at worst), so the writer then
 * stores bytes with no check per byte. --- */

#define JSON_ESC_MAX 6 /* the longest escape of one byte: \u00XX */

static const uint64_t ones8 = 0x0101010101010101ull, highs8 = 0x8080808080808080ull;

/* special8 - the high bit set in each byte of w that is a control byte, '"', '\\' or 8-bit. */
static uint64_t special8(uint64_t w)
{
    uint64_t ctl = (w - ones8 * 0x20) & ~w;
    uint64_t quo = ((w ^ (ones8 * '"')) - ones8) & ~(w ^ (ones8 * '"'));
    uint64_t bsl = ((w ^ (ones8 * '\\')) - ones8) & ~(w ^ (ones8 * '\\'));
    return (ctl | quo | bsl | w) & highs8;
}

static int valid_utf8(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        unsigned char c = *p;
        size_t n = c < 0x80             ? 1
                   : (c & 0xE0) == 0xC0 ? 2
                   : (c & 0xF0) == 0xE0 ? 3
                   : (c & 0xF8) == 0xF0 ? 4
                                        : 0;
        if (!n || (n == 2 && c < 0xC2) || (size_t)(end - p) < n)
            return 0;
        for (size_t k = 1; k < n; k++)
            if ((p[k] & 0xC0) != 0x80)
                return 0;
        if (n == 3 && ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0)))
            return 0;
        if (n == 4 && ((c == 0xF0 && p[1] < 0x90) || c > 0xF4 || (c == 0xF4 && p[1] >= 0x90)))
            return 0;
        p += n;
    }
    return 1;
}

/* has_8bit - is any byte of s 0x80 or above? (eight at a time) */
static int has_8bit(const char *s, size_t len)
{
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & highs8)
            return 1;
    }
    for (; i < len; i++)
        if ((unsigned char)s[i] >= 0x80)
            return 1;
    return 0;
}

/* w_lit - a literal (keys, punctuation) */
#define W_LIT(w, lit) (memcpy((w), (lit), sizeof(lit) - 1), (w) += sizeof(lit) - 1)

/* w_str - a JSON string of len bytes at w (room for JSON_ESC_MAX * len + 2 bytes). Runs of
 * bytes that need nothing (printable ASCII but '"' and '\\', and valid UTF-8) are copied in
 * one piece; in text that is not UTF-8 every 8-bit and control byte becomes '?'. */
static char *w_str(char *w, const char *s, size_t len)
{
    if (!s) {
        W_LIT(w, "null");
        return w;
    }
    /* is the text UTF-8? Asked only at the first byte whose output depends on it (an 8-bit
     * or a control byte): most strings are plain ASCII and never need the extra pass */
    int ok = -1;
    *w++ = '"';
    const char *p = s, *end = s + len, *run = s;
    while (p < end) {
        while (end - p >= 8) {
            uint64_t x;
            memcpy(&x, p, 8);
            if (special8(x))
                break;
            p += 8;
        }
        if (p >= end)
            break;
        unsigned char c = (unsigned char)*p;
        if ((c >= 0x80 || c < 0x20) && ok < 0)
            ok = !has_8bit(s, len) || valid_utf8(s, len);
        /* printable ASCII but '"' and '\\' (one compare for the range), or valid UTF-8 */
        if (((unsigned char)(c - 0x20) < 0x60 && c != '"' && c != '\\') || (c >= 0x80 && ok)) {
            p++;
            continue;
        }
        memcpy(w, run, (size_t)(p - run));
        w += p - run;
        if (!ok && (c >= 0x80 || c < 0x20)) {
            *w++ = '?';
        } else {
            *w++ = '\\';
            switch (c) {
            case '"':
            case '\\':
                *w++ = (char)c;
                break;
            case '\n':
                *w++ = 'n';
                break;
            case '\r':
                *w++ = 'r';
                break;
            case '\t':
                *w++ = 't';
                break;
            case '\b':
                *w++ = 'b';
                break;
            case '\f':
                *w++ = 'f';
                break;
            default: {
                static const char hex[] = "0123456789ABCDEF";
                W_LIT(w, "u00");
                *w++ = hex[c >> 4];
                *w++ = hex[c & 15];
            }
            }
        }
        run = ++p;
    }
    memcpy(w, run, (size_t)(p - run));
    w += p - run;
    *w++ = '"';
    return w;
}

static char *w_int(char *w, long long v)
{
    char t[24];
    size_t n = 0;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do {
        t[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *w++ = '-';
    while (n)
        *w++ = t[--n];
    return w;
}

/* nz - NULL for "": mxdiag's own fields say null for unknown (Sisimai's keep its ""). */
static const char *nz(const char *s)
{
    return s && *s ? s : NULL;
}

/* The sentences of "warnings" (the numbers are the caps of mail.h and bounce.h). */
_Static_assert(MXD_MAIL_MESSAGE_MAX == 32u * 1024 * 1024, "say the cap in record_warnings");
_Static_assert(MXD_BOUNCE_MAX_RCPTS == 128, "say the cap in record_warnings");
_Static_assert(MAIL_MAX_PARTS == 512 && MAIL_MAX_DEPTH == 16 && MAIL_MAX_HEADER == 256u * 1024,
               "say the caps in record_warnings");
#define WARN_TRUNCATED "the message is longer than 32 MiB: only its first 32 MiB were read"
#define WARN_RCPTS     "the message names more than 128 recipients: only the first 128 were read"
#define WARN_MIME                                                                                  \
    "the message's MIME structure is past the reader's limits (more than 512 parts, nested "       \
    "deeper than 16, or a header block over 256 KiB): the rest of it was not read"

/* record_warnings - the caps that bit on r's message, as sentences into w; their number. */
static size_t record_warnings(const mxd_bounce_record *r, const char *w[3])
{
    size_t n = 0;
    if (r->truncated)
        w[n++] = WARN_TRUNCATED;
    if (r->recipients_cut)
        w[n++] = WARN_RCPTS;
    if (r->mime_cut)
        w[n++] = WARN_MIME;
    return n;
}

/* The string members in output order, around the two integers and the retry name. */
enum { JS_HEAD = 5, JS_MID = 8, JS_TAIL = 11, JS_RULE = 3, JS_NSTR = 27 };

char *bounce_record_json_fast(const mxd_bounce_record *r, int explain_rule)
{
    /* keys with their punctuation, in order */
#define K(lit)                                                                                     \
    {                                                                                              \
        lit, sizeof(lit) - 1                                                                       \
    }
    static const struct {
        const char *s;
        size_t n;
    } keys[JS_NSTR] = {K("{\"recipient\":"),
                       K(",\"addresser\":"),
                       K(",\"status\":"),
                       K(",\"replycode\":"),
                       K(",\"reason\":"),
                       K(",\"action\":"),
                       K(",\"diagnosticcode\":"),
                       K(",\"diagnostictype\":"),
                       K(",\"rhost\":"),
                       K(",\"lhost\":"),
                       K(",\"smtpcommand\":"),
                       K(",\"destination\":"),
                       K(",\"senderdomain\":"),
                       K(",\"timezoneoffset\":"),
                       K(",\"messageid\":"),
                       K(",\"subject\":"),
                       K(",\"listid\":"),
                       K(",\"feedbacktype\":"),
                       K(",\"deliverystatus\":"),
                       K(",\"origin\":"),
                       K(",\"source\":"),
                       K(",\"provider\":"),
                       K(",\"scope\":"),
                       K(",\"sending_ip\":"),
                       K(",\"rule\":"),
                       K(",\"rule_origin\":{\"decided_by\":"),
                       K(",\"file\":")};
#undef K
    const char *vals[JS_NSTR] = {
        r->recipient,      r->addresser,      r->status,         r->replycode,      r->reason,
        r->action,         r->diagnosticcode, r->diagnostictype, r->rhost,          r->lhost,
        r->smtpcommand,    r->destination,    r->senderdomain,   r->timezoneoffset, r->messageid,
        r->subject,        r->listid,         r->feedbacktype,   r->status,         r->origin,
        r->source,         nz(r->provider),   nz(r->scope),      nz(r->sending_ip), nz(r->rule),
        nz(r->decided_by), nz(r->rule_file)};
    size_t lens[JS_NSTR];
    size_t nstr = explain_rule ? JS_NSTR : JS_NSTR - JS_RULE;
    const char *retry = mxd_retry_name(r->retry);
    const char *mta = nz(r->mta);
    size_t rl = strlen(retry), ml = mta ? strlen(mta) : 0;
    /* the room: keys, every string escaped at worst, three integers, the rest */
    size_t need = 256 + JSON_ESC_MAX * (rl + ml) + sizeof WARN_TRUNCATED + sizeof WARN_RCPTS + 16;
    for (size_t i = 0; i < nstr; i++) {
        lens[i] = vals[i] ? strlen(vals[i]) : 0;
        need += keys[i].n + JSON_ESC_MAX * lens[i] + 2;
    }
    char *out = malloc(need);
    if (!out)
        return NULL;
    char *w = out;
    size_t i = 0;
    for (; i < JS_HEAD; i++) {
        memcpy(w, keys[i].s, keys[i].n);
        w += keys[i].n;
        w = w_str(w, vals[i], lens[i]);
    }
    W_LIT(w, ",\"hardbounce\":");
    w = w_int(w, r->hardbounce);
    for (; i < JS_HEAD + JS_MID; i++) {
        memcpy(w, keys[i].s, keys[i].n);
        w += keys[i].n;
        w = w_str(w, vals[i], lens[i]);
    }
    W_LIT(w, ",\"timestamp\":");
    w = w_int(w, r->timestamp);
    for (; i < JS_HEAD + JS_MID + JS_TAIL; i++) {
        memcpy(w, keys[i].s, keys[i].n);
        w += keys[i].n;
        w = w_str(w, vals[i], lens[i]);
    }
    W_LIT(w, ",\"retry\":");
    w = w_str(w, retry, rl);
    const char *warn[3];
    size_t nwarn = record_warnings(r, warn);
    for (size_t k = 0; k < nwarn; k++) {
        if (k == 0)
            W_LIT(w, ",\"warnings\":[");
        else
            *w++ = ',';
        w = w_str(w, warn[k], strlen(warn[k]));
    }
    if (nwarn)
        *w++ = ']';
    if (explain_rule) {
        for (; i < JS_NSTR; i++) {
            memcpy(w, keys[i].s, keys[i].n);
            w += keys[i].n;
            w = w_str(w, vals[i], lens[i]);
        }
        W_LIT(w, ",\"line\":");
        if (r->rule_line)
            w = w_int(w, r->rule_line);
        else
            W_LIT(w, "null");
        *w++ = '}';
        W_LIT(w, ",\"format\":");
        w = w_str(w, mta, ml);
    }
    *w++ = '}';
    *w = 0;
    return out;
}

char *mxd_bounce_record_json(const mxd_bounce_record *r, int explain_rule, int pretty)
{
    if (!r)
        return NULL;
    if (!pretty)
        return bounce_record_json_fast(r, explain_rule);
    return bounce_record_json_ref(r, explain_rule, pretty);
}

/* bounce_record_json_ref - the same with jansson (pretty output, and the reference the fast
 * writer is tested against). */
char *bounce_record_json_ref(const mxd_bounce_record *r, int explain_rule, int pretty)
{
    if (!r)
        return NULL;
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "recipient", jstr(r->recipient));
    json_object_set_new(o, "addresser", jstr(r->addresser));
    json_object_set_new(o, "status", jstr(r->status));
    json_object_set_new(o, "replycode", jstr(r->replycode));
    json_object_set_new(o, "reason", jstr(r->reason));
    json_object_set_new(o, "hardbounce", json_integer(r->hardbounce));
    json_object_set_new(o, "action", jstr(r->action));
    json_object_set_new(o, "diagnosticcode", jstr(r->diagnosticcode));
    json_object_set_new(o, "diagnostictype", jstr(r->diagnostictype));
    json_object_set_new(o, "rhost", jstr(r->rhost));
    json_object_set_new(o, "lhost", jstr(r->lhost));
    json_object_set_new(o, "smtpcommand", jstr(r->smtpcommand));
    json_object_set_new(o, "destination", jstr(r->destination));
    json_object_set_new(o, "senderdomain", jstr(r->senderdomain));
    json_object_set_new(o, "timestamp", json_integer(r->timestamp));
    json_object_set_new(o, "timezoneoffset", jstr(r->timezoneoffset));
    json_object_set_new(o, "messageid", jstr(r->messageid));
    json_object_set_new(o, "subject", jstr(r->subject));
    json_object_set_new(o, "listid", jstr(r->listid));
    json_object_set_new(o, "feedbacktype", jstr(r->feedbacktype));
    json_object_set_new(o, "deliverystatus", jstr(r->status)); /* Sisimai's name of status */
    json_object_set_new(o, "origin", jstr(r->origin));
    json_object_set_new(o, "source", jstr(r->source));
    json_object_set_new(o, "provider", jstr(nz(r->provider)));
    json_object_set_new(o, "scope", jstr(nz(r->scope)));
    json_object_set_new(o, "sending_ip", jstr(nz(r->sending_ip)));
    json_object_set_new(o, "retry", json_string(mxd_retry_name(r->retry)));
    const char *warn[3];
    size_t nwarn = record_warnings(r, warn);
    if (nwarn) {
        json_t *a = json_array();
        for (size_t k = 0; k < nwarn; k++)
            json_array_append_new(a, json_string(warn[k]));
        json_object_set_new(o, "warnings", a);
    }
    if (explain_rule) {
        json_object_set_new(o, "rule", jstr(nz(r->rule)));
        json_t *x = json_object();
        json_object_set_new(x, "decided_by", jstr(nz(r->decided_by)));
        json_object_set_new(x, "file", jstr(nz(r->rule_file)));
        json_object_set_new(x, "line", r->rule_line ? json_integer(r->rule_line) : json_null());
        json_object_set_new(o, "rule_origin", x);
        json_object_set_new(o, "format", jstr(nz(r->mta)));
    }
    char *s = json_dumps(o, (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}
