/* checkutil.c - findings lists and JSON helpers for the checks
 * SPDX-License-Identifier: MIT
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check/checkutil.h"
#include "util/buf.h"
#include "util/str.h"

/* Longest finding text kept. */
#define CHECKUTIL_TEXT_MAX 2048

/* mxd_severity_name - the severity word. */
const char *mxd_severity_name(mxd_severity s)
{
    return s == MXD_SEV_ERROR ? "error" : s == MXD_SEV_WARNING ? "warning" : "info";
}

/* mxd_findings_sort - stable insertion sort, worst first (lists are short). */
void mxd_findings_sort(mxd_finding *f, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        mxd_finding x = f[i];
        size_t j = i;
        while (j > 0 && f[j - 1].severity < x.severity) {
            f[j] = f[j - 1];
            j--;
        }
        f[j] = x;
    }
}

/* checkutil_finding - append one finding, unless the same one is already there. */
void checkutil_finding(checkutil_findings *l, mxd_severity sev, const char *area, const char *code,
                       const char *fix, const char *fmt, ...)
{
    char text[CHECKUTIL_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].code == code && !strcmp(l->v[i].text, text))
            return; /* the same finding reached twice (an include used twice) */
    if (l->n == l->alloc) {
        size_t na = l->alloc ? l->alloc * 2 : 8;
        mxd_finding *v = realloc(l->v, na * sizeof *v);
        if (!v) {
            l->nomem = 1;
            return;
        }
        l->v = v;
        l->alloc = na;
    }
    mxd_finding *f = &l->v[l->n];
    f->severity = sev;
    f->area = area;
    f->code = code;
    f->text = str_dup_n(text, strlen(text));
    f->fix = fix ? str_dup_n(fix, strlen(fix)) : NULL;
    if (!f->text || (fix && !f->fix)) {
        free(f->text);
        free(f->fix);
        l->nomem = 1;
        return;
    }
    l->n++;
}

/* checkutil_findings_free - texts and array. */
void checkutil_findings_free(mxd_finding *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].text);
        free(v[i].fix);
    }
    free(v);
}

/* checkutil_json_str - a string value that survives bad UTF-8. */
void *checkutil_json_str(const char *s)
{
    if (!s)
        return json_null();
    json_t *j = json_string(s);
    if (j)
        return j;
    size_t n = strlen(s);
    char *copy = str_dup_n(s, n);
    if (!copy)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)copy[i] >= 0x80 || (unsigned char)copy[i] < 0x20)
            copy[i] = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

/* checkutil_json_findings - the array. */
void *checkutil_json_findings(const mxd_finding *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_t *o = json_object();
        if (!o)
            break;
        json_object_set_new(o, "severity", json_string(mxd_severity_name(v[i].severity)));
        json_object_set_new(o, "area", json_string(v[i].area ? v[i].area : ""));
        json_object_set_new(o, "code", json_string(v[i].code ? v[i].code : ""));
        json_object_set_new(o, "text", checkutil_json_str(v[i].text));
        json_object_set_new(o, "fix", checkutil_json_str(v[i].fix));
        json_array_append_new(a, o);
    }
    return a;
}

/* checkutil_json_dump - serialise and release. */
char *checkutil_json_dump(void *obj, int pretty)
{
    json_t *o = obj;
    if (!o)
        return NULL;
    char *s = json_dumps(o, (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}
