/* test_watch.c - the watch's record in the store, its alert rules and its configuration
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>
#include "mxdiag/store.h"
#include "mxdiag/watch.h"
#include "store/store_internal.h"
#include "watch/watch_internal.h"
#include "tmpdir_helper.h"
#include "store_target.h"

#define T0 1700000000LL

static int setup(void **state)
{
    (void)state;
    return tmpdir_make("watch");
}

static int teardown(void **state)
{
    (void)state;
    return tmpdir_remove();
}

static mxd_store *open_db(const char *name)
{
    char p[1024];
    test_db(tmpdir, name, p, sizeof p);
    mxd_store *s = NULL;
    char why[512];
    mxd_err e = mxd_store_open(p, 0, &s, why, sizeof why);
    if (e)
        fprintf(stderr, "open %s: %s\n", p, why);
    assert_int_equal(e, MXD_OK);
    return s;
}

static long long count(mxd_store *s, const char *sql)
{
    store_stmt *st;
    assert_int_equal(store_prepare(s, sql, &st), MXD_OK);
    assert_int_equal(store_step(st), SQLITE_ROW);
    long long n = store_col_int64(st, 0);
    store_release(s, st);
    return n;
}

static mxd_watch_check chk(const char *key, mxd_watch_state st, const char *value)
{
    mxd_watch_check c = {0};
    c.key = key;
    c.kind = "dnsbl";
    c.subject = "192.0.2.1";
    c.item = "spamcop";
    c.state = st;
    c.value = value;
    c.detail = value;
    return c;
}

static int span_count(void *arg, const mxd_watch_span *r)
{
    (void)r;
    (*(size_t *)arg)++;
    return 0;
}

/* Equal results extend one run; a change starts a new one; UNKNOWN keeps the known value. */
static void test_runs(void **state)
{
    (void)state;
    mxd_store *s = open_db("runs");
    assert_int_equal(mxd_store_schema_version(s), MXD_STORE_SCHEMA_VERSION);
    mxd_watch_prev p;
    mxd_watch_check c = chk("dnsbl/192.0.2.1/spamcop", MXD_WATCH_OK, "clean");
    assert_int_equal(mxd_store_watch_record(s, &c, T0, &p), MXD_OK);
    assert_int_equal(p.found, 0);
    for (int i = 1; i <= 96; i++) /* a day every 15 minutes */
        assert_int_equal(mxd_store_watch_record(s, &c, T0 + i * 900, &p), MXD_OK);
    assert_int_equal(p.found, 1);
    assert_int_equal(p.state, MXD_WATCH_OK);
    assert_int_equal(count(s, "SELECT count(*) FROM watch_history"), 1);
    assert_int_equal(count(s, "SELECT runs FROM watch_history"), 97);
    assert_int_equal(count(s, "SELECT last_at FROM watch_history"), T0 + 96 * 900);

    mxd_watch_check u = chk("dnsbl/192.0.2.1/spamcop", MXD_WATCH_UNKNOWN, "unknown");
    assert_int_equal(mxd_store_watch_record(s, &u, T0 + 97 * 900, &p), MXD_OK);
    assert_int_equal(p.failures, 1);
    assert_int_equal(mxd_store_watch_record(s, &u, T0 + 98 * 900, &p), MXD_OK);
    assert_int_equal(p.failures, 2);
    assert_int_equal(p.known_state, MXD_WATCH_OK);
    assert_string_equal(p.known_value, "clean");

    mxd_watch_check l = chk("dnsbl/192.0.2.1/spamcop", MXD_WATCH_PROBLEM, "listed 127.0.0.2");
    assert_int_equal(mxd_store_watch_record(s, &l, T0 + 99 * 900, &p), MXD_OK);
    assert_int_equal(p.failures, 0);
    assert_int_equal(p.state, MXD_WATCH_UNKNOWN);
    assert_string_equal(p.known_value, "clean");
    assert_int_equal(count(s, "SELECT count(*) FROM watch_history"), 3);
    assert_int_equal(count(s, "SELECT known_state FROM watch_checks"), MXD_WATCH_PROBLEM);
    assert_int_equal(count(s, "SELECT since FROM watch_checks"), T0 + 99 * 900);

    /* the timeline: every run, or only the changes (the first run, OK, is none) */
    size_t n_all = 0, n_changes = 0;
    assert_int_equal(mxd_store_watch_history(s, NULL, 0, 0, 0, 0, span_count, &n_all), MXD_OK);
    assert_int_equal(
        mxd_store_watch_history(s, NULL, 0, 0, 0, MXD_WATCH_CHANGES, span_count, &n_changes),
        MXD_OK);
    assert_int_equal(n_all, 3);
    assert_int_equal(n_changes, 2);

    /* forget what is no longer configured */
    mxd_watch_check other = chk("ptr/192.0.2.1", MXD_WATCH_OK, "PTR x");
    other.kind = "ptr";
    other.item = NULL;
    assert_int_equal(mxd_store_watch_record(s, &other, T0, NULL), MXD_OK);
    const char *keep[] = {"ptr/192.0.2.1"};
    size_t dropped = 0;
    assert_int_equal(mxd_store_watch_forget(s, keep, 1, &dropped), MXD_OK);
    assert_int_equal(dropped, 1);
    assert_int_equal(count(s, "SELECT count(*) FROM watch_checks"), 1);

    /* prune keeps each key's last run */
    assert_int_equal(mxd_store_watch_prune(s, T0 + 1000 * 900), MXD_OK);
    assert_int_equal(count(s, "SELECT count(*) FROM watch_history"), 2);
    mxd_store_close(s);
}

