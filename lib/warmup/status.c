/* status.c - a warm-up against the mail log: volume, throttling and blocks per group and day
 * SPDX-License-Identifier: MIT
 *
 * Outcomes are counted per UTC day and provider group twice: all outbound outcomes, and those
 * whose client or relay address is the plan's IP. A log that names the IP anywhere is judged
 * on those lines only; a log that never does (Postfix does not log the address it sends from)
 * is judged on all outbound mail. The verdict of a group looks at the last day in the log:
 *   blocks (a block-class reason on a bounce: 5.7.708, S3150 ...) on MXD_WARMUP_BLOCK_RATE or
 *     more of its attempts: slow down to half of what was sent;
 *   throttling (a block-class reason on a deferral: 4.7.28, TSS04 ...; greylisting is not one)
 *     on MXD_WARMUP_DEFER_RATE or more: hold at what was sent (at most the plan's volume);
 *   unknown recipients on MXD_WARMUP_UNKNOWN_RATE or more: hold, clean the list;
 *   less than MXD_WARMUP_USED_MIN of the plan's volume sent: hold (a jump not earned);
 *   else advance to the plan's next day (never more than double what was sent).
 * The status code named is the most frequent among the throttled and blocked, or the
 * provider's own code in the reply when it has one (TSS04, S3150).
 */
#include <stdio.h>
#include <stdlib.h>
#include "mxdiag/warmup.h"
#include "feed/feed_internal.h"
#include "util/str.h"

#define STATUS_CODES 8 /* distinct status codes counted per day and group */

typedef struct code_count {
    char code[16];
    unsigned long long n;
} code_count;

typedef struct sday {
    char date[11];
    mxd_warmup_counts c[2][MXD_WG_N]; /* [0] all outbound, [1] naming the IP */
    code_count codes[2][MXD_WG_N][STATUS_CODES];
} sday;

struct mxd_warmup_status {
    const mxd_warmup_plan *p;
    sday *days;
    size_t n, alloc;
    unsigned long long by_ip; /* events naming the IP */
};

/* Reasons (Sisimai's names) that, on a deferral or a bounce, say the receiver does not want
 * this much mail from this IP yet. */
static const char *const block_reasons[] = {
    "blocked",         "badreputation", "speeding", "spamdetected",
    "policyviolation", "toomanyconn",   "rejected",
};

static int block_class(const char *reason)
{
    for (size_t i = 0; reason && i < sizeof block_reasons / sizeof *block_reasons; i++)
        if (!strcmp(reason, block_reasons[i]))
            return 1;
    return 0;
}

mxd_err mxd_warmup_status_new(const mxd_warmup_plan *p, mxd_warmup_status **out)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return MXD_ERR_NOMEM;
    (*out)->p = p;
    return MXD_OK;
}

void mxd_warmup_status_free(mxd_warmup_status *s)
{
    if (!s)
        return;
    free(s->days);
    free(s);
}

/* day_of - the record of date, inserted in order when new; NULL when out of room. */
static sday *day_of(mxd_warmup_status *s, const char *date)
{
    size_t i = s->n;
    while (i > 0 && strcmp(s->days[i - 1].date, date) > 0)
        i--;
    if (i > 0 && !strcmp(s->days[i - 1].date, date))
        return &s->days[i - 1];
    if (s->n == MXD_WARMUP_STATUS_DAYS)
        return NULL;
    if (s->n == s->alloc) {
        size_t na = s->alloc ? s->alloc * 2 : 32;
        if (na > MXD_WARMUP_STATUS_DAYS)
            na = MXD_WARMUP_STATUS_DAYS;
        sday *nd = realloc(s->days, na * sizeof *nd);
        if (!nd)
            return NULL;
        s->days = nd;
        s->alloc = na;
    }
    memmove(&s->days[i + 1], &s->days[i], (s->n - i) * sizeof *s->days);
    memset(&s->days[i], 0, sizeof *s->days);
    memcpy(s->days[i].date, date, 11);
    s->n++;
    return &s->days[i];
}

/* provider_code - the provider's own code in a reply ("TSS04", "S3150") into out, else 0. */
static int provider_code(const char *text, char *out)
{
    for (const char *p = text; p && *p; p++) {
        if (!strncmp(p, "TSS0", 4) && str_isdigit((unsigned char)p[4])) {
            snprintf(out, 16, "%.5s", p);
            return 1;
        }
        if ((p[0] == '(' || p[0] == '[') && p[1] == 'S' && str_isdigit((unsigned char)p[2]) &&
            str_isdigit((unsigned char)p[3]) && str_isdigit((unsigned char)p[4]) &&
            str_isdigit((unsigned char)p[5]) && (p[6] == ')' || p[6] == ']')) {
            snprintf(out, 16, "%.5s", p + 1);
            return 1;
        }
    }
    return 0;
}

