/* render.c - what the watch server sends: the dashboard (HTML with inline SVG plots), the
 * Prometheus text exposition (format 0.0.4), the JSON API
 * SPDX-License-Identifier: MIT
 *
 * Every string read from the store came from a stranger (a DNS TXT record, a log line, a
 * bounce) and is escaped for where it goes: HTML text and attributes, Prometheus label values,
 * JSON (after UTF-8 repair: a bad byte becomes U+FFFD). Every query is bounded by a window or
 * a limit (the WATCH_RENDER_* constants), so a year of history costs the page what a week
 * does; the current check rows are streamed once (they are as many as the configuration
 * asks for). The page needs no script and loads nothing: inline CSS, SVG drawn here, numbers
 * printed as integers (no locale can turn a decimal point into a comma).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "watch/watch_internal.h"
#include "report/report_internal.h"
#include "util/buf.h"
#include "util/str.h"

#define WATCH_RENDER_MAX_BODY       (32u << 20) /* bytes in one response */
#define WATCH_RENDER_MAX_PROBLEMS   1000        /* rows of the dashboard's problem table */
#define WATCH_RENDER_MAX_ALERTS     500         /* open alerts on the dashboard */
#define WATCH_RENDER_TIMELINE       200         /* timeline entries on the dashboard */
#define WATCH_RENDER_TIMELINE_DAYS  7           /* closed alerts on the timeline */
#define WATCH_RENDER_PLOT_HOURS     168         /* the plots: 7 days of hours */
#define WATCH_RENDER_PLOT_PROVIDERS 8           /* providers plotted (most mail first) */
#define WATCH_RENDER_CELL_NAMES     4           /* items named in a grid cell */
#define WATCH_API_ALERT_DAYS        30          /* /api/alerts: closed in the last 30 days */
#define WATCH_API_MAX_ALERTS        2000
#define WATCH_API_HISTORY_DAYS      30 /* /api/history: runs started in the last 30 days */
#define WATCH_API_MAX_HISTORY       2000

#define HOUR 3600LL
#define DAY  86400LL

/* --- output: a buffer whose first failure sticks ------------------------------------------ */

typedef struct out {
    buf b;
    mxd_err err;
} out;

/* o_init - an empty output, capped at WATCH_RENDER_MAX_BODY. */
static void o_init(out *o)
{
    buf_init(&o->b, WATCH_RENDER_MAX_BODY);
    o->err = MXD_OK;
}

/* putn - n bytes as they are (nothing once a write failed). */
static void putn(out *o, const char *s, size_t n)
{
    if (!o->err && n)
        o->err = buf_add(&o->b, s, n);
}

/* put - a string as it is: markup and fixed words only. */
static void put(out *o, const char *s)
{
    putn(o, s, strlen(s));
}

/* putf - formatted text; only numbers and fixed words go through here (never store strings). */
static void putf(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(out *o, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        if (!o->err)
            o->err = MXD_ERR_TOOBIG;
        return;
    }
    putn(o, tmp, (size_t)n);
}

/* put_out - append what another out holds (its failure, if any, becomes o's). */
static void put_out(out *o, out *part)
{
    if (part->err && !o->err)
        o->err = part->err;
    putn(o, part->b.ptr ? part->b.ptr : "", part->b.len);
}

enum esc_mode { ESC_HTML, ESC_PROM };

/* esc_byte - what byte c becomes in mode (NULL: itself). */
static const char *esc_byte(enum esc_mode m, unsigned char c)
{
    if (m == ESC_PROM)
        return c == '\\' ? "\\\\" : c == '"' ? "\\\"" : c == '\n' ? "\\n" : NULL;
    switch (c) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '"':
        return "&quot;";
    case '\'':
        return "&#39;";
    case '\t':
    case '\n':
        return NULL;
    default:
        return c < 0x20 || c == 0x7f ? " " : NULL;
    }
}

/* put_esc - s (may be NULL: nothing) escaped for mode, each byte that does not start a
 * well-formed UTF-8 sequence replaced by U+FFFD. */
static void put_esc(out *o, const char *s, enum esc_mode m)
{
    if (!s)
        return;
    size_t len = strlen(s), i = 0;
    while (i < len && !o->err) {
        size_t bad = len - i;
        int ok = str_utf8_valid(s + i, len - i, &bad);
        size_t end = ok ? len : i + bad;
        size_t from = i;
        for (size_t j = i; j < end; j++) {
            const char *rep = esc_byte(m, (unsigned char)s[j]);
            if (rep) {
                putn(o, s + from, j - from);
                put(o, rep);
                from = j + 1;
            }
        }
        putn(o, s + from, end - from);
        if (ok)
            break;
        put(o, "\xef\xbf\xbd");
        i = end + 1;
    }
}

/* puth - s escaped for HTML text and attribute values. */
static void puth(out *o, const char *s)
{
    put_esc(o, s, ESC_HTML);
}

/* fmt_time - t as "YYYY-MM-DDTHH:MM:SSZ" ("" when out of range). */
static void fmt_time(long long t, char res[32])
{
    report_time(t, 1, res);
}

/* put_time - <time> with the UTC date and minute. */
static void put_time(out *o, long long t)
{
    char iso[32], txt[32];
    fmt_time(t, iso);
    report_time(t, 0, txt);
    txt[16] = 0; /* "YYYY-MM-DD HH:MM" */
    putf(o, "<time datetime=\"%s\">%sZ</time>", iso, txt);
}

/* fmt_dur - a duration for a person: "45 s", "12 min", "3 h", "5 d". */
static void fmt_dur(long long d, char res[32])
{
    if (d < 0)
        d = 0;
    if (d < 120)
        snprintf(res, 32, "%lld s", d);
    else if (d < 2 * HOUR)
        snprintf(res, 32, "%lld min", d / 60);
    else if (d < 2 * DAY)
        snprintf(res, 32, "%lld h", d / HOUR);
    else
        snprintf(res, 32, "%lld d", d / DAY);
}

/* put_permille - a rate in thousandths as a percentage with one decimal: "1.2%". */
static void put_permille(out *o, unsigned long long num, unsigned long long den)
{
    unsigned long long pm = den ? (num * 1000 + den / 2) / den : 0;
    putf(o, "%llu.%llu%%", pm / 10, pm % 10);
}

/* fail - "what: reason" into why; returns e. */
static mxd_err fail(mxd_err e, char *why, size_t whylen, const char *what, mxd_store *s)
{
    if (why && whylen)
        snprintf(why, whylen, "%s: %s", what,
                 e == MXD_ERR_NOMEM         ? "out of memory"
                 : e == MXD_ERR_TOOBIG      ? "the response would be too large"
                 : s && *mxd_store_error(s) ? mxd_store_error(s)
                                            : mxd_strerror(e));
    return e;
}

/* finish - hand o's text to the caller, or NULL with why set. */
static char *finish(out *o, mxd_err e, mxd_store *s, const char *what, size_t *len, char *why,
                    size_t whylen)
{
    if (!e)
        e = o->err;
    if (e) {
        buf_free(&o->b);
        fail(e, why, whylen, what, s);
        *len = 0;
        return NULL;
    }
    *len = o->b.len;
    char *p = buf_steal(&o->b);
    if (!p)
        fail(MXD_ERR_NOMEM, why, whylen, what, s);
    return p;
}

/* state_rank - how bad a state is: ok 0, unknown 1, problem 2. */
static int state_rank(mxd_watch_state st)
{
    return st == MXD_WATCH_PROBLEM ? 2 : st == MXD_WATCH_UNKNOWN ? 1 : 0;
}

/* --- the dashboard: the grid of subjects by check kind -------------------------------------- */

