/* cmd_watch.c - mxdiag watch: the monitoring daemon, or every check once (--once)
 * SPDX-License-Identifier: MIT
 *
 * The work is libmxdiag's (watch.h); this file parses the command line, installs the signal
 * handlers (SIGTERM and SIGINT stop, SIGHUP reloads the configuration) and maps failures to
 * exit statuses: sysexits for the daemon, Nagios statuses for --once.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <mxdiag/watch.h>
#include "cli.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: mxdiag watch [--config FILE] [--once | --check-config] [--db PATH]\n\n"
            "Watch the sending IPs and domains and keep watching: blocklists and reverse DNS\n"
            "of every IP; SPF (valid, under 10 lookups, passing every watched IP), DKIM keys,\n"
            "DMARC, MX, MTA-STS and TLS-RPT of every domain; the mail logs (spikes, bounce\n"
            "rates, new blocks at a provider); the bounce and report Maildirs (ingested as\n"
            "`mxdiag ingest` does). Every result is kept in the database; an alert opens on a\n"
            "change for the worse, repeats while open and closes with a recovery notice, sent\n"
            "through a command, a webhook or a mail. A check that could not be made raises a\n"
            "\"cannot check\" alert, never a clean result.\n\n"
            "An HTTP server (127.0.0.1:9325 unless [general] listen says otherwise) serves a\n"
            "dashboard at /, Prometheus metrics at /metrics and JSON at /api/status,\n"
            "/api/alerts, /api/history and /api/traffic. The configuration file is described\n"
            "in mxdiag-watch(5).\n\n"
            "options:\n"
            "  --config FILE   the configuration (default: $MXDIAG_WATCH_CONFIG, else\n"
            "                  /etc/mxdiag/watch.conf)\n"
            "  --once          every check once, one line per check after a summary line;\n"
            "                  alerts are stored and sent as the daemon would; for cron and\n"
            "                  monitoring plugins\n"
            "  --check-config  read and check the configuration, print what it watches; no\n"
            "                  check is run and nothing is opened (exit 0, or as below)\n"
            "  --db PATH       the database (overrides [general] db and $MXDIAG_DB); a\n"
            "                  postgresql:// URI: a database many daemons share, one leads\n"
            "  -h, --help      this help\n\n"
            "signals: SIGTERM or SIGINT stop cleanly, SIGHUP re-reads the configuration (a\n"
            "bad one is logged and the one in use kept).\n\n"
            "exit status: the daemon: 0 after a stop, 64 bad usage, 66 no configuration file,\n"
            "69 a library cannot be loaded, 74 database or listen error, 78 bad configuration.\n"
            "--once: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (a check could not be made, or the\n"
            "configuration or database could not be used) - the Nagios plugin statuses.\n");
}

static volatile sig_atomic_t stop_flag, reload_flag;

static void on_stop(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void on_hup(int sig)
{
    (void)sig;
    reload_flag = 1;
}

static int exit_of(mxd_err e)
{
    switch (e) {
    case MXD_ERR_PARSE:
    case MXD_ERR_INVALID:
        return EX_CONFIG_;
    case MXD_ERR_NOLIB:
        return EX_UNAVAILABLE_;
    case MXD_ERR_BUSY:
        return EX_TEMPFAIL_;
    case MXD_ERR_NOMEM:
        return EX_OSERR_;
    default:
        return EX_IOERR_;
    }
}

int cmd_watch(const cli_global *g, int argc, char **argv)
{
    const char *config = getenv("MXDIAG_WATCH_CONFIG");
    const char *db = NULL;
    int once = 0, check_only = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            help(stdout);
            return 0;
        } else if (!strcmp(a, "--once")) {
            once = 1;
        } else if (!strcmp(a, "--check-config")) {
            check_only = 1;
        } else if (cli_is_opt(a, "--config")) {
            if (!(config = cli_take_value("watch", argc, argv, &i, "--config", 0)))
                return EX_USAGE_;
        } else if (cli_is_opt(a, "--db")) {
            if (!(db = cli_take_value("watch", argc, argv, &i, "--db", 0)))
                return EX_USAGE_;
        } else {
            cli_err("watch", "unknown argument '%s' (try --help)", a);
            return EX_USAGE_;
        }
    }
    if (!config || !*config)
        config = "/etc/mxdiag/watch.conf";
    if (check_only) {
        char summary[1024], why[1024] = "";
        mxd_err e = mxd_watch_check_config(config, summary, sizeof summary, why, sizeof why);
        if (e) {
            cli_err("watch", "%s", *why ? why : mxd_strerror(e));
            return e == MXD_ERR_IO && strstr(why, config) == why ? EX_NOINPUT_ : exit_of(e);
        }
        printf("%s\n", summary);
        return 0;
    }
    mxd_kb *kb = NULL;
    int rc = cli_open_kb(g, "watch", &kb);
    if (rc)
        return once ? MXD_NAGIOS_UNKNOWN : rc;
    mxd_watch *w = NULL;
    char why[1024] = "";
    mxd_err e = mxd_watch_new(kb, config, db, &w, why, sizeof why);
    if (e) {
        cli_err("watch", "%s", *why ? why : mxd_strerror(e));
        mxd_kb_free(kb);
        if (once) {
            printf("MXDIAG WATCH UNKNOWN - %s\n", *why ? why : mxd_strerror(e));
            return MXD_NAGIOS_UNKNOWN;
        }
        if (e == MXD_ERR_IO && strstr(why, config) == why)
            return EX_NOINPUT_;
        return exit_of(e);
    }
    if (once) {
        rc = mxd_watch_once(w, (long long)time(NULL), stdout);
        if (fflush(stdout) != 0)
            rc = MXD_NAGIOS_UNKNOWN;
    } else {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sigemptyset(&sa.sa_mask);
        sa.sa_handler = on_stop; /* no SA_RESTART: a signal ends the daemon's sleep */
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        sa.sa_handler = on_hup;
        sigaction(SIGHUP, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
        e = mxd_watch_run(w, &stop_flag, &reload_flag, why, sizeof why);
        if (e) {
            cli_err("watch", "%s", *why ? why : mxd_strerror(e));
            rc = exit_of(e);
        }
    }
    mxd_watch_free(w);
    mxd_kb_free(kb);
    return rc;
}
