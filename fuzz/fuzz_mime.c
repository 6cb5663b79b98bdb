/* fuzz_mime.c - libFuzzer target: the message structure scanner and the part decoders
 * SPDX-License-Identifier: MIT
 *
 * Checks the scanner's invariants on arbitrary bytes: every part lies inside the input,
 * parents come before children, depth and part count stay within their limits; then
 * decodes every leaf and reads a few header fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mail/mail_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *d = (const char *)data;
    mail_scan ms;
    mail_scan_init(&ms);
    if (mail_scan_run(&ms, d, size) != MXD_OK)
        abort();
    if (ms.nparts > MAIL_MAX_PARTS)
        abort();
    buf b;
    buf_init(&b, 64u << 20);
    mail_conv_cache cc;
    memset(&cc, 0, sizeof cc);
    for (size_t i = 0; i < ms.nparts; i++) {
        const mail_part *p = &ms.parts[i];
        if (p->hdr < d || p->hdr + p->hlen > d + size || p->body < d ||
            p->body + p->blen > d + size || p->depth >= MAIL_MAX_DEPTH ||
            (i == 0 ? p->parent != -1 : (p->parent < 0 || (size_t)p->parent >= i)))
            abort();
        buf_reset(&b);
        if (p->kind == MAIL_LEAF && mail_decode_part(p, &b, &cc) == MXD_ERR_NOMEM)
            abort();
        buf_reset(&b);
        if (mail_header_get(p->hdr, p->hlen, "Subject", &b) && b.ptr) {
            char *h = mail_decode_header(b.ptr, &cc);
            free(h);
        }
    }
    buf_reset(&b);
    mail_html_to_text(d, size, &b);
    buf_free(&b);
    mail_conv_cache_free(&cc);
    mail_scan_free(&ms);
    return 0;
}
