/* reply.h - take apart an SMTP reply text as users paste it (internal)
 * SPDX-License-Identifier: MIT
 */
#ifndef MXD_CLASSIFY_REPLY_H
#define MXD_CLASSIFY_REPLY_H

#include <stddef.h>
#include <stdint.h>
#include "mxdiag/error.h"

typedef struct reply_parts {
    char *text; /* one line, blanks collapsed; owned */
    size_t len;
    char code[4];        /* "550" or "" */
    char status[16];     /* "5.7.1" or "" */
    int cls, subj, det;  /* parsed status; cls 0 when none */
    size_t status_end;   /* offset in text just after the status (or code) token */
    char *rhost;         /* owned, or NULL */
    char *sending_ip;    /* owned, or NULL */
    char *tags;          /* owned, or NULL */
    const char *wrapper; /* the client-side wrapper taken off (static), or NULL */
} reply_parts;

/* reply_parse - check and normalise the text (at most MXD_REPLY_MAX bytes are read) and find
 * its parts. Errors: MXD_ERR_EMPTY, MXD_ERR_BINARY, MXD_ERR_NOMEM. Free with reply_free(). */
mxd_err reply_parse(const char *in, size_t len, reply_parts *rp);
void reply_free(reply_parts *rp);

/* reply_status_len - the length of an enhanced status code standing alone at t[i]
 * ("5.7.708": class 2, 4 or 5, one to three digits in each other part; not inside a word, an
 * IP address or a version such as "4.5.1.2"), or 0. */
size_t reply_status_len(const char *t, size_t len, size_t i);

/* reply_find_code - offset of the first plausible SMTP reply code in text at or after from,
 * or (size_t)-1. */
size_t reply_find_code(const char *text, size_t len, size_t from);

/* reply_find_ipv4 / helpers used by the bounce parser too */
int reply_is_ipv4(const char *s, size_t len);

/* reply_rhost_ip - the remote host and the sending IP of a text already normalised to one
 * line, as reply_parse() finds them (without its other passes). Out-pointers may be NULL;
 * the strings (NULL when not found) are the caller's to free. */
void reply_rhost_ip(const char *text, size_t len, char **rhost, char **sending_ip);

/* reply_cmdtab - the SMTP command phrases indexed by their first and second bytes, built
 * once per parser: a phrase can start at a byte only when both tables have its bit. */
typedef struct reply_cmdtab {
    uint64_t by_first[256];
    uint64_t by_second[256];
    size_t plen[64];
} reply_cmdtab;

void reply_cmdtab_init(reply_cmdtab *t);

/* reply_command - the SMTP command named in a text ("in reply to RCPT TO command", ">>> DATA",
 * "after MAIL FROM") into cmd (8 bytes); returns 1 when found (command.c). */
int reply_command(const char *s, size_t len, char *cmd);

/* reply_command_t - reply_command() with a table built beforehand. */
int reply_command_t(const reply_cmdtab *t, const char *s, size_t len, char *cmd);

#endif
