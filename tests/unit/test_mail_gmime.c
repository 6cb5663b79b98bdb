/* test_mail_gmime.c - differential test: the structure scanner against GMime as the oracle
 * SPDX-License-Identifier: MIT
 *
 * For every message of the bounce corpus (../shared/corpus/bounces/maildir, skipped when
 * absent), of tests/fixtures/bounces and of the fuzz seeds (fuzz/corpus/fuzz_mime,
 * fuzz/corpus/fuzz_bounce), GMime builds its object tree and lib/mail/scan.c scans the raw
 * bytes; both trees are walked depth first and must agree part by part: content type,
 * multipart boundary, and for text/plain parts the decoded text (UTF-8, line ends and
 * trailing blanks normalised).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mail/mail_internal.h"

#define MAX_TREE 4096

typedef struct node {
    char type[MAIL_MAX_TYPE];
    char boundary[MAIL_MAX_BOUNDARY + 1];
    char *text; /* decoded text of text/plain leaves, or NULL */
} node;

typedef struct tree {
    node n[MAX_TREE];
    size_t len;
} tree;

static void tree_free(tree *t)
{
    for (size_t i = 0; i < t->len; i++)
        free(t->n[i].text);
    t->len = 0;
}

/* normalise - CR LF to LF, trailing blanks and line ends dropped. */
static char *normalise(const char *s, size_t len)
{
    char *o = malloc(len + 1);
    size_t k = 0;
    /* (a byte order mark opening a part is no text: the scanner drops it, GMime keeps it) */
    if (len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
        s += 3, len -= 3;
    for (size_t i = 0; i < len; i++)
        if (s[i] != '\r')
            o[k++] = s[i];
    while (k && (o[k - 1] == '\n' || o[k - 1] == ' ' || o[k - 1] == '\t'))
        k--;
    o[k] = 0;
    return o;
}

static int plain_charset(const char *cs)
{
    static const char *const ok[] = {"",           "us-ascii",    "utf-8",
                                     "iso-8859-1", "iso-8859-15", "windows-1252"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        if (!g_ascii_strcasecmp(cs ? cs : "", ok[i]))
            return 1;
    return 0;
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)g_ascii_tolower(*s);
}

/* --- GMime's tree --- */

static void gm_walk(GMimeObject *o, tree *t)
{
    if (!o || t->len >= MAX_TREE)
        return;
    node *n = &t->n[t->len++];
    memset(n, 0, sizeof *n);
    GMimeContentType *ct = g_mime_object_get_content_type(o);
    snprintf(n->type, sizeof n->type, "%s/%s", g_mime_content_type_get_media_type(ct),
             g_mime_content_type_get_media_subtype(ct));
    lower(n->type);
    if (GMIME_IS_MULTIPART(o)) {
        /* the parameter as written (g_mime_multipart_get_boundary invents one) */
        const char *b = g_mime_content_type_get_parameter(ct, "boundary");
        snprintf(n->boundary, sizeof n->boundary, "%s", b ? b : "");
        int cnt = g_mime_multipart_get_count(GMIME_MULTIPART(o));
        for (int i = 0; i < cnt; i++)
            gm_walk(g_mime_multipart_get_part(GMIME_MULTIPART(o), i), t);
    } else if (GMIME_IS_MESSAGE_PART(o)) {
        GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
        if (m)
            gm_walk(g_mime_message_get_mime_part(m), t);
    } else if (GMIME_IS_PART(o) && !strcmp(n->type, "text/plain")) {
        const char *cs = g_mime_content_type_get_parameter(ct, "charset");
        GMimeDataWrapper *w = g_mime_part_get_content(GMIME_PART(o));
        if (!w || !plain_charset(cs))
            return;
        GMimeStream *mem = g_mime_stream_mem_new();
        GMimeStream *f = g_mime_stream_filter_new(mem);
        if (cs && *cs && g_ascii_strcasecmp(cs, "utf-8") && g_ascii_strcasecmp(cs, "us-ascii")) {
            GMimeFilter *cf = g_mime_filter_charset_new(cs, "UTF-8");
            if (cf) {
                g_mime_stream_filter_add(GMIME_STREAM_FILTER(f), cf);
                g_object_unref(cf);
            }
        }
        g_mime_data_wrapper_write_to_stream(w, f);
        g_mime_stream_flush(f);
        GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
        if (g_utf8_validate((const char *)ba->data, (gssize)ba->len, NULL))
            n->text = normalise((const char *)ba->data, ba->len);
        g_object_unref(f);
        g_object_unref(mem);
    }
}

/* --- our tree --- */

static void mx_tree(const mail_scan *ms, tree *t)
{
    for (size_t i = 0; i < ms->nparts && t->len < MAX_TREE; i++) {
        const mail_part *p = &ms->parts[i];
        node *n = &t->n[t->len++];
        memset(n, 0, sizeof *n);
        snprintf(n->type, sizeof n->type, "%s", p->type);
        if (p->kind == MAIL_MULTIPART)
            snprintf(n->boundary, sizeof n->boundary, "%s", p->boundary);
        if (p->kind == MAIL_LEAF && !strcmp(p->type, "text/plain") && plain_charset(p->charset)) {
            buf b;
            buf_init(&b, 64u << 20);
            if (mail_decode_part(p, &b, NULL) == MXD_OK)
                n->text = normalise(b.ptr ? b.ptr : "", b.len);
            buf_free(&b);
        }
    }
}

static int compared, skipped, headers;

/* check_headers - every RFC 2047 header value of every part: our decoder (with the converter
 * cache) against g_mime_utils_header_decode_text (mail_decode_header without a cache). */
static int check_headers(const char *name, const mail_scan *ms)
{
    int diff = 0;
    mail_conv_cache cc;
    memset(&cc, 0, sizeof cc);
    buf v;
    buf_init(&v, MAIL_MAX_FIELD + 16);
    for (size_t i = 0; i < ms->nparts; i++) {
        size_t pos = 0, nl, vl;
        const char *n, *val;
        while (mail_header_next(ms->parts[i].hdr, ms->parts[i].hlen, &pos, &n, &nl, &val, &vl)) {
            buf_reset(&v);
            if (mail_unfold(val, vl, &v) != MXD_OK || !v.ptr || !strstr(v.ptr, "=?"))
                continue;
            char *mine = mail_decode_header(v.ptr, &cc);
            char *ref = mail_decode_header(v.ptr, NULL);
            headers++;
            /* GMime drops a character split across two encoded words; we join the words'
             * bytes first (RFC 2047 section 5 forbids the split, senders do it anyway) */
            int gmime_lost_tail =
                mine && ref && strlen(ref) < strlen(mine) && !strncmp(mine, ref, strlen(ref));
            if (!mine || !ref || (strcmp(mine, ref) && !gmime_lost_tail)) {
                fprintf(stderr, "%s: header %.*s: ours '%s', GMime '%s'\n", name, (int)nl, n,
                        mine ? mine : "(null)", ref ? ref : "(null)");
                diff++;
            }
            free(mine);
            free(ref);
        }
    }
    buf_free(&v);
    mail_conv_cache_free(&cc);
    return diff;
}

/* qp_padded - does the message hold a quoted-printable soft break with blanks after it? RFC
 * 2045 section 6.7 (3) makes those blanks transport padding, so "=" then blanks still joins the
 * lines: the scanner does so, GMime's decoder keeps the "=" and the line end. Such a message's
 * decoded text is not compared (the unit tests in test_mail.c hold the scanner's). */
static int qp_padded(const char *data, size_t len)
{
    for (size_t i = 0; i + 2 < len; i++)
        if (data[i] == '=' && (data[i + 1] == ' ' || data[i + 1] == '\t')) {
            size_t j = i + 1;
            while (j < len && (data[j] == ' ' || data[j] == '\t'))
                j++;
            if (j < len && (data[j] == '\n' || data[j] == '\r'))
                return 1;
        }
    return 0;
}

/* check_one - compare both trees for one message; returns the number of differences. */
static int check_one(const char *name, const char *data, size_t len)
{
    /* a message file kept in mbox form: the "From " line is not part of the message */
    if (len > 5 && !memcmp(data, "From ", 5)) {
        const char *nl = memchr(data, '\n', len);
        if (!nl)
            return 0;
        len -= (size_t)(nl + 1 - data);
        data = nl + 1;
    }
    GMimeStream *st = g_mime_stream_mem_new_with_buffer(data, len);
    GMimeParser *ps = g_mime_parser_new_with_stream(st);
    g_mime_parser_set_format(ps, GMIME_FORMAT_MESSAGE);
    GMimeMessage *msg = g_mime_parser_construct_message(ps, NULL);
    g_object_unref(ps);
    g_object_unref(st);
    if (!msg || !g_mime_message_get_mime_part(msg)) {
        skipped++;
        if (msg)
            g_object_unref(msg);
        return 0;
    }
    static tree a, b;
    gm_walk(g_mime_message_get_mime_part(msg), &a);
    g_object_unref(msg);
    mail_scan ms;
    mail_scan_init(&ms);
    assert_int_equal(mail_scan_run(&ms, data, len), MXD_OK);
    int diff = check_headers(name, &ms), padded = qp_padded(data, len);
    if (ms.limited) {
        skipped++; /* past our limits on purpose: GMime has none */
    } else {
        mx_tree(&ms, &b);
        compared++;
        if (a.len != b.len) {
            fprintf(stderr, "%s: GMime has %zu parts, the scanner %zu\n", name, a.len, b.len);
            diff++;
        }
        for (size_t i = 0; i < a.len && i < b.len; i++) {
            if (strcmp(a.n[i].type, b.n[i].type)) {
                fprintf(stderr, "%s: part %zu: GMime %s, scanner %s\n", name, i, a.n[i].type,
                        b.n[i].type);
                diff++;
            }
            if (strcmp(a.n[i].boundary, b.n[i].boundary)) {
                fprintf(stderr, "%s: part %zu: boundary GMime '%s', scanner '%s'\n", name, i,
                        a.n[i].boundary, b.n[i].boundary);
                diff++;
            }
            if (a.n[i].text && b.n[i].text && !padded && strcmp(a.n[i].text, b.n[i].text)) {
                fprintf(stderr,
                        "%s: part %zu: decoded text differs\n--- GMime:\n%.300s\n--- "
                        "scanner:\n%.300s\n",
                        name, i, a.n[i].text, b.n[i].text);
                diff++;
            }
        }
        tree_free(&b);
    }
    tree_free(&a);
    mail_scan_free(&ms);
    return diff;
}

/* check_dir - every regular file of a directory; returns the differences found. */
static int check_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int diffs = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        static char data[8 << 20];
        size_t n = fread(data, 1, sizeof data, f);
        fclose(f);
        diffs += check_one(path, data, n);
    }
    closedir(d);
    return diffs;
}

static void test_against_gmime(void **state)
{
    (void)state;
    const char *src = getenv("MXD_SOURCE_DIR");
    const char *shared = getenv("MXD_SHARED_DIR");
    char p[4096];
    int diffs = 0;
    if (src) {
        static const char *const dirs[] = {"tests/fixtures/bounces", "fuzz/corpus/fuzz_mime",
                                           "fuzz/corpus/fuzz_bounce"};
        for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
            snprintf(p, sizeof p, "%s/%s", src, dirs[i]);
            int d = check_dir(p);
            if (d > 0)
                diffs += d;
        }
    }
    if (shared) {
        snprintf(p, sizeof p, "%s/corpus/bounces/maildir", shared);
        int d = check_dir(p);
        if (d < 0)
            fprintf(stderr, "note: %s is absent: the corpus part is skipped\n", p);
        else
            diffs += d;
    }
    fprintf(stderr,
            "compared %d messages with GMime (%d skipped), %d RFC 2047 headers, %d differences\n",
            compared, skipped, headers, diffs);
    if (!compared)
        skip();
    assert_int_equal(diffs, 0);
}

int main(void)
{
    g_mime_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_gmime),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    g_mime_shutdown();
    return r;
}
