/* source.c - message sources: one message file, mbox (streamed), Maildir, directory tree, stdin
 * SPDX-License-Identifier: MIT
 *
 * A file is read through one buffer per source. An mbox is never loaded whole: the buffer
 * holds at most one message (up to MXD_MAIL_MESSAGE_MAX) plus one read chunk, so memory stays
 * bounded whatever the size of the file. Directories are walked depth first in name order,
 * with a bounded depth; a directory holding cur/ or new/ is a Maildir and only those two are
 * read. Symbolic links are followed, but every directory and file is remembered by (device,
 * inode): a directory reached twice is not walked again and a file reached twice (a second
 * link, a link back up the tree) is not read again, so a link loop ends and nothing is counted
 * twice. Only regular files, directories and stdin are sources: a FIFO or a device named as the
 * path is refused (it could block or never end). Reading is bounded too: one message file is
 * read up to the message cap and no further; an mbox message that runs on past SOURCE_MAX_SKIP
 * bytes ends the file (stdin from /dev/zero ends).
 */
#define _GNU_SOURCE 1 /* memmem */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mxdiag/mail.h"
#include "mail/mail_internal.h"
#include "util/date.h"
#include "util/str.h"

#define SOURCE_READ_CHUNK   (64u * 1024) /* bytes asked of read() at a time (fill()) */
#define SOURCE_MAX_DEPTH    32           /* directory nesting walked */
#define SOURCE_MAX_ENTRIES  1000000      /* names read from one directory */
#define SOURCE_MAX_FROMLINE 4096         /* longest mbox "From " line looked at */
#define SOURCE_LABEL_MAX    4096
#define SOURCE_MAX_SKIP     (128ull * 1024 * 1024) /* mbox message bytes read past the cap */

/* seen_set - (device, inode) pairs already walked or read: open addressing, grown at 1/2. */
typedef struct seen_key {
    dev_t dev;
    ino_t ino;
} seen_key;

typedef struct seen_set {
    seen_key *v;
    unsigned char *used;
    size_t n, cap;
} seen_set;

typedef struct dir_frame {
    char *path;
    char **names;
    size_t n, i;
} dir_frame;

struct mxd_mail_source {
    mxd_mail_kind kind;
    mxd_mail_kind file_kind; /* MXD_MAIL_MBOX or MXD_MAIL_MESSAGE for the open file */
    char *root;
    dir_frame stack[SOURCE_MAX_DEPTH];
    int depth;
    int root_done; /* a single file or stdin was opened */
    /* the open file */
    int fd;
    char *path;
    unsigned msgno;
    int eof;
    int at_from; /* pos stands on an mbox "From " line */
    int cr_only; /* the mbox's first line ended in a CR alone: its separator is "\rFrom " */
    char *buf;
    size_t len, pos, alloc;
    char label[SOURCE_LABEL_MAX];
    size_t label_plen; /* bytes of the path at the start of label */
    unsigned long long bytes;
    seen_set seen; /* directories and files of the walk */
    int gave_up;   /* an mbox message ran past SOURCE_MAX_SKIP: the rest of the file is skipped */
};

static size_t seen_hash(dev_t dev, ino_t ino)
{
    unsigned long long h = (unsigned long long)ino * 0x9E3779B97F4A7C15ull;
    h ^= (unsigned long long)dev + 0x632BE59BD9B4E019ull + (h << 6) + (h >> 2);
    return (size_t)(h ^ (h >> 29));
}

/* seen_add - remember (dev, ino). Returns 1 when it was new, 0 when already there, -1 when
 * out of memory. */