/* The grid's columns: the kinds checked for an IP, then for a domain (any other kind: "other"). */
static const struct kind_col {
    const char *kind, *label;
    int ip;
} kind_cols[] = {
    {"dnsbl", "Blocklists", 1},
    {"ptr", "PTR / FCrDNS", 1},
    {"spf", "SPF", 0},
    {"dkim", "DKIM", 0},
    {"dmarc", "DMARC", 0},
    {"mx", "MX", 0},
    {"mta-sts", "MTA-STS", 0},
    {"tls-rpt", "TLS-RPT", 0},
    /* provider feeds (lib/watch/feeds.c) */
    {"snds", "SNDS", 1},
    {"snds-traps", "SNDS traps", 1},
    {"snds-block", "SNDS blocks", 1},
    {"gpt-spam", "Gmail spam rate", 0},
};
#define NKINDS  (sizeof kind_cols / sizeof kind_cols[0])
#define K_OTHER NKINDS

/* One cell: the rows of one subject and kind, summed up by their worst state. */
typedef struct cell {
    unsigned n, nstate[3];
    int worst; /* state_rank */
    unsigned named, more;
    char names[160];              /* items in the worst state, ", "-separated */
    char value[160], detail[400]; /* the first row in the worst state */
    int has_item;
    long long since; /* latest since among the rows in the worst state */
} cell;

typedef struct grid {
    out ips, domains, problems;
    char *subject;
    int subject_ip;
    cell cells[NKINDS + 1];
    int other_ip, other_domain; /* an "other" kind was seen */
    unsigned nips, ndomains, nproblems, nstate[3];
    long long now;
} grid;

/* is_ip - s is an IPv4 or IPv6 address (the IP table) rather than a domain. */
static int is_ip(const char *s)
{
    unsigned char a[16];
    return s && (inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1);
}

/* cut - copy s into dst (size n), cut at a character boundary. */
static void cut(char *dst, size_t n, const char *s)
{
    size_t l = s ? strlen(s) : 0;
    if (l >= n) {
        l = n - 1;
        while (l && ((unsigned char)s[l] & 0xc0) == 0x80)
            l--;
    }
    if (l)
        memcpy(dst, s, l);
    dst[l] = 0;
}

/* cell_add - count row r into its cell, keeping what its worst rows say. */
static void cell_add(cell *c, const mxd_watch_check *r)
{
    int rank = state_rank(r->state);
    c->n++;
    c->nstate[rank == 2 ? 1 : rank == 1 ? 2 : 0]++;
    if (c->n == 1 || rank > c->worst) {
        c->worst = rank;
        c->named = c->more = 0;
        c->names[0] = 0;
        cut(c->value, sizeof c->value, r->value);
        cut(c->detail, sizeof c->detail, r->detail);
        c->since = r->since;
    } else if (rank < c->worst) {
        return;
    }
    if (r->since > c->since)
        c->since = r->since;
    if (r->item)
        c->has_item = 1;
    if (!r->item)
        return;
    if (c->named >= WATCH_RENDER_CELL_NAMES) {
        c->more++;
        return;
    }
    size_t l = strlen(c->names);
    if (l + 3 >= sizeof c->names) {
        c->more++;
        return;
    }
    if (l)
        memcpy(c->names + l, ", ", 3), l += 2;
    cut(c->names + l, sizeof c->names - l, r->item);
    c->named++;
}

/* rank_class - the CSS class and badge word of a rank. */
static const char *rank_class(int rank)
{
    return rank == 2 ? "problem" : rank == 1 ? "unknown" : "ok";
}

/* cell_put - one grid cell: the worst state, the value or the items in it, since when. */
static void cell_put(out *o, const cell *c, const char *kind, long long now)
{
    if (!c->n) {
        putf(o, "<td class=\"none\" data-kind=\"%s\">&#8212;</td>", kind);
        return;
    }
    const char *cls = rank_class(c->worst);
    char ago[32];
    fmt_dur(now - c->since, ago);
    putf(o, "<td class=\"st-%s\" data-kind=\"", cls);
    puth(o, kind);
    put(o, "\" title=\"");
    puth(o, c->detail);
    putf(o, "\"><span class=\"badge %s\">%s</span> ", cls, cls);
    if (!c->has_item) {
        puth(o, c->value);
        put(o, "<div class=\"detail\">");
        puth(o, c->detail);
        put(o, "</div>");
    } else if (c->worst == 0) {
        putf(o, "all %u", c->n);
    } else {
        putf(o, "%u of %u: ", c->nstate[c->worst == 2 ? 1 : 2], c->n);
        put(o, "<b>");
        puth(o, c->names);
        put(o, "</b>");
        if (c->more)
            putf(o, " +%u", c->more);
        if (c->worst == 2 && c->nstate[2])
            putf(o, " <small>(%u unknown)</small>", c->nstate[2]);
    }
    putf(o, "<div class=\"since\">since %s</div></td>", ago);
}

/* grid_flush - the row of the current subject. */
static void grid_flush(grid *g)
{
    if (!g->subject)
        return;
    int ip = g->subject_ip;
    out *o = ip ? &g->ips : &g->domains;
    put(o, "<tr data-subject=\"");
    puth(o, g->subject);
    put(o, "\"><th scope=\"row\">");
    puth(o, g->subject);
    put(o, "</th>");
    for (size_t k = 0; k < NKINDS; k++)
        if (kind_cols[k].ip == ip)
            cell_put(o, &g->cells[k], kind_cols[k].kind, g->now);
    /* "other" last; its header exists only when some subject of the table has one */
    if (g->cells[K_OTHER].n)
        cell_put(o, &g->cells[K_OTHER], "other", g->now);
    else
        put(o, "<td class=\"none other\" data-kind=\"other\"></td>");
    put(o, "</tr>\n");
    if (ip)
        g->nips++;
    else
        g->ndomains++;
    free(g->subject);
    g->subject = NULL;
    memset(g->cells, 0, sizeof g->cells);
}

/* put_what - a row's subject and check cells: "SUBJECT</td><td>KIND <b>ITEM</b>". */
static void put_what(out *o, const char *subject, const char *kind, const char *item)
{
    puth(o, subject);
    put(o, "</td><td>");
    puth(o, kind);
    if (item) {
        put(o, " <b>");
        puth(o, item);
        put(o, "</b>");
    }
}

/* problem_row - one row of the table of problems and checks that could not be made. */
static void problem_row(grid *g, const mxd_watch_check *r)
{
    out *o = &g->problems;
    const char *cls = rank_class(state_rank(r->state));
    char ago[32];
    fmt_dur(g->now - r->since, ago);
    putf(o, "<tr class=\"st-%s\" data-key=\"", cls);
    puth(o, r->key);
    putf(o, "\"><td><span class=\"badge %s\">%s</span></td><td>", cls, cls);
    put_what(o, r->subject, r->kind, r->item);
    put(o, "</td><td>");
    puth(o, r->value);
    put(o, "</td><td class=\"detail\">");
    puth(o, r->detail);
    if (r->state == MXD_WATCH_UNKNOWN && r->known_value) {
        put(o, "<div>last known: ");
        puth(o, r->known_value);
        putf(o, " (%s; %u failed in a row)</div>", mxd_watch_state_name(r->known_state),
             r->failures);
    }
    put(o, "</td><td>");
    put_time(o, r->since);
    putf(o, "<div class=\"since\">%s ago</div></td><td>", ago);
    put_time(o, r->checked_at);
    put(o, "</td></tr>\n");
}

