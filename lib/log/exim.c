/* exim.c - Exim main-log lines into log records
 * SPDX-License-Identifier: MIT
 *
 * After the stamp (frame.c) a message line is "ID FLAG address [<original>] FIELDS [: text]"
 * (spec.xfpt, "Log line flags"): <= arrival, => delivery, -> another address of the same
 * delivery, ** bounce, == deferral, then "ID Completed". IDs are 16 characters in old logs
 * (1RookS-000Pg8-VO) and 23 since Exim 4.97 (10HmaX-000000005vi-0000). Fields are "X=value"
 * words; C="..." carries the remote answer of a delivery. Connection-level rejections
 * ("H=... rejected RCPT <x>: text") have no ID.
 */
#include <stdio.h>
#include <string.h>
#include "log/log_internal.h"
#include "util/str.h"

/* exim_id - length of a message ID at s ("1RookS-000Pg8-VO" or "10HmaX-000000005vi-0000"). */
static size_t exim_id(const char *s, size_t len)
{
    size_t a = 0, b, c;
    while (a < len && str_isalnum((unsigned char)s[a]))
        a++;
    if (a != 6 || a >= len || s[a] != '-')
        return 0;
    b = a + 1;
    while (b < len && str_isalnum((unsigned char)s[b]))
        b++;
    if ((b - a - 1 != 6 && b - a - 1 != 11) || b >= len || s[b] != '-')
        return 0;
    c = b + 1;
    while (c < len && str_isalnum((unsigned char)s[c]))
        c++;
    if (c - b - 1 != 2 && c - b - 1 != 4)
        return 0;
    return c;
}

/* fieldv - the value of " X=" (NUL-terminated in place; quoted values without quotes). */
static char *fieldv(char *s, char *end, const char *name)
{
    size_t nl = strlen(name);
    for (char *p = s; p + nl + 1 < end; p++) {
        if ((p == s || p[-1] == ' ' || p[-1] == 0) && !memcmp(p, name, nl) && p[nl] == '=') {
            char *v = p + nl + 1, *e;
            if (*v == '"') {
                v++;
                for (e = v; e < end && *e != '"'; e++)
                    if (*e == '\\' && e + 1 < end)
                        e++;
            } else {
                for (e = v; e < end && *e != ' '; e++)
                    ;
            }
            *e = 0;
            return v;
        }
    }
    return NULL;
}

/* host - "H=name [ip]" or "H=[ip]" (also "H=name (helo) [ip]"); cuts in place. */
static void host(char *s, char *end, const char **name, const char **ip)
{
    *name = *ip = NULL;
    char *h = NULL;
    for (char *p = s; p + 2 < end; p++)
        if ((p == s || p[-1] == ' ') && p[0] == 'H' && p[1] == '=') {
            h = p + 2;
            break;
        }
    if (!h)
        return;
    char *b = memchr(h, '[', (size_t)(end - h));
    if (!b)
        return;
    char *e = memchr(b, ']', (size_t)(end - b));
    if (!e)
        return;
    *e = 0;
    *ip = b + 1;
    if (h < b && *h != '[' && *h != '(') {
        char *ne = h;
        while (ne < b && *ne != ' ')
            ne++;
        *ne = 0;
        *name = h;
    }
}

int log_exim_parse(char *msg, size_t len, log_rec *r)
{
    log_rec_init(r, "exim", 1);
    char *end = msg + len;
    size_t il = exim_id(msg, len);
    if (!il) {
        /* "H=host [ip] F=<from> rejected RCPT <to>: text" */
        char *rej = strstr(msg, " rejected ");
        if (!rej || strstr(msg, "authenticator failed"))
            return 0;
        r->kind = LR_REJECT;
        r->counted = 1;
        char *colon = strstr(rej, ": ");
        r->text = colon ? colon + 2 : NULL;
        if (colon)
            *colon = 0;
        char *to = strstr(rej, " <");
        if (to) {
            char *te = strchr(to + 2, '>');
            if (te) {
                *te = 0;
                r->to = to + 2;
            }
        }
        char *f = strstr(msg, "F=<");
        if (f && f < rej) {
            char *fe = strchr(f + 3, '>');
            if (fe) {
                *fe = 0;
                r->from = f + 3;
            }
        }
        host(msg, rej, &r->client_host, &r->client_ip);
        return 1;
    }
    if (il >= LOG_QID_MAX || il + 1 >= len || msg[il] != ' ')
        return 0;
    memcpy(r->qid, msg, il);
    r->qid[il] = 0;
    char *p = msg + il + 1;
    if (end - p >= 9 && !memcmp(p, "Completed", 9)) {
        r->kind = LR_COMPLETED;
        return 1;
    }
    if (end - p < 4 || p[2] != ' ')
        return 0;
    char f0 = p[0], f1 = p[1];
    p += 3;
    /* the address (and "<original>") up to the first field */
    char *addr = p;
    while (p < end && *p != ' ')
        p++;
    if (p < end)
        *p++ = 0;
    char *orig = NULL;
    if (addr[0] == '|' && p < end && *p != '<') {
        /* a pipe's command has blanks: "|/bin/echo "text" <parent@example.com> R=..." */
        char *lt = memchr(p, '<', (size_t)(end - p)), *rf = strstr(p, " R=");
        if (lt && (!rf || lt < rf) && !memchr(p, ':', (size_t)(lt - p)))
            p = lt;
    }
    if (p < end && *p == '<') {
        char *e = memchr(p, '>', (size_t)(end - p));
        if (e) {
            *e = 0;
            orig = p + 1;
            p = e + 1;
        }
    }
    char *fields = p;
    if (f0 == '<' && f1 == '=') {
        r->kind = LR_FROM;
        r->from = strcmp(addr, "<>") ? addr : "";
        /* the text after "for"/"from" is not parsed: fields only */
        char *s = fieldv(fields, end, "S");
        if (s) {
            unsigned long v;
            if (!str_parse_uint(s, strlen(s), (unsigned long)-1 >> 1, &v))
                r->size = (long long)v;
        }
        char *a = fieldv(fields, end, "A");
        if (a) {
            char *c = strchr(a, ':');
            r->sasl_user = c ? c + 1 : a;
        }
        r->messageid = fieldv(fields, end, "id");
        host(fields, end, &r->client_host, &r->client_ip);
        return 1;
    }
    int sent = (f0 == '=' && f1 == '>') || (f0 == '-' && f1 == '>');
    int bounced = f0 == '*' && f1 == '*';
    int deferred = f0 == '=' && f1 == '=';
    if (!sent && !bounced && !deferred)
        return 0;
    r->kind = LR_DELIVERY;
    r->status = sent ? "sent" : bounced ? "bounced" : "deferred";
    if (strchr(addr, '@')) {
        r->to = addr;
        r->orig_to = orig;
    } else {
        r->to = orig ? orig : addr;
    }
    /* the text: C="..." for a delivery, else what follows ": " */
    char *text = NULL;
    size_t al = strlen(addr);
    if (!sent && al > 1 && addr[al - 1] == ':') {
        /* no router or transport named: "** x@example.com: retry timeout exceeded" */
        addr[al - 1] = 0;
        text = fields;
    } else if (!sent) {
        char *c = strstr(fields, ": ");
        if (c) {
            *c = 0;
            text = c + 2;
        } else {
            char *d = strstr(fields, "defer (");
            text = d;
        }
    }
    char *cv = sent ? fieldv(fields, end, "C") : NULL;
    host(fields, text ? text - 2 : end, &r->relay_host, &r->relay_ip);
    r->text = sent ? cv : text;
    return 1;
}
