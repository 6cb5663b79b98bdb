/* fuzz_mbox.c - libFuzzer target: splitting a file into messages (lib/mail/source.c)
 * SPDX-License-Identifier: MIT
 *
 * The bytes are written to a file and read back with mxd_mail_open()/mxd_mail_next(): the
 * "From " line of an mbox (LF, CR alone, CR CR LF), the split at the next one, a single
 * message. The messages together may not hold more bytes than the file, nor be more than
 * its bytes plus one; each one is then mended (mail_mend_line_ends), whose copy may never be
 * longer than the message. The file is made once with mkstemp() under $TMPDIR (else /tmp)
 * and removed at exit.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <mxdiag/mxdiag.h>
#include "mail/mail_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[4096];

static void remove_file(void)
{
    if (path[0])
        unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    if (fd < 0) {
        const char *tmp = getenv("TMPDIR");
        snprintf(path, sizeof path, "%s/fuzz_mbox.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if ((fd = mkstemp(path)) < 0)
            abort();
        atexit(remove_file);
    }
    if (ftruncate(fd, 0) || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
        abort();
    mxd_mail_source *s = NULL;
    char why[256];
    if (mxd_mail_open(path, &s, why, sizeof why))
        abort();
    mxd_mail_msg m;
    size_t total = 0;
    unsigned n = 0;
    buf mended;
    buf_init(&mended, 0);
    while (mxd_mail_next(s, &m, why, sizeof why) == MXD_OK) {
        if (m.len > size || total + m.len > size || ++n > size + 1)
            abort(); /* (more bytes or messages handed out than the file holds) */
        total += m.len;
        if (mail_mend_line_ends(m.data, m.len, &mended) && mended.len > m.len)
            abort();
    }
    buf_free(&mended);
    mxd_mail_close(s);
    return 0;
}