/* At most one open alert per key; notices pending per channel until done. */
static void test_alerts_notices(void **state)
{
    (void)state;
    mxd_store *s = open_db("alerts");
    mxd_watch_alert a = {0};
    a.key = "dnsbl/192.0.2.1/spamcop";
    a.kind = "listed";
    a.severity = "critical";
    a.title = "listed";
    long long id = 0, id2 = 0, open_id = 0;
    assert_int_equal(mxd_store_alert_open(s, &a, T0, &id), MXD_OK);
    assert_true(id > 0);
    assert_int_equal(mxd_store_alert_open(s, &a, T0 + 1, &id2), MXD_ERR_INVALID);
    assert_int_equal(mxd_store_alert_open_id(s, a.key, &open_id), MXD_OK);
    assert_int_equal(open_id, id);
    assert_int_equal(mxd_store_notice_add(s, id, "open", "{}", 3, T0), MXD_OK);
    assert_int_equal(count(s, "SELECT count(*) FROM watch_notices WHERE pending = 3"), 1);
    long long nid = count(s, "SELECT id FROM watch_notices");
    assert_int_equal(mxd_store_notice_done(s, nid, 2, T0 + 60, "webhook: HTTP status 500"), MXD_OK);
    assert_int_equal(count(s, "SELECT attempts FROM watch_notices"), 1);
    assert_int_equal(mxd_store_alert_close(s, id, T0 + 100), MXD_OK);
    assert_int_equal(mxd_store_alert_open_id(s, a.key, &open_id), MXD_OK);
    assert_int_equal(open_id, 0);
    /* a new one may open after the close */
    assert_int_equal(mxd_store_alert_open(s, &a, T0 + 200, &id2), MXD_OK);
    assert_true(id2 != id);
    mxd_store_close(s);
}

/* --- alert rules: watch_apply ------------------------------------------------------------ */

static watch_config cfg_default(void)
{
    watch_config c;
    memset(&c, 0, sizeof c);
    c.cannot_after = 2;
    c.repeat = 3600;
    c.channels = WATCH_CH_EXEC;
    return c;
}

static watch_result res(const char *kind, const char *item, mxd_watch_state st, const char *value)
{
    static char key[256];
    watch_result r;
    memset(&r, 0, sizeof r);
    if (item)
        snprintf(key, sizeof key, "%s/example.org/%s", kind, item);
    else
        snprintf(key, sizeof key, "%s/example.org", kind);
    r.key = key;
    r.kind = (char *)kind;
    r.subject = "example.org";
    r.item = (char *)item;
    r.state = st;
    r.value = (char *)value;
    r.detail = (char *)value;
    return r;
}

static long long notices(mxd_store *s, const char *type)
{
    store_stmt *st;
    assert_int_equal(store_prepare(s, "SELECT count(*) FROM watch_notices WHERE type = ?1", &st),
                     MXD_OK);
    store_bind_text(st, 1, type);
    assert_int_equal(store_step(st), SQLITE_ROW);
    long long n = store_col_int64(st, 0);
    store_release(s, st);
    return n;
}

