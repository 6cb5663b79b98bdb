/* cmd_check.c - mxdiag check: ip (blocklists, reverse DNS), mx (recipient MX); domain elsewhere
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

#define CHECK_MAX_IPS     100000             /* addresses in one call */
#define CHECK_STDIN_KEEP  (8u * 1024 * 1024) /* bytes of an address list read from stdin */
#define CHECK_LINE_MAX    4096               /* one formatted output line */
#define CHECK_NAGIOS_SHOW 5                  /* addresses named in a Nagios status line */

enum { NAGIOS_OK = 0, NAGIOS_WARNING = 1, NAGIOS_CRITICAL = 2, NAGIOS_UNKNOWN = 3 };

static void help_check(FILE *out)
{
    fprintf(out, "usage: mxdiag check ip IP... [options]\n"
                 "       mxdiag check mx DOMAIN [--json]\n"
                 "       mxdiag check domain DOMAIN [options]\n\n"
                 "Live checks over DNS. 'mxdiag check SUBCOMMAND --help' for each.\n");
}

static void help_ip(FILE *out)
{
    fprintf(out,
            "usage: mxdiag check ip IP... [--domain D] [--lists NAME,...] [--json | --jsonl]\n"
            "                       [--nagios]\n\n"
            "Check IPv4 and IPv6 addresses: the DNS blocklists (Spamhaus ZEN, Barracuda,\n"
            "SpamCop ...: data/dnsbl.tsv), the reverse DNS (PTR names, forward confirmation,\n"
            "generic-looking names) and, with --domain, whether the PTR name belongs to the\n"
            "sender's domain. All lookups of all addresses run at once. '-' reads addresses\n"
            "from standard input (one or more per line, '#' starts a comment).\n\n"
            "options:\n"
            "  --domain D          the domain (or HELO name) the PTR names should belong to\n"
            "  --lists NAME,...    blocklists to ask by id (e.g. spamhaus-zen,spamcop), or\n"
            "                      'all'; default: the lists marked default in the catalogue\n"
            "  --spamhaus-key KEY  Spamhaus DQS key (also MXDIAG_SPAMHAUS_KEY): Spamhaus\n"
            "                      zones become KEY.zen.dq.spamhaus.net etc.\n"
            "  --abusix-key KEY    Abusix Mail Intelligence API key (also\n"
            "                      MXDIAG_ABUSIX_KEY): asks KEY.combined.mail.abusix.zone;\n"
            "                      without it the Abusix list is not asked (named in\n"
            "                      --lists: an error saying the key is missing)\n"
            "  --no-txt            do not ask the TXT reason of listings\n"
            "  --no-probe          do not ask the lists' test entries (RFC 5782 health\n"
            "                      probe); then a resolver that answers NXDOMAIN for\n"
            "                      everything makes every list look clean\n"
            "  --show-lists        print the blocklist catalogue and exit (on: asked by\n"
            "                      default; 'key': by default once its key is given)\n"
            "  --json              one JSON array: an object per address (mxdiag-json(5))\n"
            "  --jsonl             one JSON object per address, one per line\n"
            "  --nagios            one status line and Nagios plugin exit codes: 0 OK,\n"
            "                      1 WARNING (a list could not be asked, PTR problems),\n"
            "                      2 CRITICAL (listed), 3 UNKNOWN (no DNS answer at all)\n"
            "%s"
            "  -h, --help          this help\n\n"
            "A list that times out, fails or answers with an error code (Spamhaus\n"
            "127.255.255.254 for public resolvers, URIBL 127.0.0.1 ...) is an error, never\n"
            "'clean'. So is a list that fails its health probe: its test entries are\n"
            "asked too (once per run), and when 127.0.0.2 is not listed (the resolver is\n"
            "refused or answers NXDOMAIN for everything, or the list is dead) or 127.0.0.1\n"
            "is listed (the list lists everything), its answers mean nothing.\n\n"
            "exit status: 0 checked (listed or not), 64 bad usage or address, 69 no DNS\n"
            "answer at all; with --nagios the plugin codes above\n",
            cli_dns_help);
}

