/* input.c - one log input: a file, standard input or memory, plain or compressed
 * SPDX-License-Identifier: MIT
 *
 * Bytes come from read(2) for plain files, from libarchive's raw format for .gz .xz .bz2 (found
 * by their first bytes, whatever the name) and from memory for tests. libarchive is not
 * linked: it is loaded with dlopen() the first compressed input (util/archive.h, shared with
 * the report unpacker), and without it that input fails with MXD_ERR_NOLIB and a reason naming the
 * file and the library. A fixed buffer of IN_CHUNK + MXD_LOG_LINE_MAX bytes holds them: lines are
 * handed out in place, a longer line is cut at MXD_LOG_LINE_MAX and the rest of it skipped. Lines
 * are framed as syslog (frame.c) or, once a record looks like one, as journal export ("KEY=value"
 * lines, binary fields with a 64-bit length, a blank line after each record) or journal JSON (one
 * object per line).
 *
 * For --follow, the identity (device, inode) and the offset read up to are kept; poll compares
 * them with the path as `tail -F` does: another inode is a rotation by rename, a smaller size a
 * copy-truncate.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include "log/log_internal.h"
#include "util/archive.h"
#include "util/str.h"

#define IN_CHUNK           65536
#define IN_BUF             (IN_CHUNK + MXD_LOG_LINE_MAX + 1)
#define IN_MAGIC           6
#define JOURNAL_FIELD      4096 /* longest journal field value kept (MESSAGE is cut there) */
#define JOURNAL_BINARY_MAX (1024 * 1024) /* larger binary field sizes are taken as garbage */

enum { SRC_FD, SRC_ARCHIVE, SRC_MEM };
enum { JM_NONE, JM_EXPORT, JM_JSON };

struct mxd_log_input {
    int src;
    int fd;
    int own_fd;
    char *path;
    struct archive *ar;
    const la_fns *la; /* libarchive, set with ar */
    const char *mem;
    size_t memlen, mempos;
    unsigned char magic[IN_MAGIC];
    size_t nmagic, magicpos;
    char rawbuf[IN_CHUNK]; /* libarchive's read callback buffer */
    char *buf;
    size_t start, end;
    unsigned long long base; /* file offset of buf[0] */
    int eof, skipping, follow;
    mxd_log_format format;
    int jmode;
    log_year ys;
    unsigned long long lines, cut;
    unsigned long long dev, ino;
    /* the journal record being assembled */
    char jhost[LOG_FIELD_MAX], jprog[LOG_FIELD_MAX];
    char *jmsg;
    size_t jmsglen;
    long long jtime;
    long jusec, jpid;
};

/* --- byte sources ------------------------------------------------------------------------ */

static la_ssize_t ar_read(struct archive *a, void *arg, const void **out)
{
    mxd_log_input *in = arg;
    (void)a;
    *out = in->rawbuf;
    if (in->magicpos < in->nmagic) {
        size_t n = in->nmagic - in->magicpos;
        memcpy(in->rawbuf, in->magic + in->magicpos, n);
        in->magicpos = in->nmagic;
        return (la_ssize_t)n;
    }
    for (;;) {
        ssize_t r = read(in->fd, in->rawbuf, sizeof in->rawbuf);
        if (r < 0 && errno == EINTR)
            continue;
        return r;
    }
}

/* src_read - up to n bytes into dst: the count, 0 at the end, -1 on error (why set). */
static ssize_t src_read(mxd_log_input *in, char *dst, size_t n, char *why, size_t whylen)
{
    if (in->src == SRC_MEM) {
        size_t k = in->memlen - in->mempos < n ? in->memlen - in->mempos : n;
        memcpy(dst, in->mem + in->mempos, k);
        in->mempos += k;
        return (ssize_t)k;
    }
    if (in->src == SRC_ARCHIVE) {
        la_ssize_t r = in->la->read_data(in->ar, dst, n);
        if (r < 0) {
            if (why && whylen)
                snprintf(why, whylen, "%s: %s", in->path, la_error(in->la, in->ar));
            return -1;
        }
        return (ssize_t)r;
    }
    size_t k = 0;
    if (in->magicpos < in->nmagic) {
        k = in->nmagic - in->magicpos < n ? in->nmagic - in->magicpos : n;
        memcpy(dst, in->magic + in->magicpos, k);
        in->magicpos += k;
        return (ssize_t)k;
    }
    for (;;) {
        ssize_t r = read(in->fd, dst, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && why && whylen)
            snprintf(why, whylen, "%s: %s", in->path, strerror(errno));
        return r;
    }
}

