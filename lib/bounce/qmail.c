/* qmail.c - qmail (and netqmail, vpopmail) bounces: "Hi. This is the qmail-send program"
 * SPDX-License-Identifier: MIT
 *
 * Each failed recipient is a "<addr>:" line followed by the remote server's words; the
 * copy of the message follows "--- Below this line is a copy of the message.". qmail adds
 * the same closing sentence to every permanent failure ("I'm not going to try again; this
 * message has been in the queue too long.") that says nothing about the cause: it is
 * removed. "Connected to X but sender was rejected" / "but my name was rejected" / "does
 * not like recipient" / "failed after I sent the message" name the SMTP stage.
 */
#include <string.h>
#include "bounce/formats.h"
#include "util/str.h"

static int qmail_detect(const bounce_view *v)
{
    if (v->has_dsn)
        return 0; /* qmail-send writes plain text only */
    return fmt_text_has(v, "This is the qmail-send program") ||
           fmt_text_has(v, "I'm afraid I wasn't able to deliver your message") ||
           fmt_text_has(v, "Below this line is a copy of the message");
}

/* cut_phrase - remove every occurrence of a phrase from the diagnostic. */
static void cut_phrase(bounce_rcpt *r, const char *ph)
{
    size_t pl = strlen(ph);
    const char *hit;
    while ((hit = str_casefind(r->diag, r->diaglen, ph, pl))) {
        size_t at = (size_t)(hit - r->diag);
        memmove(r->diag + at, r->diag + at + pl, r->diaglen - at - pl + 1);
        r->diaglen -= pl;
    }
    rcpt_diag_set(r, r->diag, r->diaglen);
}

static int qmail_parse(bounce_view *v, bounce_out *out)
{
    fmt_orig_after(v);
    int n = text_generic_v(v, 0, out);
    for (size_t i = 0; i < out->n; i++) {
        bounce_rcpt *r = &out->r[i];
        cut_phrase(r, "I'm not going to try again; this message has been in the queue too long.");
        /* qmail-remote's lines name the command (lib/classify/command.c); "Connected to
         * <ip>" alone, with none of them, is a refusal of the connection */
        if (!reply_command_t(&v->cmds, r->diag, r->diaglen, r->command) &&
            bounce_has(r->diag, r->diaglen, "Connected to"))
            memcpy(r->command, "CONN", 5);
    }
    return n;
}

const bounce_format bounce_fmt_qmail = {"qmail", qmail_detect, qmail_parse};
