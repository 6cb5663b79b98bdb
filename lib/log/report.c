/* report.c - what a log says: tables per provider, sender and recipient domain; alerts; JSON
 * SPDX-License-Identifier: MIT
 *
 * Tables are open-addressing maps from a key to a row, at most MXD_LOG_KEYS_MAX rows each; past
 * that, new keys count under "(other)". Alerts are decided as events arrive, from counts kept
 * per row: a sender's volume in the current hour against its rolling hourly average over the
 * spike window (a ring of hourly counts), a provider's bounce and deferral rate in the current
 * hour, and the first block-class reason per provider. No clock is read: hours are those of
 * the log's own stamps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "log/log_internal.h"
#include "util/buf.h"
#include "util/str.h"

/* --- tables ------------------------------------------------------------------------------ */

static unsigned long long key_hash(const char *s, size_t n)
{
    unsigned long long h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

#define LOG_TABLE_START 32 /* rows a table starts with; it doubles up to MXD_LOG_KEYS_MAX */

static void table_reindex(log_table *t)
{
    memset(t->idx, 0, t->idxcap * sizeof *t->idx);
    for (size_t r = 0; r < t->n; r++) {
        size_t i = key_hash(t->rows[r].key, strlen(t->rows[r].key)) & (t->idxcap - 1);
        while (t->idx[i])
            i = (i + 1) & (t->idxcap - 1);
        t->idx[i] = (unsigned)r + 1;
    }
}

/* table_grow - double the rows (up to MXD_LOG_KEYS_MAX) and rebuild the index; -1 when out of
 * memory. Row pointers handed out before are invalid afterwards. */
static int table_grow(log_table *t)
{
    size_t cap = t->cap ? t->cap * 2 : LOG_TABLE_START;
    if (cap > MXD_LOG_KEYS_MAX)
        cap = MXD_LOG_KEYS_MAX;
    log_row *rows = realloc(t->rows, cap * sizeof *rows);
    if (!rows)
        return -1;
    memset(rows + t->cap, 0, (cap - t->cap) * sizeof *rows);
    t->rows = rows;
    unsigned *idx = calloc(2 * cap, sizeof *idx);
    if (!idx)
        return -1;
    free(t->idx);
    t->idx = idx;
    t->idxcap = 2 * cap;
    t->cap = cap;
    table_reindex(t);
    return 0;
}

log_row *log_table_get(log_table *t, const char *key, size_t keylen)
{
    if (keylen >= LOG_FIELD_MAX)
        keylen = LOG_FIELD_MAX - 1;
    if (!t->rows && table_grow(t) != 0)
        return NULL;
    int other = 0;
    for (int pass = 0; pass < 3; pass++) {
        size_t i = key_hash(key, keylen) & (t->idxcap - 1);
        while (t->idx[i]) {
            log_row *r = &t->rows[t->idx[i] - 1];
            if (!strncmp(r->key, key, keylen) && r->key[keylen] == 0)
                return r;
            i = (i + 1) & (t->idxcap - 1);
        }
        /* the last row of a full table is kept for "(other)" */
        if (t->n + 1 < t->cap || (other && t->n < t->cap)) {
            log_row *r = &t->rows[t->n];
            memcpy(r->key, key, keylen);
            r->key[keylen] = 0;
            r->cur_hour = r->first_hour = r->rate_hour = -1;
            t->idx[i] = (unsigned)++t->n;
            return r;
        }
        if (t->cap < MXD_LOG_KEYS_MAX) {
            if (table_grow(t) != 0)
                return NULL;
            continue; /* look again in the larger table */
        }
        key = "(other)";
        keylen = 7;
        other = 1;
    }
    return NULL;
}

void log_table_free(log_table *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->rows[i].reasons);
        free(t->rows[i].ring);
    }
    free(t->rows);
    free(t->idx);
    memset(t, 0, sizeof *t);
}

/* --- alerts ------------------------------------------------------------------------------ */
_Static_assert(sizeof(((mxd_log_reason *)0)->next) >= LOG_TEXT_MAX + 64, "next holds the command");

static const char *const kind_names[] = {"spike", "bounce-rate", "new-block"};

