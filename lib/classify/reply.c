/* reply.c - take apart an SMTP reply text: codes, remote host, sending IP, provider tags
 * SPDX-License-Identifier: MIT
 *
 * Input comes from strangers (pasted replies, bounce messages): every scan is linear, works
 * on (pointer, length) and is bounded by MXD_REPLY_MAX.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "classify/reply.h"
#include "kb/kb_internal.h"
#include "util/buf.h"
#include "util/cidr.h"
#include "util/str.h"

#define TAGS_MAX 8

void reply_free(reply_parts *rp)
{
    free(rp->text);
    free(rp->rhost);
    free(rp->sending_ip);
    free(rp->tags);
    memset(rp, 0, sizeof *rp);
}

/* binary_byte - looks_binary()'s test of one byte: -1 for a NUL, 1 for a control byte it
 * counts, else 0. */
static int binary_byte(unsigned char c)
{
    if (c == 0)
        return -1;
    return (c < 32 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f;
}

/* looks_binary - NUL bytes or many control characters. */
static int looks_binary(const unsigned char *s, size_t len)
{
    size_t ctl = 0, i = 0;
    /* eight bytes at a time: only those holding a byte below 0x20 or a 0x7f (line breaks,
     * mostly) are looked at byte by byte */
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    for (; i + 8 <= len; i += 8) {
        uint64_t w, d;
        memcpy(&w, s + i, 8);
        d = w ^ (ones * 0x7f);
        if (!((w - ones * 0x20) & ~w & highs) && !((d - ones) & ~d & highs))
            continue;
        for (size_t k = i; k < i + 8; k++) {
            int b = binary_byte(s[k]);
            if (b < 0)
                return 1;
            ctl += (size_t)b;
        }
    }
    for (; i < len; i++) {
        int b = binary_byte(s[i]);
        if (b < 0)
            return 1;
        ctl += (size_t)b;
    }
    return ctl * 20 > len; /* over 5% */
}

/* skip_continuation - length of a leading "550-" / "550 " / "550-5.7.1 " prefix of a line
 * that repeats the first line's code (SMTP multi-line replies). */
static size_t skip_continuation(const char *l, size_t ll, const char *code)
{
    if (!code[0] || ll < 4 || memcmp(l, code, 3) || (l[3] != '-' && l[3] != ' '))
        return 0;
    size_t i = 4;
    /* a repeated enhanced status code */
    size_t j = i;
    if (j < ll && (l[j] == '2' || l[j] == '4' || l[j] == '5') && j + 1 < ll && l[j + 1] == '.') {
        j += 2;
        while (j < ll && (str_isdigit((unsigned char)l[j]) || l[j] == '.'))
            j++;
        if (j == ll || l[j] == ' ')
            i = j;
    }
    while (i < ll && l[i] == ' ')
        i++;
    return i;
}

/* inline_marker - does l start with a continuation marker of the reply whose first line
 * began with code and status: "550-" or "550-5.2.1 " (a marker only a multi-line reply
 * writes), or "550 5.2.1 " with the first line's own status (its last line's prefix)? A
 * "550 " alone may be a code the text speaks of, and is kept. */
static int inline_marker(const char *l, size_t ll, const char *code, const char *status, size_t sl)
{
    if (ll < 5 || memcmp(l, code, 3))
        return 0;
    /* "550-" then the reply's status or words, not digits ("call 550-0199") */
    if (l[3] == '-')
        return !str_isdigit((unsigned char)l[4]) ||
               (sl && ll >= 4 + sl && !memcmp(l + 4, status, sl));
    return l[3] == ' ' && sl && ll >= 4 + sl && !memcmp(l + 4, status, sl) &&
           (ll == 4 + sl || l[4 + sl] == ' ');
}

/* is_code_at - a 3-digit reply code [2-5][0-5][0-9] at t[i], standing as its own word. */
static int is_code_at(const char *t, size_t len, size_t i)
{
    if (i + 3 > len)
        return 0;
    if (t[i] < '2' || t[i] > '5' || t[i + 1] < '0' || t[i + 1] > '5' ||
        !str_isdigit((unsigned char)t[i + 2]))
        return 0;
    if (i > 0) {
        char p = t[i - 1];
        if (str_isalnum((unsigned char)p) || p == '.' || p == '-' || p == '_' || p == '/' ||
            p == '=' || p == '+' || p == ',' || p == '$')
            return 0;
    }
    if (i + 3 < len) {
        char n = t[i + 3];
        /* "550: 5.1.1 <a@b>: ..." (Yahoo's notices): a colon only before a status of the
         * code's class */
        if (n == ':')
            return i + 5 < len && t[i + 4] == ' ' && t[i + 5] == t[i] &&
                   reply_status_len(t, len, i + 5) != 0;
        if (n != ' ' && n != '-' && n != '\t' && n != '\'' && n != '"' && n != ')' && n != ']')
            return 0;
        if (n == '-' && i + 4 < len && !str_isdigit((unsigned char)t[i + 4]) && t[i + 4] != ' ')
            return 0;
    }
    return 1;
}

size_t reply_status_len(const char *t, size_t len, size_t i)
{
    if (i + 5 > len || (t[i] != '2' && t[i] != '4' && t[i] != '5') || t[i + 1] != '.')
        return 0;
    if (i > 0 && (str_isalnum((unsigned char)t[i - 1]) || t[i - 1] == '.'))
        return 0;
    size_t j = i + 2, d = 0;
    while (j < len && str_isdigit((unsigned char)t[j]) && d < 4)
        j++, d++;
    if (d == 0 || d > 3 || j >= len || t[j] != '.')
        return 0;
    j++;
    d = 0;
    while (j < len && str_isdigit((unsigned char)t[j]) && d < 4)
        j++, d++;
    if (d == 0 || d > 3)
        return 0;
    /* not the start of an IP address or version number */
    if (j < len && (str_isalnum((unsigned char)t[j]) ||
                    (t[j] == '.' && j + 1 < len && str_isdigit((unsigned char)t[j + 1]))))
        return 0;
    return j - i;
}

size_t reply_find_code(const char *text, size_t len, size_t from)
{
    for (size_t i = from; i + 3 <= len; i++)
        if (is_code_at(text, len, i))
            return i;
    return (size_t)-1;
}

/* find_codes - reply code and status. Prefer a code directly followed by a status; else a
 * code at the very start; else the first status anywhere with the first code anywhere. */
static void find_codes(reply_parts *rp)
{
    const char *t = rp->text;
    size_t len = rp->len;
    size_t first_code = (size_t)-1;
    for (size_t i = 0; i + 3 <= len; i++) {
        /* (the first digit looked at here: most bytes are not one) */
        if (t[i] < '2' || t[i] > '5' || !is_code_at(t, len, i))
            continue;
        if (first_code == (size_t)-1)
            first_code = i;
        size_t j = i + 3;
        while (j < len && (t[j] == ' ' || t[j] == '-' || t[j] == '#' || t[j] == '('))
            j++;
        size_t sl = reply_status_len(t, len, j);
        if (sl && sl < sizeof rp->status && t[j] == t[i]) {
            memcpy(rp->code, t + i, 3);
            memcpy(rp->status, t + j, sl);
            rp->status[sl] = 0;
            rp->status_end = j + sl;
            return;
        }
    }
    if (first_code != (size_t)-1) {
        memcpy(rp->code, t + first_code, 3);
        rp->status_end = first_code + 3;
    }
    for (size_t i = 0; i + 5 <= len; i++) {
        if (t[i + 1] != '.')
            continue;
        size_t sl = reply_status_len(t, len, i);
        if (sl && sl < sizeof rp->status) {
            if (rp->code[0] && rp->code[0] != t[i])
                continue; /* 550 with a 4.x.x elsewhere: not this reply's status */
            memcpy(rp->status, t + i, sl);
            rp->status[sl] = 0;
            if (i + sl > rp->status_end || !rp->code[0])
                rp->status_end = i + sl;
            return;
        }
    }
}

static int is_host_char(int c)
{
    return str_isalnum(c) || c == '.' || c == '-' || c == '_';
}

/* looks_hostname - letters, digits, dots and dashes, at least one dot and one letter,
 * not an IP literal. */
static int looks_hostname(const char *s, size_t len)
{
    if (len < 4 || len > 253 || s[0] == '.' || s[0] == '-')
        return 0;
    int dot = 0, alpha = 0;
    for (size_t i = 0; i < len; i++) {
        if (!is_host_char((unsigned char)s[i]))
            return 0;
        dot += s[i] == '.';
        alpha += str_isalpha((unsigned char)s[i]);
    }
    if (s[len - 1] == '.')
        len--;
    /* the last label must hold a letter (a TLD) */
    size_t k = len;
    while (k > 0 && s[k - 1] != '.')
        k--;
    int tld_alpha = 0;
    for (size_t i = k; i < len; i++)
        tld_alpha |= str_isalpha((unsigned char)s[i]);
    return dot && alpha && tld_alpha && k > 0;
}

/* host_in_context - a bracketed name is taken for a host when it has three labels or more
 * (mx.example.net) or follows a word that names a host; "SPF [example.com]" is a domain. */
static int host_in_context(const char *t, size_t at, const char *h, size_t hl)
{
    int dots = 0;
    for (size_t i = 0; i < hl; i++)
        dots += h[i] == '.';
    if (dots >= 2)
        return 1;
    size_t from = at > 16 ? at - 16 : 0;
    static const char *const words[] = {"host", "server", "mta", "by ", "mx"};
    for (size_t k = 0; k < sizeof words / sizeof *words; k++)
        if (str_casefind(t + from, at - from, words[k], strlen(words[k])))
            return 1;
    return 0;
}

/* find_rhost - the last [host.name] in brackets, else the host of "host X[ip] said" or
 * "by X". */
static void find_rhost(reply_parts *rp)
{
    const char *t = rp->text;
    size_t len = rp->len;
    const char *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < len; i++) {
        if (t[i] != '[')
            continue;
        const char *close = memchr(t + i + 1, ']', len - i - 1);
        if (!close)
            break;
        size_t l = (size_t)(close - (t + i + 1));
        if (looks_hostname(t + i + 1, l) && host_in_context(t, i, t + i + 1, l)) {
            best = t + i + 1;
            best_len = l;
        }
        i = (size_t)(close - t);
    }
    if (!best) {
        /* Postfix: "host mx.example.net[192.0.2.1] said:" */
        const char *h = str_casefind(t, len, "host ", 5);
        if (h) {
            const char *s = h + 5;
            const char *e = s;
            while (e < t + len && is_host_char((unsigned char)*e))
                e++;
            if (e < t + len && *e == '[' && looks_hostname(s, (size_t)(e - s))) {
                best = s;
                best_len = (size_t)(e - s);
            }
        }
    }
    if (best) {
        while (best_len && best[best_len - 1] == '.')
            best_len--;
        rp->rhost = str_dup_n(best, best_len);
        if (rp->rhost)
            for (char *p = rp->rhost; *p; p++)
                *p = (char)str_tolower((unsigned char)*p);
    }
}

