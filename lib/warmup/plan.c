/* plan.c - a warm-up plan: per provider group, a daily ramp to its share of the target
 * SPDX-License-Identifier: MIT
 *
 * Each group starts small (Microsoft lowest: its filters punish a new IP's burst hardest, see
 * data/warmup.md) and grows by a constant factor r = (goal / first) ^ (1 / (days - 1)), so its
 * goal is reached on the last day. r is capped at 2: a group whose goal needs more than
 * doubling stays below it at the end (reached -1; the caller says to give more days). Volumes
 * are rounded up to two significant digits, then held to prev <= v <= 2 * prev. Dates use the
 * civil-calendar helpers of lib/feed (feed_internal.h).
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "mxdiag/warmup.h"
#include "feed/feed_internal.h"
#include "util/buf.h"
#include "util/str.h"

#define PLAN_OUT_MAX (1u << 20) /* bytes of a CSV or Postfix text */

static const struct {
    const char *id, *name;
    unsigned share;             /* default percent of the target */
    unsigned long long first;   /* day 1 volume (at most the goal) */
    unsigned concurrency;       /* _destination_concurrency_limit */
    const char *const *domains; /* transport_maps lines; NULL: the default transport */
} groups[MXD_WG_N] = {
    [MXD_WG_MICROSOFT] = {"microsoft", "Microsoft", 25, 50, 2,
                          (const char *const[]){"outlook.com", "hotmail.com", "live.com", "msn.com",
                                                "hotmail.co.uk", "hotmail.fr", "hotmail.de",
                                                "hotmail.it", "live.co.uk", "outlook.fr",
                                                "outlook.de", NULL}},
    [MXD_WG_GMAIL] = {"gmail", "Gmail", 40, 100, 3,
                      (const char *const[]){"gmail.com", "googlemail.com", NULL}},
    [MXD_WG_YAHOO] = {"yahoo", "Yahoo/AOL", 15, 100, 2,
                      (const char *const[]){"yahoo.com", "ymail.com", "rocketmail.com", "aol.com",
                                            "aim.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de",
                                            "yahoo.co.jp", NULL}},
    [MXD_WG_APPLE] = {"apple", "Apple", 10, 100, 2,
                      (const char *const[]){"icloud.com", "me.com", "mac.com", NULL}},
    [MXD_WG_OTHER] = {"other", "others", 10, 200, 5, NULL},
};

/* Knowledge-base provider ids of each group (data/providers.tsv). */
static const struct {
    const char *provider;
    mxd_warmup_group g;
} provider_groups[] = {
    {"google", MXD_WG_GMAIL},
    {"outlookcom", MXD_WG_MICROSOFT},
    {"microsoft365", MXD_WG_MICROSOFT},
    {"yahoo", MXD_WG_YAHOO},
    {"aol", MXD_WG_YAHOO},
    {"apple", MXD_WG_APPLE},
};

const char *mxd_warmup_group_id(mxd_warmup_group g)
{
    return (unsigned)g < MXD_WG_N ? groups[g].id : "other";
}

const char *mxd_warmup_group_name(mxd_warmup_group g)
{
    return (unsigned)g < MXD_WG_N ? groups[g].name : "others";
}

mxd_warmup_group mxd_warmup_group_of(const char *provider)
{
    for (size_t i = 0; provider && i < sizeof provider_groups / sizeof *provider_groups; i++)
        if (!strcmp(provider, provider_groups[i].provider))
            return provider_groups[i].g;
    return MXD_WG_OTHER;
}

/* nice - v rounded up to two significant digits (up: a day is never below the exact ramp,
 * so the rounding cannot keep the last day from the goal). */
static unsigned long long nice(double v)
{
    double m = 1;
    while (v / m >= 100)
        m *= 10;
    return (unsigned long long)(ceil(v / m - 1e-9) * m);
}

void mxd_warmup_plan_free(mxd_warmup_plan *p)
{
    if (!p)
        return;
    free(p->volume);
    free(p);
}

