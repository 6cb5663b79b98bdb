/* log.c - the log context: lines to records, records reassembled by queue ID into events
 * SPDX-License-Identifier: MIT
 *
 * Each MTA line parser (postfix.c, exim.c, sendmail.c) turns a line into a log_rec. Records of
 * one message meet in a table of messages in flight, keyed by (instance, queue ID): the client
 * and SASL user from smtpd, the Message-ID from cleanup, the sender and size from qmgr. Each
 * recipient outcome becomes one mxd_log_event carrying all of them, classified once
 * (classify.c) and handed to the report (report.c) and the caller. The table holds at most
 * inflight_max messages; when full, the least recently seen is evicted (counted), so memory
 * stays flat however long the log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "classify/classify.h"
#include "log/log_internal.h"
#include "util/str.h"

mxd_err mxd_log_new(const mxd_kb *kb, const mxd_log_opts *opts, mxd_log_ctx **out)
{
    if (!kb || !out)
        return MXD_ERR_INVALID;
    mxd_log_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return MXD_ERR_NOMEM;
    c->kb = kb;
    if (opts)
        c->o = *opts;
    if (c->o.spike_factor <= 0)
        c->o.spike_factor = 3;
    if (c->o.spike_window <= 0)
        c->o.spike_window = 7 * 86400;
    if (!c->o.spike_min)
        c->o.spike_min = 50;
    if (c->o.rate_threshold <= 0)
        c->o.rate_threshold = 0.3;
    if (!c->o.rate_min)
        c->o.rate_min = 20;
    if (!c->o.inflight_max || c->o.inflight_max > MXD_LOG_INFLIGHT_MAX)
        c->o.inflight_max = MXD_LOG_INFLIGHT_MAX;
    long long wh = c->o.spike_window / 3600;
    c->window_hours = wh < 1 ? 1 : wh > LOG_WINDOW_HOURS ? LOG_WINDOW_HOURS : (unsigned)wh;
    c->msgcap = c->o.inflight_max;
    c->nbuckets = 1;
    while (c->nbuckets < c->msgcap * 2)
        c->nbuckets <<= 1;
    c->msgs = calloc(c->msgcap, sizeof *c->msgs);
    c->buckets = calloc(c->nbuckets, sizeof *c->buckets);
    c->cache = log_cache_new();
    c->alerts = calloc(LOG_ALERTS_MAX, sizeof *c->alerts);
    if (!c->msgs || !c->buckets || !c->cache || !c->alerts) {
        mxd_log_free(c);
        return MXD_ERR_NOMEM;
    }
    /* slots are handed out in order (pages never used are never touched), then recycled
     * through the free list */
    c->freelist = 0;
    *out = c;
    return MXD_OK;
}

void mxd_log_free(mxd_log_ctx *c)
{
    if (!c)
        return;
    free(c->msgs);
    free(c->buckets);
    log_cache_free(c->cache);
    free(c->alerts);
    log_table_free(&c->providers);
    for (int k = 0; k < LOG_SENDER_KINDS; k++)
        log_table_free(&c->senders[k]);
    log_table_free(&c->domains);
    free(c);
}

void mxd_log_totals_get(const mxd_log_ctx *c, mxd_log_totals *t)
{
    *t = c->t;
}

/* --- messages in flight ------------------------------------------------------------------ */

