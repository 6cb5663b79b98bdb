/* dragonfly.c - DragonFly Mail Agent (dma) bounces
 * SPDX-License-Identifier: MIT
 *
 * "This is the DragonFly Mail Agent ... There was an error delivering your mail to <addr>."
 * then the remote reply ("host [ip] did not like our RCPT TO: 550 ..."), then "Message
 * headers follow." and the returned headers.
 */
#include <string.h>
#include "bounce/formats.h"

static int dragonfly_detect(const bounce_view *v)
{
    if (v->has_dsn)
        return 0; /* dma writes plain text only */
    return fmt_text_has(v, "This is the DragonFly Mail Agent") ||
           fmt_header_has(v, "Received", "DragonFly Mail Agent");
}

static int dragonfly_parse(bounce_view *v, bounce_out *out)
{
    fmt_orig_after(v);
    return text_generic_v(v, 0, out);
}

const bounce_format bounce_fmt_dragonfly = {"dragonfly", dragonfly_detect, dragonfly_parse};