/* grid_row - mxd_store_watch_each callback: rows come by subject, a new one flushes the last. */
static int grid_row(void *arg, const mxd_watch_check *r)
{
    grid *g = arg;
    if (!g->subject || strcmp(g->subject, r->subject) != 0) {
        grid_flush(g);
        if (!(g->subject = strdup(r->subject))) {
            g->ips.err = MXD_ERR_NOMEM;
            return 1;
        }
        g->subject_ip = is_ip(r->subject);
    }
    size_t k = 0;
    while (k < NKINDS && strcmp(kind_cols[k].kind, r->kind) != 0)
        k++;
    if (k == K_OTHER) {
        if (g->subject_ip)
            g->other_ip = 1;
        else
            g->other_domain = 1;
    }
    cell_add(&g->cells[k], r);
    int rank = state_rank(r->state);
    g->nstate[rank == 2 ? 1 : rank == 1 ? 2 : 0]++;
    if (rank && g->nproblems++ < WATCH_RENDER_MAX_PROBLEMS)
        problem_row(g, r);
    return g->ips.err || g->domains.err || g->problems.err;
}

/* grid_table - one table (IPs or domains) around its rows. */
static void grid_table(out *o, out *rows, int ip, int other, const char *id, const char *caption)
{
    if (!rows->b.len && !rows->err)
        return;
    putf(o, "<table class=\"grid%s\" id=\"%s\"><caption>%s</caption><thead><tr><th>%s</th>",
         other ? "" : " no-other", id, caption, ip ? "IP" : "Domain");
    for (size_t k = 0; k < NKINDS; k++)
        if (kind_cols[k].ip == ip)
            putf(o, "<th scope=\"col\">%s</th>", kind_cols[k].label);
    put(o, "<th scope=\"col\" class=\"other\">Other</th></tr></thead>\n<tbody>\n");
    put_out(o, rows);
    put(o, "</tbody></table>\n");
}

/* --- the dashboard: open alerts, the timeline ---------------------------------------------- */

typedef struct alerts_ctx {
    out *o;
    long long now;
    unsigned n; /* alerts seen: one more than WATCH_RENDER_MAX_ALERTS says there are more */
} alerts_ctx;

/* alert_row - one open alert of the dashboard (the first WATCH_RENDER_MAX_ALERTS only). */
static int alert_row(void *arg, const mxd_watch_alert *a)
{
    alerts_ctx *c = arg;
    out *o = c->o;
    const char *sev = a->severity ? a->severity : "info";
    if (++c->n > WATCH_RENDER_MAX_ALERTS)
        return 0;
    char ago[32];
    fmt_dur(c->now - a->opened_at, ago);
    put(o, "<tr class=\"sev-");
    puth(o, sev);
    put(o, "\" data-key=\"");
    puth(o, a->key);
    put(o, "\"><td><span class=\"badge sev\">");
    puth(o, sev);
    put(o, "</span></td><td>");
    put_time(o, a->opened_at);
    putf(o, "<div class=\"since\">open %s</div></td><td>", ago);
    puth(o, a->subject);
    put(o, "</td><td><b>");
    puth(o, a->title);
    put(o, "</b><div class=\"detail\">");
    puth(o, a->detail);
    put(o, "</div></td><td>");
    puth(o, a->kind);
    putf(o, "</td><td>%u</td></tr>\n", a->notices);
    return o->err != MXD_OK;
}

/* One entry of the timeline, rendered, with its time (the entries are sorted before output). */
typedef struct tl_entry {
    long long at;
    char *html;
} tl_entry;

typedef struct timeline {
    tl_entry *v;
    size_t n, cap;
    long long now;
    mxd_err err;
} timeline;

/* tl_push - keep o's text as the entry at time at (o is emptied). */
static void tl_push(timeline *t, long long at, out *o)
{
    if (o->err || t->err) {
        t->err = t->err ? t->err : o->err;
        buf_free(&o->b);
        return;
    }
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 64;
        tl_entry *nv = realloc(t->v, nc * sizeof *nv);
        if (!nv) {
            t->err = MXD_ERR_NOMEM;
            buf_free(&o->b);
            return;
        }
        t->v = nv;
        t->cap = nc;
    }
    char *h = buf_steal(&o->b);
    if (!h) {
        t->err = MXD_ERR_NOMEM;
        return;
    }
    t->v[t->n].at = at;
    t->v[t->n].html = h;
    t->n++;
}

/* tl_span - a run of equal results: a change on the timeline. */
static int tl_span(void *arg, const mxd_watch_span *r)
{
    timeline *t = arg;
    out o;
    o_init(&o);
    const char *cls = rank_class(state_rank(r->state));
    putf(&o, "<tr class=\"st-%s span\"><td>", cls);
    put_time(&o, r->first_at);
    putf(&o, "</td><td><span class=\"badge %s\">%s</span></td><td>", cls, cls);
    put_what(&o, r->subject, r->kind, r->item);
    put(&o, "</td><td>");
    puth(&o, r->value);
    put(&o, "<div class=\"detail\">");
    puth(&o, r->detail);
    char d[32];
    fmt_dur(r->last_at - r->first_at, d);
    putf(&o, "</div></td><td>%llu check%s over %s</td></tr>\n", r->runs, r->runs == 1 ? "" : "s",
         d);
    tl_push(t, r->first_at, &o);
    return t->err != MXD_OK;
}

/* tl_alert_entry - an alert opened, or closed (recovered), on the timeline. */
static void tl_alert_entry(timeline *t, const mxd_watch_alert *a, int closed)
{
    out o;
    o_init(&o);
    const char *sev = a->severity ? a->severity : "info";
    char d[32];
    fmt_dur((closed ? a->closed_at : t->now) - a->opened_at, d);
    if (closed) {
        put(&o, "<tr class=\"st-ok alert-closed\"><td>");
        put_time(&o, a->closed_at);
        put(&o, "</td><td><span class=\"badge ok\">recovered</span></td><td>");
    } else {
        put(&o, "<tr class=\"alert-opened sev-");
        puth(&o, sev);
        put(&o, "\"><td>");
        put_time(&o, a->opened_at);
        put(&o, "</td><td><span class=\"badge sev\">");
        puth(&o, sev);
        put(&o, "</span></td><td>");
    }
    puth(&o, a->subject);
    put(&o, "</td><td>alert: ");
    puth(&o, a->kind);
    put(&o, "</td><td><b>");
    puth(&o, a->title);
    put(&o, "</b><div class=\"detail\">");
    puth(&o, a->detail);
    if (closed)
        putf(&o, "</div></td><td>open for %s</td></tr>\n", d);
    else if (a->closed_at)
        put(&o, "</div></td><td>opened (since recovered)</td></tr>\n");
    else
        putf(&o, "</div></td><td>opened, still open after %s</td></tr>\n", d);
    tl_push(t, closed ? a->closed_at : a->opened_at, &o);
}

/* tl_alert - an alert open or closed in the window: its opening (when in the window) and closing.
 */
static int tl_alert(void *arg, const mxd_watch_alert *a)
{
    timeline *t = arg;
    if (a->opened_at >= t->now - WATCH_RENDER_TIMELINE_DAYS * DAY)
        tl_alert_entry(t, a, 0);
    if (a->closed_at)
        tl_alert_entry(t, a, 1);
    return t->err != MXD_OK;
}

/* tl_cmp - newest first. */
static int tl_cmp(const void *a, const void *b)
{
    long long x = ((const tl_entry *)a)->at, y = ((const tl_entry *)b)->at;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* tl_free - the entries and their text. */
static void tl_free(timeline *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i].html);
    free(t->v);
}

/* --- the dashboard: plots ------------------------------------------------------------------ */