static void help_mx(FILE *out)
{
    fprintf(out,
            "usage: mxdiag check mx DOMAIN [--json]\n\n"
            "The mail exchangers of a recipient domain: MX hosts by preference with their\n"
            "addresses and the provider that runs them (Microsoft 365, Google, Yahoo,\n"
            "Proofpoint, Mimecast ...), a null MX (RFC 7505: the domain accepts no mail),\n"
            "or the fallback to the domain's own address when it has no MX record.\n\n"
            "options:\n"
            "  --json          one JSON object\n"
            "%s"
            "  -h, --help      this help\n\n"
            "exit status: 0 answered, 64 bad usage or domain, 69 the MX lookup failed or\n"
            "the resolver is suspect (it denies the top-level domain too: its NXDOMAIN\n"
            "cannot be believed)\n",
            cli_dns_help);
}

/* ---- address list ------------------------------------------------------------------------ */

typedef struct ip_list {
    char **v;
    size_t n, alloc;
} ip_list;

static int ip_add(ip_list *l, const char *s, size_t len)
{
    if (l->n >= CHECK_MAX_IPS) {
        cli_err("check ip", "more than %d addresses in one call", CHECK_MAX_IPS);
        return EX_USAGE_;
    }
    if (l->n == l->alloc) {
        size_t na = l->alloc ? l->alloc * 2 : 64;
        char **p = realloc(l->v, na * sizeof *p);
        if (!p)
            return EX_OSERR_;
        l->v = p;
        l->alloc = na;
    }
    char *c = malloc(len + 1);
    if (!c)
        return EX_OSERR_;
    memcpy(c, s, len);
    c[len] = 0;
    l->v[l->n++] = c;
    return 0;
}

