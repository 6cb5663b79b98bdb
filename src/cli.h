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
    EX_TEMPFAIL_ = 75,
    EX_CONFIG_ = 78,
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

/* cli_progress_open - a progress line without its newline is on stderr (cmd_bounce.c sets
 * it); cli_err ends that line before its message. */
extern int cli_progress_open;

/* cli_stdout_status - flush standard output and say how writing it went: 0 when all was
 * written, and also when the reader went away (EPIPE, as with `mxdiag bounce | head -1`: the
 * output ends quietly); else prints "write error" and returns EX_IOERR_. err is an errno the
 * command saw on an earlier write (0: none). Every command ends with it. */
int cli_stdout_status(const char *cmd, int err);

/* cli_err - print "mxdiag: <cmd>: message" to stderr. */
void cli_err(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* cli_open_kb - the knowledge base (built-in or --data-dir); prints the error itself. */
int cli_open_kb(const cli_global *g, const char *cmd, mxd_kb **kb);

/* cli_read_stream - read a stream, at most keep bytes: reading stops there (the rest is left
 * unread, so an endless stream ends; pass one byte more than you accept to learn whether
 * there was more). Returns a malloc'ed buffer (NUL-terminated) or NULL on error with errno
 * set. */
char *cli_read_stream(FILE *f, size_t keep, size_t *len);

/* An errno-like value of cli_open_input(): the path is a FIFO, a device or a socket. */
#define ENOTREG_ 100000

/* cli_finish_output - after a command: when standard output could not be written (a full
 * disk, /dev/full, a closed descriptor), say so in one line (unless the command returned 74
 * itself, having said it) and return 74 (EX_IOERR); else rc (also when the reader of a
 * pipe went away, EPIPE: output stops quietly). main() calls it for every command. */
int cli_finish_output(const char *cmd, int rc);

/* cli_open_input - open an INPUT for reading: "-" is stdin; otherwise only a regular file is
 * opened (a FIFO is not waited for, a device such as /dev/zero is refused). NULL with *err an
 * errno value (EISDIR for a directory, ENOTREG_ for anything else that is not a file); say it
 * with cli_strerror(). A refused INPUT exits 66 (EX_NOINPUT): it cannot be read as a file. */
FILE *cli_open_input(const char *path, int *err);

/* cli_strerror - strerror(), and a sentence for ENOTREG_. */
const char *cli_strerror(int err);

/* term.c: wrapped, optionally coloured output */
void term_init(cli_global *g);
void term_wrap(FILE *out, const cli_global *g, int indent, int hang, const char *text);
void term_wrap_at(FILE *out, const cli_global *g, int col, int hang, const char *text);
const char *term_c(const cli_global *g, const char *what); /* "bold", "red", ..., "reset" */
/* term_clean - neutralise a stranger's text in place before it is printed: control characters
 * (C0 but newline when keep_newlines, DEL, C1), bidirectional overrides and bytes that are not
 * UTF-8 become '?' (TAB a blank), so no escape sequence reaches the terminal. NULL is fine. */
void term_clean(char *s, int keep_newlines);
/* term_filter_stdio - put the same sanitiser between the tool and its standard output and
 * error: every byte written to stdout or stderr, whatever the command and output mode, goes
 * through it, so no escape sequence from a stranger's text (a TXT record, a bounce, a reply)
 * reaches the terminal; only term_c()'s colour sequences pass, and only when color. Called
 * once by main(). 0, or -1 when the streams cannot be made (output then goes unfiltered). */
int term_filter_stdio(int color);
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

/* cli_open_store - open the database named by db (--db), else $MXDIAG_DB, else the default
 * path ($XDG_STATE_HOME/mxdiag/mxdiag.db); prints its own error (dbopt.c). 0, or an exit
 * status: 64 no path at all, 66 a read-only open of a missing database, 65 a database newer
 * than this program, 69 libsqlite3 missing, 75 locked, 74 otherwise. */
struct mxd_store;
int cli_open_store(const char *cmd, const char *db, unsigned flags, struct mxd_store **out);

/* The commands (one cmd_<name>.c each). */
int cmd_explain(const cli_global *g, int argc, char **argv);
int cmd_bounce(const cli_global *g, int argc, char **argv);
int cmd_check(const cli_global *g, int argc, char **argv);
int cmd_spf(const cli_global *g, int argc, char **argv);
int cmd_dkim(const cli_global *g, int argc, char **argv);
int cmd_diagnose(const cli_global *g, int argc, char **argv);
int cmd_log(const cli_global *g, int argc, char **argv);
int cmd_ingest(const cli_global *g, int argc, char **argv);
int cmd_suppress(const cli_global *g, int argc, char **argv);
int cmd_watch(const cli_global *g, int argc, char **argv);
int cmd_report(const cli_global *g, int argc, char **argv);
int cmd_feed(const cli_global *g, int argc, char **argv);
int cmd_warmup(const cli_global *g, int argc, char **argv);
/* mxdiag check domain (cmd_check_domain.c), dispatched by cmd_check */
int cmd_check_domain(const cli_global *g, int argc, char **argv);

#endif
