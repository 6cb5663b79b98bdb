/* util.c - helpers of the bounce stage: recipients, addresses, lines, dates, SMTP commands
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE 1 /* memmem */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "bounce/bounce_internal.h"
#include "kb/kb_internal.h"
#include "util/match.h"
#include "util/date.h"
#include "util/str.h"

int bounce_line(const char *s, size_t len, size_t *pos, const char **l, size_t *ll)
{
    size_t p = *pos;
    if (p >= len)
        return 0;
    const char *nl = str_nl(s + p, len - p);
    size_t e = nl ? (size_t)(nl - s) : len;
    *pos = nl ? e + 1 : len;
    *l = s + p;
    *ll = e - p;
    if (*ll && (*l)[*ll - 1] == '\r')
        (*ll)--;
    return 1;
}

void bounce_trim(const char **s, size_t *len)
{
    while (*len && str_isspace((unsigned char)**s))
        (*s)++, (*len)--;
    while (*len && str_isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

int bounce_starts(const char *l, size_t ll, const char *prefix)
{
    size_t pl = strlen(prefix);
    return ll >= pl && str_caseeq(l, pl, prefix);
}

int bounce_has(const char *s, size_t len, const char *needle)
{
    return str_casefind(s, len, needle, strlen(needle)) != NULL;
}

static int wrap_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* wrap_eq - does needle[0..nl) stand in s at i (forward: dir 1, its first byte at s[i]) or end
 * at i (backward: dir -1, its last byte at s[i]), a blank of needle matching a run of blanks
 * with one line break at most in s? */
static int wrap_eq(const char *s, size_t len, size_t i, const char *needle, size_t nl, int dir)
{
    size_t k = 0;
    long p = (long)i;
    while (k < nl) {
        unsigned char c = (unsigned char)(dir > 0 ? needle[k] : needle[nl - 1 - k]);
        if (c == ' ') {
            int breaks = 0, n = 0;
            while (p >= 0 && (size_t)p < len && wrap_blank(s[p])) {
                breaks += s[p] == '\n';
                p += dir, n++;
            }
            if (!n || breaks > 1)
                return 0;
            while (k + 1 < nl && (dir > 0 ? needle[k + 1] : needle[nl - 2 - k]) == ' ')
                k++; /* (blanks in a row in the needle: one run, as in s) */
        } else {
            if (p < 0 || (size_t)p >= len ||
                str_tolower((unsigned char)s[p]) != str_tolower(c)) /* (any case: L1) */
                return 0;
            p += dir;
        }
        k++;
    }
    return 1;
}

int bounce_has_wrapped(const char *s, size_t len, const char *needle)
{
    size_t nl = strlen(needle);
    if (!memchr(needle, ' ', nl))
        return str_casefind(s, len, needle, nl) != NULL;
    /* the needle's longest word, found as it is, then the rest around it (one scan of s, as
     * for the needle itself: its longest word stands wherever it does) */
    size_t best = 0, bl = 0;
    for (size_t i = 0; i < nl;) {
        size_t j = i;
        while (j < nl && needle[j] != ' ')
            j++;
        if (j - i > bl)
            best = i, bl = j - i;
        i = j + 1;
    }
    if (!bl)
        return 0;
    for (const char *p = s, *f; (f = str_casefind(p, len - (size_t)(p - s), needle + best, bl));
         p = f + 1) {
        size_t at = (size_t)(f - s);
        if (wrap_eq(s, len, at + bl, needle + best + bl, nl - best - bl, 1) &&
            (!best || (at && wrap_eq(s, len, at - 1, needle, best, -1))))
            return 1;
    }
    return 0;
}

unsigned bounce_word_bit(const char *w, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)str_tolower((unsigned char)w[i])) * 16777619u;
    return (h ^ (h >> 10) ^ (h >> 20)) & 1023u;
}

