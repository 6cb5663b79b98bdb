/* decode.c - decode the parts a bounce needs: transfer encodings, charsets, RFC 2047, HTML
 * SPDX-License-Identifier: MIT
 *
 * Base64 and quoted-printable go through GMime's step decoders, charsets through GMime's
 * iconv wrapper (which knows the aliases mail uses), RFC 2047 words through
 * g_mime_utils_header_decode_text(). Output is capped at MAIL_MAX_DECODED per part.
 *
 * GMime (and with it GLib, GObject and GIO) is not linked: it is loaded with dlopen() the
 * first time a part or header needs one of its functions (util/dl.h), and called through a
 * table of pointers typed from <gmime/gmime.h>. Text that is 7-bit, UTF-8 or without an
 * encoding never loads it. When it cannot be loaded, the decoders return MXD_ERR_NOLIB and
 * set the cache's nolib flag: the bounce parser then fails that message.
 */
#include <gmime/gmime.h>
#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include "mail/mail_internal.h"
#include "util/dl.h"
#include "util/str.h"

#define DECODE_CHUNK 65536 /* input bytes decoded per step */

/* --- GMime, loaded on first use ---------------------------------------------------------- */

dl_lib mail_gmime_lib = {"libgmime-3.0.so.0",
                         "to decode MIME: base64, quoted-printable, charsets, RFC 2047", NULL, NULL,
                         ""};

static struct {
    __typeof__(g_mime_init) *init;
    __typeof__(g_mime_utils_header_decode_text) *header_decode_text;
    __typeof__(g_mime_encoding_base64_decode_step) *base64_decode_step;
    __typeof__(g_mime_encoding_quoted_decode_step) *quoted_decode_step;
    __typeof__(g_mime_iconv_open) *conv_open;
    __typeof__(g_mime_iconv_close) *conv_close;
    __typeof__(g_free) *gfree; /* GLib's, found through GMime's dependencies */
} gm;
static int gm_loaded;
static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void gmime_load_once(void)
{
    dl_lib *l = &mail_gmime_lib;
    if (dl_open(l))
        return;
    DL_SYM(l, gm.init, "g_mime_init");
    DL_SYM(l, gm.header_decode_text, "g_mime_utils_header_decode_text");
    DL_SYM(l, gm.base64_decode_step, "g_mime_encoding_base64_decode_step");
    DL_SYM(l, gm.quoted_decode_step, "g_mime_encoding_quoted_decode_step");
    DL_SYM(l, gm.conv_open, "g_mime_iconv_open");
    DL_SYM(l, gm.conv_close, "g_mime_iconv_close");
    DL_SYM(l, gm.gfree, "g_free");
    if (dl_done(l))
        return;
    gm.init();
    gm_loaded = 1;
}

int mail_gmime_load(void)
{
    pthread_once(&gmime_once, gmime_load_once);
    return gm_loaded;
}

/* no_gmime - GMime is needed and cannot be loaded: say so in the cache. */
static mxd_err no_gmime(mail_conv_cache *cc)
{
    if (cc)
        cc->nolib = 1;
    return MXD_ERR_NOLIB;
}

/* is_ascii_or_utf8_name - charsets copied as they are. */
static int passthrough_charset(const char *cs)
{
    static const char *const names[] = {"",        "us-ascii",       "ascii", "utf-8",
                                        "utf8",    "ansi_x3.4-1968", "7bit",  "8bit",
                                        "unknown", "x-unknown"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(cs, names[i]))
            return 1;
    return 0;
}

/* ascii_prefix - length of the leading run of 7-bit bytes (64, 16 or 8 at a time). */
static size_t ascii_prefix(const char *s, size_t len)
{
    size_t i = 0;
#ifdef __SSE2__
    while (len - i >= 64) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 16));
        __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 32));
        __m128i d = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 48));
        if (_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, d))))
            break;
        i += 64;
    }
    while (len - i >= 16) {
        unsigned m =
            (unsigned)_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(const void *)(s + i)));
        if (m)
            return i + (size_t)__builtin_ctz(m);
        i += 16;
    }
#endif
    while (len - i >= 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080ull)
            break;
        i += 8;
    }
    while (i < len && (unsigned char)s[i] < 0x80)
        i++;
    return i;
}