/* A plot's geometry in viewBox units (integers: no locale's decimal comma in an SVG). */
enum {
    PLOT_W = 4,   /* per hour */
    PLOT_X0 = 64, /* left margin: the y labels */
    PLOT_Y0 = 14,
    PLOT_H = 170,
    PLOT_FONT = 20, /* as the CSS says: svg text{font-size:20px} */
    PLOT_VB_W = PLOT_X0 + WATCH_RENDER_PLOT_HOURS * PLOT_W + 8,
    PLOT_VB_H = PLOT_Y0 + PLOT_H + 32,
};

typedef struct series {
    char *provider;
    unsigned long long sent[WATCH_RENDER_PLOT_HOURS], deferred[WATCH_RENDER_PLOT_HOURS],
        bounced[WATCH_RENDER_PLOT_HOURS];
    unsigned long long tsent, tdeferred, tbounced;
} series;

typedef struct plots {
    series *v;
    size_t n;
    unsigned more; /* providers with mail that are not plotted */
    long long h0;  /* the first hour plotted */
    int nomem;
} plots;

/* plot_total - the providers plotted: the first WATCH_RENDER_PLOT_PROVIDERS by mail. */
static int plot_total(void *arg, const mxd_traffic_row *r)
{
    plots *p = arg;
    if (!r->provider || r->sent + r->deferred + r->bounced == 0)
        return 0;
    if (p->n == WATCH_RENDER_PLOT_PROVIDERS) {
        p->more++;
        return 0;
    }
    if (!(p->v[p->n].provider = strdup(r->provider))) {
        p->nomem = 1;
        return 1;
    }
    p->n++;
    return 0;
}

/* plot_hour - one hour of a plotted provider into its series. */
static int plot_hour(void *arg, const mxd_traffic_row *r)
{
    plots *p = arg;
    long long h = (r->hour - p->h0) / HOUR;
    if (!r->provider || h < 0 || h >= WATCH_RENDER_PLOT_HOURS)
        return 0;
    for (size_t i = 0; i < p->n; i++) {
        series *s = &p->v[i];
        if (strcmp(s->provider, r->provider) != 0)
            continue;
        s->sent[h] += r->sent;
        s->deferred[h] += r->deferred;
        s->bounced[h] += r->bounced;
        s->tsent += r->sent;
        s->tdeferred += r->deferred;
        s->tbounced += r->bounced;
        break;
    }
    return 0;
}

/* nice_ceil - the smallest of 1, 2, 5, 10, 20, 50 ... at or above v. */
static unsigned long long nice_ceil(unsigned long long v)
{
    unsigned long long m = 1;
    for (;;) {
        if (v <= m)
            return m;
        if (v <= 2 * m)
            return 2 * m;
        if (v <= 5 * m)
            return 5 * m;
        if (m > (unsigned long long)-1 / 100)
            return v;
        m *= 10;
    }
}

/* scale - v of max as a height in 0..h units, rounded. */
static unsigned long long scale(unsigned long long v, unsigned long long max, int h)
{
    if (!max)
        return 0;
    if (v > (unsigned long long)-1 / (unsigned)h)
        return v >= max ? (unsigned long long)h : (unsigned long long)((double)v * h / max);
    return (v * (unsigned)h + max / 2) / max;
}

/* plot_frame - <svg> with its title, the y labels and the days of the x axis. */
static void plot_frame(out *o, const char *provider, const char *metric, const char *title,
                       const char *ytop, long long h0)
{
    put(o, "<svg class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" data-provider=\"");
    puth(o, provider);
    putf(o, "\" data-metric=\"%s\" viewBox=\"0 0 %d %d\" role=\"img\"><title>", metric, PLOT_VB_W,
         PLOT_VB_H);
    puth(o, provider);
    putf(o, ": %s per hour, last 7 days (UTC)</title>", title);
    int base = PLOT_Y0 + PLOT_H, right = PLOT_X0 + WATCH_RENDER_PLOT_HOURS * PLOT_W;
    putf(o,
         "<path class=\"axis\" d=\"M%d,%dH%dM%d,%dH%dM%d,%dH%d\"/>"
         "<text class=\"yl\" x=\"%d\" y=\"%d\">%s</text>"
         "<text class=\"yl\" x=\"%d\" y=\"%d\">0</text>",
         PLOT_X0, PLOT_Y0, right, PLOT_X0, PLOT_Y0 + PLOT_H / 2, right, PLOT_X0, base, right,
         PLOT_X0 - 6, PLOT_Y0 + PLOT_FONT / 2, ytop, PLOT_X0 - 6, base + PLOT_FONT / 3);
    for (int h = 0; h < WATCH_RENDER_PLOT_HOURS; h++) {
        long long t = h0 + h * HOUR;
        if (t % DAY)
            continue;
        time_t tt = (time_t)t;
        struct tm tm;
        char day[16] = "";
        if (gmtime_r(&tt, &tm))
            strftime(day, sizeof day, "%m-%d", &tm);
        int x = PLOT_X0 + h * PLOT_W;
        putf(o, "<path class=\"day\" d=\"M%d,%dV%d\"/>", x, PLOT_Y0, base + 6);
        if (x + 3 * PLOT_FONT < right) /* a label that fits before the right edge */
            putf(o, "<text class=\"xl\" x=\"%d\" y=\"%d\">%s</text>", x + 4, base + PLOT_FONT + 6,
                 day);
    }
}

/* plot_volume - stacked bars per hour: sent, deferred, bounced. */
static void plot_volume(out *o, const series *s, long long h0)
{
    unsigned long long max = 0;
    for (int h = 0; h < WATCH_RENDER_PLOT_HOURS; h++) {
        unsigned long long v = s->sent[h] + s->deferred[h] + s->bounced[h];
        if (v > max)
            max = v;
    }
    max = nice_ceil(max);
    char ytop[32];
    snprintf(ytop, sizeof ytop, "%llu", max);
    plot_frame(o, s->provider, "volume", "messages (sent, deferred, bounced)", ytop, h0);
    static const char *const cls[] = {"sent", "deferred", "bounced"};
    int base = PLOT_Y0 + PLOT_H;
    for (int part = 0; part < 3; part++) {
        putf(o, "<path class=\"%s\" d=\"", cls[part]);
        for (int h = 0; h < WATCH_RENDER_PLOT_HOURS; h++) {
            unsigned long long lo = 0, hi = s->sent[h];
            if (part >= 1)
                lo = hi, hi += s->deferred[h];
            if (part == 2)
                lo = hi, hi += s->bounced[h];
            unsigned long long y0 = scale(lo, max, PLOT_H), y1 = scale(hi, max, PLOT_H);
            if (hi > lo && y1 == y0 && y1 < PLOT_H)
                y1 = y0 + 1; /* a bar too small to see would vanish */
            if (y1 <= y0)
                continue;
            /* from the top of the part down to its bottom */
            putf(o, "M%d,%lluh%dv%lluh-%dz", PLOT_X0 + h * PLOT_W, base - y1, PLOT_W - 1, y1 - y0,
                 PLOT_W - 1);
        }
        put(o, "\"/>");
    }
    put(o, "</svg>");
}