/* shell_quote - text as one single-quoted shell word into b. */
static void shell_quote(buf *b, const char *text)
{
    buf_addc(b, '\'');
    for (const char *p = text; *p; p++) {
        if (*p == '\'')
            buf_adds(b, "'\\''");
        else
            buf_addc(b, (unsigned char)*p < 0x20 ? ' ' : *p);
    }
    buf_addc(b, '\'');
}

static void alert(mxd_log_ctx *c, mxd_log_alert_kind kind, const char *by, const char *key,
                  long long time, unsigned long count, double avg, double rate, const char *reason,
                  const char *text, const char *next)
{
    log_alert_rec tmp, *a = c->nalerts < LOG_ALERTS_MAX ? &c->alerts[c->nalerts++] : &tmp;
    if (a == &tmp)
        c->alerts_dropped++;
    memset(a, 0, sizeof *a);
    snprintf(a->key, sizeof a->key, "%s", key);
    snprintf(a->text, sizeof a->text, "%s", text ? text : "");
    snprintf(a->next, sizeof a->next, "%s", next);
    a->a.kind = kind;
    a->a.kind_name = kind_names[kind];
    a->a.key = a->key;
    a->a.by = by;
    a->a.time = time;
    a->a.count = count;
    a->a.average = avg;
    a->a.rate = rate;
    a->a.reason = reason;
    a->a.text = text ? a->text : NULL;
    a->a.next = a->next;
    if (c->o.on_alert && c->o.on_alert(c->o.arg, &a->a))
        c->stopped = 1;
}

/* next_diagnose - "mxdiag diagnose --reply 'TEXT'" into out. */
static void next_diagnose(char *out, size_t n, const char *lead, const char *text)
{
    buf b;
    buf_init(&b, n - 1);
    buf_adds(&b, lead);
    buf_adds(&b, "mxdiag diagnose --reply ");
    char t[LOG_TEXT_MAX];
    snprintf(t, sizeof t, "%s", text ? text : "");
    shell_quote(&b, t);
    snprintf(out, n, "%s", b.ptr ? b.ptr : lead);
    buf_free(&b);
}

static const char *const kind_by[LOG_SENDER_KINDS] = {"sender-domain", "sender", "sasl-user",
                                                      "client"};

/* kind_on - does the report keep the sender table of kind k (0..3)? */
static int kind_on(const mxd_log_ctx *c, int k)
{
    return c->o.by == MXD_LOG_BY_ALL || (int)c->o.by == k + 1;
}

/* sender_key - the key of kind k (sender domain, sender, SASL user, client); NULL unknown. */
static const char *sender_key(int k, const char *addresser, const char *sdomain, const char *sasl,
                              const char *client_ip)
{
    switch (k) {
    case 1:
        return addresser && addresser[0] ? addresser : NULL;
    case 2:
        return sasl;
    case 3:
        return client_ip;
    default:
        return sdomain;
    }
}

/* advance - move a sender's ring to hour h (earlier hours count into the current one). */
static void advance(mxd_log_ctx *c, log_row *r, long long h)
{
    unsigned w = c->window_hours;
    if (!r->ring) {
        r->ring = calloc(w, sizeof *r->ring);
        if (!r->ring)
            return;
    }
    if (r->cur_hour < 0) {
        r->cur_hour = r->first_hour = h;
        return;
    }
    if (h <= r->cur_hour)
        return;
    if (h - r->cur_hour > (long long)w) {
        memset(r->ring, 0, w * sizeof *r->ring);
        r->ring_sum = 0;
    } else {
        for (long long x = r->cur_hour; x < h; x++) {
            unsigned s = (unsigned)(x % w);
            r->ring_sum -= r->ring[s];
            r->ring[s] = x == r->cur_hour ? (unsigned)r->cur_count : 0;
            r->ring_sum += r->ring[s];
        }
    }
    r->cur_hour = h;
    r->cur_count = 0;
    r->spike_alerted = 0;
}