int reply_is_ipv4(const char *s, size_t len)
{
    char tmp[16];
    struct in_addr a;
    if (len < 7 || len > 15)
        return 0;
    memcpy(tmp, s, len);
    tmp[len] = 0;
    return inet_pton(AF_INET, tmp, &a) == 1;
}

static int is_ipv6(const char *s, size_t len)
{
    char tmp[64];
    struct in6_addr a;
    if (len < 3 || len >= sizeof tmp)
        return 0;
    memcpy(tmp, s, len);
    tmp[len] = 0;
    return inet_pton(AF_INET6, tmp, &a) == 1;
}

/* Words a reply writes right before the address of the client it refuses ("Client host
 * [192.0.2.1]", "messages from 192.0.2.1", "banned sending IP [192.0.2.1]", "Missing reverse
 * DNS for 192.0.2.1", "?ip=192.0.2.1"), lower case. Only separators (ip_sep) may stand
 * between; with name set, a host name too ("H=mail.example.com [192.0.2.1]", Exim's ACL
 * notation, "from mail.example.com[192.0.2.1]"). An address after a host name without such a
 * word ("host mx.example.net[192.0.2.1] said:", "mx.example.net [192.0.2.1] did not like
 * our RCPT TO", "Connected to 192.0.2.1 but") is the remote server's own. */
