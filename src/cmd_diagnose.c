/* cmd_diagnose.c - mxdiag diagnose: from a bounce to the root cause, the fix steps and the
 * delisting request
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <mxdiag/check.h>
#include "cli.h"

/* A bounce is read whole; bigger input is cut (the parser's own limits are lower). */
#define DIAGNOSE_INPUT_MAX (64u * 1024 * 1024)

/* the hard bounce fact of a record whose reason says the address is gone, unproved */
static const char unproved_text[] =
    "no: not proved by the mail system (words around the notice, a warning it still retries, "
    "or a wording that also blames the sender): confirm the address before removing it";

static void help(FILE *out)
{
    fprintf(out,
            "usage: mxdiag diagnose [--json | --markdown] [--ip IP] [--domain D] [--selector S]\n"
            "                       [--mail-from ADDR|DOMAIN] [--delist-request FILE] [--no-dns]\n"
            "                       (FILE | - | --reply TEXT)\n\n"
            "Read a bounce (FILE, or '-' for stdin) or a pasted SMTP reply (--reply TEXT, or a\n"
            "FILE or stdin holding only the reply text, as `mxdiag explain -` reads it), find\n"
            "the facts (provider, code family, sending IP, From and MAIL FROM domain,\n"
            "recipient domain, DKIM selector), run the live DNS checks the code family calls\n"
            "for (SPF on the MAIL FROM domain, DMARC on its alignment with From), and print\n"
            "the playbook with each step marked done (✓), needs action (✗), manual (☐),\n"
            "unchecked (?) or not applicable (–: the sending IP is the provider's own\n"
            "outbound server, its PTR and blocklist entries are not yours to fix), and a\n"
            "delisting request where the family has one. The sending IP is the client the\n"
            "reply names, never the remote server's address beside its name.\n\n"
            "options:\n"
            "  --json            one JSON object: facts, explanation, checks, playbook,\n"
            "                    delist_request (each check with its report as data;\n"
            "                    every field: man mxdiag-json)\n"
            "  --markdown        a report to paste into a ticket\n"
            "  --ip IP           the sending IP (overrides what the bounce says)\n"
            "  --domain D        the sender (From header) domain, which DMARC protects\n"
            "                    (overrides the returned message's)\n"
            "  --mail-from ADDR|DOMAIN  the envelope sender (MAIL FROM, return-path), whose\n"
            "                    domain SPF checks (overrides the bounce's Return-Path,\n"
            "                    X-Postfix-Sender ...; unknown: the From domain is assumed)\n"
            "  --selector S      the DKIM selector (overrides the DKIM-Signature's)\n"
            "  --delist-request FILE  write the delisting request to FILE (a new file\n"
            "                    renamed into place; never the input itself)\n"
            "  --spamhaus-key K  Spamhaus DQS key for the blocklist check\n"
            "  --abusix-key K    Abusix Mail Intelligence API key: the blocklist check asks\n"
            "                    the Abusix list too (not asked without it)\n"
            "  --no-probe        do not ask the blocklists' test entries (RFC 5782 health\n"
            "                    probe; a list that fails it is unchecked, never clean)\n"
            "  --no-dns          no live checks: explain and list the steps only\n"
            "%s"
            "  -h, --help        this help\n\n"
            "exit status: 0 diagnosed (whatever the findings), 64 bad usage, 65 unusable\n"
            "input, 66 missing file, 69 DNS unreachable or the resolver suspect (the report\n"
            "still prints, with the checks marked unchecked)\n",
            cli_dns_help);
}

static const char *mark_sym(mxd_mark m)
{
    switch (m) {
    case MXD_MARK_DONE:
        return "✓";
    case MXD_MARK_TODO:
        return "✗";
    case MXD_MARK_MANUAL:
        return "☐";
    case MXD_MARK_NOT_APPLICABLE:
        return "–";
    default:
        return "?";
    }
}