size_t bounce_join_lines(char *s, size_t len)
{
    size_t o = 0, i = 0;
    while (i < len) {
        char *nl = memchr(s + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - s) : len, ce = e;
        while (nl && ce > i && (s[ce - 1] == ' ' || s[ce - 1] == '\t' || s[ce - 1] == '\r'))
            ce--;
        memmove(s + o, s + i, ce - i);
        o += ce - i;
        if (!nl)
            break;
        size_t j = e;
        int breaks = 0;
        while (j < len && wrap_blank(s[j]))
            breaks += s[j++] == '\n';
        if (o && j < len)
            s[o++] = breaks > 1 ? '\n' : ' ';
        i = j;
    }
    return o;
}

void bounce_copy(char *out, size_t outlen, const char *s, size_t len)
{
    bounce_trim(&s, &len);
    if (len >= outlen)
        len = outlen - 1;
    memcpy(out, s, len);
    out[len] = 0;
}

static int addr_char(int c)
{
    return str_isalnum(c) || c == '.' || c == '-' || c == '_' || c == '+' || c == '=' || c == '/' ||
           c == '\'' || c == '!' || c == '#' || c == '$' || c == '%' || c == '&' || c == '*' ||
           c == '?' || c == '^' || c == '`' || c == '{' || c == '|' || c == '}' || c == '~' ||
           c >= 0x80;
}

static int dom_char(int c)
{
    return str_isalnum(c) || c == '.' || c == '-' || c == '_' || c >= 0x80 || c == '[' ||
           c == ']' || c == ':';
}

/* cjk_punct_at - does s[i] open a CJK punctuation mark or a fullwidth punctuation form (of
 * U+3000-U+303F the spaces, commas, stops and brackets; of U+FF00-U+FF65 the non-letters and
 * non-digits) in UTF-8: "（", "）", "：",
 * "、", "。", "「" ...? None is part of an address, and Chinese and Japanese notices write them
 * right beside one ("地址（a@b）不存在"). Fullwidth letters and digits and halfwidth katakana
 * are not counted. */
static int cjk_punct_at(const char *s, size_t len, size_t i)
{
    const unsigned char *u = (const unsigned char *)s;
    if (i + 2 >= len)
        return 0;
    if (u[i] == 0xE3 && u[i + 1] == 0x80) /* U+3000-3004, U+3008-301F, U+3030: not the */
        return (u[i + 2] >= 0x80 && u[i + 2] <= 0x84) || /* letters 々 〆 〇 and marks that */
               (u[i + 2] >= 0x88 && u[i + 2] <= 0x9F) || u[i + 2] == 0xB0; /* names hold */
    if (u[i] != 0xEF)
        return 0;
    unsigned c = u[i + 2];
    if (u[i + 1] == 0xBC) /* U+FF00-U+FF3F: punctuation, digits 0x90-0x99, letters 0xA1-0xBA */
        return (c >= 0x80 && c <= 0x8F) || (c >= 0x9A && c <= 0xA0) || (c >= 0xBB && c <= 0xBF);
    if (u[i + 1] == 0xBD) /* U+FF40-U+FF7F: letters 0x81-0x9A, halfwidth katakana from 0xA6 */
        return c == 0x80 || (c >= 0x9B && c <= 0xA5);
    return 0;
}

int bounce_addr_in(const char *s, size_t len, size_t *at, size_t *alen)
{
    for (size_t i = 1; i + 1 < len; i++) {
        const char *p = memchr(s + i, '@', len - 1 - i);
        if (!p)
            return 0;
        i = (size_t)(p - s);
        size_t a = i;
        while (a > 0 && addr_char((unsigned char)s[a - 1]) &&
               !(a >= 3 && cjk_punct_at(s, len, a - 3)))
            a--;
        size_t b = i + 1;
        /* '[' ']' ':' belong to an address literal ("a@[192.0.2.1]", "a@[IPv6:...]") only,
         * which ends at its ']': a name's domain stops before them ("[SMTP:a@b]",
         * "Rcpt=[a@b]") */
        int literal = s[b] == '[';
        while (b < len && dom_char((unsigned char)s[b]) && !cjk_punct_at(s, len, b) &&
               (literal || (s[b] != '[' && s[b] != ']' && s[b] != ':'))) {
            if (literal && s[b] == ']') {
                b++;
                break;
            }
            b++;
        }
        while (b > i + 1 && (s[b - 1] == '.' || s[b - 1] == ':' || s[b - 1] == '-'))
            b--;
        /* nor does one open with a dot, a quote, a slash, '=', or the '*' and '`' that
         * Markdown puts around a pasted address ("**a@b**", "`a@b`") */
        while (a < i && (s[a] == '.' || s[a] == '\'' || s[a] == '/' || s[a] == '=' || s[a] == '*' ||
                         s[a] == '`'))
            a++;
        if (a == i || b == i + 1)
            continue;
        if (!memchr(s + i + 1, '.', b - i - 1) && !(s[i + 1] == '['))
            continue;
        *at = a;
        *alen = b - a;
        return 1;
    }
    return 0;
}

