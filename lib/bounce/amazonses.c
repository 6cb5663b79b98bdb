/* amazonses.c - Amazon SES bounce notifications delivered as JSON (SNS e-mail endpoint)
 * SPDX-License-Identifier: MIT
 *
 * The body is an SNS envelope whose "Message" member holds the SES notification as a JSON
 * string: notificationType Bounce (bouncedRecipients: emailAddress, action, status,
 * diagnosticCode), Complaint (complainedRecipients: reason feedback) or Delivery. See
 * https://docs.aws.amazon.com/ses/latest/dg/notification-contents.html. SES's SMTP bounces
 * (multipart/report) are read by the DSN reader.
 */
#include <jansson.h>
#include <string.h>
#include "bounce/formats.h"
#include "kb/kb_internal.h"
#include "util/str.h"

#define SES_MAX_JSON (1024u * 1024)

static int amazonses_detect(const bounce_view *v)
{
    return v->text.len && v->text.len < SES_MAX_JSON &&
           bounce_has(v->text.ptr, v->text.len, "notificationType");
}

/* strcspn_n - bytes before the first CR or LF in s[0..len). */
static size_t strcspn_n(const char *s, size_t len)
{
    const char *cr = memchr(s, '\r', len);
    size_t l = cr ? (size_t)(cr - s) : len;
    const char *lf = memchr(s, '\n', l);
    return lf ? (size_t)(lf - s) : l;
}

static const char *jget(json_t *o, const char *k)
{
    json_t *s = json_object_get(o, k);
    return json_is_string(s) ? json_string_value(s) : NULL;
}

static int amazonses_parse(bounce_view *v, bounce_out *out)
{
    const char *t = v->text.ptr;
    const char *brace = memchr(t, '{', v->text.len);
    if (!brace)
        return 0;
    /* mail transports fold long lines: join them again (a JSON string holds no raw line
     * break, so every one was added on the way) */
    buf j;
    buf_init(&j, SES_MAX_JSON);
    size_t n = v->text.len - (size_t)(brace - t);
    size_t k = 0;
    while (k < n) {
        /* the run up to the next line break in one piece */
        size_t run = strcspn_n(brace + k, n - k), keep = run;
        /* (a TAB before the line break is a transport's padding: dropped, not made a blank,
         * since a line folded inside a string would get the blank in its value,
         * "p\t\n eggy@example.net" read as the address eggy@example.net) */
        while (keep && brace[k + keep - 1] == '\t' && k + run < n)
            keep--;
        if (keep && buf_add(&j, brace + k, keep) != MXD_OK)
            return 0;
        k += run;
        if (k < n && brace[k] == '\n' && k + 1 < n && brace[k + 1] == ' ')
            k++;
        k++; /* the CR or LF itself */
    }
    /* (a raw TAB, which a JSON string may not hold, is a transport's too: padding at a line's
     * end; outside a string it is a blank like the space it becomes) */
    for (size_t i = 0; i < j.len; i++)
        if (j.ptr[i] == '\t')
            j.ptr[i] = ' ';
    json_error_t err;
    json_t *env = j.ptr ? json_loadb(j.ptr, j.len, JSON_DISABLE_EOF_CHECK, &err) : NULL;
    buf_free(&j);
    if (!env)
        return 0;
    json_t *msg = env;
    const char *inner = jget(env, "Message");
    json_t *owned = NULL;
    if (inner) {
        owned = json_loads(inner, 0, &err);
        if (owned)
            msg = owned;
    }
    const char *type = jget(msg, "notificationType");
    json_t *list = NULL;
    const char *reason = NULL;
    json_t *detail = NULL;
    if (type && !strcmp(type, "Bounce")) {
        detail = json_object_get(msg, "bounce");
        list = json_object_get(detail, "bouncedRecipients");
    } else if (type && !strcmp(type, "Complaint")) {
        detail = json_object_get(msg, "complaint");
        list = json_object_get(detail, "complainedRecipients");
        reason = "feedback";
    } else if (type && !strcmp(type, "Delivery")) {
        detail = json_object_get(msg, "delivery");
        list = json_object_get(detail, "recipients");
    }
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        const char *addr = json_is_string(e) ? json_string_value(e) : jget(e, "emailAddress");
        if (!addr)
            continue;
        bounce_rcpt *r = bounce_add(out, addr, strlen(addr));
        if (!r)
            continue;
        const char *s;
        if ((s = jget(e, "action")))
            bounce_copy(r->action, sizeof r->action, s, strlen(s));
        if ((s = jget(e, "status")))
            bounce_copy(r->status, sizeof r->status, s, strlen(s));
        if ((s = jget(e, "diagnosticCode"))) {
            const char *semi = strchr(s, ';');
            if (semi && semi - s < 12) {
                bounce_copy(r->diagtype, sizeof r->diagtype, s, (size_t)(semi - s));
                for (char *p = r->diagtype; *p; p++)
                    *p = (char)((*p >= 'a' && *p <= 'z') ? *p - 32 : *p);
                s = semi + 1;
            }
            rcpt_diag_set(r, s, strlen(s));
        }
        /* the bounce's subtype, where it names a reason (bounce-categories.tsv) */
        if (!reason && (s = jget(detail, "bounceSubType")))
            r->reason = kb_category_reason(v->kb, "bouncesubtype", s, strlen(s));
        if (reason) {
            r->reason = reason;
            if ((s = jget(detail, "complaintFeedbackType")))
                bounce_copy(r->feedbacktype, sizeof r->feedbacktype, s, strlen(s));
        }
        if (type && !strcmp(type, "Delivery")) {
            memcpy(r->action, "delivered", 10);
            memcpy(r->status, "2.0.0", 6);
        }
    }
    const char *mta = jget(detail, "reportingMTA");
    if (mta) {
        const char *semi = strchr(mta, ';');
        const char *h = semi ? semi + 1 : mta;
        while (*h == ' ')
            h++;
        bounce_copy(out->lhost, sizeof out->lhost, h, strlen(h));
    }
    json_decref(owned);
    json_decref(env);
    return (int)out->n;
}

const bounce_format bounce_fmt_amazonses = {"amazonses", amazonses_detect, amazonses_parse};