/* add_clean_utf8 - append s, replacing bytes that are not valid UTF-8 with '?'. Runs of
 * 7-bit bytes are passed over in blocks; valid text is appended in one piece. */
static mxd_err add_clean_utf8(buf *out, const char *s, size_t len)
{
    size_t i = 0, done = 0; /* s[done..i) is valid and not appended yet */
    mxd_err e = MXD_OK;
    while (!e) {
        i += ascii_prefix(s + i, len - i);
        if (i >= len)
            break;
        unsigned char c = (unsigned char)s[i];
        size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        int ok = n && i + n <= len && !(n == 2 && c < 0xC2);
        for (size_t k = 1; ok && k < n; k++)
            ok = ((unsigned char)s[i + k] & 0xC0) == 0x80;
        if (ok) {
            i += n;
            continue;
        }
        if (i > done)
            e = buf_add(out, s + done, i - done);
        if (!e)
            e = buf_addc(out, '?');
        done = ++i;
    }
    if (!e && len > done)
        e = buf_add(out, s + done, len - done);
    return e;
}

void mail_conv_cache_free(mail_conv_cache *c)
{
    for (unsigned i = 0; i < c->n; i++)
        if (c->e[i].cd != (void *)-1)
            gm.conv_close((iconv_t)c->e[i].cd); /* (opened: GMime is loaded) */
    c->n = c->next = 0;
}

/* conv_get - an open converter from charset to UTF-8 (from the cache when there is one) in
 * *cdp, (iconv_t)-1 for an unknown charset. *owned says the caller must close it. MXD_OK, or
 * MXD_ERR_NOLIB when GMime cannot be loaded. */
static mxd_err conv_get(mail_conv_cache *cc, const char *charset, iconv_t *cdp, int *owned)
{
    *owned = 0;
    if (cc) {
        for (unsigned i = 0; i < cc->n; i++)
            if (!strcmp(cc->e[i].charset, charset)) {
                iconv_t cd = (iconv_t)cc->e[i].cd;
                if (cd != (iconv_t)-1)
                    iconv(cd, NULL, NULL, NULL, NULL); /* back to the initial state */
                *cdp = cd;
                return MXD_OK;
            }
    }
    if (!mail_gmime_load())
        return no_gmime(cc);
    iconv_t cd = gm.conv_open("UTF-8", charset);
    *cdp = cd;
    if (!cc || strlen(charset) >= MAIL_MAX_CHARSET) {
        *owned = cd != (iconv_t)-1;
        return MXD_OK;
    }
    unsigned slot;
    if (cc->n < MAIL_CONV_CACHE) {
        slot = cc->n++;
    } else {
        slot = cc->next++ % MAIL_CONV_CACHE;
        if (cc->e[slot].cd != (void *)-1)
            gm.conv_close((iconv_t)cc->e[slot].cd);
    }
    memcpy(cc->e[slot].charset, charset, strlen(charset) + 1);
    cc->e[slot].cd = (void *)cd;
    return MXD_OK;
}

/* stateful_7bit - charsets written in 7-bit bytes that still need converting. */
static int stateful_7bit(const char *cs)
{
    return !strncmp(cs, "iso-2022", 8) || strstr(cs, "utf-7") || !strcmp(cs, "hz-gb-2312");
}

