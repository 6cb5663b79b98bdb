/* check_util.c - helpers of the DNS checks: task counting, string vectors, JSON, names
 * SPDX-License-Identifier: MIT
 */
#include <arpa/inet.h>
#include "util/psl_dl.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check/check_internal.h"
#include "classify/explain_internal.h"
#include "util/str.h"

void task_done(check_task *t)
{
    if (t->pending && --t->pending == 0 && t->finish)
        t->finish(t);
}

int strv_push(char ***v, size_t *n, size_t max, const char *s)
{
    if (*n >= max)
        return 0;
    char **p = realloc(*v, (*n + 1) * sizeof *p);
    if (!p)
        return -1;
    *v = p;
    p[*n] = str_dup_n(s, strlen(s));
    if (!p[*n])
        return -1;
    (*n)++;
    return 0;
}

void strv_free(char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void check_warn(char ***v, size_t *n, const char *fmt, ...)
{
    char t[CHECK_WARN_TEXT];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t, sizeof t, fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*v)[i], t))
            return; /* said once is enough */
    strv_push(v, n, CHECK_MAX_WARN, t);
}

json_t *check_jstr(const char *s)
{
    /* a string from a DNS answer that is not UTF-8 keeps its valid parts, as explain's do */
    return explain_jstr(s);
}

json_t *check_jtri(int v)
{
    return v < 0 ? json_null() : json_boolean(v);
}

json_t *check_jstrv(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, check_jstr(v[i]));
    return a;
}

char *check_dump(json_t *o, int pretty)
{
    if (!o)
        return NULL;
    char *s = json_dumps(o, (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}

int check_registrable(const char *name, char *out, size_t outlen)
{
    char low[MXD_DNS_NAME_MAX + 2];
    size_t l = strlen(name);
    while (l && name[l - 1] == '.')
        l--;
    if (l == 0 || l >= sizeof low)
        return -1;
    for (size_t i = 0; i < l; i++)
        low[i] = (char)str_tolower((unsigned char)name[i]);
    low[l] = 0;
    const psl_ctx_t *psl = psl_builtin();
    const char *rd = NULL;
    if (psl) {
        rd = psl_registrable_domain(psl, low);
    } else { /* no built-in list: the last two labels */
        const char *d1 = strrchr(low, '.');
        if (d1) {
            rd = low;
            for (const char *p = d1 - 1; p >= low; p--)
                if (*p == '.') {
                    rd = p + 1;
                    break;
                }
        }
    }
    if (!rd || strlen(rd) >= outlen)
        return -1;
    memcpy(out, rd, strlen(rd) + 1);
    return 0;
}

int mxd_ip_valid(const char *s)
{
    unsigned char b[16];
    if (!s || strlen(s) >= 64)
        return 0;
    if (inet_pton(AF_INET, s, b) == 1)
        return 4;
    if (inet_pton(AF_INET6, s, b) == 1)
        return 6;
    return 0;
}

int mxd_domain_valid(const char *s)
{
    if (!s || mxd_ip_valid(s))
        return 0;
    size_t len = strlen(s);
    if (len && s[len - 1] == '.')
        len--;
    if (len == 0 || len > MXD_DNS_NAME_MAX)
        return 0;
    size_t lab = 0, labels = 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (lab == 0 || s[i - 1] == '-')
                return 0;
            lab = 0;
            labels++;
            continue;
        }
        if (!str_isalnum(c) && c != '-' && c != '_')
            return 0;
        if (c == '-' && lab == 0)
            return 0;
        if (++lab > 63)
            return 0;
    }
    if (lab == 0 || s[len - 1] == '-')
        return 0;
    /* the top-level label is not all digits (that would be an address-like name) */
    const char *tld = s + len;
    while (tld > s && tld[-1] != '.')
        tld--;
    int alldigit = 1;
    for (const char *p = tld; p < s + len; p++)
        alldigit &= str_isdigit((unsigned char)*p);
    return labels >= 2 && !alldigit;
}
