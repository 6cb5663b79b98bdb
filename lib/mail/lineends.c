/* lineends.c - mend the line ends of a message that no mail reader would split into lines
 * SPDX-License-Identifier: MIT
 *
 * A message saved as CRLF by a tool that already had CRLF ends ("\r\r\n": converted twice,
 * e.g. a Windows client saving a CRLF source), or with classic Mac OS ends (a CR alone), has
 * no line break a reader knows: no empty line ends its header, and the whole message reads
 * as one header. Used by `mxdiag bounce` (lib/bounce/bounce.c) and by `ingest`'s own look at
 * a message (lib/ingest/ingest.c) so that both read the same bytes.
 */
#include <string.h>
#include "mail/mail_internal.h"

/* broken - does the message end its lines in a way to mend? Its first line end decides: CR
 * CR LF is mended; a CR alone is, when such CRs are at least as many as the LFs (a stray CR
 * in the first line of an LF message leaves it as it is); LF and CR LF are read as they are. */
static int broken(const char *data, size_t len)
{
    size_t i = 0;
    while (i < len && data[i] != '\r' && data[i] != '\n')
        i++;
    if (i == len || data[i] == '\n')
        return 0;
    size_t j = i;
    while (j < len && data[j] == '\r')
        j++;
    if (j < len && data[j] == '\n')
        return j - i >= 2; /* CR CR... LF; a plain CR LF is fine */
    return mail_lone_crs_lead(data, len, 1);
}

int mail_lone_crs_lead(const char *p, size_t n, int whole)
{
    size_t lone = 0, lf = 0;
    for (size_t k = 0; k < n; k++)
        if (p[k] == '\n')
            lf++;
        else if (p[k] == '\r' && (k + 1 < n ? p[k + 1] != '\r' && p[k + 1] != '\n' : whole))
            lone++;
    return lone >= lf;
}

int mail_mend_line_ends(const char *data, size_t len, buf *out)
{
    if (!data || !broken(data, len))
        return 0;
    buf_reset(out);
    out->cap = len; /* the mended copy is never longer */
    for (size_t i = 0; i < len;) {
        if (data[i] != '\r') {
            const char *c = memchr(data + i, '\r', len - i);
            size_t n = c ? (size_t)(c - (data + i)) : len - i;
            if (buf_add(out, data + i, n))
                return 0;
            i += n;
            continue;
        }
        size_t j = i;
        while (j < len && data[j] == '\r')
            j++;
        mxd_err e = MXD_OK;
        if (j < len && data[j] == '\n') /* CR... LF: one CRLF */
            e = buf_add(out, "\r\n", 2), j++;
        else /* CRs alone: each a line break */
            for (size_t k = i; k < j && !e; k++)
                e = buf_addc(out, '\n');
        if (e)
            return 0;
        i = j;
    }
    return 1;
}