static const char *state_sym(mxd_check_state s)
{
    return s == MXD_CHECK_PASS             ? "✓"
           : s == MXD_CHECK_FAIL           ? "✗"
           : s == MXD_CHECK_NOT_APPLICABLE ? "–"
                                           : "?";
}

static const char *mark_color(const cli_global *g, mxd_mark m)
{
    return term_c(g, m == MXD_MARK_DONE        ? "green"
                     : m == MXD_MARK_TODO      ? "red"
                     : m == MXD_MARK_UNCHECKED ? "yellow"
                                               : "dim");
}

static void fact_line(const cli_global *g, const char *name, const char *v, const char *from)
{
    if (!v)
        return;
    char line[1024];
    if (from)
        snprintf(line, sizeof line, "%s (from the %s)", v, from);
    else
        snprintf(line, sizeof line, "%s", v);
    printf("  %-16s ", name);
    term_wrap_at(stdout, g, 19, 19, line);
}

/* mail_from_lines - the envelope (MAIL FROM, HELO) and the DKIM signers: who SPF and DMARC
 * judge, beside the From domain (the "sender domain" line). */
static void mail_from_lines(const cli_global *g, const mxd_diagnosis *d)
{
    char l[1024];
    if (d->mail_from && *d->mail_from)
        fact_line(g, "MAIL FROM", d->mail_from, d->mail_from_from);
    else if (d->mail_from)
        fact_line(g, "MAIL FROM", "<> (null sender)", d->mail_from_from);
    if (d->mail_from_domain && (!d->mail_from || !*d->mail_from)) {
        if (d->mail_from)
            fact_line(g, "MAIL FROM domain", d->mail_from_domain, d->mail_from_domain_from);
        else {
            snprintf(l, sizeof l, "%s (%s: give it with --mail-from)", d->mail_from_domain,
                     d->mail_from_domain_from);
            fact_line(g, "MAIL FROM domain", l, NULL);
        }
    }
    fact_line(g, "HELO", d->helo, d->helo_from);
    if (d->ndkim_signers) {
        size_t n = 0;
        l[0] = 0;
        for (size_t i = 0; i < d->ndkim_signers && n < sizeof l; i++)
            n += (size_t)snprintf(l + n, sizeof l - n, "%sd=%s", i ? ", " : "", d->dkim_signers[i]);
        fact_line(g, "DKIM signed by", l, "returned message");
    } else if (d->returned_headers) {
        fact_line(g, "DKIM signed by", "nobody (no DKIM-Signature)", "returned message");
    }
}

