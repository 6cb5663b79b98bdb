/* term.c - terminal output: width, colour (respecting NO_COLOR), word wrapping
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE 1 /* fopencookie */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "cli.h"

#define TERM_DEFAULT_WIDTH 80
#define TERM_MIN_WIDTH     40
#define TERM_MAX_WIDTH     160

/* The colour sequences term_c() hands out (bold dim red green yellow cyan reset): the only
 * escape sequences let through to a terminal, and only when colour is on. */
static const char *const term_colors[] = {"\033[1m",  "\033[2m",  "\033[31m", "\033[32m",
                                          "\033[33m", "\033[36m", "\033[0m"};

/* term_init - width from the terminal (80 when stdout is not one), colour when stdout is a
 * terminal and NO_COLOR is unset. */
void term_init(cli_global *g)
{
    g->width = TERM_DEFAULT_WIDTH;
    int tty = isatty(STDOUT_FILENO);
    if (tty) {
        struct winsize ws;
        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col)
            g->width = ws.ws_col;
    }
    if (g->width < TERM_MIN_WIDTH)
        g->width = TERM_MIN_WIDTH;
    if (g->width > TERM_MAX_WIDTH)
        g->width = TERM_MAX_WIDTH;
    const char *nc = getenv("NO_COLOR");
    const char *term = getenv("TERM");
    g->color = tty && !(nc && *nc) && !(term && !strcmp(term, "dumb"));
}

const char *term_c(const cli_global *g, const char *what)
{
    if (!g->color)
        return "";
    static const char *const names[] = {"bold", "dim", "red", "green", "yellow", "cyan", "reset"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(names[i], what))
            return term_colors[i];
    return "";
}

/* utf8_width - display columns of a byte run, counting code points (good enough for the
 * texts we print: no wide characters). */
static size_t utf8_width(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        w += ((unsigned char)s[i] & 0xC0) != 0x80;
    return w;
}

/* term_wrap - print text word-wrapped to the width: the first line indented by indent, the
 * following ones by hang. A word longer than a line is printed whole. */
void term_wrap(FILE *out, const cli_global *g, int indent, int hang, const char *text)
{
    fprintf(out, "%*s", indent, "");
    term_wrap_at(out, g, indent, hang, text);
}

/* term_wrap_at - the same, when the cursor already stands at column col. The first word
 * after the hanging indent's bullet ("1.", "-") is never moved to a line of its own. */
void term_wrap_at(FILE *out, const cli_global *g, int start, int hang, const char *text)
{
    size_t width = (size_t)g->width;
    size_t col = (size_t)start;
    int first_word = 1;
    const char *p = text;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        size_t wl = strcspn(p, " ");
        size_t ww = utf8_width(p, wl);
        if (!first_word && col + 1 + ww > width && col > (size_t)hang) {
            fprintf(out, "\n%*s", hang, "");
            col = (size_t)hang;
            first_word = 1;
        }
        if (!first_word) {
            fputc(' ', out);
            col++;
        }
        fwrite(p, 1, wl, out);
        col += ww;
        first_word = 0;
        p += wl;
    }
    fputc('\n', out);
}

/* utf8_need - bytes of the UTF-8 sequence a lead byte starts (1 for ASCII and for a byte that
 * cannot lead one). */
static size_t utf8_need(unsigned char c)
{
    return c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 1;
}

/* utf8_seq - length of the well-formed UTF-8 sequence at s (n bytes there, n >= utf8_need),
 * or 0 when it is not one. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t k = utf8_need(c);
    if (k == 1 || n < k)
        return 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F;
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < k; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return k;
}

/* term_unit - the next unit of text at s (n bytes; more may follow unless final): its length,
 * and in *bad whether it must be neutralised. A unit is one of our colour sequences (kept
 * when color), a well-formed UTF-8 character, or one byte. Neutralised: control characters
 * (C0 but newline and TAB, DEL, C1 written as bytes or as UTF-8), bidirectional embeddings,
 * overrides and isolates, bytes that are not UTF-8. Returns 0 when the unit may continue past
 * n and !final: ask again with more bytes. The one sanitiser of the tool: term_clean() and the
 * output filter of term_filter_stdio() both use it. */
static size_t term_unit(const unsigned char *s, size_t n, int final, int color, int *bad)
{
    *bad = 0;
    if (s[0] == 0x1B && color) {
        for (size_t i = 0; i < sizeof term_colors / sizeof *term_colors; i++) {
            size_t l = strlen(term_colors[i]);
            if (n >= l && !memcmp(s, term_colors[i], l))
                return l;
            if (n < l && !final && !memcmp(s, term_colors[i], n))
                return 0;
        }
    }
    size_t need = utf8_need(s[0]);
    if (n < need && !final)
        return 0;
    size_t k = utf8_seq(s, n);
    if (k == 0) {
        *bad = 1;
        return 1;
    }
    if (k == 1)
        *bad = (s[0] < 0x20 && s[0] != '\n' && s[0] != '\t') || s[0] == 0x7F;
    /* C1 controls U+0080-U+009F (0x9B is CSI on some terminals) */
    else if (k == 2)
        *bad = s[0] == 0xC2 && s[1] < 0xA0;
    /* bidirectional embeddings and overrides U+202A-U+202E, isolates U+2066-U+2069 */
    else if (k == 3)
        *bad = s[0] == 0xE2 && ((s[1] == 0x80 && s[2] >= 0xAA && s[2] <= 0xAE) ||
                                (s[1] == 0x81 && s[2] >= 0xA6 && s[2] <= 0xA9));
    return k;
}