static int compressed(const unsigned char *m, size_t n)
{
    return (n >= 2 && m[0] == 0x1f && m[1] == 0x8b) ||
           (n >= 6 && !memcmp(m,
                              "\xfd"
                              "7zXZ\0",
                              6)) ||
           (n >= 3 && !memcmp(m, "BZh", 3));
}

static mxd_log_input *in_alloc(const mxd_log_input_opts *opts)
{
    mxd_log_input *in = calloc(1, sizeof *in);
    if (!in)
        return NULL;
    in->buf = malloc(IN_BUF + 1);
    in->jmsg = malloc(JOURNAL_FIELD + 1);
    if (!in->buf || !in->jmsg) {
        free(in->buf);
        free(in->jmsg);
        free(in);
        return NULL;
    }
    in->fd = -1;
    if (opts) {
        in->format = opts->format;
        in->ys.year = opts->year;
        in->ys.ref_time = opts->ref_time;
        in->follow = opts->follow;
    }
    if (in->format == MXD_LOG_FMT_JOURNAL)
        in->jmode = JM_NONE; /* decided by the first record */
    return in;
}

mxd_err mxd_log_input_open_mem(const char *data, size_t len, const mxd_log_input_opts *opts,
                               mxd_log_input **out)
{
    mxd_log_input *in = in_alloc(opts);
    if (!in)
        return MXD_ERR_NOMEM;
    in->src = SRC_MEM;
    in->mem = data;
    in->memlen = len;
    *out = in;
    return MXD_OK;
}

/* open_source - after the fd is open: read the magic bytes, start libarchive (loading it the
 * first time) when they say compressed. */
static mxd_err open_source(mxd_log_input *in, char *why, size_t whylen)
{
    in->src = SRC_FD;
    in->nmagic = in->magicpos = 0;
    while (in->nmagic < IN_MAGIC) {
        ssize_t r = read(in->fd, in->magic + in->nmagic, IN_MAGIC - in->nmagic);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            if (why && whylen)
                snprintf(why, whylen, "%s: %s", in->path, strerror(errno));
            return MXD_ERR_IO;
        }
        if (r == 0)
            break;
        in->nmagic += (size_t)r;
    }
    if (!compressed(in->magic, in->nmagic))
        return MXD_OK;
    const la_fns *la = la_get();
    if (!la) {
        if (why && whylen)
            snprintf(why, whylen, "%s: %s", in->path, la_lib.why);
        return MXD_ERR_NOLIB;
    }
    in->src = SRC_ARCHIVE;
    in->la = la;
    in->ar = la->read_new();
    if (!in->ar)
        return MXD_ERR_NOMEM;
    la->support_filter_all(in->ar);
    la->support_format_raw(in->ar);
    struct archive_entry *ent;
    if (la->read_open(in->ar, in, NULL, ar_read, NULL) != ARCHIVE_OK ||
        la->next_header(in->ar, &ent) != ARCHIVE_OK) {
        if (why && whylen)
            snprintf(why, whylen, "%s: %s", in->path, la_error(in->la, in->ar));
        return MXD_ERR_IO;
    }
    return MXD_OK;
}

mxd_err mxd_log_input_open(const char *path, const mxd_log_input_opts *opts, mxd_log_input **out,
                           char *why, size_t whylen)
{
    mxd_log_input *in = in_alloc(opts);
    if (!in)
        return MXD_ERR_NOMEM;
    in->path = str_dup_n(path, strlen(path));
    if (!in->path) {
        mxd_log_input_close(in);
        return MXD_ERR_NOMEM;
    }
    if (!strcmp(path, "-")) {
        in->fd = 0;
    } else {
        in->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (in->fd < 0) {
            int e = errno;
            if (why && whylen)
                snprintf(why, whylen, "%s: %s", path, strerror(e));
            mxd_log_input_close(in);
            return e == ENOENT ? MXD_ERR_NOTFOUND : MXD_ERR_IO;
        }
        in->own_fd = 1;
    }
    struct stat st;
    if (fstat(in->fd, &st) == 0) {
        in->dev = (unsigned long long)st.st_dev;
        in->ino = (unsigned long long)st.st_ino;
        if (!in->ys.year && !in->ys.ref_time && S_ISREG(st.st_mode))
            in->ys.ref_time = (long long)st.st_mtime;
        if (S_ISDIR(st.st_mode)) {
            if (why && whylen)
                snprintf(why, whylen, "%s: is a directory", path);
            mxd_log_input_close(in);
            return MXD_ERR_IO;
        }
    }
    mxd_err e = open_source(in, why, whylen);
    if (e) {
        mxd_log_input_close(in);
        return e;
    }
    *out = in;
    return MXD_OK;
}

