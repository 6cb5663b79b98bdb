/* cmd_log.c - mxdiag log: read the mail log, the verdict per provider and sender, alerts
 * SPDX-License-Identifier: MIT
 *
 * The inputs are read together in time order (mxd_log_read); the library reassembles messages,
 * classifies every deferral and rejection and keeps the report; this file parses options and
 * prints: a report for a person, one JSON document (--json), or one record per recipient
 * outcome (--events, JSON lines or CSV). With --follow it keeps reading as the logs grow,
 * saving where it is in --state FILE after every batch of lines.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <mxdiag/log.h>
#include "cli.h"

#define TOP_REASONS    3    /* reasons shown per provider */
#define TOP_ROWS       15   /* providers shown in the text report */
#define TOP_SENDERS    8    /* senders shown per key in the text report */
#define STATE_LINE_MAX 4352 /* one line of the --state file */
#define FOLLOW_POLL_MS 1000 /* pause between looks at a quiet log */

enum { OUT_TEXT, OUT_JSON, OUT_JSONL, OUT_CSV };

typedef struct run {
    const cli_global *g;
    int mode, events, follow;
    unsigned long long nevents;
    int write_error;
} run;

static void help(FILE *out)
{
    fprintf(out,
            "usage: mxdiag log [--format auto|postfix|exim|sendmail|journal] [--year YYYY]\n"
            "                  [--since TIME] [--until TIME]\n"
            "                  [--by provider|sender|sender-domain|client|sasl-user]\n"
            "                  [--json | --events [--jsonl | --csv]] [--top N]\n"
            "                  [--spike-factor F] [--spike-window DURATION] [--spike-min N]\n"
            "                  [--rate-threshold R] [--rate-min N]\n"
            "                  [--follow [--state FILE]] FILE... | -\n\n"
            "Read mail logs (Postfix, Exim, Sendmail), reassemble each message by queue ID\n"
            "and classify every deferral, bounce and rejection with the\n"
            "knowledge base: totals, per recipient provider the delivery, deferral and bounce\n"
            "rates with the top reasons and the command to run next, per sender the volume and\n"
            "bounce rate, and alerts.\n\n"
            "FILE is a syslog file (RFC 3164 'Mar  5 10:00:01', RFC 3339 as rsyslog writes it,\n"
            "RFC 5424), a `journalctl -o export` or `-o json` dump, plain or compressed (.gz .xz\n"
            ".bz2, found by content); '-' is standard input. Several files (rotated ones in any\n"
            "order) are read together in time order.\n\n"
            "options:\n"
            "  --format F        which MTA's lines to read (auto: all), or journal input only\n"
            "  --year YYYY       year of the first RFC 3164 line of each file, counted up at New\n"
            "                    Year (default: the year that puts the last line before the\n"
            "                    file's modification time; for '-' the current time)\n"
            "  --since, --until  only lines in [since, until): 2023-03-14, 2023-03-14T10:00,\n"
            "                    2023-03-14T10:00:00+01:00 (no zone: UTC)\n"
            "  --by KEY          only the senders keyed by sender-domain, sender, sasl-user or\n"
            "                    client (IP address), or none (provider); default: all four\n"
            "  --json            the report as one JSON document\n"
            "  --events          one record per recipient outcome: --jsonl (default) or --csv\n"
            "  --top N           reasons per provider in the report (default 3)\n"
            "  --spike-factor F  alert when a sender's hourly volume reaches F times its rolling\n"
            "                    hourly average (default 3) ...\n"
            "  --spike-window D  ... over the last D (default 7d; 12h, 2d ...) ...\n"
            "  --spike-min N     ... and at least N messages (default 50)\n"
            "  --rate-threshold R  alert when a provider bounces or defers at least R (0..1,\n"
            "                    default 0.3) of ...\n"
            "  --rate-min N      ... at least N recipients in an hour (default 20)\n"
            "  --follow          keep reading as the files grow; survives rotation by rename and\n"
            "                    by copy-truncate; prints events and alerts as they happen\n"
            "  --state FILE      with --follow: where to resume after a restart\n"
            "  --poll-ms MS      with --follow: pause between looks at quiet files (1000)\n"
            "  --follow-idle-exit N  with --follow: stop after N quiet looks (scripts, tests)\n"
            "  -h, --help        this help\n\n"
            "Totals are counted as pflogsumm counts them: received (smtpd client= and pickup\n"
            "lines), delivered and bounced (recipient lines), deferred (messages), rejected\n"
            "(smtpd, postscreen and cleanup rejects); expired is ours.\n\n"
            "exit status: 0 read, 64 bad usage, 66 an input is missing or unreadable,\n"
            "74 read or write error\n");
}

