/* postfix.c - Postfix log lines into log records
 * SPDX-License-Identifier: MIT
 *
 * The program name gives the instance and the service: "postfix/smtp" is service smtp of
 * instance postfix, "postfix-out/smtp" of instance postfix-out, "postfix/submission/smtpd" the
 * smtpd of master.cf service "submission" in instance postfix (one queue per instance). The message
 * starts with a queue ID (short: upper-case hex; long, Postfix 2.9 and later: ten or more
 * characters without vowels) or NOQUEUE. Fields are "name=value" separated by ", " (log_adhoc.c:
 * to, orig_to, relay, conn_use, delay, delays, tls, dsn, status (text)); unknown fields are
 * skipped, so a new one (tls= in 3.12) breaks nothing.
 */
#include <stdio.h>
#include <string.h>
#include "log/log_internal.h"
#include "util/str.h"

int log_postfix_prog(const char *prog)
{
    return prog[0] == 'p' && !strncmp(prog, "postfix", 7) && (prog[7] == '/' || prog[7] == '-');
}

static int qid_short(const char *s, size_t n)
{
    if (n < 6 || n >= LOG_QID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!str_isdigit((unsigned char)s[i]) && !(s[i] >= 'A' && s[i] <= 'F'))
            return 0;
    return 1;
}

static int qid_long(const char *s, size_t n)
{
    if (n < 10 || n >= LOG_QID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (!str_isalnum(c) || strchr("AEIOUaeiou", c))
            return 0;
    }
    return 1;
}

/* field - the value of "name=" in the ", "-separated list at s (NUL put at its end in place);
 * for "<...>" values the brackets are removed. Returns NULL when absent. */
static char *field(char *s, char *end, const char *name)
{
    size_t nl = strlen(name);
    for (char *p = s; p + nl < end; p++) {
        /* at the start, or after ", " (whose comma an earlier call may have cut to NUL) */
        if ((p == s || (p >= s + 2 && p[-1] == ' ' && (p[-2] == ',' || p[-2] == 0))) &&
            !memcmp(p, name, nl) && p[nl] == '=') {
            char *v = p + nl + 1;
            if (*v == '<') {
                char *e = memchr(v, '>', (size_t)(end - v));
                /* the last '>' before ", " (addresses may hold '>' when quoted) */
                while (e && e + 1 < end && e[1] != ',' && e[1] != ' ' && e[1] != 0) {
                    char *n2 = memchr(e + 1, '>', (size_t)(end - e - 1));
                    if (!n2)
                        break;
                    e = n2;
                }
                if (!e)
                    return NULL;
                *e = 0;
                return v + 1;
            }
            char *e = v;
            while (e < end && *e != ',' && *e != ' ')
                e++;
            *e = 0;
            return v;
        }
    }
    return NULL;
}

/* host_ip - split "host[ip]" or "host[ip]:port" in place. */
static void host_ip(char *s, const char **host, const char **ip)
{
    *host = s;
    *ip = NULL;
    char *b = strchr(s, '[');
    if (!b)
        return;
    char *e = strchr(b, ']');
    if (!e)
        return;
    *b = 0;
    *e = 0;
    *ip = b + 1;
}

/* parse_reject - "reject: RCPT from host[ip]: 550 5.1.1 text; from=<a> to=<b> proto=ESMTP
 * helo=<h>" (smtpd; postscreen puts ", " between the fields). p is after "reject: ". */
