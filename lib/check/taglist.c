/* taglist.c - tag=value list parser for DKIM and DMARC records
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <string.h>
#include "check/taglist.h"
#include "util/str.h"

/* taglist_is_ws - folding white space characters. */
int taglist_is_ws(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* taglist_parse - RFC 6376 tag-list. */
int taglist_parse(const char *s, size_t len, taglist *out, char *why, size_t whylen)
{
    out->n = 0;
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && s[end] != ';')
            end++;
        size_t a = i, b = end;
        while (a < b && taglist_is_ws((unsigned char)s[a]))
            a++;
        while (b > a && taglist_is_ws((unsigned char)s[b - 1]))
            b--;
        i = end + 1;
        if (a == b)
            continue; /* empty spec */
        size_t n0 = a;
        if (!str_isalpha((unsigned char)s[a])) {
            snprintf(why, whylen, "bad tag name at '%.*s'", (int)(b - a > 40 ? 40 : b - a), s + a);
            return -1;
        }
        while (a < b && (str_isalnum((unsigned char)s[a]) || s[a] == '_'))
            a++;
        size_t nlen = a - n0;
        while (a < b && taglist_is_ws((unsigned char)s[a]))
            a++;
        if (a >= b || s[a] != '=') {
            snprintf(why, whylen, "tag '%.*s' has no '=' or a bad name",
                     (int)(b - n0 > 40 ? 40 : b - n0), s + n0);
            return -1;
        }
        a++;
        while (a < b && taglist_is_ws((unsigned char)s[a]))
            a++;
        for (size_t k = a; k < b; k++) {
            unsigned char c = (unsigned char)s[k];
            if (!taglist_is_ws(c) && (c < 0x21 || c > 0x7e)) {
                snprintf(why, whylen, "invalid character 0x%02x in the value of tag '%.*s'", c,
                         (int)(nlen > 40 ? 40 : nlen), s + n0);
                return -1;
            }
        }
        for (size_t k = 0; k < out->n; k++) {
            if (out->t[k].nlen == nlen && !memcmp(out->t[k].name, s + n0, nlen)) {
                snprintf(why, whylen, "tag '%.*s' appears twice", (int)(nlen > 40 ? 40 : nlen),
                         s + n0);
                return -1;
            }
        }
        if (out->n == TAGLIST_MAX) {
            snprintf(why, whylen, "more than %d tags", TAGLIST_MAX);
            return -1;
        }
        taglist_tag *t = &out->t[out->n++];
        t->name = s + n0;
        t->nlen = nlen;
        t->val = s + a;
        t->vlen = b - a;
    }
    return 0;
}

/* taglist_get - find a tag by name. */
const taglist_tag *taglist_get(const taglist *l, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < l->n; i++)
        if (l->t[i].nlen == nl && !memcmp(l->t[i].name, name, nl))
            return &l->t[i];
    return NULL;
}