/* plot_rate - a line per hour of num/(sent+deferred+bounced), broken where nothing was sent. */
static void plot_rate(out *o, const series *s, const unsigned long long *num, const char *metric,
                      const char *title, long long h0)
{
    unsigned long long pm[WATCH_RENDER_PLOT_HOURS], max = 10; /* at least 1% */
    int have[WATCH_RENDER_PLOT_HOURS];
    for (int h = 0; h < WATCH_RENDER_PLOT_HOURS; h++) {
        unsigned long long v = s->sent[h] + s->deferred[h] + s->bounced[h];
        have[h] = v > 0;
        pm[h] = v ? (num[h] * 1000 + v / 2) / v : 0;
        if (pm[h] > max)
            max = pm[h];
    }
    max = nice_ceil(max);
    if (max > 1000)
        max = 1000;
    char ytop[32];
    snprintf(ytop, sizeof ytop, "%llu%%", max / 10);
    plot_frame(o, s->provider, metric, title, ytop, h0);
    put(o, "<path class=\"rate\" d=\"");
    int base = PLOT_Y0 + PLOT_H, prev = 0;
    for (int h = 0; h < WATCH_RENDER_PLOT_HOURS; h++) {
        if (!have[h]) {
            prev = 0;
            continue;
        }
        int x = PLOT_X0 + h * PLOT_W + PLOT_W / 2;
        unsigned long long y = base - scale(pm[h], max, PLOT_H);
        int alone = !(h + 1 < WATCH_RENDER_PLOT_HOURS && have[h + 1]) && !prev;
        putf(o, "%c%d,%llu%s", prev ? 'L' : 'M', x, y, alone ? "h1" : "");
        prev = 1;
    }
    put(o, "\"/></svg>");
}

/* plots_put - per provider: its week in words, then volume, deferral and bounce rate. */
static void plots_put(out *o, const plots *p)
{
    if (!p->n) {
        put(o, "<p class=\"quiet\" id=\"plots-none\">No mail log volume in the last 7 days (no "
               "[logs] followed, or nothing sent).</p>\n");
        return;
    }
    for (size_t i = 0; i < p->n; i++) {
        const series *s = &p->v[i];
        unsigned long long tot = s->tsent + s->tdeferred + s->tbounced;
        put(o, "<div class=\"prov\" data-provider=\"");
        puth(o, s->provider);
        put(o, "\"><h3>");
        puth(o, s->provider);
        putf(o, "</h3><p class=\"sum\">%llu messages in 7 days: %llu sent, %llu deferred (", tot,
             s->tsent, s->tdeferred);
        put_permille(o, s->tdeferred, tot);
        putf(o, "), %llu bounced (", s->tbounced);
        put_permille(o, s->tbounced, tot);
        put(o, ")</p><div class=\"figs\"><figure>");
        plot_volume(o, s, p->h0);
        put(o, "<figcaption>Volume per hour: <span class=\"k sent\"></span>sent "
               "<span class=\"k deferred\"></span>deferred <span class=\"k bounced\"></span>"
               "bounced</figcaption></figure><figure>");
        plot_rate(o, s, s->deferred, "deferral-rate", "deferral rate", p->h0);
        put(o, "<figcaption>Deferral rate per hour</figcaption></figure><figure>");
        plot_rate(o, s, s->bounced, "bounce-rate", "bounce rate", p->h0);
        put(o, "<figcaption>Bounce rate per hour</figcaption></figure></div></div>\n");
    }
    if (p->more)
        putf(o, "<p class=\"quiet\">%u more provider%s not plotted (see /api/traffic).</p>\n",
             p->more, p->more == 1 ? "" : "s");
}

/* plots_free - the providers' names and the series. */
static void plots_free(plots *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i].provider);
    free(p->v);
}

/* --- the dashboard: the page ----------------------------------------------------------------- */

static const char css[] =
    ":root{--ok:#1a7f37;--pr:#cf222e;--un:#9a6700;--mut:#57606a;--bd:#d0d7de;--bg:#f6f8fa}"
    "*{box-sizing:border-box}"
    "body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;"
    "color:#1f2328;background:#fff}"
    "header{padding:12px 20px;background:#24292f;color:#fff;display:flex;flex-wrap:wrap;"
    "gap:8px 24px;align-items:baseline}"
    "header h1{font-size:18px;margin:0}header .gen{color:#d0d7de;font-size:12px}"
    ".sum-ok{color:#4ac26b}.sum-problem{color:#ff8182}.sum-unknown{color:#d4a72c}"
    "header .counts span{margin-right:14px;font-weight:600}"
    "main{padding:8px 20px 24px;max-width:1500px}"
    "section{margin-top:18px}h2{font-size:16px;border-bottom:1px solid var(--bd);"
    "padding-bottom:4px;margin:0 0 8px}h3{font-size:14px;margin:12px 0 2px}"
    "table{border-collapse:collapse;width:100%;margin-bottom:12px}"
    "caption{text-align:left;font-weight:600;padding:4px 0}"
    "th,td{border:1px solid var(--bd);padding:4px 6px;text-align:left;vertical-align:top}"
    "thead th{background:var(--bg);font-weight:600}"
    "td.none{color:var(--mut);text-align:center}"
    "table.no-other .other{display:none}"
    "tr.sev-critical td{background:#ffebe9}tr.sev-warning td{background:#fff8c5}"
    ".st-ok{background:#dafbe1}.st-problem{background:#ffebe9}.st-unknown{background:#fff8c5}"
    ".grid td{max-width:22em}"
    ".badge{display:inline-block;font-size:11px;font-weight:700;text-transform:uppercase;"
    "border-radius:8px;padding:0 6px;color:#fff;background:var(--mut)}"
    ".badge.ok{background:var(--ok)}.badge.problem{background:var(--pr)}"
    ".badge.unknown{background:var(--un)}"
    ".sev-critical .badge.sev{background:var(--pr)}.sev-warning .badge.sev{background:var(--un)}"
    ".detail{color:var(--mut);font-size:12px;overflow-wrap:anywhere}"
    ".grid .detail{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}"
    ".since{color:var(--mut);font-size:11px}"
    ".quiet{color:var(--mut)}"
    ".figs{display:grid;grid-template-columns:repeat(auto-fit,minmax(330px,1fr));gap:8px}"
    "figure{margin:0}figcaption{font-size:12px;color:var(--mut)}"
    "svg.plot{width:100%;height:auto;background:#fff;border:1px solid var(--bd)}"
    "svg .axis{stroke:#d0d7de;fill:none}svg .day{stroke:#eaeef2;fill:none}"
    "svg text{font-size:20px;fill:#57606a}svg .yl{text-anchor:end}"
    "svg .sent{fill:#54aeff}svg .deferred{fill:#d4a72c}svg .bounced{fill:#cf222e}"
    "svg .rate{fill:none;stroke:#0969da;stroke-width:2.5;stroke-linejoin:round;"
    "stroke-linecap:round}"
    ".k{display:inline-block;width:10px;height:10px;margin:0 3px 0 8px}"
    ".k.sent{background:#54aeff}.k.deferred{background:#d4a72c}.k.bounced{background:#cf222e}"
    "#timeline tr.span.st-ok{background:none}"
    "footer{padding:8px 20px;color:var(--mut);font-size:12px}"
    "code{background:var(--bg);padding:0 3px}";

/* watch_render_dashboard - the page: open alerts, the state grids and problems, the plots, the
 * timeline; the current checks in one pass, everything else through a window or a limit. */
