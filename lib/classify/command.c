/*
 * command.c - the SMTP command a reply or a notice says it answered ("in reply to RCPT TO
 * command", "after MAIL FROM", ">>> DATA"): one table for explain and for every bounce reader,
 * so a reply gets the same verdict as the bounce that carries it.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <string.h>
#include "classify/reply.h"
#include "util/str.h"

#define REPLY_COMMAND_SCAN 2048 /* bytes of a text searched for a command phrase */

/* SMTP command phrases, most telling first: the first one (in this order) found decides.
 * Each has two bytes at least (reply_cmdtab indexes the first two). */
static const struct {
    const char *pat, *cmd;
} cmd_tab[] = {
    /* qmail-remote's own lines (qmail-remote.c), first: the MTA's word on the stage over the
     * remote server's words it quotes ("Remote host said: ... after RCPT TO"). "Connected to
     * <ip> but sender was rejected.", "... but my name was rejected.", "<ip> does not like
     * recipient.", "<ip> failed after I sent the message.", "<ip> failed on DATA command." */
    {"but sender was rejected", "MAIL"},
    {"but my name was rejected", "HELO"},
    {"does not like recipient", "RCPT"},
    {"failed after i sent the message", "DATA"},
    {"failed on data command", "DATA"},
    {"in reply to rcpt to", "RCPT"},
    {"in reply to end of data", "DATA"},
    {"in reply to data", "DATA"},
    {"in reply to mail from", "MAIL"},
    {"in reply to ehlo", "EHLO"},
    {"in reply to helo", "HELO"},
    {"after rcpt to", "RCPT"},
    {"after mail from", "MAIL"},
    {"after end of data", "DATA"},
    {"after pipelined data", "DATA"},
    {"after data", "DATA"},
    {"after initial connection", "CONN"},
    {"after ehlo", "EHLO"},
    {"after helo", "HELO"},
    {"did not like our rcpt to", "RCPT"},
    {"did not like our final data", "DATA"},
    {"did not like our data", "DATA"},
    {"did not like our mail from", "MAIL"},
    {"did not like our ehlo", "EHLO"},
    {">>> rcpt to", "RCPT"},
    {">>> data", "DATA"},
    {">>> mail from", "MAIL"},
    {">>> ehlo", "EHLO"},
    {">>> helo", "HELO"},
    {"rcpt to:", "RCPT"},
    {"mail from:", "MAIL"},
    {"rcpt to command", "RCPT"},
    {"data command", "DATA"},
    {"end of data", "DATA"},
    {"sender rejected", "MAIL"},
    {"greeting", "CONN"},
    /* Postfix's smtp(8) when the server's greeting is no 220 ("host %s refused to talk to
     * me: %s", postfix src/smtp/smtp_proto.c) */
    {"refused to talk to me", "CONN"},
    {"[rcpt_to]", "RCPT"},
    {"[data]", "DATA"},
    {"[mail_from]", "MAIL"},
    /* Gmail's notices name the state its SMTP client was in: 13 greeting, 14 recipient, 15, 17
     * and 18 message (sisimai/go-sisimai:lhost/via-gmail.go, its "(state N)" table) */
    {"(state 13)", "EHLO"},
    {"(state 14)", "RCPT"},
    {"(state 15)", "DATA"},
    {"(state 17)", "DATA"},
    {"(state 18)", "DATA"},
};

enum { NCMD = sizeof cmd_tab / sizeof *cmd_tab };
_Static_assert(NCMD <= 64, "command phrases fit a 64-bit mask");

void reply_cmdtab_init(reply_cmdtab *t)
{
    memset(t, 0, sizeof *t);
    for (size_t k = 0; k < NCMD; k++) {
        /* both cases of each byte (the phrases are lower case) */
        unsigned char c0 = (unsigned char)cmd_tab[k].pat[0], c1 = (unsigned char)cmd_tab[k].pat[1];
        t->by_first[c0] |= (uint64_t)1 << k;
        t->by_second[c1] |= (uint64_t)1 << k;
        if (c0 >= 'a' && c0 <= 'z')
            t->by_first[c0 - 32] |= (uint64_t)1 << k;
        if (c1 >= 'a' && c1 <= 'z')
            t->by_second[c1 - 32] |= (uint64_t)1 << k;
        t->plen[k] = strlen(cmd_tab[k].pat);
    }
}

int reply_command(const char *s, size_t len, char *cmd)
{
    reply_cmdtab t;
    reply_cmdtab_init(&t);
    return reply_command_t(&t, s, len, cmd);
}

int reply_command_t(const reply_cmdtab *t, const char *s, size_t len, char *cmd)
{ /* the first phrase of the table (in table order) found in the text, any case */
    if (len > REPLY_COMMAND_SCAN)
        len = REPLY_COMMAND_SCAN;
    /* one pass: at each byte only the phrases starting with its two bytes are compared */
    size_t best = NCMD;
    for (size_t i = 0; i + 1 < len && best; i++) {
        uint64_t m = t->by_first[(unsigned char)s[i]] & t->by_second[(unsigned char)s[i + 1]];
        while (m) {
            size_t k = (size_t)__builtin_ctzll(m);
            m &= m - 1;
            if (k >= best)
                break;
            size_t pl = t->plen[k], j = 2;
            if (i + pl > len)
                continue;
            while (j < pl && str_tolower((unsigned char)s[i + j]) == cmd_tab[k].pat[j])
                j++;
            /* a phrase that ends in a letter ends a word ("after data", not "after database") */
            if (j == pl && (!str_isalnum((unsigned char)cmd_tab[k].pat[pl - 1]) || i + pl == len ||
                            !str_isalnum((unsigned char)s[i + pl]))) {
                best = k;
                break;
            }
        }
    }
    if (best == NCMD)
        return 0;
    const char *bestcmd = cmd_tab[best].cmd;
    memcpy(cmd, bestcmd, strlen(bestcmd) + 1);
    return 1;
}
