/* record.c - bounce records: classification of each recipient, the public record, JSON
 * SPDX-License-Identifier: MIT
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bounce/bounce_internal.h"
#include "classify/reply.h"
#include "util/str.h"

#define JSON_FIRST_ALLOC 4096 /* bytes allocated for a record's JSON at first */

/* Hard bounce: permanent, and the recipient address itself is the problem. */
static const char *const hard_reasons[] = {"userunknown", "hostunknown", "hasmoved", "notaccept"};
/* Never a hard bounce, whatever the reason says: the block is about us, not the address. */
static const char *const soft_scopes[] = {"ip", "tenant", "content", "rate", "sender"};

static int in_list(const char *s, const char *const *l, size_t n)
{
    if (!s)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(s, l[i]))
            return 1;
    return 0;
}

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

/* ip_from_received - the client IP of the Received header written by rhost's domain in the
 * returned message (the remote accepted, then bounced): the IP it saw us connect from. */
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
    while (mail_header_next(v->orig.ptr, hl, &pos, &n, &nl, &val, &vl)) {
        if (nl != 8 || !str_caseeq(n, nl, "received"))
            continue;
        const char *by = str_casefind(val, vl, " by ", 4);
        if (!by)
            continue;
        /* written by the rejecting side: its domain, or the same first label (Microsoft:
         * "by DM6NAM12FT034.mail.protection.outlook.com" for the NDR's
         * "DM6NAM12FT034.eop-nam12.prod.protection.outlook.com") */
        const char *bh = by + 4;
        while (bh < val + vl && *bh == ' ')
            bh++;
        size_t lab = strcspn(rhost, ".");
        int same_host = lab >= 6 && (size_t)(val + vl - bh) > lab && bh[lab] == '.' &&
                        str_casefind(bh, lab, rhost, lab) == bh;
        if (!same_host && !str_casefind(by, (size_t)(val + vl - by), dom, strlen(dom)))
            continue;
        for (size_t i = 0; i < (size_t)(by - val); i++) {
            if (val[i] != '[' && val[i] != '(')
                continue;
            size_t j = i + 1;
            while (j < (size_t)(by - val) && (str_isdigit((unsigned char)val[j]) || val[j] == '.'))
                j++;
            if (reply_is_ipv4(val + i + 1, j - i - 1)) {
                bounce_copy(out, outlen, val + i + 1, j - i - 1);
                return;
            }
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
    if (!addresser[0] && bview_header(v, "To", from, sizeof from))
        addr_only(from, addresser, sizeof addresser);
    bview_orig_header(v, "Subject", subject, sizeof subject);
    bview_orig_header(v, "Message-ID", msgid, sizeof msgid);
    strip_angle(msgid);
    bview_orig_header(v, "List-Id", listid, sizeof listid);
    long long when = out->date;
    if (when)
        memcpy(tz, out->tz, sizeof tz);
    if (!when && bview_header(v, "Date", date, sizeof date))
        when = bounce_date(date, strlen(date), tz);
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
        if (!r->lhost[0] && out->lhost[0])
            memcpy(r->lhost, out->lhost, sizeof r->lhost);
        if (!r->rhost[0] && out->rhost[0])
            memcpy(r->rhost, out->rhost, sizeof r->rhost);
        if (!r->command[0] && r->diaglen)
            bounce_command_t(&v->cmds, r->diag, r->diaglen, r->command);
        if (!r->diagtype[0] && r->diaglen)
            memcpy(r->diagtype, "SMTP", 5);
        int delivered = !strcmp(r->action, "delivered") || !strcmp(r->action, "relayed") ||
                        !strcmp(r->action, "expanded") || (r->status[0] == '2');
        if (delivered && !(flags & MXD_BOUNCE_DELIVERED))
            continue;
        bounce_class c;
        bounce_classify(v, r, &c);
        if (delivered)
            c.reason = "delivered";
        if (!c.sending_ip[0] && !bounce_mailbox_reason(c.reason))
            ip_from_received(v, c.rhost, c.sending_ip, sizeof c.sending_ip);
        mxd_bounce_record rec;
        memset(&rec, 0, sizeof rec);
        rec.recipient = r->recipient;
        rec.addresser = addresser;
        rec.status = c.status;
        rec.replycode = c.replycode;
        rec.reason = c.reason ? c.reason : "undefined";
        /* refused at MAIL FROM or at the connection: never the address's fault */
        int sender_stage = !strcmp(r->command, "MAIL") || !strcmp(r->command, "CONN") ||
                           !strcmp(r->command, "EHLO") || !strcmp(r->command, "HELO");
        rec.hardbounce =
            c.permanent == 1 && !sender_stage &&
            in_list(rec.reason, hard_reasons, sizeof hard_reasons / sizeof *hard_reasons) &&
            !in_list(c.scope, soft_scopes, sizeof soft_scopes / sizeof *soft_scopes);
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
 * test_bounce_record.c compares the two), without building the object --- */

static int valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned char c = *p;
        size_t n = c < 0x80             ? 1
                   : (c & 0xE0) == 0xC0 ? 2
                   : (c & 0xF0) == 0xE0 ? 3
                   : (c & 0xF8) == 0xF0 ? 4
                                        : 0;
        if (!n || (n == 2 && c < 0xC2))
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

/* w_str - a JSON string. Runs of bytes that need nothing (printable ASCII but '"' and
 * '\\', and valid UTF-8 sequences) are copied in one piece. */
static mxd_err w_str(buf *b, const char *s)
{
    if (!s)
        return buf_add(b, "null", 4);
    int ok = 1;
    for (const unsigned char *q = (const unsigned char *)s; *q; q++)
        if (*q >= 0x80) {
            ok = valid_utf8(s);
            break;
        }
    mxd_err e = buf_addc(b, '"');
    const char *p = s, *run = s;
    size_t left = strlen(s);
    while (*p && !e) {
        /* eight plain bytes at a time: no control byte, '"', '\\' or 8-bit byte in them */
        while (left - (size_t)(p - s) >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
            uint64_t ctl = (w - ones * 0x20) & ~w; /* a byte below 0x20 */
            uint64_t quo = ((w ^ (ones * '"')) - ones) & ~(w ^ (ones * '"'));
            uint64_t bsl = ((w ^ (ones * '\\')) - ones) & ~(w ^ (ones * '\\'));
            if ((ctl | quo | bsl | w) & highs)
                break;
            p += 8;
        }
        if (!*p)
            break;
        unsigned char c = (unsigned char)*p;
        /* printable ASCII but '"' and '\\' (one compare for the range), or valid UTF-8 */
        if (((unsigned char)(c - 0x20) < 0x60 && c != '"' && c != '\\') || (c >= 0x80 && ok)) {
            p++;
            continue;
        }
        if (p > run)
            e = buf_add(b, run, (size_t)(p - run));
        if (e)
            break;
        if (!ok && (c >= 0x80 || c < 0x20))
            c = '?';
        char esc[8];
        size_t el = 2;
        esc[0] = '\\';
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        default:
            if (c < 0x20) {
                static const char hex[] = "0123456789ABCDEF";
                esc[1] = 'u', esc[2] = '0', esc[3] = '0', esc[4] = hex[c >> 4],
                esc[5] = hex[c & 15];
                el = 6;
            } else {
                esc[0] = (char)c;
                el = 1;
            }
        }
        e = buf_add(b, esc, el);
        run = ++p;
    }
    if (!e && p > run)
        e = buf_add(b, run, (size_t)(p - run));
    if (!e)
        e = buf_addc(b, '"');
    return e;
}