static unsigned long long msg_hash(const char *inst, const char *qid)
{
    unsigned long long h = 1469598103934665603ULL;
    for (const char *p = inst; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
    for (const char *p = qid; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h;
}

static void lru_unlink(mxd_log_ctx *c, log_msg *m)
{
    if (m->prev)
        c->msgs[m->prev - 1].next = m->next;
    else
        c->lru_head = m->next;
    if (m->next)
        c->msgs[m->next - 1].prev = m->prev;
    else
        c->lru_tail = m->prev;
    m->prev = m->next = 0;
}

static void lru_push(mxd_log_ctx *c, log_msg *m)
{
    unsigned id = (unsigned)(m - c->msgs) + 1;
    m->prev = 0;
    m->next = c->lru_head;
    if (c->lru_head)
        c->msgs[c->lru_head - 1].prev = id;
    c->lru_head = id;
    if (!c->lru_tail)
        c->lru_tail = id;
}

static void msg_remove(mxd_log_ctx *c, log_msg *m)
{
    unsigned id = (unsigned)(m - c->msgs) + 1;
    unsigned *pp = &c->buckets[m->h & (c->nbuckets - 1)];
    while (*pp && *pp != id)
        pp = &c->msgs[*pp - 1].hnext;
    if (*pp)
        *pp = m->hnext;
    lru_unlink(c, m);
    memset(m, 0, sizeof *m);
    m->next = c->freelist;
    c->freelist = id;
    c->nmsgs--;
}

static void copy(char *dst, size_t n, const char *s)
{
    if (!s)
        return;
    size_t l = strlen(s);
    if (l >= n)
        l = n - 1;
    memcpy(dst, s, l);
    dst[l] = 0;
}

/* msg_find - the message (instance, qid), created when create is set (evicting the least
 * recently seen one when the table is full); NULL when absent. */
static log_msg *msg_find(mxd_log_ctx *c, const char *inst, const char *qid, int create)
{
    unsigned long long h = msg_hash(inst, qid);
    for (unsigned id = c->buckets[h & (c->nbuckets - 1)]; id; id = c->msgs[id - 1].hnext) {
        log_msg *m = &c->msgs[id - 1];
        if (m->h == h && !strcmp(m->qid, qid) && !strcmp(m->instance, inst)) {
            if (c->lru_head != id) {
                lru_unlink(c, m);
                lru_push(c, m);
            }
            return m;
        }
    }
    if (!create)
        return NULL;
    unsigned id;
    if (c->freelist) {
        id = c->freelist;
        c->freelist = c->msgs[id - 1].next;
    } else if (c->nused < c->msgcap) {
        id = (unsigned)++c->nused;
    } else {
        msg_remove(c, &c->msgs[c->lru_tail - 1]);
        c->t.evicted++;
        id = c->freelist;
        c->freelist = c->msgs[id - 1].next;
    }
    log_msg *m = &c->msgs[id - 1];
    memset(m, 0, sizeof *m);
    m->used = 1;
    m->h = h;
    m->size = -1;
    copy(m->qid, sizeof m->qid, qid);
    copy(m->instance, sizeof m->instance, inst);
    unsigned *b = &c->buckets[h & (c->nbuckets - 1)];
    m->hnext = *b;
    *b = id;
    lru_push(c, m);
    c->nmsgs++;
    return m;
}

static const char *domain_of(const char *addr)
{
    if (!addr)
        return NULL;
    const char *at = strrchr(addr, '@');
    return at ? at + 1 : NULL;
}

/* --- events ------------------------------------------------------------------------------ */

/* provider_of - the provider for a relay host (kind 'h') or a recipient domain ('d'),
 * remembered in a small direct-mapped cache (the kb's pattern lookups cost more). */
static const char *provider_of(mxd_log_ctx *c, char kind, const char *name)
{
    size_t n = strlen(name);
    if (n + 3 > sizeof c->pcache[0].key)
        return kind == 'h' ? mxd_kb_provider_for_host(c->kb, name, NULL, 0)
                           : mxd_kb_provider_for_domain(c->kb, name);
    unsigned long long h = 1469598103934665603ULL ^ (unsigned char)kind;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)name[i]) * 1099511628211ULL;
    log_pslot *s = &c->pcache[h % LOG_PCACHE_SLOTS];
    if (s->used && s->key[0] == kind && !strcmp(s->key + 2, name))
        return s->provider;
    s->provider = kind == 'h' ? mxd_kb_provider_for_host(c->kb, name, NULL, 0)
                              : mxd_kb_provider_for_domain(c->kb, name);
    s->key[0] = kind;
    s->key[1] = ':';
    memcpy(s->key + 2, name, n + 1);
    s->used = 1;
    return s->provider;
}