static int print_line(run *ru, char *s)
{
    if (!s) {
        ru->write_error = ENOMEM;
        return 1;
    }
    fputs(s, stdout);
    fputc('\n', stdout);
    free(s);
    if (ru->follow)
        fflush(stdout);
    if (ferror(stdout)) {
        ru->write_error = errno ? errno : EIO;
        return 1;
    }
    return 0;
}

static int on_event(void *arg, const mxd_log_event *ev)
{
    run *ru = arg;
    if (!ru->events)
        return 0;
    ru->nevents++;
    if (ru->mode == OUT_CSV) {
        if (ru->nevents == 1 && print_line(ru, mxd_log_event_csv(NULL, 1)))
            return 1;
        return print_line(ru, mxd_log_event_csv(ev, 0));
    }
    return print_line(ru, mxd_log_event_json(ev));
}

/* print_wrapped - pre, s, post as one line (s is freed). */
static int print_wrapped(run *ru, const char *pre, char *s, const char *post)
{
    if (!s)
        return print_line(ru, NULL);
    size_t n = strlen(pre) + strlen(s) + strlen(post) + 1;
    char *w = malloc(n);
    if (w)
        snprintf(w, n, "%s%s%s", pre, s, post);
    free(s);
    return print_line(ru, w);
}

/* print_alert_err - an alert as a JSON line on standard error (beside CSV on stdout). */
static int print_alert_err(const mxd_log_alert *a)
{
    char *s = mxd_log_alert_json(a);
    if (s)
        fprintf(stderr, "%s: log: alert: %s\n", cli_prog, s);
    free(s);
    return 0;
}

static void fmt_time(long long t, char *out, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (t <= 0 || !gmtime_r(&tt, &tm)) {
        snprintf(out, n, "-");
        return;
    }
    strftime(out, n, "%Y-%m-%d %H:%M", &tm);
}

static void print_alert(const cli_global *g, const mxd_log_alert *a)
{
    char ts[32], head[1024], text[512];
    fmt_time(a->time, ts, sizeof ts);
    if (a->kind == MXD_LOG_ALERT_SPIKE)
        snprintf(head, sizeof head,
                 "%s: %lu messages in the hour from %s, %.1f times its hourly "
                 "average of %.1f",
                 ts, a->count, a->key, a->average > 0 ? (double)a->count / a->average : 0.0,
                 a->average);
    else if (a->kind == MXD_LOG_ALERT_BOUNCE_RATE)
        snprintf(head, sizeof head,
                 "%s: %s refused or deferred %.0f%% of %lu recipients in the "
                 "hour (%s)",
                 ts, a->key, a->rate * 100, a->count, a->reason ? a->reason : "-");
    else
        snprintf(head, sizeof head, "%s: first %s reply from %s", ts,
                 a->reason ? a->reason : "block", a->key);
    printf("  %s[%s]%s ", term_c(g, "red"), a->kind_name, term_c(g, "reset"));
    term_clean(head, 0);
    term_wrap_at(stdout, g, 4 + (int)strlen(a->kind_name) + 1, 6, head);
    if (a->text && a->text[0]) {
        snprintf(text, sizeof text, "reply: %s", a->text);
        term_clean(text, 0);
        printf("      ");
        term_wrap_at(stdout, g, 6, 8, text);
    }
    snprintf(text, sizeof text, "next: %s", a->next);
    term_clean(text, 0);
    printf("      ");
    term_wrap_at(stdout, g, 6, 8, text);
}

static int on_alert(void *arg, const mxd_log_alert *a)
{
    run *ru = arg;
    if (!ru->follow)
        return 0;
    if (ru->events && ru->mode == OUT_JSONL) /* in the event stream: {"alert": {...}} */
        return print_wrapped(ru, "{\"alert\":", mxd_log_alert_json(a), "}");
    if (ru->events) /* CSV: alerts go to standard error */
        return print_alert_err(a);
    print_alert(ru->g, a);
    fflush(stdout);
    return 0;
}

static double pct(unsigned long long a, unsigned long long b)
{
    return b ? 100.0 * (double)a / (double)b : 0;
}

