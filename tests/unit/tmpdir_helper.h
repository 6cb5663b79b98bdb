/* tmpdir_helper.h - one scratch directory per test program, made and removed by cmocka group
 * setup and teardown (test_mail, test_mail_fast, test_check, test_dns)
 * SPDX-License-Identifier: MIT
 */
#ifndef MXD_TEST_TMPDIR_HELPER_H
#define MXD_TEST_TMPDIR_HELPER_H

#include <stdio.h>
#include <stdlib.h>

static char tmpdir[256];

/* tmpdir_make - a fresh /tmp/mxd-test-NAME-XXXXXX into tmpdir; 0, or -1 on failure. */
static inline int tmpdir_make(const char *name)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mxd-test-%s-XXXXXX", name);
    return mkdtemp(tmpdir) ? 0 : -1;
}

/* tmpdir_remove - tmpdir and all in it; 0, or -1 on failure. */
static inline int tmpdir_remove(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* tmpdir_file - write text into tmpdir/name, its path into path; 0, or -1 on failure. */
static inline int tmpdir_file(const char *name, const char *text, char *path, size_t pathlen)
{
    snprintf(path, pathlen, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int ok = fputs(text, f) >= 0;
    return fclose(f) == 0 && ok ? 0 : -1;
}

#endif