typedef struct ip_marker {
    const char *words;
    int name;
} ip_marker;

static const ip_marker ip_before[] = {
    {"client", 0},
    {"client host", 0},
    {"client ip", 0},
    {"client address", 0},
    {"ip", 0},
    {"ip address", 0},
    {"ip addr", 0},
    {"ipaddr", 0},
    {"ipv4", 0},
    {"ipv6", 0},
    {"from", 1},
    {"from host", 0},
    {"from server", 0},
    {"from mail server", 0},
    {"sender", 0},
    {"dns for", 0},
    {"ptr for", 0},
    {"rdns for", 0},
    {"ptr record for", 0},
    {"for host", 0},
    {"your hostname", 0},
    {"reverse hostname", 0},
    {"sending host", 0},
    {"sending server", 0},
    {"your host", 0},
    {"your server", 0},
    {"your mail server", 0},
    {"connecting host", 0},
    {"the mail server", 0},
    {"h=", 1},
};

/* Words a reply writes right after the client's address ("192.0.2.1 is in a black list",
 * "203.0.113.9 has sent to too many recipients", "<a.example[192.0.2.1]>: Client host
 * rejected", "mx.example [192.0.2.1]:4321 is in an RBL"), lower case: they name it as the
 * client even after a host name. */
static const char *const ip_after[] = {
    "is listed",
    "listed at",
    "listed in",
    "listed on",
    "listed by",
    "is in a black list",
    "is in a blacklist",
    "is in black list",
    "is in an rbl",
    "is in a block list",
    "is in a blocklist",
    "is blacklisted",
    "is blocklisted",
    "is blocked",
    "has been blocked",
    "is banned",
    "has been banned",
    "has sent",
    "found on",
    "is not allowed",
    "not allowed to send",
    "is not authorized",
    "is not permitted",
    "has no ptr",
    "has no reverse",
    "does not have a ptr",
    "does not have reverse",
    "has a poor reputation",
    "has poor reputation",
    "client host rejected",
    "is on a block",
    "is on our block",
    "is on the block",
    "the ip address sending",
    "the ip you",
    "has been temporarily rate limited",
    "is rate limited",
};

/* Bytes of separators looked across between an address and its words. */
#define IP_SEP_MAX 6

static int ip_sep(int c)
{
    return c == ' ' || c == '[' || c == ']' || c == '(' || c == ')' || c == '<' || c == '>' ||
           c == ':' || c == '=' || c == ',' || c == '"' || c == '\'';
}