/* emit - classify (unless delivered) and hand the event to the report and the caller. */
static mxd_err emit(mxd_log_ctx *c, mxd_log_event *ev, const log_rec *r)
{
    log_verdict v;
    memset(&v, 0, sizeof v);
    char dest[LOG_FIELD_MAX];
    dest[0] = 0;
    const char *dprov = NULL; /* the recipient domain's provider, once looked up */
    const char *d = domain_of(ev->recipient);
    if (d) {
        size_t i = 0;
        for (; d[i] && i + 1 < sizeof dest; i++)
            dest[i] = (char)str_tolower((unsigned char)d[i]);
        dest[i] = 0;
        ev->destination = dest;
    }
    char code[4];
    if (!strcmp(ev->outcome, "sent")) {
        ev->reason = "delivered";
        ev->action = "delivered";
        /* "250 2.0.0 Ok": the reply code of the accepting server */
        const char *t = ev->diagnosticcode;
        if (t && t[0] == '2' && str_isdigit((unsigned char)t[1]) &&
            str_isdigit((unsigned char)t[2]) && (t[3] == ' ' || t[3] == '-')) {
            memcpy(code, t, 3);
            code[3] = 0;
            ev->replycode = code;
        }
    } else {
        const char *text = r && r->text ? r->text : "";
        /* a delivery outcome is read as its bounce record is (one verdict, one hard flag);
         * an inbound rejection as the reply alone */
        int delivery = strcmp(ev->outcome, "rejected") != 0;
        if (delivery && ev->destination)
            dprov = provider_of(c, 'd', ev->destination);
        log_facts f = {text,
                       strlen(text),
                       ev->rhost,
                       !delivery                          ? NULL
                       : !strcmp(ev->outcome, "deferred") ? "delayed"
                                                          : "failed",
                       delivery ? ev->status : NULL,
                       delivery ? ev->destination : NULL,
                       dprov};
        log_classify(c->kb, c->cache, &f, &v);
        ev->reason = v.reason;
        ev->scope = v.scope;
        ev->summary = v.summary;
        ev->not_block = v.not_block;
        ev->replycode = v.replycode[0] ? v.replycode : NULL;
        /* (a delivery's status as its bounce record decides it: the reply's own, more
         * precise than Postfix's dsn=5.0.0 beside "550 5.1.1 ...", review-s15 L2) */
        if ((!ev->status || delivery) && v.status[0])
            ev->status = v.status;
        if (!strcmp(ev->outcome, "expired"))
            ev->reason = "expired";
        ev->action = !strcmp(ev->outcome, "deferred") ? "delayed" : "failed";
        /* the one rule bounce records follow (classify_record_hard()): an address reason,
         * permanent, no scope or wording that blames the sender */
        ev->hardbounce = !strcmp(ev->outcome, "bounced") && v.hardbounce;
    }
    /* the provider: from the relay host, else the reply, else the recipient domain */
    if (ev->rhost)
        ev->provider = provider_of(c, 'h', ev->rhost);
    if (!ev->provider)
        ev->provider = v.provider;
    if (!ev->provider && ev->destination)
        ev->provider = dprov ? dprov : provider_of(c, 'd', ev->destination);
    log_report_event(c, ev);
    if (c->o.on_event && c->o.on_event(c->o.arg, ev)) {
        c->stopped = 1;
        return MXD_ERR_INVALID;
    }
    return MXD_OK;
}

/* emit_each - one event per address of a Sendmail "to=<a>,<b>" list (each counted). */
static mxd_err emit_each(mxd_log_ctx *c, mxd_log_event *ev, const log_rec *r)
{
    char list[LOG_FIELD_MAX * 4];
    snprintf(list, sizeof list, "%s", r->to);
    int first = 1;
    for (char *a = list; a && *a;) {
        char *comma = strchr(a, ',');
        if (comma)
            *comma = 0;
        size_t n = strlen(a);
        if (n >= 2 && a[0] == '<' && a[n - 1] == '>') {
            a[n - 1] = 0;
            a++;
        }
        ev->recipient = a;
        if (!first) { /* the first was counted by the caller */
            const char *st = ev->outcome;
            if (!strcmp(st, "sent"))
                c->t.delivered++;
            else if (!strcmp(st, "deferred"))
                c->t.deferrals++;
            else
                c->t.bounced++;
        }
        first = 0;
        mxd_err e = emit(c, ev, r);
        if (e)
            return e;
        a = comma ? comma + 1 : NULL;
    }
    return MXD_OK;
}

/* from_msg - the message's facts into the event. */
static void from_msg(mxd_log_event *ev, const log_msg *m)
{
    if (!m)
        return;
    if (m->has_from) {
        ev->addresser = m->from;
        ev->senderdomain = domain_of(m->from);
    }
    ev->messageid = m->msgid[0] ? m->msgid : NULL;
    ev->sasl_username = m->sasl[0] ? m->sasl : NULL;
    ev->client_host = m->client_host[0] ? m->client_host : NULL;
    ev->client_ip = m->client_ip[0] ? m->client_ip : NULL;
    ev->size = m->size;
}

/* received_here - is this smtpd a front door (smtpd, smtps, submission), not a re-injection
 * listener behind a content filter ("postfix/10025/smtpd")? pflogsumm counts only these. */