static void parse_reject(char *p, char *end, log_rec *r)
{
    r->kind = LR_REJECT;
    char *from = strstr(p, " from ");
    if (from && from < end) {
        char *h = from + 6, *c = h;
        while (c < end && *c != ' ' && !(c[0] == ':' && c[1] == ' ') && *c != ';')
            c++;
        char save = *c;
        *c = 0;
        char *colon = strrchr(h, ':'); /* postscreen: [ip]:port */
        if (colon && colon > h && colon[-1] == ']')
            *colon = 0;
        host_ip(h, &r->client_host, &r->client_ip);
        if (r->client_host && !r->client_host[0])
            r->client_host = NULL;
        if (save == ':') {
            p = c + 2;
        } else {
            p = c + 1;
        }
    }
    /* the reply text runs to the last "; from=<" */
    char *semi = NULL;
    for (char *q = p; q + 8 <= end; q++)
        if (q[0] == ';' && !memcmp(q, "; from=<", 8))
            semi = q;
    if (semi) {
        *semi = 0;
        char *f = semi + 2;
        char *fv = strstr(f, "from=<");
        if (fv) {
            char *e = strchr(fv + 6, '>');
            if (e) {
                *e = 0;
                r->from = fv + 6;
                char *tv = strstr(e + 1, "to=<");
                if (tv) {
                    char *te = strchr(tv + 4, '>');
                    if (te) {
                        *te = 0;
                        r->to = tv + 4;
                    }
                }
            }
        }
    }
    r->text = p;
}

/* set_names - the instance is the syslog name before the first '/', the service the part
 * after the last ("" when there is no '/': "postfix-out[1]:" names no service). */
static void set_names(const char *prog, log_rec *r)
{
    const char *slash = strrchr(prog, '/');
    const char *svc = slash ? slash + 1 : "";
    size_t il = strcspn(prog, "/");
    if (il >= sizeof r->instance)
        il = sizeof r->instance - 1;
    memcpy(r->instance, prog, il);
    r->instance[il] = 0;
    size_t sl = strlen(svc);
    if (sl >= sizeof r->service)
        sl = sizeof r->service - 1;
    memcpy(r->service, svc, sl);
    r->service[sl] = 0;
}

void log_rec_init(log_rec *r, const char *mta, int service)
{
    memset(r, 0, sizeof *r);
    r->delay = -1;
    r->size = -1;
    r->mta = mta;
    if (service) {
        snprintf(r->instance, sizeof r->instance, "%s", mta);
        snprintf(r->service, sizeof r->service, "%s", mta);
    }
}

