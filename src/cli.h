/* cli.h - shared declarations of the mxdiag command-line tool
 * SPDX-License-Identifier: MIT
 */
#ifndef MXDIAG_CLI_H
#define MXDIAG_CLI_H

#include <stdio.h>
#include <stddef.h>
#include <mxdiag/mxdiag.h>
#include <mxdiag/dns.h>

/* sysexits.h values, spelled out so the tool does not depend on the header */
enum {
    EX_OK_ = 0,
    EX_USAGE_ = 64,
    EX_DATAERR_ = 65,
    EX_NOINPUT_ = 66,
    EX_UNAVAILABLE_ = 69,
    EX_SOFTWARE_ = 70,
    EX_OSERR_ = 71,
    EX_IOERR_ = 74,
};

/* Options shared by all commands, parsed by main before the command's own. */
typedef struct cli_global {
    const char *data_dir;    /* --data-dir: load the knowledge base from here */
    int color;               /* colour on stdout */
    int width;               /* output width for wrapping */
    const char *dns_servers; /* --dns-server ADDR[:PORT],... (else MXDIAG_DNS_SERVER) */
    int timeout_ms;          /* --timeout MS per try (0 = default 2000) */
    int tries;               /* --tries N (0 = default) */
} cli_global;

typedef struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(const cli_global *g, int argc, char **argv);
} cli_command;

extern const char *cli_prog;

/* cli_err - print "mxdiag: <cmd>: message" to stderr. */
void cli_err(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* cli_open_kb - the knowledge base (built-in or --data-dir); prints the error itself. */
int cli_open_kb(const cli_global *g, const char *cmd, mxd_kb **kb);

/* cli_read_stream - read a stream; keeps at most keep bytes (the rest is read and dropped).
 * Returns a malloc'ed buffer (NUL-terminated) or NULL on error with errno set. */
char *cli_read_stream(FILE *f, size_t keep, size_t *len);

/* term.c: wrapped, optionally coloured output */
void term_init(cli_global *g);
void term_wrap(FILE *out, const cli_global *g, int indent, int hang, const char *text);
void term_wrap_at(FILE *out, const cli_global *g, int col, int hang, const char *text);
const char *term_c(const cli_global *g, const char *what); /* "bold", "red", ..., "reset" */
/* term_clean - neutralise a stranger's text in place before it is printed: control characters
 * (C0 but newline when keep_newlines, DEL, C1), bidirectional overrides and bytes that are not
 * UTF-8 become '?' (TAB a blank), so no escape sequence reaches the terminal. NULL is fine. */
void term_clean(char *s, int keep_newlines);
/* term_clean_explanation - term_clean on every string of an explanation (and inner ones) that
 * comes from the reply text. */
void term_clean_explanation(mxd_explanation *x);

/* cli_dns_option - if argv[*i] is a DNS option (--dns-server, --timeout, --tries), take it
 * (and its value, advancing *i) into g and return 1; 0 when it is not one; -1 after printing
 * an error for a bad value. Every DNS-using command calls it in its option loop. */
int cli_dns_option(cli_global *g, const char *cmd, int argc, char **argv, int *i);

/* cli_dns_help - the help lines of the DNS options, for a command's --help. */
extern const char cli_dns_help[];

/* cli_open_resolver - a resolver from the DNS options; prints its warning (public resolver)
 * once on stderr and errors itself. Returns 0 or an exit status. */
int cli_open_resolver(const cli_global *g, const char *cmd, mxd_resolver **res);

/* cli_read_signers - the DKIM signers (d=, s=) of the message in file ("-": standard input),
 * for --message options (cmd_dkim.c); prints errors itself. 0 or an exit status; free *v with
 * mxd_dkim_signers_free(). */
int cli_read_signers(const char *cmd, const char *file, mxd_dkim_signer **v, size_t *n);

/* cli_is_opt - is a the option name, as "--name" or "--name=VALUE"? (cliopt.c) */
int cli_is_opt(const char *a, const char *name);

/* cli_take_value - the value of the option name at argv[*i], written "--name VALUE" or
 * "--name=VALUE" (advancing *i for the first); NULL after printing "NAME needs a value". An
 * empty value is refused unless empty_ok. */
const char *cli_take_value(const char *cmd, int argc, char **argv, int *i, const char *name,
                           int empty_ok);

/* cli_other_option - argv[*i] is an option the command does not know itself: take it when it
 * is a DNS option (0), else print the error (-1). */
int cli_other_option(cli_global *g, const char *cmd, int argc, char **argv, int *i);

/* cli_selector_option - take the value of --selector at argv[*i] into sel (room for
 * MXD_DKIM_MAX_SELECTORS); 0, or -1 after printing the error. */
int cli_selector_option(const char *cmd, int argc, char **argv, int *i, const char **sel,
                        size_t *nsel);

/* cli_signer_selectors - append to sel (at most max in all) the selectors of the signatures
 * whose d= is domain (any case, a trailing dot allowed); the number appended. */
size_t cli_signer_selectors(const mxd_dkim_signer *s, size_t n, const char *domain,
                            const char **sel, size_t *nsel, size_t max);

/* The commands (one cmd_<name>.c each). */
int cmd_explain(const cli_global *g, int argc, char **argv);
int cmd_bounce(const cli_global *g, int argc, char **argv);
int cmd_check(const cli_global *g, int argc, char **argv);
int cmd_spf(const cli_global *g, int argc, char **argv);
int cmd_dkim(const cli_global *g, int argc, char **argv);
int cmd_diagnose(const cli_global *g, int argc, char **argv);
int cmd_log(const cli_global *g, int argc, char **argv);
/* mxdiag check domain (cmd_check_domain.c), dispatched by cmd_check */
int cmd_check_domain(const cli_global *g, int argc, char **argv);

#endif