static void print_text(const cli_global *g, const mxd_diagnosis *d)
{
    const mxd_explanation *x = d->explanation;
    const char *b = term_c(g, "bold"), *r = term_c(g, "reset");
    int todo = 0, unchecked = 0, na = 0;
    for (size_t i = 0; i < d->nsteps; i++) {
        todo += d->steps[i].mark == MXD_MARK_TODO;
        unchecked += d->steps[i].mark == MXD_MARK_UNCHECKED;
        na += d->steps[i].mark == MXD_MARK_NOT_APPLICABLE;
    }
    /* the most important line first */
    char head[1024];
    snprintf(head, sizeof head, "%s%s%s from %s: %s", x->replycode,
             x->replycode[0] && x->status[0] ? " " : "", x->status,
             x->provider_name ? x->provider_name : "an unknown provider",
             x->summary ? x->summary : "no explanation in the knowledge base");
    printf("%s", b);
    term_wrap(stdout, g, 0, 2, head);
    printf("%s", r);
    char verdict[512];
    snprintf(verdict, sizeof verdict, "%s, reason %s, scope %s, retry %s%s%s",
             x->permanent == 1   ? "permanent"
             : x->permanent == 0 ? "temporary"
                                 : "unknown",
             x->reason, x->scope ? x->scope : "unknown", mxd_retry_name(x->retry),
             x->tags ? ", tags " : "", x->tags ? x->tags : "");
    term_wrap(stdout, g, 2, 2, verdict);
    if (d->playbook) {
        char l[512];
        int n = snprintf(l, sizeof l, "%d step%s need%s action, %d could not be checked", todo,
                         todo == 1 ? "" : "s", todo == 1 ? "s" : "", unchecked);
        if (na && n > 0 && (size_t)n < sizeof l)
            snprintf(l + n, sizeof l - (size_t)n, ", %d not applicable (not yours to fix)", na);
        term_wrap(stdout, g, 2, 2, l);
    }

    printf("\n%sFacts%s\n", b, r);
    fact_line(g, "source", d->source, NULL);
    fact_line(g, "sending IP", d->sending_ip, d->sending_ip_from);
    if (d->sending_ip_owner) {
        char l[1024];
        snprintf(l, sizeof l, "%s's own outbound server (%s)", d->sending_ip_owner_name,
                 d->sending_ip_owner_why ? d->sending_ip_owner_why : "");
        fact_line(g, "IP owner", l, NULL);
    }
    fact_line(g, "sender domain", d->sender_domain, d->sender_domain_from);
    fact_line(g, "recipient", d->recipient, NULL);
    if (d->recipient_domain) {
        char l[512];
        snprintf(l, sizeof l, "%s%s%s%s", d->recipient_domain, d->recipient_provider ? " (" : "",
                 d->recipient_provider ? d->recipient_provider : "",
                 d->recipient_provider ? ")" : "");
        fact_line(g, "recipient domain", l, NULL);
    }
    fact_line(g, "remote host", x->rhost, NULL);
    fact_line(g, "reporting MTA", d->reporting_mta, NULL);
    /* a reason that says the address is gone, in a record that did not prove it */
    if (d->unproved)
        fact_line(g, "hard bounce", unproved_text, NULL);
    if (d->reading) {
        char l[1024];
        snprintf(l, sizeof l, "%s; the other reading: %s", d->reading,
                 d->reading_other ? d->reading_other : "-");
        fact_line(g, "reading", l, NULL);
    }
    fact_line(g, "DKIM selector", d->dkim_selector, d->dkim_selector_from);
    mail_from_lines(g, d);
    if (d->nrecords > 1) {
        char l[64];
        snprintf(l, sizeof l, "%zu (the first failed one is diagnosed)", d->nrecords);
        fact_line(g, "records", l, NULL);
    }

    if (d->nchecks) {
        printf("\n%sChecks%s\n", b, r);
        for (size_t i = 0; i < d->nchecks; i++) {
            const mxd_diag_check *c = &d->checks[i];
            mxd_mark m = c->state == MXD_CHECK_PASS             ? MXD_MARK_DONE
                         : c->state == MXD_CHECK_FAIL           ? MXD_MARK_TODO
                         : c->state == MXD_CHECK_NOT_APPLICABLE ? MXD_MARK_NOT_APPLICABLE
                                                                : MXD_MARK_UNCHECKED;
            printf("  %s%s%s %-6s ", mark_color(g, m), state_sym(c->state), r, c->name);
            term_wrap_at(stdout, g, 11, 11, c->summary ? c->summary : "");
        }
    }

    if (d->playbook) {
        printf("\n%sWhat to do%s (%s)\n", b, r, d->playbook_title);
        for (size_t i = 0; i < d->nsteps; i++) {
            const mxd_diag_step *s = &d->steps[i];
            printf("  %2zu. %s%s%s ", i + 1, mark_color(g, s->mark), mark_sym(s->mark), r);
            term_wrap_at(stdout, g, 8, 8, s->text);
            if (s->finding && s->mark != MXD_MARK_DONE) {
                char l[4096];
                snprintf(l, sizeof l, "%s %s",
                         s->mark == MXD_MARK_TODO             ? "→"
                         : s->mark == MXD_MARK_NOT_APPLICABLE ? "–"
                                                              : "?",
                         s->finding);
                term_wrap(stdout, g, 8, 10, l);
            }
        }
    } else {
        printf("\nNo playbook fits this reply: follow the explanation's fix steps.\n");
    }
    if (x->nfix) {
        /* a generic rule's steps are not a provider's */
        printf("\n%s%s%s\n", b, x->provider ? "The provider's fix steps" : "Fix steps", r);
        for (size_t i = 0; i < x->nfix; i++) {
            char l[8192];
            snprintf(l, sizeof l, "%zu. %s", i + 1, x->fix[i]);
            term_wrap(stdout, g, 2, 5, l);
        }
        /* (the steps are the reply's; this record did not prove the address gone) */
        if (d->unproved)
            term_wrap(stdout, g, 2, 2,
                      "These steps are for the reply; this bounce did not prove the address "
                      "gone (see the hard bounce fact): confirm it before removing it.");
    }
    if (d->delist_body) {
        printf("\n%sDelisting request: %s%s\n", b, d->delist_title, r);
        term_wrap(stdout, g, 2, 2, d->delist_how);
        if (d->delist_to)
            printf("  To:      %s\n", d->delist_to);
        if (d->delist_subject)
            printf("  Subject: %s\n", d->delist_subject);
        printf("\n");
        for (const char *p = d->delist_body; *p;) {
            size_t l = strcspn(p, "\n");
            printf("    %.*s\n", (int)l, p);
            p += l + (p[l] == '\n');
        }
    }
    if (d->dns_warning)
        printf("\nwarning: %s\n", d->dns_warning);
    if (d->resolver_suspect)
        printf("\nwarning: the resolver is suspect: %s\n", d->resolver_suspect);
    if (d->dns_unreachable)
        printf("\nDNS was unreachable: the live checks above are unchecked, not passing.\n");
}

