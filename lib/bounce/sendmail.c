/* sendmail.c - Sendmail bounces, old (V5, text only) and new (with a DSN part)
 * SPDX-License-Identifier: MIT
 *
 * "----- Transcript of session follows -----" is the SMTP dialogue per remote host:
 * "... while talking to HOST.:", ">>> RCPT To:<addr>" (what we sent), "<<< 550 ..." (what
 * the server answered) and summary lines "554 <addr>... text" naming the recipient. The
 * server's answer before a summary line belongs to that recipient; the summary's own
 * leading code is Sendmail's, the remote code is the one after "...". With a DSN part the
 * DSN names the recipients and the transcript only fills in what it leaves out.
 */
#include <string.h>
#include <strings.h>
#include "bounce/formats.h"
#include "util/str.h"

static int sendmail_detect(const bounce_view *v)
{
    return fmt_text_has(v, "----- Transcript of session follows -----") ||
           fmt_text_has(v, "had permanent fatal errors") ||
           fmt_text_has(v, "----- Unsent message follows -----") ||
           (fmt_subject_starts(v, "Returned mail:") && fmt_from_has(v, "mailer-daemon"));
}

/* host_after - "while talking to HOST.:" -> HOST into out. */
static void host_after(const char *l, size_t ll, char *out, size_t outlen)
{
    const char *p = str_casefind(l, ll, "talking to ", 11);
    if (!p)
        return;
    p += 11;
    size_t n = (size_t)(l + ll - p);
    size_t e = 0;
    while (e < n && p[e] != ':' && p[e] != ' ')
        e++;
    while (e && p[e - 1] == '.')
        e--;
    bounce_copy(out, outlen, p, e);
    for (char *q = out; *q; q++)
        *q = (char)str_tolower((unsigned char)*q);
}

