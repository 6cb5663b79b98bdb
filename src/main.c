/* main.c - mxdiag: the command table, global options, dispatch
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"

const char *cli_prog = "mxdiag";
int cli_progress_open;

static const cli_command commands[] = {
    {"diagnose", "from a bounce to the root cause, the fix steps and a delisting request",
     cmd_diagnose},
    {"explain", "explain an SMTP reply: meaning, provider, scope, retry, fix steps", cmd_explain},
    {"bounce", "read bounces (file, mbox, Maildir, stdin) into per-recipient records", cmd_bounce},
    {"log", "read mail logs: verdicts per provider and sender, spikes, new blocks", cmd_log},
    {"ingest", "store bounces, complaints, DMARC and TLS reports; feed the suppression list",
     cmd_ingest},
    {"suppress", "the suppression list: list, check, add, remove, export", cmd_suppress},
    {"watch", "the daemon: watch IPs, domains, logs and Maildirs; alerts, dashboard, metrics",
     cmd_watch},
    {"feed", "import provider feeds: Microsoft SNDS, Google Postmaster Tools", cmd_feed},
    {"warmup", "warm up a new IP: a plan per provider, and how the log keeps to it", cmd_warmup},
    {"report", "DMARC aggregate (who sends as you) and TLS reports from the store", cmd_report},
    {"check", "check ip (blocklists, reverse DNS), mx, domain (SPF, DKIM, DMARC ...)", cmd_check},
    {"spf", "evaluate SPF for an IP (RFC 7208) or lint a domain's SPF record", cmd_spf},
    {"dkim", "DKIM: verify the signatures of a message", cmd_dkim},
};

void cli_err(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    if (cli_progress_open) { /* end the progress line first: the message gets a line of its own */
        fputc('\n', stderr);
        cli_progress_open = 0;
    }
    fprintf(stderr, "%s: ", cli_prog);
    if (cmd)
        fprintf(stderr, "%s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* stdout_reader_gone - is standard output a pipe or socket whose reader has gone away? (poll
 * reports POLLERR on such a pipe; the descriptor, as stdout may be term.c's filter) */
static int stdout_reader_gone(void)
{
    struct pollfd p = {.fd = STDOUT_FILENO, .events = POLLOUT};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

int cli_stdout_status(const char *cmd, int err)
{
    if (fflush(stdout) && !err)
        err = errno ? errno : EIO;
    if (!err && ferror(stdout))
        err = errno ? errno : EIO;
    if (!err)
        return 0;
    if (err == EPIPE || stdout_reader_gone())
        return 0;
    cli_err(cmd, "write error: %s", strerror(err));
    return EX_IOERR_;
}

int cli_open_kb(const cli_global *g, const char *cmd, mxd_kb **kb)
{
    char why[512] = "";
    mxd_err e = g->data_dir ? mxd_kb_open_dir(g->data_dir, kb, why, sizeof why) : mxd_kb_open(kb);
    if (e) {
        cli_err(cmd, "cannot load the knowledge base: %s", why[0] ? why : mxd_strerror(e));
        return e == MXD_ERR_NOMEM ? EX_OSERR_ : EX_DATAERR_;
    }
    if (g->data_dir) {
        /* a copy of data/ made for an older mxdiag lacks the kinds of rows added since: what
         * they teach is then not known, which is said (once, in one line) */
        static const char *const kinds[] = {
            "bounce-phrases/from",          "bounce-phrases/subject",
            "bounce-phrases/sentence",      "bounce-phrases/lead",
            "bounce-phrases/autoreply",     "bounce-phrases/delivered",
            "bounce-phrases/separator",     "bounce-phrases/addr-lead",
            "bounce-phrases/delayed",       "bounce-phrases/not-bounce",
            "bounce-phrases/reply",         "bounce-phrases/forward",
            "bounce-phrases/tag",           "bounce-phrases/pasted",
            "bounce-phrases/own",           "bounce-phrases/program",
            "bounce-phrases/subject-label", "bounce-phrases/footer",
            "bounce-phrases/banner",        "bounce-categories"};
        char missing[1024] = ""; /* (every kind missing: about 590 bytes) */
        for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
            const char *k = kinds[i], *slash = strchr(k, '/');
            char what[64];
            if (slash)
                snprintf(what, sizeof what, "%.*s.tsv kind %s", (int)(slash - k), k, slash + 1);
            else
                snprintf(what, sizeof what, "%s.tsv", k);
            if (!mxd_kb_count(*kb, k) && strlen(missing) + strlen(what) + 3 < sizeof missing)
                strcat(strcat(missing, missing[0] ? ", " : ""), what);
        }
        if (missing[0])
            cli_err(cmd,
                    "warning: %s has no rows of %s (a copy from an older mxdiag?): bounces "
                    "are read without them",
                    g->data_dir, missing);
    }
    return 0;
}

char *cli_read_stream(FILE *f, size_t keep, size_t *len)
{
    size_t alloc = 65536 < keep ? 65536 : keep, n = 0;
    char *p = malloc(alloc + 1);
    if (!p)
        return NULL;
    while (n < keep) {
        if (n == alloc) {
            size_t na = alloc * 2 > keep ? keep : alloc * 2;
            char *q = realloc(p, na + 1);
            if (!q) {
                free(p);
                return NULL;
            }
            p = q;
            alloc = na;
        }
        size_t r = fread(p + n, 1, alloc - n, f);
        n += r;
        if (r == 0)
            break;
    }
    if (ferror(f)) {
        int saved = errno ? errno : EIO;
        free(p);
        errno = saved;
        return NULL;
    }
    p[n] = 0;
    *len = n;
    return p;
}

FILE *cli_open_input(const char *path, int *err)
{
    if (!strcmp(path, "-"))
        return stdin;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; only a regular file is taken */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        *err = errno;
        return NULL;
    }
    struct stat st;
    memset(&st, 0, sizeof st);
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        *err = S_ISDIR(st.st_mode) ? EISDIR : ENOTREG_;
        close(fd);
        return NULL;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl != -1)
        (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        *err = errno;
        close(fd);
    }
    return f;
}

