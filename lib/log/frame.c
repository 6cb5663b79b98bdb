/* frame.c - syslog framing of a log line: RFC 3164, RFC 3339 (rsyslog), RFC 5424, Exim
 * SPDX-License-Identifier: MIT
 *
 * A line is split into time, host, program, pid and message; nothing else is looked at. Stamps
 * without a zone (RFC 3164, Exim's default) are taken as UTC: the log does not say its zone.
 * RFC 3164 has no year: it comes from the input's year state (an explicit year counted up at
 * New Year, or the year that puts the stamp no later than a day after a reference time, the
 * file's modification time).
 */
#include <stdio.h>
#include <string.h>
#include "log/log_internal.h"
#include "util/date.h"
#include "util/str.h"

/* num - n decimal digits at s into *v; 1 when they are all digits. */
static int num(const char *s, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!str_isdigit((unsigned char)s[i]))
            return 0;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 1;
}

static int valid_time(int mon, int day, int h, int mi, int s)
{
    return mon >= 1 && mon <= 12 && day >= 1 && day <= 31 && h <= 23 && mi <= 59 && s <= 60;
}

size_t log_parse_3339(const char *s, size_t len, long long *t, long *usec)
{
    return log_parse_3339_ys(s, len, NULL, t, usec);
}

size_t log_parse_3339_ys(const char *s, size_t len, log_year *ys, long long *t, long *usec)
{
    int y, mo, d, h, mi, se;
    long long days;
    if (len < 19)
        return 0;
    if (ys && ys->date[0] && !memcmp(s, ys->date, 10)) {
        days = ys->days; /* the same day as the line before */
    } else {
        if (!num(s, 4, &y) || s[4] != '-' || !num(s + 5, 2, &mo) || s[7] != '-' ||
            !num(s + 8, 2, &d) || !valid_time(mo, d, 0, 0, 0))
            return 0;
        days = date_days_from_civil(y, (unsigned)mo, (unsigned)d);
        if (ys) {
            memcpy(ys->date, s, 10);
            ys->days = days;
        }
    }
    if ((s[10] != 'T' && s[10] != ' ') || !num(s + 11, 2, &h) || s[13] != ':' ||
        !num(s + 14, 2, &mi) || s[16] != ':' || !num(s + 17, 2, &se) ||
        !valid_time(1, 1, h, mi, se))
        return 0;
    size_t i = 19;
    long us = 0;
    if (i < len && (s[i] == '.' || s[i] == ',')) {
        i++;
        int digits = 0;
        while (i < len && str_isdigit((unsigned char)s[i])) {
            if (digits < 6)
                us = us * 10 + (s[i] - '0');
            digits++;
            i++;
        }
        if (!digits)
            return 0;
        for (; digits < 6; digits++)
            us *= 10;
    }
    long long off = 0;
    if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i + 6 <= len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int oh, om;
        if (!num(s + i + 1, 2, &oh) || !num(s + i + 4, 2, &om) || oh > 23 || om > 59)
            return 0;
        off = (oh * 3600LL + om * 60LL) * (s[i] == '-' ? -1 : 1);
        i += 6;
    } else if (i + 5 <= len && (s[i] == '+' || s[i] == '-') && (i + 5 == len || s[i + 5] == ' ')) {
        /* ISO 8601's basic offset "+0100", as journalctl -o short-iso writes it */
        int oh, om;
        if (!num(s + i + 1, 2, &oh) || !num(s + i + 3, 2, &om) || oh > 23 || om > 59)
            return 0;
        off = (oh * 3600LL + om * 60LL) * (s[i] == '-' ? -1 : 1);
        i += 5;
    }
    *t = days * 86400LL + h * 3600LL + mi * 60LL + se - off;
    *usec = us;
    return i;
}

static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