void log_report_received(mxd_log_ctx *c, const log_msg *m, long long when)
{
    const char *at = strrchr(m->from, '@');
    for (int k = 0; k < LOG_SENDER_KINDS; k++) {
        if (!kind_on(c, k))
            continue;
        const char *key = sender_key(k, m->from, at ? at + 1 : NULL, m->sasl[0] ? m->sasl : NULL,
                                     m->client_ip[0] ? m->client_ip : NULL);
        if (!key || !*key)
            continue;
        log_row *r = log_table_get(&c->senders[k], key, strlen(key));
        if (!r)
            continue;
        r->messages++;
        if (when <= 0)
            continue;
        long long h = when / 3600;
        advance(c, r, h);
        if (!r->ring)
            continue;
        r->cur_count++;
        long long hist = r->cur_hour - r->first_hour;
        if (hist > (long long)c->window_hours)
            hist = c->window_hours;
        if (hist < 1 || r->spike_alerted || r->cur_count < c->o.spike_min)
            continue;
        double avg = (double)r->ring_sum / (double)hist;
        if ((double)r->cur_count >= c->o.spike_factor * avg) {
            r->spike_alerted = 1;
            char next[LOG_FIELD_MAX + 160];
            snprintf(next, sizeof next,
                     "check %s %.200s for a compromised account or script: mxdiag log --events "
                     "--jsonl, look at its recipients; suspend it if the volume is not expected",
                     kind_by[k], r->key);
            alert(c, MXD_LOG_ALERT_SPIKE, kind_by[k], r->key, h * 3600, r->cur_count, avg, 0, NULL,
                  NULL, next);
        }
    }
}

static const char *const block_reasons[] = {"blocked", "badreputation", "spamdetected"};

static void provider_reason(log_row *p, const mxd_log_event *ev)
{
    if (!p->reasons) {
        p->reasons = calloc(LOG_REASONS_MAX, sizeof *p->reasons);
        if (!p->reasons)
            return;
    }
    const char *st = ev->status ? ev->status : "";
    for (size_t i = 0; i < p->nreasons; i++) {
        log_reason_ct *rc = &p->reasons[i];
        if (rc->reason == ev->reason && !strcmp(rc->status, st)) {
            rc->count++;
            return;
        }
    }
    size_t i = p->nreasons;
    if (i == LOG_REASONS_MAX) {
        /* full: the least frequent makes room (a new reason is worth seeing) */
        i = 0;
        for (size_t k = 1; k < p->nreasons; k++)
            if (p->reasons[k].count < p->reasons[i].count)
                i = k;
    } else {
        p->nreasons++;
    }
    log_reason_ct *rc = &p->reasons[i];
    rc->reason = ev->reason;
    rc->summary = ev->summary;
    snprintf(rc->status, sizeof rc->status, "%s", st);
    snprintf(rc->text, sizeof rc->text, "%s", ev->diagnosticcode ? ev->diagnosticcode : "");
    rc->count = 1;
}