static void test_apply(void **state)
{
    (void)state;
    mxd_store *s = open_db("apply");
    watch_config cfg = cfg_default();
    watch_alerter al = {s, &cfg, 0, 0, 0, 0};
    long long t = T0;

    /* a DKIM key: fine, fine, gone (alert), still gone (nothing new), back (recovery) */
    watch_result ok = res("dkim", "s1", MXD_WATCH_OK, "rsa 2048 bits");
    watch_result gone = res("dkim", "s1", MXD_WATCH_PROBLEM, "absent");
    assert_int_equal(watch_apply(&al, &ok, t++), MXD_OK);
    assert_int_equal(watch_apply(&al, &ok, t++), MXD_OK);
    assert_int_equal(notices(s, "open"), 0);
    assert_int_equal(watch_apply(&al, &gone, t++), MXD_OK);
    assert_int_equal(watch_apply(&al, &gone, t++), MXD_OK);
    assert_int_equal(notices(s, "open"), 1);
    watch_result unk = res("dkim", "s1", MXD_WATCH_UNKNOWN, "unknown");
    assert_int_equal(watch_apply(&al, &unk, t++), MXD_OK); /* an unknown closes nothing */
    assert_int_equal(notices(s, "recovery"), 0);
    assert_int_equal(watch_apply(&al, &ok, t++), MXD_OK);
    assert_int_equal(notices(s, "recovery"), 1);
    assert_int_equal(al.opened, 1);
    assert_int_equal(al.closed, 1);

    /* the key shrinks but stays usable: one "weakened" event, no open alert */
    watch_result small = res("dkim", "s1", MXD_WATCH_OK, "rsa 1024 bits");
    assert_int_equal(watch_apply(&al, &small, t++), MXD_OK);
    assert_int_equal(count(s, "SELECT count(*) FROM watch_alerts WHERE kind = 'weakened' AND "
                              "closed_at != 0"),
                     1);
    assert_int_equal(watch_apply(&al, &small, t++), MXD_OK);
    assert_int_equal(count(s, "SELECT count(*) FROM watch_alerts WHERE kind = 'weakened'"), 1);

    /* DMARC lowered from reject to none: weakened; raised again: nothing */
    watch_result rej = res("dmarc", NULL, MXD_WATCH_OK, "p=reject rua=1");
    watch_result none = res("dmarc", NULL, MXD_WATCH_OK, "p=none rua=1");
    assert_int_equal(watch_apply(&al, &rej, t++), MXD_OK);
    assert_int_equal(watch_apply(&al, &none, t++), MXD_OK);
    assert_int_equal(watch_apply(&al, &rej, t++), MXD_OK);
    assert_int_equal(count(s, "SELECT count(*) FROM watch_alerts WHERE kind = 'weakened'"), 2);

    /* a check that cannot be made: its own alert after cannot_after failures, closed by the
     * next answer */
    watch_result mx_unknown = res("mx", NULL, MXD_WATCH_UNKNOWN, "unknown");
    watch_result mx_ok = res("mx", NULL, MXD_WATCH_OK, "1 host");
    assert_int_equal(watch_apply(&al, &mx_unknown, t++), MXD_OK);
    assert_int_equal(count(s, "SELECT count(*) FROM watch_alerts WHERE kind = 'cannot-check'"), 0);
    assert_int_equal(watch_apply(&al, &mx_unknown, t++), MXD_OK);
    assert_int_equal(watch_apply(&al, &mx_unknown, t++), MXD_OK);
    assert_int_equal(count(s, "SELECT count(*) FROM watch_alerts WHERE kind = 'cannot-check' AND "
                              "closed_at = 0"),
                     1);
    assert_int_equal(watch_apply(&al, &mx_ok, t++), MXD_OK);
    assert_int_equal(count(s, "SELECT count(*) FROM watch_alerts WHERE kind = 'cannot-check' AND "
                              "closed_at = 0"),
                     0);

    /* repeat: an open alert is notified again once repeat has passed */
    assert_int_equal(watch_apply(&al, &gone, t), MXD_OK);
    assert_int_equal(watch_repeat_due(&al, t + 10), MXD_OK);
    assert_int_equal(notices(s, "repeat"), 0);
    assert_int_equal(watch_repeat_due(&al, t + 3600), MXD_OK);
    assert_int_equal(notices(s, "repeat"), 1);
    assert_int_equal(watch_repeat_due(&al, t + 3601), MXD_OK);
    assert_int_equal(notices(s, "repeat"), 1);

    /* log events: at most one per key within repeat */
    assert_int_equal(watch_raise_event(&al, "log/new-block/gmail", "new-block", "gmail", "critical",
                                       "new block at gmail", NULL, t),
                     MXD_OK);
    assert_int_equal(watch_raise_event(&al, "log/new-block/gmail", "new-block", "gmail", "critical",
                                       "new block at gmail", NULL, t + 60),
                     MXD_OK);
    assert_int_equal(count(s, "SELECT count(*) FROM watch_alerts WHERE kind = 'new-block'"), 1);
    assert_int_equal(watch_raise_event(&al, "log/new-block/gmail", "new-block", "gmail", "critical",
                                       "new block at gmail", NULL, t + 3601),
                     MXD_OK);
    assert_int_equal(count(s, "SELECT count(*) FROM watch_alerts WHERE kind = 'new-block'"), 2);
    assert_int_equal(al.events_critical, 2);
    mxd_store_close(s);
}

