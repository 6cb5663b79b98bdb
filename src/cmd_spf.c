/* cmd_spf.c - mxdiag spf: evaluate SPF for a client IP, or lint a domain's SPF policy
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include <mxdiag/spf.h>

static void help(FILE *out)
{
    fprintf(out,
            "usage: mxdiag spf --ip IP [--mail-from ADDR] [--helo NAME] [--json] [DOMAIN]\n"
            "       mxdiag spf [--json] DOMAIN\n\n"
            "With --ip: RFC 7208 check_host() for that client IP. The identity is the domain\n"
            "of --mail-from, or the --helo name when the mail-from is empty or absent; DOMAIN\n"
            "overrides it. The first line is the result (pass, fail, softfail, neutral, none,\n"
            "permerror, temperror); then the explanation, the deciding term and the include\n"
            "tree with the DNS-lookup count of each record.\n\n"
            "Without --ip: lint DOMAIN's SPF policy: DNS lookups used (limit 10) and which\n"
            "include pushes past the limit, void lookups (limit 2), syntax problems, ptr,\n"
            "+all/?all, a record too long for one UDP answer, and the networks it authorises.\n\n"
            "options:\n"
            "  --ip IP          the connecting client's address (IPv4 or IPv6)\n"
            "  --mail-from ADDR the MAIL FROM address (may be empty: \"\")\n"
            "  --helo NAME      the HELO/EHLO name\n"
            "  --json           one JSON object: result domain explanation mechanism\n"
            "                   dns_lookups void_lookups tree (lint: domain record status\n"
            "                   dns_lookups void_lookups over_limit udp_size networks\n"
            "                   findings tree)\n"
            "%s"
            "  -h, --help       this help\n\n"
            "exit status: 0 whatever the SPF result, 64 bad usage, 69 DNS unusable (the\n"
            "record could not be read, or \"none\" from a resolver that denies the\n"
            "top-level domain too)\n",
            cli_dns_help);
}

/* print_tree - one line per record: domain, result, lookups of this record, running total. */
static void print_tree(const cli_global *g, const mxd_spf_node *n, int depth, int lint)
{
    char line[1024];
    int ind = 2 + depth * 2;
    if (n->term)
        snprintf(line, sizeof line, "%s -> %s", n->term, n->domain);
    else
        snprintf(line, sizeof line, "%s", n->domain);
    size_t l = strlen(line);
    if (lint)
        snprintf(line + l, sizeof line - l, "  %d lookup%s (total %d)%s%s", n->lookups,
                 n->lookups == 1 ? "" : "s", n->total, n->void_lookups ? ", void" : "",
                 n->record || n->problem ? "" : ", no record");
    else
        snprintf(line + l, sizeof line - l, "  [%s] %d lookup%s (total %d)",
                 mxd_spf_result_name(n->result), n->lookups, n->lookups == 1 ? "" : "s", n->total);
    printf("%*s", ind, "");
    term_wrap(stdout, g, 0, ind + 4, line);
    if (n->problem) {
        printf("%*s", ind + 4, "");
        term_wrap(stdout, g, 0, ind + 4, n->problem);
    }
    for (size_t i = 0; i < n->nchildren; i++)
        print_tree(g, n->children[i], depth + 1, lint);
}

static void field(const cli_global *g, const char *name, const char *value)
{
    if (!value)
        return;
    printf("%-13s", name);
    term_wrap_at(stdout, g, 13, 13, value);
}

static void print_eval(const cli_global *g, const mxd_spf_eval *e)
{
    char tmp[1024];
    printf("%s\n", mxd_spf_result_name(e->result));
    field(g, "domain:", e->domain);
    if (e->explanation) {
        snprintf(tmp, sizeof tmp, "%s%s", e->explanation,
                 e->explanation_from_exp ? "" : " (default text: the domain has no exp=)");
        field(g, "explanation:", tmp);
    }
    if (e->mechanism) {
        snprintf(tmp, sizeof tmp, "%s (in the record of %s)", e->mechanism,
                 e->mechanism_domain ? e->mechanism_domain : e->domain);
        field(g, "mechanism:", tmp);
    } else if (e->result == MXD_SPF_NEUTRAL) {
        field(g, "mechanism:", "none matched: the default result is neutral");
    }
    field(g, "problem:", e->problem);
    snprintf(tmp, sizeof tmp, "%d of %d DNS-querying terms, %d of %d void lookups", e->dns_lookups,
             MXD_SPF_MAX_DNS_TERMS, e->void_lookups, MXD_SPF_MAX_VOID);
    field(g, "lookups:", tmp);
    if (e->tree) {
        printf("\ninclude tree (DNS lookups of each record, running total):\n");
        print_tree(g, e->tree, 0, 0);
    }
}

