/* archive.c - libarchive, loaded on first use (see archive.h)
 * SPDX-License-Identifier: MIT
 */
#include <pthread.h>
#include "util/archive.h"

dl_lib la_lib = {"libarchive.so.13", "to read compressed logs", NULL, NULL, ""};

static la_fns la;
static int la_loaded;
static pthread_once_t la_once = PTHREAD_ONCE_INIT;

static void la_load(void)
{
    dl_lib *l = &la_lib;
    if (dl_open(l))
        return;
    DL_SYM(l, la.read_new, "archive_read_new");
    DL_SYM(l, la.support_filter_all, "archive_read_support_filter_all");
    DL_SYM(l, la.support_format_raw, "archive_read_support_format_raw");
    DL_SYM(l, la.support_format_zip, "archive_read_support_format_zip");
    DL_SYM(l, la.read_open, "archive_read_open");
    DL_SYM(l, la.read_open_memory, "archive_read_open_memory");
    DL_SYM(l, la.next_header, "archive_read_next_header");
    DL_SYM(l, la.read_data, "archive_read_data");
    DL_SYM(l, la.read_free, "archive_read_free");
    DL_SYM(l, la.error_string, "archive_error_string");
    DL_SYM(l, la.entry_pathname, "archive_entry_pathname");
    DL_SYM(l, la.entry_filetype, "archive_entry_filetype");
    la_loaded = dl_done(l) == 0;
}

const la_fns *la_get(void)
{
    pthread_once(&la_once, la_load);
    return la_loaded ? &la : NULL;
}

const char *la_error(const la_fns *f, struct archive *a)
{
    const char *m = f->error_string(a);
    return m ? m : "cannot read the compressed data";
}
