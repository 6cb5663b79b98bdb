/* nodlopen.c - LD_PRELOAD shim for tests: dlopen() of a library named in MXD_TEST_NODLOPEN fails
 * SPDX-License-Identifier: MIT
 *
 * libmxdiag loads libarchive and GMime on first use; the command-line cases that check what
 * happens when one of them is missing (tests/cli/cases/...-without-...) run mxdiag with
 * LD_PRELOAD=libmxd_nodlopen.so MXD_TEST_NODLOPEN="libarchive.so.13 ...". A listed name is
 * looked up as /nonexistent/NAME instead, so the loader fails and says why as it would.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *dlopen(const char *file, int mode);

void *dlopen(const char *file, int mode)
{
    void *(*real)(const char *, int) = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
    const char *deny = getenv("MXD_TEST_NODLOPEN");
    if (real && file && deny && *file) {
        size_t n = strlen(file);
        for (const char *p = strstr(deny, file); p; p = strstr(p + 1, file))
            if ((p == deny || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0)) {
                char path[4096];
                snprintf(path, sizeof path, "/nonexistent/%s", file);
                return real(path, mode);
            }
    }
    return real ? real(file, mode) : NULL;
}