/* transcript - read the SMTP dialogue; add recipients only when add is set. */
static void transcript(const char *t, size_t len, size_t sep, bounce_out *out, int add)
{
    const char *ts = str_casefind(t, len, "Transcript of session follows", 29);
    if (!ts)
        return;
    size_t pos = (size_t)(ts - t);
    size_t end = sep;
    if (end <= pos)
        end = len;
    const char *l;
    size_t ll;
    char host[BOUNCE_HOST_MAX] = "", cmd[8] = "", mailfrom[BOUNCE_ADDR_MAX] = "";
    char resp[BOUNCE_MAX_DIAG], lastcode[256] = "";
    size_t rl = 0;
    bounce_line(t, end, &pos, &l, &ll); /* the heading itself */
    while (bounce_line(t, end, &pos, &l, &ll)) {
        bounce_trim(&l, &ll);
        if (!ll)
            continue;
        if (str_casefind(l, ll, "while talking to", 16)) {
            host_after(l, ll, host, sizeof host);
            rl = 0;
            cmd[0] = 0;
            continue;
        }
        if (ll > 4 && !memcmp(l, ">>> ", 4)) {
            size_t i = 4, k = 0;
            while (i < ll && str_isalpha((unsigned char)l[i]) && k + 1 < sizeof cmd)
                cmd[k++] = (char)(l[i++] & ~0x20);
            cmd[k] = 0;
            if (!strcmp(cmd, "MAIL"))
                bounce_addr_clean(l + 4, ll - 4, mailfrom, sizeof mailfrom);
            rl = 0;
            continue;
        }
        if (ll >= 4 && !memcmp(l, "<<< ", 4)) {
            size_t n = ll - 4;
            if (rl && rl + 1 < sizeof resp)
                resp[rl++] = ' ';
            if (rl + n >= sizeof resp)
                n = sizeof resp - rl - 1;
            memcpy(resp + rl, l + 4, n);
            rl += n;
            continue;
        }
        if (ll == 3 && !memcmp(l, "<<<", 3))
            continue;
        if (ll > 4 && str_isdigit((unsigned char)l[0]) && str_isdigit((unsigned char)l[1]) &&
            str_isdigit((unsigned char)l[2]) && l[3] == ' ' && !memchr(l, '@', ll)) {
            /* "451 4.0.0 Operating system error": a reply without an address */
            bounce_copy(lastcode, sizeof lastcode, l, ll);
        }
        /* summary line: "[NNN ]<addr>... text" */
        const char *dots = str_casefind(l, ll, "... ", 4);
        if (!dots) {
            /* a local delivery agent's words ("mail.local: unknown user: x") */
            if (!str_isdigit((unsigned char)l[0]) && memchr(l, ':', ll) &&
                rl + ll + 2 < sizeof resp) {
                if (rl)
                    resp[rl++] = ' ';
                memcpy(resp + rl, l, ll);
                rl += ll;
            }
            continue;
        }
        size_t at, al;
        if (!bounce_addr_in(l, (size_t)(dots - l), &at, &al))
            continue;
        char a[BOUNCE_ADDR_MAX];
        if (!bounce_addr_clean(l + at, al, a, sizeof a) || (mailfrom[0] && !strcmp(a, mailfrom)))
            continue;
        bounce_rcpt *r = bounce_find(out, a, strlen(a));
        if (!r && add)
            r = bounce_add(out, a, strlen(a));
        if (!r)
            continue;
        const char *txt = dots + 4;
        size_t tl = (size_t)(l + ll - txt);
        /* a DSN's Diagnostic-Code that is only the first line of a multi-line reply
         * ("550-Verification failed for <...>"): the whole reply, as the transcript has it */
        int first_line = r->diaglen > 4 && str_isdigit((unsigned char)r->diag[0]) &&
                         str_isdigit((unsigned char)r->diag[1]) &&
                         str_isdigit((unsigned char)r->diag[2]) && r->diag[3] == '-' &&
                         rl > r->diaglen && !strncasecmp(resp, r->diag, r->diaglen);
        if (!r->diaglen || first_line || bounce_starts(r->diag, r->diaglen, "(reason:")) {
            rcpt_diag_set(r, resp, rl);
            /* "550 5.1.2 <a@b>... Host unknown": the leading code is the only one */
            if (!rl && ll > 6 && str_isdigit((unsigned char)l[0]) && l[3] == ' ' &&
                (l[4] == '4' || l[4] == '5') && l[5] == '.' &&
                !(tl > 3 && str_isdigit((unsigned char)txt[0]) &&
                  str_isdigit((unsigned char)txt[2])))
                rcpt_diag_add(r, l, at > 0 && l[at - 1] == '<' ? at - 1 : at);
            rcpt_diag_add(r, txt, tl);
        }
        if (!r->command[0] && cmd[0] && strcmp(cmd, "QUIT"))
            memcpy(r->command, cmd, sizeof r->command);
        if (!r->rhost[0] && host[0])
            memcpy(r->rhost, host, sizeof r->rhost);
        rl = 0;
    }
    /* one recipient, a reply line that names no address: it is that recipient's */
    if (out->n == 1 && lastcode[0] && !bounce_has_code(out->r[0].diag, out->r[0].diaglen))
        rcpt_diag_add(&out->r[0], lastcode, strlen(lastcode));
}

static int sendmail_parse(bounce_view *v, bounce_out *out)
{
    fmt_orig_after(v);
    const char *t = v->text.ptr ? v->text.ptr : "";
    size_t len = v->text.len;
    int n = 0;
    if (v->has_dsn) {
        n = dsn_parse(v->dsn.ptr ? v->dsn.ptr : "", v->dsn.len, out);
        if (n) {
            transcript(t, len, bview_sep(v), out, 0);
            dsn_text_fill(v, out);
        }
    }
    if (!n) {
        n = fmt_dsn_in_text(v, out);
        if (n)
            transcript(t, len, bview_sep(v), out, 0);
    }
    if (!n) {
        transcript(t, len, bview_sep(v), out, 1);
        n = (int)out->n;
    }
    if (!n)
        n = text_generic_v(v, 0, out);
    /* a warning without a delivery status part ("THIS IS A WARNING MESSAGE ONLY", "... had
     * transient non-fatal errors"): its recipients are delayed, as the DSN's Action says;
     * not in a notice that also lists permanent fatal errors (review) */
    if (n > 0 && !v->has_dsn && !bounce_has(t, bview_sep(v), "permanent fatal errors"))
        fmt_notice_kind(v, out, 0);
    return n;
}

const bounce_format bounce_fmt_sendmail = {"sendmail", sendmail_detect, sendmail_parse};