/* parse_3164 - "Mmm dd HH:MM:SS" (day " 5", "05" or "5"); the bytes taken, 0 when none. */
static size_t parse_3164(const char *s, size_t len, log_year *ys, long long *t, long *usec)
{
    if (len < 15)
        return 0;
    int mon = 0;
    for (int m = 0; m < 12; m++)
        if (!memcmp(s, months + 3 * m, 3)) {
            mon = m + 1;
            break;
        }
    if (!mon || s[3] != ' ')
        return 0;
    size_t i = 4;
    int day;
    if (s[i] == ' ')
        i++;
    if (str_isdigit((unsigned char)s[i]) && str_isdigit((unsigned char)s[i + 1])) {
        num(s + i, 2, &day);
        i += 2;
    } else if (str_isdigit((unsigned char)s[i])) {
        day = s[i] - '0';
        i++;
    } else {
        return 0;
    }
    int h, mi, se;
    if (i + 9 > len || s[i] != ' ' || !num(s + i + 1, 2, &h) || s[i + 3] != ':' ||
        !num(s + i + 4, 2, &mi) || s[i + 6] != ':' || !num(s + i + 7, 2, &se) ||
        !valid_time(mon, day, h, mi, se))
        return 0;
    i += 9;
    long us = 0;
    if (i < len && s[i] == '.') {
        int digits = 0;
        for (i++; i < len && str_isdigit((unsigned char)s[i]); i++, digits++)
            if (digits < 6)
                us = us * 10 + (s[i] - '0');
        for (; digits < 6; digits++)
            us *= 10;
    }
    long long secs = h * 3600LL + mi * 60LL + se;
    if (ys->year) {
        /* an explicit year counts up when the months jump back (December to January) */
        if (ys->last_mon && mon + 6 <= ys->last_mon)
            ys->year++;
        ys->last_mon = mon;
        *t = date_days_from_civil(ys->year, (unsigned)mon, (unsigned)day) * 86400LL + secs;
    } else {
        long long ry = 1970;
        long long rd = ys->ref_time / 86400;
        /* the year of ref_time (civil from days) */
        long long z = rd + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
        long long doe = z - era * 146097;
        long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long long mp = (5 * doy + 2) / 153;
        ry = yoe + era * 400 + (mp >= 10);
        *t = date_days_from_civil(ry, (unsigned)mon, (unsigned)day) * 86400LL + secs;
        if (*t > ys->ref_time + 86400)
            *t = date_days_from_civil(ry - 1, (unsigned)mon, (unsigned)day) * 86400LL + secs;
        ys->last_mon = mon;
    }
    *usec = us;
    return i;
}

/* word - the run of non-blanks at *p (NUL put after it); NULL at the end of the line. */
static char *word(char **p, char *end)
{
    char *s = *p;
    if (s >= end || *s == ' ')
        return NULL;
    char *e = s;
    while (e < end && *e != ' ')
        e++;
    if (e >= end)
        return NULL;
    *e = 0;
    *p = e + 1;
    return s;
}

/* tag - "prog[pid]: msg" or "prog: msg" at p: fill prog, pid and msg. */
static void tag(char *p, char *end, mxd_log_line *out)
{
    char *s = p;
    while (p < end && *p != '[' && *p != ':' && *p != ' ')
        p++;
    if (p < end && *p == '[') {
        char *pid = p + 1, *q = pid;
        long v = 0;
        while (q < end && str_isdigit((unsigned char)*q) && q - pid < 10)
            v = v * 10 + (*q++ - '0');
        if (q < end && *q == ']' && q > pid) {
            *p = 0;
            out->prog = s;
            out->pid = v;
            p = q + 1;
        } else {
            p = s; /* not a pid: the whole rest is the message */
        }
    } else if (p < end && *p == ':') {
        *p = 0;
        out->prog = s;
        p++;
        if (p < end && *p == ' ')
            p++;
        out->msg = p;
        out->msglen = (size_t)(end - p);
        return;
    } else {
        p = s;
    }
    if (out->prog[0] && p < end && *p == ':') {
        p++;
        if (p < end && *p == ' ')
            p++;
    }
    out->msg = p;
    out->msglen = (size_t)(end - p);
}