/* w_key - ,"key": (keys are plain ASCII names: written as they are). */
static mxd_err w_key(buf *b, const char *k, int first)
{
    char t[64];
    size_t kl = strlen(k), n = 0;
    if (kl + 4 > sizeof t)
        return MXD_ERR_TOOBIG;
    if (!first)
        t[n++] = ',';
    t[n++] = '"';
    memcpy(t + n, k, kl);
    n += kl;
    t[n++] = '"';
    t[n++] = ':';
    return buf_add(b, t, n);
}

static mxd_err w_int(buf *b, long long v)
{
    char t[32];
    int n = snprintf(t, sizeof t, "%lld", v);
    return buf_add(b, t, (size_t)n);
}

mxd_err bounce_record_json_fast(const mxd_bounce_record *r, int explain_rule, buf *b)
{
    static const char *const keys[] = {"recipient", "addresser", "status", "replycode", "reason"};
    const char *vals[] = {r->recipient, r->addresser, r->status, r->replycode, r->reason};
    mxd_err e = buf_addc(b, '{');
    for (size_t i = 0; i < 5 && !e; i++) {
        e = w_key(b, keys[i], i == 0);
        if (!e)
            e = w_str(b, vals[i]);
    }
    if (!e)
        e = w_key(b, "hardbounce", 0);
    if (!e)
        e = w_int(b, r->hardbounce);
    static const char *const keys2[] = {"action",      "diagnosticcode", "diagnostictype",
                                        "rhost",       "lhost",          "smtpcommand",
                                        "destination", "senderdomain"};
    const char *vals2[] = {r->action, r->diagnosticcode, r->diagnostictype, r->rhost,
                           r->lhost,  r->smtpcommand,    r->destination,    r->senderdomain};
    for (size_t i = 0; i < 8 && !e; i++) {
        e = w_key(b, keys2[i], 0);
        if (!e)
            e = w_str(b, vals2[i]);
    }
    if (!e)
        e = w_key(b, "timestamp", 0);
    if (!e)
        e = w_int(b, r->timestamp);
    static const char *const keys3[] = {"timezoneoffset", "messageid", "subject", "listid",
                                        "feedbacktype",   "origin",    "source",  "provider",
                                        "scope",          "sending_ip"};
    const char *vals3[] = {r->timezoneoffset, r->messageid, r->subject,  r->listid, r->feedbacktype,
                           r->origin,         r->source,    r->provider, r->scope,  r->sending_ip};
    for (size_t i = 0; i < 10 && !e; i++) {
        e = w_key(b, keys3[i], 0);
        if (!e)
            e = w_str(b, vals3[i]);
    }
    if (!e)
        e = w_key(b, "retry", 0);
    if (!e)
        e = w_str(b, mxd_retry_name(r->retry));
    if (!e && explain_rule) {
        e = w_key(b, "rule", 0);
        if (!e)
            e = buf_addc(b, '{');
        if (!e)
            e = w_key(b, "decided_by", 1);
        if (!e)
            e = w_str(b, r->decided_by);
        if (!e)
            e = w_key(b, "id", 0);
        if (!e)
            e = w_str(b, r->rule);
        if (!e)
            e = w_key(b, "file", 0);
        if (!e)
            e = w_str(b, r->rule_file);
        if (!e)
            e = w_key(b, "line", 0);
        if (!e)
            e = w_int(b, r->rule_line);
        if (!e)
            e = w_key(b, "format", 0);
        if (!e)
            e = w_str(b, r->mta);
        if (!e)
            e = buf_addc(b, '}');
    }
    if (!e)
        e = buf_addc(b, '}');
    return e;
}