static const char *md_box(mxd_mark m)
{
    return m == MXD_MARK_DONE ? "[x]" : m == MXD_MARK_NOT_APPLICABLE ? "[-]" : "[ ]";
}

/* ---- Markdown: every text that can come from a stranger (the reply, addresses, DNS records
 * quoted in findings, the filled-in request) is printed as text, never as Markdown or HTML:
 * no link, image, emphasis, HTML tag or entity, code span or table cell can be opened by it.
 * (It has been through term_clean: no newline but in the request body.) --- */

/* md_text - s as plain Markdown text: the punctuation that opens an inline construct is
 * backslash-escaped (CommonMark lets any ASCII punctuation be escaped): emphasis * _ ~, code
 * `, links and images [ ] (the ( after an escaped ] opens nothing), autolinks and HTML < >,
 * entities &, a table cell's |, and the backslash itself. */
static void md_text(const char *s)
{
    for (; s && *s; s++) {
        if (strchr("\\`*_~[]<>&|", *s))
            putchar('\\');
        putchar(*s);
    }
}

/* longest_run - the longest run of c in s */
static size_t longest_run(const char *s, char c)
{
    size_t best = 0, n = 0;
    for (; s && *s; s++) {
        n = *s == c ? n + 1 : 0;
        if (n > best)
            best = n;
    }
    return best;
}

/* md_code - s as a code span, fenced by one backtick more than its longest run of backticks
 * (so no backtick in it closes the span) and padded when it starts or ends with one; in a
 * table cell a | is escaped, which GFM needs even inside a code span. */
static void md_code(const char *s, int in_table)
{
    s = s ? s : "";
    size_t fence = longest_run(s, '`') + 1;
    size_t len = strlen(s);
    int pad = len && (s[0] == '`' || s[len - 1] == '`');
    for (size_t i = 0; i < fence; i++)
        putchar('`');
    if (pad)
        putchar(' ');
    for (; *s; s++) {
        if (in_table && *s == '|')
            putchar('\\');
        putchar(*s);
    }
    if (pad)
        putchar(' ');
    for (size_t i = 0; i < fence; i++)
        putchar('`');
}