char *watch_render_dashboard(mxd_store *s, const watch_stats *st, long long now, size_t *len,
                             char *why, size_t whylen)
{
    out page, alerts, pl;
    o_init(&page);
    o_init(&alerts);
    o_init(&pl);
    grid g;
    memset(&g, 0, sizeof g);
    g.now = now;
    o_init(&g.ips);
    o_init(&g.domains);
    o_init(&g.problems);
    timeline tl = {.now = now};
    plots p = {0};
    mxd_err e;

    /* the checks: one pass, streamed into the two grids and the problem table */
    if (!(e = mxd_store_watch_each(s, grid_row, &g)))
        grid_flush(&g);
    free(g.subject);
    g.subject = NULL;

    /* the open alerts, newest first */
    alerts_ctx ac = {.o = &alerts, .now = now};
    if (!e)
        e = mxd_store_alerts(s, 1, 0, WATCH_RENDER_MAX_ALERTS + 1, alert_row, &ac);

    /* the timeline: the latest runs, and the alerts opened or closed in the last days */
    if (!e)
        e = mxd_store_watch_history(s, NULL, 0, 0, WATCH_RENDER_TIMELINE, MXD_WATCH_CHANGES,
                                    tl_span, &tl);
    if (!e)
        e = mxd_store_alerts(s, 0, now - WATCH_RENDER_TIMELINE_DAYS * DAY, WATCH_RENDER_TIMELINE,
                             tl_alert, &tl);
    if (!e && tl.err)
        e = tl.err;

    /* the plots: providers by volume over the window, then its hours */
    long long hnow = now - now % HOUR;
    p.h0 = hnow - (WATCH_RENDER_PLOT_HOURS - 1) * HOUR;
    if (!e && !(p.v = calloc(WATCH_RENDER_PLOT_PROVIDERS, sizeof *p.v)))
        e = MXD_ERR_NOMEM;
    if (!e)
        e = mxd_store_traffic(s, p.h0, hnow + HOUR, 1, plot_total, &p);
    if (!e && p.nomem)
        e = MXD_ERR_NOMEM;
    if (!e && p.n)
        e = mxd_store_traffic(s, p.h0, hnow + HOUR, 0, plot_hour, &p);

    if (!e) {
        char gen[32];
        fmt_time(now, gen);
        put(&page, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                   "<meta http-equiv=\"refresh\" content=\"60\">"
                   "<link rel=\"icon\" href=\"data:,\">");
        putf(&page, "<title>mxdiag watch: %u problem%s</title><style>", g.nstate[1],
             g.nstate[1] == 1 ? "" : "s");
        put(&page, css);
        put(&page, "</style></head><body>\n<header><h1>mxdiag watch</h1><div class=\"counts\" "
                   "id=\"summary\">");
        putf(&page,
             "<span class=\"sum-problem\">%u problem%s</span><span class=\"sum-unknown\">%u "
             "unknown</span><span class=\"sum-ok\">%u ok</span><span>%u%s open alert%s</span>",
             g.nstate[1], g.nstate[1] == 1 ? "" : "s", g.nstate[2], g.nstate[0],
             ac.n > WATCH_RENDER_MAX_ALERTS ? WATCH_RENDER_MAX_ALERTS : ac.n,
             ac.n > WATCH_RENDER_MAX_ALERTS ? "+" : "", ac.n == 1 ? "" : "s");
        putf(&page,
             "</div><div class=\"gen\">%u IP%s, %u domain%s &#183; generated <time "
             "datetime=\"%s\">%.10s %.5sZ</time>",
             g.nips, g.nips == 1 ? "" : "s", g.ndomains, g.ndomains == 1 ? "" : "s", gen, gen,
             gen + 11);
        if (st && st->started) {
            char up[32];
            fmt_dur(now - st->started, up);
            putf(&page, " &#183; up %s, %llu round%s, %llu DNS queries", up, st->rounds,
                 st->rounds == 1 ? "" : "s", st->dns_queries);
        }
        put(&page, "</div></header>\n<main>\n");

        /* open alerts first: what needs a person */
        put(&page, "<section id=\"alerts\"><h2>Open alerts</h2>\n");
        if (!ac.n)
            put(&page, "<p class=\"quiet\" id=\"alerts-none\">No open alerts.</p>\n");
        else {
            put(&page, "<table class=\"alerts\"><thead><tr><th>Severity</th><th>Opened</th>"
                       "<th>Subject</th><th>Alert</th><th>Kind</th><th>Notices</th></tr></thead>"
                       "<tbody>\n");
            put_out(&page, &alerts);
            put(&page, "</tbody></table>\n");
            if (ac.n > WATCH_RENDER_MAX_ALERTS)
                putf(&page,
                     "<p class=\"quiet\">Only the %d newest are shown (see "
                     "/api/alerts).</p>\n",
                     WATCH_RENDER_MAX_ALERTS);
        }
        put(&page, "</section>\n<section id=\"state\"><h2>State</h2>\n");
        if (!g.nips && !g.ndomains)
            put(&page, "<p class=\"quiet\">Nothing checked yet.</p>\n");
        grid_table(&page, &g.ips, 1, g.other_ip, "state-ips", "IP addresses");
        grid_table(&page, &g.domains, 0, g.other_domain, "state-domains", "Domains");
        if (g.nproblems) {
            put(&page, "<table id=\"problems\"><caption>Problems and checks that could not be "
                       "made</caption><thead><tr><th>State</th><th>Subject</th><th>Check</th>"
                       "<th>Value</th><th>Detail</th><th>Since</th><th>Checked</th></tr>"
                       "</thead><tbody>\n");
            put_out(&page, &g.problems);
            put(&page, "</tbody></table>\n");
            if (g.nproblems > WATCH_RENDER_MAX_PROBLEMS)
                putf(&page, "<p class=\"quiet\">%u more (see /api/status).</p>\n",
                     g.nproblems - WATCH_RENDER_MAX_PROBLEMS);
        }
        put(&page, "</section>\n<section id=\"plots\"><h2>Mail by provider, per hour (last 7 "
                   "days, UTC)</h2>\n");
        plots_put(&pl, &p);
        put_out(&page, &pl);
        put(&page, "</section>\n<section id=\"timeline\"><h2>Timeline</h2>\n");
        if (!tl.n)
            put(&page, "<p class=\"quiet\">No history yet.</p>\n");
        else {
            qsort(tl.v, tl.n, sizeof *tl.v, tl_cmp);
            putf(&page,
                 "<table class=\"timeline\"><caption>Changes and alerts, newest first "
                 "(the last %d)</caption><thead><tr><th>When</th><th>State</th>"
                 "<th>Subject</th><th>Check</th><th>Result</th><th>Run</th></tr></thead>"
                 "<tbody>\n",
                 WATCH_RENDER_TIMELINE);
            for (size_t i = 0; i < tl.n && i < WATCH_RENDER_TIMELINE; i++)
                put(&page, tl.v[i].html);
            put(&page, "</tbody></table>\n");
        }
        put(&page, "</section>\n</main>\n<footer>JSON: <code>/api/status</code> "
                   "<code>/api/alerts</code> <code>/api/history</code> <code>/api/traffic</code>"
                   " &#183; Prometheus: <code>/metrics</code> &#183; this page reloads every "
                   "minute</footer>\n</body></html>\n");
        if (!page.err)
            page.err = g.ips.err ? g.ips.err : g.domains.err ? g.domains.err : g.problems.err;
        if (!page.err && alerts.err)
            page.err = alerts.err;
    }
    buf_free(&g.ips.b);
    buf_free(&g.domains.b);
    buf_free(&g.problems.b);
    buf_free(&alerts.b);
    buf_free(&pl.b);
    tl_free(&tl);
    plots_free(&p);
    return finish(&page, e, s, "dashboard", len, why, whylen);
}

/* --- Prometheus ---------------------------------------------------------------------------- */

static void put_label(out *o, const char *name, const char *value, int first)
{
    putf(o, "%s%s=\"", first ? "" : ",", name);
    put_esc(o, value ? value : "", ESC_PROM);
    put(o, "\"");
}

typedef struct metrics {
    out state, dnsbl;
} metrics;