size_t bounce_addr_typed(const char *s, size_t len, char *out, size_t outlen)
{
    bounce_trim(&s, &len);
    if (len > 2 && s[0] == '<' && s[len - 1] == '>')
        s++, len -= 2;
    const char *at = memchr(s, '@', len);
    if (!at || at == s || len >= outlen)
        return 0;
    size_t dl = len - (size_t)(at + 1 - s);
    if (!dl || dl > 253 || at[1] == '.' || at[1] == '-' || s[len - 1] == '.' ||
        str_caseeq(at + 1, dl, "localhost") || str_caseeq(at + 1, dl, "localdomain"))
        return 0;
    for (const char *p = s; p < at; p++)
        if (!addr_char((unsigned char)*p) || (unsigned char)*p >= 0x80)
            return 0;
    /* a host name's characters, or any other visible ASCII but what ends an address */
    for (const char *p = at + 1; p < s + len; p++)
        if (*p <= ' ' || *p > '~' || strchr("@<>()[]:;,\"\\", *p))
            return 0;
    for (size_t i = 0; i < len; i++)
        out[i] = at <= s + i ? (char)str_tolower((unsigned char)s[i]) : s[i];
    out[len] = 0;
    return len;
}

size_t bounce_addr_clean(const char *s, size_t len, char *out, size_t outlen)
{
    size_t at, al;
    bounce_trim(&s, &len);
    /* "rfc822; addr" */
    const char *semi = memchr(s, ';', len);
    if (semi && semi - s < 16) {
        len -= (size_t)(semi + 1 - s);
        s = semi + 1;
    }
    if (!bounce_addr_in(s, len, &at, &al))
        return 0;
    if (al >= outlen)
        return 0;
    const char *a = s + at;
    if (al > 7 && str_caseeq(a, 7, "mailto:"))
        a += 7, al -= 7;
    memcpy(out, a, al);
    out[al] = 0;
    char *atp = strchr(out, '@');
    for (char *p = atp; p && *p; p++)
        *p = (char)str_tolower((unsigned char)*p);
    return al;
}

/* find_clean - the recipient whose address is a (already cleaned), or NULL. */
static bounce_rcpt *find_clean(bounce_out *out, const char *a)
{
    for (size_t i = 0; i < out->n; i++)
        if (str_caseeq(out->r[i].recipient, strlen(out->r[i].recipient), a))
            return &out->r[i];
    return NULL;
}

bounce_rcpt *bounce_add_exact(bounce_out *out, const char *a)
{
    size_t l = strlen(a);
    if (!l || l >= BOUNCE_ADDR_MAX)
        return NULL;
    bounce_rcpt *had = find_clean(out, a);
    if (had)
        return had;
    if (out->n >= BOUNCE_MAX_RCPTS) {
        out->dropped++;
        return NULL;
    }
    bounce_rcpt *r = &out->r[out->n++];
    memset(r, 0, offsetof(bounce_rcpt, diag));
    r->diag[0] = 0;
    r->diaglen = 0;
    r->reason = NULL;
    r->date = 0;
    r->tz[0] = 0;
    r->category[0] = 0;
    memcpy(r->recipient, a, l + 1);
    return r;
}

/* bounce_postfix_entry - (bounce_internal.h) does the line t[0..n) open a recipient entry of
 * Postfix's notice, "<addr>: host mx.example.net[192.0.2.1] said: 550 ...", "<addr>: 550 ...", or
 * "addr (expanded from <x>): ..." (postfix src/bounce/bounce_notify_util.c writes each
 * recipient so)? What a user pastes of a Postfix bounce without the notice around it. */
