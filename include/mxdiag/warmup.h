/* warmup.h - warming up a new sending IP: a plan per provider group, and the log against it
 * SPDX-License-Identifier: MIT
 *
 * A plan ramps each provider group (Microsoft, Gmail, Yahoo/AOL, Apple, others) from a small
 * first day to its share of the target daily volume over 14 to 42 days, never more than
 * doubling from one day to the next, and says which recipients to mail first (the engaged
 * ones). The plan is a pure function of (target, start, days, shares): `warmup plan --db`
 * stores only those, and `warmup status` recomputes it.
 *
 * A status counts the mail log's outcomes (mxd_log_event, as `mxdiag log` reads them) per
 * provider group and UTC day, and says per group for the last day in the log whether to hold,
 * slow down or advance, and why. The practice and its sources: data/warmup.md.
 */
#ifndef MXDIAG_WARMUP_H
#define MXDIAG_WARMUP_H

#include <stddef.h>
#include "mxdiag/export.h"
#include "mxdiag/error.h"
#include "mxdiag/log.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MXD_WARMUP_DAYS_MIN     14
#define MXD_WARMUP_DAYS_MAX     42
#define MXD_WARMUP_DAYS_DEFAULT 28
#define MXD_WARMUP_TARGET_MAX   100000000ULL /* messages per day */
#define MXD_WARMUP_STATUS_DAYS  400          /* distinct log days a status keeps */

/* Thresholds of the status verdicts, on the last day's attempts to a group. */
#define MXD_WARMUP_BLOCK_RATE   0.01 /* blocks (5.7.708, S3150, 554 5.7.1 ...): slow down */
#define MXD_WARMUP_DEFER_RATE   0.02 /* reputation or rate deferrals (4.7.28, TSS04): hold */
#define MXD_WARMUP_UNKNOWN_RATE 0.05 /* unknown recipients: hold and clean the list */
#define MXD_WARMUP_USED_MIN     0.5  /* below this share of the plan's volume sent: hold */
#define MXD_WARMUP_MIN_SAMPLE   20   /* fewer attempts than this: no verdict but "advance" */

typedef enum mxd_warmup_group {
    MXD_WG_MICROSOFT = 0,
    MXD_WG_GMAIL,
    MXD_WG_YAHOO,
    MXD_WG_APPLE,
    MXD_WG_OTHER,
    MXD_WG_N
} mxd_warmup_group;

/* mxd_warmup_group_id - "microsoft" "gmail" "yahoo" "apple" "other"; _name - "Microsoft",
 * "Gmail", "Yahoo/AOL", "Apple", "others". */
MXD_API const char *mxd_warmup_group_id(mxd_warmup_group g);
MXD_API const char *mxd_warmup_group_name(mxd_warmup_group g);

/* mxd_warmup_group_of - the group of a knowledge-base provider id (google -> Gmail,
 * outlookcom and microsoft365 -> Microsoft ...); NULL or unknown: MXD_WG_OTHER. */
MXD_API mxd_warmup_group mxd_warmup_group_of(const char *provider);

typedef struct mxd_warmup_plan {
    char ip[46];
    char start[11]; /* "YYYY-MM-DD": day 1 */
    unsigned days;
    unsigned long long target;         /* all groups, per day */
    unsigned share[MXD_WG_N];          /* percent of the target, summing to 100 */
    unsigned long long goal[MXD_WG_N]; /* each group's share of the target */
    unsigned long long *volume;        /* volume[day * MXD_WG_N + group], day 0 .. days-1 */
    int reached[MXD_WG_N];             /* first day (0-based) at its goal; -1: not reached */
} mxd_warmup_plan;

/* mxd_warmup_plan_make - the plan for ip (an IP address), target messages a day, from start
 * ("YYYY-MM-DD") over days (MXD_WARMUP_DAYS_MIN..MAX; 0: the default). share (may be NULL:
 * 40 Gmail, 25 Microsoft, 15 Yahoo/AOL, 10 Apple, 10 others) gives each group's percent.
 * On success *out is freed by the caller with mxd_warmup_plan_free(). MXD_ERR_INVALID with
 * why for a bad argument, MXD_ERR_NOMEM. */
MXD_API mxd_err mxd_warmup_plan_make(const char *ip, unsigned long long target, const char *start,
                                     unsigned days, const unsigned *share, mxd_warmup_plan **out,
                                     char *why, size_t whylen);