static void print_markdown(const mxd_diagnosis *d)
{
    const mxd_explanation *x = d->explanation;
    printf("## Bounce diagnosis: ");
    md_text(x->replycode);
    putchar(' ');
    md_text(x->status);
    printf(" (");
    md_text(x->provider_name ? x->provider_name : "unknown provider");
    printf(")\n\n");
    if (x->summary) {
        md_text(x->summary);
        printf("\n\n");
    }
    printf("- **Verdict:** %s, reason `%s`, scope `%s`, retry `%s`\n",
           x->permanent == 1   ? "permanent"
           : x->permanent == 0 ? "temporary"
                               : "unknown",
           x->reason, x->scope ? x->scope : "unknown", mxd_retry_name(x->retry));
    printf("- **Reply:** ");
    md_code(x->text, 0);
    putchar('\n');
    static const char *const from_the = " (from the ";
    if (d->sending_ip) {
        printf("- **Sending IP:** ");
        md_text(d->sending_ip);
        printf("%s%s)\n", from_the, d->sending_ip_from);
    }
    if (d->sender_domain) {
        printf("- **Sender domain:** ");
        md_text(d->sender_domain);
        printf("%s%s)\n", from_the, d->sender_domain_from);
    }
    if (d->recipient) {
        printf("- **Recipient:** ");
        md_code(d->recipient, 0); /* an address would otherwise become a mailto: link */
        putchar('\n');
    }
    if (d->unproved) {
        printf("- **Hard bounce:** ");
        md_text(unproved_text);
        putchar('\n');
    }
    if (d->dkim_selector) {
        printf("- **DKIM selector:** ");
        md_text(d->dkim_selector);
        putchar('\n');
    }
    if (d->mail_from) {
        printf("- **MAIL FROM:** ");
        md_code(*d->mail_from ? d->mail_from : "<>", 0);
        printf("%s%s)\n", from_the, d->mail_from_from);
    }
    if (d->mail_from_domain) {
        printf("- **MAIL FROM domain:** ");
        md_text(d->mail_from_domain);
        printf(" (%s)\n", d->mail_from_domain_from);
    }
    if (d->helo) {
        printf("- **HELO:** ");
        md_text(d->helo);
        printf("%s%s)\n", from_the, d->helo_from);
    }
    for (size_t i = 0; i < d->ndkim_signers; i++) {
        printf("- **DKIM signed by:** d=");
        md_text(d->dkim_signers[i]);
        putchar('\n');
    }
    if (d->nchecks) {
        printf("\n### Checks\n\n| check | result | finding |\n|---|---|---|\n");
        for (size_t i = 0; i < d->nchecks; i++) {
            printf("| %s | %s | ", d->checks[i].name, mxd_check_state_name(d->checks[i].state));
            md_text(d->checks[i].summary);
            printf(" |\n");
        }
    }
    if (d->playbook) {
        printf("\n### What to do: ");
        md_text(d->playbook_title);
        printf("\n\n");
        for (size_t i = 0; i < d->nsteps; i++) {
            const mxd_diag_step *s = &d->steps[i];
            printf("- %s %s%s%s", md_box(s->mark), s->mark == MXD_MARK_MANUAL ? "(manual) " : "",
                   s->mark == MXD_MARK_UNCHECKED ? "(unchecked) " : "",
                   s->mark == MXD_MARK_NOT_APPLICABLE ? "(not applicable) " : "");
            md_text(s->text);
            putchar('\n');
            if (s->finding && s->mark != MXD_MARK_DONE) {
                printf("  - ");
                md_text(s->finding);
                putchar('\n');
            }
        }
    }
    if (d->delist_body) {
        printf("\n### Delisting request: ");
        md_text(d->delist_title);
        printf("\n\n");
        md_text(d->delist_how);
        printf("\n\n");
        if (d->delist_to) {
            printf("To: ");
            md_text(d->delist_to);
            printf("  \n");
        }
        if (d->delist_subject) {
            printf("Subject: ");
            md_text(d->delist_subject);
            printf("\n\n");
        }
        /* a fence longer than any run of backticks in the body: the body cannot close it */
        size_t fence = longest_run(d->delist_body, '`') + 1;
        fence = fence < 3 ? 3 : fence;
        for (size_t i = 0; i < fence; i++)
            putchar('`');
        printf("\n%s", d->delist_body);
        for (size_t i = 0; i < fence; i++)
            putchar('`');
        putchar('\n');
    }
    if (d->resolver_suspect) {
        printf("\n> The resolver is suspect: ");
        md_text(d->resolver_suspect);
        putchar('\n');
    }
    if (d->dns_unreachable)
        printf("\n> DNS was unreachable: the checks are unchecked, not passing.\n");
}

