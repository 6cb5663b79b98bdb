/* alerts.c - from results to alerts: open on the change for the worse, close on the way back
 * SPDX-License-Identifier: MIT
 *
 * The open alerts in the store are the memory: a result is compared with them, not with the
 * previous result, so a restart (kill -9 included) finds the listing's alert open and raises
 * nothing new, and a result stored together with its alert and notice (one transaction)
 * cannot be half done. An UNKNOWN result changes no alert of its key: a list that stopped
 * answering has not delisted anyone; it has its own "cannot check" alert instead, after
 * cannot_after unknown results in a row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "watch/watch_internal.h"

char *watch_notice_json(const mxd_watch_alert *al, const char *type, long long now)
{
    json_t *a =
        json_pack("{s:I, s:s, s:s, s:s?, s:s?, s:s, s:s, s:s?, s:I, s:I}", "id", (json_int_t)al->id,
                  "key", al->key, "kind", al->kind, "subject", al->subject, "item", al->item,
                  "severity", al->severity, "title", al->title, "detail", al->detail, "opened_at",
                  (json_int_t)al->opened_at, "closed_at", (json_int_t)al->closed_at);
    if (!a)
        return NULL;
    char summary[600];
    if (!strcmp(type, "recovery"))
        snprintf(summary, sizeof summary, "RECOVERED: %s", al->title);
    else if (!strcmp(type, "repeat"))
        snprintf(summary, sizeof summary, "STILL OPEN: %s", al->title);
    else
        snprintf(summary, sizeof summary, "%s: %s",
                 !strcmp(al->severity, "critical")  ? "CRITICAL"
                 : !strcmp(al->severity, "warning") ? "WARNING"
                                                    : "INFO",
                 al->title);
    json_t *o = json_pack("{s:s, s:s, s:I, s:o}", "type", type, "summary", summary, "time",
                          (json_int_t)now, "alert", a);
    if (!o)
        return NULL;
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

/* notice - queue a notice of type for alert al (and count it on the alert). */
static mxd_err notice(watch_alerter *w, const mxd_watch_alert *al, const char *type, long long now)
{
    char *body = watch_notice_json(al, type, now);
    if (!body)
        return MXD_ERR_NOMEM;
    mxd_err e = mxd_store_notice_add(w->store, al->id, type, body, w->cfg->channels, now);
    free(body);
    if (!e)
        e = mxd_store_alert_notified(w->store, al->id, now);
    return e;
}

/* fetch_alert - alert id into a copy the caller frees (strings in one block). */
typedef struct alert_copy {
    mxd_watch_alert a;
    char buf[4096];
} alert_copy;

typedef struct find_ctx {
    alert_copy *out;
    int found;
} find_ctx;

static void copy_str(alert_copy *c, size_t *o, const char **dst, const char *src)
{
    if (!src) {
        *dst = NULL;
        return;
    }
    if (*o >= sizeof c->buf) { /* full: the rest stays empty, never past the end */
        *dst = "";
        return;
    }
    size_t n = strlen(src);
    if (n >= sizeof c->buf - *o)
        n = sizeof c->buf - *o - 1;
    memcpy(c->buf + *o, src, n);
    c->buf[*o + n] = 0;
    *dst = c->buf + *o;
    *o += n + 1;
}

static void copy_alert(alert_copy *c, const mxd_watch_alert *a)
{
    size_t o = 0;
    c->a = *a;
    copy_str(c, &o, &c->a.key, a->key);
    copy_str(c, &o, &c->a.kind, a->kind);
    copy_str(c, &o, &c->a.subject, a->subject);
    copy_str(c, &o, &c->a.item, a->item);
    copy_str(c, &o, &c->a.severity, a->severity);
    copy_str(c, &o, &c->a.title, a->title);
    copy_str(c, &o, &c->a.detail, a->detail);
}

static int find_cb(void *arg, const mxd_watch_alert *a)
{
    find_ctx *f = arg;
    copy_alert(f->out, a);
    f->found = 1;
    return 1;
}

static mxd_err load_alert(watch_alerter *w, long long id, alert_copy *out)
{
    find_ctx f = {out, 0};
    mxd_err e = mxd_store_alert_get(w->store, id, find_cb, &f);
    if (!e && !f.found)
        e = MXD_ERR_NOTFOUND;
    return e;
}

/* close_key - close key's open alert (if any) with a recovery notice. */
static mxd_err close_key(watch_alerter *w, const char *key, const char *detail, long long now)
{
    long long id;
    mxd_err e = mxd_store_alert_open_id(w->store, key, &id);
    if (e || !id)
        return e;
    alert_copy *c = malloc(sizeof *c);
    if (!c)
        return MXD_ERR_NOMEM;
    if (!(e = load_alert(w, id, c)) && !(e = mxd_store_alert_close(w->store, id, now))) {
        c->a.closed_at = now;
        if (detail)
            c->a.detail = detail;
        e = notice(w, &c->a, "recovery", now);
        w->closed++;
    }
    free(c);
    return e;
}