static void count_code(code_count *cc, const char *code)
{
    for (int i = 0; i < STATUS_CODES; i++) {
        if (!cc[i].code[0])
            snprintf(cc[i].code, sizeof cc[i].code, "%s", code);
        if (!strcmp(cc[i].code, code)) {
            cc[i].n++;
            return;
        }
    }
}

static void add(mxd_warmup_counts *c, code_count *cc, const mxd_log_event *ev)
{
    const char *o = ev->outcome;
    int deferred = !strcmp(o, "deferred");
    if (!strcmp(o, "sent"))
        c->sent++;
    else if (deferred)
        c->deferred++;
    else
        c->bounced++;
    if (!deferred && ev->reason && !strcmp(ev->reason, "userunknown"))
        c->unknown++;
    if (!strcmp(o, "sent") || ev->not_block || !block_class(ev->reason))
        return;
    if (deferred)
        c->throttled++;
    else
        c->blocked++;
    char code[16];
    if (!provider_code(ev->diagnosticcode, code))
        snprintf(code, sizeof code, "%s",
                 ev->status && *ev->status ? ev->status
                 : ev->replycode           ? ev->replycode
                                           : "?");
    count_code(cc, code);
}

mxd_err mxd_warmup_status_add(mxd_warmup_status *s, const mxd_log_event *ev)
{
    const char *o = ev->outcome;
    if (!o || (strcmp(o, "sent") && strcmp(o, "deferred") && strcmp(o, "bounced") &&
               strcmp(o, "expired")))
        return MXD_OK; /* inbound rejections are not the warm-up's */
    char date[11];
    feed_day(ev->timestamp, date);
    sday *d = day_of(s, date);
    if (!d) /* a day beyond MXD_WARMUP_STATUS_DAYS is not counted */
        return s->n == MXD_WARMUP_STATUS_DAYS ? MXD_OK : MXD_ERR_NOMEM;
    mxd_warmup_group g = mxd_warmup_group_of(ev->provider);
    add(&d->c[0][g], d->codes[0][g], ev);
    char ip[46];
    if ((ev->client_ip && !feed_ip(ev->client_ip, ip) && !strcmp(ip, s->p->ip)) ||
        (ev->relay_ip && !feed_ip(ev->relay_ip, ip) && !strcmp(ip, s->p->ip))) {
        add(&d->c[1][g], d->codes[1][g], ev);
        s->by_ip++;
    }
    return MXD_OK;
}

const char *mxd_warmup_action_name(mxd_warmup_action a)
{
    switch (a) {
    case MXD_WARMUP_ADVANCE:
        return "advance";
    case MXD_WARMUP_HOLD:
        return "hold";
    case MXD_WARMUP_SLOW_DOWN:
        return "slow down";
    case MXD_WARMUP_NONE:
        break;
    }
    return "none";
}

/* plan_day - the 0-based day of the plan date falls on (may be < 0 or >= days). */
static int plan_day(const mxd_warmup_plan *p, const char *date)
{
    long long a, b;
    if (feed_time(p->start, &a) || feed_time(date, &b))
        return -1;
    long long d = (b - a) / 86400;
    return d < -100000 ? -100000 : d > 100000 ? 100000 : (int)d;
}

static unsigned long long planned(const mxd_warmup_plan *p, int day, mxd_warmup_group g)
{
    if (day < 0)
        return 0;
    if ((unsigned)day >= p->days)
        return p->goal[g];
    return p->volume[(size_t)day * MXD_WG_N + g];
}

mxd_err mxd_warmup_status_days(const mxd_warmup_status *s, mxd_warmup_day_cb cb, void *arg)
{
    int k = s->by_ip > 0;
    for (size_t i = 0; i < s->n; i++)
        for (int g = 0; g < MXD_WG_N; g++) {
            const mxd_warmup_counts *c = &s->days[i].c[k][g];
            if (!c->sent && !c->deferred && !c->bounced)
                continue;
            mxd_warmup_day d = {
                .plan_day = plan_day(s->p, s->days[i].date), .group = (mxd_warmup_group)g, .c = c};
            memcpy(d.date, s->days[i].date, 11);
            d.planned = planned(s->p, d.plan_day, (mxd_warmup_group)g);
            if (cb(arg, &d))
                return MXD_OK;
        }
    return MXD_OK;
}

