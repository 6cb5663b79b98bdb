/* dl.h - shared libraries loaded on first use (internal)
 * SPDX-License-Identifier: MIT
 *
 * libarchive (compressed logs, lib/log/input.c) and GMime with GLib (MIME decoding,
 * lib/mail/decode.c) are not linked: ld.so would map and relocate them and their two dozen
 * dependencies at every start of every command, for the few inputs that need them. Their
 * module loads them the first time an input does (once per process, under pthread_once),
 * resolving the functions it calls into a table of pointers typed from the library's own
 * header with DL_SYM, so the compiler still checks every call. A library that cannot be
 * loaded makes that input fail with MXD_ERR_NOLIB; mxd_strerror() then names it and says why.
 */
#ifndef MXD_UTIL_DL_H
#define MXD_UTIL_DL_H

typedef struct dl_lib {
    const char *soname;  /* "libarchive.so.13": tests point it elsewhere before the first use */
    const char *purpose; /* "to read compressed logs" */
    void *handle;        /* NULL until loaded, and after a failure */
    const char *missing; /* the first symbol dl_sym() did not find */
    char why[512];       /* after a failure: "<soname> could not be loaded (needed <purpose>):
                            <dlerror() or the missing function>" */
} dl_lib;

/* dl_open - dlopen lib->soname (RTLD_NOW | RTLD_LOCAL). 0 when loaded; -1 with lib->why set
 * and published for mxd_strerror(). */
int dl_open(dl_lib *lib);

/* dl_sym - the address of a symbol of the loaded library (or of one it depends on); NULL
 * when it is missing (lib->missing set). */
void *dl_sym(dl_lib *lib, const char *name);

/* dl_done - after the dl_sym calls: 0 when every symbol was found; else the library is
 * closed again, the failure published and -1 returned. */
int dl_done(dl_lib *lib);

/* dl_last_error - the last failure published ("libgmime-3.0.so.0 could not be loaded ..."),
 * or NULL when no load has failed. */
const char *dl_last_error(void);

/* DL_SYM - ptr = the symbol name of lib, converted to the type of ptr (declare ptr as
 * `__typeof__(function) *` so that it has the function's prototype). */
#define DL_SYM(lib, ptr, name) ((ptr) = (__typeof__(ptr))dl_sym((lib), (name)))

#endif