static const char *alert_kind(const char *kind)
{
    return !strcmp(kind, "dnsbl") ? "listed" : kind;
}

/* title - one line naming what went wrong. */
static void title_of(const watch_result *r, char *out, size_t len)
{
    if (!strcmp(r->kind, "dnsbl"))
        snprintf(out, len, "%s is listed on %s (%s)", r->subject, r->item, r->value);
    else if (!strcmp(r->kind, "ptr"))
        snprintf(out, len, "reverse DNS of %s: %s", r->subject, r->value);
    else if (!strcmp(r->kind, "dkim"))
        snprintf(out, len, "DKIM key %s of %s: %s", r->item, r->subject, r->value);
    else if (!strcmp(r->kind, "spf-auth"))
        snprintf(out, len, "SPF of %s: %s", r->subject, r->value);
    else if (!strcmp(r->kind, "snds"))
        snprintf(out, len, "SNDS: %s is %s", r->subject, r->value);
    else if (!strcmp(r->kind, "snds-traps"))
        snprintf(out, len, "SNDS: %s hit spam traps (%s)", r->subject, r->value);
    else if (!strcmp(r->kind, "snds-block"))
        snprintf(out, len, "SNDS: %s - %s is blocked", r->subject, r->item ? r->item : "");
    else if (!strcmp(r->kind, "gpt-spam"))
        snprintf(out, len, "Gmail spam rate of %s: %s, above 0.10%%", r->subject, r->value);
    else if (!strcmp(r->kind, "gpt-spam-limit"))
        snprintf(out, len, "Gmail spam rate of %s: %s, at the 0.30%% limit", r->subject, r->value);
    else
        snprintf(out, len, "%s of %s: %s", r->kind, r->subject, r->value ? r->value : "problem");
}

static mxd_err open_alert(watch_alerter *w, const char *key, const char *kind,
                          const watch_result *r, const char *severity, const char *title,
                          const char *detail, long long now)
{
    mxd_watch_alert al = {0};
    al.key = key;
    al.kind = kind;
    al.subject = r->subject;
    al.item = r->item;
    al.severity = severity;
    al.title = title;
    al.detail = detail;
    al.opened_at = now;
    mxd_err e = mxd_store_alert_open(w->store, &al, now, &al.id);
    if (!e)
        e = notice(w, &al, "open", now);
    if (!e)
        w->opened++;
    return e;
}

/* rank_dmarc - "p=reject rua=1" -> policy rank * 2 + (rua > 0); -1 when not that form. */
static int rank_dmarc(const char *v)
{
    static const char *const pol[] = {"none", "quarantine", "reject"};
    char p[32];
    unsigned rua;
    if (!v || sscanf(v, "p=%31s rua=%u", p, &rua) != 2)
        return -1;
    for (int i = 0; i < 3; i++)
        if (!strcmp(p, pol[i]))
            return i * 2 + (rua > 0);
    return -1;
}

/* bits - the number of bits in a DKIM value "rsa 2048 bits", else 0. */
static int bits_of(const char *v)
{
    int b = 0;
    char t[32];
    if (v && sscanf(v, "%31s %d bits", t, &b) == 2)
        return b;
    return 0;
}

/* weakened - a change between two OK values that lowers protection: why into out. */
static int weakened(const watch_result *r, const char *before, char *out, size_t len)
{
    if (!before || !*before || !r->value || !strcmp(before, r->value))
        return 0;
    if (!strcmp(r->kind, "dmarc")) {
        int a = rank_dmarc(before), b = rank_dmarc(r->value);
        if ((a >= 0 && b >= 0 && b < a) || (a >= 0 && b < 0)) {
            snprintf(out, len, "DMARC of %s weakened: %s, was %s", r->subject, r->value, before);
            return 1;
        }
    } else if (!strcmp(r->kind, "dkim")) {
        int a = bits_of(before), b = bits_of(r->value);
        if (a && b && b < a) {
            snprintf(out, len, "DKIM key %s of %s shrank: %s, was %s", r->item, r->subject,
                     r->value, before);
            return 1;
        }
    } else if (!strcmp(r->kind, "mta-sts") || !strcmp(r->kind, "tls-rpt")) {
        if (!strcmp(before, "present")) {
            snprintf(out, len, "%s record of %s is gone: %s", r->kind, r->subject, r->value);
            return 1;
        }
    } else if (!strcmp(r->kind, "spf")) {
        int a = 0, b = 0;
        if (sscanf(before, "record, %d", &a) == 1 && !strcmp(r->value, "none")) {
            snprintf(out, len, "SPF record of %s is gone", r->subject);
            return 1;
        }
        (void)b;
    }
    return 0;
}