/* --- configuration ------------------------------------------------------------------------ */

static mxd_err load(const char *text, watch_config **c, char *why, size_t whylen)
{
    char path[512];
    assert_int_equal(tmpdir_file("w.conf", text, path, sizeof path), 0);
    return watch_config_load(path, c, why, whylen);
}

static void test_config(void **state)
{
    (void)state;
    watch_config *c = NULL;
    char why[1024];
    assert_int_equal(load("[general]\n"
                          "dns-servers = 127.0.0.1:5353; [::1]:53\n"
                          "interval-ips = 15m\ninterval-domains = 2h\njitter = 0\n"
                          "[ips]\nwatch = 192.0.2.1; 2001:db8::1;\nlists = spamcop; psbl\n"
                          "budget = 5000; spamcop:20000\n"
                          "spamhaus-key = dqs123\nabusix-key = abx456\n"
                          "[domains]\nwatch = example.org\nselectors = s1; example.org:s2\n"
                          "[alert]\nmailto = a@example.org; b@example.org\nrepeat = 0\n",
                          &c, why, sizeof why),
                     MXD_OK);
    assert_string_equal(c->dns_servers, "127.0.0.1:5353,[::1]:53");
    assert_int_equal(c->ip_interval, 900);
    assert_int_equal(c->domain_interval, 7200);
    assert_int_equal(c->jitter_pct, 0);
    assert_int_equal(c->nips, 2);
    assert_string_equal(c->ips[1], "2001:db8::1");
    assert_string_equal(c->lists, "spamcop,psbl");
    assert_string_equal(c->spamhaus_key, "dqs123");
    assert_string_equal(c->abusix_key, "abx456");
    assert_int_equal(c->nselectors, 2);
    assert_null(c->selectors[0].domain);
    assert_string_equal(c->selectors[1].domain, "example.org");
    assert_string_equal(c->selectors[1].selector, "s2");
    assert_int_equal(c->nmailto, 2);
    assert_int_equal(c->repeat, 0);
    assert_int_equal(c->channels, WATCH_CH_MAIL);
    assert_string_equal(c->listen, WATCH_LISTEN_DEFAULT);
    assert_int_equal(c->budget, 5000);
    assert_int_equal(c->nlist_budgets, 1);
    assert_string_equal(c->list_budgets[0].id, "spamcop");
    assert_int_equal(c->list_budgets[0].budget, 20000);
    watch_config_free(c);

    assert_int_equal(load("[general]\nlisten = none\n", &c, why, sizeof why), MXD_OK);
    assert_null(c->listen);
    watch_config_free(c);

    static const struct {
        const char *text, *why;
    } bad[] = {
        {"[general]\nlisten = 127.0.0.1:99999\n", "listen"},
        {"[general]\nlisten = ::1:9325\n", "listen"},
        {"[general]\njitter = 90\n", "jitter"},
        {"[general]\ninterval-ips = 0\n", "interval-ips"},
        {"[domains]\nwatch = not a domain\n", "not a domain"},
        {"[domains]\nselectors = example.org:\n", "selectors"},
        {"[alert]\nmailto = root\n", "not an address"},
        {"[alert]\nfrom = a@b\\nBcc: x@y\n", NULL},
        {"[logs]\nformat = qmail\n", "format"},
        {"[ips]\nbudget = -5\n", "budget"},
        {"[ips]\nbudget = spamcop:x\n", "budget"},
        {"[ips]\nbudget = :5\n", "budget"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = 0;
        mxd_err e = load(bad[i].text, &c, why, sizeof why);
        if (e == MXD_OK) {
            /* the from line with an escaped newline: GKeyFile turns \n into a newline */
            assert_null(bad[i].why);
            fail_msg("accepted: %s", bad[i].text);
        }
        assert_int_equal(e, MXD_ERR_PARSE);
        assert_null(c);
        if (bad[i].why && !strstr(why, bad[i].why))
            fail_msg("%s: why '%s' lacks '%s'", bad[i].text, why, bad[i].why);
    }

    assert_true(watch_listen_is_loopback("127.0.0.1:9325"));
    assert_true(watch_listen_is_loopback("127.1.2.3:1"));
    assert_true(watch_listen_is_loopback("[::1]:9325"));
    assert_true(watch_listen_is_loopback("localhost:80"));
    assert_false(watch_listen_is_loopback("0.0.0.0:9325"));
    assert_false(watch_listen_is_loopback("[::]:9325"));
    assert_false(watch_listen_is_loopback("192.0.2.1:9325"));
}

/* A check taken out of the configuration is dropped and its alert closed (no notice). */
static void test_forget_unconfigured(void **state)
{
    (void)state;
    char db[512], conf[512], text[1024];
    test_db(tmpdir, "forget", db, sizeof db);
    mxd_store *s;
    char why[512];
    assert_int_equal(mxd_store_open(db, 0, &s, why, sizeof why), MXD_OK);
    mxd_watch_check gone = chk("dnsbl/192.0.2.9/spamcop", MXD_WATCH_PROBLEM, "listed 127.0.0.2");
    gone.subject = "192.0.2.9";
    mxd_watch_check kept = chk("dnsbl/192.0.2.1/spamcop", MXD_WATCH_OK, "clean");
    mxd_watch_check oldlist = chk("dnsbl/192.0.2.1/psbl", MXD_WATCH_OK, "clean");
    oldlist.item = "psbl";
    assert_int_equal(mxd_store_watch_record(s, &gone, T0, NULL), MXD_OK);
    assert_int_equal(mxd_store_watch_record(s, &kept, T0, NULL), MXD_OK);
    assert_int_equal(mxd_store_watch_record(s, &oldlist, T0, NULL), MXD_OK);
    mxd_watch_alert a = {0};
    a.key = gone.key;
    a.kind = "listed";
    a.severity = "critical";
    a.title = "listed";
    long long id;
    assert_int_equal(mxd_store_alert_open(s, &a, T0, &id), MXD_OK);
    mxd_store_close(s);

    snprintf(text, sizeof text,
             "[general]\ndb = %s\nlisten = none\n[ips]\nwatch = 192.0.2.1\nlists = spamcop\n", db);
    assert_int_equal(tmpdir_file("forget.conf", text, conf, sizeof conf), 0);
    mxd_kb *kb;
    assert_int_equal(mxd_kb_open(&kb), MXD_OK);
    mxd_watch *w = NULL;
    assert_int_equal(mxd_watch_new(kb, conf, NULL, &w, why, sizeof why), MXD_OK);
    mxd_watch_free(w);
    mxd_kb_free(kb);

    assert_int_equal(mxd_store_open(db, 0, &s, why, sizeof why), MXD_OK);
    assert_int_equal(count(s, "SELECT count(*) FROM watch_checks"), 1);
    assert_int_equal(count(s, "SELECT count(*) FROM watch_checks WHERE key = "
                              "'dnsbl/192.0.2.1/spamcop'"),
                     1);
    assert_int_equal(count(s, "SELECT count(*) FROM watch_alerts WHERE closed_at = 0"), 0);
    assert_int_equal(count(s, "SELECT count(*) FROM watch_notices"), 0);
    assert_int_equal(count(s, "SELECT count(*) FROM watch_history"), 3); /* history stays */
    mxd_store_close(s);
}

/* A log spanning more hours than one batch's table holds (the first look at an old mail.log):
 * every outcome is counted, once, and a second poll adds nothing. */
static void test_follow_many_hours(void **state)
{
    (void)state;
    char logpath[512], db[512];
    snprintf(logpath, sizeof logpath, "%s/many.log", tmpdir);
    test_db(tmpdir, "follow", db, sizeof db);
    FILE *f = fopen(logpath, "w");
    assert_non_null(f);
    static const char *const relays[] = {"gmail-smtp-in.l.google.com[142.250.27.26]",
                                         "mx.example.com[192.0.2.30]",
                                         "mta5.am0.yahoodns.net[67.195.204.72]"};
    static const char *const status[] = {"sent (250 2.0.0 OK)",
                                         "deferred (host said: 421 4.7.0 try later)"};
    long long t = 1767225600; /* 2026-01-01T00:00:00Z */
    unsigned n = 0;
    for (int h = 0; h < 1500; h++) /* 1,500 hours x 3 relays x 2 outcomes = 9,000 cells */
        for (int r = 0; r < 3; r++)
            for (int o = 0; o < 2; o++) {
                long long at = t + h * 3600LL + r * 60 + o;
                struct tm tm;
                time_t tt = (time_t)at;
                gmtime_r(&tt, &tm);
                char stamp[64];
                strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
                fprintf(f,
                        "%s mx1 postfix/smtp[1004]: %08X: to=<u%u@example.net>, relay=%s:25, "
                        "delay=1, delays=0/0/0/1, dsn=%s, status=%s\n",
                        stamp, 0x10000000u + n, n, relays[r], o ? "4.7.0" : "2.0.0", status[o]);
                n++;
            }
    fclose(f);
    mxd_store *s;
    char why[512];
    assert_int_equal(mxd_store_open(db, 0, &s, why, sizeof why), MXD_OK);
    mxd_kb *kb;
    assert_int_equal(mxd_kb_open(&kb), MXD_OK);
    watch_config cfg = cfg_default();
    char *logs[] = {logpath};
    cfg.logs = logs;
    cfg.nlogs = 1;
    cfg.spike_factor = 3;
    cfg.spike_min = 50;
    cfg.rate_threshold = 0.3;
    cfg.rate_min = 1000000; /* no bounce-rate alerts: this test is about counting */
    cfg.channels = 0;
    watch_alerter al = {s, &cfg, 0, 0, 0, 0};
    watch_follow *fw;
    assert_int_equal(watch_follow_new(kb, &cfg, s, &al, &fw, why, sizeof why), MXD_OK);
    assert_int_equal(watch_follow_poll(fw, T0, why, sizeof why), MXD_OK);
    assert_int_equal(count(s, "SELECT sum(sent) + sum(deferred) FROM traffic_hourly"), n);
    assert_int_equal(count(s, "SELECT count(*) FROM traffic_hourly"), 1500 * 3);
    assert_int_equal(watch_follow_poll(fw, T0 + 10, why, sizeof why), MXD_OK);
    assert_int_equal(count(s, "SELECT sum(sent) + sum(deferred) FROM traffic_hourly"), n);
    watch_follow_free(fw);
    mxd_kb_free(kb);
    mxd_store_close(s);
}

/* The daemons of a fleet raise a log alert once: 6 processes, each with its own connection,
 * raise the same event at once; one alert is stored (SQLite or PostgreSQL). */
static void test_event_once_across_processes(void **state)
{
    (void)state;
    char p[1024];
    test_db(tmpdir, "events", p, sizeof p);
    mxd_store *s = open_db("events"); /* the schema exists before the children start */
    enum { KIDS = 6 };
    pid_t kids[KIDS];
    int go[2];
    assert_int_equal(pipe(go), 0);
    for (int k = 0; k < KIDS; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            mxd_store *c = NULL;
            char why[512], b;
            close(go[1]);
            if (mxd_store_open(p, 0, &c, why, sizeof why))
                _exit(2);
            watch_config cfg = cfg_default();
            watch_alerter al = {c, &cfg, 0, 0, 0, 0};
            if (read(go[0], &b, 1) != 0) /* all start when the parent closes the pipe */
                _exit(3);
            mxd_err e = watch_raise_event(&al, "log/new-block/gmail", "new-block", "gmail",
                                          "critical", "new block at gmail", NULL, T0 + k);
            mxd_store_close(c);
            _exit(e == MXD_OK ? 0 : 1);
        }
    }
    close(go[0]);
    close(go[1]);
    for (int k = 0; k < KIDS; k++) {
        int st = -1;
        assert_int_equal(waitpid(kids[k], &st, 0), kids[k]);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    }
    assert_int_equal(count(s, "SELECT count(*) FROM watch_alerts WHERE kind = 'new-block'"), 1);
    assert_int_equal(count(s, "SELECT count(*) FROM watch_notices"), 1);
    mxd_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs),
        cmocka_unit_test(test_alerts_notices),
        cmocka_unit_test(test_apply),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_forget_unconfigured),
        cmocka_unit_test(test_follow_many_hours),
        cmocka_unit_test(test_event_once_across_processes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
