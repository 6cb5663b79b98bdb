/* unpack.c - the documents inside a report as it came: gzip, zip or plain
 * SPDX-License-Identifier: MIT
 *
 * The first bytes decide (1f 8b: gzip; PK 03 04: zip; anything else is handed out as it is),
 * whatever the name says. gzip and zip are read from memory by libarchive (util/archive.h,
 * loaded the first time). Each member is inflated in chunks into a buffer capped at
 * MXD_REPORT_MAX_UNPACKED bytes: a member that would pass it is refused (MXD_ERR_TOOBIG) as
 * soon as the cap is reached, so a "zip bomb" costs at most that much memory and inflation.
 * At most MXD_REPORT_MAX_MEMBERS regular members of a zip are handed out; directories and
 * other non-regular entries are skipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report/report_internal.h"
#include "util/archive.h"
#include "util/buf.h"
#include "util/str.h"

#define UNPACK_CHUNK 65536

/* gz_name - name without a trailing ".gz" (case-insensitive), into out. */
static void gz_name(const char *name, char *out, size_t outlen)
{
    size_t n = name ? strlen(name) : 0;
    if (n >= 3 && name[n - 3] == '.' && (name[n - 2] | 0x20) == 'g' && (name[n - 1] | 0x20) == 'z')
        n -= 3;
    if (n >= outlen)
        n = outlen - 1;
    if (n)
        memcpy(out, name, n);
    out[n] = 0;
}

/* member - read the current entry of a into b (reset first). */
static mxd_err member(const la_fns *la, struct archive *a, buf *b, char *chunk, const char *name,
                      char *why, size_t whylen)
{
    buf_init(b, MXD_REPORT_MAX_UNPACKED);
    for (;;) {
        la_ssize_t r = la->read_data(a, chunk, UNPACK_CHUNK);
        if (r < 0)
            return str_why(MXD_ERR_PARSE, why, whylen, "%s: damaged archive: %s", name,
                           la_error(la, a));
        if (r == 0)
            break;
        mxd_err e = buf_add(b, chunk, (size_t)r);
        if (e == MXD_ERR_TOOBIG)
            return str_why(e, why, whylen,
                           "%s: unpacks to more than %u bytes (refused as a zip bomb)", name,
                           MXD_REPORT_MAX_UNPACKED);
        if (e)
            return str_why(e, why, whylen, "out of memory");
    }
    return MXD_OK;
}

mxd_err mxd_report_unpack(const char *data, size_t len, const char *name, mxd_report_file_cb cb,
                          void *arg, char *why, size_t whylen)
{
    if (why && whylen)
        why[0] = 0;
    if (!cb || (!data && len))
        return str_why(MXD_ERR_INVALID, why, whylen, "no data given");
    if (!data)
        data = "";
    int gz = len >= 2 && (unsigned char)data[0] == 0x1f && (unsigned char)data[1] == 0x8b;
    int zip = len >= 4 && !memcmp(data, "PK\3\4", 4);
    if (!gz && !zip) {
        cb(arg, name ? name : "", data, len);
        return MXD_OK;
    }
    const la_fns *la = la_get();
    if (!la)
        return str_why(MXD_ERR_NOLIB, why, whylen, "%s: %s", name ? name : "report", la_lib.why);
    struct archive *a = la->read_new();
    char *chunk = malloc(UNPACK_CHUNK);
    if (!a || !chunk) {
        if (a)
            la->read_free(a);
        free(chunk);
        return str_why(MXD_ERR_NOMEM, why, whylen, "out of memory");
    }
    if (gz) {
        la->support_filter_all(a);
        la->support_format_raw(a);
    } else {
        la->support_format_zip(a);
    }
    mxd_err e = MXD_OK;
    const char *what = name ? name : "report";
    if (la->read_open_memory(a, data, len) != ARCHIVE_OK) {
        e = str_why(MXD_ERR_PARSE, why, whylen, "%s: damaged archive: %s", what, la_error(la, a));
        goto out;
    }
    size_t members = 0;
    for (;;) {
        struct archive_entry *ent;
        int r = la->next_header(a, &ent);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            e = str_why(MXD_ERR_PARSE, why, whylen, "%s: damaged archive: %s", what,
                        la_error(la, a));
            break;
        }
        char mname[1024];
        if (gz) {
            gz_name(name, mname, sizeof mname);
        } else {
            unsigned t = (unsigned)la->entry_filetype(ent);
            if (t != 0 && t != AE_IFREG)
                continue; /* directories, links */
            const char *p = la->entry_pathname(ent);
            snprintf(mname, sizeof mname, "%s", p ? p : "");
            if (members == MXD_REPORT_MAX_MEMBERS) {
                e = str_why(MXD_ERR_TOOBIG, why, whylen, "%s: more than %d members", what,
                            MXD_REPORT_MAX_MEMBERS);
                break;
            }
        }
        members++;
        buf b;
        e = member(la, a, &b, chunk, gz ? what : mname, why, whylen);
        if (!e) {
            int stop = cb(arg, mname, b.ptr ? b.ptr : "", b.len);
            buf_free(&b);
            if (stop || gz)
                break;
        } else {
            buf_free(&b);
            break;
        }
    }
out:
    la->read_free(a);
    free(chunk);
    return e;
}