static mxd_err apply(watch_alerter *w, const watch_result *r, long long now)
{
    mxd_watch_check c = {0};
    c.key = r->key;
    c.kind = r->kind;
    c.subject = r->subject;
    c.item = r->item;
    c.state = r->state;
    c.value = r->value;
    c.detail = r->detail;
    mxd_watch_prev prev;
    mxd_err e = mxd_store_watch_record(w->store, &c, now, &prev);
    if (e)
        return e;
    char cannot[700];
    snprintf(cannot, sizeof cannot, "cannot/%s", r->key);
    char title[600];

    if (r->state == MXD_WATCH_UNKNOWN) {
        long long id;
        if (prev.failures < w->cfg->cannot_after ||
            (e = mxd_store_alert_open_id(w->store, cannot, &id)) || id)
            return e;
        snprintf(title, sizeof title, "cannot check %s %s%s%s", r->kind, r->subject,
                 r->item ? " on " : "", r->item ? r->item : "");
        return open_alert(w, cannot, "cannot-check", r, "warning", title, r->detail, now);
    }
    if ((e = close_key(w, cannot, r->detail, now)))
        return e;

    long long id;
    if ((e = mxd_store_alert_open_id(w->store, r->key, &id)))
        return e;
    if (r->state == MXD_WATCH_PROBLEM) {
        title_of(r, title, sizeof title);
        if (!id)
            return open_alert(w, r->key, alert_kind(r->kind), r, watch_kind_severity(r->kind),
                              title, r->detail, now);
        if (strcmp(prev.known_value, r->value ? r->value : ""))
            return mxd_store_alert_update(w->store, id, title, r->detail);
        return MXD_OK;
    }
    /* OK */
    if (id)
        return close_key(w, r->key, r->detail, now);
    char why[600];
    if (prev.known_state == MXD_WATCH_OK && weakened(r, prev.known_value, why, sizeof why)) {
        char key[700];
        snprintf(key, sizeof key, "weakened/%s", r->key);
        if ((e = open_alert(w, key, "weakened", r, "warning", why, r->detail, now)))
            return e;
        w->events++;
        long long eid;
        if ((e = mxd_store_alert_open_id(w->store, key, &eid)) || !eid)
            return e;
        return mxd_store_alert_close(w->store, eid, now);
    }
    return MXD_OK;
}

mxd_err watch_apply(watch_alerter *w, const watch_result *r, long long now)
{
    mxd_err e = mxd_store_begin(w->store);
    if (e)
        return e;
    if ((e = apply(w, r, now))) {
        mxd_store_rollback(w->store);
        return e;
    }
    return mxd_store_commit(w->store);
}

mxd_err watch_raise_event(watch_alerter *w, const char *key, const char *kind, const char *subject,
                          const char *severity, const char *title, const char *detail,
                          long long now)
{
    long long window = w->cfg->repeat > 0 ? w->cfg->repeat : 3600;
    long long last;
    /* look and open under the write lock: the daemons of a fleet raise a log alert once */
    mxd_err e = mxd_store_begin(w->store);
    if (e)
        return e;
    if (!(e = mxd_store_lock(w->store)))
        e = mxd_store_alert_last_opened(w->store, key, &last);
    if (e || (last && last >= now - window)) {
        mxd_store_rollback(w->store);
        return e;
    }
    watch_result r = {0};
    r.subject = (char *)subject;
    if (!(e = open_alert(w, key, kind, &r, severity, title, detail, now))) {
        long long id;
        if (!(e = mxd_store_alert_open_id(w->store, key, &id)) && id)
            e = mxd_store_alert_close(w->store, id, now);
    }
    if (e) {
        mxd_store_rollback(w->store);
        return e;
    }
    w->events++;
    w->events_critical += !strcmp(severity, "critical");
    return mxd_store_commit(w->store);
}

typedef struct due_ctx {
    alert_copy *v;
    size_t n, cap;
    int nomem;
} due_ctx;

static int due_cb(void *arg, const mxd_watch_alert *a)
{
    due_ctx *d = arg;
    if (d->n == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 8;
        alert_copy *nv = realloc(d->v, nc * sizeof *nv);
        if (!nv) {
            d->nomem = 1;
            return 1;
        }
        d->v = nv;
        d->cap = nc;
    }
    copy_alert(&d->v[d->n++], a);
    return 0;
}

mxd_err watch_repeat_due(watch_alerter *w, long long now)
{
    if (w->cfg->repeat <= 0)
        return MXD_OK;
    due_ctx d = {0};
    mxd_err e = mxd_store_alerts_due(w->store, now - w->cfg->repeat, due_cb, &d);
    if (!e && d.nomem)
        e = MXD_ERR_NOMEM;
    for (size_t i = 0; !e && i < d.n; i++) {
        if ((e = mxd_store_begin(w->store)))
            break;
        if ((e = notice(w, &d.v[i].a, "repeat", now))) {
            mxd_store_rollback(w->store);
            break;
        }
        e = mxd_store_commit(w->store);
    }
    free(d.v);
    return e;
}