static void ip_list_free(ip_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

/* read_stdin_ips - addresses separated by blanks, commas or newlines; '#' to end of line. */
static int read_stdin_ips(ip_list *l)
{
    size_t len;
    char *data = cli_read_stream(stdin, CHECK_STDIN_KEEP, &len);
    if (!data) {
        cli_err("check ip", "cannot read standard input");
        return EX_IOERR_;
    }
    if (len >= CHECK_STDIN_KEEP) { /* the rest was dropped: the last address may be cut */
        free(data);
        cli_err("check ip", "the address list on standard input is larger than %u bytes",
                CHECK_STDIN_KEEP);
        return EX_USAGE_;
    }
    int rc = 0;
    for (size_t i = 0; i < len && !rc;) {
        char c = data[i];
        if (c == '#') {
            while (i < len && data[i] != '\n')
                i++;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',') {
            i++;
            continue;
        }
        size_t j = i;
        while (j < len && data[j] != ' ' && data[j] != '\t' && data[j] != '\r' && data[j] != '\n' &&
               data[j] != ',' && data[j] != '#')
            j++;
        rc = ip_add(l, data + i, j - i);
        i = j;
    }
    free(data);
    return rc;
}

/* ---- text output --------------------------------------------------------------------------- */

static void field(const cli_global *g, const char *label, const char *value)
{
    printf("  %-8s ", label);
    term_wrap_at(stdout, g, 11, 11, value);
}

static const char *tri(int v, const char *yes, const char *no, const char *unknown)
{
    return v < 0 ? unknown : v ? yes : no;
}

static void print_ip_text(const cli_global *g, const mxd_ip_report *rep, const char *rwarn,
                          const char *want)
{
    const char *b = term_c(g, "bold"), *rs = term_c(g, "reset");
    const char *red = term_c(g, "red"), *yel = term_c(g, "yellow"), *grn = term_c(g, "green");
    char line[CHECK_LINE_MAX];
    size_t total = rep->ndnsbl;
    if (rep->listed)
        printf("%s%s%s  %sLISTED%s on %zu of %zu blocklists", b, rep->ip, rs, red, rs, rep->listed,
               total);
    else if (rep->errors == total && total)
        printf("%s%s%s  %sUNKNOWN%s: no blocklist could be asked", b, rep->ip, rs, yel, rs);
    else
        printf("%s%s%s  %snot listed%s on %zu blocklist%s", b, rep->ip, rs, grn, rs, rep->clean,
               rep->clean == 1 ? "" : "s");
    if (rep->errors && rep->errors != total)
        printf(", %zu unknown", rep->errors);
    printf("\n");
    for (size_t i = 0; i < rep->ndnsbl; i++) {
        const mxd_bl_entry *e = &rep->dnsbl[i];
        if (e->result == MXD_BL_LISTED) {
            snprintf(line, sizeof line, "%s (%s)", e->name, e->zone);
            printf("  %s%-8s%s ", red, "listed", rs);
            term_wrap_at(stdout, g, 11, 11, line);
            for (size_t k = 0; k < e->ncodes; k++) {
                snprintf(line, sizeof line, "%s: %s", e->codes[k], e->meanings[k]);
                printf("%11s", "");
                term_wrap_at(stdout, g, 11, 13, line);
            }
            if (e->txt) {
                snprintf(line, sizeof line, "TXT: %s", e->txt);
                printf("%11s", "");
                term_wrap_at(stdout, g, 11, 13, line);
            }
            if (e->delist) {
                snprintf(line, sizeof line, "delist: %s", e->delist);
                printf("%11s", "");
                term_wrap_at(stdout, g, 11, 13, line);
            }
        } else if (e->result == MXD_BL_ERROR) {
            snprintf(line, sizeof line, "%s (%s): %s", e->name, e->zone,
                     e->error ? e->error : "error");
            printf("  %s%-8s%s ", yel, "error", rs);
            term_wrap_at(stdout, g, 11, 13, line);
        }
    }
    const mxd_ptr_info *p = &rep->ptr;
    if (p->nnames) {
        size_t off = 0;
        line[0] = 0;
        for (size_t i = 0; i < p->nnames && off < sizeof line; i++) {
            int w = snprintf(line + off, sizeof line - off, "%s%s", i ? ", " : "", p->names[i]);
            if (w > 0)
                off += (size_t)w;
        }
        field(g, "PTR", line);
    } else {
        snprintf(line, sizeof line, "none (%s)", mxd_dns_status_name(p->status));
        field(g, "PTR", line);
    }
    if (p->nnames || p->fcrdns == 0) {
        const char *v = tri(p->fcrdns, "pass: the name resolves back to the address",
                            "fail: no PTR name resolves back to the address",
                            "unknown: a forward lookup failed");
        field(g, "FCrDNS", v);
    }
    if (p->generic == 1) {
        snprintf(line, sizeof line, "yes: %s", p->generic_why ? p->generic_why : "");
        field(g, "generic", line);
    } else if (p->generic == 0) {
        field(g, "generic", "no");
    }
    if (want && p->domain_match >= 0) {
        snprintf(line, sizeof line, "%s %s %s", p->domain ? p->domain : "-",
                 p->domain_match ? "matches" : "does not match", want);
        field(g, "domain", line);
    }
    snprintf(line, sizeof line, "%zu clean, %zu listed, %zu error%s", rep->clean, rep->listed,
             rep->errors, rep->errors == 1 ? "" : "s");
    field(g, "lists", line);
    for (size_t i = 0; i < rep->nwarnings; i++) {
        if (rwarn && !strcmp(rep->warnings[i], rwarn))
            continue; /* already on stderr */
        printf("  %s!%s ", yel, rs);
        term_wrap_at(stdout, g, 4, 4, rep->warnings[i]);
    }
}

/* ---- Nagios ---------------------------------------------------------------------------------- */

static int unreachable(const mxd_ip_report *rep)
{
    mxd_dns_status s = rep->ptr.status;
    int ptr_failed = s != MXD_DNS_OK && s != MXD_DNS_NXDOMAIN && s != MXD_DNS_NODATA;
    return ptr_failed && rep->errors == rep->ndnsbl;
}

static int ptr_problem(const mxd_ip_report *rep)
{
    return rep->ptr.fcrdns != 1 || rep->ptr.generic == 1 || rep->ptr.domain_match == 0;
}

static int print_nagios(mxd_ip_report **reps, size_t n)
{
    size_t listed = 0, errors = 0, clean = 0, nlisted = 0, nwarn = 0, nunreach = 0;
    for (size_t i = 0; i < n; i++) {
        listed += reps[i]->listed;
        errors += reps[i]->errors;
        clean += reps[i]->clean;
        nlisted += reps[i]->listed > 0;
        nunreach += unreachable(reps[i]);
        nwarn += reps[i]->errors > 0 || ptr_problem(reps[i]);
    }
    int code;
    const char *word;
    if (nlisted) {
        code = NAGIOS_CRITICAL;
        word = "CRITICAL";
    } else if (n && nunreach == n) {
        code = NAGIOS_UNKNOWN;
        word = "UNKNOWN";
    } else if (nwarn) {
        code = NAGIOS_WARNING;
        word = "WARNING";
    } else {
        code = NAGIOS_OK;
        word = "OK";
    }
    printf("DNSBL %s - ", word);
    if (code == NAGIOS_UNKNOWN) {
        printf("no DNS answer: every lookup failed");
    } else if (code == NAGIOS_CRITICAL) {
        size_t shown = 0;
        if (n > 1)
            printf("%zu of %zu addresses listed: ", nlisted, n);
        for (size_t i = 0; i < n && shown < CHECK_NAGIOS_SHOW; i++) {
            if (!reps[i]->listed)
                continue;
            printf("%s%s listed on ", shown ? "; " : "", reps[i]->ip);
            size_t k = 0;
            for (size_t j = 0; j < reps[i]->ndnsbl; j++)
                if (reps[i]->dnsbl[j].result == MXD_BL_LISTED)
                    printf("%s%s", k++ ? ", " : "", reps[i]->dnsbl[j].name);
            shown++;
        }
        if (nlisted > shown)
            printf("; ...");
    } else {
        size_t shown = 0;
        for (size_t i = 0; i < n && shown < CHECK_NAGIOS_SHOW; i++) {
            const mxd_ip_report *r = reps[i];
            if (code == NAGIOS_OK) {
                if (n == 1)
                    printf("%s on no blocklist of %zu, PTR %s confirmed", r->ip, r->ndnsbl,
                           r->ptr.nnames ? r->ptr.names[0] : "-");
                else if (!shown)
                    printf("%zu addresses on no blocklist", n);
                shown++;
                continue;
            }
            if (!(r->errors > 0 || ptr_problem(r)))
                continue;
            printf("%s%s:", shown ? "; " : "", r->ip);
            if (r->errors)
                printf(" %zu blocklist%s not answered", r->errors, r->errors == 1 ? "" : "s");
            if (r->ptr.fcrdns == 0 && !r->ptr.nnames)
                printf("%s no PTR record", r->errors ? "," : "");
            else if (r->ptr.fcrdns == 0)
                printf("%s FCrDNS fails", r->errors ? "," : "");
            else if (r->ptr.fcrdns < 0)
                printf("%s reverse DNS unknown", r->errors ? "," : "");
            if (r->ptr.generic == 1)
                printf(", generic PTR name");
            if (r->ptr.domain_match == 0)
                printf(", PTR not in the domain");
            shown++;
        }
        if (code == NAGIOS_WARNING && nwarn > shown)
            printf("; ...");
    }
    printf(" | listed=%zu errors=%zu clean=%zu\n", listed, errors, clean);
    return code;
}

/* ---- blocklist catalogue ------------------------------------------------------------------- */

static int show_lists(const mxd_kb *kb)
{
    mxd_bl_info bi;
    printf("%-16s %-6s %-3s %-30s %s\n", "id", "type", "on", "zone", "name");
    for (size_t i = 0; !mxd_dnsbl_info(kb, i, &bi); i++)
        printf("%-16s %-6s %-3s %-30s %s\n", bi.id,
               bi.domain            ? "domain"
               : bi.ipv4 && bi.ipv6 ? "ip4+6"
               : bi.ipv4            ? "ip4"
                                    : "ip6",
               !bi.on            ? "no"
               : bi.key_required ? "key"
                                 : "yes",
               bi.zone, bi.name);
    return 0;
}

/* ---- check ip -------------------------------------------------------------------------------- */

static int cmd_check_ip(const cli_global *g0, int argc, char **argv)
{
    const char *cmd = "check ip";
    cli_global g = *g0;
    mxd_check_opts o = {0};
    int json = 0, nagios = 0, from_stdin = 0, dashdash = 0, list_only = 0;
    ip_list ips = {0};
    int rc = 0;
    o.spamhaus_key = getenv("MXDIAG_SPAMHAUS_KEY");
    if (o.spamhaus_key && !*o.spamhaus_key)
        o.spamhaus_key = NULL;
    o.abusix_key = getenv("MXDIAG_ABUSIX_KEY");
    if (o.abusix_key && !*o.abusix_key)
        o.abusix_key = NULL;
    for (int i = 1; i < argc && !rc; i++) {
        const char *a = argv[i];
        if (dashdash || a[0] != '-' || !a[1]) {
            if (!dashdash && !strcmp(a, "-"))
                from_stdin = 1;
            else
                rc = ip_add(&ips, a, strlen(a));
            continue;
        }
        int r = cli_dns_option(&g, cmd, argc, argv, &i);
        if (r < 0) {
            rc = EX_USAGE_;
        } else if (r > 0) {
            continue;
        } else if (!strcmp(a, "--")) {
            dashdash = 1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            help_ip(stdout);
            ip_list_free(&ips);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--jsonl")) {
            json = 2;
        } else if (!strcmp(a, "--nagios")) {
            nagios = 1;
        } else if (!strcmp(a, "--no-txt")) {
            o.no_txt = 1;
        } else if (!strcmp(a, "--no-probe")) {
            o.no_probe = 1;
        } else if (!strcmp(a, "--show-lists")) {
            list_only = 1;
        } else if (cli_is_opt(a, "--domain")) {
            if (!(o.domain = cli_take_value(cmd, argc, argv, &i, "--domain", 0)))
                rc = EX_USAGE_;
        } else if (cli_is_opt(a, "--lists")) {
            if (!(o.lists = cli_take_value(cmd, argc, argv, &i, "--lists", 0)))
                rc = EX_USAGE_;
        } else if (cli_is_opt(a, "--spamhaus-key")) {
            if (!(o.spamhaus_key = cli_take_value(cmd, argc, argv, &i, "--spamhaus-key", 0)))
                rc = EX_USAGE_;
        } else if (cli_is_opt(a, "--abusix-key")) {
            if (!(o.abusix_key = cli_take_value(cmd, argc, argv, &i, "--abusix-key", 0)))
                rc = EX_USAGE_;
        } else {
            cli_err(cmd, "unknown option '%s' (try --help)", a);
            rc = EX_USAGE_;
        }
    }
    if (!rc && from_stdin)
        rc = read_stdin_ips(&ips);
    if (!rc && json && nagios) {
        cli_err(cmd, "--json (or --jsonl) and --nagios do not go together");
        rc = EX_USAGE_;
    }
    if (!rc && !ips.n && !list_only) {
        cli_err(cmd, "no address given (try --help)");
        rc = EX_USAGE_;
    }
    if (!rc && o.domain && !mxd_domain_valid(o.domain)) {
        cli_err(cmd, "--domain: '%s' is not a domain name", o.domain);
        rc = EX_USAGE_;
    }
    for (size_t i = 0; !rc && i < ips.n; i++)
        if (!mxd_ip_valid(ips.v[i])) {
            cli_err(cmd, "'%s' is not an IPv4 or IPv6 address", ips.v[i]);
            rc = EX_USAGE_;
        }
    if (rc) {
        ip_list_free(&ips);
        return rc;
    }
    mxd_kb *kb = NULL;
    mxd_resolver *res = NULL;
    if ((rc = cli_open_kb(&g, cmd, &kb)) || (rc = cli_open_resolver(&g, cmd, &res))) {
        mxd_kb_free(kb);
        ip_list_free(&ips);
        return nagios ? NAGIOS_UNKNOWN : rc;
    }
    mxd_ip_report **reps = calloc(ips.n ? ips.n : 1, sizeof *reps);
    if (!reps) {
        rc = EX_OSERR_;
        goto out;
    }
    if (list_only) {
        rc = show_lists(kb);
        goto out;
    }
    for (size_t i = 0; i < ips.n; i++) {
        char why[512] = "";
        mxd_err e = mxd_ip_check_submit(res, kb, ips.v[i], &o, &reps[i], why, sizeof why);
        if (e) {
            cli_err(cmd, "%s", why[0] ? why : mxd_strerror(e));
            rc = e == MXD_ERR_INVALID ? EX_USAGE_ : nagios ? NAGIOS_UNKNOWN : EX_SOFTWARE_;
            goto out; /* nothing ran yet: freeing the reports after the resolver is safe */
        }
    }
    mxd_err e = mxd_resolver_run(res);
    if (e) {
        cli_err(cmd, "DNS: %s", mxd_strerror(e));
        rc = nagios ? NAGIOS_UNKNOWN : EX_UNAVAILABLE_;
        goto out;
    }
    size_t nunreach = 0;
    for (size_t i = 0; i < ips.n; i++)
        nunreach += unreachable(reps[i]);
    if (nagios) {
        rc = print_nagios(reps, ips.n);
    } else if (json) {
        /* --json: one document, an array (as bounce --json); --jsonl: a line per address */
        if (json == 1)
            fputs("[", stdout);
        for (size_t i = 0; i < ips.n; i++) {
            char *s = mxd_ip_report_json(reps[i], 0);
            if (!s) {
                rc = EX_OSERR_;
                break;
            }
            if (json == 1)
                printf("%s\n%s", i ? "," : "", s);
            else
                puts(s);
            free(s);
        }
        if (json == 1)
            fputs(ips.n ? "\n]\n" : "]\n", stdout);
    } else {
        const char *rw = mxd_resolver_warning(res);
        for (size_t i = 0; i < ips.n; i++) {
            if (i)
                printf("\n");
            print_ip_text(&g, reps[i], rw, o.domain);
        }
        if (ips.n > 1) {
            size_t nl = 0;
            for (size_t i = 0; i < ips.n; i++)
                nl += reps[i]->listed > 0;
            printf("\n%zu addresses: %zu listed, %zu not listed\n", ips.n, nl, ips.n - nl);
        }
    }
    if (!nagios && !rc && ips.n && nunreach == ips.n) {
        cli_err(cmd, "no DNS answer at all: check --dns-server and the network");
        rc = EX_UNAVAILABLE_;
    }
out:
    /* the resolver first: it drops whatever is still queued, so no callback runs later */
    mxd_resolver_free(res);
    for (size_t i = 0; reps && i < ips.n; i++)
        mxd_ip_report_free(reps[i]);
    free(reps);
    mxd_kb_free(kb);
    ip_list_free(&ips);
    int wr = cli_stdout_status(cmd, 0);
    if (wr && !rc)
        rc = wr;
    return rc;
}

/* ---- check mx -------------------------------------------------------------------------------- */

static int cmd_check_mx(const cli_global *g0, int argc, char **argv)
{
    const char *cmd = "check mx";
    cli_global g = *g0;
    int json = 0;
    const char *domain = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-') {
            if (domain) {
                cli_err(cmd, "one domain at a time (got '%s' and '%s')", domain, a);
                return EX_USAGE_;
            }
            domain = a;
            continue;
        }
        int r = cli_dns_option(&g, cmd, argc, argv, &i);
        if (r < 0)
            return EX_USAGE_;
        if (r > 0)
            continue;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            help_mx(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else {
            cli_err(cmd, "unknown option '%s' (try --help)", a);
            return EX_USAGE_;
        }
    }
    if (!domain) {
        cli_err(cmd, "no domain given (try --help)");
        return EX_USAGE_;
    }
    if (!mxd_domain_valid(domain)) {
        if (mxd_ip_valid(domain))
            cli_err(cmd, "'%s' is an IP address, not a domain (try 'mxdiag check ip')", domain);
        else
            cli_err(cmd, "'%s' is not a domain name", domain);
        return EX_USAGE_;
    }
    mxd_kb *kb = NULL;
    mxd_resolver *res = NULL;
    int rc;
    if ((rc = cli_open_kb(&g, cmd, &kb)) || (rc = cli_open_resolver(&g, cmd, &res))) {
        mxd_kb_free(kb);
        return rc;
    }
    mxd_mx_report *rep = NULL;
    mxd_err e = mxd_check_mx(res, kb, domain, &rep);
    if (e) {
        cli_err(cmd, "%s", mxd_strerror(e));
        rc = e == MXD_ERR_INVALID ? EX_USAGE_ : EX_UNAVAILABLE_;
        goto out;
    }
    /* "does not exist" is believed only from a resolver that knows the top-level domain */
    char suspect[512] = "";
    if (rep->status == MXD_DNS_NXDOMAIN)
        mxd_nxdomain_suspect(res, rep->domain, suspect, sizeof suspect);
    if (json) {
        char *s = mxd_mx_report_json(rep, 0);
        if (s)
            puts(s);
        free(s);
    } else if (suspect[0]) {
        printf("%s%s%s: MX not checked: the resolver is suspect\n", term_c(&g, "bold"), rep->domain,
               term_c(&g, "reset"));
        printf("  %s!%s ", term_c(&g, "yellow"), term_c(&g, "reset"));
        term_wrap_at(stdout, &g, 4, 4, suspect);
    } else {
        const char *b = term_c(&g, "bold"), *rs = term_c(&g, "reset");
        const char *yel = term_c(&g, "yellow");
        if (rep->null_mx)
            printf("%s%s%s: null MX (RFC 7505): the domain accepts no mail\n", b, rep->domain, rs);
        else if (rep->status == MXD_DNS_OK)
            printf("%s%s%s: %zu mail exchanger%s\n", b, rep->domain, rs, rep->nhosts,
                   rep->nhosts == 1 ? "" : "s");
        else if (rep->implicit)
            printf("%s%s%s: no MX record, mail goes to the domain's own address\n", b, rep->domain,
                   rs);
        else
            printf("%s%s%s: MX lookup %s\n", b, rep->domain, rs, mxd_dns_status_name(rep->status));
        for (size_t i = 0; i < rep->nhosts; i++) {
            const mxd_mx_host *h = &rep->hosts[i];
            char line[CHECK_LINE_MAX];
            size_t off = 0;
            line[0] = 0;
            for (size_t k = 0; k < h->naddrs && off < sizeof line; k++) {
                int w = snprintf(line + off, sizeof line - off, "%s%s", k ? ", " : "", h->addrs[k]);
                if (w > 0)
                    off += (size_t)w;
            }
            printf("  %5d  %s\n", h->pref, h->name);
            printf("%9s", "");
            term_wrap_at(stdout, &g, 9, 9, h->naddrs ? line : "(no address)");
            if (h->provider_name) {
                if (h->region[0])
                    snprintf(line, sizeof line, "provider: %s (region %s)", h->provider_name,
                             h->region);
                else
                    snprintf(line, sizeof line, "provider: %s", h->provider_name);
                printf("%9s", "");
                term_wrap_at(stdout, &g, 9, 9, line);
            }
        }
        for (size_t i = 0; i < rep->nwarnings; i++) {
            if (rep->null_mx && strstr(rep->warnings[i], "null MX (RFC 7505)"))
                continue; /* the headline said it */
            printf("  %s!%s ", yel, rs);
            term_wrap_at(stdout, &g, 4, 4, rep->warnings[i]);
        }
    }
    switch (rep->status) {
    case MXD_DNS_OK:
    case MXD_DNS_NXDOMAIN:
    case MXD_DNS_NODATA:
        rc = suspect[0] ? EX_UNAVAILABLE_ : 0;
        if (suspect[0] && json)
            cli_err(cmd, "the resolver is suspect: %s", suspect);
        break;
    default:
        rc = EX_UNAVAILABLE_;
    }
out:
    mxd_resolver_free(res);
    mxd_mx_report_free(rep);
    mxd_kb_free(kb);
    int wr = cli_stdout_status(cmd, 0);
    if (wr && !rc)
        rc = wr;
    return rc;
}

int cmd_check(const cli_global *g, int argc, char **argv)
{
    if (argc < 2) {
        help_check(stderr);
        return EX_USAGE_;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "-h") || !strcmp(sub, "--help") || !strcmp(sub, "help")) {
        help_check(stdout);
        return 0;
    }
    if (!strcmp(sub, "ip"))
        return cmd_check_ip(g, argc - 1, argv + 1);
    if (!strcmp(sub, "mx"))
        return cmd_check_mx(g, argc - 1, argv + 1);
    if (!strcmp(sub, "domain"))
        return cmd_check_domain(g, argc - 1, argv + 1);
    cli_err("check", "unknown check '%s' (ip, mx or domain)", sub);
    return EX_USAGE_;
}
