/* cmd_explain.c - mxdiag explain: explain a pasted SMTP reply
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

/* Stdin beyond this is read and dropped: explain looks at the first MXD_REPLY_MAX bytes. */
#define EXPLAIN_STDIN_KEEP (4u * MXD_REPLY_MAX)

static void help(FILE *out)
{
    fprintf(out, "usage: mxdiag explain [--json] [--explain-rule] TEXT...\n\n"
                 "Explain an SMTP reply as pasted from a bounce: reply and status code, provider\n"
                 "(and region), the IP named in the text, permanent or temporary, reason, scope,\n"
                 "retry advice, likely causes, fix steps and sources. TEXT words are joined with\n"
                 "spaces; '-' reads the reply from standard input (several lines are fine).\n"
                 "Client wrappers (Exchange 'Remote Server returned', Gmail 'The error that the\n"
                 "other server returned was', quoted '>' lines, HTML) are taken off first. The\n"
                 "confidence line says what chose the reading: exact (code and wording), code,\n"
                 "wording, format or none.\n\n"
                 "options:\n"
                 "  --json          one JSON object (fields replycode status provider rhost\n"
                 "                  sending_ip permanent reason scope retry summary causes fix\n"
                 "                  sources rule ...; every field: man mxdiag-json)\n"
                 "  --explain-rule  name the data entry (file:line) that decided\n"
                 "  -h, --help      this help\n\n"
                 "exit status: 0 explained, 64 bad usage, 65 unusable input\n");
}

static void print_list(const cli_global *g, const char *title, const char *const *v, size_t n,
                       int numbered)
{
    if (!n)
        return;
    printf("\n%s%s%s\n", term_c(g, "bold"), title, term_c(g, "reset"));
    for (size_t i = 0; i < n; i++) {
        char line[16384];
        if (numbered)
            snprintf(line, sizeof line, "%zu. %s", i + 1, v[i]);
        else
            snprintf(line, sizeof line, "- %s", v[i]);
        term_wrap(stdout, g, 2, numbered ? 5 : 4, line);
    }
}

static void field(const cli_global *g, const char *name, const char *value)
{
    if (!value || !*value)
        return;
    printf("  %-12s ", name);
    term_wrap_at(stdout, g, 15, 15, value);
}

static void print_text(const cli_global *g, const mxd_explanation *x, int explain_rule, int level)
{
    const char *b = term_c(g, "bold"), *r = term_c(g, "reset");
    const char *col = x->permanent == 1 ? term_c(g, "red") : term_c(g, "yellow");
    char head[512];
    snprintf(head, sizeof head, "%s%s%s%s%s%s", x->replycode,
             x->replycode[0] && x->status[0] ? " " : "", x->status,
             (x->replycode[0] || x->status[0]) ? "  " : "",
             x->provider_name ? x->provider_name : "unknown provider", x->region ? "" : "");
    if (x->region) {
        size_t l = strlen(head);
        snprintf(head + l, sizeof head - l, " (region %s)", x->region);
    }
    printf("%s%s%s%s\n", level ? "\nInner reply: " : "", b, head, r);
    if (x->summary)
        term_wrap(stdout, g, 0, 0, x->summary);
    printf("\n");
    char verdict[256];
    snprintf(verdict, sizeof verdict, "%s%s%s, reason %s, scope %s, retry %s", col,
             x->permanent == 1   ? "permanent"
             : x->permanent == 0 ? "temporary"
                                 : "unknown",
             r, x->reason, x->scope ? x->scope : "unknown", mxd_retry_name(x->retry));
    field(g, "verdict", verdict);
    if (x->confidence) {
        char c[1024];
        size_t l = (size_t)snprintf(c, sizeof c, "%s", x->confidence);
        for (size_t i = 0; i < x->nchosen && l < sizeof c; i++)
            l += (size_t)snprintf(c + l, sizeof c - l, "%s%s", i ? ", " : ": chosen by ",
                                  x->chosen_by[i]);
        if (x->note && l < sizeof c)
            snprintf(c + l, sizeof c - l, "; %s", x->note);
        field(g, "confidence", c);
    }
    if (x->also_rule) {
        char a[1024];
        snprintf(a, sizeof a, "%s%sby its wording (rule %s), reason %s: %s", x->also_status,
                 x->also_status[0] ? " " : "", x->also_rule, x->also_reason,
                 x->also_summary ? x->also_summary : "");
        field(g, "also", a);
    }
    if (x->unwrapped)
        field(g, "unwrapped", x->unwrapped);
    field(g, "remote host", x->rhost);
    field(g, "sending IP", x->sending_ip);
    if (x->tags) {
        char t[512];
        snprintf(t, sizeof t, "%s (provider's own tags, shown as given)", x->tags);
        field(g, "tags", t);
    }
    if (x->status[0] && x->status_title) {
        char t[1024];
        snprintf(t, sizeof t, "%s: %s", x->status, x->status_title);
        field(g, "status", t);
    }
    print_list(g, "Likely causes", x->causes, x->ncauses, 1);
    print_list(g, "What to do", x->fix, x->nfix, 1);
    print_list(g, "Sources", x->sources, x->nsources, 0);
    if (explain_rule) {
        char t[512];
        if (x->rule_line)
            snprintf(t, sizeof t, "decided by %s %s (data/%s:%d)", x->decided_by,
                     x->rule ? x->rule : "-", x->rule_file, x->rule_line);
        else
            snprintf(t, sizeof t, "decided by %s %s (data/%s)", x->decided_by,
                     x->rule ? x->rule : "-", x->rule_file ? x->rule_file : "-");
        printf("\n");
        field(g, "rule", t);
        if (x->rule_line)
            field(g, "checked",
                  x->rule_checked ? x->rule_checked
                                  : "not recorded (the rule's sources carry no "
                                    "date of the last check)");
    }
    if (x->inner)
        print_text(g, x->inner, explain_rule, level + 1);
}

