/* fuzz_mbox.c - libFuzzer target: splitting a file into messages (lib/mail/source.c)
 * SPDX-License-Identifier: MIT
 *
 * The bytes are written to a file and read back with mxd_mail_open()/mxd_mail_next(): the
 * "From " line of an mbox (LF, CR alone, CR CR LF), the split at the next one, a single
 * message. Every message must lie inside the file, the messages must not overlap and must
 * come in order, and none may be empty unless the file is; each one is then mended
 * (mail_mend_line_ends), whose copy may never be longer than the message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <mxdiag/mxdiag.h>
#include "mail/mail_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0]) {
        snprintf(path, sizeof path, "/tmp/fuzz_mbox.%ld", (long)getpid());
    }
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f))
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
    unlink(path);
    return 0;
}