void mxd_log_input_close(mxd_log_input *in)
{
    if (!in)
        return;
    if (in->ar)
        in->la->read_free(in->ar); /* (set only once libarchive is loaded) */
    if (in->own_fd && in->fd >= 0)
        close(in->fd);
    free(in->path);
    free(in->buf);
    free(in->jmsg);
    free(in);
}

void mxd_log_input_stats(const mxd_log_input *in, unsigned long long *lines,
                         unsigned long long *cut)
{
    if (lines)
        *lines = in->lines;
    if (cut)
        *cut = in->cut;
}

/* --- lines ------------------------------------------------------------------------------- */

/* fill - read more bytes after the kept ones; 1 when some came, 0 at the end, -1 on error. */
static int fill(mxd_log_input *in, char *why, size_t whylen)
{
    if (in->eof)
        return 0;
    if (in->start > 0) {
        memmove(in->buf, in->buf + in->start, in->end - in->start);
        in->base += in->start;
        in->end -= in->start;
        in->start = 0;
    }
    size_t room = IN_BUF - in->end;
    if (room > IN_CHUNK)
        room = IN_CHUNK;
    ssize_t r = src_read(in, in->buf + in->end, room, why, whylen);
    if (r < 0)
        return -1;
    if (r == 0) {
        in->eof = 1;
        return 0;
    }
    in->end += (size_t)r;
    return 1;
}

/* raw_line - the next line (without its newline, NUL-terminated in place). MXD_OK,
 * MXD_ERR_NOTFOUND at the end, MXD_ERR_IO. */
static mxd_err raw_line(mxd_log_input *in, char **line, size_t *len, char *why, size_t whylen)
{
    for (;;) {
        const char *nl = str_nl(in->buf + in->start, in->end - in->start);
        if (nl) {
            size_t n = (size_t)(nl - (in->buf + in->start));
            char *s = in->buf + in->start;
            in->start += n + 1;
            if (in->skipping) {
                in->skipping = 0;
                continue;
            }
            if (n > MXD_LOG_LINE_MAX) {
                n = MXD_LOG_LINE_MAX;
                in->cut++;
            }
            s[n] = 0;
            if (n && s[n - 1] == '\r')
                s[--n] = 0;
            *line = s;
            *len = n;
            in->lines++;
            return MXD_OK;
        }
        size_t have = in->end - in->start;
        if (have >= MXD_LOG_LINE_MAX) {
            /* too long: hand out the first MXD_LOG_LINE_MAX bytes, skip to the newline */
            char *s = in->buf + in->start;
            if (in->skipping) {
                in->start = in->end;
            } else {
                *line = s;
                *len = MXD_LOG_LINE_MAX;
                in->start += MXD_LOG_LINE_MAX;
                /* the byte after the cut is saved by moving: terminate a copy in place */
                in->skipping = 1;
                in->cut++;
                in->lines++;
                /* the NUL would overwrite the next byte, which is skipped anyway */
                s[MXD_LOG_LINE_MAX] = 0;
                return MXD_OK;
            }
        }
        int r = fill(in, why, whylen);
        if (r < 0)
            return MXD_ERR_IO;
        if (r == 0) {
            if (in->start == in->end || in->follow)
                return MXD_ERR_NOTFOUND;
            /* a last line without a newline */
            char *s = in->buf + in->start;
            size_t n = in->end - in->start;
            in->start = in->end;
            if (in->skipping) {
                in->skipping = 0;
                return MXD_ERR_NOTFOUND;
            }
            s[n] = 0;
            *line = s;
            *len = n;
            in->lines++;
            return MXD_OK;
        }
    }
}

/* take_bytes - n bytes of binary data (journal export); copies at most max into dst. */
static mxd_err take_bytes(mxd_log_input *in, unsigned long long n, char *dst, size_t max,
                          size_t *got, char *why, size_t whylen)
{
    size_t g = 0;
    while (n > 0) {
        if (in->start == in->end) {
            int r = fill(in, why, whylen);
            if (r < 0)
                return MXD_ERR_IO;
            if (r == 0)
                return MXD_ERR_NOTFOUND;
        }
        size_t k = in->end - in->start;
        if (k > n)
            k = (size_t)n;
        if (dst && g < max) {
            size_t c = max - g < k ? max - g : k;
            memcpy(dst + g, in->buf + in->start, c);
            g += c;
        }
        in->start += k;
        n -= k;
    }
    if (got)
        *got = g;
    return MXD_OK;
}