/* frame_5424 - "1 TIMESTAMP HOST APP PROCID MSGID SD MSG" after the PRI. */
static int frame_5424(char *p, char *end, mxd_log_line *out)
{
    if (end - p < 2 || p[0] != '1' || p[1] != ' ')
        return 0;
    p += 2;
    if (*p == '-') {
        p++;
    } else {
        size_t n = log_parse_3339(p, (size_t)(end - p), &out->time, &out->usec);
        if (!n)
            return 0;
        p += n;
    }
    if (p >= end || *p != ' ')
        return 0;
    p++;
    char *host = word(&p, end), *app = host ? word(&p, end) : NULL;
    char *procid = app ? word(&p, end) : NULL, *msgid = procid ? word(&p, end) : NULL;
    if (!msgid)
        return 0;
    /* structured data: "-" or one or more [id k="v" ...] with \] escapes inside values */
    if (*p == '-') {
        p++;
    } else if (*p == '[') {
        while (p < end && *p == '[') {
            int quoted = 0;
            for (p++; p < end; p++) {
                if (quoted && *p == '\\' && p + 1 < end)
                    p++;
                else if (*p == '"')
                    quoted = !quoted;
                else if (!quoted && *p == ']')
                    break;
            }
            if (p >= end)
                return 0;
            p++;
        }
    } else {
        return 0;
    }
    if (p < end && *p == ' ')
        p++;
    if (end - p >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
        p += 3;
    out->host = strcmp(host, "-") ? host : "";
    out->prog = strcmp(app, "-") ? app : "";
    out->pid = -1;
    if (str_isdigit((unsigned char)procid[0])) {
        unsigned long v;
        if (!str_parse_uint(procid, strlen(procid), 2147483647UL, &v))
            out->pid = (long)v;
    }
    out->msg = p;
    out->msglen = (size_t)(end - p);
    out->framed = 1;
    return 1;
}

size_t log_compose_prefix(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && i < 128 &&
           (str_isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-' || s[i] == '.'))
        i++;
    if (!i || i >= len || s[i] != ' ')
        return 0;
    while (i < len && s[i] == ' ')
        i++;
    return i + 1 < len && s[i] == '|' && s[i + 1] == ' ' ? i + 2 : 0;
}

/* frame_at - frame the line from p on (line[0..len) is what an unframed line's msg is) */
static void frame_at(char *line, size_t len, char *p, log_year *ys, mxd_log_line *out)
{
    char *end = line + len;
    memset(out, 0, sizeof *out);
    out->host = out->prog = "";
    out->pid = -1;
    out->msg = line;
    out->msglen = len;
    if (p < end && *p == '<') {
        char *q = p + 1;
        while (q < end && q - p <= 4 && str_isdigit((unsigned char)*q))
            q++;
        if (q < end && *q == '>' && q > p + 1) {
            if (frame_5424(q + 1, end, out))
                return;
            p = q + 1;
        }
    }
    size_t n;
    if ((n = log_parse_3339_ys(p, (size_t)(end - p), ys, &out->time, &out->usec))) {
        int exim = p[10] == ' ';
        p += n;
        if (p >= end || *p != ' ')
            goto unframed;
        p++;
        if (exim) {
            /* Exim main log: "2023-01-01 10:00:00 [+0100] [pid] message" */
            if (end - p > 6 && (p[0] == '+' || p[0] == '-') && str_isdigit((unsigned char)p[1]) &&
                p[5] == ' ') {
                int oh, om;
                if (num(p + 1, 2, &oh) && num(p + 3, 2, &om))
                    out->time -= (oh * 3600LL + om * 60LL) * (p[0] == '-' ? -1 : 1);
                p += 6;
            }
            if (p < end && *p == '[') {
                char *q = p + 1;
                long v = 0;
                while (q < end && str_isdigit((unsigned char)*q) && q - p < 11)
                    v = v * 10 + (*q++ - '0');
                if (q < end - 1 && *q == ']' && q[1] == ' ') {
                    out->pid = v;
                    p = q + 2;
                }
            }
            out->prog = "exim";
            out->msg = p;
            out->msglen = (size_t)(end - p);
            out->framed = 1;
            return;
        }
        /* "docker logs -t" puts its own RFC 3339 stamp before the line's syslog stamp: the
         * outer one is kept (it has the year and the zone). (A month's capital first: most
         * lines have a host name there, and are not parsed twice.) */
        if (*p >= 'A' && *p <= 'Z') {
            long long t2;
            long us2;
            log_year inner = {0}; /* (the inner stamp's year is not wanted: ys stays) */
            size_t n2 = parse_3164(p, (size_t)(end - p), &inner, &t2, &us2);
            if (n2 && p + n2 < end && p[n2] == ' ')
                p += n2 + 1;
        }
    } else if ((n = parse_3164(p, (size_t)(end - p), ys, &out->time, &out->usec))) {
        p += n;
        if (p >= end || *p != ' ')
            goto unframed;
        p++;
    } else {
        goto unframed;
    }
    /* some syslog templates write "<facility.priority>" before the host */
    if (p < end && *p == '<') {
        char *q = memchr(p, '>', (size_t)(end - p) < 32 ? (size_t)(end - p) : 32);
        if (q && q + 1 < end && q[1] == ' ')
            p = q + 2;
    }
    char *host = word(&p, end);
    if (!host)
        goto unframed;
    out->host = host;
    tag(p, end, out);
    out->framed = 1;
    return;
unframed:
    memset(out, 0, sizeof *out);
    out->host = out->prog = "";
    out->pid = -1;
    out->msg = line;
    out->msglen = len;
}

void log_frame_syslog(char *line, size_t len, log_year *ys, mxd_log_line *out)
{
    frame_at(line, len, line, ys, out);
    /* a container's log as "docker compose logs" prints it, "service-1  | " before the line:
     * looked for only in a line no framing took (nothing was written into it then: its
     * first byte is no '<'), so that the others pay nothing */
    size_t k;
    if (!out->framed && (k = log_compose_prefix(line, len)) != 0)
        frame_at(line, len, line + k, ys, out);
}

mxd_err mxd_log_parse_time(const char *s, long long *t)
{
    size_t len = strlen(s);
    long us;
    int y, mo, d;
    if (len == 10 && num(s, 4, &y) && s[4] == '-' && num(s + 5, 2, &mo) && s[7] == '-' &&
        num(s + 8, 2, &d) && valid_time(mo, d, 0, 0, 0)) {
        *t = date_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400LL;
        return MXD_OK;
    }
    /* "YYYY-MM-DDTHH:MM" without seconds: add them */
    char tmp[64];
    if (len == 16 && s[13] == ':') {
        snprintf(tmp, sizeof tmp, "%s:00", s);
        s = tmp;
        len += 3;
    }
    if (log_parse_3339(s, len, t, &us) != len)
        return MXD_ERR_PARSE;
    return MXD_OK;
}