/* words_end_at - do the words w end at t[e] (case-insensitively), starting at a word
 * boundary? */
static int words_end_at(const char *t, size_t e, const char *w)
{
    size_t wl = strlen(w);
    if (wl > e)
        return 0;
    size_t s = e - wl;
    for (size_t k = 0; k < wl; k++)
        if (str_tolower((unsigned char)t[s + k]) != w[k])
            return 0;
    return s == 0 || !str_isalnum((unsigned char)t[s - 1]);
}

/* before_marker - a client word (ip_before) before the address at t[i]: with separators
 * only between, or, for the words that allow it, a host name and separators. */
static int before_marker(const char *t, size_t i)
{
    size_t lo = i > IP_SEP_MAX ? i - IP_SEP_MAX : 0;
    size_t e = i;
    for (;;) {
        for (size_t m = 0; m < sizeof ip_before / sizeof *ip_before; m++)
            if (words_end_at(t, e, ip_before[m].words))
                return 1;
        if (e <= lo || !ip_sep((unsigned char)t[e - 1]))
            break;
        e--;
    }
    /* a host name (or "unknown") between the words and the address */
    size_t he = e;
    while (he > 0 && he > e - (e > 255 ? 255 : e) && is_host_char((unsigned char)t[he - 1]))
        he--;
    if (he == e)
        return 0;
    int dot = 0;
    for (size_t k = he; k < e; k++)
        dot |= t[k] == '.';
    if (!dot && !(e - he == 7 && !memcmp(t + he, "unknown", 7)))
        return 0;
    lo = he > IP_SEP_MAX ? he - IP_SEP_MAX : 0;
    for (e = he;;) {
        for (size_t m = 0; m < sizeof ip_before / sizeof *ip_before; m++)
            if (ip_before[m].name && words_end_at(t, e, ip_before[m].words))
                return 1;
        if (e <= lo || !ip_sep((unsigned char)t[e - 1]))
            return 0;
        e--;
    }
}

/* after_marker - client words (ip_after) after the address ending at t[j], across
 * separators, a ":port" and Gmail's "[192.0.2.1      15]" count; or that count itself. */
static int after_marker(const char *t, size_t len, size_t j)
{
    size_t k = j;
    /* Gmail: "[192.0.2.1      15]" (blanks collapsed) */
    if (k + 2 < len && t[k] == ' ' && str_isdigit((unsigned char)t[k + 1])) {
        size_t d = k + 1;
        while (d < len && d - k < 5 && str_isdigit((unsigned char)t[d]))
            d++;
        if (d < len && t[d] == ']')
            return 1;
    }
    size_t hi = j + IP_SEP_MAX;
    while (k < len && k < hi) {
        if (t[k] == ':' && k + 1 < len && str_isdigit((unsigned char)t[k + 1])) {
            size_t d = k + 1;
            while (d < len && d - k < 6 && str_isdigit((unsigned char)t[d]))
                d++;
            hi += d - k;
            k = d;
            continue;
        }
        if (!ip_sep((unsigned char)t[k]))
            break;
        k++;
    }
    for (size_t m = 0; m < sizeof ip_after / sizeof *ip_after; m++) {
        size_t wl = strlen(ip_after[m]);
        if (k + wl <= len && str_casefind(t + k, wl, ip_after[m], wl) == t + k &&
            (k + wl == len || !str_isalnum((unsigned char)t[k + wl])))
            return 1;
    }
    return 0;
}

/* after_status - "550-5.7.25 [192.0.2.1] The IP address ...": Gmail names the client in
 * brackets right after the reply code and status. i is the address, t[i - 1] is '['. */
static int after_status(const char *t, size_t len, size_t i)
{
    if (i < 2 || t[i - 1] != '[' || t[i - 2] != ' ')
        return 0;
    size_t e = i - 2, s = e;
    while (s > 0 && e - s < 12 && (str_isdigit((unsigned char)t[s - 1]) || t[s - 1] == '.'))
        s--;
    if (s == e || reply_status_len(t, len, s) != e - s)
        return 0;
    return s >= 4 && (t[s - 1] == ' ' || t[s - 1] == '-') && is_code_at(t, len, s - 4);
}

/* ip_usable - an address a server on the Internet could have connected from. */
static int ip_usable(const char *s, size_t len)
{
    cidr_addr a;
    return cidr_parse_ip(s, len, &a) == 0 && !cidr_not_routable(&a);
}