static void report_text(run *ru, mxd_log_ctx *c)
{
    const cli_global *g = ru->g;
    mxd_log_totals t;
    mxd_log_totals_get(c, &t);
    char a[32], b[32];
    fmt_time(t.first, a, sizeof a);
    fmt_time(t.last, b, sizeof b);
    printf("%smxdiag log%s: %llu lines, %s .. %s UTC (%llu without a known format)\n\n",
           term_c(g, "bold"), term_c(g, "reset"), t.lines, a, b, t.unknown);
    printf("%stotals%s\n", term_c(g, "bold"), term_c(g, "reset"));
    printf("  %-10s %8llu\n", "received", t.received);
    printf("  %-10s %8llu\n", "delivered", t.delivered);
    if (t.forwarded)
        printf("  %-10s %8llu\n", "forwarded", t.forwarded);
    printf("  %-10s %8llu  (%llu deferral%s)\n", "deferred", t.deferred, t.deferrals,
           t.deferrals == 1 ? "" : "s");
    printf("  %-10s %8llu\n", "bounced", t.bounced);
    printf("  %-10s %8llu\n", "expired", t.expired);
    printf("  %-10s %8llu\n", "rejected", t.rejected);
    mxd_log_row r;
    if (mxd_log_rows(c, MXD_LOG_TABLE_PROVIDERS, 0, &r) == 0) {
        printf("\n%sproviders%s (recipient side)\n", term_c(g, "bold"), term_c(g, "reset"));
        printf("  %-24s %8s %9s %8s %8s\n", "PROVIDER", "VOLUME", "DELIVERED", "DEFERRED",
               "BOUNCED");
        for (size_t i = 0; i < TOP_ROWS && mxd_log_rows(c, MXD_LOG_TABLE_PROVIDERS, i, &r) == 0;
             i++) {
            char key[64];
            snprintf(key, sizeof key, "%s", r.key);
            term_clean(key, 0);
            printf("  %-24.24s %8llu %8.1f%% %7.1f%% %7.1f%%\n", key, r.messages,
                   pct(r.sent, r.messages), pct(r.deferred, r.messages),
                   pct(r.bounced + r.expired, r.messages));
            mxd_log_reason x;
            for (size_t j = 0; j < TOP_REASONS && mxd_log_provider_reason(c, i, j, &x) == 0; j++) {
                char line[1024];
                /* (a reason no wording decided says so: its reply is on the next line) */
                const char *sum = x.summary;
                if (!sum && (!strcmp(x.reason, "onhold") || !strcmp(x.reason, "undefined")))
                    sum = "no wording the knowledge base holds decides the reason";
                snprintf(line, sizeof line, "%llu x %s%s%s%s%s", x.count, x.reason,
                         x.status[0] ? " " : "", x.status, sum ? ": " : "", sum ? sum : "");
                term_clean(line, 0);
                printf("    ");
                term_wrap_at(stdout, g, 4, 6, line);
                if (x.text[0]) {
                    char cmd[sizeof x.next + 8];
                    snprintf(cmd, sizeof cmd, "next: %s", x.next);
                    term_clean(cmd, 0);
                    printf("      %s", term_c(g, "dim"));
                    term_wrap_at(stdout, g, 6, 8, cmd);
                    printf("%s", term_c(g, "reset"));
                }
            }
        }
    }
    const char *by = NULL;
    size_t shown = 0;
    for (size_t i = 0; mxd_log_rows(c, MXD_LOG_TABLE_SENDERS, i, &r) == 0; i++) {
        if (!by || strcmp(by, r.by)) {
            by = r.by;
            shown = 0;
            printf("\n%ssenders%s by %s\n", term_c(g, "bold"), term_c(g, "reset"), by);
            printf("  %-32s %8s %9s %8s %8s %8s\n", "SENDER", "MESSAGES", "DELIVERED", "DEFERRED",
                   "BOUNCED", "REJECTED");
        }
        if (shown++ >= TOP_SENDERS)
            continue;
        char key[64];
        snprintf(key, sizeof key, "%s", r.key);
        term_clean(key, 0);
        printf("  %-32.32s %8llu %9llu %8llu %8llu %8llu\n", key, r.messages, r.sent, r.deferred,
               r.bounced, r.rejected);
    }
    mxd_log_alert al;
    printf("\n%salerts%s\n", term_c(g, "bold"), term_c(g, "reset"));
    if (mxd_log_alert_get(c, 0, &al) != 0)
        printf("  none\n");
    for (size_t i = 0; mxd_log_alert_get(c, i, &al) == 0; i++)
        print_alert(g, &al);
}

