/* fuzz_watch_config.c - libFuzzer target: the configuration of mxdiag watch (GKeyFile, then
 * our checks of every group, key and value)
 * SPDX-License-Identifier: MIT
 *
 * The configuration is read from a file: each input is written to one memfd, read through
 * /proc/self/fd/N.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <mxdiag/mxdiag.h>
#include <mxdiag/watch.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("watch.conf", 0);
        if (fd < 0)
            abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
        abort();
    char out[1024], why[1024];
    out[0] = why[0] = 0;
    mxd_err e = mxd_watch_check_config(path, out, sizeof out, why, sizeof why);
    if (e == MXD_OK ? !out[0] : !why[0] && e != MXD_ERR_NOMEM)
        abort(); /* a verdict always says what it is */
    if (e != MXD_OK && e != MXD_ERR_PARSE && e != MXD_ERR_INVALID && e != MXD_ERR_IO &&
        e != MXD_ERR_NOMEM)
        abort();
    return 0;
}