/* metrics_check - a check's state, and for a blocklist whether listed (known states only). */
static int metrics_check(void *arg, const mxd_watch_check *r)
{
    metrics *m = arg;
    put(&m->state, "mxdiag_check_state{");
    put_label(&m->state, "kind", r->kind, 1);
    put_label(&m->state, "subject", r->subject, 0);
    put_label(&m->state, "item", r->item, 0);
    putf(&m->state, "} %d\n", (int)r->state);
    if (strcmp(r->kind, "dnsbl") == 0 && r->state != MXD_WATCH_UNKNOWN) {
        put(&m->dnsbl, "mxdiag_dnsbl_listed{");
        put_label(&m->dnsbl, "ip", r->subject, 1);
        put_label(&m->dnsbl, "list", r->item, 0);
        putf(&m->dnsbl, "} %d\n", r->state == MXD_WATCH_PROBLEM);
    }
    return m->state.err || m->dnsbl.err;
}

/* metrics_alert - count an open alert by severity. */
static int metrics_alert(void *arg, const mxd_watch_alert *a)
{
    unsigned *sev = arg;
    const char *s = a->severity ? a->severity : "";
    sev[strcmp(s, "critical") == 0 ? 0 : strcmp(s, "warning") == 0 ? 1 : 2]++;
    return 0;
}

/* metrics_traffic - a provider's totals, one sample per status. */
static int metrics_traffic(void *arg, const mxd_traffic_row *r)
{
    out *o = arg;
    static const char *const names[] = {"sent", "deferred", "bounced", "rejected", "expired"};
    unsigned long long v[] = {r->sent, r->deferred, r->bounced, r->rejected, r->expired};
    for (size_t i = 0; i < 5; i++) {
        put(o, "mxdiag_log_messages_total{");
        put_label(o, "provider", r->provider, 1);
        put_label(o, "status", names[i], 0);
        putf(o, "} %llu\n", v[i]);
    }
    return o->err != MXD_OK;
}

/* The daemon's counters: in /metrics as mxdiag_watch_<name>_total, in /api/status "stats". */
static const struct {
    const char *name, *help;
    size_t off;
} counters[] = {
    {"rounds", "Rounds of checks run.", offsetof(watch_stats, rounds)},
    {"checks", "Check results stored.", offsetof(watch_stats, checks)},
    {"dns_queries", "DNS queries asked by the checks.", offsetof(watch_stats, dns_queries)},
    {"alerts_opened", "Alerts opened by this process.", offsetof(watch_stats, alerts_opened)},
    {"alerts_closed", "Alerts closed by this process.", offsetof(watch_stats, alerts_closed)},
    {"notices_sent", "Alert notices delivered to a channel.", offsetof(watch_stats, notices_sent)},
    {"notices_failed", "Alert notice deliveries that failed.",
     offsetof(watch_stats, notices_failed)},
    {"log_lines", "Mail log lines read.", offsetof(watch_stats, log_lines)},
    {"maildir_messages", "Messages ingested from the Maildirs.",
     offsetof(watch_stats, maildir_messages)},
};
#define NCOUNTERS (sizeof counters / sizeof counters[0])

/* counter - the value of counters[i] in st. */
static unsigned long long counter(const watch_stats *st, size_t i)
{
    unsigned long long v;
    memcpy(&v, (const char *)st + counters[i].off, sizeof v);
    return v;
}

/* family - a metric family's HELP and TYPE lines (help is fixed text). */
static void family(out *o, const char *name, const char *type, const char *help)
{
    putf(o, "# HELP %s ", name);
    put(o, help);
    putf(o, "\n# TYPE %s %s\n", name, type);
}

/* watch_render_metrics - the exposition: families in a fixed order, each sample after its
 * family's HELP and TYPE. */
char *watch_render_metrics(mxd_store *s, const watch_stats *st, long long now, size_t *len,
                           char *why, size_t whylen)
{
    out o;
    o_init(&o);
    metrics m;
    o_init(&m.state);
    o_init(&m.dnsbl);
    unsigned sev[3] = {0, 0, 0};
    out traffic;
    o_init(&traffic);

    mxd_err e = mxd_store_watch_each(s, metrics_check, &m);
    if (!e)
        e = mxd_store_alerts(s, 1, 0, 0, metrics_alert, sev);
    if (!e)
        e = mxd_store_traffic(s, 0, 0, 1, metrics_traffic, &traffic);
    if (!e) {
        family(&o, "mxdiag_check_state", "gauge",
               "The latest result of each watch check: 0 ok, 1 problem, 2 unknown (could not be "
               "checked).");
        put_out(&o, &m.state);
        family(&o, "mxdiag_dnsbl_listed", "gauge",
               "1 when the IP is listed on the blocklist, 0 when not; omitted while the list "
               "cannot be checked (see mxdiag_check_state 2).");
        put_out(&o, &m.dnsbl);
        family(&o, "mxdiag_alerts_open", "gauge", "Open alerts by severity.");
        static const char *const sevs[] = {"critical", "warning", "info"};
        for (size_t i = 0; i < 3; i++)
            putf(&o, "mxdiag_alerts_open{severity=\"%s\"} %u\n", sevs[i], sev[i]);
        family(&o, "mxdiag_log_messages_total", "counter",
               "Messages in the followed mail logs by provider and final status, over the "
               "history kept (pruning old hours reads as a counter reset).");
        put_out(&o, &traffic);
        if (st) {
            char name[64];
            for (size_t i = 0; i < NCOUNTERS; i++) {
                snprintf(name, sizeof name, "mxdiag_watch_%s_total", counters[i].name);
                family(&o, name, "counter", counters[i].help);
                putf(&o, "%s %llu\n", name, counter(st, i));
            }
            family(&o, "mxdiag_watch_start_time_seconds", "gauge",
                   "When the watch daemon started, in seconds since 1970.");
            putf(&o, "mxdiag_watch_start_time_seconds %lld\n", st->started);
        }
        family(&o, "mxdiag_watch_scrape_time_seconds", "gauge",
               "When this exposition was made, in seconds since 1970.");
        putf(&o, "mxdiag_watch_scrape_time_seconds %lld\n", now);
    }
    buf_free(&m.state.b);
    buf_free(&m.dnsbl.b);
    buf_free(&traffic.b);
    return finish(&o, e, s, "metrics", len, why, whylen);
}

/* --- JSON ----------------------------------------------------------------------------------- */

/* jstr - a JSON string of s (null when s is NULL), bad UTF-8 bytes replaced by U+FFFD. */
static json_t *jstr(const char *s)
{
    if (!s)
        return json_null();
    size_t n = strlen(s), bad;
    if (str_utf8_valid(s, n, &bad))
        return json_stringn(s, n);
    size_t rl;
    char *r = str_utf8_repair(s, n, &rl);
    json_t *j = r ? json_stringn(r, rl) : NULL;
    free(r);
    return j;
}

/* jtime - a time as "YYYY-MM-DDTHH:MM:SSZ", null for 0. */
static json_t *jtime(long long t)
{
    if (!t)
        return json_null();
    char iso[32];
    fmt_time(t, iso);
    return iso[0] ? json_string(iso) : json_null();
}

typedef struct jlist {
    json_t *a;
    int nomem;
} jlist;

/* j_add - append x (NULL: out of memory, remembered); a store callback's answer: stop when
 * out of memory. */
static int j_add(jlist *l, json_t *x)
{
    if (!x || json_array_append_new(l->a, x))
        l->nomem = 1;
    return l->nomem;
}

/* j_ident - what a check, alert or run is about: key, kind, subject, item. */
static void j_ident(json_t *x, const char *key, const char *kind, const char *subject,
                    const char *item)
{
    json_object_set_new(x, "key", jstr(key));
    json_object_set_new(x, "kind", jstr(kind));
    json_object_set_new(x, "subject", jstr(subject));
    json_object_set_new(x, "item", jstr(item));
}