static void print_report(const cli_global *g, const mxd_spf_report *r)
{
    char tmp[1024];
    printf("SPF policy of %s: %s\n", r->domain,
           r->status == MXD_SPF_NONE        ? "no SPF record"
           : r->status == MXD_SPF_PERMERROR ? "broken (receivers get permerror)"
           : r->status == MXD_SPF_TEMPERROR ? "could not be read completely (DNS trouble)"
                                            : "valid");
    field(g, "record:", r->record);
    if (r->record || r->dns_lookups) {
        snprintf(tmp, sizeof tmp, "%d of %d%s%s", r->dns_lookups, MXD_SPF_MAX_DNS_TERMS,
                 r->over_limit ? "; past the limit at " : "", r->over_limit ? r->over_limit : "");
        field(g, "DNS lookups:", tmp);
        snprintf(tmp, sizeof tmp, "%d of %d", r->void_lookups, MXD_SPF_MAX_VOID);
        field(g, "void:", tmp);
        snprintf(tmp, sizeof tmp, "%zu bytes (UDP limit %d)", r->udp_size, MXD_SPF_UDP_LIMIT);
        field(g, "TXT answer:", tmp);
    }
    if (r->nfindings) {
        printf("\nfindings:\n");
        for (size_t i = 0; i < r->nfindings; i++) {
            const mxd_finding *f = &r->findings[i];
            snprintf(tmp, sizeof tmp, "%-8s%s", mxd_severity_name(f->severity), f->text);
            printf("  ");
            term_wrap(stdout, g, 0, 10, tmp);
            if (f->fix) {
                snprintf(tmp, sizeof tmp, "fix: %s", f->fix);
                printf("          ");
                term_wrap(stdout, g, 0, 15, tmp);
            }
        }
    }
    if (r->nnets) {
        printf("\nauthorised networks (flattened%s):\n",
               r->flattenable ? "" : "; macros, exists or ptr terms cannot be flattened");
        for (size_t i = 0; i < r->nnets; i++)
            printf("  %c%-40s %s\n", r->nets[i].qualifier == '+' ? ' ' : r->nets[i].qualifier,
                   r->nets[i].net, r->nets[i].source);
    }
    if (r->tree) {
        printf("\ninclude tree (DNS lookups of each record, running total):\n");
        print_tree(g, r->tree, 0, 1);
    }
}

/* suspect - for a result "none" from a resolver that denies the top-level domain too: the
 * warning on stderr and 69; else 0. */
static int suspect(mxd_resolver *res, mxd_spf_result result, const char *domain)
{
    char why[512] = "";
    if (result != MXD_SPF_NONE || !domain || !mxd_nxdomain_suspect(res, domain, why, sizeof why))
        return 0;
    cli_err("spf", "the result none is not believed: the resolver is suspect: %s", why);
    return EX_UNAVAILABLE_;
}

int cmd_spf(const cli_global *g0, int argc, char **argv)
{
    cli_global g = *g0;
    const char *ip = NULL, *mail_from = NULL, *helo = NULL, *domain = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            help(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (cli_is_opt(a, "--ip")) {
            if (!(ip = cli_take_value("spf", argc, argv, &i, "--ip", 1)))
                return EX_USAGE_;
        } else if (cli_is_opt(a, "--mail-from")) {
            if (!(mail_from = cli_take_value("spf", argc, argv, &i, "--mail-from", 1)))
                return EX_USAGE_;
        } else if (cli_is_opt(a, "--helo")) {
            if (!(helo = cli_take_value("spf", argc, argv, &i, "--helo", 1)))
                return EX_USAGE_;
        } else if (a[0] == '-' && a[1]) {
            if (cli_other_option(&g, "spf", argc, argv, &i))
                return EX_USAGE_;
        } else if (!domain) {
            domain = a;
        } else {
            cli_err("spf", "one DOMAIN only (got '%s' and '%s')", domain, a);
            return EX_USAGE_;
        }
    }
    if (!ip && !domain) {
        help(stderr);
        return EX_USAGE_;
    }
    if (!ip && (mail_from || helo)) {
        cli_err("spf", "--mail-from and --helo need --ip (without --ip, DOMAIN is linted)");
        return EX_USAGE_;
    }
    if (ip && !domain && !(mail_from && *mail_from) && !(helo && *helo)) {
        cli_err("spf", "no identity: give --mail-from, --helo or DOMAIN");
        return EX_USAGE_;
    }
    mxd_resolver *res;
    int rc = cli_open_resolver(&g, "spf", &res);
    if (rc)
        return rc;
    char *js = NULL;
    if (ip) {
        mxd_spf_request q = {ip, mail_from, helo, domain, NULL};
        mxd_spf_eval *e;
        mxd_err err = mxd_spf_check(res, &q, &e);
        if (err == MXD_ERR_INVALID) {
            cli_err("spf", "'%s' is not an IP address", ip);
            rc = EX_USAGE_;
        } else if (err) {
            cli_err("spf", "%s", mxd_strerror(err));
            rc = EX_OSERR_;
        } else {
            if (json && (js = mxd_spf_eval_json(e, 1)) != NULL)
                printf("%s\n", js);
            else if (!json)
                print_eval(&g, e);
            rc = suspect(res, e->result, e->domain);
            mxd_spf_eval_free(e);
        }
    } else {
        mxd_spf_report *r;
        mxd_err err = mxd_spf_lint(res, domain, &r);
        if (err == MXD_ERR_INVALID) {
            cli_err("spf", "'%s' is not a domain name", domain);
            rc = EX_USAGE_;
        } else if (err) {
            cli_err("spf", "%s", mxd_strerror(err));
            rc = EX_OSERR_;
        } else {
            char why[512] = "";
            if (r->status == MXD_SPF_NONE)
                mxd_nxdomain_suspect(res, r->domain, why, sizeof why);
            if (json && (js = mxd_spf_report_json(r, 1)) != NULL) {
                printf("%s\n", js);
            } else if (!json && why[0]) {
                /* "no SPF record" would rest on the lies: say so, not "none" */
                printf("SPF policy of %s: not checked (the resolver is suspect)\n  ! ", r->domain);
                term_wrap_at(stdout, &g, 4, 4, why);
            } else if (!json) {
                print_report(&g, r);
            }
            if (why[0]) {
                cli_err("spf", "the resolver is suspect: %s", why);
                rc = EX_UNAVAILABLE_;
            }
            if (r->status == MXD_SPF_TEMPERROR && !r->record) {
                cli_err("spf", "the SPF record of %s could not be read (DNS trouble)", domain);
                rc = EX_UNAVAILABLE_;
            }
            mxd_spf_report_free(r);
        }
    }
    free(js);
    mxd_resolver_free(res);
    return rc;
}
