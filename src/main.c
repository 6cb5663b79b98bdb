/* main.c - mxdiag: the command table, global options, dispatch
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

const char *cli_prog = "mxdiag";

static const cli_command commands[] = {
    {"diagnose", "from a bounce to the root cause, the fix steps and a delisting request",
     cmd_diagnose},
    {"explain", "explain an SMTP reply: meaning, provider, scope, retry, fix steps", cmd_explain},
    {"bounce", "read bounces (file, mbox, Maildir, stdin) into per-recipient records", cmd_bounce},
    {"log", "read mail logs: verdicts per provider and sender, spikes, new blocks", cmd_log},
    {"check", "check ip (blocklists, reverse DNS), mx, domain (SPF, DKIM, DMARC ...)", cmd_check},
    {"spf", "evaluate SPF for an IP (RFC 7208) or lint a domain's SPF record", cmd_spf},
    {"dkim", "DKIM: verify the signatures of a message", cmd_dkim},
};

void cli_err(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", cli_prog);
    if (cmd)
        fprintf(stderr, "%s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_open_kb(const cli_global *g, const char *cmd, mxd_kb **kb)
{
    char why[512] = "";
    mxd_err e = g->data_dir ? mxd_kb_open_dir(g->data_dir, kb, why, sizeof why) : mxd_kb_open(kb);
    if (e) {
        cli_err(cmd, "cannot load the knowledge base: %s", why[0] ? why : mxd_strerror(e));
        return e == MXD_ERR_NOMEM ? EX_OSERR_ : EX_DATAERR_;
    }
    return 0;
}

char *cli_read_stream(FILE *f, size_t keep, size_t *len)
{
    size_t alloc = 65536, n = 0;
    char *p = malloc(alloc + 1);
    if (!p)
        return NULL;
    char sink[65536];
    for (;;) {
        if (n < keep) {
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
        } else if (fread(sink, 1, sizeof sink, f) == 0) {
            break;
        }
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
    term_init(&g);
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--version")) {
            printf("mxdiag %s\n", mxd_version());
            return 0;
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
        return 0;
    }
    for (size_t c = 0; c < sizeof commands / sizeof *commands; c++)
        if (!strcmp(argv[i], commands[c].name))
            return commands[c].run(&g, argc - i, argv + i);
    cli_err(NULL, "unknown command '%s' (try --help)", argv[i]);
    return EX_USAGE_;
}