void log_report_event(mxd_log_ctx *c, const mxd_log_event *ev)
{
    const char *o = ev->outcome;
    int sent = o[0] == 's', deferred = o[0] == 'd', bounced = o[0] == 'b', rejected = o[0] == 'r',
        expired = o[0] == 'e';
    if (ev->destination && !rejected) {
        log_row *d = log_table_get(&c->domains, ev->destination, strlen(ev->destination));
        if (d) {
            d->messages++;
            d->sent += sent;
            d->deferred += deferred;
            d->bounced += bounced;
            d->expired += expired;
        }
    }
    for (int k = 0; k < LOG_SENDER_KINDS; k++) {
        if (!kind_on(c, k))
            continue;
        const char *sk =
            sender_key(k, ev->addresser, ev->senderdomain, ev->sasl_username, ev->client_ip);
        if (!sk || !*sk)
            continue;
        log_row *s = log_table_get(&c->senders[k], sk, strlen(sk));
        if (s) {
            s->sent += sent;
            s->deferred += deferred;
            s->bounced += bounced;
            s->rejected += rejected;
            s->expired += expired;
        }
    }
    if (rejected)
        return; /* an inbound refusal says nothing about a recipient provider */
    const char *pk = ev->provider ? ev->provider : ev->destination;
    if (!pk)
        return;
    log_row *p = log_table_get(&c->providers, pk, strlen(pk));
    if (!p)
        return;
    if (ev->provider && !p->name)
        p->name = mxd_kb_provider_name(c->kb, ev->provider);
    p->messages++;
    p->sent += sent;
    p->deferred += deferred;
    p->bounced += bounced;
    p->expired += expired;
    if (sent)
        goto rate;
    provider_reason(p, ev);
    /* the first block-class reason for this provider */
    unsigned bit = 0;
    for (size_t i = 0; i < sizeof block_reasons / sizeof *block_reasons && !ev->not_block; i++)
        if (!strcmp(ev->reason, block_reasons[i]))
            bit = 1u << i;
    if (!bit && ev->scope && !strcmp(ev->scope, "tenant"))
        bit = 1u << 3;
    if (bit && !(p->blocks & bit)) {
        p->blocks |= bit;
        char next[LOG_TEXT_MAX + 64];
        next_diagnose(next, sizeof next, "", ev->diagnosticcode);
        alert(c, MXD_LOG_ALERT_NEW_BLOCK, "provider", p->key, ev->timestamp, 1, 0, 0, ev->reason,
              ev->diagnosticcode, next);
    }
rate:
    if (ev->timestamp <= 0)
        return;
    long long h = ev->timestamp / 3600;
    if (h > p->rate_hour) {
        p->rate_hour = h;
        p->rate_n = p->rate_bounced = p->rate_deferred = 0;
        p->rate_alerted = 0;
    }
    p->rate_n++;
    p->rate_bounced += bounced || expired;
    p->rate_deferred += deferred;
    if (p->rate_alerted || p->rate_n < c->o.rate_min)
        return;
    double br = (double)p->rate_bounced / (double)p->rate_n;
    double dr = (double)p->rate_deferred / (double)p->rate_n;
    if ((br >= c->o.rate_threshold || dr >= c->o.rate_threshold) && !sent) {
        p->rate_alerted = 1;
        char next[LOG_TEXT_MAX + 64];
        next_diagnose(next, sizeof next, "", ev->diagnosticcode);
        alert(c, MXD_LOG_ALERT_BOUNCE_RATE, "provider", p->key, h * 3600, p->rate_n, 0,
              br >= dr ? br : dr, ev->reason, ev->diagnosticcode, next);
    }
}

/* --- finish: sort the tables ------------------------------------------------------------- */

static int cmp_row(const void *a, const void *b)
{
    const log_row *x = a, *y = b;
    unsigned long long vx = x->messages + x->rejected, vy = y->messages + y->rejected;
    if (vx != vy)
        return vx < vy ? 1 : -1;
    return strcmp(x->key, y->key);
}

static int cmp_reason(const void *a, const void *b)
{
    const log_reason_ct *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    int r = strcmp(x->reason, y->reason);
    return r ? r : strcmp(x->status, y->status);
}

static void table_sort(log_table *t)
{
    if (!t->n)
        return;
    qsort(t->rows, t->n, sizeof *t->rows, cmp_row);
    for (size_t i = 0; i < t->n; i++)
        if (t->rows[i].reasons)
            qsort(t->rows[i].reasons, t->rows[i].nreasons, sizeof *t->rows[i].reasons, cmp_reason);
    table_reindex(t);
}

mxd_err mxd_log_finish(mxd_log_ctx *c)
{
    table_sort(&c->providers);
    for (int k = 0; k < LOG_SENDER_KINDS; k++)
        table_sort(&c->senders[k]);
    table_sort(&c->domains);
    return MXD_OK;
}

/* --- access ------------------------------------------------------------------------------ */

/* row_at - the i-th row of a table; the sender tables count as one, kind after kind. */
static const log_row *row_at(const mxd_log_ctx *c, int table, size_t i, const char **by)
{
    *by = NULL;
    if (table == MXD_LOG_TABLE_SENDERS) {
        for (int k = 0; k < LOG_SENDER_KINDS; k++) {
            if (i < c->senders[k].n) {
                *by = kind_by[k];
                return &c->senders[k].rows[i];
            }
            i -= c->senders[k].n;
        }
        return NULL;
    }
    const log_table *t = table == MXD_LOG_TABLE_PROVIDERS ? &c->providers : &c->domains;
    return i < t->n ? &t->rows[i] : NULL;
}