/* num - n with thousands separators into out (32 bytes). */
static const char *num(unsigned long long n, char *out)
{
    char t[32];
    int l = snprintf(t, sizeof t, "%llu", n), o = 0;
    for (int i = 0; i < l; i++) {
        if (i && (l - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = t[i];
    }
    out[o] = 0;
    return out;
}

/* pct - share a/b as "3%" (one and above: whole percent) or "0.5%" into out (16 bytes). */
static const char *pct(unsigned long long a, unsigned long long b, char *out)
{
    double v = b ? 100.0 * (double)a / (double)b : 0;
    snprintf(out, 16, v >= 1 || v == 0 ? "%.0f%%" : "%.1f%%", v);
    return out;
}

static const char *top_code(const code_count *cc)
{
    const code_count *best = NULL;
    for (int i = 0; i < STATUS_CODES && cc[i].code[0]; i++)
        if (!best || cc[i].n > best->n)
            best = &cc[i];
    return best ? best->code : "?";
}

/* round2 - n to two significant digits, at least 1 when n > 0. */
static unsigned long long round2(unsigned long long n)
{
    unsigned long long m = 1;
    while (n / m >= 100)
        m *= 10;
    unsigned long long r = (n + m / 2) / m * m;
    return r ? r : n;
}

void mxd_warmup_status_verdicts(const mxd_warmup_status *s, mxd_warmup_verdict *v, char last[11],
                                int *by_ip)
{
    int k = s->by_ip > 0;
    *by_ip = k;
    last[0] = 0;
    const sday *d = NULL;
    for (size_t i = s->n; i-- > 0 && !d;)
        for (int g = 0; g < MXD_WG_N && !d; g++)
            if (s->days[i].c[k][g].sent + s->days[i].c[k][g].deferred + s->days[i].c[k][g].bounced)
                d = &s->days[i];
    if (d)
        memcpy(last, d->date, 11);
    int day = d ? plan_day(s->p, d->date) : -1;
    for (int g = 0; g < MXD_WG_N; g++) {
        mxd_warmup_verdict *x = &v[g];
        memset(x, 0, sizeof *x);
        x->group = (mxd_warmup_group)g;
        const char *name = mxd_warmup_group_name((mxd_warmup_group)g);
        const mxd_warmup_counts *c = d ? &d->c[k][g] : NULL;
        unsigned long long att = c ? c->sent + c->deferred + c->bounced : 0;
        if (!att) {
            x->action = MXD_WARMUP_NONE;
            snprintf(x->reason, sizeof x->reason, "%s: no mail in the log on %s", name,
                     d ? d->date : "any day");
            continue;
        }
        unsigned long long plan = planned(s->p, day, (mxd_warmup_group)g);
        unsigned long long next = planned(s->p, day + 1, (mxd_warmup_group)g);
        if (day < 0)
            next = planned(s->p, 0, (mxd_warmup_group)g);
        unsigned long long sent_round = att < 100 ? att : round2(att);
        unsigned long long hold = plan && plan < sent_round ? plan : sent_round;
        char a[32], b[32], p1[16];
        if ((double)c->blocked >= MXD_WARMUP_BLOCK_RATE * (double)att) {
            x->action = MXD_WARMUP_SLOW_DOWN;
            x->volume = hold / 2 ? hold / 2 : 1;
            snprintf(x->reason, sizeof x->reason,
                     "%s %s on %s of yesterday's mail (%s blocked): slow down to %s/day, "
                     "most engaged recipients only",
                     name, top_code(d->codes[k][g]), pct(c->blocked, att, p1), num(c->blocked, a),
                     num(x->volume, b));
        } else if ((double)c->throttled >= MXD_WARMUP_DEFER_RATE * (double)att) {
            x->action = MXD_WARMUP_HOLD;
            x->volume = hold;
            snprintf(x->reason, sizeof x->reason, "%s %s on %s of yesterday's mail: hold at %s/day",
                     name, top_code(d->codes[k][g]), pct(c->throttled, att, p1), num(x->volume, a));
        } else if ((double)c->unknown >= MXD_WARMUP_UNKNOWN_RATE * (double)att) {
            x->action = MXD_WARMUP_HOLD;
            x->volume = hold;
            snprintf(x->reason, sizeof x->reason,
                     "%s: %s of yesterday's recipients unknown: clean the list, hold at %s/day",
                     name, pct(c->unknown, att, p1), num(x->volume, a));
        } else if (att >= MXD_WARMUP_MIN_SAMPLE && plan &&
                   (double)att < MXD_WARMUP_USED_MIN * (double)plan) {
            x->action = MXD_WARMUP_HOLD;
            x->volume = plan;
            snprintf(x->reason, sizeof x->reason,
                     "%s: %s of the %s planned were sent yesterday: hold at %s/day until the "
                     "volume is used",
                     name, num(att, a), num(plan, b), num(plan, b));
        } else {
            x->action = MXD_WARMUP_ADVANCE;
            x->volume = next > 2 * att ? 2 * att : next;
            if (x->volume < att && att <= s->p->goal[g])
                x->volume = att;
            snprintf(x->reason, sizeof x->reason,
                     att < MXD_WARMUP_MIN_SAMPLE
                         ? "%s: %s recipients yesterday, too few to judge: advance to %s/day"
                         : "%s: %s recipients yesterday without throttling or blocks: advance "
                           "to %s/day",
                     name, num(att, a), num(x->volume, b));
        }
    }
}