/* --- journal ----------------------------------------------------------------------------- */

static int journal_key(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && (str_isalnum((unsigned char)s[i]) || s[i] == '_'))
        i++;
    return i > 0 && (i == len || s[i] == '=') && !str_isdigit((unsigned char)s[0]);
}

static void journal_reset(mxd_log_input *in)
{
    in->jhost[0] = in->jprog[0] = 0;
    in->jmsglen = 0;
    in->jtime = 0;
    in->jusec = 0;
    in->jpid = -1;
}

static void journal_field(mxd_log_input *in, const char *k, size_t klen, const char *v, size_t vlen)
{
#define KEY(s) (klen == sizeof s - 1 && !memcmp(k, s, sizeof s - 1))
    if (KEY("MESSAGE")) {
        size_t n = vlen < JOURNAL_FIELD ? vlen : JOURNAL_FIELD;
        memcpy(in->jmsg, v, n);
        in->jmsglen = n;
    } else if (KEY("_HOSTNAME")) {
        snprintf(in->jhost, sizeof in->jhost, "%.*s", (int)(vlen < 200 ? vlen : 200), v);
    } else if (KEY("SYSLOG_IDENTIFIER")) {
        snprintf(in->jprog, sizeof in->jprog, "%.*s", (int)(vlen < 200 ? vlen : 200), v);
    } else if (KEY("SYSLOG_PID") || (KEY("_PID") && in->jpid < 0)) {
        unsigned long p;
        if (!str_parse_uint(v, vlen, 2147483647UL, &p))
            in->jpid = (long)p;
    } else if (KEY("__REALTIME_TIMESTAMP")) {
        unsigned long us;
        if (!str_parse_uint(v, vlen, (unsigned long)-1, &us)) {
            in->jtime = (long long)(us / 1000000UL);
            in->jusec = (long)(us % 1000000UL);
        }
    }
#undef KEY
}

static void journal_out(mxd_log_input *in, mxd_log_line *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < in->jmsglen; i++)
        if (in->jmsg[i] == 0 || in->jmsg[i] == '\n')
            in->jmsg[i] = ' ';
    in->jmsg[in->jmsglen] = 0;
    out->framed = in->jtime != 0 || in->jprog[0];
    out->time = in->jtime;
    out->usec = in->jusec;
    out->host = in->jhost;
    out->prog = in->jprog;
    out->pid = in->jpid;
    out->msg = in->jmsg;
    out->msglen = in->jmsglen;
}

/* journal_export - the rest of an export record whose first line is line. */
static mxd_err journal_export(mxd_log_input *in, char *line, size_t len, mxd_log_line *out,
                              char *why, size_t whylen)
{
    journal_reset(in);
    for (;;) {
        if (len == 0)
            break;
        char *eq = memchr(line, '=', len);
        if (eq) {
            journal_field(in, line, (size_t)(eq - line), eq + 1, len - (size_t)(eq - line) - 1);
        } else {
            /* binary field: the name, a little-endian 64-bit size, the data, a newline */
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(len < 63 ? len : 63), line);
            unsigned char sz[8];
            size_t got = 0;
            mxd_err e = take_bytes(in, 8, (char *)sz, 8, &got, why, whylen);
            if (e == MXD_ERR_IO)
                return e;
            if (e || got != 8)
                break;
            unsigned long long n = 0;
            for (int i = 7; i >= 0; i--)
                n = n << 8 | sz[i];
            if (n > JOURNAL_BINARY_MAX)
                break; /* not a size: end the record here, read on as lines */
            char *tmp = !strcmp(name, "MESSAGE") ? in->jmsg : NULL;
            e = take_bytes(in, n, tmp, JOURNAL_FIELD, &got, why, whylen);
            if (e == MXD_ERR_IO)
                return e;
            if (e)
                break;
            if (tmp)
                in->jmsglen = got;
            take_bytes(in, 1, NULL, 0, NULL, why, whylen); /* the newline */
        }
        mxd_err e = raw_line(in, &line, &len, why, whylen);
        if (e == MXD_ERR_IO)
            return e;
        if (e)
            break;
    }
    journal_out(in, out);
    return MXD_OK;
}

