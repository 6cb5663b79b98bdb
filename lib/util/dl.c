/* dl.c - shared libraries loaded on first use
 * SPDX-License-Identifier: MIT
 */
#include <dlfcn.h>
#include <stdio.h>
#include "util/dl.h"

static const char *last_failure; /* published with release, read with acquire */

static void publish_failure(dl_lib *lib, const char *detail)
{
    snprintf(lib->why, sizeof lib->why, "%s could not be loaded (needed %s): %s", lib->soname,
             lib->purpose, detail && *detail ? detail : "no reason given");
    __atomic_store_n(&last_failure, lib->why, __ATOMIC_RELEASE);
}

int dl_open(dl_lib *lib)
{
    lib->missing = NULL;
    lib->why[0] = 0;
    lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
    if (!lib->handle) {
        publish_failure(lib, dlerror());
        return -1;
    }
    return 0;
}

void *dl_sym(dl_lib *lib, const char *name)
{
    if (!lib->handle)
        return NULL;
    void *p = dlsym(lib->handle, name);
    if (!p && !lib->missing)
        lib->missing = name;
    return p;
}

int dl_done(dl_lib *lib)
{
    if (!lib->handle)
        return -1;
    if (!lib->missing)
        return 0;
    dlclose(lib->handle);
    lib->handle = NULL;
    char detail[200];
    snprintf(detail, sizeof detail, "it has no function %s", lib->missing);
    publish_failure(lib, detail);
    return -1;
}

const char *dl_last_error(void)
{
    return __atomic_load_n(&last_failure, __ATOMIC_ACQUIRE);
}