/* clean - neutralise every string of the diagnosis that a stranger wrote or that came over
 * DNS (the bounce, its reply, the returned message's headers, TXT records, PTR names) before it
 * is printed or written for a person: no escape sequence reaches the terminal. */
static void clean(mxd_diagnosis *d)
{
    term_clean_explanation(d->explanation);
    term_clean(d->source, 0);
    term_clean(d->sending_ip, 0);
    term_clean(d->sending_ip_owner_why, 0);
    term_clean(d->sender_domain, 0);
    term_clean(d->recipient, 0);
    term_clean(d->recipient_domain, 0);
    term_clean(d->dkim_selector, 0);
    term_clean(d->mail_from, 0);
    term_clean(d->mail_from_domain, 0);
    term_clean(d->helo, 0);
    term_clean(d->dkim_domain, 0);
    for (size_t i = 0; i < d->ndkim_signers; i++)
        term_clean(d->dkim_signers[i], 0);
    term_clean(d->dns_warning, 0);
    term_clean(d->resolver_suspect, 0);
    for (size_t i = 0; i < d->nchecks; i++) {
        term_clean(d->checks[i].summary, 0);
        for (size_t k = 0; k < d->checks[i].nfindings; k++)
            term_clean(d->checks[i].findings[k], 0);
    }
    for (size_t i = 0; i < d->nsteps; i++) {
        term_clean(d->steps[i].text, 0);
        term_clean(d->steps[i].finding, 0);
    }
    term_clean(d->delist_subject, 0);
    term_clean(d->delist_body, 1);
}

/* same_file - is path (links followed) the file in st (same device and inode)? */
static int same_file(const char *path, const struct stat *st)
{
    struct stat p;
    return stat(path, &p) == 0 && p.st_dev == st->st_dev && p.st_ino == st->st_ino;
}

/* open_beside - a new temporary file in the directory of path (0666 less the umask); its name
 * into tmp. NULL with errno set when it cannot be made. */
static FILE *open_beside(const char *path, char *tmp, size_t tmplen)
{
    const char *slash = strrchr(path, '/');
    int dl = slash ? (int)(slash - path) + 1 : 0;
    if (snprintf(tmp, tmplen, "%.*s.mxdiag-delist-XXXXXX", dl, path) >= (int)tmplen) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    int fd = mkstemp(tmp);
    if (fd < 0)
        return NULL;
    mode_t um = umask(0);
    umask(um);
    if (fchmod(fd, 0666 & ~um) != 0) {
        int saved = errno;
        close(fd);
        unlink(tmp);
        errno = saved;
        return NULL;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int saved = errno;
        close(fd);
        unlink(tmp);
        errno = saved;
    }
    return f;
}

/* write_delist - the request into path: written to a temporary file beside it, then renamed
 * over it, so a failed write leaves the old file whole and a symbolic link at path is
 * replaced, not written through. */
static int write_delist(const mxd_diagnosis *d, const char *path)
{
    char tmp[4096];
    FILE *f = open_beside(path, tmp, sizeof tmp);
    if (!f) {
        cli_err("diagnose", "%s: %s", path, strerror(errno));
        return EX_IOERR_;
    }
    if (d->delist_body) {
        fprintf(f, "%s\n%s\n\n", d->delist_title, d->delist_how);
        if (d->delist_to)
            fprintf(f, "To: %s\n", d->delist_to);
        if (d->delist_subject)
            fprintf(f, "Subject: %s\n", d->delist_subject);
        fprintf(f, "\n%s", d->delist_body);
    } else {
        fprintf(f, "No delisting request: this code family has none.\n");
    }
    int bad = fflush(f) != 0 || ferror(f);
    int saved = errno;
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    if (!bad && rename(tmp, path) != 0) {
        bad = 1;
        saved = errno;
    }
    if (bad) {
        unlink(tmp);
        cli_err("diagnose", "%s: %s", path, strerror(saved ? saved : EIO));
        return EX_IOERR_;
    }
    return 0;
}