/* parse_duration - "7d", "12h", "90m", "3600" (seconds) */
static int parse_duration(const char *s, long long *out)
{
    char *e;
    errno = 0;
    long long v = strtoll(s, &e, 10);
    if (errno || e == s || v <= 0)
        return -1;
    long long mul = 1;
    if (*e == 'd')
        mul = 86400;
    else if (*e == 'h')
        mul = 3600;
    else if (*e == 'm')
        mul = 60;
    else if (*e == 's')
        mul = 1;
    else if (*e)
        return -1;
    if (*e && e[1])
        return -1;
    *out = v * mul;
    return 0;
}

/* --- --state: where each followed file was left ------------------------------------------ */

/* state_load - "dev ino offset path" lines; seek each input whose file is the same. */
static void state_load(const char *file, mxd_log_input **in, char **paths, int n)
{
    FILE *f = fopen(file, "r");
    if (!f)
        return;
    char line[STATE_LINE_MAX];
    while (fgets(line, sizeof line, f)) {
        char *e;
        mxd_log_position p;
        line[strcspn(line, "\n")] = 0;
        p.dev = strtoull(line, &e, 10);
        if (*e != ' ')
            continue;
        p.ino = strtoull(e + 1, &e, 10);
        if (*e != ' ')
            continue;
        p.offset = strtoull(e + 1, &e, 10);
        if (*e != ' ')
            continue;
        const char *path = e + 1;
        for (int i = 0; i < n; i++) {
            mxd_log_position now;
            if (strcmp(paths[i], path) || mxd_log_input_position(in[i], &now) != MXD_OK)
                continue;
            /* the same file (not rotated meanwhile) and not truncated: go on where we were */
            if (now.dev == p.dev && now.ino == p.ino)
                mxd_log_input_seek(in[i], p.offset);
        }
    }
    fclose(f);
}

/* state_save - write the positions to FILE.tmp, then rename it over FILE. */
static int state_save(const char *file, mxd_log_input **in, char **paths, int n)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", file);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    for (int i = 0; i < n; i++) {
        mxd_log_position p;
        if (mxd_log_input_position(in[i], &p) == MXD_OK)
            fprintf(f, "%llu %llu %llu %s\n", p.dev, p.ino, p.offset, paths[i]);
    }
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, file);
}

/* follow - read each input to its end, look at the paths again, repeat. Stops after
 * idle_exit quiet rounds when idle_exit > 0 (tests drive it that way: no clock involved). */
