/* sendmail.c - Sendmail log lines into log records
 * SPDX-License-Identifier: MIT
 *
 * "QID: from=<a>, size=N, class=0, nrcpts=1, msgid=<m>, proto=ESMTP, daemon=MTA, relay=host
 * [ip]" is an arrival; "QID: to=<a>[,<b>...], delay=, xdelay=, mailer=, pri=, relay=host. [ip],
 * dsn=2.0.0, stat=Sent (text)" a delivery attempt (stat=Deferred: text, or a permanent error
 * text with a 5.x.x dsn); "QID: ruleset=check_rcpt, arg1=<a>, relay=host [ip], reject=550
 * 5.7.1 text" a rejection. Sendmail logs no removal: its messages leave the in-flight table
 * by eviction. The to= list of several recipients is kept whole here (the context splits it).
 */
#include <stdio.h>
#include <string.h>
#include "log/log_internal.h"
#include "util/str.h"

static int sm_qid(const char *s, size_t n)
{
    if (n < 8 || n >= LOG_QID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!str_isalnum((unsigned char)s[i]))
            return 0;
    return 1;
}

/* smv - the value of "name=" in a ", " list (NUL put at its end; <> kept off). */
static char *smv(char *s, char *end, const char *name, int to_end)
{
    size_t nl = strlen(name);
    for (char *p = s; p + nl < end; p++) {
        if ((p == s || (p >= s + 2 && p[-1] == ' ' && (p[-2] == ',' || p[-2] == 0))) &&
            !memcmp(p, name, nl) && p[nl] == '=') {
            char *v = p + nl + 1;
            if (to_end)
                return v;
            char *e = v;
            while (e < end && !(e[0] == ',' && e + 1 < end && e[1] == ' '))
                e++;
            *e = 0;
            return v;
        }
    }
    return NULL;
}

static void relay(char *v, const char **hostp, const char **ipp)
{
    *hostp = *ipp = NULL;
    if (!v)
        return;
    char *b = strchr(v, '[');
    if (b) {
        char *e = strchr(b, ']');
        if (e) {
            *e = 0;
            *ipp = b + 1;
        }
        while (b > v && b[-1] == ' ')
            b--;
        *b = 0;
    }
    size_t n = strlen(v);
    if (n && v[n - 1] == '.')
        v[n - 1] = 0; /* "mx.example.com." */
    *hostp = v[0] ? v : NULL;
}

static char *strip_brackets(char *v)
{
    if (!v)
        return NULL;
    size_t n = strlen(v);
    if (n >= 2 && v[0] == '<' && v[n - 1] == '>') {
        v[n - 1] = 0;
        return v + 1;
    }
    return v;
}

/* sm_delay - "00:00:01" or "1+02:03:04" in seconds. */
static double sm_delay(const char *s)
{
    double days = 0, acc = 0, part = 0;
    for (const char *p = s; *p; p++) {
        if (str_isdigit((unsigned char)*p)) {
            part = part * 10 + (*p - '0');
        } else if (*p == '+') {
            days = part;
            part = 0;
        } else if (*p == ':') {
            acc = acc * 60 + part * 60;
            part = 0;
        } else {
            break;
        }
    }
    return days * 86400 + acc + part;
}

int log_sendmail_parse(char *msg, size_t len, log_rec *r)
{
    log_rec_init(r, "sendmail", 1);
    char *end = msg + len;
    char *colon = memchr(msg, ':', len);
    char *p = msg;
    if (colon && colon + 1 < end && colon[1] == ' ' && sm_qid(msg, (size_t)(colon - msg))) {
        memcpy(r->qid, msg, (size_t)(colon - msg));
        r->qid[colon - msg] = 0;
        p = colon + 2;
    } else if (!(end - p > 8 && !memcmp(p, "ruleset=", 8))) {
        return 0;
    }
    size_t rest = (size_t)(end - p);
    if (rest > 8 && !memcmp(p, "ruleset=", 8)) {
        char *rej = smv(p, end, "reject", 1);
        if (!rej)
            return 0;
        r->kind = LR_REJECT;
        r->counted = 1;
        r->text = rej;
        rej[-9] = 0; /* cut ", reject=" off the list before it */
        char *arg1 = smv(p, rej - 9, "arg1", 0);
        if (p[8] == 'c' && !strncmp(p + 8, "check_rcpt", 10))
            r->to = strip_brackets(arg1);
        else if (!strncmp(p + 8, "check_mail", 10))
            r->from = strip_brackets(arg1);
        relay(smv(p, rej - 9, "relay", 0), &r->client_host, &r->client_ip);
        if (r->client_ip) {
            /* "(may be forged)" after the address */
            char *f = strstr(r->client_host ? r->client_host : "", " (may");
            if (f)
                *f = 0;
        }
        return 1;
    }
    if (rest > 5 && !memcmp(p, "from=", 5)) {
        r->kind = LR_FROM;
        char *stat = smv(p, end, "stat", 1);
        if (stat)
            return 0; /* a from= line of a queue run failure */
        char *size = smv(p, end, "size", 0), *mid = smv(p, end, "msgid", 0);
        char *rl = smv(p, end, "relay", 0);
        r->from = strip_brackets(smv(p, end, "from", 0));
        if (r->from && !strcmp(r->from, "<>"))
            r->from = "";
        if (size) {
            unsigned long v;
            if (!str_parse_uint(size, strlen(size), (unsigned long)-1 >> 1, &v))
                r->size = (long long)v;
        }
        r->messageid = strip_brackets(mid);
        relay(rl, &r->client_host, &r->client_ip);
        return 1;
    }
    if (rest > 3 && !memcmp(p, "to=", 3)) {
        char *stat = smv(p, end, "stat", 1);
        if (!stat)
            return 0;
        stat[-7] = 0; /* the list ends before ", stat=" */
        char *lend = stat - 7;
        /* to= may hold several addresses separated by "," (no blank) */
        char *to = p + 3, *te = to;
        while (te < lend && !(te[0] == ',' && te + 1 < lend && te[1] == ' '))
            te++;
        *te = 0;
        r->to = strchr(to, ',') ? to : strip_brackets(to);
        char *dl = smv(te + 2 < lend ? te + 2 : lend, lend, "delay", 0);
        char *dsn = smv(te + 2 < lend ? te + 2 : lend, lend, "dsn", 0);
        char *rl = smv(te + 2 < lend ? te + 2 : lend, lend, "relay", 0);
        relay(rl, &r->relay_host, &r->relay_ip);
        if (dl)
            r->delay = sm_delay(dl);
        r->dsn = dsn;
        /* "stat=queued": put in the queue for a later run (queue-only delivery mode, a busy
         * system), no delivery tried: no outcome (review-s15 M2) */
        if (!strncmp(stat, "queued", 6)) {
            r->kind = LR_NONE;
            return 1;
        }
        r->kind = LR_DELIVERY;
        if (!strncmp(stat, "Sent", 4)) {
            r->status = "sent";
            char *t = strchr(stat, '(');
            if (t) {
                size_t n = strlen(t);
                if (n && t[n - 1] == ')')
                    t[n - 1] = 0;
                r->text = t + 1;
            }
        } else {
            r->status =
                !strncmp(stat, "Deferred", 8) || (dsn && dsn[0] == '4') ? "deferred" : "bounced";
            r->text = !strncmp(stat, "Deferred: ", 10) ? stat + 10 : stat;
        }
        return 1;
    }
    return 0;
}