/* is_ip_run_char - a byte of the runs find_sending_ip() reads as IP candidates. */
static int is_ip_run_char(int c)
{
    return str_isdigit(c) || c == '.' || c == ':' || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

/* find_sending_ip - the first IP literal the text names as the refused client: with a client
 * word before it (ip_before) or after it (ip_after), or in Gmail's brackets after the status.
 * Any other address (the remote server's, one in a transcript) is not taken: no answer is
 * better than a wrong one. Loopback, multicast and the like are never the sending IP. */
static void find_sending_ip(reply_parts *rp)
{
    const char *t = rp->text;
    size_t len = rp->len;
    const char *nd = NULL, *nc = NULL; /* the next '.' and ':' at or after i, once found */
    for (size_t i = 0; i < len;) {
        /* an IP literal holds a '.' or a ':': jump to the start of the run around the next
         * one (the runs before it cannot be IPs; the run found is the same one the byte by
         * byte walk would have started, as i is always at a run boundary) */
        if (!nd || nd < t + i) {
            nd = memchr(t + i, '.', len - i);
            if (!nd)
                nd = t + len;
        }
        if (!nc || nc < t + i) {
            nc = memchr(t + i, ':', len - i);
            if (!nc)
                nc = t + len;
        }
        size_t q = (size_t)((nd < nc ? nd : nc) - t);
        if (q >= len)
            break;
        size_t x = q;
        while (x > i && is_ip_run_char((unsigned char)t[x - 1]))
            x--;
        i = x;
        int c = (unsigned char)t[i];
        if (!(str_isdigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':')) {
            i++;
            continue;
        }
        size_t j = i, dots = 0, colons = 0;
        while (j < len && j - i < 45 &&
               (str_isdigit((unsigned char)t[j]) || t[j] == '.' || t[j] == ':' ||
                (str_tolower((unsigned char)t[j]) >= 'a' &&
                 str_tolower((unsigned char)t[j]) <= 'f'))) {
            dots += t[j] == '.';
            colons += t[j] == ':';
            j++;
        }
        size_t l = j - i;
        while (l && t[i + l - 1] == '.')
            l--, dots--;
        /* an IPv4 literal has three dots, an IPv6 one colons: words ("deface", "added") do not
         * get as far as inet_pton() */
        if (dots != 3 && !colons) {
            i = j > i ? j : i + 1;
            continue;
        }
        int prev_ok = i == 0 || !(str_isalnum((unsigned char)t[i - 1]) || t[i - 1] == '.' ||
                                  t[i - 1] == '-' || t[i - 1] == ':');
        int next_ok = j >= len || !(str_isalnum((unsigned char)t[j]) || t[j] == '-');
        if (prev_ok && next_ok &&
            (reply_is_ipv4(t + i, l) || (memchr(t + i, ':', l) && is_ipv6(t + i, l))) &&
            ip_usable(t + i, l) &&
            (before_marker(t, i) || after_marker(t, len, i + l) || after_status(t, len, i))) {
            rp->sending_ip = str_dup_n(t + i, l);
            return;
        }
        i = j > i ? j : i + 1;
    }
}

/* is_tag - provider tags such as TSS04, PH01, CS01, BL21, S3140, SC-001. */
static int is_tag(const char *s, size_t len)
{
    size_t i = 0, letters = 0, digits = 0;
    while (i < len && s[i] >= 'A' && s[i] <= 'Z')
        i++, letters++;
    if (i < len && s[i] == '-')
        i++;
    while (i < len && str_isdigit((unsigned char)s[i]))
        i++, digits++;
    return i == len && letters >= 1 && letters <= 5 && digits >= 2 && digits <= 5;
}

/* find_tags - "AS(7171)" and bracketed provider tags, as written, space-separated. */
static mxd_err find_tags(reply_parts *rp)
{
    const char *t = rp->text;
    size_t len = rp->len;
    buf b;
    buf_init(&b, 256);
    int n = 0;
    mxd_err e = MXD_OK;
    for (size_t i = 0; i < len && n < TAGS_MAX && !e; i++) {
        if (t[i] != 'A' && t[i] != '[' && t[i] != '(')
            continue;
        size_t tl = 0;
        const char *ts = NULL;
        if (t[i] == 'A' && i + 4 < len && t[i + 1] == 'S' && t[i + 2] == '(' &&
            (i == 0 || !str_isalnum((unsigned char)t[i - 1]))) {
            size_t j = i + 3;
            while (j < len && str_isdigit((unsigned char)t[j]) && j - i < 12)
                j++;
            if (j > i + 3 && j < len && t[j] == ')') {
                ts = t + i;
                tl = j + 1 - i;
            }
        } else if ((t[i] == '[' || t[i] == '(') && i + 1 < len) {
            char close = t[i] == '[' ? ']' : ')';
            size_t j = i + 1;
            while (j < len && j - i < 12 && t[j] != close)
                j++;
            if (j < len && t[j] == close && is_tag(t + i + 1, j - i - 1)) {
                ts = t + i;
                tl = j + 1 - i;
            }
        }
        if (ts) {
            /* skip a tag already seen */
            if (!b.len || !str_casefind(buf_cstr(&b), b.len, ts, tl)) {
                if (b.len)
                    e = buf_addc(&b, ' ');
                if (!e)
                    e = buf_add(&b, ts, tl);
                n++;
            }
            i += tl - 1;
        }
    }
    if (e)
        return e == MXD_ERR_TOOBIG ? MXD_OK : e;
    if (b.len)
        rp->tags = buf_steal(&b);
    buf_free(&b);
    return MXD_OK;
}

/* normalise - join the lines of a multi-line reply into one, dropping continuation prefixes
 * and control characters, collapsing blanks. */
static mxd_err normalise(const char *in, size_t len, reply_parts *rp)
{
    /* the output is never longer than the (capped) input: written in place, no appends */
    char *out = malloc(len + 1);
    if (!out)
        return MXD_ERR_NOMEM;
    size_t o = 0;
    char first_code[4] = "", first_status[16] = "";
    const char *p = in, *end = in + len;
    /* the first "NNN-X.Y.Z " in the text (after a wrapper's words, as Exim's "SMTP error
     * from remote mail server after RCPT TO:<a@b>: 550-5.2.1 ..."): a multi-line reply */
    const char *mk = NULL;
    char mk_code[4] = "";
    size_t mk_sl = 0;
    for (size_t i = 0; i + 5 < len && !mk; i++)
        if (in[i + 3] == '-' && is_code_at(in, len, i) && str_isdigit((unsigned char)in[i + 4]) &&
            in[i + 5] == '.') {
            memcpy(mk_code, in + i, 3);
            size_t k = skip_continuation(in + i, len - i, mk_code), sl = k;
            while (sl > 4 && in[i + sl - 1] == ' ')
                sl--;
            if (sl > 6 && sl - 4 < sizeof first_status) {
                memcpy(first_status, in + i + 4, sl - 4);
                first_status[sl - 4] = 0;
                mk_sl = sl - 4;
                mk = in + i;
            }
        }
    int lineno = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *ls = p;
        p = nl ? nl + 1 : end;
        /* blanks, and the '>' marks of a quoted reply */
        while (ls < le && (str_isspace((unsigned char)*ls) || *ls == '>'))
            ls++;
        while (le > ls && str_isspace((unsigned char)le[-1]))
            le--;
        if (ls == le)
            continue;
        size_t ll = (size_t)(le - ls);
        if (lineno == 0 && ll >= 3 && is_code_at(ls, ll, 0))
            memcpy(first_code, ls, 3);
        else if (lineno > 0) {
            size_t skip = skip_continuation(ls, ll, first_code);
            ls += skip;
            ll -= skip;
        }
        lineno++;
        if (o && out[o - 1] != ' ')
            out[o++] = ' ';
        for (size_t i = 0; i < ll; i++) {
            unsigned char c = (unsigned char)ls[i];
            /* a multi-line reply whose lines were joined before it reached us (a DSN's
             * Diagnostic-Code, a log line): the continuation markers inside the text
             * ("... at a rate that 550-5.2.1 prevents ...") go as the leading ones do */
            if (mk && ls + i > mk && (o == 0 || out[o - 1] == ' ') &&
                inline_marker(ls + i, ll - i, mk_code, first_status, mk_sl)) {
                size_t k = skip_continuation(ls + i, ll - i, mk_code);
                i += k - 1;
                continue;
            }
            if (c < 32 || c == 0x7f)
                c = ' ';
            /* a no-break space (U+00A0, a web page's or a mail client's "&nbsp;" pasted
             * along) is a blank between words */
            if (c == 0xc2 && i + 1 < ll && (unsigned char)ls[i + 1] == 0xa0) {
                c = ' ';
                i++;
            }
            if (c == ' ' && o && out[o - 1] == ' ')
                continue;
            out[o++] = (char)c;
        }
    }
    out[o] = 0;
    rp->len = o;
    rp->text = out;
    return rp->text ? MXD_OK : MXD_ERR_NOMEM;
}

