/* watch_fill_helper.h - a watch daemon's record for the tests of the HTTP side
 * (unit/test_watch_render, watch_http_serve): a listed IP, a domain, two days of traffic
 * SPDX-License-Identifier: MIT
 */
#ifndef MXD_TEST_WATCH_FILL_HELPER_H
#define MXD_TEST_WATCH_FILL_HELPER_H

#include "mxdiag/store.h"

#define FILL_HOUR 3600LL
#define FILL_DAY  86400LL

/* The detail of the listing: what a hostile TXT record could say. */
#define FILL_HOSTILE "<script>alert(1)</script>"

static inline mxd_err fill_record(mxd_store *s, const char *key, const char *kind,
                                  const char *subject, const char *item, mxd_watch_state st,
                                  const char *value, const char *detail, long long at)
{
    mxd_watch_check c = {.key = key,
                         .kind = kind,
                         .subject = subject,
                         .item = item,
                         .state = st,
                         .value = value,
                         .detail = detail};
    return mxd_store_watch_record(s, &c, at, NULL);
}

static inline mxd_err fill_alert(mxd_store *s, const char *key, const char *kind,
                                 const char *subject, const char *item, const char *severity,
                                 const char *title, const char *detail, long long at, long long *id)
{
    mxd_watch_alert a = {.key = key,
                         .kind = kind,
                         .subject = subject,
                         .item = item,
                         .severity = severity,
                         .title = title,
                         .detail = detail};
    return mxd_store_alert_open(s, &a, at, id);
}

/* watch_fill - at time now: 192.0.2.1 listed on spamcop (since 3 hours, with a hostile TXT
 * detail) and its critical alert, sbl ok, barracuda unknown, PTR ok; example.org with SPF ok,
 * DMARC a problem (a detail with a bad UTF-8 byte), DKIM s1 unknown, one check of a kind no
 * column knows (an item with a quote, a backslash and a newline); a DMARC alert opened 30 h
 * and closed 20 h ago; gmail and microsoft traffic every hour of the last 48. 8 checks,
 * 9 history runs, 96 traffic rows. */
static inline mxd_err watch_fill(mxd_store *s, long long now)
{
    long long t = now - 2 * FILL_DAY, id = 0, H = FILL_HOUR;
    mxd_err e;
#define FILL(x)                                                                                    \
    do {                                                                                           \
        if ((e = (x)))                                                                             \
            return e;                                                                              \
    } while (0)
    FILL(fill_record(s, "dnsbl/192.0.2.1/spamcop", "dnsbl", "192.0.2.1", "spamcop", MXD_WATCH_OK,
                     "not listed", "", t));
    FILL(fill_record(s, "dnsbl/192.0.2.1/spamcop", "dnsbl", "192.0.2.1", "spamcop",
                     MXD_WATCH_PROBLEM, "listed 127.0.0.2",
                     "TXT: " FILL_HOSTILE " see https://www.spamcop.net/", now - 3 * H));
    FILL(fill_record(s, "dnsbl/192.0.2.1/sbl", "dnsbl", "192.0.2.1", "sbl", MXD_WATCH_OK,
                     "not listed", "", now - H));
    FILL(fill_record(s, "dnsbl/192.0.2.1/barracuda", "dnsbl", "192.0.2.1", "barracuda",
                     MXD_WATCH_UNKNOWN, "timeout", "no answer in 5 s", now - H));
    FILL(fill_record(s, "ptr/192.0.2.1", "ptr", "192.0.2.1", NULL, MXD_WATCH_OK, "mail.example.org",
                     "forward-confirmed", now - H));
    FILL(fill_record(s, "spf/example.org", "spf", "example.org", NULL, MXD_WATCH_OK, "7 lookups",
                     "v=spf1 ip4:192.0.2.1 -all", now - H));
    FILL(fill_record(s, "dmarc/example.org", "dmarc", "example.org", NULL, MXD_WATCH_PROBLEM,
                     "p=none", "bad \xff byte in the record", now - H));
    FILL(fill_record(s, "dkim/example.org/s1", "dkim", "example.org", "s1", MXD_WATCH_UNKNOWN,
                     "servfail", "SERVFAIL from 192.0.2.53", now - H));
    /* an odd item, first a problem, then fine: two runs, so the timeline shows the change */
    FILL(fill_record(s, "other/example.org/q", "odd", "example.org", "a\"b\\c\nd",
                     MXD_WATCH_PROBLEM, "bad", "", now - 2 * H));
    FILL(fill_record(s, "other/example.org/q", "odd", "example.org", "a\"b\\c\nd", MXD_WATCH_OK,
                     "fine", "", now - H));

    FILL(fill_alert(s, "dnsbl/192.0.2.1/spamcop", "listed", "192.0.2.1", "spamcop", "critical",
                    "192.0.2.1 is listed on spamcop", "TXT: " FILL_HOSTILE, now - 3 * H, &id));
    FILL(fill_alert(s, "dmarc/example.org", "dmarc", "example.org", NULL, "warning",
                    "DMARC weakened on example.org", "p=reject to p=none", now - 30 * H, &id));
    FILL(mxd_store_alert_close(s, id, now - 20 * H));

    long long h0 = now - now % H - 47 * H;
    for (long long h = h0; h <= now; h += H) {
        unsigned long long k = (unsigned long long)((h - h0) / H);
        FILL(mxd_store_traffic_add(s, h, "gmail", "sent", 100 + k));
        FILL(mxd_store_traffic_add(s, h, "gmail", "deferred", k % 7));
        FILL(mxd_store_traffic_add(s, h, "gmail", "bounced", k % 3));
        FILL(mxd_store_traffic_add(s, h, "microsoft", "sent", 40));
        FILL(mxd_store_traffic_add(s, h, "microsoft", "bounced", k % 5 ? 0 : 9));
    }
    FILL(mxd_store_traffic_add(s, h0, "microsoft", "rejected", 2));
#undef FILL
    return MXD_OK;
}

#endif