mxd_err mxd_warmup_plan_make(const char *ip, unsigned long long target, const char *start,
                             unsigned days, const unsigned *share, mxd_warmup_plan **out, char *why,
                             size_t whylen)
{
    *out = NULL;
    char norm[46];
    if (!ip || feed_ip(ip, norm))
        return str_why(MXD_ERR_INVALID, why, whylen, "'%s' is not an IP address", ip ? ip : "");
    if (!start || !feed_valid_day(start))
        return str_why(MXD_ERR_INVALID, why, whylen, "'%s' is not a date (YYYY-MM-DD)",
                       start ? start : "");
    if (!days)
        days = MXD_WARMUP_DAYS_DEFAULT;
    if (days < MXD_WARMUP_DAYS_MIN || days > MXD_WARMUP_DAYS_MAX)
        return str_why(MXD_ERR_INVALID, why, whylen, "--days must be %d to %d, not %u",
                       MXD_WARMUP_DAYS_MIN, MXD_WARMUP_DAYS_MAX, days);
    if (target < 100 || target > MXD_WARMUP_TARGET_MAX)
        return str_why(MXD_ERR_INVALID, why, whylen,
                       "the target must be 100 to %llu messages a day, not %llu",
                       MXD_WARMUP_TARGET_MAX, target);
    unsigned sh[MXD_WG_N], sum = 0;
    for (int g = 0; g < MXD_WG_N; g++) {
        sh[g] = share ? share[g] : groups[g].share;
        if (sh[g] > 100) /* checked one by one: the sum could wrap around to 100 */
            return str_why(MXD_ERR_INVALID, why, whylen, "a provider share of %u%%", sh[g]);
        sum += sh[g];
    }
    if (sum != 100)
        return str_why(MXD_ERR_INVALID, why, whylen,
                       "the provider shares add up to %u%%, not 100%%", sum);
    mxd_warmup_plan *p = calloc(1, sizeof *p);
    if (!p || !(p->volume = calloc((size_t)days * MXD_WG_N, sizeof *p->volume))) {
        free(p);
        return MXD_ERR_NOMEM;
    }
    snprintf(p->ip, sizeof p->ip, "%s", norm);
    snprintf(p->start, sizeof p->start, "%s", start);
    p->days = days;
    p->target = target;
    for (int g = 0; g < MXD_WG_N; g++) {
        p->share[g] = sh[g];
        unsigned long long goal = target * sh[g] / 100;
        p->goal[g] = goal;
        p->reached[g] = -1;
        if (!goal) {
            p->reached[g] = 0;
            continue;
        }
        unsigned long long first = groups[g].first < goal ? groups[g].first : goal;
        double r = pow((double)goal / (double)first, 1.0 / (days - 1));
        if (r > 2)
            r = 2;
        unsigned long long prev = 0;
        for (unsigned d = 0; d < days; d++) {
            unsigned long long v = d == 0 ? first : nice((double)first * pow(r, d));
            if (d == days - 1 || v > goal)
                v = v > goal || r < 2 ? goal : v;
            if (d && v > 2 * prev)
                v = 2 * prev;
            if (v < prev)
                v = prev;
            if (v > goal)
                v = goal;
            p->volume[(size_t)d * MXD_WG_N + g] = v;
            if (v == goal && p->reached[g] < 0)
                p->reached[g] = (int)d;
            prev = v;
        }
    }
    *out = p;
    return MXD_OK;
}

unsigned long long mxd_warmup_day_total(const mxd_warmup_plan *p, unsigned day)
{
    unsigned long long t = 0;
    for (int g = 0; day < p->days && g < MXD_WG_N; g++)
        t += p->volume[(size_t)day * MXD_WG_N + g];
    return t;
}

const char *mxd_warmup_audience(const mxd_warmup_plan *p, unsigned day)
{
    if (day * 3 < p->days)
        return "engaged in the last 30 days";
    if (day * 3 < p->days * 2)
        return "engaged in the last 90 days";
    return "engaged in the last 180 days, then the rest";
}

void mxd_warmup_date(const mxd_warmup_plan *p, unsigned day, char *out)
{
    long long t;
    if (feed_time(p->start, &t)) {
        out[0] = 0;
        return;
    }
    feed_day(t + (long long)day * 86400, out);
}