static int front_door(const char *prog)
{
    const char *s = strchr(prog, '/');
    if (!s)
        return 0;
    s++;
    return !strcmp(s, "smtpd") || !strcmp(s, "smtps/smtpd") || !strcmp(s, "submission/smtpd") ||
           !strcmp(s, "postscreen");
}

static mxd_err on_rec(mxd_log_ctx *c, const mxd_log_line *line, log_rec *r)
{
    log_msg *m = NULL;
    mxd_log_event ev;
    memset(&ev, 0, sizeof ev);
    ev.timestamp = line->time;
    ev.mta = r->mta;
    ev.instance = r->instance;
    ev.queueid = r->qid[0] ? r->qid : NULL;
    ev.delay = -1;
    ev.size = -1;
    switch (r->kind) {
    case LR_CLIENT:
        m = msg_find(c, r->instance, r->qid, 1);
        copy(m->client_host, sizeof m->client_host, r->client_host);
        copy(m->client_ip, sizeof m->client_ip, r->client_ip);
        copy(m->sasl, sizeof m->sasl, r->sasl_user);
        if (front_door(line->prog) || strcmp(r->mta, "postfix")) {
            m->received = 1;
            c->t.received++;
        }
        return MXD_OK;
    case LR_PICKUP:
        m = msg_find(c, r->instance, r->qid, 1);
        m->received = 1;
        copy(m->client_host, sizeof m->client_host, "pickup");
        c->t.received++;
        return MXD_OK;
    case LR_MSGID:
        m = msg_find(c, r->instance, r->qid, 1);
        copy(m->msgid, sizeof m->msgid, r->messageid);
        return MXD_OK;
    case LR_FROM:
        m = msg_find(c, r->instance, r->qid, 1);
        if (strcmp(r->mta, "postfix")) {
            /* Exim's <= and Sendmail's from= are the arrival itself (an ID may come again:
             * count each arrival, as pflogsumm counts each client= line) */
            m->received = 1;
            m->has_from = 0;
            c->t.received++;
        }
        if (r->size >= 0)
            m->size = r->size;
        if (!m->has_from) {
            m->has_from = 1;
            copy(m->from, sizeof m->from, r->from);
            if (m->received && !m->notify)
                log_report_received(c, m, line->time);
        }
        if (r->client_host) {
            copy(m->client_host, sizeof m->client_host, r->client_host);
            copy(m->client_ip, sizeof m->client_ip, r->client_ip);
        }
        if (r->sasl_user)
            copy(m->sasl, sizeof m->sasl, r->sasl_user);
        if (r->messageid)
            copy(m->msgid, sizeof m->msgid, r->messageid);
        return MXD_OK;
    case LR_NOTIFY: {
        log_msg *n = msg_find(c, r->instance, r->new_qid, 1);
        n->notify = 1;
        return MXD_OK;
    }
    case LR_REMOVED:
    case LR_COMPLETED:
        m = msg_find(c, r->instance, r->qid, 0);
        if (m)
            msg_remove(c, m);
        return MXD_OK;
    case LR_EXPIRED:
        m = msg_find(c, r->instance, r->qid, 0);
        from_msg(&ev, m);
        if (!m) {
            ev.addresser = r->from;
            ev.senderdomain = domain_of(r->from);
        }
        c->t.expired++;
        ev.outcome = "expired";
        return emit(c, &ev, r);
    case LR_REJECT:
        if (r->counted)
            c->t.rejected++;
        if (r->qid[0])
            from_msg(&ev, msg_find(c, r->instance, r->qid, 0));
        if (r->client_host && !ev.client_host)
            ev.client_host = r->client_host;
        if (r->client_ip && !ev.client_ip)
            ev.client_ip = r->client_ip;
        if (r->from) {
            ev.addresser = r->from;
            ev.senderdomain = domain_of(r->from);
        }
        ev.recipient = r->to;
        ev.outcome = "rejected";
        ev.diagnosticcode = r->text;
        return emit(c, &ev, r);
    case LR_DELIVERY: {
        const char *st = r->status;
        if (strcmp(st, "sent") && strcmp(st, "deferred") && strcmp(st, "bounced"))
            return MXD_OK; /* address probes: deliverable, undeliverable */
        m = msg_find(c, r->instance, r->qid, 0);
        from_msg(&ev, m);
        ev.recipient = r->to;
        ev.orig_to = r->orig_to;
        ev.rhost = r->relay_host && r->relay_host[0] && strcmp(r->relay_host, "none")
                       ? r->relay_host
                       : NULL;
        ev.relay_ip = r->relay_ip;
        ev.status = r->dsn;
        ev.delay = r->delay;
        ev.diagnosticcode = r->text;
        ev.outcome = st;
        if (!strcmp(st, "sent")) {
            if (r->forwarded) {
                c->t.forwarded++;
                return MXD_OK;
            }
            c->t.delivered++;
        } else if (!strcmp(st, "deferred")) {
            c->t.deferrals++;
            if (!m) /* not in flight: count it, and remember it from now on */
                m = msg_find(c, r->instance, r->qid, 1);
            if (!m->deferred) {
                m->deferred = 1;
                c->t.deferred++;
            }
        } else {
            c->t.bounced++;
        }
        if (strcmp(r->mta, "sendmail") || !strchr(r->to ? r->to : "", ','))
            return emit(c, &ev, r);
        return emit_each(c, &ev, r);
    }
    default:
        return MXD_OK;
    }
}