/* html_text - the text of an HTML-to-text NDR: tags of HTML elements dropped (a block tag
 * ends a line), "<user@example.com>" kept, entities decoded. out has len + 1 bytes; returns
 * the length written. */
static size_t html_text(const char *in, size_t len, char *out)
{
    static const struct {
        const char *name;
        char to;
    } ents[] = {{"&lt;", '<'},   {"&gt;", '>'},    {"&amp;", '&'},  {"&quot;", '"'},
                {"&#39;", '\''}, {"&apos;", '\''}, {"&nbsp;", ' '}, {"&#160;", ' '}};
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        if (in[i] == '<' && i + 1 < len &&
            (str_isalpha((unsigned char)in[i + 1]) || in[i + 1] == '/' || in[i + 1] == '!')) {
            const char *close = memchr(in + i, '>', len - i);
            if (close && !memchr(in + i, '@', (size_t)(close - (in + i)))) {
                const char *n = in + i + 1 + (in[i + 1] == '/');
                int block = str_casefind(n, 3, "br", 2) == n || str_casefind(n, 2, "p", 1) == n ||
                            str_casefind(n, 3, "div", 3) == n || str_casefind(n, 2, "tr", 2) == n ||
                            str_casefind(n, 2, "li", 2) == n;
                out[o++] = block ? '\n' : ' ';
                i = (size_t)(close - in) + 1;
                continue;
            }
        }
        if (in[i] == '&') {
            size_t k = 0;
            for (; k < sizeof ents / sizeof *ents; k++) {
                size_t el = strlen(ents[k].name);
                if (i + el <= len && str_casefind(in + i, el, ents[k].name, el) == in + i) {
                    out[o++] = ents[k].to;
                    i += el;
                    break;
                }
            }
            if (k < sizeof ents / sizeof *ents)
                continue;
        }
        out[o++] = in[i++];
    }
    out[o] = 0;
    return o;
}