static int follow(run *ru, mxd_log_ctx *c, mxd_log_input **in, char **paths, int n,
                  const char *state, long idle_exit, long poll_ms)
{
    char why[1024];
    long idle = 0;
    for (;;) {
        int got = 0;
        for (int i = 0; i < n; i++) {
            mxd_log_line l;
            mxd_err e;
            while ((e = mxd_log_input_next(in[i], &l, why, sizeof why)) == MXD_OK) {
                got = 1;
                if (mxd_log_feed(c, &l) != MXD_OK)
                    return ru->write_error ? EX_IOERR_ : EX_OSERR_;
            }
            if (e == MXD_ERR_IO) {
                cli_err("log", "%s", why);
                return EX_IOERR_;
            }
        }
        if (state && got && state_save(state, in, paths, n) != 0) {
            cli_err("log", "%s: cannot write the state: %s", state, strerror(errno));
            return EX_IOERR_;
        }
        int changed = 0;
        for (int i = 0; i < n; i++) {
            int p = mxd_log_input_poll(in[i], why, sizeof why);
            if (p < 0)
                cli_err("log", "%s", why);
            else if (p > 0)
                changed = 1;
        }
        if (changed || got) {
            idle = 0;
            continue;
        }
        if (idle_exit > 0 && ++idle >= idle_exit)
            return 0;
        if (poll_ms > 0) {
            struct timespec ts = {poll_ms / 1000, (poll_ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
}

int cmd_log(const cli_global *g, int argc, char **argv)
{
    run ru;
    memset(&ru, 0, sizeof ru);
    ru.g = g;
    ru.mode = OUT_TEXT;
    mxd_log_opts o;
    memset(&o, 0, sizeof o);
    mxd_log_input_opts io;
    memset(&io, 0, sizeof io);
    const char *state = NULL;
    long idle_exit = 0, poll_ms = FOLLOW_POLL_MS;
    size_t top = TOP_REASONS;
    int n = 0, dashdash = 0, out_set = 0;
    char **paths = calloc((size_t)argc, sizeof *paths);
    mxd_log_input **in = calloc((size_t)argc, sizeof *in);
    if (!paths || !in) {
        free(paths);
        free(in);
        return EX_OSERR_;
    }
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (dashdash || a[0] != '-' || !strcmp(a, "-")) {
            paths[n++] = argv[i];
        } else if (!strcmp(a, "--")) {
            dashdash = 1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            help(stdout);
            goto done;
        } else if (!strcmp(a, "--json")) {
            ru.mode = OUT_JSON;
            out_set++;
        } else if (!strcmp(a, "--events")) {
            ru.events = 1;
        } else if (!strcmp(a, "--jsonl")) {
            ru.mode = OUT_JSONL;
            ru.events = 1;
        } else if (!strcmp(a, "--csv")) {
            ru.mode = OUT_CSV;
            ru.events = 1;
        } else if (!strcmp(a, "--follow")) {
            ru.follow = 1;
        } else if (cli_is_opt(a, "--format")) {
            if (!(v = cli_take_value("log", argc, argv, &i, "--format", 0)))
                goto usage;
            static const char *const names[] = {"auto", "postfix", "exim", "sendmail", "journal"};
            int f = -1;
            for (int k = 0; k < 5; k++)
                if (!strcmp(v, names[k]))
                    f = k;
            if (f < 0) {
                cli_err("log", "--format: auto, postfix, exim, sendmail or journal");
                goto usage;
            }
            o.format = (mxd_log_format)f;
            io.format = f == MXD_LOG_FMT_JOURNAL ? MXD_LOG_FMT_JOURNAL : MXD_LOG_FMT_AUTO;
        } else if (cli_is_opt(a, "--year")) {
            char *e;
            if (!(v = cli_take_value("log", argc, argv, &i, "--year", 0)))
                goto usage;
            long y = strtol(v, &e, 10);
            if (*e || y < 1970 || y > 9999) {
                cli_err("log", "--year: a year from 1970 to 9999");
                goto usage;
            }
            io.year = (int)y;
        } else if (cli_is_opt(a, "--since") || cli_is_opt(a, "--until")) {
            int since = cli_is_opt(a, "--since");
            const char *name = since ? "--since" : "--until";
            if (!(v = cli_take_value("log", argc, argv, &i, name, 0)))
                goto usage;
            if (mxd_log_parse_time(v, since ? &o.since : &o.until) != MXD_OK) {
                cli_err("log", "%s: a time like 2023-03-14 or 2023-03-14T10:00:00Z", name);
                goto usage;
            }
        } else if (cli_is_opt(a, "--by")) {
            if (!(v = cli_take_value("log", argc, argv, &i, "--by", 0)))
                goto usage;
            static const char *const names[] = {"sender-domain", "sender", "sasl-user", "client",
                                                "provider"};
            int f = -1;
            for (int k = 0; k < 5; k++)
                if (!strcmp(v, names[k]))
                    f = k;
            if (f < 0) {
                cli_err("log", "--by: provider, sender, sender-domain, client or sasl-user");
                goto usage;
            }
            o.by = (mxd_log_by)(f + 1);
        } else if (cli_is_opt(a, "--spike-factor") || cli_is_opt(a, "--rate-threshold")) {
            int sf = cli_is_opt(a, "--spike-factor");
            const char *name = sf ? "--spike-factor" : "--rate-threshold";
            char *e;
            if (!(v = cli_take_value("log", argc, argv, &i, name, 0)))
                goto usage;
            double d = strtod(v, &e);
            if (*e || !(d > 0) || (!sf && d > 1) || d > 1e6) {
                cli_err("log", "%s: a positive number%s", name, sf ? "" : " up to 1");
                goto usage;
            }
            if (sf)
                o.spike_factor = d;
            else
                o.rate_threshold = d;
        } else if (cli_is_opt(a, "--spike-window")) {
            if (!(v = cli_take_value("log", argc, argv, &i, "--spike-window", 0)))
                goto usage;
            if (parse_duration(v, &o.spike_window) || o.spike_window < 3600) {
                cli_err("log", "--spike-window: a duration of an hour or more: 7d, 12h ...");
                goto usage;
            }
        } else if (cli_is_opt(a, "--spike-min") || cli_is_opt(a, "--rate-min") ||
                   cli_is_opt(a, "--top") || cli_is_opt(a, "--follow-idle-exit") ||
                   cli_is_opt(a, "--poll-ms")) {
            const char *name = cli_is_opt(a, "--spike-min")  ? "--spike-min"
                               : cli_is_opt(a, "--rate-min") ? "--rate-min"
                               : cli_is_opt(a, "--top")      ? "--top"
                               : cli_is_opt(a, "--poll-ms")  ? "--poll-ms"
                                                             : "--follow-idle-exit";
            char *e;
            if (!(v = cli_take_value("log", argc, argv, &i, name, 0)))
                goto usage;
            errno = 0;
            long x = strtol(v, &e, 10);
            if (*e || errno || x < 0 || x > 100000000) {
                cli_err("log", "%s: a whole number", name);
                goto usage;
            }
            if (!strcmp(name, "--spike-min"))
                o.spike_min = (unsigned long)(x ? x : 1);
            else if (!strcmp(name, "--rate-min"))
                o.rate_min = (unsigned long)(x ? x : 1);
            else if (!strcmp(name, "--top"))
                top = (size_t)x;
            else if (!strcmp(name, "--poll-ms"))
                poll_ms = x;
            else
                idle_exit = x;
        } else if (cli_is_opt(a, "--state")) {
            if (!(state = cli_take_value("log", argc, argv, &i, "--state", 0)))
                goto usage;
        } else {
            cli_err("log", "unknown option '%s' (try --help)", a);
            goto usage;
        }
    }
    if (!n) {
        cli_err("log", "no FILE given: a mail log, or '-' for standard input");
        goto usage;
    }
    if (ru.events && ru.mode == OUT_JSON) {
        cli_err("log", "--json is the report; --events prints records (--jsonl or --csv)");
        goto usage;
    }
    if (out_set > 1 || (state && !ru.follow)) {
        cli_err("log", state ? "--state goes with --follow" : "one output format");
        goto usage;
    }
    if (ru.events && ru.mode == OUT_TEXT)
        ru.mode = OUT_JSONL;
    if (n > MXD_LOG_INPUTS_MAX) {
        cli_err("log", "at most %d files at once", MXD_LOG_INPUTS_MAX);
        goto usage;
    }
    io.follow = ru.follow;
    for (int i = 0; i < n; i++) {
        char why[1024] = "";
        mxd_log_input_opts oi = io;
        if (!strcmp(paths[i], "-") && !oi.year)
            oi.ref_time = (long long)time(NULL);
        mxd_err e = mxd_log_input_open(paths[i], &oi, &in[i], why, sizeof why);
        if (e) {
            if (e == MXD_ERR_NOTFOUND)
                cli_err("log", "%s: no such file", paths[i]);
            else
                cli_err("log", "%s", why[0] ? why : mxd_strerror(e));
            rc = e == MXD_ERR_NOMEM ? EX_OSERR_ : EX_NOINPUT_;
            goto done;
        }
    }
    mxd_kb *kb;
    if ((rc = cli_open_kb(g, "log", &kb)))
        goto done;
    o.on_event = on_event;
    o.on_alert = on_alert;
    o.arg = &ru;
    mxd_log_ctx *c = NULL;
    if (mxd_log_new(kb, &o, &c) != MXD_OK) {
        cli_err("log", "out of memory");
        mxd_kb_free(kb);
        rc = EX_OSERR_;
        goto done;
    }
    if (ru.follow) {
        if (state)
            state_load(state, in, paths, n);
        rc = follow(&ru, c, in, paths, n, state, idle_exit, poll_ms);
    } else {
        char why[1024] = "";
        mxd_err e = mxd_log_read(c, in, (size_t)n, why, sizeof why);
        if (e == MXD_ERR_IO) {
            cli_err("log", "%s", why);
            rc = EX_IOERR_;
        } else if (e && !ru.write_error) {
            cli_err("log", "%s", mxd_strerror(e));
            rc = EX_OSERR_;
        }
    }
    mxd_log_finish(c);
    if (!ru.write_error && !ru.events && (!ru.follow || !rc)) {
        if (ru.mode == OUT_JSON) {
            char *s = mxd_log_report_json(c, top, 1);
            print_line(&ru, s);
        } else if (!ru.follow) {
            report_text(&ru, c);
        }
    }
    mxd_log_free(c);
    mxd_kb_free(kb);
    if (fflush(stdout) || ferror(stdout) || ru.write_error) {
        cli_err("log", "write error: %s", strerror(ru.write_error ? ru.write_error : errno));
        rc = EX_IOERR_;
    }
done:
    for (int i = 0; i < n; i++)
        mxd_log_input_close(in[i]);
    free(in);
    free(paths);
    return rc;
usage:
    rc = EX_USAGE_;
    goto done;
}
