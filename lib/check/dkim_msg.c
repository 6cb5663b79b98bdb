/* dkim_msg.c - DKIM message splitting, canonicalization (RFC 6376 section 3.4) and base64
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include <string.h>
#include "check/dkim_internal.h"
#include "util/str.h"

static int is_wsp(int c)
{
    return c == ' ' || c == '\t';
}

/* dkim_msg_parse - normalise line ends and split. */
mxd_err dkim_msg_parse(const char *msg, size_t len, dkim_msg *m)
{
    memset(m, 0, sizeof *m);
    size_t extra = 0;
    for (size_t i = 0; i < len; i++)
        if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
            extra++;
    m->buf = malloc(len + extra + 1);
    if (!m->buf)
        return MXD_ERR_NOMEM;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
            m->buf[o++] = '\r';
        m->buf[o++] = msg[i];
    }
    m->buf[o] = 0;
    m->len = o;
    const char *p = m->buf, *end = m->buf + m->len;
    /* an mbox separator line: "From " and no colon before the line end */
    if (m->len > 5 && !memcmp(p, "From ", 5)) {
        const char *nl = memchr(p, '\n', m->len);
        const char *colon = memchr(p, ':', nl ? (size_t)(nl - p) : m->len);
        if (nl && !colon)
            p = nl + 1;
        else if (nl && colon && memchr(p, ' ', (size_t)(colon - p)))
            p = nl + 1;
    }
    size_t alloc = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl + 1 : end;
        if (le - p == 2 && p[0] == '\r') { /* the empty line */
            p = le;
            break;
        }
        if (is_wsp((unsigned char)*p) && m->nf && !m->truncated) {
            m->f[m->nf - 1].len = (size_t)(le - m->f[m->nf - 1].raw);
        } else if (!is_wsp((unsigned char)*p)) {
            if (m->nf == MXD_DKIM_MAX_HEADERS) {
                m->truncated = 1;
            } else if (!m->truncated) {
                if (m->nf == alloc) {
                    size_t na = alloc ? alloc * 2 : 32;
                    dkim_field *v = realloc(m->f, na * sizeof *v);
                    if (!v) {
                        dkim_msg_free(m);
                        return MXD_ERR_NOMEM;
                    }
                    m->f = v;
                    alloc = na;
                }
                dkim_field *f = &m->f[m->nf++];
                f->raw = p;
                f->len = (size_t)(le - p);
                const char *colon = memchr(p, ':', (size_t)(le - p));
                size_t nl2 = colon ? (size_t)(colon - p) : 0;
                while (nl2 && is_wsp((unsigned char)p[nl2 - 1]))
                    nl2--;
                f->nlen = nl2;
            }
        }
        p = le;
    }
    m->body = p;
    m->blen = (size_t)(end - p);
    return MXD_OK;
}

/* dkim_msg_free - release the copy and the field array. */
void dkim_msg_free(dkim_msg *m)
{
    free(m->buf);
    free(m->f);
    memset(m, 0, sizeof *m);
}

/* dkim_field_is - name comparison. */
int dkim_field_is(const dkim_field *f, const char *name)
{
    return f->nlen && str_caseeq(f->raw, f->nlen, name);
}

/* dkim_canon_header - simple or relaxed header canonicalization. */
mxd_err dkim_canon_header(const char *raw, size_t len, int relaxed, buf *out)
{
    if (!relaxed)
        return buf_add(out, raw, len);
    const char *colon = memchr(raw, ':', len);
    if (!colon)
        return buf_add(out, raw, len);
    size_t nl = (size_t)(colon - raw);
    while (nl && is_wsp((unsigned char)raw[nl - 1]))
        nl--;
    for (size_t i = 0; i < nl; i++)
        if (buf_addc(out, (char)str_tolower((unsigned char)raw[i])))
            return MXD_ERR_NOMEM;
    if (buf_addc(out, ':'))
        return MXD_ERR_NOMEM;
    /* value: unfold, runs of blanks become one space, none at the ends */
    const char *v = colon + 1, *e = raw + len;
    int pending = 0, started = 0;
    for (; v < e; v++) {
        unsigned char c = (unsigned char)*v;
        if (c == '\r' || c == '\n')
            continue;
        if (is_wsp(c)) {
            pending = 1;
            continue;
        }
        if (pending && started && buf_addc(out, ' '))
            return MXD_ERR_NOMEM;
        pending = 0;
        started = 1;
        if (buf_addc(out, (char)c))
            return MXD_ERR_NOMEM;
    }
    return buf_add(out, "\r\n", 2);
}