int bounce_postfix_entry(const char *t, size_t n)
{
    if (!n) /* (text_detect passes a line of blanks as n == 0) */
        return 0;
    size_t i = t[0] == '<' ? 1 : 0, at, al;
    size_t e = i;
    while (e < n && t[e] != '>' && t[e] != ' ' && t[e] != ':')
        e++;
    if (e == i || !bounce_addr_in(t + i, e - i, &at, &al) || at || al != e - i)
        return 0;
    if (i && (e >= n || t[e] != '>'))
        return 0;
    e += i; /* past the '>' */
    if (e < n && t[e] == ':')
        return e + 1 == n || t[e + 1] == ' ';
    return bounce_starts(t + e, n - e, " (expanded from");
}

/* bounce_mark_mailer - (bounce_internal.h) */
void bounce_mark_mailer(const mxd_kb *kb, bounce_rcpt *r)
{
    /* a local program's failure, as the MTAs word it (kind program: Postfix's pipe(8) and
     * local(8), Exim's pipe transport); Postfix's DSN types these X-Unix itself */
    if (!kb || !r->own || r->diagtype[0])
        return;
    for (size_t i = 0; i < kb->nphrases; i++)
        if (kb->phrases[i].kind == KB_PH_PROGRAM &&
            bounce_has(r->diag, r->diaglen, kb_str(kb, kb->phrases[i].pattern))) {
            memcpy(r->diagtype, "X-UNIX", sizeof "X-UNIX");
            return;
        }
}

int bounce_own_verdict(const bounce_rcpt *r)
{
    return r->diaglen && !r->replycode[0] && !r->command[0] && !r->rhost[0] &&
           !bounce_has_code(r->diag, r->diaglen) && !bounce_has(r->diag, r->diaglen, "remote") &&
           !bounce_has(r->diag, r->diaglen, "host ");
}

bounce_rcpt *bounce_find(bounce_out *out, const char *addr, size_t alen)
{
    char a[BOUNCE_ADDR_MAX];
    if (!bounce_addr_clean(addr, alen, a, sizeof a))
        return NULL;
    return find_clean(out, a);
}

bounce_rcpt *bounce_add(bounce_out *out, const char *addr, size_t alen)
{
    char a[BOUNCE_ADDR_MAX];
    if (!bounce_addr_clean(addr, alen, a, sizeof a))
        return NULL;
    return bounce_add_exact(out, a);
}

void rcpt_diag_add(bounce_rcpt *r, const char *s, size_t len)
{
    bounce_trim(&s, &len);
    if (!len)
        return;
    size_t o = r->diaglen;
    if (o && o + 1 < BOUNCE_MAX_DIAG)
        r->diag[o++] = ' ';
    int blank = 0;
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    for (size_t i = 0; i < len && o + 1 < BOUNCE_MAX_DIAG; i++) {
        /* eight bytes at a time while none is a control byte or DEL and no space follows a
         * space (single spaces between words are copied as they are) */
        while (i + 8 <= len && o + 8 + 1 < BOUNCE_MAX_DIAG) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            uint64_t del = w ^ (ones * 0x7f);
            if (((w - ones * 0x20) & ~w & highs) | ((del - ones) & ~del & highs))
                break;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            /* 0x80 in exactly the bytes that are spaces (the first byte is the lowest) */
            uint64_t t = w ^ (ones * ' ');
            uint64_t sp = ~(((t & ~highs) + ~highs) | t | ~highs);
            if ((sp & (sp << 8)) || (blank && (sp & 0x80)))
                break;
            blank = (int)(sp >> 63);
#else
            uint64_t t = w ^ (ones * ' ');
            if ((t - ones) & ~t & highs) /* a space: the byte loop decides */
                break;
            blank = 0;
#endif
            memcpy(r->diag + o, s + i, 8);
            o += 8;
            i += 8;
        }
        if (i >= len || o + 1 >= BOUNCE_MAX_DIAG)
            break;
        unsigned char c = (unsigned char)s[i];
        if (c < 32 || c == 0x7f)
            c = ' ';
        if (c == ' ') {
            if (blank)
                continue;
            blank = 1;
        } else {
            blank = 0;
        }
        r->diag[o++] = (char)c;
    }
    while (o && r->diag[o - 1] == ' ')
        o--;
    r->diag[o] = 0;
    r->diaglen = o;
}