/* html_marker_at - does an HTML-to-text NDR's marker ("<br", "<p>", "<html" ...; any case)
 * stand at t (left bytes from there, t[0] is '<')? */
static int html_marker_at(const char *t, size_t left)
{
    static const char *const html[] = {"<br", "<p>", "<p ", "<html", "<div", "<td", "<body"};
    for (size_t k = 0; k < sizeof html / sizeof *html; k++) {
        size_t ml = strlen(html[k]), i = 1;
        while (i < ml && i < left && str_tolower((unsigned char)t[i]) == html[k][i])
            i++;
        if (i == ml)
            return 1;
    }
    return 0;
}

/* log_head - does t[0..n) read as the head of a log line: a TAI64N label ("@4000..."), a
 * program named qmail ("qmail: ", "qmail-send[42]: "), or a time of day ("10:00:01")? A
 * sentence that mentions a delivery's log words later on is none. */
static int log_head(const char *t, size_t n)
{
    if (t[0] == '@' || str_casefind(t, n, "qmail", 5))
        return 1;
    for (size_t i = 0; i + 8 <= n; i++)
        if (str_isdigit((unsigned char)t[i]) && str_isdigit((unsigned char)t[i + 1]) &&
            t[i + 2] == ':' && str_isdigit((unsigned char)t[i + 3]) &&
            str_isdigit((unsigned char)t[i + 4]) && t[i + 5] == ':' &&
            str_isdigit((unsigned char)t[i + 6]) && str_isdigit((unsigned char)t[i + 7]))
            return 1;
    return 0;
}

/* qmail_report - where a qmail-send log line's report starts ("@4000... delivery 245:
 * failure: Unable_to_run_qmail-remote./": after "delivery N: success|failure|deferral: "),
 * or NULL when the text opens with no such line. The prefix opens the text or follows a log
 * line's head (log_head), within the first line's 160 bytes. */
static const char *qmail_report(const char *t, size_t tl)
{
    static const char *const kinds[] = {"success: ", "failure: ", "deferral: "};
    size_t head = tl < 160 ? tl : 160;
    const char *nl = memchr(t, '\n', head);
    if (nl)
        head = (size_t)(nl - t);
    for (const char *d = str_casefind(t, head, "delivery ", 9); d;
         d = str_casefind(d + 1, head - (size_t)(d + 1 - t), "delivery ", 9)) {
        const char *p = d + 9, *e = t + tl;
        if (d > t && !str_isspace((unsigned char)d[-1]) && d[-1] != ':')
            continue;
        if (d > t && !log_head(t, (size_t)(d - t)))
            continue;
        if (p >= e || !str_isdigit((unsigned char)*p))
            continue;
        while (p < e && str_isdigit((unsigned char)*p))
            p++;
        if (e - p < 2 || p[0] != ':' || p[1] != ' ')
            continue;
        p += 2;
        for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
            size_t kl = strlen(kinds[k]);
            if ((size_t)(e - p) > kl && !memcmp(p, kinds[k], kl))
                return p + kl;
        }
    }
    return NULL;
}

/* qmail_unlog - undo what qmail-send's log did to a report (qmail-send.c logsafe(): every line
 * break written as '/', every blank as '_'; some builds keep the blanks). Underscores become
 * blanks only in a report without blanks; a '/' becomes a line break at the report's end,
 * after a sentence's end (". ) ] >") or before a capital (the next line of the reply), and is
 * kept elsewhere (a URL's path). Writes at most len bytes to out; returns the length. */
static size_t qmail_unlog(const char *in, size_t len, char *out)
{
    int blanks = memchr(in, ' ', len) != NULL;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (c == '_' && !blanks)
            c = ' ';
        else if (c == '/') {
            char prev = i ? in[i - 1] : 0, next = i + 1 < len ? in[i + 1] : 0;
            if (!next || next == '\n' || strchr(".)]>", prev ? prev : 'x') ||
                (next >= 'A' && next <= 'Z' && prev != '/' && prev != ':'))
                c = '\n';
        }
        out[i] = c;
    }
    out[len] = 0;
    return len;
}

/* unwrap - take off what a mail client wrapped around the server's reply: an HTML NDR's
 * markup, Exchange's "Remote Server returned '...'" and "Diagnostic information for
 * administrators" block, Gmail's "The error that the other server returned was:". *text and
 * *tlen get the reply (inside in, or inside *owned, which the caller frees), rp->wrapper
 * what was taken off. MXD_ERR_NOMEM on no memory. */