/* j_result - a new object with what a check or a run found: its ident, state, value, detail
 * (NULL when out of memory). */
static json_t *j_result(const char *key, const char *kind, const char *subject, const char *item,
                        mxd_watch_state state, const char *value, const char *detail)
{
    json_t *x = json_object();
    if (x) {
        j_ident(x, key, kind, subject, item);
        json_object_set_new(x, "state", json_string(mxd_watch_state_name(state)));
        json_object_set_new(x, "value", jstr(value));
        json_object_set_new(x, "detail", jstr(detail));
    }
    return x;
}

/* j_check - a current check row as JSON. */
static int j_check(void *arg, const mxd_watch_check *r)
{
    json_t *x = j_result(r->key, r->kind, r->subject, r->item, r->state, r->value, r->detail);
    if (x) {
        json_object_set_new(x, "since", jtime(r->since));
        json_object_set_new(x, "checked_at", jtime(r->checked_at));
        json_object_set_new(x, "failures", json_integer(r->failures));
        if (r->state == MXD_WATCH_UNKNOWN) {
            json_object_set_new(x, "known_state",
                                r->known_value ? json_string(mxd_watch_state_name(r->known_state))
                                               : json_null());
            json_object_set_new(x, "known_value", jstr(r->known_value));
        }
    }
    return j_add(arg, x);
}

/* j_alert - an alert as JSON. */
static int j_alert(void *arg, const mxd_watch_alert *a)
{
    json_t *x = json_object();
    if (x) {
        json_object_set_new(x, "id", json_integer(a->id));
        j_ident(x, a->key, a->kind, a->subject, a->item);
        json_object_set_new(x, "severity", jstr(a->severity));
        json_object_set_new(x, "title", jstr(a->title));
        json_object_set_new(x, "detail", jstr(a->detail));
        json_object_set_new(x, "open", json_boolean(a->closed_at == 0));
        json_object_set_new(x, "opened_at", jtime(a->opened_at));
        json_object_set_new(x, "closed_at", jtime(a->closed_at));
        json_object_set_new(x, "notified_at", jtime(a->notified_at));
        json_object_set_new(x, "notices", json_integer(a->notices));
    }
    return j_add(arg, x);
}

/* j_span - a history run as JSON. */
static int j_span(void *arg, const mxd_watch_span *r)
{
    json_t *x = j_result(r->key, r->kind, r->subject, r->item, r->state, r->value, r->detail);
    if (x) {
        json_object_set_new(x, "first_at", jtime(r->first_at));
        json_object_set_new(x, "last_at", jtime(r->last_at));
        json_object_set_new(x, "runs", json_integer((json_int_t)r->runs));
    }
    return j_add(arg, x);
}

/* j_traffic - an hour (or a total: no "hour") of a provider as JSON. */
static int j_traffic(void *arg, const mxd_traffic_row *r)
{
    json_t *x = json_object();
    if (x) {
        if (r->hour)
            json_object_set_new(x, "hour", jtime(r->hour));
        json_object_set_new(x, "provider", jstr(r->provider));
        json_object_set_new(x, "sent", json_integer((json_int_t)r->sent));
        json_object_set_new(x, "deferred", json_integer((json_int_t)r->deferred));
        json_object_set_new(x, "bounced", json_integer((json_int_t)r->bounced));
        json_object_set_new(x, "rejected", json_integer((json_int_t)r->rejected));
        json_object_set_new(x, "expired", json_integer((json_int_t)r->expired));
    }
    return j_add(arg, x);
}

/* api_list - o[name] = l's array, filled by a store call that returned e; the array is
 * o's or freed either way. */
static mxd_err api_list(json_t *o, const char *name, jlist *l, mxd_err e)
{
    json_t *a = l->a;
    l->a = NULL;
    if (!e && l->nomem)
        e = MXD_ERR_NOMEM;
    if (e) {
        json_decref(a);
        return e;
    }
    return json_object_set_new(o, name, a) ? MXD_ERR_NOMEM : MXD_OK;
}

/* j_stats - the daemon's counters as JSON. */
static json_t *j_stats(const watch_stats *st)
{
    json_t *x = json_object();
    if (!x)
        return NULL;
    json_object_set_new(x, "started_at", jtime(st->started));
    for (size_t i = 0; i < NCOUNTERS; i++)
        json_object_set_new(x, counters[i].name, json_integer((json_int_t)counter(st, i)));
    return x;
}

/* watch_render_api - the JSON of one /api path (a table of four), from bounded queries. */
char *watch_render_api(mxd_store *s, const watch_stats *st, const char *path, long long now,
                       size_t *len, int *notfound, char *why, size_t whylen)
{
    static const char *const paths[] = {"/api/status", "/api/alerts", "/api/history",
                                        "/api/traffic"};
    size_t which = 0;
    while (which < 4 && (!path || strcmp(path, paths[which]) != 0))
        which++;
    *notfound = which == 4;
    *len = 0;
    if (which == 4) {
        fail(MXD_ERR_NOTFOUND, why, whylen, path ? path : "(null)", NULL);
        return NULL;
    }
    json_t *o = json_object();
    if (!o || json_object_set_new(o, "generated_at", jtime(now))) {
        json_decref(o);
        fail(MXD_ERR_NOMEM, why, whylen, paths[which], NULL);
        return NULL;
    }
    mxd_err e = MXD_OK;
    jlist l = {json_array(), 0};
    jlist l2 = {json_array(), 0};
    if (!l.a || !l2.a)
        e = MXD_ERR_NOMEM;
    long long hnow = now - now % HOUR, hsince = hnow - (WATCH_RENDER_PLOT_HOURS - 1) * HOUR;
    switch (which) {
    case 0: /* status: every current check, the open alerts */
        e = api_list(o, "checks", &l, e ? e : mxd_store_watch_each(s, j_check, &l));
        e = api_list(o, "alerts", &l2, e ? e : mxd_store_alerts(s, 1, 0, 0, j_alert, &l2));
        if (!e && st)
            json_object_set_new(o, "stats", j_stats(st));
        break;
    case 1: /* alerts: open, and closed in the last days */
        json_object_set_new(o, "since", jtime(now - WATCH_API_ALERT_DAYS * DAY));
        e = api_list(o, "alerts", &l,
                     e ? e
                       : mxd_store_alerts(s, 0, now - WATCH_API_ALERT_DAYS * DAY,
                                          WATCH_API_MAX_ALERTS, j_alert, &l));
        break;
    case 2: /* history: the runs that started in the last days, newest first */
        json_object_set_new(o, "since", jtime(now - WATCH_API_HISTORY_DAYS * DAY));
        e = api_list(o, "history", &l,
                     e ? e
                       : mxd_store_watch_history(s, NULL, now - WATCH_API_HISTORY_DAYS * DAY, 0,
                                                 WATCH_API_MAX_HISTORY, 0, j_span, &l));
        break;
    default: /* traffic: the hours of the last 7 days, and their totals per provider */
        json_object_set_new(o, "since", jtime(hsince));
        e = api_list(o, "hours", &l,
                     e ? e : mxd_store_traffic(s, hsince, hnow + HOUR, 0, j_traffic, &l));
        e = api_list(o, "totals", &l2,
                     e ? e : mxd_store_traffic(s, hsince, hnow + HOUR, 1, j_traffic, &l2));
        break;
    }
    json_decref(l.a);
    json_decref(l2.a);
    char *text = NULL;
    if (!e && !(text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)))
        e = MXD_ERR_NOMEM;
    json_decref(o);
    if (e) {
        fail(e, why, whylen, paths[which], s);
        return NULL;
    }
    *len = strlen(text);
    return text;
}