static int seen_add(seen_set *t, dev_t dev, ino_t ino)
{
    if ((t->n + 1) * 2 > t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 64;
        seen_key *nv = calloc(nc, sizeof *nv);
        unsigned char *nu = calloc(nc, 1);
        if (!nv || !nu) {
            free(nv);
            free(nu);
            return -1;
        }
        for (size_t i = 0; i < t->cap; i++) {
            if (!t->used[i])
                continue;
            size_t j = seen_hash(t->v[i].dev, t->v[i].ino) & (nc - 1);
            while (nu[j])
                j = (j + 1) & (nc - 1);
            nv[j] = t->v[i];
            nu[j] = 1;
        }
        free(t->v);
        free(t->used);
        t->v = nv;
        t->used = nu;
        t->cap = nc;
    }
    size_t j = seen_hash(dev, ino) & (t->cap - 1);
    while (t->used[j]) {
        if (t->v[j].dev == dev && t->v[j].ino == ino)
            return 0;
        j = (j + 1) & (t->cap - 1);
    }
    t->v[j].dev = dev;
    t->v[j].ino = ino;
    t->used[j] = 1;
    t->n++;
    return 1;
}

static void set_why(char *why, size_t whylen, const char *path, const char *what)
{
    if (why && whylen)
        snprintf(why, whylen, "%s: %s", path, what);
}

mxd_mail_kind mxd_mail_kind_of(const mxd_mail_source *s)
{
    if (!s)
        return 0;
    if ((s->kind == MXD_MAIL_STDIN || s->kind == MXD_MAIL_MESSAGE) && s->file_kind)
        return s->file_kind;
    return s->kind;
}

const char *mxd_mail_kind_name(mxd_mail_kind k)
{
    switch (k) {
    case MXD_MAIL_MESSAGE:
        return "message";
    case MXD_MAIL_MBOX:
        return "mbox";
    case MXD_MAIL_MAILDIR:
        return "maildir";
    case MXD_MAIL_DIR:
        return "directory";
    case MXD_MAIL_STDIN:
        return "stdin";
    }
    return "unknown";
}