static mxd_err unwrap(const char *in, size_t len, reply_parts *rp, char **owned, const char **text,
                      size_t *tlen)
{
    *owned = NULL;
    *text = in;
    *tlen = len;
    /* (every marker starts with '<': each '<' is looked at, not seven searches made) */
    for (const char *lt = len ? memchr(in, '<', len) : NULL; lt;
         lt = memchr(lt + 1, '<', len - (size_t)(lt + 1 - in)))
        if (html_marker_at(lt, len - (size_t)(lt - in))) {
            *owned = malloc(len + 1);
            if (!*owned)
                return MXD_ERR_NOMEM;
            *tlen = html_text(in, len, *owned);
            *text = *owned;
            rp->wrapper = "HTML";
            break;
        }
    const char *q = *owned ? NULL : qmail_report(in, len);
    if (q) {
        /* (the log line ends the report: the next line is another entry) */
        const char *eol = memchr(q, '\n', len - (size_t)(q - in));
        size_t ql = (size_t)((eol ? eol : in + len) - q);
        *owned = malloc(ql + 1);
        if (!*owned)
            return MXD_ERR_NOMEM;
        *tlen = qmail_unlog(q, ql, *owned);
        *text = *owned;
        rp->wrapper = "qmail-send log";
    }
    const char *t = *text;
    size_t tl = *tlen;
    static const char rsr[] = "remote server returned '";
    static const char dia[] = "diagnostic information for administrators";
    static const char omh[] = "original message headers";
    static const char *const gm[] = {"the error that the other server returned was:",
                                     "the response from the remote server was:"};
    /* (rsr and both of gm say "server": without it, none of the three is searched for) */
    int server = str_casefind(t, tl, "server", 6) != NULL;
    const char *h = server ? str_casefind(t, tl, rsr, sizeof rsr - 1) : NULL;
    if (h) {
        const char *s = h + sizeof rsr - 1;
        const char *nl = memchr(s, '\n', tl - (size_t)(s - t));
        const char *e = nl ? nl : t + tl;
        while (e > s && e[-1] != '\'')
            e--;
        if (e > s + 1) {
            *text = s;
            *tlen = (size_t)(e - 1 - s);
            rp->wrapper = "Exchange 'Remote Server returned'";
            return MXD_OK;
        }
    }
    if ((h = str_casefind(t, tl, dia, sizeof dia - 1))) {
        const char *s = h + sizeof dia - 1;
        const char *e = str_casefind(s, tl - (size_t)(s - t), omh, sizeof omh - 1);
        while (s < t + tl && (*s == ':' || str_isspace((unsigned char)*s)))
            s++;
        *text = s;
        *tlen = (size_t)((e ? e : t + tl) - s);
        rp->wrapper = "Exchange 'Diagnostic information for administrators'";
        return MXD_OK;
    }
    for (size_t k = 0; server && k < sizeof gm / sizeof *gm; k++)
        if ((h = str_casefind(t, tl, gm[k], strlen(gm[k])))) {
            *text = h + strlen(gm[k]);
            *tlen = tl - (size_t)(*text - t);
            rp->wrapper = "Gmail 'The error that the other server returned was'";
            return MXD_OK;
        }
    return MXD_OK;
}

mxd_err reply_parse(const char *in, size_t len, reply_parts *rp)
{
    memset(rp, 0, sizeof *rp);
    if (len > MXD_REPLY_MAX)
        len = MXD_REPLY_MAX;
    size_t k = 0;
    while (k < len && str_isspace((unsigned char)in[k]))
        k++;
    if (k == len)
        return MXD_ERR_EMPTY;
    if (looks_binary((const unsigned char *)in, len))
        return MXD_ERR_BINARY;
    char *owned = NULL;
    const char *t = in;
    size_t tl = len;
    mxd_err e = unwrap(in, len, rp, &owned, &t, &tl);
    if (!e)
        e = normalise(t, tl, rp);
    free(owned);
    if (e)
        return e;
    find_codes(rp);
    if (rp->status[0] &&
        kb_status_parse(rp->status, strlen(rp->status), &rp->cls, &rp->subj, &rp->det))
        rp->status[0] = 0, rp->cls = 0;
    find_rhost(rp);
    find_sending_ip(rp);
    e = find_tags(rp);
    if (e) {
        reply_free(rp);
        return e;
    }
    return MXD_OK;
}

/* reply_rhost_ip - only the remote host and the sending IP of a text that is already one
 * normalised line (no line breaks, blanks collapsed): what reply_parse() would find, without
 * its other passes. Either out-pointer may be NULL; results are the caller's to free. */
void reply_rhost_ip(const char *text, size_t len, char **rhost, char **sending_ip)
{
    reply_parts rp;
    memset(&rp, 0, sizeof rp);
    rp.text = (char *)text;
    rp.len = len > MXD_REPLY_MAX ? MXD_REPLY_MAX : len;
    if (rhost) {
        find_rhost(&rp);
        *rhost = rp.rhost;
    }
    if (sending_ip) {
        find_sending_ip(&rp);
        *sending_ip = rp.sending_ip;
    }
}