void rcpt_diag_set(bounce_rcpt *r, const char *s, size_t len)
{
    if (s >= r->diag && s < r->diag + sizeof r->diag) {
        /* the text is the diagnostic itself (or part of it): copy it out first */
        char tmp[BOUNCE_MAX_DIAG];
        if (len >= sizeof tmp)
            len = sizeof tmp - 1;
        memmove(tmp, s, len);
        r->diaglen = 0;
        r->diag[0] = 0;
        rcpt_diag_add(r, tmp, len);
        return;
    }
    r->diaglen = 0;
    r->diag[0] = 0;
    rcpt_diag_add(r, s, len);
}

/* --- dates --- */

static size_t read_num(const char *s, size_t len, size_t i, unsigned long *v, size_t maxd)
{
    size_t j = i;
    *v = 0;
    while (j < len && j - i < maxd && str_isdigit((unsigned char)s[j]))
        *v = *v * 10 + (unsigned long)(s[j++] - '0');
    return j - i;
}

long long bounce_date(const char *s, size_t len, char *tz)
{
    static const struct {
        const char *n;
        int off; /* minutes */
    } zones[] = {{"UT", 0},     {"UTC", 0},    {"GMT", 0},    {"Z", 0},
                 {"EST", -300}, {"EDT", -240}, {"CST", -360}, {"CDT", -300},
                 {"MST", -420}, {"MDT", -360}, {"PST", -480}, {"PDT", -420},
                 {"JST", 540},  {"CET", 60},   {"CEST", 120}, {"BST", 60}};
    tz[0] = 0;
    size_t i = 0;
    /* skip "Tue," */
    while (i < len && !str_isdigit((unsigned char)s[i]))
        i++;
    unsigned long day, year, hh, mm, ss = 0;
    size_t n = read_num(s, len, i, &day, 2);
    if (!n || day < 1 || day > 31)
        return 0;
    i += n;
    while (i < len && (s[i] == ' ' || s[i] == '-'))
        i++;
    int m = i + 3 <= len ? date_month(s + i) - 1 : -1;
    if (m < 0)
        return 0;
    while (i < len && str_isalpha((unsigned char)s[i]))
        i++;
    while (i < len && (s[i] == ' ' || s[i] == '-'))
        i++;
    n = read_num(s, len, i, &year, 4);
    if (!n)
        return 0;
    if (n == 2)
        year += year < 50 ? 2000 : 1900;
    i += n;
    while (i < len && s[i] == ' ')
        i++;
    if (!(n = read_num(s, len, i, &hh, 2)) || i + n >= len || s[i + n] != ':')
        return 0;
    i += n + 1;
    if (!(n = read_num(s, len, i, &mm, 2)))
        return 0;
    i += n;
    if (i < len && s[i] == ':') {
        i++;
        i += read_num(s, len, i, &ss, 2);
    }
    while (i < len && s[i] == ' ')
        i++;
    int off = 0, have = 0;
    if (i < len && (s[i] == '+' || s[i] == '-')) {
        unsigned long z;
        if (read_num(s, len, i + 1, &z, 4) == 4) {
            off = (int)((z / 100) * 60 + z % 100);
            if (s[i] == '-')
                off = -off;
            have = 1;
        }
    } else {
        for (size_t k = 0; k < sizeof zones / sizeof *zones && !have; k++) {
            size_t zl = strlen(zones[k].n);
            if (i + zl <= len && str_caseeq(s + i, zl, zones[k].n) &&
                (i + zl == len || !str_isalpha((unsigned char)s[i + zl]))) {
                off = zones[k].off;
                have = 1;
            }
        }
    }
    if (hh > 23 || mm > 59 || ss > 60)
        return 0;
    long long t = date_days_from_civil((long long)year, (unsigned)m + 1, (unsigned)day) * 86400 +
                  (long long)(hh * 3600 + mm * 60 + ss) - (long long)off * 60;
    int a = off < 0 ? -off : off;
    tz[0] = off < 0 ? '-' : '+';
    tz[1] = (char)('0' + a / 600);
    tz[2] = (char)('0' + (a / 60) % 10);
    tz[3] = (char)('0' + (a % 60) / 10);
    tz[4] = (char)('0' + a % 10);
    tz[5] = 0;
    return t;
}