mxd_err mail_to_utf8(const char *s, size_t len, const char *charset, buf *out, mail_conv_cache *cc)
{
    if (!charset || passthrough_charset(charset))
        return add_clean_utf8(out, s, len);
    if (ascii_prefix(s, len) == len && !stateful_7bit(charset))
        return len ? buf_add(out, s, len) : MXD_OK; /* 7-bit: UTF-8 as it is */
    int owned;
    iconv_t cd;
    if (conv_get(cc, charset, &cd, &owned))
        return MXD_ERR_NOLIB;
    if (cd == (iconv_t)-1)
        return add_clean_utf8(out, s, len);
    char tmp[8192];
    char *in = (char *)s;
    size_t inleft = len;
    mxd_err e = MXD_OK;
    /* ISO-2022 is 7-bit: an 8-bit byte is refused where it stands, whatever the shift state,
     * and leaves the state as it was; a run of them gets its '?'s without asking iconv again
     * for each (text in another charset labelled ISO-2022-JP made one call per byte) */
    int seven = !strncmp(charset, "iso-2022", 8);
    while (inleft && !e) {
        char *o = tmp;
        size_t oleft = sizeof tmp;
        size_t r = iconv(cd, &in, &inleft, &o, &oleft);
        e = buf_add(out, tmp, sizeof tmp - oleft);
        if (r == (size_t)-1 && !e) {
            if (errno == E2BIG)
                continue;
            /* a byte that does not convert: '?' and go on */
            e = buf_addc(out, '?');
            if (inleft) {
                in++;
                inleft--;
            }
            while (seven && inleft && (unsigned char)*in >= 0x80 && !e) {
                e = buf_addc(out, '?');
                in++;
                inleft--;
            }
        }
    }
    if (!e) {
        char *o = tmp;
        size_t oleft = sizeof tmp;
        iconv(cd, NULL, NULL, &o, &oleft);
        e = buf_add(out, tmp, sizeof tmp - oleft);
    }
    if (owned)
        gm.conv_close(cd);
    return e;
}

/* qp_unpad - body[0..blen) with the blanks at the end of each line taken away, into dst (blen
 * bytes at least); the length. RFC 2045 section 6.7 rule (3): trailing white space on a
 * quoted-printable line is transport padding that a decoder must delete, so "=" then blanks
 * at a line's end is still a soft line break (GMime's step decoder keeps the "=" there). */
static size_t qp_unpad(const char *body, size_t blen, char *dst)
{
    size_t n = 0, run = 0; /* (run: blanks copied but not yet known to stand inside a line) */
    for (size_t i = 0; i < blen; i++) {
        char c = body[i];
        if (c == ' ' || c == '\t') {
            dst[n++] = c;
            run++;
            continue;
        }
        if (c == '\n' || (c == '\r' && i + 1 < blen && body[i + 1] == '\n'))
            n -= run;
        run = 0;
        dst[n++] = c;
    }
    return n - run;
}

/* qp_padded - does a line of body[0..blen) end in a blank (qp_unpad() has work to do)? Most
 * quoted-printable parts have none: their lines are looked at by memchr() only. */
static int qp_padded(const char *body, size_t blen)
{
    const char *end = body + blen;
    for (const char *p = body; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++) {
        const char *q = p > body && p[-1] == '\r' ? p - 1 : p;
        if (q > body && (q[-1] == ' ' || q[-1] == '\t'))
            return 1;
    }
    return blen && (end[-1] == ' ' || end[-1] == '\t');
}

mxd_err mail_decode_body(const char *body, size_t blen, int cte, const char *charset, buf *out,
                         mail_conv_cache *cc)
{
    if (blen > MAIL_MAX_DECODED * 2)
        blen = MAIL_MAX_DECODED * 2;
    buf raw;
    buf_init(&raw, MAIL_MAX_DECODED + DECODE_CHUNK * 2);
    const char *src = body;
    size_t slen = blen;
    mxd_err e = MXD_OK;
    if ((cte == MAIL_CTE_BASE64 || cte == MAIL_CTE_QP) && !mail_gmime_load())
        return no_gmime(cc);
    if (cte == MAIL_CTE_BASE64 || cte == MAIL_CTE_QP) {
        unsigned char *tmp = malloc(DECODE_CHUNK + 8);
        int pad = cte == MAIL_CTE_QP && qp_padded(body, blen);
        char *unpadded = pad ? malloc(blen ? blen : 1) : NULL;
        if (!tmp || (pad && !unpadded)) {
            free(tmp);
            free(unpadded);
            return MXD_ERR_NOMEM;
        }
        if (unpadded) {
            blen = qp_unpad(body, blen, unpadded);
            body = unpadded;
        }
        int state = 0;
        guint32 save = 0;
        for (size_t i = 0; i < blen && !e && raw.len < MAIL_MAX_DECODED; i += DECODE_CHUNK) {
            size_t n = blen - i < DECODE_CHUNK ? blen - i : DECODE_CHUNK;
            size_t w =
                cte == MAIL_CTE_BASE64
                    ? gm.base64_decode_step((const unsigned char *)body + i, n, tmp, &state, &save)
                    : gm.quoted_decode_step((const unsigned char *)body + i, n, tmp, &state, &save);
            e = buf_add(&raw, tmp, w);
        }
        free(tmp);
        free(unpadded);
        if (e) {
            buf_free(&raw);
            return e == MXD_ERR_TOOBIG ? MXD_OK : e;
        }
        src = raw.ptr ? raw.ptr : "";
        slen = raw.len;
    }
    if (slen > MAIL_MAX_DECODED)
        slen = MAIL_MAX_DECODED;
    size_t start = out->len;
    e = mail_to_utf8(src, slen, charset, out, cc);
    buf_free(&raw);
    /* a byte order mark opening the part is no text of it (Windows mailers write one: it
     * stood in front of the first address, "\xef\xbb\xbfpierre@example.fr") */
    if (out->ptr && out->len - start >= 3 && !memcmp(out->ptr + start, "\xef\xbb\xbf", 3)) {
        memmove(out->ptr + start, out->ptr + start + 3, out->len - start - 3);
        out->len -= 3;
        out->ptr[out->len] = 0;
    }
    return e;
}