MXD_API void mxd_warmup_plan_free(mxd_warmup_plan *p);

/* mxd_warmup_day_total - all groups on day (0-based). */
MXD_API unsigned long long mxd_warmup_day_total(const mxd_warmup_plan *p, unsigned day);

/* mxd_warmup_audience - who to mail on day (0-based): the engaged first. Static text. */
MXD_API const char *mxd_warmup_audience(const mxd_warmup_plan *p, unsigned day);

/* mxd_warmup_date - the date of day (0-based) into out (11 bytes). */
MXD_API void mxd_warmup_date(const mxd_warmup_plan *p, unsigned day, char *out);

/* The plan as JSON, as CSV (a header line, one line per day), and the Postfix settings that
 * enforce it (master.cf transports, main.cf rate delays and concurrency, transport_maps
 * lines). Each is freed by the caller with free(); NULL when out of memory. */
MXD_API char *mxd_warmup_plan_json(const mxd_warmup_plan *p, int pretty);
MXD_API char *mxd_warmup_plan_csv(const mxd_warmup_plan *p);
MXD_API char *mxd_warmup_postfix(const mxd_warmup_plan *p);

/* ---- status ----------------------------------------------------------------------------- */

typedef struct mxd_warmup_counts {
    unsigned long long sent, deferred, bounced;
    unsigned long long throttled; /* deferrals for reputation or rate (4.7.28, TSS04 ...) */
    unsigned long long blocked;   /* refusals of the IP, tenant or content (5.7.708, S3150) */
    unsigned long long unknown;   /* unknown recipients (5.1.1) */
    char top_status[16];          /* the most frequent status among throttled and blocked */
    unsigned long long top_count;
} mxd_warmup_counts;

typedef struct mxd_warmup_status mxd_warmup_status;

/* mxd_warmup_status_new - a status of plan p (which must outlive it). Free with
 * mxd_warmup_status_free(). */
MXD_API mxd_err mxd_warmup_status_new(const mxd_warmup_plan *p, mxd_warmup_status **out);
MXD_API void mxd_warmup_status_free(mxd_warmup_status *s);

/* mxd_warmup_status_add - count one outcome (outbound: sent, deferred, bounced, expired;
 * inbound rejections are ignored). Events naming the plan's IP as client or relay are also
 * counted apart: when the log names it at all, only those are used. MXD_ERR_NOMEM. */
MXD_API mxd_err mxd_warmup_status_add(mxd_warmup_status *s, const mxd_log_event *ev);

typedef enum mxd_warmup_action {
    MXD_WARMUP_NONE = 0, /* no mail to this group in the log */
    MXD_WARMUP_ADVANCE,
    MXD_WARMUP_HOLD,
    MXD_WARMUP_SLOW_DOWN
} mxd_warmup_action;

/* mxd_warmup_action_name - "none" "advance" "hold" "slow down". */
MXD_API const char *mxd_warmup_action_name(mxd_warmup_action a);

typedef struct mxd_warmup_verdict {
    mxd_warmup_group group;
    mxd_warmup_action action;
    unsigned long long volume; /* per day: what to hold at, slow down to, advance to */
    char reason[256];          /* "Gmail 4.7.28 on 3% of yesterday's mail: hold at 4,000/day" */
} mxd_warmup_verdict;

/* One day of the log for a group, with the plan's volume for it (0 outside the plan). */
typedef struct mxd_warmup_day {
    char date[11];
    int plan_day; /* 0-based; -1 before the plan, >= days after it */
    mxd_warmup_group group;
    unsigned long long planned;
    const mxd_warmup_counts *c;
} mxd_warmup_day;

typedef int (*mxd_warmup_day_cb)(void *arg, const mxd_warmup_day *d);

/* mxd_warmup_status_days - the days counted, oldest first, each group with mail. */
MXD_API mxd_err mxd_warmup_status_days(const mxd_warmup_status *s, mxd_warmup_day_cb cb, void *arg);

/* mxd_warmup_status_verdicts - for the last day in the log ("yesterday"), one verdict per
 * group into v[MXD_WG_N]; *last gets that day ("" when the log had no mail) and *by_ip 1 when
 * only the lines naming the IP were counted. */
MXD_API void mxd_warmup_status_verdicts(const mxd_warmup_status *s, mxd_warmup_verdict *v,
                                        char last[11], int *by_ip);

#ifdef __cplusplus
}
#endif
#endif