int log_postfix_parse(const char *prog, char *msg, size_t len, log_rec *r)
{
    log_rec_init(r, "postfix", 0);
    if (!log_postfix_prog(prog))
        return 0;
    char *end = msg + len;
    char *colon = memchr(msg, ':', len < LOG_QID_MAX ? len : LOG_QID_MAX);
    if (!colon || colon + 1 >= end || colon[1] != ' ')
        return 0;
    size_t ql = (size_t)(colon - msg);
    char *p = colon + 2;
    if (ql == 7 && !memcmp(msg, "NOQUEUE", 7)) {
        if (end - p > 8 && !memcmp(p, "reject: ", 8)) {
            set_names(prog, r);
            r->counted = 1;
            parse_reject(p + 8, end, r);
            return 1;
        }
        return 0;
    }
    if (!qid_short(msg, ql) && !qid_long(msg, ql))
        return 0;
    memcpy(r->qid, msg, ql);
    r->qid[ql] = 0;
    set_names(prog, r);
    size_t rest = (size_t)(end - p);
#define STARTS(s) (rest >= sizeof s - 1 && !memcmp(p, s, sizeof s - 1))
    if (STARTS("client=")) {
        r->kind = LR_CLIENT;
        char *c = field(p, end, "client");
        if (c)
            host_ip(c, &r->client_host, &r->client_ip);
        char *end2 = c ? c + strlen(c) + 1 : p;
        if (end2 < end) {
            r->sasl_user = field(end2, end, "sasl_username");
        }
        return 1;
    }
    if (STARTS("message-id=")) {
        r->kind = LR_MSGID;
        char *v = p + 11;
        size_t n = (size_t)(end - v);
        if (n >= 2 && v[0] == '<' && end[-1] == '>') {
            v++;
            end[-1] = 0;
        }
        r->messageid = v;
        return 1;
    }
    if (STARTS("uid=") || STARTS("sender=")) {
        if (strcmp(r->service, "pickup"))
            return 0;
        r->kind = LR_PICKUP;
        r->from = field(p, end, "from");
        return 1;
    }
    if (STARTS("from=<")) {
        char *st = strstr(p, ", status=expired");
        char *f = field(p, end, "from");
        r->from = f ? f : "";
        char *after = f ? f + strlen(f) + 1 : p;
        if (st) {
            r->kind = LR_EXPIRED;
            return 1;
        }
        r->kind = LR_FROM;
        if (after < end) {
            char *sz = strstr(after, "size=");
            if (sz) {
                unsigned long v = 0;
                char *e = sz + 5;
                while (e < end && str_isdigit((unsigned char)*e))
                    e++;
                if (!str_parse_uint(sz + 5, (size_t)(e - sz - 5), (unsigned long)-1 >> 1, &v))
                    r->size = (long long)v;
            }
            char *nr = strstr(after, "nrcpt=");
            if (nr) {
                unsigned long v = 0;
                char *e = nr + 6;
                while (e < end && str_isdigit((unsigned char)*e))
                    e++;
                if (!str_parse_uint(nr + 6, (size_t)(e - nr - 6), 1000000UL, &v))
                    r->nrcpt = (long)v;
            }
        }
        return 1;
    }
    if (STARTS("to=<")) {
        /* status=... (text): find it before fields are cut */
        char *st = strstr(p, ", status=");
        if (!st)
            return 0;
        char *sv = st + 9, *se = sv;
        while (se < end && *se != ' ' && *se != ',')
            se++;
        char *text = NULL;
        if (se + 1 < end && se[0] == ' ' && se[1] == '(') {
            text = se + 2;
            if (end[-1] == ')')
                end[-1] = 0;
        }
        *se = 0;
        r->status = sv;
        *st = 0; /* the field list ends here */
        char *fend = st;
        r->text = text;
        r->to = field(p, fend, "to");
        char *q = r->to ? (char *)r->to + strlen(r->to) + 1 : p;
        r->orig_to = field(q, fend, "orig_to");
        char *relay = field(q, fend, "relay");
        if (relay) {
            char *colon2 = strrchr(relay, ':');
            if (colon2 && colon2 > relay && colon2[-1] == ']')
                *colon2 = 0;
            host_ip(relay, &r->relay_host, &r->relay_ip);
        }
        char *d = field(relay ? relay + strlen(relay) + 1 : q, fend, "delay");
        if (d) {
            /* seconds with a fraction: parse by hand (no strtod locale) */
            double v = 0, scale = 0;
            for (const char *c = d; *c; c++) {
                if (str_isdigit((unsigned char)*c)) {
                    if (scale > 0) {
                        v += (*c - '0') * scale;
                        scale /= 10;
                    } else {
                        v = v * 10 + (*c - '0');
                    }
                } else if (*c == '.' && scale == 0) {
                    scale = 0.1;
                } else {
                    break;
                }
            }
            r->delay = v;
        }
        r->dsn = field(d ? d + strlen(d) + 1 : q, fend, "dsn");
        r->kind = LR_DELIVERY;
        r->forwarded = text && !strncmp(text, "forwarded as ", 13);
        return 1;
    }
    if (STARTS("removed") && rest == 7) {
        r->kind = LR_REMOVED;
        return 1;
    }
    if (STARTS("sender non-delivery notification: ")) {
        r->kind = LR_NOTIFY;
        r->new_qid = p + 34;
        return 1;
    }
    if (STARTS("reject: ") || STARTS("milter-reject: ")) {
        int milter = p[0] == 'm';
        /* pflogsumm counts cleanup's header/body rejects (and milter rejects there) and
         * smtpd's plain rejects */
        int cleanup = !strcmp(r->service, "cleanup");
        r->counted = cleanup ? 1 : !milter;
        parse_reject(p + (milter ? 15 : 8), end, r);
        if (cleanup) {
            /* "reject: header Subject: ... from h[ip]; from=<a> to=<b> ...: 550 5.7.1 text" */
            char *t = r->to ? strstr((char *)r->to + strlen(r->to) + 1, ": ") : NULL;
            if (t)
                r->text = t + 2;
        }
        return 1;
    }
#undef STARTS
    return 0;
}