int mxd_log_rows(const mxd_log_ctx *c, int table, size_t i, mxd_log_row *row)
{
    const char *by;
    const log_row *r = row_at(c, table, i, &by);
    if (!r)
        return -1;
    row->key = r->key;
    row->by = by;
    row->name = r->name;
    row->messages = r->messages;
    row->sent = r->sent;
    row->deferred = r->deferred;
    row->bounced = r->bounced;
    row->rejected = r->rejected;
    row->expired = r->expired;
    return 0;
}

int mxd_log_provider_reason(const mxd_log_ctx *c, size_t i, size_t j, mxd_log_reason *out)
{
    if (i >= c->providers.n || j >= c->providers.rows[i].nreasons)
        return -1;
    const log_reason_ct *r = &c->providers.rows[i].reasons[j];
    out->reason = r->reason;
    out->status = r->status;
    out->summary = r->summary;
    out->text = r->text;
    out->count = r->count;
    next_diagnose(out->next, sizeof out->next, "", r->text);
    return 0;
}

int mxd_log_alert_get(const mxd_log_ctx *c, size_t i, mxd_log_alert *a)
{
    if (i >= c->nalerts)
        return -1;
    *a = c->alerts[i].a;
    return 0;
}

/* --- JSON -------------------------------------------------------------------------------- */

/* iso_time - "2023-03-14T10:00:00Z" */
static void iso_time(long long t, char *out, size_t n)
{
    long long z = t / 86400, s = t % 86400;
    if (s < 0) {
        s += 86400;
        z--;
    }
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
    long long m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    snprintf(out, n, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", y, m, d, s / 3600, s / 60 % 60,
             s % 60);
}

/* jstr - a JSON string or null; bytes that are not UTF-8 become '?'. */
static json_t *jstr(const char *s)
{
    if (!s)
        return json_null();
    size_t n = strlen(s), bad;
    if (str_utf8_valid(s, n, &bad))
        return json_string(s);
    char *c = str_dup_n(s, n);
    if (!c)
        return NULL;
    while (!str_utf8_valid(c, n, &bad))
        c[bad] = '?';
    json_t *j = json_string(c);
    free(c);
    return j;
}

static double ratio(unsigned long long a, unsigned long long b)
{
    return b ? (double)(long long)((double)a * 10000 / (double)b + 0.5) / 10000 : 0;
}

/* alert_json - one alert as a JSON object (NULL on no memory). */
static json_t *alert_json(const mxd_log_alert *a)
{
    json_t *x = json_object();
    if (!x)
        return NULL;
    char ts[32];
    iso_time(a->time, ts, sizeof ts);
    json_object_set_new(x, "kind", json_string(a->kind_name));
    json_object_set_new(x, "key", jstr(a->key));
    json_object_set_new(x, "by", jstr(a->by));
    json_object_set_new(x, "time", json_string(ts));
    json_object_set_new(x, "count", json_integer((json_int_t)a->count));
    if (a->kind == MXD_LOG_ALERT_SPIKE)
        json_object_set_new(x, "average",
                            json_real(ratio((unsigned long long)(a->average * 10000), 10000)));
    if (a->kind == MXD_LOG_ALERT_BOUNCE_RATE)
        json_object_set_new(x, "rate", json_real(a->rate));
    json_object_set_new(x, "reason", jstr(a->reason));
    json_object_set_new(x, "text", jstr(a->text));
    json_object_set_new(x, "next", jstr(a->next));
    return x;
}