void term_clean(char *s, int keep_newlines)
{
    if (!s)
        return;
    unsigned char *r = (unsigned char *)s, *w = r;
    size_t n = strlen(s);
    while (n) {
        int bad;
        size_t k = term_unit(r, n, 1, 0, &bad);
        if (!bad && k == 1 && (*r == '\t' || (*r == '\n' && !keep_newlines))) {
            *w++ = *r == '\t' ? ' ' : '?';
        } else if (bad) {
            *w++ = '?';
        } else {
            memmove(w, r, k);
            w += k;
        }
        r += k;
        n -= k;
    }
    *w = 0;
}

/* ---- the output filter ---------------------------------------------------------------- */

#define TERM_CARRY_MAX 8 /* bytes of an unfinished unit kept between two writes */

typedef struct term_sink {
    int fd;
    int color;
    unsigned char carry[TERM_CARRY_MAX];
    size_t ncarry;
} term_sink;

static term_sink term_sinks[2];

/* write_all - all of p to fd. 0, or -1 with errno set. */
static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* plain_run - how many bytes at p (up to n) are plain: printable ASCII, newline or TAB, which
 * term_unit() passes as they are. Eight bytes at a time while they are all printable ASCII, and
 * again after each newline or TAB. */
static size_t plain_run(const unsigned char *p, size_t n)
{
    size_t i = 0;
    for (;;) {
        for (; i + 8 <= n; i += 8) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            /* a byte below 0x20, or 0x7F and above, sets the high bit of its lane */
            uint64_t low = (w - 0x2020202020202020ull) & ~w;
            uint64_t high = (w + 0x0101010101010101ull) | w;
            if ((low | high) & 0x8080808080808080ull)
                break;
        }
        while (i < n && p[i] >= 0x20 && p[i] < 0x7F)
            i++;
        if (i < n && (p[i] == '\n' || p[i] == '\t')) {
            i++;
            continue;
        }
        return i;
    }
}

/* sink_pass - neutralise and write the units of p; the unfinished tail is kept unless final. */
static int sink_pass(term_sink *k, const unsigned char *p, size_t n, int final)
{
    unsigned char out[4096];
    size_t o = 0;
    while (n) {
        /* a run of plain bytes is copied as it is: the same bytes term_unit() would pass */
        size_t r = plain_run(p, n);
        if (r) {
            if (o + r > sizeof out) {
                if (o && write_all(k->fd, out, o))
                    return -1;
                o = 0;
                if (r > sizeof out) {
                    if (write_all(k->fd, p, r))
                        return -1;
                    p += r;
                    n -= r;
                    continue;
                }
            }
            memcpy(out + o, p, r);
            o += r;
            p += r;
            n -= r;
            continue;
        }
        int bad;
        size_t u = term_unit(p, n, final, k->color, &bad);
        if (u == 0) { /* unfinished: keep it for the next write */
            memcpy(k->carry, p, n);
            k->ncarry = n;
            break;
        }
        if (o + u > sizeof out) {
            if (write_all(k->fd, out, o))
                return -1;
            o = 0;
        }
        if (bad)
            out[o++] = '?';
        else {
            memcpy(out + o, p, u);
            o += u;
        }
        p += u;
        n -= u;
    }
    return o ? write_all(k->fd, out, o) : 0;
}

static ssize_t sink_write(void *cookie, const char *buf, size_t size)
{
    term_sink *k = cookie;
    const unsigned char *b = (const unsigned char *)buf;
    size_t used = 0;
    /* a progress line on stderr starts with a carriage return (cmd_bounce's --progress): that one
     * is let through */
    if (k->fd == STDERR_FILENO && !k->ncarry && size && b[0] == '\r') {
        if (write_all(k->fd, b, 1))
            return -1;
        used = 1;
    }
    /* finish the carried unit first, a byte at a time (it is a few bytes long) */
    while (k->ncarry && used < size) {
        unsigned char tmp[TERM_CARRY_MAX];
        size_t n = k->ncarry;
        memcpy(tmp, k->carry, n);
        tmp[n++] = b[used++];
        k->ncarry = 0;
        if (n >= TERM_CARRY_MAX) { /* cannot happen: units are at most 5 bytes */
            if (sink_pass(k, tmp, n, 1))
                return -1;
        } else if (sink_pass(k, tmp, n, 0)) {
            return -1;
        }
    }
    if (used < size && sink_pass(k, b + used, size - used, 0))
        return -1;
    return (ssize_t)size;
}

static int sink_close(void *cookie)
{
    term_sink *k = cookie;
    size_t n = k->ncarry;
    k->ncarry = 0;
    return n ? sink_pass(k, k->carry, n, 1) : 0;
}

int term_filter_stdio(int color)
{
    static const cookie_io_functions_t io = {NULL, sink_write, NULL, sink_close};
    term_sinks[0].fd = STDOUT_FILENO;
    term_sinks[0].color = color;
    term_sinks[1].fd = STDERR_FILENO;
    FILE *out = fopencookie(&term_sinks[0], "w", io);
    FILE *err = fopencookie(&term_sinks[1], "w", io);
    if (!out || !err) {
        if (out)
            fclose(out);
        if (err)
            fclose(err);
        return -1;
    }
    if (isatty(STDOUT_FILENO))
        setvbuf(out, NULL, _IOLBF, 0);
    setvbuf(err, NULL, _IONBF, 0);
    stdout = out;
    stderr = err;
    return 0;
}

void term_clean_explanation(mxd_explanation *x)
{
    for (; x; x = x->inner) {
        term_clean(x->region, 0);
        term_clean(x->rhost, 0);
        term_clean(x->sending_ip, 0);
        term_clean(x->tags, 0);
        term_clean(x->text, 0);
    }
}