int cmd_explain(const cli_global *g, int argc, char **argv)
{
    int json = 0, explain_rule = 0, from_stdin = 0, ntext = 0, dashdash = 0;
    char **texts = calloc((size_t)argc, sizeof *texts);
    if (!texts)
        return EX_OSERR_;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (dashdash || a[0] != '-' || !a[1]) {
            if (!strcmp(a, "-") && !dashdash)
                from_stdin = 1;
            else
                texts[ntext++] = argv[i];
        } else if (!strcmp(a, "--")) {
            dashdash = 1;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--explain-rule")) {
            explain_rule = 1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            help(stdout);
            free(texts);
            return 0;
        } else {
            cli_err("explain", "unknown option '%s' (try --help)", a);
            free(texts);
            return EX_USAGE_;
        }
    }
    if (!ntext && !from_stdin) {
        cli_err("explain", "no reply text given (try --help)");
        free(texts);
        return EX_USAGE_;
    }
    if (from_stdin && ntext) {
        cli_err("explain", "'-' reads the reply from stdin: give no other TEXT");
        free(texts);
        return EX_USAGE_;
    }
    char *text;
    size_t len = 0;
    const char *what = "TEXT";
    if (from_stdin) {
        what = "stdin";
        text = cli_read_stream(stdin, EXPLAIN_STDIN_KEEP, &len);
        if (!text) {
            free(texts);
            cli_err("explain", "stdin: %s", strerror(errno));
            return EX_IOERR_;
        }
    } else {
        size_t total = 0;
        for (int k = 0; k < ntext; k++)
            total += strlen(texts[k]) + 1;
        text = malloc(total + 1);
        if (!text) {
            free(texts);
            return EX_OSERR_;
        }
        for (int k = 0; k < ntext; k++) {
            size_t l = strlen(texts[k]);
            memcpy(text + len, texts[k], l);
            len += l;
            if (k + 1 < ntext)
                text[len++] = ' ';
        }
        text[len] = 0;
    }
    free(texts);
    mxd_kb *kb;
    int rc = cli_open_kb(g, "explain", &kb);
    if (rc) {
        free(text);
        return rc;
    }
    mxd_explanation *x = NULL;
    mxd_err e = mxd_explain(kb, text, len, NULL, &x);
    free(text);
    if (e) {
        if (e == MXD_ERR_NOTFOUND)
            cli_err("explain", "%s: no SMTP reply code, status code or known reply text found",
                    what);
        else if (e == MXD_ERR_EMPTY)
            cli_err("explain", "%s: the reply text is empty", what);
        else if (e == MXD_ERR_BINARY)
            cli_err("explain", "%s: not a text reply (binary data)", what);
        else
            cli_err("explain", "%s: %s", what, mxd_strerror(e));
        mxd_kb_free(kb);
        return e == MXD_ERR_NOMEM ? EX_OSERR_ : EX_DATAERR_;
    }
    if (json) {
        char *s = mxd_explanation_json(x, 1);
        if (!s) {
            cli_err("explain", "out of memory");
            rc = EX_OSERR_;
        } else {
            puts(s);
            free(s);
        }
    } else {
        term_clean_explanation(x);
        print_text(g, x, explain_rule, 0);
    }
    mxd_explanation_free(x);
    mxd_kb_free(kb);
    int wr = cli_stdout_status("explain", 0);
    return wr ? wr : rc;
}
