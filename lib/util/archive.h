/* archive.h - libarchive, loaded on first use, shared by the log reader and the report unpacker
 * (internal)
 * SPDX-License-Identifier: MIT
 *
 * One load per process (pthread_once) whoever asks first: lib/log/input.c for compressed logs,
 * lib/report/unpack.c for gzip and zip reports. The functions are resolved into a table of
 * pointers typed from <archive.h> and <archive_entry.h> (util/dl.h).
 */
#ifndef MXD_UTIL_ARCHIVE_H
#define MXD_UTIL_ARCHIVE_H

#include <archive.h>
#include <archive_entry.h>
#include "util/dl.h"

typedef struct la_fns {
    __typeof__(archive_read_new) *read_new;
    __typeof__(archive_read_support_filter_all) *support_filter_all;
    __typeof__(archive_read_support_format_raw) *support_format_raw;
    __typeof__(archive_read_support_format_zip) *support_format_zip;
    __typeof__(archive_read_open) *read_open;
    __typeof__(archive_read_open_memory) *read_open_memory;
    __typeof__(archive_read_next_header) *next_header;
    __typeof__(archive_read_data) *read_data;
    __typeof__(archive_read_free) *read_free;
    __typeof__(archive_error_string) *error_string;
    __typeof__(archive_entry_pathname) *entry_pathname;
    __typeof__(archive_entry_filetype) *entry_filetype;
} la_fns;

/* la_lib - "libarchive.so.13"; tests may change its soname before the first use. After a
 * failed load, la_lib.why says why. */
extern dl_lib la_lib;

/* la_get - the function table, loading libarchive the first time; NULL when it cannot be
 * loaded (la_lib.why set). */
const la_fns *la_get(void);

/* la_error - libarchive's message about a, or a generic one when it has none. */
const char *la_error(const la_fns *f, struct archive *a);

#endif