char *mxd_bounce_record_json(const mxd_bounce_record *r, int explain_rule, int pretty)
{
    if (!r)
        return NULL;
    if (!pretty) {
        buf b;
        buf_init(&b, 1u << 24);
        /* one allocation for the usual record (the buffer grows past it when needed) */
        b.ptr = malloc(JSON_FIRST_ALLOC);
        if (!b.ptr)
            return NULL;
        b.alloc = JSON_FIRST_ALLOC;
        b.ptr[0] = 0;
        if (bounce_record_json_fast(r, explain_rule, &b) != MXD_OK) {
            buf_free(&b);
            return NULL;
        }
        return buf_steal(&b);
    }
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
    json_object_set_new(o, "origin", jstr(r->origin));
    json_object_set_new(o, "source", jstr(r->source));
    json_object_set_new(o, "provider", jstr(r->provider));
    json_object_set_new(o, "scope", jstr(r->scope));
    json_object_set_new(o, "sending_ip", jstr(r->sending_ip));
    json_object_set_new(o, "retry", json_string(mxd_retry_name(r->retry)));
    if (explain_rule) {
        json_t *x = json_object();
        json_object_set_new(x, "decided_by", jstr(r->decided_by));
        json_object_set_new(x, "id", jstr(r->rule));
        json_object_set_new(x, "file", jstr(r->rule_file));
        json_object_set_new(x, "line", json_integer(r->rule_line));
        json_object_set_new(x, "format", jstr(r->mta));
        json_object_set_new(o, "rule", x);
    }
    char *s = json_dumps(o, (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}