/* mta_of - which parser takes a program name (0: none). */
static mxd_log_format mta_of(const char *prog)
{
    if (log_postfix_prog(prog))
        return MXD_LOG_FMT_POSTFIX;
    if (!strncmp(prog, "exim", 4))
        return MXD_LOG_FMT_EXIM;
    if (!strcmp(prog, "sendmail") || !strncmp(prog, "sm-", 3))
        return MXD_LOG_FMT_SENDMAIL;
    return MXD_LOG_FMT_AUTO;
}

mxd_err mxd_log_feed(mxd_log_ctx *c, const mxd_log_line *line)
{
    if (c->stopped)
        return MXD_ERR_INVALID;
    c->t.lines++;
    if (!line->framed) {
        c->t.unknown++;
        return MXD_OK;
    }
    if ((c->o.since && line->time < c->o.since) || (c->o.until && line->time >= c->o.until))
        return MXD_OK;
    if (line->time) {
        if (!c->t.first || line->time < c->t.first)
            c->t.first = line->time;
        if (line->time > c->t.last)
            c->t.last = line->time;
    }
    mxd_log_format f = mta_of(line->prog);
    if (c->o.format != MXD_LOG_FMT_AUTO && c->o.format != MXD_LOG_FMT_JOURNAL && f != c->o.format)
        f = MXD_LOG_FMT_AUTO;
    /* the parsers cut the message in place: work on a copy */
    char msg[MXD_LOG_LINE_MAX + 1];
    size_t n = line->msglen > MXD_LOG_LINE_MAX ? MXD_LOG_LINE_MAX : line->msglen;
    memcpy(msg, line->msg, n);
    msg[n] = 0;
    log_rec r;
    int ok = 0;
    if (f == MXD_LOG_FMT_POSTFIX)
        ok = log_postfix_parse(line->prog, msg, n, &r);
    else if (f == MXD_LOG_FMT_EXIM)
        ok = log_exim_parse(msg, n, &r);
    else if (f == MXD_LOG_FMT_SENDMAIL)
        ok = log_sendmail_parse(msg, n, &r);
    if (!ok) {
        c->t.ignored++;
        return MXD_OK;
    }
    return on_rec(c, line, &r);
}

mxd_err mxd_log_read(mxd_log_ctx *c, mxd_log_input *const *in, size_t n, char *why, size_t whylen)
{
    if (n > MXD_LOG_INPUTS_MAX)
        return MXD_ERR_TOOBIG;
    mxd_log_line head[MXD_LOG_INPUTS_MAX];
    int live[MXD_LOG_INPUTS_MAX];
    /* each input's next line; the earliest goes first (untimed lines keep their place) */
    for (size_t i = 0; i < n; i++) {
        mxd_err e = mxd_log_input_next(in[i], &head[i], why, whylen);
        if (e == MXD_ERR_IO)
            return e;
        live[i] = e == MXD_OK;
    }
    for (;;) {
        size_t best = n;
        for (size_t i = 0; i < n; i++) {
            if (!live[i])
                continue;
            if (best == n || (head[i].time && head[best].time &&
                              (head[i].time < head[best].time || (head[i].time == head[best].time &&
                                                                  head[i].usec < head[best].usec))))
                best = i;
        }
        if (best == n)
            return MXD_OK;
        mxd_err e = mxd_log_feed(c, &head[best]);
        if (e)
            return e;
        /* the line must be fed before the input moves on: its strings live in the buffer */
        e = mxd_log_input_next(in[best], &head[best], why, whylen);
        if (e == MXD_ERR_IO)
            return e;
        live[best] = e == MXD_OK;
    }
}