mxd_err mail_decode_part(const mail_part *p, buf *out, mail_conv_cache *cc)
{
    return mail_decode_body(p->body, p->blen, p->cte, p->charset, out, cc);
}

mxd_err mail_decode_text(const mail_part *p, buf *out, mail_conv_cache *cc)
{
    size_t start = out->len;
    mxd_err e = mail_decode_part(p, out, cc);
    if (p->flowed)
        mail_unflow(out, start, p->flowed);
    return e;
}

/* decode_words - RFC 2047 encoded words decoded with GMime's base64 step decoder and the
 * cached converters (GMime's own header decoder opens a converter for every call, which
 * costs more than the decoding). Adjacent words of one charset are joined before the
 * conversion, so a character split across two words survives; blanks between encoded words
 * are dropped (RFC 2047 section 6.2). Returns NULL when a word is malformed: the caller then
 * asks GMime. */
static char *decode_words(const char *v, mail_conv_cache *cc)
{
    buf out, raw;
    buf_init(&out, MAIL_MAX_FIELD * 4);
    buf_init(&raw, MAIL_MAX_FIELD + 16);
    char cs[MAIL_MAX_CHARSET] = "", pending_cs[MAIL_MAX_CHARSET] = "";
    const char *p = v;
    int prev_word = 0;
    mxd_err e = MXD_OK;
    while (*p && !e) {
        const char *w = strstr(p, "=?");
        const char *lit_end = w ? w : p + strlen(p);
        /* a literal run: kept, unless it is only blanks between two encoded words */
        int blanks = 1;
        for (const char *q = p; q < lit_end; q++)
            blanks &= (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n');
        if (lit_end > p && !(blanks && prev_word && w)) {
            if (raw.len) {
                e = mail_to_utf8(raw.ptr, raw.len, pending_cs, &out, cc);
                buf_reset(&raw);
            }
            if (!e)
                e = add_clean_utf8(&out, p, (size_t)(lit_end - p));
            prev_word = 0;
        }
        if (!w)
            break;
        /* =?charset[*lang]?enc?text?= */
        const char *c = w + 2, *q1 = strchr(c, '?');
        if (!q1 || q1 - c >= MAIL_MAX_CHARSET || !q1[1] || q1[2] != '?') {
            buf_free(&out);
            buf_free(&raw);
            return NULL;
        }
        const char *t = q1 + 3, *end = strstr(t, "?=");
        int enc = str_tolower((unsigned char)q1[1]);
        if (!end || (enc != 'b' && enc != 'q') || memchr(t, ' ', (size_t)(end - t))) {
            buf_free(&out);
            buf_free(&raw);
            return NULL;
        }
        size_t cl = (size_t)(q1 - c);
        const char *star = memchr(c, '*', cl);
        if (star)
            cl = (size_t)(star - c);
        for (size_t k = 0; k < cl; k++)
            cs[k] = (char)str_tolower((unsigned char)c[k]);
        cs[cl] = 0;
        if (raw.len && strcmp(cs, pending_cs)) {
            e = mail_to_utf8(raw.ptr, raw.len, pending_cs, &out, cc);
            buf_reset(&raw);
        }
        memcpy(pending_cs, cs, cl + 1);
        size_t tl = (size_t)(end - t);
        if (!e && enc == 'b') {
            unsigned char tmp[MAIL_MAX_FIELD];
            if (tl > sizeof tmp)
                tl = sizeof tmp;
            int state = 0;
            guint32 save = 0;
            size_t n = gm.base64_decode_step((const unsigned char *)t, tl, tmp, &state, &save);
            e = buf_add(&raw, tmp, n);
        } else {
            for (size_t k = 0; k < tl && !e; k++) {
                int ch = (unsigned char)t[k];
                if (ch == '_')
                    ch = ' ';
                else if (ch == '=' && k + 2 < tl && str_hexval((unsigned char)t[k + 1]) >= 0 &&
                         str_hexval((unsigned char)t[k + 2]) >= 0) {
                    ch = str_hexval((unsigned char)t[k + 1]) * 16 +
                         str_hexval((unsigned char)t[k + 2]);
                    k += 2;
                }
                e = buf_addc(&raw, (char)ch);
            }
        }
        prev_word = 1;
        p = end + 2;
    }
    if (!e && raw.len)
        e = mail_to_utf8(raw.ptr, raw.len, pending_cs, &out, cc);
    buf_free(&raw);
    if (!e && !out.ptr)
        e = buf_add(&out, "", 0);
    if (e) {
        buf_free(&out);
        return NULL;
    }
    return buf_steal(&out);
}

/* clean_copy - value as cleaned UTF-8, "" when memory runs out. */
static char *clean_copy(const char *value)
{
    buf b;
    buf_init(&b, MAIL_MAX_FIELD + 16);
    if (add_clean_utf8(&b, value, strlen(value)) || !b.ptr) {
        buf_free(&b);
        return str_dup_n("", 0);
    }
    return buf_steal(&b);
}

char *mail_decode_header(const char *value, mail_conv_cache *cc)
{
    if (!strstr(value, "=?"))
        return clean_copy(value);
    if (!mail_gmime_load()) {
        no_gmime(cc);
        return clean_copy(value); /* the words as they are written */
    }
    if (cc) {
        char *fast = decode_words(value, cc);
        if (fast)
            return fast;
    }
    char *g = gm.header_decode_text(NULL, value);
    if (!g)
        return NULL;
    buf b;
    buf_init(&b, MAIL_MAX_FIELD * 4);
    mxd_err e = add_clean_utf8(&b, g, strlen(g));
    gm.gfree(g);
    if (e || !b.ptr) {
        buf_free(&b);
        return str_dup_n("", 0);
    }
    return buf_steal(&b);
}

/* entity - decode "&name;" / "&#NN;" at s (len bytes left); returns bytes consumed (0 when
 * not an entity) and the text in out. */
static size_t entity(const char *s, size_t len, char *out, size_t *olen)
{
    static const struct {
        const char *n;
        const char *t;
    } tab[] = {{"&nbsp;", " "},  {"&lt;", "<"},  {"&gt;", ">"},  {"&amp;", "&"},
               {"&quot;", "\""}, {"&#39;", "'"}, {"&apos;", "'"}};
    for (size_t i = 0; i < sizeof tab / sizeof *tab; i++) {
        size_t l = strlen(tab[i].n);
        if (len >= l && str_caseeq(s, l, tab[i].n)) {
            *olen = strlen(tab[i].t);
            memcpy(out, tab[i].t, *olen);
            return l;
        }
    }
    if (len >= 4 && s[1] == '#') {
        /* "&#39;" decimal, "&#x27;" hexadecimal (HTML 4.01 section 5.3.1) */
        int hex = s[2] == 'x' || s[2] == 'X';
        size_t j = hex ? 3 : 2, first = j;
        unsigned long v = 0;
        while (j + 1 < len && s[j] == '0' && s[j + 1] != ';')
            j++; /* (leading zeros: "&#x0000000041;") */
        size_t digits = j;
        while (j < len && j < digits + 7) {
            int d = str_isdigit((unsigned char)s[j])    ? s[j] - '0'
                    : hex && s[j] >= 'a' && s[j] <= 'f' ? s[j] - 'a' + 10
                    : hex && s[j] >= 'A' && s[j] <= 'F' ? s[j] - 'A' + 10
                                                        : -1;
            if (d < 0)
                break;
            v = v * (hex ? 16 : 10) + (unsigned long)d;
            j++;
        }
        if (v == 0xA0) /* (a no-break space is a blank, as &nbsp; is) */
            v = ' ';
        size_t n = j > first && j < len && s[j] == ';' ? str_utf8_put(v, out) : 0;
        if (n) {
            *olen = n;
            return j + 1;
        }
        return 0;
    }
    /* the Latin-1 names of HTML 4.01 (section 24.2: code points 160 to 255, in order), which
     * notices in French, German, Spanish ... write ("r&eacute;pondu") */
    static const char *const latin1[96] = {
        "nbsp",   "iexcl",  "cent",   "pound",  "curren", "yen",    "brvbar", "sect",   "uml",
        "copy",   "ordf",   "laquo",  "not",    "shy",    "reg",    "macr",   "deg",    "plusmn",
        "sup2",   "sup3",   "acute",  "micro",  "para",   "middot", "cedil",  "sup1",   "ordm",
        "raquo",  "frac14", "frac12", "frac34", "iquest", "Agrave", "Aacute", "Acirc",  "Atilde",
        "Auml",   "Aring",  "AElig",  "Ccedil", "Egrave", "Eacute", "Ecirc",  "Euml",   "Igrave",
        "Iacute", "Icirc",  "Iuml",   "ETH",    "Ntilde", "Ograve", "Oacute", "Ocirc",  "Otilde",
        "Ouml",   "times",  "Oslash", "Ugrave", "Uacute", "Ucirc",  "Uuml",   "Yacute", "THORN",
        "szlig",  "agrave", "aacute", "acirc",  "atilde", "auml",   "aring",  "aelig",  "ccedil",
        "egrave", "eacute", "ecirc",  "euml",   "igrave", "iacute", "icirc",  "iuml",   "eth",
        "ntilde", "ograve", "oacute", "ocirc",  "otilde", "ouml",   "divide", "oslash", "ugrave",
        "uacute", "ucirc",  "uuml",   "yacute", "thorn",  "yuml"};
    size_t k = 1;
    while (k < len && k < 8 && str_isalnum((unsigned char)s[k]))
        k++;
    if (k < len && s[k] == ';' && k > 1)
        for (size_t i = 1; i < 96; i++) /* (0, nbsp: above, a blank) */
            if (strlen(latin1[i]) == k - 1 && !memcmp(s + 1, latin1[i], k - 1)) {
                *olen = str_utf8_put(160 + i, out);
                return k + 1;
            }
    return 0;
}

/* field_line - does l[0..n) open like a header or delivery-status field ("Action: failed",
 * "Final-Recipient: ..."): a capitalised name with a '-' in it, or one of the single-word names
 * a notice's fields and a message's header use, then a colon and a blank? (Not prose wrapped
 * before "Press: ...", nor the rest of a word a delsp=yes break cut, "ected: ...") */
static int field_line(const char *l, size_t n)
{
    static const char *const words[] = {"Action", "Status",  "From", "To",
                                        "Cc",     "Subject", "Date", "Received"};
    size_t k = 0;
    int dash = 0;
    if (!n || l[0] < 'A' || l[0] > 'Z')
        return 0;
    while (k < n && k < 40 && (str_isalnum((unsigned char)l[k]) || l[k] == '-'))
        dash |= l[k++] == '-';
    if (k >= n || l[k] != ':' || (k + 1 < n && l[k + 1] != ' ' && l[k + 1] != '\t'))
        return 0;
    for (size_t i = 0; !dash && i < sizeof words / sizeof *words; i++)
        dash = strlen(words[i]) == k && !memcmp(l, words[i], k);
    return dash;
}

void mail_unflow(buf *b, size_t from, int flags)
{
    if (!b->ptr || from >= b->len)
        return;
    char *s = b->ptr;
    size_t r = from, w = from, n = b->len, open_depth = 0;
    int open = 0; /* the last line read was flowed: this one goes on with it */
    while (r < n) {
        size_t e = r;
        while (e < n && s[e] != '\n')
            e++;
        size_t end = e > r && s[e - 1] == '\r' ? e - 1 : e;
        size_t q = r;
        while (q < end && s[q] == '>')
            q++;
        size_t depth = q - r, c = q;
        if (c < end && s[c] == ' ')
            c++; /* space-stuffing, or the blank after the quote marks */
        /* quote depth changed: the flowed line was the last (4.5); nor does a field go on
         * with the line before it (blanks a gateway added at the ends of a delivery-status
         * block's lines are no soft breaks: "a@b " then "Action: failed") */
        if (open && (depth != open_depth || field_line(s + c, end - c))) {
            s[w++] = '\n';
            open = 0;
        }
        /* a new line keeps its quote marks (and the blank after them) as written; an
         * unquoted one loses its stuffing; a line that goes on with the one before adds
         * only its text */
        size_t at = open || !depth ? c : r;
        int flowed = end > c && s[end - 1] == ' ' && !(end - c == 3 && !memcmp(s + c, "-- ", 3));
        size_t stop = flowed && (flags & MAIL_DELSP) ? end - 1 : end;
        memmove(s + w, s + at, stop - at);
        w += stop - at;
        open = flowed;
        open_depth = depth;
        if (!flowed && e < n)
            s[w++] = '\n';
        r = e < n ? e + 1 : n;
    }
    if (open && w < n)
        s[w++] = '\n';
    s[w] = 0; /* (w <= n: inside the buffer, which keeps a NUL after its text) */
    b->len = w;
}

mxd_err mail_html_to_text(const char *s, size_t len, buf *out)
{
    static const char *const blocks[] = {"br",     "p",   "div",   "tr",  "li",   "h1",
                                         "h2",     "h3",  "table", "/p",  "/div", "/tr",
                                         "/table", "/h1", "/h2",   "/h3", "/li",  "/td"};
    mxd_err e = MXD_OK;
    size_t i = 0;
    while (i < len && !e) {
        char c = s[i];
        if (c == '<') {
            const char *gt = memchr(s + i, '>', len - i);
            size_t tend = gt ? (size_t)(gt - s) : len;
            /* <style> and <script>: drop their content */
            size_t tl = tend - i - 1;
            if ((tl >= 5 && str_caseeq(s + i + 1, 5, "style")) ||
                (tl >= 6 && str_caseeq(s + i + 1, 6, "script"))) {
                const char *close = str_casefind(s + tend, len - tend, "</", 2);
                while (close &&
                       !(str_casefind(close, (size_t)(s + len - close), "style", 5) == close + 2 ||
                         str_casefind(close, (size_t)(s + len - close), "script", 6) == close + 2))
                    close = str_casefind(close + 2, (size_t)(s + len - close - 2), "</", 2);
                if (close) {
                    const char *g2 = memchr(close, '>', (size_t)(s + len - close));
                    i = g2 ? (size_t)(g2 - s) + 1 : len;
                    continue;
                }
            }
            for (size_t k = 0; k < sizeof blocks / sizeof *blocks; k++) {
                size_t bl = strlen(blocks[k]);
                if (tl >= bl && str_caseeq(s + i + 1, bl, blocks[k]) &&
                    (tl == bl || !str_isalnum((unsigned char)s[i + 1 + bl]))) {
                    e = buf_addc(out, '\n');
                    break;
                }
            }
            if (!e && tl >= 2 && str_caseeq(s + i + 1, 2, "td"))
                e = buf_addc(out, ' ');
            i = gt ? tend + 1 : len;
            continue;
        }
        if (c == '&') {
            char t[8];
            size_t tl;
            size_t used = entity(s + i, len - i, t, &tl);
            if (used) {
                e = buf_add(out, t, tl);
                i += used;
                continue;
            }
        }
        if (c == '\r') {
            i++;
            continue;
        }
        /* (the blanks and line ends of the source after a block's line break: no text of the
         * next line, whose fields would read as a folded continuation, "Action: failed<br>\n
         * Status: 5.1.1") */
        if ((c == '\n' || c == ' ' || c == '\t') && out->len && out->ptr[out->len - 1] == '\n') {
            i++;
            continue;
        }
        e = buf_addc(out, c == '\n' ? ' ' : c);
        i++;
    }
    if (!e && !out->ptr)
        e = buf_add(out, "", 0);
    return e;
}