/* journal_json - one `journalctl -o json` object. */
static void journal_json(mxd_log_input *in, const char *line, size_t len, mxd_log_line *out)
{
    journal_reset(in);
    json_t *o = json_loadb(line, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (o && json_is_object(o)) {
        const char *k;
        json_t *v;
        json_object_foreach(o, k, v)
        {
            if (json_is_string(v)) {
                journal_field(in, k, strlen(k), json_string_value(v), json_string_length(v));
            } else if (json_is_array(v) && !strcmp(k, "MESSAGE")) {
                /* a binary message: an array of byte values */
                size_t i, n = 0;
                json_t *b;
                json_array_foreach(v, i, b)
                {
                    if (n < JOURNAL_FIELD && json_is_integer(b))
                        in->jmsg[n++] = (char)(json_integer_value(b) & 0xff);
                }
                in->jmsglen = n;
            }
        }
    }
    json_decref(o);
    journal_out(in, out);
}

mxd_err mxd_log_input_next(mxd_log_input *in, mxd_log_line *out, char *why, size_t whylen)
{
    char *line;
    size_t len;
    for (;;) {
        mxd_err e = raw_line(in, &line, &len, why, whylen);
        if (e)
            return e;
        if (in->jmode == JM_NONE &&
            (in->format == MXD_LOG_FMT_JOURNAL || in->format == MXD_LOG_FMT_AUTO)) {
            if (len && line[0] == '{' && memchr(line, '"', len))
                in->jmode = JM_JSON;
            else if (len >= 9 && (!memcmp(line, "__CURSOR=", 9) ||
                                  (in->format == MXD_LOG_FMT_JOURNAL && journal_key(line, len))))
                in->jmode = JM_EXPORT;
        }
        if (in->jmode == JM_EXPORT) {
            if (len == 0)
                continue; /* blank lines between records */
            return journal_export(in, line, len, out, why, whylen);
        }
        if (in->jmode == JM_JSON && len && line[0] == '{') {
            journal_json(in, line, len, out);
            return MXD_OK;
        }
        if (in->jmode == JM_JSON && len == 0)
            continue;
        log_frame_syslog(line, len, &in->ys, out);
        return MXD_OK;
    }
}

/* --- follow ------------------------------------------------------------------------------ */

mxd_err mxd_log_input_position(const mxd_log_input *in, mxd_log_position *pos)
{
    if (in->src != SRC_FD || in->fd == 0)
        return MXD_ERR_INVALID;
    pos->dev = in->dev;
    pos->ino = in->ino;
    pos->offset = in->base + in->start;
    return MXD_OK;
}

mxd_err mxd_log_input_seek(mxd_log_input *in, unsigned long long offset)
{
    if (in->src != SRC_FD || in->fd == 0)
        return MXD_ERR_INVALID;
    if (lseek(in->fd, (off_t)offset, SEEK_SET) < 0)
        return MXD_ERR_INVALID;
    in->start = in->end = 0;
    in->base = offset;
    in->nmagic = in->magicpos = 0;
    in->eof = in->skipping = 0;
    return MXD_OK;
}

int mxd_log_input_poll(mxd_log_input *in, char *why, size_t whylen)
{
    if (in->src != SRC_FD || !in->own_fd)
        return 0;
    struct stat st;
    unsigned long long readto = in->base + in->end;
    if (stat(in->path, &st) != 0) {
        if (errno == ENOENT)
            return 0; /* between the rename and the new file: try again later */
        if (why && whylen)
            snprintf(why, whylen, "%s: %s", in->path, strerror(errno));
        return -1;
    }
    if ((unsigned long long)st.st_ino != in->ino || (unsigned long long)st.st_dev != in->dev) {
        /* rotated by rename: the old file was read to its end; the new one from its start */
        struct stat ost;
        if (fstat(in->fd, &ost) == 0 && (unsigned long long)ost.st_size > readto) {
            in->eof = 0;
            return 1; /* the old file grew after the end was seen: drain it first */
        }
        int fd = open(in->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            if (why && whylen)
                snprintf(why, whylen, "%s: %s", in->path, strerror(errno));
            return -1;
        }
        close(in->fd);
        in->fd = fd;
        in->dev = (unsigned long long)st.st_dev;
        in->ino = (unsigned long long)st.st_ino;
        in->start = in->end = 0;
        in->base = 0;
        in->eof = in->skipping = 0;
        in->nmagic = in->magicpos = 0;
        return 2;
    }
    if ((unsigned long long)st.st_size < readto) {
        mxd_log_input_seek(in, 0);
        return 3;
    }
    if ((unsigned long long)st.st_size > readto) {
        in->eof = 0;
        return 1;
    }
    return 0;
}