char *mxd_warmup_plan_json(const mxd_warmup_plan *p, int pretty)
{
    json_t *o = json_object(), *gs = json_object(), *days = json_array();
    json_object_set_new(o, "ip", json_string(p->ip));
    json_object_set_new(o, "start", json_string(p->start));
    json_object_set_new(o, "days", json_integer(p->days));
    json_object_set_new(o, "target", json_integer((json_int_t)p->target));
    for (int g = 0; g < MXD_WG_N; g++) {
        char reached[11] = "";
        if (p->reached[g] >= 0)
            mxd_warmup_date(p, (unsigned)p->reached[g], reached);
        json_object_set_new(gs, groups[g].id,
                            json_pack("{s:s, s:i, s:I, s:s?}", "name", groups[g].name, "share",
                                      (int)p->share[g], "goal", (json_int_t)p->goal[g], "reached",
                                      reached[0] ? reached : NULL));
    }
    json_object_set_new(o, "groups", gs);
    json_object_set_new(o, "order", json_string("engaged recipients first"));
    for (unsigned d = 0; d < p->days; d++) {
        char date[11];
        mxd_warmup_date(p, d, date);
        json_t *x =
            json_pack("{s:i, s:s, s:s, s:I}", "day", (int)d + 1, "date", date, "audience",
                      mxd_warmup_audience(p, d), "total", (json_int_t)mxd_warmup_day_total(p, d));
        json_t *v = json_object();
        for (int g = 0; g < MXD_WG_N; g++)
            json_object_set_new(v, groups[g].id,
                                json_integer((json_int_t)p->volume[(size_t)d * MXD_WG_N + g]));
        json_object_set_new(x, "volume", v);
        json_array_append_new(days, x);
    }
    json_object_set_new(o, "plan", days);
    char *s = json_dumps(o, (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}

char *mxd_warmup_plan_csv(const mxd_warmup_plan *p)
{
    buf b;
    buf_init(&b, PLAN_OUT_MAX);
    mxd_err e = buf_adds(&b, "day,date");
    for (int g = 0; !e && g < MXD_WG_N; g++)
        e = buf_printf(&b, ",%s", groups[g].id);
    if (!e)
        e = buf_adds(&b, ",total,audience\n");
    for (unsigned d = 0; !e && d < p->days; d++) {
        char date[11];
        mxd_warmup_date(p, d, date);
        e = buf_printf(&b, "%u,%s", d + 1, date);
        for (int g = 0; !e && g < MXD_WG_N; g++)
            e = buf_printf(&b, ",%llu", p->volume[(size_t)d * MXD_WG_N + g]);
        if (!e)
            e = buf_printf(&b, ",%llu,\"%s\"\n", mxd_warmup_day_total(p, d),
                           mxd_warmup_audience(p, d));
    }
    return e ? NULL : buf_steal(&b);
}

/* delay - seconds between deliveries to one destination for v messages a day; 0 above
 * 86,400 a day, where the smallest delay (1s) would be a lower ceiling than the plan's: the
 * delay is then taken off and the concurrency limit applies. */
static unsigned long long delay(unsigned long long v)
{
    if (!v)
        return 86400;
    return 86400 / v;
}

char *mxd_warmup_postfix(const mxd_warmup_plan *p)
{
    buf b;
    buf_init(&b, PLAN_OUT_MAX);
    int v6 = strchr(p->ip, ':') != NULL;
    mxd_err e =
        buf_printf(&b, "# --- master.cf: one transport per provider, all sending from %s\n", p->ip);
    for (int g = 0; !e && g < MXD_WG_N; g++) {
        if (!groups[g].domains || !p->goal[g])
            continue;
        e = buf_printf(&b,
                       "warm-%-9s unix  -       -       n       -       -       smtp\n"
                       "  -o smtp_bind_address%s=%s\n",
                       groups[g].id, v6 ? "6" : "", p->ip);
    }
    if (!e)
        e = buf_adds(
            &b,
            "\n# --- main.cf: the rate delay spaces the deliveries to one destination (domain):\n"
            "# 86400 s / the day's volume lets at most that many through a day, one at a\n"
            "# time (no concurrency while a delay is set; the concurrency limit applies once\n"
            "# the delay is removed after the warm-up). A delivery carries a message's\n"
            "# recipients at that domain: keep _destination_recipient_limit above 1, or the\n"
            "# destination becomes each recipient. Lower the delay as the plan advances.\n"
            "transport_maps = hash:/etc/postfix/transport\n");
    for (int g = 0; !e && g < MXD_WG_N; g++) {
        if (!groups[g].domains || !p->goal[g])
            continue;
        e = buf_printf(&b,
                       "warm-%s_destination_rate_delay = %llus\n"
                       "warm-%s_destination_concurrency_limit = %u\n",
                       groups[g].id, delay(p->volume[g]), groups[g].id, groups[g].concurrency);
        if (!e)
            e = buf_printf(&b, "#   %s, day 1: %llu/day", groups[g].name, p->volume[g]);
        for (unsigned d = 7; !e && d < p->days; d += 7)
            e = buf_printf(&b, "; day %u: %llus%s", d + 1,
                           delay(p->volume[(size_t)d * MXD_WG_N + g]),
                           delay(p->volume[(size_t)d * MXD_WG_N + g]) ? "" : " (delay off)");
        if (!e)
            e = buf_adds(&b, "\n");
    }
    if (!e)
        e = buf_adds(&b, "\n# --- /etc/postfix/transport (then: postmap /etc/postfix/transport;"
                         " postfix reload)\n");
    for (int g = 0; !e && g < MXD_WG_N; g++)
        for (size_t i = 0; !e && p->goal[g] && groups[g].domains && groups[g].domains[i]; i++)
            e = buf_printf(&b, "%-16s warm-%s:\n", groups[g].domains[i], groups[g].id);
    if (!e)
        e = buf_printf(&b,
                       "# others go through the default transport: give it\n"
                       "#   smtp_bind_address%s = %s and default_destination_rate_delay = %llus\n"
                       "# Google Workspace and Microsoft 365 domains are found by their MX, not\n"
                       "# by name: transport_maps cannot route them; they count as others here.\n",
                       v6 ? "6" : "", p->ip, delay(p->volume[MXD_WG_OTHER]));
    return e ? NULL : buf_steal(&b);
}
