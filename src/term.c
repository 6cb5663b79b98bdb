/* term.c - terminal output: width, colour (respecting NO_COLOR), word wrapping
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "cli.h"

#define TERM_DEFAULT_WIDTH 80
#define TERM_MIN_WIDTH     40
#define TERM_MAX_WIDTH     160

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
    static const struct {
        const char *n, *seq;
    } t[] = {{"bold", "\033[1m"},   {"dim", "\033[2m"},     {"red", "\033[31m"},
             {"green", "\033[32m"}, {"yellow", "\033[33m"}, {"cyan", "\033[36m"},
             {"reset", "\033[0m"}};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (!strcmp(t[i].n, what))
            return t[i].seq;
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

/* utf8_seq - length of the well-formed UTF-8 sequence at s (1-4), or 0 when it is not one. */
static size_t utf8_seq(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

void term_clean(char *s, int keep_newlines)
{
    if (!s)
        return;
    unsigned char *r = (unsigned char *)s, *w = r;
    while (*r) {
        size_t n = utf8_seq(r);
        int bad = n == 0;
        if (n == 1 && (*r < 0x20 || *r == 0x7F)) {
            if (*r == '\n' && keep_newlines) {
                *w++ = *r++;
                continue;
            }
            if (*r == '\t') {
                *w++ = ' ';
                r++;
                continue;
            }
            bad = 1;
        }
        /* C1 controls U+0080-U+009F (0x9B is CSI on some terminals) */
        if (n == 2 && r[0] == 0xC2 && r[1] < 0xA0)
            bad = 1;
        /* bidirectional embeddings and overrides U+202A-U+202E, isolates U+2066-U+2069 */
        if (n == 3 && r[0] == 0xE2 &&
            ((r[1] == 0x80 && r[2] >= 0xAA && r[2] <= 0xAE) ||
             (r[1] == 0x81 && r[2] >= 0xA6 && r[2] <= 0xA9)))
            bad = 1;
        if (bad) {
            *w++ = '?';
            r += n ? n : 1;
            continue;
        }
        for (size_t i = 0; i < n; i++)
            *w++ = *r++;
    }
    *w = 0;
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