/* body_state - empty lines are held back until a line with content follows. */
typedef struct body_state {
    dkim_sink sink;
    void *arg;
    size_t pending; /* empty lines held back */
    size_t total;
    int any;
} body_state;

static void emit(body_state *st, const char *p, size_t n)
{
    if (!n)
        return;
    st->sink(st->arg, p, n);
    st->total += n;
}

static void line_out(body_state *st, const char *p, size_t n)
{
    if (n == 0) {
        st->pending++;
        return;
    }
    for (; st->pending; st->pending--)
        emit(st, "\r\n", 2);
    emit(st, p, n);
    emit(st, "\r\n", 2);
    st->any = 1;
}

/* dkim_canon_body - line by line. */
size_t dkim_canon_body(const char *body, size_t len, int relaxed, dkim_sink sink, void *arg)
{
    body_state st = {sink, arg, 0, 0, 0};
    const char *p = body, *end = body + len;
    char tmp[1024];
    while (p < end) {
        const char *crlf = NULL;
        for (const char *q = p; q + 1 < end; q++) {
            q = memchr(q, '\r', (size_t)(end - q - 1));
            if (!q)
                break;
            if (q[1] == '\n') {
                crlf = q;
                break;
            }
        }
        const char *le = crlf ? crlf : end;
        size_t n = (size_t)(le - p);
        if (!relaxed) {
            line_out(&st, p, n);
        } else {
            /* strip blanks at the end, then make runs of blanks one space */
            while (n && is_wsp((unsigned char)p[n - 1]))
                n--;
            if (n == 0) {
                line_out(&st, p, 0);
            } else {
                for (; st.pending; st.pending--)
                    emit(&st, "\r\n", 2);
                size_t t = 0;
                int blank = 0;
                for (size_t i = 0; i < n; i++) {
                    unsigned char c = (unsigned char)p[i];
                    if (is_wsp(c)) {
                        blank = 1;
                        continue;
                    }
                    if (blank) {
                        tmp[t++] = ' ';
                        blank = 0;
                    }
                    tmp[t++] = (char)c;
                    if (t >= sizeof tmp - 2) {
                        emit(&st, tmp, t);
                        t = 0;
                    }
                }
                emit(&st, tmp, t);
                emit(&st, "\r\n", 2);
                st.any = 1;
            }
        }
        p = crlf ? crlf + 2 : end;
    }
    if (!relaxed && !st.any)
        emit(&st, "\r\n", 2); /* an empty body is one CRLF in simple */
    return st.total;
}

/* b64_value - 0..63, or -1. */
static int b64_value(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* dkim_b64_decode - base64 (final padding optional), blanks and line ends skipped. */
int dkim_b64_decode(const char *s, size_t len, unsigned char *out, size_t outmax, size_t *outlen)
{
    unsigned acc = 0;
    int bits = 0, pad = 0;
    size_t o = 0, nchars = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        if (c == '=') {
            pad++;
            nchars++;
            continue;
        }
        int v = b64_value(c);
        if (v < 0 || pad)
            return -1;
        nchars++;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= outmax)
                return -1;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (pad > 2 || nchars % 4 == 1 || (pad && nchars % 4 != 0))
        return -1; /* padding is optional, but when present it must complete the block */
    *outlen = o;
    return 0;
}
