/* mail.h - message sources: a message file, an mbox, a Maildir, a directory tree, stdin
 * SPDX-License-Identifier: MIT
 *
 * A source hands out one message at a time as raw bytes. The format of a path is detected,
 * not declared: a directory with cur/ or new/ is a Maildir, any other directory is walked
 * recursively (sorted by name, dot files skipped); a file (or stdin, "-") that starts with
 * "From " is an mbox, read as a stream in bounded memory; any other file is one message.
 * A message longer than MXD_MAIL_MESSAGE_MAX is cut there (the message is flagged truncated;
 * a single-message file is not read further, an mbox is read on to the next "From " line, at
 * most 128 MiB further). Symbolic links are followed, but each directory is walked and each
 * file read once (by device and inode): link loops end. A path that is neither a regular file
 * nor a directory (a FIFO, a device) is refused with MXD_ERR_IO.
 */
#ifndef MXDIAG_MAIL_H
#define MXDIAG_MAIL_H

#include <stddef.h>
#include "mxdiag/export.h"
#include "mxdiag/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest message kept; bytes beyond are skipped. */
#define MXD_MAIL_MESSAGE_MAX (32u * 1024 * 1024)

typedef enum mxd_mail_kind {
    MXD_MAIL_MESSAGE = 1, /* a file holding one message */
    MXD_MAIL_MBOX = 2,    /* a file of messages separated by "From " lines */
    MXD_MAIL_MAILDIR = 3, /* a Maildir: messages in cur/ and new/ */
    MXD_MAIL_DIR = 4,     /* a directory of message (or mbox) files, walked recursively */
    MXD_MAIL_STDIN = 5    /* standard input: one message, or an mbox */
} mxd_mail_kind;

/* One message handed out by mxd_mail_next(). The pointers stay valid until the next call
 * on the same source (or its free). */
typedef struct mxd_mail_msg {
    const char *data; /* raw bytes, not NUL-terminated */
    size_t len;
    const char *label; /* "path", or "path:N" for the Nth message of an mbox (N from 1) */
    const char *path;  /* the file the message came from ("-" for stdin) */
    int truncated;     /* the message was longer than MXD_MAIL_MESSAGE_MAX */
} mxd_mail_msg;

typedef struct mxd_mail_source mxd_mail_source;

/* mxd_mail_open - a source for path ("-" = standard input). Errors: MXD_ERR_NOTFOUND when
 * the path does not exist, MXD_ERR_IO when it cannot be read (a one-line reason goes to why,
 * which may be NULL), MXD_ERR_NOMEM. Free with mxd_mail_close(). */
MXD_API mxd_err mxd_mail_open(const char *path, mxd_mail_source **out, char *why, size_t whylen);

/* mxd_mail_kind_of - what the source was detected as (for stdin and single files the kind
 * is known after the first mxd_mail_next(): MXD_MAIL_MBOX or MXD_MAIL_MESSAGE). */
MXD_API mxd_mail_kind mxd_mail_kind_of(const mxd_mail_source *s);

/* mxd_mail_kind_name - "message", "mbox", "maildir", "directory", "stdin". */
MXD_API const char *mxd_mail_kind_name(mxd_mail_kind k);

/* mxd_mail_next - the next message into *msg. Returns MXD_OK, MXD_ERR_NOTFOUND at the end,
 * MXD_ERR_IO when a file could not be read, or MXD_ERR_TOOBIG when an mbox message ran on
 * for 128 MiB past the cap (the rest of that file is not read): why names it; the source stays
 * usable and the next call goes on with the next file. */
MXD_API mxd_err mxd_mail_next(mxd_mail_source *s, mxd_mail_msg *msg, char *why, size_t whylen);

/* mxd_mail_bytes_read - bytes read so far from all files of the source (for progress). */
MXD_API unsigned long long mxd_mail_bytes_read(const mxd_mail_source *s);

/* mxd_mail_close - release a source; NULL is accepted. */
MXD_API void mxd_mail_close(mxd_mail_source *s);

#ifdef __cplusplus
}
#endif
#endif