int bounce_reply_code_at(const char *s, size_t n)
{
    return n >= 3 && (s[0] == '4' || s[0] == '5') && s[1] >= '0' && s[1] <= '5' &&
           str_isdigit((unsigned char)s[2]) && (n == 3 || s[3] == ' ' || s[3] == '-');
}

int bounce_has_code(const char *s, size_t len)
{
    return bounce_has_reply(s, len, 0);
}

int bounce_has_reply(const char *s, size_t len, char cls)
{
    for (size_t i = 0; i + 3 <= len; i++)
        if ((cls ? s[i] == cls : (s[i] == '4' || s[i] == '5')) &&
            str_isdigit((unsigned char)s[i + 1]) && str_isdigit((unsigned char)s[i + 2]) &&
            (i == 0 || !str_isalnum((unsigned char)s[i - 1])) &&
            (i + 3 == len || !str_isalnum((unsigned char)s[i + 3])))
            return 1;
    return 0;
}

int bounce_reply_open(const char *s, size_t len)
{
    /* Postfix's "host NAME[IP] said:" (qmail's and Yahoo's "Remote host said:" are closed by
     * no such words: their entries end where the next address opens) */
    const char *said = str_casefind(s, len, "] said:", 7);
    return said && !str_casefind(said, len - (size_t)(said - s), "(in reply", 9);
}

/* bounce_subject_label - (bounce_internal.h) */
int bounce_subject_label(const mxd_kb *kb, const char *l, size_t ll)
{
    while (ll && (*l == '*' || *l == '-' || *l == ' ' || *l == '>'))
        l++, ll--;
    /* (a label ends in a colon within its first bytes, ASCII or full-width, after at most
     * KB_MAX_SUBJECT_LABEL and a few blanks: most lines have none, and are not compared with
     * every label; this runs on every line of a notice) */
    size_t head = ll < KB_MAX_SUBJECT_LABEL + 4 ? ll : KB_MAX_SUBJECT_LABEL + 4;
    if (!memchr(l, ':', head) && !str_find(l, head, "\xef\xbc\x9a", 3))
        return 0;
    for (size_t i = 0; kb && i < kb->nphrases; i++) {
        const kb_phrase *p = &kb->phrases[i];
        size_t n = p->len;
        if (p->kind != KB_PH_SUBJECTLABEL || ll < n || !str_caseeq(l, n, kb_str(kb, p->pattern)))
            continue;
        size_t k = n;
        while (k < ll && l[k] == ' ')
            k++;
        int colon = k < ll && l[k] == ':';
        int wide = k + 3 <= ll && !memcmp(l + k, "\xef\xbc\x9a", 3); /* (full-width) */
        if (!colon && !wide)
            continue;
        k += colon ? 1 : 3;
        while (k < ll && l[k] == ' ')
            k++;
        return k < ll ? 1 : 2;
    }
    return 0;
}

int bounce_log_stamp(const char *l, size_t ll)
{
    if (ll >= 15 && str_isalpha((unsigned char)l[0]) && str_isalpha((unsigned char)l[1]) &&
        str_isalpha((unsigned char)l[2]) && l[3] == ' ' &&
        (l[4] == ' ' || str_isdigit((unsigned char)l[4])) && str_isdigit((unsigned char)l[5]) &&
        l[6] == ' ' && str_isdigit((unsigned char)l[7]) && l[9] == ':')
        return 1;
    return ll >= 10 && str_isdigit((unsigned char)l[0]) && str_isdigit((unsigned char)l[3]) &&
           l[4] == '-' && str_isdigit((unsigned char)l[5]) && l[7] == '-' &&
           str_isdigit((unsigned char)l[8]);
}