char *mxd_log_alert_json(const mxd_log_alert *a)
{
    json_t *x = alert_json(a);
    if (!x)
        return NULL;
    char *s = json_dumps(x, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    json_decref(x);
    return s;
}

char *mxd_log_report_json(const mxd_log_ctx *c, size_t top, int pretty)
{
    json_t *o = json_object(), *t = json_object(), *in = json_object();
    json_t *doms = json_array(), *provs = json_array(), *sends = json_array(),
           *alerts = json_array();
    if (!o || !t || !in || !doms || !provs || !sends || !alerts)
        goto fail;
    json_object_set_new(t, "received", json_integer((json_int_t)c->t.received));
    json_object_set_new(t, "delivered", json_integer((json_int_t)c->t.delivered));
    json_object_set_new(t, "forwarded", json_integer((json_int_t)c->t.forwarded));
    json_object_set_new(t, "deferred", json_integer((json_int_t)c->t.deferred));
    json_object_set_new(t, "deferrals", json_integer((json_int_t)c->t.deferrals));
    json_object_set_new(t, "bounced", json_integer((json_int_t)c->t.bounced));
    json_object_set_new(t, "expired", json_integer((json_int_t)c->t.expired));
    json_object_set_new(t, "rejected", json_integer((json_int_t)c->t.rejected));
    json_object_set_new(in, "lines", json_integer((json_int_t)c->t.lines));
    json_object_set_new(in, "unknown", json_integer((json_int_t)c->t.unknown));
    json_object_set_new(in, "ignored", json_integer((json_int_t)c->t.ignored));
    json_object_set_new(in, "evicted", json_integer((json_int_t)c->t.evicted));
    json_object_set_new(in, "alerts_dropped", json_integer((json_int_t)c->alerts_dropped));
    for (size_t i = 0; i < c->domains.n; i++) {
        const log_row *r = &c->domains.rows[i];
        json_t *d = json_object();
        json_object_set_new(d, "domain", jstr(r->key));
        json_object_set_new(d, "delivered", json_integer((json_int_t)r->sent));
        json_object_set_new(d, "deferrals", json_integer((json_int_t)r->deferred));
        json_object_set_new(d, "bounced", json_integer((json_int_t)r->bounced));
        json_array_append_new(doms, d);
    }
    for (size_t i = 0; i < c->providers.n; i++) {
        const log_row *r = &c->providers.rows[i];
        json_t *p = json_object(), *rs = json_array();
        json_object_set_new(p, "provider", jstr(r->key));
        json_object_set_new(p, "name", jstr(r->name));
        json_object_set_new(p, "volume", json_integer((json_int_t)r->messages));
        json_object_set_new(p, "delivered", json_integer((json_int_t)r->sent));
        json_object_set_new(p, "deferred", json_integer((json_int_t)r->deferred));
        json_object_set_new(p, "bounced", json_integer((json_int_t)r->bounced));
        json_object_set_new(p, "expired", json_integer((json_int_t)r->expired));
        json_object_set_new(p, "delivery_rate", json_real(ratio(r->sent, r->messages)));
        json_object_set_new(p, "deferral_rate", json_real(ratio(r->deferred, r->messages)));
        json_object_set_new(p, "bounce_rate", json_real(ratio(r->bounced, r->messages)));
        for (size_t j = 0; j < r->nreasons && j < top; j++) {
            const log_reason_ct *rc = &r->reasons[j];
            json_t *x = json_object();
            char next[LOG_TEXT_MAX + 64];
            next_diagnose(next, sizeof next, "", rc->text);
            json_object_set_new(x, "reason", jstr(rc->reason));
            json_object_set_new(x, "status", jstr(rc->status[0] ? rc->status : NULL));
            json_object_set_new(x, "count", json_integer((json_int_t)rc->count));
            json_object_set_new(x, "summary", jstr(rc->summary));
            json_object_set_new(x, "example", jstr(rc->text[0] ? rc->text : NULL));
            json_object_set_new(x, "next", jstr(next));
            json_array_append_new(rs, x);
        }
        json_object_set_new(p, "reasons", rs);
        json_array_append_new(provs, p);
    }
    for (int k = 0; k < LOG_SENDER_KINDS; k++) {
        for (size_t i = 0; i < c->senders[k].n; i++) {
            const log_row *r = &c->senders[k].rows[i];
            json_t *s = json_object();
            json_object_set_new(s, "by", json_string(kind_by[k]));
            json_object_set_new(s, "key", jstr(r->key));
            json_object_set_new(s, "messages", json_integer((json_int_t)r->messages));
            json_object_set_new(s, "delivered", json_integer((json_int_t)r->sent));
            json_object_set_new(s, "deferred", json_integer((json_int_t)r->deferred));
            json_object_set_new(s, "bounced", json_integer((json_int_t)r->bounced));
            json_object_set_new(s, "rejected", json_integer((json_int_t)r->rejected));
            json_object_set_new(s, "bounce_rate",
                                json_real(ratio(r->bounced, r->sent + r->bounced)));
            json_array_append_new(sends, s);
        }
    }
    for (size_t i = 0; i < c->nalerts; i++)
        json_array_append_new(alerts, alert_json(&c->alerts[i].a));
    json_object_set_new(o, "totals", t);
    json_object_set_new(o, "input", in);
    json_object_set_new(o, "domains", doms);
    json_object_set_new(o, "providers", provs);
    json_object_set_new(o, "senders", sends);
    json_object_set_new(o, "alerts", alerts);
    char *s = json_dumps(o, (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_PRESERVE_ORDER |
                                JSON_REAL_PRECISION(6));
    json_decref(o);
    return s;
fail:
    json_decref(o);
    json_decref(t);
    json_decref(in);
    json_decref(doms);
    json_decref(provs);
    json_decref(sends);
    json_decref(alerts);
    return NULL;
}

/* --- events as JSON and CSV -------------------------------------------------------------- */

#define EV_FIELDS(X)                                                                               \
    X("timestamp", TS, timestamp)                                                                  \
    X("queueid", S, queueid)                                                                       \
    X("messageid", S, messageid)                                                                   \
    X("addresser", S, addresser)                                                                   \
    X("senderdomain", S, senderdomain)                                                             \
    X("sasl_username", S, sasl_username)                                                           \
    X("client_ip", S, client_ip)                                                                   \
    X("client_host", S, client_host)                                                               \
    X("recipient", S, recipient)                                                                   \
    X("orig_to", S, orig_to)                                                                       \
    X("destination", S, destination)                                                               \
    X("provider", S, provider)                                                                     \
    X("rhost", S, rhost)                                                                           \
    X("relay_ip", S, relay_ip)                                                                     \
    X("outcome", S, outcome)                                                                       \
    X("action", S, action)                                                                         \
    X("status", S, status)                                                                         \
    X("replycode", S, replycode)                                                                   \
    X("reason", S, reason)                                                                         \
    X("scope", S, scope)                                                                           \
    X("hardbounce", I, hardbounce)                                                                 \
    X("delay", D, delay)                                                                           \
    X("size", L, size)                                                                             \
    X("mta", S, mta)                                                                               \
    X("instance", S, instance)                                                                     \
    X("diagnosticcode", S, diagnosticcode)

char *mxd_log_event_json(const mxd_log_event *ev)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    char ts[32];
#define J_TS(v)          (iso_time(v, ts, sizeof ts), v > 0 ? json_string(ts) : json_null())
#define J_S(v)           jstr(v)
#define J_I(v)           json_integer(v)
#define J_D(v)           (v >= 0 ? json_real(v) : json_null())
#define J_L(v)           (v >= 0 ? json_integer((json_int_t)v) : json_null())
#define X(name, type, f) json_object_set_new(o, name, J_##type(ev->f));
    EV_FIELDS(X)
#undef X
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    json_decref(o);
    return s;
}

static void csv_field(buf *b, const char *s)
{
    if (!s)
        return;
    int q = strpbrk(s, ",\"\r\n") != NULL;
    if (!q) {
        buf_adds(b, s);
        return;
    }
    buf_addc(b, '"');
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            buf_addc(b, '"');
        buf_addc(b, *p);
    }
    buf_addc(b, '"');
}

char *mxd_log_event_csv(const mxd_log_event *ev, int header)
{
    buf b;
    buf_init(&b, 4 * MXD_LOG_LINE_MAX);
    int first = 1;
    char num[64];
#define C_TS(v) (v > 0 ? (iso_time(v, num, sizeof num), num) : NULL)
#define C_S(v)  (v)
#define C_I(v)  (snprintf(num, sizeof num, "%d", v), num)
#define C_D(v)  (v >= 0 ? (snprintf(num, sizeof num, "%.3f", v), num) : NULL)
#define C_L(v)  (v >= 0 ? (snprintf(num, sizeof num, "%lld", v), num) : NULL)
#define X(name, type, f)                                                                           \
    if (!first)                                                                                    \
        buf_addc(&b, ',');                                                                         \
    first = 0;                                                                                     \
    if (header)                                                                                    \
        buf_adds(&b, name);                                                                        \
    else                                                                                           \
        csv_field(&b, C_##type(ev->f));
    EV_FIELDS(X)
#undef X
    return buf_steal(&b);
}