/* cannot_open - errno values that mean the input file cannot be had (exit 66). */
static int cannot_open(int err)
{
    return err == ENOENT || err == ENOTDIR || err == EACCES || err == EISDIR || err == ELOOP ||
           err == ENAMETOOLONG || err == ENOTREG_;
}

int cmd_diagnose(const cli_global *gin, int argc, char **argv)
{
    cli_global g = *gin;
    int json = 0, markdown = 0, no_dns = 0;
    const char *input = NULL, *reply = NULL, *delist_file = NULL;
    mxd_diag_opts o = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r = cli_dns_option(&g, "diagnose", argc, argv, &i);
        if (r < 0)
            return EX_USAGE_;
        if (r > 0)
            continue;
        const char **val = NULL;
        if (!strcmp(a, "--json"))
            json = 1;
        else if (!strcmp(a, "--markdown"))
            markdown = 1;
        else if (!strcmp(a, "--no-dns"))
            no_dns = 1;
        else if (!strcmp(a, "--no-probe"))
            o.no_probe = 1;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            help(stdout);
            return 0;
        } else if (!strcmp(a, "--ip"))
            val = &o.ip;
        else if (!strcmp(a, "--domain"))
            val = &o.domain;
        else if (!strcmp(a, "--selector"))
            val = &o.selector;
        else if (!strcmp(a, "--mail-from"))
            val = &o.mail_from;
        else if (!strcmp(a, "--spamhaus-key"))
            val = &o.spamhaus_key;
        else if (!strcmp(a, "--abusix-key"))
            val = &o.abusix_key;
        else if (!strcmp(a, "--delist-request"))
            val = &delist_file;
        else if (!strcmp(a, "--reply"))
            val = &reply;
        else if (a[0] == '-' && a[1]) {
            cli_err("diagnose", "unknown option '%s' (try --help)", a);
            return EX_USAGE_;
        } else if (input) {
            cli_err("diagnose", "one input only: '%s' and '%s'", input, a);
            return EX_USAGE_;
        } else
            input = a;
        if (val) {
            if (++i == argc) {
                cli_err("diagnose", "%s needs a value", a);
                return EX_USAGE_;
            }
            if (val == &reply && reply) {
                cli_err("diagnose", "one input only: --reply given twice");
                return EX_USAGE_;
            }
            *val = argv[i];
        }
    }
    if (json && markdown) {
        cli_err("diagnose", "--json and --markdown exclude each other");
        return EX_USAGE_;
    }
    if (!!input + !!reply != 1) {
        cli_err("diagnose", "give one bounce FILE, '-' or --reply TEXT (try --help)");
        return EX_USAGE_;
    }
    if (o.ip && !mxd_ip_valid(o.ip)) {
        cli_err("diagnose", "--ip: '%s' is not an IP address", o.ip);
        return EX_USAGE_;
    }
    if (o.domain && !mxd_domain_valid(o.domain)) {
        cli_err("diagnose", "--domain: '%s' is not a domain name", o.domain);
        return EX_USAGE_;
    }
    if (o.mail_from) {
        const char *at = strrchr(o.mail_from, '@');
        int ok = at ? at > o.mail_from && mxd_domain_valid(at + 1) : mxd_domain_valid(o.mail_from);
        for (const char *p = o.mail_from; ok && at && p < at; p++)
            ok = (unsigned char)*p > ' ' && *p != 127 && *p != '<' && *p != '>';
        if (!ok || (at && at - o.mail_from > 64)) {
            cli_err("diagnose", "--mail-from: '%s' is neither an address nor a domain name",
                    o.mail_from);
            return EX_USAGE_;
        }
    }
    char *data;
    size_t len;
    const char *source = reply ? "reply" : input;
    if (reply) {
        len = strlen(reply);
        data = malloc(len + 1);
        if (!data)
            return EX_OSERR_;
        memcpy(data, reply, len + 1);
    } else {
        int oerr = 0;
        FILE *f = cli_open_input(input, &oerr);
        if (!f) {
            cli_err("diagnose", "%s: %s", input, cli_strerror(oerr));
            return cannot_open(oerr) ? EX_NOINPUT_ : EX_IOERR_;
        }
        if (f == stdin)
            source = "stdin";
        struct stat in_st;
        if (delist_file && fstat(fileno(f), &in_st) == 0 && same_file(delist_file, &in_st)) {
            if (f != stdin)
                fclose(f);
            cli_err("diagnose", "--delist-request %s is the input itself: give another file",
                    delist_file);
            return EX_USAGE_;
        }
        data = cli_read_stream(f, DIAGNOSE_INPUT_MAX + 1, &len);
        int saved = errno;
        if (f != stdin)
            fclose(f);
        if (!data) {
            cli_err("diagnose", "%s: %s", source, strerror(saved));
            return cannot_open(saved) ? EX_NOINPUT_ : EX_IOERR_; /* a directory opens, then fails */
        }
        if (len > DIAGNOSE_INPUT_MAX) { /* a cap that bites is said */
            len = DIAGNOSE_INPUT_MAX;
            data[len] = 0;
            cli_err("diagnose", "%s: longer than %u bytes: only the first %u bytes were read",
                    source, DIAGNOSE_INPUT_MAX, DIAGNOSE_INPUT_MAX);
        }
    }
    mxd_kb *kb;
    int rc = cli_open_kb(&g, "diagnose", &kb);
    if (rc) {
        free(data);
        return rc;
    }
    mxd_resolver *res = NULL;
    if (!no_dns && (rc = cli_open_resolver(&g, "diagnose", &res))) {
        free(data);
        mxd_kb_free(kb);
        return rc;
    }
    mxd_diagnosis *d = NULL;
    mxd_err e = mxd_diagnose(kb, res, data, len, reply != NULL, source, &o, &d);
    free(data);
    if (e) {
        if (e == MXD_ERR_NOTFOUND)
            cli_err("diagnose", "%s: no bounce and no SMTP reply found in it", source);
        else if (e == MXD_ERR_EMPTY)
            cli_err("diagnose", "%s: empty input", source);
        else if (e == MXD_ERR_BINARY)
            cli_err("diagnose", "%s: not text", source);
        else
            cli_err("diagnose", "%s: %s", source, mxd_strerror(e));
        mxd_resolver_free(res);
        mxd_kb_free(kb);
        return e == MXD_ERR_NOMEM                         ? EX_OSERR_
               : e == MXD_ERR_DNS || e == MXD_ERR_TIMEOUT ? EX_UNAVAILABLE_
               : e == MXD_ERR_NOLIB                       ? EX_NOINPUT_ /* cannot be read */
                                                          : EX_DATAERR_;
    }
    if (json) {
        char *s = mxd_diagnosis_json(d, 1);
        if (s)
            puts(s);
        else {
            cli_err("diagnose", "out of memory");
            rc = EX_OSERR_;
        }
        free(s);
    } else {
        clean(d);
        if (markdown)
            print_markdown(d);
        else
            print_text(&g, d);
    }
    if (delist_file && !rc) {
        clean(d); /* the JSON above escaped everything itself */
        rc = write_delist(d, delist_file);
    }
    if (!rc && (d->dns_unreachable || d->resolver_suspect))
        rc = EX_UNAVAILABLE_;
    mxd_diagnosis_free(d);
    mxd_resolver_free(res);
    mxd_kb_free(kb);
    int wr = cli_stdout_status("diagnose", 0);
    return wr ? wr : rc;
}
