/* util.c - column names, dates, text and addresses as the feed readers need them
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "feed/feed_internal.h"
#include "util/cidr.h"
#include "util/date.h"
#include "util/str.h"

void feed_key(const char *name, size_t len, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < FEED_KEY_MAX; i++)
        if (str_isalnum((unsigned char)name[i]))
            out[n++] = (char)str_tolower((unsigned char)name[i]);
    out[n] = 0;
}

long long feed_civil(int y, int m, int d, int h, int mi, int s)
{
    return date_days_from_civil(y, (unsigned)m, (unsigned)d) * 86400 + h * 3600LL + mi * 60LL + s;
}

static int days_in(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

/* num - up to max digits at *p into *v; the count read (0: none). */
static int num(const char **p, int max, int *v)
{
    int n = 0, x = 0;
    while (n < max && str_isdigit((unsigned char)**p)) {
        x = x * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    *v = x;
    return n;
}

static int valid(int y, int m, int d, int h, int mi, int s)
{
    return y >= 1970 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= days_in(y, m) && h >= 0 &&
           h <= 23 && mi >= 0 && mi <= 59 && s >= 0 && s <= 60;
}

int feed_time(const char *s, long long *t)
{
    int y = 0, m = 0, d = 0, h = 0, mi = 0, sec = 0;
    long long off = 0;
    const char *p = s;
    while (*p == ' ')
        p++;
    int a;
    if (num(&p, 4, &a) == 4 && *p == '-') { /* ISO 8601 */
        y = a;
        p++;
        if (num(&p, 2, &m) != 2 || *p++ != '-' || num(&p, 2, &d) != 2)
            return -1;
        if (*p == 'T' || *p == 't' || *p == ' ') {
            const char *q = p + 1;
            if (num(&q, 2, &h) == 2 && *q == ':') {
                q++;
                if (num(&q, 2, &mi) != 2)
                    return -1;
                if (*q == ':') {
                    q++;
                    if (num(&q, 2, &sec) != 2)
                        return -1;
                    if (*q == '.') {
                        q++;
                        int frac;
                        while (num(&q, 9, &frac) == 9)
                            ;
                    }
                }
                if (*q == 'Z' || *q == 'z') {
                    q++;
                } else if (*q == '+' || *q == '-') {
                    int sign = *q == '-' ? -1 : 1, oh, om = 0;
                    q++;
                    if (num(&q, 2, &oh) != 2)
                        return -1;
                    if (*q == ':')
                        q++;
                    num(&q, 2, &om);
                    off = sign * (oh * 3600LL + om * 60LL);
                }
                p = q;
            }
        }
    } else { /* M/D/YYYY [h:mm[:ss] [AM|PM]] */
        p = s;
        while (*p == ' ')
            p++;
        if (!num(&p, 2, &m) || *p++ != '/' || !num(&p, 2, &d) || *p++ != '/' || num(&p, 4, &y) != 4)
            return -1;
        while (*p == ' ')
            p++;
        if (str_isdigit((unsigned char)*p)) {
            if (!num(&p, 2, &h) || *p++ != ':' || num(&p, 2, &mi) != 2)
                return -1;
            if (*p == ':') {
                p++;
                if (num(&p, 2, &sec) != 2)
                    return -1;
            }
            while (*p == ' ')
                p++;
            int pm = (p[0] == 'P' || p[0] == 'p') && (p[1] == 'M' || p[1] == 'm');
            int am = (p[0] == 'A' || p[0] == 'a') && (p[1] == 'M' || p[1] == 'm');
            if (am || pm) {
                if (h < 1 || h > 12)
                    return -1;
                h = h % 12 + (pm ? 12 : 0);
                p += 2;
            }
        }
    }
    while (*p == ' ')
        p++;
    if (*p || !valid(y, m, d, h, mi, sec))
        return -1;
    *t = feed_civil(y, m, d, h, mi, sec) - off;
    return 0;
}

void feed_day(long long t, char *out)
{
    long long z = (t >= 0 ? t : t - 86399) / 86400 + 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long y = yoe + era * 400;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    long long d = doy - (153 * mp + 2) / 5 + 1;
    long long m = mp + (mp < 10 ? 3 : -9);
    y += m <= 2;
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", (int)(y % 10000), (int)m, (int)d);
    memcpy(out, tmp, 10);
    out[10] = 0;
}

int feed_valid_day(const char *s)
{
    int y, m, d;
    const char *p = s;
    if (num(&p, 4, &y) != 4 || *p++ != '-' || num(&p, 2, &m) != 2 || *p++ != '-' ||
        num(&p, 2, &d) != 2 || *p)
        return 0;
    return valid(y, m, d, 0, 0, 0);
}

char *feed_text(const char *s, size_t len, int *nomem)
{
    while (len && str_isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len && str_isspace((unsigned char)s[len - 1]))
        len--;
    if (!len)
        return NULL;
    char *o = malloc(len + 1);
    if (!o) {
        *nomem = 1;
        return NULL;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        o[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    o[len] = 0;
    /* bytes that are not UTF-8 (a Windows-1252 export) become '?': JSON takes only UTF-8 */
    size_t i = 0, bad;
    while (i < len && !str_utf8_valid(o + i, len - i, &bad)) {
        o[i + bad] = '?';
        i += bad + 1;
    }
    return o;
}

int feed_ip(const char *s, char *out)
{
    size_t len = strlen(s);
    while (len && str_isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len && str_isspace((unsigned char)s[len - 1]))
        len--;
    cidr_addr a;
    if (!len || cidr_parse_ip(s, len, &a) != 0)
        return -1;
    cidr_unmap(&a);
    cidr_format(&a, out, CIDR_TEXT_MAX);
    return 0;
}