const char *cli_strerror(int err)
{
    return err == ENOTREG_ ? "not a regular file (use '-' to read a pipe or device)"
                           : strerror(err);
}

int cli_finish_output(const char *cmd, int rc)
{
    if (rc == EX_IOERR_) { /* the command has said why */
        fflush(stdout);
        return rc;
    }
    errno = 0;
    int wr = cli_stdout_status(cmd, 0); /* one rule for both: EPIPE (| head) ends quietly */
    return wr ? wr : rc;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: %s [--data-dir DIR] COMMAND [ARGS...]\n\n", cli_prog);
    fprintf(out, "mxdiag - an e-mail deliverability doctor: reads bounces, explains them,\n"
                 "checks the sender over DNS and says what to do next.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\nglobal options:\n"
            "  --data-dir DIR  load the knowledge base from DIR instead of the built-in one\n"
            "%s"
            "  --version       print the version and exit\n"
            "  -h, --help      this help; 'mxdiag COMMAND --help' for a command\n",
            cli_dns_help);
}

int main(int argc, char **argv)
{
    cli_global g = {0};
    /* a reader that goes away (mxdiag bounce ... | head -1) makes writes fail with EPIPE,
     * which the commands take as the end of the output, not as a signal that kills them */
    signal(SIGPIPE, SIG_IGN);
    term_init(&g);
    term_filter_stdio(g.color);
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return cli_finish_output(NULL, 0);
        } else if (!strcmp(argv[i], "--version")) {
            printf("mxdiag %s\n", mxd_version());
            return cli_finish_output(NULL, 0);
        } else if (!strcmp(argv[i], "--data-dir")) {
            if (++i == argc) {
                cli_err(NULL, "--data-dir needs a directory");
                return EX_USAGE_;
            }
            g.data_dir = argv[i];
        } else {
            int r = cli_dns_option(&g, NULL, argc, argv, &i);
            if (r < 0)
                return EX_USAGE_;
            if (r == 0) {
                cli_err(NULL, "unknown option '%s' (try --help)", argv[i]);
                return EX_USAGE_;
            }
        }
    }
    if (i == argc) {
        usage(stderr);
        return EX_USAGE_;
    }
    if (!strcmp(argv[i], "help")) {
        usage(stdout);
        return cli_finish_output(NULL, 0);
    }
    for (size_t c = 0; c < sizeof commands / sizeof *commands; c++)
        if (!strcmp(argv[i], commands[c].name)) {
            int rc = commands[c].run(&g, argc - i, argv + i);
            /* "check domain", "dkim keys": the subcommand names the error */
            char name[64];
            if (i + 1 < argc && argv[i + 1][0] != '-' &&
                (!strcmp(argv[i], "check") || !strcmp(argv[i], "dkim") ||
                 !strcmp(argv[i], "feed") || !strcmp(argv[i], "warmup")))
                snprintf(name, sizeof name, "%s %.20s", argv[i], argv[i + 1]);
            else
                snprintf(name, sizeof name, "%s", argv[i]);
            return cli_finish_output(name, rc);
        }
    cli_err(NULL, "unknown command '%s' (try --help)", argv[i]);
    return EX_USAGE_;
}