unsigned long long mxd_mail_bytes_read(const mxd_mail_source *s)
{
    return s ? s->bytes : 0;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static char *join_path(const char *a, const char *b)
{
    size_t al = strlen(a), bl = strlen(b);
    char *p = malloc(al + bl + 2);
    if (!p)
        return NULL;
    memcpy(p, a, al);
    size_t n = al;
    if (n && p[n - 1] != '/')
        p[n++] = '/';
    memcpy(p + n, b, bl + 1);
    return p;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* is_maildir - a directory with cur/ or new/ in it. */
static int is_maildir(const char *path)
{
    int yes = 0;
    char *c = join_path(path, "cur"), *n = join_path(path, "new");
    if (c && n)
        yes = is_dir(c) || is_dir(n);
    free(c);
    free(n);
    return yes;
}

static void frame_free(dir_frame *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->names[i]);
    free(f->names);
    free(f->path);
    memset(f, 0, sizeof *f);
}

/* push_dir - read and sort the names of a directory onto the walk stack. A Maildir lists
 * only its cur and new. A directory already walked (st names it) is skipped: MXD_OK, nothing
 * pushed. */
static mxd_err push_dir(mxd_mail_source *s, const char *path, const struct stat *st, char *why,
                        size_t whylen)
{
    int fresh = seen_add(&s->seen, st->st_dev, st->st_ino);
    if (fresh < 0)
        return MXD_ERR_NOMEM;
    if (!fresh)
        return MXD_OK;
    if (s->depth >= SOURCE_MAX_DEPTH) {
        set_why(why, whylen, path, "directories nested too deep, skipped");
        return MXD_ERR_TOOBIG;
    }
    dir_frame *f = &s->stack[s->depth];
    memset(f, 0, sizeof *f);
    f->path = str_dup_n(path, strlen(path));
    if (!f->path)
        return MXD_ERR_NOMEM;
    if (is_maildir(path)) {
        static const char *const sub[] = {"cur", "new"};
        f->names = calloc(2, sizeof *f->names);
        if (!f->names) {
            frame_free(f);
            return MXD_ERR_NOMEM;
        }
        for (int i = 0; i < 2; i++) {
            char *p = join_path(path, sub[i]);
            int d = p && is_dir(p);
            free(p);
            if (d && !(f->names[f->n++] = str_dup_n(sub[i], 3))) {
                frame_free(f);
                return MXD_ERR_NOMEM;
            }
        }
        s->depth++;
        return MXD_OK;
    }
    DIR *d = opendir(path);
    if (!d) {
        set_why(why, whylen, path, strerror(errno));
        frame_free(f);
        return MXD_ERR_IO;
    }
    size_t alloc = 0;
    struct dirent *de;
    mxd_err e = MXD_OK;
    while ((de = readdir(d)) && f->n < SOURCE_MAX_ENTRIES) {
        if (de->d_name[0] == '.')
            continue;
        if (f->n == alloc) {
            size_t na = alloc ? alloc * 2 : 64;
            char **q = realloc(f->names, na * sizeof *q);
            if (!q) {
                e = MXD_ERR_NOMEM;
                break;
            }
            f->names = q;
            alloc = na;
        }
        if (!(f->names[f->n] = str_dup_n(de->d_name, strlen(de->d_name)))) {
            e = MXD_ERR_NOMEM;
            break;
        }
        f->n++;
    }
    closedir(d);
    if (e) {
        frame_free(f);
        return e;
    }
    if (f->n)
        qsort(f->names, f->n, sizeof *f->names, cmp_names);
    s->depth++;
    return MXD_OK;
}

mxd_err mxd_mail_open(const char *path, mxd_mail_source **out, char *why, size_t whylen)
{
    if (!path || !out)
        return MXD_ERR_INVALID;
    *out = NULL;
    mxd_mail_source *s = calloc(1, sizeof *s);
    if (!s)
        return MXD_ERR_NOMEM;
    s->fd = -1;
    s->root = str_dup_n(path, strlen(path));
    if (!s->root) {
        free(s);
        return MXD_ERR_NOMEM;
    }
    mxd_err e = MXD_OK;
    if (!strcmp(path, "-")) {
        s->kind = MXD_MAIL_STDIN;
    } else {
        struct stat st;
        if (stat(path, &st) != 0) {
            int err = errno;
            set_why(why, whylen, path, strerror(err));
            e = (err == ENOENT || err == ENOTDIR) ? MXD_ERR_NOTFOUND : MXD_ERR_IO;
        } else if (S_ISDIR(st.st_mode)) {
            s->kind = is_maildir(path) ? MXD_MAIL_MAILDIR : MXD_MAIL_DIR;
            e = push_dir(s, path, &st, why, whylen);
        } else if (!S_ISREG(st.st_mode)) {
            set_why(why, whylen, path,
                    S_ISFIFO(st.st_mode) ? "a FIFO, not a file (use '-' to read a pipe)"
                                         : "not a regular file or directory");
            e = MXD_ERR_IO;
        } else if (access(path, R_OK) != 0) {
            set_why(why, whylen, path, strerror(errno));
            e = MXD_ERR_IO;
        } else {
            s->kind = MXD_MAIL_MESSAGE;
        }
    }
    if (e) {
        mxd_mail_close(s);
        return e;
    }
    *out = s;
    return MXD_OK;
}

static void close_file(mxd_mail_source *s)
{
    if (s->fd > 0)
        close(s->fd);
    s->fd = -1;
    free(s->path);
    s->path = NULL;
    s->len = s->pos = 0;
    s->eof = 0;
    s->at_from = 0;
    s->cr_only = 0;
    s->msgno = 0;
    s->gave_up = 0;
}

void mxd_mail_close(mxd_mail_source *s)
{
    if (!s)
        return;
    close_file(s);
    while (s->depth > 0)
        frame_free(&s->stack[--s->depth]);
    free(s->seen.v);
    free(s->seen.used);
    free(s->buf);
    free(s->root);
    free(s);
}

/* fill - read one chunk more into the buffer (growing it up to the message cap plus one
 * chunk). Returns 0, or -1 on a read error (errno kept). Sets eof at the end. The chunk is
 * small so that the buffer stays in the CPU's cache from the copy to the search for "\nFrom "
 * and the parse (16 MB mbox, fresh process: split in 22 ms with 1 MiB chunks, in 7 with
 * 64 KiB; a mapping of the file, 12: its 4,096 pages populated, searched from memory). */
static int fill(mxd_mail_source *s)
{
    if (s->alloc - s->len < SOURCE_READ_CHUNK) {
        /* grow geometrically (a 32 MiB message is not copied 32 times), up to the cap */
        size_t want = s->len + SOURCE_READ_CHUNK,
               top = MXD_MAIL_MESSAGE_MAX + 2 * SOURCE_READ_CHUNK;
        size_t na = s->alloc * 2 > want ? s->alloc * 2 : want;
        if (na > top)
            na = want > top ? want : top;
        char *q = realloc(s->buf, na + 1);
        if (!q) {
            errno = ENOMEM;
            return -1;
        }
        s->buf = q;
        s->alloc = na;
    }
    for (;;) {
        ssize_t r = read(s->fd, s->buf + s->len, s->alloc - s->len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            s->eof = 1;
        s->len += (size_t)r;
        s->bytes += (unsigned long long)r;
        return 0;
    }
}

/* compact - move the unread data [from, len) to the front of the buffer. */
static void compact(mxd_mail_source *s, size_t from)
{
    if (from == 0)
        return;
    memmove(s->buf, s->buf + from, s->len - from);
    s->len -= from;
    s->pos = s->pos > from ? s->pos - from : 0;
}

/* open_file - start reading a file (or stdin) and detect mbox or single message. */
static mxd_err open_file(mxd_mail_source *s, const char *path, char *why, size_t whylen)
{
    close_file(s);
    size_t pl = strlen(path);
    s->path = str_dup_n(path, pl);
    if (!s->path)
        return MXD_ERR_NOMEM;
    /* the label starts with the path (cut to fit); set_label() writes what follows */
    s->label_plen = pl < sizeof s->label - 1 ? pl : sizeof s->label - 1;
    memcpy(s->label, path, s->label_plen);
    s->label[s->label_plen] = 0;
    if (!strcmp(path, "-") && s->kind == MXD_MAIL_STDIN) {
        s->fd = 0;
    } else {
        /* O_NONBLOCK: a FIFO put in place of the file since it was looked at must not block
         * the open; anything but a regular file is refused below */
        s->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (s->fd < 0) {
            set_why(why, whylen, path, strerror(errno));
            return MXD_ERR_IO;
        }
        struct stat st;
        if (fstat(s->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            set_why(why, whylen, path, "not a regular file");
            return MXD_ERR_IO;
        }
        int fl = fcntl(s->fd, F_GETFL);
        if (fl != -1)
            (void)fcntl(s->fd, F_SETFL, fl & ~O_NONBLOCK);
    }
    while (s->len < 8 && !s->eof)
        if (fill(s) != 0) {
            set_why(why, whylen, path, strerror(errno));
            return MXD_ERR_IO;
        }
    /* (an mbox saved with a UTF-8 byte order mark before its first "From " line) */
    size_t bom = s->len >= 8 && !memcmp(s->buf, "\xEF\xBB\xBF", 3) ? 3 : 0;
    s->file_kind =
        (s->len >= bom + 5 && !memcmp(s->buf + bom, "From ", 5)) ? MXD_MAIL_MBOX : MXD_MAIL_MESSAGE;
    s->at_from = s->file_kind == MXD_MAIL_MBOX;
    if (s->at_from)
        s->pos = bom;
    return MXD_OK;
}

/* set_label - the label of the message: the path, and ":no" for the message of an mbox (as
 * snprintf("%s:%u") would write it, cut at the size of the label). */
static void set_label(mxd_mail_source *s, int numbered, unsigned no)
{
    char num[16];
    size_t nl = sizeof num;
    if (numbered) {
        do {
            num[--nl] = (char)('0' + no % 10);
            no /= 10;
        } while (no);
        num[--nl] = ':';
    }
    size_t room = sizeof s->label - 1 - s->label_plen;
    size_t w = sizeof num - nl < room ? sizeof num - nl : room;
    memcpy(s->label + s->label_plen, num + nl, w);
    s->label[s->label_plen + w] = 0;
}

/* next_single - the whole file as one message, cut at the cap: reading stops at the first
 * byte past it (the rest is not read, so an endless stdin ends). */
static mxd_err next_single(mxd_mail_source *s, mxd_mail_msg *msg, char *why, size_t whylen)
{
    if (s->msgno)
        return MXD_ERR_NOTFOUND;
    while (!s->eof && s->len <= MXD_MAIL_MESSAGE_MAX)
        if (fill(s) != 0) {
            set_why(why, whylen, s->path, strerror(errno));
            return MXD_ERR_IO;
        }
    size_t keep = s->len > MXD_MAIL_MESSAGE_MAX ? MXD_MAIL_MESSAGE_MAX : s->len;
    s->msgno = 1;
    msg->data = s->buf ? s->buf : "";
    msg->len = keep;
    msg->truncated = s->len > keep;
    set_label(s, 0, 0);
    return MXD_OK;
}

/* skip_from_line - step over the "From " line at pos. It ends at its LF, or, in an mbox whose
 * lines end in CR alone (classic Mac OS, Eudora; then split at "\rFrom ", cr_only), at its
 * first CR. Which one is decided on the file's first "From " line: a run of CRs followed by an
 * LF is an LF (or CR LF, CR CR LF) mbox; followed by any other byte, a CR-only one when such
 * CRs are at least as many as the LFs in view (else it is a stray CR in an LF mbox). Later lines
 * of an LF mbox end at their LF whatever CRs they hold. Returns 0, or -1 on read error. */
static int skip_from_line(mxd_mail_source *s)
{
    for (;;) {
        size_t avail = s->len - s->pos;
        size_t look = avail < SOURCE_MAX_FROMLINE ? avail : SOURCE_MAX_FROMLINE;
        const char *p = s->buf + s->pos, *end = NULL;
        int first = !s->msgno && !s->cr_only, undecided = 0;
        /* (the file's first line is followed past the window as far as it is read: how its
         * lines end is decided there) */
        size_t scan = first ? avail : look;
        for (size_t i = 0; i < scan && !end && !undecided; i++) {
            if (p[i] == '\n') {
                end = p + i;
            } else if (p[i] == '\r' && s->cr_only) {
                end = p + i;
            } else if (p[i] == '\r' && first) {
                /* (the bytes after the window are looked at when they are read already) */
                size_t j = i;
                while (j < avail && p[j] == '\r')
                    j++;
                if (j == avail && !s->eof)
                    undecided = 1; /* (the byte after the CRs is not read yet) */
                else if (j < avail && p[j] == '\n')
                    end = p + j;
                else if (look < SOURCE_MAX_FROMLINE && !s->eof)
                    undecided = 1; /* (decided on a full window, whatever read() gave) */
                else if (mail_lone_crs_lead(p, look, 0))
                    end = p + i, s->cr_only = 1;
                else
                    i = j - 1; /* (a stray CR in an LF mbox's line) */
            }
        }
        if (end) {
            s->pos = (size_t)(end - s->buf) + 1;
            break;
        }
        if (s->eof || avail >= SOURCE_MAX_FROMLINE) {
            /* no end seen: at the end of the file, a line of CRs alone ends at its first CR;
             * a line longer than the window is cut there (and decides nothing) */
            const char *cr = s->eof ? memchr(p, '\r', look) : NULL;
            s->pos = cr ? (size_t)(cr - s->buf) + 1 : s->pos + look;
            break;
        }
        compact(s, s->pos);
        if (fill(s) != 0)
            return -1;
    }
    s->at_from = 0;
    return 0;
}

/* find_sep - offset of "\nFrom " in buf[from, len), or (size_t)-1. */
static size_t find_sep(const mxd_mail_source *s, size_t from)
{
    if (s->len < from + 6)
        return (size_t)-1;
    const char *p = str_find(s->buf + from, s->len - from, s->cr_only ? "\rFrom " : "\nFrom ", 6);
    return p ? (size_t)(p - s->buf) : (size_t)-1;
}

/* word_at - does p[i..e) hold a word of n letters or digits that starts at i and ends there
 * (not inside a longer one)? */
static int word_at(const char *p, size_t i, size_t e, size_t n)
{
    return i + n <= e && (i == 0 || !str_isalnum((unsigned char)p[i - 1])) &&
           (i + n == e || !str_isalnum((unsigned char)p[i + n]));
}

/* word_before - the start of the word that ends at the blanks before p[i] (*end: its end), or
 * (size_t)-1 when there is none. */
static size_t word_before(const char *p, size_t i, size_t *end)
{
    size_t j = i;
    while (j > 0 && (p[j - 1] == ' ' || p[j - 1] == '\t'))
        j--;
    size_t k = j;
    while (k > 0 && p[k - 1] != ' ' && p[k - 1] != '\t')
        k--;
    *end = j;
    return j == i || k == j ? (size_t)-1 : k;
}

/* time_before - is the word before p[i] a time ("0:00", "00:00", "00:00:00"), or one after which
 * stand at most two time-zone words ("MET DST", "EST", "+0100"), as mutt reads a From line? */
static int time_before(const char *p, size_t i)
{
    for (int zones = 0; zones <= 2; zones++) {
        size_t j, k = word_before(p, i, &j);
        if (k == (size_t)-1)
            return 0;
        size_t h = 0;
        while (k + h < j && h < 3 && str_isdigit((unsigned char)p[k + h]))
            h++;
        size_t n = j - k - h; /* ":00" or ":00:00" */
        int time = h >= 1 && h <= 2 && (n == 3 || n == 6);
        for (size_t q = k + h; time && q < j; q += 3)
            time = p[q] == ':' && str_isdigit((unsigned char)p[q + 1]) &&
                   str_isdigit((unsigned char)p[q + 2]);
        if (time)
            return 1;
        /* a zone: capitals ("MET", "DST"), or a sign and four digits ("+0100"); not a word of
         * prose ("... at 9:00 in room 12": review-s9c L1) */
        int zone = 1;
        if ((p[k] == '+' || p[k] == '-') && j - k == 5) {
            for (size_t q = k + 1; q < j; q++)
                zone &= str_isdigit((unsigned char)p[q]);
        } else {
            for (size_t q = k; q < j; q++)
                zone &= p[q] >= 'A' && p[q] <= 'Z';
        }
        if (!zone || j - k > 5)
            return 0;
        i = k;
    }
    return 0;
}

/* ctime_ok - does p[0..e) hold the parts of a ctime(3) date, in any order and spacing: a
 * month's name, a time ("9:00", "09:00:00") and a four-digit year? ("Thu Jan  1 00:00:00
 * 1970", "Tue, 14 Mar 2023 10:00:00 +0000"). A two-digit year counts only as the line's last
 * word right after the time, or after the time and its zone, where old writers put it ("Thu Jan
 * 1 00:00:00 70", "Wed Aug  2 00:39:12 MET DST 95", as mutt reads it): prose with a month, a
 * time and a small number elsewhere is no date. */
static int ctime_ok(const char *p, size_t e)
{
    int month = 0, time = 0, year = 0;
    while (e > 0 && (p[e - 1] == ' ' || p[e - 1] == '\t' || p[e - 1] == '\r'))
        e--;
    for (size_t i = 0; i < e; i++) {
        if (!month && str_isalpha((unsigned char)p[i]) && word_at(p, i, e, 3))
            month = date_month(p + i) != 0;
        if (!time && i + 3 < e && str_isdigit((unsigned char)p[i]) && p[i + 1] == ':' &&
            str_isdigit((unsigned char)p[i + 2]) && str_isdigit((unsigned char)p[i + 3]))
            time = 1;
        if (!year && word_at(p, i, e, 4) && str_isdigit((unsigned char)p[i]) &&
            str_isdigit((unsigned char)p[i + 1]) && str_isdigit((unsigned char)p[i + 2]) &&
            str_isdigit((unsigned char)p[i + 3]))
            year = 1;
        if (!year && i + 2 == e && i >= 6 && word_at(p, i, e, 2) &&
            str_isdigit((unsigned char)p[i]) && str_isdigit((unsigned char)p[i + 1]) &&
            time_before(p, i))
            year = 1;
    }
    return month && time && year;
}

/* from_line_ok - is the line at pos (after its "From ") a separator, "From sender date" with a
 * ctime date after the sender ("From MAILER-DAEMON Thu Jan  1 00:00:00 1970", "From - Tue Mar
 * 14 10:00:00 2023"), as mutt and Dovecot check? A returned message's own unquoted "From here
 * on, ..." or "From Monday to Friday 9:00-17:00" line is not (an mboxo writer left it so). 1
 * yes, 0 no, -1 when the line's end is not read yet. */
static int from_line_ok(const mxd_mail_source *s, size_t pos)
{
    const char *p = s->buf + pos + 5;
    size_t n = s->len - pos - 5, e = 0, look = n < SOURCE_MAX_FROMLINE ? n : SOURCE_MAX_FROMLINE;
    char eol = s->cr_only ? '\r' : '\n';
    while (e < look && p[e] != eol)
        e++;
    if (e == look && look < SOURCE_MAX_FROMLINE && !s->eof)
        return -1;
    size_t i = 0;
    while (i < e && p[i] == ' ')
        i++;
    size_t w = i;
    while (i < e && p[i] != ' ' && p[i] != '\t')
        i++;
    if (i == w || i == e)
        return 0; /* no sender, or nothing after it */
    return ctime_ok(p + i, e - i);
}

/* next_mbox - the next message of an mbox stream. */
static mxd_err next_mbox(mxd_mail_source *s, mxd_mail_msg *msg, char *why, size_t whylen)
{
    if (s->gave_up) {
        set_why(why, whylen, s->path,
                "a message runs on 128 MiB past the 32 MiB cap without a \"From \" line: the rest "
                "was not read");
        return MXD_ERR_TOOBIG;
    }
    for (;;) {
        if (s->at_from && skip_from_line(s) != 0)
            goto ioerr;
        size_t start = s->pos, search = s->pos;
        int truncated = 0;
        unsigned long long cut_at = 0; /* s->bytes when the message reached the cap */
        size_t end = (size_t)-1;
        for (;;) {
            size_t at = find_sep(s, search), hold = (size_t)-1;
            int ok = at != (size_t)-1 ? from_line_ok(s, at + 1) : 1;
            if (!ok) { /* a "From " line that is no separator: part of the message */
                search = at + 1;
                continue;
            }
            if (ok < 0)
                hold = at; /* (looked at again once its line is read) */
            else if (at != (size_t)-1) {
                /* (a separator found past the cap: a held line below it was no separator) */
                if (!truncated && at + 1 - start > MXD_MAIL_MESSAGE_MAX)
                    truncated = 1;
                end = truncated ? start + MXD_MAIL_MESSAGE_MAX : at + 1;
                s->pos = at + 1;
                s->at_from = 1;
                break;
            }
            if (s->eof) {
                end = truncated ? start + MXD_MAIL_MESSAGE_MAX : s->len;
                s->pos = s->len;
                break;
            }
            /* the cap, once a "\nFrom " that starts below it would be in view whole, and
             * unless such a line waits to be read whole: it may end the message there */
            if (!truncated && s->len - start >= MXD_MAIL_MESSAGE_MAX + 6 &&
                (hold == (size_t)-1 || hold + 1 - start > MXD_MAIL_MESSAGE_MAX)) {
                truncated = 1;
                cut_at = s->bytes;
            }
            if (truncated && s->bytes - cut_at > SOURCE_MAX_SKIP) {
                /* no end in sight (stdin from /dev/zero): hand out what was kept, then stop */
                end = start + MXD_MAIL_MESSAGE_MAX;
                s->pos = s->len;
                s->gave_up = 1;
                break;
            }
            if (truncated) {
                /* keep the first MXD_MAIL_MESSAGE_MAX bytes and drop the middle, but not a
                 * "From " line still to be read whole (from its line break), else the last 5
                 * bytes, so that a separator across two reads is still seen */
                size_t hold_rel = hold != (size_t)-1 ? hold - start : (size_t)-1;
                compact(s, start);
                start = 0;
                size_t keep = MXD_MAIL_MESSAGE_MAX;
                if (s->len > keep) {
                    size_t from = hold_rel != (size_t)-1 && hold_rel >= keep ? hold_rel
                                  : s->len > keep + 5                        ? s->len - 5
                                                                             : keep;
                    memmove(s->buf + keep, s->buf + from, s->len - from);
                    s->len = keep + (s->len - from);
                }
                search = keep;
            } else {
                size_t rel = search - start;
                compact(s, start);
                if (hold != (size_t)-1) {
                    search = hold - start;
                } else {
                    search = rel > 5 ? rel - 5 : 0;
                    if (s->len > 5 && search < s->len - 5)
                        search = s->len - 5;
                }
                start = 0;
            }
            if (fill(s) != 0)
                goto ioerr;
        }
        if (end <= start && s->pos >= s->len && s->eof)
            return MXD_ERR_NOTFOUND;
        if (end <= start)
            continue; /* an empty message between two separators */
        s->msgno++;
        msg->data = s->buf + start;
        msg->len = end - start;
        msg->truncated = truncated;
        set_label(s, 1, s->msgno);
        return MXD_OK;
    }
ioerr:
    set_why(why, whylen, s->path, strerror(errno));
    return MXD_ERR_IO;
}

/* next_in_file - the next message of the open file, or NOTFOUND at its end. */
static mxd_err next_in_file(mxd_mail_source *s, mxd_mail_msg *msg, char *why, size_t whylen)
{
    mxd_err e = s->file_kind == MXD_MAIL_MBOX ? next_mbox(s, msg, why, whylen)
                                              : next_single(s, msg, why, whylen);
    if (!e) {
        msg->label = s->label;
        msg->path = s->path;
    }
    return e;
}

/* next_file_in_tree - open the next regular file of the directory walk; NOTFOUND at the end. */
static mxd_err next_file_in_tree(mxd_mail_source *s, char *why, size_t whylen)
{
    while (s->depth > 0) {
        dir_frame *f = &s->stack[s->depth - 1];
        if (f->i >= f->n) {
            frame_free(f);
            s->depth--;
            continue;
        }
        char *p = join_path(f->path, f->names[f->i++]);
        if (!p)
            return MXD_ERR_NOMEM;
        struct stat st;
        if (stat(p, &st) != 0) {
            set_why(why, whylen, p, strerror(errno));
            free(p);
            return MXD_ERR_IO;
        }
        mxd_err e = MXD_OK;
        int fresh = 1;
        if (S_ISREG(st.st_mode) && (fresh = seen_add(&s->seen, st.st_dev, st.st_ino)) < 0) {
            free(p);
            return MXD_ERR_NOMEM;
        }
        if (S_ISDIR(st.st_mode))
            e = push_dir(s, p, &st, why, whylen);
        else if (S_ISREG(st.st_mode) && fresh)
            e = open_file(s, p, why, whylen);
        else { /* not a file or directory, or a file already read by another name */
            free(p);
            continue;
        }
        int opened = S_ISREG(st.st_mode) && !e;
        free(p);
        if (e == MXD_ERR_NOMEM)
            return e;
        if (e)
            return MXD_ERR_IO;
        if (opened)
            return MXD_OK;
    }
    return MXD_ERR_NOTFOUND;
}

mxd_err mxd_mail_next(mxd_mail_source *s, mxd_mail_msg *msg, char *why, size_t whylen)
{
    if (!s || !msg)
        return MXD_ERR_INVALID;
    memset(msg, 0, sizeof *msg);
    for (;;) {
        if (s->path) {
            mxd_err e = next_in_file(s, msg, why, whylen);
            if (e != MXD_ERR_NOTFOUND) {
                if (e)
                    close_file(s); /* go on with the next file next time */
                return e;
            }
            close_file(s);
            if (s->kind == MXD_MAIL_MESSAGE || s->kind == MXD_MAIL_STDIN)
                return MXD_ERR_NOTFOUND;
        }
        if (s->kind == MXD_MAIL_MESSAGE || s->kind == MXD_MAIL_STDIN) {
            if (s->root_done)
                return MXD_ERR_NOTFOUND;
            s->root_done = 1;
            mxd_err e = open_file(s, s->root, why, whylen);
            if (e) {
                close_file(s);
                return e;
            }
            continue;
        }
        mxd_err e = next_file_in_tree(s, why, whylen);
        if (e) {
            if (e != MXD_ERR_NOTFOUND)
                close_file(s);
            return e;
        }
    }
}
